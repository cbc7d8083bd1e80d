/*
 * The client's transport: connecting to the session's listener, framed
 * requests and replies, and what to do when the listener is lost during a
 * request.  Starting and stopping the listener (autostart among them) is
 * client-start.c's.
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
 *
 * A listener that is alive but cannot answer (stopped by SIGSTOP or
 * Ctrl-Z) closes nothing: every wait for it to read or answer
 * (client_wait) looks at it after a while of silence and gives up on one
 * that stays stopped (client-silence.c).  Nothing else bounds a request:
 * a listener that works is waited for, however long it takes.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "clock.h"
#include "fish.h"

/* How often a wait without a deadline looks at client_interrupted. */
#define CLIENT_TICK_MS	250

/* Set by a command's signal handler: client_receive returns 130. */
volatile sig_atomic_t	client_interrupted;

static int	client_acting(struct json_object *);

/*
 * Say that c's listener takes no connections, its queue full (cause, as
 * session_connect put it): why, when that can be told (stopped, held by a
 * debugger, frozen: client_why_silent), with what lets it run again.
 */
static void
client_say_unaccepting(const struct client *c, const char *cause)
{
	const char	*held;
	char		*why;
	pid_t		 pid;

	pid = session_listener_pid(&c->session);
	if ((why = client_why_silent(pid, &held)) == NULL) {
		fish_warnx("%s", cause);
		return;
	}
	fish_warnx("the listener of session '%s' (pid %ld) takes no "
	    "connections: its queue is full, and it is %s",
	    c->session.name, (long)pid, why);
	free(why);
}

/*
 * Connect to the session's listener, checking before anything is sent
 * that it is ours (session_connect).  Return EXIT_OK (c->fd is set),
 * CLIENT_ABSENT with errno when no listener answers, or EXIT_UNAVAILABLE
 * after saying why what is there is refused (c->refused: its errno).
 */
int
client_connect(struct client *c)
{
	char	*cause;
	int	 saved;

	if ((c->fd = session_connect(&c->session, &cause)) != -1) {
		client_heard(c);
		return (EXIT_OK);
	}
	if (cause == NULL)
		return (CLIENT_ABSENT);
	saved = errno;
	c->refused = saved != 0 ? saved : EPERM;
	/* A full queue: a quiet caller (completion, prompt) says nothing. */
	if (saved == EAGAIN && !(c->flags & CLIENT_QUIET))
		client_say_unaccepting(c, cause);
	else if (saved != EAGAIN)
		fish_warnx("%s", cause);
	free(cause);
	errno = saved;
	return (EXIT_UNAVAILABLE);
}

/*
 * Return the milliseconds left until deadline for poll: -1 for none (then
 * at most CLIENT_TICK_MS when tick is set), 0 once it has passed.
 */
int
client_left(int64_t deadline, int tick)
{
	int64_t	left;

	if (deadline == -1)
		return (tick ? CLIENT_TICK_MS : -1);
	left = deadline - clock_mono_ms();
	if (left <= 0)
		return (0);
	if (tick && left > CLIENT_TICK_MS)
		return (CLIENT_TICK_MS);
	return (left > INT32_MAX ? INT32_MAX : (int)left);
}

/* Set up c for session name without connecting. */
int
client_init(struct client *c, const char *name, int flags)
{
	char	*cause;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->flags = flags;
	c->deadline = -1;
	c->stopped_since = -1;
	buffer_init(&c->in);
	if (session_init(&c->session, name, &cause) == -1) {
		fish_warnx("%s", cause);
		free(cause);
		return (EXIT_USAGE);
	}
	return (EXIT_OK);
}

/*
 * Say that session name does not exist; return EXIT_NOT_FOUND.  Only the
 * commands that make something (spawn, send, start) make a session: any
 * other would look in it for something that cannot be there, and a typo
 * in -S must not leave a listener running for ever.
 */
int
client_no_session(const char *name)
{
	fish_warnx("no session '%s' (" FISH_NAME " sessions lists them)", name);
	return (EXIT_NOT_FOUND);
}

/*
 * Connect to session name's listener; with CLIENT_START, start it when it
 * is not running, giving up at deadline (clock_mono_ms() milliseconds, -1 for
 * none) with EXIT_TIMEOUT, not reported.  A session that does not exist is
 * made only with CLIENT_CREATE; else return EXIT_NOT_FOUND, reported
 * unless CLIENT_QUIET.  On failure c is left closed (client_close is
 * harmless).
 */
int
client_open_until(struct client *c, const char *name, int flags,
    int64_t deadline)
{
	int	status;

	if ((status = client_init(c, name, flags)) != EXIT_OK)
		return (status);
	c->deadline = deadline;
	/* A listener whose queue is full is not waited on past it either. */
	if (deadline != -1)
		c->session.busy_until = deadline;
	/*
	 * A listener that stopped removed its socket; one that crashed left it
	 * behind, and "restart if crashed" commands bring it back.
	 */
	if ((status = client_connect(c)) != CLIENT_ABSENT)
		;
	else if (c->session.dir_fd == -1 && !(flags & CLIENT_CREATE)) {
		/* Not even its directory (session_connect said ENOENT). */
		status = EXIT_NOT_FOUND;
		if (!(flags & CLIENT_QUIET))
			client_no_session(name);
	} else if ((flags & CLIENT_START) || ((flags & CLIENT_RESTART) &&
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
 * by c->deadline: it crashed, leaving its socket behind.  One that was
 * stopped removed its socket before it closed the connection: that is
 * said, EXIT_UNAVAILABLE, and it is not started again.  Nor is one that
 * was given up on as stopped (already said): it still holds its socket.
 */
int
client_reconnect(struct client *c)
{
	int	status;

	if (c->stopped)
		return (EXIT_UNAVAILABLE);
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buffer_clear(&c->in);
	if ((status = client_connect(c)) != CLIENT_ABSENT)
		return (status);
	if (errno == ENOENT) {
		fish_warnx("session '%s' was stopped", c->session.name);
		return (EXIT_UNAVAILABLE);
	}
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

/* Note a signal caught by client_catch. */
static void
client_interrupt(int sig)
{
	(void)sig;
	client_interrupted = 1;
}

/* Run handler on signal sig, without SA_RESTART (see client_catch). */
static void
client_handle(int sig, void (*handler)(int))
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Set while client_poll waits (see client_catch_waiting). */
static volatile sig_atomic_t	client_polling;

/*
 * A signal caught only while a receive waits: then it ends the wait as
 * client_interrupt does; elsewhere (writing out to a reader that does
 * not read, say) it kills as it would by default.
 */
static void
client_interrupt_waiting(int sig)
{
	if (client_polling) {
		client_interrupted = 1;
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Catch signal sig (SIGTERM, say) while a receive waits, so that the
 * command tidies up (erases a terminal line) and returns
 * EXIT_INTERRUPTED; anywhere else it kills at once, as by default, so
 * that timeout(1) or a cancelled job is never kept waiting by a command
 * blocked in a write.
 */
void
client_catch_waiting(int sig)
{
	client_handle(sig, client_interrupt_waiting);
}

/*
 * Catch signal sig (SIGINT, say) instead of dying of it: it sets
 * client_interrupted, and without SA_RESTART the poll of a receive ends
 * with EINTR, so the command returns EXIT_INTERRUPTED and can tidy up
 * first (erase a terminal line, remove a temporary file).
 */
void
client_catch(int sig)
{
	client_handle(sig, client_interrupt);
}

/*
 * Poll one descriptor for timeout ms (-1: for ever), or until a signal
 * client_catch caught (SIGINT, SIGTERM, SIGHUP) sets client_interrupted
 * (-1 with EINTR).  They are blocked from the check of the flag until
 * ppoll waits, which unblocks them atomically: a signal that comes in
 * between would otherwise set the flag for nobody to see, and leave the
 * poll waiting for ever.
 */
static int
client_poll(struct pollfd *pfd, int timeout)
{
	struct timespec	 ts;
	sigset_t	 block, old;
	int		 ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (client_interrupted) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = EINTR;
		return (-1);
	}
	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000;
	client_polling = 1;
	ret = ppoll(pfd, 1, timeout < 0 ? NULL : &ts, &old);
	client_polling = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return (ret);
}

/*
 * Wait until c's connection is ready for events (POLLIN, POLLOUT) or
 * deadline (clock_mono_ms() milliseconds, -1 for ever).  However long the
 * listener is silent, it is waited for unless it stays stopped
 * (client_silence).  Return EXIT_OK, EXIT_TIMEOUT (not reported),
 * EXIT_INTERRUPTED, or EXIT_UNAVAILABLE or EXIT_FAILED having said why.
 */
static int
client_wait(struct client *c, short events, int64_t deadline)
{
	struct pollfd	pfd;
	int		timeout, ret;

	for (;;) {
		if ((timeout = client_left(deadline, 0)) == 0)
			return (EXIT_TIMEOUT);
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		ret = client_poll(&pfd, client_silence_timeout(c, timeout));
		if (ret == -1) {
			if (errno == EINTR && client_interrupted)
				return (EXIT_INTERRUPTED);
			if (errno == EINTR)
				continue;
			fish_warn("poll");
			return (EXIT_FAILED);
		}
		if (ret > 0 && pfd.revents != 0)
			return (EXIT_OK);
		if ((ret = client_silence(c)) != EXIT_OK)
			return (ret);
	}
}

/*
 * Send one request frame (json is not consumed) whole, or fail.  The
 * socket is written without blocking and MSG_NOSIGNAL: a full socket is
 * waited on through client_wait, so that a listener that stops reading
 * because it is stopped is noticed (client_silence) rather than blocking
 * us in send(2) for ever, and a listener that died is EPIPE
 * (client_lost), not SIGPIPE.  Whether the request acts is noted first:
 * a listener given up on as stopped says whether it may still carry the
 * request out (client_acting).
 */
int
client_send(struct client *c, struct json_object *json, const void *payload,
    size_t len)
{
	struct buffer	out;
	ssize_t		n;
	int		status = EXIT_OK;

	if (c->stopped)
		return (EXIT_UNAVAILABLE);
	if (c->fd == -1)
		return (client_lost(c));
	client_heard(c);
	c->acting = client_acting(json);
	buffer_init(&out);
	proto_frame_encode(&out, json, payload, len);
	while (buffer_unread(&out) > 0) {
		n = send(c->fd, buffer_peek(&out), buffer_unread(&out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if ((status = client_wait(c, POLLOUT, -1)) != EXIT_OK)
				break;
			continue;
		}
		if (n <= 0) {
			status = client_lost(c);
			break;
		}
		client_heard(c);
		buffer_drain(&out, (size_t)n);
	}
	buffer_release(&out);
	return (status);
}

/*
 * Receive one frame, waiting until deadline (clock_mono_ms() milliseconds, or
 * -1 for ever).  Return EXIT_TIMEOUT (not reported) when the deadline
 * passes first.
 */
int
client_receive(struct client *c, struct proto_frame *f, int64_t deadline)
{
	char		*cause;
	ssize_t		 n;
	int		 ret;

	proto_frame_init(f);
	if (c->stopped)
		return (EXIT_UNAVAILABLE);
	for (;;) {
		ret = proto_frame_parse(&c->in, f, &cause);
		if (ret == 1)
			return (EXIT_OK);
		if (ret == -1) {
			fish_warnx("bad reply from the listener: %s", cause);
			free(cause);
			return (EXIT_UNAVAILABLE);
		}
		if ((ret = client_wait(c, POLLIN, deadline)) != EXIT_OK)
			return (ret);
		buffer_reserve(&c->in, 65536);
		n = read(c->fd, c->in.data + c->in.len, c->in.size - c->in.len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return (client_lost(c));
		client_heard(c);
		c->in.len += (size_t)n;
	}
}

/* Tell whether request json's cmd is one of the n kinds. */
static int
client_cmd_in(struct json_object *json, const char *const *kinds, size_t n)
{
	const char	*cmd = proto_string(json, "cmd");
	size_t		 i;

	for (i = 0; cmd != NULL && i < n; i++) {
		if (strcmp(cmd, kinds[i]) == 0)
			return (1);
	}
	return (0);
}

/* Tell whether a request may be sent again when its reply was lost. */
static int
client_repeatable(struct json_object *json)
{
	static const char *const kinds[] = {
		"close", "log", "ls", "resolve", "show", "spawn", "status",
	};

	return (client_cmd_in(json, kinds, sizeof kinds / sizeof kinds[0]));
}

/*
 * Tell whether a request has effects that its client going away does not
 * undo (a wait, a tail or a look does nothing for a client gone): a
 * listener given up on as stopped that had read it may still carry it
 * out (client-silence.c).
 */
static int
client_acting(struct json_object *json)
{
	static const char *const kinds[] = {
		"ack", "close", "replay", "reply", "send", "spawn", "stop",
	};

	return (client_cmd_in(json, kinds, sizeof kinds / sizeof kinds[0]));
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
	/* Given up on as stopped, it is neither lost nor to be restarted. */
	if (status != EXIT_UNAVAILABLE || c->stopped)
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
 * Perform one request on the session's listener, starting it if need be
 * (and making the session for a spawn): open, call, check the reply's
 * status, close.  The reply stays in f, which
 * the caller releases whatever the outcome.
 */
int
client_request(const char *name, struct json_object *json,
    const void *payload, size_t len, struct proto_frame *f)
{
	struct client	c;
	int		status, flags;

	proto_frame_init(f);
	flags = CLIENT_START;
	if (strcmp(proto_string(json, "cmd"), "spawn") == 0)
		flags |= CLIENT_CREATE;
	if ((status = client_open(&c, name, flags)) != EXIT_OK)
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

/*
 * Print the listener's error for a hook or message it does not have,
 * naming the session it looked in: with several sessions, "no such hook"
 * alone leaves the user to guess which -S was meant.
 */
void
client_not_found(const char *error)
{
	fish_warnx("%s (in session '%s')", error, fish_session);
}

/* Print a reply's error line, if any, and return its exit status. */
int
client_reply_status(const struct proto_frame *f)
{
	const char	*error = proto_string(f->json, "error");
	int		 status = proto_status(f->json);

	if (status == EXIT_NOT_FOUND && error != NULL)
		client_not_found(error);
	else if (status != EXIT_OK && error != NULL)
		fish_warnx("%s", error);
	return (status);
}
