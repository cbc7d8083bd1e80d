/*
 * fish: main.  Parses the global options, resolves the session and runs
 * one command from the table in cmd.c; refuses to be run as a shell, since
 * the fish shell shares its name.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "compat.h"
#include "escape.h"
#include "fish.h"
#include "mask.h"
#include "proto.h"
#include "session.h"
#include "xmalloc.h"

const char	*fish_session;

static const struct option fish_options[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "session", required_argument, NULL, 'S' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Add text to b as one error line, then a newline: the password of any
 * URL in it masked (error lines end up in CI logs), and every control
 * character escaped (lib/escape.c), newlines included.  Error lines quote
 * what users, files and callbacks gave us; a name holding ESC must not
 * drive the terminal, nor one holding a newline make one error two lines.
 * Always, not only on a terminal: a log read later is shown on one.
 */
void
fish_add_line(struct buffer *b, const char *text)
{
	char	*masked;

	masked = mask_credentials(text);
	escape_line(b, masked, strlen(masked));
	buffer_add_str(b, "\n");
	free(masked);
}

/*
 * Print "fish: " fmt, then ": error" when error is not 0, as one line
 * (fish_add_line), in one write(2), so that the lines of commands run at
 * once on one terminal or log never interleave mid-line (unbuffered stdio
 * would write the prefix, the message and the newline separately: "fish:
 * fish: ...").
 */
static void __attribute__((__format__(__printf__, 2, 0)))
fish_vwarn(int error, const char *fmt, va_list ap)
{
	struct buffer	 b;
	char		*message, *line;

	xvasprintf(&message, fmt, ap);
	if (error != 0)
		xasprintf(&line, "%s: %s: %s", FISH_NAME, message,
		    strerror(error));
	else
		xasprintf(&line, "%s: %s", FISH_NAME, message);
	buffer_init(&b);
	fish_add_line(&b, line);
	(void)write_all(STDERR_FILENO, buffer_peek(&b), buffer_unread(&b));
	buffer_release(&b);
	free(line);
	free(message);
}

/* Print a message as "fish: message" on stderr. */
void
fish_warnx(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	fish_vwarn(0, fmt, ap);
	va_end(ap);
	errno = saved;
}

/* Print a message and the text of errno as "fish: message: error". */
void
fish_warn(const char *fmt, ...)
{
	va_list	ap;
	int	saved = errno;

	va_start(ap, fmt);
	fish_vwarn(saved, fmt, ap);
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
	fprintf(f, "usage: %s [-hV] [-S NAME] COMMAND [ARG...]\n", FISH_NAME);
}

/* Print one line of the command list of fish --help. */
static void
fish_help_command(const struct cmd_entry *entry)
{
	printf("  %-8s  %s\n", entry->name, entry->summary);
}

/*
 * Print fish --help: the everyday commands first, in the order a script
 * uses them, then the others, then the global options.
 */
void
fish_help(void)
{
	static const struct cmd_entry *const everyday[] = {
		&cmd_spawn_entry, &cmd_send_entry, &cmd_wait_entry
	};
	const struct cmd_entry	**entry;
	size_t			  i;

	fish_usage(stdout);
	fputs("\nTalk to webhook and callback APIs from shell scripts.\n"
	    "\nEveryday commands:\n", stdout);
	for (i = 0; i < nitems(everyday); i++)
		fish_help_command(everyday[i]);
	fputs("\nOther commands:\n", stdout);
	for (entry = cmd_table; *entry != NULL; entry++) {
		for (i = 0; i < nitems(everyday); i++) {
			if (*entry == everyday[i])
				break;
		}
		if (i == nitems(everyday))
			fish_help_command(*entry);
	}
	fputs("\nOptions:\n"
	    "  -S, --session NAME  use session NAME (default $FISH_SESSION,"
	    " else default)\n"
	    "  -h, --help          show this help\n"
	    "  -V, --version       show the version\n", stdout);
	printf("\nRun '%s help COMMAND' for a command's options.\n",
	    FISH_NAME);
}

/* Print the version line. */
void
fish_version(void)
{
	printf("%s %s\n", FISH_NAME, PACKAGE_VERSION);
}

/* Tell whether two paths name the same file. */
static int
fish_same_file(const char *a, const char *b)
{
	struct stat	sa, sb;

	return (stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

/*
 * Tell whether path is an executable called fish other than this program:
 * not /proc/self/exe, nor argv0 when that is a path (under a wrapper such
 * as valgrind, /proc/self/exe is the wrapper).
 */
static int
fish_is_other(const char *path, const char *argv0)
{
	struct stat	sb;
	const char	*slash = strrchr(path, '/');

	return (slash != NULL && strcmp(slash + 1, "fish") == 0 &&
	    stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    access(path, X_OK) == 0 &&
	    !fish_same_file(path, "/proc/self/exe") &&
	    (strchr(argv0, '/') == NULL || !fish_same_file(path, argv0)));
}

/*
 * Return where the fish shell is: the first "fish" on PATH that is not
 * this program (run as plain "fish", this program is the first), else one
 * listed in /etc/shells; NULL if neither.
 */
static char *
fish_find_shell(const char *argv0)
{
	const char	*path = getenv("PATH");
	char		*line = NULL, *found = NULL, *dir;
	size_t		 size = 0, len;
	int		 self = strcmp(argv0, "fish") == 0;
	FILE		*f;

	while (path != NULL && *path != '\0' && found == NULL) {
		len = strcspn(path, ":");
		dir = xstrndup(path, len);
		xasprintf(&found, "%s/fish", *dir == '\0' ? "." : dir);
		free(dir);
		if (!fish_is_other(found, argv0) || self) {
			/* Run as "fish", the first one found was this one. */
			if (access(found, X_OK) == 0)
				self = 0;
			free(found);
			found = NULL;
		}
		path += len + (path[len] == ':');
	}
	if (found != NULL || (f = fopen("/etc/shells", "re")) == NULL)
		return (found);
	while (found == NULL && getline(&line, &size, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if (*line == '/' && fish_is_other(line, argv0))
			found = xstrdup(line);
	}
	free(line);
	fclose(f);
	return (found);
}

/*
 * Refuse to run as a shell: a login shell's argv[0] starts with "-", and a
 * terminal or script runs "fish -l", "fish -i" or "fish -c COMMAND".  Say
 * what this is and where the fish shell is.
 */
static __dead void
fish_not_a_shell(const char *argv0)
{
	char	*shell;

	if (*argv0 == '-')
		argv0++;
	shell = fish_find_shell(argv0);

	if (shell != NULL)
		fish_warnx("this %s is the webhook tool, not a shell; the fish "
		    "shell is %s", FISH_NAME, shell);
	else
		fish_warnx("this %s is the webhook tool, not a shell, and no "
		    "fish shell is installed", FISH_NAME);
	free(shell);
	exit(EXIT_USAGE);
}

/* Tell whether an unknown option is one of the fish shell's. */
static int
fish_shell_option(const char *arg, int option)
{
	static const char *const shell_options[] = {
		"--command", "--login", "--interactive", "--init-command"
	};
	size_t	i, len;

	if (strncmp(arg, "--", 2) != 0)
		return (option == 'c' || option == 'l' || option == 'i');
	len = strcspn(arg, "=");
	for (i = 0; i < nitems(shell_options); i++) {
		if (strlen(shell_options[i]) == len &&
		    strncmp(arg, shell_options[i], len) == 0)
			return (1);
	}
	return (0);
}

/* Print a usage error about an unknown global option and exit. */
static __dead void
fish_unknown_option(const char *arg)
{
	static const char *const names[] = { "help", "session", "version" };
	char	*word, *hint = NULL;

	if (strncmp(arg, "--", 2) == 0) {
		word = xstrndup(arg + 2, strcspn(arg + 2, "="));
		hint = cmd_suggest(word, names, nitems(names), "--");
		free(word);
	}
	if (hint != NULL)
		fish_warnx("unknown option '%s' (%s)", arg, hint);
	else
		fish_warnx("unknown option '%s'", arg);
	free(hint);
	fish_usage(stderr);
	exit(EXIT_USAGE);
}

/*
 * Exit with status, unless what was printed through stdio (help, the
 * version) could not be written: then say so and exit 1, as no data
 * may be lost without a word.  A reader that went away (fish --help |
 * head -1) is no news.  Everything else fish prints goes through
 * write_all and is checked where it is written.
 */
static __dead void
fish_exit(int status)
{
	int	failed = ferror(stdout);

	errno = 0;
	if (fflush(stdout) != 0 || failed) {
		if (errno == 0)
			fish_warnx("stdout: write error");
		else if (errno != EPIPE)
			fish_warn("stdout");
		if (status == EXIT_OK)
			status = EXIT_FAILED;
	}
	exit(status);
}

/* Parse the global options, then run the command. */
int
main(int argc, char **argv)
{
	const struct cmd_entry	*entry;
	const char		*name = NULL;
	char			 option[3];
	int			 ch;

	fish_sanitize_stdio();
	signal(SIGPIPE, SIG_IGN);

	if (argc > 0 && argv[0][0] == '-')
		fish_not_a_shell(argv[0]);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hS:V", fish_options,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			fish_help();
			fish_exit(EXIT_OK);
		case 'S':
			name = optarg;
			break;
		case 'V':
			fish_version();
			fish_exit(EXIT_OK);
		case ':':
			fish_warnx("option '%s' needs a value", argv[optind - 1]);
			fish_usage(stderr);
			exit(EXIT_USAGE);
		default:
			if (fish_shell_option(argv[optind - 1], optopt))
				fish_not_a_shell(argv[0]);
			if (optopt == 0 ||
			    strncmp(argv[optind - 1], "--", 2) == 0)
				fish_unknown_option(argv[optind - 1]);
			(void)snprintf(option, sizeof option, "-%c", optopt);
			fish_unknown_option(option);
		}
	}
	if (optind == argc) {
		fish_usage(stderr);
		exit(EXIT_USAGE);
	}

	if (name == NULL)
		name = session_default_name();
	if (!session_name_valid(name)) {
		fish_warnx("invalid session name '%s' (use " SESSION_NAME_RULE
		    ")", name);
		exit(EXIT_USAGE);
	}
	fish_session = name;

	if ((entry = cmd_find(argv[optind])) == NULL)
		exit(cmd_unknown(argv[optind]));
	argc -= optind;
	argv += optind;
	optind = 0;	/* reinitialize getopt for the command */
	fish_exit(entry->exec(argc, argv));
}
