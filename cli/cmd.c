/*
 * The command table and what every command shares: option parsing with
 * -h/--help, usage errors and --help text.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "duration.h"
#include "fish.h"
#include "proto.h"

/* Sorted by name. */
const struct cmd_entry *cmd_table[] = {
	&cmd_close_entry,
	&cmd_field_entry,
	&cmd_log_entry,
	&cmd_ls_entry,
	&cmd_replay_entry,
	&cmd_reply_entry,
	&cmd_send_entry,
	&cmd_show_entry,
	&cmd_sign_entry,
	&cmd_spawn_entry,
	&cmd_start_entry,
	&cmd_status_entry,
	&cmd_stop_entry,
	&cmd_tail_entry,
	&cmd_verify_entry,
	&cmd_wait_entry,
	NULL
};

/* Find a command by its exact name. */
const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry	**entry;

	for (entry = cmd_table; *entry != NULL; entry++) {
		if (strcmp((*entry)->name, name) == 0)
			return (*entry);
	}
	return (NULL);
}

/* Print a command's --help on stdout. */
static void
cmd_help(const struct cmd_entry *entry)
{
	printf("usage: fish %s %s\n\n%s", entry->name, entry->usage,
	    entry->help);
}

/* Print a usage error and the command's usage line; return EXIT_USAGE. */
int
cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fprintf(stderr, "fish %s: ", entry->name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nusage: fish %s %s\n", entry->name, entry->usage);
	va_end(ap);
	return (EXIT_USAGE);
}

/*
 * Return the next option of a command, as getopt_long(3) does with GNU
 * argument permutation, so options may follow operands.  Handle -h/--help
 * (return CMD_HELP) and bad options (print the error, return CMD_ERROR).
 * The caller's option string must not start with ':' or contain 'h'.
 */
int
cmd_getopt(const struct cmd_entry *entry, int argc, char **argv,
    const char *shortopts, const struct option *longopts)
{
	char	optstring[64];
	int	ch;

	(void)snprintf(optstring, sizeof optstring, ":%sh", shortopts);
	opterr = 0;
	ch = getopt_long(argc, argv, optstring, longopts, NULL);
	switch (ch) {
	case 'h':
		cmd_help(entry);
		return (CMD_HELP);
	case ':':
		cmd_usage_error(entry, "option '%s' needs a value",
		    argv[optind - 1]);
		return (CMD_ERROR);
	case '?':
		/* A long option is named by the argument getopt just used. */
		if (optopt == 0 || strncmp(argv[optind - 1], "--", 2) == 0)
			cmd_usage_error(entry, "unknown option '%s'",
			    argv[optind - 1]);
		else
			cmd_usage_error(entry, "unknown option '-%c'", optopt);
		return (CMD_ERROR);
	}
	return (ch);
}

/* Parse the value of a duration option; print a usage error on failure. */
int
cmd_duration(const struct cmd_entry *entry, const char *s, uint64_t *ms)
{
	char	*cause;

	if (duration_parse(s, ms, &cause) == 0)
		return (0);
	cmd_usage_error(entry, "%s", cause);
	free(cause);
	return (-1);
}

/* Tell whether a URL is an http:// or https:// one. */
int
cmd_url_valid(const char *url)
{
	if (strncasecmp(url, "http://", 7) == 0)
		return (url[7] != '\0');
	if (strncasecmp(url, "https://", 8) == 0)
		return (url[8] != '\0');
	return (0);
}
