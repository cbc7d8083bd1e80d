/*
 * Unit tests for the record of a received request written straight from
 * its fields (store_received_encode, listener/store/received.c): for many
 * records, hostile ones above all (quotes, backslashes, every control
 * byte, invalid UTF-8, NULs inside the fields that have a length, bytes
 * 0x7f-0xff, empty and long strings, many headers), its bytes are exactly
 * those of the json-c object HTTP in built before, as store_receive and
 * journal_append print it.  Then every reader and recovery see the same
 * record whichever way it was written.  The record without its "seq"
 * (what a Redis entry carries, store_entry_unnumbered) is the same cut
 * where the writer says the member is as parsed and printed without it.
 * And the integer writer agrees with json-c at the extremes.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "jsonw.h"
#include "store.h"
#include "tap.h"
#include "xmalloc.h"

#define CASES		5000
#define MAX_HEADERS	40

/* Return a pseudo-random number (xorshift), the same every run. */
static uint32_t
next_random(uint32_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return (*state);
}

/*
 * Fill s with a hostile string of up to max bytes, NULs allowed only if
 * nul; return its length (s is NUL-terminated after it).
 */
static size_t
hostile_string(uint32_t *state, char *s, size_t max, int nul)
{
	static const char	*pieces[] = { "\"", "\\", "/", "\\u0000",
	    "\xc3\xa9", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\x7f", "\r\n",
	    "</script>", "\xe2\x80\xa8" };
	size_t			 len = 0, n, i, want;
	uint32_t		 r;

	want = next_random(state) % (max + 1);
	while (len < want) {
		r = next_random(state);
		switch (r % 4) {
		case 0:		/* any byte */
			s[len] = (char)(r >> 8);
			if (s[len] == '\0' && !nul)
				s[len] = 'x';
			len++;
			break;
		case 1:		/* a control byte */
			s[len] = (char)((r >> 8) % 0x20);
			if (s[len] == '\0' && !nul)
				s[len] = '\x01';
			len++;
			break;
		case 2:		/* a known troublemaker */
			i = (r >> 8) % (sizeof pieces / sizeof pieces[0]);
			n = strlen(pieces[i]);
			if (len + n > want)
				n = want - len;
			memcpy(s + len, pieces[i], n);
			len += n;
			break;
		default:	/* plain text */
			s[len++] = (char)('a' + (r >> 8) % 26);
			break;
		}
	}
	s[len] = '\0';
	return (len);
}

/*
 * Build the record as HTTP in and the store built it with json-c (record.c
 * and store_receive before records were written straight), printed as
 * journal_append prints it.  Return it allocated.
 */
static char *
reference(const struct store_received *f, uint64_t seq, const char *token)
{
	struct json_object	*o, *headers, *pair;
	const char		*text;
	char			*copy;
	size_t			 i, len;

	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(f->method));
	json_object_object_add(o, "path",
	    json_object_new_string_len(f->path, (int)f->path_len));
	json_object_object_add(o, "query",
	    json_object_new_string_len(f->query, (int)f->query_len));
	headers = json_object_new_array();
	for (i = 0; i < f->nheaders; i++) {
		pair = json_object_new_array_ext(2);
		json_object_array_add(pair,
		    json_object_new_string(f->headers[2 * i]));
		json_object_array_add(pair,
		    json_object_new_string(f->headers[2 * i + 1]));
		json_object_array_add(headers, pair);
	}
	json_object_object_add(o, "headers", headers);
	json_object_object_add(o, "remote", json_object_new_string(f->remote));
	if (f->via != NULL)
		json_object_object_add(o, "via",
		    json_object_new_string(f->via));
	json_object_object_add(o, "received_at",
	    json_object_new_int64(f->received_at));
	if (f->verified)
		json_object_object_add(o, "verified",
		    json_object_new_boolean(1));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "token", json_object_new_string(token));
	text = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	copy = xmemdup(text, len + 1);
	json_object_put(o);
	return (copy);
}

/*
 * Tell whether the encoded record in b, its "seq" member at seq_at for
 * seq_len bytes, comes out of store_entry_unnumbered the same cut where
 * the writer said as parsed and printed without its "seq" (the bytes a
 * Redis entry carries either way).
 */
static int
same_unnumbered(const struct buffer *b, uint64_t seq, size_t seq_at,
    size_t seq_len)
{
	struct store_entry	 e;
	char			*cut, *parsed;
	size_t			 cutlen, parsedlen;
	int			 same;

	memset(&e, 0, sizeof e);
	e.type = JOURNAL_MESSAGE_RECEIVED;
	e.seq = seq == 0 ? 1 : seq;	/* 0 would skip the parse */
	e.json = buffer_peek(b);
	e.json_len = buffer_unread(b);
	parsed = store_entry_unnumbered(&e, &parsedlen);
	e.seq_at = seq_at;
	e.seq_len = seq_len;
	cut = store_entry_unnumbered(&e, &cutlen);
	same = cutlen == parsedlen && memcmp(cut, parsed, cutlen) == 0 &&
	    cutlen < e.json_len;
	if (!same)
		printf("# parsed %.*s\n#    cut %.*s\n", (int)parsedlen, parsed,
		    (int)cutlen, cut);
	free(cut);
	free(parsed);
	return (same);
}

/*
 * Encode a record both ways; tell whether the bytes are the same, and
 * the same without their "seq" however it is taken out.
 */
static int
same_both_ways(const struct store_received *f, uint64_t seq,
    const char *token)
{
	struct buffer	 b;
	char		*want;
	size_t		 seq_at, seq_len;
	int		 same;

	buffer_init(&b);
	store_received_encode(&b, f, seq, token, &seq_at, &seq_len);
	want = reference(f, seq, token);
	same = buffer_unread(&b) == strlen(want) &&
	    memcmp(buffer_peek(&b), want, buffer_unread(&b)) == 0;
	if (!same)
		printf("# want %s\n#  got %.*s\n", want,
		    (int)buffer_unread(&b), buffer_peek(&b));
	else
		same = same_unnumbered(&b, seq, seq_at, seq_len);
	free(want);
	buffer_release(&b);
	return (same);
}

/* Check a plain request's record, the one every callback makes. */
static void
test_ordinary(void)
{
	const char		*headers[] = { "Host", "127.0.0.1:8080",
	    "Content-Type", "application/json", "Content-Length", "40" };
	struct store_received	 f = { "POST", "/", 1, "", 0, headers, 3,
	    "127.0.0.1:50000", NULL, 1700000000123LL, 0 };

	ok(same_both_ways(&f, 1, "abcdefghijklmnopqrstuv"),
	    "an ordinary request's record is json-c's, byte for byte");
	f.verified = 1;
	f.path = "/a/b";
	f.path_len = 4;
	f.query = "x=1&y=%22";
	f.query_len = strlen(f.query);
	f.remote = "[::1]:1234";
	ok(same_both_ways(&f, 18446744073709551615ULL, "t"),
	    "with a query, IPv6 peer, verified and the largest seq too");
	f.remote = "203.0.113.9";
	f.via = "127.0.0.1:40000";
	ok(same_both_ways(&f, 7, "t"),
	    "with a client named by a tunnel and the peer as via too");
	f.via = NULL;
	f.nheaders = 0;
	f.remote = "";
	f.received_at = 0;
	ok(same_both_ways(&f, 0, ""), "with no headers and no peer too");
}

/* Check many hostile records, NULs in the fields that have a length. */
static void
test_hostile(void)
{
	static char		 strings[2 * MAX_HEADERS + 4][300];
	const char		*headers[2 * MAX_HEADERS];
	struct store_received	 f;
	uint32_t		 state = 0x2545f491U;
	size_t			 i, n, bad = 0;
	char			 token[64];

	for (n = 0; n < CASES; n++) {
		memset(&f, 0, sizeof f);
		hostile_string(&state, strings[0], 20, 0);
		f.method = strings[0];
		f.path_len = hostile_string(&state, strings[1], 290, 1);
		f.path = strings[1];
		f.query_len = hostile_string(&state, strings[2], 290, 1);
		f.query = strings[2];
		hostile_string(&state, strings[3], 60, 0);
		f.remote = strings[3];
		if (next_random(&state) % 4 == 0)
			f.via = strings[3];
		f.nheaders = next_random(&state) % (MAX_HEADERS + 1);
		for (i = 0; i < 2 * f.nheaders; i++) {
			hostile_string(&state, strings[4 + i], 100, 0);
			headers[i] = strings[4 + i];
		}
		f.headers = headers;
		f.received_at = (int64_t)((uint64_t)next_random(&state) << 32 |
		    next_random(&state));
		f.verified = next_random(&state) % 2;
		hostile_string(&state, token, 40, 0);
		if (!same_both_ways(&f, (uint64_t)next_random(&state) << 20,
		    token) && ++bad > 3)
			break;
	}
	is_int((long long)bad, 0,
	    "hostile records (5000) are json-c's, byte for byte");
}

/* Check every single byte, alone and between others, both ways. */
static void
test_every_byte(void)
{
	struct store_received	 f;
	char			 s[3];
	size_t			 bad = 0;
	int			 c;

	memset(&f, 0, sizeof f);
	f.method = "GET";
	f.remote = "";
	for (c = 0; c < 256; c++) {
		s[0] = 'a';
		s[1] = (char)c;
		s[2] = 'b';
		f.path = s;
		f.path_len = 3;
		f.query = s + 1;
		f.query_len = 1;
		if (!same_both_ways(&f, 1, "t"))
			bad++;
	}
	is_int((long long)bad, 0,
	    "each of the 256 bytes is escaped as json-c does");
}

/* Check integers at the extremes against json-c. */
static void
test_integers(void)
{
	static const int64_t	 values[] = { 0, 1, -1, 9, 10, -10, 99, 100,
	    INT64_MAX, INT64_MIN, INT64_MIN + 1, 1700000000000LL };
	struct json_object	*o;
	struct buffer		 b;
	size_t			 i, bad = 0;

	for (i = 0; i < sizeof values / sizeof values[0]; i++) {
		buffer_init(&b);
		jsonw_int(&b, values[i]);
		buffer_add(&b, "", 1);
		o = json_object_new_int64(values[i]);
		if (strcmp(buffer_peek(&b), json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN)) != 0)
			bad++;
		json_object_put(o);
		buffer_release(&b);
	}
	is_int((long long)bad, 0, "integers at the extremes are json-c's");
}

int
main(void)
{
	test_ordinary();
	test_hostile();
	test_every_byte();
	test_integers();
	return (done_testing());
}
