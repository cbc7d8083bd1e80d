/*
 * Hooks: the store's table of hooks, spawning and closing them, and their
 * time to live.
 *
 * Hooks are found by token or by name through two small chained hash
 * tables.  A name may be worn by many hooks over time, but by one open hook
 * at most: a spawn with the name of a closed (or expired) hook makes a new
 * hook, and the old ones keep their tokens, messages and history.  A name
 * then stands for its open hook, or else for the newest closed one.
 *
 * Spawning and closing a hook is journaled (its settings are
 * hook-settings.c's); on open the journal is replayed into the table
 * (store-replay.c), then hook_start gives verifying hooks their secrets
 * and arms the timers of hooks that expire.
 *
 * A hook spawned with --verify journals its scheme and tolerance, never its
 * secret: that goes to the secrets store (secrets.h), written and synced
 * before the spawn is answered.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "proto.h"
#include "secrets.h"
#include "sigspec.h"
#include "store-private.h"
#include "xmalloc.h"

/* Hash a string (FNV-1a). */
static size_t
hook_hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 0x100000001b3ULL;
	}
	return ((size_t)h);
}

/* Put a hook into the hash tables. */
static void
hook_index(struct store *s, struct hook *h)
{
	size_t	b;

	b = token_hash(h->token) % s->nbuckets;
	h->next_by_token = s->by_token[b];
	s->by_token[b] = h;
	if (h->name != NULL) {
		b = hook_hash(h->name) % s->nbuckets;
		h->next_by_name = s->by_name[b];
		s->by_name[b] = h;
	}
}

/* Take a hook without a name out of the token table. */
void
hook_unindex_token(struct store *s, struct hook *h)
{
	struct hook	**p;

	for (p = &s->by_token[token_hash(h->token) % s->nbuckets]; *p != NULL;
	    p = &(*p)->next_by_token) {
		if (*p == h) {
			*p = h->next_by_token;
			h->next_by_token = NULL;
			return;
		}
	}
}

/* Grow the hash tables when they fill up; return 1 if they were rebuilt. */
static int
hook_rehash(struct store *s)
{
	struct hook	*h;

	if (s->nbuckets != 0 && s->nhooks + s->nspares < s->nbuckets * 2)
		return (0);
	free(s->by_token);
	free(s->by_name);
	s->nbuckets = s->nbuckets == 0 ? 256 : s->nbuckets * 4;
	s->by_token = xcalloc(s->nbuckets, sizeof *s->by_token);
	s->by_name = xcalloc(s->nbuckets, sizeof *s->by_name);
	TAILQ_FOREACH(h, &s->hooks, entry)
		hook_index(s, h);
	TAILQ_FOREACH(h, &s->spares, entry)
		hook_index(s, h);
	return (1);
}

/* Set up empty tables. */
void
hook_init(struct store *s)
{
	hook_rehash(s);
}

/* Free every hook and the tables (the store closes). */
void
hook_free_all(struct store *s)
{
	struct hook		*h;
	struct hook_list	*lists[] = { &s->hooks, &s->spares, &s->retired };
	size_t			 i;

	for (i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		while ((h = TAILQ_FIRST(lists[i])) != NULL) {
			TAILQ_REMOVE(lists[i], h, entry);
			hook_settings_free(s, h);
			free(h->name);
			free(h);
		}
	}
	free(s->by_token);
	free(s->by_name);
	s->by_token = s->by_name = NULL;
	s->nbuckets = s->nhooks = s->nspares = 0;
	s->spare = NULL;
}

/* Make a hook, in no list or table yet. */
struct hook *
hook_new(struct store *s, const char *token, const char *name,
    int64_t created_at)
{
	struct hook	*h;

	h = xcalloc(1, sizeof *h);
	memcpy(h->token, token, TOKEN_LEN);
	h->token[TOKEN_LEN] = '\0';
	if (name != NULL)
		h->name = xstrdup(name);
	h->created_at = created_at;
	h->serial = ++s->hook_serial;
	h->store = s;
	TAILQ_INIT(&h->queue);
	return (h);
}

/* Put a hook just counted into the hash tables, growing them if need be. */
void
hook_add_index(struct store *s, struct hook *h)
{
	if (!hook_rehash(s))
		hook_index(s, h);
}

/* Add a hook to memory. */
struct hook *
hook_insert(struct store *s, const char *token, const char *name,
    int64_t created_at)
{
	struct hook	*h;

	h = hook_new(s, token, name, created_at);
	TAILQ_INSERT_TAIL(&s->hooks, h, entry);
	s->nhooks++;
	hook_add_index(s, h);
	return (h);
}

/*
 * Find a hook by its token, a spare included (see spare.c).  Tokens are
 * hashed with a secret key and compared in constant time, so that a
 * stranger timing 404s cannot learn a token piece by piece.
 */
struct hook *
hook_find_token(struct store *s, const char *token, size_t len)
{
	struct hook	*h;
	char		 key[TOKEN_LEN + 1];

	if (!token_valid(token, len))
		return (NULL);
	memcpy(key, token, TOKEN_LEN);
	key[TOKEN_LEN] = '\0';
	for (h = s->by_token[token_hash(key) % s->nbuckets]; h != NULL;
	    h = h->next_by_token) {
		if (token_equal(h->token, key))
			return (h);
	}
	return (NULL);
}

/*
 * Find a hook by its token, as the floors above do: naming a spare's
 * token proves it was handed out, so that claims it (see spare.c).
 */
struct hook *
store_find_token(struct store *s, const char *token, size_t len)
{
	struct hook	*h;

	if ((h = hook_find_token(s, token, len)) != NULL && h->spare)
		spare_claim(s, h, s->opened);
	return (h);
}

/* Tell whether hook a was created after hook b. */
static int
hook_newer(const struct hook *a, const struct hook *b)
{
	if (a->created_at != b->created_at)
		return (a->created_at > b->created_at);
	return (a->serial > b->serial);
}

/*
 * Find a hook by its name: the open hook of that name, or else the newest
 * closed one.  Journal damage (a lost close) may leave two open: the newest
 * wins.
 */
struct hook *
hook_find_name(struct store *s, const char *name)
{
	struct hook	*h, *best = NULL;

	for (h = s->by_name[hook_hash(name) % s->nbuckets]; h != NULL;
	    h = h->next_by_name) {
		if (strcmp(h->name, name) != 0)
			continue;
		if (best == NULL || (!h->closed && best->closed) ||
		    (h->closed == best->closed && hook_newer(h, best)))
			best = h;
	}
	return (best);
}

/*
 * Find a hook by what a user typed: its URL (any scheme, host and prefix;
 * the token is a path segment), its bare token, or its name.
 */
struct hook *
store_find(struct store *s, const char *handle)
{
	const char	*p, *end;
	struct hook	*h;

	if ((p = strstr(handle, "://")) == NULL) {
		if ((h = store_find_token(s, handle, strlen(handle))) != NULL)
			return (h);
		return (hook_find_name(s, handle));
	}
	p = strchr(p + 3, '/');
	while (p != NULL) {
		p++;
		end = p + strcspn(p, "/?#");
		if ((h = store_find_token(s, p, (size_t)(end - p))) != NULL)
			return (h);
		p = *end == '/' ? end : NULL;
	}
	return (NULL);
}

/*
 * A hook is closed, by this store or by another writer of the session:
 * its timer stops, waits on it that can get nothing more end, and, since
 * a closed hook answers 410 before any check, its secret is dropped from
 * memory.
 */
void
hook_closed(struct store *s, struct hook *h)
{
	h->closed = 1;
	loop_timer_cancel(s->loop, h->ttl_timer);
	h->ttl_timer = NULL;
	waiter_hook_changed(s, h);
	hook_forget_sigspec(h);
}

/*
 * Close a hook, journaled: later requests get 410 Gone, while its queued
 * messages can still be taken.  The secret of a verifying hook leaves the
 * secrets store.
 */
void
store_close_hook(struct store *s, struct hook *h)
{
	struct json_object	*o;
	char			*cause = NULL;

	if (h->closed)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(h->token));
	store_append(s, JOURNAL_HOOK_CLOSED, 0, o, NULL, 0);
	json_object_put(o);
	hook_closed(s, h);
	if (h->verify != NULL) {
		if (secrets_remove(s->secrets, h->token, &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
		}
	}
}

/*
 * Close hook h, its time to live over.  It is marked so: its timer runs
 * on the loop's monotonic clock and may fire a millisecond before the
 * wall clock reaches expires_at (each counts whole milliseconds from its
 * own origin), and a wait must still say it expired, not that it was
 * closed.
 */
static void
hook_expire(struct store *s, struct hook *h)
{
	h->expired = 1;
	store_close_hook(s, h);
}

/* A hook's time to live is over. */
static void
hook_expired(void *arg)
{
	struct hook	*h = arg;

	h->ttl_timer = NULL;
	hook_expire(h->store, h);
}

/* Close the hook when its time to live ends, or now if it has ended. */
void
hook_arm(struct store *s, struct hook *h)
{
	int64_t	left;

	if (h->closed || h->expires_at == 0 || h->ttl_timer != NULL)
		return;
	left = h->expires_at - s->clock();
	if (left <= 0) {
		hook_expire(s, h);
		return;
	}
	if (left > PROTO_MS_MAX)
		left = PROTO_MS_MAX;
	h->ttl_timer = loop_timer_add(s->loop, loop_now() + left, hook_expired,
	    h);
}

/* Tell whether a stored secret still belongs to an open verifying hook. */
static int
hook_secret_wanted(const char *token, void *arg)
{
	struct hook	*h;

	h = hook_find_token(arg, token, strlen(token));
	return (h != NULL && !h->closed && h->verify != NULL);
}

/*
 * Once the journal is replayed: load the secrets store, give verifying
 * hooks their secrets, forget the secrets of hooks that are gone, and arm
 * the hooks' time-to-live timers.  What is amiss goes to warnings: a
 * hook recovered without its settings, and an open hook that verifies but
 * has no secret (the store was lost or damaged), which is not dropped: it
 * rejects every request, which is safe.
 */
void
hook_start(struct store *s, struct buffer *warnings)
{
	struct hook	*h;
	char		*warning, *cause = NULL;

	s->secrets = secrets_load(s->session_dir, &warning);
	if (warning != NULL) {
		buffer_add_line(warnings, "%s", warning);
		free(warning);
	}
	TAILQ_FOREACH(h, &s->hooks, entry) {
		if (h->recovered)
			buffer_add_line(warnings, "hook %s lost its creation "
			    "record to journal damage: its %llu queued "
			    "messages can still be taken, but its settings are "
			    "unknown (it may have verified signatures), so it "
			    "is closed and answers 410", h->token,
			    (unsigned long long)h->queued);
		if (h->verify != NULL && !h->closed &&
		    hook_attach_secret(s, h) == -1)
			buffer_add_line(warnings, "hook %s verifies %s "
			    "signatures but its secret is missing: it rejects "
			    "every request (spawn it again with --name and "
			    "--verify, or close it)",
			    h->name != NULL ? h->name : h->token, h->verify);
	}
	TAILQ_FOREACH(h, &s->hooks, entry)
		hook_arm(s, h);
	if (secrets_keep(s->secrets, hook_secret_wanted, s, &cause) == -1) {
		buffer_add_line(warnings, "%s", cause);
		free(cause);
	}
}

/*
 * An open hook named again by a spawn: return 0 if it already answers and
 * verifies as each option the request gives asks (settings, body and,
 * with --verify, spec and tolerance) and -1 with *cause naming the options
 * that differ if not, since handing out a hook that answers or checks
 * otherwise than asked would be a silent surprise, or a hole.  Options not
 * given are not compared: a spawn with only the name finds the hook.  A
 * verifying hook whose secret went missing gets the one given, which is
 * how a user mends it.
 */
static int
hook_reuse(struct store *s, struct hook *h, struct json_object *settings,
    const void *body, size_t len, struct sigspec *spec, int64_t tolerance,
    char **cause)
{
	struct buffer	 differ;
	char		 scheme[SIGSPEC_HEADER_MAX + 32], *list;

	buffer_init(&differ);
	hook_settings_differ(s, h, settings, body, len, &differ);
	if (spec != NULL) {
		sigspec_scheme_name(spec, scheme, sizeof scheme);
		if (h->verify == NULL || strcmp(h->verify, scheme) != 0 ||
		    (h->sigspec != NULL && !hook_secret_equal(h->sigspec,
		    spec)))
			buffer_add_str(&differ, ", --verify");
		else if (h->tolerance_ms != tolerance)
			buffer_add_str(&differ, ", --tolerance");
	}
	if (buffer_unread(&differ) > 0) {
		list = buffer_detach(&differ, NULL);
		xasprintf(cause, "hook '%s' is open with other options (%s "
		    "differ%s): close it first, or use another name", h->name,
		    list + 2, strchr(list + 2, ',') == NULL ? "s" : "");
		free(list);
		return (-1);
	}
	buffer_release(&differ);
	if (spec == NULL || h->sigspec != NULL)
		return (0);
	if (secrets_set(s->secrets, h->token, scheme, spec->secret,
	    cause) == -1)
		return (-1);
	h->sigspec = xmalloc(sizeof *h->sigspec);
	*h->sigspec = *spec;
	memset(spec, 0, sizeof *spec);
	store_secret_changed(s, h);
	log_info("hook %s has its secret again", h->name);
	return (0);
}

/*
 * Create a hook, journaled, answering as settings say (a spawn request:
 * see store_spawn_check) with body.  A name already held by an open hook
 * returns that hook, unchanged, so re-running a script that names its hook
 * finds it again; but not if the request asks for other options (see
 * hook_reuse).  A name held only by closed hooks gets a new hook.  Return
 * NULL with *cause for bad settings.
 */
struct hook *
store_spawn(struct store *s, const char *name, struct json_object *settings,
    const void *body, size_t len, char **cause)
{
	struct hook		*h = NULL;
	struct sigspec		 spec;
	char			 token[TOKEN_LEN + 1];
	char			 scheme[SIGSPEC_HEADER_MAX + 32];
	int64_t			 ttl, tolerance;
	int			 verify;

	if (settings != NULL && store_spawn_check(settings, len, cause) == -1)
		return (NULL);
	if (name == NULL && (h = spare_take(s, settings, len)) != NULL)
		return (h);
	memset(&spec, 0, sizeof spec);
	if ((verify = hook_verify_parse(settings, &spec, cause)) == -1)
		return (NULL);
	tolerance = proto_int(settings, "tolerance_ms", HOOK_TOLERANCE_MS);
	if (name != NULL && (h = hook_find_name(s, name)) != NULL &&
	    !h->closed && h->expires_at != 0 && h->expires_at <= s->clock())
		hook_expire(s, h);	/* its timer has yet to run */
	if (h != NULL && !h->closed) {
		if (hook_reuse(s, h, settings, body, len, verify ? &spec :
		    NULL, tolerance, cause) == -1)
			h = NULL;
		goto done;
	}
	h = NULL;
	do {
		if (token_new(token, sizeof token) == -1) {
			xasprintf(cause, "cannot make a token: getrandom failed");
			goto done;
		}
	} while (hook_find_token(s, token, TOKEN_LEN) != NULL);
	/* The secret is durable before the hook exists, let alone answers. */
	if (verify) {
		sigspec_scheme_name(&spec, scheme, sizeof scheme);
		if (secrets_set(s->secrets, token, scheme, spec.secret,
		    cause) == -1)
			goto done;
	}
	h = hook_insert(s, token, name, s->clock());
	if (settings != NULL) {
		hook_settings_load(s, h, settings, body, len);
		if ((ttl = proto_int(settings, "ttl_ms", 0)) > 0)
			h->expires_at = h->created_at + ttl;
	}
	if (verify) {
		/* The settings carry the scheme as the client wrote it. */
		free(h->verify);
		h->verify = xstrdup(scheme);
		h->sigspec = xmalloc(sizeof *h->sigspec);
		*h->sigspec = spec;
		memset(&spec, 0, sizeof spec);
	}
	hook_journal(s, h);
	hook_arm(s, h);
done:
	if (verify)
		sigspec_free(&spec);
	return (h);
}

/*
 * Write a checkpoint at the start of a new segment: every hook, and the
 * next sequence number, so older segments are no longer needed for them.
 */
void
hook_checkpoint(struct store *s)
{
	struct json_object	*o;
	struct hook		*h;

	s->restating = 1;
	TAILQ_FOREACH(h, &s->hooks, entry)
		hook_journal(s, h);
	spare_checkpoint(s);
	s->restating = 0;
	o = json_object_new_object();
	json_object_object_add(o, "seq",
	    json_object_new_int64((int64_t)s->next_seq));
	store_append(s, JOURNAL_CHECKPOINT, 0, o, NULL, 0);
	json_object_put(o);
}

/* Return every hook, oldest first. */
struct hook_list *
store_hooks(struct store *s)
{
	return (&s->hooks);
}

/*
 * A message names a hook that has no creation record (journal damage took
 * it): make the hook again from what the message tells, so that its
 * messages stay waitable by URL or token.  Its settings are unknown, and
 * might have included --verify or --forward-to, so it fails closed: it is
 * closed (410 for new requests) and marked recovered.  A checkpoint later
 * in the journal, if any, gives it back its real settings.
 */
struct hook *
hook_recover(struct store *s, const char *token, int64_t created_at)
{
	struct hook	*h;

	if (!token_valid(token, strlen(token)))
		return (NULL);
	h = hook_insert(s, token, NULL, created_at);
	h->closed = 1;
	h->recovered = 1;
	return (h);
}

/* Give a hook recovered without a name the name its record gives. */
void
hook_rename(struct store *s, struct hook *h, const char *name)
{
	size_t	b;

	if (h->name != NULL || name == NULL)
		return;
	h->name = xstrdup(name);
	b = hook_hash(h->name) % s->nbuckets;
	h->next_by_name = s->by_name[b];
	s->by_name[b] = h;
}
