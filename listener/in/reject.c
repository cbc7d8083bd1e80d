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
 *
 * Requests refused before they were complete (404 for an unknown token,
 * 410, 413, 414, 431, 400, 503: see refuse.c) are capped the same way, in
 * buckets of their own for the session (so that a scanner guessing
 * tokens cannot crowd out the records of a hook's bad signatures), and
 * per hook in the hook's bucket when one is known.  404s are counted
 * whether or not they are recorded.
 */
#include "config.h"

#include <stdio.h>
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

/* The caps of one server, and what went over them. */
struct reject {
	struct loop		*loop;		/* runs the log window */
	struct reject_bucket	*buckets;
	size_t			 nbuckets, buckets_size;
	int64_t			 session_full_at;
	int64_t			 refused_full_at; /* refusals' session bucket */
	uint64_t		 unrecorded;	/* since start */
	uint64_t		 refused_unrecorded;
	uint64_t		 not_found;	/* 404s, since start */
	uint64_t		 unlogged;	/* this log window */
	struct loop_timer	*log_timer;
};

/* Start with every bucket full; the log window runs on loop. */
struct reject *
reject_new(struct loop *loop)
{
	struct reject	*rj;

	rj = xcalloc(1, sizeof *rj);
	rj->loop = loop;
	return (rj);
}

/* Free what reject_new made (the listener stops). */
void
reject_free(struct reject *rj)
{
	if (rj == NULL)
		return;
	loop_timer_cancel(rj->loop, rj->log_timer);
	free(rj->buckets);
	free(rj);
}

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
reject_bucket(struct reject *rj, const char *token, int64_t now)
{
	struct reject_bucket	*found = NULL, *b = rj->buckets;
	size_t			 i = 0;

	while (i < rj->nbuckets) {
		if (strcmp(b[i].token, token) == 0)
			found = &b[i];
		else if (b[i].full_at <= now) {
			b[i] = b[--rj->nbuckets];
			continue;
		}
		i++;
	}
	if (found != NULL)
		return (found);
	if (rj->nbuckets == rj->buckets_size) {
		rj->buckets_size = rj->buckets_size == 0 ? 16 :
		    rj->buckets_size * 2;
		rj->buckets = xreallocarray(rj->buckets, rj->buckets_size,
		    sizeof *rj->buckets);
	}
	found = &rj->buckets[rj->nbuckets++];
	memcpy(found->token, token, sizeof found->token);
	found->full_at = now;
	return (found);
}

/*
 * Log how many rejected requests went unrecorded in the window now ended
 * (arg: the reject).
 */
static void
reject_log_window(void *arg)
{
	struct reject	*rj = arg;

	rj->log_timer = NULL;
	if (rj->unlogged == 0)
		return;
	log_warnx("http: %llu more rejected or refused requests not "
	    "journaled in the last minute (over the rate cap)",
	    (unsigned long long)rj->unlogged);
	rj->unlogged = 0;
	rj->log_timer = loop_timer_add(rj->loop, loop_now() +
	    REJECT_LOG_WINDOW_MS, reject_log_window, rj);
}

/*
 * Count a request over the cap, and say so in the log, at most once a
 * window: what names them ("rejected requests to hook X").
 */
static void
reject_count(struct reject *rj, const char *what)
{
	if (rj->log_timer != NULL) {
		rj->unlogged++;
		return;
	}
	log_warnx("http: %s are over the rate cap: answered but not "
	    "journaled, only counted", what);
	rj->log_timer = loop_timer_add(rj->loop, loop_now() +
	    REJECT_LOG_WINDOW_MS, reject_log_window, rj);
}

/*
 * Tell whether a rejected request to hook h may be journaled (1), or is
 * over the hook's or the session's cap and only counted (0).
 */
int
reject_admit(struct reject *rj, const struct hook *h)
{
	struct reject_bucket	*b;
	int64_t			 now = loop_now();

	char			 what[64];

	b = reject_bucket(rj, h->token, now);
	if (!reject_take(&b->full_at, now, REJECT_HOOK_BURST,
	    REJECT_HOOK_PER_MINUTE, 1) || !reject_take(&rj->session_full_at,
	    now, REJECT_SESSION_BURST, REJECT_SESSION_PER_MINUTE, 1)) {
		rj->unrecorded++;
		snprintf(what, sizeof what, "rejected requests to hook %.8s",
		    h->token);
		reject_count(rj, what);
		return (0);
	}
	reject_take(&b->full_at, now, REJECT_HOOK_BURST,
	    REJECT_HOOK_PER_MINUTE, 0);
	reject_take(&rj->session_full_at, now, REJECT_SESSION_BURST,
	    REJECT_SESSION_PER_MINUTE, 0);
	return (1);
}

/*
 * Tell whether a request refused with status, to hook h (NULL when none
 * is known), may be journaled (1), or is over the hook's or the session's
 * cap for refusals, or came while the journal has no room on disk
 * (room 0), and is only counted (0).  Every 404 is counted.
 */
int
reject_admit_refusal(struct reject *rj, const struct hook *h,
    unsigned int status, int room)
{
	struct reject_bucket	*b = NULL;
	int64_t			 now = loop_now();

	if (status == 404)
		rj->not_found++;
	/* What room is left is for the records that cannot be refused. */
	if (!room) {
		rj->refused_unrecorded++;
		return (0);
	}
	if (h != NULL)
		b = reject_bucket(rj, h->token, now);
	if ((b != NULL && !reject_take(&b->full_at, now, REJECT_HOOK_BURST,
	    REJECT_HOOK_PER_MINUTE, 1)) || !reject_take(&rj->refused_full_at,
	    now, REJECT_SESSION_BURST, REJECT_SESSION_PER_MINUTE, 1)) {
		rj->refused_unrecorded++;
		reject_count(rj, "refused requests");
		return (0);
	}
	if (b != NULL)
		reject_take(&b->full_at, now, REJECT_HOOK_BURST,
		    REJECT_HOOK_PER_MINUTE, 0);
	reject_take(&rj->refused_full_at, now, REJECT_SESSION_BURST,
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
 * Cut o, the journal object of a request, to its bounded head: the path,
 * query, method and headers to their bounds, with "head_truncated" when
 * anything was cut.
 */
void
reject_cut(struct json_object *o)
{
	int	cut = 0;

	cut |= reject_cut_field(o, "path", REJECT_FIELD_MAX);
	cut |= reject_cut_field(o, "query", REJECT_FIELD_MAX);
	cut |= reject_cut_field(o, "method", REJECT_FIELD_MAX);
	cut |= reject_cut_headers(o);
	if (cut)
		json_object_object_add(o, "head_truncated",
		    json_object_new_boolean(1));
}

/*
 * Make o, the journal object of a rejected request, its bounded head
 * (reject_cut), and describe the body (which is not journaled) by its
 * size and SHA-256.
 */
void
reject_head(struct json_object *o, const void *body, size_t len)
{
	unsigned char	digest[32];
	char		hex[2 * sizeof digest + 1];
	size_t		i;

	reject_cut(o);
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
reject_unrecorded(const struct reject *rj)
{
	return (rj->unrecorded);
}

/* Return how many refused requests were only counted since the start. */
uint64_t
reject_refused_unrecorded(const struct reject *rj)
{
	return (rj->refused_unrecorded);
}

/* Return how many requests were answered 404 since the start. */
uint64_t
reject_not_found(const struct reject *rj)
{
	return (rj->not_found);
}
