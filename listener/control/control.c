/*
 * Control connections.  Each client connection is non-blocking, with an
 * input buffer parsed into frames (control-input.c) and an output buffer
 * drained when the socket is writable.  A peer with another uid, or one
 * that sends a bad frame, is dropped; nothing a peer sends can stop the
 * listener.
 *
 * Replies that depend on durability (spawn, ack) are sent from the store's
 * group commit callback; since the client may be gone by then, those
 * callbacks find their connection again by id rather than by pointer.  A
 * long reply (log) is sent in parts from a callback run when the output
 * has drained.
 *
 * What a client can make the listener hold is bounded: its input (see
 * control-input.c), and its unread output, past CONTROL_OUT_MAX of which
 * it is cut.  At most conns_max clients are connected at a time, their
 * share of the budget of open files (lib/files.c); more wait in the
 * socket's queue.
 * Out of file descriptors, accepting pauses for CONTROL_ACCEPT_BACKOFF_MS
 * (or until a client leaves) instead of spinning, and such complaints are
 * logged at most once a window.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "conn.h"
#include "control.h"
#include "control-private.h"
#include "control-settle.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "control-timeline.h"
#include "store.h"
#include "xmalloc.h"

struct deferred_reply {
	uint64_t		 conn_id;
	struct json_object	*reply;
};

static struct control	*control_self;

static void	control_accept_resume(struct control *);

/*
 * Tell whether a line of l's kind may be logged now; first say how many
 * were not, if a window has passed since.
 */
static int
control_log_pass(struct control_log *l)
{
	int64_t	now = loop_now();

	if (l->window == 0 || now - l->window >= CONTROL_LOG_WINDOW_MS) {
		if (l->dropped > 0)
			log_warnx("control: %llu more %s not logged",
			    (unsigned long long)l->dropped, l->what);
		l->window = now;
		l->lines = 0;
		l->dropped = 0;
	}
	if (l->lines >= l->burst) {
		l->dropped++;
		return (0);
	}
	l->lines++;
	return (1);
}

/* Log that a client is dropped and why (at most a burst a window). */
void
control_log_drop(struct control *ctl, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	if (!control_log_pass(&ctl->drop_log))
		return;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	log_warnx("control: dropping client: %s", text);
	free(text);
}

/* Find a live connection by id. */
struct conn *
conn_find(uint64_t id)
{
	struct conn	*c;

	if (control_self == NULL)
		return (NULL);
	TAILQ_FOREACH(c, &control_self->conns, entry) {
		if (c->id == id && !c->closing)
			return (c);
	}
	return (NULL);
}

/*
 * Return the events to watch on c: input unless it is starved of room,
 * output while some waits or a long reply has more to send.
 */
uint32_t
conn_events(const struct conn *c)
{
	uint32_t	events = c->starved ? 0 : EPOLLIN;

	if (buffer_unread(&c->out) > 0 || c->drained != NULL)
		events |= EPOLLOUT;
	return (events);
}

/*
 * Write what we can of the output buffer; watch for writability if not all,
 * or while a long reply has more to send (then the loop calls back at once
 * when the socket is writable, after serving whatever else is ready).
 */
void
conn_flush(struct conn *c)
{
	ssize_t	n;

	while (buffer_unread(&c->out) > 0) {
		n = write(c->fd, buffer_peek(&c->out), buffer_unread(&c->out));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			buffer_clear(&c->out);
			c->closing = 1;
			break;
		}
		buffer_drain(&c->out, (size_t)n);
	}
	/*
	 * A dead connection is closed by conn_readable when epoll reports it,
	 * never here: callers may be in the middle of dispatching messages.
	 */
	loop_modify(c->control->loop, c->fd, conn_events(c));
}

/*
 * Tell whether a reply ends c's request: it has a status (an interim frame
 * has none), and while a long reply is under way (a log) it is its end
 * frame, not one of its entries.  Nothing ends a tail's.
 */
static int
conn_reply_ends(const struct conn *c, struct json_object *reply)
{
	if (c->streaming || !json_object_object_get_ex(reply, "status", NULL))
		return (0);
	return (c->drained == NULL || proto_bool(reply, "end"));
}

/*
 * Send a frame to a connection; takes the reference to reply.  A client
 * that has left CONTROL_OUT_MAX unread (it asks for answers and reads
 * none) is cut: shutting the socket down makes epoll report it, to close
 * it there.
 */
static void
conn_reply(struct conn *c, struct json_object *reply, const void *payload,
    size_t len)
{
	if (c->closing) {
		json_object_put(reply);
		return;
	}
	if (buffer_unread(&c->out) > CONTROL_OUT_MAX) {
		control_log_drop(c->control, "it has left %zu MiB unread",
		    buffer_unread(&c->out) >> 20);
		json_object_put(reply);
		buffer_release(&c->out);
		c->closing = 1;
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
	proto_frame_encode(&c->out, reply, payload, len);
	if (conn_reply_ends(c, reply))
		c->pending = 0;
	json_object_put(reply);
	conn_flush(c);
}

/* Send an error reply, its text made from fmt. */
void
control_errorf(struct conn *c, int status, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	conn_reply(c, proto_reply(status, text), NULL, 0);
	free(text);
}

/* Send a reply once the journal is synced (group commit callback). */
static void
conn_reply_synced(void *arg)
{
	struct deferred_reply	*d = arg;
	struct conn		*c;

	if ((c = conn_find(d->conn_id)) != NULL)
		conn_reply(c, d->reply, NULL, 0);
	else
		json_object_put(d->reply);
	free(d);
}

/*
 * What was written cannot be made durable soon (the store's Redis has too
 * few replicas, or did not acknowledge it within STORE_COMMAND_WAIT_MS):
 * answer with why instead, exit status 3.  What was written stays (in the
 * stream, or to be sent once Redis is back) and may still be acknowledged
 * later.
 */
static void
conn_reply_unsynced(void *arg, const char *why)
{
	struct deferred_reply	*d = arg;
	struct conn		*c;

	json_object_put(d->reply);
	if ((c = conn_find(d->conn_id)) != NULL)
		control_errorf(c, EXIT_UNAVAILABLE, "the session's store %s; "
		    "not acknowledged, though it may still be stored once "
		    "the store is back", why);
	free(d);
}

/*
 * The store closed with the reply's records unacknowledged (its Redis
 * down at a stop): the connection is gone, free the reply.
 */
static void
conn_reply_dropped(void *arg)
{
	struct deferred_reply	*d = arg;

	json_object_put(d->reply);
	free(d);
}

/* Queue a reply to be sent after the next sync; takes the reference. */
void
control_reply_after_sync(struct conn *c, struct json_object *reply)
{
	struct deferred_reply	*d;

	d = xcalloc(1, sizeof *d);
	d->conn_id = c->id;
	d->reply = reply;
	store_after_sync_or_fail(c->control->store, conn_reply_synced,
	    conn_reply_unsynced, conn_reply_dropped, d);
}

/* Drop a long reply's state: it will send nothing more. */
static void
conn_forget_drained(struct conn *c)
{
	void	(*drained_free)(void *) = c->drained_free;
	void	*arg = c->drained_arg;

	c->drained = NULL;
	c->drained_free = NULL;
	c->drained_arg = NULL;
	if (drained_free != NULL)
		drained_free(arg);
}

/* Close a connection, returning any leased messages to their queues. */
void
conn_close(struct conn *c)
{
	struct control	*ctl = c->control;

	conn_forget_drained(c);
	control_settle_forget(c);
	if (c->waiting) {
		store_unwait(ctl->store, &c->waiter);
		c->waiting = 0;
	}
	loop_timer_cancel(ctl->loop, c->wait_timer);
	c->wait_timer = NULL;
	loop_timer_cancel(ctl->loop, c->lease_timer);
	c->lease_timer = NULL;
	control_wait_release(c);
	loop_remove(ctl->loop, c->fd);
	close(c->fd);
	TAILQ_REMOVE(&ctl->conns, c, entry);
	ctl->nconns--;
	conn_in_release(c);
	buffer_release(&c->out);
	free(c->waiter.hooks);
	free(c->leases);
	control_wait_forget_filters(c);
	free(c);
	/* A descriptor and a place are free: accept again. */
	if (ctl->accept_paused)
		control_accept_resume(ctl);
}

/* Send a frame to a client (for handlers in other files). */
void
control_reply(struct conn *c, struct json_object *reply, const void *payload,
    size_t len)
{
	conn_reply(c, reply, payload, len);
}

/* Send an error reply to a client (for handlers in other files). */
void
control_error(struct conn *c, int status, const char *text)
{
	conn_reply(c, proto_reply(status, text), NULL, 0);
}

/* Return a client's id, by which control_find finds it later. */
uint64_t
control_id(const struct conn *c)
{
	return (c->id);
}

/* Return how many bytes wait to be written to a client. */
size_t
control_pending(const struct conn *c)
{
	return (buffer_unread(&c->out));
}

/*
 * Call fn(c, arg) whenever c's pending output is below CONTROL_OUT_BOUND,
 * until fn is replaced; free_arg(arg) when it is replaced or c closes.  A
 * NULL fn ends it (freeing the old arg, so fn may end itself last thing).
 */
void
control_on_drained(struct conn *c, void (*fn)(struct conn *, void *),
    void (*free_arg)(void *), void *arg)
{
	conn_forget_drained(c);
	c->drained = fn;
	c->drained_free = free_arg;
	c->drained_arg = arg;
	conn_flush(c);
}

/*
 * Say that every frame c gets from now on belongs to its last request (a
 * tail): it ends only with the connection, so c may send no other.
 */
void
control_streaming(struct conn *c)
{
	c->streaming = 1;
}

/* Find a client by id; NULL once it has gone. */
struct conn *
control_find(uint64_t id)
{
	return (conn_find(id));
}

/* Return the loop a client's timers run on. */
struct loop *
control_loop(const struct conn *c)
{
	return (c->control->loop);
}

/* Return the store whose hooks and messages a client's requests are about. */
struct store *
control_store(const struct conn *c)
{
	return (c->control->store);
}

/* Return what a client's requests to send (send, replay) go through. */
struct outbound *
control_outbound(const struct conn *c)
{
	return (c->control->outbound);
}

/* Answer that a request's field is wrong (a usage error). */
void
control_invalid(struct conn *c, struct proto_frame *f, const char *field)
{
	control_errorf(c, EXIT_USAGE, "invalid %s in %s request", field,
	    proto_string(f->json, "cmd"));
}

/* Watch the control socket again after a pause. */
static void
control_accept_resume(struct control *ctl)
{
	loop_timer_cancel(ctl->loop, ctl->accept_timer);
	ctl->accept_timer = NULL;
	ctl->accept_paused = 0;
	loop_modify(ctl->loop, ctl->fd, EPOLLIN);
}

/* A pause in accepting is over. */
static void
control_accept_expired(void *arg)
{
	struct control	*ctl = arg;

	ctl->accept_timer = NULL;
	control_accept_resume(ctl);
}

/*
 * Stop watching the control socket, which stays readable while a client
 * waits to be accepted: until a client leaves, and for at most backoff ms
 * when backoff is not -1.
 */
static void
control_accept_pause(struct control *ctl, int64_t backoff)
{
	ctl->accept_paused = 1;
	loop_modify(ctl->loop, ctl->fd, 0);
	if (backoff != -1 && ctl->accept_timer == NULL)
		ctl->accept_timer = loop_timer_add(ctl->loop,
		    loop_now() + backoff, control_accept_expired, ctl);
}

/* Accept a client, checking that it runs as our user. */
static void
control_accept(int fd, uint32_t events, void *arg)
{
	struct control	*ctl = arg;
	struct ucred	 cred;
	socklen_t	 len = sizeof cred;
	struct conn	*c;
	int		 cfd;

	(void)events;
	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return;
		/* Out of descriptors or memory: retry later, not at once. */
		if (control_log_pass(&ctl->accept_log))
			log_warn("control: cannot accept clients for now");
		control_accept_pause(ctl, CONTROL_ACCEPT_BACKOFF_MS);
		return;
	}
	if (ctl->accept_log.dropped > 0) {
		log_warnx("control: accepting clients again (%llu more "
		    "errors not logged)",
		    (unsigned long long)ctl->accept_log.dropped);
		ctl->accept_log.dropped = 0;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != geteuid()) {
		control_log_drop(ctl, "it runs as another user");
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->control = ctl;
	c->id = ++ctl->next_id;
	c->fd = cfd;
	buffer_init(&c->in);
	buffer_init(&c->out);
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	ctl->nconns++;
	if (loop_add(ctl->loop, cfd, EPOLLIN, conn_readable, c) == -1) {
		log_warn("control: cannot watch client");
		conn_close(c);
		return;
	}
	if (ctl->nconns >= ctl->conns_max) {
		if (control_log_pass(&ctl->accept_log))
			log_warnx("control: %zu clients connected; accepting "
			    "more when one leaves", ctl->conns_max);
		control_accept_pause(ctl, -1);
	}
}

/*
 * Listen on the control socket at path, for requests about the hooks and
 * messages of store, and to send requests through outbound.  Any old
 * socket file there is stale: the caller holds the session's pid lock.
 *
 * At most conns_max clients are connected at a time, their share of the
 * budget of open files (lib/files.c): were they to take every file,
 * waits would keep out the callbacks they wait for until they time out.
 */
struct control *
control_start(struct loop *loop, struct store *store,
    struct outbound *outbound, const char *path, size_t conns_max,
    char **cause)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 mask;
	int			 fd;
#ifdef FISH_TEST_HOOKS
	const char		*s;
#endif

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "control socket path too long: %s", path);
		return (NULL);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "cannot make control socket: %s",
		    strerror(errno));
		return (NULL);
	}
	unlink(path);
	mask = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		umask(mask);
		xasprintf(cause, "cannot bind control socket %s: %s", path,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	umask(mask);
	if (chmod(path, 0600) == -1 || listen(fd, 128) == -1) {
		xasprintf(cause, "cannot listen on control socket %s: %s",
		    path, strerror(errno));
		close(fd);
		unlink(path);
		return (NULL);
	}
	/* Check what we made: a socket of ours that only we may use. */
	if (lstat(path, &sb) == -1 || !S_ISSOCK(sb.st_mode) ||
	    sb.st_uid != getuid() || (sb.st_mode & 077) != 0) {
		xasprintf(cause, "control socket %s is not private to you",
		    path);
		close(fd);
		unlink(path);
		return (NULL);
	}
	ctl = xcalloc(1, sizeof *ctl);
	ctl->loop = loop;
	ctl->store = store;
	ctl->outbound = outbound;
	ctl->fd = fd;
	ctl->path = xstrdup(path);
	ctl->conns_max = conns_max;
	TAILQ_INIT(&ctl->conns);
	TAILQ_INIT(&ctl->starved);
	ctl->frame_timeout_ms = CONTROL_FRAME_TIMEOUT_MS;
#ifdef FISH_TEST_HOOKS
	if ((s = getenv("FISH_TEST_FRAME_TIMEOUT_MS")) != NULL)
		ctl->frame_timeout_ms = strtoll(s, NULL, 10);
#endif
	ctl->accept_log.what = "errors";
	ctl->accept_log.burst = 1;
	ctl->drop_log.what = "dropped clients";
	ctl->drop_log.burst = 10;
	if (loop_add(loop, fd, EPOLLIN, control_accept, ctl) == -1)
		fatal("control: cannot watch socket");
	control_self = ctl;
	timeline_start(store);
	return (ctl);
}

/*
 * Tell waiting clients that the listener is stopping for good, so they exit
 * instead of restarting it.
 */
void
control_notify_stop(struct control *ctl)
{
	struct conn	*c;
	char		*line = listener_stopped_line();

	TAILQ_FOREACH(c, &ctl->conns, entry) {
		if (c->drained != NULL) {
			/* A log in progress is cut short. */
			conn_forget_drained(c);
			control_error(c, EXIT_UNAVAILABLE, line);
		}
		if (!c->waiting)
			continue;
		store_unwait(ctl->store, &c->waiter);
		c->waiting = 0;
		loop_timer_cancel(ctl->loop, c->wait_timer);
		c->wait_timer = NULL;
		control_error(c, EXIT_UNAVAILABLE, line);
	}
	free(line);
}

/* Try once more to send pending output (before exit). */
void
control_flush(struct control *ctl)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &ctl->conns, entry, next)
		conn_flush(c);
}

/*
 * Tell whether any client is connected, or waiting to be accepted (for
 * fish start --idle-exit: see listener-idle.c).
 */
int
control_busy(const struct control *ctl)
{
	struct pollfd	pfd;

	if (ctl->nconns > 0)
		return (1);
	pfd.fd = ctl->fd;
	pfd.events = POLLIN;
	return (poll(&pfd, 1, 0) == 1);
}

/* Close every client and the socket, and remove the socket file. */
void
control_stop(struct control *ctl)
{
	struct conn	*c;

	if (ctl == NULL)
		return;
	/*
	 * The socket goes first: a client that finds its connection closed
	 * finds no socket either, so it knows the listener was stopped
	 * (client_reconnect), not that it crashed (its socket left behind).
	 */
	unlink(ctl->path);
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL)
		conn_close(c);
	loop_timer_cancel(ctl->loop, ctl->accept_timer);
	loop_remove(ctl->loop, ctl->fd);
	close(ctl->fd);
	free(ctl->path);
	free(ctl);
	control_self = NULL;
}
