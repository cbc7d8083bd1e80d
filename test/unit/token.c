/*
 * Unit tests for hook tokens: fresh tokens have the right shape and differ,
 * and token_valid refuses anything that is not exactly a token.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tap.h"
#include "token.h"

/* Tell whether every character of s is in the lower-case base32 alphabet. */
static int
all_base32(const char *s)
{
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '2' && *s <= '7')))
			return (0);
	}
	return (1);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	a[TOKEN_LEN + 1], b[TOKEN_LEN + 1], bad[TOKEN_LEN + 1];
	char	big[64], small[TOKEN_LEN];
	unsigned char	key[16], msg[15];
	size_t	i;
	int	same;

	/* token_new */
	memset(a, 'X', sizeof a);
	is_int(token_new(a, sizeof a), 0,
	    "token_new fills an exact-size buffer");
	is_int(strlen(a), TOKEN_LEN, "a token is TOKEN_LEN characters");
	ok(all_base32(a), "a token is lower-case base32");
	ok(token_valid(a, strlen(a)), "a new token is valid");
	is_int(token_new(b, sizeof b), 0, "token_new makes a second token");
	ok(strcmp(a, b) != 0, "two tokens differ");
	memset(big, 'X', sizeof big);
	is_int(token_new(big, sizeof big), 0,
	    "token_new accepts a larger buffer");
	ok(big[TOKEN_LEN] == '\0' && big[TOKEN_LEN + 1] == 'X',
	    "token_new writes only TOKEN_LEN + 1 bytes");
	memset(small, 'X', sizeof small);
	errno = 0;
	ok(token_new(small, sizeof small) == -1 && errno == EINVAL,
	    "token_new refuses a buffer without room for the NUL");
	ok(small[0] == 'X', "token_new leaves a too-small buffer alone");
	is_int(token_new(small, 0), -1, "token_new refuses a zero-size buffer");

	/* Every character position varies across a few tokens. */
	same = 0;
	for (i = 0; i < 8; i++) {
		token_new(b, sizeof b);
		if (memcmp(a, b, 4) == 0)
			same++;
	}
	ok(same == 0, "the first characters of tokens vary");

	/* token_valid */
	ok(token_valid("abcdefghijklmnopqrstuvwxyz234567", TOKEN_LEN),
	    "the whole alphabet is a valid token");
	ok(!token_valid(a, TOKEN_LEN - 1), "one character short is invalid");
	memcpy(big, a, TOKEN_LEN);
	memcpy(big + TOKEN_LEN, "a", 2);
	ok(!token_valid(big, TOKEN_LEN + 1), "one character long is invalid");
	ok(token_valid(big, TOKEN_LEN), "only the first len bytes are checked");
	ok(!token_valid("", 0), "the empty string is invalid");
	memcpy(bad, a, sizeof bad);
	bad[5] = 'A';
	ok(!token_valid(bad, TOKEN_LEN), "an upper-case letter is invalid");
	bad[5] = '1';
	ok(!token_valid(bad, TOKEN_LEN), "the digit 1 is invalid");
	bad[5] = '8';
	ok(!token_valid(bad, TOKEN_LEN), "the digit 8 is invalid");
	bad[5] = '0';
	ok(!token_valid(bad, TOKEN_LEN), "the digit 0 is invalid");
	bad[5] = '-';
	ok(!token_valid(bad, TOKEN_LEN), "a dash is invalid");
	bad[5] = '/';
	ok(!token_valid(bad, TOKEN_LEN), "a slash is invalid");
	bad[5] = '\0';
	ok(!token_valid(bad, TOKEN_LEN), "an embedded NUL is invalid");
	bad[5] = (char)0xc3;
	ok(!token_valid(bad, TOKEN_LEN), "a non-ASCII byte is invalid");
	memcpy(bad, a, sizeof bad);
	bad[TOKEN_LEN - 1] = '=';
	ok(!token_valid(bad, TOKEN_LEN), "base32 padding is invalid");

	/* token_equal */
	ok(token_equal(a, a), "a token equals itself");
	memcpy(bad, a, sizeof bad);
	ok(token_equal(a, bad), "a token equals a copy of it");
	bad[0] = bad[0] == 'a' ? 'b' : 'a';
	ok(!token_equal(a, bad), "tokens differing in the first character differ");
	memcpy(bad, a, sizeof bad);
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == 'a' ? 'b' : 'a';
	ok(!token_equal(a, bad), "tokens differing in the last character differ");

	/* token_siphash: the test vector of the SipHash paper (appendix A). */
	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	ok(token_siphash(key, msg, 15) == 0xa129ca6149be45e5ULL,
	    "SipHash-2-4 of the paper's vector is a129ca6149be45e5");
	ok(token_siphash(key, msg, 0) == 0x726fdb47dd0e0e31ULL,
	    "SipHash-2-4 of the empty message is 726fdb47dd0e0e31");

	/* token_hash */
	ok(token_hash(a) == token_hash(a), "a token always hashes the same");
	ok(token_hash(a) != token_hash(b), "two tokens hash apart");

	return (done_testing());
}
