/*
 * Heartbeats of a replicated store (doc/store-redis.md): every interval
 * (STORE_HEARTBEAT_MS) the store writes its listener's field of the
 * session's hash fish:{S}:listeners, a JSON object saying when it was
 * last seen (unix ms, the store's clock), its pid and host and the public
 * URL it was given, and reads the whole hash back: the other listeners
 * seen within six intervals (a minute) are what status shows.  A field
 * not written for ten times that long is deleted.  At close the store
 * deletes its own field; a listener that dies without closing drops out
 * once its last heartbeat is older than the window.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "jsonptr.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "store-heartbeat.h"
#include "store-private.h"
#include "store-redis.h"
#include "xmalloc.h"

/* What the heartbeat's commands are for, in a log line. */
static char	heartbeat_what[] = "heartbeat";

/* A field not written for this many windows is deleted. */
#define HEARTBEAT_FORGET	10

struct store_heartbeat {
	struct store		*store;
	struct loop		*loop;
	struct redis_conn	*conn;
	char			*key;		/* fish:{S}:listeners */
	char			*name;
	char			*public_url;	/* NULL: none given */
	char			 host[256];
	int64_t			 interval;
	struct loop_timer	*timer;
	struct store_listener	*seen;		/* at the last heartbeat */
	size_t			 nseen;
	int			 closing;
};

/* A read of the hash under way, for the heartbeat or for a caller. */
struct heartbeat_read {
	struct store_heartbeat	*hb;
	store_listeners_cb	 cb;		/* NULL: the heartbeat's */
	void			*arg;
};

/* Free a list of listeners. */
static void
heartbeat_list_free(struct store_listener *list, size_t n)
{
	size_t	i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].host);
		free(list[i].public_url);
	}
	free(list);
}

/* Send command argv (NULL-terminated) on the store's connection. */
static int
heartbeat_send(struct store_heartbeat *hb, redis_conn_reply_cb cb, void *arg,
    const char **argv)
{
	size_t	lens[8];
	int	n;

	for (n = 0; argv[n] != NULL; n++)
		lens[n] = strlen(argv[n]);
	return (redis_conn_command(hb->conn, 0, cb, arg, n, argv, lens));
}

/*
 * Parse one field of the hash into l; return 1 if it is another listener
 * seen within the window, else 0 (and 2 when it is so old that it is to
 * be deleted).
 */
static int
heartbeat_parse(struct store_heartbeat *hb, const redisReply *name,
    const redisReply *value, struct store_listener *l)
{
	struct json_object	*o;
	const char		*v;
	char			*why = NULL;
	int64_t			 age;
	int			 keep;

	if (name->type != REDIS_REPLY_STRING ||
	    value->type != REDIS_REPLY_STRING ||
	    strcmp(name->str, hb->name) == 0)
		return (0);
	if ((o = jsonptr_parse(value->str, value->len, &why)) == NULL) {
		free(why);
		return (0);
	}
	memset(l, 0, sizeof *l);
	l->last_seen = proto_int(o, "last_seen", 0);
	age = hb->store->clock() - l->last_seen;
	keep = age <= hb->interval * STORE_HEARTBEAT_WINDOW ? 1 :
	    age > hb->interval * STORE_HEARTBEAT_WINDOW * HEARTBEAT_FORGET ?
	    2 : 0;
	if (keep == 1) {
		l->name = xstrdup(name->str);
		l->pid = proto_int(o, "pid", 0);
		l->host = xstrdup((v = proto_string(o, "host")) != NULL ? v :
		    "");
		if ((v = proto_string(o, "public_url")) != NULL)
			l->public_url = xstrdup(v);
	}
	json_object_put(o);
	return (keep);
}

/*
 * Make the list of other listeners seen within the window from an
 * HGETALL reply, deleting fields long forgotten.
 */
static struct store_listener *
heartbeat_list(struct store_heartbeat *hb, const redisReply *reply, size_t *n)
{
	struct store_listener	*list;
	const char		*argv[4];
	size_t			 i;

	*n = 0;
	list = xcalloc(reply->elements / 2 + 1, sizeof *list);
	for (i = 0; i + 1 < reply->elements; i += 2) {
		switch (heartbeat_parse(hb, reply->element[i],
		    reply->element[i + 1], &list[*n])) {
		case 1:
			(*n)++;
			break;
		case 2:
			argv[0] = "HDEL";
			argv[1] = hb->key;
			argv[2] = reply->element[i]->str;
			argv[3] = NULL;
			heartbeat_send(hb, redis_conn_log_error, heartbeat_what, argv);
			break;
		}
	}
	return (list);
}

/* The hash, read: keep the list for the heartbeat, or hand it over. */
static void
heartbeat_on_read(struct redis_conn *conn, struct redisReply *reply,
    void *arg)
{
	struct heartbeat_read	*rd = arg;
	struct store_heartbeat	*hb = rd->hb;
	struct store_listener	*list = NULL;
	const char		*error = NULL;
	size_t			 n = 0;

	(void)conn;
	if (hb->closing)
		error = "the store was closed";
	else if (reply == NULL)
		error = "redis connection lost";
	else if (reply->type != REDIS_REPLY_ARRAY)
		error = reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply to HGETALL";
	else
		list = heartbeat_list(hb, reply, &n);
	if (rd->cb != NULL)
		rd->cb(rd->arg, list, n, error);
	else if (list != NULL) {
		heartbeat_list_free(hb->seen, hb->nseen);
		hb->seen = list;
		hb->nseen = n;
		list = NULL;
	}
	heartbeat_list_free(list, n);
	free(rd);
}

/* Read the hash; see store_listeners.  Return 0, or -1 (not ready). */
static int
heartbeat_read(struct store_heartbeat *hb, store_listeners_cb cb, void *arg)
{
	struct heartbeat_read	*rd;
	const char		*argv[3] = { "HGETALL", hb->key, NULL };

	rd = xcalloc(1, sizeof *rd);
	rd->hb = hb;
	rd->cb = cb;
	rd->arg = arg;
	if (heartbeat_send(hb, heartbeat_on_read, rd, argv) == -1) {
		free(rd);
		return (-1);
	}
	return (0);
}

/* Write this listener's field, then read the others'. */
void
store_heartbeat_beat(struct store_heartbeat *hb)
{
	struct json_object	*o;
	const char		*argv[5];

	o = json_object_new_object();
	json_object_object_add(o, "last_seen",
	    json_object_new_int64(hb->store->clock()));
	json_object_object_add(o, "pid", json_object_new_int64(getpid()));
	json_object_object_add(o, "host", json_object_new_string(hb->host));
	if (hb->public_url != NULL)
		json_object_object_add(o, "public_url",
		    json_object_new_string(hb->public_url));
	argv[0] = "HSET";
	argv[1] = hb->key;
	argv[2] = hb->name;
	argv[3] = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	argv[4] = NULL;
	if (heartbeat_send(hb, redis_conn_log_error, heartbeat_what, argv) == 0)
		heartbeat_read(hb, NULL, NULL);
	json_object_put(o);
}

/* The interval is over: beat (if connected), and again after one more. */
static void
heartbeat_tick(void *arg)
{
	struct store_heartbeat	*hb = arg;

	store_heartbeat_beat(hb);
	hb->timer = loop_timer_add(hb->loop, loop_now() + hb->interval,
	    heartbeat_tick, hb);
}

/*
 * Heartbeat for store s on conn, as listener name of session, every
 * interval_ms (0: STORE_HEARTBEAT_MS); the first beat is the
 * connection's becoming ready (store_heartbeat_beat).
 */
struct store_heartbeat *
store_heartbeat_new(struct store *s, struct redis_conn *conn,
    const char *session, const char *name, const char *public_url,
    int64_t interval_ms)
{
	struct store_heartbeat	*hb;

	hb = xcalloc(1, sizeof *hb);
	hb->store = s;
	hb->loop = s->loop;
	hb->conn = conn;
	hb->key = redis_key(session, "listeners");
	hb->name = xstrdup(name);
	if (public_url != NULL)
		hb->public_url = xstrdup(public_url);
	if (gethostname(hb->host, sizeof hb->host) == -1)
		hb->host[0] = '\0';
	hb->host[sizeof hb->host - 1] = '\0';
	hb->interval = interval_ms > 0 ? interval_ms : STORE_HEARTBEAT_MS;
	hb->timer = loop_timer_add(hb->loop, loop_now() + hb->interval,
	    heartbeat_tick, hb);
	return (hb);
}

/*
 * The store closes: stop, and delete this listener's field (sent before
 * the connection closes: the caller flushes it).  Reads under way end
 * with an error.
 */
void
store_heartbeat_closing(struct store_heartbeat *hb)
{
	const char	*argv[4];

	hb->closing = 1;
	loop_timer_cancel(hb->loop, hb->timer);
	hb->timer = NULL;
	argv[0] = "HDEL";
	argv[1] = hb->key;
	argv[2] = hb->name;
	argv[3] = NULL;
	heartbeat_send(hb, redis_conn_log_error, heartbeat_what, argv);
}

/* Free hb, after its connection (whose reads end first). */
void
store_heartbeat_free(struct store_heartbeat *hb)
{
	if (hb == NULL)
		return;
	heartbeat_list_free(hb->seen, hb->nseen);
	free(hb->public_url);
	free(hb->name);
	free(hb->key);
	free(hb);
}

/*
 * Read which other listeners of the session were seen within the last
 * window, now, and call cb(arg, list, n, error) with them (borrowed for
 * the call; error NULL, or one line and no list).  Return 0 (cb will be
 * called once), or -1 when the store is not replicated or Redis is not
 * reachable now.
 */
int
store_listeners(struct store *s, store_listeners_cb cb, void *arg)
{
	struct store_heartbeat	*hb = store_redis_heartbeat(s->redis);

	if (hb == NULL || hb->closing)
		return (-1);
	return (heartbeat_read(hb, cb, arg));
}

/*
 * Return the other listeners of the session seen within the window as
 * the last heartbeat read them (borrowed: valid until the next event of
 * the loop), and their number in *n; NULL and 0 for a store not
 * replicated, or before the first heartbeat.
 */
const struct store_listener *
store_listeners_seen(struct store *s, size_t *n)
{
	struct store_heartbeat	*hb = store_redis_heartbeat(s->redis);

	*n = hb != NULL ? hb->nseen : 0;
	return (hb != NULL ? hb->seen : NULL);
}

/*
 * Return this listener's name among the session's (its heartbeat's
 * field), or NULL for a store not replicated.
 */
const char *
store_listener_name(struct store *s)
{
	struct store_heartbeat	*hb = store_redis_heartbeat(s->redis);

	return (hb != NULL ? hb->name : NULL);
}
