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
	    "body once durable; take them with " FISH_NAME " wait.\n"
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
	    "                      from now (default 5m)\n"
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
	if (ret == -1) {
		fish_warn("spawn: stdout");
		status = EXIT_FAILED;
	}
fail:
	proto_frame_release(&frame);
	return (status);
}

/* Parse the options and create the hook. */
static int
cmd_spawn_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_spawn_entry;
	struct response		 answer;
	struct json_object	*request;
	const char		*name = NULL, *echo = NULL, *forward = NULL;
	const char		*verify = NULL;
	uint64_t		 hold_timeout = 0, ttl = 0, tolerance = 0;
	int			 ch, hold = 0, json = 0, status = EXIT_USAGE;

	response_init(&answer);
	request = proto_request("spawn");
	while ((ch = cmd_getopt(entry, argc, argv, "H:", cmd_spawn_options)) !=
	    -1) {
		switch (ch) {
		case 'b':
			if (response_body(entry, &answer, optarg,
			    PROTO_HOOK_BODY_MAX) != 0) {
				status = EXIT_FAILED;
				goto fail;
			}
			break;
		case 'e':
			echo = optarg;
			break;
		case 'f':
			forward = optarg;
			break;
		case 'H':
			if (response_header(entry, &answer, optarg) != 0)
				goto fail;
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			hold = 1;
			break;
		case 'O':
			if (cmd_duration(entry, optarg, &hold_timeout) != 0)
				goto fail;
			if (hold_timeout == 0) {
				cmd_usage_error(entry, "--hold-timeout must be "
				    "more than 0");
				goto fail;
			}
			break;
		case 's':
			if (response_status(entry, &answer, optarg) != 0)
				goto fail;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &ttl) != 0)
				goto fail;
			if (ttl == 0) {
				cmd_usage_error(entry, "--ttl must be more "
				    "than 0");
				goto fail;
			}
			break;
		case 'T':
			if (cmd_duration(entry, optarg, &tolerance) != 0)
				goto fail;
			if (tolerance < 1000) {
				cmd_usage_error(entry, "--tolerance must be at "
				    "least 1s");
				goto fail;
			}
			break;
		case 'v':
			verify = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case CMD_HELP:
			status = EXIT_OK;
			goto fail;
		default:
			goto fail;
		}
	}
	if (name != NULL && !cmd_spawn_label_valid(name)) {
		cmd_usage_error(entry, "invalid label '%s' (use 1-64 of"
		    " letters, digits, '.', '_' and '-', not starting with '-')",
		    name);
		goto fail;
	}
	if (hold && forward != NULL) {
		cmd_usage_error(entry, "--hold and --forward-to do not go "
		    "together: the app answers a forwarded request");
		goto fail;
	}
	if (hold_timeout != 0 && !hold && forward == NULL) {
		cmd_usage_error(entry, "--hold-timeout needs --hold or "
		    "--forward-to");
		goto fail;
	}
	if (forward != NULL && !cmd_url_valid(forward)) {
		cmd_usage_error(entry, "invalid URL '%s' (use http://... or "
		    "https://...)", forward);
		goto fail;
	}
	if (echo != NULL && !cmd_spawn_echo_valid(entry, echo))
		goto fail;
	if (tolerance != 0 && verify == NULL) {
		cmd_usage_error(entry, "--tolerance needs --verify");
		goto fail;
	}
	if (verify != NULL && cmd_spawn_verify(verify, tolerance,
	    request) != 0)
		goto fail;

	if (name != NULL)
		json_object_object_add(request, "name",
		    json_object_new_string(name));
	response_add(&answer, request);
	if (hold)
		json_object_object_add(request, "hold",
		    json_object_new_boolean(1));
	if (hold_timeout != 0)
		json_object_object_add(request, "hold_timeout_ms",
		    json_object_new_int64((int64_t)hold_timeout));
	if (echo != NULL)
		json_object_object_add(request, "echo",
		    json_object_new_string(echo));
	if (forward != NULL)
		json_object_object_add(request, "forward_to",
		    json_object_new_string(forward));
	if (ttl != 0)
		json_object_object_add(request, "ttl_ms",
		    json_object_new_int64((int64_t)ttl));
	status = cmd_spawn_request(request, &answer, json);
fail:
	json_object_put(request);
	response_release(&answer);
	return (status);
}
