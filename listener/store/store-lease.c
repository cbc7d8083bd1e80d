/*
 * Leases across listeners for the replicated store (doc/store-redis.md):
 * one taker per message.  A queued message is handed to a local waiter
 * only while this listener holds its lease in Redis, the key
 * fish:{S}:lease:SEQ set to its name for LEASE_MS if no one else holds
 * it (redis_claim_again: renewed if it holds our name already, a claim
 * whose reply was lost; taken over if it holds our listener's name with
 * another nonce, an earlier life of this listener, killed: only one runs
 * per session directory), claimed when a waiter here accepts the message
 * (waiter.c: the waiter waits for the answer, so it is handed messages
 * in seq order; every answer tells waiter_claimed, and a win offers the
 * message to the waiters).  The winner offers it for half the lease time
 * (the other half is for the waiter's client to confirm and the take to
 * be written); a loser tries again when the winner's lease would expire:
 * by then the winner's take has dequeued the message everywhere, or the
 * winner died and the message is offered here (at-least-once: a take
 * confirmed after the lease expired may be a second delivery).
 *
 * A lease won but unused is given back at once: when, after it was
 * offered, or after its message was released by a waiter that went away,
 * no waiter here is still looking at its hook's queue (the one it was
 * claimed for took another message, or went away), a compare-and-delete
 * script deletes the lease key if it is still ours and adds a "release"
 * entry to the stream naming the messages; a listener whose claim of one
 * was lost claims it again at once, instead of when the lease would have
 * expired.  A lease kept for a waiter or a batch here goes back as well
 * once its offer window has passed (lease_release_unused), not forgotten
 * to expire in Redis.
 *
 * A message out to a waiter here stays so until its client confirms it
 * (the take), and a batch (wait --count, --drain) holds each of its
 * messages until the last comes: longer than a lease, at times.  So the
 * leases of messages out here are renewed every third of the lease time
 * (lease_renew: PEXPIRE of each key still ours), and a message whose
 * lease is not known to be ours (m->lease_until passed: renewals failed,
 * Redis unreachable; or 0: another listener holds it now) is no longer
 * handed out with a batch (store_lease_kept, control-wait.c): another
 * listener may have had it.
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
#include <json-c/json.h>

#include "jsonptr.h"
#include "log.h"
#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "store-lease.h"
#include "store-private.h"
#include "store-redis.h"
#include "xmalloc.h"

/* After a failed claim (no connection, an error reply), try again. */
#define LEASE_RETRY_MS	1000
/* What a release is for, in a log line. */
static char	lease_what[] = "giving leases back";
static char	lease_renewing[] = "renewing leases";

/*
 * KEYS: lease keys.  ARGV: from, ms.  Renew each lease key that holds
 * from for ms; return for each 1 (renewed) or 0 (not ours any more).
 * It runs with Redis out of memory too (allow-oom): a PEXPIRE takes no
 * room, and a batch should not lose its leases while Redis is full, when
 * no other listener can claim them anyway.
 */
static const char lease_renew_script[] =
	"#!lua flags=allow-oom\n"
	"local renewed = {}\n"
	"for i = 1, #KEYS do\n"
	"  if redis.call('GET', KEYS[i]) == ARGV[1] then\n"
	"    redis.call('PEXPIRE', KEYS[i], ARGV[2])\n"
	"    renewed[i] = 1\n"
	"  else\n"
	"    renewed[i] = 0\n"
	"  end\n"
	"end\n"
	"return renewed\n";

/* Most leases one renewal script renews. */
#define LEASE_RENEW_MAX		64

/* Most leases one release script gives back. */
#define LEASE_RELEASE_MAX	64
/* The arguments of a release of n leases (lease_release). */
#define LEASE_RELEASE_ARGS(n)	(2 * (size_t)(n) + 7)

/*
 * KEYS: seq, log, then lease keys.  ARGV: from, "", then the seqs of
 * the lease keys.  Delete each lease key that holds from; if any, add a
 * "release" entry naming their seqs (its seq field is the last taken:
 * an entry that is no record takes none).  Return how many.
 */
static const char lease_release_script[] =
	"#!lua\n"
	"local released = {}\n"
	"for i = 3, #KEYS do\n"
	"  if redis.call('GET', KEYS[i]) == ARGV[1] then\n"
	"    redis.call('DEL', KEYS[i])\n"
	"    released[#released + 1] = ARGV[i]\n"
	"  end\n"
	"end\n"
	"if #released > 0 then\n"
	"  redis.call('XADD', KEYS[2], '*', 'seq',"
	" redis.call('GET', KEYS[1]) or '1', 'from', ARGV[1],"
	" 'type', 'release', 'rec', '[' .. table.concat(released, ',') .. ']')\n"
	"end\n"
	"return #released\n";

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
	uint64_t		*held;		/* seqs whose lease we won */
	size_t			 nheld, held_size;
	int			 dirty;		/* some may be unused now */
	int64_t			 recheck_at;	/* or will be then, or 0 */
	int64_t			 renew_at;	/* renew those out then */
	int			 closing;
	int			 stopping;	/* giving every lease back */
	int			 returning;	/* such releases unanswered */
};

/* A claim under way. */
struct lease_claim {
	struct store_lease	*l;
	uint64_t		 seq;
	int64_t			 sent;
};

/* A renewal under way: the leases of n messages, by seq. */
struct lease_renewal {
	struct store_lease	*l;
	int64_t			 sent;
	size_t			 n;
	uint64_t		 seqs[LEASE_RENEW_MAX];
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

/* Note that this listener won message seq's lease. */
static void
lease_held(struct store_lease *l, uint64_t seq)
{
	if (l->nheld == l->held_size) {
		l->held_size = l->held_size == 0 ? 16 : l->held_size * 2;
		l->held = xreallocarray(l->held, l->held_size,
		    sizeof *l->held);
	}
	l->held[l->nheld++] = seq;
	l->dirty = 1;
}

static void	lease_release(struct store_lease *, const uint64_t *, size_t);

/*
 * A claim's reply: 1 won (offer the message here), 0 lost (try again when
 * the winner's lease would end), anything else failed (try again soon).
 * A claim of ours whose reply was lost, though Redis ran it, wins when
 * tried again: the lease holds our name.  Either way a waiter here that
 * waits for this answer (waiter_claimed) goes on: with the message, or
 * past it.
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
			m->claiming = MESSAGE_CLAIM_NONE;
	} else if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1 && l->stopping) {
		/* Won as the listener stops: nothing here will use it. */
		m->claiming = MESSAGE_CLAIM_NONE;
		lease_release(l, &c->seq, 1);
	} else if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer == 1) {
		m->claiming = MESSAGE_CLAIM_NONE;
		m->claimed_until = c->sent + l->lease_ms / 2;
		m->lease_until = c->sent + l->lease_ms;
		lease_held(l, c->seq);
	} else if (reply != NULL && reply->type == REDIS_REPLY_INTEGER) {
		m->claiming = MESSAGE_CLAIM_DUE;
		lease_retry(l, c->seq, c->sent + l->lease_ms);
	} else {
		m->claiming = MESSAGE_CLAIM_DUE;
		lease_retry(l, c->seq, loop_now() + LEASE_RETRY_MS);
	}
	waiter_claimed(l->store, c->seq);
	/*
	 * Won, and not taken by the waiter that waited for it: offer it to
	 * the rest (a lease whose offer ended before its answer came is
	 * claimed again for the first that accepts it).
	 */
	if (m != NULL && m->state == MESSAGE_QUEUED &&
	    m->claiming == MESSAGE_CLAIM_NONE)
		waiter_dispatch(l->store, m);
out:
	free(c);
}

/* Send the claim of message seq's lease; 0, or -1 (then try again later). */
static int
lease_claim(struct store_lease *l, uint64_t seq)
{
	struct lease_claim	*c;
	char			 what[64], *key;
	int			 ret = 0;

	snprintf(what, sizeof what, "lease:%" PRIu64, seq);
	key = redis_key(l->session, what);
	c = xcalloc(1, sizeof *c);
	c->l = l;
	c->seq = seq;
	c->sent = loop_now();
	if (redis_claim_again(l->conn, key, l->from, l->lease_ms,
	    lease_on_reply, c) == -1) {
		free(c);
		lease_retry(l, seq, loop_now() + LEASE_RETRY_MS);
		ret = -1;
	}
	free(key);
	return (ret);
}

/*
 * Queued message m may be wanted here: claim its lease, unless this
 * listener holds it, a claim is under way or due, or no waiter here wants
 * it.  A claim that cannot be sent (no connection) is due again soon.
 */
void
store_lease_want(struct store_lease *l, struct message *m)
{
	if (l->stopping || m->state != MESSAGE_QUEUED ||
	    m->claiming != MESSAGE_CLAIM_NONE ||
	    m->claimed_until > loop_now() || !waiter_any(l->store, m->hook))
		return;
	m->claiming = lease_claim(l, m->seq) == 0 ? MESSAGE_CLAIM_SENT :
	    MESSAGE_CLAIM_DUE;
}

/* A release sent at the stop was answered, or lost with the connection. */
static void
lease_on_returned(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct store_lease	*l = arg;

	redis_conn_log_error(conn, reply, lease_what);
	l->returning--;
}

/*
 * Give back the leases of the n messages seqs (the script above).  One
 * that fails only expires, as if kept.  At the stop, count those whose
 * reply the listener waits for.
 */
static void
lease_release(struct store_lease *l, const uint64_t *seqs, size_t n)
{
	/* EVAL, script, numkeys, n + 2 keys, from, "", n seqs. */
	const char	*argv[LEASE_RELEASE_ARGS(LEASE_RELEASE_MAX)];
	size_t		 lens[LEASE_RELEASE_ARGS(LEASE_RELEASE_MAX)], i;
	char		*keys[LEASE_RELEASE_MAX + 2];
	char		 nums[LEASE_RELEASE_MAX][24], what[64], nkeys[16];

	keys[0] = redis_key(l->session, "seq");
	keys[1] = redis_key(l->session, "log");
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof what, "lease:%" PRIu64, seqs[i]);
		keys[i + 2] = redis_key(l->session, what);
		snprintf(nums[i], sizeof nums[i], "%" PRIu64, seqs[i]);
	}
	snprintf(nkeys, sizeof nkeys, "%zu", n + 2);
	argv[0] = "EVAL";
	argv[1] = lease_release_script;
	argv[2] = nkeys;
	for (i = 0; i < n + 2; i++)
		argv[3 + i] = keys[i];
	argv[n + 5] = l->from;
	argv[n + 6] = "";
	for (i = 0; i < n; i++)
		argv[n + 7 + i] = nums[i];
	for (i = 0; i < LEASE_RELEASE_ARGS(n); i++)
		lens[i] = strlen(argv[i]);
	if (!l->stopping)
		redis_conn_command(l->conn, 0, redis_conn_log_error,
		    lease_what, (int)LEASE_RELEASE_ARGS(n), argv, lens);
	else if (redis_conn_command(l->conn, 0, lease_on_returned, l,
	    (int)LEASE_RELEASE_ARGS(n), argv, lens) == 0)
		l->returning++;
	for (i = 0; i < n + 2; i++)
		free(keys[i]);
}

/*
 * Tell whether this listener keeps the lease won of queued message m for
 * now: it is still offered here (its offer window not passed), and a
 * waiter here is looking at its hook's queue, or a batch here that will
 * ask for more holds messages of it and was last answered a moment ago
 * (hook->batch_until: the leases claimed ahead for it are for its next
 * wait; a batch client that stalls between waits keeps them no longer).
 */
static int
lease_keep(struct store_lease *l, const struct message *m, int64_t now)
{
	return (m->claimed_until > now && (waiter_busy_on(l->store, m->hook) ||
	    (m->hook->batched > 0 && m->hook->batch_until > now)));
}

/* Note that the leases kept should be looked at again at time at. */
static void
lease_recheck(struct store_lease *l, int64_t at)
{
	if (l->recheck_at == 0 || at < l->recheck_at)
		l->recheck_at = at;
}

/*
 * Give back the leases won here that no waiter here can use any more: a
 * queued message not kept (lease_keep), whose lease no claim under way
 * renews (the release would run after it and delete the lease won
 * again).  Forget those taken or gone; keep those out to a waiter here
 * (it may release them).  Look again when the first of those kept would
 * no longer be (its offer window or its batch's time passed).
 */
static void
lease_release_unused(struct store_lease *l)
{
	struct message	*m;
	uint64_t	 unused[LEASE_RELEASE_MAX];
	int64_t		 now = loop_now();
	size_t		 i = 0, n = 0;

	l->dirty = 0;
	l->recheck_at = 0;
	while (i < l->nheld) {
		m = store_message(l->store, l->held[i]);
		if (m != NULL && m->state == MESSAGE_QUEUED &&
		    lease_keep(l, m, now)) {
			lease_recheck(l, m->claimed_until);
			if (m->hook->batched > 0 && m->hook->batch_until > now)
				lease_recheck(l, m->hook->batch_until);
			i++;
			continue;
		}
		if (m != NULL && m->state == MESSAGE_LEASED) {
			i++;
			continue;
		}
		if (m != NULL && m->state == MESSAGE_QUEUED &&
		    m->claiming != MESSAGE_CLAIM_SENT) {
			m->claimed_until = 0;
			unused[n++] = m->seq;
			if (n == LEASE_RELEASE_MAX) {
				lease_release(l, unused, n);
				n = 0;
			}
		}
		l->held[i] = l->held[--l->nheld];
	}
	if (n > 0)
		lease_release(l, unused, n);
}

/* Something happened that may leave a lease won here unused. */
void
store_lease_changed(struct store *s)
{
	if (s->redis != NULL)
		store_redis_lease(s->redis)->dirty = 1;
}

/*
 * Another listener gave back the leases of messages (a "release" entry:
 * rec, a JSON array of seqs): claim at once those this listener lost a
 * claim of and waits to claim again.
 */
void
store_lease_released(struct store_lease *l, const char *rec, size_t len)
{
	struct json_object	*o;
	struct message		*m;
	uint64_t		 seq;
	size_t			 i, j, n;
	char			*why = NULL;

	if ((o = jsonptr_parse(rec, len, &why)) == NULL ||
	    !json_object_is_type(o, json_type_array)) {
		free(why);
		json_object_put(o);
		return;
	}
	n = json_object_array_length(o);
	for (i = 0; i < n; i++) {
		seq = (uint64_t)json_object_get_int64(
		    json_object_array_get_idx(o, i));
		for (j = 0; j < l->nretries && l->retries[j].seq != seq; j++)
			continue;
		if (j == l->nretries || (m = store_message(l->store,
		    seq)) == NULL)
			continue;
		l->retries[j] = l->retries[--l->nretries];
		m->claiming = MESSAGE_CLAIM_NONE;
		store_lease_want(l, m);
	}
	json_object_put(o);
}

/*
 * A renewal's reply: each lease renewed is ours lease_ms from when it
 * was sent; one not ours any more (it expired, another listener may have
 * claimed it and handed its message out) is lost for good: its message,
 * still out here, is not handed out with a batch (store_lease_kept).
 * No reply (the connection lost) changes nothing: the next renewal tries
 * again, and the lease, if none succeeds in time, lapses here as well.
 */
static void
lease_on_renewed(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct lease_renewal	*r = arg;
	struct store_lease	*l = r->l;
	struct redisReply	*e;
	struct message		*m;
	size_t			 i;

	if (l->closing || reply == NULL)
		goto out;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != r->n) {
		redis_conn_log_error(conn, reply, lease_renewing);
		goto out;
	}
	for (i = 0; i < r->n; i++) {
		e = reply->element[i];
		if ((m = store_message(l->store, r->seqs[i])) == NULL ||
		    m->state != MESSAGE_LEASED || m->lease_until == 0)
			continue;
		if (e->type == REDIS_REPLY_INTEGER && e->integer == 1) {
			if (m->lease_until < r->sent + l->lease_ms)
				m->lease_until = r->sent + l->lease_ms;
		} else if (e->type == REDIS_REPLY_INTEGER) {
			log_warnx("message %" PRIu64 ": its lease lapsed while "
			    "out here; another listener may have it", m->seq);
			m->lease_until = 0;
			/* Given back, it is not offered here either. */
			m->claimed_until = 0;
		}
	}
out:
	free(r);
}

/* Send a renewal of r's leases; free it if it cannot be sent. */
static void
lease_renew_send(struct store_lease *l, struct lease_renewal *r)
{
	/* EVAL, script, numkeys, n keys, from, ms. */
	const char	*argv[LEASE_RENEW_MAX + 5];
	size_t		 lens[LEASE_RENEW_MAX + 5], i, n = r->n;
	char		*keys[LEASE_RENEW_MAX];
	char		 what[64], nkeys[16], ms[24];

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof what, "lease:%" PRIu64, r->seqs[i]);
		keys[i] = redis_key(l->session, what);
	}
	snprintf(nkeys, sizeof nkeys, "%zu", n);
	snprintf(ms, sizeof ms, "%" PRId64, l->lease_ms);
	argv[0] = "EVAL";
	argv[1] = lease_renew_script;
	argv[2] = nkeys;
	for (i = 0; i < n; i++)
		argv[3 + i] = keys[i];
	argv[n + 3] = l->from;
	argv[n + 4] = ms;
	for (i = 0; i < n + 5; i++)
		lens[i] = strlen(argv[i]);
	r->l = l;
	r->sent = loop_now();
	if (redis_conn_command(l->conn, 0, lease_on_renewed, r, (int)(n + 5),
	    argv, lens) == -1)
		free(r);
	for (i = 0; i < n; i++)
		free(keys[i]);
}

/*
 * Renew the leases of the messages won here that are out to a waiter
 * (a client that has yet to confirm, a batch gathering), in scripts of
 * LEASE_RENEW_MAX.  Those kept queued need none: they are offered only
 * in the first half of the lease (m->claimed_until), and claimed again
 * (redis_claim_again renews a lease still ours) before they are after.
 */
static void
lease_renew(struct store_lease *l)
{
	struct lease_renewal	*r = NULL;
	struct message		*m;
	size_t			 i;

	for (i = 0; i < l->nheld; i++) {
		m = store_message(l->store, l->held[i]);
		if (m == NULL || m->state != MESSAGE_LEASED ||
		    m->lease_until == 0)
			continue;
		if (r == NULL)
			r = xcalloc(1, sizeof *r);
		r->seqs[r->n++] = m->seq;
		if (r->n == LEASE_RENEW_MAX) {
			lease_renew_send(l, r);
			r = NULL;
		}
	}
	if (r != NULL)
		lease_renew_send(l, r);
}

/*
 * Tell whether leased message m is still sure to be this listener's
 * alone: a journal store's always; a replicated store's while its lease
 * is known to be ours (above).
 */
int
store_lease_kept(const struct store *s, const struct message *m)
{
	if (m->state != MESSAGE_LEASED)
		return (0);
	return (s->redis == NULL || m->lease_until > loop_now());
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

	if (l->recheck_at != 0 && l->recheck_at <= now)
		l->dirty = 1;
	if (l->dirty)
		lease_release_unused(l);
	if (l->recheck_at != 0)
		next = l->recheck_at - now;
	/* Every third of a lease: it is renewed twice before it ends. */
	if (l->renew_at <= now) {
		if (!l->stopping)
			lease_renew(l);
		l->renew_at = now + l->lease_ms / 3;
	}
	if (next == -1 || l->renew_at - now < next)
		next = l->renew_at - now;
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
		m->claiming = MESSAGE_CLAIM_NONE;
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

/*
 * The listener stops (its waiters are gone, nothing here will take a
 * message now): give back every lease won here whose message is not
 * taken, so that another listener's waiter has it at once rather than
 * once it expires.  The script deletes only keys still ours.
 */
void
store_lease_give_back(struct store_lease *l)
{
	struct message	*m;
	uint64_t	 seqs[LEASE_RELEASE_MAX];
	size_t		 i, n = 0;

	l->stopping = 1;
	for (i = 0; i < l->nheld; i++) {
		m = store_message(l->store, l->held[i]);
		if (m == NULL || (m->state != MESSAGE_QUEUED &&
		    m->state != MESSAGE_LEASED))
			continue;
		m->claimed_until = 0;
		seqs[n++] = m->seq;
		if (n == LEASE_RELEASE_MAX) {
			lease_release(l, seqs, n);
			n = 0;
		}
	}
	if (n > 0)
		lease_release(l, seqs, n);
	l->nheld = 0;
}

/* Return how many releases sent by store_lease_give_back are unanswered. */
int
store_lease_returning(const struct store_lease *l)
{
	return (l->returning);
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
	free(l->held);
	free(l->session);
	free(l->from);
	free(l);
}
