/*
 * Requests to hooks (see request.h): their state from the request line to
 * MHD's completion callback, their response, the journal record of how a
 * held or forwarded one was answered, and the memory their bodies hold.
 *
 * Bodies are bounded twice: each by --max-body, and all those being
 * received at once by --max-inflight, so that many senders together
 * cannot take more memory than that.  A body is charged to the total as
 * soon as its memory is taken (a declared length at once, a chunked one
 * as it grows) and released as soon as the journal holds it, or the
 * request ends.  A replicated store holds each record it wrote (its body
 * with it) until Redis acknowledged it: what it holds counts in the same
 * total (store_holding), so that a slow Redis makes new bodies wait (503)
 * rather than take memory without bound.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "buffer.h"
#include "clock.h"
#include "hook.h"
#include "limit.h"
#include "request.h"
#include "store.h"
#include "xmalloc.h"

/*
 * Start with no requests: their records go to store, their bodies are
 * bounded by limits, and client_turn(connection, arg) is told when one is
 * given its response.
 */
void
requests_init(struct requests *rs, struct store *store,
    const struct limits *limits, request_turn_cb client_turn, void *arg)
{
	memset(rs, 0, sizeof *rs);
	rs->store = store;
	rs->limits = limits;
	rs->client_turn = client_turn;
	rs->arg = arg;
	TAILQ_INIT(&rs->syncing);
}

/* Make the state of a request on connection whose request line has uri. */
struct request *
request_new(struct requests *rs, struct MHD_Connection *connection,
    const char *uri)
{
	struct request	*r;

	r = xcalloc(1, sizeof *r);
	r->requests = rs;
	r->connection = connection;
	r->uri = xstrdup(uri);
	buffer_init(&r->body);
	rs->count++;
	return (r);
}

/* Free a request's state, once MHD is done with it. */
void
request_free(struct request *r)
{
	if (r->response != NULL)
		MHD_destroy_response(r->response);
	request_body_release(r);
	request_synced(r);
	r->requests->count--;
	free(r->method);
	free(r->client);
	free(r->echo);
	free(r->uri);
	free(r);
}

/*
 * Let a request whose record is appended await its sync without
 * suspending its connection: it stays in MHD's event loop, with its full
 * request read and no response, and the access handler, which MHD calls
 * on each pass, answers it once the sync made it so (request_continue).
 * Suspending costs two epoll_ctl calls per request (MHD takes the socket
 * out of its epoll set and puts it back) and a second recvfrom: not
 * suspending took 0.79x the listener's CPU per request, and 1.03-1.10x
 * the callbacks per second under wrk (doc/performance.md).  The price is
 * that MHD looks at the connection on each pass until then (and the
 * access handler must not count those calls as progress), so only a sync
 * that comes in the next pass may be awaited this way (httpd_received
 * says which).
 */
void
request_await(struct request *r)
{
	r->stage = REQUEST_SUSPENDED;
	r->unsuspended = 1;
	r->requests->awaiting++;
}

/*
 * Request r waits for the sync of its record: the server, stopping, must
 * find it (httpd_unsynced_stop).
 */
void
request_syncing(struct request *r)
{
	TAILQ_INSERT_TAIL(&r->requests->syncing, r, sync_entry);
	r->syncing = 1;
}

/* Request r waits for its sync no more: it came, failed, or r is freed. */
void
request_synced(struct request *r)
{
	if (!r->syncing)
		return;
	TAILQ_REMOVE(&r->requests->syncing, r, sync_entry);
	r->syncing = 0;
}

/*
 * Request r awaited its sync unsuspended, and will not be answered: its
 * connection closed, and its sync was left to run without it
 * (httpd_completed).
 */
void
request_unawait(struct request *r)
{
	r->unsuspended = 0;
	r->requests->awaiting--;
}

/*
 * MHD is done with r's connection: free r; or, if r still awaits its sync
 * unsuspended (the group commit is running it), leave it to the sync,
 * which queues its message (durable even if no one hears the 200) and
 * then frees it.
 */
void
request_completed(struct request *r)
{
	if (!r->unsuspended) {
		request_free(r);
		return;
	}
	r->gone = 1;
	r->connection = NULL;
}

/*
 * Answer a request whose response is ready: resume it if suspended (MHD
 * calls the access handler again, in the stage it was left in); one that
 * awaited its sync unsuspended is in MHD's loop still, whose next pass
 * (the one that follows the sync) calls the access handler.  Either way
 * its client's turn comes again.  One whose connection is gone is freed.
 *
 * The response is queued from the access handler, not here: from outside
 * it, MHD 0.9.75 builds the head at once, and if that does not fit in the
 * connection's memory, closes the connection (freeing r) and then marks
 * the closed connection active, putting it back on its timeout list,
 * from which it is freed: a sender's large head made that a crash.
 */
void
request_continue(struct request *r)
{
	struct requests	*rs = r->requests;

	if (r->unsuspended) {
		r->unsuspended = 0;
		rs->awaiting--;
		if (r->gone) {
			request_free(r);
			return;
		}
		rs->client_turn(r->connection, rs->arg);
		rs->answered++;
		return;
	}
	rs->client_turn(r->connection, rs->arg);
	MHD_resume_connection(r->connection);
}

/* Resume a request whose response is ready (a sync callback). */
static void
request_resume(void *arg)
{
	request_continue(arg);
}

/*
 * How a held or forwarded request was answered is not durable soon (a
 * shared store's Redis is slow or gone): answer 503 with Retry-After
 * instead of the response, rather than hold the sender, or the listener's
 * stop, for as long as Redis takes.  Its answer may still be recorded.
 */
static void
request_unsynced(void *arg, const char *why)
{
	struct request	*r = arg;

	(void)why;
	if (r->response != NULL)
		MHD_destroy_response(r->response);
	r->status = MHD_HTTP_SERVICE_UNAVAILABLE;
	r->response = request_store_response(r->requests->store);
	request_continue(r);
}

/*
 * What a 503 for the store s says: that the journal has no room on disk,
 * that it lacks replicas when connected but short
 * of them, else that it is unreachable (or slow).  Every such 503 asks
 * this, so that all say the same at one moment.
 */
const char *
request_store_text(const struct store *s)
{
	if (store_no_room(s) != 0)
		return (REQUEST_STORE_FULL_TEXT);
	if (store_connected(s) && !store_reachable(s))
		return (REQUEST_STORE_SHORT_TEXT);
	return (REQUEST_STORE_DOWN_TEXT);
}

/*
 * The 503 response for a request whose record, or answer's record, the
 * shared store s has not acknowledged in time (NULL if out of memory).
 * Made here, not by answer.c (a part above this one), so that every such
 * 503 has the same form and Retry-After.
 */
struct MHD_Response *
request_store_response(const struct store *s)
{
	struct MHD_Response	*response;
	const char		*text = request_store_text(s);
	char			 retry[16];

	response = MHD_create_response_from_buffer(strlen(text),
	    (void *)text, MHD_RESPMEM_PERSISTENT);
	if (response == NULL)
		return (NULL);
	snprintf(retry, sizeof retry, "%u", REQUEST_STORE_RETRY_AFTER);
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain; charset=utf-8");
	MHD_add_response_header(response, MHD_HTTP_HEADER_RETRY_AFTER, retry);
	return (response);
}

/*
 * Give a suspended request its response; resume it now, or once what the
 * journal holds so far is durable (after_sync; 503 if that takes more than
 * STORE_COMMAND_WAIT_MS, as it may on a shared store).  Now, r may be
 * freed (request_continue): the caller must not touch it after.
 */
void
request_respond(struct request *r, unsigned int status,
    struct MHD_Response *response, int after_sync)
{
	r->status = status;
	r->response = response;
	r->stage = REQUEST_ANSWERED;
	if (after_sync)
		store_after_sync_or_fail(r->requests->store, request_resume,
		    request_unsynced, NULL, r);
	else
		request_resume(r);
}

/*
 * Journal how a held or forwarded request was answered: its outcome, the
 * status, headers and body sent, and the sequence number of the forward
 * (forward_seq), if it was forwarded.
 */
void
request_journal_answer(struct request *r, const char *outcome,
    unsigned int status, struct json_object *headers, const void *body,
    size_t len, int64_t forward_seq)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "seq",
	    json_object_new_int64((int64_t)r->seq));
	json_object_object_add(o, "token",
	    json_object_new_string(r->hook->token));
	json_object_object_add(o, "outcome", json_object_new_string(outcome));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	if (headers != NULL)
		json_object_object_add(o, "headers", json_object_get(headers));
	if (forward_seq >= 0)
		json_object_object_add(o, "forward_seq",
		    json_object_new_int64(forward_seq));
	json_object_object_add(o, "answered_at",
	    json_object_new_int64(clock_wall_ms()));
	store_answered(r->requests->store, o, body, len);
	json_object_put(o);
}

/* Count n more bytes held by a request's body. */
static void
request_charge(struct request *r, size_t n)
{
	r->charged += n;
	r->requests->inflight += n;
}

/* Free a request's body, and count its bytes no longer held. */
void
request_body_release(struct request *r)
{
	r->requests->inflight -= r->charged;
	r->charged = 0;
	buffer_release(&r->body);
}

/*
 * Return the bytes of bodies held, counted against --max-inflight: those
 * of requests, and those of records the store holds until they are
 * durable.
 */
uint64_t
request_inflight(const struct requests *rs)
{
	return (rs->inflight + store_holding(rs->store));
}

/* Return the largest body a request may have: --max-body, --max-inflight. */
uint64_t
request_body_cap(const struct requests *rs)
{
	const struct limits	*l = rs->limits;

	return (l->max_body < l->max_inflight ? l->max_body : l->max_inflight);
}

/*
 * Hold the memory for a body whose length is declared, all of it at once
 * (never touched before it is received): return 0 if it would take the
 * bodies in flight past --max-inflight.
 */
int
request_body_reserve(struct request *r, uint64_t length)
{
	struct requests	*rs = r->requests;

	if (request_inflight(rs) + length > rs->limits->max_inflight)
		return (0);
	buffer_reserve(&r->body, (size_t)length);
	request_charge(r, r->body.size);
	return (1);
}

/*
 * Keep a piece of a request's body, unless the body has been dropped.  A
 * chunked body (a declared length was checked and reserved before) that
 * passes --max-body, or whose growth takes the memory held by bodies in
 * flight past --max-inflight, is dropped at once and never journaled.
 * MHD 0.9.75 cannot answer before the body's end, so the rest is read and
 * thrown away, unless the client misses its deadline first; the answer is
 * then 413, or 503 with Retry-After.
 */
void
request_body_add(struct request *r, const char *data, size_t len)
{
	struct requests	*rs = r->requests;
	size_t		 size = r->body.size;

	if (r->too_large || r->overflow)
		return;
	if (buffer_unread(&r->body) + len > request_body_cap(rs)) {
		r->too_large = 1;
		request_body_release(r);
		return;
	}
	buffer_add(&r->body, data, len);
	if (r->body.size == size)
		return;		/* within what it has (a declared length) */
	request_charge(r, r->body.size - size);
	if (request_inflight(rs) > rs->limits->max_inflight) {
		r->overflow = 1;
		request_body_release(r);
	}
}
