/*
 * Applying the entries the follower brings to the replicated store
 * (store-redis.c): other listeners' are applied (store_apply), in the
 * stream's order.
 *
 * Entries come back through the follower too: this store's own (its
 * "from" is the listener's name and a nonce of this opening) are not
 * applied again.  One seen by the follower before its append's reply
 * came holds every later entry of other listeners back until that reply:
 * a take of that message must find it under its real number.  The spawn
 * of a verifying hook is held back until its secret is read
 * (store-redis-secrets.c), and every entry after it with it.  Those of
 * the listener's name with another nonce are an earlier life of this
 * listener, applied as another's; that life is dead (one listener runs
 * per session directory), so a request it started and left without an
 * outcome was cut by its death: once the stream is read, this store
 * records it unanswered for the whole session
 * (store_redis_apply_cut_earlier), as the journal store shows its own
 * after a crash.
 *
 * A catch-up (store_redis_catch_up) is over once what it read is
 * applied, what it held back included.
 */
#include "config.h"

#include <sys/queue.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "store-lease.h"
#include "store-private.h"
#include "store-redis-private.h"
#include "store-redis.h"
#include "store-retain.h"
#include "token.h"
#include "xmalloc.h"

/*
 * Record as unanswered the requests an earlier life of this listener
 * started and left without an outcome, once the stream is read and
 * applied as far as it goes (an outcome may follow its start anywhere):
 * that life is dead, so none will come.  One already unanswered (a life
 * in between recorded it) or sent is left as it is.
 */
void
store_redis_apply_cut_earlier(struct store_redis *sr)
{
	struct message	*m;
	size_t		 i;

	if (sr->nearlier == 0 || sr->read != 2 || !TAILQ_EMPTY(&sr->held) ||
	    sr->followed.n != 0)
		return;
	for (i = 0; i < sr->nearlier; i++) {
		m = store_message(sr->store, sr->earlier[i]);
		if (m == NULL || m->state != MESSAGE_SENDING)
			continue;
		log_info("redis store: request %llu, sent by an earlier life "
		    "of this listener, has no outcome: unanswered",
		    (unsigned long long)m->seq);
		message_unanswered(sr->store, m);
	}
	sr->nearlier = 0;
}

/*
 * Note the stream read once, when the first catch-up read it to its end
 * and what it brought is applied (none held back).  It stays so: later
 * entries are held back in the course of things (a reply awaited, a
 * secret read), and the store still holds the session then.
 */
void
store_redis_apply_note_read(struct store_redis *sr)
{
	if (sr->read == 2 && TAILQ_EMPTY(&sr->held))
		sr->read_once = 1;
}

/* Note a request an earlier life of this listener started (entry re). */
static void
sr_earlier(struct store_redis *sr, const struct redis_entry *re)
{
	if (sr->nearlier == sr->earlier_size) {
		sr->earlier_size = sr->earlier_size == 0 ? 16 :
		    sr->earlier_size * 2;
		sr->earlier = xreallocarray(sr->earlier, sr->earlier_size,
		    sizeof *sr->earlier);
	}
	sr->earlier[sr->nearlier++] = re->seq;
}

/* Apply an entry another listener wrote; log one that does not fit. */
static void
sr_apply(struct store_redis *sr, const struct store_entry *e)
{
	char	*cause = NULL;

	if (store_apply(sr->store, e, &cause) == -1) {
		log_warnx("redis store: %s", cause);
		free(cause);
	}
}

/*
 * Apply the entries held back, in order, as far as no reply is awaited
 * and no secret is being read; then end the catch-ups that waited for
 * them.
 */
void
store_redis_apply_release_held(struct store_redis *sr)
{
	struct sr_held		*h;
	struct sr_catch_up	*c;
	int			 released = 0;

	while (sr->followed.n == 0 && (h = TAILQ_FIRST(&sr->held)) != NULL &&
	    h->fetch == SR_FETCH_NONE) {
		TAILQ_REMOVE(&sr->held, h, entry);
		sr->released = h->serial;
		sr_apply(sr, &h->e);
		free(h->storage);
		free(h);
		released = 1;
	}
	/* Entries of this store's own after them may be sent now. */
	if (released)
		store_notify(sr->store, NULL);
	while ((c = TAILQ_FIRST(&sr->catch_ups)) != NULL &&
	    c->mark <= sr->released) {
		TAILQ_REMOVE(&sr->catch_ups, c, entry);
		c->done(c->arg, NULL);
		free(c);
	}
	store_redis_apply_note_read(sr);
	store_redis_apply_cut_earlier(sr);
}

/* Hold an entry of another listener back (see the top of the file). */
static struct sr_held *
sr_hold(struct store_redis *sr, const struct store_entry *e)
{
	struct sr_held	*h;

	h = xcalloc(1, sizeof *h);
	h->sr = sr;
	h->serial = ++sr->held_serial;
	h->e = *e;
	h->storage = xmalloc(e->json_len + e->body_len + 1);
	memcpy(h->storage, e->json, e->json_len);
	h->e.json = h->storage;
	if (e->body != NULL) {
		memcpy(h->storage + e->json_len, e->body, e->body_len);
		h->e.body = h->storage + e->json_len;
	}
	TAILQ_INSERT_TAIL(&sr->held, h, entry);
	return (h);
}

/*
 * An entry this store wrote, from the follower: it resolves an append of
 * unknown outcome, or is noted until its reply comes (see the top).  An
 * append may be in the stream twice (doc/store-redis.md): a copy of a
 * record already acknowledged, or already noted, or of one never
 * written, is passed over, or it would wait for a reply that never
 * comes, holding back every later entry of the others.
 */
static void
sr_on_own(struct store_redis *sr, const struct redis_entry *re)
{
	struct sr_record	*r;
	uint64_t		 n;
	char			*end;

	n = strtoull(re->from + sr->fromlen + 1, &end, 10);
	if (*end != '\0')
		return;
	TAILQ_FOREACH(r, &sr->unknown, entry) {
		if (r->n == n) {
			TAILQ_REMOVE(&sr->unknown, r, entry);
			store_redis_send_done(sr, r, re->seq);
			return;
		}
	}
	if (store_redis_sync_seqs_take(&sr->replied, n, NULL))
		return;
	if (n == 0 || n > sr->written || store_redis_sync_was_acked(sr, n) ||
	    store_redis_sync_seqs_has(&sr->followed, n)) {
		log_warnx("redis store: record %" PRIu64 " of this listener "
		    "is in the stream again (seq %" PRIu64 "): passed over",
		    n, re->seq);
		return;
	}
	store_redis_sync_seqs_add(&sr->followed, n, re->seq);
}

/* Redis lost entries (why): see store_redis_apply_lost. */
static void
sr_lost(struct store_redis *sr, char *why)
{
	struct store	*s = sr->store;

	if (sr->lost != NULL) {
		free(why);
		return;
	}
	xasprintf(&sr->lost, "Redis lost entries of the session: %s", why);
	free(why);
	log_warnx("redis store: %s", sr->lost);
	if (s->on_lost != NULL)
		s->on_lost(s->on_lost_arg, sr->lost);
}

/*
 * Redis gave seq again, below seen, the highest this store had seen:
 * it lost entries this store has applied (it restarted without them: no
 * persistence, an older snapshot, a failover to a replica that lacked
 * them).  This store's memory is no longer the session's: its hooks,
 * messages and seqs would hide what is written from now on.  From now
 * on it applies and acknowledges nothing, counts as unreachable, and
 * tells store_on_lost's callback, once.
 */
void
store_redis_apply_lost(struct store_redis *sr, uint64_t seq, uint64_t seen)
{
	char	*why;

	xasprintf(&why, "seq %" PRIu64 " came after %" PRIu64, seq, seen);
	sr_lost(sr, why);
}

/*
 * The same, found otherwise: the session's seq counter, which only ever
 * grows, is last, below seen (an append refused for it, or the check
 * when a connection becomes ready: store_redis_check_seq).
 */
void
store_redis_counter_lost(struct store_redis *sr, uint64_t last,
    uint64_t seen)
{
	char	*why;

	xasprintf(&why, "its last seq is %" PRIu64 ", below %" PRIu64
	    " seen", last, seen);
	sr_lost(sr, why);
}

/* A check of the seq counter, under way. */
struct sr_seq_check {
	struct store_redis	*sr;
	uint64_t		 seen;
};

/* The seq counter's value came: below what was seen, Redis lost some. */
static void
sr_on_seq(struct redis_conn *conn, struct redisReply *reply, void *arg)
{
	struct sr_seq_check	*c = arg;
	struct store_redis	*sr = c->sr;
	unsigned long long	 last;
	char			*end;

	(void)conn;
	if (sr->closing || reply == NULL)
		goto out;
	if (reply->type == REDIS_REPLY_NIL)
		last = 0;
	else if (reply->type != REDIS_REPLY_STRING)
		goto out;
	else {
		errno = 0;
		last = strtoull(reply->str, &end, 10);
		if (errno != 0 || end == reply->str || *end != '\0')
			goto out;
	}
	if (last < c->seen)
		store_redis_counter_lost(sr, last, c->seen);
out:
	free(c);
}

/*
 * A connection became ready (Redis may have restarted meanwhile): check
 * that its seq counter is not below the highest seq this store knows it
 * gave.  A Redis that came back without the last entries says so at
 * once, not at the next append, which may be long in coming: and an
 * append that takes those seqs again, or a loss whose last seq another
 * listener's appends brought up to where it was, would not say it.
 */
void
store_redis_check_seq(struct store_redis *sr)
{
	struct sr_seq_check	*c;
	const char		*argv[2];
	size_t			 lens[2];
	char			*key;

	if (sr->lost != NULL)
		return;
	c = xcalloc(1, sizeof *c);
	c->sr = sr;
	c->seen = sr->seq_seen > sr->seq_replied ? sr->seq_seen :
	    sr->seq_replied;
	if (c->seen == 0) {
		free(c);
		return;
	}
	key = redis_key(sr->session, "seq");
	argv[0] = "GET";
	argv[1] = key;
	lens[0] = 3;
	lens[1] = strlen(key);
	if (redis_conn_command(sr->conn, 0, sr_on_seq, c, 2, argv,
	    lens) == -1)
		free(c);
	free(key);
}

/*
 * Tell whether entry re took a seq of its own: an append does (its
 * script's INCR), and its "from" is "LISTENER/NONCE.N"; a release of
 * leases and a checkpoint's restated records, "from" the listener's
 * "LISTENER/NONCE", restate the last seq taken.
 */
static int
sr_took_seq(const struct redis_entry *re)
{
	const char	*slash = strrchr(re->from, '/');

	return (slash != NULL && strchr(slash, '.') != NULL);
}

/*
 * Return the seq of an append of this store's whose reply came but whose
 * entry the follower has not brought, at or below entry re's (but re
 * itself), or 0.  The stream is in seq order: the follower would have
 * brought it first.  Redis lost it, and took its seq again, or came back
 * without it and took seqs up to it again: the counter is no lower than
 * this store saw, which store_redis_check_seq does not notice.
 */
static uint64_t
sr_missing(const struct store_redis *sr, const struct redis_entry *re)
{
	const char	*n = NULL;
	char		*end;
	size_t		 i;

	if (strncmp(re->from, sr->from, sr->fromlen) == 0 &&
	    re->from[sr->fromlen] == '.')
		n = re->from + sr->fromlen + 1;
	for (i = 0; i < sr->replied.n; i++) {
		if (sr->replied.v[i].seq > re->seq)
			continue;
		if (n != NULL && strtoull(n, &end, 10) ==
		    sr->replied.v[i].n && *end == '\0')
			continue;
		return (sr->replied.v[i].seq);
	}
	return (0);
}

/*
 * Tell whether entry re is to be passed over because Redis lost entries:
 * every append takes a seq above those before it, and a restated record
 * or leases given back the last one taken, so an append's seq not above
 * the highest seen, or another's below it, means that it did
 * (store_redis_apply_lost).
 */
static int
sr_went_back(struct store_redis *sr, const struct redis_entry *re)
{
	uint64_t	missing;
	char		*why;

	if (sr->lost == NULL && (re->seq < sr->seq_seen ||
	    (re->seq == sr->seq_seen && sr_took_seq(re))))
		store_redis_apply_lost(sr, re->seq, sr->seq_seen);
	else if (sr->lost == NULL && (missing = sr_missing(sr, re)) != 0) {
		xasprintf(&why, "seq %" PRIu64 " came, but not the entry "
		    "of seq %" PRIu64 " this listener wrote before it",
		    re->seq, missing);
		sr_lost(sr, why);
	}
	if (sr->lost != NULL)
		return (1);
	sr->seq_seen = re->seq;
	return (0);
}

/* An entry of the stream, from the follower: apply another's. */
void
store_redis_apply_on_entry(const struct redis_entry *re, void *arg)
{
	struct store_redis	*sr = arg;
	struct store_entry	 e;
	struct sr_held		*h;
	char			*end, token[TOKEN_LEN + 1];
	unsigned long		 type;
	int			 fetch, own;

	if (sr_went_back(sr, re))
		return;
	own = strncmp(re->from, sr->from, sr->fromlen) == 0 &&
	    (re->from[sr->fromlen] == '.' || re->from[sr->fromlen] == '\0');
	type = strtoul(re->type, &end, 10);
	if (*end != '\0' || type > 255)
		type = 0;
	store_retain_entry(sr->retain, re->id, own,
	    (enum journal_type)type, re->rec, re->reclen);
	if (strcmp(re->type, "release") == 0) {
		/* Leases given back early (store-lease.c), not a record. */
		if (strcmp(re->from, sr->from) != 0)
			store_lease_released(sr->lease, re->rec, re->reclen);
		return;
	}
	if (own && re->from[sr->fromlen] == '.') {
		sr_on_own(sr, re);
		/* The timeline may be complete further (store_complete). */
		store_notify(sr->store, NULL);
		return;
	}
	if (type == 0) {
		log_warnx("redis store: entry %s has type %s", re->id,
		    re->type);
		return;
	}
	if (type == JOURNAL_MESSAGE_SENDING &&
	    strncmp(re->from, sr->from, sr->namelen) == 0)
		sr_earlier(sr, re);
	memset(&e, 0, sizeof e);
	e.type = (enum journal_type)type;
	e.seq = re->seq;
	e.json = re->rec;
	e.json_len = re->reclen;
	e.body = re->body;
	e.body_len = re->bodylen;
	fetch = store_redis_secrets_verifying_spawn(&e, token);
	if (!fetch && sr->followed.n == 0 && TAILQ_EMPTY(&sr->held)) {
		sr_apply(sr, &e);
		/*
		 * It may be what records of this store's own, replied to,
		 * waited for (store_redis_complete): they may be sent now,
		 * though no message joined the timeline.
		 */
		if (store_redis_complete(sr) > sr->seq_seen)
			store_notify(sr->store, NULL);
		return;
	}
	h = sr_hold(sr, &e);
	if (fetch) {
		memcpy(h->token, token, sizeof h->token);
		store_redis_secrets_fetch(sr, h);
	}
}

/*
 * A catch-up read the stream to its end: it is over once the entries it
 * brought are applied, those held back included (a verifying hook's
 * spawn waits for its secret), so that the hook it was for is there,
 * with its secret.
 */
static void
sr_caught_up(void *arg, const char *error)
{
	struct sr_catch_up	*c = arg;
	struct store_redis	*sr = c->sr;

	if (error == NULL && !sr->closing && !TAILQ_EMPTY(&sr->held)) {
		c->mark = sr->held_serial;
		TAILQ_INSERT_TAIL(&sr->catch_ups, c, entry);
		return;
	}
	c->done(c->arg, error == NULL && sr->closing ? "the store was closed" :
	    error);
	free(c);
}

/*
 * Catch up the stream now (see redis_follow_catch_up), then call
 * done(arg, error) once what it read is applied.  Return 0, or -1 when
 * Redis is not reachable now.
 */
int
store_redis_catch_up(struct store_redis *sr, store_caught_up_cb done,
    void *arg)
{
	struct sr_catch_up	*c;

	if (!redis_conn_ready(sr->conn))
		return (-1);
	c = xcalloc(1, sizeof *c);
	c->sr = sr;
	c->done = done;
	c->arg = arg;
	if (redis_follow_catch_up(sr->follow, sr->conn, sr_caught_up,
	    c) == -1) {
		free(c);
		return (-1);
	}
	return (0);
}
