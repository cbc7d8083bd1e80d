/*
 * Control connections.  Each client connection is non-blocking, with an
 * input buffer parsed into frames and an output buffer drained when the
 * socket is writable.  A peer with another uid, or one that sends a bad
 * frame, is dropped; nothing a peer sends can stop the listener.
 *
 * Replies that depend on durability (spawn, ack) are sent from the group
 * commit's callback; since the client may be gone by then, those callbacks
 * find their connection again by id rather than by pointer.  A long reply
 * (log) is sent in parts from a callback run when the output has drained.
 *
 * Requests are dispatched through a sorted table to their handlers, kept
 * by theme in control-hooks.c, control-wait.c, control-send.c and
 * timeline.c; they reply through control_reply and control_errorf.
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "conn.h"
#include "control.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "control-timeline.h"
#include "waiter.h"
#include "xmalloc.h"

struct control {
	struct loop		*loop;
	int			 fd;
	char			*path;
	uint64_t		 next_id;
	TAILQ_HEAD(, conn)	 conns;
};

struct deferred_reply {
	uint64_t		 conn_id;
	struct json_object	*reply;
};

static struct control	*control_self;

static void	conn_close(struct conn *);

/* Find a live connection by id. */
static struct conn *
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
 * Write what we can of the output buffer; watch for writability if not all,
 * or while a long reply has more to send (then the loop calls back at once
 * when the socket is writable, after serving whatever else is ready).
 */
static void
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
	if (buffer_unread(&c->out) > 0 || c->drained != NULL)
		loop_modify(control_self->loop, c->fd, EPOLLIN | EPOLLOUT);
	else
		loop_modify(control_self->loop, c->fd, EPOLLIN);
}

/* Send a frame to a connection; takes the reference to reply. */
static void
conn_reply(struct conn *c, struct json_object *reply, const void *payload,
    size_t len)
{
	proto_frame_encode(&c->out, reply, payload, len);
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

/* Queue a reply to be sent after the next sync; takes the reference. */
void
control_reply_after_sync(struct conn *c, struct json_object *reply)
{
	struct deferred_reply	*d;

	d = xcalloc(1, sizeof *d);
	d->conn_id = c->id;
	d->reply = reply;
	listener_after_sync(conn_reply_synced, d);
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

/* Close a connection, returning any leased message to its queue. */
static void
conn_close(struct conn *c)
{
	conn_forget_drained(c);
	if (c->waiting) {
		waiter_remove(&c->waiter);
		c->waiting = 0;
	}
	loop_timer_cancel(control_self->loop, c->wait_timer);
	c->wait_timer = NULL;
	if (c->lease != NULL) {
		message_release(c->lease);
		c->lease = NULL;
	}
	loop_remove(control_self->loop, c->fd);
	close(c->fd);
	TAILQ_REMOVE(&control_self->conns, c, entry);
	buffer_release(&c->in);
	buffer_release(&c->out);
	free(c->waiter.hooks);
	control_wait_forget_filters(c);
	free(c);
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

/* Find a client by id; NULL once it has gone. */
struct conn *
control_find(uint64_t id)
{
	return (conn_find(id));
}

static const struct {
	const char	*name;
	void		(*handler)(struct conn *, struct proto_frame *);
} control_commands[] = {
	{ "ack", control_wait_ack },
	{ "close", control_hooks_close },
	{ "log", timeline_log },
	{ "ls", timeline_ls },
	{ "replay", timeline_replay },
	{ "reply", control_hooks_reply },
	{ "resolve", timeline_resolve },
	{ "send", control_send_start },
	{ "show", timeline_show },
	{ "spawn", control_hooks_spawn },
	{ "status", control_hooks_status },
	{ "stop", control_hooks_stop },
	{ "tail", timeline_tail },
	{ "wait", control_wait_start },
};

/* Run one request frame. */
static void
conn_dispatch(struct conn *c, struct proto_frame *f)
{
	const char	*cmd = proto_string(f->json, "cmd");
	size_t		 i;

	if (proto_int(f->json, "v", -1) != PROTO_VERSION) {
		control_errorf(c, EXIT_UNAVAILABLE, "the running listener "
		    "speaks protocol %d; run 'fish stop' to restart it",
		    PROTO_VERSION);
		return;
	}
	for (i = 0; cmd != NULL && i < sizeof control_commands /
	    sizeof control_commands[0]; i++) {
		if (strcmp(cmd, control_commands[i].name) == 0) {
			control_commands[i].handler(c, f);
			return;
		}
	}
	control_errorf(c, EXIT_USAGE, "unknown request '%s'",
	    cmd == NULL ? "" : cmd);
}

/* Read from a connection and run every complete frame. */
static void
conn_readable(int fd, uint32_t events, void *arg)
{
	struct conn		*c = arg;
	struct proto_frame	 f;
	uint64_t		 id = c->id;
	char			*cause = NULL;
	ssize_t			 n;
	int			 ret = 0;

	if ((events & EPOLLOUT) && !c->closing) {
		conn_flush(c);
		/* Room again: a long reply sends its next part. */
		if (!c->closing && c->drained != NULL &&
		    buffer_unread(&c->out) < CONTROL_OUT_BOUND)
			c->drained(c, c->drained_arg);
	}
	if (c->closing) {
		conn_close(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	buffer_reserve(&c->in, 65536);
	n = read(fd, c->in.data + c->in.len, c->in.size - c->in.len);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in.len += (size_t)n;
	proto_frame_init(&f);
	while ((ret = proto_frame_parse(&c->in, &f, &cause)) == 1) {
		conn_dispatch(c, &f);
		proto_frame_release(&f);
		if (conn_find(id) == NULL)
			break;
	}
	if (conn_find(id) == NULL) {
		free(cause);
		conn_close(c);
		return;
	}
	if (ret == -1) {
		log_warnx("control: dropping client: %s", cause);
		free(cause);
		conn_close(c);
	}
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
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.uid != geteuid()) {
		log_warnx("control: refused a client of another user");
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->id = ++ctl->next_id;
	c->fd = cfd;
	buffer_init(&c->in);
	buffer_init(&c->out);
	TAILQ_INSERT_TAIL(&ctl->conns, c, entry);
	if (loop_add(ctl->loop, cfd, EPOLLIN, conn_readable, c) == -1) {
		log_warn("control: cannot watch client");
		conn_close(c);
	}
}

/*
 * Listen on the control socket at path.  Any old socket file there is
 * stale: the caller holds the session's pid lock.
 */
struct control *
control_start(struct loop *loop, const char *path, char **cause)
{
	struct control		*ctl;
	struct sockaddr_un	 sun;
	struct stat		 sb;
	mode_t			 mask;
	int			 fd;

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
	ctl->fd = fd;
	ctl->path = xstrdup(path);
	TAILQ_INIT(&ctl->conns);
	if (loop_add(loop, fd, EPOLLIN, control_accept, ctl) == -1)
		fatal("control: cannot watch socket");
	control_self = ctl;
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

	TAILQ_FOREACH(c, &ctl->conns, entry) {
		if (c->drained != NULL) {
			/* A log in progress is cut short. */
			conn_forget_drained(c);
			control_errorf(c, EXIT_UNAVAILABLE, "session '%s' was "
			    "stopped", listener.session.name);
		}
		if (!c->waiting)
			continue;
		waiter_remove(&c->waiter);
		c->waiting = 0;
		loop_timer_cancel(ctl->loop, c->wait_timer);
		c->wait_timer = NULL;
		control_errorf(c, EXIT_UNAVAILABLE, "session '%s' was stopped",
		    listener.session.name);
	}
}

/* Try once more to send pending output (before exit). */
void
control_flush(struct control *ctl)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &ctl->conns, entry, next)
		conn_flush(c);
}

/* Close every client and the socket, and remove the socket file. */
void
control_stop(struct control *ctl)
{
	struct conn	*c;

	if (ctl == NULL)
		return;
	while ((c = TAILQ_FIRST(&ctl->conns)) != NULL)
		conn_close(c);
	loop_remove(ctl->loop, ctl->fd);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	control_self = NULL;
}
