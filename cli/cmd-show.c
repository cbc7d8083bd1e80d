/*
 * fish show: print one message of the timeline whole, as HTTP-style text,
 * as JSON, or as a curl command that makes the same request again.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buffer.h"
#include "client.h"
#include "compat.h"
#include "fish.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "timeline.h"
#include "xmalloc.h"

static int	cmd_show_exec(int, char **);

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "SEQ [--json | --curl]",
	.summary = "print one message whole, or as a curl command",
	.help =
	    "Print message SEQ of the timeline (see fish log): the request line,\n"
	    "headers, a blank line and the body; for a request fish sent, also\n"
	    "the response.  JSON bodies are pretty-printed on a terminal.  A\n"
	    "request that failed its hook's signature check (spawn --verify)\n"
	    "is printed too, without its body, which is not kept: the reason,\n"
	    "the body's size and SHA-256 go to stderr (in JSON: rejected,\n"
	    "body_size, body_sha256).\n"
	    "\n"
	    "  --json        print the message as one JSON object, with the body\n"
	    "                (and response_body of a sent request)\n"
	    "  --curl        print a curl command that sends the request again\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_show_exec
};

static const struct option cmd_show_options[] = {
	{ "curl", no_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	CMD_OPTIONS_END
};

enum show_format {
	SHOW_TEXT,
	SHOW_JSON,
	SHOW_CURL
};

/* Return a string member of an entry, "" when it has none. */
static const char *
cmd_show_field(struct json_object *entry, const char *key)
{
	const char	*s = proto_string(entry, key);

	return (s == NULL ? "" : s);
}

/* Add a header object's lines, "name: value", to b. */
static void
cmd_show_add_headers(struct buffer *b, struct json_object *entry,
    const char *key)
{
	struct json_object	*headers;

	if (!json_object_object_get_ex(entry, key, &headers) ||
	    !json_object_is_type(headers, json_type_object))
		return;
	json_object_object_foreach(headers, name, value) {
		buffer_printf(b, "%s: %s\n", name,
		    json_object_get_string(value));
	}
}

/*
 * Add a body to b: pretty-printed when it is JSON and pretty is set, else
 * as it is.  A body that is not the last thing printed ends with a newline.
 */
static void
cmd_show_add_body(struct buffer *b, const char *body, size_t len, int pretty,
    int last)
{
	struct json_object	*parsed = NULL;
	char			*cause = NULL;

	if (pretty && len > 0)
		parsed = jsonptr_parse(body, len, &cause);
	if (pretty && len > 0 && cause == NULL) {
		buffer_printf(b, "%s\n", json_object_to_json_string_ext(parsed,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(parsed);
		return;
	}
	free(cause);
	buffer_add(b, body, len);
	if (!last && len > 0 && body[len - 1] != '\n')
		buffer_add_str(b, "\n");
}

/* Add the HTTP-style text of an entry to b. */
static void
cmd_show_add_text(struct buffer *b, struct json_object *entry,
    const char *body, size_t len, int pretty)
{
	const char	*query = proto_string(entry, "query");
	const char	*error = proto_string(entry, "error");
	size_t		 n;

	if (!timeline_is_sent(entry)) {
		buffer_printf(b, "%s %s%s%s\n", cmd_show_field(entry, "method"),
		    cmd_show_field(entry, "path"), query != NULL &&
		    *query != '\0' ? "?" : "", query != NULL ? query : "");
		cmd_show_add_headers(b, entry, "headers");
		buffer_add_str(b, "\n");
		cmd_show_add_body(b, body, len, pretty, 1);
		return;
	}
	n = timeline_request_len(entry, len);
	buffer_printf(b, "\xe2\x86\x92 %s %s\n", cmd_show_field(entry,
	    "method"), cmd_show_field(entry, "url"));
	cmd_show_add_headers(b, entry, "headers");
	buffer_add_str(b, "\n");
	cmd_show_add_body(b, body, n, pretty, 0);
	buffer_add_str(b, "\n");
	if (!timeline_answered(entry)) {
		/* Under way, or its listener stopped first: no outcome. */
		buffer_printf(b, "\xe2\x86\x90 %s\n", error != NULL ? error :
		    "no answer yet: the request is under way");
		return;
	}
	if (proto_int(entry, "status", 0) != EXIT_OK)
		buffer_printf(b, "\xe2\x86\x90 %s", error != NULL ? error :
		    "failed");
	else
		buffer_printf(b, "\xe2\x86\x90 %lld",
		    (long long)proto_int(entry, "http_status", 0));
	buffer_printf(b, " (%lld ms)\n", (long long)proto_int(entry, "time_ms",
	    0));
	cmd_show_add_headers(b, entry, "response_headers");
	buffer_add_str(b, "\n");
	cmd_show_add_body(b, body + n, len - n, pretty, 1);
}

/* Add s to b quoted for sh: in single quotes, each ' as '\''. */
static void
cmd_show_add_quoted(struct buffer *b, const char *s, size_t len)
{
	const char	*quote;

	buffer_add_str(b, "'");
	while ((quote = memchr(s, '\'', len)) != NULL) {
		buffer_add(b, s, (size_t)(quote - s));
		buffer_add_str(b, "'\\''");
		len -= (size_t)(quote - s) + 1;
		s = quote + 1;
	}
	buffer_add(b, s, len);
	buffer_add_str(b, "'");
}

/*
 * Add a printf(1) command that writes body exactly: printable ASCII as it
 * is, everything else (and \, % and ') as an octal escape.
 */
static void
cmd_show_add_printf(struct buffer *b, const char *body, size_t len)
{
	const unsigned char	*p = (const unsigned char *)body;
	size_t			 i;

	buffer_add_str(b, "printf '");
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '\\' ||
		    p[i] == '%' || p[i] == '\'')
			buffer_printf(b, "\\%03o", p[i]);
		else
			buffer_add(b, &p[i], 1);
	}
	buffer_add_str(b, "' | ");
}

/* Tell whether a header is about one connection, so not to be copied. */
static int
cmd_show_hop_header(const char *name)
{
	static const char *const hop[] = {
		"host", "content-length", "connection", "transfer-encoding",
		"expect", "keep-alive", "te", "upgrade"
	};
	size_t	i;

	for (i = 0; i < nitems(hop); i++) {
		if (strcasecmp(name, hop[i]) == 0)
			return (1);
	}
	return (0);
}

/* Add the request of an entry as a curl command line to b. */
static void
cmd_show_add_curl(struct buffer *b, struct json_object *entry,
    const char *body, size_t len)
{
	struct json_object	*headers;
	const char		*method = proto_string(entry, "method");
	const char		*hook, *path, *query, *url;
	char			*header;
	int			 piped, has_type = 0;

	if (timeline_is_sent(entry))
		len = timeline_request_len(entry, len);
	/* A binary body, or one starting with @ (a file to curl), is piped. */
	piped = len > 0 && (memchr(body, '\0', len) != NULL ||
	    !utf8_valid(body, len) || *body == '@');
	if (piped)
		cmd_show_add_printf(b, body, len);
	buffer_add_str(b, "curl");
	if (method != NULL && strcmp(method, "HEAD") == 0)
		buffer_add_str(b, " --head");
	else if (method != NULL) {
		buffer_add_str(b, " -X ");
		/* Methods are tokens: quote only a strange one. */
		if (*method != '\0' && strspn(method,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_") == strlen(method))
			buffer_add_str(b, method);
		else
			cmd_show_add_quoted(b, method, strlen(method));
	}
	buffer_add_str(b, " ");
	if (timeline_is_sent(entry)) {
		url = proto_string(entry, "url");
		cmd_show_add_quoted(b, url, url == NULL ? 0 : strlen(url));
	} else {
		hook = proto_string(entry, "hook");
		path = proto_string(entry, "path");
		query = proto_string(entry, "query");
		if (path == NULL || strcmp(path, "/") == 0)
			path = "";
		xasprintf(&header, "%s%s%s%s", hook == NULL ? "" : hook, path,
		    query != NULL && *query != '\0' ? "?" : "",
		    query != NULL ? query : "");
		cmd_show_add_quoted(b, header, strlen(header));
		free(header);
	}
	if (json_object_object_get_ex(entry, "headers", &headers) &&
	    json_object_is_type(headers, json_type_object)) {
		json_object_object_foreach(headers, name, value) {
			if (cmd_show_hop_header(name))
				continue;
			if (strcasecmp(name, "content-type") == 0)
				has_type = 1;
			xasprintf(&header, "%s: %s", name,
			    json_object_get_string(value));
			buffer_add_str(b, " -H ");
			cmd_show_add_quoted(b, header, strlen(header));
			free(header);
		}
	}
	/* Without this, curl would label the body a form. */
	if (len > 0 && !has_type)
		buffer_add_str(b, " -H 'Content-Type:'");
	if (piped)
		buffer_add_str(b, " --data-binary @-");
	else if (len > 0) {
		buffer_add_str(b, " --data-binary ");
		cmd_show_add_quoted(b, body, len);
	}
	buffer_add_str(b, "\n");
}

/* Print an entry in the format asked for. */
static int
cmd_show_print(struct json_object *entry, const struct proto_frame *frame,
    enum show_format format)
{
	struct buffer	 b;
	const char	*rejected = proto_string(entry, "rejected");
	const char	*digest = proto_string(entry, "body_sha256");
	int		 ret;

	/* The text and curl forms have no place for it: say it aside. */
	if (rejected != NULL && format != SHOW_JSON && digest != NULL)
		fish_warnx("show: message %lld was rejected: %s; its body "
		    "(%lld bytes, sha256 %s) was not kept",
		    (long long)proto_int(entry, "seq", 0), rejected,
		    (long long)proto_int(entry, "body_size", 0), digest);
	else if (rejected != NULL && format != SHOW_JSON)
		fish_warnx("show: message %lld was rejected: %s",
		    (long long)proto_int(entry, "seq", 0), rejected);
	if (format == SHOW_JSON) {
		timeline_with_bodies(entry, frame->payload, frame->payload_len);
		return (output_json(entry));
	}
	buffer_init(&b);
	if (format == SHOW_CURL)
		cmd_show_add_curl(&b, entry, frame->payload,
		    frame->payload_len);
	else
		cmd_show_add_text(&b, entry, frame->payload, frame->payload_len,
		    isatty(STDOUT_FILENO));
	ret = write_all(STDOUT_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	return (ret);
}

/* Print one message of the timeline. */
static int
cmd_show_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_show_entry;
	struct proto_frame	 frame;
	struct json_object	*request, *message;
	enum show_format	 format = SHOW_TEXT;
	int64_t			 seq;
	int			 ch, status;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_show_options)) !=
	    -1) {
		switch (ch) {
		case 'c':
		case 'j':
			if (format != SHOW_TEXT)
				return (cmd_usage_error(entry, "give only one "
				    "of --json and --curl"));
			format = ch == 'c' ? SHOW_CURL : SHOW_JSON;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind == argc)
		return (cmd_usage_error(entry, "expected a SEQ"));
	if (timeline_number(argv[optind], &seq) != 0)
		return (cmd_usage_error(entry, "invalid SEQ '%s' (use a "
		    "message number, as fish log shows)", argv[optind]));
	if (optind + 1 != argc)
		return (cmd_usage_error(entry, "unexpected argument '%s'",
		    argv[optind + 1]));

	request = proto_request("show");
	json_object_object_add(request, "seq", json_object_new_int64(seq));
	if ((status = client_request(fish_session, request, NULL, 0,
	    &frame)) != EXIT_OK)
		goto fail;
	if (!json_object_object_get_ex(frame.json, "entry", &message) ||
	    !json_object_is_type(message, json_type_object)) {
		fish_warnx("show: the listener's reply has no message");
		status = EXIT_FAILED;
		goto fail;
	}
	if (cmd_show_print(message, &frame, format) != 0)
		status = timeline_write_error("show");
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	return (status);
}
