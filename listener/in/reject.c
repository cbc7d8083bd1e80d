/*
 * Requests that fail their hook's signature check (spawn --verify).  They
 * come from whoever has the hook's URL, so what they cost us is bounded:
 *
 * - The journal keeps a bounded head of each, never its body: method,
 *   path and query (each cut to REJECT_FIELD_MAX bytes), as many whole
 *   headers as fit in REJECT_HEADERS_MAX bytes of names and values, and
 *   the body's size and SHA-256; "head_truncated" says when anything was
 *   cut.  A record is thus at most about 9 KiB, whatever was sent.
 *
 * - Their records are rate-capped, per hook and per session, each by a
 *   token bucket (as GCRA keeps it: the time at which the bucket would be
 *   full again): a burst of REJECT_HOOK_BURST then REJECT_HOOK_PER_MINUTE
 *   a minute for one hook, REJECT_SESSION_BURST then
 *   REJECT_SESSION_PER_MINUTE a minute for all of them.  Past either cap
 *   a rejected request is still answered 401, but only counted (fish
 *   status shows the count) and logged, in at most one line a minute.
 *
 * At the session's cap, a stranger makes the journal grow by at most about
 * 9 KiB every two seconds, under 400 MiB a day, which retention expires.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <json-c/json.h>

#include "hook.h"
#include "log.h"
#include "loop.h"
#include "reject.h"
#include "xmalloc.h"

#define REJECT_FIELD_MAX		2048
#define REJECT_HEADERS_MAX		4096

#define REJECT_HOOK_BURST		20
#define REJECT_HOOK_PER_MINUTE		10
#define REJECT_SESSION_BURST		100
#define REJECT_SESSION_PER_MINUTE	30

#define REJECT_LOG_WINDOW_MS		60000

/* A hook's bucket, kept only while it is not full. */
struct reject_bucket {
	char	token[TOKEN_LEN + 1];
	int64_t	full_at;		/* loop_now() ms */
};

static struct reject_bucket	*buckets;
static size_t			 nbuckets, buckets_size;
static int64_t			 session_full_at;
static uint64_t			 unrecorded;	/* since start */
static uint64_t			 unlogged;	/* this log window */
static struct loop_timer	*log_timer;

/*
 * Tell whether a bucket whose full_at is given can take one more request
 * now, with a burst of burst and per_minute more a minute; if so, take
 * it (move full_at on by one request's interval).
 */
static int
reject_take(int64_t *full_at, int64_t now, int64_t burst, int64_t per_minute,
    int dry_run)
{
	int64_t	interval = 60000 / per_minute, start;

	start = *full_at > now ? *full_at : now;
	if (start - now > (burst - 1) * interval)
		return (0);
	if (!dry_run)
		*full_at = start + interval;
	return (1);
}

/*
 * Return the bucket of hook h, made if it has none; drop the buckets that
 * have filled up again meanwhile (a full bucket is as good as none).
 */
static struct reject_bucket *
reject_bucket(const struct hook *h, int64_t now)
{
	struct reject_bucket	*found = NULL;
	size_t			 i = 0;

	while (i < nbuckets) {
		if (strcmp(buckets[i].token, h->token) == 0)
			found = &buckets[i];
		else if (buckets[i].full_at <= now) {
			buckets[i] = buckets[--nbuckets];
			continue;
		}
		i++;
	}
	if (found != NULL)
		return (found);
	if (nbuckets == buckets_size) {
		buckets_size = buckets_size == 0 ? 16 : buckets_size * 2;
		buckets = xreallocarray(buckets, buckets_size, sizeof *buckets);
	}
	found = &buckets[nbuckets++];
	memcpy(found->token, h->token, sizeof found->token);
	found->full_at = now;
	return (found);
}

/*
 * Log how many rejected requests went unrecorded in the window now ended
 * (arg: the loop).
 */
static void
reject_log_window(void *arg)
{
	struct loop	*loop = arg;

	log_timer = NULL;
	if (unlogged == 0)
		return;
	log_warnx("http: %llu more rejected requests not journaled in the "
	    "last minute (over the rate cap)", (unsigned long long)unlogged);
	unlogged = 0;
	log_timer = loop_timer_add(loop, loop_now() + REJECT_LOG_WINDOW_MS,
	    reject_log_window, loop);
}

/*
 * Count a rejected request over the cap, and say so in the log, at most
 * once a window of loop's.
 */
static void
reject_count(struct loop *loop, const struct hook *h)
{
	unrecorded++;
	if (log_timer != NULL) {
		unlogged++;
		return;
	}
	log_warnx("http: rejected requests to hook %.8s are over the rate cap: "
	    "answered 401 but not journaled, only counted", h->token);
	log_timer = loop_timer_add(loop, loop_now() + REJECT_LOG_WINDOW_MS,
	    reject_log_window, loop);
}

/*
 * Tell whether a rejected request to hook h may be journaled (1), or is
 * over the hook's or the session's cap and only counted (0); the log
 * window of those runs on loop.
 */
int
reject_admit(struct loop *loop, const struct hook *h)
{
	struct reject_bucket	*b;
	int64_t			 now = loop_now();

	b = reject_bucket(h, now);
	if (!reject_take(&b->full_at, now, REJECT_HOOK_BURST,
	    REJECT_HOOK_PER_MINUTE, 1) || !reject_take(&session_full_at, now,
	    REJECT_SESSION_BURST, REJECT_SESSION_PER_MINUTE, 1)) {
		reject_count(loop, h);
		return (0);
	}
	reject_take(&b->full_at, now, REJECT_HOOK_BURST,
	    REJECT_HOOK_PER_MINUTE, 0);
	reject_take(&session_full_at, now, REJECT_SESSION_BURST,
	    REJECT_SESSION_PER_MINUTE, 0);
	return (1);
}

/* Cut string member key of o to at most max bytes; return 1 if it was cut. */
static int
reject_cut_field(struct json_object *o, const char *key, size_t max)
{
	struct json_object	*value;
	const char		*s;
	char			*copy;

	if (!json_object_object_get_ex(o, key, &value) ||
	    (size_t)json_object_get_string_len(value) <= max)
		return (0);
	s = json_object_get_string(value);
	copy = xmemdup(s, max);
	json_object_object_add(o, key, json_object_new_string_len(copy,
	    (int)max));
	free(copy);
	return (1);
}

/*
 * Keep the headers ([[name, value], ...]) of o that fit, whole and in
 * order, in REJECT_HEADERS_MAX bytes; return 1 if any were dropped.
 */
static int
reject_cut_headers(struct json_object *o)
{
	struct json_object	*headers, *kept, *pair;
	size_t			 i, n, used = 0, size;
	int			 cut = 0;

	if (!json_object_object_get_ex(o, "headers", &headers) ||
	    !json_object_is_type(headers, json_type_array))
		return (0);
	kept = json_object_new_array();
	n = json_object_array_length(headers);
	for (i = 0; i < n; i++) {
		pair = json_object_array_get_idx(headers, i);
		size = (size_t)json_object_get_string_len(
		    json_object_array_get_idx(pair, 0)) +
		    (size_t)json_object_get_string_len(
		    json_object_array_get_idx(pair, 1));
		if (used + size > REJECT_HEADERS_MAX) {
			cut = 1;
			continue;
		}
		used += size;
		json_object_array_add(kept, json_object_get(pair));
	}
	json_object_object_add(o, "headers", kept);
	return (cut);
}

/*
 * Make o, the journal object of a rejected request, its bounded head: cut
 * the path, query and headers to their bounds, and describe the body
 * (which is not journaled) by its size and SHA-256.
 */
void
reject_head(struct json_object *o, const void *body, size_t len)
{
	unsigned char	digest[32];
	char		hex[2 * sizeof digest + 1];
	size_t		i;
	int		cut = 0;

	cut |= reject_cut_field(o, "path", REJECT_FIELD_MAX);
	cut |= reject_cut_field(o, "query", REJECT_FIELD_MAX);
	cut |= reject_cut_field(o, "method", REJECT_FIELD_MAX);
	cut |= reject_cut_headers(o);
	if (cut)
		json_object_object_add(o, "head_truncated",
		    json_object_new_boolean(1));
	json_object_object_add(o, "body_size",
	    json_object_new_int64((int64_t)len));
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, len == 0 ? "" : body, len,
	    digest) < 0)
		fatalx("cannot compute a SHA-256 digest");
	for (i = 0; i < sizeof digest; i++) {
		hex[2 * i] = "0123456789abcdef"[digest[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[digest[i] & 0xf];
	}
	hex[sizeof hex - 1] = '\0';
	json_object_object_add(o, "body_sha256", json_object_new_string(hex));
}

/* Return how many rejected requests were only counted since the start. */
uint64_t
reject_unrecorded(void)
{
	return (unrecorded);
}

/* Forget the buckets and the log window on loop (the listener stops). */
void
reject_release(struct loop *loop)
{
	if (log_timer != NULL)
		loop_timer_cancel(loop, log_timer);
	log_timer = NULL;
	free(buckets);
	buckets = NULL;
	nbuckets = buckets_size = 0;
}
