/*
 * Unit tests for TLS files: a certificate and its key load; a key of
 * another certificate, a missing file, files that are not PEM and the
 * certificate given as key are refused with a cause naming the file; and
 * what libmicrohttpd is given with and without a certificate.
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

/* Make a self-signed certificate and its key under tmpdir. */
static int
make_cert(const char *cert, const char *key)
{
	char	*cmd;
	int	 ret;

	xasprintf(&cmd, "openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -days 1 "
	    "-keyout '%s/%s' -out '%s/%s' 2>/dev/null", tmpdir, key, tmpdir,
	    cert);
	ret = system(cmd);
	free(cmd);
	return (ret);
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
	nftw(tmpdir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return (done_testing());
}
