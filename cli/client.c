/*
 * Reaching the session's listener, starting it on demand.
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
 *
 * Nothing is sent before session_connect has checked the session directory
 * and that the listener runs as our user (see session.h).
 *
 * A listener may die while it performs a request.  The client never
 * repeats a request on its own unless repeating it is harmless, so
 * client_call sends a request once more to a restarted listener only
 * when it is one of these kinds (client_repeatable):
 *	status ls log show resolve	read only
 *	close			closing a closed hook does nothing
 *	spawn			a named hook is found again by its name;
 *				an unnamed one whose URL was never
 *				printed can receive nothing
 * Every other kind is done at most once: send and replay (an HTTP request
 * to someone else), reply (the answer to a held request, whose connection
 * dies with the listener), stop.  When the listener is lost after such a
 * request was sent and before its reply came, client_call returns
 * CLIENT_IN_DOUBT: it may have been done, and the caller says so.  wait and
 * tail keep their own loops: wait takes nothing until the client confirms
 * it (so asking again is harmless) and tail resumes after the last entry
 * it printed.
 */
#include "compat.h"
#include "config.h"

#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "duration.h"
#include "fish.h"
#include "xmalloc.h"

#ifndef LISTENER_PATH
#define LISTENER_PATH "/usr/local/libexec/fish/fish-listener"
#endif

/* Words client_settings_args may add: --listen ... --no-tls, the limits. */
#define CLIENT_SETTINGS_ARGS	(2 + 2 + 2 + 4 + 1 + 2 * LIMIT_COUNT)

/* How long fish stop waits for the listener to finish in-flight work. */
#define STOP_TIMEOUT_MS	15000

/* How often a wait without a deadline looks at client_interrupted. */
#define CLIENT_TICK_MS	250

/* client_connect: no listener answers (errno says why); nothing printed. */
#define CLIENT_ABSENT	(-1)

/* Set by a command's signal handler: client_receive returns 130. */
volatile sig_atomic_t	client_interrupted;

/* Return the monotonic clock in milliseconds. */
int64_t
client_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Return the listener executable: $FISH_LISTENER, else the installed one. */
const char *
client_listener_path(void)
{
	const char	*s = getenv("FISH_LISTENER");

	return (s != NULL && *s != '\0' ? s : LISTENER_PATH);
}

/*
 * Connect to the session's listener, checking before anything is sent
 * that it is ours (session_connect).  Return EXIT_OK (c->fd is set),
 * CLIENT_ABSENT with errno when no listener answers, or EXIT_UNAVAILABLE
 * after saying why what is there is refused.
 */
static int
client_connect(struct client *c)
{
	char	*cause;
	int	 saved;

	if ((c->fd = session_connect(&c->session, &cause)) != -1)
		return (EXIT_OK);
	if (cause == NULL)
		return (CLIENT_ABSENT);
	saved = errno;
	fish_warnx("%s", cause);
	free(cause);
	errno = saved;
	return (EXIT_UNAVAILABLE);
}

/*
 * Return the milliseconds left until deadline for poll: -1 for none (then
 * at most CLIENT_TICK_MS when tick is set), 0 once it has passed.
 */
static int
client_left(int64_t deadline, int tick)
{
	int64_t	left;

	if (deadline == -1)
		return (tick ? CLIENT_TICK_MS : -1);
	left = deadline - client_now();
	if (left <= 0)
		return (0);
	if (tick && left > CLIENT_TICK_MS)
		return (CLIENT_TICK_MS);
	return (left > INT32_MAX ? INT32_MAX : (int)left);
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
 * sets client_interrupted ends it even if it came just before flock began.
 * Return EXIT_OK, EXIT_TIMEOUT, EXIT_INTERRUPTED, or -1 with errno.
 */
static int
client_flock(int fd, int op, int64_t deadline)
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
	for (;;) {
		if (client_interrupted) {
			status = EXIT_INTERRUPTED;
			break;
		}
		if ((left = client_left(deadline, 1)) == 0) {
			status = EXIT_TIMEOUT;
			break;
		}
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
 * Wait until the listener has exited (its pid lock is free) or deadline.
 * Return EXIT_OK, EXIT_TIMEOUT or EXIT_INTERRUPTED.
 */
static int
client_wait_exit(const struct session *s, int64_t deadline)
{
	int	fd, status;

	if (s->dir_fd == -1 || (fd = openat(s->dir_fd, SESSION_PID,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (EXIT_OK);
	status = client_flock(fd, LOCK_SH, deadline);
	close(fd);
	return (status == -1 ? EXIT_OK : status);
}

/*
 * Open and take the session's start lock, waiting until deadline.  Return
 * the descriptor, or -1 with *status: EXIT_TIMEOUT or EXIT_INTERRUPTED
 * (not reported), EXIT_UNAVAILABLE (reported).
 */
static int
client_lock(const struct session *s, int64_t deadline, int *status)
{
	int	fd;

	fd = openat(s->dir_fd, SESSION_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1 || (*status = client_flock(fd, LOCK_EX, deadline)) == -1) {
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
 * Append the settings given in cs (none when NULL) to the listener's argv,
 * as --OPTION VALUE pairs: at most CLIENT_SETTINGS_ARGS words.
 */
static void
client_settings_args(const struct client_settings *cs, const char **argv,
    int *argc)
{
	size_t	i;

	if (cs == NULL)
		return;
	if (cs->listen != NULL) {
		argv[(*argc)++] = "--listen";
		argv[(*argc)++] = cs->listen;
	}
	if (cs->public_url != NULL) {
		argv[(*argc)++] = "--public-url";
		argv[(*argc)++] = cs->public_url;
	}
	if (cs->retain != NULL) {
		argv[(*argc)++] = "--retain";
		argv[(*argc)++] = cs->retain;
	}
	if (cs->tls_cert != NULL) {
		argv[(*argc)++] = "--tls-cert";
		argv[(*argc)++] = cs->tls_cert;
		argv[(*argc)++] = "--tls-key";
		argv[(*argc)++] = cs->tls_key;
	}
	if (cs->no_tls)
		argv[(*argc)++] = "--no-tls";
	for (i = 0; i < LIMIT_COUNT; i++) {
		if (cs->limits[i] != NULL) {
			argv[(*argc)++] = limit_option(i);
			argv[(*argc)++] = cs->limits[i];
		}
	}
}

/*
 * Run the listener detached: double fork so it is no child of ours, and
 * setsid so it leaves our terminal and process group.  Its readiness line
 * comes back on ready_fd, which becomes its fd 3; the start lock lock_fd
 * becomes its fd 4, which it holds until it is ready.
 */
static int
client_spawn(const struct session *s, const struct client_settings *cs,
    int ready_fd, int lock_fd)
{
	const char	*argv[7 + CLIENT_SETTINGS_ARGS + 1];
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
	client_settings_args(cs, argv, &argc);
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
		execv(path, (char *const *)argv);
		xasprintf(&line, "error: cannot run %s: %s\n", path,
		    strerror(errno));
		(void)write(3, line, strlen(line));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (0);
}

/*
 * Read the listener's readiness line, waiting until deadline.  Return
 * EXIT_OK for "ok"; EXIT_TIMEOUT or EXIT_INTERRUPTED (not reported) when
 * the deadline or a signal comes first; else set *why and return
 * EXIT_USAGE when our settings were at fault ("usage: "), EXIT_UNAVAILABLE
 * otherwise.
 */
static int
client_read_ready(int fd, const struct session *s, int64_t deadline,
    char **why)
{
	struct pollfd	 pfd;
	char		 buf[1024];
	size_t		 len = 0;
	ssize_t		 n;
	int		 timeout;

	while (len < sizeof buf - 1) {
		if (client_interrupted)
			return (EXIT_INTERRUPTED);
		if ((timeout = client_left(deadline, 1)) == 0)
			return (EXIT_TIMEOUT);
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
	int64_t		 until = client_now() + STOP_TIMEOUT_MS;
	pid_t		 pid;
	int		 status;

	if ((pid = session_listener_pid(s)) == 0)
		return (EXIT_OK);
	if (c->deadline != -1 && c->deadline < until)
		until = c->deadline;
	status = client_wait_exit(s, until);
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
 * cs were at fault).
 */
static int
client_autostart(struct client *c, const struct client_settings *cs)
{
	struct session	*s = &c->session;
	char		*cause = NULL;
	int		 lock_fd, pipe_fd[2], status;

	if (session_prepare(s, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	if ((lock_fd = client_lock(s, c->deadline, &status)) == -1)
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
	if (client_spawn(s, cs, pipe_fd[1], lock_fd) == -1) {
		fish_warn("cannot start the listener: fork");
		close(pipe_fd[0]);
		close(pipe_fd[1]);
		status = EXIT_UNAVAILABLE;
		goto done;
	}
	close(pipe_fd[1]);
	status = client_read_ready(pipe_fd[0], s, c->deadline, &cause);
	close(pipe_fd[0]);
	if (status == EXIT_USAGE || status == EXIT_UNAVAILABLE) {
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

/* Set up c for session name without connecting. */
static int
client_init(struct client *c, const char *name, int flags)
{
	char	*cause;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->flags = flags;
	c->deadline = -1;
	buffer_init(&c->in);
	if (session_init(&c->session, name, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	return (EXIT_OK);
}

/*
 * Connect to session name's listener; with CLIENT_START, start it when it
 * is not running, giving up at deadline (client_now() milliseconds, -1 for
 * none) with EXIT_TIMEOUT, not reported.  On failure c is left closed
 * (client_close is harmless).
 */
int
client_open_until(struct client *c, const char *name, int flags,
    int64_t deadline)
{
	int	status;

	if ((status = client_init(c, name, flags)) != EXIT_OK)
		return (status);
	c->deadline = deadline;
	/*
	 * A listener that stopped removed its socket; one that crashed left it
	 * behind, and "restart if crashed" commands bring it back.
	 */
	if ((status = client_connect(c)) != CLIENT_ABSENT)
		;
	else if ((flags & CLIENT_START) || ((flags & CLIENT_RESTART) &&
	    errno == ECONNREFUSED))
		status = client_autostart(c, NULL);
	else {
		if (!(flags & CLIENT_QUIET))
			fish_warnx("session '%s' is not running (start it with "
			    "'" FISH_NAME " start')", name);
		status = EXIT_UNAVAILABLE;
	}
	if (status != EXIT_OK)
		client_close(c);
	return (status);
}

/* Connect to session name's listener, with no deadline. */
int
client_open(struct client *c, const char *name, int flags)
{
	return (client_open_until(c, name, flags, -1));
}

/*
 * Drop the connection and connect again, starting the listener if needed
 * by c->deadline.
 */
int
client_reconnect(struct client *c)
{
	int	status;

	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buffer_clear(&c->in);
	if ((status = client_connect(c)) != CLIENT_ABSENT)
		return (status);
	return (client_autostart(c, NULL));
}

/* Close the connection and free c's state. */
void
client_close(struct client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buffer_release(&c->in);
	session_release(&c->session);
}

/* Report a lost connection unless the caller handles it. */
static int
client_lost(struct client *c)
{
	if (!(c->flags & CLIENT_RESILIENT))
		fish_warnx("lost contact with the listener of session '%s' "
		    "(see %s)", c->session.name, c->session.log_path);
	return (EXIT_UNAVAILABLE);
}

/* Send one request frame (json is not consumed). */
int
client_send(struct client *c, struct json_object *json, const void *payload,
    size_t len)
{
	struct buffer	out;
	ssize_t		n;

	if (c->fd == -1)
		return (client_lost(c));
	buffer_init(&out);
	proto_frame_encode(&out, json, payload, len);
	while (buffer_unread(&out) > 0) {
		n = send(c->fd, buffer_peek(&out), buffer_unread(&out),
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			buffer_release(&out);
			return (client_lost(c));
		}
		buffer_drain(&out, (size_t)n);
	}
	buffer_release(&out);
	return (EXIT_OK);
}

/*
 * Receive one frame, waiting until deadline (client_now() milliseconds, or
 * -1 for ever).  Return EXIT_TIMEOUT (not reported) when the deadline
 * passes first.
 */
int
client_receive(struct client *c, struct proto_frame *f, int64_t deadline)
{
	struct pollfd	 pfd;
	char		*cause;
	ssize_t		 n;
	int		 timeout, ret;

	proto_frame_init(f);
	for (;;) {
		ret = proto_frame_parse(&c->in, f, &cause);
		if (ret == 1)
			return (EXIT_OK);
		if (ret == -1) {
			fish_warnx("bad reply from the listener: %s", cause);
			free(cause);
			return (EXIT_UNAVAILABLE);
		}
		if ((timeout = client_left(deadline, 0)) == 0)
			return (EXIT_TIMEOUT);
		if (client_interrupted)
			return (EXIT_INTERRUPTED);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout) == -1) {
			if (errno == EINTR && client_interrupted)
				return (EXIT_INTERRUPTED);
			if (errno == EINTR)
				continue;
			fish_warn("poll");
			return (EXIT_FAILED);
		}
		if (pfd.revents == 0)
			continue;
		buffer_reserve(&c->in, 65536);
		n = read(c->fd, c->in.data + c->in.len, c->in.size - c->in.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (client_lost(c));
		c->in.len += (size_t)n;
	}
}

/* Tell whether a request may be sent again when its reply was lost. */
static int
client_repeatable(struct json_object *json)
{
	static const char *const kinds[] = {
		"close", "log", "ls", "resolve", "show", "spawn", "status",
	};
	const char	*cmd = proto_string(json, "cmd");
	size_t		 i;

	for (i = 0; cmd != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(cmd, kinds[i]) == 0)
			return (1);
	}
	return (0);
}

/*
 * Send a request and receive its reply frame, waiting until deadline (-1:
 * for ever).  If the connection drops before any of the reply came back,
 * the listener died (perhaps just before we connected): for a request that
 * is harmless to repeat (see the top of this file), restart it and send
 * once more.  For any other, return CLIENT_IN_DOUBT without a word when
 * the whole request had left, reply or part of one or not: it may have
 * been done.  A request that could not be sent whole was not done (the
 * listener acts on whole frames only) and is sent again.
 */
int
client_call(struct client *c, struct json_object *json, const void *payload,
    size_t len, struct proto_frame *f, int64_t deadline)
{
	int	status, flags = c->flags, sent = 0;

	proto_frame_init(f);
	c->flags |= CLIENT_RESILIENT;
	status = client_send(c, json, payload, len);
	if (status == EXIT_OK) {
		sent = 1;
		status = client_receive(c, f, deadline);
	}
	c->flags = flags;
	if (status != EXIT_UNAVAILABLE)
		return (status);
	if (sent && !client_repeatable(json))
		return (CLIENT_IN_DOUBT);
	/* Part of a reply came: the listener did not die before it. */
	if (buffer_unread(&c->in) != 0)
		return (client_lost(c));
	if ((status = client_reconnect(c)) != EXIT_OK)
		return (status);
	if ((status = client_send(c, json, payload, len)) != EXIT_OK)
		return (status);
	return (client_receive(c, f, deadline));
}

/*
 * Perform one request on the session's listener, starting it if need be:
 * open, call, check the reply's status, close.  The reply stays in f, which
 * the caller releases whatever the outcome.
 */
int
client_request(const char *name, struct json_object *json,
    const void *payload, size_t len, struct proto_frame *f)
{
	struct client	c;
	int		status;

	proto_frame_init(f);
	if ((status = client_open(&c, name, CLIENT_START)) != EXIT_OK)
		return (status);
	status = client_call(&c, json, payload, len, f, -1);
	if (status == EXIT_OK)
		status = client_reply_status(f);
	else if (status == CLIENT_IN_DOUBT)
		status = client_in_doubt(&c, proto_string(json, "cmd"));
	client_close(&c);
	return (status);
}

/*
 * Say that the listener was lost after request kind cmd had left, so that
 * it may have been done; return EXIT_UNAVAILABLE.
 */
int
client_in_doubt(const struct client *c, const char *cmd)
{
	fish_warnx("%s: lost contact with the listener of session '%s' during "
	    "the request: it may have been done (see %s)", cmd, c->session.name,
	    c->session.log_path);
	return (EXIT_UNAVAILABLE);
}

/* Print a reply's error line, if any, and return its exit status. */
int
client_reply_status(const struct proto_frame *f)
{
	const char	*error = proto_string(f->json, "error");
	int		 status = proto_status(f->json);

	if (status != EXIT_OK && error != NULL)
		fish_warnx("%s", error);
	return (status);
}

/* Tell whether two durations are the same length of time. */
static int
client_same_duration(const char *a, const char *b)
{
	uint64_t	 x, y;
	char		*cause = NULL;

	if (b == NULL || duration_parse(a, &x, &cause) == -1 ||
	    duration_parse(b, &y, &cause) == -1) {
		free(cause);
		return (0);
	}
	return (x == y);
}

/*
 * Tell whether the limits given in cs (none given is the same) are those
 * of a running listener, as its status reply says.
 */
static int
client_same_limits(const struct client_settings *cs, struct json_object *reply)
{
	struct limits		 asked, running;
	struct json_object	*value;
	char			*cause;
	size_t			 i;

	limit_defaults(&asked);
	limit_defaults(&running);
	for (i = 0; i < LIMIT_COUNT; i++) {
		if (cs->limits[i] == NULL)
			continue;
		cause = NULL;
		if (!json_object_object_get_ex(reply, limit_key(i), &value) ||
		    limit_set(&running, i, json_object_get_string(value),
		    &cause) == -1 ||
		    limit_set(&asked, i, cs->limits[i], &cause) == -1) {
			free(cause);
			return (0);
		}
	}
	return (memcmp(&asked, &running, sizeof asked) == 0);
}

/* Check that a running listener has the settings asked for. */
static int
client_check_settings(struct client *c, const struct client_settings *cs)
{
	struct proto_frame	 f;
	struct json_object	*req;
	const char		*listen, *public_url, *tls_cert, *tls_key;
	int			 status;

	if (cs->listen == NULL && cs->public_url == NULL && cs->retain == NULL &&
	    cs->tls_cert == NULL && !cs->no_tls && client_same_limits(cs, NULL))
		return (EXIT_OK);
	req = proto_request("status");
	status = client_call(c, req, NULL, 0, &f, -1);
	json_object_put(req);
	if (status != EXIT_OK)
		return (status);
	listen = proto_string(f.json, "listen");
	public_url = proto_string(f.json, "public_url");
	tls_cert = proto_string(f.json, "tls_cert");
	tls_key = proto_string(f.json, "tls_key");
	if ((cs->no_tls && tls_cert != NULL) ||
	    (cs->tls_cert != NULL && (tls_cert == NULL || tls_key == NULL ||
	    strcmp(cs->tls_cert, tls_cert) != 0 ||
	    strcmp(cs->tls_key, tls_key) != 0)) ||
	    (cs->listen != NULL && (listen == NULL ||
	    (strcmp(cs->listen, listen) != 0 && !(strlen(cs->listen) > 2 &&
	    strcmp(cs->listen + strlen(cs->listen) - 2, ":0") == 0 &&
	    strncmp(cs->listen, listen, strlen(cs->listen) - 1) == 0)))) ||
	    (cs->public_url != NULL && (public_url == NULL ||
	    strcmp(cs->public_url, public_url) != 0)) ||
	    (cs->retain != NULL && !client_same_duration(cs->retain,
	    proto_string(f.json, "retain"))) || !client_same_limits(cs, f.json)) {
		fish_warnx("session '%s' is already running with other settings "
		    "(listen %s%s%s); run '" FISH_NAME " stop' first to change "
		    "them",
		    c->session.name, listen == NULL ? "?" : listen,
		    public_url != NULL ? ", public URL " : "",
		    public_url != NULL ? public_url : "");
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
client_foreground(struct client *c, const struct client_settings *cs)
{
	const char	*argv[6 + CLIENT_SETTINGS_ARGS + 1];
	char		*cause, fd_text[16];
	int		 argc = 0, lock_fd, status;

	if (session_prepare(&c->session, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_UNAVAILABLE);
	}
	if ((lock_fd = client_lock(&c->session, -1, &status)) == -1)
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
	client_settings_args(cs, argv, &argc);
	argv[argc] = NULL;
	execv(client_listener_path(), (char *const *)argv);
	fish_warn("cannot run %s", client_listener_path());
	close(lock_fd);
	return (EXIT_UNAVAILABLE);
}

/*
 * fish start: start the listener with settings cs (idempotent), or run it
 * in the foreground.
 */
int
client_start(const char *name, const struct client_settings *cs)
{
	struct client	c;
	int		status;

	if ((status = client_init(&c, name, 0)) != EXIT_OK)
		return (status);
	if ((status = client_connect(&c)) == EXIT_OK) {
		if (cs->foreground) {
			fish_warnx("session '%s' is already running", name);
			status = EXIT_FAILED;
		} else
			status = client_check_settings(&c, cs);
	} else if (status == CLIENT_ABSENT && cs->foreground)
		status = client_foreground(&c, cs);
	else if (status == CLIENT_ABSENT)
		status = client_autostart(&c, cs);
	client_close(&c);
	return (status);
}

/* fish stop: stop the listener, waiting until it has exited; maybe purge. */
int
client_stop(const char *name, int purge)
{
	struct client		 c;
	struct proto_frame	 f;
	struct json_object	*req;
	char			*cause;
	pid_t			 pid;
	int			 status;

	if ((status = client_init(&c, name, CLIENT_RESILIENT)) != EXIT_OK)
		return (status);
	if ((status = client_connect(&c)) == EXIT_OK) {
		req = proto_request("stop");
		if (client_send(&c, req, NULL, 0) == EXIT_OK &&
		    client_receive(&c, &f, -1) == EXIT_OK)
			proto_frame_release(&f);
		json_object_put(req);
	} else if (status != CLIENT_ABSENT) {
		client_close(&c);
		return (status);
	} else if ((pid = session_listener_pid(&c.session)) != 0 && pid != -1) {
		/* Alive but not answering: ask it by signal. */
		kill(pid, SIGTERM);
	}
	status = client_wait_exit(&c.session, client_now() + STOP_TIMEOUT_MS);
	if (status == EXIT_TIMEOUT) {
		fish_warnx("the listener of session '%s' did not stop within "
		    "%ds (see %s)", name, STOP_TIMEOUT_MS / 1000,
		    c.session.log_path);
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
