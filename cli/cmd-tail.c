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
 * is still to come.  But the outcome of an entry printed open (a request
 * under way, a held or forwarded one unanswered: its frame says "open")
 * may: tail tells the listener it resumes on which of those it printed
 * and has not seen over, so that it sends each once it is over, at once
 * if it is already, and no other outcome of what tail printed.  An entry
 * open that its filters passed over counts too (the listener says
 * "passed"): its outcome may match them.
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
#include "xmalloc.h"

/*
 * The most entries printed open that tail keeps, the oldest forgotten
 * past it; the listener takes as many (control-timeline.c).
 */
#define TAIL_OPEN_MAX	16384

/* The entries printed open, whose outcome or answer is still to come. */
struct tail_open {
	int64_t	*v;	/* sorted */
	size_t	 n;
};

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
	    "goes on after the last entry it printed, with the outcome or\n"
	    "answer, once, of those it printed under way or unanswered.\n"
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
 * Note that entry seq was printed: open (its outcome still to come), or
 * not, which ends what was open of it.
 */
static void
cmd_tail_note(struct tail_open *o, int64_t seq, int open)
{
	size_t	lo = 0, hi = o->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (o->v[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < o->n && o->v[lo] == seq) {
		if (!open) {
			memmove(&o->v[lo], &o->v[lo + 1],
			    (o->n - lo - 1) * sizeof *o->v);
			o->n--;
		}
		return;
	}
	if (!open)
		return;
	if (o->n == TAIL_OPEN_MAX) {
		/* Forget the oldest: it has waited longest. */
		if (lo == 0)
			return;
		memmove(&o->v[0], &o->v[1], (lo - 1) * sizeof *o->v);
		lo--;
		o->n--;
	} else
		memmove(&o->v[lo + 1], &o->v[lo], (o->n - lo) * sizeof *o->v);
	o->v[lo] = seq;
	o->n++;
}

/*
 * Tell the listener resumed on after which entries are open: "open".
 * One passed over above after (not printed: filtered out) is forgotten:
 * the listener's cursor comes to it again.
 */
static void
cmd_tail_open_add(struct json_object *request, struct tail_open *o,
    int64_t after)
{
	struct json_object	*list;
	size_t			 i;

	while (o->n > 0 && o->v[o->n - 1] > after)
		o->n--;
	list = json_object_new_array();
	for (i = 0; i < o->n; i++)
		json_object_array_add(list, json_object_new_int64(o->v[i]));
	json_object_object_add(request, "open", list);
}

/*
 * Subscribe, then print entries as they come.  *after is where to begin
 * (-1: now); it becomes the sequence number of the last entry printed.
 * Return the exit status; *answered tells whether it came from the
 * listener rather than from losing it.
 */
static int
cmd_tail_follow(struct client *c, struct json_object *request, int flags,
    int64_t *after, struct tail_open *open, int *answered)
{
	struct proto_frame	 frame;
	struct json_object	*entry;
	int64_t			 seq;
	int			 status, subscribed = 0;

	*answered = 0;
	proto_frame_init(&frame);
	if (*after >= 0) {
		json_object_object_add(request, "after",
		    json_object_new_int64(*after));
		cmd_tail_open_add(request, open, *after);
	}
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
			if (seq > 0)
				cmd_tail_note(open, seq,
				    proto_bool(frame.json, "open"));
			if (seq > *after)
				*after = seq;
		} else if ((seq = proto_int(frame.json, "passed", -1)) > 0) {
			/* Filtered out, but its outcome may not be. */
			cmd_tail_note(open, seq, proto_bool(frame.json,
			    "open"));
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
	struct tail_open	 open;
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

	open.v = xcalloc(TAIL_OPEN_MAX, sizeof *open.v);
	open.n = 0;
	for (;;) {
		status = cmd_tail_follow(&c, request, flags, &after, &open,
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
	free(open.v);
	json_object_put(request);
	client_close(&c);
	return (status);
}
