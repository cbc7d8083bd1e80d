/*
 * fish version: what fish --version prints.
 */
#include "config.h"

#include "fish.h"
#include "proto.h"

static int	cmd_version_exec(int, char **);

const struct cmd_entry cmd_version_entry = {
	.name = "version",
	.usage = "",
	.args = { 0, 0 },
	.summary = "show the version",
	.help =
	    "Print the program's name and version, as --version does.\n"
	    "\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_version_exec
};

static const struct option cmd_version_options[] = {
	CMD_OPTIONS_END
};

/* Print the version. */
static int
cmd_version_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_version_entry;
	int			 ch;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_version_options)) !=
	    -1) {
		switch (ch) {
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	fish_version();
	return (EXIT_OK);
}
