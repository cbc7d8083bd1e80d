/*
 * Base64 encoding and strict decoding.  Decoding refuses anything but the
 * standard alphabet, so a mistyped key is reported instead of silently
 * becoming another key; padding may be left out, as some providers do.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "base64.h"
#include "xmalloc.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encode len bytes; return a NUL-terminated string (caller frees). */
char *
base64_encode(const void *data, size_t len)
{
	const unsigned char	*p = data;
	char			*out, *o;
	uint32_t		 v;
	size_t			 i;

	out = o = xmalloc((len + 2) / 3 * 4 + 1);
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = base64_alphabet[v >> 18 & 63];
		*o++ = base64_alphabet[v >> 12 & 63];
		*o++ = base64_alphabet[v >> 6 & 63];
		*o++ = base64_alphabet[v & 63];
	}
	if (i < len) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = base64_alphabet[v >> 18 & 63];
		*o++ = base64_alphabet[v >> 12 & 63];
		*o++ = i + 1 < len ? base64_alphabet[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o = '\0';
	return (out);
}

/* Return the value of a base64 digit, or -1. */
static int
base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	if (c == '+')
		return (62);
	if (c == '/')
		return (63);
	return (-1);
}

/*
 * Decode len characters into *out (caller frees) and *outlen.  Return 0, or
 * -1 when s is not base64: a foreign character, a lone trailing digit,
 * padding anywhere but at the end or bits left over in the last digit.
 */
int
base64_decode(const char *s, size_t len, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf;
	uint32_t	 v = 0;
	size_t		 i, n = 0, digits = 0, pad = 0;
	int		 d;

	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	if (pad != 0 && len % 4 != 0)
		return (-1);
	len -= pad;
	if (len % 4 == 1)
		return (-1);
	buf = xmalloc(len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		if ((d = base64_value(s[i])) == -1)
			goto fail;
		v = v << 6 | (uint32_t)d;
		if (++digits == 4) {
			buf[n++] = v >> 16 & 0xff;
			buf[n++] = v >> 8 & 0xff;
			buf[n++] = v & 0xff;
			v = 0;
			digits = 0;
		}
	}
	if (digits == 2) {
		if ((v & 0xf) != 0)
			goto fail;
		buf[n++] = v >> 4 & 0xff;
	} else if (digits == 3) {
		if ((v & 0x3) != 0)
			goto fail;
		buf[n++] = v >> 10 & 0xff;
		buf[n++] = v >> 2 & 0xff;
	}
	*out = buf;
	*outlen = n;
	return (0);

fail:
	free(buf);
	return (-1);
}
