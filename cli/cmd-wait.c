/*
 * fish wait: take the next message of any of the given hooks and print it.
 *
 * Messages that arrived before the wait started count: the listener keeps
 * each hook's queue.  A message is taken for good only when this command
 * acknowledges it, which it does after writing it out, so a wait killed
 * half-way loses nothing.  If the listener dies while we wait, we restart
 * it and go on waiting until our own deadline.
 *
 * With --count or --follow the same connection takes message after
 * message; --follow measures --timeout as idle time between messages and
 * prints (and takes) each as it comes.  --count N is all or nothing: the
 * messages are leased as they come and printed and taken only once N are
 * leased; a timeout, an interrupt or hooks that can give no more leave
 * them all queued.  --drain gathers what is queued now the same way.
 * Filters (--where) are applied by the listener, so messages that do not
 * match stay queued for other waiters.  Finding a match in a long queue
 * may outlast the deadline: the listener then says every second that it
 * still looks, and we wait on; one that says nothing for WAIT_BACKSTOP_MS
 * past the deadline is given up on.
 *
 * When none of the hooks can give a message any more (each is closed or
 * expired, with nothing queued that the wait accepts), the listener says
 * so at once and the wait exits 4: nothing can come.
 *
 * On a terminal, stderr shows what we wait on and the time left, on one
 * line that fits the width, redrawn only when its text changes (the time
 * is in tenths of a second) and erased before anything is printed; and a
 * body printed to a terminal has its control characters escaped, since it
 * comes from a stranger (--raw prints it as it is).  That line and the
 * printing are in cmd-wait-output.c.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "cmd-wait.h"
#include "duration.h"
#include "filter.h"
#include "fish.h"
#include "jsonptr.h"
#include "output.h"
#include "proto.h"
#include "term.h"
#include "wait-batch.h"
#include "xmalloc.h"

/*
 * How long past its deadline, or past the listener's last word that it
 * still looks (an interim frame), a wait trusts the listener to answer.
 */
#define WAIT_BACKSTOP_MS	5000

/*
 * The least time a wait gives a listener it starts, whatever its
 * --timeout: --timeout 0 still takes a message queued in the journal.
 */
#define WAIT_START_MS		1000

/*
 * How often the terminal status line may change: it shows the time left in
 * tenths of a second.
 */
#define WAIT_TICK_MS		100

static int	cmd_wait_exec(int, char **);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "HOOK... [--timeout D] [--count N] [--follow|--drain] "
	    "[--where FILTER]... [--json|--field PTR|--headers] [--peek] "
	    "[--raw] [--no-progress]",
	.args = { 1, -1 },
	.summary = "take the next message of any listed hook and print it",
	.help =
	    "Take the next message of any listed HOOK (its URL, token or name),\n"
	    "waiting for one if none is queued, and print its body exactly as\n"
	    "received.  Messages that arrived before the wait count.  On a\n"
	    "terminal, stderr shows \"waiting on HOOK, 3.2s left\" meanwhile,\n"
	    "and control characters of what is printed are escaped.  When every\n"
	    "HOOK is closed or expired and nothing is queued for the wait, it\n"
	    "exits 4 at once (queued messages come first).\n"
	    "\n"
	    "  --timeout D       give up after D (250ms, 5s, 2m, 1h, 1d); exit\n"
	    "                    124; with --follow, D of idle time between\n"
	    "                    messages; it counts the listener's start-up too\n"
	    "  --count N         take N messages, each followed by a newline:\n"
	    "                    all or nothing; on timeout (124), Ctrl-C (130)\n"
	    "                    or exit 4 none is printed and all stay queued;\n"
	    "                    so too, exit 1, when a lease lapsed (Redis)\n"
	    "  --follow          print messages as NDJSON envelopes as they come,\n"
	    "                    each taken as printed, until --count, --timeout\n"
	    "                    or Ctrl-C (exit 130)\n"
	    "  --drain           take every message queued now (at most --count),\n"
	    "                    each followed by a newline, without waiting;\n"
	    "                    exit 0 even when there is none\n"
	    "  --where FILTER    only a message that matches; repeatable:\n"
	    "                    /ptr=VALUE, /ptr!=VALUE, /ptr>N (>=, <, <=),\n"
	    "                    /ptr (JSON body), header:NAME=VALUE,\n"
	    "                    method=POST, path=/x, event=push; a|b: either\n"
	    "  --json            print the message as one JSON line: seq, hook,\n"
	    "                    name, method, path, query, headers, body (or\n"
	    "                    body_base64), remote, received_at, verified\n"
	    "                    (true when the hook has --verify: requests\n"
	    "                    that fail it never reach wait)\n"
	    "  --field PTR       print the value at JSON pointer PTR of the body\n"
	    "                    (strings raw); exit 4 when absent\n"
	    "  --headers         print the request line and headers, a blank\n"
	    "                    line, then the body\n"
	    "  --peek            print the next message but leave it queued\n"
	    "  --raw             print control characters as they are, even to\n"
	    "                    a terminal\n"
	    "  --no-progress     show no \"waiting on\" line on the terminal\n"
	    "  -h, --help        show this help\n",
	.exec = cmd_wait_exec
};

static const struct option cmd_wait_options[] = {
	{ "count", required_argument, NULL, 'c' },
	{ "drain", no_argument, NULL, 'D' },
	{ "field", required_argument, NULL, 'F' },
	{ "follow", no_argument, NULL, 'f' },
	{ "headers", no_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'j' },
	{ "no-progress", no_argument, NULL, 'P' },
	{ "peek", no_argument, NULL, 'p' },
	{ "raw", no_argument, NULL, 'r' },
	{ "timeout", required_argument, NULL, 't' },
	{ "where", required_argument, NULL, 'w' },
	CMD_OPTIONS_END
};

/*
 * Receive the reply to a wait request just sent, redrawing the progress
 * line meanwhile.  Interim frames (the listener, past the deadline, still
 * looks through a long queue for the wait: a message queued before the
 * deadline is still its answer) are skipped, each moving the backstop on:
 * only a listener silent for WAIT_BACKSTOP_MS past the deadline (or past
 * the request, for the later waits of a batch), or past its last interim
 * frame, is given up on (EXIT_TIMEOUT).
 */
static int
cmd_wait_reply(struct client *c, int64_t deadline, struct proto_frame *frame,
    struct wait_options *wo)
{
	int64_t	backstop = -1, until;
	int	status;

	if (deadline != -1)
		backstop = (deadline > clock_mono_ms() ? deadline :
		    clock_mono_ms()) + WAIT_BACKSTOP_MS;
	for (;;) {
		cmd_wait_progress(wo, deadline);
		until = backstop;
		if (wo->waiting_on != NULL && (until == -1 ||
		    clock_mono_ms() + WAIT_TICK_MS < until))
			until = clock_mono_ms() + WAIT_TICK_MS;
		status = client_receive(c, frame, until);
		if (status == EXIT_TIMEOUT) {
			if (backstop != -1 && clock_mono_ms() >= backstop)
				return (EXIT_TIMEOUT);
			continue;	/* only a redraw tick */
		}
		if (status != EXIT_OK || !proto_is_interim(frame->json))
			return (status);
		proto_frame_release(frame);
		if (backstop != -1 &&
		    clock_mono_ms() + WAIT_BACKSTOP_MS > backstop)
			backstop = clock_mono_ms() + WAIT_BACKSTOP_MS;
	}
}

/*
 * Send the wait request and receive its reply, reconnecting (and so
 * restarting the listener) whenever the connection is lost.  The listener
 * keeps the deadline (so --timeout 0 still takes a queued message); ours
 * is only a backstop in case it stops answering.
 */
static int
cmd_wait_receive(struct client *c, struct json_object *request,
    int64_t deadline, struct proto_frame *frame, struct wait_options *wo)
{
	int64_t	left;
	int	status;

	for (;;) {
		proto_frame_release(frame);
		if (deadline != -1) {
			left = deadline - clock_mono_ms();
			json_object_object_add(request, "timeout_ms",
			    json_object_new_int64(left > 0 ? left : 0));
		}
		status = client_send(c, request, NULL, 0);
		if (status == EXIT_OK)
			status = cmd_wait_reply(c, deadline, frame, wo);
		if (status == EXIT_OK &&
		    proto_status(frame->json) == EXIT_TIMEOUT)
			return (EXIT_TIMEOUT);
		/* Given up on as stopped (said), it is not lost. */
		if (status != EXIT_UNAVAILABLE || c->stopped)
			return (status);
		if (deadline != -1 && clock_mono_ms() >= deadline)
			return (EXIT_TIMEOUT);
		if ((status = client_reconnect(c)) != EXIT_OK)
			return (status);
		wo->reconnected = 1;
	}
}

/*
 * Tell the listener a message (seq), or every message leased to us (seq
 * -1), was written out, so it is taken for good.
 */
static void
cmd_wait_ack(struct client *c, int64_t seq)
{
	struct proto_frame	 frame;
	struct json_object	*request;

	proto_frame_init(&frame);
	request = proto_request("ack");
	if (seq == -1)
		json_object_object_add(request, "all",
		    json_object_new_boolean(1));
	else
		json_object_object_add(request, "seq",
		    json_object_new_int64(seq));
	if (client_send(c, request, NULL, 0) != EXIT_OK ||
	    client_receive(c, &frame, -1) != EXIT_OK ||
	    client_reply_status(&frame) != EXIT_OK) {
		if (seq == -1)
			fish_warnx("wait: the messages were printed but not "
			    "acknowledged; they may be delivered again");
		else
			fish_warnx("wait: message %lld was printed but not "
			    "acknowledged; it may be delivered again",
			    (long long)seq);
	}
	json_object_put(request);
	proto_frame_release(&frame);
}

/*
 * Say that the wait timed out, and why when the listener had not even
 * finished starting.
 */
static void
cmd_wait_timed_out(const struct wait_options *wo, const char *first,
    const char *starting)
{
	char	*text;

	text = duration_format(wo->timeout);
	if (starting != NULL)
		fish_warnx("timed out after %s waiting on %s: the listener of "
		    "session '%s' is still starting", text, first, starting);
	else
		fish_warnx("timed out after %s%s waiting on %s", text,
		    wo->follow ? " of quiet" : "", first);
	free(text);
}

/* Take, print and acknowledge one message. */
static int
cmd_wait_one(struct client *c, struct json_object *request, int64_t deadline,
    struct wait_options *wo, const char *first)
{
	struct proto_frame	 frame;
	struct json_object	*message;
	int			 status, ret;

	proto_frame_init(&frame);
	status = cmd_wait_receive(c, request, deadline, &frame, wo);
	cmd_wait_progress_erase(wo);
	if (status == EXIT_TIMEOUT) {
		cmd_wait_timed_out(wo, first, NULL);
		goto done;
	}
	if (status != EXIT_OK ||
	    (status = client_reply_status(&frame)) != EXIT_OK)
		goto done;
	if (!json_object_object_get_ex(frame.json, "message", &message) ||
	    !json_object_is_type(message, json_type_object)) {
		fish_warnx("wait: the listener's reply has no message");
		status = EXIT_FAILED;
		goto done;
	}
	ret = cmd_wait_print(message, &frame, wo);
	if (ret == EXIT_NOT_FOUND) {
		fish_warnx("wait: message %lld has no value at '%s' (it stays "
		    "queued)", (long long)proto_int(message, "seq", -1),
		    wo->field);
		status = EXIT_NOT_FOUND;
		goto done;
	}
	if (ret != 0 || fflush(stdout) != 0) {
		fish_warnx("wait: could not write message %lld: %s (it stays"
		    " queued)", (long long)proto_int(message, "seq", -1),
		    strerror(errno));
		status = EXIT_FAILED;
		goto done;
	}
	if (!wo->peek)
		cmd_wait_ack(c, proto_int(message, "seq", -1));
done:
	proto_frame_release(&frame);
	return (status);
}

/* Give back every message leased to us: the batch is not taken. */
static void
cmd_wait_release(struct client *c)
{
	struct proto_frame	 frame;
	struct json_object	*request;

	/* Should this fail, closing the connection gives them back. */
	proto_frame_init(&frame);
	request = proto_request("release");
	if (client_send(c, request, NULL, 0) == EXIT_OK)
		(void)client_receive(c, &frame, -1);
	json_object_put(request);
	proto_frame_release(&frame);
}

/* What checking a batch for --field needs. */
struct wait_batch_check {
	const struct wait_options	*wo;
	size_t				 n;	/* in the batch */
};

/* Each message of a batch has the value --field names; else say so. */
static int
cmd_wait_batch_check(struct proto_frame *f, size_t i, void *arg)
{
	const struct wait_batch_check	*check = arg;
	struct json_object		*message, *json, *value;
	char				*cause = NULL;
	int				 found;

	(void)i;
	json = jsonptr_parse(f->payload, f->payload_len, &cause);
	found = cause == NULL &&
	    jsonptr_get(json, check->wo->field, &value, &cause) == 0;
	free(cause);
	json_object_put(json);
	if (found)
		return (0);
	json_object_object_get_ex(f->json, "message", &message);
	fish_warnx("wait: message %lld has no value at '%s' (all %zu stay "
	    "queued)", (long long)proto_int(message, "seq", -1),
	    check->wo->field, check->n);
	return (EXIT_NOT_FOUND);
}

/* Print one message of a batch; nonzero when it could not be written. */
static int
cmd_wait_batch_print_one(struct proto_frame *f, size_t i, void *arg)
{
	struct json_object	*message;

	(void)i;
	json_object_object_get_ex(f->json, "message", &message);
	return (cmd_wait_print(message, f, arg) != 0 ? EXIT_FAILED : 0);
}

/*
 * Print a batch of leased messages, all or none: with --field, each must
 * have the value before any is printed.  Return 0, or the exit status
 * after saying why.
 */
static int
cmd_wait_print_batch(struct wait_batch *batch, struct wait_options *wo)
{
	struct wait_batch_check	 check = { wo, wait_batch_count(batch) };
	char			*cause;
	int			 status = 0;

	if (wo->format == WAIT_FIELD)
		status = wait_batch_each(batch, cmd_wait_batch_check, &check,
		    &cause);
	if (status == -1) {
		fish_warnx("wait: %s (all stay queued)", cause);
		free(cause);
		return (EXIT_FAILED);
	}
	if (status != 0)
		return (status);
	status = wait_batch_each(batch, cmd_wait_batch_print_one, wo, &cause);
	if (status == -1) {
		fish_warnx("wait: %s (they stay queued, but some may have been "
		    "printed)", cause);
		free(cause);
		return (EXIT_FAILED);
	}
	if (status != 0 || fflush(stdout) != 0) {
		fish_warnx("wait: could not write the messages: %s (they stay "
		    "queued, but some may have been printed)", strerror(errno));
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/*
 * Take a batch (--count N, --drain): lease message after message, keeping
 * each (wait-batch.c: past a bound, in a temporary file), until N are
 * leased (or, draining, none is queued any more), then print them all
 * and acknowledge them at once.  A timeout, an interrupt, or hooks that
 * can give no more print nothing: the listener gives the leases back (as
 * it does when the connection closes).  Leases gathered from a listener
 * that was lost died with it; the gathering starts again.
 */
static int
cmd_wait_batch(struct client *c, struct json_object *request, int64_t deadline,
    struct wait_options *wo, const char *first)
{
	struct wait_batch	*batch = wait_batch_new();
	struct proto_frame	 frame, *f = &frame;
	struct json_object	*message;
	char			*cause;
	int			 status = EXIT_OK;

	json_object_object_add(request, "more", json_object_new_boolean(1));
	while (wo->count == 0 || (int64_t)wait_batch_count(batch) < wo->count) {
		/* How many it still wants (0: all queued), to claim ahead. */
		json_object_object_add(request, "want", json_object_new_int64(
		    wo->count == 0 ? 0 : wo->count -
		    (int64_t)wait_batch_count(batch)));
		proto_frame_init(f);
		wo->reconnected = 0;
		status = cmd_wait_receive(c, request, deadline, f, wo);
		if (wo->reconnected)
			wait_batch_clear(batch);
		if (wo->drain && (status == EXIT_TIMEOUT || (status ==
		    EXIT_OK && proto_status(f->json) == EXIT_NOT_FOUND &&
		    proto_bool(f->json, "ended")))) {
			/* Nothing more queued now: the batch is complete. */
			proto_frame_release(f);
			status = EXIT_OK;
			break;
		}
		if (status == EXIT_OK)
			status = proto_status(f->json);
		if (status != EXIT_OK) {
			cmd_wait_progress_erase(wo);
			if (status == EXIT_TIMEOUT)
				cmd_wait_timed_out(wo, first, NULL);
			else
				client_reply_status(f);
			proto_frame_release(f);
			goto done;
		}
		if (!json_object_object_get_ex(f->json, "message", &message) ||
		    !json_object_is_type(message, json_type_object)) {
			cmd_wait_progress_erase(wo);
			fish_warnx("wait: the listener's reply has no message");
			proto_frame_release(f);
			status = EXIT_FAILED;
			goto done;
		}
		if (wait_batch_add(batch, f, &cause) == -1) {
			cmd_wait_progress_erase(wo);
			fish_warnx("wait: %s (all stay queued)", cause);
			free(cause);
			status = EXIT_FAILED;
			goto done;
		}
	}
	cmd_wait_progress_erase(wo);
	if (wait_batch_count(batch) > 0 &&
	    (status = cmd_wait_print_batch(batch, wo)) == EXIT_OK)
		cmd_wait_ack(c, -1);
done:
	if (wait_batch_count(batch) > 0 && status != EXIT_OK &&
	    status != EXIT_INTERRUPTED && status != EXIT_UNAVAILABLE)
		cmd_wait_release(c);
	wait_batch_free(batch);
	return (status);
}

/*
 * Add a --where filter to where, unless it is invalid or could never
 * match a message not yet answered.  Return -1 to go on, else the exit
 * status, having said why.
 */
static int
cmd_wait_where_add(const char *text, struct json_object *where)
{
	const struct cmd_entry	*entry = &cmd_wait_entry;
	struct filter		 filter;
	enum filter_subject	 subject;
	char			*cause;
	int			 status;

	if (filter_parse(text, &filter, &cause) == -1) {
		status = cmd_usage_error(entry, "%s", cause);
		free(cause);
		return (status);
	}
	subject = filter.subject;
	filter_release(&filter);
	/* What a message was answered is the timeline's. */
	if (subject == FILTER_STATUS)
		return (cmd_usage_error(entry, "filter '%s' can never match: "
		    "wait takes messages before they are answered", text));
	json_object_array_add(where, json_object_new_string(text));
	return (-1);
}

/*
 * Check that wait's options go together (--follow prints JSON lines
 * unless told --field).  Return -1 to go on, else the exit status.
 */
static int
cmd_wait_options_check(struct wait_options *wo)
{
	const struct cmd_entry	*entry = &cmd_wait_entry;

	if (wo->follow && wo->format == WAIT_BODY)
		wo->format = WAIT_JSON;
	if (wo->follow && wo->format == WAIT_HEADERS)
		return (cmd_usage_error(entry, "--follow prints JSON lines or "
		    "--field values, not --headers"));
	if (wo->peek && (wo->follow || wo->count > 0 || wo->drain))
		return (cmd_usage_error(entry, "--peek looks at one message; "
		    "it cannot be used with --follow, --count or --drain"));
	if (wo->drain && wo->follow)
		return (cmd_usage_error(entry, "--drain takes what is queued "
		    "now; --follow waits for more: use one of them"));
	if (wo->drain && wo->has_timeout)
		return (cmd_usage_error(entry, "--drain does not wait, so "
		    "takes no --timeout"));
	return (-1);
}

/* Parse the options; return -1 to go on, else the exit status. */
static int
cmd_wait_options_parse(int argc, char **argv, struct wait_options *wo,
    struct json_object *where)
{
	const struct cmd_entry	*entry = &cmd_wait_entry;
	char			*end;
	int			 ch, formats = 0;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_wait_options)) !=
	    -1) {
		switch (ch) {
		case 'D':
			wo->drain = 1;
			break;
		case 'c':
			errno = 0;
			wo->count = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || errno != 0 ||
			    wo->count < 1)
				return (cmd_usage_error(entry, "--count needs a "
				    "positive number, not '%s'", optarg));
			break;
		case 'F':
			wo->format = WAIT_FIELD;
			wo->field = optarg;
			formats++;
			if (*optarg != '\0' && *optarg != '/')
				return (cmd_usage_error(entry, "invalid JSON "
				    "pointer '%s' (must start with /)", optarg));
			break;
		case 'f':
			wo->follow = 1;
			break;
		case 'H':
			wo->format = WAIT_HEADERS;
			formats++;
			break;
		case 'j':
			wo->format = WAIT_JSON;
			formats++;
			break;
		case 'P':
			wo->progress = 0;
			break;
		case 'p':
			wo->peek = 1;
			break;
		case 'r':
			wo->raw = 1;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &wo->timeout) != 0)
				return (EXIT_USAGE);
			wo->has_timeout = 1;
			break;
		case 'w':
			if ((ch = cmd_wait_where_add(optarg, where)) != -1)
				return (ch);
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (formats > 1)
		return (cmd_usage_error(entry, "use only one of --json, --field "
		    "and --headers"));
	return (cmd_wait_options_check(wo));
}


/*
 * Set the clocks of a wait from now: *deadline, when it gives up, and
 * *start, when a listener it starts must answer by (-1 for both: never).
 * A listener that takes long to start (a large journal to recover)
 * counts against the deadline.
 */
static void
cmd_wait_deadlines(const struct wait_options *wo, int64_t *deadline,
    int64_t *start)
{
	*deadline = *start = -1;
	if (!wo->has_timeout)
		return;
	*deadline = clock_mono_ms() + (int64_t)wo->timeout;
	*start = *deadline;
	if (*start < clock_mono_ms() + WAIT_START_MS)
		*start = clock_mono_ms() + WAIT_START_MS;
}

/*
 * Make the listener's wait request: the hooks argv names from optind on,
 * the --where filters and what wo asks.  --drain turns off the progress
 * line, having nothing to wait for.
 */
static struct json_object *
cmd_wait_request(int argc, char **argv, struct json_object *where,
    struct wait_options *wo)
{
	struct json_object	*request, *hooks;
	int			 i;

	request = proto_request("wait");
	hooks = json_object_new_array();
	for (i = optind; i < argc; i++)
		json_object_array_add(hooks, json_object_new_string(argv[i]));
	json_object_object_add(request, "hooks", hooks);
	if (json_object_array_length(where) > 0)
		json_object_object_add(request, "where",
		    json_object_get(where));
	if (wo->peek)
		json_object_object_add(request, "peek",
		    json_object_new_boolean(1));
	/* cmd_wait_reply skips the listener's word that it still looks. */
	json_object_object_add(request, "interim", json_object_new_boolean(1));
	if (wo->drain) {
		/* What is queued now: the listener answers at once. */
		json_object_object_add(request, "timeout_ms",
		    json_object_new_int64(0));
		wo->progress = 0;
	}
	return (request);
}

/*
 * Take one message, or with --follow message after message until
 * --count are taken or one cannot be (a timeout among the reasons).
 */
static int
cmd_wait_messages(struct client *c, struct json_object *request,
    int64_t deadline, struct wait_options *wo, const char *first)
{
	int64_t	taken = 0;
	int	status;

	for (;;) {
		status = cmd_wait_one(c, request, deadline, wo, first);
		if (status != EXIT_OK)
			break;
		taken++;
		if (!wo->follow || (wo->count > 0 && taken >= wo->count))
			break;
		/* --follow: the timeout is idle time, counted afresh. */
		if (wo->follow && wo->has_timeout)
			c->deadline = deadline = clock_mono_ms() +
			    (int64_t)wo->timeout;
	}
	return (status);
}

/* Wait for messages and print them. */
static int
cmd_wait_exec(int argc, char **argv)
{
	struct wait_options	 wo;
	struct client		 c;
	struct json_object	*request, *hooks, *where;
	int64_t			 deadline, start;
	int			 status;

	memset(&wo, 0, sizeof wo);
	wo.progress = isatty(STDERR_FILENO) && !term_dumb();
	where = json_object_new_array();
	if ((status = cmd_wait_options_parse(argc, argv, &wo, where)) != -1) {
		json_object_put(where);
		return (status);
	}

	/* Resilient: a lost listener is restarted, not reported. */
	cmd_wait_deadlines(&wo, &deadline, &start);
	/*
	 * Ctrl-C ends the wait through its receive, and so do a kill and
	 * a closed terminal (timeout(1), a CI job cancelled) while it
	 * waits: the line is erased, exit 130.  Those two kill as before
	 * when it is not waiting (a write to a reader that stopped reading
	 * must not keep timeout(1) waiting).
	 */
	client_catch(SIGINT);
	client_catch_waiting(SIGTERM);
	client_catch_waiting(SIGHUP);
	status = client_open_until(&c, fish_session, CLIENT_START |
	    CLIENT_RESILIENT, start);
	if (status != EXIT_OK) {
		if (status == EXIT_TIMEOUT)
			cmd_wait_timed_out(&wo, argv[optind], fish_session);
		json_object_put(where);
		return (status);
	}
	request = cmd_wait_request(argc, argv, where, &wo);
	if (wo.progress) {
		json_object_object_get_ex(request, "hooks", &hooks);
		wo.waiting_on = cmd_wait_describe(&c, hooks);
	}
	output_escape(isatty(STDOUT_FILENO) && !wo.raw);

	if (wo.drain || (wo.count > 0 && !wo.follow))
		status = cmd_wait_batch(&c, request, deadline, &wo,
		    argv[optind]);
	else
		status = cmd_wait_messages(&c, request, deadline, &wo,
		    argv[optind]);
	json_object_put(request);
	json_object_put(where);
	free(wo.waiting_on);
	free(wo.drawn);
	client_close(&c);
	return (status);
}
