/*
 * fish replay: send a recorded request again through the listener, to
 * where it first went or elsewhere, and print the response body.  The new
 * request joins the timeline like any other sent one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "curlopt.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "timeline.h"
#include "writeout.h"

#define REPLAY_TIMEOUT_MS	30000	/* the listener's default */
#define REPLAY_GRACE_MS		5000	/* for the listener to answer past it */

static int	cmd_replay_exec(int, char **);

const struct cmd_entry cmd_replay_entry = {
	.name = "replay",
	.usage = "SEQ [--to URL] [--json] [--raw] [-x URL] [--noproxy LIST]"
	    " [--proxy-user USER:PASSWORD] [--proxy-header 'Name: value'|@F]",
	.args = { 1, 1 },
	.summary = "send a recorded request again",
	.help =
	    "Send message SEQ of the timeline (see " FISH_NAME
	    " log) again, with its\n"
	    "method, headers and body, and print the response body.  A received\n"
	    "request goes to its hook, with its path and query; a sent one to\n"
	    "its URL.  Exit 1 when the answer is outside 200-299, 5 when the\n"
	    "server cannot be reached, 3 when the listener is lost during the\n"
	    "request (it may have been made).  The proxy is this command's, as\n"
	    "with " FISH_NAME " send (its flags, else http_proxy,\n"
	    "https_proxy, ALL_PROXY, NO_PROXY), except to the session's own\n"
	    "hooks.\n"
	    "\n"
	    "  --to URL      send it there instead (a received request's path\n"
	    "                and query are added below URL)\n"
	    "  --json        print the result as one JSON object, as send\n"
	    "                -w '%{json}' does: http_code, headers, body (or\n"
	    "                body_base64), time_total, attempts, seq\n"
	    "  --raw         print control characters as they are, even to a\n"
	    "                terminal\n"
	    "  -x, --proxy URL  use this proxy (\"\" for none), as send -x\n"
	    "  --noproxy LIST   hosts to reach without the proxy, as send\n"
	    "  --proxy-user USER:PASSWORD  basic authentication to the proxy,\n"
	    "                as send --proxy-user\n"
	    "  --proxy-header 'Name: value'|@F  a header for the proxy alone,\n"
	    "                as send --proxy-header\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_replay_exec
};

static const struct option cmd_replay_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "raw", no_argument, NULL, 'r' },
	{ "to", required_argument, NULL, 't' },
	PROXY_OPTIONS,
	CMD_OPTIONS_END
};

/* Print the response of a replay and return the exit status it means. */
static int
cmd_replay_result(const struct proto_frame *frame, int64_t seq, int json)
{
	const char		*error = proto_string(frame->json, "error");
	struct json_object	*o;
	struct writeout		 w;
	int64_t			 http_status;
	int			 status, ret;

	if ((status = proto_status(frame->json)) != EXIT_OK) {
		if (status == EXIT_NOT_FOUND)
			client_not_found(error != NULL ? error : "no such "
			    "message");
		else
			fish_warnx("replay of message %lld: %s", (long long)seq,
			    error != NULL ? error : "failed");
		return (status);
	}
	if (json) {
		memset(&w, 0, sizeof w);
		w.reply = frame->json;
		w.url = "";
		w.body = frame->payload;
		w.body_len = frame->payload_len;
		o = writeout_json(&w);
		ret = output_json(o);
		json_object_put(o);
	} else
		ret = output_write(frame->payload, frame->payload_len);
	if (ret != 0)
		return (timeline_write_error("replay"));
	http_status = proto_int(frame->json, "http_status", 0);
	if (http_status < 200 || http_status > 299) {
		fish_warnx("replay of message %lld: server answered %lld",
		    (long long)seq, (long long)http_status);
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/* What the options and operand of replay asked for. */
struct replay_options {
	struct proxy_options	 proxy;
	const char		*to;
	int64_t			 seq;
	int			 json, raw;
};

/*
 * Parse replay's options and SEQ into ro.  Return -1 to go on, else the
 * exit status (having said why, or printed the help).
 */
static int
cmd_replay_parse(int argc, char **argv, struct replay_options *ro)
{
	const struct cmd_entry	*entry = &cmd_replay_entry;
	int			 ch;

	while ((ch = cmd_getopt(entry, argc, argv, "x:", cmd_replay_options)) !=
	    -1) {
		switch (ch) {
		case 'j':
			ro->json = 1;
			break;
		case 'r':
			ro->raw = 1;
			break;
		case 't':
			ro->to = optarg;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			if (curlopt_proxy_option(&ro->proxy, ch, optarg))
				break;
			return (EXIT_USAGE);
		}
	}
	if (timeline_number(argv[optind], &ro->seq) != 0)
		return (cmd_usage_error(entry, "invalid SEQ '%s' (use a "
		    "message number, as " FISH_NAME " log shows)",
		    argv[optind]));
	if (ro->to != NULL && !cmd_url_valid(ro->to))
		return (cmd_usage_error(entry, "invalid URL '%s' (use "
		    "http://... or https://...)", ro->to));
	return (-1);
}

/*
 * Make the listener's replay request from ro into *request.  Return the
 * exit status, having said why when it is not EXIT_OK.
 */
static int
cmd_replay_request(const struct replay_options *ro,
    struct json_object **request)
{
	char	*cause;
	int	 status;

	*request = proto_request("replay");
	/* The URL may be either scheme: the listener picks. */
	if ((status = curlopt_proxy_add(*request, NULL, &ro->proxy, &cause)) !=
	    EXIT_OK)
		return (cmd_fail(&cmd_replay_entry, status, cause));
	json_object_object_add(*request, "seq", json_object_new_int64(ro->seq));
	if (ro->to != NULL)
		json_object_object_add(*request, "to",
		    json_object_new_string(ro->to));
	json_object_object_add(*request, "timeout_ms",
	    json_object_new_int64(REPLAY_TIMEOUT_MS));
	return (EXIT_OK);
}

/*
 * Send request through c and print what came of it.  A listener that is
 * lost or silent leaves the replay in doubt: it may have been made.
 */
static int
cmd_replay_call(struct client *c, struct json_object *request,
    const struct replay_options *ro)
{
	struct proto_frame	 frame;
	int			 status;

	proto_frame_init(&frame);
	output_escape(isatty(STDOUT_FILENO) && !ro->raw);
	status = client_call(c, request, NULL, 0, &frame,
	    clock_mono_ms() + REPLAY_TIMEOUT_MS + REPLAY_GRACE_MS);
	if (status == EXIT_TIMEOUT || status == CLIENT_IN_DOUBT) {
		fish_warnx("replay of message %lld: %s during the request: it "
		    "may have been made; '" FISH_NAME
		    " log' shows what was sent",
		    (long long)ro->seq, status == EXIT_TIMEOUT ?
		    "the listener did not answer in time" :
		    "lost contact with the listener");
		status = EXIT_UNAVAILABLE;
	} else if (status == EXIT_OK)
		status = cmd_replay_result(&frame, ro->seq, ro->json);
	proto_frame_release(&frame);
	return (status);
}

/* Send a recorded request again and print the response body. */
static int
cmd_replay_exec(int argc, char **argv)
{
	struct replay_options	 ro;
	struct client		 c;
	struct json_object	*request = NULL;
	int			 status;

	memset(&ro, 0, sizeof ro);
	if ((status = cmd_replay_parse(argc, argv, &ro)) != -1)
		goto done;
	if ((status = cmd_replay_request(&ro, &request)) != EXIT_OK)
		goto done;
	if ((status = client_open(&c, fish_session, CLIENT_START)) != EXIT_OK)
		goto done;
	status = cmd_replay_call(&c, request, &ro);
	client_close(&c);
done:
	json_object_put(request);
	curlopt_proxy_release(&ro.proxy);
	return (status);
}
