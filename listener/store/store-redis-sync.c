/*
 * What waits for the replicated store's records to be acknowledged
 * (store-redis.c).  A record this store writes is durable when Redis
 * acknowledged its append, and, with --store-replicas, once enough
 * replicas have it (store-replicas.c): store_after_sync's callbacks run
 * then, in the order written, never after the local fdatasync alone (the
 * local journal is a cache).  Replies come in any order (an append of
 * unknown outcome is resolved later): acked is the last record up to
 * which every one is acknowledged, acked_above those acknowledged past
 * it.
 *
 * A callback that asked to be told (a command's reply, a request's 503)
 * is told once, when its records are not acknowledged within its bound
 * or a WAIT finds too few replicas; its records stay, and may still be
 * acknowledged later: it may move itself (store_redis_sync_move) to run
 * then, in its place.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "loop.h"
#include "store-redis-private.h"
#include "store-redis.h"
#include "store-replicas.h"
#include "xmalloc.h"

/* The deadline of a waiting callback told when it passes (a command's). */
struct sr_bound {
	struct store_redis	*sr;
	struct loop_timer	*timer;
	int64_t			 ms;		/* how long it was */
};

/*
 * Tell whether record n is in list l, and take it out if so, with its
 * seq in *seq (if not NULL).
 */
int
store_redis_sync_seqs_take(struct sr_seqs *l, uint64_t n, uint64_t *seq)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].n == n) {
			if (seq != NULL)
				*seq = l->v[i].seq;
			l->v[i] = l->v[--l->n];
			return (1);
		}
	}
	return (0);
}

/* Tell whether record n is in list l. */
int
store_redis_sync_seqs_has(const struct sr_seqs *l, uint64_t n)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].n == n)
			return (1);
	}
	return (0);
}

/* Add record n, and its seq, to list l. */
void
store_redis_sync_seqs_add(struct sr_seqs *l, uint64_t n, uint64_t seq)
{
	if (l->n == l->size) {
		l->size = l->size == 0 ? 16 : l->size * 2;
		l->v = xreallocarray(l->v, l->size, sizeof *l->v);
	}
	l->v[l->n].n = n;
	l->v[l->n].seq = seq;
	l->n++;
}

/*
 * Return the last record up to which every one is acknowledged: by Redis,
 * and by the replicas wanted (store-replicas.c).
 */
uint64_t
store_redis_sync_durable(const struct store_redis *sr)
{
	if (sr->replicas != NULL)
		return (store_replicas_durable(sr->replicas));
	return (sr->acked);
}

/* A waiting callback told it failed: it waits for nothing now. */
static void
sr_nothing(void *arg)
{
	(void)arg;
}

/* Cancel a waiting callback's deadline, if it has one. */
void
store_redis_sync_bound_cancel(struct store_redis *sr, struct sr_bound *b)
{
	if (b == NULL)
		return;
	if (b->timer != NULL)
		loop_timer_cancel(sr->loop, b->timer);
	free(b);
}

/*
 * Tell waiting callback i that its records will not be durable soon
 * (why), once: it waits for nothing more.  The records stay, and may
 * still be acknowledged later.  While told, its place is still its own:
 * the callback may move it (store_sync_move) to one that runs when the
 * records are acknowledged, in the order written, as a request answered
 * 503 does to queue its message then.
 */
static void
sr_waiting_fail(struct store_redis *sr, size_t i, const char *why)
{
	store_unsynced_cb	 failed = sr->waiting[i].failed;
	store_synced_cb		 cb = sr->waiting[i].cb;
	void			*arg = sr->waiting[i].arg;

	store_redis_sync_bound_cancel(sr, sr->waiting[i].bound);
	sr->waiting[i].failed = NULL;
	sr->waiting[i].dropped = NULL;
	sr->waiting[i].bound = NULL;
	failed(arg, why);
	/* Not moved: it is done.  (Others only add after it.) */
	if (sr->waiting[i].cb == cb && sr->waiting[i].arg == arg) {
		sr->waiting[i].cb = sr_nothing;
		sr->waiting[i].arg = NULL;
	}
}

/*
 * A command's records were not acknowledged within its bound (Redis
 * stopped answering, or went away with them unacknowledged): tell it,
 * rather than keep it waiting until Redis is back.
 */
static void
sr_bound_expired(void *arg)
{
	struct sr_bound		*b = arg;
	struct store_redis	*sr = b->sr;
	char			*why, *within;
	size_t			 i;

	b->timer = NULL;
	for (i = 0; i < sr->nwaiting; i++)
		if (sr->waiting[i].bound == b)
			break;
	if (i == sr->nwaiting) {
		free(b);
		return;
	}
	within = duration_format((uint64_t)b->ms);
	xasprintf(&why, "got no acknowledgement from Redis within %s "
	    "(redis: %s)", within, store_redis_state(sr));
	sr_waiting_fail(sr, i, why);
	free(within);
	free(why);
}

/* Run what waited for records now all acknowledged, in order. */
void
store_redis_sync_run_waiting(struct store_redis *sr)
{
	struct sr_waiting	 w;
	size_t			 done = 0;

	/* A callback may add more: take them one at a time. */
	while (done < sr->nwaiting &&
	    sr->waiting[done].n <= store_redis_sync_durable(sr)) {
		w = sr->waiting[done];
		/* Run: no store_redis_sync_move finds it from now on. */
		sr->waiting[done].cb = sr_nothing;
		sr->waiting[done].failed = NULL;
		sr->waiting[done].dropped = NULL;
		sr->waiting[done].arg = NULL;
		sr->waiting[done++].bound = NULL;
		store_redis_sync_bound_cancel(sr, w.bound);
		w.cb(w.arg);
	}
	if (done == 0)
		return;
	memmove(sr->waiting, sr->waiting + done,
	    (sr->nwaiting - done) * sizeof *sr->waiting);
	sr->nwaiting -= done;
}

/* Tell whether record n was acknowledged (store_redis_sync_acked). */
int
store_redis_sync_was_acked(const struct store_redis *sr, uint64_t n)
{
	return (n <= sr->acked ||
	    store_redis_sync_seqs_has(&sr->acked_above, n));
}

/* Mark record n acknowledged, and move the low-water mark. */
void
store_redis_sync_acked(struct store_redis *sr, uint64_t n)
{
	if (n != sr->acked + 1) {
		store_redis_sync_seqs_add(&sr->acked_above, n, 0);
		return;
	}
	sr->acked = n;
	while (store_redis_sync_seqs_take(&sr->acked_above, sr->acked + 1,
	    NULL))
		sr->acked++;
	if (sr->replicas != NULL)
		store_replicas_acked(sr->replicas, sr->acked);
}

/*
 * Enough replicas have the records up to durable: run what waited.  Or
 * a WAIT found too few: tell those waiting who asked to be told (a
 * command's reply, a request's 503), once; the records may still be
 * acknowledged later.
 */
void
store_redis_sync_on_replicas(void *arg, uint64_t durable, const char *why)
{
	struct store_redis	*sr = arg;
	size_t			 i;

	(void)durable;
	if (why == NULL) {
		store_redis_sync_run_waiting(sr);
		return;
	}
	/* A callback may add more (and move the array): index it anew. */
	for (i = 0; i < sr->nwaiting; i++) {
		if (sr->waiting[i].failed != NULL)
			sr_waiting_fail(sr, i, why);
	}
}

/*
 * Run cb(arg) once every record written so far is acknowledged, or
 * failed(arg, why) instead (unless NULL) if a WAIT finds too few
 * replicas before, or they are not acknowledged within ms; or
 * dropped(arg) (unless NULL) if the store is closed before any of these.
 */
void
store_redis_after_sync(struct store_redis *sr, int64_t ms,
    store_synced_cb cb, store_unsynced_cb failed, store_dropped_cb dropped,
    void *arg)
{
	struct sr_bound	*b;

	if (sr->nwaiting == sr->waiting_size) {
		sr->waiting_size = sr->waiting_size == 0 ? 64 :
		    sr->waiting_size * 2;
		sr->waiting = xreallocarray(sr->waiting, sr->waiting_size,
		    sizeof *sr->waiting);
	}
	sr->waiting[sr->nwaiting].n = sr->written;
	sr->waiting[sr->nwaiting].cb = cb;
	sr->waiting[sr->nwaiting].failed = failed;
	sr->waiting[sr->nwaiting].dropped = dropped;
	sr->waiting[sr->nwaiting].arg = arg;
	sr->waiting[sr->nwaiting].bound = NULL;
	if (failed != NULL && sr->written > store_redis_sync_durable(sr)) {
		b = xcalloc(1, sizeof *b);
		b->sr = sr;
		b->ms = ms > 0 ? ms : STORE_COMMAND_WAIT_MS;
		b->timer = loop_timer_add(sr->loop, loop_now() + b->ms,
		    sr_bound_expired, b);
		sr->waiting[sr->nwaiting].bound = b;
	}
	sr->nwaiting++;
}

/*
 * Make the callback cb(arg), waiting since store_redis_after_sync, be
 * to_cb(to_arg) instead, in its place (with no dropped callback: the
 * mover owns arg now).  Return 0, or -1 if none waits.
 */
int
store_redis_sync_move(struct store_redis *sr, store_synced_cb cb, void *arg,
    store_synced_cb to_cb, void *to_arg)
{
	size_t	i;

	for (i = 0; i < sr->nwaiting; i++) {
		if (sr->waiting[i].cb == cb && sr->waiting[i].arg == arg) {
			store_redis_sync_bound_cancel(sr, sr->waiting[i].bound);
			sr->waiting[i].bound = NULL;
			sr->waiting[i].cb = to_cb;
			sr->waiting[i].failed = NULL;
			sr->waiting[i].dropped = NULL;
			sr->waiting[i].arg = to_arg;
			return (0);
		}
	}
	return (-1);
}
