/*
 * HTTP in.  Every request to /TOKEN[/sub/path][?query] of an open hook is
 * recorded and answered, but only once its record is durable: the
 * finished request is journaled, its connection suspended, and resumed by
 * the group commit (store_after_sync) that made it durable.  Unknown
 * tokens (and every other path) get 404, closed hooks 410.
 *
 * Strangers on the internet talk to us, so every bad request gets a short
 * fixed answer that echoes nothing of it, and no client can hold more than
 * its share (the limits given to httpd_start): bodies over --max-body get
 * 413, as soon as
 * Content-Length says so or a chunked body passes it; bodies that would
 * take the memory held by all bodies being received past --max-inflight
 * get 503 with Retry-After (see request_body_add); MHD answers headers that
 * do not fit its per-connection memory (--max-header) with 431, and a
 * request line that takes more than half of it gets 414 (see
 * httpd_uri_logger); a header field that is not "name: value" as RFC 9112
 * has it (see httpd_check_field), a request with both Content-Length and
 * chunked encoding, two Content-Lengths, or an encoding other than chunked
 * gets 400, since proxies disagree on what such a body is; MHD caps
 * connections in total and per address.  And each connection has a
 * deadline (see httpd_sweep) that only a client can miss, and idle ones
 * make room for new ones near the cap (see httpd_make_room).
 *
 * Once durable, a request is answered as its hook says (answer.c): with
 * the hook's status, headers and body; with the value a handshake asks to
 * have echoed; with the answer of the local app it is forwarded to
 * (forward.c); or, for a --hold hook, not yet (hold.c).  The request's
 * state (request.h) is shared with those two.
 *
 * A hook spawned with --verify checks each complete request's signature
 * over the headers and body bytes exactly as received.  A request that
 * fails is journaled as rejected, as a bounded head with the reason and
 * without its body (reject.c), queued for no wait, and answered 401 once
 * durable; none of the hook's answer settings apply.  Past a rate cap it
 * is answered 401 at once and only counted.
 *
 * libmicrohttpd runs in external-epoll mode: its epoll fd sits in our loop,
 * and MHD_run is called when it is readable, after resumes, and on MHD's
 * own timeout.  Per-request state is freed only in the completion callback.
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "buffer.h"
#include "compat.h"
#include "clock.h"
#include "forward.h"
#include "hold.h"
#include "hook.h"
#include "httpd.h"
#include "log.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "reject.h"
#include "request.h"
#include "signature.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

/*
 * A connection, from MHD's NOTIFY_CONNECTION: when its client must have
 * sent the whole of its next request, or read the whole answer; and
 * whether it is idle, with no request under way (nothing sent yet, or
 * between keep-alive requests).
 */
struct httpd_conn {
	struct MHD_Connection	*connection;
	int64_t			 deadline;	/* loop_now() ms; 0: our turn */
	int			 idle;		/* on the idle list */
	int64_t			 idle_since;	/* loop_now() ms */
	int			 cut;		/* shut down, not yet closed */
	TAILQ_ENTRY(httpd_conn)	 entry;
	TAILQ_ENTRY(httpd_conn)	 idle_entry;	/* idle the longest first */
};

struct httpd {
	struct MHD_Daemon	*daemon;
	struct loop		*loop;
	struct store		*store;
	struct limits		 limits;	/* on hooks' requests */
	struct hold		*hold;		/* requests to --hold hooks */
	struct forward		*forward;	/* to --forward-to hooks */
	struct reject		*reject;	/* the caps on rejected ones */
	int			 stopping;	/* answer new requests 503 */
	int			 epoll_fd;
	TAILQ_HEAD(, httpd_conn) conns;
	TAILQ_HEAD(, httpd_conn) idle;
	size_t			 open;		/* connections not cut */
	unsigned int		 conn_limit;	/* MHD's connection limit */
	struct loop_timer	*sweep;		/* at the earliest deadline */
	struct loop_timer	*room;		/* see httpd_make_room */
	struct requests		 requests;	/* and their bodies' memory */
	uint64_t		 progress;	/* callbacks MHD has made */
	uint64_t		 progress_seen;	/* progress at the last prepare */
	int64_t			 log_window;	/* see httpd_log */
	unsigned int		 logged;
	uint64_t		 log_dropped;
};

/* How much of MHD's error messages to log (see httpd_log). */
#define HTTPD_LOG_BURST		20
#define HTTPD_LOG_WINDOW_MS	60000

/*
 * What MHD 0.9.75 takes of a connection's memory (--max-header) to index
 * one query parameter: a 56-byte record, aligned to 16 (see
 * httpd_uri_logger).
 */
#define HTTPD_PARAMETER_COST	64

/*
 * How long a connection may idle before it may be cut to make room, and
 * how many of the oldest with unread bytes to pass over (httpd_make_room).
 */
#define HTTPD_IDLE_GRACE_MS	500
#define HTTPD_ROOM_SCAN		16

/* The characters of a token (RFC 9110, 5.6.2): methods, field names. */
#define HTTPD_TCHARS		"!#$%&'*+-.^_`|~0123456789" \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* The answer to a request that failed its hook's signature check. */
#define HTTPD_REJECTED_TEXT	"signature check failed\n"

/* Return our state of an MHD connection. */
static struct httpd_conn *
httpd_conn_of(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo	*info;

	info = MHD_get_connection_info(connection,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return (info == NULL ? NULL : info->socket_context);
}

static void	httpd_sweep(void *);
static void	httpd_room(void *);

/*
 * Put a connection on the idle list (at its end: idle the shortest) or
 * take it off.  A connection that was cut stays off.
 */
static void
httpd_set_idle(struct httpd *h, struct httpd_conn *conn, int idle)
{
	if (idle && !conn->idle && !conn->cut) {
		TAILQ_INSERT_TAIL(&h->idle, conn, idle_entry);
		conn->idle_since = loop_now();
	} else if (!idle && conn->idle)
		TAILQ_REMOVE(&h->idle, conn, idle_entry);
	else
		return;
	conn->idle = idle;
}

/*
 * Cut a connection: shutdown(2) makes the socket readable at EOF; MHD
 * notices, closes the connection and calls httpd_completed and
 * httpd_notify itself.
 */
static void
httpd_cut(struct httpd *h, struct httpd_conn *conn)
{
	const union MHD_ConnectionInfo	*info;

	conn->deadline = 0;
	if (conn->cut)
		return;
	httpd_set_idle(h, conn, 0);
	conn->cut = 1;
	h->open--;
	info = MHD_get_connection_info(conn->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info != NULL)
		shutdown(info->connect_fd, SHUT_RDWR);
}

/* Tell whether bytes wait unread on a connection's socket. */
static int
httpd_pending(struct httpd_conn *conn)
{
	const union MHD_ConnectionInfo	*info;
	int				 n;

	info = MHD_get_connection_info(conn->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	return (info != NULL && ioctl(info->connect_fd, FIONREAD, &n) == 0 &&
	    n > 0);
}

/*
 * Keep room for new connections near MHD's connection limit, by cutting
 * the connections idle the longest.  At the limit MHD accepts nothing, and
 * new connections (a real callback's among them) would wait in the
 * kernel's queue until idle ones time out: 600 connections that send
 * nothing held callbacks up for the whole idle timeout.  So, as nginx
 * reuses idle keep-alive connections, the listener keeps an eighth of the
 * limit free by cutting connections that do nothing, oldest first; it
 * looks again whenever a connection comes or becomes idle, and when the
 * next one would be old enough.
 *
 * Idle means no whole request line yet, or between keep-alive requests.
 * But a connection is not cut in its first HTTPD_IDLE_GRACE_MS of idling
 * (a client may connect, or get an answer, a moment before it sends), nor
 * when bytes wait unread on it (MHD accepts a burst of connections before
 * it reads any).  Requests under way are never cut here.
 */
static void
httpd_make_room(struct httpd *h)
{
	struct httpd_conn	*conn, *next;
	int64_t			 now = loop_now(), when = 0;
	int			 scanned = 0;

	conn = TAILQ_FIRST(&h->idle);
	while (h->open >= h->conn_limit - h->conn_limit / 8 && conn != NULL) {
		next = TAILQ_NEXT(conn, idle_entry);
		if (conn->idle_since + HTTPD_IDLE_GRACE_MS > now) {
			/* The rest are younger still. */
			when = conn->idle_since + HTTPD_IDLE_GRACE_MS;
			break;
		}
		if (!httpd_pending(conn))
			httpd_cut(h, conn);
		else if (++scanned == HTTPD_ROOM_SCAN) {
			when = now + HTTPD_IDLE_GRACE_MS / 8;
			break;
		}
		conn = next;
	}
	if (when != 0 && h->room == NULL)
		h->room = loop_timer_add(h->loop, when, httpd_room, h);
}

/* The next idle connection is old enough to be cut, if room is needed. */
static void
httpd_room(void *arg)
{
	struct httpd	*h = arg;

	h->room = NULL;
	httpd_make_room(h);
}

/*
 * Give a connection's client the idle timeout from now to do its part:
 * send the next request, or read an answer (arg: the httpd).
 */
static void
httpd_client_turn(struct MHD_Connection *connection, void *arg)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);
	struct httpd		*h = arg;

	if (conn == NULL)
		return;
	conn->deadline = loop_now() + (int64_t)h->limits.idle_timeout_ms;
	/* Deadlines only grow: a sweep already planned comes sooner. */
	if (h->sweep == NULL)
		h->sweep = loop_timer_add(h->loop, conn->deadline, httpd_sweep,
		    h);
}

/* The request is ours to answer (durable, held, forwarded): no deadline. */
static void
httpd_server_turn(struct MHD_Connection *connection)
{
	struct httpd_conn	*conn = httpd_conn_of(connection);

	if (conn != NULL)
		conn->deadline = 0;
}

/*
 * Cut every connection whose client missed its deadline, and plan the next
 * sweep.  MHD's own timeout is not enough: every byte a client trickles
 * resets it, so a slowloris could hold a connection for ever.
 */
static void
httpd_sweep(void *arg)
{
	struct httpd			*h = arg;
	struct httpd_conn		*conn;
	int64_t				 now = loop_now(), next = 0;

	h->sweep = NULL;
	TAILQ_FOREACH(conn, &h->conns, entry) {
		if (conn->deadline == 0)
			continue;
		if (conn->deadline > now) {
			if (next == 0 || conn->deadline < next)
				next = conn->deadline;
			continue;
		}
		httpd_cut(h, conn);
	}
	if (next != 0)
		h->sweep = loop_timer_add(h->loop, next, httpd_sweep, h);
}

/*
 * MHD's connection notifier: track each connection for its deadline and
 * while it is idle.
 */
static void
httpd_notify(void *arg, struct MHD_Connection *connection,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct httpd		*h = arg;
	struct httpd_conn	*conn;

	switch (code) {
	case MHD_CONNECTION_NOTIFY_STARTED:
		conn = xcalloc(1, sizeof *conn);
		conn->connection = connection;
		TAILQ_INSERT_TAIL(&h->conns, conn, entry);
		h->open++;
		httpd_set_idle(h, conn, 1);
		*socket_context = conn;
		httpd_client_turn(connection, h);
		httpd_make_room(h);
		break;
	case MHD_CONNECTION_NOTIFY_CLOSED:
		if ((conn = *socket_context) == NULL)
			break;
		httpd_set_idle(h, conn, 0);
		if (!conn->cut)
			h->open--;
		TAILQ_REMOVE(&h->conns, conn, entry);
		free(conn);
		*socket_context = NULL;
		break;
	}
}

/*
 * Queue a short plain-text answer, with a Retry-After of retry_after
 * seconds unless it is 0.
 */
static enum MHD_Result
httpd_answer_retry(struct MHD_Connection *connection, unsigned int status,
    const char *text, unsigned int retry_after)
{
	struct MHD_Response	*response;
	enum MHD_Result		 ret;
	char			 seconds[16];

	response = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return (MHD_NO);
	if (*text != '\0')
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
	if (retry_after != 0) {
		snprintf(seconds, sizeof seconds, "%u", retry_after);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER,
		    seconds);
	}
	ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return (ret);
}

/* Queue a short plain-text answer. */
static enum MHD_Result
httpd_answer(struct MHD_Connection *connection, unsigned int status,
    const char *text)
{
	return (httpd_answer_retry(connection, status, text, 0));
}

/*
 * Answer 503 to a request whose body does not fit in --max-inflight now.
 * Bodies in flight are journaled or cut within the idle timeout: that is
 * when to retry.
 */
static enum MHD_Result
httpd_answer_busy(struct httpd *h, struct MHD_Connection *connection)
{
	return (httpd_answer_retry(connection, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "too many bodies in flight, retry later\n",
	    (unsigned int)((h->limits.idle_timeout_ms + 999) / 1000)));
}

/*
 * Tell whether a request line's URI is too long: whether it, with what
 * MHD will take to index each query parameter, passes half of
 * --max-header (the other half is for the headers).
 */
static int
httpd_uri_too_long(struct httpd *h, const char *uri)
{
	const char	*p = strchr(uri, '?');
	uint64_t	 cost = strlen(uri);

	for (; p != NULL; p = strchr(p + 1, '&'))
		cost += HTTPD_PARAMETER_COST;
	return (cost > h->limits.max_header / 2);
}

/*
 * Remember the request line's URI, query included (MHD strips it later);
 * the connection has a request under way.
 *
 * MHD 0.9.75 calls us with the whole line read, then indexes each query
 * parameter in the connection's memory.  When that runs out (1,000
 * parameters take 64 KiB) it queues 431 but goes on parsing as if nothing
 * had happened, and drops the connection unanswered.  So a URI too long
 * for half of --max-header, counting its parameters, gets 414 (see
 * httpd_access), and MHD must not index its query: the URI it lends us
 * (const, but in its own writable read buffer) is cut after its "?", from
 * where MHD parses the query.  Our copy is whole.
 */
static void *
httpd_uri_logger(void *arg, const char *uri, struct MHD_Connection *connection)
{
	struct httpd		*h = arg;
	struct httpd_conn	*conn = httpd_conn_of(connection);
	struct request		*r;
	const char		*query;

	h->progress++;
	if (conn != NULL)
		httpd_set_idle(h, conn, 0);
	r = request_new(&h->requests, connection, uri);
	if (httpd_uri_too_long(h, uri)) {
		r->too_long = 1;
		if ((query = strchr(uri, '?')) != NULL)
			((char *)(uintptr_t)uri)[query - uri + 1] = '\0';
	}
	return (r);
}

/*
 * Find the hook named by the first path segment of the URI, which must be
 * a token exactly as we print it: no percent-encoding, no other form of
 * request target ("*", "http://..."), nothing else reaches a hook.  The
 * lookup itself does not tell by its timing how close a guess came (see
 * hook_find_token).
 */
static struct hook *
httpd_find_hook(struct httpd *h, const char *uri)
{
	size_t	len;

	if (*uri != '/')
		return (NULL);
	uri++;
	len = strcspn(uri, "/?#");
	if (len != TOKEN_LEN)
		return (NULL);
	return (store_find_token(h->store, uri, len));
}

/*
 * Tell whether a path has a dot segment ("." or "..", also written with
 * %2e).  Nothing of ours maps paths to files, but a proxy or an app that
 * the request is forwarded to might, and no webhook sender needs them.
 */
static int
httpd_has_dot_segment(const char *path)
{
	size_t	len, dots, i;

	while (*path == '/') {
		path++;
		len = strcspn(path, "/?#");
		for (i = dots = 0; i < len; dots++) {
			if (path[i] == '.')
				i++;
			else if (path[i] == '%' && path[i + 1] == '2' &&
			    (path[i + 2] == 'e' || path[i + 2] == 'E'))
				i += 3;
			else
				break;
		}
		if (i == len && (dots == 1 || dots == 2))
			return (1);
		path += len;
	}
	return (0);
}

/*
 * Tell whether a request line is clean: the method a token (RFC 9110),
 * the target free of control characters.  MHD 0.9.75 takes both as they
 * come, and what a hook records ends up on its user's terminal.
 */
static int
httpd_request_line_clean(const char *method, const char *uri)
{
	const unsigned char	*p;

	if (*method == '\0' || strspn(method, HTTPD_TCHARS) != strlen(method))
		return (0);
	for (p = (const unsigned char *)uri; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f)
			return (0);
	}
	return (1);
}

/* Describe the peer as ADDRESS:PORT. */
static char *
httpd_remote(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo	*info;
	const struct sockaddr		*sa;
	char				 host[NI_MAXHOST], port[NI_MAXSERV];
	char				*s;

	info = MHD_get_connection_info(connection,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL)
		return (xstrdup(""));
	sa = info->client_addr;
	if (getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
	    sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return (xstrdup(""));
	if (sa->sa_family == AF_INET6)
		xasprintf(&s, "[%s]:%s", host, port);
	else
		xasprintf(&s, "%s:%s", host, port);
	return (s);
}

/*
 * Check the signature of a complete request to a verifying hook.  Return 1
 * when it is good; 0 with *reason (caller frees) when it is not.
 */
static int
httpd_verify(const struct hook *h, struct json_object *headers,
    const void *body, size_t len, char **reason)
{
	*reason = NULL;
	if (h->sigspec == NULL) {
		*reason = xstrdup("secret missing");
		return (0);
	}
	if (signature_verify(h->sigspec, headers, body, len,
	    clock_wall_ms() / 1000, h->tolerance_ms / 1000, reason) == 1)
		return (1);
	if (*reason == NULL)
		*reason = xstrdup("bad signature");
	return (0);
}

/* What became of a complete request (httpd_record). */
enum httpd_outcome {
	HTTPD_RECORDED,		/* journaled, to be queued */
	HTTPD_REJECTED,		/* failed its check, head journaled */
	HTTPD_UNRECORDED,	/* failed its check, over the rate cap */
};

/*
 * Journal a complete request as a message of its hook, with the outcome of
 * its signature check if the hook verifies: of a request that fails it,
 * only a bounded head, and only within the rate cap (see reject.c).
 */
static enum httpd_outcome
httpd_record(struct httpd *h, struct request *r, const char *method,
    const char *rest)
{
	struct json_object	*o, *headers;
	const void		*body = buffer_peek(&r->body);
	size_t			 pathlen, len = buffer_unread(&r->body);
	char			*remote, *reason;
	enum httpd_outcome	 outcome = HTTPD_RECORDED;

	pathlen = strcspn(rest, "?#");
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(method));
	if (pathlen == 0)
		json_object_object_add(o, "path", json_object_new_string("/"));
	else
		json_object_object_add(o, "path",
		    json_object_new_string_len(rest, (int)pathlen));
	if (rest[pathlen] == '?')
		json_object_object_add(o, "query",
		    json_object_new_string_len(rest + pathlen + 1,
		    (int)strcspn(rest + pathlen + 1, "#")));
	else
		json_object_object_add(o, "query", json_object_new_string(""));
	headers = answer_request_headers(r->connection);
	json_object_object_add(o, "headers", headers);
	remote = httpd_remote(r->connection);
	json_object_object_add(o, "remote", json_object_new_string(remote));
	free(remote);
	json_object_object_add(o, "received_at",
	    json_object_new_int64(clock_wall_ms()));
	if (r->hook->verify != NULL) {
		if (httpd_verify(r->hook, headers, body, len, &reason))
			json_object_object_add(o, "verified",
			    json_object_new_boolean(1));
		else {
			json_object_object_add(o, "verified",
			    json_object_new_boolean(0));
			json_object_object_add(o, "rejected",
			    json_object_new_string(reason));
			free(reason);
			outcome = reject_admit(h->reject, r->hook) ?
			    HTTPD_REJECTED :
			    HTTPD_UNRECORDED;
		}
	}
	if (outcome == HTTPD_REJECTED) {
		reject_head(o, body, len);
		len = 0;
	}
	if (outcome != HTTPD_UNRECORDED) {
		r->message = store_receive(h->store, r->hook, o, body,
		    len);
		r->seq = r->message->seq;
	}
	json_object_put(o);
	return (outcome);
}

/* Return the status a hook answers with. */
static unsigned int
httpd_hook_status(const struct hook *h)
{
	return (h->status == 0 ? MHD_HTTP_OK : (unsigned int)h->status);
}

/*
 * The request's record is durable: queue the message (now wait can see
 * it), then answer, hold or forward the request.
 */
static void
httpd_durable(void *arg)
{
	struct request	*r = arg;
	struct httpd	*h = r->requests->arg;
	struct hook	*hook = r->hook;
	const char	*text = "shutting down\n";

	store_ready(h->store, r->message);
	r->message = NULL;
	if (r->echo != NULL)
		request_respond(r, httpd_hook_status(hook),
		    answer_text(hook->headers, r->echo), 0);
	else if (h->stopping && (hook->hold || hook->forward_to != NULL))
		request_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	else if (hook->forward_to != NULL)
		forward_start(h->forward, r);
	else if (hook->hold)
		hold_add(h->hold, r);
	else
		request_respond(r, httpd_hook_status(hook),
		    answer_new(hook->headers, hook->body, hook->body_len), 0);
	request_body_release(r);
}

/*
 * The record of a request that failed its signature check is durable: it
 * joins the timeline, and the sender gets 401 with a fixed text that
 * repeats nothing of the request.
 */
static void
httpd_rejected(void *arg)
{
	struct request	*r = arg;

	store_reject(r->requests->store, r->message);
	r->message = NULL;
	request_respond(r, MHD_HTTP_UNAUTHORIZED,
	    answer_text(NULL, HTTPD_REJECTED_TEXT), 0);
	request_body_release(r);
}

/* What a request's headers say about its body's length, and their form. */
struct httpd_framing {
	unsigned int	lengths;	/* Content-Length headers */
	unsigned int	encodings;	/* Transfer-Encoding headers */
	int		not_chunked;	/* an encoding other than chunked */
	int		too_large;	/* a Content-Length over the cap */
	uint64_t	length;		/* the (last) Content-Length */
	int		malformed;	/* a field not "name: value" */
	uint64_t	cap;		/* on a body's length */
};

/*
 * Tell whether a header field is well-formed (RFC 9112, 5), from what MHD
 * 0.9.75 makes of its line.  MHD keeps all that comes before the colon as
 * the name, so "Content-Length : 5" arrives as a field named
 * "Content-Length " (which MHD, seeing no Content-Length, does not take
 * as the body's length: the body would be read as the next request).  And
 * it joins an obs-fold continuation line, without its leading whitespace,
 * to the *name* of the field before it, in a copy made elsewhere in its
 * memory: "Transfer-Encoding:\r\n chunked" arrives as a field
 * "Transfer-Encodingchunked" with an empty value, and a fold of blanks
 * only leaves the name as it was.  The one mark a fold always leaves is
 * that move: the value of a field read from one line follows its name in
 * that line, after the NUL MHD wrote over the colon and optional
 * whitespace.  So a field name must be a token, its value must follow it
 * so, and it must hold no CR.
 */
static int
httpd_field_valid(const char *key, size_t key_size, const char *value,
    size_t value_size)
{
	uintptr_t	gap = (uintptr_t)key + key_size + 1;
	const char	*p;

	if (key_size == 0 || strspn(key, HTTPD_TCHARS) != key_size)
		return (0);
	/* Folded: the name was moved after its value. */
	if ((uintptr_t)value < gap)
		return (0);
	for (p = key + key_size + 1; p < value; p++) {
		if (*p != ' ' && *p != '\t')
			return (0);
	}
	return (memchr(value, '\r', value_size) == NULL);
}

/*
 * Check a header field's form, and note a Content-Length or
 * Transfer-Encoding header (arg: the framing).  A length that is not a
 * plain number counts as too large, as one past the cap does.
 */
static enum MHD_Result
httpd_check_field(void *arg, enum MHD_ValueKind kind, const char *key,
    size_t key_size, const char *value, size_t value_size)
{
	struct httpd_framing	*f = arg;
	unsigned long long	 length;
	char			*end;

	(void)kind;
	if (value == NULL || !httpd_field_valid(key, key_size, value,
	    value_size)) {
		f->malformed = 1;
		return (MHD_YES);
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->lengths++;
		length = strtoull(value, &end, 10);
		if (*end != '\0' || *value < '0' || *value > '9' ||
		    length > f->cap)
			f->too_large = 1;
		else
			f->length = length;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->encodings++;
		if (strcasecmp(value, "chunked") != 0)
			f->not_chunked = 1;
	}
	return (MHD_YES);
}

/*
 * Read the headers' form and what they say about the body's length, in
 * one walk over them.  The length is ambiguous with Content-Length and
 * Transfer-Encoding, more than one of either, or an encoding other than
 * plain "chunked".  MHD 0.9.75 would take the chunks and ignore the
 * length, and would read a body of any other encoding ("gzip, chunked")
 * until the connection closes; a proxy in front of us might not, and so
 * see another request where we see a body (request smuggling).  RFC 9112
 * asks for 400 in every case.
 */
static void
httpd_framing(struct MHD_Connection *connection, uint64_t cap,
    struct httpd_framing *f)
{
	memset(f, 0, sizeof *f);
	f->cap = cap;
	MHD_get_connection_values_n(connection, MHD_HEADER_KIND,
	    httpd_check_field, f);
}

/* Tell whether a request's framing leaves its body's length ambiguous. */
static int
httpd_framing_ambiguous(const struct httpd_framing *f)
{
	return (f->lengths > 1 || f->encodings > 1 || f->not_chunked ||
	    (f->lengths > 0 && f->encodings > 0));
}

/* MHD's access handler: called for the headers, each body piece, the end. */
static enum MHD_Result
httpd_access(void *arg, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd		*h = arg;
	struct request		*r = *con_cls;
	struct httpd_framing	 framing;
	enum MHD_Result		 ret;
	enum httpd_outcome	 outcome;

	(void)url;
	(void)version;
	h->progress++;
	if (r == NULL)
		return (MHD_NO);
	switch (r->stage) {
	case REQUEST_NEW:
		/*
		 * Any answer now closes the connection after it (MHD reads
		 * no body or later request of it): nothing is smuggled.
		 */
		if (r->too_long)
			return (httpd_answer(connection, MHD_HTTP_URI_TOO_LONG,
			    "request line too long\n"));
		httpd_framing(connection, request_body_cap(&h->requests),
		    &framing);
		if (framing.malformed)
			return (httpd_answer(connection, MHD_HTTP_BAD_REQUEST,
			    "bad header field\n"));
		r->hook = httpd_find_hook(h, r->uri);
		if (r->hook == NULL)
			return (httpd_answer(connection, MHD_HTTP_NOT_FOUND,
			    "no such hook\n"));
		if (r->hook->closed)
			return (httpd_answer(connection, MHD_HTTP_GONE,
			    "this hook is closed\n"));
		if (httpd_has_dot_segment(r->uri + 1 + TOKEN_LEN))
			return (httpd_answer(connection, MHD_HTTP_BAD_REQUEST,
			    "bad path\n"));
		if (!httpd_request_line_clean(method, r->uri))
			return (httpd_answer(connection, MHD_HTTP_BAD_REQUEST,
			    "bad request line\n"));
		if (h->stopping)
			return (httpd_answer(connection,
			    MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n"));
		if (httpd_framing_ambiguous(&framing))
			return (httpd_answer(connection, MHD_HTTP_BAD_REQUEST,
			    "ambiguous body length\n"));
		if (framing.too_large)
			return (httpd_answer(connection,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
		if (framing.length > 0 &&
		    !request_body_reserve(r, framing.length))
			return (httpd_answer_busy(h, connection));
		r->stage = REQUEST_RECEIVING;
		return (MHD_YES);
	case REQUEST_RECEIVING:
		if (*upload_data_size != 0) {
			request_body_add(r, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return (MHD_YES);
		}
		if (r->too_large)
			return (httpd_answer(connection,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
		if (r->overflow)
			return (httpd_answer_busy(h, connection));
		/* The hook was found by "/TOKEN" at the start of the URI. */
		r->rest = r->uri + 1 + TOKEN_LEN;
		outcome = httpd_record(h, r, method, r->rest);
		if (outcome == HTTPD_UNRECORDED) {
			request_body_release(r);
			return (httpd_answer(connection, MHD_HTTP_UNAUTHORIZED,
			    HTTPD_REJECTED_TEXT));
		}
		if (outcome == HTTPD_RECORDED)
			r->echo = answer_echo(r->hook, connection,
			    buffer_peek(&r->body), buffer_unread(&r->body));
		/* The journal holds the request now; only forward needs it. */
		if (r->hook->forward_to != NULL)
			r->method = xstrdup(method);
		else
			request_body_release(r);
		r->stage = REQUEST_SUSPENDED;
		httpd_server_turn(connection);
		MHD_suspend_connection(connection);
		store_after_sync(h->store, outcome == HTTPD_REJECTED ?
		    httpd_rejected : httpd_durable, r);
		return (MHD_YES);
	case REQUEST_SUSPENDED:
		return (MHD_YES);
	case REQUEST_ANSWERED:
		if (r->response == NULL)
			return (MHD_NO);
		ret = MHD_queue_response(connection, r->status, r->response);
		MHD_destroy_response(r->response);
		r->response = NULL;
		return (ret);
	}
	return (MHD_NO);
}

/* Free per-request state once MHD is done with the request. */
static void
httpd_completed(void *arg, struct MHD_Connection *connection, void **con_cls,
    enum MHD_RequestTerminationCode code)
{
	struct httpd		*h = arg;
	struct request		*r = *con_cls;
	struct httpd_conn	*conn = httpd_conn_of(connection);

	(void)code;
	/* Between requests of a keep-alive connection: the client's turn. */
	httpd_client_turn(connection, h);
	if (conn != NULL) {
		httpd_set_idle(h, conn, 1);
		httpd_make_room(h);
	}
	if (r == NULL)
		return;
	hold_forget(h->hold, r);
	forward_forget(h->forward, r);
	request_free(r);
	*con_cls = NULL;
	h->progress++;
}

/*
 * Log MHD's own error messages, at most HTTPD_LOG_BURST in each
 * HTTPD_LOG_WINDOW_MS: every bad request makes one, and strangers must not
 * be able to fill the disk with our log.
 */
static void __attribute__((__format__(__printf__, 2, 0)))
httpd_log(void *arg, const char *fmt, va_list ap)
{
	struct httpd	*h = arg;
	int64_t		 now = loop_now();
	char		*s;

	if (now - h->log_window >= HTTPD_LOG_WINDOW_MS) {
		if (h->log_dropped > 0)
			log_warnx("http: %llu more messages not logged",
			    (unsigned long long)h->log_dropped);
		h->log_window = now;
		h->logged = 0;
		h->log_dropped = 0;
	}
	if (h->logged++ >= HTTPD_LOG_BURST) {
		h->log_dropped++;
		return;
	}
	xvasprintf(&s, fmt, ap);
	s[strcspn(s, "\n")] = '\0';
	log_warnx("http: %s", s);
	free(s);
}

/* Let MHD do its work; called when its epoll fd is readable. */
static void
httpd_readable(int fd, uint32_t events, void *arg)
{
	struct httpd	*h = arg;

	(void)fd;
	(void)events;
	MHD_run(h->daemon);
}

/*
 * Before each wait: let MHD work, and report its timeout.  MHD's API asks
 * for MHD_run after every return from polling, whatever woke us.  And MHD
 * 0.9.75 may read a keep-alive connection's next request in the run that
 * sends the previous answer, yet leave it unparsed until a later run, with
 * neither a zero timeout nor a ready epoll fd to say so.  So while MHD is
 * making progress, wake again within a millisecond instead of waiting for
 * its (seconds-long) timeout.
 */
static int64_t
httpd_prepare(void *arg)
{
	struct httpd		*h = arg;
	MHD_UNSIGNED_LONG_LONG	 timeout;
	int64_t			 wait = -1;

	MHD_run(h->daemon);
	if (MHD_get_timeout(h->daemon, &timeout) == MHD_YES)
		wait = timeout > INT32_MAX ? INT32_MAX : (int64_t)timeout;
	if (h->progress != h->progress_seen && (wait < 0 || wait > 1))
		wait = 1;
	h->progress_seen = h->progress;
	return (wait);
}

/*
 * Raise our limit of open files as far as allowed, and return how many
 * connections to serve within it (--max-connections, unless the limit is
 * lower), keeping room for the journal, control clients and sends.  When
 * accept(2) fails with EMFILE anyway, MHD stops accepting until one of
 * its connections closes; with none, it would retry at once, which this
 * room prevents.
 */
static unsigned int
httpd_connection_limit(const struct limits *limits)
{
	struct rlimit	rl;
	uint64_t	want = limits->max_connections, room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return ((unsigned int)want);
	if (rl.rlim_cur < rl.rlim_max) {
		/* An infinite hard limit is refused: keep what we had then. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
		    getrlimit(RLIMIT_NOFILE, &rl) == -1)
			return ((unsigned int)want);
	}
	room = rl.rlim_cur > 2 * HTTPD_FD_RESERVE ?
	    rl.rlim_cur - HTTPD_FD_RESERVE : rl.rlim_cur / 2;
	if (want > room) {
		log_warnx("serving at most %llu connections, not %llu: only "
		    "%llu files may be open", (unsigned long long)room,
		    (unsigned long long)want, (unsigned long long)rl.rlim_cur);
		want = room;
	}
	return ((unsigned int)want);
}

/*
 * Start serving the hooks of config->store on the listening socket
 * config->fd.  The store is opened first: its group commit must run before
 * MHD's prepare callback, which answers requests made durable by it.
 */
struct httpd *
httpd_start(const struct httpd_config *config, char **cause)
{
	struct loop			*loop = config->loop;
	const union MHD_DaemonInfo	*info;
	struct MHD_OptionItem		 tls_options[TLS_MHD_OPTIONS];
	unsigned int			 tls_flags;
	struct httpd			*h;

	/* HTTPS when the session has a certificate (see tls.c). */
	tls_flags = tls_mhd_options(config->tls, tls_options);
	h = xcalloc(1, sizeof *h);
	h->loop = loop;
	h->store = config->store;
	h->limits = *config->limits;
	TAILQ_INIT(&h->conns);
	TAILQ_INIT(&h->idle);
	h->conn_limit = httpd_connection_limit(&h->limits);
	requests_init(&h->requests, h->store, &h->limits, httpd_client_turn, h);
	h->hold = hold_new(loop, h->store);
	h->forward = forward_new(config->outbound);
	h->reject = reject_new(loop);
	h->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | tls_flags, 0, NULL, NULL, httpd_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, h,
	    MHD_OPTION_LISTEN_SOCKET, config->fd,
	    MHD_OPTION_URI_LOG_CALLBACK, httpd_uri_logger, h,
	    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, httpd_notify, h,
	    /*
	     * --max-header: the request line and headers must fit in what
	     * MHD may use per connection, or get 431 (414 for the request
	     * line alone).
	     */
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)h->limits.max_header,
	    /* A backstop: httpd_sweep enforces the real deadline. */
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)((h->limits.idle_timeout_ms + 999) / 1000),
	    MHD_OPTION_CONNECTION_LIMIT, h->conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)h->limits.max_per_ip,
	    MHD_OPTION_ARRAY, tls_options,
	    MHD_OPTION_END);
	if (h->daemon == NULL) {
		xasprintf(cause, "cannot start the HTTP server");
		goto fail;
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || loop_add(loop, info->epoll_fd, EPOLLIN,
	    httpd_readable, h) == -1) {
		xasprintf(cause, "cannot watch the HTTP server");
		MHD_stop_daemon(h->daemon);
		goto fail;
	}
	h->epoll_fd = info->epoll_fd;
	loop_prepare_add(loop, httpd_prepare, h);
	return (h);

fail:
	hold_free(h->hold);
	forward_free(h->forward);
	reject_free(h->reject);
	free(h);
	return (NULL);
}

/*
 * Stop accepting new connections (for a graceful stop), answer new
 * requests on open ones 503, and held requests too so that they do not
 * hold the stop up.
 */
void
httpd_quiesce(struct httpd *h)
{
	MHD_socket	 fd;

	h->stopping = 1;
	fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	hold_quiesce(h->hold);
}

/* Return the requests held by --hold hooks, for fish reply. */
struct hold *
httpd_hold(struct httpd *h)
{
	return (h->hold);
}

/* Return how many requests are in progress (idle connections excluded). */
size_t
httpd_requests(struct httpd *h)
{
	return (h->requests.count);
}

/*
 * Add what HTTP in counts to a status reply: the bytes held by bodies in
 * flight, and the rejected requests only counted, over the rate cap.
 */
void
httpd_status(struct httpd *h, struct json_object *reply)
{
	json_object_object_add(reply, "inflight_bytes",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)h->requests.inflight));
	json_object_object_add(reply, "rejected_unrecorded",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)reject_unrecorded(h->reject)));
}

/*
 * Stop the server.  No connection may still be suspended: requests still
 * waiting for their app (forwarded) get 503 first.
 */
void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	/* Let the answers of forward_stop (and any other resume) go out. */
	forward_stop(h->forward);
	MHD_run(h->daemon);
	loop_remove(h->loop, h->epoll_fd);
	MHD_stop_daemon(h->daemon);
	loop_timer_cancel(h->loop, h->sweep);
	loop_timer_cancel(h->loop, h->room);
	hold_free(h->hold);
	forward_free(h->forward);
	reject_free(h->reject);
	free(h);
}
