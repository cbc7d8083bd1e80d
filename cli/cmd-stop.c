/*
 * fish stop: stop the session's listener, and with --purge delete its
 * state; with --all, do so for every session of $FISH_HOME.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "client.h"
#include "fish.h"
#include "output.h"
#include "proto.h"
#include "session.h"
#include "timeline.h"

static int	cmd_stop_exec(int, char **);

const struct cmd_entry cmd_stop_entry = {
	.name = "stop",
	.usage = "[--all] [--purge] [--timeout DURATION]",
	.args = { 0, 0 },
	.summary = "stop the session's listener",
	.help =
	    "Stop the session's listener.  Queued messages stay in the journal\n"
	    "for the next start unless --purge is given.  With --all, stop the\n"
	    "listener of every session (see fish sessions) and print one line\n"
	    "for each stopped or purged; exit 1 if any could not be, after\n"
	    "doing all the others.\n"
	    "\n"
	    "  --all         every session of $FISH_HOME, not just this one\n"
	    "  --purge       also delete the session's state: hooks, journal\n"
	    "  --timeout DURATION\n"
	    "                how long to wait for the listener to finish its\n"
	    "                in-flight work and exit (default 15s); one that\n"
	    "                has not by then (stopped by a debugger, wedged)\n"
	    "                is reported and fish stop exits 1\n"
	    "  -h, --help    show this help\n",
	.exec = cmd_stop_exec
};

static const struct option cmd_stop_options[] = {
	{ "all", no_argument, NULL, 'a' },
	{ "purge", no_argument, NULL, 'p' },
	{ "timeout", required_argument, NULL, 't' },
	CMD_OPTIONS_END
};

/*
 * Return the pid of session name's listener (0: none runs, -1: one is
 * starting), -3 when the session is gone (purged since it was listed), or
 * -2 after saying why the session cannot be used.
 */
static pid_t
cmd_stop_pid(const char *name)
{
	struct session	 s;
	char		*cause;
	pid_t		 pid = -2;

	if (session_init(&s, name, &cause) == -1 ||
	    session_open(&s, 0, &cause) == -1) {
		if (errno == ENOENT)
			pid = -3;
		else
			fish_warnx("stop: session '%s': %s", name, cause);
		free(cause);
	} else
		pid = session_listener_pid(&s);
	session_release(&s);
	return (pid);
}

/*
 * Stop every session's listener, and purge every session with purge.  A
 * session started meanwhile is not stopped: stop --all stops what it
 * found.  Return EXIT_OK, or EXIT_FAILED when any could not be done.
 */
static int
cmd_stop_all(int purge, uint64_t timeout_ms)
{
	char	**names, *cause;
	size_t	  n, i;
	pid_t	  pid;
	int	  status = EXIT_OK, ret, unwritten = 0;

	if (session_list(&names, &n, &cause) == -1) {
		fish_warnx("stop: %s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	for (i = 0; i < n; i++) {
		if ((pid = cmd_stop_pid(names[i])) == -2) {
			status = EXIT_FAILED;
			continue;
		}
		if (pid == -3 || (pid == 0 && !purge))
			continue;
		if (client_stop(names[i], purge, timeout_ms) != EXIT_OK) {
			status = EXIT_FAILED;
			continue;
		}
		if (pid > 0)
			ret = output_printf("stopped %s (pid %ld)%s\n",
			    names[i], (long)pid, purge ? ", purged" : "");
		else if (pid == -1)
			ret = output_printf("stopped %s%s\n", names[i],
			    purge ? ", purged" : "");
		else
			ret = output_printf("purged %s\n", names[i]);
		/*
		 * The rest are stopped all the same: a reader that went away
		 * (stop --all | head -1) must not leave half of them running.
		 */
		if (ret == -1 && unwritten == 0)
			unwritten = errno;
	}
	if (unwritten != 0) {
		errno = unwritten;
		status = timeline_write_error("stop");
	}
	session_list_free(names, n);
	return (status);
}

/* Stop the listener. */
static int
cmd_stop_exec(int argc, char **argv)
{
	const struct cmd_entry	*entry = &cmd_stop_entry;
	uint64_t		 timeout_ms = CLIENT_STOP_TIMEOUT_MS;
	int			 ch, all = 0, purge = 0;

	while ((ch = cmd_getopt(entry, argc, argv, "", cmd_stop_options)) !=
	    -1) {
		switch (ch) {
		case 'a':
			all = 1;
			break;
		case 'p':
			purge = 1;
			break;
		case 't':
			if (cmd_duration(entry, optarg, &timeout_ms) == -1)
				return (EXIT_USAGE);
			if (timeout_ms == 0) {
				cmd_usage_error(entry, "--timeout must be "
				    "more than 0");
				return (EXIT_USAGE);
			}
			break;
		case CMD_HELP:
			return (EXIT_OK);
		default:
			return (EXIT_USAGE);
		}
	}
	if (all)
		return (cmd_stop_all(purge, timeout_ms));
	return (client_stop(fish_session, purge, timeout_ms));
}
