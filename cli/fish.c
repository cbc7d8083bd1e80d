/*
 * fish: main.  Parses the global options, resolves the session and runs
 * one command from the table in cmd.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"
#include "fish.h"
#include "proto.h"
#include "session.h"

const char	*fish_session;

static const struct option fish_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "session", required_argument, NULL, 'S' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Print a message as "fish: message" on stderr. */
void
fish_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("fish: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* Print a message and the text of errno as "fish: message: error". */
void
fish_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	fputs("fish: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(saved));
	va_end(ap);
	errno = saved;
}

/*
 * Make sure fds 0-2 are open, so that no socket we open becomes stdout.  A
 * closed one is taken read-only, so writing to it still fails (EBADF): wait
 * must not acknowledge a message nobody could read.
 */
static void
fish_sanitize_stdio(void)
{
	int	fd;

	while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/* Print the global usage line. */
static void
fish_usage(FILE *f)
{
	fputs("usage: fish [-hV] [-S NAME] COMMAND [ARG...]\n", f);
}

/* Print fish --help: the global options and every command. */
static void
fish_help(void)
{
	const struct cmd_entry	**entry;

	fish_usage(stdout);
	fputs("\nTalk to webhook and callback APIs from shell scripts.\n\n"
	    "Options:\n"
	    "  -S, --session NAME  use session NAME (default $FISH_SESSION,"
	    " else default)\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n"
	    "\nCommands:\n", stdout);
	for (entry = cmd_table; *entry != NULL; entry++)
		printf("  %-8s  %s\n", (*entry)->name, (*entry)->summary);
	fputs("\nRun 'fish COMMAND --help' for a command's options.\n", stdout);
}

/* Parse the global options, then run the command. */
int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry;
	const char		*name = NULL;
	int			 ch;

	fish_sanitize_stdio();
	signal(SIGPIPE, SIG_IGN);

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hS:V", fish_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			fish_help();
			exit(EXIT_OK);
		case 'S':
			name = optarg;
			break;
		case 'V':
			printf("fish %s\n", PACKAGE_VERSION);
			exit(EXIT_OK);
		case ':':
			fish_warnx("option '%s' needs a value", argv[optind - 1]);
			fish_usage(stderr);
			exit(EXIT_USAGE);
		default:
			if (optopt == 0 ||
			    strncmp(argv[optind - 1], "--", 2) == 0)
				fish_warnx("unknown option '%s'",
				    argv[optind - 1]);
			else
				fish_warnx("unknown option '-%c'", optopt);
			fish_usage(stderr);
			exit(EXIT_USAGE);
		}
	}
	if (optind == argc) {
		fish_usage(stderr);
		exit(EXIT_USAGE);
	}

	if (name == NULL)
		name = session_default_name();
	if (!session_name_valid(name)) {
		fish_warnx("invalid session name '%s' (use letters, digits,"
		    " '.', '_' and '-')", name);
		exit(EXIT_USAGE);
	}
	fish_session = name;

	if ((entry = cmd_find(argv[optind])) == NULL) {
		fish_warnx("unknown command '%s' (see fish --help)",
		    argv[optind]);
		exit(EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* reinitialize getopt for the command */
	exit(entry->exec(argc, argv));
}
