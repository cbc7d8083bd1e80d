/*
 * fish log: print the session's timeline, everything sent and received in
 * sequence order, one line per message or one JSON object per line.
 */
#include "config.h"

#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "proto.h"
#include "term.h"
#include "timeline.h"

static int	cmd_log_exec(int, char **);

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "[HOOK...] [--json] [--limit N] [--since D] [--method M] "
	    "[--status S] [--event E] [--where FILTER]... [--color=WHEN]",
	.args = { 0, -1 },
	.summary = "show what was sent and received, in order",
	.help =
	    "Print the session's timeline in order, one line per message:\n"
	    "  \xe2\x86\x92 TIME  #SEQ  METHOD URL  STATUS  DURATION   (sent)\n"
	    "  \xe2\x86\x90 TIME  #SEQ  HOOK  METHOD PATH  SIZE  PREVIEW (received)\n"
	    "When the provider names its event (X-GitHub-Event, X-Gitlab-Event,\n"
	    "X-Event-Key, a Stripe or Standard Webhooks \"type\"), it shows as\n"
	    "EVENT (METHOD) instead of METHOD PATH.  A held or forwarded request\n"
	    "shows how it was answered (\"replied 202\", \"timed out 504\").  A\n"
	    "request refused before it was complete (404 unknown token, 410\n"
	    "closed hook, 413, 414, 431, 400, 503) shows \"STATUS refused:\n"
	    "REASON\", with \"-\" for HOOK when it named none; its body is never\n"
	    "kept, and a scanner's flood is recorded only within a rate cap.\n"
	    "A request that failed its hook's signature check (spawn --verify)\n"
	    "shows \"rejected: REASON\" and, as its body is not kept, the start\n"
	    "of the body's SHA-256; in JSON \"rejected\": REASON, \"state\":\n"
	    "\"rejected\", \"body_size\" and \"body_sha256\" instead of the body.\n"
	    "With HOOKs (URL, token or name), only what those hooks received.\n"
	    "Control characters of what was received are shown as ? or spaces.\n"
	    "\n"
	    "  --json          print one JSON object per line, with the bodies\n"
	    "  --limit N       only the last N messages\n"
	    "  --since D       only messages of the last D (250ms, 5s, 2m, 1h,\n"
	    "                  1d)\n"
	    "  --method M      only requests of method M (GET|POST: either)\n"
	    "  --status S      only those answered S: 404, 4xx, 404|410, >=400\n"
	    "  --event E       only messages naming event E (push|ping: either)\n"
	    "  --where FILTER  only those FILTER matches, as for wait --where;\n"
	    "                  repeatable (all must match)\n"
	    "  --color[=WHEN]  colour arrows, statuses (2xx green, 4xx yellow,\n"
	    "                  5xx red) and rejected requests: auto (on a\n"
	    "                  terminal, unless NO_COLOR is set), always or\n"
	    "                  never; alone, always\n"
	    "  -h, --help      show this help\n",
	.exec = cmd_log_exec
};

static const struct option cmd_log_options[] = {
	{ "color", optional_argument, NULL, 'C' },
	{ "event", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	{ "limit", required_argument, NULL, 'l' },
	{ "method", required_argument, NULL, 'm' },
	{ "since", required_argument, NULL, 's' },
	{ "status", required_argument, NULL, 'S' },
	{ "where", required_argument, NULL, 'w' },
	CMD_OPTIONS_END
};

/* Print one entry of the log (a timeline_receive callback). */
static int
cmd_log_entry_print(struct json_object *entry, const void *body, size_t len,
    void *arg)
{
	if (timeline_print(entry, body, len, *(int *)arg) != 0)
		return (timeline_write_error("log"));
	return (EXIT_OK);
}

/*
 * Parse log's options into request (its filters, limit and age) and
 * *flags.  Return -1 to go on, or the exit status to end with.
 */
static int
cmd_log_options_parse(int argc, char **argv, struct json_object *request,
    int *flags)
{
	const struct cmd_entry	*entry = &cmd_log_entry;
	struct json_object	*where;
	enum term_colour	 colour = TERM_COLOUR_AUTO;
	uint64_t		 since;
	int64_t			 limit;
	int			 ch, shared;

	where = json_object_new_array();
	json_object_object_add(request, "where", where);
	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_log_options)) !=
	    -1) {
		if ((shared = timeline_shared_option(entry, ch, optarg, where,
		    &colour, flags)) == -1)
			return (EXIT_USAGE);
		if (shared == 0)
			continue;
		switch (ch) {
		case 'l':
			if (timeline_number(optarg, &limit) != 0 || limit == 0)
				return (cmd_usage_error(entry, "invalid "
				    "--limit '%s' (use a positive integer)",
				    optarg));
			json_object_object_add(request, "limit",
			    json_object_new_int64(limit));
			break;
		case 's':
			if (cmd_duration(entry, optarg, &since) != 0)
				return (EXIT_USAGE);
			json_object_object_add(request, "since_ms",
			    json_object_new_int64((int64_t)since));
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	*flags = timeline_style(*flags, colour);
	return (-1);
}

/* Ask the listener for the timeline and print it. */
static int
cmd_log_exec(int argc, char **argv)
{
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request, *hooks;
	int			 i, flags = 0, status;

	request = proto_request("log");
	if ((status = cmd_log_options_parse(argc, argv, request, &flags)) !=
	    -1) {
		json_object_put(request);
		return (status);
	}
	if ((status = client_open(&c, fish_session, CLIENT_START)) != EXIT_OK) {
		json_object_put(request);
		return (status);
	}
	proto_frame_init(&frame);
	hooks = json_object_new_array();
	for (i = optind; i < argc; i++)
		json_object_array_add(hooks, json_object_new_string(argv[i]));
	json_object_object_add(request, "hooks", hooks);

	if ((status = client_call(&c, request, NULL, 0, &frame, -1)) == EXIT_OK)
		status = timeline_receive(&c, &frame, cmd_log_entry_print,
		    &flags);
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}
