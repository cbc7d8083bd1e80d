/*
 * Retention of a replicated store's stream (doc/store-redis.md), as the
 * journal's segments and checkpoints do it (retention.c): the stream is
 * cut at checkpoints, so that what is kept begins with every hook.
 *
 * Every retention interval one store of the session (the one that wins
 * the key fish:{S}:retain, SET NX PX for the interval) runs a round: one
 * script adds a checkpoint, a "restated" creation record of every hook
 * it knows (closed ones too), notes the checkpoint's id (the server's
 * time, "MS-0") in the sorted set fish:{S}:checkpoints, and trims the
 * stream (XTRIM MINID) at the newest checkpoint older than the retention
 * period: only entries older than that go, and a store reading the stream
 * from where it now starts meets every hook before any of its messages.
 *
 * A checkpoint states what the store had applied when it was made; a
 * spawn or a close another listener wrote between then and the
 * checkpoint's landing is not in it, and would be cut away with what
 * precedes the checkpoint.  So the store watches the entries it applies
 * after the round started: each spawn or close that turns out to precede
 * the checkpoint is written again after it (a restated creation, or the
 * close), once every entry before it is applied.  A round is put off
 * while entries are held back (store-redis-apply.c): they are not applied
 * yet.  Restated records change nothing for a store that knows the hook
 * (store_apply passes them by).
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
#include "proto.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "redis-follow.h"
#include "store-private.h"
#include "store-retain.h"
#include "xmalloc.h"

/*
 * KEYS: seq, log, checkpoints.  ARGV: from, retain_ms, n, then n times
 * rec, body, has a body ("1").  Return {checkpoint id, entries trimmed}.
 */
static const char retain_script[] =
	"#!lua\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local first = string.format('%.0f-0', now)\n"
	"local seq = redis.call('GET', KEYS[1]) or '1'\n"
	"for i = 0, tonumber(ARGV[3]) - 1 do\n"
	"  local k = 4 + 3 * i\n"
	"  if ARGV[k + 2] == '1' then\n"
	"    redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[1],"
	" 'type', '1', 'rec', ARGV[k], 'body', ARGV[k + 1])\n"
	"  else\n"
	"    redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[1],"
	" 'type', '1', 'rec', ARGV[k])\n"
	"  end\n"
	"end\n"
	"redis.call('ZADD', KEYS[3], now, first)\n"
	"local old = redis.call('ZREVRANGEBYSCORE', KEYS[3],"
	" now - tonumber(ARGV[2]), '-inf', 'WITHSCORES', 'LIMIT', 0, 1)\n"
	"local trimmed = 0\n"
	"if #old > 0 then\n"
	"  trimmed = redis.call('XTRIM', KEYS[2], 'MINID', old[1])\n"
	"  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. old[2])\n"
	"end\n"
	"return {first, trimmed}\n";

enum retain_state {
	RETAIN_IDLE,
	RETAIN_LOCKING,		/* SET NX of the round's key under way */
	RETAIN_ROUND,		/* the script under way */
	RETAIN_WINDOW,		/* until the follower passes the checkpoint */
};

/* A spawn or close applied during a round, to write again if need be. */
struct retain_fix {
	char			 id[REDIS_FOLLOW_ID_MAX + 1];
	char			 token[TOKEN_LEN + 1];
	enum journal_type	 type;
};

struct store_retain {
	struct store		*store;
	struct redis_conn	*conn;
	struct redis_follow	*follow;
	char			*session;
	char			*from;
	int64_t			 retain_ms;
	struct loop_timer	*timer;
	enum retain_state	 state;
	char			 since[REDIS_FOLLOW_ID_MAX + 1];
	char			 first[REDIS_FOLLOW_ID_MAX + 1];
	struct retain_fix	*fixes;
	size_t			 nfixes, fixes_size;
	uint64_t		 trimmed;	/* entries, since open */
	int			 closing;
};

/* Tell whether stream id a is before the round's checkpoint. */
static int
retain_before(const struct store_retain *rt, const char *id)
{
	return (strcmp(id, rt->first) != 0 &&
	    !redis_follow_after(id, rt->first));
}

/*
 * Write hook token's spawn or close again, after the checkpoint that
 * missed it: a restated creation (a store that met the checkpoint
 * without the hook makes it), or the close itself.
 */
static void
retain_fix(struct store_retain *rt, const struct retain_fix *f)
{
	struct store		*s = rt->store;
	struct json_object	*o;
	struct hook		*h;

	h = hook_find_token(s, f->token, TOKEN_LEN);
	if (h == NULL || h->spare)
		return;
	if (f->type == JOURNAL_HOOK_CLOSED) {
		if (!h->closed)
			return;
		o = json_object_new_object();
		json_object_object_add(o, "token",
		    json_object_new_string(h->token));
		store_append(s, JOURNAL_HOOK_CLOSED, 0, o, NULL, 0);
	} else {
		o = hook_record(h);
		json_object_object_add(o, "restated",
		    json_object_new_boolean(1));
		store_append(s, JOURNAL_HOOK_CREATED, 0, o, h->body,
		    h->body_len);
	}
	json_object_put(o);
}

/*
 * Once the checkpoint's id is known and every entry is applied, write
 * again the fixes that precede it, and forget them all.
 */
static void
retain_fix_all(struct store_retain *rt)
{
	size_t	i;

	if (rt->first[0] == '\0' || rt->nfixes == 0 ||
	    !store_redis_settled(rt->store))
		return;
	for (i = 0; i < rt->nfixes; i++) {
		if (retain_before(rt, rt->fixes[i].id))
			retain_fix(rt, &rt->fixes[i]);
	}
	rt->nfixes = 0;
}

/* The round's script answered: a checkpoint's id, and what was trimmed. */
static void
retain_on_round(struct redis_conn *conn, struct redisReply *reply, void *arg)
{
	struct store_retain	*rt = arg;

	(void)conn;
	if (rt->closing)
		return;
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[0]->len > REDIS_FOLLOW_ID_MAX) {
		/*
		 * Its checkpoint may have landed (the connection was lost):
		 * write again all that was noted, and watch no more.
		 */
		if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
			log_warnx("redis store: retention: %s", reply->str);
		snprintf(rt->first, sizeof rt->first, "%s",
		    "18446744073709551615-0");
		rt->state = RETAIN_IDLE;
		retain_fix_all(rt);
		return;
	}
	snprintf(rt->first, sizeof rt->first, "%s", reply->element[0]->str);
	if (reply->element[1]->type == REDIS_REPLY_INTEGER)
		rt->trimmed += (uint64_t)reply->element[1]->integer;
	rt->state = RETAIN_WINDOW;
	if (!retain_before(rt, redis_follow_last_id(rt->follow)))
		rt->state = RETAIN_IDLE;
	retain_fix_all(rt);
}

/* Add one hook's restated creation record to the round's arguments. */
static void
retain_add_hook(const struct hook *h, struct json_object **objects, size_t i,
    const char **argv, size_t *lens)
{
	size_t	len;

	objects[i] = hook_record(h);
	json_object_object_add(objects[i], "restated",
	    json_object_new_boolean(1));
	argv[0] = json_object_to_json_string_length(objects[i],
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	lens[0] = len;
	argv[1] = h->body != NULL ? h->body : "";
	lens[1] = h->body_len;
	argv[2] = h->body != NULL ? "1" : "0";
	lens[2] = 1;
}

/* Send the round's script: a checkpoint of every hook, and the trim. */
static void
retain_round(struct store_retain *rt)
{
	struct store		 *s = rt->store;
	struct json_object	**objects;
	struct hook		 *h;
	const char		**argv;
	size_t			 *lens, n = 0, i;
	char			 *keys[3], ms[32], count[32];

	argv = xcalloc(9 + 3 * s->nhooks, sizeof *argv);
	lens = xcalloc(9 + 3 * s->nhooks, sizeof *lens);
	objects = xcalloc(s->nhooks + 1, sizeof *objects);
	keys[0] = redis_key(rt->session, "seq");
	keys[1] = redis_key(rt->session, "log");
	keys[2] = redis_key(rt->session, "checkpoints");
	TAILQ_FOREACH(h, &s->hooks, entry) {
		retain_add_hook(h, objects, n, argv + 9 + 3 * n,
		    lens + 9 + 3 * n);
		n++;
	}
	snprintf(ms, sizeof ms, "%" PRId64, rt->retain_ms);
	snprintf(count, sizeof count, "%zu", n);
	argv[0] = "EVAL";
	argv[1] = retain_script;
	argv[2] = "3";
	argv[3] = keys[0];
	argv[4] = keys[1];
	argv[5] = keys[2];
	argv[6] = rt->from;
	argv[7] = ms;
	argv[8] = count;
	for (i = 0; i < 9; i++)
		lens[i] = strlen(argv[i]);
	snprintf(rt->since, sizeof rt->since, "%s",
	    redis_follow_last_id(rt->follow));
	rt->first[0] = '\0';
	rt->state = RETAIN_ROUND;
	if (redis_conn_command(rt->conn, 0, retain_on_round, rt,
	    (int)(9 + 3 * n), argv, lens) == -1)
		rt->state = RETAIN_IDLE;
	for (i = 0; i < n; i++)
		json_object_put(objects[i]);
	for (i = 0; i < 3; i++)
		free(keys[i]);
	free(objects);
	free(lens);
	free(argv);
}

/* The round's key: won (run the round) or another store has it. */
static void
retain_on_lock(struct redis_conn *conn, struct redisReply *reply, void *arg)
{
	struct store_retain	*rt = arg;

	(void)conn;
	if (rt->closing)
		return;
	rt->state = RETAIN_IDLE;
	if (reply != NULL && reply->type == REDIS_REPLY_STATUS &&
	    store_redis_settled(rt->store))
		retain_round(rt);
}

/* The retention interval is over: try to win this interval's round. */
static void
retain_tick(void *arg)
{
	struct store_retain	*rt = arg;
	char			*key;

	rt->timer = loop_timer_add(rt->store->loop, loop_now() +
	    retention_interval(rt->store), retain_tick, rt);
	retain_fix_all(rt);
	if (rt->state != RETAIN_IDLE || rt->nfixes > 0 ||
	    !store_redis_settled(rt->store))
		return;
	key = redis_key(rt->session, "retain");
	rt->state = RETAIN_LOCKING;
	if (redis_claim(rt->conn, key, rt->from,
	    retention_interval(rt->store), retain_on_lock, rt) == -1)
		rt->state = RETAIN_IDLE;
	free(key);
}

/*
 * An entry of the stream, from the follower (own is set for this
 * store's own): end a round's watch once past its checkpoint, and note a
 * spawn or close another store wrote meanwhile (rec, its record).
 */
void
store_retain_entry(struct store_retain *rt, const char *id, int own,
    enum journal_type type, const char *rec, size_t reclen)
{
	struct retain_fix	 f;
	struct json_object	*o;
	const char		*token;
	char			*why = NULL;

	if (rt == NULL)
		return;
	retain_fix_all(rt);
	if (rt->state != RETAIN_ROUND && rt->state != RETAIN_WINDOW)
		return;
	if (rt->state == RETAIN_WINDOW && !retain_before(rt, id)) {
		rt->state = RETAIN_IDLE;
		return;
	}
	if (own || (type != JOURNAL_HOOK_CREATED &&
	    type != JOURNAL_HOOK_CLOSED) || !redis_follow_after(id, rt->since))
		return;
	if ((o = jsonptr_parse(rec, reclen, &why)) == NULL) {
		free(why);
		return;
	}
	token = proto_string(o, "token");
	if (token != NULL && strlen(token) == TOKEN_LEN) {
		memset(&f, 0, sizeof f);
		snprintf(f.id, sizeof f.id, "%s", id);
		memcpy(f.token, token, TOKEN_LEN);
		f.type = type;
		if (rt->nfixes == rt->fixes_size) {
			rt->fixes_size = rt->fixes_size == 0 ? 16 :
			    rt->fixes_size * 2;
			rt->fixes = xreallocarray(rt->fixes, rt->fixes_size,
			    sizeof *rt->fixes);
		}
		rt->fixes[rt->nfixes++] = f;
	}
	json_object_put(o);
}

/*
 * Keep store s's stream to about retain_ms of history (nothing when 0),
 * on conn, following with follow, as from, in session.
 */
struct store_retain *
store_retain_new(struct store *s, struct redis_conn *conn,
    struct redis_follow *follow, const char *session, const char *from,
    int64_t retain_ms)
{
	struct store_retain	*rt;

	if (retain_ms <= 0)
		return (NULL);
	rt = xcalloc(1, sizeof *rt);
	rt->store = s;
	rt->conn = conn;
	rt->follow = follow;
	rt->session = xstrdup(session);
	rt->from = xstrdup(from);
	rt->retain_ms = retain_ms;
	rt->timer = loop_timer_add(s->loop, loop_now() +
	    retention_interval(s), retain_tick, rt);
	return (rt);
}

/* Mark rt closing: replies still under way do nothing when they come. */
void
store_retain_closing(struct store_retain *rt)
{
	if (rt == NULL)
		return;
	rt->closing = 1;
	loop_timer_cancel(rt->store->loop, rt->timer);
	rt->timer = NULL;
}

/* Free rt, after its connection. */
void
store_retain_free(struct store_retain *rt)
{
	if (rt == NULL)
		return;
	free(rt->fixes);
	free(rt->session);
	free(rt->from);
	free(rt);
}

/* Return how many entries this store's rounds trimmed. */
uint64_t
store_retain_trimmed(const struct store_retain *rt)
{
	return (rt != NULL ? rt->trimmed : 0);
}
