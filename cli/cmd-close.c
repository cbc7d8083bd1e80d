/*
 * fish close: stop a hook from accepting requests.
 */
#include "config.h"

#include "client.h"
#include "fish.h"
#include "proto.h"

static int	cmd_close_exec(int, char **);

const struct cmd_entry cmd_close_entry = {
	.name = "close",
	.usage = "HOOK",
	.args = { 1, 1 },
	.summary = "close a hook: later requests get 410 Gone",
	.help =
	    "Close HOOK: later requests to it are answered 410 Gone and not\n"
	    "recorded.  Messages it already received can still be waited for;\n"
	    "once none is left, waits on it exit 4 at once, and its name can be\n"
	    "spawned again as a new hook.  Closing a closed hook does nothing.\n"
	    "Exit 4 when there is no such hook.\n"
	    "\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_close_exec
};

static const struct option cmd_close_options[] = {
	CMD_OPTIONS_END
};

/* Close the hook. */
static int
cmd_close_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_close_entry;
	struct proto_frame	 frame;
	struct json_object	*request;
	int			 ch, status;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_close_options)) !=
	    -1) {
		switch (ch) {
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (*argv[optind] == '\0')
		return (cmd_missing(entry, 0));

	request = proto_request("close");
	json_object_object_add(request, "hook",
	    json_object_new_string(argv[optind]));
	status = client_request(fish_session, request, NULL, 0, &frame);
	json_object_put(request);
	proto_frame_release(&frame);
	return (status);
}
