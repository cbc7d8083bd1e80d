/*
 * fish stop: stop the session's listener, and with --purge delete its state.
 */
#include "config.h"

#include "client.h"
#include "fish.h"
#include "proto.h"

static int	cmd_stop_exec(int, char **);

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "[--purge]",
	.args = { 0, 0 },
	.summary = "stop the session's listener",
	.help =
	    "Stop the session's listener.  Queued messages stay in the journal\n"
	    "for the next start unless --purge is given.\n"
	    "\n"
	    "  --purge       also delete the session's state: hooks, journal\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_stop_exec
};

static const struct option cmd_stop_options[] = {
	{ "purge", no_argument, NULL, 'p' },
	CMD_OPTIONS_END
};

/* Stop the listener. */
static int
cmd_stop_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_stop_entry;
	int			 ch, purge = 0;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_stop_options)) !=
	    -1) {
		switch (ch) {
		case 'p':
			purge = 1;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	return (client_stop(fish_session, purge));
}
