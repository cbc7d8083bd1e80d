/*
 * fish reply: answer a request that a --hold hook keeps open.
 */
#include "config.h"

#include "client.h"
#include "fish.h"
#include "proto.h"
#include "response.h"

#define REPLY_BODY_MAX	(25U << 20)	/* as much as a hook accepts */

static int	cmd_reply_exec(int, char **);

const struct cmd_entry cmd_reply_entry = {
	.name = "reply",
	.usage = "MESSAGE [--status N] [-H 'Name: value']... [--body T|@F]",
	.args = { 1, 1 },
	.summary = "answer a request held by a --hold hook",
	.help =
	    "Answer a request that a hook spawned with --hold keeps open.\n"
	    "MESSAGE is the request's seq (as " FISH_NAME
	    " wait --json shows it), or a\n"
	    "hook, for its oldest request still waiting for an answer.  Exit 4\n"
	    "when there is no such request, 1 when it was already answered or\n"
	    "its sender hung up.\n"
	    "\n"
	    "  --status N          answer with status N (200-599; default 200)\n"
	    "  -H 'Name: value'    add a header to the answer\n"
	    "  --body T|@F|@-      answer with body T, file F or stdin\n"
	    "  -h, --help          show this help\n",
	.exec = cmd_reply_exec
};

static const struct option cmd_reply_options[] = {
	{ "body", required_argument, NULL, 'b' },
	{ "header", required_argument, NULL, 'H' },
	{ "status", required_argument, NULL, 's' },
	CMD_OPTIONS_END
};

/* Send the answer through the listener. */
static int
cmd_reply_request(const char *message, struct response *answer)
{
	struct proto_frame	 frame;
	struct json_object	*request;
	int			 status;

	request = proto_request("reply");
	json_object_object_add(request, "message",
	    json_object_new_string(message));
	response_add(answer, request);
	status = client_request(fish_session, request, answer->body,
	    answer->body_len, &frame);
	json_object_put(request);
	proto_frame_release(&frame);
	return (status);
}

/* Parse the options and answer the request. */
static int
cmd_reply_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_reply_entry;
	struct response		 answer;
	int			 ch, status = EXIT_USAGE;

	response_init(&answer);
	while ((ch = cmd_getopt(entry, argc, argv, "H:", cmd_reply_options)) !=
	    -1) {
		switch (ch) {
		case 'b':
			if (response_body(entry, &answer, optarg,
			    REPLY_BODY_MAX) != 0) {
				status = EXIT_FAILED;
				goto fail;
			}
			break;
		case 'H':
			if (response_header(entry, &answer, optarg) != 0)
				goto fail;
			break;
		case 's':
			if (response_status(entry, &answer, optarg) != 0)
				goto fail;
			break;
		case CMD_HELP:
			status = EXIT_OK;
			goto fail;
		default:
			goto fail;
		}
	}
	if (*argv[optind] == '\0') {
		cmd_missing(entry, 0);
		goto fail;
	}
	status = cmd_reply_request(argv[optind], &answer);
fail:
	response_release(&answer);
	return (status);
}
