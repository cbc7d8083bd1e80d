/*
 * A follower of a session's stream (redis-follow.h).
 *
 * One read is outstanding whenever the connection is ready.  While the
 * follower may be behind (at its start, and after a blocking read brought
 * something), it reads with the range script: a few entries, no more
 * than REDIS_FOLLOW_BYTES (or the first alone when larger), since
 * XREAD's COUNT bounds entries, not bytes, and 128 bodies of 25 MiB would
 * make one reply of 3 GiB.  Once a range read comes short (caught up), it waits
 * with XREAD COUNT 1 BLOCK, whose reply holds one entry at most.  Each
 * reply's entries are handed over in order and the last id handed over
 * moves past them; the next read starts from it.  A lost connection
 * loses only the read in flight, whose entries were not handed over: the
 * read sent when the connection is ready again asks for them anew.  A
 * catch-up (range reads on another connection) may hand over entries
 * that the read in flight then returns too: every entry at or before the
 * last id handed over is passed by, so none goes twice.
 *
 * Catch-ups on one connection are coalesced: while one is in flight,
 * those asked for meanwhile gather into the next, sent when it ends (a
 * read that starts after each of them was asked for, as each needs), so
 * a scanner's flood of unknown tokens costs two reads per round trip, not
 * one per request.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "log.h"
#include "loop.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "xmalloc.h"

/* Someone waiting for a catch-up to end. */
struct redis_catch_up_caller {
	redis_follow_done_cb		 done;
	void				*arg;
};

/*
 * A catch-up: in flight (sent), or gathering callers until the one in
 * flight on its connection ends.  f is NULL once the follower was freed.
 */
struct redis_catch_up {
	struct redis_follow		*f;
	struct redis_conn		*conn;
	struct redis_catch_up_caller	*callers;
	size_t				 ncallers, callers_size;
	int				 sent;
	LIST_ENTRY(redis_catch_up)	 entry;
};

struct redis_follow {
	struct loop		*loop;
	struct redis_conn	*conn;
	char			*key;
	char			 last_id[REDIS_FOLLOW_ID_MAX + 1];
	redis_follow_cb		 cb;
	void			*arg;
	int			 reading;	/* a read is in flight */
	int			 behind;	/* read by range, not BLOCK */
	struct loop_timer	*retry;
	char			 error[256];	/* a read's, or empty */
	uint64_t		 skipped;
	LIST_HEAD(, redis_catch_up) catch_ups;	/* in flight or gathering */
};

/*
 * The range script: KEYS[1] the stream, ARGV the id to read after, the
 * most entries and the most bytes (of fields and values) of all, the
 * first entry always taken however large.  It answers {more, {entry,
 * ...}}: more is 1 when it stopped at a limit, not at the stream's end.
 * One XRANGE per entry keeps the script's own memory to what it answers.
 */
static const char redis_follow_range_script[] =
    "local id, out, used = ARGV[1], {}, 0\n"
    "local count, budget = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "for i = 1, count do\n"
    "  local r = redis.call('XRANGE', KEYS[1], '(' .. id, '+', 'COUNT', 1)\n"
    "  if #r == 0 then return {0, out} end\n"
    "  local size = 0\n"
    "  for _, v in ipairs(r[1][2]) do size = size + #v end\n"
    "  if i > 1 and used + size > budget then return {1, out} end\n"
    "  used = used + size\n"
    "  out[i] = r[1]\n"
    "  id = r[1][1]\n"
    "end\n"
    "return {1, out}\n";

static void	redis_follow_read(struct redis_follow *);
static int	redis_follow_catch_up_send(struct redis_catch_up *);

/* Parse a seq: 1 or more, decimal, no sign. */
static int
redis_follow_seq(const redisReply *r, uint64_t *seq)
{
	uint64_t	v = 0;
	size_t		i;

	if (r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 19)
		return (-1);
	for (i = 0; i < r->len; i++) {
		if (r->str[i] < '0' || r->str[i] > '9')
			return (-1);
		v = v * 10 + (uint64_t)(r->str[i] - '0');
	}
	if (v == 0)
		return (-1);
	*seq = v;
	return (0);
}

/*
 * Fill e from one stream entry ([id, [field, value, ...]]).  Return 0, or
 * -1 when it is not one of fish's.
 */
static int
redis_follow_entry(const redisReply *r, struct redis_entry *e)
{
	const redisReply	*fields, *name, *value;
	size_t			 i;
	int			 has_seq = 0;

	memset(e, 0, sizeof *e);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len > REDIS_FOLLOW_ID_MAX)
		return (-1);
	e->id = r->element[0]->str;
	fields = r->element[1];
	if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0)
		return (-1);
	for (i = 0; i < fields->elements; i += 2) {
		name = fields->element[i];
		value = fields->element[i + 1];
		if (name->type != REDIS_REPLY_STRING ||
		    value->type != REDIS_REPLY_STRING)
			return (-1);
		if (strcmp(name->str, "seq") == 0) {
			if (redis_follow_seq(value, &e->seq) == -1)
				return (-1);
			has_seq = 1;
		} else if (strcmp(name->str, "from") == 0) {
			e->from = value->str;
		} else if (strcmp(name->str, "type") == 0) {
			e->type = value->str;
		} else if (strcmp(name->str, "rec") == 0) {
			e->rec = value->str;
			e->reclen = value->len;
		} else if (strcmp(name->str, "body") == 0) {
			e->body = value->str;
			e->bodylen = value->len;
		}
	}
	if (!has_seq || e->from == NULL || e->type == NULL || e->rec == NULL)
		return (-1);
	return (0);
}

/* Parse a stream id "MS-SEQ" into *ms and *seq; -1 if it is not one. */
static int
redis_follow_id(const char *id, uint64_t *ms, uint64_t *seq)
{
	char	*end;

	if (*id < '0' || *id > '9')
		return (-1);
	*ms = strtoull(id, &end, 10);
	if (*end == '\0') {
		*seq = 0;
		return (0);
	}
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return (-1);
	*seq = strtoull(end + 1, &end, 10);
	return (*end == '\0' ? 0 : -1);
}

/* Tell whether stream id a comes after id b; see redis-follow.h. */
int
redis_follow_after(const char *a, const char *b)
{
	uint64_t	ams, aseq, bms, bseq;

	if (redis_follow_id(a, &ams, &aseq) == -1 ||
	    redis_follow_id(b, &bms, &bseq) == -1)
		return (1);
	return (ams > bms || (ams == bms && aseq > bseq));
}

/*
 * Hand over the entries of an array of stream entries (NULL: none); return
 * how many it held.
 */
static size_t
redis_follow_entries(struct redis_follow *f, const redisReply *entries)
{
	struct redis_entry	 e;
	size_t			 i;
	int			 r;

	if (entries == NULL || entries->type != REDIS_REPLY_ARRAY)
		return (0);
	for (i = 0; i < entries->elements; i++) {
		r = redis_follow_entry(entries->element[i], &e);
		if (e.id == NULL) {
			f->skipped++;
			continue;
		}
		if (!redis_follow_after(e.id, f->last_id))
			continue;	/* another read handed it over */
		if (r == -1) {
			f->skipped++;
			log_warnx("redis: %s: skipped entry %s, not fish's",
			    f->key, e.id);
		} else
			f->cb(&e, f->arg);
		snprintf(f->last_id, sizeof f->last_id, "%s", e.id);
	}
	return (entries->elements);
}

/* The entries of an XREAD reply ([[key, [entry, ...]]]), or NULL (nil). */
static const redisReply *
redis_follow_xread_entries(const redisReply *reply)
{
	const redisReply	*stream;

	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 1)
		return (NULL);
	stream = reply->element[0];
	if (stream->type != REDIS_REPLY_ARRAY || stream->elements != 2)
		return (NULL);
	return (stream->element[1]);
}

/*
 * The entries of the range script's reply ([more, [entry, ...]]), or NULL;
 * *more tells whether the stream may hold more after them.
 */
static const redisReply *
redis_follow_range_entries(const redisReply *reply, int *more)
{
	*more = 0;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER)
		return (NULL);
	*more = reply->element[0]->integer == 1;
	return (reply->element[1]);
}

/*
 * Hand over the entries of the range script's reply; tell whether the
 * stream may hold more after them.
 */
static int
redis_follow_range_reply(struct redis_follow *f, const redisReply *reply)
{
	int	more;

	redis_follow_entries(f, redis_follow_range_entries(reply, &more));
	return (more);
}

/*
 * Send XREAD COUNT 1 BLOCK MS STREAMS KEY LAST_ID on the follower's
 * connection, whose deadline allows for the block, after which the server
 * answers nil.  Return 0, or -1 when the connection is not ready.
 */
static int
redis_follow_block(struct redis_follow *f, redis_conn_reply_cb cb)
{
	char		 ms[16];
	const char	*argv[8] = { "XREAD", "COUNT", "1", "BLOCK", ms,
	    "STREAMS", f->key, f->last_id };
	size_t		 len[8];
	int		 i;

	snprintf(ms, sizeof ms, "%d", REDIS_FOLLOW_BLOCK_MS);
	for (i = 0; i < 8; i++)
		len[i] = strlen(argv[i]);
	return (redis_conn_command(f->conn, REDIS_FOLLOW_BLOCK_MS +
	    REDIS_CONN_COMMAND_MS, cb, f, 8, argv, len));
}

/*
 * Send the range script on conn, for the entries after the last id
 * handed over.  Return 0, or -1 when conn is not ready.
 */
static int
redis_follow_range(struct redis_follow *f, struct redis_conn *conn,
    redis_conn_reply_cb cb, void *arg)
{
	char		 count[16], bytes[24];
	const char	*argv[7] = { "EVAL", redis_follow_range_script, "1",
	    f->key, f->last_id, count, bytes };
	size_t		 len[7];
	int		 i;

	snprintf(count, sizeof count, "%d", REDIS_FOLLOW_COUNT);
	snprintf(bytes, sizeof bytes, "%d", REDIS_FOLLOW_BYTES);
	for (i = 0; i < 7; i++)
		len[i] = strlen(argv[i]);
	return (redis_conn_command(conn, 0, cb, arg, 7, argv, len));
}

/* Read again after an error reply, when the retry timer fires. */
static void
redis_follow_retry(void *arg)
{
	struct redis_follow	*f = arg;

	f->retry = NULL;
	redis_follow_read(f);
}

/*
 * The reply to the follower's read: entries, nothing new (nil), or an
 * error.  A range read that stopped at a limit is followed by another;
 * one that reached the end, by a blocking read; a blocking read that
 * brought an entry, by a range read, for what may have come with it.
 */
static void
redis_follow_on_reply(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct redis_follow	*f = arg;

	(void)conn;
	f->reading = 0;
	if (reply == NULL)
		return;		/* read again when ready again */
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(f->error, sizeof f->error, "%s failed: %s",
		    f->behind ? "range read" : "XREAD", reply->str);
		log_warnx("redis: %s: %s", f->key, f->error);
		f->retry = loop_timer_add(f->loop,
		    loop_now() + REDIS_FOLLOW_RETRY_MS, redis_follow_retry, f);
		return;
	}
	f->error[0] = '\0';
	if (f->behind)
		f->behind = redis_follow_range_reply(f, reply);
	else if (redis_follow_entries(f,
	    redis_follow_xread_entries(reply)) > 0)
		f->behind = 1;
	redis_follow_read(f);
}

/* Send the next read, unless one is in flight or waiting to be retried. */
static void
redis_follow_read(struct redis_follow *f)
{
	int	r;

	if (f->reading || f->retry != NULL || !redis_conn_ready(f->conn))
		return;
	if (f->behind)
		r = redis_follow_range(f, f->conn, redis_follow_on_reply, f);
	else
		r = redis_follow_block(f, redis_follow_on_reply);
	if (r == 0)
		f->reading = 1;
}

/* The connection is ready (read) or lost (the read with it). */
static void
redis_follow_on_state(struct redis_conn *conn, int up, void *arg)
{
	struct redis_follow	*f = arg;

	(void)conn;
	if (up)
		redis_follow_read(f);
}

/* Start following; see redis-follow.h. */
struct redis_follow *
redis_follow_new(struct loop *loop, const struct store_url *url,
    const char *session, const char *id, redis_follow_cb cb, void *arg)
{
	struct redis_follow	*f;

	f = xcalloc(1, sizeof *f);
	f->loop = loop;
	f->key = redis_key(session, "log");
	snprintf(f->last_id, sizeof f->last_id, "%s", id);
	f->behind = 1;
	f->cb = cb;
	f->arg = arg;
	LIST_INIT(&f->catch_ups);
	f->conn = redis_conn_new(loop, url, redis_follow_on_state, f);
	return (f);
}

/* Tell every caller of c how it ended, and free c (listed or not). */
static void
redis_follow_catch_up_end(struct redis_catch_up *c, const char *error)
{
	size_t	i;

	for (i = 0; i < c->ncallers; i++)
		c->callers[i].done(c->callers[i].arg, error);
	free(c->callers);
	free(c);
}

/*
 * A catch-up in flight on conn has ended: send the one gathering behind
 * it, if any (or end it, when it cannot be sent).
 */
static void
redis_follow_catch_up_next(struct redis_follow *f, struct redis_conn *conn)
{
	struct redis_catch_up	*c;
	char			 error[256];

	LIST_FOREACH(c, &f->catch_ups, entry) {
		if (c->conn == conn && !c->sent)
			break;
	}
	if (c == NULL)
		return;
	c->sent = 1;
	if (redis_follow_catch_up_send(c) == 0)
		return;
	LIST_REMOVE(c, entry);
	snprintf(error, sizeof error, "redis connection lost (%s)",
	    redis_conn_state(conn));
	redis_follow_catch_up_end(c, error);
}

/*
 * The reply to a catch-up's range read: hand its entries over, and read
 * on while one stops at a limit; then done, and the next one on its way.
 */
static void
redis_follow_on_catch_up(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct redis_catch_up	*c = arg;
	struct redis_follow	*f = c->f;
	char			 error[256];

	if (f == NULL) {
		redis_follow_catch_up_end(c, "the follower was closed");
		return;
	}
	if (reply == NULL)
		snprintf(error, sizeof error, "redis connection lost (%s)",
		    redis_conn_state(conn));
	else if (reply->type == REDIS_REPLY_ERROR)
		snprintf(error, sizeof error, "range read failed: %s",
		    reply->str);
	else if (redis_follow_range_reply(f, reply)) {
		/* More may follow: read on from the new last id. */
		if (redis_follow_catch_up_send(c) == 0)
			return;
		snprintf(error, sizeof error, "redis connection lost (%s)",
		    redis_conn_state(conn));
	} else
		error[0] = '\0';
	LIST_REMOVE(c, entry);
	/* Callers never free the follower (see redis-follow.h). */
	redis_follow_catch_up_end(c, error[0] == '\0' ? NULL : error);
	redis_follow_catch_up_next(f, conn);
}

/* Send a catch-up's range read, from the last id handed over. */
static int
redis_follow_catch_up_send(struct redis_catch_up *c)
{
	return (redis_follow_range(c->f, c->conn, redis_follow_on_catch_up,
	    c));
}

/* Catch up now, on conn; see redis-follow.h. */
int
redis_follow_catch_up(struct redis_follow *f, struct redis_conn *conn,
    redis_follow_done_cb done, void *arg)
{
	struct redis_catch_up	*c, *gathering = NULL;
	int			 in_flight = 0;

	if (!redis_conn_ready(conn))
		return (-1);
	LIST_FOREACH(c, &f->catch_ups, entry) {
		if (c->conn != conn)
			continue;
		if (c->sent)
			in_flight = 1;
		else
			gathering = c;
	}
	if ((c = gathering) == NULL) {
		c = xcalloc(1, sizeof *c);
		c->f = f;
		c->conn = conn;
		if (!in_flight) {
			if (redis_follow_catch_up_send(c) == -1) {
				free(c);
				return (-1);
			}
			c->sent = 1;
		}
		LIST_INSERT_HEAD(&f->catch_ups, c, entry);
	}
	if (c->ncallers == c->callers_size) {
		c->callers_size = c->callers_size == 0 ? 4 :
		    c->callers_size * 2;
		c->callers = xreallocarray(c->callers, c->callers_size,
		    sizeof *c->callers);
	}
	c->callers[c->ncallers].done = done;
	c->callers[c->ncallers].arg = arg;
	c->ncallers++;
	return (0);
}

/* Stop following and free; see redis-follow.h. */
void
redis_follow_free(struct redis_follow *f)
{
	struct redis_catch_up	*c;

	if (f == NULL)
		return;
	loop_timer_cancel(f->loop, f->retry);
	/*
	 * The replies of those in flight come on connections of others: let
	 * them know.  Those gathering will never be sent.
	 */
	while ((c = LIST_FIRST(&f->catch_ups)) != NULL) {
		LIST_REMOVE(c, entry);
		if (c->sent)
			c->f = NULL;
		else
			redis_follow_catch_up_end(c, "the follower was closed");
	}
	redis_conn_free(f->conn);
	free(f->key);
	free(f);
}

/* Return the id of the last entry handed over. */
const char *
redis_follow_last_id(const struct redis_follow *f)
{
	return (f->last_id);
}

/* Return the state of the follower's connection, or its read error. */
const char *
redis_follow_state(const struct redis_follow *f)
{
	if (f->error[0] != '\0' && redis_conn_ready(f->conn))
		return (f->error);
	return (redis_conn_state(f->conn));
}

/* Return how many entries were skipped. */
uint64_t
redis_follow_skipped(const struct redis_follow *f)
{
	return (f->skipped);
}
