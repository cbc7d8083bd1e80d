/*
 * Unguessable hook tokens.  getrandom(2) never returns short reads for
 * requests of 256 bytes or less once the pool is initialised, but we loop on
 * EINTR and check anyway.
 */
#include "config.h"

#include <sys/random.h>

#include <errno.h>
#include <stdlib.h>
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

/*
 * Tell whether two tokens are equal, in a time that does not depend on
 * where they differ: a guesser timing our answers learns nothing of how
 * many leading characters were right.
 */
int
token_equal(const char *a, const char *b)
{
	unsigned char	diff = 0;
	size_t		i;

	for (i = 0; i < TOKEN_LEN; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return (diff == 0);
}

#define SIPHASH_ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

/* Read 8 bytes as a little-endian 64-bit number. */
static uint64_t
token_le64(const unsigned char *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return (v);
}

/* Run n SipHash rounds over the state v. */
static void
token_sipround(uint64_t *v, int n)
{
	while (n-- > 0) {
		v[0] += v[1];
		v[1] = SIPHASH_ROTL(v[1], 13);
		v[1] ^= v[0];
		v[0] = SIPHASH_ROTL(v[0], 32);
		v[2] += v[3];
		v[3] = SIPHASH_ROTL(v[3], 16);
		v[3] ^= v[2];
		v[0] += v[3];
		v[3] = SIPHASH_ROTL(v[3], 21);
		v[3] ^= v[0];
		v[2] += v[1];
		v[1] = SIPHASH_ROTL(v[1], 17);
		v[1] ^= v[2];
		v[2] = SIPHASH_ROTL(v[2], 32);
	}
}

/* Return SipHash-2-4 of the len bytes at data under the 16-byte key. */
uint64_t
token_siphash(const unsigned char *key, const void *data, size_t len)
{
	const unsigned char	*p = data;
	unsigned char		 last[8];
	uint64_t		 k0 = token_le64(key), k1 = token_le64(key + 8);
	uint64_t		 v[4], m;
	size_t			 i;

	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8) {
		m = token_le64(p + i);
		v[3] ^= m;
		token_sipround(v, 2);
		v[0] ^= m;
	}
	memset(last, 0, sizeof last);
	memcpy(last, p + i, len - i);
	last[7] = (unsigned char)len;
	m = token_le64(last);
	v[3] ^= m;
	token_sipround(v, 2);
	v[0] ^= m;
	v[2] ^= 0xff;
	token_sipround(v, 4);
	return (v[0] ^ v[1] ^ v[2] ^ v[3]);
}

/*
 * Hash a token under a key drawn once per process: which bucket a token
 * falls in, and so how long its lookup takes, cannot be worked out from
 * outside.
 */
uint64_t
token_hash(const char *token)
{
	static unsigned char	key[16];
	static int		keyed;
	ssize_t			n;

	if (!keyed) {
		do
			n = getrandom(key, sizeof key, 0);
		while (n == -1 && errno == EINTR);
		/* As for fatal(): without randomness nothing is safe. */
		if (n != (ssize_t)sizeof key)
			abort();
		keyed = 1;
	}
	return (token_siphash(key, token, strlen(token)));
}
