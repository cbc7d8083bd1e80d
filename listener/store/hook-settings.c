/*
 * A hook's settings: checking those of a spawn request, loading them from
 * a request or a journal record, journaling them (a hook's creation
 * record, repeated by checkpoints), and its signature checks: the scheme
 * and tolerance are settings, the secret lives in the secrets store only.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "journal.h"
#include "loop.h"
#include "proto.h"
#include "secrets.h"
#include "sigspec.h"
#include "store-private.h"
#include "xmalloc.h"

/* Bounds on a spawn request's fields. */
#define HOOK_NAME_MAX		64
#define HOOK_HEADERS_MAX	256
#define HOOK_TEXT_MAX		(64U << 10)

/*
 * Check every field of a spawn request: its name, its answer settings (the
 * same fields as the hook's journal record, with "ttl_ms" for
 * "expires_at", which a request may not set) and its signature checks;
 * body_len is its answer body's.  Return 0, or -1 with *cause naming the
 * first bad field.
 */
int
store_spawn_check(struct json_object *o, size_t body_len, char **cause)
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

/* Forget a hook's answer settings, and what was made of them. */
void
hook_settings_free(struct store *s, struct hook *h)
{
	store_hook_cache(h, NULL, NULL);
	loop_timer_cancel(s->loop, h->ttl_timer);
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

/*
 * Keep what an upper floor made of hook h's answer settings (cache, freed
 * by cache_free), freeing what it kept before: the store frees it
 * whenever the settings change or go.
 */
void
store_hook_cache(struct hook *h, void *cache, void (*cache_free)(void *))
{
	if (h->cache != NULL)
		h->cache_free(h->cache);
	h->cache = cache;
	h->cache_free = cache_free;
}

/* Take a hook's answer settings from a journal record or spawn request. */
void
hook_settings_load(struct store *s, struct hook *h, struct json_object *o,
    const void *body, size_t len)
{
	struct json_object	*headers;
	const char		*v;

	hook_settings_free(s, h);
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
	if ((v = proto_string(o, "echo")) != NULL && *v != '\0')
		h->echo = xstrdup(v);
	if ((v = proto_string(o, "forward_to")) != NULL && *v != '\0')
		h->forward_to = xstrdup(v);
	/* Records are trusted, but times must not overflow the clocks. */
	h->expires_at = proto_int(o, "expires_at", 0);
	if (h->expires_at < 0)
		h->expires_at = 0;
	if ((v = proto_string(o, "verify")) != NULL && *v != '\0') {
		h->verify = xstrdup(v);
		h->tolerance_ms = proto_int(o, "tolerance_ms",
		    HOOK_TOLERANCE_MS);
		if (h->tolerance_ms <= 0 || h->tolerance_ms > PROTO_MS_MAX)
			h->tolerance_ms = HOOK_TOLERANCE_MS;
	}
}

/* Tell whether two strings, either of which may be NULL, differ. */
static int
hook_text_differ(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != b);
	return (strcmp(a, b) != 0);
}

/* Tell whether request o gives field. */
static int
hook_given(struct json_object *o, const char *field)
{
	return (json_object_object_get_ex(o, field, NULL));
}

/*
 * Add to differ, each after ", ", the spawn options given in request o,
 * with answer body (len bytes; none when empty), whose values differ from
 * open hook h's; options not given are not compared, so that a spawn with
 * only a name finds the hook whatever its options.  --ttl compares the
 * time to live asked for with h's whole time to live.  Signature checks
 * are the caller's.
 */
void
hook_settings_differ(struct store *s, const struct hook *h,
    struct json_object *o, const void *body, size_t len,
    struct buffer *differ)
{
	struct hook	 asked;
	int64_t		 ttl;

	memset(&asked, 0, sizeof asked);
	hook_settings_load(s, &asked, o, body, len);
	if (hook_given(o, "status") && asked.status != h->status)
		buffer_add_str(differ, ", --status");
	if (hook_given(o, "headers") &&
	    !json_object_equal(asked.headers, h->headers))
		buffer_add_str(differ, ", -H");
	if (len > 0 && (asked.body_len != h->body_len ||
	    memcmp(asked.body, h->body, len) != 0))
		buffer_add_str(differ, ", --body");
	if (hook_given(o, "hold") && asked.hold != h->hold)
		buffer_add_str(differ, ", --hold");
	if (hook_given(o, "hold_timeout_ms") &&
	    asked.hold_timeout_ms != h->hold_timeout_ms)
		buffer_add_str(differ, ", --hold-timeout");
	if (hook_given(o, "echo") && hook_text_differ(asked.echo, h->echo))
		buffer_add_str(differ, ", --echo");
	if (hook_given(o, "forward_to") &&
	    hook_text_differ(asked.forward_to, h->forward_to))
		buffer_add_str(differ, ", --forward-to");
	ttl = proto_int(o, "ttl_ms", 0);
	if (hook_given(o, "ttl_ms") && ttl != (h->expires_at != 0 ?
	    h->expires_at - h->created_at : 0))
		buffer_add_str(differ, ", --ttl");
	hook_settings_free(s, &asked);
}

/* Drop a hook's resolved signature spec, wiping its secret. */
void
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
int
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
int
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
int
hook_attach_secret(struct store *s, struct hook *h)
{
	struct sigspec	 spec;
	const char	*secret;
	char		*cause = NULL;

	hook_forget_sigspec(h);
	if ((secret = secrets_get(s->secrets, h->token, h->verify)) == NULL)
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
 * Return a hook's creation record, as journaled (hook_journal) and
 * restated (checkpoints, store-retain.c): its settings.  Caller puts it.
 */
struct json_object *
hook_record(const struct hook *h)
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
	return (o);
}

/*
 * Journal a hook's creation record (also used for checkpoints): its
 * settings in the JSON, its answer body as the record's body.
 */
void
hook_journal(struct store *s, const struct hook *h)
{
	struct json_object	*o;

	o = hook_record(h);
	store_append(s, JOURNAL_HOOK_CREATED, 0, o, h->body,
	    h->body_len);
	json_object_put(o);
}
