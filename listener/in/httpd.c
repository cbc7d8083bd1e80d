/*
 * HTTP in: the hooks' web server.  libmicrohttpd runs in external-epoll
 * mode: its epoll fd sits in our loop, and MHD_run is called when it is
 * readable, after resumes, and on MHD's own timeout.  This file is the
 * glue: start, run, stop, MHD's log.
 *
 * The in floor, from the bottom up (a file calls only those above it in
 * this list, and what must go the other way is a callback):
 *
 *	clients.c	behind a tunnel, what each client address has
 *			under way, for the per-address cap
 *	request.c	a request's state, its response, the journal record
 *			of its answer, the memory its body holds
 *	strict.c	request lines, paths, fields and framing refused
 *	answer.c	the responses hooks answer with
 *	reject.c	the bounded record of requests failing --verify,
 *			and its rate caps
 *	record.c	the message record of a request
 *	refuse.c	the bounded record of requests refused before they
 *			were complete (404, 410, 413, 431, ...)
 *	hold.c		requests held for fish reply (--hold)
 *	forward.c	requests passed on to a local app (--forward-to)
 *	catch-up.c	a shared store catching up before a 404 (--store)
 *	httpd-conn.c	connections: deadlines, idle ones cut near the cap
 *	httpd-access.c	MHD's callbacks for a request, from its request
 *			line to completion: checks, body, record, answer
 *	httpd.c		the server: struct httpd owns all the state of the
 *			floor (nothing in it is static), so that two
 *			servers could run in one process
 *
 * Strangers on the internet talk to us, so every bad request gets a short
 * fixed answer that echoes nothing of it, and no client can hold more than
 * its share (the limits given to httpd_start): bodies over --max-body get
 * 413, as soon as Content-Length says so or a chunked body passes it;
 * bodies that would take the memory held by all bodies being received past
 * --max-inflight get 503 with Retry-After (see request_body_add), as do
 * requests to a --forward-to hook when no file is free for their socket
 * to the app (forward_admit: the budget of open files, lib/files.c); MHD
 * answers headers that do not fit its per-connection memory (--max-header)
 * with 431, and a request line that takes more than half of it gets 414
 * (see httpd_uri_logger); a header field that is not "name: value" as RFC
 * 9112 has it, a request with both Content-Length and chunked encoding,
 * two Content-Lengths, or an encoding other than chunked gets 400, since
 * proxies disagree on what such a body is (strict.c); MHD caps connections
 * in total and per address, but behind a tunnel or proxy, where every
 * connection comes from loopback, we cap per client address ourselves,
 * connections and requests under way (clients.c), and answer 429.  And
 * each connection has a deadline (see httpd_sweep) that only a client can
 * miss, and idle ones make room for new ones near the cap (see
 * httpd_make_room).
 */
#include "config.h"

#include <sys/epoll.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "clients.h"
#include "files.h"
#include "forward.h"
#include "hold.h"
#include "httpd.h"
#include "httpd-private.h"
#include "log.h"
#include "loop.h"
#include "record.h"
#include "reject.h"
#include "request.h"
#include "tls.h"
#include "xmalloc.h"

/* How MHD 0.9.75 logs the status of an error it answers itself. */
#define HTTPD_MHD_ERROR	"Error processing request (HTTP response code is %u"

/*
 * How it logs an accept(2) that failed for want of files (or memory)
 * with no connection open, which it then retries at once (see
 * httpd_run); and how long we then leave it be.
 */
#define HTTPD_MHD_STARVED	"Hit process or system resource limit at FIRST"
#define HTTPD_STARVED_MS	250

/*
 * How often a pass polls while requests awaiting their sync unsuspended
 * wait for room on disk (see httpd_prepare): a disk full for seconds
 * should cost little CPU, and their 503 comes seconds later anyway.
 */
#define HTTPD_AWAIT_POLL_MS	10

/* How much of MHD's error messages to log (see httpd_log). */
#define HTTPD_LOG_BURST		20
#define HTTPD_LOG_WINDOW_MS	60000

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
	va_list		 copy;
	char		*s;

	/*
	 * MHD answers a head it cannot take (431, or 400 for a malformed
	 * one) itself, before our access handler sees the request, and says
	 * which only here: httpd_completed journals the refusal with it.
	 */
	if (strncmp(fmt, HTTPD_MHD_ERROR, strlen(HTTPD_MHD_ERROR)) == 0) {
		va_copy(copy, ap);
		h->mhd_status = va_arg(copy, unsigned int);
		va_end(copy);
	}
	if (strncmp(fmt, HTTPD_MHD_STARVED, strlen(HTTPD_MHD_STARVED)) == 0)
		h->starved = 1;
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

/* A pause in running MHD is over (see httpd_run). */
static void
httpd_starved_expired(void *arg)
{
	struct httpd	*h = arg;

	h->starve_timer = NULL;
	loop_modify(h->loop, h->epoll_fd, EPOLLIN);
}

/*
 * Let MHD do its work, unless it is paused; return 0 if it is paused.
 * When accept(2) fails for want of files with no connection open, MHD
 * 0.9.75 neither stops accepting (it has no connection whose end would
 * start it again) nor waits: the listening socket stays readable, and it
 * tries again at once, for as long as our files are taken (by control
 * clients, sends, forwards).  That spun the listener at full CPU.  So
 * MHD, which has no connection to serve then, is left alone for
 * HTTPD_STARVED_MS before it tries again.
 */
static int
httpd_run(struct httpd *h)
{
	if (h->starve_timer != NULL)
		return (0);
	MHD_run(h->daemon);
	if (!h->starved)
		return (1);
	h->starved = 0;
	loop_modify(h->loop, h->epoll_fd, 0);
	h->starve_timer = loop_timer_add(h->loop, loop_now() +
	    HTTPD_STARVED_MS, httpd_starved_expired, h);
	return (0);
}

/* Let MHD do its work; called when its epoll fd is readable. */
static void
httpd_readable(int fd, uint32_t events, void *arg)
{
	(void)fd;
	(void)events;
	httpd_run(arg);
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
	size_t			 answered = h->requests.answered;

	h->requests.answered = 0;
	/* Paused: its timer wakes the loop. */
	if (!httpd_run(h))
		return (-1);
	/*
	 * Requests answered by the group commit just run, awaiting it
	 * unsuspended, had their answers queued in that pass by the access
	 * handler; MHD sends an answer only in the pass after the one that
	 * queues it.  Run that pass now rather than after a turn of the loop:
	 * their senders hear the 200 sooner, and their next requests join the
	 * next group commit (without it, half as many records shared each
	 * fdatasync under wrk, for no gain over suspending).
	 */
	if (answered > 0 && !httpd_run(h))
		return (-1);
	if (MHD_get_timeout(h->daemon, &timeout) == MHD_YES)
		wait = timeout > INT32_MAX ? INT32_MAX : (int64_t)timeout;
	if (h->progress != h->progress_seen && (wait < 0 || wait > 1))
		wait = 1;
	/*
	 * Requests awaiting their sync unsuspended (request_await) keep MHD's
	 * timeout at zero.  They are settled by the next group commit, unless
	 * it found no room on disk: then, while nothing else moves, poll
	 * rather than spin until there is room or they get their 503.
	 */
	else if (wait == 0 && h->progress == h->progress_seen &&
	    h->requests.awaiting > 0)
		wait = HTTPD_AWAIT_POLL_MS;
	h->progress_seen = h->progress;
	return (wait);
}

/*
 * Return how many connections to serve: --max-connections, unless the
 * budget of open files (files.c) leaves fewer, which the log says.  When
 * accept(2) fails with EMFILE anyway, MHD stops accepting until one of
 * its connections closes; with none, it would retry at once, which the
 * files kept for other uses prevent.
 */
static unsigned int
httpd_connection_limit(const struct limits *limits, const struct files *files)
{
	if (files == NULL || files->connections >= limits->max_connections)
		return ((unsigned int)limits->max_connections);
	log_warnx("serving at most %llu connections, not %llu: only "
	    "%llu files may be open (%zu for control clients, %zu for "
	    "outbound requests)", (unsigned long long)files->connections,
	    (unsigned long long)limits->max_connections,
	    (unsigned long long)files->limit, files->control,
	    files->outbound);
	return ((unsigned int)files->connections);
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
	h->conn_limit = httpd_connection_limit(&h->limits, config->files);
	requests_init(&h->requests, h->store, &h->limits, httpd_client_turn, h);
	h->requests.forwarded = config->forwarded;
	h->hold = hold_new(loop, h->store);
	h->forward = forward_new(config->outbound);
	h->reject = reject_new(loop);
	/*
	 * Behind a tunnel or proxy, the per-address cap is ours (see
	 * clients.c): MHD's would count the tunnel as one address.  As many
	 * addresses as connections and requests may be under way at once.
	 */
	if (config->forwarded != FORWARDED_NONE)
		h->clients = clients_new(2 * (size_t)h->conn_limit);
	h->daemon = MHD_start_daemon(MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG | tls_flags, 0,
	    h->clients != NULL ? httpd_accept : NULL, h, httpd_access, h,
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
	    h->clients != NULL ? 0 : (unsigned int)h->limits.max_per_ip,
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
	clients_free(h->clients);
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
 * flight, the rejected and refused requests only counted, over the rate
 * caps, and the requests answered 404 (no hook has their token).
 */
void
httpd_status(struct httpd *h, struct json_object *reply)
{
	json_object_object_add(reply, "inflight_bytes",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)request_inflight(&h->requests)));
	json_object_object_add(reply, "rejected_unrecorded",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)reject_unrecorded(h->reject)));
	json_object_object_add(reply, "not_found",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)reject_not_found(h->reject)));
	json_object_object_add(reply, "refused_unrecorded",
	    json_object_new_int64(h == NULL ? 0 :
	    (int64_t)reject_refused_unrecorded(h->reject)));
	if (h == NULL || h->clients == NULL)
		return;
	/* Behind a tunnel: the per-address accounting's table. */
	json_object_object_add(reply, "addresses_tracked",
	    json_object_new_int64((int64_t)clients_tracked(h->clients)));
	json_object_object_add(reply, "addresses_capacity",
	    json_object_new_int64((int64_t)clients_capacity(h->clients)));
	json_object_object_add(reply, "addresses_refused",
	    json_object_new_int64((int64_t)h->clients_refused));
}

/*
 * Stop the server.  No connection may still be suspended: requests still
 * waiting for their app (forwarded), or for a record the store did not
 * make durable in time, get 503 first.
 */
void
httpd_stop(struct httpd *h)
{
	if (h == NULL)
		return;
	/* Let the answers of forward_stop (and any other resume) go out. */
	forward_stop(h->forward);
	httpd_unsynced_stop(h);
	MHD_run(h->daemon);
	/* A turn of the loop after this must not reach the freed server. */
	loop_prepare_remove(h->loop, httpd_prepare, h);
	loop_timer_cancel(h->loop, h->starve_timer);
	loop_remove(h->loop, h->epoll_fd);
	MHD_stop_daemon(h->daemon);
	httpd_canned_free(h);
	httpd_conn_stop(h);
	hold_free(h->hold);
	forward_free(h->forward);
	reject_free(h->reject);
	clients_free(h->clients);
	free(h);
}
