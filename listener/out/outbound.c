/*
 * Journaled outbound requests (see outbound.h).  Each attempt takes its
 * sequence number from the store when it starts, so the timeline orders
 * requests by their start; its start record must be durable before curl
 * sends a byte (it waits for the store's group commit), and its outcome
 * record completes it.  Backoff between attempts is a timer on the loop
 * outbound_new was given; nothing blocks.
 *
 * Its caller is told how a request ended once (outbound_tell), maybe
 * before the request is done with: a start given up, or the listener
 * stopping, leaves it waiting for the store to journal its outcome.  If
 * the store closes first, it is freed then (outbound_dropped).
 *
 * Each attempt holds one of the outbound files of the listener's budget
 * (lib/files.c; curl keeps no more connections open) from before its
 * start is journaled to its end.  An attempt that finds none waits in
 * blocked, oldest first, its start not journaled, for at most its
 * --timeout, which the wait counts against; a forward takes its file when
 * its request comes in (outbound_reserve), and only when no send waits,
 * so that forwards never starve sends.
 */
#include "config.h"

#include <sys/random.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "mask.h"
#include "message.h"
#include "outbound.h"
#include "proto.h"
#include "retry.h"
#include "store.h"
#include "xmalloc.h"

/* One request, over all its attempts. */
struct outbound_request {
	struct outbound		*out;
	char			*method;
	char			*url;
	struct json_object	*headers;
	char			*body;
	size_t			 body_len;
	int64_t			 timeout_ms;
	int			 follow;
	char			*trust;		/* see httpc_request */
	char			*connect_to;
	char			*proxy;
	char			*noproxy;
	char			*proxy_user;	/* wiped when done */
	struct json_object	*proxy_headers;
	int			 insecure;
	int			 compressed;
	int			 verbose;
	size_t			 max_response;
	unsigned int		 retries;	/* attempts after the first */
	unsigned int		 attempt;	/* 1, 2, ... */
	uint64_t		 first_seq;	/* of attempt 1 */
	struct message		*message;	/* this attempt's */
	struct httpc_result	*last;		/* the last attempt's, while
						   the next waits, or NULL */
	uint64_t		 last_seq;	/* its sequence number */
	struct json_object	*sending;	/* its headers, till it leaves */
	struct loop_timer	*timer;		/* backoff before the next */
	outbound_done_cb	 cb;		/* NULL: told already */
	const struct outbound_ops *ops;		/* or NULL */
	void			*arg;
	int			 starting;	/* in starting */
	int			 has_file;	/* holds an outbound file */
	int64_t			 blocked_at;	/* when it began to wait for
						   one, or 0 */
	int			 blocked_said;	/* see outbound_say_blocked */
	/* In waiting during its backoff, in starting, or in blocked. */
	TAILQ_ENTRY(outbound_request) entry;
};

struct outbound {
	struct loop		*loop;
	struct httpc		*httpc;
	struct store		*store;
	char			*session;	/* its name, for errors */
	TAILQ_HEAD(, outbound_request) waiting;	/* in their backoff */
	/* Their callers not told yet, their start not yet durable. */
	TAILQ_HEAD(, outbound_request) starting;
	/* Waiting for an outbound file, oldest first. */
	TAILQ_HEAD(, outbound_request) blocked;
	size_t			 nblocked;
	size_t			 files;		/* outbound files, or 0: any */
	size_t			 taken;		/* by attempts and forwards */
	int			 stopping;	/* no more attempts */
};

static void	outbound_attempt(struct outbound_request *);
static void	outbound_journal_start(struct outbound_request *);

/* Tell whether whoever asked for a request still waits for it. */
static int
outbound_wanted(const struct outbound_request *o)
{
	if (o->cb == NULL)
		return (0);
	return (o->ops == NULL || o->ops->wanted == NULL ||
	    o->ops->wanted(o->arg));
}

/*
 * Tell the caller how its request ended (result, and the sequence number
 * of its last attempt), unless it was told already: then arg may be gone.
 */
static void
outbound_tell(struct outbound_request *o, struct httpc_result *result,
    uint64_t seq)
{
	outbound_done_cb	cb = o->cb;

	if (cb == NULL)
		return;
	o->cb = NULL;
	cb(result, seq, o->arg);
}

/* An attempt's start is durable, or given up: take it out of starting. */
static void
outbound_started(struct outbound_request *o)
{
	if (!o->starting)
		return;
	TAILQ_REMOVE(&o->out->starting, o, entry);
	o->starting = 0;
}

/* Return random bits for jitter (no need for them to be secret). */
static uint32_t
outbound_random(void)
{
	uint32_t	r;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r)
		r = (uint32_t)loop_now() * 2654435761U;
	return (r);
}

/*
 * Return how long to wait before trying again after this result, or -1 to
 * stop: out of retries, nobody waits any more, the listener is stopping,
 * a success, an answer other than 429 or 5xx, or a network error that
 * would stay.  Every method is tried again, as with curl --retry: the
 * user asked for it.
 */
static int64_t
outbound_retry_delay(const struct outbound_request *o,
    const struct httpc_result *result)
{
	if (o->attempt > o->retries || !outbound_wanted(o) || o->out->stopping)
		return (-1);
	if (result->status == EXIT_OK) {
		if (!retry_http_status(result->http_status))
			return (-1);
		return (retry_backoff(o->attempt, result->retry_after_ms,
		    outbound_random()));
	}
	if (!result->transient)
		return (-1);
	return (retry_backoff(o->attempt, -1, outbound_random()));
}

/* Make a result for an attempt that did not leave: why, and nothing else. */
static void
outbound_result_init(struct httpc_result *result, char *why)
{
	memset(result, 0, sizeof *result);
	result->status = EXIT_UNAVAILABLE;
	result->error = why;
	result->headers = json_object_new_array();
	buffer_init(&result->head);
	buffer_init(&result->body);
	buffer_init(&result->trace);
	result->retry_after_ms = -1;
}

/* Free what outbound_result_init made. */
static void
outbound_result_release(struct httpc_result *result)
{
	free(result->error);
	free(result->final_url);
	free(result->note);
	json_object_put(result->headers);
	buffer_release(&result->head);
	buffer_release(&result->body);
	buffer_release(&result->trace);
}

/* Free what outbound_keep_last kept, once the next attempt leaves. */
static void
outbound_drop_last(struct outbound_request *o)
{
	if (o->last == NULL)
		return;
	outbound_result_release(o->last);
	free(o->last);
	o->last = NULL;
}

/*
 * Keep an attempt's result (of seq) while the next attempt waits, to
 * tell the caller should that attempt never be made.  What it holds is
 * moved, not copied (a body up to --max-response): result is left empty,
 * as httpc_done_cb allows, for its owner to release.
 */
static void
outbound_keep_last(struct outbound_request *o, struct httpc_result *result,
    uint64_t seq)
{
	outbound_drop_last(o);
	o->last = xmalloc(sizeof *o->last);
	*o->last = *result;
	outbound_result_init(result, NULL);
	o->last_seq = seq;
}

/*
 * End a request between attempts: tell the caller, with why in a result
 * that says no attempt was made.
 */
static void
outbound_abandon(struct outbound_request *o, const char *why)
{
	struct httpc_result	 result;
	char			*text;

	xasprintf(&text, "%s before attempt %u", why, o->attempt);
	outbound_result_init(&result, text);
	result.attempt = o->attempt - 1;
	outbound_tell(o, &result, 0);
	outbound_result_release(&result);
}

/*
 * Return why an attempt the listener's stop kept from leaving was not
 * made (detail after it): the request never left, or, for a retry, that
 * attempt did not (an earlier one did).  Caller frees.
 */
static char *
outbound_stopped_why(const struct outbound_request *o, const char *detail)
{
	char	*why;

	if (o->attempt > 1)
		xasprintf(&why, "session '%s' was stopped before attempt %u "
		    "left%s", o->out->session, o->attempt, detail);
	else
		xasprintf(&why, "session '%s' was stopped before the request "
		    "left%s", o->out->session, detail);
	return (why);
}

/* Free a request that is done. */
static void
outbound_request_free(struct outbound_request *o)
{
	json_object_put(o->sending);
	json_object_put(o->headers);
	free(o->method);
	free(o->url);
	free(o->body);
	free(o->trust);
	free(o->connect_to);
	free(o->proxy);
	free(o->noproxy);
	if (o->proxy_user != NULL) {
		explicit_bzero(o->proxy_user, strlen(o->proxy_user));
		free(o->proxy_user);
	}
	json_object_put(o->proxy_headers);
	outbound_drop_last(o);
	free(o);
}

/* Tell whether an outbound file is free, with ahead requests before us. */
static int
outbound_file_free(const struct outbound *out, size_t ahead)
{
	return (out->files == 0 || out->taken + ahead < out->files);
}

/*
 * Log how a request's wait for an outbound file goes: that it waits
 * (went, 0), that it has one (1) or that it gave up (-1).  Once a
 * request, not once an attempt: a send that retries while files are
 * short would log a line per attempt.  So the first wait is said, then
 * that it got a file, and a wait given up (its request ends there);
 * the waits of later attempts are not.  blocked_said: 0 nothing said,
 * 1 the wait, 2 the file had, 3 given up.
 */
static void
outbound_say_blocked(struct outbound_request *o, int went)
{
	char	*shown;

	if (went == 0 && o->blocked_said != 0)
		return;
	if (went > 0 && o->blocked_said != 1)
		return;
	if (went < 0 && (o->blocked_said == 0 || o->blocked_said == 3))
		return;
	o->blocked_said = went == 0 ? 1 : went > 0 ? 2 : 3;
	shown = mask_credentials(o->url);
	if (went == 0)
		log_info("%s %s: waits for an outbound file (all %zu in use)",
		    o->method, shown, o->out->files);
	else if (went > 0)
		log_info("%s %s: has an outbound file after %lld ms",
		    o->method, shown, (long long)(loop_now() - o->blocked_at));
	else
		log_info("%s %s: gave up waiting for an outbound file",
		    o->method, shown);
	free(shown);
}

/* Take a request out of blocked. */
static void
outbound_unqueue(struct outbound_request *o)
{
	TAILQ_REMOVE(&o->out->blocked, o, entry);
	o->out->nblocked--;
	loop_timer_cancel(o->out->loop, o->timer);
	o->timer = NULL;
}

/* Start the attempts waiting for files that are free now, oldest first. */
static void
outbound_unblock(struct outbound *out)
{
	struct outbound_request	*o;

	while ((o = TAILQ_FIRST(&out->blocked)) != NULL &&
	    outbound_file_free(out, 0)) {
		outbound_unqueue(o);
		if (!outbound_wanted(o)) {
			outbound_say_blocked(o, -1);
			outbound_abandon(o, "given up");
			outbound_request_free(o);
			continue;
		}
		out->taken++;
		o->has_file = 1;
		outbound_say_blocked(o, 1);
		outbound_journal_start(o);
	}
}

/* An attempt is over: give its file to whoever waits for one. */
static void
outbound_release(struct outbound_request *o)
{
	if (!o->has_file)
		return;
	o->has_file = 0;
	o->out->taken--;
	outbound_unblock(o->out);
}

/*
 * An attempt waited its --timeout for an outbound file: end its request.
 * The first never left; after it, the caller hears the last attempt's
 * result, as it would have had the request not been tried again, with a
 * note of the attempt that was never made.
 */
static void
outbound_blocked_expired(void *arg)
{
	struct outbound_request	*o = arg;
	struct httpc_result	 result;
	char			*text;

	o->timer = NULL;
	outbound_unqueue(o);
	outbound_say_blocked(o, -1);
	if (o->last == NULL) {
		xasprintf(&text, "no file free for the request within its "
		    "timeout (the listener's %zu for outbound requests were "
		    "all in use); it did not leave", o->out->files);
		outbound_result_init(&result, text);
		result.attempt = o->attempt - 1;
		outbound_tell(o, &result, 0);
		outbound_result_release(&result);
		outbound_request_free(o);
		return;
	}
	xasprintf(&o->last->note, "no file free for attempt %u within its "
	    "timeout (the listener's %zu for outbound requests were all in "
	    "use), so it was not made", o->attempt, o->out->files);
	o->last->attempt = o->attempt - 1;
	outbound_tell(o, o->last, o->last_seq);
	outbound_request_free(o);
}

/* The backoff is over: make the next attempt. */
static void
outbound_retry(void *arg)
{
	struct outbound_request	*o = arg;

	o->timer = NULL;
	TAILQ_REMOVE(&o->out->waiting, o, entry);
	/* Nobody would hear of it: a send interrupted during the backoff. */
	if (!outbound_wanted(o)) {
		log_info("%s %s: not tried again, nobody waits for it",
		    o->method, o->url);
		outbound_abandon(o, "given up");
		outbound_request_free(o);
		return;
	}
	outbound_attempt(o);
}

/*
 * Journal an attempt's outcome (result; tried again after delay, unless
 * -1), completing its start record.
 */
static void
outbound_journal_outcome(struct outbound_request *o,
    const struct httpc_result *result, int64_t delay)
{
	struct json_object	*r;

	r = json_object_new_object();
	json_object_object_add(r, "status", json_object_new_int(result->status));
	if (result->error != NULL)
		json_object_object_add(r, "error",
		    json_object_new_string(result->error));
	json_object_object_add(r, "http_status",
	    json_object_new_int((int)result->http_status));
	json_object_object_add(r, "response_headers",
	    json_object_get(result->headers));
	json_object_object_add(r, "time_ms",
	    json_object_new_int64(result->time_ms));
	if (result->final_url != NULL)
		json_object_object_add(r, "final_url",
		    json_object_new_string(result->final_url));
	if (delay >= 0)
		json_object_object_add(r, "retry_in_ms",
		    json_object_new_int64(delay));
	store_sent(o->out->store, o->message, r, buffer_peek(&result->body),
	    buffer_unread(&result->body));
	json_object_put(r);
	o->message = NULL;
}

/*
 * An attempt finished: journal its outcome, then try again after a
 * backoff or tell the caller.
 */
static void
outbound_done(struct httpc_result *result, void *arg)
{
	struct outbound_request		*o = arg;
	uint64_t			 seq = o->message->seq;
	int64_t				 delay;

	delay = outbound_retry_delay(o, result);
	outbound_journal_outcome(o, result, delay);
	/*
	 * Only now: the file may start the journaling of a send that waits
	 * for it, whose start must not come before this outcome.
	 */
	outbound_release(o);
	if (delay >= 0) {
		outbound_keep_last(o, result, seq);
		o->attempt++;
		TAILQ_INSERT_TAIL(&o->out->waiting, o, entry);
		o->timer = loop_timer_add(o->out->loop, loop_now() + delay,
		    outbound_retry, o);
		return;
	}
	result->attempt = o->attempt;
	outbound_tell(o, result, seq);
	outbound_request_free(o);
}

/*
 * An attempt's start record is durable: hand the attempt to curl, unless
 * the listener began to stop meanwhile; then it never leaves, and its
 * outcome says so (its caller may have been told already:
 * outbound_unstarted).
 */
static void
outbound_go(void *arg)
{
	struct outbound_request		*o = arg;
	struct httpc_request	 req;
	struct httpc_result	 result;
	struct json_object	*headers = o->sending;
	char			*why;
	int64_t			 waited;

	outbound_started(o);
	store_started(o->out->store, o->message);
	outbound_drop_last(o);
	/* Durable, so numbered for good (a Redis store renumbers). */
	if (o->attempt == 1)
		o->first_seq = o->message->seq;
	o->sending = NULL;
	if (o->out->stopping) {
		why = outbound_stopped_why(o, "");
		outbound_result_init(&result, why);
		outbound_done(&result, o);
		outbound_result_release(&result);
		json_object_put(headers);
		return;
	}
	memset(&req, 0, sizeof req);
	req.method = o->method;
	req.url = o->url;
	req.headers = headers;
	req.body = o->body;
	req.body_len = o->body_len;
	req.timeout_ms = o->timeout_ms;
	/* Its wait for a file counts against its --timeout. */
	if (o->blocked_at != 0) {
		waited = loop_now() - o->blocked_at;
		req.timeout_ms = waited < o->timeout_ms ?
		    o->timeout_ms - waited : 1;
		o->blocked_at = 0;
	}
	req.follow = o->follow;
	req.trust = o->trust;
	req.connect_to = o->connect_to;
	req.proxy = o->proxy;
	req.noproxy = o->noproxy;
	req.proxy_user = o->proxy_user;
	req.proxy_headers = o->proxy_headers;
	req.insecure = o->insecure;
	req.compressed = o->compressed;
	req.verbose = o->verbose;
	req.max_response = o->max_response;
	/* It may be over, and o freed, when httpc_send returns. */
	httpc_send(o->out->httpc, &req, outbound_done, o);
	json_object_put(headers);
}

/*
 * The start record of an attempt given up (outbound_unsynced) is durable
 * after all: journal its outcome, under its message's own seq now.  The
 * caller was told already.
 */
static void
outbound_orphaned(void *arg)
{
	struct outbound_request		*o = arg;
	struct httpc_result		 result;

	store_started(o->out->store, o->message);
	outbound_result_init(&result, xstrdup("the session's store did not "
	    "acknowledge the request's start in time; it did not leave"));
	outbound_journal_outcome(o, &result, -1);
	outbound_result_release(&result);
	outbound_request_free(o);
}

/*
 * The store closed before the request's start record was durable (its
 * Redis down when the listener stopped): its caller was told
 * (outbound_unsynced, outbound_unstarted), and the outbound may be freed,
 * so only the request is freed.
 */
static void
outbound_dropped(void *arg)
{
	outbound_request_free(arg);
}

/*
 * An attempt's start record was not durable within its --timeout (a Redis
 * store's Redis stopped answering, or went away with it): tell the
 * caller it did not leave, and it never will.  The start record may still
 * be stored once the store is back; its outcome follows it then.
 */
static void
outbound_unsynced(void *arg, const char *why)
{
	struct outbound_request		*o = arg;
	struct httpc_result		 result;
	char				*text;

	xasprintf(&text, "the session's store %s; the request did not leave",
	    why);
	outbound_started(o);
	outbound_release(o);
	outbound_result_init(&result, text);
	result.attempt = o->attempt;
	outbound_tell(o, &result, 0);
	outbound_result_release(&result);
	store_after_sync_or_drop(o->out->store, outbound_orphaned,
	    outbound_dropped, o);
}

/*
 * Start one attempt of a request with an outbound file, or wait in
 * blocked for one, for at most its --timeout.  A listener stopping makes
 * it without: outbound_go ends it before curl sees it.
 */
static void
outbound_attempt(struct outbound_request *o)
{
	struct outbound	*out = o->out;

	if (!o->has_file && !out->stopping &&
	    !outbound_file_free(out, out->nblocked)) {
		o->blocked_at = loop_now();
		outbound_say_blocked(o, 0);
		TAILQ_INSERT_TAIL(&out->blocked, o, entry);
		out->nblocked++;
		o->timer = loop_timer_add(out->loop, loop_now() +
		    o->timeout_ms, outbound_blocked_expired, o);
		return;
	}
	if (!o->has_file && !out->stopping) {
		out->taken++;
		o->has_file = 1;
	}
	outbound_journal_start(o);
}

/*
 * Start an attempt, with the headers its caller gives it: journal what
 * it will send, and send it once that is durable (or give up after its
 * timeout: outbound_unsynced).
 */
static void
outbound_journal_start(struct outbound_request *o)
{
	struct json_object	*r;

	if (o->ops != NULL && o->ops->headers != NULL)
		o->sending = o->ops->headers(o->headers, o->body, o->body_len,
		    o->arg);
	else
		o->sending = json_object_get(o->headers);
	r = json_object_new_object();
	json_object_object_add(r, "method", json_object_new_string(o->method));
	json_object_object_add(r, "url", json_object_new_string(o->url));
	json_object_object_add(r, "headers", json_object_get(o->sending));
	json_object_object_add(r, "sent_at",
	    json_object_new_int64(clock_wall_ms()));
	/* Only requests that may be retried number their attempts. */
	if (o->retries > 0)
		json_object_object_add(r, "attempt",
		    json_object_new_int((int)o->attempt));
	if (o->attempt > 1)
		json_object_object_add(r, "retry_of",
		    json_object_new_int64((int64_t)o->first_seq));
	o->message = store_sending(o->out->store, r, o->body, o->body_len);
	json_object_put(r);
	TAILQ_INSERT_TAIL(&o->out->starting, o, entry);
	o->starting = 1;
	store_after_sync_within(o->out->store, o->timeout_ms, outbound_go,
	    outbound_unsynced, outbound_dropped, o);
}

/* Make the state of a request, for outbound_send or outbound_forward. */
static struct outbound_request *
outbound_request_new(struct outbound *out, const struct httpc_request *req,
    unsigned int retries, outbound_done_cb cb, const struct outbound_ops *ops,
    void *arg)
{
	struct outbound_request	*o;

	o = xcalloc(1, sizeof *o);
	o->out = out;
	o->cb = cb;
	o->ops = ops;
	o->arg = arg;
	o->method = xstrdup(req->method);
	o->url = xstrdup(req->url);
	o->headers = req->headers == NULL ? json_object_new_array() :
	    json_object_get(req->headers);
	o->body = xmemdup(req->body == NULL ? "" : req->body, req->body_len);
	o->body_len = req->body_len;
	o->timeout_ms = req->timeout_ms;
	o->follow = req->follow;
	o->trust = req->trust == NULL ? NULL : xstrdup(req->trust);
	o->connect_to = req->connect_to == NULL ? NULL :
	    xstrdup(req->connect_to);
	o->proxy = req->proxy == NULL ? NULL : xstrdup(req->proxy);
	o->noproxy = req->noproxy == NULL ? NULL : xstrdup(req->noproxy);
	o->proxy_user = req->proxy_user == NULL ? NULL :
	    xstrdup(req->proxy_user);
	o->proxy_headers = json_object_get(req->proxy_headers);
	o->insecure = req->insecure;
	o->compressed = req->compressed;
	o->verbose = req->verbose;
	o->max_response = req->max_response;
	o->retries = retries > RETRY_MAX ? RETRY_MAX : retries;
	o->attempt = 1;
	return (o);
}

/*
 * Make a request, trying again up to retries times; cb gets the result of
 * the last attempt and its sequence number exactly once (0 and an error
 * when it ends between attempts, or its first finds no outbound file in
 * time; a later one that finds none gives the one before it, noted).
 * ops, if not NULL, may say whether someone still waits for the request
 * (wanted; no more attempts when not) and give each attempt its headers
 * from the request's (headers: a new reference, made for the body, as a
 * signature is).
 */
void
outbound_send(struct outbound *out, const struct httpc_request *req,
    unsigned int retries, outbound_done_cb cb, const struct outbound_ops *ops,
    void *arg)
{
	outbound_attempt(outbound_request_new(out, req, retries, cb, ops,
	    arg));
}

/*
 * Take an outbound file for a forward, when one is free and no request
 * waits for one; return 0 when not.  outbound_forward uses it, or
 * outbound_unreserve gives it back.
 */
int
outbound_reserve(struct outbound *out)
{
	if (!outbound_file_free(out, out->nblocked))
		return (0);
	out->taken++;
	return (1);
}

/* Give back a file that outbound_reserve took and no request used. */
void
outbound_unreserve(struct outbound *out)
{
	out->taken--;
	outbound_unblock(out);
}

/* Make a request, once, with the file outbound_reserve took for it. */
void
outbound_forward(struct outbound *out, const struct httpc_request *req,
    outbound_done_cb cb, void *arg)
{
	struct outbound_request	*o;

	o = outbound_request_new(out, req, 0, cb, NULL, arg);
	o->has_file = 1;
	outbound_attempt(o);
}

/*
 * The listener is stopping: end the requests waiting to be tried again,
 * so that nobody waits for an attempt that will not be made; attempts
 * still under way are the last of their requests, and those waiting for
 * their start to be durable never leave (outbound_go).
 */
void
outbound_stop(struct outbound *out)
{
	struct outbound_request	*o;
	char			*why;

	out->stopping = 1;
	xasprintf(&why, "session '%s' was stopped", out->session);
	while ((o = TAILQ_FIRST(&out->blocked)) != NULL) {
		outbound_unqueue(o);
		outbound_abandon(o, why);
		outbound_request_free(o);
	}
	while ((o = TAILQ_FIRST(&out->waiting)) != NULL) {
		TAILQ_REMOVE(&out->waiting, o, entry);
		loop_timer_cancel(out->loop, o->timer);
		outbound_abandon(o, why);
		outbound_request_free(o);
	}
	free(why);
}

/*
 * The listener stops and has waited for the attempts under way as long as
 * it may: end them, so that each is journaled and its caller told.  An
 * attempt whose start is not durable yet never leaves now (outbound_go).
 * A Redis store's that Redis has not acknowledged (slow or gone) are told
 * so now, without waiting for it (outbound_unstarted); the journal's by
 * the stop's commit (outbound_go, with their seq), or, when the disk has
 * no room for it, by outbound_unstarted after it.
 */
void
outbound_cancel(struct outbound *out)
{
	char	*why;

	out->stopping = 1;
	xasprintf(&why, "session '%s' was stopped during the request",
	    out->session);
	httpc_cancel(out->httpc, why);
	free(why);
	if (store_state(out->store) != NULL && !store_durable(out->store))
		outbound_unstarted(out);
}

/*
 * Tell the callers of attempts whose start is not durable (the journal
 * had no room on disk to write it, at the stop's commit; a Redis store's
 * Redis is slow or gone) while they are there to hear it, and log each.
 * Those never leave: outbound_cancel set stopping first.  The journal's
 * not before the stop's commit: the disk may be found full only there,
 * and a caller told nothing would hear only that the listener went away.
 * Their outcome is journaled if the start is stored before the store
 * closes (outbound_go).
 */
void
outbound_unstarted(struct outbound *out)
{
	struct outbound_request	*o;
	struct httpc_result	 result;
	const char		*disk;
	char			*shown;

	/* The journal alone: only no room on disk keeps a commit unwritten. */
	disk = store_state(out->store) == NULL ? ": its journal had no room "
	    "on disk to record it" : "";
	while ((o = TAILQ_FIRST(&out->starting)) != NULL) {
		outbound_started(o);
		shown = mask_credentials(o->url);
		if (o->attempt > 1)
			log_warnx("%s %s: attempt %u not sent: session '%s' was "
			    "stopped before its start was stored%s", o->method,
			    shown, o->attempt, out->session, disk);
		else
			log_warnx("%s %s: not sent: session '%s' was stopped "
			    "before the request's start was stored%s",
			    o->method, shown, out->session, disk);
		free(shown);
		/* A retry's earlier attempts left: this one was not made. */
		outbound_result_init(&result, outbound_stopped_why(o, disk));
		result.attempt = o->attempt > 1 ? o->attempt - 1 : 1;
		outbound_tell(o, &result, 0);
		outbound_result_release(&result);
	}
}

/*
 * Make requests through httpc, with their records in store and their
 * backoff timers on loop; session is the session's name, for errors;
 * files is how many may be under way at once, their share of our open
 * files (lib/files.c), or 0 for as many as wanted.
 */
struct outbound *
outbound_new(struct loop *loop, struct httpc *httpc, struct store *store,
    const char *session, size_t files)
{
	struct outbound	*out;

	out = xcalloc(1, sizeof *out);
	out->loop = loop;
	out->httpc = httpc;
	out->store = store;
	out->session = xstrdup(session);
	TAILQ_INIT(&out->waiting);
	TAILQ_INIT(&out->starting);
	TAILQ_INIT(&out->blocked);
	out->files = files;
	httpc_limit(httpc, files);
	return (out);
}

/*
 * Free what outbound_new made, once outbound_stop and outbound_cancel
 * have told every caller: requests still waiting for the store to make
 * their start durable are its to free if it closes first.
 */
void
outbound_free(struct outbound *out)
{
	if (out == NULL)
		return;
	free(out->session);
	free(out);
}
