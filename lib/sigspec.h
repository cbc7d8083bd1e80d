/*
 * Signature specs: what --verify, --sign, fish sign and fish verify take.
 *
 *	SCHEME:SECRET		the secret as written
 *	SCHEME:@FILE		the contents of FILE (one trailing newline cut)
 *	SCHEME:env:NAME		the value of environment variable NAME
 *
 * SCHEME is "github", "stripe", "standard", or "hmac-sha1:HEADER",
 * "hmac-sha256:HEADER", "hmac-sha512:HEADER" for a generic hex HMAC of the
 * raw body in header HEADER.
 *
 * This module only parses and resolves; it needs no crypto, so the fish
 * client can check a spec (exit 2 on a bad one) and resolve @FILE and
 * env:NAME where the user's working directory and environment are, then
 * hand scheme and secret to the listener.  signature.c does the crypto.
 * The secret is never printed: causes name the scheme, file or variable.
 */
#ifndef SIGSPEC_H
#define SIGSPEC_H

#include <stddef.h>

enum sigspec_scheme {
	SIGSPEC_GITHUB,
	SIGSPEC_STRIPE,
	SIGSPEC_STANDARD,
	SIGSPEC_HMAC,
};

enum sigspec_hash {
	SIGSPEC_SHA1,
	SIGSPEC_SHA256,
	SIGSPEC_SHA512,
};

#define SIGSPEC_HEADER_MAX	128	/* longest HEADER of hmac-*:HEADER */
#define SIGSPEC_ID_MAX		256	/* longest webhook-id fish sign takes */

struct sigspec {
	enum sigspec_scheme	 scheme;
	enum sigspec_hash	 hash;		/* SHA256 but for hmac-sha1/512 */
	char			 header[SIGSPEC_HEADER_MAX + 1]; /* hmac-* only */
	char			*secret;	/* resolved, NUL-terminated */
	size_t			 secret_len;
};

/*
 * Parse and resolve SPEC into *out.  Return 0, or -1 with *cause set to
 * one line saying what is wrong (caller frees).  On success the caller
 * calls sigspec_free.
 */
int	 sigspec_parse(const char *spec, struct sigspec *out, char **cause);

/*
 * Resolve a secret written as @FILE (the file's contents, one trailing
 * newline cut, no NUL byte), env:NAME (the variable's value) or anything
 * else (itself) into an allocated NUL-terminated *secret of *secret_len
 * bytes, and *where, allocated, saying where it came from for a cause
 * (" in file 'F'", " in environment variable 'N'" or "").  Return 0, or
 * -1 with *cause (which names the file or variable, never the secret).
 * The Redis store's password is read with it too (store-url.h).
 */
int	 sigspec_secret_resolve(const char *text, char **secret,
	    size_t *secret_len, char **where, char **cause);

/*
 * Build a spec from a scheme name as sigspec_scheme_name prints it and a
 * secret already resolved (what the listener receives).  Same returns.
 */
int	 sigspec_from_parts(const char *scheme, const char *secret,
	    struct sigspec *out, char **cause);

/* The scheme as written in a spec: "github", "hmac-sha256:X-Sig", ... */
const char *sigspec_scheme_name(const struct sigspec *, char *, size_t);

/*
 * Tell whether a standard webhook-id (fish sign --id) can go in a header
 * and be signed as is: 1 to SIGSPEC_ID_MAX printable characters, no
 * spaces.
 */
int	 sigspec_id_valid(const char *);

/* Wipe and free the secret. */
void	 sigspec_free(struct sigspec *);

#endif
