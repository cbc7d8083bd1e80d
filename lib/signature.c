/*
 * Webhook signatures as GitHub, Stripe, Standard Webhooks and the many
 * providers with a plain hex HMAC header document them.
 *
 * Signatures are compared as bytes with gnutls_memcmp, which takes the same
 * time wherever they differ; only lengths, which are public, end a
 * comparison early.  Hex is read in either case.  Timestamps are checked
 * both ways: a timestamp far in the future is as suspicious as an old one.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "base64.h"
#include "hex.h"
#include "signature.h"
#include "xmalloc.h"

#define SIGNATURE_MAC_MAX	64	/* SHA-512 */
#define SIGNATURE_ID_LEN	24	/* random characters after "msg_" */

/* One piece of the signed content. */
struct signature_part {
	const void	*data;
	size_t		 len;
};

/* Return GnuTLS's MAC for a hash. */
static gnutls_mac_algorithm_t
signature_mac(enum sigspec_hash hash)
{
	switch (hash) {
	case SIGSPEC_SHA1:
		return (GNUTLS_MAC_SHA1);
	case SIGSPEC_SHA512:
		return (GNUTLS_MAC_SHA512);
	case SIGSPEC_SHA256:
		break;
	}
	return (GNUTLS_MAC_SHA256);
}

/* Return the name of a hash as prefixes write it: "sha256". */
static const char *
signature_hash_name(enum sigspec_hash hash)
{
	switch (hash) {
	case SIGSPEC_SHA1:
		return ("sha1");
	case SIGSPEC_SHA512:
		return ("sha512");
	case SIGSPEC_SHA256:
		break;
	}
	return ("sha256");
}

/*
 * HMAC the concatenation of parts with key into mac; return its length,
 * or 0 on a GnuTLS failure (which only a broken library gives).
 */
static size_t
signature_hmac(enum sigspec_hash hash, const void *key, size_t keylen,
    const struct signature_part *parts, size_t nparts,
    unsigned char mac[SIGNATURE_MAC_MAX])
{
	gnutls_mac_algorithm_t	 alg = signature_mac(hash);
	gnutls_hmac_hd_t	 h;
	size_t			 i;

	if (gnutls_hmac_init(&h, alg, key, keylen) < 0)
		return (0);
	for (i = 0; i < nparts; i++) {
		if (parts[i].len != 0 &&
		    gnutls_hmac(h, parts[i].data, parts[i].len) < 0) {
			gnutls_hmac_deinit(h, NULL);
			return (0);
		}
	}
	gnutls_hmac_deinit(h, mac);
	return (gnutls_hmac_get_len(alg));
}

/* Decode exactly 2 * len hex digits of s into out; return 0 or -1. */
static int
signature_unhex(const char *s, size_t slen, unsigned char *out, size_t len)
{
	size_t	i;
	int	hi, lo;

	if (slen != 2 * len)
		return (-1);
	for (i = 0; i < len; i++) {
		hi = hex_digit_value(s[2 * i]);
		lo = hex_digit_value(s[2 * i + 1]);
		if (hi == -1 || lo == -1)
			return (-1);
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (0);
}

/*
 * Find the value of the header name, compared case-insensitively.  Return
 * it, or NULL with *reason when the header is absent or appears more than
 * once: which of two values a signature covers would be a guess, and the
 * envelope joins them, so wait would show a value that was not checked.
 * reason may be NULL.
 */
const char *
signature_header(struct json_object *headers, const char *name,
    char **reason)
{
	struct json_object	*pair, *n, *v;
	const char		*value = NULL;
	size_t			 i, count;

	if (headers == NULL || !json_object_is_type(headers, json_type_array))
		count = 0;
	else
		count = json_object_array_length(headers);
	for (i = 0; i < count; i++) {
		pair = json_object_array_get_idx(headers, i);
		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2)
			continue;
		n = json_object_array_get_idx(pair, 0);
		v = json_object_array_get_idx(pair, 1);
		if (!json_object_is_type(n, json_type_string) ||
		    !json_object_is_type(v, json_type_string) ||
		    strcasecmp(json_object_get_string(n), name) != 0)
			continue;
		if (value != NULL) {
			if (reason != NULL)
				xasprintf(reason, "more than one %s header",
				    name);
			return (NULL);
		}
		value = json_object_get_string(v);
	}
	if (value == NULL && reason != NULL)
		xasprintf(reason, "no %s header", name);
	return (value);
}

/* Append a [name, value] pair to headers. */
static void
signature_add(struct json_object *headers, const char *name,
    const char *value)
{
	struct json_object	*pair;

	pair = json_object_new_array();
	json_object_array_add(pair, json_object_new_string(name));
	json_object_array_add(pair, json_object_new_string(value));
	json_object_array_add(headers, pair);
}

/*
 * Parse a unix timestamp as providers write it: decimal digits only.
 * Return 0 or -1.
 */
static int
signature_timestamp(const char *s, size_t len, int64_t *t)
{
	int64_t	v = 0;
	size_t	i;

	if (len == 0 || len > 18)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*t = v;
	return (0);
}

/*
 * Check t against now; return 1 or 0 with *reason.  The distance is taken
 * in unsigned arithmetic, where it cannot overflow whatever now and the
 * tolerance (not negative) are.
 */
static int
signature_fresh(int64_t t, int64_t now, int64_t tolerance, char **reason)
{
	if (t < now && (uint64_t)now - (uint64_t)t > (uint64_t)tolerance) {
		*reason = xstrdup("timestamp too old");
		return (0);
	}
	if (t > now && (uint64_t)t - (uint64_t)now > (uint64_t)tolerance) {
		*reason = xstrdup("timestamp too far in the future");
		return (0);
	}
	return (1);
}

/* Make a fresh "msg_..." id from the random generator. */
static int
signature_new_id(char *out, size_t len)
{
	static const char	alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		rnd[SIGNATURE_ID_LEN];
	size_t			i;

	if (len < 4 + SIGNATURE_ID_LEN + 1 ||
	    gnutls_rnd(GNUTLS_RND_NONCE, rnd, sizeof rnd) < 0)
		return (-1);
	memcpy(out, "msg_", 4);
	/* 248 is a multiple of 62: rejecting above it keeps the odds even. */
	for (i = 0; i < SIGNATURE_ID_LEN; i++) {
		while (rnd[i] >= 248) {
			if (gnutls_rnd(GNUTLS_RND_NONCE, &rnd[i], 1) < 0)
				return (-1);
		}
		out[4 + i] = alphabet[rnd[i] % 62];
	}
	out[4 + SIGNATURE_ID_LEN] = '\0';
	return (0);
}

/* Decode a standard key: base64, after "whsec_" when it has one. */
static int
signature_standard_key(const struct sigspec *spec, unsigned char **key,
    size_t *keylen)
{
	const char	*s = spec->secret;

	if (strncmp(s, "whsec_", 6) == 0)
		s += 6;
	if (base64_decode(s, strlen(s), key, keylen) == -1)
		return (-1);
	if (*keylen == 0) {
		free(*key);
		return (-1);
	}
	return (0);
}

/* Wipe and free a decoded key. */
static void
signature_key_free(unsigned char *key, size_t keylen)
{
	explicit_bzero(key, keylen);
	free(key);
}

/* Say that an HMAC failed (only a broken GnuTLS fails one); return -1. */
static int
signature_hmac_failed(char **cause)
{
	*cause = xstrdup("HMAC failed");
	return (-1);
}

/*
 * Sign body for github or hmac-*: the hex HMAC of the body in one header.
 * Return 0, or -1 with *cause.
 */
static int
signature_sign_hex(const struct sigspec *spec, const void *body, size_t len,
    struct json_object *headers, char **cause)
{
	struct signature_part	 part = { body, len };
	unsigned char		 mac[SIGNATURE_MAC_MAX];
	char			 hex[2 * SIGNATURE_MAC_MAX + 1], *value;
	size_t			 maclen;

	maclen = signature_hmac(spec->hash, spec->secret, spec->secret_len,
	    &part, 1, mac);
	if (maclen == 0)
		return (signature_hmac_failed(cause));
	hex_encode_lower(mac, maclen, hex);
	if (spec->scheme == SIGSPEC_GITHUB) {
		xasprintf(&value, "sha256=%s", hex);
		signature_add(headers, "X-Hub-Signature-256", value);
		free(value);
	} else
		signature_add(headers, spec->header, hex);
	explicit_bzero(mac, sizeof mac);
	return (0);
}

/*
 * Sign body for stripe, at unix time ts: the hex HMAC of "ts.body" in
 * Stripe-Signature beside ts.  Return 0, or -1 with *cause.
 */
static int
signature_sign_stripe(const struct sigspec *spec, const void *body,
    size_t len, const char *ts, struct json_object *headers, char **cause)
{
	struct signature_part	 parts[3];
	unsigned char		 mac[SIGNATURE_MAC_MAX];
	char			 hex[2 * SIGNATURE_MAC_MAX + 1], *value;
	size_t			 maclen;

	parts[0] = (struct signature_part){ ts, strlen(ts) };
	parts[1] = (struct signature_part){ ".", 1 };
	parts[2] = (struct signature_part){ body, len };
	maclen = signature_hmac(spec->hash, spec->secret, spec->secret_len,
	    parts, 3, mac);
	if (maclen == 0)
		return (signature_hmac_failed(cause));
	hex_encode_lower(mac, maclen, hex);
	xasprintf(&value, "t=%s,v1=%s", ts, hex);
	signature_add(headers, "Stripe-Signature", value);
	free(value);
	explicit_bzero(mac, sizeof mac);
	return (0);
}

/*
 * Return the webhook-id to sign with: id once checked, or when it is NULL
 * a fresh one made in newid (size bytes).  NULL with *cause if none.
 */
static const char *
signature_sign_id(const char *id, char *newid, size_t size, char **cause)
{
	if (id == NULL) {
		if (signature_new_id(newid, size) == -1) {
			*cause = xstrdup("cannot make a webhook id: random "
			    "generator failed");
			return (NULL);
		}
		return (newid);
	}
	if (!sigspec_id_valid(id)) {
		*cause = xstrdup("invalid webhook id (use 1 to 256 printable "
		    "characters, no spaces)");
		return (NULL);
	}
	return (id);
}

/*
 * Sign body for standard, as message id (NULL: a fresh one) at unix time
 * ts: webhook-id, webhook-timestamp and the base64 HMAC of "id.ts.body"
 * with the decoded key in webhook-signature.  Return 0, or -1 with *cause.
 */
static int
signature_sign_standard(const struct sigspec *spec, const void *body,
    size_t len, const char *id, const char *ts, struct json_object *headers,
    char **cause)
{
	struct signature_part	 parts[5];
	unsigned char		 mac[SIGNATURE_MAC_MAX], *key = NULL;
	char			 newid[64], *value, *b64;
	size_t			 maclen, keylen = 0;

	if ((id = signature_sign_id(id, newid, sizeof newid, cause)) == NULL)
		return (-1);
	if (signature_standard_key(spec, &key, &keylen) == -1) {
		*cause = xstrdup("standard secret is not whsec_ followed by "
		    "base64");
		return (-1);
	}
	parts[0] = (struct signature_part){ id, strlen(id) };
	parts[1] = (struct signature_part){ ".", 1 };
	parts[2] = (struct signature_part){ ts, strlen(ts) };
	parts[3] = (struct signature_part){ ".", 1 };
	parts[4] = (struct signature_part){ body, len };
	maclen = signature_hmac(spec->hash, key, keylen, parts, 5, mac);
	signature_key_free(key, keylen);
	if (maclen == 0)
		return (signature_hmac_failed(cause));
	b64 = base64_encode(mac, maclen);
	xasprintf(&value, "v1,%s", b64);
	free(b64);
	signature_add(headers, "webhook-id", id);
	signature_add(headers, "webhook-timestamp", ts);
	signature_add(headers, "webhook-signature", value);
	free(value);
	explicit_bzero(mac, sizeof mac);
	return (0);
}

/* Sign body; see signature.h. */
int
signature_sign(const struct sigspec *spec, const void *body, size_t len,
    const char *id, int64_t timestamp, struct json_object *headers,
    char **cause)
{
	char	ts[32];

	*cause = NULL;
	if (timestamp < 0) {
		*cause = xstrdup("timestamp is negative");
		return (-1);
	}
	snprintf(ts, sizeof ts, "%" PRId64, timestamp);
	switch (spec->scheme) {
	case SIGSPEC_GITHUB:
	case SIGSPEC_HMAC:
		return (signature_sign_hex(spec, body, len, headers, cause));
	case SIGSPEC_STRIPE:
		return (signature_sign_stripe(spec, body, len, ts, headers,
		    cause));
	case SIGSPEC_STANDARD:
		return (signature_sign_standard(spec, body, len, id, ts,
		    headers, cause));
	}
	return (0);
}

/* Check a github or hmac-* header; return 1, or 0 with *reason. */
static int
signature_verify_hex(const struct sigspec *spec, struct json_object *headers,
    const void *body, size_t len, char **reason)
{
	struct signature_part	 part = { body, len };
	const char		*name, *value, *prefix;
	unsigned char		 mac[SIGNATURE_MAC_MAX];
	unsigned char		 got[SIGNATURE_MAC_MAX];
	size_t			 maclen, plen, vlen;

	prefix = signature_hash_name(spec->hash);
	plen = strlen(prefix);
	name = spec->scheme == SIGSPEC_GITHUB ? "X-Hub-Signature-256" :
	    spec->header;
	if ((value = signature_header(headers, name, reason)) == NULL)
		return (0);
	value += strspn(value, " \t");
	/* GitHub always writes "sha256="; the generic scheme may. */
	if (strncasecmp(value, prefix, plen) == 0 && value[plen] == '=')
		value += plen + 1;
	else if (spec->scheme == SIGSPEC_GITHUB) {
		xasprintf(reason, "malformed %s header", name);
		return (0);
	}
	maclen = signature_hmac(spec->hash, spec->secret, spec->secret_len,
	    &part, 1, mac);
	if (maclen == 0) {
		*reason = xstrdup("HMAC failed");
		return (0);
	}
	vlen = strlen(value);
	while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	if (signature_unhex(value, vlen, got, maclen) == -1) {
		xasprintf(reason, "malformed %s header", name);
		return (0);
	}
	if (gnutls_memcmp(mac, got, maclen) != 0) {
		*reason = xstrdup("signature does not match");
		return (0);
	}
	return (1);
}

/*
 * Check a Stripe-Signature header: "t=...,v1=...,v1=...,v0=..."; any v1
 * may match, so a rotated secret's signatures may sit beside the new one.
 */
static int
signature_verify_stripe(const struct sigspec *spec,
    struct json_object *headers, const void *body, size_t len, int64_t now,
    int64_t tolerance, char **reason)
{
	struct signature_part	 parts[3];
	const char		*value, *p, *item, *eq;
	unsigned char		 mac[SIGNATURE_MAC_MAX];
	unsigned char		 got[SIGNATURE_MAC_MAX];
	char			 ts[32];
	size_t			 maclen, ilen, tlen = 0;
	int64_t			 t = 0;
	int			 have_t = 0, nv1 = 0, match = 0;

	if ((value = signature_header(headers, "Stripe-Signature",
	    reason)) == NULL)
		return (0);
	/* First pass: the timestamp, which the signatures cover. */
	for (p = value; *p != '\0'; p += ilen + (p[ilen] == ',')) {
		item = p + strspn(p, " \t");
		ilen = strcspn(p, ",");
		if ((eq = memchr(item, '=', ilen - (item - p))) == NULL)
			goto malformed;
		if (eq - item == 1 && item[0] == 't') {
			if (have_t || signature_timestamp(eq + 1,
			    ilen - (eq + 1 - p), &t) == -1)
				goto malformed;
			have_t = 1;
		}
	}
	if (!have_t)
		goto malformed;
	if (!signature_fresh(t, now, tolerance, reason))
		return (0);
	tlen = (size_t)snprintf(ts, sizeof ts, "%" PRId64, t);
	parts[0] = (struct signature_part){ ts, tlen };
	parts[1] = (struct signature_part){ ".", 1 };
	parts[2] = (struct signature_part){ body, len };
	maclen = signature_hmac(spec->hash, spec->secret, spec->secret_len,
	    parts, 3, mac);
	if (maclen == 0) {
		*reason = xstrdup("HMAC failed");
		return (0);
	}
	/* Second pass: every v1; others (v0, test-mode) are ignored. */
	for (p = value; *p != '\0'; p += ilen + (p[ilen] == ',')) {
		item = p + strspn(p, " \t");
		ilen = strcspn(p, ",");
		eq = memchr(item, '=', ilen - (item - p));
		if (eq - item != 2 || strncmp(item, "v1", 2) != 0)
			continue;
		nv1++;
		if (signature_unhex(eq + 1, ilen - (eq + 1 - p), got,
		    maclen) == 0 && gnutls_memcmp(mac, got, maclen) == 0)
			match = 1;
	}
	if (nv1 == 0) {
		*reason = xstrdup("no v1 signature in Stripe-Signature header");
		return (0);
	}
	if (!match) {
		*reason = xstrdup("signature does not match");
		return (0);
	}
	return (1);

malformed:
	*reason = xstrdup("malformed Stripe-Signature header");
	return (0);
}

/*
 * Check Standard Webhooks headers.  webhook-signature is a space-separated
 * list of "version,base64"; any v1 may match.
 */
static int
signature_verify_standard(const struct sigspec *spec,
    struct json_object *headers, const void *body, size_t len, int64_t now,
    int64_t tolerance, char **reason)
{
	static const char	*names[] = {
		"webhook-id", "webhook-timestamp", "webhook-signature"
	};
	struct signature_part	 parts[5];
	const char		*values[3], *p;
	unsigned char		 mac[SIGNATURE_MAC_MAX], *key, *got;
	size_t			 maclen, keylen, gotlen, n, i;
	int64_t			 t;
	int			 nv1 = 0, match = 0;

	for (i = 0; i < 3; i++) {
		if ((values[i] = signature_header(headers, names[i],
		    reason)) == NULL)
			return (0);
	}
	if (signature_timestamp(values[1], strlen(values[1]), &t) == -1) {
		*reason = xstrdup("malformed webhook-timestamp header");
		return (0);
	}
	if (!signature_fresh(t, now, tolerance, reason))
		return (0);
	if (signature_standard_key(spec, &key, &keylen) == -1) {
		*reason = xstrdup("standard secret is not whsec_ followed by"
		    " base64");
		return (0);
	}
	parts[0] = (struct signature_part){ values[0], strlen(values[0]) };
	parts[1] = (struct signature_part){ ".", 1 };
	parts[2] = (struct signature_part){ values[1], strlen(values[1]) };
	parts[3] = (struct signature_part){ ".", 1 };
	parts[4] = (struct signature_part){ body, len };
	maclen = signature_hmac(spec->hash, key, keylen, parts, 5, mac);
	signature_key_free(key, keylen);
	if (maclen == 0) {
		*reason = xstrdup("HMAC failed");
		return (0);
	}
	for (p = values[2]; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n < 3 || strncmp(p, "v1,", 3) != 0)
			continue;
		nv1++;
		if (base64_decode(p + 3, n - 3, &got, &gotlen) == -1)
			continue;
		if (gotlen == maclen && gnutls_memcmp(mac, got, maclen) == 0)
			match = 1;
		free(got);
	}
	if (nv1 == 0) {
		*reason = xstrdup("no v1 signature in webhook-signature"
		    " header");
		return (0);
	}
	if (!match) {
		*reason = xstrdup("signature does not match");
		return (0);
	}
	return (1);
}

/* Check a request's signature; see signature.h. */
int
signature_verify(const struct sigspec *spec, struct json_object *headers,
    const void *body, size_t len, int64_t now, int64_t tolerance,
    char **reason)
{
	*reason = NULL;
	if (tolerance < 0)
		tolerance = 0;
	switch (spec->scheme) {
	case SIGSPEC_GITHUB:
	case SIGSPEC_HMAC:
		return (signature_verify_hex(spec, headers, body, len,
		    reason));
	case SIGSPEC_STRIPE:
		return (signature_verify_stripe(spec, headers, body, len, now,
		    tolerance, reason));
	case SIGSPEC_STANDARD:
		return (signature_verify_standard(spec, headers, body, len,
		    now, tolerance, reason));
	}
	*reason = xstrdup("unknown signature scheme");
	return (0);
}
