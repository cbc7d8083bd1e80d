/*
 * The secrets of verifying hooks, for the replicated store
 * (store-redis.c): never in the stream, but in the session's secrets
 * hash, set in the same step as the append of the hook's spawn and
 * deleted in that of its close (redis_append_secret).  A secret given
 * again (a spawn by name mended it) restates the hook's creation, whose
 * append sets it.  Another listener's verifying spawn is held back
 * (store-redis-apply.c) until its secret is read from the hash, so that
 * the hook is made here with it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "jsonptr.h"
#include "log.h"
#include "proto.h"
#include "redis-append.h"
#include "redis-conn.h"
#include "secrets.h"
#include "store-private.h"
#include "store-redis-private.h"
#include "token.h"
#include "xmalloc.h"

/*
 * The value of a secret in the secrets hash: {"scheme": ..., "secret":
 * ...}, as secrets.json holds it.  Caller frees (and wipes).
 */
static char *
sr_secret_value(const char *scheme, const char *secret, size_t *len)
{
	struct json_object	*o;
	const char		*text;
	char			*value;

	o = json_object_new_object();
	json_object_object_add(o, "scheme", json_object_new_string(scheme));
	json_object_object_add(o, "secret", json_object_new_string(secret));
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
	    len);
	value = xmemdup(text, *len);
	json_object_put(o);
	return (value);
}

/*
 * Give record r the change it makes to the secrets hash, in the same
 * step as its entry: a verifying hook's spawn sets its secret (which
 * store_spawn put in the store's secrets first), its close deletes it.
 */
void
store_redis_secrets_record(struct store_redis *sr, struct sr_record *r,
    const struct store_entry *e)
{
	struct json_object	*o;
	struct hook		*h;
	const char		*token, *scheme, *secret;
	char			*why = NULL;

	if (e->type != JOURNAL_HOOK_CREATED && e->type != JOURNAL_HOOK_CLOSED)
		return;
	if ((o = jsonptr_parse(e->json, e->json_len, &why)) == NULL) {
		free(why);
		return;
	}
	if ((token = proto_string(o, "token")) == NULL)
		goto out;
	if (e->type == JOURNAL_HOOK_CLOSED) {
		h = hook_find_token(sr->store, token, strlen(token));
		if (h != NULL && h->verify != NULL)
			r->secret_token = xstrdup(token);
	} else if ((scheme = proto_string(o, "verify")) != NULL &&
	    !proto_bool(o, "closed") && (secret = secrets_get(
	    sr->store->secrets, token, scheme)) != NULL) {
		r->secret_token = xstrdup(token);
		r->secret = sr_secret_value(scheme, secret, &r->secretlen);
	}
out:
	json_object_put(o);
}

/*
 * Open hook h got its secret again (a spawn by name mended it): restate
 * its creation, whose append sets the secret in the hash (see
 * store_redis_secrets_record), acknowledged before the spawn is
 * answered; a store that knows the hook without its secret reads it
 * then (store_apply).
 */
void
store_secret_changed(struct store *s, struct hook *h)
{
	struct json_object	*o;

	if (s->redis == NULL || h->verify == NULL || h->closed)
		return;
	o = hook_record(h);
	json_object_object_add(o, "restated", json_object_new_boolean(1));
	store_append(s, JOURNAL_HOOK_CREATED, 0, o, h->body, h->body_len);
	json_object_put(o);
}

/*
 * Keep the secret read from the secrets hash for token (value, len bytes)
 * in the store's secrets, for the hook its spawn makes.
 */
static void
sr_secret_keep(struct store_redis *sr, const char *token, const char *value,
    size_t len)
{
	struct json_object	*o;
	const char		*scheme, *secret;
	char			*why = NULL;

	if ((o = jsonptr_parse(value, len, &why)) == NULL ||
	    (scheme = proto_string(o, "scheme")) == NULL ||
	    (secret = proto_string(o, "secret")) == NULL) {
		log_warnx("redis store: hook %s's secret is unreadable", token);
		free(why);
	} else if (secrets_set(sr->store->secrets, token, scheme, secret,
	    &why) == -1) {
		log_warnx("redis store: %s", why);
		free(why);
	}
	json_object_put(o);
}

/*
 * The secret of a held spawn, read: keep it, and apply what may now be.
 * A lost connection reads it again once reconnected; a missing one (the
 * hook was closed, or its secret trimmed) leaves the hook rejecting
 * every request.
 */
static void
sr_on_fetch(struct redis_conn *conn, struct redisReply *reply, void *arg)
{
	struct sr_held		*h = arg;
	struct store_redis	*sr = h->sr;

	(void)conn;
	if (sr->closing)
		return;
	if (reply == NULL) {
		h->fetch = SR_FETCH_DUE;
		return;
	}
	if (reply->type == REDIS_REPLY_STRING)
		sr_secret_keep(sr, h->token, reply->str, reply->len);
	else if (reply->type == REDIS_REPLY_ERROR)
		log_warnx("redis store: reading hook %s's secret: %s",
		    h->token, reply->str);
	h->fetch = SR_FETCH_NONE;
	store_redis_apply_release_held(sr);
}

/* Read held spawn h's secret (HGET), now or once connected. */
void
store_redis_secrets_fetch(struct store_redis *sr, struct sr_held *h)
{
	const char	*argv[3];
	size_t		 lens[3];
	char		*key;
	int		 i;

	key = redis_key(sr->session, "secrets");
	argv[0] = "HGET";
	argv[1] = key;
	argv[2] = h->token;
	for (i = 0; i < 3; i++)
		lens[i] = strlen(argv[i]);
	h->fetch = SR_FETCH_SENT;
	if (redis_conn_command(sr->conn, 0, sr_on_fetch, h, 3, argv,
	    lens) == -1)
		h->fetch = SR_FETCH_DUE;
	free(key);
}

/*
 * Tell whether entry e is the spawn of an open verifying hook, and copy
 * its token: its secret must be read before it is applied.
 */
int
store_redis_secrets_verifying_spawn(const struct store_entry *e, char *token)
{
	struct json_object	*o;
	const char		*t;
	char			*why = NULL;
	int			 verifying;

	if (e->type != JOURNAL_HOOK_CREATED)
		return (0);
	if ((o = jsonptr_parse(e->json, e->json_len, &why)) == NULL) {
		free(why);
		return (0);
	}
	t = proto_string(o, "token");
	verifying = t != NULL && strlen(t) == TOKEN_LEN &&
	    proto_string(o, "verify") != NULL && !proto_bool(o, "closed");
	if (verifying)
		memcpy(token, t, TOKEN_LEN + 1);
	json_object_put(o);
	return (verifying);
}
