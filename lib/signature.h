/*
 * Webhook signatures, byte for byte as the providers document them, with
 * GnuTLS's HMAC and constant-time comparison.  See sigspec.h for the specs.
 *
 *	github		X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>
 *	stripe		Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret,
 *			"t.body")>; several v1 accepted; t older (or newer)
 *			than the tolerance (default 300 s) rejected
 *	standard	webhook-id, webhook-timestamp, webhook-signature:
 *			v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>, a
 *			space-separated list accepted; key = base64 after
 *			"whsec_"; tolerance 300 s both ways
 *	hmac-*:HEADER	HEADER: <hex HMAC(secret, body)>; on verify an
 *			optional "sha256=" style prefix (the hash's name) is
 *			accepted
 *
 * Headers are JSON arrays of [name, value] string pairs, as the listener
 * records a request's headers; names compare case-insensitively.
 * Linked by the listener only: the fish client stays free of GnuTLS.
 */
#ifndef SIGNATURE_H
#define SIGNATURE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "sigspec.h"

#define SIGNATURE_TOLERANCE_S	300	/* default timestamp tolerance */

/*
 * Append to the array headers the [name, value] pairs that sign body.
 * id is standard's webhook-id (NULL: a fresh random "msg_..." one);
 * timestamp is unix seconds for stripe and standard.  Return 0, or -1 with
 * *cause set (caller frees).
 */
int	 signature_sign(const struct sigspec *, const void *body, size_t len,
	    const char *id, int64_t timestamp, struct json_object *headers,
	    char **cause);

/*
 * Check that headers sign body, now being unix seconds and tolerance the
 * largest accepted distance of a timestamp from now, in seconds.  Return
 * 1 when they do; 0 when they do not, with *reason a short phrase for the
 * journal and fish log ("no X-Hub-Signature-256 header", "more than one
 * webhook-id header", "signature does not match", "timestamp too old"...;
 * caller frees); never the secret.
 */
int	 signature_verify(const struct sigspec *, struct json_object *headers,
	    const void *body, size_t len, int64_t now, int64_t tolerance,
	    char **reason);

/*
 * The value of header name in headers (case-insensitive); NULL when it is
 * absent or repeated, with *reason saying which unless reason is NULL.
 */
const char *signature_header(struct json_object *headers, const char *name,
	    char **reason);

#endif
