/*
 * fish help [COMMAND]: fish --help, or a command's --help.
 */
#include "config.h"

#include "fish.h"
#include "proto.h"

static int	cmd_help_exec(int, char **);

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.args = { 0, 1 },
	.summary = "show the commands, or a command's options",
	.help =
	    "Print the list of commands, or with COMMAND its usage and\n"
	    "options, as COMMAND --help does.\n"
	    "\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_help_exec
};

static const struct option cmd_help_options[] = {
	CMD_OPTIONS_END
};

/* Print the help asked for. */
static int
cmd_help_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_help_entry, *topic;
	int			 ch;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_help_options)) !=
	    -1) {
		switch (ch) {
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (optind == argc) {
		fish_help();
		return (EXIT_OK);
	}
	if ((topic = cmd_find(argv[optind])) == NULL)
		return (cmd_unknown(argv[optind]));
	cmd_help(topic);
	return (EXIT_OK);
}
