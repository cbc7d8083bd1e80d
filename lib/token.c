/*
 * Unguessable hook tokens.  getrandom(2) never returns short reads for
 * requests of 256 bytes or less once the pool is initialised, but we loop on
 * EINTR and check anyway.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include "token.h"

static const char token_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Write a new NUL-terminated token into buf (at least TOKEN_LEN + 1 bytes). */
int
token_new(char *buf, size_t size)
{
	unsigned char	raw[TOKEN_BYTES];
	size_t		i, bit;
	ssize_t		n;

	if (size < TOKEN_LEN + 1) {
		errno = EINVAL;
		return (-1);
	}
	do
		n = getrandom(raw, sizeof raw, 0);
	while (n == -1 && errno == EINTR);
	if (n != (ssize_t)sizeof raw)
		return (-1);
	/* 160 bits make exactly 32 five-bit groups. */
	for (i = 0; i < TOKEN_LEN; i++) {
		unsigned int	v = 0, k;

		for (k = 0; k < 5; k++) {
			bit = i * 5 + k;
			v = v << 1 | ((raw[bit / 8] >> (7 - bit % 8)) & 1);
		}
		buf[i] = token_alphabet[v];
	}
	buf[TOKEN_LEN] = '\0';
	return (0);
}

/* Tell whether the len bytes at s have the shape of a token. */
int
token_valid(const char *s, size_t len)
{
	size_t	i;

	if (len != TOKEN_LEN)
		return (0);
	for (i = 0; i < len; i++) {
		if (s[i] == '\0' || strchr(token_alphabet, s[i]) == NULL)
			return (0);
	}
	return (1);
}
