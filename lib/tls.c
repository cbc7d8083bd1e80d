/*
 * HTTPS for the hooks.  The listener reads the certificate and key files
 * once at start-up and checks them here, with GnuTLS, so that a bad file
 * is refused with a reason naming it (libmicrohttpd would only say that
 * the server did not start).  libmicrohttpd then gets the same PEM text.
 * When the listener sends a request to one of its own hooks (fish
 * replay), tls_name says which name to check its certificate against.
 *
 * The key is a secret: no message quotes its content, and its copy in
 * memory is wiped when freed.
 */
#include "config.h"

#include <sys/stat.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>

#include "tls.h"
#include "xmalloc.h"

/* Far more than any certificate chain or key in PEM. */
#define TLS_FILE_MAX	(1U << 20)

struct tls {
	char	*cert;		/* PEM text, NUL-terminated */
	char	*key;
	size_t	 key_len;
};

/*
 * Read a whole PEM file of what (for messages) into an allocated,
 * NUL-terminated string.  Return it, or NULL with *cause.
 */
static char *
tls_read(const char *path, const char *what, size_t *len, char **cause)
{
	struct stat	 sb;
	char		*text = NULL;
	size_t		 done = 0;
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &sb) == -1)
		goto fail;
	if (!S_ISREG(sb.st_mode) || sb.st_size > TLS_FILE_MAX) {
		xasprintf(cause, "cannot use TLS %s '%s': %s", what, path,
		    S_ISREG(sb.st_mode) ? "too large for a PEM file" :
		    "not a regular file");
		close(fd);
		return (NULL);
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (done < (size_t)sb.st_size) {
		n = read(fd, text + done, (size_t)sb.st_size - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	text[done] = '\0';
	/* libmicrohttpd takes the text as a C string: it must be all of it. */
	if (memchr(text, '\0', done) != NULL) {
		xasprintf(cause, "cannot use TLS %s '%s': not a PEM file (it "
		    "holds a NUL byte)", what, path);
		explicit_bzero(text, done);
		free(text);
		return (NULL);
	}
	*len = done;
	return (text);
fail:
	xasprintf(cause, "cannot read TLS %s '%s': %s", what, path,
	    strerror(errno));
	if (fd != -1)
		close(fd);
	if (text != NULL) {
		explicit_bzero(text, (size_t)sb.st_size);
		free(text);
	}
	return (NULL);
}

/* Tell whether text holds at least one PEM certificate. */
static int
tls_cert_valid(const char *text, size_t len)
{
	gnutls_x509_crt_t	*certs;
	gnutls_datum_t		 data;
	unsigned int		 n, i;

	data.data = (unsigned char *)(uintptr_t)text;
	data.size = (unsigned int)len;
	if (gnutls_x509_crt_list_import2(&certs, &n, &data,
	    GNUTLS_X509_FMT_PEM, 0) < 0)
		return (0);
	for (i = 0; i < n; i++)
		gnutls_x509_crt_deinit(certs[i]);
	gnutls_free(certs);
	return (n > 0);
}

/* Tell whether text holds an unencrypted PEM private key. */
static int
tls_key_valid(const char *text, size_t len)
{
	gnutls_x509_privkey_t	key;
	gnutls_datum_t		data;
	int			error;

	if (gnutls_x509_privkey_init(&key) < 0)
		return (0);
	data.data = (unsigned char *)(uintptr_t)text;
	data.size = (unsigned int)len;
	error = gnutls_x509_privkey_import2(key, &data, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN);
	gnutls_x509_privkey_deinit(key);
	return (error >= 0);
}

/*
 * Tell whether the key belongs to the certificate: GnuTLS checks that when
 * the pair is loaded as a server's credentials.
 */
static int
tls_pair_valid(const struct tls *t)
{
	gnutls_certificate_credentials_t	creds;
	gnutls_datum_t				cert, key;
	int					error;

	if (gnutls_certificate_allocate_credentials(&creds) < 0)
		return (0);
	cert.data = (unsigned char *)t->cert;
	cert.size = (unsigned int)strlen(t->cert);
	key.data = (unsigned char *)t->key;
	key.size = (unsigned int)t->key_len;
	error = gnutls_certificate_set_x509_key_mem2(creds, &cert, &key,
	    GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(creds);
	return (error >= 0);
}

/*
 * Read and check the certificate (chain) at cert_path and its key at
 * key_path.  Return the loaded pair, owned by the caller (tls_free), or
 * NULL with *cause naming the file at fault.
 */
struct tls *
tls_load(const char *cert_path, const char *key_path, char **cause)
{
	struct tls	*t;
	size_t		 cert_len;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		*cause = xstrdup("this libmicrohttpd cannot serve HTTPS (it "
		    "was built without TLS)");
		return (NULL);
	}
	t = xcalloc(1, sizeof *t);
	if ((t->cert = tls_read(cert_path, "certificate", &cert_len,
	    cause)) == NULL)
		goto fail;
	if (!tls_cert_valid(t->cert, cert_len)) {
		xasprintf(cause, "cannot use TLS certificate '%s': not a PEM "
		    "certificate", cert_path);
		goto fail;
	}
	if ((t->key = tls_read(key_path, "key", &t->key_len, cause)) == NULL)
		goto fail;
	if (!tls_key_valid(t->key, t->key_len)) {
		xasprintf(cause, "cannot use TLS key '%s': not an unencrypted "
		    "PEM private key", key_path);
		goto fail;
	}
	if (!tls_pair_valid(t)) {
		xasprintf(cause, "TLS key '%s' does not match certificate '%s'",
		    key_path, cert_path);
		goto fail;
	}
	return (t);
fail:
	tls_free(t);
	return (NULL);
}

/*
 * Fill in the libmicrohttpd options that serve t (an MHD_OPTION_ARRAY of
 * TLS_MHD_OPTIONS items, ending with MHD_OPTION_END) and return the flags
 * to add.  Without t (plain HTTP), the array is empty and the flags 0.
 */
unsigned int
tls_mhd_options(const struct tls *t, struct MHD_OptionItem *items)
{
	memset(items, 0, TLS_MHD_OPTIONS * sizeof *items);
	items[0].option = MHD_OPTION_END;
	if (t == NULL)
		return (0);
	items[0].option = MHD_OPTION_HTTPS_MEM_CERT;
	items[0].ptr_value = t->cert;
	items[1].option = MHD_OPTION_HTTPS_MEM_KEY;
	items[1].ptr_value = t->key;
	items[2].option = MHD_OPTION_END;
	return (MHD_USE_TLS);
}

/*
 * Return a subject alternative name of crt for tls_name: its first DNS
 * name (a wildcard's "*" made a label) or IP address, or NULL.
 */
static char *
tls_alt_name(gnutls_x509_crt_t crt)
{
	char		 buf[256], text[INET6_ADDRSTRLEN], *name;
	size_t		 size;
	unsigned int	 i;
	int		 type;

	for (i = 0;; i++) {
		size = sizeof buf - 1;
		type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &size,
		    NULL);
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			return (NULL);
		buf[size] = '\0';
		if (type == GNUTLS_SAN_DNSNAME && strlen(buf) == size &&
		    size > 0) {
			if (strncmp(buf, "*.", 2) == 0)
				xasprintf(&name, "fish%s", buf + 1);
			else
				name = xstrdup(buf);
			return (name);
		}
		if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16) &&
		    inet_ntop(size == 4 ? AF_INET : AF_INET6, buf, text,
		    sizeof text) != NULL)
			return (xstrdup(text));
	}
}

/*
 * Return a name our certificate (the chain's first) is valid for, by which
 * to check it when we connect to ourselves at host (an address or name):
 * host itself when the certificate covers it, else its first alternative
 * name, else its common name; NULL if it has none.  Caller frees.
 */
char *
tls_name(const struct tls *t, const char *host)
{
	gnutls_x509_crt_t	 crt;
	gnutls_datum_t		 data;
	char			 buf[256], *name = NULL;
	size_t			 size = sizeof buf - 1;

	if (gnutls_x509_crt_init(&crt) < 0)
		return (NULL);
	data.data = (unsigned char *)t->cert;
	data.size = (unsigned int)strlen(t->cert);
	if (gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM) < 0)
		goto out;
	if (gnutls_x509_crt_check_hostname(crt, host)) {
		name = xstrdup(host);
		goto out;
	}
	memset(buf, 0, sizeof buf);
	if ((name = tls_alt_name(crt)) == NULL &&
	    gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, buf, &size) >= 0 && buf[0] != '\0' &&
	    buf[sizeof buf - 1] == '\0')
		name = xstrdup(buf);
out:
	gnutls_x509_crt_deinit(crt);
	return (name);
}

/* Free a loaded pair, wiping the key. */
void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	free(t->cert);
	if (t->key != NULL) {
		explicit_bzero(t->key, t->key_len);
		free(t->key);
	}
	free(t);
}
