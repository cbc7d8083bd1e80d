/*
 * fish show: print one message of the timeline whole, as HTTP-style text,
 * as JSON, or as a curl command that makes the same request again.
 *
 * On a terminal, the text form pretty-prints JSON bodies, in colour unless
 * --color or NO_COLOR says otherwise, and whatever came from a stranger
 * (method, path, headers, bodies, errors) has its control characters
 * escaped, in every form, unless --raw asks for the bytes as they are.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buffer.h"
#include "client.h"
#include "compat.h"
#include "escape.h"
#include "fish.h"
#include "jsonptr.h"
#include "mask.h"
#include "output.h"
#include "proto.h"
#include "term.h"
#include "timeline.h"
#include "xmalloc.h"

static int	cmd_show_exec(int, char **);

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.usage = "SEQ [--json | --curl] [--raw] [--color=WHEN]",
	.args = { 1, 1 },
	.summary = "print one message whole, or as a curl command",
	.help =
	    "Print message SEQ of the timeline (see " FISH_NAME
	    " log): the request line,\n"
	    "headers, a blank line and the body; for a request " FISH_NAME
	    " sent, also\n"
	    "the response; for a held or forwarded request, how it was answered\n"
	    "(with the body of " FISH_NAME " reply, or of the app's answer).  On a\n"
	    "terminal, JSON bodies are pretty-printed in colour and control\n"
	    "characters are escaped.  A request that failed its hook's signature\n"
	    "check (spawn --verify) is printed too, without its body, which is\n"
	    "not kept: the reason, the body's size and SHA-256 go to stderr (in\n"
	    "JSON: rejected, body_size, body_sha256).\n"
	    "So is a request refused before it was complete (404, 410, 413,\n"
	    "...): its head only; the status and why go to stderr (in JSON:\n"
	    "refused, http_status).\n"
	    "\n"
	    "  --json          print the message as one JSON object, with the\n"
	    "                  body (and response_body of a sent request, or\n"
	    "                  answer.body of a held or forwarded one)\n"
	    "  --curl          print a curl command that sends the request\n"
	    "                  again\n"
	    "  --raw           print control characters as they are, even to a\n"
	    "                  terminal\n"
	    "  --color[=WHEN]  colour: auto (on a terminal, unless NO_COLOR is\n"
	    "                  set), always or never; alone, always\n"
	    "  -h, --help      show this help\n",
	.exec = cmd_show_exec
};

static const struct option cmd_show_options[] = {
	{ "color", optional_argument, NULL, 'C' },
	{ "curl", no_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "raw", no_argument, NULL, 'r' },
	CMD_OPTIONS_END
};

enum show_format {
	SHOW_TEXT,
	SHOW_JSON,
	SHOW_CURL
};

/* How the text form is written. */
struct show_style {
	int	escape;		/* escape strangers' control characters */
	int	colour;
	int	pretty;		/* pretty-print JSON bodies */
};

/* Add a stranger's bytes to b, escaped if the style says so. */
static void
cmd_show_add(struct buffer *b, const struct show_style *style,
    const void *data, size_t len)
{
	if (style->escape)
		escape_text(b, data, len);
	else
		buffer_add(b, data, len);
}

/* Add a stranger's string to b, escaped if the style says so. */
static void
cmd_show_add_str(struct buffer *b, const struct show_style *style,
    const char *s)
{
	if (s != NULL)
		cmd_show_add(b, style, s, strlen(s));
}

/* Add text to b in a colour, if the style has colours. */
static void
cmd_show_add_colour(struct buffer *b, const struct show_style *style,
    const char *colour, const char *text)
{
	if (style->colour)
		buffer_add_str(b, colour);
	cmd_show_add_str(b, style, text);
	if (style->colour)
		buffer_add_str(b, TERM_RESET);
}

/* Add a header object's lines, "name: value", to b. */
static void
cmd_show_add_headers(struct buffer *b, const struct show_style *style,
    struct json_object *entry, const char *key)
{
	struct json_object	*headers;

	if (!json_object_object_get_ex(entry, key, &headers) ||
	    !json_object_is_type(headers, json_type_object))
		return;
	json_object_object_foreach(headers, name, value) {
		cmd_show_add_str(b, style, name);
		buffer_add_str(b, ": ");
		cmd_show_add_str(b, style, json_object_get_string(value));
		buffer_add_str(b, "\n");
	}
}

/* Add n levels of indentation to b. */
static void
cmd_show_add_indent(struct buffer *b, int n)
{
	while (n-- > 0)
		buffer_add_str(b, "  ");
}

/* Add a string as a JSON string (quoted, escaped) in a colour. */
static void
cmd_show_add_json_string(struct buffer *b, const struct show_style *style,
    const char *colour, const char *s)
{
	struct json_object	*string = json_object_new_string(s);

	cmd_show_add_colour(b, style, colour, json_object_to_json_string_ext(
	    string, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(string);
}

/*
 * Add a JSON value to b pretty-printed, two spaces an indent, as jq does:
 * in colour (keys blue, strings green, null dim) if the style has colours.
 */
static void
cmd_show_add_json(struct buffer *b, const struct show_style *style,
    struct json_object *value, int depth)
{
	const char	*text;
	size_t		 i, n;
	int		 first = 1;

	switch (json_object_get_type(value)) {
	case json_type_object:
		if (json_object_object_length(value) == 0) {
			buffer_add_str(b, "{}");
			return;
		}
		buffer_add_str(b, "{\n");
		json_object_object_foreach(value, key, member) {
			if (!first)
				buffer_add_str(b, ",\n");
			first = 0;
			cmd_show_add_indent(b, depth + 1);
			cmd_show_add_json_string(b, style, TERM_BOLD_BLUE, key);
			buffer_add_str(b, ": ");
			cmd_show_add_json(b, style, member, depth + 1);
		}
		buffer_add_str(b, "\n");
		cmd_show_add_indent(b, depth);
		buffer_add_str(b, "}");
		return;
	case json_type_array:
		if ((n = json_object_array_length(value)) == 0) {
			buffer_add_str(b, "[]");
			return;
		}
		buffer_add_str(b, "[\n");
		for (i = 0; i < n; i++) {
			if (i > 0)
				buffer_add_str(b, ",\n");
			cmd_show_add_indent(b, depth + 1);
			cmd_show_add_json(b, style,
			    json_object_array_get_idx(value, i), depth + 1);
		}
		buffer_add_str(b, "\n");
		cmd_show_add_indent(b, depth);
		buffer_add_str(b, "]");
		return;
	case json_type_string:
		cmd_show_add_json_string(b, style, TERM_GREEN,
		    json_object_get_string(value));
		return;
	default:
		break;
	}
	text = json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN);
	if (json_object_is_type(value, json_type_null))
		cmd_show_add_colour(b, style, TERM_DIM, text);
	else
		cmd_show_add_str(b, style, text);
}

/*
 * Add a body to b: pretty-printed when it is JSON and the style says so,
 * else as it is.  A body that is not the last thing printed ends with a
 * newline.
 */
static void
cmd_show_add_body(struct buffer *b, const struct show_style *style,
    const char *body, size_t len, int last)
{
	struct json_object	*parsed = NULL;
	char			*cause = NULL;

	if (style->pretty && len > 0)
		parsed = jsonptr_parse(body, len, &cause);
	if (style->pretty && len > 0 && cause == NULL) {
		cmd_show_add_json(b, style, parsed, 0);
		buffer_add_str(b, "\n");
		json_object_put(parsed);
		return;
	}
	free(cause);
	cmd_show_add(b, style, body, len);
	if (!last && len > 0 && body[len - 1] != '\n')
		buffer_add_str(b, "\n");
}

/* Add the request line of a received entry: method, path and query. */
static void
cmd_show_add_request_line(struct buffer *b, const struct show_style *style,
    struct json_object *entry)
{
	const char	*query = proto_string(entry, "query");

	cmd_show_add_str(b, style, proto_string(entry, "method"));
	buffer_add_str(b, " ");
	cmd_show_add_str(b, style, proto_string(entry, "path"));
	if (query != NULL && *query != '\0') {
		buffer_add_str(b, "?");
		cmd_show_add_str(b, style, query);
	}
	buffer_add_str(b, "\n");
}

/* Add the outcome line of a sent entry that was answered: status, time. */
static void
cmd_show_add_outcome(struct buffer *b, const struct show_style *style,
    struct json_object *entry)
{
	const char	*error = proto_string(entry, "error");
	int64_t		 http_status = proto_int(entry, "http_status", 0);
	char		*text;

	if (proto_int(entry, "status", 0) != EXIT_OK)
		cmd_show_add_colour(b, style, TERM_RED, error != NULL ? error :
		    "failed");
	else {
		xasprintf(&text, "%lld", (long long)http_status);
		cmd_show_add_colour(b, style, term_status_colour(http_status),
		    text);
		free(text);
	}
	buffer_printf(b, " (%lld ms)\n", (long long)proto_int(entry, "time_ms",
	    0));
}

/*
 * Add how a held or forwarded request was answered, when it was, as the
 * response of a sent entry is shown: "← replied 202", the headers and the
 * body of len bytes (when its answer had one, and it fitted in the frame).
 */
static void
cmd_show_add_answer(struct buffer *b, const struct show_style *style,
    struct json_object *entry, const char *body, size_t len)
{
	struct json_object	*answer;
	int64_t			 status;
	char			*text;

	if (!json_object_object_get_ex(entry, "answer", &answer))
		return;
	status = proto_int(answer, "status", 0);
	buffer_add_str(b, "\n");
	cmd_show_add_colour(b, style, TERM_BOLD_CYAN, "\xe2\x86\x90");
	buffer_add_str(b, " ");
	cmd_show_add_str(b, style, proto_string(answer, "outcome"));
	buffer_add_str(b, " ");
	xasprintf(&text, "%lld", (long long)status);
	cmd_show_add_colour(b, style, term_status_colour(status), text);
	free(text);
	buffer_add_str(b, "\n");
	cmd_show_add_headers(b, style, answer, "headers");
	buffer_add_str(b, "\n");
	if (len == 0 && proto_int(answer, "body_size", 0) > 0)
		buffer_printf(b, "(a body of %lld bytes, too large to show "
		    "with the request's)\n",
		    (long long)proto_int(answer, "body_size", 0));
	cmd_show_add_body(b, style, body, len, 1);
}

/* Add the HTTP-style text of an entry to b. */
static void
cmd_show_add_text(struct buffer *b, const struct show_style *style,
    struct json_object *entry, const char *body, size_t len)
{
	const char	*error = proto_string(entry, "error");
	size_t		 n;

	n = timeline_request_len(entry, len);
	if (!timeline_is_sent(entry)) {
		cmd_show_add_request_line(b, style, entry);
		cmd_show_add_headers(b, style, entry, "headers");
		buffer_add_str(b, "\n");
		cmd_show_add_body(b, style, body, n,
		    !json_object_object_get_ex(entry, "answer", NULL));
		cmd_show_add_answer(b, style, entry, body + n, len - n);
		return;
	}
	cmd_show_add_colour(b, style, TERM_BOLD_CYAN, "\xe2\x86\x92");
	buffer_add_str(b, " ");
	cmd_show_add_str(b, style, proto_string(entry, "method"));
	buffer_add_str(b, " ");
	cmd_show_add_str(b, style, proto_string(entry, "url"));
	buffer_add_str(b, "\n");
	cmd_show_add_headers(b, style, entry, "headers");
	buffer_add_str(b, "\n");
	cmd_show_add_body(b, style, body, n, 0);
	buffer_add_str(b, "\n");
	cmd_show_add_colour(b, style, TERM_BOLD_CYAN, "\xe2\x86\x90");
	buffer_add_str(b, " ");
	if (!timeline_answered(entry)) {
		/* Under way, or its listener stopped first: no outcome. */
		cmd_show_add_str(b, style, error != NULL ? error :
		    "no answer yet: the request is under way");
		buffer_add_str(b, "\n");
		return;
	}
	cmd_show_add_outcome(b, style, entry);
	cmd_show_add_headers(b, style, entry, "response_headers");
	buffer_add_str(b, "\n");
	cmd_show_add_body(b, style, body + n, len - n, 1);
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

	len = timeline_request_len(entry, len);
	/*
	 * A binary body, one with control characters (which a terminal would
	 * act on), or one starting with @ (a file to curl), is piped.
	 */
	piped = len > 0 && (memchr(body, '\0', len) != NULL ||
	    !utf8_valid(body, len) || !escape_printable(body, len) ||
	    *body == '@');
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

/* Print an entry in the format asked for, in the style asked for. */
static int
cmd_show_print(struct json_object *entry, const struct proto_frame *frame,
    enum show_format format, const struct show_style *style)
{
	struct buffer	 b;
	const char	*rejected = proto_string(entry, "rejected");
	const char	*digest = proto_string(entry, "body_sha256");
	const char	*refused = proto_string(entry, "refused");
	int		 ret;

	/* Not even --curl shows a password: replay sends the request again. */
	mask_json_field(entry, "url");
	mask_json_field(entry, "error");
	/* The text and curl forms have no place for it: say it aside. */
	if (rejected != NULL && format != SHOW_JSON && digest != NULL)
		fish_warnx("show: message %lld was rejected: %s; its body "
		    "(%lld bytes, sha256 %s) was not kept",
		    (long long)proto_int(entry, "seq", 0), rejected,
		    (long long)proto_int(entry, "body_size", 0), digest);
	else if (rejected != NULL && format != SHOW_JSON)
		fish_warnx("show: message %lld was rejected: %s",
		    (long long)proto_int(entry, "seq", 0), rejected);
	else if (refused != NULL && format != SHOW_JSON)
		fish_warnx("show: message %lld was refused: %lld %s; its body "
		    "was not read", (long long)proto_int(entry, "seq", 0),
		    (long long)proto_int(entry, "http_status", 0), refused);
	/* The JSON and curl forms are escaped whole, as they are written. */
	output_escape(style->escape && format != SHOW_TEXT);
	if (format == SHOW_JSON) {
		timeline_with_bodies(entry, frame->payload, frame->payload_len);
		return (output_json(entry));
	}
	buffer_init(&b);
	if (format == SHOW_CURL)
		cmd_show_add_curl(&b, entry, frame->payload,
		    frame->payload_len);
	else
		cmd_show_add_text(&b, style, entry, frame->payload,
		    frame->payload_len);
	ret = output_write(buffer_peek(&b), buffer_unread(&b));
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
	struct show_style	 style;
	enum show_format	 format = SHOW_TEXT;
	enum term_colour	 colour = TERM_COLOUR_AUTO;
	int64_t			 seq;
	int			 ch, status, raw = 0;

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
		case 'C':
			if (optarg == NULL)
				colour = TERM_COLOUR_ALWAYS;
			else if (term_colour_parse(optarg, &colour) != 0)
				return (cmd_usage_error(entry, "invalid --color "
				    "'%s' (use auto, always or never)", optarg));
			break;
		case 'r':
			raw = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (timeline_number(argv[optind], &seq) != 0)
		return (cmd_usage_error(entry, "invalid SEQ '%s' (use a "
		    "message number, as " FISH_NAME " log shows)",
		    argv[optind]));
	style.escape = isatty(STDOUT_FILENO) && !raw;
	style.colour = term_colour(colour, STDOUT_FILENO);
	style.pretty = isatty(STDOUT_FILENO) || style.colour;

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
	if (cmd_show_print(message, &frame, format, &style) != 0)
		status = timeline_write_error("show");
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	return (status);
}
