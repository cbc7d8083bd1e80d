/*
 * HTTP in.  Every request to /TOKEN[/sub/path][?query] of an open hook is
 * recorded and answered, but only once its record is durable: the
 * finished request is journaled, its connection suspended, and resumed by
 * the group commit (listener_after_sync) that made it durable.  Unknown
 * tokens get 404, closed hooks 410, oversized bodies 413.
 *
 * Once durable, a request is answered as its hook says (answer.c): with
 * the hook's status, headers and body; with the value a handshake asks to
 * have echoed; with the answer of the local app it is forwarded to (the
 * connection stays suspended while the app answers); or, for a --hold
 * hook, not yet: it stays suspended, on the held list, until fish reply
 * or its hold timeout (504).  MHD does not notice that a suspended
 * connection's peer went away, so we look at the socket ourselves before
 * answering.  How each held or forwarded request was settled is journaled
 * (MESSAGE_ANSWERED) before the answer goes out.
 *
 * libmicrohttpd runs in external-epoll mode: its epoll fd sits in our loop,
 * and MHD_run is called when it is readable, after resumes, and on MHD's
 * own timeout.  Per-request state is freed only in the completion callback.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "buffer.h"
#include "compat.h"
#include "hook.h"
#include "httpc.h"
#include "httpd.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "outbound.h"
#include "proto.h"
#include "xmalloc.h"

enum request_stage {
	REQUEST_NEW,
	REQUEST_RECEIVING,
	REQUEST_SUSPENDED,	/* until durable, replied to or forwarded */
	REQUEST_ANSWERED,	/* resumed with its response */
};

/* How a held request was settled (journaled as its "outcome"). */
enum held_outcome {
	HELD_REPLIED,
	HELD_TIMED_OUT,
	HELD_HUNG_UP,
	HELD_STOPPED,
};

static const char *held_outcome_names[] = {
	"replied", "timed out", "hung up", "stopped",
};

struct request {
	struct MHD_Connection	*connection;
	char			*uri;		/* as sent, with the query */
	const char		*rest;		/* of uri, below the hook */
	char			*method;
	struct hook		*hook;
	enum request_stage	 stage;
	struct buffer		 body;
	int			 too_large;
	struct message		*message;	/* until durable */
	uint64_t		 seq;
	char			*echo;		/* the value to answer, or NULL */
	unsigned int		 status;	/* the answer, once known */
	struct MHD_Response	*response;
	int			 held;		/* on the held list */
	int			 forwarding;	/* on the forwarding list */
	struct loop_timer	*timer;		/* the hold's deadline */
	TAILQ_ENTRY(request)	 entry;
};

struct settled {
	uint64_t		 seq;
	enum held_outcome	 outcome;
};

struct httpd {
	struct MHD_Daemon	*daemon;
	struct loop		*loop;
	int			 epoll_fd;
	int			 resumed;	/* MHD_run needed after resumes */
	size_t			 requests;	/* request states allocated */
	TAILQ_HEAD(, request)	 held;		/* oldest first */
	TAILQ_HEAD(, request)	 forwarding;
	struct settled		*settled;	/* held ones answered, by seq */
	size_t			 nsettled, settled_size;
};

static struct httpd	*httpd_self;

/*
 * Parse HOST:PORT (or [V6]:PORT) into an address.  Return 0, or -1 with
 * *cause.
 */
static int
httpd_parse_address(const char *address, struct sockaddr_storage *ss,
    socklen_t *sslen, char **cause)
{
	struct addrinfo	 hints, *res;
	char		*host, *port;
	int		 error;

	if (*address == '[') {
		host = xstrdup(address + 1);
		if ((port = strstr(host, "]:")) == NULL)
			goto invalid;
		*port = '\0';
		port += 2;
	} else {
		host = xstrdup(address);
		if ((port = strrchr(host, ':')) == NULL)
			goto invalid;
		*port++ = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		xasprintf(cause, "cannot use listen address '%s': %s", address,
		    gai_strerror(error));
		free(host);
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	free(host);
	return (0);
invalid:
	free(host);
	xasprintf(cause, "invalid listen address '%s' (use HOST:PORT)",
	    address);
	return (-1);
}

/*
 * Bind and listen on HOST:PORT ourselves (so errors are ours to word) and
 * return the socket; *bound is set to the address with the port resolved.
 */
int
httpd_bind(const char *address, char **bound, char **cause)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 host[NI_MAXHOST], port[NI_MAXSERV];
	int			 fd, one = 1;

	if (httpd_parse_address(address, &ss, &sslen, cause) == -1)
		return (-1);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "cannot make a socket: %s", strerror(errno));
		return (-1);
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno == EADDRINUSE)
			xasprintf(cause, "cannot listen on %s: the port is "
			    "already in use by another program", address);
		else
			xasprintf(cause, "cannot listen on %s: %s", address,
			    strerror(errno));
		goto fail;
	}
	if (listen(fd, SOMAXCONN) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof host, port,
	    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		xasprintf(cause, "cannot listen on %s: %s", address,
		    strerror(errno));
		goto fail;
	}
	if (ss.ss_family == AF_INET6)
		xasprintf(bound, "[%s]:%s", host, port);
	else
		xasprintf(bound, "%s:%s", host, port);
	return (fd);
fail:
	close(fd);
	return (-1);
}

/* Queue a short plain-text answer. */
static enum MHD_Result
httpd_answer(struct MHD_Connection *connection, unsigned int status,
    const char *text)
{
	struct MHD_Response	*response;
	enum MHD_Result		 ret;

	response = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return (MHD_NO);
	if (*text != '\0')
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
	ret = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return (ret);
}

/* Remember the request line's URI, query included (MHD strips it later). */
static void *
httpd_uri_logger(void *arg, const char *uri, struct MHD_Connection *connection)
{
	struct request	*r;

	(void)arg;
	httpd_self->requests++;
	r = xcalloc(1, sizeof *r);
	r->connection = connection;
	r->uri = xstrdup(uri);
	buffer_init(&r->body);
	return (r);
}

/* Find the hook named by the first path segment of the URI. */
static struct hook *
httpd_find_hook(const char *uri, const char **rest)
{
	char		 token[TOKEN_LEN + 1];
	size_t		 len;
	struct hook	*h;

	if (*uri != '/')
		return (NULL);
	uri++;
	len = strcspn(uri, "/?#");
	if (len != TOKEN_LEN)
		return (NULL);
	memcpy(token, uri, TOKEN_LEN);
	token[TOKEN_LEN] = '\0';
	if ((h = hook_find(token)) == NULL || strcmp(h->token, token) != 0)
		return (NULL);
	*rest = uri + len;
	return (h);
}

/* Add one request header to the JSON array passed as arg. */
static enum MHD_Result
httpd_add_header(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct json_object	*pair;

	(void)kind;
	pair = json_object_new_array_ext(2);
	json_object_array_add(pair, json_object_new_string(key));
	json_object_array_add(pair, json_object_new_string(value == NULL ?
	    "" : value));
	json_object_array_add(arg, pair);
	return (MHD_YES);
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

/* Journal a complete request as a message of its hook. */
static void
httpd_record(struct request *r, const char *method, const char *rest)
{
	struct json_object	*o, *headers;
	size_t			 pathlen;
	char			*remote;

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
	headers = json_object_new_array();
	MHD_get_connection_values(r->connection, MHD_HEADER_KIND,
	    httpd_add_header, headers);
	json_object_object_add(o, "headers", headers);
	remote = httpd_remote(r->connection);
	json_object_object_add(o, "remote", json_object_new_string(remote));
	free(remote);
	json_object_object_add(o, "received_at",
	    json_object_new_int64(listener_wallclock()));
	r->message = message_receive(r->hook, o, buffer_peek(&r->body),
	    buffer_unread(&r->body));
	r->seq = r->message->seq;
	json_object_put(o);
}

/* Resume a request whose response is ready (also a sync callback). */
static void
httpd_resume(void *arg)
{
	struct request	*r = arg;

	MHD_resume_connection(r->connection);
	httpd_self->resumed = 1;
}

/* Give a suspended request its response; resume it now or after a sync. */
static void
httpd_respond(struct request *r, unsigned int status,
    struct MHD_Response *response, int after_sync)
{
	r->status = status;
	r->response = response;
	r->stage = REQUEST_ANSWERED;
	if (after_sync)
		listener_after_sync(httpd_resume, r);
	else
		httpd_resume(r);
}

/* Return the status a hook answers with. */
static unsigned int
httpd_hook_status(const struct hook *h)
{
	return (h->status == 0 ? MHD_HTTP_OK : (unsigned int)h->status);
}

/*
 * Tell whether the sender of a suspended request has hung up: MHD does not
 * look at suspended connections, so peek at the socket.
 */
static int
httpd_hung_up(struct request *r)
{
	const union MHD_ConnectionInfo	*info;
	struct pollfd			 pfd;
	ssize_t				 n;
	char				 c;

	info = MHD_get_connection_info(r->connection,
	    MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL)
		return (0);
	pfd.fd = info->connect_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) <= 0)
		return (0);
	if (pfd.revents & (POLLHUP | POLLERR))
		return (1);
	n = recv(pfd.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return (n == 0 || (n == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR));
}

/* Journal how a held or forwarded request was answered. */
static void
httpd_journal_answer(struct request *r, const char *outcome,
    unsigned int status, struct json_object *headers, const void *body,
    size_t len, int64_t forward_seq)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)r->seq));
	json_object_object_add(o, "token", json_object_new_string(r->hook->token));
	json_object_object_add(o, "outcome", json_object_new_string(outcome));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	if (headers != NULL)
		json_object_object_add(o, "headers", json_object_get(headers));
	if (forward_seq >= 0)
		json_object_object_add(o, "forward_seq",
		    json_object_new_int64(forward_seq));
	json_object_object_add(o, "answered_at",
	    json_object_new_int64(listener_wallclock()));
	journal_append(listener.journal, JOURNAL_MESSAGE_ANSWERED, o, body, len);
	json_object_put(o);
}

/* Find how the held request seq was settled; NULL if it was not. */
static struct settled *
httpd_find_settled(uint64_t seq)
{
	size_t	lo = 0, hi = httpd_self->nsettled, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (httpd_self->settled[mid].seq == seq)
			return (&httpd_self->settled[mid]);
		if (httpd_self->settled[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/* Remember how a held request was settled, keeping the table in order. */
static void
httpd_add_settled(uint64_t seq, enum held_outcome outcome)
{
	struct httpd	*h = httpd_self;
	size_t		 at;

	if (h->nsettled == h->settled_size) {
		h->settled_size = h->settled_size == 0 ? 64 :
		    h->settled_size * 2;
		h->settled = xreallocarray(h->settled, h->settled_size,
		    sizeof *h->settled);
	}
	at = h->nsettled;
	while (at > 0 && h->settled[at - 1].seq > seq)
		at--;
	memmove(&h->settled[at + 1], &h->settled[at],
	    (h->nsettled - at) * sizeof *h->settled);
	h->settled[at].seq = seq;
	h->settled[at].outcome = outcome;
	h->nsettled++;
}

/*
 * Settle a held request: take it off the held list, journal how, and send
 * the response once that is durable.
 */
static void
httpd_settle(struct request *r, enum held_outcome outcome, unsigned int status,
    struct json_object *headers, const void *body, size_t len,
    struct MHD_Response *response)
{
	TAILQ_REMOVE(&httpd_self->held, r, entry);
	r->held = 0;
	loop_timer_cancel(httpd_self->loop, r->timer);
	r->timer = NULL;
	httpd_journal_answer(r, held_outcome_names[outcome], status, headers,
	    body, len, -1);
	httpd_add_settled(r->seq, outcome);
	httpd_respond(r, status, response, 1);
}

/* A held request's hold timed out: answer 504. */
static void
httpd_hold_expired(void *arg)
{
	struct request	*r = arg;
	const char	*text = "no answer in time\n";

	r->timer = NULL;
	httpd_settle(r, httpd_hung_up(r) ? HELD_HUNG_UP : HELD_TIMED_OUT,
	    MHD_HTTP_GATEWAY_TIMEOUT, NULL, text, strlen(text),
	    answer_text(NULL, text));
}

/* Keep a durable request open until fish reply or its hold timeout. */
static void
httpd_hold(struct request *r)
{
	r->held = 1;
	TAILQ_INSERT_TAIL(&httpd_self->held, r, entry);
	r->timer = loop_timer_add(httpd_self->loop, loop_now() +
	    r->hook->hold_timeout_ms, httpd_hold_expired, r);
}

/* The app answered a forwarded request (or could not): relay that. */
static void
httpd_forwarded(struct httpc_result *result, uint64_t seq, void *arg)
{
	struct request		*r = arg;
	struct MHD_Response	*response;
	const char		*text = "the app behind this hook cannot be "
				    "reached\n";
	unsigned int		 status;

	TAILQ_REMOVE(&httpd_self->forwarding, r, entry);
	r->forwarding = 0;
	if (result->status == EXIT_OK && result->http_status >= 200 &&
	    result->http_status <= 599) {
		status = (unsigned int)result->http_status;
		response = answer_relay(result);
	} else {
		status = MHD_HTTP_BAD_GATEWAY;
		response = answer_text(NULL, text);
	}
	httpd_journal_answer(r, "forwarded", status, NULL, NULL, 0,
	    (int64_t)seq);
	httpd_respond(r, status, response, 1);
}

/* Pass a durable request on to the hook's app; answer when it does. */
static void
httpd_forward(struct request *r)
{
	struct httpc_request	 req;
	char			*url;

	memset(&req, 0, sizeof req);
	url = answer_forward_url(r->hook, r->rest);
	req.method = r->method;
	req.url = url;
	req.headers = answer_forward_headers(r->connection);
	req.body = buffer_peek(&r->body);
	req.body_len = buffer_unread(&r->body);
	req.timeout_ms = r->hook->hold_timeout_ms;
	r->forwarding = 1;
	TAILQ_INSERT_TAIL(&httpd_self->forwarding, r, entry);
	outbound_send(&req, httpd_forwarded, r);
	json_object_put(req.headers);
	free(url);
}

/*
 * The request's record is durable: queue the message (now wait can see
 * it), then answer, hold or forward the request.
 */
static void
httpd_durable(void *arg)
{
	struct request	*r = arg;
	struct hook	*h = r->hook;
	const char	*text = "shutting down\n";

	message_ready(r->message);
	r->message = NULL;
	if (r->echo != NULL)
		httpd_respond(r, httpd_hook_status(h),
		    answer_text(h->headers, r->echo), 0);
	else if (listener.stopping && (h->hold || h->forward_to != NULL))
		httpd_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	else if (h->forward_to != NULL)
		httpd_forward(r);
	else if (h->hold)
		httpd_hold(r);
	else
		httpd_respond(r, httpd_hook_status(h),
		    answer_new(h->headers, h->body, h->body_len), 0);
	buffer_release(&r->body);
}

/* Tell whether the announced Content-Length exceeds our cap. */
static int
httpd_length_too_large(struct MHD_Connection *connection)
{
	const char		*value;
	unsigned long long	 length;
	char			*end;

	value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (value == NULL)
		return (0);
	length = strtoull(value, &end, 10);
	return (*end != '\0' || length > HTTPD_BODY_MAX);
}

/* MHD's access handler: called for the headers, each body piece, the end. */
static enum MHD_Result
httpd_access(void *arg, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct request	*r = *con_cls;
	const char	*rest = "";
	enum MHD_Result	 ret;

	(void)arg;
	(void)url;
	(void)version;
	if (r == NULL)
		return (MHD_NO);
	switch (r->stage) {
	case REQUEST_NEW:
		r->hook = httpd_find_hook(r->uri, &rest);
		if (r->hook == NULL)
			return (httpd_answer(connection, MHD_HTTP_NOT_FOUND,
			    "no such hook\n"));
		if (r->hook->closed)
			return (httpd_answer(connection, MHD_HTTP_GONE,
			    "this hook is closed\n"));
		if (listener.stopping)
			return (httpd_answer(connection,
			    MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n"));
		if (httpd_length_too_large(connection))
			return (httpd_answer(connection,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
		r->stage = REQUEST_RECEIVING;
		return (MHD_YES);
	case REQUEST_RECEIVING:
		if (*upload_data_size != 0) {
			if (buffer_unread(&r->body) + *upload_data_size >
			    HTTPD_BODY_MAX) {
				r->too_large = 1;
				buffer_release(&r->body);
			}
			if (!r->too_large)
				buffer_add(&r->body, upload_data,
				    *upload_data_size);
			*upload_data_size = 0;
			return (MHD_YES);
		}
		if (r->too_large)
			return (httpd_answer(connection,
			    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
		httpd_find_hook(r->uri, &rest);
		r->rest = rest;
		r->method = xstrdup(method);
		r->echo = answer_echo(r->hook, connection, buffer_peek(&r->body),
		    buffer_unread(&r->body));
		httpd_record(r, method, rest);
		r->stage = REQUEST_SUSPENDED;
		MHD_suspend_connection(connection);
		listener_after_sync(httpd_durable, r);
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
	struct request	*r = *con_cls;

	(void)arg;
	(void)connection;
	(void)code;
	if (r == NULL)
		return;
	if (r->held) {
		TAILQ_REMOVE(&httpd_self->held, r, entry);
		loop_timer_cancel(httpd_self->loop, r->timer);
	}
	if (r->forwarding)
		TAILQ_REMOVE(&httpd_self->forwarding, r, entry);
	if (r->response != NULL)
		MHD_destroy_response(r->response);
	buffer_release(&r->body);
	free(r->method);
	free(r->echo);
	free(r->uri);
	free(r);
	*con_cls = NULL;
	httpd_self->requests--;
}

/* Log MHD's own error messages. */
static void __attribute__((__format__(__printf__, 2, 0)))
httpd_log(void *arg, const char *fmt, va_list ap)
{
	char	*s;

	(void)arg;
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

/* Before each wait: run MHD after resumes, and report MHD's timeout. */
static int64_t
httpd_prepare(void *arg)
{
	struct httpd		*h = arg;
	MHD_UNSIGNED_LONG_LONG	 timeout;

	/*
	 * MHD watches its sockets edge-triggered: a connection with more input
	 * than one MHD_run handles shows up only as a zero timeout, not as
	 * readiness of MHD's epoll fd.  So run MHD whenever it asks for that.
	 */
	if (h->resumed ||
	    (MHD_get_timeout(h->daemon, &timeout) == MHD_YES && timeout == 0)) {
		h->resumed = 0;
		MHD_run(h->daemon);
	}
	if (MHD_get_timeout(h->daemon, &timeout) == MHD_YES)
		return (timeout > INT32_MAX ? INT32_MAX : (int64_t)timeout);
	return (-1);
}

/* Start serving hooks on the listening socket fd. */
struct httpd *
httpd_start(struct loop *loop, int fd, char **cause)
{
	const union MHD_DaemonInfo	*info;
	struct httpd			*h;

	h = xcalloc(1, sizeof *h);
	h->loop = loop;
	TAILQ_INIT(&h->held);
	TAILQ_INIT(&h->forwarding);
	h->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, httpd_access, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_URI_LOG_CALLBACK, httpd_uri_logger, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTPD_IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTPD_CONNECTIONS_MAX,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTPD_PER_IP_MAX,
	    MHD_OPTION_END);
	if (h->daemon == NULL) {
		xasprintf(cause, "cannot start the HTTP server");
		free(h);
		return (NULL);
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL || loop_add(loop, info->epoll_fd, EPOLLIN,
	    httpd_readable, h) == -1) {
		xasprintf(cause, "cannot watch the HTTP server");
		MHD_stop_daemon(h->daemon);
		free(h);
		return (NULL);
	}
	h->epoll_fd = info->epoll_fd;
	loop_prepare_add(loop, httpd_prepare, h);
	httpd_self = h;
	return (h);
}

/*
 * Stop accepting new connections (for a graceful stop), and answer held
 * requests 503 so that they do not hold the stop up.
 */
void
httpd_quiesce(struct httpd *h)
{
	struct request	*r;
	MHD_socket	 fd;
	const char	*text = "shutting down\n";

	fd = MHD_quiesce_daemon(h->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	while ((r = TAILQ_FIRST(&h->held)) != NULL)
		httpd_settle(r, HELD_STOPPED, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
		    text, strlen(text), answer_text(NULL, text));
}

/* Tell whether a message handle is a sequence number; set *seq if so. */
static int
httpd_parse_seq(const char *s, uint64_t *seq)
{
	size_t	len = strlen(s);
	char	*end;

	if (len == 0 || len > 19 || strspn(s, "0123456789") != len)
		return (0);
	*seq = strtoull(s, &end, 10);
	return (1);
}

/*
 * Say why message seq, not held now, cannot be replied to; return the exit
 * status.
 */
static int
httpd_not_held(uint64_t seq, char **cause)
{
	struct settled	*s;
	struct message	*m;
	unsigned long long n = seq;

	if ((s = httpd_find_settled(seq)) != NULL) {
		switch (s->outcome) {
		case HELD_REPLIED:
			xasprintf(cause, "message %llu was already answered", n);
			break;
		case HELD_TIMED_OUT:
			xasprintf(cause, "message %llu was already answered "
			    "504: its hold timed out", n);
			break;
		case HELD_HUNG_UP:
			xasprintf(cause, "the sender of message %llu hung up "
			    "before it was answered", n);
			break;
		case HELD_STOPPED:
			xasprintf(cause, "message %llu was already answered "
			    "503: the listener was stopping", n);
			break;
		}
		return (EXIT_FAILED);
	}
	if ((m = message_find(seq)) == NULL || m->hook == NULL) {
		xasprintf(cause, "no message %llu was received", n);
		return (EXIT_NOT_FOUND);
	}
	if (!m->hook->hold)
		xasprintf(cause, "message %llu was answered when it arrived: "
		    "its hook does not hold requests (spawn it with --hold)", n);
	else
		xasprintf(cause, "message %llu is no longer held: the listener "
		    "restarted since it arrived", n);
	return (EXIT_FAILED);
}

/*
 * Answer a held request: message is its sequence number, or a hook (its
 * oldest held request).  Return an exit status; set *seq to the request
 * answered, or *cause.  The answer goes out once journaled and synced.
 */
int
httpd_reply(struct httpd *h, const char *message, unsigned int status,
    struct json_object *headers, const void *body, size_t len, uint64_t *seq,
    char **cause)
{
	struct request	*r;
	struct hook	*hook;
	int		 hung_up;

	if (httpd_parse_seq(message, seq)) {
		TAILQ_FOREACH(r, &h->held, entry) {
			if (r->seq == *seq)
				break;
		}
		if (r == NULL)
			return (httpd_not_held(*seq, cause));
	} else {
		if ((hook = hook_find(message)) == NULL) {
			xasprintf(cause, "no such hook '%s'", message);
			return (EXIT_NOT_FOUND);
		}
		if (!hook->hold) {
			xasprintf(cause, "hook '%s' does not hold requests "
			    "(spawn it with --hold)", message);
			return (EXIT_FAILED);
		}
		TAILQ_FOREACH(r, &h->held, entry) {
			if (r->hook == hook)
				break;
		}
		if (r == NULL) {
			xasprintf(cause, "no request to hook '%s' is waiting "
			    "for an answer", message);
			return (EXIT_NOT_FOUND);
		}
		*seq = r->seq;
	}
	hung_up = httpd_hung_up(r);
	httpd_settle(r, hung_up ? HELD_HUNG_UP : HELD_REPLIED, status, headers,
	    body, len, answer_new(headers, body, len));
	if (hung_up) {
		xasprintf(cause, "the sender of message %llu hung up before it "
		    "was answered", (unsigned long long)*seq);
		return (EXIT_FAILED);
	}
	return (EXIT_OK);
}

/* Return how many requests are in progress (idle connections excluded). */
size_t
httpd_requests(struct httpd *h)
{
	return (h->requests);
}

/*
 * Stop the server.  No connection may still be suspended: requests still
 * waiting for their app (forwarded) get 503 first.
 */
void
httpd_stop(struct httpd *h)
{
	struct request	*r;
	const char	*text = "shutting down\n";

	if (h == NULL)
		return;
	while ((r = TAILQ_FIRST(&h->forwarding)) != NULL) {
		TAILQ_REMOVE(&h->forwarding, r, entry);
		r->forwarding = 0;
		httpd_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	}
	if (h->resumed)
		MHD_run(h->daemon);
	loop_remove(h->loop, h->epoll_fd);
	MHD_stop_daemon(h->daemon);
	free(h->settled);
	httpd_self = NULL;
	free(h);
}
