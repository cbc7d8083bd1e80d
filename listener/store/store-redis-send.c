/*
 * Sending the records the replicated store writes (store-redis.c): one
 * append each (redis_append), in the order written.
 *
 * Sequence numbers come from Redis: a record written here takes a
 * provisional number (above every real one, so it sorts last) and gets
 * its real one from the append's reply, before anything waiting for its
 * durability runs (message_renumber).  The entry sent holds its record
 * without the provisional "seq": the entry's own seq field gives it.
 *
 * Each entry's "from" is LISTENER/NONCE.N, N the record's number here,
 * so that the follower recognises this store's own entries one by one
 * (store-redis-apply.c).  A lost connection leaves an append's outcome
 * unknown (the script may have run): nothing after it is acknowledged
 * until, reconnected, a catch-up has read the stream up to its end.
 * What the follower saw meanwhile was added (it is durable, with the seq
 * the entry has); what it did not was not, and is sent again, before
 * anything newer.  An append Redis answers with an error, the connection
 * up (out of memory), was not added either: it is sent again every
 * SR_REFUSED_RETRY_MS, and meanwhile the store counts as unreachable
 * (sr_refused).
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "store-private.h"
#include "store-redis-private.h"
#include "xmalloc.h"

/* Redis refused an append: send it again after this long. */
#define SR_REFUSED_RETRY_MS	1000

/*
 * Hand hiredis no more records while it holds this much not yet written
 * to the socket: each is a copy of a record the store holds anyway, so
 * a slow Redis would hold every body twice.
 */
#define SR_UNWRITTEN_MAX	(1024 * 1024)

/* Free a record, no longer held for Redis. */
void
store_redis_send_record_free(struct sr_record *r)
{
	r->sr->holding -= r->reclen + r->bodylen;
	free(r->rec);
	free(r->body);
	free(r->secret_token);
	if (r->secret != NULL)
		explicit_bzero(r->secret, r->secretlen);
	free(r->secret);
	free(r);
}

/*
 * Record r is in the stream with seq (so Redis takes appends): give its
 * message that seq, then run what waited for it to be durable.
 */
void
store_redis_send_done(struct store_redis *sr, struct sr_record *r, uint64_t seq)
{
	struct message	*m;

	if (sr->refused != NULL) {
		log_info("redis store: Redis takes appends again");
		free(sr->refused);
		sr->refused = NULL;
	}
	if (r->provisional != 0 &&
	    (m = store_message(sr->store, r->provisional)) != NULL)
		message_renumber(sr->store, m, seq);
	store_seq_raise(sr->store, seq + 1);
	store_redis_sync_acked(sr, r->n);
	store_redis_send_record_free(r);
	store_redis_sync_run_waiting(sr);
	store_redis_apply_release_held(sr);
}

/*
 * Redis answered an append with an error, the connection up (out of
 * memory under maxmemory with noeviction, ...): its script did not run,
 * or failed before its XADD, so the entry was not added.  The record
 * waits with those of unknown outcome, and is sent again before anything
 * newer every SR_REFUSED_RETRY_MS until Redis takes it; meanwhile the
 * store counts as unreachable, and its state says why.
 */
static void
sr_refused(struct store_redis *sr, struct sr_record *r, const char *error)
{
	TAILQ_INSERT_TAIL(&sr->unknown, r, entry);
	sr->refused_retry = loop_now() + SR_REFUSED_RETRY_MS;
	if (sr->refused != NULL)
		return;
	log_warnx("redis store: Redis refused an append (%s); sending it "
	    "again every %d ms", error, SR_REFUSED_RETRY_MS);
	/* As it is: whoever shows it escapes it (see redis_conn_say). */
	xasprintf(&sr->refused, "refusing writes: %s", error);
}

/*
 * An append's reply: the record is durable with its real seq.  An error
 * (the connection was lost) leaves the outcome unknown, unless the
 * follower saw the entry already: it is resolved after the reconnection
 * (sr_on_state, store-redis.c).
 */
static void
sr_on_append(void *arg, uint64_t seq, const char *id, const char *error)
{
	struct sr_record	*r = arg;
	struct store_redis	*sr = r->sr;
	uint64_t		 seen;
	int			 followed;

	(void)id;
	if (sr->closing) {
		store_redis_send_record_free(r);
		return;
	}
	if (error != NULL && strncmp(error, REDIS_APPEND_LOST " ",
	    sizeof REDIS_APPEND_LOST) == 0) {
		/* Refused whole: no other listener will see it. */
		store_redis_counter_lost(sr, strtoull(error +
		    sizeof REDIS_APPEND_LOST, NULL, 10), r->floor);
		store_redis_send_record_free(r);
		return;
	}
	if (error != NULL) {
		if (store_redis_sync_seqs_take(&sr->followed, r->n, &seq))
			store_redis_send_done(sr, r, seq);
		else if (redis_conn_ready(sr->conn))
			sr_refused(sr, r, error);
		else {
			log_warnx("redis store: an append's outcome is "
			    "unknown (%s): resolved once reconnected", error);
			TAILQ_INSERT_TAIL(&sr->unknown, r, entry);
		}
		return;
	}
	/*
	 * It comes after every append replied to before it (replies on one
	 * connection come in order) and, not followed yet, after every entry
	 * the follower brought: a seq not above theirs is one Redis gave
	 * before, and lost.  Followed already, the follower checked it
	 * against what it brought, not against these replies.
	 */
	followed = store_redis_sync_seqs_take(&sr->followed, r->n, NULL);
	seen = sr->seq_replied;
	if (!followed && sr->seq_seen > seen)
		seen = sr->seq_seen;
	if (seq <= seen)
		store_redis_apply_lost(sr, seq, seen);
	if (sr->lost != NULL) {
		store_redis_send_record_free(r);
		return;
	}
	if (!followed)
		store_redis_sync_seqs_add(&sr->replied, r->n, seq);
	sr->seq_replied = seq;
	store_redis_send_done(sr, r, seq);
}

/* Send record r, or return -1 when the connection is not ready. */
static int
sr_send(struct store_redis *sr, struct sr_record *r)
{
	struct redis_secret	 secret;
	char			 type[16], *from;
	int			 rc;

	snprintf(type, sizeof type, "%d", (int)r->type);
	secret.token = r->secret_token;
	secret.value = r->secret;
	secret.valuelen = r->secretlen;
	xasprintf(&from, "%s.%" PRIu64, sr->from, r->n);
	/* Below what Redis gave already, its counter went back. */
	r->floor = sr->seq_seen > sr->seq_replied ? sr->seq_seen :
	    sr->seq_replied;
	rc = redis_append_secret(sr->conn, sr->session, from, type, r->rec,
	    r->reclen, r->body, r->bodylen, r->secret_token != NULL ?
	    &secret : NULL, r->floor, sr_on_append, r);
	free(from);
	return (rc);
}

/*
 * Send every record written while the connection was not ready, or while
 * hiredis held SR_UNWRITTEN_MAX unwritten.
 */
void
store_redis_send_flush(struct store_redis *sr)
{
	struct sr_record	*r;

	while (!sr->resolving && (r = TAILQ_FIRST(&sr->unsent)) != NULL) {
		if (redis_conn_unwritten(sr->conn) > SR_UNWRITTEN_MAX ||
		    sr_send(sr, r) == -1)
			return;
		TAILQ_REMOVE(&sr->unsent, r, entry);
	}
}

/*
 * The catch-up that resolves appends of unknown outcome is over: what
 * the follower did not see was not added, and is sent again first.
 */
static void
sr_resolved(void *arg, const char *error)
{
	struct store_redis	*sr = arg;
	struct sr_record	*r;

	if (sr->closing)
		return;
	sr->resolving = 0;
	if (error != NULL) {
		log_warnx("redis store: %s; trying again when reconnected",
		    error);
		/* Refused appends are tried again without a reconnection. */
		if (sr->refused != NULL)
			sr->refused_retry = loop_now() + SR_REFUSED_RETRY_MS;
		return;
	}
	while ((r = TAILQ_LAST(&sr->unknown, sr_records)) != NULL) {
		TAILQ_REMOVE(&sr->unknown, r, entry);
		TAILQ_INSERT_HEAD(&sr->unsent, r, entry);
	}
	store_redis_send_flush(sr);
}

/*
 * Resolve appends whose outcome is unknown (a catch-up: the follower
 * sees those that were added), then send what waits.
 */
void
store_redis_send_resolve(struct store_redis *sr)
{
	if (!TAILQ_EMPTY(&sr->unknown) && !sr->resolving &&
	    redis_follow_catch_up(sr->follow, sr->conn, sr_resolved, sr) == 0)
		sr->resolving = 1;
	store_redis_send_flush(sr);
}

/*
 * Send again what Redis refused, once it is time (a connection lost
 * meanwhile does it when it is back).  Return how long the loop may wait:
 * next (-1: as long as it likes), or less.
 */
int64_t
store_redis_send_refused_due(struct store_redis *sr, int64_t next)
{
	int64_t	wait;

	if (sr->refused_retry == 0)
		return (next);
	wait = sr->refused_retry - loop_now();
	if (wait > 0)
		return (next == -1 || wait < next ? wait : next);
	sr->refused_retry = 0;
	if (redis_conn_ready(sr->conn))
		store_redis_send_resolve(sr);
	return (next);
}

/*
 * Send record r, or queue it behind what waits to be sent (sr_prepare
 * sends it once hiredis has written out what it held).
 */
static void
sr_enqueue(struct store_redis *sr, struct sr_record *r)
{
	if (!TAILQ_EMPTY(&sr->unsent) || sr->resolving ||
	    !TAILQ_EMPTY(&sr->unknown) ||
	    redis_conn_unwritten(sr->conn) > SR_UNWRITTEN_MAX ||
	    sr_send(sr, r) == -1)
		TAILQ_INSERT_TAIL(&sr->unsent, r, entry);
}

/* A record this store wrote (store_on_record): send it to the stream. */
void
store_redis_send_on_record(const struct store_entry *e, void *arg)
{
	struct store_redis	*sr = arg;
	struct sr_record	*r;

	r = xcalloc(1, sizeof *r);
	r->sr = sr;
	r->n = ++sr->written;
	r->type = e->type;
	r->provisional = e->seq;
	r->rec = store_entry_unnumbered(e, &r->reclen);
	if (e->body != NULL) {
		r->body = xmemdup(e->body, e->body_len);
		r->bodylen = e->body_len;
	}
	sr->holding += r->reclen + r->bodylen;
	store_redis_secrets_record(sr, r, e);
	sr_enqueue(sr, r);
}
