/*
 * curl's -w FORMAT (see writeout.h).  The variables are curl's, with
 * curl's meanings, for what the listener reports: %{http_code} (and
 * %{response_code}), %{time_total}, %{size_download}, %{url_effective},
 * %{content_type}, %{num_redirects}, %{num_retries}, %{errormsg},
 * %header{NAME} and %{json}; \n, \r, \t, \\ and %% as curl writes them.
 * A variable fish does not know is an error before anything is sent
 * (curl only warns), so that a typo fails a CI job at once rather than
 * printing an empty value.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buffer.h"
#include "output.h"
#include "proto.h"
#include "writeout.h"
#include "xmalloc.h"

/* The variables of %{NAME}, in curl's names. */
static const char *writeout_names[] = {
	"content_type", "errormsg", "http_code", "json", "num_redirects",
	"num_retries", "response_code", "size_download", "time_total",
	"url_effective",
};

/* Return the value of the response header name, or NULL. */
static const char *
writeout_header(const struct writeout *w, const char *name, size_t len)
{
	struct json_object	*headers, *pair;
	const char		*s;
	size_t			 i, n;

	if (w->reply == NULL ||
	    !json_object_object_get_ex(w->reply, "headers", &headers) ||
	    !json_object_is_type(headers, json_type_array))
		return (NULL);
	n = json_object_array_length(headers);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(headers, i);
		s = json_object_get_string(json_object_array_get_idx(pair, 0));
		if (s != NULL && strlen(s) == len &&
		    strncasecmp(s, name, len) == 0)
			return (json_object_get_string(
			    json_object_array_get_idx(pair, 1)));
	}
	return (NULL);
}

/* Return where the request ended: after redirects, or as asked. */
static const char *
writeout_url(const struct writeout *w)
{
	const char	*s = NULL;

	if (w->reply != NULL)
		s = proto_string(w->reply, "final_url");
	return (s != NULL ? s : w->url);
}

/* Add the value of variable name to out. */
static void
writeout_variable(struct buffer *out, const char *name,
    const struct writeout *w)
{
	struct json_object	*o;
	const char		*s;
	int64_t			 code = 0, ms = 0, attempts = 1, redirects = 0;

	if (w->reply != NULL) {
		code = proto_int(w->reply, "http_status", 0);
		ms = proto_int(w->reply, "time_ms", 0);
		attempts = proto_int(w->reply, "attempts", 1);
		redirects = proto_int(w->reply, "redirects", 0);
	}
	if (strcmp(name, "http_code") == 0 ||
	    strcmp(name, "response_code") == 0)
		buffer_printf(out, "%03lld", (long long)code);
	else if (strcmp(name, "time_total") == 0)
		buffer_printf(out, "%lld.%03lld000", (long long)(ms / 1000),
		    (long long)(ms % 1000));
	else if (strcmp(name, "size_download") == 0)
		buffer_printf(out, "%zu", w->body_len);
	else if (strcmp(name, "url_effective") == 0)
		buffer_add_str(out, writeout_url(w));
	else if (strcmp(name, "content_type") == 0) {
		if ((s = writeout_header(w, "Content-Type", 12)) != NULL)
			buffer_add_str(out, s);
	} else if (strcmp(name, "num_redirects") == 0)
		buffer_printf(out, "%lld", (long long)redirects);
	else if (strcmp(name, "num_retries") == 0)
		buffer_printf(out, "%lld", (long long)(attempts > 0 ?
		    attempts - 1 : 0));
	else if (strcmp(name, "errormsg") == 0) {
		if (w->error != NULL)
			buffer_add_str(out, w->error);
	} else if (strcmp(name, "json") == 0) {
		o = writeout_json(w);
		buffer_add_str(out, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
}

/* Tell whether name (len bytes) is a variable of %{NAME}. */
static int
writeout_known(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof writeout_names / sizeof writeout_names[0];
	    i++) {
		if (strlen(writeout_names[i]) == len &&
		    strncmp(writeout_names[i], name, len) == 0)
			return (1);
	}
	return (0);
}

/*
 * Go through a format, adding what it writes to out (or only checking it
 * when out is NULL).  Return 0, or -1 with *cause.
 */
static int
writeout_walk(const char *fmt, const struct writeout *w, struct buffer *out,
    char **cause)
{
	const char	*p = fmt, *close, *value;
	char		*name;
	size_t		 len;
	int		 header;

	while (*p != '\0') {
		if (*p == '\\' && strchr("nrt\\", p[1]) != NULL && p[1] != '\0') {
			if (out != NULL)
				buffer_add(out, p[1] == 'n' ? "\n" : p[1] == 'r' ?
				    "\r" : p[1] == 't' ? "\t" : "\\", 1);
			p += 2;
			continue;
		}
		if (*p != '%') {
			if (out != NULL)
				buffer_add(out, p, 1);
			p++;
			continue;
		}
		if (p[1] == '%') {
			if (out != NULL)
				buffer_add(out, "%", 1);
			p += 2;
			continue;
		}
		header = strncmp(p, "%header{", 8) == 0;
		if (!header && p[1] != '{') {
			if (out != NULL)
				buffer_add(out, p, 1);
			p++;
			continue;
		}
		p += header ? 8 : 2;
		if ((close = strchr(p, '}')) == NULL) {
			xasprintf(cause, "invalid -w format: a %%{ without its }");
			return (-1);
		}
		len = (size_t)(close - p);
		if (header) {
			if (len == 0) {
				xasprintf(cause, "invalid -w format: "
				    "%%header{} names no header");
				return (-1);
			}
		} else if (!writeout_known(p, len)) {
			xasprintf(cause, "unknown -w variable '%.*s' (known: "
			    "http_code, response_code, time_total, "
			    "size_download, url_effective, content_type, "
			    "num_redirects, num_retries, errormsg, json, "
			    "%%header{NAME})", (int)len, p);
			return (-1);
		}
		if (out != NULL && header) {
			if ((value = writeout_header(w, p, len)) != NULL)
				buffer_add_str(out, value);
		} else if (out != NULL) {
			name = xstrndup(p, len);
			writeout_variable(out, name, w);
			free(name);
		}
		p = close + 1;
	}
	return (0);
}

/* Check a -w format before the request: 0, or -1 with *cause. */
int
writeout_check(const char *fmt, char **cause)
{
	return (writeout_walk(fmt, NULL, NULL, cause));
}

/* Write what a -w format says about a request to stdout; -1 with errno. */
int
writeout_print(const char *fmt, const struct writeout *w)
{
	struct buffer	 out;
	char		*cause = NULL;
	int		 ret;

	buffer_init(&out);
	(void)writeout_walk(fmt, w, &out, &cause);
	free(cause);
	ret = output_write(buffer_peek(&out), buffer_unread(&out));
	buffer_release(&out);
	return (ret);
}

/*
 * Make the JSON result of a request: http_code, headers (names
 * lower-cased, repeated ones joined with ", ", as the listener's
 * header_fields has them, made as for message envelopes),
 * body or body_base64, time_total (seconds), attempts, num_redirects,
 * size_download, url_effective, seq (in the timeline), and errormsg when
 * it failed.
 */
struct json_object *
writeout_json(const struct writeout *w)
{
	struct json_object	*o, *headers;
	char			 seconds[32];
	int64_t			 ms = 0;

	o = json_object_new_object();
	if (w->reply != NULL &&
	    json_object_object_get_ex(w->reply, "header_fields", &headers) &&
	    json_object_is_type(headers, json_type_object))
		json_object_get(headers);
	else
		headers = json_object_new_object();
	if (w->reply != NULL) {
		json_object_object_add(o, "seq", json_object_new_int64(
		    proto_int(w->reply, "seq", 0)));
		ms = proto_int(w->reply, "time_ms", 0);
	}
	json_object_object_add(o, "http_code", json_object_new_int(
	    w->reply != NULL ? (int)proto_int(w->reply, "http_status", 0) : 0));
	json_object_object_add(o, "headers", headers);
	envelope_with_body(o, w->body, w->body_len);
	/* Milliseconds are what the listener measures: no false digits. */
	(void)snprintf(seconds, sizeof seconds, "%lld.%03lld",
	    (long long)(ms / 1000), (long long)(ms % 1000));
	json_object_object_add(o, "time_total",
	    json_object_new_double_s((double)ms / 1000.0, seconds));
	json_object_object_add(o, "attempts", json_object_new_int64(
	    w->reply != NULL ? proto_int(w->reply, "attempts", 1) : 0));
	json_object_object_add(o, "num_redirects", json_object_new_int64(
	    w->reply != NULL ? proto_int(w->reply, "redirects", 0) : 0));
	json_object_object_add(o, "size_download",
	    json_object_new_int64((int64_t)w->body_len));
	/* replay does not know the URL unless it was redirected. */
	if (*writeout_url(w) != '\0')
		json_object_object_add(o, "url_effective",
		    json_object_new_string(writeout_url(w)));
	if (w->error != NULL)
		json_object_object_add(o, "errormsg",
		    json_object_new_string(w->error));
	return (o);
}
