/*
 * fish send: make an HTTP request through the listener and print the
 * response body.  The listener does the HTTP, the retries and their
 * backoff (and journals every attempt); this command builds the request
 * from httpie-style items and options (and curl's: curlopt.c), waits for
 * the last attempt's answer, prints it (cmd-send-output.c; -w: writeout.c)
 * and checks its status against --expect.  The proxy is this command's, never the
 * listener's: the listener keeps the environment of whichever command
 * started it.
 */
#include "config.h"


#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "clock.h"
#include "cmd-send.h"
#include "curlopt.h"
#include "fish.h"
#include "items.h"
#include "output.h"
#include "proto.h"
#include "retry.h"
#include "sigspec.h"
#include "size.h"
#include "writeout.h"
#include "xmalloc.h"

#define SEND_TIMEOUT_MS	30000	/* default --timeout, per attempt */
#define SEND_GRACE_MS	5000	/* for the listener to answer after it */

static int	cmd_send_exec(int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "[METHOD] URL [ITEM...] [-H 'Name: value'|@F]... [--json T|@F]"
	    " [--data T|@F] [--data-urlencode S]... [-G] [-F NAME=V|@F]..."
	    " [-u USER:PASSWORD] [--timeout D] [--retry N] [--expect CODES]"
	    " [--sign SCHEME:SECRET] [-i] [-L] [-o FILE] [-q] [-v] [-w FORMAT]"
	    " [-k] [--cacert F] [--proxy URL] [--noproxy LIST]"
	    " [--proxy-user USER:PASSWORD] [--proxy-header 'Name: value'|@F]"
	    " [--compressed]"
	    " [--max-response SIZE] [--raw]",
	.args = { 1, -1 },
	.summary = "make an HTTP request and print the response body",
	.help =
	    "Make a request through the listener and print the response body\n"
	    "exactly.  Exit 1 when the server answers outside --expect (2xx),\n"
	    "5 when it cannot be reached, 3 when the listener is lost during\n"
	    "the request (it may have been made: never sent again by itself)\n"
	    "or its Redis store does not acknowledge the request's record,\n"
	    "or no file is free for it, within --timeout (then it never\n"
	    "leaves; for a retry, the attempt before it decides).\n"
	    "METHOD defaults to POST with a body, else GET.  Every attempt\n"
	    "is journaled before it leaves and shows in '" FISH_NAME
	    " log';\n"
	    "connections to a server are kept and reused by later sends of\n"
	    "the session.  Options named as curl's mean what curl's do.  On a\n"
	    "terminal, control characters of the response are escaped.\n"
	    "\n"
	    "Items:\n"
	    "  key=value     JSON string field of the body\n"
	    "  key:=json     raw JSON field of the body\n"
	    "  key==value    query parameter, added to the URL\n"
	    "  Name:value    request header\n"
	    "\n"
	    "Options:\n"
	    "  -H 'Name: value'  add a request header; -H @FILE (or @-) adds\n"
	    "                    the headers of FILE, one a line, as curl does\n"
	    "  --json T|@F|@-    send JSON text T, file F or stdin as the body,\n"
	    "                    as application/json\n"
	    "  --data T|@F|@-    send T, file F or stdin as the body, as it\n"
	    "                    is; repeated ones and --data-urlencode are\n"
	    "                    joined by &, in order, as curl does\n"
	    "  --data-urlencode S  send S URL-encoded, as curl: content,\n"
	    "                    name=content, @file or name@file; repeated\n"
	    "                    ones joined by &, as application/x-www-form-\n"
	    "                    urlencoded\n"
	    "  -G, --get         put the data of --data or --data-urlencode\n"
	    "                    in the URL's query (after ? or &) instead,\n"
	    "                    and send a GET (or METHOD), as curl -G does;\n"
	    "                    line breaks of --data @F or @- are dropped\n"
	    "  -F, --form NAME=V send a multipart/form-data body; V is a value,\n"
	    "                    @FILE to upload a file or <FILE for its\n"
	    "                    content as the value, \"quoted\" if it holds\n"
	    "                    a ;, then curl's ;type=T, ;filename=N and\n"
	    "                    ;headers=H|@F\n"
	    "  -u, --user USER:PASSWORD  basic authentication, the password\n"
	    "                    hidden from ps; -u USER asks for it on a\n"
	    "                    terminal, and is a usage error in a script\n"
	    "  -x, --proxy URL   use this proxy (\"\" for none); by default the\n"
	    "                    proxy of this command's environment, as curl\n"
	    "                    picks it: http_proxy, https_proxy, ALL_PROXY\n"
	    "  --noproxy LIST    hosts to reach without the proxy (default\n"
	    "                    NO_PROXY; * for all)\n"
	    "  --proxy-user USER:PASSWORD  basic authentication to the proxy,\n"
	    "                    as -u: the password hidden from ps and -v,\n"
	    "                    asked for on a terminal when missing\n"
	    "  --proxy-header 'Name: value'|@F  send a header to the proxy\n"
	    "                    alone (on its CONNECT for https too, where\n"
	    "                    -H headers never go); @F as with -H\n"
	    "  -k, --insecure    do not check the server's certificate\n"
	    "  --cacert FILE     trust the certificates in FILE (PEM) alone\n"
	    "  --compressed      ask for a compressed response and decode it\n"
	    "  --max-response SIZE  fail (exit 1) on a response body larger\n"
	    "                    than SIZE (1 to 64MiB, the default; e.g. 10MiB)\n"
	    "  --timeout D       give up on an attempt (connect, send, receive)\n"
	    "                    after D (250ms, 5s, 2m, 1h, 1d; default 30s);\n"
	    "                    each retry has its own D, as with curl\n"
	    "                    --max-time\n"
	    "  --retry N         try again up to N times (0-100, default 0) after\n"
	    "                    a network error or timeout, 429 or 5xx, for any\n"
	    "                    method; wait 1s doubling to 30s, randomised, or\n"
	    "                    what Retry-After asks (up to 60s; more: stop)\n"
	    "  --expect CODES    statuses that succeed: 200, 2xx, 200,404 (default\n"
	    "                    2xx); any other exits 1\n"
	    "  --sign SPEC       sign the body as SPEC's scheme would: github,\n"
	    "                    stripe, standard or hmac-sha256:HEADER, with\n"
	    "                    the secret SCHEME:SECRET, SCHEME:@FILE or\n"
	    "                    SCHEME:env:NAME (see " FISH_NAME
	    " sign); standard takes\n"
	    "                    webhook-id and webhook-timestamp from -H if given;\n"
	    "                    not with -L\n"
	    "  -i, --include     print the status line and headers, a blank line,\n"
	    "                    then the body (of the last response)\n"
	    "  -L, --location    follow redirects (up to 10; off by default)\n"
	    "  -o, --output FILE write the output to FILE instead of stdout; FILE\n"
	    "                    is replaced only when a response arrived\n"
	    "  -q, --quiet       print no body; the exit status tells\n"
	    "  -v, --verbose     print the request's and the response's heads\n"
	    "                    on stderr, after '> ' and '< ' as curl does\n"
	    "                    (credentials hidden)\n"
	    "  -w, --write-out FORMAT  print FORMAT after the body, with curl's\n"
	    "                    variables: %{http_code}, %{time_total},\n"
	    "                    %{size_download}, %{url_effective},\n"
	    "                    %{content_type}, %{num_redirects},\n"
	    "                    %{num_retries}, %{errormsg}, %header{NAME}, and\n"
	    "                    %{json}: status, headers, body, time, attempts\n"
	    "                    as one JSON object; @FILE reads FORMAT\n"
	    "  --raw             print control characters as they are, even to\n"
	    "                    a terminal\n"
	    "  -h, --help        show this help\n",
	.exec = cmd_send_exec
};

/* Long options without a short one. */
enum {
	SEND_CACERT = 1000,
	SEND_COMPRESSED,
	SEND_URLENCODE,
	SEND_MAX_RESPONSE,
	SEND_RAW
};

static const struct option cmd_send_options[] = {
	{ "cacert", required_argument, NULL, SEND_CACERT },
	{ "compressed", no_argument, NULL, SEND_COMPRESSED },
	{ "data", required_argument, NULL, 'd' },
	{ "data-urlencode", required_argument, NULL, SEND_URLENCODE },
	{ "expect", required_argument, NULL, 'e' },
	{ "form", required_argument, NULL, 'F' },
	{ "get", no_argument, NULL, 'G' },
	{ "header", required_argument, NULL, 'H' },
	{ "include", no_argument, NULL, 'i' },
	{ "insecure", no_argument, NULL, 'k' },
	{ "json", required_argument, NULL, 'j' },
	{ "location", no_argument, NULL, 'L' },
	{ "max-response", required_argument, NULL, SEND_MAX_RESPONSE },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "raw", no_argument, NULL, SEND_RAW },
	{ "retry", required_argument, NULL, 'r' },
	{ "sign", required_argument, NULL, 's' },
	{ "timeout", required_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "write-out", required_argument, NULL, 'w' },
	PROXY_OPTIONS,
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
 * Say that url, which next follows, is no URL: when it is a method in
 * the wrong case before a URL ("get http://..."), say how a method is
 * written.  Return EXIT_USAGE.
 */
static int
cmd_send_bad_url(const char *url, const char *next)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	char			*upper;
	size_t			 i;
	int			 status;

	upper = xstrdup(url);
	for (i = 0; upper[i] != '\0'; i++)
		upper[i] = (char)toupper((unsigned char)upper[i]);
	if (next != NULL && cmd_url_valid(next) && cmd_send_is_method(upper))
		status = cmd_usage_error(entry, "invalid URL '%s' (a method is "
		    "written in capital letters: %s)", url, upper);
	else
		status = cmd_usage_error(entry, "invalid URL '%s' (use "
		    "http://... or https://...)", url);
	free(upper);
	return (status);
}

/*
 * Parse --expect: a comma-separated list of codes (200) and classes (2xx).
 * Return -1 after a usage error.
 */
static int
cmd_send_parse_expect(struct send_options *so, const char *s)
{
	const char	*p = s;
	size_t		 len;
	int		 low;

	so->expect = s;
	so->nexpect = 0;
	for (;;) {
		len = strcspn(p, ",");
		if (len != 3 || so->nexpect == SEND_EXPECT_MAX ||
		    p[0] < '1' || p[0] > '5')
			goto invalid;
		low = (p[0] - '0') * 100;
		if ((p[1] == 'x' || p[1] == 'X') && (p[2] == 'x' || p[2] == 'X')) {
			so->expect_low[so->nexpect] = low;
			so->expect_high[so->nexpect++] = low + 99;
		} else if (isdigit((unsigned char)p[1]) &&
		    isdigit((unsigned char)p[2])) {
			low += (p[1] - '0') * 10 + (p[2] - '0');
			so->expect_low[so->nexpect] = low;
			so->expect_high[so->nexpect++] = low;
		} else
			goto invalid;
		if (p[len] == '\0')
			return (0);
		p += len + 1;
	}
invalid:
	cmd_usage_error(&cmd_send_entry, "invalid --expect '%s' (use e.g. 200, "
	    "2xx or 200,404)", s);
	return (-1);
}

/* Parse --retry N; return -1 after a usage error. */
static int
cmd_send_parse_retry(struct send_options *so, const char *s)
{
	size_t	len = strlen(s);

	if (len == 0 || len > 3 || strspn(s, "0123456789") != len ||
	    strtoul(s, NULL, 10) > RETRY_MAX) {
		cmd_usage_error(&cmd_send_entry, "invalid --retry '%s' (use a "
		    "whole number from 0 to %d)", s, RETRY_MAX);
		return (-1);
	}
	so->retries = (unsigned int)strtoul(s, NULL, 10);
	return (0);
}

/* Tell whether --expect takes an HTTP status. */
static int
cmd_send_expected(const struct send_options *so, int64_t http_status)
{
	size_t	i;

	for (i = 0; i < so->nexpect; i++) {
		if (http_status >= so->expect_low[i] &&
		    http_status <= so->expect_high[i])
			return (1);
	}
	return (0);
}

/* Return how long the listener may take at most, retries included. */
static int64_t
cmd_send_budget(const struct send_options *so)
{
	int64_t	backoff = RETRY_BACKOFF_MAX_MS;

	if (backoff < RETRY_AFTER_MAX_MS)
		backoff = RETRY_AFTER_MAX_MS;
	return ((int64_t)(so->retries + 1) * (int64_t)so->timeout +
	    (int64_t)so->retries * backoff);
}

/*
 * Resolve --sign SPEC here, where the user's files and environment are,
 * and add its scheme and secret to the request: the listener signs the
 * exact bytes it sends.  Return EXIT_OK, or EXIT_USAGE after saying why
 * (never with the secret).
 */
static int
cmd_send_sign(const char *spec, struct json_object *request)
{
	struct sigspec	 s;
	char		*cause, scheme[SIGSPEC_HEADER_MAX + 32];

	if (sigspec_parse(spec, &s, &cause) == -1) {
		fish_warnx("send: --sign: %s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	json_object_object_add(request, "sign", json_object_new_string(
	    sigspec_scheme_name(&s, scheme, sizeof scheme)));
	json_object_object_add(request, "secret",
	    json_object_new_string_len(s.secret, (int)s.secret_len));
	sigspec_free(&s);
	return (EXIT_OK);
}

/*
 * Add curl's options to the request: the proxy of this command (flags,
 * else its environment), TLS, decoding, -v and the response limit.
 * Return an exit status, after saying why when it is not EXIT_OK.
 */
static int
cmd_send_curl_options(const struct send_options *so, const char *url,
    struct json_object *request)
{
	char	*cause;
	int	 status;

	if ((status = curlopt_proxy_add(request, url, &so->proxy,
	    &cause)) != EXIT_OK)
		return (cmd_fail(&cmd_send_entry, status, cause));
	if (so->insecure)
		json_object_object_add(request, "insecure",
		    json_object_new_boolean(1));
	if (so->cacert != NULL)
		json_object_object_add(request, "cacert",
		    json_object_new_string(so->cacert));
	if (so->compressed)
		json_object_object_add(request, "compressed",
		    json_object_new_boolean(1));
	if (so->verbose)
		json_object_object_add(request, "verbose",
		    json_object_new_boolean(1));
	if (so->max_response > 0)
		json_object_object_add(request, "max_response",
		    json_object_new_int64((int64_t)so->max_response));
	return (EXIT_OK);
}

/* Add what the listener needs to make the request to it. */
static void
cmd_send_request_fields(const char *method, const struct items *items,
    const struct send_options *so, struct json_object *request)
{
	json_object_object_add(request, "method",
	    json_object_new_string(method));
	json_object_object_add(request, "url",
	    json_object_new_string(items->url));
	json_object_object_add(request, "headers",
	    json_object_get(items->headers));
	json_object_object_add(request, "timeout_ms",
	    json_object_new_int64((int64_t)so->timeout));
	if (so->retries > 0)
		json_object_object_add(request, "retries",
		    json_object_new_int((int)so->retries));
	if (so->follow)
		json_object_object_add(request, "follow",
		    json_object_new_boolean(1));
	if (so->include)
		json_object_object_add(request, "include",
		    json_object_new_boolean(1));
}

/*
 * The request failed (status): say which, since curl's text names
 * neither it nor us, with curl's notes under -v (where it got to: the
 * proxy, the handshake), and write -w's line for a failed transfer.
 */
static void
cmd_send_failed(const char *method, const char *url, struct send_options *so,
    const struct proto_frame *frame, const char *after, int status)
{
	const char	*error = proto_string(frame->json, "error");
	size_t		 trace_len;

	if (so->verbose) {
		trace_len = (size_t)proto_int(frame->json, "trace_len", 0);
		cmd_send_trace(frame->payload, trace_len <= frame->payload_len ?
		    trace_len : 0);
	}
	fish_warnx("send: %s %s: %s%s%s", method, url,
	    error != NULL ? error : "failed", after,
	    proto_bool(frame->json, "unverified") ? " (--cacert FILE "
	    "trusts its certificate, -k trusts any)" : "");
	if (status == EXIT_NETWORK || status == EXIT_FAILED)
		(void)cmd_send_write_out(so, url, frame,
		    error != NULL ? error : "failed");
}

/* Send the request through the listener and print the response. */
static int
cmd_send_request(const char *method, const struct items *items,
    struct send_options *so, const char *body, size_t len)
{
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	int64_t			 http_status, attempts, deadline;
	int			 status, answered = 0;
	const char		*note;
	char			 after[64] = "";

	request = proto_request("send");
	if ((so->sign != NULL &&
	    (status = cmd_send_sign(so->sign, request)) != EXIT_OK) ||
	    (status = cmd_send_curl_options(so, items->url, request)) !=
	    EXIT_OK) {
		json_object_put(request);
		return (status);
	}
	if (so->output != NULL &&
	    (status = cmd_send_output_open(so)) != EXIT_OK) {
		json_object_put(request);
		return (status);
	}
	if ((status = client_open(&c, fish_session, CLIENT_START |
	    CLIENT_CREATE)) != EXIT_OK) {
		(void)cmd_send_output_close(so, 0);
		json_object_put(request);
		return (status);
	}
	proto_frame_init(&frame);
	cmd_send_request_fields(method, items, so, request);
	/*
	 * The listener enforces the timeout of each attempt and the backoff
	 * between them; ours only guards against it.
	 */
	deadline = clock_mono_ms() + cmd_send_budget(so) + SEND_GRACE_MS;
	if (client_interrupted)
		status = EXIT_INTERRUPTED;
	else
		status = client_call(&c, request, body, len, &frame, deadline);
	if (status == EXIT_TIMEOUT || status == CLIENT_IN_DOUBT) {
		fish_warnx("send: %s %s: %s during the request: it may have "
		    "been made; '" FISH_NAME " log' shows what was sent",
		    method, items->url, status == EXIT_TIMEOUT ? "the listener "
		    "did not answer in time" : "lost contact with the listener");
		status = EXIT_UNAVAILABLE;
	}
	if (status != EXIT_OK)
		goto fail;
	attempts = proto_int(frame.json, "attempts", 1);
	if (attempts > 1)
		(void)snprintf(after, sizeof after, " (after %lld attempts)",
		    (long long)attempts);
	/* The next attempt found no file free: say so, with its result. */
	if ((note = proto_string(frame.json, "note")) != NULL)
		(void)snprintf(after, sizeof after, " (after %lld attempt%s)",
		    (long long)attempts, attempts == 1 ? "" : "s");
	if ((status = proto_status(frame.json)) != EXIT_OK) {
		cmd_send_failed(method, items->url, so, &frame, after, status);
		if (note != NULL)
			fish_warnx("send: %s %s: %s", method, items->url, note);
		goto fail;
	}

	http_status = proto_int(frame.json, "http_status", 0);
	if ((status = cmd_send_print(so, &frame)) != EXIT_OK)
		goto fail;
	if ((status = cmd_send_write_out(so, items->url, &frame, NULL)) !=
	    EXIT_OK)
		goto fail;
	/* -o keeps any answer, as curl -o does; the status decides the exit. */
	answered = 1;
	if (!cmd_send_expected(so, http_status)) {
		fish_warnx("send: %s %s: got %lld, expected %s%s", method,
		    items->url, (long long)http_status, so->expect, after);
		status = EXIT_FAILED;
	}
	if (note != NULL)
		fish_warnx("send: %s %s: %s", method, items->url, note);
fail:
	if (cmd_send_output_close(so, answered) != EXIT_OK && status == EXIT_OK)
		status = EXIT_FAILED;
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}

/* Add an option's value to a list of them. */
static void
cmd_send_append(char ***list, size_t *n, char *value)
{
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = value;
}

/*
 * Parse the options of curl's that take more than a flag: --cacert (made
 * absolute, for the listener), -w (read if @FILE, checked now) and
 * --max-response.  Return 0, or -1 after printing why (*status says how
 * to exit).
 */
static int
cmd_send_parse_curl(struct send_options *so, int ch, const char *arg,
    int *status)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	char			*cause = NULL;
	size_t			 len;

	*status = EXIT_USAGE;
	switch (ch) {
	case SEND_CACERT:
		free(so->cacert);
		if ((so->cacert = realpath(arg, NULL)) == NULL ||
		    access(so->cacert, R_OK) != 0) {
			fish_warn("send: --cacert: %s", arg);
			*status = EXIT_FAILED;
			return (-1);
		}
		return (0);
	case 'w':
		free(so->write_out);
		if (*arg == '@') {
			if ((so->write_out = read_body("send", arg,
			    PROTO_PAYLOAD_MAX, &len)) == NULL) {
				*status = EXIT_FAILED;
				return (-1);
			}
		} else
			so->write_out = xstrdup(arg);
		if (writeout_check(so->write_out, &cause) != 0) {
			cmd_usage_error(entry, "%s", cause);
			free(cause);
			return (-1);
		}
		return (0);
	case SEND_MAX_RESPONSE:
		if (size_parse(arg, &so->max_response, &cause) != 0 ||
		    so->max_response == 0 ||
		    so->max_response > PROTO_PAYLOAD_MAX) {
			cmd_usage_error(entry, "invalid --max-response '%s' "
			    "(use 1 to 64MiB, e.g. 512KiB or 10MiB)", arg);
			free(cause);
			return (-1);
		}
		return (0);
	}
	return (0);
}

/* Take a flag without argument into so or parts; 0 if ch is none. */
static int
cmd_send_flag(struct send_options *so, struct send_parts *parts, int ch)
{
	switch (ch) {
	case 'G':
		parts->get = 1;
		break;
	case 'i':
		so->include = 1;
		break;
	case 'k':
		so->insecure = 1;
		break;
	case 'L':
		so->follow = 1;
		break;
	case 'q':
		so->quiet = 1;
		break;
	case 'v':
		so->verbose = 1;
		break;
	case SEND_COMPRESSED:
		so->compressed = 1;
		break;
	case SEND_RAW:
		so->raw = 1;
		break;
	default:
		return (0);
	}
	return (1);
}

/*
 * Take option ch, with argument arg, into so and parts.  Return -1 to go
 * on, else the exit status (having said why, or printed the help).
 */
static int
cmd_send_option(struct send_options *so, struct send_parts *parts, int ch,
    char *arg)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	int			 status = EXIT_USAGE;

	if (cmd_send_flag(so, parts, ch))
		return (-1);
	switch (ch) {
	case 'd':
	case SEND_URLENCODE:
		parts->data = xreallocarray(parts->data, parts->ndata + 1,
		    sizeof *parts->data);
		parts->data[parts->ndata].arg = arg;
		parts->data[parts->ndata++].encode = ch == SEND_URLENCODE;
		return (-1);
	case 'e':
		return (cmd_send_parse_expect(so, arg) != 0 ? EXIT_USAGE : -1);
	case 'F':
		cmd_send_append(&parts->forms, &parts->nforms, arg);
		return (-1);
	case 'H':
		cmd_send_append(&parts->headers, &parts->nheaders, arg);
		return (-1);
	case 'j':
		parts->json = arg;
		return (-1);
	case 'o':
		if (*arg == '\0')
			return (cmd_usage_error(entry, "-o needs a file name"));
		so->output = arg;
		return (-1);
	case 'r':
		return (cmd_send_parse_retry(so, arg) != 0 ? EXIT_USAGE : -1);
	case 's':
		so->sign = arg;
		return (-1);
	case 't':
		if (cmd_duration(entry, arg, &so->timeout) != 0)
			return (EXIT_USAGE);
		if (so->timeout == 0)
			return (cmd_usage_error(entry, "--timeout must be more "
			    "than 0"));
		return (-1);
	case 'u':
		parts->user = arg;
		return (-1);
	case SEND_CACERT:
	case SEND_MAX_RESPONSE:
	case 'w':
		return (cmd_send_parse_curl(so, ch, arg, &status) != 0 ?
		    status : -1);
	case CMD_HELP:
		return (EXIT_OK);
	default:
		return (curlopt_proxy_option(&so->proxy, ch, arg) ? -1 :
		    EXIT_USAGE);
	}
}

/* Refuse options that do not go together; return -1 if they do. */
static int
cmd_send_check(const struct send_options *so)
{
	const struct cmd_entry	*entry = &cmd_send_entry;

	/*
	 * curl sends the headers of a request to wherever it is redirected,
	 * and a 303 drops the body: the signature would go to another URL,
	 * over other bytes.  Webhook senders do not follow redirects either.
	 */
	if (so->sign != NULL && so->follow)
		return (cmd_usage_error(entry, "--sign and --location do not "
		    "go together: a redirect would carry the signature "
		    "elsewhere"));
	if (so->insecure && so->cacert != NULL)
		return (cmd_usage_error(entry, "-k and --cacert do not go "
		    "together: -k trusts any certificate"));
	return (-1);
}

/* Parse the arguments, make the request and print the response. */
static int
cmd_send_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_send_entry;
	struct items		 items;
	struct send_options	 so;
	struct send_parts	 parts;
	const char		*method = NULL, *url;
	char			*body = NULL;
	size_t			 len = 0;
	int			 ch, status = -1;

	memset(&so, 0, sizeof so);
	memset(&parts, 0, sizeof parts);
	so.timeout = SEND_TIMEOUT_MS;
	so.output_fd = -1;
	if (cmd_send_parse_expect(&so, "2xx") != 0)
		return (EXIT_USAGE);
	while (status == -1 && (ch = cmd_getopt(entry, argc, argv,
	    "F:GH:iko:Lqu:vw:x:", cmd_send_options)) != -1)
		status = cmd_send_option(&so, &parts, ch, optarg);
	if (status == -1)
		status = cmd_send_check(&so);
	if (status == -1 && optind < argc && cmd_send_is_method(argv[optind]))
		method = argv[optind++];
	if (status == -1 && optind == argc)
		status = cmd_missing(entry, 0);
	if (status != -1)
		goto done;
	url = argv[optind++];
	if (!cmd_url_valid(url)) {
		status = cmd_send_bad_url(url, optind < argc ? argv[optind] :
		    NULL);
		goto done;
	}
	items_init(&items, url);
	status = cmd_send_prepare(&items, &parts, argv + optind, argc - optind,
	    &body, &len);
	if (status == EXIT_OK) {
		if (method == NULL)
			method = body != NULL ? "POST" : "GET";
		output_escape(isatty(STDOUT_FILENO) && !so.raw);
		status = cmd_send_request(method, &items, &so, body, len);
	}
	items_release(&items);
	free(body);
done:
	free(parts.headers);
	free(parts.forms);
	free(parts.data);
	free(so.cacert);
	free(so.write_out);
	curlopt_proxy_release(&so.proxy);
	return (status);
}
