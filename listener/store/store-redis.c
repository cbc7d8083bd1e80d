/*
 * The replicated store (doc/store-redis.md), internal for now: a store
 * opened with a Redis URL sends every record it writes to the session's
 * stream (redis_append) and applies every entry other listeners wrote
 * (redis_follow, store_apply), so that stores on one Redis are one
 * session.
 *
 * Its own records are durable when Redis acknowledged their appends:
 * what waits for them runs then, in the order written
 * (store-redis-sync.c).  Each record is sent as it is written, takes its
 * sequence number from its append's reply, and is sent again when its
 * outcome was lost with a connection or Redis refused it
 * (store-redis-send.c).  A verifying hook's secret goes to a hash beside
 * the stream, in the same step as its spawn's append
 * (store-redis-secrets.c).  The follower brings every entry, this
 * store's own too: others' are applied, held back while they must wait,
 * and requests an earlier life of this listener left without an outcome
 * are recorded unanswered (store-redis-apply.c).
 *
 * This file opens and closes the store, follows its connection's state
 * (once connected: the append script loaded, the stream read once, what
 * the lost connection left unknown resolved) and answers what the rest
 * of the store asks of it.  What the files share is in
 * store-redis-private.h.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "store-heartbeat.h"
#include "store-lease.h"
#include "store-private.h"
#include "store-redis-private.h"
#include "store-redis.h"
#include "store-replicas.h"
#include "store-retain.h"
#include "token.h"
#include "xmalloc.h"

/*
 * Before each wait of the loop: run what waits for nothing in flight,
 * send again what Redis refused when it is time.
 */
static int64_t
sr_prepare(void *arg)
{
	struct store_redis	*sr = arg;
	int64_t			 next, now = loop_now();

	store_redis_sync_run_waiting(sr);
	store_redis_apply_cut_earlier(sr);
	/* Records held back while hiredis wrote out the ones before. */
	if (!TAILQ_EMPTY(&sr->unsent) && TAILQ_EMPTY(&sr->unknown) &&
	    redis_conn_ready(sr->conn))
		store_redis_send_flush(sr);
	next = store_redis_send_refused_due(sr,
	    store_lease_prepare(sr->lease));
	/*
	 * A Redis that lost entries without dropping its connections (a
	 * FLUSHALL, keys evicted) says so within a heartbeat's interval,
	 * not only at the next append.
	 */
	if (sr->check_at != 0 && sr->check_at <= now) {
		if (redis_conn_ready(sr->conn))
			store_redis_check_seq(sr);
		sr->check_at = now + sr->check_every;
	}
	if (sr->check_at != 0 && (next == -1 || sr->check_at - now < next))
		next = sr->check_at - now;
	return (next);
}

/* The first catch-up is over: the store is settled (or it failed). */
static void
sr_read(void *arg, const char *error)
{
	struct store_redis	*sr = arg;

	if (sr->closing)
		return;
	sr->read = error == NULL ? 2 : 0;
	store_redis_apply_note_read(sr);
	store_redis_apply_cut_earlier(sr);
}

/*
 * The connection became ready: load the script, read the stream as it is
 * now once (the commands of a start must find what it holds), then
 * store_redis_send_resolve.
 */
static void
sr_on_state(struct redis_conn *conn, int up, void *arg)
{
	struct store_redis	*sr = arg;
	struct sr_held		*h;

	if (!up)
		return;
	redis_append_load(conn);
	/* Before any append on it: did Redis lose entries meanwhile? */
	store_redis_check_seq(sr);
	store_heartbeat_beat(sr->heartbeat);
	if (sr->replicas != NULL)
		store_replicas_ready(sr->replicas);
	TAILQ_FOREACH(h, &sr->held, entry) {
		if (h->fetch == SR_FETCH_DUE)
			store_redis_secrets_fetch(sr, h);
	}
	if (sr->read == 0 &&
	    redis_follow_catch_up(sr->follow, conn, sr_read, sr) == 0)
		sr->read = 1;
	store_redis_send_resolve(sr);
}

/*
 * Replicate store s through the Redis of config->redis: connect, follow
 * the session's stream from its start, and send what s writes from now
 * on.  Return NULL with *cause when config lacks what it needs.
 */
struct store_redis *
store_redis_open(struct store *s, const struct store_config *config,
    char **cause)
{
	struct store_redis	*sr;
	char			 nonce[TOKEN_LEN + 1];

	if (config->session == NULL || *config->session == '\0' ||
	    config->listener == NULL || *config->listener == '\0') {
		*cause = xstrdup("a Redis store needs a session and a "
		    "listener name");
		return (NULL);
	}
	if (token_new(nonce, sizeof nonce) == -1) {
		*cause = xstrdup("no random bytes for the listener's nonce");
		return (NULL);
	}
	sr = xcalloc(1, sizeof *sr);
	sr->store = s;
	sr->loop = config->loop;
	sr->session = xstrdup(config->session);
	xasprintf(&sr->from, "%s/%.8s", config->listener, nonce);
	sr->fromlen = strlen(sr->from);
	sr->namelen = strlen(config->listener) + 1;
	TAILQ_INIT(&sr->unsent);
	TAILQ_INIT(&sr->unknown);
	TAILQ_INIT(&sr->held);
	TAILQ_INIT(&sr->catch_ups);
	sr->conn = redis_conn_new(sr->loop, config->redis, sr_on_state, sr);
	sr->follow = redis_follow_new(sr->loop, config->redis, sr->session,
	    "0", store_redis_apply_on_entry, sr);
	sr->lease = store_lease_new(s, sr->conn, sr->session, sr->from,
	    config->lease_ms);
	sr->heartbeat = store_heartbeat_new(s, sr->conn, sr->session,
	    config->listener, config->public_url, config->heartbeat_ms);
	sr->check_every = config->heartbeat_ms > 0 ? config->heartbeat_ms :
	    STORE_HEARTBEAT_MS;
	sr->check_at = loop_now() + sr->check_every;
	sr->retain = store_retain_new(s, sr->conn, sr->follow, sr->session,
	    sr->from, config->retain_ms);
	if (config->replicas > 0)
		sr->replicas = store_replicas_new(sr->loop, sr->conn,
		    config->replicas, store_redis_sync_on_replicas, sr);
	loop_prepare_add(sr->loop, sr_prepare, sr);
	store_on_record(s, store_redis_send_on_record, sr);
	return (sr);
}

/*
 * Stop replicating: what is not acknowledged is dropped, and so are the
 * callbacks waiting for it (as store_close drops what is not synced).
 */
void
store_redis_close(struct store_redis *sr)
{
	struct sr_record	*r;
	struct sr_held		*h;
	struct sr_catch_up	*c;
	size_t			 i;

	if (sr == NULL)
		return;
	sr->closing = 1;
	store_lease_closing(sr->lease);
	store_heartbeat_closing(sr->heartbeat);
	store_retain_closing(sr->retain);
	if (sr->replicas != NULL)
		store_replicas_closing(sr->replicas);
	store_on_record(sr->store, NULL, NULL);
	loop_prepare_remove(sr->loop, sr_prepare, sr);
	redis_follow_free(sr->follow);
	/* What closing sent (the heartbeat's delete) leaves first. */
	redis_conn_flush(sr->conn);
	redis_conn_free(sr->conn);
	store_lease_free(sr->lease);
	store_heartbeat_free(sr->heartbeat);
	store_retain_free(sr->retain);
	store_replicas_free(sr->replicas);
	while ((r = TAILQ_FIRST(&sr->unsent)) != NULL) {
		TAILQ_REMOVE(&sr->unsent, r, entry);
		store_redis_send_record_free(r);
	}
	while ((r = TAILQ_FIRST(&sr->unknown)) != NULL) {
		TAILQ_REMOVE(&sr->unknown, r, entry);
		store_redis_send_record_free(r);
	}
	while ((h = TAILQ_FIRST(&sr->held)) != NULL) {
		TAILQ_REMOVE(&sr->held, h, entry);
		free(h->storage);
		free(h);
	}
	while ((c = TAILQ_FIRST(&sr->catch_ups)) != NULL) {
		TAILQ_REMOVE(&sr->catch_ups, c, entry);
		c->done(c->arg, "the store was closed");
		free(c);
	}
	/* Their records will not be acknowledged now: free what they hold. */
	for (i = 0; i < sr->nwaiting; i++) {
		store_redis_sync_bound_cancel(sr, sr->waiting[i].bound);
		if (sr->waiting[i].dropped != NULL)
			sr->waiting[i].dropped(sr->waiting[i].arg);
	}
	free(sr->acked_above.v);
	free(sr->replied.v);
	free(sr->followed.v);
	free(sr->earlier);
	free(sr->waiting);
	free(sr->refused);
	free(sr->lost);
	free(sr->from);
	free(sr->session);
	free(sr);
}

/* Queued message m may be wanted here: claim its lease (store-lease.c). */
void
store_want(struct store *s, struct message *m)
{
	if (s->redis != NULL)
		store_lease_want(s->redis->lease, m);
}

/*
 * Tell whether store s's replication is settled: connected, and every
 * entry the follower brought is applied (none held back).
 */
int
store_redis_settled(struct store *s)
{
	struct store_redis	*sr = s->redis;

	return (sr != NULL && redis_conn_ready(sr->conn) &&
	    TAILQ_EMPTY(&sr->held) && sr->followed.n == 0);
}

/*
 * The listener stops: give back the leases held here of messages not
 * taken (store-lease.c), once every record written is acknowledged: a
 * take must be in the stream before its lease goes.
 */
void
store_give_back(struct store *s)
{
	if (s->redis != NULL && store_redis_durable(s->redis))
		store_lease_give_back(s->redis->lease);
}

/* Tell whether leases store_give_back gave back wait for Redis's reply. */
int
store_giving_back(const struct store *s)
{
	return (s->redis != NULL &&
	    store_lease_returning(s->redis->lease) > 0);
}

/* Return the store's leases. */
struct store_lease *
store_redis_lease(struct store_redis *sr)
{
	return (sr->lease);
}

/* Return the store's heartbeat, or NULL for a store not replicated. */
struct store_heartbeat *
store_redis_heartbeat(struct store_redis *sr)
{
	return (sr != NULL ? sr->heartbeat : NULL);
}

/* This opening's name in the stream's "from" field. */
const char *
store_redis_from(const struct store_redis *sr)
{
	return (sr->from);
}

/* The state of the store's connection to Redis (redis_conn_state). */
const char *
store_redis_state(const struct store_redis *sr)
{
	if (sr->lost != NULL)
		return (sr->lost);
	if (sr->refused != NULL && redis_conn_ready(sr->conn))
		return (sr->refused);
	return (redis_conn_state(sr->conn));
}

/* Tell whether the store's connection to Redis is ready for commands. */
int
store_redis_ready(const struct store_redis *sr)
{
	return (redis_conn_ready(sr->conn) && sr->refused == NULL &&
	    sr->lost == NULL);
}

/*
 * Return why the store is short of the replicas wanted ("has 0 of 1
 * replicas ..."), or NULL when it is not (or wants none).
 */
const char *
store_redis_short(const struct store_redis *sr)
{
	if (sr->replicas == NULL)
		return (NULL);
	return (store_replicas_short(sr->replicas));
}

/*
 * Return the replicas wanted (0: none) and, in *seen, those the last
 * WAIT counted (-1: none yet).
 */
int
store_redis_replicas(const struct store_redis *sr, int *seen)
{
	*seen = -1;
	if (sr->replicas == NULL)
		return (0);
	*seen = store_replicas_seen(sr->replicas);
	return (store_replicas_wanted(sr->replicas));
}

/*
 * Return the bytes held for Redis: records not yet acknowledged, and
 * hiredis's copies of them not yet written to the socket.
 */
uint64_t
store_redis_holding(const struct store_redis *sr)
{
	return (sr->holding + redis_conn_unwritten(sr->conn));
}

/*
 * Tell whether every record written so far is durable: acknowledged by
 * Redis and, with --store-replicas, by the replicas wanted, as what
 * waits in store_after_sync counts.
 */
int
store_redis_durable(const struct store_redis *sr)
{
	return (store_redis_sync_durable(sr) >= sr->written);
}

/*
 * Return the seq up to which this store holds every entry of the stream
 * under its real number: the follower brought them (it reads the stream
 * in order), none is held back, and none of this store's own awaits its
 * append's reply.  Above it, an entry may still come with a lower seq
 * than one this store holds: its own, acknowledged by the append's
 * reply before the follower brought an entry of another listener that
 * Redis numbered before it.  A tail sends nothing above it
 * (control-timeline.c), so that it sends in seq order.
 *
 * But a record of this store's own that Redis numbered right after the
 * last entry the follower brought has nothing to wait for: its append
 * took its seq and added its entry in one step, after every entry
 * numbered before it, all of which the follower brought.  So the
 * timeline is complete up to it at its reply, and up to each of its own
 * replied that follows on, without waiting for the follower to read
 * them back (a gap, or an entry of another listener between, waits for
 * the follower).
 */
uint64_t
store_redis_complete(const struct store_redis *sr)
{
	const struct sr_held	*h;
	uint64_t		 complete = sr->seq_seen;
	size_t			 i;
	int			 grew;

	if ((h = TAILQ_FIRST(&sr->held)) != NULL && h->e.seq <= complete)
		complete = h->e.seq - 1;
	for (i = 0; i < sr->followed.n; i++)
		if (sr->followed.v[i].seq <= complete)
			complete = sr->followed.v[i].seq - 1;
	if (complete != sr->seq_seen || sr->lost != NULL)
		return (complete);
	/* Mostly in seq order: a pass or two. */
	do {
		grew = 0;
		for (i = 0; i < sr->replied.n; i++) {
			if (sr->replied.v[i].seq == complete + 1) {
				complete++;
				grew = 1;
			}
		}
	} while (grew);
	return (complete);
}

/*
 * Tell whether the stream has been read to its end once and applied
 * (store_redis_apply_note_read): from then on, for good.
 */
int
store_redis_read(const struct store_redis *sr)
{
	return (sr->read_once);
}

/*
 * Tell whether the first connection to Redis has failed, or is made and
 * has read the stream.
 */
int
store_redis_tried(const struct store_redis *sr)
{
	/* Read means applied: a verifying spawn waits for its secret. */
	return (redis_conn_tried(sr->conn) && (!redis_conn_ready(sr->conn) ||
	    store_redis_read(sr)));
}
