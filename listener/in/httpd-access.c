/*
 * HTTP in's requests, through MHD's callbacks (see httpd.c): the request
 * line (httpd_uri_logger), the headers, each piece of the body and its end
 * (httpd_access), and the end of MHD's work on it (httpd_completed), where
 * its state is freed.
 *
 * A request's form is checked first (strict.c), then its hook: unknown tokens
 * (and every other path) get 404, closed hooks 410.  Its body is kept within
 * --max-body and --max-inflight (request.c).  Complete, it is journaled
 * (record.c), its connection suspended (or, when the next group commit
 * will settle it, left in MHD's loop: request_await), and resumed by the
 * group commit (store_after_sync) that made it durable: only then is it
 * queued for wait and answered, as its hook says (answer.c): with the
 * hook's status, headers
 * and body; with the value a handshake asks to have echoed; with the answer
 * of the local app it is forwarded to (forward.c), which took a file for its
 * socket to the app when its head came in (or it got 503, only its refusal
 * journaled); or, for a --hold hook, not yet (hold.c).  A request that failed
 * its hook's signature check is answered 401 once durable, and none of the
 * hook's answer settings apply; past the rate caps it is answered 401 at
 * once.
 *
 * With a store shared through Redis (--store), a request gets 503 with
 * Retry-After while Redis is unreachable or short of the replicas
 * --store-replicas wants, or when its record is not
 * acknowledged within HTTPD_STORE_WAIT_MS; and an unknown token makes the
 * store catch up first (catch-up.c), for a hook spawned elsewhere.
 *
 * Every bad request gets a short fixed answer that echoes nothing of it,
 * and any answer before the body closes the connection after it: MHD
 * reads no body or later request of it, so nothing is smuggled.  Each
 * refusal (but those of a listener shutting down) is journaled as a
 * bounded head, within rate caps (refuse.c).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "answer.h"
#include "buffer.h"
#include "catch-up.h"
#include "clients.h"
#include "forward.h"
#include "hold.h"
#include "hook.h"
#include "httpd-private.h"
#include "loop.h"
#include "message.h"
#include "record.h"
#include "refuse.h"
#include "request.h"
#include "store.h"
#include "strict.h"
#include "token.h"
#include "xmalloc.h"

/*
 * When a client over its cap of requests under way may retry (seconds):
 * most requests end well within it.
 */
#define HTTPD_CLIENT_RETRY_AFTER	1

/*
 * The longest a request's answer waits for a shared store's Redis to
 * acknowledge its record, before 503: an append takes milliseconds, and
 * a Redis that went away is noticed within its command deadline.
 */
#define HTTPD_STORE_WAIT_MS	3000

/*
 * The answer to a request for a --forward-to hook when no file is free
 * for its socket to the app, and when to retry (seconds): a forward ends
 * within its --hold-timeout, most much sooner.
 */
#define HTTPD_NO_FILE_TEXT	"too many requests under way, retry later\n"
#define HTTPD_NO_FILE_RETRY_AFTER	1

/*
 * Whether this libmicrohttpd lets a request await its sync unsuspended
 * (request_await): 0.9.75 to 1.0, read for it, keep a connection with a
 * full request and no response among those each pass looks at (its
 * epoll "ready" list, which zeroes MHD's timeout), and call the access
 * handler for it on each pass.  Any other keeps suspending.
 */
#if MHD_VERSION >= 0x00097500 && MHD_VERSION < 0x01010000
#define HTTPD_AWAIT_UNSUSPENDED	1
#else
#define HTTPD_AWAIT_UNSUSPENDED	0
#endif

/*
 * The least --idle-timeout with which a request may await its sync
 * unsuspended.  MHD then times its connection out (our backstop, see
 * httpd_start), which it does not while suspended: if the disk fills at
 * that sync, MHD must not cut it unanswered before its 503, which comes
 * HTTPD_STORE_WAIT_MS after.  A second more is for the pass that sends it.
 */
#define HTTPD_AWAIT_IDLE_MIN_MS	(HTTPD_STORE_WAIT_MS + 1000)

/* The answer to a request that failed its hook's signature check. */
#define HTTPD_REJECTED_TEXT	"signature check failed\n"

/*
 * Return the short plain-text answer text with a Retry-After of
 * retry_after seconds unless it is 0, made on first use and kept until
 * the server stops (httpd_canned_free): MHD counts the connections it is
 * queued on.  The texts are our constants, so they are told apart by
 * address.  NULL if libmicrohttpd cannot make it.
 */
static struct MHD_Response *
httpd_canned(struct httpd *h, const char *text, unsigned int retry_after)
{
	struct httpd_canned	*c;
	struct MHD_Response	*response;
	size_t			 i;
	char			 seconds[16];

	for (i = 0; i < h->ncanned; i++) {
		c = &h->canned[i];
		if (c->text == text && c->retry_after == retry_after)
			return (c->response);
	}
	response = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return (NULL);
	if (*text != '\0')
		MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
		    "text/plain; charset=utf-8");
	if (retry_after != 0) {
		snprintf(seconds, sizeof seconds, "%u", retry_after);
		MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER,
		    seconds);
	}
	h->canned = xreallocarray(h->canned, h->ncanned + 1,
	    sizeof *h->canned);
	c = &h->canned[h->ncanned++];
	c->text = text;
	c->retry_after = retry_after;
	c->response = response;
	return (response);
}

/* Free the short answers made (the server stops). */
void
httpd_canned_free(struct httpd *h)
{
	size_t	i;

	for (i = 0; i < h->ncanned; i++)
		MHD_destroy_response(h->canned[i].response);
	free(h->canned);
	h->canned = NULL;
	h->ncanned = 0;
}

/*
 * Queue a short plain-text answer, with a Retry-After of retry_after
 * seconds unless it is 0.
 */
static enum MHD_Result
httpd_answer_retry(struct httpd *h, struct MHD_Connection *connection,
    unsigned int status, const char *text, unsigned int retry_after)
{
	struct MHD_Response	*response;

	if ((response = httpd_canned(h, text, retry_after)) == NULL)
		return (MHD_NO);
	return (MHD_queue_response(connection, status, response));
}

static struct hook	*httpd_find_hook(struct httpd *, const char *);

/* Queue a short plain-text answer. */
static enum MHD_Result
httpd_answer(struct httpd *h, struct MHD_Connection *connection,
    unsigned int status, const char *text)
{
	return (httpd_answer_retry(h, connection, status, text, 0));
}

/*
 * Answer 503 to a request whose body does not fit in --max-inflight now.
 * Bodies in flight are journaled or cut within the idle timeout: that is
 * when to retry.
 */
static enum MHD_Result
httpd_answer_busy(struct httpd *h, struct MHD_Connection *connection)
{
	return (httpd_answer_retry(h, connection, MHD_HTTP_SERVICE_UNAVAILABLE,
	    "too many bodies in flight, retry later\n",
	    (unsigned int)((h->limits.idle_timeout_ms + 999) / 1000)));
}

/*
 * Journal request r as refused (refuse.c), with its hook if the URI names
 * one, and answer it status with text.
 */
static enum MHD_Result
httpd_refuse(struct httpd *h, struct request *r,
    struct MHD_Connection *connection, const char *method,
    unsigned int status, const char *text)
{
	refuse_record(h->reject, r, r->hook != NULL ? r->hook :
	    httpd_find_hook(h, r->uri), method, status, text, 1);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		return (httpd_answer_busy(h, connection));
	if (status == MHD_HTTP_TOO_MANY_REQUESTS)
		return (httpd_answer_retry(h, connection, status, text,
		    HTTPD_CLIENT_RETRY_AFTER));
	return (httpd_answer(h, connection, status, text));
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
void *
httpd_uri_logger(void *arg, const char *uri, struct MHD_Connection *connection)
{
	struct httpd	*h = arg;
	struct request	*r;
	const char	*query;

	h->progress++;
	httpd_conn_busy(h, connection);
	r = request_new(&h->requests, connection, uri);
	if (strict_uri_too_long(uri, h->limits.max_header)) {
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

/* Return the status a hook answers with. */
static unsigned int
httpd_hook_status(const struct hook *h)
{
	return (h->status == 0 ? MHD_HTTP_OK : (unsigned int)h->status);
}

/* The record of a request answered 503 is durable after all: queue it. */
static void
httpd_orphan_durable(void *arg)
{
	struct message	*m = arg;

	store_ready(m->hook->store, m);
}

/* Likewise, for a request that failed its signature check. */
static void
httpd_orphan_rejected(void *arg)
{
	struct message	*m = arg;

	store_reject(m->hook->store, m);
}

static void	httpd_durable(void *);
static void	httpd_rejected(void *);

/*
 * Leave the sync that request r waits for to queue its message without r
 * (httpd_orphan_durable, httpd_orphan_rejected), in its place: in the
 * order written.  Return 0, or -1 if it is not waiting (it runs now).
 */
static int
httpd_orphan(struct httpd *h, struct request *r)
{
	if (store_sync_move(h->store, r->rejected ? httpd_rejected :
	    httpd_durable, r, r->rejected ? httpd_orphan_rejected :
	    httpd_orphan_durable, r->message) == -1)
		return (-1);
	r->message = NULL;
	return (0);
}

static int	httpd_may_await_unsuspended(struct httpd *,
		    const struct request *);
static enum MHD_Result httpd_queue_answer(struct MHD_Connection *,
		    struct request *);

/*
 * A shared store's Redis has not acknowledged the request's record within
 * HTTPD_STORE_WAIT_MS, or a WAIT found it short of the replicas
 * --store-replicas wants: answer 503 with Retry-After now rather than
 * hold the sender.  The record may still be acknowledged (at least once:
 * a sender that retries may deliver twice); its message is queued if it
 * is.
 */
static void
httpd_store_failed(void *arg, const char *why)
{
	struct request	*r = arg;
	struct httpd	*h = r->requests->arg;

	(void)why;
	request_synced(r);
	if (httpd_orphan(h, r) == -1)
		return;
	request_body_release(r);
	forward_release(h->forward, r);
	request_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
	    request_store_response(h->store), 0);
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

	request_synced(r);
	/* A replicated store renumbered it once durable (store-redis-send.c). */
	r->seq = r->message->seq;
	store_ready(h->store, r->message);
	r->message = NULL;
	if (h->stopping)
		forward_release(h->forward, r);
	if (r->echo == NULL && !h->stopping && hook->forward_to != NULL) {
		forward_start(h->forward, r);
		request_body_release(r);
		return;
	}
	/* Before the answer, which may free r (request_continue). */
	request_body_release(r);
	if (r->echo != NULL)
		request_respond(r, httpd_hook_status(hook),
		    answer_text_len(hook->headers, r->echo, r->echo_len), 0);
	else if (h->stopping && (hook->hold || hook->forward_to != NULL))
		request_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	else if (hook->hold)
		hold_add(h->hold, r);
	else {
		/* The hook's answer, made once (answer_canned). */
		r->canned = 1;
		request_respond(r, httpd_hook_status(hook), NULL, 0);
	}
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

	request_synced(r);
	store_reject(r->requests->store, r->message);
	r->message = NULL;
	/* Before the answer, which may free r (request_continue). */
	request_body_release(r);
	request_respond(r, MHD_HTTP_UNAUTHORIZED,
	    answer_text(NULL, HTTPD_REJECTED_TEXT), 0);
}

/*
 * Behind a tunnel or proxy, count request r as under way for its client:
 * the address its forwarding header names (trusted from a loopback peer
 * only, see record_client), else its peer.  Return 0 if the client has
 * --max-per-ip under way already (see clients.c).
 */
static int
httpd_count_client(struct httpd *h, struct request *r,
    struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo	*info;

	r->client = record_client(r, httpd_conn_remote(connection));
	if (r->client != NULL) {
		if (clients_key_string(r->client, &r->client_key) == -1)
			return (1);
	} else {
		info = MHD_get_connection_info(connection,
		    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (info == NULL || clients_key_sockaddr(info->client_addr,
		    &r->client_key) == -1)
			return (1);
	}
	if (!clients_take(h->clients, &r->client_key, CLIENTS_REQUEST,
	    h->limits.max_per_ip)) {
		h->clients_refused++;
		return (0);
	}
	r->client_counted = 1;
	return (1);
}

static enum MHD_Result	httpd_hooked(struct httpd *, struct request *,
			    struct MHD_Connection *, const char *);

/*
 * Tell whether a URI's first path segment has a token's length: only
 * such a request may be for a hook spawned elsewhere.
 */
static int
httpd_token_shaped(const char *uri)
{
	return (*uri == '/' && strcspn(uri + 1, "/?#") == TOKEN_LEN);
}

/*
 * A request's headers are in: check its form and find its hook (a shared
 * store catches up first when its token is unknown here).  Any answer now
 * closes the connection after it (MHD reads no body or later request of
 * it): nothing is smuggled.
 */
static enum MHD_Result
httpd_headers(struct httpd *h, struct request *r,
    struct MHD_Connection *connection, const char *method)
{
	struct strict_framing	 framing;

	if (h->clients != NULL && !httpd_count_client(h, r, connection))
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_TOO_MANY_REQUESTS,
		    "too many requests from this address under way\n"));
	if (r->too_long)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_URI_TOO_LONG, "request line too long\n"));
	strict_framing(connection, request_body_cap(&h->requests), &framing);
	if (framing.malformed)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_BAD_REQUEST, "bad header field\n"));
	r->hook = httpd_find_hook(h, r->uri);
	if (!store_reachable(h->store) && !h->stopping)
		return (httpd_answer_retry(h, connection,
		    MHD_HTTP_SERVICE_UNAVAILABLE, request_store_text(h->store),
		    REQUEST_STORE_RETRY_AFTER));
	if (r->hook == NULL && store_state(h->store) != NULL &&
	    httpd_token_shaped(r->uri) && !h->stopping) {
		/* Perhaps spawned on another listener a moment ago. */
		r->stage = REQUEST_CATCHING_UP;
		MHD_suspend_connection(connection);
		if (catch_up_start(h->loop, h->store, r) == 0)
			return (MHD_YES);
		MHD_resume_connection(connection);
		r->stage = REQUEST_NEW;
		return (httpd_answer_retry(h, connection,
		    MHD_HTTP_SERVICE_UNAVAILABLE, request_store_text(h->store),
		    REQUEST_STORE_RETRY_AFTER));
	}
	return (httpd_hooked(h, r, connection, method));
}

/*
 * A request whose token was unknown is back from the store's catch-up
 * (catch-up.c): look for its hook again; 503 if the store could not
 * catch up in time (the hook may exist elsewhere).
 */
static enum MHD_Result
httpd_caught_up(struct httpd *h, struct request *r,
    struct MHD_Connection *connection, const char *method)
{
	r->stage = REQUEST_NEW;
	if (r->caught_up != 1)
		return (httpd_answer_retry(h, connection,
		    MHD_HTTP_SERVICE_UNAVAILABLE, request_store_text(h->store),
		    REQUEST_STORE_RETRY_AFTER));
	r->hook = httpd_find_hook(h, r->uri);
	return (httpd_hooked(h, r, connection, method));
}

/*
 * The rest of a request's headers, once its hook is known (or not): its
 * path, request line and body framing; and the memory its body declares.
 */
static enum MHD_Result
httpd_hooked(struct httpd *h, struct request *r,
    struct MHD_Connection *connection, const char *method)
{
	struct strict_framing	 framing;

	strict_framing(connection, request_body_cap(&h->requests), &framing);
	if (r->hook == NULL)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_NOT_FOUND, "no such hook\n"));
	if (r->hook->closed)
		return (httpd_refuse(h, r, connection, method, MHD_HTTP_GONE,
		    "this hook is closed\n"));
	if (strict_has_dot_segment(r->uri + 1 + TOKEN_LEN))
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_BAD_REQUEST, "bad path\n"));
	if (!strict_request_line_clean(method, r->uri))
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_BAD_REQUEST, "bad request line\n"));
	if (h->stopping)
		return (httpd_answer(h, connection, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "shutting down\n"));
	if (strict_framing_ambiguous(&framing))
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_BAD_REQUEST, "ambiguous body length\n"));
	if (framing.too_large)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
	if (r->hook->forward_to != NULL && !forward_admit(h->forward, r)) {
		/* No file for its socket to the app: only the refusal is recorded. */
		refuse_record(h->reject, r, r->hook, method,
		    MHD_HTTP_SERVICE_UNAVAILABLE, HTTPD_NO_FILE_TEXT, 1);
		return (httpd_answer_retry(h, connection,
		    MHD_HTTP_SERVICE_UNAVAILABLE, HTTPD_NO_FILE_TEXT,
		    HTTPD_NO_FILE_RETRY_AFTER));
	}
	if (framing.length > 0 && !request_body_reserve(r, framing.length)) {
		forward_release(h->forward, r);
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_SERVICE_UNAVAILABLE,
		    "too many bodies in flight, retry later\n"));
	}
	r->stage = REQUEST_RECEIVING;
	return (MHD_YES);
}

/*
 * A request's body is complete: journal it, suspend its connection, and
 * answer it once its record is durable.
 */
static enum MHD_Result
httpd_received(struct httpd *h, struct request *r,
    struct MHD_Connection *connection, const char *method)
{
	enum record_outcome	outcome;

	if (r->too_large)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
	if (r->overflow)
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_SERVICE_UNAVAILABLE,
		    "too many bodies in flight, retry later\n"));
	/* The hook was found by "/TOKEN" at the start of the URI. */
	r->rest = r->uri + 1 + TOKEN_LEN;
	outcome = record_request(r, h->reject, method,
	    httpd_conn_remote(connection));
	if (outcome == RECORD_COUNTED) {
		forward_release(h->forward, r);
		request_body_release(r);
		return (httpd_answer(h, connection, MHD_HTTP_UNAUTHORIZED,
		    HTTPD_REJECTED_TEXT));
	}
	if (outcome == RECORD_TOO_LARGE) {
		/* Defence: no body the listener takes makes one (journal_fits). */
		forward_release(h->forward, r);
		request_body_release(r);
		return (httpd_refuse(h, r, connection, method,
		    MHD_HTTP_CONTENT_TOO_LARGE, "body too large\n"));
	}
	if (outcome == RECORD_ACCEPTED)
		r->echo = answer_echo(r->hook, connection,
		    buffer_peek(&r->body), buffer_unread(&r->body),
		    &r->echo_len);
	/* Failed its signature check (401), or echoed: never forwarded. */
	if (outcome != RECORD_ACCEPTED || r->echo != NULL)
		forward_release(h->forward, r);
	/* The journal holds the request now; only forward needs it. */
	if (r->hook->forward_to != NULL)
		r->method = xstrdup(method);
	else
		request_body_release(r);
	httpd_server_turn(connection);
	if (httpd_may_await_unsuspended(h, r))
		request_await(r);
	else {
		r->stage = REQUEST_SUSPENDED;
		MHD_suspend_connection(connection);
	}
	r->rejected = outcome == RECORD_REJECTED;
	/*
	 * A shared store's Redis may be slow or short of replicas: 503.  The
	 * store closes after the server: by then MHD has freed r.
	 */
	request_syncing(r);
	store_after_sync_within(h->store, HTTPD_STORE_WAIT_MS, r->rejected ?
	    httpd_rejected : httpd_durable, httpd_store_failed, NULL, r);
	return (MHD_YES);
}

/*
 * The server stops, and the store has not made the records of these
 * requests durable in the stop's grace (no room on disk, Redis slow):
 * answer them 503 now, as at their deadline (their messages are queued
 * should the records be written after all), rather than leave them
 * suspended: MHD 0.9.75 aborts when stopped with a connection suspended.
 */
void
httpd_unsynced_stop(struct httpd *h)
{
	struct request	*r;

	while ((r = TAILQ_FIRST(&h->requests.syncing)) != NULL)
		httpd_store_failed(r, "the server stops");
}

/*
 * Tell whether request r, just journaled, may await its sync with its
 * connection left in MHD's loop (request_await): when the group commit
 * that follows will settle it.  It will with the journal alone, which has
 * room on disk (if the disk fills at that commit, the pass polls until
 * the 503: httpd_prepare, and MHD's timeout must wait for it); not with a
 * shared store, whose Redis may take up to HTTPD_STORE_WAIT_MS, nor for a
 * --hold or --forward-to hook, whose answer comes later still.
 */
static int
httpd_may_await_unsuspended(struct httpd *h, const struct request *r)
{
	return (HTTPD_AWAIT_UNSUSPENDED && store_state(h->store) == NULL &&
	    store_no_room(h->store) == 0 &&
	    h->limits.idle_timeout_ms >= HTTPD_AWAIT_IDLE_MIN_MS &&
	    !r->hook->hold && r->hook->forward_to == NULL);
}

/* MHD's access handler: called for the headers, each body piece, the end. */
enum MHD_Result
httpd_access(void *arg, struct MHD_Connection *connection, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct httpd		*h = arg;
	struct request		*r = *con_cls;

	(void)url;
	(void)version;
	if (r == NULL)
		return (MHD_NO);
	/* Awaiting its sync unsuspended: MHD asks on each pass, idly. */
	if (r->stage == REQUEST_SUSPENDED)
		return (MHD_YES);
	h->progress++;
	switch (r->stage) {
	case REQUEST_NEW:
		return (httpd_headers(h, r, connection, method));
	case REQUEST_CATCHING_UP:
		return (httpd_caught_up(h, r, connection, method));
	case REQUEST_RECEIVING:
		if (*upload_data_size == 0)
			return (httpd_received(h, r, connection, method));
		request_body_add(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* It will be refused (413, 503) once it ends. */
		if (r->too_large || r->overflow)
			forward_release(h->forward, r);
		return (MHD_YES);
	case REQUEST_SUSPENDED:
		return (MHD_YES);
	case REQUEST_ANSWERED:
		return (httpd_queue_answer(connection, r));
	}
	return (MHD_NO);
}

/*
 * Queue the response of request r, answered: its hook's own, made once
 * (answer_canned), or the one made for it.  MHD_NO if there is none (out
 * of memory) or MHD refuses it.
 */
static enum MHD_Result
httpd_queue_answer(struct MHD_Connection *connection, struct request *r)
{
	struct MHD_Response	*response;
	enum MHD_Result		 ret;

	if (r->canned) {
		response = answer_canned(r->hook);
		return (response == NULL ? MHD_NO :
		    MHD_queue_response(connection, r->status, response));
	}
	if (r->response == NULL)
		return (MHD_NO);
	ret = MHD_queue_response(connection, r->status, r->response);
	MHD_destroy_response(r->response);
	r->response = NULL;
	return (ret);
}

/* Free per-request state once MHD is done with the request. */
void
httpd_completed(void *arg, struct MHD_Connection *connection, void **con_cls,
    enum MHD_RequestTerminationCode code)
{
	struct httpd	*h = arg;
	struct request	*r = *con_cls;

	/* Between requests of a keep-alive connection: the client's turn. */
	httpd_client_turn(connection, h);
	httpd_conn_idle(h, connection);
	if (r == NULL)
		return;
	/*
	 * MHD answered the head itself (see httpd_log): 431 for headers
	 * past --max-header, 400 for a malformed one.  Only the request
	 * line's target is known.
	 */
	if (r->stage == REQUEST_NEW &&
	    code == MHD_REQUEST_TERMINATED_WITH_ERROR && h->mhd_status != 0)
		refuse_record(h->reject, r, httpd_find_hook(h, r->uri), NULL,
		    h->mhd_status, h->mhd_status ==
		    MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE ?
		    "headers too large" : "bad request head", 0);
	h->mhd_status = 0;
	if (r->client_counted)
		clients_give(h->clients, &r->client_key, CLIENTS_REQUEST);
	hold_forget(h->hold, r);
	forward_forget(h->forward, r);
	/*
	 * One awaiting its sync unsuspended (its sender reset, or the server
	 * stops) leaves it to queue its message without it, and is freed
	 * now: the store, which may run that sync, closes after the server
	 * and this state.  Unless the sync runs now: then it frees r.
	 */
	if (r->unsuspended && httpd_orphan(h, r) == 0)
		request_unawait(r);
	request_completed(r);
	*con_cls = NULL;
	h->progress++;
}
