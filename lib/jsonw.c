/*
 * The JSON writer (see jsonw.h): strings escaped as json-c escapes them,
 * and integers.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "buffer.h"
#include "jsonw.h"

/*
 * The escape of each byte below 0x20 and of the two that are always
 * escaped; 0 for a byte written as it is.
 */
static char
jsonw_short_escape(unsigned char c)
{
	switch (c) {
	case '\b':
		return ('b');
	case '\t':
		return ('t');
	case '\n':
		return ('n');
	case '\f':
		return ('f');
	case '\r':
		return ('r');
	case '"':
		return ('"');
	case '\\':
		return ('\\');
	}
	return (0);
}

/*
 * Write s (len bytes, NULs included) as a quoted JSON string.  Runs of
 * bytes that need no escape are copied whole.
 */
void
jsonw_string(struct buffer *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, start = 0;
	char			 esc[6], e;

	buffer_reserve(b, len + 2);
	buffer_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		if (p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
			continue;
		if (i > start)
			buffer_add(b, s + start, i - start);
		start = i + 1;
		if ((e = jsonw_short_escape(p[i])) != 0) {
			esc[0] = '\\';
			esc[1] = e;
			buffer_add(b, esc, 2);
			continue;
		}
		memcpy(esc, "\\u00", 4);
		esc[4] = hex[p[i] >> 4];
		esc[5] = hex[p[i] & 0xf];
		buffer_add(b, esc, 6);
	}
	if (len > start)
		buffer_add(b, s + start, len - start);
	buffer_add(b, "\"", 1);
}

/* Write n in decimal. */
void
jsonw_int(struct buffer *b, int64_t n)
{
	char		 digits[24], *d = digits + sizeof digits;
	uint64_t	 u;

	/* Negate in unsigned arithmetic: INT64_MIN has no positive twin. */
	u = n < 0 ? -(uint64_t)n : (uint64_t)n;
	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (n < 0)
		*--d = '-';
	buffer_add(b, d, (size_t)(digits + sizeof digits - d));
}
