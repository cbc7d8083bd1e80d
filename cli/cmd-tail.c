/*
 * fish tail: follow the timeline live, printing each message sent or
 * received as it happens, in the format of fish log, until interrupted.
 *
 * If the listener crashes, tail restarts it and subscribes again, as wait
 * does, after the last entry it printed (or, before it printed any, after
 * where the listener said it began), so that it misses nothing durable
 * and prints nothing twice; if it is stopped (fish stop), the listener
 * says so and tail ends with exit status 3.  SIGINT ends it with 130.
 * The listener sends entries in seq order (but for an outcome or an
 * answer, which repeats an earlier entry), with Redis too
 * (control-timeline.c): nothing numbered below the last entry printed
 * is still to come.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "proto.h"
#include "term.h"
#include "timeline.h"

static int	cmd_tail_exec(int, char **);

const struct cmd_entry cmd_tail_entry = {
	.name = "tail",
	.usage = "[HOOK...] [--json] [--method M] [--status S] [--event E] "
	    "[--where FILTER]... [--color=WHEN]",
	.args = { 0, -1 },
	.summary = "follow messages live as they are sent and received",
	.help =
	    "Print each message as it joins the timeline, in the format of\n"
	    FISH_NAME
	    " log, until interrupted (exit 130) or the listener is stopped\n"
	    "(exit 3).  With HOOKs (URL, token or name), only what those hooks\n"
	    "receive.  A request sent shows as it starts, then with its\n"
	    "outcome; a held or forwarded one received, then with its answer.\n"
	    "Entries come in sequence order, each once (an outcome or answer\n"
	    "repeats its entry).  If the listener dies, tail restarts it and\n"
	    "goes on after the last entry it printed.\n"
	    "\n"
	    "  --json          print one JSON object per line, with the bodies\n"
	    "  --method M      only requests of method M (GET|POST: either)\n"
	    "  --status S      only those answered S: 404, 4xx, 404|410, >=400\n"
	    "  --event E       only messages naming event E (push|ping: either)\n"
	    "  --where FILTER  only those FILTER matches, as for wait --where;\n"
	    "                  repeatable (all must match)\n"
	    "  --color[=WHEN]  colour as " FISH_NAME " log does: auto (on a\n"
	    "                  terminal, unless NO_COLOR is set), always or\n"
	    "                  never; alone, always\n"
	    "  -h, --help      show this help\n",
	.exec = cmd_tail_exec
};

static const struct option cmd_tail_options[] = {
	{ "color", optional_argument, NULL, 'C' },
	{ "method", required_argument, NULL, 'm' },
	{ "status", required_argument, NULL, 'S' },
	{ "where", required_argument, NULL, 'w' },
	{ "event", required_argument, NULL, 'e' },
	{ "json", no_argument, NULL, 'j' },
	CMD_OPTIONS_END
};

/*
 * Subscribe, then print entries as they come.  *after is where to begin
 * (-1: now); it becomes the sequence number of the last entry printed.
 * Return the exit status; *answered tells whether it came from the
 * listener rather than from losing it.
 */
static int
cmd_tail_follow(struct client *c, struct json_object *request, int flags,
    int64_t *after, int *answered)
{
	struct proto_frame	 frame;
	struct json_object	*entry;
	int64_t			 seq;
	int			 status, subscribed = 0;

	*answered = 0;
	proto_frame_init(&frame);
	if (*after >= 0)
		json_object_object_add(request, "after",
		    json_object_new_int64(*after));
	if ((status = client_send(c, request, NULL, 0)) != EXIT_OK)
		return (status);
	for (;;) {
		if ((status = client_receive(c, &frame, -1)) != EXIT_OK)
			break;
		if ((status = proto_status(frame.json)) != EXIT_OK) {
			*answered = 1;
			client_reply_status(&frame);
			break;
		}
		if (!subscribed) {
			/* The first reply says where the entries begin. */
			subscribed = 1;
			seq = proto_int(frame.json, "after", -1);
			if (seq > *after)
				*after = seq;
		} else if (json_object_object_get_ex(frame.json, "entry",
		    &entry)) {
			/* An outcome repeats an earlier entry: not after it. */
			seq = proto_int(entry, "seq", -1);
			if (timeline_print(entry, frame.payload,
			    frame.payload_len, flags) != 0) {
				*answered = 1;
				status = timeline_write_error("tail");
				break;
			}
			if (seq > *after)
				*after = seq;
		}
		proto_frame_release(&frame);
	}
	proto_frame_release(&frame);
	return (status);
}

/*
 * Parse tail's options into request (its filters) and *flags.  Return -1
 * to go on, or the exit status to end with.
 */
static int
cmd_tail_options_parse(int argc, char **argv, struct json_object *request,
    int *flags)
{
	const struct cmd_entry	*entry = &cmd_tail_entry;
	struct json_object	*where;
	enum term_colour	 colour = TERM_COLOUR_AUTO;
	int			 ch, shared;

	where = json_object_new_array();
	json_object_object_add(request, "where", where);
	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_tail_options)) !=
	    -1) {
		if ((shared = timeline_shared_option(entry, ch, optarg, where,
		    &colour, flags)) == -1)
			return (EXIT_USAGE);
		if (shared == 0)
			continue;
		switch (ch) {
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	*flags = timeline_style(*flags, colour);
	return (-1);
}

/* Follow the timeline until interrupted. */
static int
cmd_tail_exec(int argc, char **argv)
{
	struct client		 c;
	struct json_object	*request, *hooks;
	int64_t			 after = -1;
	int			 i, flags = 0, answered, status;

	request = proto_request("tail");
	if ((status = cmd_tail_options_parse(argc, argv, request, &flags)) !=
	    -1) {
		json_object_put(request);
		return (status);
	}

	/* SIGINT must interrupt the wait for the next entry. */
	client_catch(SIGINT);

	status = client_open(&c, fish_session, CLIENT_START | CLIENT_RESILIENT);
	if (status != EXIT_OK) {
		json_object_put(request);
		return (status);
	}
	hooks = json_object_new_array();
	for (i = optind; i < argc; i++)
		json_object_array_add(hooks, json_object_new_string(argv[i]));
	json_object_object_add(request, "hooks", hooks);

	for (;;) {
		status = cmd_tail_follow(&c, request, flags, &after,
		    &answered);
		if (client_interrupted) {
			status = EXIT_INTERRUPTED;
			break;
		}
		/* Lost without a word: it crashed.  Restart it, go on. */
		if (status != EXIT_UNAVAILABLE || answered)
			break;
		if ((status = client_reconnect(&c)) != EXIT_OK)
			break;
	}
	json_object_put(request);
	client_close(&c);
	return (status);
}
