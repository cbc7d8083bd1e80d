/*
 * Unit tests for the byte buffer: appending, peeking and draining, growth
 * and reuse of drained space, detaching, big-endian integers and printf.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "tap.h"

/* Run every case and print the plan. */
int
main(void)
{
	struct buffer	 b;
	unsigned char	 raw[8], big[1000];
	const char	*p;
	char		*s;
	size_t		 len, i, size;
	int		 fds[2];
	ssize_t		 n;

	/* An empty buffer. */
	buffer_init(&b);
	is_int(buffer_unread(&b), 0, "a new buffer is empty");
	is_str(buffer_peek(&b), "", "peeking an empty buffer gives \"\"");
	buffer_drain(&b, 10);
	is_int(buffer_unread(&b), 0, "draining an empty buffer is harmless");
	buffer_add(&b, NULL, 0);
	ok(b.data == NULL, "adding nothing allocates nothing");

	/* add, peek, drain. */
	buffer_add(&b, "hello", 5);
	buffer_add_str(&b, " world");
	is_int(buffer_unread(&b), 11, "add and add_str append");
	ok(memcmp(buffer_peek(&b), "hello world", 11) == 0,
	    "peek shows the bytes in order");
	buffer_drain(&b, 6);
	is_int(buffer_unread(&b), 5, "drain consumes from the front");
	ok(memcmp(buffer_peek(&b), "world", 5) == 0, "peek follows the drain");
	buffer_add(&b, "\0!", 2);
	is_int(buffer_unread(&b), 7, "binary bytes are appended");
	ok(memcmp(buffer_peek(&b), "world\0!", 7) == 0,
	    "a NUL byte is kept like any other");
	buffer_drain(&b, 100);
	is_int(buffer_unread(&b), 0, "draining more than is there empties it");
	ok(b.off == 0 && b.len == 0, "an emptied buffer starts over at 0");

	/* Growth. */
	for (i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)i;
	buffer_add(&b, big, sizeof big);
	ok(b.size >= sizeof big, "the buffer grows to fit 1000 bytes");
	ok(buffer_unread(&b) == sizeof big &&
	    memcmp(buffer_peek(&b), big, sizeof big) == 0,
	    "1000 bytes survive growth");
	size = b.size;
	buffer_reserve(&b, 5000);
	ok(b.size - b.len >= 5000, "reserve makes room for 5000 more");
	ok(b.size > size, "reserve grew the allocation");
	ok(memcmp(buffer_peek(&b), big, sizeof big) == 0,
	    "reserve keeps the contents");
	size = b.size;
	buffer_reserve(&b, 10);
	is_int(b.size, size, "reserving what is there does not reallocate");
	buffer_release(&b);
	buffer_reserve(&b, 100000);
	is_int(b.size, 100000,
	    "a first reserve allocates just what it asks for (a known length)");
	buffer_release(&b);
	buffer_reserve(&b, 10);
	is_int(b.size, 256, "a small first reserve still allocates 256 bytes");
	buffer_add(&b, big, sizeof big);
	ok(buffer_unread(&b) == sizeof big &&
	    memcmp(buffer_peek(&b), big, sizeof big) == 0,
	    "a buffer grows past its first reserve");

	/* Drained space is reused instead of growing. */
	buffer_release(&b);
	ok(b.data == NULL && b.size == 0, "release frees the storage");
	buffer_add(&b, big, 200);
	size = b.size;
	buffer_drain(&b, 150);
	buffer_add(&b, big + 200, size - 100);
	is_int(b.size, size, "drained space at the front is reused");
	ok(buffer_unread(&b) == size - 50 &&
	    memcmp(buffer_peek(&b), big + 150, size - 50) == 0,
	    "contents are intact after moving to the front");

	/* Clear keeps the storage. */
	buffer_clear(&b);
	ok(buffer_unread(&b) == 0 && b.size == size,
	    "clear empties but keeps the storage");

	/* Detach. */
	buffer_add_str(&b, "abc");
	s = buffer_detach(&b, &len);
	ok(s != NULL && len == 3 && strcmp(s, "abc") == 0,
	    "detach returns the bytes NUL-terminated");
	ok(b.data == NULL && buffer_unread(&b) == 0,
	    "detach leaves the buffer empty");
	free(s);
	buffer_add_str(&b, "xxabc");
	buffer_drain(&b, 2);
	s = buffer_detach(&b, &len);
	ok(s != NULL && len == 3 && strcmp(s, "abc") == 0,
	    "detach after a drain returns only the unread bytes");
	free(s);
	s = buffer_detach(&b, NULL);
	is_str(s, "", "detaching an empty buffer gives an empty string");
	free(s);
	buffer_add(&b, big, 256);
	s = buffer_detach(&b, &len);
	ok(len == 256 && memcmp(s, big, 256) == 0 && s[256] == '\0',
	    "detach of a full buffer adds the NUL");
	free(s);

	/* Integers. */
	put_u32(raw, 0x01020304U);
	ok(raw[0] == 1 && raw[1] == 2 && raw[2] == 3 && raw[3] == 4,
	    "put_u32 writes big-endian");
	is_int(get_u32(raw), 0x01020304U, "get_u32 reads put_u32 back");
	put_u32(raw, 0xffffffffU);
	is_int(get_u32(raw), 0xffffffffU, "get_u32 of 0xffffffff");
	buffer_add_u32(&b, 0xdeadbeefU);
	buffer_add_u32(&b, 0);
	buffer_add_u64(&b, 0x0102030405060708ULL);
	buffer_add_u64(&b, UINT64_MAX);
	is_int(buffer_unread(&b), 24, "two u32 and two u64 take 24 bytes");
	p = buffer_peek(&b);
	is_int(get_u32(p), 0xdeadbeefU, "u32 round trip");
	is_int(get_u32(p + 4), 0, "u32 zero round trip");
	ok(get_u64(p + 8) == 0x0102030405060708ULL, "u64 round trip");
	ok((unsigned char)p[8] == 1 && (unsigned char)p[15] == 8,
	    "add_u64 writes big-endian");
	ok(get_u64(p + 16) == UINT64_MAX, "u64 all-ones round trip");
	buffer_release(&b);

	/* printf. */
	buffer_add_str(&b, "<");
	buffer_printf(&b, "%s=%d%c", "n", -42, '>');
	buffer_printf(&b, "%s", "");
	len = buffer_unread(&b);
	is_int(len, 7, "printf appends the formatted length");
	s = buffer_detach(&b, NULL);
	is_str(s, "<n=-42>", "printf appends formatted text");
	free(s);
	memset(big, 'y', sizeof big);
	big[sizeof big - 1] = '\0';
	buffer_printf(&b, "%s|", (char *)big);
	ok(buffer_unread(&b) == sizeof big &&
	    buffer_peek(&b)[sizeof big - 1] == '|',
	    "printf output longer than the first allocation");
	buffer_release(&b);

	/* write_all: everything arrives; a closed reader is an error. */
	memset(big, 'z', sizeof big);
	ok(pipe(fds) == 0, "pipe");
	is_int(write_all(fds[1], big, sizeof big), 0, "write_all returns 0");
	close(fds[1]);
	len = size = 0;
	while ((n = read(fds[0], raw, sizeof raw)) > 0) {
		for (i = 0; i < (size_t)n; i++)
			size += raw[i] == 'z';
		len += (size_t)n;
	}
	ok(len == sizeof big && size == sizeof big,
	    "write_all writes every byte");
	ok(write_all(fds[0], "x", 1) == -1, "write_all fails on a bad fd");
	close(fds[0]);

	return (done_testing());
}
