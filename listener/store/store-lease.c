/*
 * Leases across listeners for the replicated store (doc/store-redis.md):
 * one taker per message.  A queued message is handed to a local waiter
 * only while this listener holds its lease in Redis,
 * SET fish:{S}:lease:SEQ LISTENER NX PX LEASE_MS, claimed when a waiter
 * here wants the message.  The winner offers it for half the lease time
 * (the other half is for the waiter's client to confirm and the take to
 * be written); a loser tries again when the winner's lease would expire:
 * by then the winner's take has dequeued the message everywhere, or the
 * winner died and the message is offered here (at-least-once: a take
 * confirmed after the lease expired may be a second delivery).
 *
 * Claims name a message by its seq, never a pointer: retention or a take
 * may end a message while its claim is under way.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "store-lease.h"
#include "store-private.h"
#include "xmalloc.h"

/* After a failed claim (no connection, an error reply), try again. */
#define LEASE_RETRY_MS	1000

/* A claim to try again, at a time. */
struct lease_retry {
	uint64_t		 seq;
	int64_t			 at;
};

struct store_lease {
	struct store		*store;
	struct redis_conn	*conn;
	char			*session;
	char			*from;
	int64_t			 lease_ms;
	struct lease_retry	*retries;
	size_t			 nretries, retries_size;
	int			 closing;
};

/* A claim under way. */
struct lease_claim {
	struct store_lease	*l;
	uint64_t		 seq;
	int64_t			 sent;
};

/* Claim the lease of message seq again at time at. */
static void
lease_retry(struct store_lease *l, uint64_t seq, int64_t at)
{
	if (l->nretries == l->retries_size) {
		l->retries_size = l->retries_size == 0 ? 16 :
		    l->retries_size * 2;
		l->retries = xreallocarray(l->retries, l->retries_size,
		    sizeof *l->retries);
	}
	l->retries[l->nretries].seq = seq;
	l->retries[l->nretries].at = at;
	l->nretries++;
}

/*
 * A claim's reply: "OK" won (offer the message to the waiters here), nil
 * lost (try again when the winner's lease would end), anything else
 * failed (try again soon).
 */
static void
lease_on_reply(struct redis_conn *conn, struct redisReply *reply, void *arg)
{
	struct lease_claim	*c = arg;
	struct store_lease	*l = c->l;
	struct message		*m;

	(void)conn;
	if (l->closing)
		goto out;
	m = store_message(l->store, c->seq);
	if (m == NULL || m->state != MESSAGE_QUEUED) {
		if (m != NULL)
			m->claiming = 0;
		goto out;
	}
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS) {
		m->claiming = 0;
		m->claimed_until = c->sent + l->lease_ms / 2;
		waiter_dispatch(l->store, m);
	} else if (reply != NULL && reply->type == REDIS_REPLY_NIL)
		lease_retry(l, c->seq, c->sent + l->lease_ms);
	else
		lease_retry(l, c->seq, loop_now() + LEASE_RETRY_MS);
out:
	free(c);
}

/* Send the claim of message seq's lease (or try again later). */
static void
lease_claim(struct store_lease *l, uint64_t seq)
{
	struct lease_claim	*c;
	const char		*argv[6];
	size_t			 lens[6];
	char			 what[64], ms[32], *key;
	int			 i;

	snprintf(what, sizeof what, "lease:%" PRIu64, seq);
	snprintf(ms, sizeof ms, "%" PRId64, l->lease_ms);
	key = redis_key(l->session, what);
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = l->from;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = ms;
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	c = xcalloc(1, sizeof *c);
	c->l = l;
	c->seq = seq;
	c->sent = loop_now();
	if (redis_conn_command(l->conn, 0, lease_on_reply, c, 6, argv,
	    lens) == -1) {
		free(c);
		lease_retry(l, seq, loop_now() + LEASE_RETRY_MS);
	}
	free(key);
}

/*
 * Queued message m may be wanted here: claim its lease, unless this
 * listener holds it, a claim is under way, or no waiter here wants it.
 */
void
store_lease_want(struct store_lease *l, struct message *m)
{
	if (m->state != MESSAGE_QUEUED || m->claiming ||
	    m->claimed_until > loop_now() || !waiter_any(l->store, m->hook))
		return;
	m->claiming = 1;
	lease_claim(l, m->seq);
}

/*
 * Before each wait of the loop: claim again what is due.  Return how long
 * the loop may wait for the next, or -1.
 */
int64_t
store_lease_prepare(struct store_lease *l)
{
	struct lease_retry	 r;
	struct message		*m;
	int64_t			 now = loop_now(), next = -1;
	size_t			 i = 0;

	while (i < l->nretries) {
		r = l->retries[i];
		if (r.at > now) {
			if (next == -1 || r.at - now < next)
				next = r.at - now;
			i++;
			continue;
		}
		l->retries[i] = l->retries[--l->nretries];
		if ((m = store_message(l->store, r.seq)) == NULL)
			continue;
		m->claiming = 0;
		store_lease_want(l, m);
	}
	return (next);
}

/* Start leasing for store s, on conn, as from, in session. */
struct store_lease *
store_lease_new(struct store *s, struct redis_conn *conn, const char *session,
    const char *from, int64_t lease_ms)
{
	struct store_lease	*l;

	l = xcalloc(1, sizeof *l);
	l->store = s;
	l->conn = conn;
	l->session = xstrdup(session);
	l->from = xstrdup(from);
	l->lease_ms = lease_ms > 0 ? lease_ms : STORE_LEASE_MS;
	return (l);
}

/* Mark l closing: claims still under way do nothing when they end. */
void
store_lease_closing(struct store_lease *l)
{
	l->closing = 1;
}

/* Free l, after its connection (whose claims end first). */
void
store_lease_free(struct store_lease *l)
{
	if (l == NULL)
		return;
	free(l->retries);
	free(l->session);
	free(l->from);
	free(l);
}
