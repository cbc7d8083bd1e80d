/*
 * Growable byte buffer.  Data is appended at the end and consumed from the
 * front; consumed space is reclaimed lazily when more room is needed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "xmalloc.h"

/* Make an empty buffer. */
void
buffer_init(struct buffer *b)
{
	b->data = NULL;
	b->off = b->len = b->size = 0;
}

/* Free a buffer's storage. */
void
buffer_release(struct buffer *b)
{
	free(b->data);
	buffer_init(b);
}

/* Forget the contents but keep the storage. */
void
buffer_clear(struct buffer *b)
{
	b->off = b->len = 0;
}

/* Make room for at least n more bytes. */
void
buffer_reserve(struct buffer *b, size_t n)
{
	size_t	size;

	if (b->off != 0 && b->off == b->len)
		b->off = b->len = 0;
	if (b->size - b->len >= n)
		return;
	if (b->off > 0 && b->off >= b->len / 2) {
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
		if (b->size - b->len >= n)
			return;
	}
	/* A first allocation is as large as asked: a body of known length. */
	size = b->size == 0 ? (n > 256 ? n : 256) : b->size;
	while (size - b->len < n)
		size *= 2;
	b->data = xrealloc(b->data, size);
	b->size = size;
}

/* Append bytes. */
void
buffer_add(struct buffer *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	buffer_reserve(b, n);
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

/* Append a string without its terminator. */
void
buffer_add_str(struct buffer *b, const char *s)
{
	buffer_add(b, s, strlen(s));
}

/* Append a 32-bit big-endian integer. */
void
buffer_add_u32(struct buffer *b, uint32_t v)
{
	unsigned char	p[4];

	put_u32(p, v);
	buffer_add(b, p, sizeof p);
}

/* Append a 64-bit big-endian integer. */
void
buffer_add_u64(struct buffer *b, uint64_t v)
{
	buffer_add_u32(b, (uint32_t)(v >> 32));
	buffer_add_u32(b, (uint32_t)v);
}

/* Append formatted text, from a va_list. */
static void __attribute__((__format__(__printf__, 2, 0)))
buffer_vprintf(struct buffer *b, const char *fmt, va_list ap)
{
	char	*s;
	int	 n;

	n = xvasprintf(&s, fmt, ap);
	buffer_add(b, s, (size_t)n);
	free(s);
}

/* Append formatted text. */
void
buffer_printf(struct buffer *b, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	buffer_vprintf(b, fmt, ap);
	va_end(ap);
}

/*
 * Add a line to text made of lines (warnings, say): a newline goes before
 * it unless it is the first.
 */
void
buffer_add_line(struct buffer *b, const char *fmt, ...)
{
	va_list	ap;

	if (b->len != 0)
		buffer_add(b, "\n", 1);
	va_start(ap, fmt);
	buffer_vprintf(b, fmt, ap);
	va_end(ap);
}

/* Return how many bytes are left to read. */
size_t
buffer_unread(const struct buffer *b)
{
	return (b->len - b->off);
}

/* Return the first unread byte. */
const char *
buffer_peek(const struct buffer *b)
{
	return (b->data == NULL ? "" : b->data + b->off);
}

/* Consume n bytes from the front. */
void
buffer_drain(struct buffer *b, size_t n)
{
	if (n > b->len - b->off)
		n = b->len - b->off;
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

/*
 * Take the unread bytes as a NUL-terminated allocation owned by the caller;
 * the buffer is left empty.
 */
char *
buffer_detach(struct buffer *b, size_t *lenp)
{
	char	*p;
	size_t	 n;

	n = buffer_unread(b);
	if (b->off == 0 && b->data != NULL) {
		buffer_reserve(b, 1);
		b->data[b->len] = '\0';
		p = b->data;
	} else
		p = xmemdup(buffer_peek(b), n);
	if (p != b->data)
		free(b->data);
	buffer_init(b);
	if (lenp != NULL)
		*lenp = n;
	return (p);
}

/* Read a 32-bit big-endian integer. */
uint32_t
get_u32(const void *p)
{
	const unsigned char	*u = p;

	return ((uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 |
	    (uint32_t)u[2] << 8 | (uint32_t)u[3]);
}

/* Read a 64-bit big-endian integer. */
uint64_t
get_u64(const void *p)
{
	const unsigned char	*u = p;

	return ((uint64_t)get_u32(u) << 32 | get_u32(u + 4));
}

/* Write a 32-bit big-endian integer. */
void
put_u32(void *p, uint32_t v)
{
	unsigned char	*u = p;

	u[0] = v >> 24;
	u[1] = v >> 16;
	u[2] = v >> 8;
	u[3] = v;
}

/*
 * Write all of len bytes to fd, going on after short writes and EINTR.
 * Return 0, or -1 with errno.  The one such loop, for the journal and for
 * everything the client prints.
 */
int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}
