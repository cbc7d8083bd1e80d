/*
 * Store URLs (store-url.h): journal, redis://... and unix://...
 *
 * The URL may carry a password, so no cause echoes the URL or a piece of
 * its authority: "redis://user:secret" (the '@' and host forgotten) would
 * otherwise show "secret" as a bad port.  Causes say which part was wrong
 * and, for a password read from elsewhere, the file or variable.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "hex.h"
#include "mask.h"
#include "sigspec.h"
#include "store-url.h"
#include "xmalloc.h"

#define STORE_URL_USAGE \
	"use journal, redis://[USER[:PASSWORD]@]HOST[:PORT][/DB] or" \
	" unix://[USER[:PASSWORD]@]/PATH[?db=DB]"

/*
 * Decode the percent-escapes of the len bytes at s into an allocated
 * string (*out); what names the part for a cause.  A decoded NUL or
 * control character is refused: none belongs in a user, password or path.
 */
static int
store_url_decode(const char *s, size_t len, char **out, const char *what,
    char **cause)
{
	char	*d;
	size_t	 i, n = 0;
	int	 hi, lo;

	d = xmalloc(len + 1);
	for (i = 0; i < len; i++) {
		if (s[i] != '%') {
			d[n] = s[i];
		} else {
			if (i + 2 >= len)
				goto bad;
			if ((hi = hex_digit_value(s[i + 1])) == -1 ||
			    (lo = hex_digit_value(s[i + 2])) == -1)
				goto bad;
			d[n] = (char)(hi << 4 | lo);
			i += 2;
		}
		if ((unsigned char)d[n] < 0x20 || d[n] == 0x7f) {
			xasprintf(cause, "the store URL's %s holds a control"
			    " character or NUL", what);
			goto fail;
		}
		n++;
	}
	d[n] = '\0';
	*out = d;
	return (0);

bad:
	xasprintf(cause, "bad percent-escape in the store URL's %s", what);
fail:
	explicit_bzero(d, len + 1);
	free(d);
	return (-1);
}

/* Parse a decimal number of 1 to 10 digits in [min, max]; -1 if not. */
static long
store_url_number(const char *s, size_t len, long min, long max)
{
	long	v = 0;
	size_t	i;

	if (len == 0 || len > 10)
		return (-1);
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v < min || v > max ? -1 : v);
}

/*
 * Parse the user information (len bytes at s): USER, USER:PASSWORD or
 * :PASSWORD.  The password's env:NAME and @FILE forms are recognised
 * before decoding, so that an escaped "%40" is a literal '@'; they are
 * read if resolve, else the password is left empty.
 */
static int
store_url_userinfo(const char *s, size_t len, struct store_url *out,
    int resolve, char **cause)
{
	const char	*colon;
	char		*raw = NULL, *where = NULL, *literal;
	size_t		 plen, i;
	int		 r = -1;

	colon = memchr(s, ':', len);
	if (colon == NULL) {
		*cause = xstrdup("the store URL has a user but no password:"
		    " write USER:PASSWORD@");
		return (-1);
	}
	if (colon > s && store_url_decode(s, (size_t)(colon - s), &out->user,
	    "user", cause) == -1)
		return (-1);
	if (out->user != NULL && strlen(out->user) > STORE_URL_USER_MAX) {
		xasprintf(cause, "the store URL's user is longer than %d bytes",
		    STORE_URL_USER_MAX);
		return (-1);
	}
	plen = len - (size_t)(colon + 1 - s);
	if (plen == 0) {
		*cause = xstrdup("the store URL has an empty password");
		return (-1);
	}
	raw = xmalloc(plen + 1);
	memcpy(raw, colon + 1, plen);
	raw[plen] = '\0';
	/* Refused before a cause could name a file or variable holding one. */
	for (i = 0; i < plen; i++) {
		if ((unsigned char)raw[i] < 0x20 || raw[i] == 0x7f) {
			*cause = xstrdup("the store URL's password holds a"
			    " control character or NUL");
			goto fail;
		}
	}
	if (!resolve && (raw[0] == '@' || strncmp(raw, "env:", 4) == 0))
		out->password = xstrdup("");
	else if (raw[0] == '@' || strncmp(raw, "env:", 4) == 0) {
		if (sigspec_secret_resolve(raw, &out->password,
		    &out->password_len, &where, cause) == -1) {
			/*
			 * Its cause names the file or variable, which may
			 * be a password that only looks like one.
			 */
			free(*cause);
			xasprintf(cause, "cannot read the store URL's "
			    "password from the %s it names (a password "
			    "starting with %s is written %s)", raw[0] == '@' ?
			    "file" : "environment variable", raw[0] == '@' ?
			    "@" : "env:", raw[0] == '@' ? "%40" : "env%3A");
			goto fail;
		}
		if (out->password_len == 0) {
			xasprintf(cause, "empty Redis password%s", where);
			goto fail;
		}
		if (raw[0] != '@')
			out->password_env = xstrdup(raw + 4);
	} else {
		if (store_url_decode(raw, plen, &literal, "password",
		    cause) == -1)
			goto fail;
		out->password = literal;
		out->password_len = strlen(literal);
		if (out->password_len == 0) {
			*cause = xstrdup("the store URL has an empty password");
			goto fail;
		}
	}
	r = 0;

fail:
	free(where);
	explicit_bzero(raw, plen + 1);
	free(raw);
	return (r);
}

/* Tell whether c may be in a host name or an IP address. */
static int
store_url_host_char(char c, int bracketed)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.')
		return (1);
	return (bracketed ? c == ':' : c == '_');
}

/* Parse HOST[:PORT][/DB] of a redis:// URL (len bytes at s). */
static int
store_url_tcp(const char *s, size_t len, struct store_url *out,
    char **cause)
{
	const char	*end = s + len, *host = s, *hend, *p, *c;
	long		 v;
	int		 bracketed = 0;

	if (len > 0 && *s == '[') {
		bracketed = 1;
		host = s + 1;
		if ((hend = memchr(host, ']', (size_t)(end - host))) == NULL) {
			*cause = xstrdup("the store URL's IPv6 address has no"
			    " closing ']'");
			return (-1);
		}
		p = hend + 1;
	} else {
		for (hend = s; hend < end && *hend != ':' && *hend != '/';
		    hend++)
			;
		p = hend;
	}
	if (hend == host) {
		*cause = xstrdup("the store URL has no host");
		return (-1);
	}
	for (c = host; c < hend; c++) {
		if (!store_url_host_char(*c, bracketed)) {
			*cause = xstrdup("the store URL's host holds a"
			    " character no host name has");
			return (-1);
		}
	}
	if (hend - host > STORE_URL_HOST_MAX) {
		xasprintf(cause, "the store URL's host is longer than %d bytes",
		    STORE_URL_HOST_MAX);
		return (-1);
	}
	out->host = xstrndup(host, (size_t)(hend - host));
	out->port = STORE_URL_PORT;
	if (p < end && *p == ':') {
		c = ++p;
		while (p < end && *p != '/')
			p++;
		if ((v = store_url_number(c, (size_t)(p - c), 1,
		    65535)) == -1) {
			*cause = xstrdup("bad port in the store URL (1 to"
			    " 65535)");
			return (-1);
		}
		out->port = (int)v;
	}
	if (p < end && *p == '/') {
		p++;
		if (p < end && (v = store_url_number(p, (size_t)(end - p), 0,
		    STORE_URL_DB_MAX)) == -1) {
			*cause = xstrdup("bad database in the store URL"
			    " (a number, 0 or more)");
			return (-1);
		}
		out->db = p < end ? (int)v : 0;
		p = end;
	}
	if (p != end) {
		*cause = xstrdup("the store URL has something after its host"
		    " that is neither :PORT nor /DB");
		return (-1);
	}
	return (0);
}

/* Parse /PATH[?db=DB] of a unix:// URL (len bytes at s). */
static int
store_url_unix(const char *s, size_t len, struct store_url *out,
    char **cause)
{
	const char	*q;
	long		 v;

	if (len == 0 || *s != '/') {
		*cause = xstrdup("the store URL's socket path is not absolute:"
		    " write unix:///PATH");
		return (-1);
	}
	if ((q = memchr(s, '?', len)) != NULL) {
		if (strncmp(q, "?db=", 4) != 0 || (v = store_url_number(q + 4,
		    (size_t)(s + len - q - 4), 0, STORE_URL_DB_MAX)) == -1) {
			*cause = xstrdup("bad query in the store URL: only"
			    " ?db=DB (a number, 0 or more)");
			return (-1);
		}
		out->db = (int)v;
		len = (size_t)(q - s);
	}
	if (store_url_decode(s, len, &out->path, "socket path", cause) == -1)
		return (-1);
	if (strlen(out->path) > STORE_URL_PATH_MAX) {
		xasprintf(cause, "the store URL's socket path is longer than"
		    " %d bytes", STORE_URL_PATH_MAX);
		return (-1);
	}
	return (0);
}

/* Return the last occurrence of needle in the len bytes at s, or NULL. */
static const char *
store_url_last(const char *s, size_t len, const char *needle)
{
	size_t	n = strlen(needle), i;

	for (i = len; i >= n; i--) {
		if (memcmp(s + i - n, needle, n) == 0)
			return (s + i - n);
	}
	return (NULL);
}

/* Parse a store URL, reading its password if resolve. */
static int
store_url_read(const char *text, struct store_url *out, int resolve,
    char **cause)
{
	const char	*rest, *at;
	size_t		 len;
	int		 r;

	*cause = NULL;
	memset(out, 0, sizeof *out);
	len = strnlen(text, STORE_URL_MAX + 1);
	if (len > STORE_URL_MAX) {
		xasprintf(cause, "the store URL is longer than %d bytes",
		    STORE_URL_MAX);
		return (-1);
	}
	if (strcmp(text, "journal") == 0) {
		out->kind = STORE_JOURNAL;
		return (0);
	}
	if (strncmp(text, "redis://", 8) == 0) {
		out->kind = STORE_REDIS_TCP;
		rest = text + 8;
		at = store_url_last(rest, strlen(rest), "@");
	} else if (strncmp(text, "unix://", 7) == 0) {
		out->kind = STORE_REDIS_UNIX;
		rest = text + 7;
		/* A path starts with '/': user information never does. */
		at = rest[0] == '/' ? NULL :
		    store_url_last(rest, strlen(rest), "@/");
	} else {
		/* Not echoed: a URL without its scheme may be a password. */
		xasprintf(cause, "unknown store (%s)", STORE_URL_USAGE);
		return (-1);
	}
	if (at != NULL && store_url_userinfo(rest, (size_t)(at - rest), out,
	    resolve, cause) == -1)
		goto fail;
	if (at != NULL)
		rest = at + 1;
	if (out->kind == STORE_REDIS_TCP)
		r = store_url_tcp(rest, strlen(rest), out, cause);
	else
		r = store_url_unix(rest, strlen(rest), out, cause);
	if (r == -1)
		goto fail;
	return (0);

fail:
	store_url_free(out);
	return (-1);
}

/* Parse a store URL; see store-url.h. */
int
store_url_parse(const char *text, struct store_url *out, char **cause)
{
	return (store_url_read(text, out, 1, cause));
}

/* Parse a store URL to show it; see store-url.h. */
int
store_url_parse_shown(const char *text, struct store_url *out, char **cause)
{
	return (store_url_read(text, out, 0, cause));
}

/* Add s to b, percent-escaping what a URL part cannot hold as is. */
static void
store_url_escape(struct buffer *b, const char *s, const char *keep)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL ||
		    strchr(keep, c) != NULL) {
			buffer_add(b, s, 1);
		} else {
			buffer_add(b, "%", 1);
			buffer_add(b, &hex[c >> 4], 1);
			buffer_add(b, &hex[c & 15], 1);
		}
	}
}

/* Return the URL as shown, password masked; see store-url.h. */
char *
store_url_masked(const struct store_url *url)
{
	struct buffer	b;

	if (url->kind == STORE_JOURNAL)
		return (xstrdup("journal"));
	buffer_init(&b);
	buffer_add_str(&b, url->kind == STORE_REDIS_TCP ? "redis://" :
	    "unix://");
	if (url->user != NULL)
		store_url_escape(&b, url->user, "");
	if (url->password != NULL)
		buffer_add_str(&b, ":" MASK_PASSWORD);
	if (url->user != NULL || url->password != NULL)
		buffer_add_str(&b, "@");
	if (url->kind == STORE_REDIS_TCP) {
		if (strchr(url->host, ':') != NULL)
			buffer_printf(&b, "[%s]:%d/%d", url->host, url->port,
			    url->db);
		else
			buffer_printf(&b, "%s:%d/%d", url->host, url->port,
			    url->db);
	} else {
		store_url_escape(&b, url->path, "/");
		if (url->db != 0)
			buffer_printf(&b, "?db=%d", url->db);
	}
	return (buffer_detach(&b, NULL));
}

/* Wipe the password and free the URL's strings. */
void
store_url_free(struct store_url *url)
{
	if (url->password != NULL) {
		explicit_bzero(url->password, url->password_len);
		free(url->password);
	}
	free(url->password_env);
	free(url->host);
	free(url->path);
	free(url->user);
	memset(url, 0, sizeof *url);
}
