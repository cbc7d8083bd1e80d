/*
 * -F of fish send, as curl reads it and makes the multipart/form-data
 * body (see curlopt.h): name=value, name=@file, name=<file, each with
 * ;type=, ;filename= and ;headers= after it.
 */
#include "config.h"

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buffer.h"
#include "curlopt.h"
#include "output.h"
#include "proto.h"
#include "xmalloc.h"

/* What curl guesses for a file's type by its name (-F name=@file). */
static const struct {
	const char	*extension;
	const char	*type;
} curlopt_types[] = {
	{ ".gif", "image/gif" },
	{ ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" },
	{ ".png", "image/png" },
	{ ".svg", "image/svg+xml" },
	{ ".txt", "text/plain" },
	{ ".htm", "text/html" },
	{ ".html", "text/html" },
	{ ".pdf", "application/pdf" },
	{ ".xml", "application/xml" },
};

/* One part of -F, as curl reads it. */
struct curlopt_part {
	int		 kind;		/* '=' a value, '@' an upload
					   (@FILE), '<' a file's content
					   (<FILE) */
	char		*value;		/* the value, or the file's
					   path */
	const char	*type;		/* ;type=, in the spec, or
					   NULL */
	size_t		 type_len;
	char		*filename;	/* ;filename=, or NULL */
	struct items	 headers;	/* ;headers= */
};

/* Make a multipart boundary as curl does: dashes, then random hex. */
void
curlopt_boundary(char *out, size_t size)
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 r[12];
	size_t			 i;

	if (getrandom(r, sizeof r, 0) != sizeof r)
		memset(r, 0x5a, sizeof r);	/* any boundary will do */
	(void)snprintf(out, size, "------------------------");
	for (i = 0; i < sizeof r && strlen(out) + 3 <= size; i++) {
		out[24 + 2 * i] = hex[r[i] >> 4];
		out[24 + 2 * i + 1] = hex[r[i] & 15];
		out[24 + 2 * i + 2] = '\0';
	}
}

/*
 * Add a name or file name of a Content-Disposition, quoted, as curl does:
 * " as %22 (a backslash stays as it is).
 */
static void
curlopt_quoted(struct buffer *b, const char *s)
{
	buffer_add(b, "\"", 1);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			buffer_add_str(b, "%22");
		else
			buffer_add(b, s, 1);
	}
	buffer_add(b, "\"", 1);
}

/* Return curl's guess of a file's type from its name, or NULL. */
static const char *
curlopt_type(const char *name)
{
	size_t	i, len = strlen(name), elen;

	for (i = 0; i < sizeof curlopt_types / sizeof curlopt_types[0]; i++) {
		elen = strlen(curlopt_types[i].extension);
		if (len > elen && strcasecmp(name + len - elen,
		    curlopt_types[i].extension) == 0)
			return (curlopt_types[i].type);
	}
	return (NULL);
}

/*
 * Read a word of a -F part at *p as curl does: "quoted" (\" and \\ stand
 * for " and \; what follows the quote up to a separator is dropped), else
 * up to a separator (a character of ends), without the blanks around it.
 * Move *p to the separator or the end; return the word, allocated.
 */
static char *
curlopt_form_word(const char **p, const char *ends)
{
	const char	*s = *p + strspn(*p, " \t"), *e;
	char		*word, *w;

	if (*s == '"') {
		for (e = s + 1; *e != '\0' && *e != '"'; e++) {
			if (*e == '\\' && (e[1] == '"' || e[1] == '\\'))
				e++;
		}
		if (*e == '"') {
			w = word = xmalloc((size_t)(e - s));
			for (s++; s < e; s++) {
				if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
					s++;
				*w++ = *s;
			}
			*w = '\0';
			*p = e + 1 + strcspn(e + 1, ends);
			return (word);
		}
		/* No closing quote: a word as it is, as curl takes it. */
	}
	e = s + strcspn(s, ends);
	*p = e;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (xstrndup(s, (size_t)(e - s)));
}

/*
 * Add the headers of ;headers=@FILE (or <FILE) to a part, as curl reads
 * them: one a line, # starting a comment line, a line starting with a
 * blank continuing the one before.
 */
static int
curlopt_form_header_file(struct items *headers, const char *path,
    char **cause)
{
	struct buffer	 line;
	char		*data, *p, *end;
	size_t		 len;
	int		 ret = EXIT_OK, last = 0;

	if ((data = curlopt_read(path, &len, cause)) == NULL)
		return (EXIT_FAILED);
	if (memchr(data, '\0', len) != NULL) {
		xasprintf(cause, "%s: a NUL byte in a header file", path);
		free(data);
		return (EXIT_USAGE);
	}
	buffer_init(&line);
	for (p = data; ret == EXIT_OK && !last; p = end + 1) {
		end = p + strcspn(p, "\n");
		last = *end == '\0';
		/* A line not starting with a blank ends the header before. */
		if (*p != ' ' && *p != '\t' && buffer_unread(&line) > 0) {
			buffer_add(&line, "", 1);
			if (items_add_header(headers, buffer_peek(&line),
			    cause) != 0)
				ret = EXIT_USAGE;
			buffer_clear(&line);
		}
		if (*p != '#')
			buffer_add(&line, p, (size_t)(end - p) -
			    (end > p && end[-1] == '\r'));
	}
	if (ret == EXIT_OK && buffer_unread(&line) > 0) {
		buffer_add(&line, "", 1);
		if (items_add_header(headers, buffer_peek(&line), cause) != 0)
			ret = EXIT_USAGE;
	}
	buffer_release(&line);
	free(data);
	return (ret);
}

/*
 * Read a part's ;headers=: HEADER, @FILE or <FILE.  *p is past "headers=".
 * Return an exit status, with *cause when it is not EXIT_OK.
 */
static int
curlopt_form_headers(struct curlopt_part *part, const char **p,
    const char *ends, char **cause)
{
	char	*word;
	int	 ret;

	if (**p == '@' || **p == '<') {
		(*p)++;
		word = curlopt_form_word(p, ends);
		ret = curlopt_form_header_file(&part->headers, word, cause);
	} else {
		word = curlopt_form_word(p, ends);
		ret = items_add_header(&part->headers, word, cause) == 0 ?
		    EXIT_OK : EXIT_USAGE;
	}
	free(word);
	return (ret);
}

/*
 * Read the parameters after a -F part's value as curl does: ;type=TYPE
 * (with the parameters of the type that follow it, as in ;type=text/plain;
 * charset=utf-8), ;filename=NAME and ;headers=.  *p is at the first ';'.
 * Return an exit status, with *cause when it is not EXIT_OK.
 */
static int
curlopt_form_params(const char *spec, const char *p,
    struct curlopt_part *part, char **cause)
{
	const char	*ends = part->kind == '@' ? ";," : ";", *end;
	size_t		 major;
	int		 type_open = 0, ret;

	while (*p == ';') {
		p++;
		p += strspn(p, " \t");
		if (!type_open && strncasecmp(p, "type=", 5) == 0) {
			p += 5;
			p += strspn(p, " \t");
			major = strcspn(p, "/ ;,");
			if (major == 0 || p[major] != '/' ||
			    strcspn(p + major + 1, "; ,") == 0) {
				xasprintf(cause, "invalid -F '%s': a bad type= "
				    "(use e.g. type=text/plain)", spec);
				return (EXIT_USAGE);
			}
			part->type = p;
			type_open = 1;
		} else if (strncasecmp(p, "filename=", 9) == 0) {
			if (part->kind == '<') {
				xasprintf(cause, "invalid -F '%s': filename= "
				    "is for a value or an upload (=@file), "
				    "not <file", spec);
				return (EXIT_USAGE);
			}
			p += 9;
			free(part->filename);
			part->filename = curlopt_form_word(&p, ends);
			type_open = 0;
			continue;
		} else if (strncasecmp(p, "headers=", 8) == 0) {
			p += 8;
			if ((ret = curlopt_form_headers(part, &p, ends,
			    cause)) != EXIT_OK)
				return (ret);
			type_open = 0;
			continue;
		} else if (!type_open) {
			xasprintf(cause, "invalid -F '%s': '%.*s' is not "
			    "taken here (use ;type=, ;filename= or ;headers=; "
			    "quote a value that holds a ;)", spec,
			    (int)strcspn(p, ends), p);
			return (EXIT_USAGE);
		}
		/* The type, or a parameter of it: it ends here. */
		p += strcspn(p, ends);
		for (end = p; end > part->type &&
		    (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		part->type_len = (size_t)(end - part->type);
	}
	if (*p == ',') {
		xasprintf(cause, "invalid -F '%s': several files in one part "
		    "are not supported (quote a file name that holds a ,)",
		    spec);
		return (EXIT_USAGE);
	}
	return (EXIT_OK);
}

/*
 * Read a -F part's value (a value, @FILE or <FILE) and parameters.
 * Return an exit status, with *cause when it is not EXIT_OK.
 */
static int
curlopt_form_parse(const char *spec, const char *value,
    struct curlopt_part *part, char **cause)
{
	const char	*p = value;

	part->kind = '=';
	if (*p == '@' || *p == '<')
		part->kind = *p++;
	part->value = curlopt_form_word(&p, part->kind == '@' ? ";," : ";");
	return (curlopt_form_params(spec, p, part, cause));
}

/*
 * Take what a part sends into *data (allocated) and *len: its value, or
 * its file's content.  Return an exit status, with *cause when it is not
 * EXIT_OK.
 */
static int
curlopt_form_data(struct curlopt_part *part, char **data, size_t *len,
    char **cause)
{
	if (part->kind == '=') {
		*data = part->value;
		part->value = NULL;
		*len = strlen(*data);
		return (EXIT_OK);
	}
	if ((*data = curlopt_read(part->value, len, cause)) == NULL)
		return (EXIT_FAILED);
	return (EXIT_OK);
}

/*
 * Return the file name a part sends: ;filename=, else an upload's own
 * name without its directories; NULL for none.
 */
static const char *
curlopt_form_filename(const struct curlopt_part *part)
{
	const char	*slash;

	if (part->kind == '@' && part->filename == NULL)
		return ((slash = strrchr(part->value, '/')) != NULL ?
		    slash + 1 : part->value);
	return (part->filename);
}

/*
 * Return the type a part sends, its length in *len, or NULL for none: the
 * type given, else guessed as curl does: from the file name sent, then
 * from that of an upload's file.
 */
static const char *
curlopt_form_type(const struct curlopt_part *part, const char *filename,
    size_t *len)
{
	const char	*type = NULL;

	if (part->type != NULL) {
		*len = part->type_len;
		return (part->type);
	}
	if (filename != NULL && (type = curlopt_type(filename)) == NULL &&
	    part->kind == '@' && (type = curlopt_type(part->value)) == NULL)
		type = "application/octet-stream";
	*len = type != NULL ? strlen(type) : 0;
	return (type);
}

/*
 * Add a part's boundary line and headers to body, up to the blank line
 * before its content.  The field's name is the first name_len bytes of
 * spec.
 */
static void
curlopt_form_head(struct buffer *body, const char *boundary, const char *spec,
    size_t name_len, const struct curlopt_part *part)
{
	struct json_object	*pair;
	const char		*filename, *type;
	char			*name;
	size_t			 i, type_len;

	filename = curlopt_form_filename(part);
	type = curlopt_form_type(part, filename, &type_len);
	buffer_printf(body, "--%s\r\n", boundary);
	/* The part's own headers win over those curl makes, as in curl. */
	if (!items_has_header(&part->headers, "Content-Disposition")) {
		name = xstrndup(spec, name_len);
		buffer_add_str(body, "Content-Disposition: form-data; name=");
		curlopt_quoted(body, name);
		free(name);
		if (filename != NULL) {
			buffer_add_str(body, "; filename=");
			curlopt_quoted(body, filename);
		}
		buffer_add_str(body, "\r\n");
	}
	if (type != NULL && !items_has_header(&part->headers, "Content-Type"))
		buffer_printf(body, "Content-Type: %.*s\r\n", (int)type_len,
		    type);
	for (i = 0; i < json_object_array_length(part->headers.headers); i++) {
		pair = json_object_array_get_idx(part->headers.headers, i);
		buffer_printf(body, "%s: %s\r\n",
		    json_object_get_string(json_object_array_get_idx(pair, 0)),
		    json_object_get_string(json_object_array_get_idx(pair, 1)));
	}
	buffer_add_str(body, "\r\n");
}

/*
 * -F SPEC: add one part of a multipart/form-data body as curl makes it:
 * name=value, a file's content as an upload (name=@file) or as a plain
 * value (name=<file), with ;type=, ;filename= (not with <file) and
 * ;headers= after it.
 */
int
curlopt_form(struct buffer *body, const char *boundary, const char *spec,
    char **cause)
{
	struct curlopt_part	 part;
	const char		*equals;
	char			*data = NULL;
	size_t			 len;
	int			 ret;

	if ((equals = strchr(spec, '=')) == NULL || equals == spec) {
		xasprintf(cause, "invalid -F '%s' (use name=value, name=@file "
		    "or name=<file)", spec);
		return (EXIT_USAGE);
	}
	if (strcspn(spec, "\r\n") != strlen(spec)) {
		xasprintf(cause, "invalid -F: a line break in a part");
		return (EXIT_USAGE);
	}
	memset(&part, 0, sizeof part);
	items_init(&part.headers, "");
	if ((ret = curlopt_form_parse(spec, equals + 1, &part, cause)) !=
	    EXIT_OK ||
	    (ret = curlopt_form_data(&part, &data, &len, cause)) != EXIT_OK)
		goto fail;
	if (buffer_unread(body) + len > PROTO_PAYLOAD_MAX) {
		xasprintf(cause, "-F: the form is larger than the largest "
		    "body");
		ret = EXIT_FAILED;
		goto fail;
	}
	curlopt_form_head(body, boundary, spec, (size_t)(equals - spec),
	    &part);
	buffer_add(body, data, len);
	buffer_add_str(body, "\r\n");
fail:
	items_release(&part.headers);
	free(part.value);
	free(part.filename);
	free(data);
	return (ret);
}

/* End a multipart body. */
void
curlopt_form_end(struct buffer *body, const char *boundary)
{
	buffer_printf(body, "--%s--\r\n", boundary);
}
