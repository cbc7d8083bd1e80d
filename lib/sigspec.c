/*
 * Signature specs: SCHEME:SECRET, SCHEME:@FILE and SCHEME:env:NAME.
 *
 * Everything here may run in the fish client, which must stay free of
 * crypto libraries: parsing, reading the secret and checking that a
 * standard key is base64 need none.  Causes name the scheme, the file or
 * the variable, never the secret, and never echo the spec, which may be
 * a secret the user forgot to prefix with a scheme.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base64.h"
#include "sigspec.h"
#include "xmalloc.h"

#define SIGSPEC_FILE_MAX	(64 * 1024)	/* a secret, not a body */

static const struct {
	const char		*name;
	enum sigspec_scheme	 scheme;
	enum sigspec_hash	 hash;
} sigspec_schemes[] = {
	{ "github", SIGSPEC_GITHUB, SIGSPEC_SHA256 },
	{ "stripe", SIGSPEC_STRIPE, SIGSPEC_SHA256 },
	{ "standard", SIGSPEC_STANDARD, SIGSPEC_SHA256 },
	{ "hmac-sha1", SIGSPEC_HMAC, SIGSPEC_SHA1 },
	{ "hmac-sha256", SIGSPEC_HMAC, SIGSPEC_SHA256 },
	{ "hmac-sha512", SIGSPEC_HMAC, SIGSPEC_SHA512 },
};
#define SIGSPEC_NSCHEMES \
	(sizeof sigspec_schemes / sizeof sigspec_schemes[0])

/* Tell whether c may appear in an HTTP header name (RFC 9110 tchar). */
static int
sigspec_tchar(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return (1);
	return (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Parse the scheme at the start of s into out; point *rest after it and
 * its ':' (NULL when nothing follows).  Return 0 or -1 with *cause.
 */
static int
sigspec_parse_scheme(const char *s, struct sigspec *out, const char **rest,
    char **cause)
{
	const char	*colon, *end, *name;
	size_t		 i, len;

	if ((colon = strchr(s, ':')) == NULL) {
		*cause = xstrdup("expected SCHEME:SECRET, SCHEME:@FILE or"
		    " SCHEME:env:NAME");
		return (-1);
	}
	len = colon - s;
	for (i = 0; i < SIGSPEC_NSCHEMES; i++) {
		if (strlen(sigspec_schemes[i].name) == len &&
		    strncmp(s, sigspec_schemes[i].name, len) == 0)
			break;
	}
	/*
	 * What stands before the ':' is not echoed either: with the scheme
	 * forgotten, it is the start of a secret that holds a colon.
	 */
	if (i == SIGSPEC_NSCHEMES) {
		if (len == 0)
			*cause = xstrdup("missing signature scheme before ':'");
		else
			*cause = xstrdup("unknown signature scheme (use github,"
			    " stripe, standard or hmac-sha1/256/512)");
		return (-1);
	}
	memset(out, 0, sizeof *out);
	out->scheme = sigspec_schemes[i].scheme;
	out->hash = sigspec_schemes[i].hash;
	s = colon + 1;
	if (out->scheme == SIGSPEC_HMAC) {
		name = sigspec_schemes[i].name;
		/* Without a second ':' there is no HEADER, only a secret. */
		if ((end = strchr(s, ':')) == NULL) {
			xasprintf(cause, "%s needs a header name:"
			    " %s:HEADER:SECRET", name, name);
			return (-1);
		}
		len = end - s;
		if (len > SIGSPEC_HEADER_MAX) {
			xasprintf(cause, "%s header name is longer than %d"
			    " characters", name, SIGSPEC_HEADER_MAX);
			return (-1);
		}
		/*
		 * The header is not echoed: a forgotten HEADER makes the
		 * secret's start look like one.  "env" is refused for that
		 * reason too: hmac-sha256:env:NAME lacks its header.
		 */
		for (i = 0; i < len; i++) {
			if (!sigspec_tchar(s[i]))
				break;
		}
		if (len == 0 || i < len ||
		    (len == 3 && strncmp(s, "env", 3) == 0)) {
			xasprintf(cause, "%s needs a header name:"
			    " %s:HEADER:SECRET", name, name);
			return (-1);
		}
		memcpy(out->header, s, len);
		out->header[len] = '\0';
		s = end + 1;
	}
	*rest = s;
	return (0);
}

/* Read a secret from path, cutting one trailing newline. */
static int
sigspec_read_file(const char *path, char **secret, size_t *secret_len,
    char **cause)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		xasprintf(cause, "cannot read secret file '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	buf = xmalloc(SIGSPEC_FILE_MAX + 1);
	for (;;) {
		n = read(fd, buf + len, SIGSPEC_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "cannot read secret file '%s': %s",
			    path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
		if (len > SIGSPEC_FILE_MAX) {
			xasprintf(cause, "secret file '%s' is larger than"
			    " %d bytes", path, SIGSPEC_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	fd = -1;
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (memchr(buf, '\0', len) != NULL) {
		xasprintf(cause, "secret file '%s' holds a NUL byte", path);
		goto fail;
	}
	buf[len] = '\0';
	*secret = buf;
	*secret_len = len;
	return (0);

fail:
	if (fd != -1)
		close(fd);
	explicit_bzero(buf, SIGSPEC_FILE_MAX + 1);
	free(buf);
	return (-1);
}

/*
 * Check the resolved secret for its scheme: not empty, and for standard a
 * base64 key, with or without its "whsec_" prefix.
 */
static int
sigspec_check_secret(struct sigspec *out, const char *where, char **cause)
{
	char		 name[SIGSPEC_HEADER_MAX + 32];
	const char	*key = out->secret;
	unsigned char	*raw;
	size_t		 rawlen;

	sigspec_scheme_name(out, name, sizeof name);
	if (out->secret_len == 0) {
		xasprintf(cause, "empty %s secret%s", name, where);
		return (-1);
	}
	if (out->scheme != SIGSPEC_STANDARD)
		return (0);
	if (strncmp(key, "whsec_", 6) == 0)
		key += 6;
	if (base64_decode(key, strlen(key), &raw, &rawlen) == -1) {
		xasprintf(cause, "standard secret%s is not whsec_ followed by"
		    " base64", where);
		return (-1);
	}
	explicit_bzero(raw, rawlen);
	free(raw);
	if (rawlen == 0) {
		xasprintf(cause, "empty standard key%s", where);
		return (-1);
	}
	return (0);
}

/* Resolve a secret written as SECRET, @FILE or env:NAME; see sigspec.h. */
int
sigspec_secret_resolve(const char *text, char **secret, size_t *secret_len,
    char **where, char **cause)
{
	const char	*value;

	*cause = NULL;
	if (text[0] == '@') {
		if (text[1] == '\0') {
			*cause = xstrdup("missing file name after '@'");
			return (-1);
		}
		if (sigspec_read_file(text + 1, secret, secret_len,
		    cause) == -1)
			return (-1);
		xasprintf(where, " in file '%s'", text + 1);
	} else if (strncmp(text, "env:", 4) == 0) {
		if (text[4] == '\0') {
			*cause = xstrdup("missing variable name after 'env:'");
			return (-1);
		}
		if ((value = getenv(text + 4)) == NULL) {
			xasprintf(cause, "environment variable '%s' is not set",
			    text + 4);
			return (-1);
		}
		*secret = xstrdup(value);
		*secret_len = strlen(value);
		xasprintf(where, " in environment variable '%s'", text + 4);
	} else {
		*secret = xstrdup(text);
		*secret_len = strlen(text);
		*where = xstrdup("");
	}
	return (0);
}

/* Parse and resolve a spec; see sigspec.h. */
int
sigspec_parse(const char *spec, struct sigspec *out, char **cause)
{
	const char	*rest;
	char		*where = NULL;
	int		 r;

	*cause = NULL;
	if (sigspec_parse_scheme(spec, out, &rest, cause) == -1)
		return (-1);
	if (sigspec_secret_resolve(rest, &out->secret, &out->secret_len,
	    &where, cause) == -1)
		return (-1);
	r = sigspec_check_secret(out, where, cause);
	free(where);
	if (r == -1)
		sigspec_free(out);
	return (r);
}

/* Build a spec from a scheme name and a resolved secret; see sigspec.h. */
int
sigspec_from_parts(const char *scheme, const char *secret,
    struct sigspec *out, char **cause)
{
	char		*s;
	const char	*rest;
	int		 r;

	*cause = NULL;
	xasprintf(&s, "%s:", scheme);
	r = sigspec_parse_scheme(s, out, &rest, cause);
	if (r == 0 && *rest != '\0') {
		xasprintf(cause, "unknown signature scheme '%s'", scheme);
		r = -1;
	}
	free(s);
	if (r == -1)
		return (-1);
	out->secret = xstrdup(secret);
	out->secret_len = strlen(secret);
	if (sigspec_check_secret(out, "", cause) == -1) {
		sigspec_free(out);
		return (-1);
	}
	return (0);
}

/* Write the scheme as written in a spec into buf; return buf. */
const char *
sigspec_scheme_name(const struct sigspec *spec, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < SIGSPEC_NSCHEMES; i++) {
		if (sigspec_schemes[i].scheme == spec->scheme &&
		    sigspec_schemes[i].hash == spec->hash)
			break;
	}
	if (i == SIGSPEC_NSCHEMES)
		snprintf(buf, len, "unknown");
	else if (spec->scheme == SIGSPEC_HMAC)
		snprintf(buf, len, "%s:%s", sigspec_schemes[i].name,
		    spec->header);
	else
		snprintf(buf, len, "%s", sigspec_schemes[i].name);
	return (buf);
}

/* Tell whether a webhook id can go in a header and be signed as is. */
int
sigspec_id_valid(const char *id)
{
	const unsigned char	*p;

	if (*id == '\0' || strlen(id) > SIGSPEC_ID_MAX)
		return (0);
	for (p = (const unsigned char *)id; *p != '\0'; p++) {
		if (*p < 0x21 || *p == 0x7f)
			return (0);
	}
	return (1);
}

/* Wipe and free the secret. */
void
sigspec_free(struct sigspec *spec)
{
	if (spec->secret != NULL) {
		explicit_bzero(spec->secret, spec->secret_len);
		free(spec->secret);
	}
	spec->secret = NULL;
	spec->secret_len = 0;
}
