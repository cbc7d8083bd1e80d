/*
 * The command table and what every command shares: option parsing with
 * -h/--help, the count of operands each command takes (its args), usage
 * errors and --help text, and "did you mean" for a mistyped command or
 * option.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buffer.h"
#include "compat.h"
#include "duration.h"
#include "fish.h"
#include "proto.h"
#include "xmalloc.h"

/* Words longer than this get no suggestion: nobody mistyped them. */
#define CMD_SUGGEST_MAX		64

/* How many suggestions a message lists at most. */
#define CMD_SUGGEST_COUNT	3

/* Sorted by name. */
const struct cmd_entry *cmd_table[] = {
	&cmd_close_entry,
	&cmd_export_entry,
	&cmd_field_entry,
	&cmd_help_entry,
	&cmd_log_entry,
	&cmd_ls_entry,
	&cmd_replay_entry,
	&cmd_reply_entry,
	&cmd_send_entry,
	&cmd_sessions_entry,
	&cmd_show_entry,
	&cmd_sign_entry,
	&cmd_spawn_entry,
	&cmd_start_entry,
	&cmd_status_entry,
	&cmd_stop_entry,
	&cmd_tail_entry,
	&cmd_verify_entry,
	&cmd_version_entry,
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
void
cmd_help(const struct cmd_entry *entry)
{
	printf("usage: %s %s%s%s\n\n%s", FISH_NAME, entry->name,
	    *entry->usage == '\0' ? "" : " ", entry->usage, entry->help);
}

/* Print a usage error and the command's usage line; return EXIT_USAGE. */
int
cmd_usage_error(const struct cmd_entry *entry, const char *fmt, ...)
{
	struct buffer	 b;
	va_list		 ap;
	char		*message, *line;

	/* One write(2), as fish_warnx: parallel commands never interleave. */
	va_start(ap, fmt);
	xvasprintf(&message, fmt, ap);
	va_end(ap);
	xasprintf(&line, "%s %s: %s", FISH_NAME, entry->name, message);
	buffer_init(&b);
	fish_add_line(&b, line);
	buffer_printf(&b, "usage: %s %s%s%s\n", FISH_NAME, entry->name,
	    *entry->usage == '\0' ? "" : " ", entry->usage);
	(void)write_all(STDERR_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	free(line);
	free(message);
	return (EXIT_USAGE);
}

/*
 * Say why a command cannot go on (cause, freed here): as a usage error
 * when status is EXIT_USAGE, else on one line.  Return status.
 */
int
cmd_fail(const struct cmd_entry *entry, int status, char *cause)
{
	if (status == EXIT_USAGE)
		cmd_usage_error(entry, "%s", cause);
	else
		fish_warnx("%s: %s", entry->name, cause);
	free(cause);
	return (status);
}

/*
 * Copy to name the n-th operand (from 0) that entry's usage line requires:
 * a word outside brackets and before the first option or redirection, its
 * "..." cut.  Return 0, or -1 when the usage line names no such operand.
 */
static int
cmd_operand(const struct cmd_entry *entry, int n, char *name, size_t size)
{
	const char	*s = entry->usage, *end;
	size_t		 len;
	int		 depth = 0;

	for (;;) {
		s += strspn(s, " ");
		if (*s == '\0')
			return (-1);
		len = strcspn(s, " ");
		if (depth == 0 && *s != '[') {
			if (*s == '-' || *s == '<')
				return (-1);
			if (n-- == 0) {
				if (len > 3 &&
				    strncmp(s + len - 3, "...", 3) == 0)
					len -= 3;
				(void)snprintf(name, size, "%.*s", (int)len, s);
				return (0);
			}
		}
		for (end = s + len; s < end; s++) {
			if (*s == '[')
				depth++;
			else if (*s == ']')
				depth--;
		}
	}
}

/*
 * Print a usage error naming the n-th operand (from 0) that the usage line
 * requires as missing; return EXIT_USAGE.
 */
int
cmd_missing(const struct cmd_entry *entry, int n)
{
	char	name[64];

	if (cmd_operand(entry, n, name, sizeof name) == -1)
		return (cmd_usage_error(entry, "missing operand"));
	return (cmd_usage_error(entry, "missing %s", name));
}

/*
 * Check the number of operands left once getopt is done against the
 * command's args; print the usage error and return -1 when it is wrong.
 */
static int
cmd_operands(const struct cmd_entry *entry, int argc, char **argv)
{
	int	n = argc - optind;

	if (n < entry->args.lower) {
		cmd_missing(entry, n);
		return (-1);
	}
	if (entry->args.upper != -1 && n > entry->args.upper) {
		cmd_usage_error(entry, "unexpected argument '%s'",
		    argv[optind + entry->args.upper]);
		return (-1);
	}
	return (0);
}

/*
 * Return the edit distance between a and b: how many characters to insert,
 * delete or replace, or pairs of neighbours to swap, to make one the other.
 */
static size_t
cmd_distance(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j, best, cost;
	size_t	*before, *previous, *row, *spare;

	/* Three rows of the table: a swap looks two rows back. */
	before = xcalloc(lb + 1, sizeof *before);
	previous = xcalloc(lb + 1, sizeof *previous);
	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		previous[j] = j;
	for (i = 1; i <= la; i++) {
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cost = a[i - 1] == b[j - 1] ? 0 : 1;
			best = previous[j - 1] + cost;
			if (previous[j] + 1 < best)
				best = previous[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && before[j - 2] + 1 < best)
				best = before[j - 2] + 1;
			row[j] = best;
		}
		spare = before;
		before = previous;
		previous = row;
		row = spare;
	}
	best = previous[lb];
	free(before);
	free(previous);
	free(row);
	return (best);
}

/*
 * Return "did you mean 'X'?" naming the candidates closest to word (with
 * prefix before each, as "--"), or NULL when none is close: at most two
 * edits away, and fewer edits than word has characters.  Caller frees.
 */
char *
cmd_suggest(const char *word, const char *const *candidates, size_t n,
    const char *prefix)
{
	struct buffer	 b;
	size_t		*distance, best = SIZE_MAX, i, found = 0, listed = 0;

	if (strlen(word) > CMD_SUGGEST_MAX || n == 0)
		return (NULL);
	distance = xcalloc(n, sizeof *distance);
	for (i = 0; i < n; i++) {
		distance[i] = cmd_distance(word, candidates[i]);
		if (distance[i] < best)
			best = distance[i];
	}
	if (best > 2 || best >= strlen(word)) {
		free(distance);
		return (NULL);
	}
	for (i = 0; i < n; i++)
		found += distance[i] == best;
	if (found > CMD_SUGGEST_COUNT)
		found = CMD_SUGGEST_COUNT;
	buffer_init(&b);
	buffer_add_str(&b, "did you mean ");
	for (i = 0; i < n && listed < found; i++) {
		if (distance[i] != best)
			continue;
		if (listed > 0)
			buffer_add_str(&b, listed + 1 == found ? " or " : ", ");
		buffer_printf(&b, "'%s%s'", prefix, candidates[i]);
		listed++;
	}
	buffer_add_str(&b, "?");
	free(distance);
	return (buffer_detach(&b, NULL));
}

/* Say that there is no command name, suggesting one; return EXIT_USAGE. */
int
cmd_unknown(const char *name)
{
	const char	*names[nitems(cmd_table)];
	char		*hint;
	size_t		 n;

	for (n = 0; cmd_table[n] != NULL; n++)
		names[n] = cmd_table[n]->name;
	if ((hint = cmd_suggest(name, names, n, "")) != NULL) {
		fish_warnx("unknown command '%s' (%s)", name, hint);
		free(hint);
	} else
		fish_warnx("unknown command '%s' (see %s --help)", name,
		    FISH_NAME);
	return (EXIT_USAGE);
}

/*
 * Print a usage error for a long option getopt_long(3) refused: one that
 * takes no value given one ("--json=1"), an abbreviation of several
 * ("--f": --field or --follow), or an unknown one, suggesting the
 * nearest.
 */
static void
cmd_unknown_option(const struct cmd_entry *entry, const char *arg,
    const struct option *longopts)
{
	struct buffer	  b;
	const char	**names;
	char		 *word, *hint;
	size_t		  n, i, len, prefixed = 0;
	int		  exact = -1, last = -1, chosen;

	for (n = 0; longopts[n].name != NULL; n++)
		;
	names = xcalloc(n, sizeof *names);
	word = xstrndup(arg + 2, strcspn(arg + 2, "="));
	len = strlen(word);
	for (i = 0; i < n; i++) {
		names[i] = longopts[i].name;
		if (strcmp(word, names[i]) == 0)
			exact = (int)i;
		else if (len > 0 && strncmp(word, names[i], len) == 0) {
			prefixed++;
			last = (int)i;
		}
	}
	chosen = exact != -1 ? exact : prefixed == 1 ? last : -1;
	if (chosen != -1 && longopts[chosen].has_arg == no_argument &&
	    strchr(arg, '=') != NULL)
		cmd_usage_error(entry, "option '--%s' takes no value",
		    names[chosen]);
	else if (exact == -1 && prefixed > 1) {
		buffer_init(&b);
		for (i = 0; i < n; i++) {
			if (strncmp(word, names[i], len) != 0)
				continue;
			buffer_printf(&b, "%s'--%s'", last == (int)i ? " or " :
			    buffer_unread(&b) > 0 ? ", " : "", names[i]);
		}
		cmd_usage_error(entry, "option '--%s' is ambiguous (%.*s?)", word,
		    (int)buffer_unread(&b), (const char *)buffer_peek(&b));
		buffer_release(&b);
	} else {
		hint = cmd_suggest(word, names, n, "--");
		if (hint != NULL)
			cmd_usage_error(entry, "unknown option '%s' (%s)", arg,
			    hint);
		else
			cmd_usage_error(entry, "unknown option '%s'", arg);
		free(hint);
	}
	free(word);
	free(names);
}

/*
 * Return the next option of a command, as getopt_long(3) does with GNU
 * argument permutation, so options may follow operands.  Handle -h/--help
 * (return CMD_HELP) and bad options (print the error, return CMD_ERROR).
 * Once the options are done, check the number of operands (argv[optind]
 * on) against the command's args: -1 when it is right, else the error is
 * printed and CMD_ERROR returned.  The caller's option string must not
 * start with ':' or contain 'h'.
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
			cmd_unknown_option(entry, argv[optind - 1], longopts);
		else
			cmd_usage_error(entry, "unknown option '-%c'", optopt);
		return (CMD_ERROR);
	case -1:
		if (cmd_operands(entry, argc, argv) == -1)
			return (CMD_ERROR);
		break;
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

/*
 * Check that the value s of duration option, parsed into ms, is whole
 * seconds (--tolerance: the timestamps it bounds are), rather than round a
 * fraction down unsaid; print a usage error if not.  Return 0 or -1.
 */
int
cmd_whole_seconds(const struct cmd_entry *entry, const char *option,
    const char *s, uint64_t ms)
{
	if (ms % 1000 == 0)
		return (0);
	cmd_usage_error(entry, "invalid %s '%s' (whole seconds, as timestamps "
	    "are: use e.g. 30, 90s, 5m)", option, s);
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
