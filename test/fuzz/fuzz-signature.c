/*
 * Webhook signature checks (--verify): the input is a secret, a NUL, the
 * body, a NUL, a scheme name, then NUL-separated header names and values
 * in turn, as a request to a hook would carry them.  For each scheme (and
 * the input's own scheme name, if sigspec_from_parts takes it) the headers
 * go through signature_verify, which must answer yes or no with a reason;
 * and what signature_sign makes for the body must verify, but no longer
 * once the body changes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "fuzz.h"
#include "signature.h"
#include "sigspec.h"
#include "xmalloc.h"

#define FUZZ_NOW	1700000000	/* unix seconds, fixed to replay */

static const char *fuzz_schemes[] = {
	"github",
	"stripe",
	"standard",
	"hmac-sha1:X-Signature",
	"hmac-sha256:X-Signature",
	"hmac-sha512:X-Signature",
};

/* Check a spec against the input's headers and against its own signing. */
static void
fuzz_signature(const struct sigspec *spec, struct json_object *headers,
    const char *body, size_t len)
{
	struct json_object	*signed_headers;
	struct sigspec		 again;
	char			*reason = NULL, *cause = NULL, *changed;
	char			 name[SIGSPEC_HEADER_MAX + 32];
	int			 ret;

	/* The name printed reads back as the same scheme. */
	(void)sigspec_scheme_name(spec, name, sizeof name);
	FUZZ_CHECK(sigspec_from_parts(name, spec->secret, &again, &cause) == 0);
	FUZZ_CHECK(again.scheme == spec->scheme && again.hash == spec->hash);
	FUZZ_CHECK(strcmp(again.header, spec->header) == 0);
	sigspec_free(&again);

	ret = signature_verify(spec, headers, body, len, FUZZ_NOW,
	    SIGNATURE_TOLERANCE_S, &reason);
	FUZZ_CHECK(ret == 0 || ret == 1);
	FUZZ_CHECK((ret == 0) == (reason != NULL));
	free(reason);
	reason = NULL;

	signed_headers = json_object_new_array();
	if (signature_sign(spec, body, len, "msg_fuzz", FUZZ_NOW,
	    signed_headers, &cause) == 0) {
		FUZZ_CHECK(signature_verify(spec, signed_headers, body, len,
		    FUZZ_NOW, SIGNATURE_TOLERANCE_S, &reason) == 1);
		changed = xmalloc(len + 1);
		memcpy(changed, body, len);
		changed[len] = 'x';
		FUZZ_CHECK(signature_verify(spec, signed_headers, changed,
		    len + 1, FUZZ_NOW, SIGNATURE_TOLERANCE_S, &reason) == 0);
		free(changed);
		free(reason);
	} else {
		FUZZ_CHECK(cause != NULL);
		free(cause);
	}
	json_object_put(signed_headers);
}

/* Build the headers from the input and check every scheme against them. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	struct json_object	*headers, *pair;
	struct sigspec		 spec;
	const char		*secret, *body;
	size_t			 len, i;
	char			*cause;

	fuzz_split(&in, data, size);
	secret = in.piece[0];
	body = in.n > 1 ? in.piece[1] : "";
	len = in.n > 1 ? in.len[1] : 0;
	headers = json_object_new_array();
	for (i = 3; i + 1 < in.n; i += 2) {
		pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string(in.piece[i]));
		json_object_array_add(pair,
		    json_object_new_string(in.piece[i + 1]));
		json_object_array_add(headers, pair);
	}

	for (i = 0; i <= nitems(fuzz_schemes); i++) {
		cause = NULL;
		if (i == nitems(fuzz_schemes) && in.n <= 2)
			break;
		if (sigspec_from_parts(i < nitems(fuzz_schemes) ?
		    fuzz_schemes[i] : in.piece[2], secret, &spec, &cause) != 0) {
			FUZZ_CHECK(cause != NULL);
			free(cause);
			continue;
		}
		fuzz_signature(&spec, headers, body, len);
		sigspec_free(&spec);
	}
	json_object_put(headers);
	fuzz_free(&in);
	return (0);
}
