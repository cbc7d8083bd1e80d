/*
 * Unit tests for TLS files: a certificate and its key load; a key of
 * another certificate, a missing file, files that are not PEM and the
 * certificate given as key are refused with a cause naming the file; what
 * libmicrohttpd is given with and without a certificate; and the name the
 * listener checks its own certificate by when it connects to itself.
 *
 * The certificates are made for each run with openssl(1), so that no key
 * lives in the source tree.
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "tap.h"
#include "tls.h"
#include "xmalloc.h"

static char	*tmpdir;

/* Return tmpdir/name; caller frees. */
static char *
path_of(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", tmpdir, name);
	return (path);
}

/*
 * Make a self-signed certificate for common name cn and its key under
 * tmpdir, with subject alternative names san (openssl's syntax) if not
 * NULL.
 */
static int
make_cert_for(const char *cert, const char *key, const char *cn,
    const char *san)
{
	char	*cmd;
	int	 ret;

	xasprintf(&cmd, "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -subj /CN=%s -days 1 "
	    "%s%s -keyout '%s/%s' -out '%s/%s' 2>/dev/null", cn,
	    san == NULL ? "" : "-addext subjectAltName=",
	    san == NULL ? "" : san,
	    tmpdir, key, tmpdir, cert);
	ret = system(cmd);
	free(cmd);
	return (ret);
}

/* Make a self-signed certificate for localhost and its key under tmpdir. */
static int
make_cert(const char *cert, const char *key)
{
	return (make_cert_for(cert, key, "localhost", NULL));
}

/* Write text to tmpdir/name. */
static void
write_file(const char *name, const char *text)
{
	char	*path = path_of(name);
	FILE	*f;

	if ((f = fopen(path, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

/*
 * Try to load cert and key (names under tmpdir): tell whether it failed
 * with a cause containing want.
 */
static int
load_fails(const char *cert, const char *key, const char *want)
{
	struct tls	*t;
	char		*cert_path = path_of(cert), *key_path = path_of(key);
	char		*cause = NULL;
	int		 failed;

	t = tls_load(cert_path, key_path, &cause);
	failed = t == NULL && cause != NULL && strstr(cause, want) != NULL;
	if (!failed)
		diag("cause: %s", cause == NULL ? "(none)" : cause);
	tls_free(t);
	free(cause);
	free(cert_path);
	free(key_path);
	return (failed);
}

/* A matching pair loads, and libmicrohttpd gets both PEM texts. */
static void
test_load(void)
{
	struct MHD_OptionItem	 items[TLS_MHD_OPTIONS];
	struct tls		*t;
	char			*cert = path_of("a.pem"), *key = path_of("a.key");
	char			*cause = NULL;

	t = tls_load(cert, key, &cause);
	ok(t != NULL && cause == NULL, "a certificate and its key load");
	is_int(tls_mhd_options(t, items), MHD_USE_TLS,
	    "with them the server uses TLS");
	ok(items[0].option == MHD_OPTION_HTTPS_MEM_CERT &&
	    strstr(items[0].ptr_value, "BEGIN CERTIFICATE") != NULL,
	    "the first option is the certificate's PEM");
	ok(items[1].option == MHD_OPTION_HTTPS_MEM_KEY &&
	    strstr(items[1].ptr_value, "PRIVATE KEY") != NULL,
	    "the second is the key's PEM");
	ok(items[2].option == MHD_OPTION_END, "and the array ends");
	tls_free(t);
	free(cert);
	free(key);

	is_int(tls_mhd_options(NULL, items), 0, "without them, no TLS flag");
	ok(items[0].option == MHD_OPTION_END, "and no options");
	tls_free(NULL);
}

/* Files that will not do are refused, naming the file at fault. */
static void
test_refuse(void)
{
	write_file("garbage", "not a certificate\n");
	write_file("empty", "");

	ok(load_fails("a.pem", "b.key", "does not match"),
	    "the key of another certificate is refused");
	ok(load_fails("missing.pem", "a.key",
	    "cannot read TLS certificate") &&
	    load_fails("missing.pem", "a.key", "missing.pem"),
	    "a missing certificate is refused, naming it");
	ok(load_fails("a.pem", "missing.key", "cannot read TLS key"),
	    "a missing key is refused");
	ok(load_fails("garbage", "a.key", "not a PEM certificate"),
	    "a certificate that is not PEM is refused");
	ok(load_fails("empty", "a.key", "not a PEM certificate"),
	    "an empty certificate file is refused");
	ok(load_fails("a.pem", "garbage", "not an unencrypted PEM private key"),
	    "a key that is not PEM is refused");
	ok(load_fails("a.pem", "a.pem", "not an unencrypted PEM private key"),
	    "the certificate given as key is refused");
	ok(load_fails(".", "a.key", "not a regular file"),
	    "a directory is refused");
}

/*
 * Check the name tls_name gives a certificate for cn and san (made as
 * make_cert_for does) when we connect to host.
 */
static void
name_is(const char *cn, const char *san, const char *host, const char *want)
{
	struct tls	*t = NULL;
	char		*cert = path_of("n.pem"), *key = path_of("n.key");
	char		*cause = NULL, *name = NULL;

	if (make_cert_for("n.pem", "n.key", cn, san) == 0 &&
	    (t = tls_load(cert, key, &cause)) != NULL)
		name = tls_name(t, host);
	ok(name != NULL && strcmp(name, want) == 0,
	    "a certificate for %s (%s) is checked at %s as %s (got %s)", cn,
	    san == NULL ? "no alternative names" : san, host, want,
	    name == NULL ? "none" : name);
	free(name);
	free(cause);
	tls_free(t);
	free(cert);
	free(key);
}

/* The name to check our own certificate by when we connect to ourselves. */
static void
test_name(void)
{
	name_is("localhost", "IP:127.0.0.1,DNS:localhost", "127.0.0.1",
	    "127.0.0.1");
	name_is("localhost", "IP:127.0.0.1,DNS:localhost", "::1", "127.0.0.1");
	name_is("localhost", "DNS:localhost,IP:127.0.0.1", "::1", "localhost");
	name_is("hooks.example.test", "DNS:hooks.example.test", "127.0.0.1",
	    "hooks.example.test");
	name_is("x", "DNS:*.example.test", "127.0.0.1", "fish.example.test");
	name_is("x", "IP:::1", "127.0.0.1", "::1");
	name_is("hooks.example.test", NULL, "127.0.0.1",
	    "hooks.example.test");
	name_is("localhost", NULL, "localhost", "localhost");
}

/* Remove one file or directory (nftw callback). */
static int
remove_one(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return (remove(path));
}

/* Run every case and print the plan. */
int
main(void)
{
	char	 template[] = "/tmp/fish-tls-XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return (1);
	}
	if (make_cert("a.pem", "a.key") != 0 ||
	    make_cert("b.pem", "b.key") != 0) {
		printf("1..0 # SKIP openssl cannot make certificates\n");
		nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
		return (0);
	}
	test_load();
	test_refuse();
	test_name();
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return (done_testing());
}
