/*
 * fish sign: print the headers a provider's signature scheme adds to a
 * body, for scripts that send with other tools.
 *
 * The client stays free of GnuTLS: it checks the arguments here, then
 * execs the listener executable's one-shot --sign mode with stdin
 * inherited.  The spec goes through as written, so a secret read from
 * @FILE or env:NAME never appears in argv, and it is read there only: a
 * secret from a pipe (@<(command)) can be read once.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "fish.h"
#include "proto.h"
#include "sigspec.h"

static int	cmd_sign_exec(int, char **);

const struct cmd_entry cmd_sign_entry = {
	.name = "sign",
	.usage = "SCHEME:SECRET [--id ID] [--timestamp T] < BODY",
	.args = { 1, 1 },
	.summary = "print the signature headers of a body",
	.help =
	    "Print the headers that sign the body read on stdin, one\n"
	    "'Name: value' line each, as the provider would send them.  Needs\n"
	    "no session.  Exit 2 on a bad spec.\n"
	    "\n"
	    "Schemes: github, stripe, standard (Standard Webhooks) and\n"
	    "hmac-sha1:HEADER, hmac-sha256:HEADER, hmac-sha512:HEADER (hex HMAC\n"
	    "of the body in HEADER).  The secret is written SCHEME:SECRET,\n"
	    "SCHEME:@FILE (one trailing newline cut) or SCHEME:env:NAME.\n"
	    "\n"
	    "Options:\n"
	    "  --id ID        webhook-id for standard (default: a new msg_ id)\n"
	    "  --timestamp T  unix time for stripe and standard (default: now)\n"
	    "  -h, --help     show this help\n",
	.exec = cmd_sign_exec
};

static const struct option cmd_sign_options[] = {
	{ "id", required_argument, NULL, 'i' },
	{ "timestamp", required_argument, NULL, 't' },
	CMD_OPTIONS_END
};

/* Tell whether s is unix seconds: decimal digits only. */
static int
cmd_sign_seconds(const char *s)
{
	return (*s != '\0' && strspn(s, "0123456789") == strlen(s) &&
	    strlen(s) <= 18);
}

/* Check the arguments, then let the listener executable sign. */
static int
cmd_sign_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_sign_entry;
	const char		*args[8], *id = NULL, *timestamp = NULL;
	int			 ch, n = 0;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_sign_options)) !=
	    -1) {
		switch (ch) {
		case 'i':
			if (!sigspec_id_valid(optarg))
				return (cmd_usage_error(entry, "invalid --id"
				    " (1 to 256 printable characters, no"
				    " spaces)"));
			id = optarg;
			break;
		case 't':
			if (!cmd_sign_seconds(optarg))
				return (cmd_usage_error(entry, "invalid"
				    " --timestamp '%s' (unix seconds)",
				    optarg));
			timestamp = optarg;
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	args[n++] = "fish-listener";
	args[n++] = "--sign";
	args[n++] = argv[optind];
	if (id != NULL) {
		args[n++] = "--id";
		args[n++] = id;
	}
	if (timestamp != NULL) {
		args[n++] = "--timestamp";
		args[n++] = timestamp;
	}
	args[n] = NULL;
	execv(client_listener_path(), (char *const *)args);
	fish_warn("sign: cannot run %s", client_listener_path());
	return (EXIT_UNAVAILABLE);
}
