/*
 * fish send: make an HTTP request through the listener and print the
 * response body.  The listener does the HTTP, the retries and their
 * backoff (and journals every attempt); this command builds the request
 * from httpie-style items and options, waits for the last attempt's
 * answer and checks its status against --expect.
 */
#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "fish.h"
#include "items.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "retry.h"
#include "sigspec.h"
#include "xmalloc.h"

#define SEND_TIMEOUT_MS	30000	/* default --timeout, per attempt */
#define SEND_GRACE_MS	5000	/* for the listener to answer after it */
#define SEND_EXPECT_MAX	32	/* codes and classes in --expect */

/* What the command does with the answer (the options after the request). */
struct send_options {
	uint64_t	 timeout;
	unsigned int	 retries;
	int		 follow;
	int		 include;
	int		 quiet;
	const char	*expect;	/* as given, for messages */
	int		 expect_low[SEND_EXPECT_MAX];
	int		 expect_high[SEND_EXPECT_MAX];
	size_t		 nexpect;
	const char	*sign;		/* --sign SPEC */
	const char	*output;	/* -o FILE */
	char		*output_tmp;	/* written, then renamed to FILE */
	int		 output_fd;
};

static int	cmd_send_exec(int, char **);

const struct cmd_entry cmd_send_entry = {
	.name = "send",
	.usage = "[METHOD] URL [ITEM...] [-H 'Name: value']... [--json T|@F]"
	    " [--data T|@F] [--timeout D] [--retry N] [--expect CODES]"
	    " [--sign SCHEME:SECRET] [-i] [-L] [-o FILE] [-q]",
	.args = { 1, -1 },
	.summary = "make an HTTP request and print the response body",
	.help =
	    "Make a request through the listener and print the response body\n"
	    "exactly.  Exit 1 when the server answers outside --expect (2xx),\n"
	    "5 when it cannot be reached, 3 when the listener is lost during\n"
	    "the request (it may have been made: never sent again by itself).\n"
	    "METHOD defaults to POST with a body, else GET.  Every attempt\n"
	    "is journaled before it leaves and shows in '" FISH_NAME
	    " log';\n"
	    "connections to a server are kept and reused by later sends of\n"
	    "the session.\n"
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
	    "  -h, --help        show this help\n",
	.exec = cmd_send_exec
};

static const struct option cmd_send_options[] = {
	{ "data", required_argument, NULL, 'd' },
	{ "expect", required_argument, NULL, 'e' },
	{ "header", required_argument, NULL, 'H' },
	{ "include", no_argument, NULL, 'i' },
	{ "json", required_argument, NULL, 'j' },
	{ "location", no_argument, NULL, 'L' },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "retry", required_argument, NULL, 'r' },
	{ "sign", required_argument, NULL, 's' },
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

/* Note a signal: the wait for the answer ends, and -o's file is removed. */
static void
cmd_send_interrupt(int sig)
{
	(void)sig;
	client_interrupted = 1;
}

/*
 * Make the file -o writes first, beside FILE, so that a request is not
 * made when its answer could not be kept, and FILE is replaced whole or
 * not at all.  Return EXIT_OK or EXIT_FAILED after printing why.
 */
static int
cmd_send_output_open(struct send_options *so)
{
	struct sigaction	 sa;
	mode_t			 mask;

	xasprintf(&so->output_tmp, "%s.fish-XXXXXX", so->output);
	if ((so->output_fd = mkstemp(so->output_tmp)) == -1) {
		fish_warn("send: cannot write '%s'", so->output);
		free(so->output_tmp);
		so->output_tmp = NULL;
		return (EXIT_FAILED);
	}
	/* As a newly created file would be, not mkstemp's 0600. */
	mask = umask(0);
	umask(mask);
	(void)fchmod(so->output_fd, 0666 & ~mask);
	/*
	 * Dying of a signal would leave the temporary file behind: end the
	 * wait instead (no SA_RESTART) and exit 130 after removing it.
	 */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cmd_send_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	return (EXIT_OK);
}

/*
 * Finish -o: keep what was written as FILE (keep != 0) or throw it away.
 * Return EXIT_OK or EXIT_FAILED after printing why.
 */
static int
cmd_send_output_close(struct send_options *so, int keep)
{
	int	status = EXIT_OK;

	if (so->output_tmp == NULL)
		return (EXIT_OK);
	if (close(so->output_fd) != 0 && keep) {
		fish_warn("send: cannot write '%s'", so->output);
		keep = 0;
		status = EXIT_FAILED;
	}
	if (keep && rename(so->output_tmp, so->output) != 0) {
		fish_warn("send: cannot write '%s'", so->output);
		status = EXIT_FAILED;
		keep = 0;
	}
	if (!keep)
		(void)unlink(so->output_tmp);
	free(so->output_tmp);
	so->output_tmp = NULL;
	return (status);
}

/* Print what the answer's payload holds (head and body), where asked. */
static int
cmd_send_print(struct send_options *so, const struct proto_frame *frame)
{
	const char	*what;
	int		 fd;

	if (so->output_tmp != NULL) {
		fd = so->output_fd;
		what = so->output;
	} else if (so->quiet)
		return (EXIT_OK);
	else {
		fd = STDOUT_FILENO;
		what = "stdout";
	}
	if (write_all(fd, frame->payload, frame->payload_len) == 0)
		return (EXIT_OK);
	if (fd != STDOUT_FILENO || errno != EPIPE)
		fish_warn("send: cannot write '%s'", what);
	return (EXIT_FAILED);
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

/* Send the request through the listener and print the response. */
static int
cmd_send_request(const char *method, const struct items *items,
    struct send_options *so, const char *body, size_t len)
{
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request;
	const char		*error;
	int64_t			 http_status, attempts, deadline;
	int			 status, answered = 0;
	char			 after[64] = "";

	request = proto_request("send");
	if (so->sign != NULL &&
	    (status = cmd_send_sign(so->sign, request)) != EXIT_OK) {
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
	/* Say which request failed: curl's text names neither it nor us. */
	if ((status = proto_status(frame.json)) != EXIT_OK) {
		error = proto_string(frame.json, "error");
		fish_warnx("send: %s %s: %s%s", method, items->url,
		    error != NULL ? error : "failed", after);
		goto fail;
	}

	http_status = proto_int(frame.json, "http_status", 0);
	if ((status = cmd_send_print(so, &frame)) != EXIT_OK)
		goto fail;
	/* -o keeps any answer, as curl -o does; the status decides the exit. */
	answered = 1;
	if (!cmd_send_expected(so, http_status)) {
		fish_warnx("send: %s %s: got %lld, expected %s%s", method,
		    items->url, (long long)http_status, so->expect, after);
		status = EXIT_FAILED;
	}
fail:
	if (cmd_send_output_close(so, answered) != EXIT_OK && status == EXIT_OK)
		status = EXIT_FAILED;
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
	struct send_options	 so;
	const char		*method = NULL, *url, *json = NULL;
	const char		*data = NULL;
	char			**headers = NULL, *body = NULL;
	size_t			 nheaders = 0, len = 0;
	int			 ch, status = EXIT_USAGE;

	memset(&so, 0, sizeof so);
	so.timeout = SEND_TIMEOUT_MS;
	so.output_fd = -1;
	if (cmd_send_parse_expect(&so, "2xx") != 0)
		return (EXIT_USAGE);
	while ((ch = cmd_getopt(entry, argc, argv, "H:iLo:q",
	    cmd_send_options)) != -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'e':
			if (cmd_send_parse_expect(&so, optarg) != 0)
				goto fail;
			break;
		case 'H':
			headers = xreallocarray(headers, nheaders + 1,
			    sizeof *headers);
			headers[nheaders++] = optarg;
			break;
		case 'i':
			so.include = 1;
			break;
		case 'j':
			json = optarg;
			break;
		case 'L':
			so.follow = 1;
			break;
		case 'o':
			if (*optarg == '\0') {
				cmd_usage_error(entry, "-o needs a file name");
				goto fail;
			}
			so.output = optarg;
			break;
		case 'q':
			so.quiet = 1;
			break;
		case 'r':
			if (cmd_send_parse_retry(&so, optarg) != 0)
				goto fail;
			break;
		case 's':
			so.sign = optarg;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &so.timeout) != 0)
				goto fail;
			if (so.timeout == 0) {
				cmd_usage_error(entry, "--timeout must be more "
				    "than 0");
				goto fail;
			}
			break;
		case CMD_HELP:
			status = EXIT_OK;
			goto fail;
		default:
			goto fail;
		}
	}
	/*
	 * curl sends the headers of a request to wherever it is redirected,
	 * and a 303 drops the body: the signature would go to another URL,
	 * over other bytes.  Webhook senders do not follow redirects either.
	 */
	if (so.sign != NULL && so.follow) {
		status = cmd_usage_error(entry, "--sign and --location do not go "
		    "together: a redirect would carry the signature elsewhere");
		goto fail;
	}
	if (optind < argc && cmd_send_is_method(argv[optind]))
		method = argv[optind++];
	if (optind == argc) {
		status = cmd_missing(entry, 0);
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
		status = cmd_send_request(method, &items, &so, body, len);
	}
	items_release(&items);
	free(body);
fail:
	free(headers);
	return (status);
}
