/*
 * Unit tests for redis-reply (hiredis replies in one arena per reply):
 * a real hiredis reader fed the bytes Redis sends, its replies compared
 * with those of a reader of hiredis's own objects fed the same bytes.
 * Nested arrays, a reply split across reads (byte by byte), errors,
 * statuses, nils, integers, empty ones, a string and an array larger
 * than any block, replies pipelined in one read, protocol errors and a
 * reader freed with a reply half read (the sanitizers see leaks).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "redis-reply.h"
#include "tap.h"
#include "xmalloc.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TEST_ASAN)
#define TEST_ASAN
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/* An XREAD reply of one entry, the shape the follower reads. */
static const char xread[] =
    "*1\r\n*2\r\n$12\r\nfish:{s}:log\r\n*1\r\n*2\r\n$15\r\n1733380000000-0\r\n"
    "*10\r\n$3\r\nseq\r\n$2\r\n17\r\n$4\r\nfrom\r\n$9\r\nab/1234.5\r\n"
    "$4\r\ntype\r\n$1\r\n2\r\n$3\r\nrec\r\n$13\r\n{\"token\":\"t\"}\r\n"
    "$4\r\nbody\r\n$5\r\nh\0llo\r\n";

/* Tell whether two replies are the same tree, field by field. */
static int
same(const redisReply *a, const redisReply *b)
{
	size_t	i;

	if (a == NULL || b == NULL)
		return (a == b);
	if (a->type != b->type || a->integer != b->integer ||
	    a->len != b->len || a->elements != b->elements)
		return (0);
	if ((a->str == NULL) != (b->str == NULL) ||
	    (a->str != NULL && memcmp(a->str, b->str, a->len + 1) != 0))
		return (0);
	if ((a->element == NULL) != (b->element == NULL))
		return (0);
	for (i = 0; i < a->elements; i++)
		if (!same(a->element[i], b->element[i]))
			return (0);
	return (1);
}

/* Return a reader whose replies are built in arenas. */
static redisReader *
arena_reader(void)
{
	redisReader	*r;

	if ((r = redisReaderCreate()) == NULL)
		abort();
	redis_reply_use_arena(r);
	return (r);
}

/* Read one reply of len bytes with reader r, fed step bytes at a time. */
static redisReply *
read_one(redisReader *r, const char *bytes, size_t len, size_t step)
{
	void	*reply = NULL;
	size_t	 at, n;

	for (at = 0; at < len; at += n) {
		n = len - at < step ? len - at : step;
		if (redisReaderFeed(r, bytes + at, n) != REDIS_OK ||
		    redisReaderGetReply(r, &reply) != REDIS_OK)
			return (NULL);
		if (reply != NULL && at + n < len)
			return (NULL);	/* a reply before its last byte */
	}
	return (reply);
}

/*
 * Read bytes with an arena reader, step bytes a read, and with a reader
 * of hiredis's own objects at once; tell whether the two are the same.
 * The arena's reply is freed as hiredis's async context frees it.
 */
static int
same_as_hiredis(const char *bytes, size_t len, size_t step)
{
	redisReader	*mine = arena_reader(), *theirs = redisReaderCreate();
	redisReply	*a, *b;
	int		 ok;

	a = read_one(mine, bytes, len, step);
	b = read_one(theirs, bytes, len, len);
	ok = a != NULL && b != NULL && same(a, b);
	if (a != NULL)
		mine->fn->freeObject(a);
	if (b != NULL)
		freeReplyObject(b);
	redisReaderFree(mine);
	redisReaderFree(theirs);
	return (ok);
}

/* Nested arrays: an XREAD reply, read at once, is hiredis's own tree. */
static void
test_nested(void)
{
	redisReader	*r = arena_reader();
	redisReply	*reply, *fields;

	reply = read_one(r, xread, sizeof xread - 1, sizeof xread - 1);
	ok(reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	    reply->elements == 1, "an XREAD reply is an array of one stream");
	fields = reply->element[0]->element[1]->element[0]->element[1];
	is_int(fields->elements, 10, "its entry has ten fields and values");
	is_str(fields->element[3]->str, "ab/1234.5", "a value is its string");
	ok(fields->element[9]->len == 5 &&
	    memcmp(fields->element[9]->str, "h\0llo", 6) == 0,
	    "a value with a NUL keeps its length and a terminating NUL");
	r->fn->freeObject(reply);
	redisReaderFree(r);
	ok(same_as_hiredis(xread, sizeof xread - 1, sizeof xread - 1),
	    "the tree equals hiredis's own, field by field");
}

/*
 * Under AddressSanitizer, the byte past a string's NUL and the room
 * after the last object are poisoned: a read past them is caught.
 */
static void
test_redzones(void)
{
#ifdef TEST_ASAN
	redisReader	*r = arena_reader();
	redisReply	*reply, *id;

	reply = read_one(r, xread, sizeof xread - 1, sizeof xread - 1);
	id = reply->element[0]->element[1]->element[0]->element[0];
	ok(!__asan_address_is_poisoned(id->str + id->len) &&
	    __asan_address_is_poisoned(id->str + id->len + 1),
	    "a string's NUL is readable, the byte past it poisoned");
	ok(__asan_address_is_poisoned((char *)reply->element +
	    reply->elements * sizeof *reply->element),
	    "so is the byte past an array of elements");
	r->fn->freeObject(reply);
	redisReaderFree(r);
#else
	ok(1, "# SKIP not built with AddressSanitizer");
	ok(1, "# SKIP not built with AddressSanitizer");
#endif
}

/* A reply split across reads, at every byte. */
static void
test_split(void)
{
	ok(same_as_hiredis(xread, sizeof xread - 1, 1),
	    "an XREAD reply fed a byte at a time is hiredis's own");
	ok(same_as_hiredis(xread, sizeof xread - 1, 7),
	    "and fed 7 bytes at a time");
}

/* Errors, statuses, integers, nils and empty ones, alone and nested. */
static void
test_kinds(void)
{
	static const char *const replies[] = {
	    "-NOSCRIPT No matching script. Please use EVAL.\r\n",
	    "+OK\r\n", ":42\r\n", ":-9223372036854775808\r\n", "$-1\r\n",
	    "*-1\r\n", "*0\r\n", "$0\r\n\r\n",
	    "*2\r\n:17\r\n$15\r\n1733380000000-0\r\n",
	    "*5\r\n$-1\r\n*-1\r\n*0\r\n-ERR x\r\n*2\r\n+OK\r\n:0\r\n",
	};
	redisReader	*r = arena_reader();
	redisReply	*reply;
	size_t		 i;
	int		 all = 1;

	for (i = 0; i < sizeof replies / sizeof *replies; i++)
		all &= same_as_hiredis(replies[i], strlen(replies[i]), 1);
	ok(all, "errors, statuses, integers, nils, empty ones: hiredis's own");
	reply = read_one(r, replies[0], strlen(replies[0]), 64);
	ok(reply != NULL && reply->type == REDIS_REPLY_ERROR &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0,
	    "an error reply has its type and text");
	r->fn->freeObject(reply);
	reply = read_one(r, replies[9], strlen(replies[9]), 64);
	ok(reply != NULL && reply->element[0]->type == REDIS_REPLY_NIL &&
	    reply->element[1]->type == REDIS_REPLY_NIL &&
	    reply->element[2]->elements == 0 &&
	    reply->element[2]->element == NULL &&
	    reply->element[4]->element[1]->type == REDIS_REPLY_INTEGER,
	    "nils, an empty array and an integer nested in an array");
	r->fn->freeObject(reply);
	redisReaderFree(r);
}

/* Append a bulk string of n bytes of c to buffer at *len. */
static void
put_bulk(char *buffer, size_t *len, size_t n, char c)
{
	*len += (size_t)snprintf(buffer + *len, 32, "$%zu\r\n", n);
	memset(buffer + *len, c, n);
	*len += n;
	memcpy(buffer + *len, "\r\n", 2);
	*len += 2;
}

/* Strings and arrays larger than any block, with small ones between. */
static void
test_large(void)
{
	size_t	 len = 0, i;
	char	*buffer = xmalloc(1 << 20);

	len += (size_t)snprintf(buffer, 32, "*3\r\n$2\r\nab\r\n");
	put_bulk(buffer, &len, 200000, 'x');
	len += (size_t)snprintf(buffer + len, 32, "*3000\r\n");
	for (i = 0; i < 3000; i++)
		put_bulk(buffer, &len, i % 97, (char)('a' + i % 26));
	ok(same_as_hiredis(buffer, len, len),
	    "a 200 KB string and an array of 3000 is hiredis's own");
	ok(same_as_hiredis(buffer, len, 4096),
	    "and so read 4 KiB at a time");
	free(buffer);
}

/* Two replies in one read: each its own arena, both kept at once. */
static void
test_pipelined(void)
{
	static const char bytes[] = "*2\r\n:1\r\n$3\r\none\r\n*2\r\n:2\r\n$3\r\n"
	    "two\r\n";
	redisReader	*r = arena_reader();
	void		*a = NULL, *b = NULL;

	redisReaderFeed(r, bytes, sizeof bytes - 1);
	redisReaderGetReply(r, &a);
	redisReaderGetReply(r, &b);
	ok(a != NULL && b != NULL && a != b, "two replies from one read");
	r->fn->freeObject(a);
	ok(strcmp(((redisReply *)b)->element[1]->str, "two") == 0,
	    "the second is whole after the first is freed");
	r->fn->freeObject(b);
	redisReaderFree(r);
}

/* A protocol error, and a reader freed, with a reply half read. */
static void
test_cut(void)
{
	static const char bad[] = "*3\r\n*2\r\n$3\r\nfoo\r\n:1\r\n!oops\r\n";
	redisReader	*r = arena_reader();
	void		*reply = NULL;

	redisReaderFeed(r, bad, sizeof bad - 1);
	ok(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL,
	    "a protocol error in the middle of a reply fails it");
	is_str(r->errstr, "Protocol error, got \"!\" as reply type byte",
	    "with hiredis's reason (the reply so far freed)");
	redisReaderFree(r);
	r = arena_reader();
	reply = read_one(r, xread, 60, 60);
	ok(reply == NULL && r->reply != NULL, "a reply cut after 60 bytes");
	redisReaderFree(r);
	ok(1, "a reader freed with it frees what it had read");
}

int
main(void)
{
	test_nested();
	test_redzones();
	test_split();
	test_kinds();
	test_large();
	test_pipelined();
	test_cut();
	return (done_testing());
}
