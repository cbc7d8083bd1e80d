/*
 * The replicated store (doc/store-redis.md), internal for now: a store
 * opened with a Redis URL sends every record it writes to the session's
 * stream (redis_append) and applies every entry other listeners wrote
 * (redis_follow, store_apply), so that stores on one Redis are one
 * session.
 *
 * Its own records are durable when Redis acknowledged the append:
 * store_after_sync's callbacks run then, in the order written, never
 * after the local fdatasync alone (the local journal is a cache).
 * Sequence numbers come from Redis: a record written here takes a
 * provisional number (above every real one, so it sorts last) and gets
 * its real one from the append's reply, before anything waiting for its
 * durability runs (message_renumber).  The entry sent holds its record
 * without the provisional "seq": the entry's own seq field gives it.
 *
 * Entries come back through the follower too: this store's own (its
 * "from" is the listener's name and a nonce of this opening) are not
 * applied again.  One seen by the follower before its append's reply
 * came holds every later entry of other listeners back until that reply:
 * a take of that message must find it under its real number.
 *
 * Each entry's "from" is LISTENER/NONCE.N, N the record's number here,
 * so that the follower recognises this store's own entries one by one.
 * A lost connection leaves an append's outcome unknown (the script may
 * have run): nothing after it is acknowledged until, reconnected, a
 * catch-up has read the stream up to its end.  What the follower saw
 * meanwhile was added (it is durable, with the seq the entry has); what
 * it did not was not, and is sent again, before anything newer.
 */
#include "config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "journal.h"
#include "jsonptr.h"
#include "log.h"
#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "store-lease.h"
#include "store-private.h"
#include "store-redis.h"
#include "token.h"
#include "xmalloc.h"

/* A record written here, until Redis acknowledged it. */
struct sr_record {
	TAILQ_ENTRY(sr_record)	 entry;		/* unsent */
	struct store_redis	*sr;
	uint64_t		 n;		/* written, from 1 */
	uint64_t		 provisional;	/* its message's seq, or 0 */
	enum journal_type	 type;
	char			*rec;
	size_t			 reclen;
	char			*body;		/* NULL: none */
	size_t			 bodylen;
};
TAILQ_HEAD(sr_records, sr_record);

/* Something waiting for every record written before it to be durable. */
struct sr_waiting {
	uint64_t		 n;
	store_synced_cb		 cb;
	void			*arg;
};

/* An entry of another listener held back (see the top of the file). */
struct sr_held {
	TAILQ_ENTRY(sr_held)	 entry;
	struct store_entry	 e;
	char			*storage;
};

/* A list of records' numbers, each with a seq (few: those in flight). */
struct sr_pair {
	uint64_t		 n;
	uint64_t		 seq;
};
struct sr_seqs {
	struct sr_pair		*v;
	size_t			 n, size;
};

struct store_redis {
	struct store		*store;
	struct loop		*loop;
	char			*session;
	char			*from;
	struct redis_conn	*conn;		/* appends, catch-ups */
	struct redis_follow	*follow;
	struct store_lease	*lease;
	size_t			 fromlen;	/* of "LISTENER/NONCE" */
	struct sr_records	 unsent;
	struct sr_records	 unknown;	/* lost with a connection */
	uint64_t		 written;	/* records numbered so far */
	uint64_t		 acked;		/* all up to here are durable */
	struct sr_seqs		 acked_above;	/* acknowledged above it */
	struct sr_seqs		 replied;	/* not yet followed */
	struct sr_seqs		 followed;	/* not yet replied */
	int			 resolving;	/* a catch-up for unknown */
	int			 read;		/* 1 reading, 2 read: the stream */
	TAILQ_HEAD(, sr_held)	 held;
	struct sr_waiting	*waiting;
	size_t			 nwaiting, waiting_size;
	int			 closing;
};

/*
 * Tell whether record n is in list l, and take it out if so, with its
 * seq in *seq (if not NULL).
 */
static int
sr_seqs_take(struct sr_seqs *l, uint64_t n, uint64_t *seq)
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

/* Add record n, and its seq, to list l. */
static void
sr_seqs_add(struct sr_seqs *l, uint64_t n, uint64_t seq)
{
	if (l->n == l->size) {
		l->size = l->size == 0 ? 16 : l->size * 2;
		l->v = xreallocarray(l->v, l->size, sizeof *l->v);
	}
	l->v[l->n].n = n;
	l->v[l->n].seq = seq;
	l->n++;
}

/* Run what waited for records now all acknowledged, in order. */
static void
sr_run_waiting(struct store_redis *sr)
{
	struct sr_waiting	 w;
	size_t			 done = 0;

	/* A callback may add more: take them one at a time. */
	while (done < sr->nwaiting && sr->waiting[done].n <= sr->acked) {
		w = sr->waiting[done++];
		w.cb(w.arg);
	}
	if (done == 0)
		return;
	memmove(sr->waiting, sr->waiting + done,
	    (sr->nwaiting - done) * sizeof *sr->waiting);
	sr->nwaiting -= done;
}

/* Before each wait of the loop: run what waits for nothing in flight. */
static int64_t
sr_prepare(void *arg)
{
	struct store_redis	*sr = arg;

	sr_run_waiting(sr);
	return (store_lease_prepare(sr->lease));
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

/* Apply the entries held back, now that no reply is awaited. */
static void
sr_release_held(struct store_redis *sr)
{
	struct sr_held	*h;

	while (sr->followed.n == 0 && (h = TAILQ_FIRST(&sr->held)) != NULL) {
		TAILQ_REMOVE(&sr->held, h, entry);
		sr_apply(sr, &h->e);
		free(h->storage);
		free(h);
	}
}

/* Mark record n acknowledged, and move the low-water mark. */
static void
sr_acked(struct store_redis *sr, uint64_t n)
{
	if (n != sr->acked + 1) {
		sr_seqs_add(&sr->acked_above, n, 0);
		return;
	}
	sr->acked = n;
	while (sr_seqs_take(&sr->acked_above, sr->acked + 1, NULL))
		sr->acked++;
}

/* Free a record. */
static void
sr_record_free(struct sr_record *r)
{
	free(r->rec);
	free(r->body);
	free(r);
}

/*
 * Record r is in the stream with seq: give its message that seq, then
 * run what waited for it to be durable.
 */
static void
sr_done(struct store_redis *sr, struct sr_record *r, uint64_t seq)
{
	struct message	*m;

	if (r->provisional != 0 &&
	    (m = store_message(sr->store, r->provisional)) != NULL)
		message_renumber(sr->store, m, seq);
	store_seq_raise(sr->store, seq + 1);
	sr_acked(sr, r->n);
	sr_record_free(r);
	sr_run_waiting(sr);
	sr_release_held(sr);
}

/*
 * An append's reply: the record is durable with its real seq.  An error
 * (the connection was lost) leaves the outcome unknown, unless the
 * follower saw the entry already: it is resolved after the reconnection
 * (sr_on_state).
 */
static void
sr_on_append(void *arg, uint64_t seq, const char *id, const char *error)
{
	struct sr_record	*r = arg;
	struct store_redis	*sr = r->sr;

	(void)id;
	if (sr->closing) {
		sr_record_free(r);
		return;
	}
	if (error != NULL) {
		if (sr_seqs_take(&sr->followed, r->n, &seq))
			sr_done(sr, r, seq);
		else {
			log_warnx("redis store: an append's outcome is "
			    "unknown (%s): resolved once reconnected", error);
			TAILQ_INSERT_TAIL(&sr->unknown, r, entry);
		}
		return;
	}
	if (!sr_seqs_take(&sr->followed, r->n, NULL))
		sr_seqs_add(&sr->replied, r->n, seq);
	sr_done(sr, r, seq);
}

/* Send record r, or return -1 when the connection is not ready. */
static int
sr_send(struct store_redis *sr, struct sr_record *r)
{
	char	type[16], *from;
	int	rc;

	snprintf(type, sizeof type, "%d", (int)r->type);
	xasprintf(&from, "%s.%" PRIu64, sr->from, r->n);
	rc = redis_append(sr->conn, sr->session, from, type, r->rec,
	    r->reclen, r->body, r->bodylen, sr_on_append, r);
	free(from);
	return (rc);
}

/* Send every record written while the connection was not ready. */
static void
sr_flush(struct store_redis *sr)
{
	struct sr_record	*r;

	while (!sr->resolving && (r = TAILQ_FIRST(&sr->unsent)) != NULL) {
		if (sr_send(sr, r) == -1)
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
		return;
	}
	while ((r = TAILQ_LAST(&sr->unknown, sr_records)) != NULL) {
		TAILQ_REMOVE(&sr->unknown, r, entry);
		TAILQ_INSERT_HEAD(&sr->unsent, r, entry);
	}
	sr_flush(sr);
}

/* The first catch-up is over: the store is settled (or it failed). */
static void
sr_read(void *arg, const char *error)
{
	struct store_redis	*sr = arg;

	if (sr->closing)
		return;
	sr->read = error == NULL ? 2 : 0;
}

/*
 * The connection became ready: load the script, read the stream as it is
 * now once (the commands of a start must find what it holds), resolve
 * appends whose outcome is unknown (a catch-up: the follower sees those
 * that were added), then send what waits.
 */
static void
sr_on_state(struct redis_conn *conn, int up, void *arg)
{
	struct store_redis	*sr = arg;

	if (!up)
		return;
	redis_append_load(conn);
	if (sr->read == 0 &&
	    redis_follow_catch_up(sr->follow, conn, sr_read, sr) == 0)
		sr->read = 1;
	if (!TAILQ_EMPTY(&sr->unknown) && !sr->resolving &&
	    redis_follow_catch_up(sr->follow, conn, sr_resolved, sr) == 0)
		sr->resolving = 1;
	sr_flush(sr);
}

/*
 * The record's JSON as the entry carries it: without the provisional
 * "seq" of a numbered record (the entry's seq gives the real one).
 */
static char *
sr_rec(const struct store_entry *e, size_t *len)
{
	struct json_object	*o;
	const char		*text;
	char			*copy, *why = NULL;

	if (e->seq == 0 || (o = jsonptr_parse(e->json, e->json_len,
	    &why)) == NULL) {
		free(why);
		*len = e->json_len;
		return (xmemdup(e->json, e->json_len));
	}
	json_object_object_del(o, "seq");
	text = json_object_to_json_string_length(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, len);
	copy = xmemdup(text, *len);
	json_object_put(o);
	return (copy);
}

/* A record this store wrote (store_on_record): send it to the stream. */
static void
sr_on_record(const struct store_entry *e, void *arg)
{
	struct store_redis	*sr = arg;
	struct sr_record	*r;

	r = xcalloc(1, sizeof *r);
	r->sr = sr;
	r->n = ++sr->written;
	r->type = e->type;
	r->provisional = e->seq;
	r->rec = sr_rec(e, &r->reclen);
	if (e->body != NULL) {
		r->body = xmemdup(e->body, e->body_len);
		r->bodylen = e->body_len;
	}
	if (!TAILQ_EMPTY(&sr->unsent) || sr->resolving ||
	    !TAILQ_EMPTY(&sr->unknown) || sr_send(sr, r) == -1)
		TAILQ_INSERT_TAIL(&sr->unsent, r, entry);
}

/* Hold an entry of another listener back (see the top of the file). */
static void
sr_hold(struct store_redis *sr, const struct store_entry *e)
{
	struct sr_held	*h;

	h = xcalloc(1, sizeof *h);
	h->e = *e;
	h->storage = xmalloc(e->json_len + e->body_len + 1);
	memcpy(h->storage, e->json, e->json_len);
	h->e.json = h->storage;
	if (e->body != NULL) {
		memcpy(h->storage + e->json_len, e->body, e->body_len);
		h->e.body = h->storage + e->json_len;
	}
	TAILQ_INSERT_TAIL(&sr->held, h, entry);
}

/*
 * An entry this store wrote, from the follower: it resolves an append of
 * unknown outcome, or is noted until its reply comes (see the top).
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
			sr_done(sr, r, re->seq);
			return;
		}
	}
	if (!sr_seqs_take(&sr->replied, n, NULL))
		sr_seqs_add(&sr->followed, n, re->seq);
}

/* An entry of the stream, from the follower: apply another's. */
static void
sr_on_entry(const struct redis_entry *re, void *arg)
{
	struct store_redis	*sr = arg;
	struct store_entry	 e;
	char			*end;
	unsigned long		 type;

	if (strncmp(re->from, sr->from, sr->fromlen) == 0 &&
	    re->from[sr->fromlen] == '.') {
		sr_on_own(sr, re);
		return;
	}
	type = strtoul(re->type, &end, 10);
	if (*end != '\0' || type == 0 || type > 255) {
		log_warnx("redis store: entry %s has type %s", re->id,
		    re->type);
		return;
	}
	memset(&e, 0, sizeof e);
	e.type = (enum journal_type)type;
	e.seq = re->seq;
	e.json = re->rec;
	e.json_len = re->reclen;
	e.body = re->body;
	e.body_len = re->bodylen;
	if (sr->followed.n > 0 || !TAILQ_EMPTY(&sr->held))
		sr_hold(sr, &e);
	else
		sr_apply(sr, &e);
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
	TAILQ_INIT(&sr->unsent);
	TAILQ_INIT(&sr->unknown);
	TAILQ_INIT(&sr->held);
	sr->conn = redis_conn_new(sr->loop, config->redis, sr_on_state, sr);
	sr->follow = redis_follow_new(sr->loop, config->redis, sr->session,
	    "0", sr_on_entry, sr);
	sr->lease = store_lease_new(s, sr->conn, sr->session, sr->from,
	    config->lease_ms);
	loop_prepare_add(sr->loop, sr_prepare, sr);
	store_on_record(s, sr_on_record, sr);
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

	if (sr == NULL)
		return;
	sr->closing = 1;
	store_lease_closing(sr->lease);
	store_on_record(sr->store, NULL, NULL);
	loop_prepare_remove(sr->loop, sr_prepare, sr);
	redis_follow_free(sr->follow);
	redis_conn_free(sr->conn);
	store_lease_free(sr->lease);
	while ((r = TAILQ_FIRST(&sr->unsent)) != NULL) {
		TAILQ_REMOVE(&sr->unsent, r, entry);
		sr_record_free(r);
	}
	while ((r = TAILQ_FIRST(&sr->unknown)) != NULL) {
		TAILQ_REMOVE(&sr->unknown, r, entry);
		sr_record_free(r);
	}
	while ((h = TAILQ_FIRST(&sr->held)) != NULL) {
		TAILQ_REMOVE(&sr->held, h, entry);
		free(h->storage);
		free(h);
	}
	free(sr->acked_above.v);
	free(sr->replied.v);
	free(sr->followed.v);
	free(sr->waiting);
	free(sr->from);
	free(sr->session);
	free(sr);
}

/* Run cb(arg) once every record written so far is acknowledged. */
void
store_redis_after_sync(struct store_redis *sr, store_synced_cb cb, void *arg)
{
	if (sr->nwaiting == sr->waiting_size) {
		sr->waiting_size = sr->waiting_size == 0 ? 64 :
		    sr->waiting_size * 2;
		sr->waiting = xreallocarray(sr->waiting, sr->waiting_size,
		    sizeof *sr->waiting);
	}
	sr->waiting[sr->nwaiting].n = sr->written;
	sr->waiting[sr->nwaiting].cb = cb;
	sr->waiting[sr->nwaiting].arg = arg;
	sr->nwaiting++;
}

/*
 * Make the callback cb(arg), waiting since store_redis_after_sync, be
 * to_cb(to_arg) instead, in its place.  Return 0, or -1 if none waits.
 */
int
store_redis_sync_move(struct store_redis *sr, store_synced_cb cb, void *arg,
    store_synced_cb to_cb, void *to_arg)
{
	size_t	i;

	for (i = 0; i < sr->nwaiting; i++) {
		if (sr->waiting[i].cb == cb && sr->waiting[i].arg == arg) {
			sr->waiting[i].cb = to_cb;
			sr->waiting[i].arg = to_arg;
			return (0);
		}
	}
	return (-1);
}

/*
 * Catch up the stream now (see redis_follow_catch_up), then call
 * done(arg, error).  Return 0, or -1 when Redis is not reachable now.
 */
int
store_redis_catch_up(struct store_redis *sr, store_caught_up_cb done,
    void *arg)
{
	if (!redis_conn_ready(sr->conn))
		return (-1);
	return (redis_follow_catch_up(sr->follow, sr->conn, done, arg));
}

/* Queued message m may be wanted here: claim its lease (store-lease.c). */
void
store_want(struct store *s, struct message *m)
{
	if (s->redis != NULL)
		store_lease_want(s->redis->lease, m);
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
	return (redis_conn_state(sr->conn));
}

/* Tell whether the store's connection to Redis is ready for commands. */
int
store_redis_ready(const struct store_redis *sr)
{
	return (redis_conn_ready(sr->conn));
}

/* Tell whether Redis acknowledged every record written so far. */
int
store_redis_durable(const struct store_redis *sr)
{
	return (sr->acked == sr->written);
}

/*
 * Tell whether the first connection to Redis has failed, or is made and
 * has read the stream.
 */
int
store_redis_settled(const struct store_redis *sr)
{
	return (redis_conn_tried(sr->conn) &&
	    (sr->read == 2 || !redis_conn_ready(sr->conn)));
}
