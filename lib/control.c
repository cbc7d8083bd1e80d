/*
 * Control connections.  Each client connection is non-blocking, with an
 * input buffer parsed into frames and an output buffer drained when the
 * socket is writable.  A peer with another uid, or one that sends a bad
 * frame, is dropped; nothing a peer sends can stop the listener.
 *
 * Replies that depend on durability (spawn, ack) are sent from the group
 * commit's callback; since the client may be gone by then, those callbacks
 * find their connection again by id rather than by pointer.
 *
 * A wait leases a message to its connection.  If the connection closes
 * before the client confirms (ack) that it wrote the message out, the lease
 * ends and the message goes back to its queue: at-least-once delivery.
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
#include "control.h"
#include "duration.h"
#include "envelope.h"
#include "filter.h"
#include "hook.h"
#include "httpc.h"
#include "httpd.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "outbound.h"
#include "loop.h"
#include "proto.h"
#include "timeline.h"
#include "xmalloc.h"

struct conn {
	uint64_t		 id;
	int			 fd;
	struct buffer		 in;
	struct buffer		 out;
	int			 waiting;	/* waiter is registered */
	struct waiter		 waiter;
	struct message		*lease;
	struct loop_timer	*wait_timer;	/* the wait's deadline */
	struct filter		*filters;	/* the wait's --where */
	size_t			 nfilters;
	int			 closing;	/* close once out is sent */
	TAILQ_ENTRY(conn)	 entry;
};

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

/* Write what we can of the output buffer; watch for writability if not all. */
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
	if (buffer_unread(&c->out) > 0)
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

/* Send a plain error reply. */
static void
conn_error(struct conn *c, int status, const char *fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));
static void
conn_error(struct conn *c, int status, const char *fmt, ...)
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

/* Queue a reply to be sent after the next sync. */
static void
conn_reply_after_sync(struct conn *c, struct json_object *reply)
{
	struct deferred_reply	*d;

	d = xcalloc(1, sizeof *d);
	d->conn_id = c->id;
	d->reply = reply;
	listener_after_sync(conn_reply_synced, d);
}

/* Free the filters of the connection's last wait. */
static void
conn_forget_filters(struct conn *c)
{
	size_t	i;

	for (i = 0; i < c->nfilters; i++)
		filter_release(&c->filters[i]);
	free(c->filters);
	c->filters = NULL;
	c->nfilters = 0;
}

/* Close a connection, returning any leased message to its queue. */
static void
conn_close(struct conn *c)
{
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
	conn_forget_filters(c);
	free(c);
}

/* Reply to "status". */
static void
cmd_status(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r;
	char			*s;

	(void)f;
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "session",
	    json_object_new_string(listener.session.name));
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	json_object_object_add(r, "url", json_object_new_string(listener.base_url));
	json_object_object_add(r, "listen", json_object_new_string(listener.listen));
	if (listener.public_url != NULL)
		json_object_object_add(r, "public_url",
		    json_object_new_string(listener.public_url));
	json_object_object_add(r, "hooks",
	    json_object_new_int64((int64_t)hook_count()));
	json_object_object_add(r, "messages",
	    json_object_new_int64((int64_t)message_count()));
	json_object_object_add(r, "queued",
	    json_object_new_int64((int64_t)message_queued()));
	json_object_object_add(r, "journal_bytes",
	    json_object_new_int64((int64_t)journal_bytes(listener.journal)));
	json_object_object_add(r, "journal_records",
	    json_object_new_int64((int64_t)journal_records(listener.journal)));
	json_object_object_add(r, "journal_segments",
	    json_object_new_int64((int64_t)journal_segments(listener.journal)));
	s = duration_format((uint64_t)listener.retain_ms);
	json_object_object_add(r, "retain", json_object_new_string(s));
	free(s);
	s = envelope_time(listener.started_at);
	json_object_object_add(r, "started_at", json_object_new_string(s));
	free(s);
	conn_reply(c, r, NULL, 0);
}

/* Reply to "spawn": create (or find, by name) a hook and give its URL. */
static void
cmd_spawn(struct conn *c, struct proto_frame *f)
{
	struct json_object	*r;
	struct hook		*h;
	const char		*name = proto_string(f->json, "name");
	char			*cause = NULL, *url;

	if ((h = hook_create(name, f->json, f->payload, f->payload_len,
	    &cause)) == NULL) {
		conn_error(c, EXIT_FAILED, "%s", cause);
		free(cause);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	url = envelope_hook_url(h);
	json_object_object_add(r, "url", json_object_new_string(url));
	json_object_object_add(r, "token", json_object_new_string(h->token));
	if (h->name != NULL)
		json_object_object_add(r, "name", json_object_new_string(h->name));
	free(url);
	conn_reply_after_sync(c, r);
}

/* A waiting connection got a message: send its envelope and body. */
static void
conn_deliver(struct waiter *w, struct message *m)
{
	struct conn		*c = w->arg;
	struct journal_record	 rec;
	struct json_object	*r;
	char			*cause;

	c->waiting = 0;
	loop_timer_cancel(control_self->loop, c->wait_timer);
	c->wait_timer = NULL;
	if (!w->peek)
		c->lease = m;
	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		/* Unreadable: leave the message taken so it cannot loop. */
		log_warnx("message %llu: %s", (unsigned long long)m->seq, cause);
		free(cause);
		conn_error(c, EXIT_FAILED, "message %llu cannot be read from "
		    "the journal", (unsigned long long)m->seq);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "message", envelope_new(rec.json, m->hook));
	conn_reply(c, r, rec.body, rec.body_len);
	journal_record_release(&rec);
}

/* Tell whether message m passes the waiting connection's filters. */
static int
conn_match(struct waiter *w, struct message *m)
{
	struct conn		*c = w->arg;
	struct journal_record	 rec;
	char			*cause;
	int			 match;

	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		free(cause);
		return (0);
	}
	match = filter_match(c->filters, c->nfilters, rec.json, rec.body,
	    rec.body_len);
	journal_record_release(&rec);
	return (match);
}

/* Parse the wait's "where" list into the connection's filters. */
static int
conn_parse_filters(struct conn *c, struct json_object *request)
{
	struct json_object	*list;
	const char		*text;
	char			*cause;
	size_t			 i, n;

	conn_forget_filters(c);
	if (!json_object_object_get_ex(request, "where", &list))
		return (0);
	n = json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	c->filters = xcalloc(n, sizeof *c->filters);
	for (i = 0; i < n; i++) {
		text = json_object_get_string(json_object_array_get_idx(list, i));
		if (text == NULL ||
		    filter_parse(text, &c->filters[i], &cause) == -1) {
			conn_error(c, EXIT_USAGE, "%s", text == NULL ?
			    "invalid filter" : cause);
			if (text != NULL)
				free(cause);
			return (-1);
		}
		c->nfilters++;
	}
	return (0);
}

/* A wait's deadline passed with nothing for it. */
static void
conn_wait_expired(void *arg)
{
	struct conn	*c = arg;

	c->wait_timer = NULL;
	if (!c->waiting)
		return;
	waiter_remove(&c->waiter);
	c->waiting = 0;
	conn_reply(c, proto_reply(EXIT_TIMEOUT, NULL), NULL, 0);
}

/*
 * Reply to "wait": lease the next message of any listed hook, or answer
 * EXIT_TIMEOUT once "timeout_ms" has passed without one.
 */
static void
cmd_wait(struct conn *c, struct proto_frame *f)
{
	struct json_object	*list;
	struct hook		*h;
	int64_t			 timeout;
	size_t			 i, n;

	if (c->waiting || c->lease != NULL) {
		conn_error(c, EXIT_USAGE, "a wait is already in progress");
		return;
	}
	if (!json_object_object_get_ex(f->json, "hooks", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) == 0) {
		conn_error(c, EXIT_USAGE, "wait needs at least one hook");
		return;
	}
	free(c->waiter.hooks);
	c->waiter.hooks = xcalloc(n, sizeof *c->waiter.hooks);
	c->waiter.nhooks = 0;
	for (i = 0; i < n; i++) {
		const char *handle = json_object_get_string(
		    json_object_array_get_idx(list, i));

		if (handle == NULL || (h = hook_find(handle)) == NULL) {
			conn_error(c, EXIT_NOT_FOUND, "no such hook '%s'",
			    handle == NULL ? "" : handle);
			return;
		}
		c->waiter.hooks[c->waiter.nhooks++] = h;
	}
	if (conn_parse_filters(c, f->json) == -1)
		return;
	c->waiter.cb = conn_deliver;
	c->waiter.match = c->nfilters > 0 ? conn_match : NULL;
	c->waiter.peek = proto_bool(f->json, "peek");
	c->waiter.arg = c;
	c->waiting = 1;
	waiter_add(&c->waiter);
	timeout = proto_int(f->json, "timeout_ms", -1);
	if (!c->waiting || timeout < 0)
		return;
	if (timeout == 0)
		conn_wait_expired(c);
	else
		c->wait_timer = loop_timer_add(control_self->loop,
		    loop_now() + timeout, conn_wait_expired, c);
}

/* Reply to "ack": the client wrote the leased message out; take it. */
static void
cmd_ack(struct conn *c, struct proto_frame *f)
{
	int64_t	seq = proto_int(f->json, "seq", -1);

	if (c->lease == NULL || seq != (int64_t)c->lease->seq) {
		conn_error(c, EXIT_USAGE, "no message %lld is being waited on",
		    (long long)seq);
		return;
	}
	message_take(c->lease);
	c->lease = NULL;
	conn_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}

/* A send finished (and is journaled): answer the client if it is there. */
static void
send_done(struct httpc_result *result, uint64_t seq, void *arg)
{
	uint64_t		*conn_id = arg;
	struct json_object	*r;
	struct conn		*c;

	if ((c = conn_find(*conn_id)) != NULL) {
		r = proto_reply(result->status, result->error);
		json_object_object_add(r, "seq",
		    json_object_new_int64((int64_t)seq));
		json_object_object_add(r, "http_status",
		    json_object_new_int((int)result->http_status));
		json_object_object_add(r, "headers",
		    json_object_get(result->headers));
		json_object_object_add(r, "time_ms",
		    json_object_new_int64(result->time_ms));
		conn_reply(c, r, buffer_peek(&result->body),
		    buffer_unread(&result->body));
	}
	free(conn_id);
}

/* Reply to "send": make the request with curl, answer when it finishes. */
static void
cmd_send(struct conn *c, struct proto_frame *f)
{
	struct httpc_request	 req;
	struct json_object	*headers = NULL;
	uint64_t		*conn_id;

	memset(&req, 0, sizeof req);
	req.method = proto_string(f->json, "method");
	req.url = proto_string(f->json, "url");
	if (req.method == NULL || req.url == NULL) {
		conn_error(c, EXIT_USAGE, "send needs a method and a URL");
		return;
	}
	if (json_object_object_get_ex(f->json, "headers", &headers) &&
	    !json_object_is_type(headers, json_type_array)) {
		conn_error(c, EXIT_USAGE, "send headers must be a list");
		return;
	}
	req.headers = headers;
	req.body = f->payload;
	req.body_len = f->payload_len;
	req.timeout_ms = proto_int(f->json, "timeout_ms", 30000);
	conn_id = xmalloc(sizeof *conn_id);
	*conn_id = c->id;
	outbound_send(&req, send_done, conn_id);
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

/* Find a client by id; NULL once it has gone. */
struct conn *
control_find(uint64_t id)
{
	return (conn_find(id));
}

/*
 * Reply to "reply": answer a request held by a --hold hook, named by its
 * "message" (a sequence number, or a hook for its oldest held request),
 * with "status", "headers" and the payload as the body.
 */
static void
cmd_reply(struct conn *c, struct proto_frame *f)
{
	struct json_object	*headers = NULL, *r;
	const char		*message = proto_string(f->json, "message");
	int64_t			 status = proto_int(f->json, "status", 200);
	uint64_t		 seq;
	char			*cause = NULL;
	int			 ret;

	if (message == NULL) {
		conn_error(c, EXIT_USAGE, "reply needs a message");
		return;
	}
	if (status < 200 || status > 599) {
		conn_error(c, EXIT_USAGE, "invalid status %lld (use 200-599)",
		    (long long)status);
		return;
	}
	if (json_object_object_get_ex(f->json, "headers", &headers) &&
	    !json_object_is_type(headers, json_type_array)) {
		conn_error(c, EXIT_USAGE, "reply headers must be a list");
		return;
	}
	ret = httpd_reply(listener.httpd, message, (unsigned int)status,
	    headers, f->payload, f->payload_len, &seq, &cause);
	if (ret != EXIT_OK) {
		conn_error(c, ret, "%s", cause);
		free(cause);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "seq", json_object_new_int64((int64_t)seq));
	conn_reply_after_sync(c, r);
}

/* Reply to "close": close a hook; later requests to it get 410 Gone. */
static void
cmd_close(struct conn *c, struct proto_frame *f)
{
	const char	*handle = proto_string(f->json, "hook");
	struct hook	*h;

	if (handle == NULL || (h = hook_find(handle)) == NULL) {
		conn_error(c, EXIT_NOT_FOUND, "no such hook '%s'",
		    handle == NULL ? "" : handle);
		return;
	}
	hook_close(h);
	conn_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}

/* Reply to "stop", then begin a graceful shutdown. */
static void
cmd_stop(struct conn *c, struct proto_frame *f)
{
	(void)f;
	conn_reply(c, proto_reply(EXIT_OK, NULL), NULL, 0);
	listener_shutdown();
}

static const struct {
	const char	*name;
	void		(*handler)(struct conn *, struct proto_frame *);
} control_commands[] = {
	{ "ack", cmd_ack },
	{ "close", cmd_close },
	{ "log", timeline_log },
	{ "ls", timeline_ls },
	{ "replay", timeline_replay },
	{ "reply", cmd_reply },
	{ "resolve", timeline_resolve },
	{ "send", cmd_send },
	{ "show", timeline_show },
	{ "spawn", cmd_spawn },
	{ "status", cmd_status },
	{ "stop", cmd_stop },
	{ "tail", timeline_tail },
	{ "wait", cmd_wait },
};

/* Run one request frame. */
static void
conn_dispatch(struct conn *c, struct proto_frame *f)
{
	const char	*cmd = proto_string(f->json, "cmd");
	size_t		 i;

	if (proto_int(f->json, "v", -1) != PROTO_VERSION) {
		conn_error(c, EXIT_UNAVAILABLE, "the running listener speaks "
		    "protocol %d; run 'fish stop' to restart it", PROTO_VERSION);
		return;
	}
	for (i = 0; cmd != NULL && i < sizeof control_commands /
	    sizeof control_commands[0]; i++) {
		if (strcmp(cmd, control_commands[i].name) == 0) {
			control_commands[i].handler(c, f);
			return;
		}
	}
	conn_error(c, EXIT_USAGE, "unknown request '%s'", cmd == NULL ? "" : cmd);
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

	if ((events & EPOLLOUT) && !c->closing)
		conn_flush(c);
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
		if (!c->waiting)
			continue;
		waiter_remove(&c->waiter);
		c->waiting = 0;
		loop_timer_cancel(ctl->loop, c->wait_timer);
		c->wait_timer = NULL;
		conn_error(c, EXIT_UNAVAILABLE, "session '%s' was stopped",
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
