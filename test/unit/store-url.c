/*
 * Unit tests for store_url_parse and store_url_masked: the three forms,
 * passwords read from the environment and from files, and hostile URLs,
 * whose causes never hold the password.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mask.h"
#include "store-url.h"
#include "tap.h"

/* Check that text parses and shows (masked) as want. */
static void
parses(const char *text, const char *want)
{
	struct store_url	 url;
	char			*cause, *got;

	if (store_url_parse(text, &url, &cause) == -1) {
		ok(0, "%s parses", text);
		diag("%s", cause);
		free(cause);
		return;
	}
	got = store_url_masked(&url);
	is_str(got, want, text);
	ok(!mask_needed(got) || strstr(got, ":" MASK_PASSWORD "@") != NULL,
	    "%s: the masked form hides its password as mask.c does", text);
	free(got);
	store_url_free(&url);
}

/* Check that text is refused with a cause holding want and not secret. */
static void
refused(const char *text, const char *want, const char *secret)
{
	struct store_url	 url;
	char			*cause = NULL, name[80];
	size_t			 i;
	int			 r;

	/* The test's name on one TAP line, control characters as '?'. */
	snprintf(name, sizeof name, "%s", text);
	for (i = 0; name[i] != '\0'; i++) {
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			name[i] = '?';
	}
	r = store_url_parse(text, &url, &cause);
	ok(r == -1 && cause != NULL && strstr(cause, want) != NULL &&
	    strchr(cause, '\n') == NULL &&
	    (secret == NULL || strstr(cause, secret) == NULL),
	    "refused: %s", name);
	if (r == 0)
		store_url_free(&url);
	else if (cause == NULL || strstr(cause, want) == NULL)
		diag("cause: %s", cause == NULL ? "none" : cause);
	free(cause);
}

/* Parse text, which must succeed, into *url. */
static int
parse(const char *text, struct store_url *url)
{
	char	*cause;

	if (store_url_parse(text, url, &cause) == 0)
		return (1);
	diag("%s: %s", text, cause);
	free(cause);
	return (0);
}

/* Parsed to be shown, a password's variable or file is not read. */
static void
test_shown(void)
{
	struct store_url	 url;
	char			*cause, *got;

	if (store_url_parse_shown("redis://fish:env:STORE_URL_TEST_PW@h",
	    &url, &cause) == -1) {
		ok(0, "a URL whose variable is gone parses to be shown");
		diag("%s", cause);
		free(cause);
		return;
	}
	got = store_url_masked(&url);
	is_str(got, "redis://fish:***@h:6379/0", "a URL whose variable is "
	    "gone is shown, masked");
	free(got);
	store_url_free(&url);
}

/* The password and user as parsed, from the URL and elsewhere. */
static void
test_passwords(void)
{
	struct store_url	 url;
	char			 path[] = "/tmp/store-url-XXXXXX";
	char			 at[64];
	FILE			*f;
	int			 fd;

	if (parse("redis://fish:s%40c%3Ar%2Fet@h/2", &url)) {
		is_str(url.user, "fish", "the user is taken");
		is_str(url.password, "s@c:r/et", "percent-escapes decoded");
		is_int(url.db, 2, "the database is taken");
		store_url_free(&url);
	}
	if (parse("redis://:p:w@d@host", &url)) {
		ok(url.user == NULL, "no user: AUTH with the password alone");
		is_str(url.password, "p:w@d",
		    "the password runs to the last @");
		store_url_free(&url);
	}
	setenv("STORE_URL_TEST_PW", "from-env", 1);
	if (parse("redis://fish:env:STORE_URL_TEST_PW@h:7000", &url)) {
		is_str(url.password, "from-env", "env:NAME is read");
		is_int(url.port, 7000, "the port is taken");
		is_str(url.password_env, "STORE_URL_TEST_PW",
		    "and the variable named, for the listener to forget");
		store_url_free(&url);
	}
	if (parse("redis://fish:env%3ASTORE_URL_TEST_PW@h", &url)) {
		is_str(url.password, "env:STORE_URL_TEST_PW",
		    "an escaped env: is a literal password");
		store_url_free(&url);
	}
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return;
	fputs("from-file\n", f);
	fclose(f);
	snprintf(at, sizeof at, "redis://fish:@%s@h", path);
	if (parse(at, &url)) {
		is_str(url.password, "from-file", "@FILE is read, newline cut");
		store_url_free(&url);
	}
	snprintf(at, sizeof at, "unix://fish:@%s@/run/r.sock?db=3", path);
	if (parse(at, &url)) {
		is_str(url.password, "from-file", "unix:// takes @FILE too");
		is_str(url.path, "/run/r.sock", "the path follows the last @/");
		is_int(url.db, 3, "?db= is taken");
		store_url_free(&url);
	}
	unlink(path);
	snprintf(at, sizeof at, "redis://fish:@%s@h", path);
	refused(at, "cannot read the store URL's password from the file", path);
	unsetenv("STORE_URL_TEST_PW");
	refused("redis://fish:env:STORE_URL_TEST_PW@h", "from the environment "
	    "variable", "STORE_URL_TEST_PW");
	/* A password that only looks like a file name is never shown. */
	refused("redis://fish:@Xk9-not-a-file@h", "is written %40",
	    "Xk9-not-a-file");
	setenv("STORE_URL_TEST_PW", "", 1);
	refused("redis://fish:env:STORE_URL_TEST_PW@h", "empty Redis password",
	    NULL);
	unsetenv("STORE_URL_TEST_PW");
	test_shown();
}

/* URLs too long or holding NUL bytes. */
static void
test_hostile(void)
{
	char	*big, *want;
	char	 nul[] = "redis://u:hunter2\0@h";

	big = malloc(STORE_URL_MAX + 64);
	want = malloc(STORE_URL_MAX + 64);
	memcpy(big, "redis://u:", 10);
	memset(big + 10, 'p', STORE_URL_MAX + 40);
	big[STORE_URL_MAX + 48] = '\0';
	memcpy(big + STORE_URL_MAX + 46, "@h", 2);
	refused(big, "longer than 2048 bytes", NULL);
	memcpy(big + STORE_URL_MAX - 2, "@h", 3);
	parses(big, "redis://u:***@h:6379/0");
	memcpy(big, "redis://", 8);
	memset(big + 8, 'h', STORE_URL_HOST_MAX);
	big[8 + STORE_URL_HOST_MAX] = '\0';
	snprintf(want, STORE_URL_MAX + 64, "%s:6379/0", big);
	parses(big, want);
	memcpy(big + 8 + STORE_URL_HOST_MAX, "h", 2);
	refused(big, "host is longer than 253 bytes", NULL);
	memcpy(big, "redis://", 8);
	memset(big + 8, 'u', STORE_URL_USER_MAX + 1);
	memcpy(big + 8 + STORE_URL_USER_MAX + 1, ":pw@h", 6);
	refused(big, "user is longer than 128 bytes", NULL);
	free(want);
	free(big);
	/* A NUL ends the URL as it ends a string: "hunter2" is a port. */
	refused(nul, "bad port", "hunter2");
}

int
main(void)
{
	parses("journal", "journal");
	parses("redis://localhost", "redis://localhost:6379/0");
	parses("redis://127.0.0.1:6380/5", "redis://127.0.0.1:6380/5");
	parses("redis://h/", "redis://h:6379/0");
	parses("redis://[::1]:7000/1", "redis://[::1]:7000/1");
	parses("redis://fish:secret@redis.internal:6379/0",
	    "redis://fish:***@redis.internal:6379/0");
	parses("redis://:secret@h", "redis://:***@h:6379/0");
	parses("redis://a%20b:x@h", "redis://a%20b:***@h:6379/0");
	parses("unix:///run/redis/redis.sock",
	    "unix:///run/redis/redis.sock");
	parses("unix:///tmp/r.sock?db=4", "unix:///tmp/r.sock?db=4");
	parses("unix://fish:pw@/tmp/r.sock", "unix://fish:***@/tmp/r.sock");
	parses("unix:///tmp/a%3Fb.sock", "unix:///tmp/a%3Fb.sock");
	test_passwords();

	refused("", "unknown store", NULL);
	refused("Journal", "unknown store", NULL);
	refused("http://h", "unknown store", NULL);
	refused("rediss://h", "unknown store", NULL);
	refused("hunter2", "unknown store", "hunter2");
	refused("redis://", "no host", NULL);
	refused("redis://:6379", "no host", NULL);
	refused("redis://u:hunter2@:6379", "no host", "hunter2");
	refused("redis://u:hunter2@/0", "no host", "hunter2");
	refused("redis://h:0", "bad port", NULL);
	refused("redis://h:65536", "bad port", NULL);
	refused("redis://h:", "bad port", NULL);
	refused("redis://h:-1", "bad port", NULL);
	refused("redis://h:63 79", "bad port", NULL);
	refused("redis://fish:hunter2", "bad port", "hunter2");
	refused("redis://h/-1", "bad database", NULL);
	refused("redis://h/2147483648", "bad database", NULL);
	refused("redis://h/99999999999", "bad database", NULL);
	refused("redis://h/x", "bad database", NULL);
	refused("redis://h/1/2", "bad database", NULL);
	refused("redis://h?db=1", "character no host name has", NULL);
	refused("redis://h o", "character no host name has", NULL);
	refused("redis://[::1", "closing ']'", NULL);
	refused("redis://[::1]x", "neither :PORT nor /DB", NULL);
	refused("redis://fish@h", "no password", NULL);
	refused("redis://fish:@h", "empty password", NULL);
	refused("redis://u:hun%4ter2@h", "bad percent-escape", "hun");
	refused("redis://u:hunter2%@h", "bad percent-escape", "hunter2");
	refused("redis://u:hunter2%0@h", "bad percent-escape", "hunter2");
	refused("redis://u:hunter2%00@h", "control character or NUL",
	    "hunter2");
	refused("redis://u%00:pw@h", "user holds a control", NULL);
	refused("redis://u:hunter2\n@h", "control character", "hunter2");
	refused("redis://u:@@h", "password from the file it names", NULL);
	refused("redis://u:env:A\nB@h", "control character", NULL);
	refused("redis://u:@/tmp/a\x01b@h", "control character", NULL);
	refused("redis://u:env:@h", "from the environment variable it names", NULL);
	refused("unix://", "not absolute", NULL);
	refused("unix://tmp/r.sock", "not absolute", NULL);
	refused("unix://u:hunter2@tmp/r.sock", "not absolute", "hunter2");
	refused("unix:///tmp/r.sock?db=x", "bad query", NULL);
	refused("unix:///tmp/r.sock?user=x", "bad query", NULL);
	refused("unix:///tmp/r%00.sock", "socket path holds a control", NULL);
	refused("unix:///tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock",
	    "longer than 107 bytes", NULL);
	test_hostile();
	return (done_testing());
}
