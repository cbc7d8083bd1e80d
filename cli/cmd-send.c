/*
 * fish send: make an HTTP request through the listener and print the
 * response body.  The listener does the HTTP (and journals the exchange);
 * this command builds the request from httpie-style items and options.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "items.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "xmalloc.h"

#define SEND_TIMEOUT_MS	30000	/* default --timeout */
#define SEND_GRACE_MS	5000	/* for the listener to answer after it */

static int	cmd_send_exec(int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "[METHOD] URL [ITEM...] [-H 'Name: value']... [--json T|@F]"
	    " [--data T|@F] [--timeout D]",
	.summary = "make an HTTP request and print the response body",
	.help =
	    "Make a request through the listener and print the response body\n"
	    "exactly.  Exit 1 when the server answers outside 200-299, 5 when it\n"
	    "cannot be reached.  METHOD defaults to POST with a body, else GET.\n"
	    "\n"
	    "Items:\n"
	    "  key=value     JSON string field of the body\n"
	    "  key:=json     raw JSON field of the body\n"
	    "  key==value    query parameter, added to the URL\n"
	    "  Name:value    request header\n"
	    "\n"
	    "Options:\n"
	    "  -H 'Name: value'  add a request header\n"
	    "  --json T|@F|@-    send JSON text T, file F or stdin as the body,\n"
	    "                    as application/json\n"
	    "  --data T|@F|@-    send T, file F or stdin as the body, as it is\n"
	    "  --timeout D       give up after D (250ms, 5s, 2m, 1h; default 30s)\n"
	    "  -h, --help        show this help\n",
	.exec = cmd_send_exec
};

static const struct option cmd_send_options[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "header", required_argument, NULL, 'H' },
	{ "json", required_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	CMD_OPTIONS_END
};

/* Tell whether a word is a method: upper-case letters only. */
static int
cmd_send_is_method(const char *s)
{
	size_t	len = strlen(s);

	return (len > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == len);
}

/*
 * Add the -H headers and the items, then read or make the body.  Return
 * EXIT_OK with the body (or NULL) in *body, else the exit status after
 * printing why.
 */
static int
cmd_send_prepare(struct items *items, char **headers, size_t nheaders,
    char **operands, int count, const char *json, const char *data,
    char **body, size_t *len)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	struct json_object	*parsed;
	char			*cause = NULL, *why;
	size_t			 i;
	int			 n, status = EXIT_USAGE;

	for (i = 0; i < nheaders; i++) {
		if (items_add_header(items, headers[i], &cause) != 0)
			goto fail;
	}
	for (n = 0; n < count; n++) {
		if (items_add(items, operands[n], &cause) != 0)
			goto fail;
	}
	if ((json != NULL) + (data != NULL) + (items->body != NULL) > 1) {
		cause = xstrdup("give only one body: --json, --data or fields");
		goto fail;
	}

	if (json != NULL || data != NULL) {
		if ((*body = read_body("send", json != NULL ? json : data,
		    PROTO_PAYLOAD_MAX, len)) == NULL)
			return (EXIT_FAILED);
	} else if (items->body != NULL) {
		*body = xstrdup(json_object_to_json_string_ext(items->body,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		*len = strlen(*body);
	}
	if (json != NULL) {
		parsed = jsonptr_parse(*body, *len, &why);
		json_object_put(parsed);
		if (why != NULL) {
			xasprintf(&cause, "--json: %s", why);
			free(why);
			goto fail;
		}
	}
	if ((json != NULL || items->body != NULL) &&
	    !items_has_header(items, "Content-Type"))
		items_add_header(items, "Content-Type: application/json", &cause);
	return (EXIT_OK);

fail:
	status = cmd_usage_error(entry, "%s", cause);
	free(cause);
	return (status);
}

/* Send the request through the listener and print the response. */
static int
cmd_send_request(const char *method, const struct items *items,
    uint64_t timeout, const char *body, size_t len)
{
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	const char		*error;
	int64_t			 http_status, deadline;
	int			 status;

	if ((status = client_open(&c, fish_session, CLIENT_START)) != EXIT_OK)
		return (status);
	proto_frame_init(&frame);
	request = proto_request("send");
	json_object_object_add(request, "method",
	    json_object_new_string(method));
	json_object_object_add(request, "url",
	    json_object_new_string(items->url));
	json_object_object_add(request, "headers",
	    json_object_get(items->headers));
	json_object_object_add(request, "timeout_ms",
	    json_object_new_int64((int64_t)timeout));

	/* The listener enforces the timeout; ours only guards against it. */
	deadline = client_now() + (int64_t)timeout + SEND_GRACE_MS;
	if ((status = client_call(&c, request, body, len, &frame,
	    deadline)) != EXIT_OK) {
		if (status == EXIT_TIMEOUT) {
			fish_warnx("%s %s: the listener did not answer in time",
			    method, items->url);
			status = EXIT_UNAVAILABLE;
		}
		goto fail;
	}
	/* Say which request failed: curl's text names neither it nor us. */
	if ((status = proto_status(frame.json)) != EXIT_OK) {
		error = proto_string(frame.json, "error");
		fish_warnx("%s %s: %s", method, items->url,
		    error != NULL ? error : "failed");
		goto fail;
	}

	http_status = proto_int(frame.json, "http_status", 0);
	if (write_all(STDOUT_FILENO, frame.payload, frame.payload_len) != 0) {
		fish_warn("send: stdout");
		status = EXIT_FAILED;
	} else if (http_status < 200 || http_status > 299) {
		fish_warnx("%s %s: server answered %lld", method, items->url,
		    (long long)http_status);
		status = EXIT_FAILED;
	}
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}

/* Parse the arguments, make the request and print the response. */
static int
cmd_send_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	struct items		 items;
	const char		*method = NULL, *url, *json = NULL;
	const char		*data = NULL;
	char			**headers = NULL, *body = NULL;
	size_t			 nheaders = 0, len = 0;
	uint64_t		 timeout = SEND_TIMEOUT_MS;
	int			 ch, status = EXIT_USAGE;

	while ((ch = cmd_getopt(entry, argc, argv, "H:", cmd_send_options)) !=
	    -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'H':
			headers = xreallocarray(headers, nheaders + 1,
			    sizeof *headers);
			headers[nheaders++] = optarg;
			break;
		case 'j':
			json = optarg;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &timeout) != 0)
				goto fail;
			break;
		case CMD_HELP:
			status = EXIT_OK;
			goto fail;
		default:
			goto fail;
		}
	}
	if (optind < argc && cmd_send_is_method(argv[optind]))
		method = argv[optind++];
	if (optind == argc) {
		status = cmd_usage_error(entry, "expected a URL");
		goto fail;
	}
	url = argv[optind++];
	if (!cmd_url_valid(url)) {
		status = cmd_usage_error(entry, "invalid URL '%s' (use http://..."
		    " or https://...)", url);
		goto fail;
	}

	items_init(&items, url);
	status = cmd_send_prepare(&items, headers, nheaders, argv + optind,
	    argc - optind, json, data, &body, &len);
	if (status == EXIT_OK) {
		if (method == NULL)
			method = body != NULL ? "POST" : "GET";
		status = cmd_send_request(method, &items, timeout, body, len);
	}
	items_release(&items);
	free(body);
fail:
	free(headers);
	return (status);
}
