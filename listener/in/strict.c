/*
 * What HTTP in refuses of a request's form, before it looks for a hook or
 * reads a body (see strict.h).  Strangers talk to us, and behind us there
 * may be a proxy or an app that reads the same bytes another way: so
 * nothing ambiguous passes, and nothing that would put control characters
 * on a user's terminal.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "strict.h"

/*
 * The characters of a token (RFC 9110, 5.6.2) besides letters and digits:
 * methods, field names.
 */
#define STRICT_TCHAR_SIGNS	"!#$%&'*+-.^_`|~"

/*
 * What MHD 0.9.75 takes of a connection's memory (--max-header) to index
 * one query parameter: a 56-byte record, aligned to 16 (see
 * httpd_uri_logger).
 */
#define STRICT_PARAMETER_COST	64

/*
 * Tell whether a request line's URI is too long: whether it, with what
 * MHD will take to index each query parameter, passes half of
 * max_header, --max-header (the other half is for the headers).
 */
int
strict_uri_too_long(const char *uri, uint64_t max_header)
{
	const char	*p = strchr(uri, '?');
	uint64_t	 cost = strlen(uri);

	for (; p != NULL; p = strchr(p + 1, '&'))
		cost += STRICT_PARAMETER_COST;
	return (cost > max_header / 2);
}

/*
 * Tell whether a path has a dot segment ("." or "..", also written with
 * %2e).  Nothing of ours maps paths to files, but a proxy or an app that
 * the request is forwarded to might, and no webhook sender needs them.
 */
int
strict_has_dot_segment(const char *path)
{
	size_t	len, dots, i;

	while (*path == '/') {
		path++;
		len = strcspn(path, "/?#");
		for (i = dots = 0; i < len; dots++) {
			if (path[i] == '.')
				i++;
			else if (path[i] == '%' && path[i + 1] == '2' &&
			    (path[i + 2] == 'e' || path[i + 2] == 'E'))
				i += 3;
			else
				break;
		}
		if (i == len && (dots == 1 || dots == 2))
			return (1);
		path += len;
	}
	return (0);
}

/*
 * Tell whether s, len bytes, is a token.  Checked by hand, not with
 * strspn: every header of every request passes here, and glibc's strspn
 * builds a table of the accepted set on each call (2 % of the listener's
 * CPU under load).
 */
static int
strict_token(const char *s, size_t len)
{
	size_t		i;
	unsigned char	c;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-')
			continue;
		if (c == '\0' || strchr(STRICT_TCHAR_SIGNS, c) == NULL)
			return (0);
	}
	return (1);
}

/*
 * Tell whether a request line is clean: the method a token (RFC 9110),
 * the target free of control characters.  MHD 0.9.75 takes both as they
 * come, and what a hook records ends up on its user's terminal.
 */
int
strict_request_line_clean(const char *method, const char *uri)
{
	const unsigned char	*p;

	if (!strict_token(method, strlen(method)))
		return (0);
	for (p = (const unsigned char *)uri; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f)
			return (0);
	}
	return (1);
}

/*
 * Tell whether a header field is well-formed (RFC 9112, 5), from what MHD
 * 0.9.75 makes of its line.  MHD keeps all that comes before the colon as
 * the name, so "Content-Length : 5" arrives as a field named
 * "Content-Length " (which MHD, seeing no Content-Length, does not take
 * as the body's length: the body would be read as the next request).  And
 * it joins an obs-fold continuation line, without its leading whitespace,
 * to the *name* of the field before it, in a copy made elsewhere in its
 * memory: "Transfer-Encoding:\r\n chunked" arrives as a field
 * "Transfer-Encodingchunked" with an empty value, and a fold of blanks
 * only leaves the name as it was.  The one mark a fold always leaves is
 * that move: the value of a field read from one line follows its name in
 * that line, after the NUL MHD wrote over the colon and optional
 * whitespace.  So a field name must be a token, its value must follow it
 * so, and it must hold no CR.
 */
static int
strict_field_valid(const char *key, size_t key_size, const char *value,
    size_t value_size)
{
	uintptr_t	gap = (uintptr_t)key + key_size + 1;
	const char	*p;

	if (!strict_token(key, key_size))
		return (0);
	/* Folded: the name was moved after its value. */
	if ((uintptr_t)value < gap)
		return (0);
	for (p = key + key_size + 1; p < value; p++) {
		if (*p != ' ' && *p != '\t')
			return (0);
	}
	return (memchr(value, '\r', value_size) == NULL);
}

/*
 * Check a header field's form, and note a Content-Length or
 * Transfer-Encoding header (arg: the framing).  A length that is not a
 * plain number counts as too large, as one past the cap does.
 */
static enum MHD_Result
strict_check_field(void *arg, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct strict_framing	*f = arg;
	unsigned long long	 length;
	char			*end;

	(void)kind;
	if (value == NULL || !strict_field_valid(key, key_size, value,
	    value_size)) {
		f->malformed = 1;
		return (MHD_YES);
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->lengths++;
		length = strtoull(value, &end, 10);
		if (*end != '\0' || *value < '0' || *value > '9' ||
		    length > f->cap)
			f->too_large = 1;
		else
			f->length = length;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encodings++;
		if (strcasecmp(value, "chunked") != 0)
			f->not_chunked = 1;
	}
	return (MHD_YES);
}

/*
 * Read the headers' form and what they say about the body's length, in
 * one walk over them.  The length is ambiguous with Content-Length and
 * Transfer-Encoding, more than one of either, or an encoding other than
 * plain "chunked".  MHD 0.9.75 would take the chunks and ignore the
 * length, and would read a body of any other encoding ("gzip, chunked")
 * until the connection closes; a proxy in front of us might not, and so
 * see another request where we see a body (request smuggling).  RFC 9112
 * asks for 400 in every case.
 */
void
strict_framing(struct MHD_Connection *connection, uint64_t cap,
    struct strict_framing *f)
{
	memset(f, 0, sizeof *f);
	f->cap = cap;
	MHD_get_connection_values_n(connection, MHD_HEADER_KIND,
	    strict_check_field, f);
}

/* Tell whether a request's framing leaves its body's length ambiguous. */
int
strict_framing_ambiguous(const struct strict_framing *f)
{
	return (f->lengths > 1 || f->encodings > 1 || f->not_chunked ||
	    (f->lengths > 0 && f->encodings > 0));
}
