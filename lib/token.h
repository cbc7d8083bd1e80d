/*
 * Hook tokens: 160 random bits from the kernel CSPRNG, written in lower-case
 * base32 so they are URL- and shell-safe.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES	20
#define TOKEN_LEN	32

int		token_new(char *, size_t);
int		token_valid(const char *, size_t);
int		token_equal(const char *, const char *);
uint64_t	token_hash(const char *);
uint64_t	token_siphash(const unsigned char *, const void *, size_t);

#endif
