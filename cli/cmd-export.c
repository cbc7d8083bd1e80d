/*
 * fish export: write the session's timeline in a format other tools read.
 * One format so far: HAR 1.2 (--har FILE), the HTTP Archive that browser
 * devtools, proxies and HAR viewers open.
 *
 * Each message of the timeline is an entry of the archive's log: a
 * request we sent with the response the server gave; a request a hook
 * received with the answer it got, as far as the journal knows it (its
 * status, and the headers and body of a held request's reply or of the
 * app's answer to a forwarded one; the body a hook answers with is the
 * hook's, not the message's, and is not repeated).
 * Bodies are postData and content text, base64-encoded (with "encoding":
 * "base64") when they are not UTF-8.  What HAR has no field for goes in
 * members starting with "_", as HAR allows: _seq, _direction, _state, the
 * hook, why a request was refused or rejected, and a sent request's error.
 * The archive is built in memory and written once complete.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "timeline.h"
#include "xmalloc.h"

static int	cmd_export_exec(int, char **);

const struct cmd_entry cmd_export_entry = {
	.name = "export",
	.usage = "[HOOK...] --har FILE",
	.args = { 0, -1 },
	.summary = "write the timeline as a HAR file",
	.help =
	    "Write the session's timeline (see " FISH_NAME " log) to FILE as an\n"
	    "HTTP Archive (HAR 1.2), for browser devtools and HAR viewers: one\n"
	    "entry per message, a request sent with its response, a request\n"
	    "received with the status it was answered (and the headers and body\n"
	    "of a held one's reply, or of the app's answer to a forwarded one).\n"
	    "Bodies are text, or base64 when they are not UTF-8.\n"
	    "Refused and rejected requests are there, without their bodies.\n"
	    "With HOOKs (URL, token or name), only what those hooks received.\n"
	    "\n"
	    "  --har FILE      write HAR 1.2 to FILE (- for stdout)\n"
	    "  -h, --help      show this help\n",
	.exec = cmd_export_exec
};

static const struct option cmd_export_options[] = {
	{ "har", required_argument, NULL, 'H' },
	CMD_OPTIONS_END
};

/* The archive being built. */
struct export {
	struct json_object	*entries;
	const char		*base_url;	/* of hooks, for 404s */
};

/* The reason phrases HAR viewers show, for the statuses hooks give. */
static const char *
cmd_export_status_text(int64_t status)
{
	static const struct {
		int		 status;
		const char	*text;
	} texts[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" },
		{ 204, "No Content" }, { 301, "Moved Permanently" },
		{ 302, "Found" }, { 304, "Not Modified" },
		{ 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 410, "Gone" },
		{ 413, "Content Too Large" }, { 414, "URI Too Long" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" }, { 502, "Bad Gateway" },
		{ 503, "Service Unavailable" }, { 504, "Gateway Timeout" },
	};
	size_t	i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (texts[i].status == status)
			return (texts[i].text);
	}
	return ("");
}

/* Return an entry's string member, or "" when it has none. */
static const char *
cmd_export_string(struct json_object *o, const char *key)
{
	const char	*s = proto_string(o, key);

	return (s == NULL ? "" : s);
}

/* Make a HAR name/value pair. */
static struct json_object *
cmd_export_pair(const char *name, const char *value)
{
	struct json_object	*pair;

	pair = json_object_new_object();
	json_object_object_add(pair, "name", json_object_new_string(name));
	json_object_object_add(pair, "value", json_object_new_string(value));
	return (pair);
}

/* Make HAR headers from an entry's headers object (names lower-cased). */
static struct json_object *
cmd_export_headers(struct json_object *entry, const char *key)
{
	struct json_object	*list, *headers;

	list = json_object_new_array();
	if (!json_object_object_get_ex(entry, key, &headers) ||
	    !json_object_is_type(headers, json_type_object))
		return (list);
	json_object_object_foreach(headers, name, value)
		json_object_array_add(list, cmd_export_pair(name,
		    json_object_get_string(value)));
	return (list);
}

/* Make a HAR queryString from a raw query: name=value pairs, as sent. */
static struct json_object *
cmd_export_query(const char *query)
{
	struct json_object	*list;
	const char		*p = query, *end, *equals;
	char			*name, *value;

	list = json_object_new_array();
	while (*p != '\0') {
		end = p + strcspn(p, "&");
		equals = memchr(p, '=', (size_t)(end - p));
		if (end > p) {
			name = xstrndup(p, (size_t)((equals != NULL ? equals :
			    end) - p));
			value = equals != NULL ? xstrndup(equals + 1,
			    (size_t)(end - equals - 1)) : xstrdup("");
			json_object_array_add(list, cmd_export_pair(name,
			    value));
			free(name);
			free(value);
		}
		p = *end == '\0' ? end : end + 1;
	}
	return (list);
}

/*
 * Add a body to a HAR postData or content object: "text" from entry's
 * member key (text) or key_base64 (with "encoding": "base64").  Return
 * its size in bytes.
 */
static size_t
cmd_export_body(struct json_object *to, struct json_object *entry,
    const char *key)
{
	struct json_object	*value;
	char			*name;
	size_t			 size = 0;

	if (json_object_object_get_ex(entry, key, &value)) {
		size = (size_t)json_object_get_string_len(value);
		json_object_object_add(to, "text", json_object_get(value));
		return (size);
	}
	xasprintf(&name, "%s_base64", key);
	if (json_object_object_get_ex(entry, name, &value)) {
		size = (size_t)json_object_get_string_len(value) / 4 * 3;
		json_object_object_add(to, "text", json_object_get(value));
		json_object_object_add(to, "encoding",
		    json_object_new_string("base64"));
	}
	free(name);
	return (size);
}

/* Return the value of header name in an entry's headers object, or "". */
static const char *
cmd_export_header(struct json_object *entry, const char *key,
    const char *name)
{
	struct json_object	*headers, *value;

	if (!json_object_object_get_ex(entry, key, &headers) ||
	    !json_object_object_get_ex(headers, name, &value))
		return ("");
	return (json_object_get_string(value));
}

/* Make the HAR request of an entry. */
static struct json_object *
cmd_export_request(struct export *ex, struct json_object *entry, int sent)
{
	struct json_object	*request, *post;
	const char		*hook = proto_string(entry, "hook");
	const char		*query = cmd_export_string(entry, "query");
	char			*url;
	size_t			 size;

	request = json_object_new_object();
	json_object_object_add(request, "method", json_object_new_string(
	    *cmd_export_string(entry, "method") == '\0' ? "GET" :
	    cmd_export_string(entry, "method")));
	if (sent)
		url = xstrdup(cmd_export_string(entry, "url"));
	else {
		xasprintf(&url, "%s%s%s%s", hook != NULL ? hook : ex->base_url,
		    strcmp(cmd_export_string(entry, "path"), "/") == 0 &&
		    hook != NULL ? "" : cmd_export_string(entry, "path"),
		    *query != '\0' ? "?" : "", query);
	}
	json_object_object_add(request, "url", json_object_new_string(url));
	free(url);
	json_object_object_add(request, "httpVersion",
	    json_object_new_string("HTTP/1.1"));
	json_object_object_add(request, "cookies", json_object_new_array());
	json_object_object_add(request, "headers",
	    cmd_export_headers(entry, "headers"));
	json_object_object_add(request, "queryString", cmd_export_query(
	    sent ? "" : query));
	post = json_object_new_object();
	json_object_object_add(post, "mimeType", json_object_new_string(
	    cmd_export_header(entry, "headers", "content-type")));
	size = cmd_export_body(post, entry, "body");
	if (json_object_object_get_ex(post, "text", NULL))
		json_object_object_add(request, "postData", post);
	else
		json_object_put(post);
	json_object_object_add(request, "headersSize",
	    json_object_new_int(-1));
	json_object_object_add(request, "bodySize", json_object_new_int64(
	    proto_int(entry, "body_size", (int64_t)size)));
	return (request);
}

/* Make the HAR response of an entry: the server's, or the hook's answer. */
static struct json_object *
cmd_export_response(struct json_object *entry, int sent)
{
	struct json_object	*response, *content, *answer = NULL;
	int64_t			 status;
	size_t			 size = 0;

	response = json_object_new_object();
	status = proto_int(entry, "http_status", 0);
	json_object_object_get_ex(entry, "answer", &answer);
	json_object_object_add(response, "status",
	    json_object_new_int64(status));
	json_object_object_add(response, "statusText",
	    json_object_new_string(cmd_export_status_text(status)));
	json_object_object_add(response, "httpVersion",
	    json_object_new_string(status == 0 ? "" : "HTTP/1.1"));
	json_object_object_add(response, "cookies", json_object_new_array());
	json_object_object_add(response, "headers", sent ?
	    cmd_export_headers(entry, "response_headers") : answer != NULL ?
	    cmd_export_headers(answer, "headers") : json_object_new_array());
	content = json_object_new_object();
	json_object_object_add(content, "mimeType", json_object_new_string(
	    sent ? cmd_export_header(entry, "response_headers",
	    "content-type") : answer != NULL ? cmd_export_header(answer,
	    "headers", "content-type") : ""));
	if (sent)
		size = cmd_export_body(content, entry, "response_body");
	else if (answer != NULL && cmd_export_body(content, answer, "body") > 0)
		size = (size_t)proto_int(answer, "body_size", 0);
	json_object_object_add(content, "size", json_object_new_int64(
	    (int64_t)size));
	json_object_object_add(response, "content", content);
	json_object_object_add(response, "redirectURL",
	    json_object_new_string(""));
	json_object_object_add(response, "headersSize",
	    json_object_new_int(-1));
	json_object_object_add(response, "bodySize", sent || size > 0 ?
	    json_object_new_int64((int64_t)size) : json_object_new_int(-1));
	return (response);
}

/* Add fish's own members to a HAR entry, as HAR allows: "_" first. */
static void
cmd_export_extra(struct json_object *har, struct json_object *entry)
{
	static const char *const keys[] = {
		"seq", "direction", "state", "hook", "name", "event",
		"refused", "rejected", "error", "remote",
	};
	struct json_object	*value;
	char			*name;
	size_t			 i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (!json_object_object_get_ex(entry, keys[i], &value) ||
		    value == NULL)
			continue;
		xasprintf(&name, "_%s", keys[i]);
		json_object_object_add(har, name, json_object_get(value));
		free(name);
	}
}

/* Add one entry of the timeline to the archive (timeline_receive's cb). */
static int
cmd_export_add(struct json_object *entry, const void *body, size_t len,
    void *arg)
{
	struct export		*ex = arg;
	struct json_object	*har, *timings, *answer;
	int			 sent = timeline_is_sent(entry);
	int64_t			 time = 0, started;

	timeline_with_bodies(entry, body, len);
	har = json_object_new_object();
	started = timeline_ms(proto_string(entry, sent ? "sent_at" :
	    "received_at"));
	json_object_object_add(har, "startedDateTime", json_object_new_string(
	    cmd_export_string(entry, sent ? "sent_at" : "received_at")));
	if (sent)
		time = proto_int(entry, "time_ms", 0);
	else if (json_object_object_get_ex(entry, "answer", &answer))
		time = timeline_ms(proto_string(answer, "answered_at")) -
		    started;
	if (time < 0)
		time = 0;
	json_object_object_add(har, "time", json_object_new_int64(time));
	json_object_object_add(har, "request", cmd_export_request(ex, entry,
	    sent));
	json_object_object_add(har, "response", cmd_export_response(entry,
	    sent));
	json_object_object_add(har, "cache", json_object_new_object());
	timings = json_object_new_object();
	json_object_object_add(timings, "send", json_object_new_int(0));
	json_object_object_add(timings, "wait", json_object_new_int64(time));
	json_object_object_add(timings, "receive", json_object_new_int(0));
	json_object_object_add(har, "timings", timings);
	cmd_export_extra(har, entry);
	json_object_array_add(ex->entries, har);
	return (EXIT_OK);
}

/* Write the archive to path (- for stdout); print why and return 1 if not. */
static int
cmd_export_write(const char *path, struct json_object *archive)
{
	const char	*text;
	size_t		 len;
	int		 fd, ret;

	text = json_object_to_json_string_ext(archive,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (strcmp(path, "-") == 0) {
		fd = STDOUT_FILENO;
		/*
		 * On a terminal, escaped as log --json is: json-c leaves
		 * DEL, C1 controls and bytes that are not UTF-8 raw.
		 */
		output_escape(isatty(STDOUT_FILENO));
	} else if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1) {
		fish_warn("export: %s", path);
		return (EXIT_FAILED);
	}
	ret = fd == STDOUT_FILENO ? output_write(text, len) :
	    write_all(fd, text, len);
	if (ret != 0 || write_all(fd, "\n", 1) != 0) {
		if (errno != EPIPE)
			fish_warn("export: %s", path);
		if (fd != STDOUT_FILENO)
			close(fd);
		return (EXIT_FAILED);
	}
	if (fd != STDOUT_FILENO && close(fd) != 0) {
		fish_warn("export: %s", path);
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/* Make the archive's frame: log.version, creator, entries. */
static struct json_object *
cmd_export_archive(struct json_object *entries)
{
	struct json_object	*archive, *log, *creator;

	creator = json_object_new_object();
	json_object_object_add(creator, "name", json_object_new_string("fish"));
	json_object_object_add(creator, "version",
	    json_object_new_string(PACKAGE_VERSION));
	log = json_object_new_object();
	json_object_object_add(log, "version", json_object_new_string("1.2"));
	json_object_object_add(log, "creator", creator);
	json_object_object_add(log, "entries", json_object_get(entries));
	archive = json_object_new_object();
	json_object_object_add(archive, "log", log);
	return (archive);
}

/* Write the timeline as HAR. */
static int
cmd_export_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_export_entry;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request, *hooks, *archive;
	struct export		 ex;
	const char		*har = NULL;
	char			*base = NULL;
	int			 ch, i, status;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_export_options)) !=
	    -1) {
		switch (ch) {
		case 'H':
			har = optarg;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (har == NULL)
		return (cmd_usage_error(entry, "say where to write: --har FILE"));

	if ((status = client_open(&c, fish_session, CLIENT_START)) != EXIT_OK)
		return (status);
	proto_frame_init(&frame);
	memset(&ex, 0, sizeof ex);
	ex.entries = json_object_new_array();

	/* The base URL of hooks, for requests that named none (404). */
	request = proto_request("status");
	if ((status = client_call(&c, request, NULL, 0, &frame, -1)) ==
	    EXIT_OK)
		base = xstrdup(cmd_export_string(frame.json, "url"));
	json_object_put(request);
	proto_frame_release(&frame);
	if (status != EXIT_OK)
		goto fail;
	ex.base_url = base;

	request = proto_request("log");
	hooks = json_object_new_array();
	for (i = optind; i < argc; i++)
		json_object_array_add(hooks, json_object_new_string(argv[i]));
	json_object_object_add(request, "hooks", hooks);
	if ((status = client_call(&c, request, NULL, 0, &frame, -1)) ==
	    EXIT_OK)
		status = timeline_receive(&c, &frame, cmd_export_add, &ex);
	json_object_put(request);
	proto_frame_release(&frame);
	if (status == EXIT_OK) {
		archive = cmd_export_archive(ex.entries);
		status = cmd_export_write(har, archive);
		json_object_put(archive);
	}
fail:
	json_object_put(ex.entries);
	free(base);
	client_close(&c);
	return (status);
}
