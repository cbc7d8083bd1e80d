/*
 * fish wait: take the next message of any of the given hooks and print it.
 *
 * Messages that arrived before the wait started count: the listener keeps
 * each hook's queue.  A message is taken for good only when this command
 * acknowledges it, which it does after writing it out, so a wait killed
 * half-way loses nothing.  If the listener dies while we wait, we restart
 * it and go on waiting until our own deadline.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "duration.h"
#include "fish.h"
#include "output.h"
#include "proto.h"

/* How long past its deadline a wait trusts the listener to answer. */
#define WAIT_BACKSTOP_MS	5000

static int	cmd_wait_exec(int, char **);

const struct cmd_entry cmd_wait_entry = {
	.name = "wait",
	.usage = "HOOK... [--timeout D] [--json]",
	.summary = "take the next message of any listed hook and print it",
	.help =
	    "Take the next message of any listed HOOK (its URL, token or name),\n"
	    "waiting for one if none is queued, and print its body exactly as\n"
	    "received.  Messages that arrived before the wait count.\n"
	    "\n"
	    "  --timeout D   give up after D (250ms, 5s, 2m, 1h); exit 124\n"
	    "  --json        print the message as one JSON line: seq, hook, name,\n"
	    "                method, path, query, headers, body (or body_base64),\n"
	    "                remote, received_at, verified\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_wait_exec
};

static const struct option cmd_wait_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, 't' },
	CMD_OPTIONS_END
};

/*
 * Send the wait request and receive its reply, reconnecting (and so
 * restarting the listener) whenever the connection is lost.  The listener
 * keeps the deadline (so --timeout 0 still takes a queued message); ours
 * is only a backstop in case it stops answering.
 */
static int
cmd_wait_receive(struct client *c, struct json_object *request,
    int64_t deadline, struct proto_frame *frame)
{
	int64_t	left;
	int	status;

	for (;;) {
		proto_frame_release(frame);
		if (deadline != -1) {
			left = deadline - client_now();
			json_object_object_add(request, "timeout_ms",
			    json_object_new_int64(left > 0 ? left : 0));
		}
		status = client_send(c, request, NULL, 0);
		if (status == EXIT_OK)
			status = client_receive(c, frame, deadline == -1 ? -1 :
			    deadline + WAIT_BACKSTOP_MS);
		if (status == EXIT_OK &&
		    proto_status(frame->json) == EXIT_TIMEOUT)
			return (EXIT_TIMEOUT);
		if (status != EXIT_UNAVAILABLE)
			return (status);
		if (deadline != -1 && client_now() >= deadline)
			return (EXIT_TIMEOUT);
		if ((status = client_reconnect(c)) != EXIT_OK)
			return (status);
	}
}

/* Print a taken message: its body, or its JSON envelope. */
static int
cmd_wait_print(struct json_object *message, const struct proto_frame *frame,
    int json)
{
	if (!json)
		return (write_all(STDOUT_FILENO, frame->payload,
		    frame->payload_len));
	envelope_with_body(message, frame->payload, frame->payload_len);
	return (output_json(message));
}

/* Tell the listener a message was written out, so it is taken for good. */
static void
cmd_wait_ack(struct client *c, int64_t seq)
{
	struct proto_frame	 frame;
	struct json_object	*request;

	proto_frame_init(&frame);
	request = proto_request("ack");
	json_object_object_add(request, "seq", json_object_new_int64(seq));
	if (client_send(c, request, NULL, 0) != EXIT_OK ||
	    client_receive(c, &frame, -1) != EXIT_OK ||
	    client_reply_status(&frame) != EXIT_OK)
		fish_warnx("wait: message %lld was printed but not acknowledged;"
		    " it may be delivered again", (long long)seq);
	json_object_put(request);
	proto_frame_release(&frame);
}

/* Wait for a message and print it. */
static int
cmd_wait_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_wait_entry;
	struct client		 c;
	struct proto_frame	 frame;
	struct json_object	*request, *hooks, *message;
	uint64_t		 timeout = 0;
	int64_t			 deadline = -1;
	char			*text;
	int			 ch, i, json = 0, has_timeout = 0, status;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_wait_options)) !=
	    -1) {
		switch (ch) {
		case 'j':
			json = 1;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &timeout) != 0)
				return (EXIT_USAGE);
			has_timeout = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind == argc)
		return (cmd_usage_error(entry, "expected at least one HOOK"));
	if (has_timeout)
		deadline = client_now() + (int64_t)timeout;

	/* Resilient: a lost listener is restarted, not reported. */
	status = client_open(&c, fish_session, CLIENT_START | CLIENT_RESILIENT);
	if (status != EXIT_OK)
		return (status);
	proto_frame_init(&frame);
	request = proto_request("wait");
	hooks = json_object_new_array();
	for (i = optind; i < argc; i++)
		json_object_array_add(hooks, json_object_new_string(argv[i]));
	json_object_object_add(request, "hooks", hooks);

	status = cmd_wait_receive(&c, request, deadline, &frame);
	if (status == EXIT_TIMEOUT) {
		text = duration_format(timeout);
		fish_warnx("timed out after %s waiting on %s", text,
		    argv[optind]);
		free(text);
		goto fail;
	}
	if (status != EXIT_OK ||
	    (status = client_reply_status(&frame)) != EXIT_OK)
		goto fail;

	if (!json_object_object_get_ex(frame.json, "message", &message) ||
	    !json_object_is_type(message, json_type_object)) {
		fish_warnx("wait: the listener's reply has no message");
		status = EXIT_FAILED;
		goto fail;
	}
	if (cmd_wait_print(message, &frame, json) != 0) {
		fish_warnx("wait: could not write message %lld: %s (it stays"
		    " queued)", (long long)proto_int(message, "seq", -1),
		    strerror(errno));
		status = EXIT_FAILED;
		goto fail;
	}
	cmd_wait_ack(&c, proto_int(message, "seq", -1));
fail:
	json_object_put(request);
	proto_frame_release(&frame);
	client_close(&c);
	return (status);
}
