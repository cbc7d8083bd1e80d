/*
 * Replicas of a replicated store (--store-replicas N, doc/store-redis.md):
 * a record is acknowledged (what waits for its durability runs) only once
 * Redis acknowledged its append and then a WAIT N TIMEOUT, sent after it
 * on the same connection, counted at least N replicas that have it.
 *
 * WAIT counts the replicas that have every write the connection made
 * before it, so one WAIT covers a batch: it is sent once the appends'
 * replies came (an append sent again after NOSCRIPT is then covered too),
 * and at most one is in flight; what is acknowledged meanwhile waits for
 * the next.  A WAIT that counts fewer than N within STORE_REPLICAS_WAIT_MS
 * leaves its records unacknowledged and the store short of replicas: it
 * refuses new writes (store_reachable) and sends WAIT again every
 * STORE_REPLICAS_RETRY_MS until enough replicas have everything; the
 * records, already in the stream, are acknowledged then.  A WAIT blocks
 * its connection on the server, so while short the pause between them
 * leaves the connection to the store's other commands.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "loop.h"
#include "redis-conn.h"
#include "store-replicas.h"
#include "xmalloc.h"

/* The pause between WAITs while short of replicas. */
#define STORE_REPLICAS_RETRY_MS	1000

struct store_replicas {
	struct loop		*loop;
	struct redis_conn	*conn;
	int			 wanted;
	store_replicas_cb	 cb;
	void			*arg;
	uint64_t		 acked;		/* acknowledged by Redis */
	uint64_t		 durable;	/* and by the replicas */
	uint64_t		 covering;	/* what the WAIT in flight covers */
	int			 inflight;
	int			 seen;		/* the last WAIT's count, or -1 */
	char			*why;		/* short of replicas, or NULL */
	struct loop_timer	*timer;		/* the next WAIT while short */
	int			 closing;
};

static void	store_replicas_kick(struct store_replicas *);

/*
 * Keep track of the replicas of what conn writes, wanted of them (more
 * than 0); cb(arg, durable) says which records they have.
 */
struct store_replicas *
store_replicas_new(struct loop *loop, struct redis_conn *conn, int wanted,
    store_replicas_cb cb, void *arg)
{
	struct store_replicas	*rp;

	rp = xcalloc(1, sizeof *rp);
	rp->loop = loop;
	rp->conn = conn;
	rp->wanted = wanted;
	rp->cb = cb;
	rp->arg = arg;
	rp->seen = -1;
	return (rp);
}

/* The pause while short is over: WAIT again. */
static void
store_replicas_retry(void *arg)
{
	struct store_replicas	*rp = arg;

	rp->timer = NULL;
	store_replicas_kick(rp);
}

/* Note that the store is short of replicas (why, taken), and WAIT later. */
static void
store_replicas_fall_short(struct store_replicas *rp, char *why)
{
	if (rp->why == NULL || strcmp(rp->why, why) != 0)
		log_warnx("redis store: the session's store %s; records are "
		    "acknowledged once enough replicas have them", why);
	free(rp->why);
	rp->why = why;
	rp->timer = loop_timer_add(rp->loop, loop_now() +
	    STORE_REPLICAS_RETRY_MS, store_replicas_retry, rp);
	rp->cb(rp->arg, rp->durable, why);
}

/* A WAIT's reply: the records it covers are durable, or not yet. */
static void
store_replicas_on_wait(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct store_replicas	*rp = arg;
	char			*why;

	(void)conn;
	rp->inflight = 0;
	if (rp->closing || reply == NULL)
		return;		/* lost: sent again once reconnected */
	if (reply->type == REDIS_REPLY_ERROR) {
		xasprintf(&why, "cannot count its replicas (WAIT: %.200s)",
		    reply->str);
		store_replicas_fall_short(rp, why);
		return;
	}
	rp->seen = reply->type == REDIS_REPLY_INTEGER ?
	    (int)reply->integer : 0;
	if (rp->seen < rp->wanted) {
		xasprintf(&why, "has %d of %d replicas acknowledging its "
		    "writes within %d ms", rp->seen, rp->wanted,
		    STORE_REPLICAS_WAIT_MS);
		store_replicas_fall_short(rp, why);
		return;
	}
	if (rp->why != NULL)
		log_info("redis store: %d replica%s acknowledging again",
		    rp->seen, rp->seen == 1 ? "" : "s");
	free(rp->why);
	rp->why = NULL;
	if (rp->covering > rp->durable) {
		rp->durable = rp->covering;
		rp->cb(rp->arg, rp->durable, NULL);
	}
	store_replicas_kick(rp);
}

/*
 * Send a WAIT covering every record acknowledged so far, unless one is
 * in flight or due later, or none is needed (nothing new, not short).
 */
static void
store_replicas_kick(struct store_replicas *rp)
{
	const char	*argv[3];
	size_t		 lens[3];
	char		 count[16], ms[16];
	int		 i;

	if (rp->closing || rp->inflight || rp->timer != NULL ||
	    (rp->acked <= rp->durable && rp->why == NULL) ||
	    !redis_conn_ready(rp->conn))
		return;
	snprintf(count, sizeof count, "%d", rp->wanted);
	snprintf(ms, sizeof ms, "%d", STORE_REPLICAS_WAIT_MS);
	argv[0] = "WAIT";
	argv[1] = count;
	argv[2] = ms;
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	/* It blocks on the server for up to its timeout. */
	if (redis_conn_command(rp->conn, STORE_REPLICAS_WAIT_MS +
	    REDIS_CONN_COMMAND_MS, store_replicas_on_wait, rp, 3, argv,
	    lens) == -1)
		return;
	rp->inflight = 1;
	rp->covering = rp->acked;
}

/* Every record numbered up to n was acknowledged by Redis: WAIT for it. */
void
store_replicas_acked(struct store_replicas *rp, uint64_t n)
{
	if (n > rp->acked)
		rp->acked = n;
	store_replicas_kick(rp);
}

/* The connection became ready: WAIT for what a lost one left. */
void
store_replicas_ready(struct store_replicas *rp)
{
	store_replicas_kick(rp);
}

/* Return the number of the last record enough replicas have. */
uint64_t
store_replicas_durable(const struct store_replicas *rp)
{
	return (rp->durable);
}

/*
 * Return why the store is short of replicas ("has 0 of 1 replicas ..."),
 * or NULL when the last WAIT counted enough.
 */
const char *
store_replicas_short(const struct store_replicas *rp)
{
	return (rp->why);
}

/* Return the replicas the last WAIT counted, or -1 before the first. */
int
store_replicas_seen(const struct store_replicas *rp)
{
	return (rp->seen);
}

/* Return the replicas wanted. */
int
store_replicas_wanted(const struct store_replicas *rp)
{
	return (rp->wanted);
}

/* The store is closing: send nothing more. */
void
store_replicas_closing(struct store_replicas *rp)
{
	rp->closing = 1;
	if (rp->timer != NULL)
		loop_timer_cancel(rp->loop, rp->timer);
	rp->timer = NULL;
}

/* Free it, after its connection (whose callbacks may still come). */
void
store_replicas_free(struct store_replicas *rp)
{
	if (rp == NULL)
		return;
	free(rp->why);
	free(rp);
}
