/*
 * Hooks: the table of hooks, their answer settings and their time to live.
 *
 * Hooks are found by token or by name through two small chained hash
 * tables.  Creating, closing and checkpointing a hook is journaled; on
 * start the journal is replayed into the table (and, for message records,
 * into the message index of message.c).
 *
 * A hook spawned with --verify journals its scheme and tolerance, never its
 * secret: that goes to the secrets store (secrets.h), written and synced
 * before the spawn is answered.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "clock.h"
#include "hook.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "secrets.h"
#include "sigspec.h"
#include "xmalloc.h"

/* Bounds on a spawn request's fields. */
#define HOOK_NAME_MAX		64
#define HOOK_HEADERS_MAX	256
#define HOOK_TEXT_MAX		(64U << 10)

static struct hook_list		 hooks = TAILQ_HEAD_INITIALIZER(hooks);
static size_t			 nhooks;
static struct hook		**by_token;
static struct hook		**by_name;
static size_t			 nbuckets;

static void	hook_settings_free(struct hook *);
static void	hook_forget_sigspec(struct hook *);

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
hook_index(struct hook *h)
{
	size_t	b;

	b = token_hash(h->token) % nbuckets;
	h->next_by_token = by_token[b];
	by_token[b] = h;
	if (h->name != NULL) {
		b = hook_hash(h->name) % nbuckets;
		h->next_by_name = by_name[b];
		by_name[b] = h;
	}
}

/* Grow the hash tables when they fill up; return 1 if they were rebuilt. */
static int
hook_rehash(void)
{
	struct hook	*h;

	if (nbuckets != 0 && nhooks < nbuckets * 2)
		return (0);
	free(by_token);
	free(by_name);
	nbuckets = nbuckets == 0 ? 256 : nbuckets * 4;
	by_token = xcalloc(nbuckets, sizeof *by_token);
	by_name = xcalloc(nbuckets, sizeof *by_name);
	TAILQ_FOREACH(h, &hooks, entry)
		hook_index(h);
	return (1);
}

/* Set up empty tables. */
void
hook_init(void)
{
	hook_rehash();
}

/* Free every hook, message and table (at exit, for leak checkers). */
void
hook_free_all(void)
{
	struct hook	*h;

	while ((h = TAILQ_FIRST(&hooks)) != NULL) {
		TAILQ_REMOVE(&hooks, h, entry);
		hook_settings_free(h);
		free(h->name);
		free(h);
	}
	message_free_all();
	secrets_free();
	free(by_token);
	free(by_name);
	by_token = by_name = NULL;
	nbuckets = nhooks = 0;
}

/* Add a hook to memory. */
static struct hook *
hook_insert(const char *token, const char *name, int64_t created_at)
{
	struct hook	*h;

	h = xcalloc(1, sizeof *h);
	memcpy(h->token, token, TOKEN_LEN);
	h->token[TOKEN_LEN] = '\0';
	if (name != NULL)
		h->name = xstrdup(name);
	h->created_at = created_at;
	TAILQ_INIT(&h->queue);
	TAILQ_INSERT_TAIL(&hooks, h, entry);
	nhooks++;
	if (!hook_rehash())
		hook_index(h);
	return (h);
}

/*
 * Find a hook by its token.  Tokens are hashed with a secret key and
 * compared in constant time, so that a stranger timing 404s cannot learn a
 * token piece by piece.
 */
struct hook *
hook_find_token(const char *token, size_t len)
{
	struct hook	*h;
	char		 key[TOKEN_LEN + 1];

	if (!token_valid(token, len))
		return (NULL);
	memcpy(key, token, TOKEN_LEN);
	key[TOKEN_LEN] = '\0';
	for (h = by_token[token_hash(key) % nbuckets]; h != NULL;
	    h = h->next_by_token) {
		if (token_equal(h->token, key))
			return (h);
	}
	return (NULL);
}

/* Find a hook by its name. */
static struct hook *
hook_find_name(const char *name)
{
	struct hook	*h;

	for (h = by_name[hook_hash(name) % nbuckets]; h != NULL;
	    h = h->next_by_name) {
		if (strcmp(h->name, name) == 0)
			return (h);
	}
	return (NULL);
}

/*
 * Find a hook by what a user typed: its URL (any scheme, host and prefix;
 * the token is a path segment), its bare token, or its name.
 */
struct hook *
hook_find(const char *handle)
{
	const char	*p, *end;
	struct hook	*h;

	if ((p = strstr(handle, "://")) == NULL) {
		if ((h = hook_find_token(handle, strlen(handle))) != NULL)
			return (h);
		return (hook_find_name(handle));
	}
	p = strchr(p + 3, '/');
	while (p != NULL) {
		p++;
		end = p + strcspn(p, "/?#");
		if ((h = hook_find_token(p, (size_t)(end - p))) != NULL)
			return (h);
		p = *end == '/' ? end : NULL;
	}
	return (NULL);
}

/*
 * Check every field of a spawn request: its name, its answer settings (the
 * same fields as the hook's journal record, with "ttl_ms" for
 * "expires_at", which a request may not set) and its signature checks;
 * body_len is its answer body's.  Return 0, or -1 with *cause naming the
 * first bad field.
 */
int
hook_settings_check(struct json_object *o, size_t body_len, char **cause)
{
	static const char *const durations[] = {
		"hold_timeout_ms", "ttl_ms", "tolerance_ms",
	};
	static const char *const texts[] = { "echo", "verify", "secret" };
	struct json_object	*headers;
	const char		*field, *url = NULL, *name = NULL;
	int64_t			 n = 0;
	size_t			 i, len;
	int			 hold = 0;

	field = "name";
	if (proto_get_string(o, field, 1, HOOK_NAME_MAX, &name) ==
	    PROTO_INVALID)
		goto invalid;
	if (name != NULL && (name[0] == '-' || strspn(name,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
	    != strlen(name)))
		goto invalid;
	field = "status";
	if (proto_get_int(o, field, 0, 599, &n) == PROTO_INVALID)
		goto invalid;
	if (n != 0 && n < 200) {
		xasprintf(cause, "invalid status %lld (use 200-599)",
		    (long long)n);
		return (-1);
	}
	if (proto_get_headers(o, "headers", HOOK_HEADERS_MAX,
	    &headers) == PROTO_INVALID) {
		xasprintf(cause, "answer headers must be [[name, value], ...]");
		return (-1);
	}
	for (i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		field = durations[i];
		if (proto_get_int(o, field, 1, PROTO_MS_MAX, &n) ==
		    PROTO_INVALID)
			goto invalid;
	}
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		field = texts[i];
		if (proto_get_string(o, field, 1, HOOK_TEXT_MAX, &url) ==
		    PROTO_INVALID)
			goto invalid;
	}
	url = NULL;
	field = "forward_to";
	if (proto_get_string(o, field, 1, HOOK_TEXT_MAX, &url) ==
	    PROTO_INVALID)
		goto invalid;
	if (url != NULL && strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		len = strlen(url);
		xasprintf(cause, "invalid forward URL '%.*s%s'",
		    len > 80 ? 80 : (int)len, url, len > 80 ? "..." : "");
		return (-1);
	}
	field = "hold";
	if (proto_get_bool(o, field, &hold) == PROTO_INVALID)
		goto invalid;
	if (hold && url != NULL) {
		xasprintf(cause, "a hook cannot both hold and forward requests");
		return (-1);
	}
	/* Only the journal sets when a hook expires, from its ttl_ms. */
	field = "expires_at";
	if (json_object_object_get_ex(o, field, NULL))
		goto invalid;
	if (body_len > PROTO_HOOK_BODY_MAX) {
		xasprintf(cause, "answer body larger than %u KiB",
		    PROTO_HOOK_BODY_MAX >> 10);
		return (-1);
	}
	return (0);
invalid:
	xasprintf(cause, "invalid %s in spawn request", field);
	return (-1);
}

/* Forget a hook's answer settings. */
static void
hook_settings_free(struct hook *h)
{
	loop_timer_cancel(listener.loop, h->ttl_timer);
	h->ttl_timer = NULL;
	json_object_put(h->headers);
	free(h->body);
	free(h->echo);
	free(h->forward_to);
	h->headers = NULL;
	h->body = h->echo = h->forward_to = NULL;
	h->body_len = 0;
	free(h->verify);
	h->verify = NULL;
	hook_forget_sigspec(h);
}

/* Take a hook's answer settings from a journal record or spawn request. */
static void
hook_settings_load(struct hook *h, struct json_object *o, const void *body,
    size_t len)
{
	struct json_object	*headers;
	const char		*s;

	hook_settings_free(h);
	h->status = (int)proto_int(o, "status", 0);
	if (h->status < 200 || h->status > 599)
		h->status = 0;
	if (json_object_object_get_ex(o, "headers", &headers) &&
	    json_object_is_type(headers, json_type_array))
		h->headers = json_object_get(headers);
	if (len > 0)
		h->body = xmemdup(body, len);
	h->body_len = len;
	h->hold = proto_bool(o, "hold");
	h->hold_timeout_ms = proto_int(o, "hold_timeout_ms",
	    HOOK_HOLD_TIMEOUT_MS);
	if (h->hold_timeout_ms <= 0 || h->hold_timeout_ms > PROTO_MS_MAX)
		h->hold_timeout_ms = HOOK_HOLD_TIMEOUT_MS;
	if ((s = proto_string(o, "echo")) != NULL && *s != '\0')
		h->echo = xstrdup(s);
	if ((s = proto_string(o, "forward_to")) != NULL && *s != '\0')
		h->forward_to = xstrdup(s);
	/* Records are trusted, but times must not overflow the clocks. */
	h->expires_at = proto_int(o, "expires_at", 0);
	if (h->expires_at < 0)
		h->expires_at = 0;
	if ((s = proto_string(o, "verify")) != NULL && *s != '\0') {
		h->verify = xstrdup(s);
		h->tolerance_ms = proto_int(o, "tolerance_ms",
		    HOOK_TOLERANCE_MS);
		if (h->tolerance_ms <= 0 || h->tolerance_ms > PROTO_MS_MAX)
			h->tolerance_ms = HOOK_TOLERANCE_MS;
	}
}

/* Drop a hook's resolved signature spec, wiping its secret. */
static void
hook_forget_sigspec(struct hook *h)
{
	if (h->sigspec == NULL)
		return;
	sigspec_free(h->sigspec);
	free(h->sigspec);
	h->sigspec = NULL;
}

/*
 * Parse the signature settings of a spawn request: "verify" (a scheme as
 * sigspec_scheme_name prints it) and "secret".  Return 1 with *spec
 * filled, 0 when the request has none, -1 with *cause when they are bad.
 * The cause names the scheme, never the secret.
 */
static int
hook_verify_parse(struct json_object *o, struct sigspec *spec, char **cause)
{
	const char	*scheme, *secret;

	if (o == NULL || (scheme = proto_string(o, "verify")) == NULL)
		return (0);
	if ((secret = proto_string(o, "secret")) == NULL || *secret == '\0') {
		xasprintf(cause, "verifying '%s' signatures needs a secret",
		    scheme);
		return (-1);
	}
	if (sigspec_from_parts(scheme, secret, spec, cause) == -1)
		return (-1);
	return (1);
}

/* Compare two secrets in time that depends on their lengths only. */
static int
hook_secret_equal(const struct sigspec *a, const struct sigspec *b)
{
	unsigned char	diff = 0;
	size_t		i;

	if (a->secret_len != b->secret_len)
		return (0);
	for (i = 0; i < a->secret_len; i++)
		diff |= (unsigned char)(a->secret[i] ^ b->secret[i]);
	return (diff == 0);
}

/*
 * Give a verifying hook its spec, from its journaled scheme and the
 * stored secret.  Return 0, or -1 when the secret is missing.
 */
static int
hook_attach_secret(struct hook *h)
{
	struct sigspec	 spec;
	const char	*secret;
	char		*cause = NULL;

	hook_forget_sigspec(h);
	if ((secret = secrets_get(h->token, h->verify)) == NULL)
		return (-1);
	if (sigspec_from_parts(h->verify, secret, &spec, &cause) == -1) {
		free(cause);
		return (-1);
	}
	h->sigspec = xmalloc(sizeof *h->sigspec);
	*h->sigspec = spec;
	return (0);
}

/*
 * Journal a hook's creation record (also used for checkpoints): its
 * settings in the JSON, its answer body as the record's body.
 */
static void
hook_journal(const struct hook *h)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(h->token));
	if (h->name != NULL)
		json_object_object_add(o, "name", json_object_new_string(h->name));
	json_object_object_add(o, "created_at",
	    json_object_new_int64(h->created_at));
	if (h->closed)
		json_object_object_add(o, "closed", json_object_new_boolean(1));
	if (h->recovered)
		json_object_object_add(o, "recovered",
		    json_object_new_boolean(1));
	if (h->status != 0)
		json_object_object_add(o, "status",
		    json_object_new_int(h->status));
	if (h->headers != NULL)
		json_object_object_add(o, "headers",
		    json_object_get(h->headers));
	if (h->hold)
		json_object_object_add(o, "hold", json_object_new_boolean(1));
	if (h->hold || h->forward_to != NULL)
		json_object_object_add(o, "hold_timeout_ms",
		    json_object_new_int64(h->hold_timeout_ms));
	if (h->echo != NULL)
		json_object_object_add(o, "echo", json_object_new_string(h->echo));
	if (h->forward_to != NULL)
		json_object_object_add(o, "forward_to",
		    json_object_new_string(h->forward_to));
	if (h->expires_at != 0)
		json_object_object_add(o, "expires_at",
		    json_object_new_int64(h->expires_at));
	if (h->verify != NULL) {
		json_object_object_add(o, "verify",
		    json_object_new_string(h->verify));
		json_object_object_add(o, "tolerance_ms",
		    json_object_new_int64(h->tolerance_ms));
	}
	journal_append(listener.journal, JOURNAL_HOOK_CREATED, o, h->body,
	    h->body_len);
	json_object_put(o);
}

/*
 * Close a hook, journaled: later requests get 410 Gone, while its queued
 * messages can still be taken.
 */
void
hook_close(struct hook *h)
{
	struct json_object	*o;
	char			*cause = NULL;

	if (h->closed)
		return;
	h->closed = 1;
	loop_timer_cancel(listener.loop, h->ttl_timer);
	h->ttl_timer = NULL;
	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(h->token));
	journal_append(listener.journal, JOURNAL_HOOK_CLOSED, o, NULL, 0);
	json_object_put(o);
	/* A closed hook answers 410 before any check: its secret can go. */
	if (h->verify != NULL) {
		hook_forget_sigspec(h);
		if (secrets_remove(h->token, &cause) == -1) {
			log_warnx("%s", cause);
			free(cause);
		}
	}
}

/* A hook's time to live is over. */
static void
hook_expired(void *arg)
{
	struct hook	*h = arg;

	h->ttl_timer = NULL;
	hook_close(h);
}

/* Close the hook when its time to live ends, or now if it has ended. */
static void
hook_arm(struct hook *h)
{
	int64_t	left;

	if (h->closed || h->expires_at == 0 || h->ttl_timer != NULL)
		return;
	left = h->expires_at - clock_wall_ms();
	if (left <= 0) {
		hook_close(h);
		return;
	}
	if (left > PROTO_MS_MAX)
		left = PROTO_MS_MAX;
	h->ttl_timer = loop_timer_add(listener.loop, loop_now() + left,
	    hook_expired, h);
}

/* Tell whether a stored secret still belongs to an open verifying hook. */
static int
hook_secret_wanted(const char *token)
{
	struct hook	*h;

	h = hook_find_token(token, strlen(token));
	return (h != NULL && !h->closed && h->verify != NULL);
}

/*
 * Once the journal is replayed: give verifying hooks their secrets, and
 * arm the hooks' time-to-live timers.  An open hook that verifies but has
 * no secret (the store was lost or damaged) is not dropped: it rejects
 * every request, which is safe, and says so in the log.
 */
void
hook_start_timers(void)
{
	struct hook	*h;
	char		*warning, *cause = NULL;

	secrets_load(listener.session.dir, &warning);
	if (warning != NULL) {
		log_warnx("%s", warning);
		free(warning);
	}
	TAILQ_FOREACH(h, &hooks, entry) {
		if (h->recovered)
			log_warnx("hook %s lost its creation record to journal "
			    "damage: its %llu queued messages can still be "
			    "taken, but its settings are unknown (it may have "
			    "verified signatures), so it is closed and answers "
			    "410", h->token, (unsigned long long)h->queued);
		if (h->verify != NULL && !h->closed &&
		    hook_attach_secret(h) == -1)
			log_warnx("hook %s verifies %s signatures but its "
			    "secret is missing: it rejects every request "
			    "(spawn it again with --name and --verify, or close "
			    "it)", h->name != NULL ? h->name : h->token,
			    h->verify);
	}
	TAILQ_FOREACH(h, &hooks, entry)
		hook_arm(h);
	if (secrets_keep(hook_secret_wanted, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
	}
}

/*
 * An open hook named again by a spawn with --verify: return 0 if it already
 * verifies that way (same scheme, tolerance and secret) and -1 with *cause
 * if not, since handing out a hook that checks less, or otherwise, than
 * asked would be a silent hole.  A hook whose secret went missing gets the
 * one given, which is how a user mends it.
 */
static int
hook_reuse_verifying(struct hook *h, struct sigspec *spec, int64_t tolerance,
    char **cause)
{
	char	scheme[SIGSPEC_HEADER_MAX + 32];

	sigspec_scheme_name(spec, scheme, sizeof scheme);
	if (h->verify == NULL || strcmp(h->verify, scheme) != 0 ||
	    h->tolerance_ms != tolerance ||
	    (h->sigspec != NULL && !hook_secret_equal(h->sigspec, spec))) {
		xasprintf(cause, "hook '%s' is open with other --verify "
		    "settings (close it first, or use another name)", h->name);
		return (-1);
	}
	if (h->sigspec != NULL)
		return (0);
	if (secrets_set(h->token, scheme, spec->secret, cause) == -1)
		return (-1);
	h->sigspec = xmalloc(sizeof *h->sigspec);
	*h->sigspec = *spec;
	memset(spec, 0, sizeof *spec);
	log_info("hook %s has its secret again", h->name);
	return (0);
}

/*
 * Create a hook, journaled, answering as settings say (a spawn request:
 * see hook_settings_check) with body.  A name already held by an open hook
 * returns that hook, unchanged, so re-running a script that names its hook
 * finds it again; but not if the request asks for other signature checks
 * (see hook_reuse_verifying).  Return NULL with *cause for bad settings.
 */
struct hook *
hook_create(const char *name, struct json_object *settings, const void *body,
    size_t len, char **cause)
{
	struct hook		*h = NULL;
	struct sigspec		 spec;
	char			 token[TOKEN_LEN + 1];
	char			 scheme[SIGSPEC_HEADER_MAX + 32];
	int64_t			 ttl, tolerance;
	int			 verify;

	if (settings != NULL && hook_settings_check(settings, len, cause) == -1)
		return (NULL);
	memset(&spec, 0, sizeof spec);
	if ((verify = hook_verify_parse(settings, &spec, cause)) == -1)
		return (NULL);
	tolerance = proto_int(settings, "tolerance_ms", HOOK_TOLERANCE_MS);
	if (name != NULL && (h = hook_find_name(name)) != NULL) {
		if (h->closed) {
			xasprintf(cause, "hook name '%s' belongs to a closed "
			    "hook", name);
			h = NULL;
		} else if (verify &&
		    hook_reuse_verifying(h, &spec, tolerance, cause) == -1)
			h = NULL;
		goto done;
	}
	do {
		if (token_new(token, sizeof token) == -1) {
			xasprintf(cause, "cannot make a token: getrandom failed");
			goto done;
		}
	} while (hook_find_token(token, TOKEN_LEN) != NULL);
	/* The secret is durable before the hook exists, let alone answers. */
	if (verify) {
		sigspec_scheme_name(&spec, scheme, sizeof scheme);
		if (secrets_set(token, scheme, spec.secret, cause) == -1)
			goto done;
	}
	h = hook_insert(token, name, clock_wall_ms());
	if (settings != NULL) {
		hook_settings_load(h, settings, body, len);
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
	hook_journal(h);
	hook_arm(h);
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
hook_checkpoint(void)
{
	struct json_object	*o;
	struct hook		*h;

	TAILQ_FOREACH(h, &hooks, entry)
		hook_journal(h);
	o = json_object_new_object();
	json_object_object_add(o, "seq",
	    json_object_new_int64((int64_t)listener.next_seq));
	journal_append(listener.journal, JOURNAL_CHECKPOINT, o, NULL, 0);
	json_object_put(o);
}

/* Return every hook, oldest first. */
struct hook_list *
hook_all(void)
{
	return (&hooks);
}

/* Return how many hooks exist. */
size_t
hook_count(void)
{
	return (nhooks);
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
hook_recover(const char *token, int64_t created_at)
{
	struct hook	*h;

	if (!token_valid(token, strlen(token)))
		return (NULL);
	h = hook_insert(token, NULL, created_at);
	h->closed = 1;
	h->recovered = 1;
	return (h);
}

/* Give a hook recovered without a name the name its record gives. */
static void
hook_rename(struct hook *h, const char *name)
{
	size_t	b;

	if (h->name != NULL || name == NULL || hook_find_name(name) != NULL)
		return;
	h->name = xstrdup(name);
	b = hook_hash(h->name) % nbuckets;
	h->next_by_name = by_name[b];
	by_name[b] = h;
}

/* Rebuild memory from one journal record (journal_open's callback). */
void
hook_replay(const struct journal_record *r, void *arg)
{
	struct json_object	*o = r->json;
	const char		*token;
	struct hook		*h;
	int64_t			 seq;

	(void)arg;
	token = proto_string(o, "token");
	seq = proto_int(o, "seq", -1);
	switch (r->type) {
	case JOURNAL_HOOK_CREATED:
		/* Checkpoints repeat hooks; the latest record wins. */
		if (token == NULL || !token_valid(token, strlen(token)))
			break;
		if ((h = hook_find_token(token, TOKEN_LEN)) == NULL)
			h = hook_insert(token, proto_string(o, "name"),
			    proto_int(o, "created_at", 0));
		else if (h->recovered) {
			hook_rename(h, proto_string(o, "name"));
			h->created_at = proto_int(o, "created_at", 0);
		}
		h->closed = proto_bool(o, "closed");
		h->recovered = proto_bool(o, "recovered");
		hook_settings_load(h, o, r->body, r->body_len);
		break;
	case JOURNAL_CHECKPOINT:
		if (seq >= 0 && (uint64_t)seq >= listener.next_seq)
			listener.next_seq = (uint64_t)seq;
		break;
	case JOURNAL_MESSAGE_ANSWERED:
		/* How a held or forwarded request was answered: history. */
		break;
	case JOURNAL_HOOK_CLOSED:
		if (token != NULL && (h = hook_find(token)) != NULL)
			h->closed = 1;
		break;
	case JOURNAL_MESSAGE_RECEIVED:
	case JOURNAL_MESSAGE_SENDING:
	case JOURNAL_MESSAGE_SENT:
	case JOURNAL_MESSAGE_TAKEN:
		message_replay(r);
		break;
	}
}
