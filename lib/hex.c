/*
 * Hexadecimal digits: one table of what a digit is worth, one encoder.
 */
#include "config.h"

#include "hex.h"

/* Return the value of hex digit c, either case, or -1. */
int
hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Write len bytes as lower-case hex into out (2 * len + 1 bytes). */
void
hex_encode_lower(const unsigned char *p, size_t len, char *out)
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = '\0';
}
