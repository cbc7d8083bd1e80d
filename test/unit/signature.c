/*
 * Unit tests for signature_sign and signature_verify: the providers'
 * published examples, round trips, and every way a request can fail.
 *
 * Values not published by a provider were computed independently with
 * Python's hmac module, e.g. for stripe:
 *	python3 -c 'import hmac, hashlib; print(hmac.new(b"whsec_test_secret",
 *	    b"1700000000.{\"id\":\"evt_1\"}", hashlib.sha256).hexdigest())'
 * and for hmac-*: hmac.new(b"key", b"Hello, World!", hashlib.sha1 (sha256,
 * sha512)).hexdigest().
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "signature.h"
#include "sigspec.h"
#include "tap.h"

#define GITHUB_SECRET	"It's a Secret to Everybody"
#define GITHUB_BODY	"Hello, World!"
#define GITHUB_SIG	"sha256=757107ea0eb2509fc211221cce984b8a37570b6d" \
			"7586c22c46f4379c8b043e17"

#define STANDARD_SECRET	"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define STANDARD_ID	"msg_p5jXN8AQM9LWM0D4loKWxJek"
#define STANDARD_TS	1614265330
#define STANDARD_BODY	"{\"test\": 2432232314}"
#define STANDARD_SIG	"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

#define STRIPE_SECRET	"whsec_test_secret"
#define STRIPE_TS	1700000000
#define STRIPE_BODY	"{\"id\":\"evt_1\"}"
#define STRIPE_V1	"248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9f" \
			"b1618b9bf8ea9c9a"

#define HMAC_SHA1	"b688f6f2602474b86713f193726755f0095edc8b"
#define HMAC_SHA256	"7f424e2d0ff6bd5dec626e0102755bafec91c3510f19739a" \
			"4eaec8f3bc3a01a4"
#define HMAC_SHA512	"7b735ac190ebd1432d56f95ae2aea5a04a23128f4c228e29" \
			"9b7a49fb7561de8cc8f4fdf4486dc743dfd07827d617273a" \
			"ab42b3bf819d243ded322fac167419f1"

/* Parse a spec the test knows to be good. */
static void
spec_of(const char *text, struct sigspec *s)
{
	char	*cause;

	if (sigspec_parse(text, s, &cause) != 0) {
		printf("Bail out! %s: %s\n", text, cause);
		exit(1);
	}
}

/* Return the value of header name in headers, or NULL. */
static const char *
header_of(struct json_object *headers, const char *name)
{
	struct json_object	*pair;
	size_t			 i;

	for (i = 0; i < json_object_array_length(headers); i++) {
		pair = json_object_array_get_idx(headers, i);
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(pair, 0)), name) == 0)
			return (json_object_get_string(
			    json_object_array_get_idx(pair, 1)));
	}
	return (NULL);
}

/* Return headers made of name/value pairs, NULL-terminated. */
static struct json_object *
headers_of(const char *name, ...)
{
	struct json_object	*headers, *pair;
	va_list			 ap;
	const char		*value;

	headers = json_object_new_array();
	va_start(ap, name);
	for (; name != NULL; name = va_arg(ap, const char *)) {
		value = va_arg(ap, const char *);
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(name));
		json_object_array_add(pair, json_object_new_string(value));
		json_object_array_add(headers, pair);
	}
	va_end(ap);
	return (headers);
}

/*
 * Check that headers sign body (want_reason NULL) or fail with want_reason,
 * at time now with the default tolerance; free headers.
 */
static void
verifies(const char *spectext, struct json_object *headers, const char *body,
    int64_t now, const char *want_reason, const char *name)
{
	struct sigspec	 s;
	char		*reason = NULL;
	int		 r;

	spec_of(spectext, &s);
	r = signature_verify(&s, headers, body, strlen(body), now,
	    SIGNATURE_TOLERANCE_S, &reason);
	if (want_reason == NULL)
		ok(r == 1 && reason == NULL, "%s (%s)", name,
		    reason ? reason : "verified");
	else {
		ok(r == 0, "%s is refused", name);
		is_str(reason, want_reason, "  because");
	}
	free(reason);
	sigspec_free(&s);
	json_object_put(headers);
}

/* Sign body with spec at ts and return the headers (caller puts). */
static struct json_object *
signed_headers(const char *spectext, const char *body, const char *id,
    int64_t ts)
{
	struct json_object	*headers = json_object_new_array();
	struct sigspec		 s;
	char			*cause = NULL;

	spec_of(spectext, &s);
	if (signature_sign(&s, body, strlen(body), id, ts, headers,
	    &cause) != 0) {
		printf("Bail out! signing with %s: %s\n", spectext, cause);
		exit(1);
	}
	sigspec_free(&s);
	return (headers);
}

/* The published examples, through signature_sign. */
static void
test_published(void)
{
	struct json_object	*h;

	h = signed_headers("github:" GITHUB_SECRET, GITHUB_BODY, NULL, 0);
	is_int(json_object_array_length(h), 1, "github signs one header");
	is_str(header_of(h, "X-Hub-Signature-256"), GITHUB_SIG,
	    "github: GitHub's documented example");
	json_object_put(h);

	h = signed_headers("standard:" STANDARD_SECRET, STANDARD_BODY,
	    STANDARD_ID, STANDARD_TS);
	is_int(json_object_array_length(h), 3, "standard signs 3 headers");
	is_str(header_of(h, "webhook-id"), STANDARD_ID, "standard: its id");
	is_str(header_of(h, "webhook-timestamp"), "1614265330",
	    "standard: its timestamp");
	is_str(header_of(h, "webhook-signature"), STANDARD_SIG,
	    "standard: the Standard Webhooks specification's example");
	json_object_put(h);

	h = signed_headers("stripe:" STRIPE_SECRET, STRIPE_BODY, NULL,
	    STRIPE_TS);
	is_str(header_of(h, "Stripe-Signature"), "t=1700000000,v1=" STRIPE_V1,
	    "stripe: t and v1 over \"t.body\" keyed by the whole secret");
	json_object_put(h);

	h = signed_headers("hmac-sha1:X-Sig:key", GITHUB_BODY, NULL, 0);
	is_str(header_of(h, "X-Sig"), HMAC_SHA1, "hmac-sha1: plain hex");
	json_object_put(h);
	h = signed_headers("hmac-sha256:X-Sig:key", GITHUB_BODY, NULL, 0);
	is_str(header_of(h, "X-Sig"), HMAC_SHA256, "hmac-sha256: plain hex");
	json_object_put(h);
	h = signed_headers("hmac-sha512:X-Sig:key", GITHUB_BODY, NULL, 0);
	is_str(header_of(h, "X-Sig"), HMAC_SHA512, "hmac-sha512: plain hex");
	json_object_put(h);
}

/* The published examples, through signature_verify. */
static void
test_verify_published(void)
{
	verifies("github:" GITHUB_SECRET,
	    headers_of("X-Hub-Signature-256", GITHUB_SIG, NULL), GITHUB_BODY,
	    0, NULL, "github: GitHub's example verifies");
	verifies("github:" GITHUB_SECRET,
	    headers_of("x-hub-signature-256", GITHUB_SIG, NULL), GITHUB_BODY,
	    0, NULL, "github: header names are case-insensitive");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", "webhook-signature", STANDARD_SIG, NULL),
	    STANDARD_BODY, STANDARD_TS + 10, NULL,
	    "standard: the specification's example verifies");
	verifies("stripe:" STRIPE_SECRET,
	    headers_of("Stripe-Signature", "t=1700000000,v1=" STRIPE_V1,
	    NULL), STRIPE_BODY, STRIPE_TS, NULL, "stripe: a v1 verifies");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", HMAC_SHA256, NULL), GITHUB_BODY, 0, NULL,
	    "hmac-sha256: plain hex verifies");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", "sha256=" HMAC_SHA256, NULL), GITHUB_BODY, 0,
	    NULL, "hmac-sha256: a sha256= prefix is accepted");
	verifies("hmac-sha1:X-Sig:key",
	    headers_of("X-Sig", "sha1=" HMAC_SHA1, NULL), GITHUB_BODY, 0,
	    NULL, "hmac-sha1: a sha1= prefix is accepted");
	verifies("hmac-sha512:X-Sig:key",
	    headers_of("X-Sig", HMAC_SHA512, NULL), GITHUB_BODY, 0, NULL,
	    "hmac-sha512: plain hex verifies");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", "7F424E2D0FF6BD5DEC626E0102755BAFEC91C351"
	    "0F19739A4EAEC8F3BC3A01A4", NULL), GITHUB_BODY, 0, NULL,
	    "hmac-sha256: upper-case hex is accepted");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", "sha1=" HMAC_SHA256, NULL), GITHUB_BODY, 0,
	    "malformed X-Sig header",
	    "hmac-sha256: another hash's prefix");
}

/* Sign and verify with every scheme, and tamper with each part. */
static void
test_round_trips(void)
{
	static const char	*specs[] = {
		"github:s3cret", "stripe:whsec_s3cret",
		("standard:" STANDARD_SECRET), "hmac-sha1:X-Sig:s3cret",
		"hmac-sha256:X-Sig:s3cret", "hmac-sha512:X-Sig:s3cret",
	};
	static const char	*wrong[] = {
		"github:other", "stripe:whsec_other",
		"standard:whsec_b3RoZXI=", "hmac-sha1:X-Sig:other",
		"hmac-sha256:X-Sig:other", "hmac-sha512:X-Sig:other",
	};
	struct json_object	*h;
	size_t			 i;
	char			 name[128];

	for (i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		h = signed_headers(specs[i], "{\"n\":1}", NULL, 1000000);
		snprintf(name, sizeof name, "%s: round trip", specs[i]);
		verifies(specs[i], json_object_get(h), "{\"n\":1}", 1000000,
		    NULL, name);
		snprintf(name, sizeof name, "%s: a tampered body", specs[i]);
		verifies(specs[i], json_object_get(h), "{\"n\":2}", 1000000,
		    "signature does not match", name);
		snprintf(name, sizeof name, "%s: a wrong secret", specs[i]);
		verifies(wrong[i], json_object_get(h), "{\"n\":1}", 1000000,
		    "signature does not match", name);
		snprintf(name, sizeof name, "%s: no headers", specs[i]);
		verifies(specs[i], json_object_new_array(), "{\"n\":1}",
		    1000000, strncmp(specs[i], "github", 6) == 0 ?
		    "no X-Hub-Signature-256 header" :
		    strncmp(specs[i], "stripe", 6) == 0 ?
		    "no Stripe-Signature header" :
		    strncmp(specs[i], "standard", 8) == 0 ?
		    "no webhook-id header" : "no X-Sig header", name);
		json_object_put(h);
	}
	h = signed_headers("github:s", "", NULL, 0);
	verifies("github:s", h, "", 0, NULL, "github: an empty body");
	h = signed_headers("standard:" STANDARD_SECRET, "x", NULL, 5);
	ok(strncmp(header_of(h, "webhook-id"), "msg_", 4) == 0 &&
	    strlen(header_of(h, "webhook-id")) == 28,
	    "standard: a fresh id is msg_ and 24 characters");
	json_object_put(h);
}

/* Timestamps: the tolerance both ways, for stripe and standard. */
static void
test_tolerance(void)
{
	struct json_object	*h;
	struct sigspec		 s;
	char			*reason = NULL;

	h = signed_headers("stripe:" STRIPE_SECRET, "b", NULL, 1000);
	verifies("stripe:" STRIPE_SECRET, json_object_get(h), "b", 1300, NULL,
	    "stripe: 300 s old is accepted");
	verifies("stripe:" STRIPE_SECRET, json_object_get(h), "b", 1301,
	    "timestamp too old", "stripe: 301 s old");
	verifies("stripe:" STRIPE_SECRET, json_object_get(h), "b", 700, NULL,
	    "stripe: 300 s ahead is accepted");
	verifies("stripe:" STRIPE_SECRET, json_object_get(h), "b", 699,
	    "timestamp too far in the future", "stripe: 301 s ahead");
	spec_of("stripe:" STRIPE_SECRET, &s);
	ok(signature_verify(&s, h, "b", 1, 4000, 3000, &reason) == 1,
	    "stripe: a larger tolerance accepts older timestamps");
	ok(signature_verify(&s, h, "b", 1, 1001, 0, &reason) == 0 &&
	    strcmp(reason, "timestamp too old") == 0,
	    "stripe: a zero tolerance wants the very second");
	free(reason);
	reason = NULL;
	ok(signature_verify(&s, h, "b", 1, 1000, INT64_MAX, &reason) == 1,
	    "stripe: the largest tolerance accepts a fresh timestamp");
	free(reason);
	reason = NULL;
	ok(signature_verify(&s, h, "b", 1, INT64_MIN, 300, &reason) == 0 &&
	    strcmp(reason, "timestamp too far in the future") == 0,
	    "stripe: the earliest now finds every timestamp in the future");
	free(reason);
	reason = NULL;
	ok(signature_verify(&s, h, "b", 1, INT64_MAX, INT64_MAX - 2000,
	    &reason) == 0 && strcmp(reason, "timestamp too old") == 0,
	    "stripe: the latest now, with a tolerance just short of t");
	free(reason);
	sigspec_free(&s);
	json_object_put(h);

	h = signed_headers("standard:" STANDARD_SECRET, "b", "msg_1", 1000);
	verifies("standard:" STANDARD_SECRET, json_object_get(h), "b", 1300,
	    NULL, "standard: 300 s old is accepted");
	verifies("standard:" STANDARD_SECRET, json_object_get(h), "b", 1301,
	    "timestamp too old", "standard: 301 s old");
	verifies("standard:" STANDARD_SECRET, json_object_get(h), "b", 699,
	    "timestamp too far in the future", "standard: 301 s ahead");
	json_object_put(h);
}

/* Several signatures, one valid: rotated secrets. */
static void
test_rotation(void)
{
	verifies("stripe:" STRIPE_SECRET,
	    headers_of("Stripe-Signature", "t=1700000000,v1=" HMAC_SHA256
	    ",v1=" STRIPE_V1 ",v0=6ffbb59b2300aae63f27240606", NULL),
	    STRIPE_BODY, STRIPE_TS, NULL,
	    "stripe: one good v1 among several is enough");
	verifies("stripe:" STRIPE_SECRET,
	    headers_of("Stripe-Signature", "t=1700000000, v1=" HMAC_SHA256
	    ", v1=" HMAC_SHA256, NULL), STRIPE_BODY, STRIPE_TS,
	    "signature does not match", "stripe: several v1, none good");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", "webhook-signature",
	    "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
	    "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJa"
	    "A7AZdpXwVLPo3mNl8EM+m7TBAg== " STANDARD_SIG, NULL),
	    STANDARD_BODY, STANDARD_TS, NULL,
	    "standard: one good v1 in a space-separated list is enough");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", "webhook-signature",
	    "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "
	    "v1,bm90IGEgc2lnbmF0dXJl", NULL), STANDARD_BODY, STANDARD_TS,
	    "signature does not match", "standard: several v1, none good");
}

/* Missing and malformed headers. */
static void
test_malformed(void)
{
	static const char	*stripe_bad[] = {
		"v1=" STRIPE_V1, "t=abc,v1=" STRIPE_V1, "t=1700000000,,v1=x",
		"t=1700000000,t=1700000000,v1=" STRIPE_V1, "garbage",
		"t=-5,v1=" STRIPE_V1, "",
		/* No sign, no blank, no more than 18 digits: no overflow. */
		"t=+1700000000,v1=" STRIPE_V1, "t= 1700000000,v1=" STRIPE_V1,
		"t=1700000000 ,v1=" STRIPE_V1,
		"t=99999999999999999999,v1=" STRIPE_V1,
		"t=1700000000000000000,v1=" STRIPE_V1, "t=,v1=" STRIPE_V1,
		"t=1700000000,v1", ",t=1700000000",
	};
	size_t	i;
	char	name[128];

	verifies("github:" GITHUB_SECRET,
	    headers_of("X-Hub-Signature-256", &GITHUB_SIG[7], NULL),
	    GITHUB_BODY, 0, "malformed X-Hub-Signature-256 header",
	    "github: hex without sha256=");
	verifies("github:" GITHUB_SECRET,
	    headers_of("X-Hub-Signature-256", "sha256=zz", NULL),
	    GITHUB_BODY, 0, "malformed X-Hub-Signature-256 header",
	    "github: short hex");
	verifies("github:" GITHUB_SECRET,
	    headers_of("X-Hub-Signature", "sha1=abc", NULL), GITHUB_BODY, 0,
	    "no X-Hub-Signature-256 header", "github: only the SHA-1 header");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", HMAC_SHA256 "00", NULL), GITHUB_BODY, 0,
	    "malformed X-Sig header", "hmac-sha256: too long hex");
	for (i = 0; i < sizeof stripe_bad / sizeof stripe_bad[0]; i++) {
		snprintf(name, sizeof name, "stripe: '%.40s'", stripe_bad[i]);
		verifies("stripe:" STRIPE_SECRET,
		    headers_of("Stripe-Signature", stripe_bad[i], NULL),
		    STRIPE_BODY, STRIPE_TS, "malformed Stripe-Signature header",
		    name);
	}
	verifies("stripe:" STRIPE_SECRET,
	    headers_of("Stripe-Signature", "t=1700000000,v0=" STRIPE_V1,
	    NULL), STRIPE_BODY, STRIPE_TS,
	    "no v1 signature in Stripe-Signature header", "stripe: only v0");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-signature",
	    STANDARD_SIG, NULL), STANDARD_BODY, STANDARD_TS,
	    "no webhook-timestamp header", "standard: no timestamp");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", NULL), STANDARD_BODY, STANDARD_TS,
	    "no webhook-signature header", "standard: no signature");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "16142653x", "webhook-signature", STANDARD_SIG, NULL),
	    STANDARD_BODY, STANDARD_TS, "malformed webhook-timestamp header",
	    "standard: a timestamp that is no number");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "+1614265330", "webhook-signature", STANDARD_SIG, NULL),
	    STANDARD_BODY, STANDARD_TS, "malformed webhook-timestamp header",
	    "standard: a timestamp with a sign");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "99999999999999999999", "webhook-signature", STANDARD_SIG, NULL),
	    STANDARD_BODY, STANDARD_TS, "malformed webhook-timestamp header",
	    "standard: a timestamp beyond 64 bits");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", "webhook-signature", "v2,abc", NULL),
	    STANDARD_BODY, STANDARD_TS,
	    "no v1 signature in webhook-signature header",
	    "standard: no v1 signature");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-timestamp",
	    "1614265330", "webhook-signature", "v1,!!notbase64", NULL),
	    STANDARD_BODY, STANDARD_TS, "signature does not match",
	    "standard: a v1 that is not base64");
}

/*
 * A signature header, or a signed one, sent twice: which value was checked
 * would be a guess, and wait shows the two joined, so both are refused.
 */
static void
test_duplicates(void)
{
	verifies("github:" GITHUB_SECRET,
	    headers_of("X-Hub-Signature-256", GITHUB_SIG,
	    "x-hub-signature-256", "sha256=00", NULL), GITHUB_BODY, 0,
	    "more than one X-Hub-Signature-256 header",
	    "github: the signature header twice");
	verifies("stripe:" STRIPE_SECRET,
	    headers_of("Stripe-Signature", "t=1700000000,v1=" STRIPE_V1,
	    "Stripe-Signature", "t=1700000000,v1=" STRIPE_V1, NULL),
	    STRIPE_BODY, STRIPE_TS, "more than one Stripe-Signature header",
	    "stripe: the signature header twice");
	verifies("standard:" STANDARD_SECRET,
	    headers_of("webhook-id", STANDARD_ID, "webhook-id", "msg_other",
	    "webhook-timestamp", "1614265330", "webhook-signature",
	    STANDARD_SIG, NULL), STANDARD_BODY, STANDARD_TS,
	    "more than one webhook-id header", "standard: the id twice");
	verifies("hmac-sha256:X-Sig:key",
	    headers_of("X-Sig", HMAC_SHA256, "X-SIG", HMAC_SHA256, NULL),
	    GITHUB_BODY, 0, "more than one X-Sig header",
	    "hmac-sha256: the header twice");
}

/* Sign's refusals. */
static void
test_sign_refusals(void)
{
	struct json_object	*h = json_object_new_array();
	struct sigspec		 s;
	char			*cause = NULL;

	spec_of("standard:" STANDARD_SECRET, &s);
	ok(signature_sign(&s, "b", 1, "bad id", 1, h, &cause) == -1 &&
	    cause != NULL && strstr(cause, "invalid webhook id") != NULL,
	    "standard: an id with a space is refused");
	free(cause);
	cause = NULL;
	ok(signature_sign(&s, "b", 1, NULL, -1, h, &cause) == -1 &&
	    cause != NULL, "a negative timestamp is refused");
	free(cause);
	is_int(json_object_array_length(h), 0, "refusals add no header");
	sigspec_free(&s);
	json_object_put(h);
}

int
main(void)
{
	test_published();
	test_verify_published();
	test_round_trips();
	test_tolerance();
	test_rotation();
	test_malformed();
	test_duplicates();
	test_sign_refusals();
	return (done_testing());
}
