/*
 * fish spawn: create a hook and print its URL.  Its answer options travel
 * in the "spawn" request as the fields of the hook's journal record
 * (status, headers, hold, hold_timeout_ms, echo, forward_to, ttl_ms,
 * verify, tolerance_ms), the answer body as the request's payload.
 *
 * --verify is parsed and resolved here, where the user's files and
 * environment are, and its secret sent as "secret"; the listener keeps it
 * out of the journal (secrets.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fish.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "response.h"
#include "sigspec.h"
#include "timeline.h"

#define LABEL_MAX	64

static int	cmd_spawn_exec(int, char **);

const struct cmd_entry cmd_spawn_entry = {
	.name = "spawn",
	.usage = "[--name LABEL] [--status N] [-H 'Name: value']... "
	    "[--body T|@F] [--hold [--hold-timeout D]] [--echo PARAM] "
	    "[--forward-to URL] [--ttl D] [--verify SCHEME:SECRET "
	    "[--tolerance D]] [--json]",
	.args = { 0, 0 },
	.summary = "create a hook and print its URL",
	.help =
	    "Create a hook, a receiver with an unguessable URL, and print the\n"
	    "URL.  Requests to it are recorded and answered 200 with an empty\n"
	    "body once durable; take them with " FISH_NAME " wait.  A URL\n"
	    "that cannot be written (its reader went away) exits 1 quietly,\n"
	    "the hook made all the same.\n"
	    "\n"
	    "  --name LABEL        also call the hook LABEL (1-64 of A-Z a-z 0-9\n"
	    "                      . _ -); an open hook of that name is reused\n"
	    "                      if it has the options given (else exit 1:\n"
	    "                      close it first); once it is closed or\n"
	    "                      expired, the name gets a new hook\n"
	    "  --status N          answer with status N (200-599)\n"
	    "  -H 'Name: value'    add a header to the answer\n"
	    "  --body T|@F|@-      answer with body T, file F or stdin (1 MiB)\n"
	    "  --hold              keep each request open until " FISH_NAME
	    " reply\n"
	    "  --hold-timeout D    then answer 504 after D (default 30s); with\n"
	    "                      --forward-to, how long the app may take\n"
	    "  --echo PARAM        answer the value of query parameter PARAM, or\n"
	    "                      of JSON field /PTR of the body, as text\n"
	    "                      (endpoint-verification handshakes)\n"
	    "  --forward-to URL    also pass each request on to URL and relay\n"
	    "                      its answer (502 when it cannot be reached)\n"
	    "  --ttl D             close the hook after D (then it answers 410)\n"
	    "  --verify SPEC       answer 401 to requests whose signature does\n"
	    "                      not check, and keep them from wait (the journal\n"
	    "                      keeps their head, not their body, within a rate\n"
	    "                      cap: see fish(1)); SPEC is\n"
	    "                      SCHEME:SECRET, SCHEME:@FILE or SCHEME:env:NAME,\n"
	    "                      SCHEME github, stripe, standard or\n"
	    "                      hmac-sha1|hmac-sha256|hmac-sha512:HEADER\n"
	    "  --tolerance D       accept stripe and standard timestamps up to D\n"
	    "                      from now, whole seconds (default 5m)\n"
	    "  --json              print {\"url\", \"token\", \"name\"} as one JSON\n"
	    "                      line instead of the URL\n"
	    "  -h, --help          show this help\n",
	.exec = cmd_spawn_exec
};

static const struct option cmd_spawn_options[] = {
	{ "body", required_argument, NULL, 'b' },
	{ "echo", required_argument, NULL, 'e' },
	{ "forward-to", required_argument, NULL, 'f' },
	{ "header", required_argument, NULL, 'H' },
	{ "hold", no_argument, NULL, 'o' },
	{ "hold-timeout", required_argument, NULL, 'O' },
	{ "json", no_argument, NULL, 'j' },
	{ "name", required_argument, NULL, 'n' },
	{ "status", required_argument, NULL, 's' },
	{ "tolerance", required_argument, NULL, 'T' },
	{ "ttl", required_argument, NULL, 't' },
	{ "verify", required_argument, NULL, 'v' },
	CMD_OPTIONS_END
};

/* Tell whether a hook label is acceptable. */
static int
cmd_spawn_label_valid(const char *label)
{
	size_t	len = strlen(label);

	return (len >= 1 && len <= LABEL_MAX && label[0] != '-' &&
	    strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789._-") == len);
}

/* Check an --echo PARAM: a parameter name, or a JSON pointer. */
static int
cmd_spawn_echo_valid(const struct cmd_entry *entry, const char *param)
{
	struct json_object	*root, *value;
	char			*cause = NULL;
	int			 ret = 0;

	if (*param == '\0') {
		cmd_usage_error(entry, "--echo needs a parameter name or a "
		    "JSON pointer");
		return (0);
	}
	if (*param != '/')
		return (1);
	root = json_object_new_object();
	if (jsonptr_get(root, param, &value, &cause) == -1)
		cmd_usage_error(entry, "%s", cause);
	else
		ret = 1;
	free(cause);
	json_object_put(root);
	return (ret);
}

/*
 * Resolve --verify SPEC and add it, with --tolerance, to the request.
 * A bad spec gets one line, which names the scheme, file or variable but
 * never the secret.  Return 0, or EXIT_USAGE.
 */
static int
cmd_spawn_verify(const char *spec, uint64_t tolerance,
    struct json_object *request)
{
	struct sigspec	 s;
	char		 scheme[SIGSPEC_HEADER_MAX + 32], *cause = NULL;

	if (sigspec_parse(spec, &s, &cause) == -1) {
		fish_warnx("spawn: --verify: %s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	if (tolerance != 0 && s.scheme != SIGSPEC_STRIPE &&
	    s.scheme != SIGSPEC_STANDARD) {
		fish_warnx("spawn: --tolerance: %s signatures have no "
		    "timestamp (only stripe and standard do)",
		    sigspec_scheme_name(&s, scheme, sizeof scheme));
		sigspec_free(&s);
		return (EXIT_USAGE);
	}
	json_object_object_add(request, "verify", json_object_new_string(
	    sigspec_scheme_name(&s, scheme, sizeof scheme)));
	json_object_object_add(request, "secret",
	    json_object_new_string_len(s.secret, (int)s.secret_len));
	if (tolerance != 0)
		json_object_object_add(request, "tolerance_ms",
		    json_object_new_int64((int64_t)tolerance));
	sigspec_free(&s);
	return (0);
}

/* Send the spawn request and print the hook's URL (or all, as JSON). */
static int
cmd_spawn_request(struct json_object *request, const struct response *answer,
    int json)
{
	struct proto_frame	 frame;
	struct json_object	*o;
	const char		*url, *name;
	int			 status, ret;

	if ((status = client_request(fish_session, request, answer->body,
	    answer->body_len, &frame)) != EXIT_OK)
		goto fail;

	if ((url = proto_string(frame.json, "url")) == NULL) {
		fish_warnx("spawn: the listener's reply has no URL");
		status = EXIT_FAILED;
		goto fail;
	}
	if (json) {
		o = json_object_new_object();
		json_object_object_add(o, "url", json_object_new_string(url));
		json_object_object_add(o, "token", json_object_new_string(
		    proto_string(frame.json, "token")));
		name = proto_string(frame.json, "name");
		json_object_object_add(o, "name", name != NULL ?
		    json_object_new_string(name) : NULL);
		ret = output_json(o);
		json_object_put(o);
	} else
		ret = output_printf("%s\n", url);
	/*
	 * The hook is made: a reader that went away (fish spawn | true) only
	 * missed its URL, and a named one is found again by its name.
	 */
	if (ret == -1)
		status = timeline_write_error("spawn");
fail:
	proto_frame_release(&frame);
	return (status);
}

/*
 * Parse a duration option's value (at least min ms; 0 itself is never
 * taken) into *ms.  Return 0, or -1 having said why.
 */
static int
cmd_spawn_duration(const struct cmd_entry *entry, const char *value,
    const char *option, uint64_t min, uint64_t *ms)
{
	if (cmd_duration(entry, value, ms) != 0)
		return (-1);
	if (*ms == 0 && min == 0) {
		cmd_usage_error(entry, "%s must be more than 0", option);
		return (-1);
	}
	if (*ms < min) {
		cmd_usage_error(entry, "%s must be at least %llus", option,
		    (unsigned long long)(min / 1000));
		return (-1);
	}
	return (0);
}

/* What the options of spawn asked for. */
struct spawn_options {
	struct response		 answer;
	const char		*name, *echo, *forward, *verify;
	uint64_t		 hold_timeout, ttl, tolerance;
	int			 hold, json;
};

/*
 * Parse spawn's options into so.  Return -1 to go on, else the exit
 * status (having said why, or printed the help).
 */
static int
cmd_spawn_parse(int argc, char **argv, struct spawn_options *so)
{
	const struct cmd_entry	*entry = &cmd_spawn_entry;
	int			 ch;

	while ((ch = cmd_getopt(entry, argc, argv, "H:", cmd_spawn_options)) !=
	    -1) {
		switch (ch) {
		case 'b':
			if (response_body(entry, &so->answer, optarg,
			    PROTO_HOOK_BODY_MAX) != 0)
				return (EXIT_FAILED);
			break;
		case 'e':
			so->echo = optarg;
			break;
		case 'f':
			so->forward = optarg;
			break;
		case 'H':
			if (response_header(entry, &so->answer, optarg) != 0)
				return (EXIT_USAGE);
			break;
		case 'n':
			so->name = optarg;
			break;
		case 'o':
			so->hold = 1;
			break;
		case 'O':
			if (cmd_spawn_duration(entry, optarg, "--hold-timeout",
			    0, &so->hold_timeout) != 0)
				return (EXIT_USAGE);
			break;
		case 's':
			if (response_status(entry, &so->answer, optarg) != 0)
				return (EXIT_USAGE);
			break;
		case 't':
			if (cmd_spawn_duration(entry, optarg, "--ttl", 0,
			    &so->ttl) != 0)
				return (EXIT_USAGE);
			break;
		case 'T':
			if (cmd_spawn_duration(entry, optarg, "--tolerance",
			    1000, &so->tolerance) != 0 ||
			    cmd_whole_seconds(entry, "--tolerance", optarg,
			    so->tolerance) != 0)
				return (EXIT_USAGE);
			break;
		case 'v':
			so->verify = optarg;
			break;
		case 'j':
			so->json = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	return (-1);
}

/*
 * Check that spawn's options go together, and set the --verify ones in
 * request.  Return 0, or -1 having said why.
 */
static int
cmd_spawn_check(const struct spawn_options *so, struct json_object *request)
{
	const struct cmd_entry	*entry = &cmd_spawn_entry;

	if (so->name != NULL && !cmd_spawn_label_valid(so->name))
		cmd_usage_error(entry, "invalid label '%s' (use 1-64 of"
		    " letters, digits, '.', '_' and '-', not starting with '-')",
		    so->name);
	else if (so->hold && so->forward != NULL)
		cmd_usage_error(entry, "--hold and --forward-to do not go "
		    "together: the app answers a forwarded request");
	else if (so->hold_timeout != 0 && !so->hold && so->forward == NULL)
		cmd_usage_error(entry, "--hold-timeout needs --hold or "
		    "--forward-to");
	else if (so->forward != NULL && !cmd_url_valid(so->forward))
		cmd_usage_error(entry, "invalid URL '%s' (use http://... or "
		    "https://...)", so->forward);
	else if (so->echo != NULL && !cmd_spawn_echo_valid(entry, so->echo))
		return (-1);
	else if (so->tolerance != 0 && so->verify == NULL)
		cmd_usage_error(entry, "--tolerance needs --verify");
	else if (so->verify != NULL && cmd_spawn_verify(so->verify,
	    so->tolerance, request) != 0)
		return (-1);
	else
		return (0);
	return (-1);
}

/* Add what so asks for to the spawn request. */
static void
cmd_spawn_request_add(struct spawn_options *so, struct json_object *request)
{
	if (so->name != NULL)
		json_object_object_add(request, "name",
		    json_object_new_string(so->name));
	response_add(&so->answer, request);
	if (so->hold)
		json_object_object_add(request, "hold",
		    json_object_new_boolean(1));
	if (so->hold_timeout != 0)
		json_object_object_add(request, "hold_timeout_ms",
		    json_object_new_int64((int64_t)so->hold_timeout));
	if (so->echo != NULL)
		json_object_object_add(request, "echo",
		    json_object_new_string(so->echo));
	if (so->forward != NULL)
		json_object_object_add(request, "forward_to",
		    json_object_new_string(so->forward));
	if (so->ttl != 0)
		json_object_object_add(request, "ttl_ms",
		    json_object_new_int64((int64_t)so->ttl));
}

/* Parse the options and create the hook. */
static int
cmd_spawn_exec(int argc, char **argv)
{
	struct spawn_options	 so;
	struct json_object	*request;
	int			 status;

	memset(&so, 0, sizeof so);
	response_init(&so.answer);
	request = proto_request("spawn");
	if ((status = cmd_spawn_parse(argc, argv, &so)) == -1) {
		if (cmd_spawn_check(&so, request) == -1)
			status = EXIT_USAGE;
		else {
			cmd_spawn_request_add(&so, request);
			status = cmd_spawn_request(request, &so.answer,
			    so.json);
		}
	}
	json_object_put(request);
	response_release(&so.answer);
	return (status);
}
