/*
 * The listener's lifecycle as the client drives it: starting it when a
 * command needs it (client_autostart), fish start with its settings
 * (compared with those of a listener already running), and fish stop.
 * Talking to a running listener is client.c's.
 *
 * Auto-start is the tmux dance: try to connect; if nobody answers, take the
 * session's start lock (flock), try again (another command may have
 * started it meanwhile), and only then start a listener and wait for its
 * readiness line on a pipe.  The listener inherits the start lock and
 * holds it until it is ready, so a command that comes while it recovers a
 * long journal waits on the lock even when the starter has given up.  So
 * ten commands racing make one listener, and nobody sleeps or polls; every
 * wait ends at the caller's deadline (client_open_until) or on a signal
 * that sets client_interrupted.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "client.h"
#include "clock.h"
#include "duration.h"
#include "fish.h"
#include "xmalloc.h"

#ifndef LISTENER_PATH
#define LISTENER_PATH "/usr/local/libexec/fish/fish-listener"
#endif


/* Return the listener executable: $FISH_LISTENER, else the installed one. */
const char *
client_listener_path(void)
{
	const char	*s = getenv("FISH_LISTENER");

	return (s != NULL && *s != '\0' ? s : LISTENER_PATH);
}

/* Do nothing: the timer only interrupts a blocking flock. */
static void
client_alarm(int sig)
{
	(void)sig;
}

/*
 * Take a flock(2) lock (op) on fd, waiting until deadline (-1: for ever).
 * A timer wakes the wait at least every CLIENT_TICK_MS, so a signal that
 * sets client_interrupted ends it even if it came just before flock began,
 * and, for a watch, so that a listener holding the lock that stays
 * stopped is given up on (client_silence).  Return EXIT_OK, EXIT_TIMEOUT,
 * EXIT_INTERRUPTED, EXIT_UNAVAILABLE (said), or -1 with errno.
 */
static int
client_flock(int fd, int op, int64_t deadline, struct client *watch)
{
	struct sigaction	 sa, old;
	struct itimerval	 it;
	int			 left, ret, status;

	if (flock(fd, op | LOCK_NB) == 0)
		return (EXIT_OK);
	if (errno != EWOULDBLOCK)
		return (-1);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = client_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	if (watch != NULL)
		client_heard(watch);
	for (;;) {
		if (client_interrupted) {
			status = EXIT_INTERRUPTED;
			break;
		}
		if ((left = client_left(deadline, 1)) == 0) {
			status = EXIT_TIMEOUT;
			break;
		}
		if (watch != NULL &&
		    (status = client_silence(watch)) != EXIT_OK)
			break;
		memset(&it, 0, sizeof it);
		it.it_value.tv_sec = left / 1000;
		it.it_value.tv_usec = (left % 1000) * 1000;
		setitimer(ITIMER_REAL, &it, NULL);
		ret = flock(fd, op);
		memset(&it, 0, sizeof it);
		setitimer(ITIMER_REAL, &it, NULL);
		if (ret == 0) {
			status = EXIT_OK;
			break;
		}
		if (errno != EINTR) {
			status = -1;
			break;
		}
	}
	ret = errno;
	sigaction(SIGALRM, &old, NULL);
	errno = ret;
	return (status);
}

/*
 * How long, at most, a listener whose pid lock is free may take to be gone
 * from the process table: the lock goes with its files, a moment before
 * the process itself (and a pid reused meanwhile must not hold us long).
 */
#define CLIENT_GONE_MS	1000

/*
 * Wait until the listener has exited: its pid lock is free, and then the
 * process pid (if known, > 0: taken while it held the lock) is gone or a
 * zombie, so that a script that looks right after fish stop finds none;
 * or until deadline.  Return EXIT_OK, EXIT_TIMEOUT or EXIT_INTERRUPTED.
 */
static int
client_wait_exit(const struct session *s, pid_t pid, int64_t deadline)
{
	int64_t	until;
	int	fd, status;
	char	state;

	if (s->dir_fd == -1 || (fd = openat(s->dir_fd, SESSION_PID,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (EXIT_OK);
	status = client_flock(fd, LOCK_SH, deadline, NULL);
	close(fd);
	if (status == -1)
		return (EXIT_OK);
	if (status != EXIT_OK || pid <= 0)
		return (status);
	until = clock_mono_ms() + CLIENT_GONE_MS;
	if (deadline != -1 && deadline < until)
		until = deadline;
	while ((state = client_process_state(pid)) != 0 && state != 'Z' &&
	    clock_mono_ms() < until)
		(void)poll(NULL, 0, 10);
	return (EXIT_OK);
}

/*
 * Open and take c's session's start lock, waiting until c's deadline
 * (deadline -1: for ever) unless the listener that holds it while it
 * starts stays stopped.  Return the descriptor, or -1 with *status:
 * EXIT_TIMEOUT or EXIT_INTERRUPTED (not reported), EXIT_UNAVAILABLE
 * (reported).
 */
static int
client_lock(struct client *c, int64_t deadline, int *status)
{
	const struct session	*s = &c->session;
	int			 fd;

	fd = openat(s->dir_fd, SESSION_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 ||
	    (*status = client_flock(fd, LOCK_EX, deadline, c)) == -1) {
		fish_warn("cannot lock %s", s->lock_path);
		*status = EXIT_UNAVAILABLE;
	}
	if (*status == EXIT_OK)
		return (fd);
	if (fd != -1)
		close(fd);
	return (-1);
}

/*
 * Run the listener detached: double fork so it is no child of ours, and
 * setsid so it leaves our terminal and process group.  Its readiness line
 * comes back on ready_fd, which becomes its fd 3; the start lock lock_fd
 * becomes its fd 4, which it holds until it is ready.
 */
static int
client_spawn(const struct session *s, const struct settings *given,
    int ready_fd, int lock_fd)
{
	const char	*argv[7 + SETTINGS_ARGV_MAX + 1];
	const char	*path = client_listener_path();
	char		*line;
	pid_t		 pid;
	int		 argc = 0, status;

	argv[argc++] = "fish-listener";
	argv[argc++] = "--session";
	argv[argc++] = s->name;
	argv[argc++] = "--ready-fd";
	argv[argc++] = "3";
	argv[argc++] = "--lock-fd";
	argv[argc++] = "4";
	if (given != NULL)
		settings_argv(given, argv, &argc);
	argv[argc] = NULL;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		setsid();
		if (fork() != 0)
			_exit(0);
		/* Out of the way first: either may already be 3 or 4. */
		if ((ready_fd = fcntl(ready_fd, F_DUPFD, 10)) == -1 ||
		    (lock_fd = fcntl(lock_fd, F_DUPFD, 10)) == -1 ||
		    dup2(ready_fd, 3) == -1 || dup2(lock_fd, 4) == -1)
			_exit(127);
		/* A store URL's password is not for /proc/PID/cmdline. */
		if (given != NULL && settings_export(given) == -1)
			_exit(127);
		execv(path, (char *const *)argv);
		xasprintf(&line, "error: cannot run %s: %s\n", path,
		    strerror(errno));
		(void)write_all(3, line, strlen(line));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (0);
}

/*
 * Read the listener's readiness line, waiting until c's deadline unless
 * the listener stays stopped meanwhile (client_silence).  Return EXIT_OK
 * for "ok"; EXIT_TIMEOUT or EXIT_INTERRUPTED (not reported) when the
 * deadline or a signal comes first; EXIT_UNAVAILABLE with *why NULL when
 * it stayed stopped (reported); else set *why and return EXIT_USAGE when
 * our settings were at fault ("usage: "), EXIT_UNAVAILABLE otherwise.
 */
static int
client_read_ready(int fd, struct client *c, char **why)
{
	const struct session	*s = &c->session;
	struct pollfd		 pfd;
	char			 buf[1024];
	size_t			 len = 0;
	ssize_t			 n;
	int			 timeout;

	client_heard(c);
	while (len < sizeof buf - 1) {
		if (client_interrupted)
			return (EXIT_INTERRUPTED);
		if ((timeout = client_left(c->deadline, 1)) == 0)
			return (EXIT_TIMEOUT);
		if (client_silence(c) != EXIT_OK)
			return (EXIT_UNAVAILABLE);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, timeout)) == 0 ||
		    (n == -1 && errno == EINTR))
			continue;
		if (n == -1)
			break;
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0)
		return (EXIT_OK);
	if (strncmp(buf, "usage: ", 7) == 0) {
		*why = xstrdup(buf + 7);
		return (EXIT_USAGE);
	}
	if (strncmp(buf, "error: ", 7) == 0)
		*why = xstrdup(buf + 7);
	else
		xasprintf(why, "it exited during start-up (see %s)",
		    s->log_path);
	return (EXIT_UNAVAILABLE);
}

/*
 * Give a listener that holds its pid lock but does not answer time to
 * finish stopping (one that is starting holds the start lock, which we
 * have).  Return EXIT_OK once it has gone; else the status to return,
 * reported unless it is c's deadline that passed.
 */
static int
client_wait_stopping(struct client *c)
{
	struct session	*s = &c->session;
	int64_t		 until = clock_mono_ms() + CLIENT_STOP_TIMEOUT_MS;
	pid_t		 pid;
	int		 status;

	if ((pid = session_listener_pid(s)) == 0)
		return (EXIT_OK);
	if (c->deadline != -1 && c->deadline < until)
		until = c->deadline;
	status = client_wait_exit(s, pid, until);
	if (status != EXIT_TIMEOUT || until == c->deadline)
		return (status);
	fish_warnx("the listener of session '%s' (pid %ld) is running but not "
	    "answering on %s", s->name, (long)pid, s->socket_path);
	return (EXIT_UNAVAILABLE);
}

/*
 * Start the listener if it is not running, under the session's start lock,
 * by c's deadline.  Return EXIT_OK once it answers; EXIT_TIMEOUT or
 * EXIT_INTERRUPTED (not reported) if the deadline or a signal comes first;
 * else print why and return EXIT_UNAVAILABLE (EXIT_USAGE when the settings
 * given, if not NULL, were at fault).
 */
int
client_autostart(struct client *c, const struct settings *given)
{
	struct session	*s = &c->session;
	char		*cause = NULL;
	int		 lock_fd, pipe_fd[2], status, create;

	/* Restarting a session another command purged must not remake it. */
	create = (c->flags & CLIENT_CREATE) != 0;
	if (session_open(s, create, &cause) == -1) {
		if (!create && errno == ENOENT) {
			free(cause);
			return (client_no_session(s->name));
		}
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	if ((lock_fd = client_lock(c, c->deadline, &status)) == -1)
		return (status);
	/* Another command may have started it while we waited. */
	if ((status = client_connect(c)) != CLIENT_ABSENT ||
	    (status = client_wait_stopping(c)) != EXIT_OK)
		goto done;
	if (pipe2(pipe_fd, O_CLOEXEC) == -1) {
		fish_warn("pipe");
		status = EXIT_UNAVAILABLE;
		goto done;
	}
	if (client_spawn(s, given, pipe_fd[1], lock_fd) == -1) {
		fish_warn("cannot start the listener: fork");
		close(pipe_fd[0]);
		close(pipe_fd[1]);
		status = EXIT_UNAVAILABLE;
		goto done;
	}
	close(pipe_fd[1]);
	cause = NULL;
	status = client_read_ready(pipe_fd[0], c, &cause);
	close(pipe_fd[0]);
	if (cause != NULL) {
		fish_warnx("cannot start the listener of session '%s': %s",
		    s->name, cause);
		free(cause);
	} else if (status == EXIT_OK &&
	    (status = client_connect(c)) == CLIENT_ABSENT) {
		fish_warn("cannot reach the listener at %s", s->socket_path);
		status = EXIT_UNAVAILABLE;
	}
done:
	close(lock_fd);
	return (status);
}

/*
 * Check that a running listener, as its status reply says, has the
 * settings given; a setting not given is the same (settings_match).
 */
static int
client_check_settings(struct client *c, const struct settings *given)
{
	struct proto_frame	 f;
	struct json_object	*req;
	char			*why;
	int			 status;

	if (!settings_any(given))
		return (EXIT_OK);
	req = proto_request("status");
	status = client_call(c, req, NULL, 0, &f, -1);
	json_object_put(req);
	if (status != EXIT_OK)
		return (status);
	/* Name the setting that differs: the one the user must look at. */
	if ((why = settings_mismatch(given, f.json)) != NULL) {
		fish_warnx("session '%s' is already running with other settings "
		    "(%s); run '" FISH_NAME " stop' first to change them",
		    c->session.name, why);
		free(why);
		status = EXIT_FAILED;
	}
	proto_frame_release(&f);
	return (status);
}

/*
 * Run the listener in this process (fish start --foreground), holding the
 * start lock it inherits until it is ready, as a detached one does.
 */
static int
client_foreground(struct client *c, const struct settings *given)
{
	const char	*argv[6 + SETTINGS_ARGV_MAX + 1];
	char		*cause, fd_text[16];
	int		 argc = 0, lock_fd, status;

	if (session_prepare(&c->session, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	if ((lock_fd = client_lock(c, -1, &status)) == -1)
		return (status);
	if ((status = client_connect(c)) != CLIENT_ABSENT) {
		if (status == EXIT_OK) {
			fish_warnx("session '%s' is already running",
			    c->session.name);
			status = EXIT_FAILED;
		}
		close(lock_fd);
		return (status);
	}
	(void)snprintf(fd_text, sizeof fd_text, "%d", lock_fd);
	fcntl(lock_fd, F_SETFD, 0);
	argv[argc++] = "fish-listener";
	argv[argc++] = "--foreground";
	argv[argc++] = "--session";
	argv[argc++] = c->session.name;
	argv[argc++] = "--lock-fd";
	argv[argc++] = fd_text;
	settings_argv(given, argv, &argc);
	argv[argc] = NULL;
	if (settings_export(given) == -1) {
		fish_warn("cannot pass the settings to the listener");
		close(lock_fd);
		return (EXIT_UNAVAILABLE);
	}
	execv(client_listener_path(), (char *const *)argv);
	fish_warn("cannot run %s", client_listener_path());
	close(lock_fd);
	return (EXIT_UNAVAILABLE);
}

/*
 * fish start: start the listener with the settings given (idempotent), or
 * run it in the foreground.
 */
int
client_start(const char *name, const struct settings *given, int foreground)
{
	struct client	c;
	int		status;

	if ((status = client_init(&c, name, CLIENT_CREATE)) != EXIT_OK)
		return (status);
	if ((status = client_connect(&c)) == EXIT_OK) {
		if (foreground) {
			fish_warnx("session '%s' is already running", name);
			status = EXIT_FAILED;
		} else
			status = client_check_settings(&c, given);
	} else if (status == CLIENT_ABSENT && foreground)
		status = client_foreground(&c, given);
	else if (status == CLIENT_ABSENT)
		status = client_autostart(&c, given);
	client_close(&c);
	return (status);
}

/* fish stop: stop the listener, waiting until it has exited; maybe purge. */
int
client_stop(const char *name, int purge, uint64_t timeout_ms)
{
	struct client		 c;
	struct proto_frame	 f;
	struct json_object	*req;
	const char		*held;
	char			*cause, *shown, *why;
	int64_t			 deadline;
	pid_t			 pid, listener;
	int			 status;

	if ((status = client_init(&c, name, CLIENT_RESILIENT | CLIENT_BOUNDED))
	    != EXIT_OK)
		return (status);
	/*
	 * One deadline for the whole stop: a listener that accepts the
	 * connection but never answers (stopped by SIGSTOP, or wedged) must
	 * not hold fish stop for ever.  Within it, a stopped one is waited
	 * for too (CLIENT_BOUNDED): it has been asked, and says so.
	 */
	deadline = clock_mono_ms() + (int64_t)timeout_ms;
	c.session.busy_until = deadline;
	/* Its pid, while it holds its lock: gone, it is waited for by it. */
	listener = session_listener_pid(&c.session);
	errno = 0;
	if ((status = client_connect(&c)) == EXIT_OK) {
		req = proto_request("stop");
		if (client_send(&c, req, NULL, 0) == EXIT_OK &&
		    client_receive(&c, &f, deadline) == EXIT_OK)
			proto_frame_release(&f);
		json_object_put(req);
	} else if (status != CLIENT_ABSENT && errno != EAGAIN) {
		client_close(&c);
		return (status);
	} else if ((pid = session_listener_pid(&c.session)) != 0 && pid != -1) {
		/* Alive but not answering (or its queue full): by signal. */
		kill(pid, SIGTERM);
	}
	status = client_wait_exit(&c.session, listener, deadline);
	if (status == EXIT_TIMEOUT) {
		shown = duration_format(timeout_ms);
		/* Asked (or signalled), it stops once it runs: say how. */
		pid = session_listener_pid(&c.session);
		if ((why = client_why_silent(pid, &held)) != NULL)
			fish_warnx("the listener of session '%s' did not stop "
			    "within %s: it is %s (see %s)", name, shown, why,
			    c.session.log_path);
		else
			fish_warnx("the listener of session '%s' did not stop "
			    "within %s (see %s)", name, shown,
			    c.session.log_path);
		free(why);
		free(shown);
		status = EXIT_FAILED;
	}
	if (status == EXIT_OK && purge && c.session.dir_fd != -1 &&
	    session_purge(&c.session, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		status = EXIT_FAILED;
	}
	client_close(&c);
	return (status);
}
