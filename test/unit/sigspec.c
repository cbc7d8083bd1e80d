/*
 * Unit tests for sigspec: the schemes and secret forms users write, the
 * specs that must be refused, and causes that never show the secret.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sigspec.h"
#include "tap.h"
#include "xmalloc.h"

/* Check that spec parses to scheme name want with secret want_secret. */
static void
parses(const char *spec, const char *want, const char *want_secret)
{
	struct sigspec	 s;
	char		*cause = NULL, name[256];

	if (sigspec_parse(spec, &s, &cause) != 0) {
		ok(0, "'%s' parses (refused: %s)", spec, cause);
		free(cause);
		return;
	}
	is_str(sigspec_scheme_name(&s, name, sizeof name), want,
	    "scheme name of a spec");
	is_str(s.secret, want_secret, "its secret");
	is_int(s.secret_len, strlen(want_secret), "its secret's length");
	sigspec_free(&s);
	ok(s.secret == NULL && s.secret_len == 0, "sigspec_free clears it");
}

/*
 * Check that spec is refused with a cause holding want and not holding
 * the secret part secret (NULL: nothing to hide).
 */
static void
refuses(const char *spec, const char *want, const char *secret)
{
	struct sigspec	 s;
	char		*cause = NULL;
	int		 r;

	r = sigspec_parse(spec, &s, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, want) != NULL,
	    "'%s' is refused with '%s' (%s)", spec, want,
	    cause ? cause : "no cause");
	if (secret != NULL)
		ok(cause == NULL || strstr(cause, secret) == NULL,
		    "the cause does not show the secret");
	free(cause);
}

int
main(void)
{
	struct sigspec	 s;
	char		 path[] = "/tmp/sigspec-test.XXXXXX";
	char		 empty[] = "/tmp/sigspec-empty.XXXXXX";
	char		*spec, *cause = NULL, name[SIGSPEC_ID_MAX + 2];
	FILE		*f;
	int		 fd;

	/* Every scheme, with a literal secret. */
	parses("github:It's a Secret to Everybody", "github",
	    "It's a Secret to Everybody");
	parses("stripe:whsec_abc", "stripe", "whsec_abc");
	parses("standard:whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "standard",
	    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	parses("standard:MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "standard",
	    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	parses("hmac-sha1:X-Sig:k", "hmac-sha1:X-Sig", "k");
	parses("hmac-sha256:X-Shopify-Hmac:k", "hmac-sha256:X-Shopify-Hmac",
	    "k");
	parses("hmac-sha512:X-Sig:k", "hmac-sha512:X-Sig", "k");
	/* Only the first ':' (second for hmac-*) ends the scheme. */
	parses("github:a:b:c", "github", "a:b:c");
	parses("hmac-sha256:X-Sig:a:b", "hmac-sha256:X-Sig", "a:b");

	/* Secrets from a file: one trailing newline cut, no more. */
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fputs("file secret\n", f);
	fclose(f);
	xasprintf(&spec, "github:@%s", path);
	parses(spec, "github", "file secret");
	free(spec);
	f = fopen(path, "w");
	fputs("two newlines\n\n", f);
	fclose(f);
	xasprintf(&spec, "hmac-sha256:X-Sig:@%s", path);
	parses(spec, "hmac-sha256:X-Sig", "two newlines\n");
	free(spec);
	f = fopen(path, "w");
	fputs("no newline", f);
	fclose(f);
	xasprintf(&spec, "stripe:@%s", path);
	parses(spec, "stripe", "no newline");
	free(spec);
	f = fopen(path, "w");
	fputs("not base64!\n", f);
	fclose(f);
	xasprintf(&spec, "standard:@%s", path);
	refuses(spec, path, "not base64!");
	free(spec);
	unlink(path);
	refuses("github:@/nonexistent/secret", "/nonexistent/secret", NULL);
	refuses("github:@", "missing file name", NULL);
	fd = mkstemp(empty);
	close(fd);
	xasprintf(&spec, "github:@%s", empty);
	refuses(spec, "empty github secret", NULL);
	free(spec);
	f = fopen(empty, "w");
	fputs("\n", f);
	fclose(f);
	xasprintf(&spec, "github:@%s", empty);
	refuses(spec, "empty github secret", NULL);
	free(spec);
	unlink(empty);

	/* Secrets from the environment. */
	setenv("SIGSPEC_TEST_SECRET", "env secret", 1);
	parses("github:env:SIGSPEC_TEST_SECRET", "github", "env secret");
	parses("hmac-sha1:X-Sig:env:SIGSPEC_TEST_SECRET", "hmac-sha1:X-Sig",
	    "env secret");
	unsetenv("SIGSPEC_TEST_UNSET");
	refuses("github:env:SIGSPEC_TEST_UNSET", "SIGSPEC_TEST_UNSET", NULL);
	refuses("github:env:", "missing variable name", NULL);
	setenv("SIGSPEC_TEST_EMPTY", "", 1);
	refuses("stripe:env:SIGSPEC_TEST_EMPTY", "SIGSPEC_TEST_EMPTY", NULL);

	/* Bad specs: never echo what may be a secret. */
	refuses("hunter2", "expected SCHEME:SECRET", "hunter2");
	refuses("gitlab:hunter2", "unknown signature scheme (use github,",
	    "hunter2");
	/* A secret with a colon, its scheme forgotten: its start. */
	refuses("hunter2:x", "unknown signature scheme", "hunter2");
	refuses(":hunter2", "missing signature scheme", "hunter2");
	refuses("github:", "empty github secret", NULL);
	refuses("hmac-sha256:hunter2", "needs a header name", "hunter2");
	refuses("hmac-sha256::hunter2", "needs a header name", "hunter2");
	refuses("hmac-sha256:hun ter2:x", "needs a header name", "hun ter2");
	refuses("hmac-sha256:env:NAME", "needs a header name", NULL);
	refuses("hmac-sha256:X-Sig:", "empty hmac-sha256:X-Sig secret", NULL);
	refuses("hmac-md5:X-Sig:k", "unknown signature scheme", NULL);
	refuses("standard:whsec_not*base64", "not whsec_ followed by base64",
	    "not*base64");
	refuses("standard:whsec_", "empty standard", NULL);

	/* From parts, as the listener receives a resolved spec. */
	ok(sigspec_from_parts("hmac-sha512:X-Sig", "k", &s, &cause) == 0,
	    "sigspec_from_parts takes a scheme name and a secret");
	is_str(sigspec_scheme_name(&s, name, sizeof name), "hmac-sha512:X-Sig",
	    "its scheme name reads back");
	ok(s.scheme == SIGSPEC_HMAC && s.hash == SIGSPEC_SHA512,
	    "its scheme and hash");
	is_str(s.header, "X-Sig", "its header");
	is_str(s.secret, "k", "its secret is taken as is");
	sigspec_free(&s);
	ok(sigspec_from_parts("github", "@not-a-file", &s, &cause) == 0 &&
	    strcmp(s.secret, "@not-a-file") == 0,
	    "sigspec_from_parts does not resolve @FILE");
	sigspec_free(&s);
	ok(sigspec_from_parts("github:x", "k", &s, &cause) == -1 &&
	    cause != NULL, "sigspec_from_parts refuses a scheme with more");
	free(cause);
	cause = NULL;
	ok(sigspec_from_parts("nope", "k", &s, &cause) == -1 &&
	    cause != NULL, "sigspec_from_parts refuses an unknown scheme");
	free(cause);
	cause = NULL;
	ok(sigspec_from_parts("standard", "whsec_!!", &s, &cause) == -1 &&
	    cause != NULL && strstr(cause, "!!") == NULL,
	    "sigspec_from_parts checks a standard key");
	free(cause);

	/* Webhook ids, as fish sign --id and signature_sign check them. */
	memset(name, 'a', sizeof name);
	name[SIGSPEC_ID_MAX] = '\0';
	ok(sigspec_id_valid("msg_p5jXN8AQM9LWM0D4loKWxJek") &&
	    sigspec_id_valid(name), "ids of 1 to 256 printable characters");
	name[SIGSPEC_ID_MAX] = 'a';
	name[SIGSPEC_ID_MAX + 1] = '\0';
	ok(!sigspec_id_valid(name) && !sigspec_id_valid("") &&
	    !sigspec_id_valid("msg 1") && !sigspec_id_valid("msg\t1") &&
	    !sigspec_id_valid("msg\x7f"),
	    "no longer, empty, spaced or control-character id");

	return (done_testing());
}
