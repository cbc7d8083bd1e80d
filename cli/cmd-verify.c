/*
 * fish verify: check a captured request's signature offline.
 *
 * As fish sign does, this checks its arguments, then execs the listener
 * executable's one-shot --verify mode with stdin inherited, so the client
 * never links GnuTLS and the spec keeps its @FILE or env:NAME form in
 * argv; the spec is resolved and checked there, once.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "proto.h"
#include "xmalloc.h"

#define VERIFY_TOLERANCE_MS	300000	/* default --tolerance */

static int	cmd_verify_exec(int, char **);

const struct cmd_entry cmd_verify_entry = {
	.name = "verify",
	.usage = "SCHEME:SECRET -H 'Name: value'... [--tolerance D] [--now T]"
	    " < BODY",
	.args = { 1, 1 },
	.summary = "check a request's signature offline",
	.help =
	    "Check that the headers given with -H sign the body read on stdin.\n"
	    "Exit 0 silently when they do; exit 1 with the reason when they do\n"
	    "not (no or malformed header, signature does not match, timestamp\n"
	    "too old or too far in the future).  Needs no session.  Schemes and\n"
	    "secrets as for " FISH_NAME " sign.\n"
	    "\n"
	    "Options:\n"
	    "  -H 'Name: value'  a header of the request\n"
	    "  --tolerance D     largest distance of a stripe or standard\n"
	    "                    timestamp from now, whole seconds (5s, 2m, 1h,\n"
	    "                    1d; default 5m)\n"
	    "  --now T           check as if it were unix time T\n"
	    "  -h, --help        show this help\n",
	.exec = cmd_verify_exec
};

static const struct option cmd_verify_options[] = {
	{ "header", required_argument, NULL, 'H' },
	{ "now", required_argument, NULL, 'n' },
	{ "tolerance", required_argument, NULL, 't' },
	CMD_OPTIONS_END
};

/* Tell whether a -H value is "Name: value" with a name of no blanks. */
static int
cmd_verify_header_valid(const char *s)
{
	size_t	n = strcspn(s, ":");

	return (n > 0 && s[n] == ':' && strcspn(s, " \t") >= n);
}

/* Check the arguments, then let the listener executable verify. */
static int
cmd_verify_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_verify_entry;
	const char		**args, *now = NULL;
	uint64_t		 tolerance_ms = VERIFY_TOLERANCE_MS;
	char			 tolerance[32];
	int			 ch, n = 0;

	/* Each -H becomes two arguments; add the rest and a NULL. */
	args = xcalloc(2 * argc + 10, sizeof *args);
	args[n++] = "fish-listener";
	args[n++] = "--verify";
	args[n++] = NULL;	/* the spec, once known */
	while ((ch = cmd_getopt(entry, argc, argv, "H:",
	    cmd_verify_options)) != -1) {
		switch (ch) {
		case 'H':
			if (!cmd_verify_header_valid(optarg)) {
				free(args);
				return (cmd_usage_error(entry, "expected"
				    " -H 'Name: value'"));
			}
			args[n++] = "-H";
			args[n++] = optarg;
			break;
		case 'n':
			if (*optarg == '\0' || strlen(optarg) > 18 ||
			    strspn(optarg, "0123456789") != strlen(optarg)) {
				free(args);
				return (cmd_usage_error(entry, "invalid --now"
				    " '%s' (unix seconds)", optarg));
			}
			now = optarg;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &tolerance_ms) == -1 ||
			    cmd_whole_seconds(entry, "--tolerance", optarg,
			    tolerance_ms) == -1) {
				free(args);
				return (EXIT_USAGE);
			}
			break;
		case CMD_HELP:
			free(args);
			return (EXIT_OK);
		default:
			free(args);
			return (EXIT_USAGE);
		}
	}
	args[2] = argv[optind];
	/* Whole seconds, as timestamps are (cmd_whole_seconds). */
	snprintf(tolerance, sizeof tolerance, "%" PRIu64, tolerance_ms / 1000);
	args[n++] = "--tolerance";
	args[n++] = tolerance;
	if (now != NULL) {
		args[n++] = "--now";
		args[n++] = now;
	}
	args[n] = NULL;
	execv(client_listener_path(), (char *const *)args);
	fish_warn("verify: cannot run %s", client_listener_path());
	free(args);
	return (EXIT_UNAVAILABLE);
}
