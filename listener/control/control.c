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
 * timeline.c; they reply through control_reply and control_errorf.  Each
 * handler checks every field it reads (proto_get_*) and answers a bad one
 * with EXIT_USAGE: a wrong request is answered, never a crash.
 *
 * What a client can make the listener hold is bounded.  Input is read in
 * chunks of CONTROL_IN_CHUNK; a frame larger than that (a send or spawn
 * body, up to PROTO_PAYLOAD_MAX) is read only once room for all of it is
 * granted from CONTROL_IN_MAX, shared by every connection: a connection
 * that does not fit is not read from (starved) until room frees, and a
 * frame must then be complete within its deadline, so that neither idle
 * nor trickling clients hold memory for ever, and a granted frame always
 * completes or goes, which frees room for the next.  At most
 * CONTROL_CONNS_MAX clients are connected at a time.  Out of file
 * descriptors, accepting pauses for CONTROL_ACCEPT_BACKOFF_MS (or until a
 * client leaves) instead of spinning, and such complaints are logged at
 * most once a window.
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
#include "proto.h"
#include "control-timeline.h"
#include "store.h"
#include "xmalloc.h"

/* A frame larger than this needs room granted from CONTROL_IN_MAX. */
#define CONTROL_IN_CHUNK		(16U << 10)
/* Room for frames being read, all clients together. */
#define CONTROL_IN_MAX			(96U << 20)
#define CONTROL_CONNS_MAX		1024
/* Output a client may leave unread before it is cut. */
#define CONTROL_OUT_MAX			(256U << 20)
/* How long a frame may take to arrive once it has room. */
#define CONTROL_FRAME_TIMEOUT_MS	10000
#define CONTROL_ACCEPT_BACKOFF_MS	250
#define CONTROL_LOG_WINDOW_MS		60000

/* Log lines of one kind: at most burst per window, the rest counted. */
struct control_log {
	const char	*what;		/* "errors", to say what was not logged */
	unsigned int	 burst;
	unsigned int	 lines;
	int64_t		 window;	/* when the window began; 0 for none */
	uint64_t	 dropped;
};

struct control {
	struct loop		*loop;
	struct store		*store;
	struct outbound		*outbound;
	int			 fd;
	char			*path;
	uint64_t		 next_id;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	size_t			 in_granted;	/* sum of the conns' grants */
	TAILQ_HEAD(, conn)	 starved;	/* waiting for room, oldest first */
	int64_t			 frame_timeout_ms;
	int			 accept_paused;
	struct loop_timer	*accept_timer;
	struct control_log	 accept_log;	/* accept errors */
	struct control_log	 drop_log;	/* clients dropped */
};

struct deferred_reply {
	uint64_t		 conn_id;
	struct json_object	*reply;
};

static struct control	*control_self;

static void	conn_close(struct conn *);
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
static void __attribute__((__format__(__printf__, 1, 2)))
control_log_drop(const char *fmt, ...)
{
	va_list	 ap;
	char	*text;

	if (!control_log_pass(&control_self->drop_log))
		return;
	va_start(ap, fmt);
	xvasprintf(&text, fmt, ap);
	va_end(ap);
	log_warnx("control: dropping client: %s", text);
	free(text);
}

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
 * Return the events to watch on c: input unless it is starved of room,
 * output while some waits or a long reply has more to send.
 */
static uint32_t
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
	loop_modify(control_self->loop, c->fd, conn_events(c));
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
		control_log_drop("it has left %zu MiB unread",
		    buffer_unread(&c->out) >> 20);
		json_object_put(reply);
		buffer_release(&c->out);
		c->closing = 1;
		shutdown(c->fd, SHUT_RDWR);
		return;
	}
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
	store_after_sync(c->control->store, conn_reply_synced, d);
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

/*
 * Return the input c must be able to hold to complete its current frame:
 * all of it once its header is in (parsing has checked its lengths), else
 * a chunk.
 */
static size_t
conn_in_need(const struct conn *c)
{
	const char	*p = buffer_peek(&c->in);
	size_t		 need;

	if (buffer_unread(&c->in) < PROTO_HEADER_LEN)
		return (CONTROL_IN_CHUNK);
	need = PROTO_HEADER_LEN + (size_t)get_u32(p) + (size_t)get_u32(p + 4);
	return (need > CONTROL_IN_CHUNK ? need : CONTROL_IN_CHUNK);
}

/* Reserve room for c to hold need bytes; return 0 if there is none. */
static int
conn_in_grant(struct conn *c, size_t need)
{
	struct control	*ctl = control_self;

	if (need <= c->in_granted)
		return (1);
	if (ctl->in_granted - c->in_granted + need > CONTROL_IN_MAX)
		return (0);
	ctl->in_granted += need - c->in_granted;
	c->in_granted = need;
	return (1);
}

/* A partial frame took too long to arrive: drop its client. */
static void
conn_frame_expired(void *arg)
{
	struct conn	*c = arg;

	c->frame_timer = NULL;
	control_log_drop("a frame was not complete after %lld ms",
	    (long long)control_self->frame_timeout_ms);
	conn_close(c);
}

/* Give c's partial frame its deadline, unless it has one. */
static void
conn_frame_deadline(struct conn *c)
{
	if (c->frame_timer == NULL)
		c->frame_timer = loop_timer_add(control_self->loop,
		    loop_now() + control_self->frame_timeout_ms,
		    conn_frame_expired, c);
}

/* Give every starved connection that now fits its room, oldest first. */
static void
control_feed_starved(struct control *ctl)
{
	struct conn	*c, *next;

	TAILQ_FOREACH_SAFE(c, &ctl->starved, starved_entry, next) {
		if (!conn_in_grant(c, conn_in_need(c)))
			continue;
		TAILQ_REMOVE(&ctl->starved, c, starved_entry);
		c->starved = 0;
		conn_frame_deadline(c);
		loop_modify(ctl->loop, c->fd, conn_events(c));
	}
}

/*
 * Stop reading from c until its frame fits.  It keeps what it has read
 * (less than a chunk), and has no deadline meanwhile: it is we who wait.
 */
static void
conn_starve(struct conn *c)
{
	c->starved = 1;
	TAILQ_INSERT_TAIL(&control_self->starved, c, starved_entry);
	loop_timer_cancel(control_self->loop, c->frame_timer);
	c->frame_timer = NULL;
	loop_modify(control_self->loop, c->fd, conn_events(c));
}

/* Give back c's input: its buffer, its room and its deadline. */
static void
conn_in_release(struct conn *c)
{
	struct control	*ctl = control_self;

	buffer_release(&c->in);
	loop_timer_cancel(ctl->loop, c->frame_timer);
	c->frame_timer = NULL;
	if (c->starved) {
		TAILQ_REMOVE(&ctl->starved, c, starved_entry);
		c->starved = 0;
	}
	if (c->in_granted > 0) {
		ctl->in_granted -= c->in_granted;
		c->in_granted = 0;
		control_feed_starved(ctl);
	}
}

/* Close a connection, returning any leased message to its queue. */
static void
conn_close(struct conn *c)
{
	conn_forget_drained(c);
	if (c->waiting) {
		store_unwait(c->control->store, &c->waiter);
		c->waiting = 0;
	}
	loop_timer_cancel(control_self->loop, c->wait_timer);
	c->wait_timer = NULL;
	if (c->lease != NULL) {
		store_release(c->control->store, c->lease);
		c->lease = NULL;
	}
	loop_remove(control_self->loop, c->fd);
	close(c->fd);
	TAILQ_REMOVE(&control_self->conns, c, entry);
	control_self->nconns--;
	conn_in_release(c);
	buffer_release(&c->out);
	free(c->waiter.hooks);
	control_wait_forget_filters(c);
	free(c);
	/* A descriptor and a place are free: accept again. */
	if (control_self->accept_paused)
		control_accept_resume(control_self);
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

static const struct {
	const char	*name;
	void		(*handler)(struct conn *, struct proto_frame *);
	int		 payload;	/* takes a payload (a body) */
} control_commands[] = {
	{ "ack", control_wait_ack, 0 },
	{ "close", control_hooks_close, 0 },
	{ "log", timeline_log, 0 },
	{ "ls", timeline_ls, 0 },
	{ "replay", timeline_replay, 0 },
	{ "reply", control_hooks_reply, 1 },
	{ "resolve", timeline_resolve, 0 },
	{ "send", control_send_start, 1 },
	{ "show", timeline_show, 0 },
	{ "spawn", control_hooks_spawn, 1 },
	{ "status", control_hooks_status, 0 },
	{ "stop", control_hooks_stop, 0 },
	{ "tail", timeline_tail, 0 },
	{ "wait", control_wait_start, 0 },
};

/* Run one request frame. */
static void
conn_dispatch(struct conn *c, struct proto_frame *f)
{
	const char	*cmd = NULL;
	int64_t		 version;
	size_t		 i;

	if (proto_get_int(f->json, "v", INT64_MIN, INT64_MAX, &version) !=
	    PROTO_VALID) {
		control_error(c, EXIT_USAGE, "invalid v in request");
		return;
	}
	if (version != PROTO_VERSION) {
		control_errorf(c, EXIT_UNAVAILABLE, "the running listener "
		    "speaks protocol %d; run '" FISH_NAME " stop' to restart it",
		    PROTO_VERSION);
		return;
	}
	if (proto_get_string(f->json, "cmd", 1, 32, &cmd) != PROTO_VALID) {
		control_error(c, EXIT_USAGE, "invalid cmd in request");
		return;
	}
	for (i = 0; i < sizeof control_commands /
	    sizeof control_commands[0]; i++) {
		if (strcmp(cmd, control_commands[i].name) != 0)
			continue;
		if (f->payload_len > 0 && !control_commands[i].payload) {
			control_errorf(c, EXIT_USAGE, "%s request takes no "
			    "payload", cmd);
			return;
		}
		control_commands[i].handler(c, f);
		return;
	}
	control_errorf(c, EXIT_USAGE, "unknown request '%s'", cmd);
}

/*
 * Read what fits of c's current frame: a chunk, or, once a larger frame's
 * header is in, the rest of that frame if room for it is granted (else c
 * is starved until there is).  Return the bytes read, 0 when c is not to
 * be read now, or -1 when the client has gone.
 */
static ssize_t
conn_read(struct conn *c)
{
	size_t	need = conn_in_need(c), room;
	ssize_t	n;

	if (need > CONTROL_IN_CHUNK && !conn_in_grant(c, need)) {
		conn_starve(c);
		return (0);
	}
	/* Parsing has taken every whole frame, so there is room left. */
	room = need - buffer_unread(&c->in);
	buffer_reserve(&c->in, room);
	n = read(c->fd, c->in.data + c->in.len, room);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n <= 0)
		return (-1);
	c->in.len += (size_t)n;
	return (n);
}

/*
 * After parsing: an empty input gives back its buffer and room; a partial
 * frame must be complete by its deadline, counted from when it began or
 * from the last whole frame.
 */
static void
conn_in_settle(struct conn *c, int progress)
{
	if (buffer_unread(&c->in) == 0) {
		conn_in_release(c);
		return;
	}
	if (progress) {
		loop_timer_cancel(control_self->loop, c->frame_timer);
		c->frame_timer = NULL;
	}
	conn_frame_deadline(c);
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
	int			 ret = 0, progress = 0;

	(void)fd;
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
	/* A starved client that hangs up can never finish its frame. */
	if (c->starved) {
		if (events & (EPOLLHUP | EPOLLERR))
			conn_close(c);
		return;
	}
	if ((n = conn_read(c)) == -1) {
		conn_close(c);
		return;
	}
	if (n == 0)
		return;
	proto_frame_init(&f);
	while ((ret = proto_frame_parse(&c->in, &f, &cause)) == 1) {
		progress = 1;
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
		control_log_drop("%s", cause);
		free(cause);
		conn_close(c);
		return;
	}
	conn_in_settle(c, progress);
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
		control_log_drop("it runs as another user");
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
	if (ctl->nconns >= CONTROL_CONNS_MAX) {
		if (control_log_pass(&ctl->accept_log))
			log_warnx("control: %d clients connected; accepting "
			    "more when one leaves", CONTROL_CONNS_MAX);
		control_accept_pause(ctl, -1);
	}
}

/*
 * Listen on the control socket at path, for requests about the hooks and
 * messages of store, and to send requests through outbound.  Any old
 * socket file there is stale: the caller holds the session's pid lock.
 */
struct control *
control_start(struct loop *loop, struct store *store,
    struct outbound *outbound, const char *path, char **cause)
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

	TAILQ_FOREACH(c, &ctl->conns, entry) {
		if (c->drained != NULL) {
			/* A log in progress is cut short. */
			conn_forget_drained(c);
			control_errorf(c, EXIT_UNAVAILABLE, "session '%s' was "
			    "stopped", listener.session.name);
		}
		if (!c->waiting)
			continue;
		store_unwait(ctl->store, &c->waiter);
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
	loop_timer_cancel(ctl->loop, ctl->accept_timer);
	loop_remove(ctl->loop, ctl->fd);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
	control_self = NULL;
}
