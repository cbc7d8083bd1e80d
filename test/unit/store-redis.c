/*
 * Unit tests for the replicated store (listener/store/store-redis*.c):
 * two stores A and B, each over a journal of its own, of one session on
 * one redis-server of the test's own (test/helpers/redis-start), on one
 * loop, as two listeners would be.  A hook spawned on A is found on B;
 * a message received on A is durable only once Redis acknowledged it,
 * then queued on B and taken by a waiter there, which dequeues it on A;
 * two waiters, on A and on B, take every message of a hook exactly once;
 * a lease whose holder died expires and the message goes to the other,
 * but one held by an earlier life of the claimer is taken over at once;
 * a request an earlier life left under way is recorded unanswered once;
 * a close on A ends a wait on B; seqs are unique and in one order on
 * both; B reopened catches up what it missed; the server SIGKILLed and
 * restarted loses nothing acknowledged; a --verify secret given on A
 * reaches B through the secrets hash, never the stream; stores see each
 * other's heartbeats; a lease unused goes back to the other at once;
 * a waiter is handed the oldest message it accepts, not the one whose
 * claim is answered first, and a wait with no time left waits for its
 * claims' answers (bounded); retention trims the stream but keeps every
 * hook; a store that wants a replica acknowledges nothing until one has
 * its records (WAIT).
 * Skipped without redis-server.
 */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "compat.h"
#include "hook.h"
#include "loop.h"
#include "message.h"
#include "redis-server.h"
#include "sigspec.h"
#include "store.h"
#include "store-fixture.h"
#include "store-url.h"
#include "tap.h"
#include "token.h"
#include "waiter.h"
#include "xmalloc.h"

#define WAIT_MS		20000	/* longest wait for anything */
#define LEASE_MS	1000	/* the stores' leases, short for the test */
#define NSHARED		20	/* messages two waiters share */
#define SECRET		"TOPSECRET-17-xyzzy"	/* a --verify secret */

static struct loop	*loop;
static struct store_url	 url;
static int		 opened;	/* journal dirs made, for fresh ones */
static uint64_t		 first_seq;	/* test_message's message */
static uint64_t		 missed_seq;	/* test_reopen's */
static int64_t		 heartbeat_ms;	/* ropen's stores' interval */
static const char	*session = "s1";	/* and their session */
static int64_t		 retain_ms = STORE_RETAIN_DEFAULT_MS;
static const char	*public_url;	/* and the URL they show */
static int		 replicas;	/* and the replicas they want */

/* Open f's store as listener name, over a fresh journal; 0 or -1. */
static int
ropen(struct fixture *f, const char *name)
{
	struct store_config	 config;
	char			*cause = NULL;

	if (f->dir == NULL)
		xasprintf(&f->dir, "%s/%s", dir, name);
	if (mkdir(f->dir, 0700) == -1 && errno != EEXIST)
		return (-1);
	free(f->journal);
	xasprintf(&f->journal, "%s/journal-%d", f->dir, ++opened);
	f->loop = loop;
	memset(&config, 0, sizeof config);
	config.journal_dir = f->journal;
	config.session_dir = f->dir;
	config.loop = loop;
	config.retain_ms = retain_ms;
	config.clock = test_clock;
	config.redis = &url;
	config.session = session;
	config.listener = name;
	config.lease_ms = LEASE_MS;
	config.heartbeat_ms = heartbeat_ms;
	config.public_url = public_url;
	config.replicas = replicas;
	free(f->warnings);
	f->warnings = NULL;
	if ((f->store = store_open(&config, &f->warnings, &cause)) == NULL) {
		diag("store_open: %s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* Close f's store and free what it holds, but the shared loop. */
static void
rclose(struct fixture *f)
{
	shut(f);
	free(f->warnings);
	free(f->journal);
	free(f->dir);
	memset(f, 0, sizeof *f);
}

/* Run the loop until done(arg) or WAIT_MS; return done(arg). */
static int
run_while(int (*done)(void *), void *arg)
{
	int64_t	deadline = loop_now() + WAIT_MS;

	while (!done(arg) && loop_now() < deadline)
		loop_run_once(loop);
	return (done(arg));
}

/* A hook to find by name in a store. */
struct find {
	struct store	*store;
	const char	*name;
};

/* Tell whether the store knows the hook. */
static int
found(void *arg)
{
	struct find	*fd = arg;

	return (store_find(fd->store, fd->name) != NULL);
}

/* A flag a callback raises. */
static void
raise_flag(void *arg)
{
	*(int *)arg = 1;
}

/* A catch-up is over: raise the flag if it went well. */
static void
caught_up(void *arg, const char *error)
{
	if (error != NULL)
		diag("catch-up: %s", error);
	else
		raise_flag(arg);
}

/* Tell whether a flag is up. */
static int
flag_up(void *arg)
{
	return (*(int *)arg);
}

/* A message to see in a store in a state. */
struct see {
	struct store		*store;
	uint64_t		 seq;
	enum message_state	 state;
};

/* Tell whether the store has the message in the state. */
static int
seen_in(void *arg)
{
	struct see	*sw = arg;
	struct message	*m = store_message(sw->store, sw->seq);

	return (m != NULL && m->state == sw->state);
}

/* A message received on f, queued once Redis acknowledged it. */
struct sent {
	struct pending	 p;
	int		 durable;
};

/* The append was acknowledged: queue the message. */
static void
sent_durable(void *arg)
{
	struct sent	*st = arg;

	st->durable = 1;
	store_ready(st->p.store, st->p.m);
}

/* Tell whether a message sent is durable. */
static int
sent_done(void *arg)
{
	return (((struct sent *)arg)->durable);
}

/* Receive text on f's hook h, and wait for it to be durable. */
static struct message *
post(struct fixture *f, struct hook *h, const char *text)
{
	struct sent	st;

	memset(&st, 0, sizeof st);
	st.p.store = f->store;
	st.p.m = receive(f, h, text);
	store_after_sync(f->store, sent_durable, &st);
	if (!run_while(sent_done, &st))
		return (NULL);
	return (st.p.m);
}

/* Tell whether a waiter was handed a message or ended. */
static int
waiter_done(void *arg)
{
	struct test_waiter	*tw = arg;

	return (tw->calls > 0 || tw->ended > 0);
}

/* Spawn on A, found on B; durability; queued and taken on B. */
static void
test_message(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct find		 fd;
	struct sent		 st;
	struct see		 sw;
	struct test_waiter	 tw;

	ha = spawn(a, "h1", NULL);
	fd.store = b->store;
	fd.name = "h1";
	ok(ha != NULL && run_while(found, &fd), "a hook spawned on A is "
	    "found on B by name");
	hb = store_find(b->store, "h1");
	ok(hb != NULL && store_find_token(b->store, ha->token,
	    strlen(ha->token)) == hb, "and by token");

	memset(&st, 0, sizeof st);
	st.p.store = a->store;
	st.p.m = receive(a, ha, "one");
	store_after_sync(a->store, sent_durable, &st);
	store_commit(a->store);
	ok(!st.durable, "a message received on A is not durable once the "
	    "local journal is synced");
	ok(run_while(sent_done, &st), "it is durable once Redis "
	    "acknowledged it");
	first_seq = st.p.m->seq;
	ok(first_seq == 2 && st.p.m->state == MESSAGE_QUEUED,
	    "it has the seq Redis gave it, after the spawn's (%llu), and is "
	    "queued", (unsigned long long)first_seq);

	sw.store = b->store;
	sw.seq = st.p.m->seq;
	sw.state = MESSAGE_QUEUED;
	ok(run_while(seen_in, &sw), "it is queued on B under that seq");
	ok(body_is(b, store_message(b->store, sw.seq), "one"),
	    "with its body");
	wait_on(b, &tw, hb, NULL, 0);
	ok(run_while(waiter_done, &tw) && tw.got != NULL &&
	    tw.got->seq == sw.seq, "a waiter on B is handed it");
	store_take(b->store, tw.got);
	store_unwait(b->store, &tw.w);
	sw.store = a->store;
	sw.state = MESSAGE_TAKEN;
	ok(run_while(seen_in, &sw), "the take on B dequeues it on A");
}

/*
 * Tell whether f's timeline is complete (store_complete) up to the last
 * message it indexes: its follower brought every entry up to it.
 */
static int
complete_to_last(void *arg)
{
	struct fixture	 *f = arg;
	struct message	**all;
	size_t		  n;

	all = store_messages(f->store, &n);
	return (n > 0 && store_complete(f->store) >= all[n - 1]->seq);
}

/* Seqs from both stores: unique, and in one order on both. */
static void
test_order(struct fixture *a, struct fixture *b)
{
	struct hook	*ha = store_find(a->store, "h1");
	struct hook	*hb = store_find(b->store, "h1");
	struct message	**ma, **mb, *last = NULL;
	struct see	 sw;
	size_t		 na, nb, i;
	int		 same = 1, n;

	for (n = 0; n < 10; n++)
		last = post(n % 2 == 0 ? a : b, n % 2 == 0 ? ha : hb, "x");
	ok(last != NULL, "10 messages received on A and B are durable");
	if (last == NULL)
		return;
	sw.store = a->store;
	sw.seq = last->seq;
	sw.state = MESSAGE_QUEUED;
	run_while(seen_in, &sw);
	ma = store_messages(a->store, &na);
	mb = store_messages(b->store, &nb);
	for (i = 0; same && i < na && i < nb; i++) {
		if (ma[i]->seq != mb[i]->seq ||
		    (i > 0 && ma[i]->seq <= ma[i - 1]->seq))
			same = 0;
	}
	ok(same && na == 11 && nb == 11, "A and B index the same 11 seqs, "
	    "unique and in order (%zu and %zu)", na, nb);
	ok(run_while(complete_to_last, a) && run_while(complete_to_last, b),
	    "both are complete up to the last once their followers read it");
}

/*
 * Spawn name on A with settings (JSON or NULL) and return B's hook of it
 * (*ha A's), or NULL.
 */
static struct hook *
spawn_both(struct fixture *a, struct fixture *b, const char *name,
    const char *settings, struct hook **ha)
{
	struct find	fd;

	fd.store = b->store;
	fd.name = name;
	if ((*ha = spawn(a, name, settings)) == NULL ||
	    !run_while(found, &fd))
		return (NULL);
	return (store_find(b->store, name));
}

/* If waiter tw on f's hook h was handed a message, take it and wait on. */
static int
take_next(struct fixture *f, struct test_waiter *tw, struct hook *h,
    uint64_t *seqs, size_t *n)
{
	if (tw->got == NULL)
		return (0);
	if (*n < NSHARED * 2)
		seqs[(*n)++] = tw->got->seq;
	store_take(f->store, tw->got);
	wait_on(f, tw, h, NULL, 0);
	return (1);
}

/* Two waiters on one hook, on A and on B: each message taken once. */
static void
test_share(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct test_waiter	 wa, wb;
	struct sent		 st[NSHARED];
	uint64_t		 seqs[NSHARED * 2];
	size_t			 n = 0, i, j, by_a = 0;
	int64_t			 deadline;
	int			 k, once = 1;

	if (!ok((hb = spawn_both(a, b, "h4", NULL, &ha)) != NULL,
	    "h4 reaches B"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	wait_on(b, &wb, hb, NULL, 0);
	for (k = 0; k < NSHARED; k++) {
		memset(&st[k], 0, sizeof st[k]);
		st[k].p.store = k % 2 == 0 ? a->store : b->store;
		st[k].p.m = receive(k % 2 == 0 ? a : b, k % 2 == 0 ? ha : hb,
		    "shared");
		store_after_sync(st[k].p.store, sent_durable, &st[k]);
	}
	deadline = loop_now() + WAIT_MS;
	while (n < NSHARED && loop_now() < deadline) {
		loop_run_once(loop);
		by_a += take_next(a, &wa, ha, seqs, &n);
		take_next(b, &wb, hb, seqs, &n);
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++)
			once = once && seqs[i] != seqs[j];
	}
	ok(n == NSHARED && once, "%d messages received on A and B, a waiter "
	    "on each: every one taken exactly once (%zu by A, %zu by B)",
	    NSHARED, by_a, n - by_a);
	store_unwait(a->store, &wa.w);
	store_unwait(b->store, &wb.w);
	for (k = 0; k < 50; k++)
		loop_run_once(loop);
	ok(n == NSHARED && ha->queued == 0 && hb->queued == 0 &&
	    ha->leased == 0 && hb->leased == 0, "none is left queued or "
	    "leased on either");
}

/*
 * A waiter on A is handed a message and A dies before the take: B's
 * waiter gets it once A's lease expired.
 */
static void
test_expiry(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct test_waiter	 wa, wb;
	struct message		*m;
	uint64_t		 seq;

	if (!ok((hb = spawn_both(a, b, "h5", NULL, &ha)) != NULL,
	    "h5 reaches B"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	m = post(a, ha, "leased");
	ok(m != NULL && run_while(waiter_done, &wa) && wa.got == m,
	    "a waiter on A is handed a message");
	wait_on(b, &wb, hb, NULL, 0);
	ok(wb.calls == 0, "a waiter on B is not, while A holds its lease");
	seq = m != NULL ? m->seq : 0;
	store_unwait(a->store, &wa.w);
	store_close(a->store);
	a->store = NULL;
	ok(seq != 0 && run_while(waiter_done, &wb) && wb.got != NULL &&
	    wb.got->seq == seq, "A dies before the take: B's waiter is "
	    "handed it once the lease expired (at-least-once)");
	if (wb.got != NULL)
		store_take(b->store, wb.got);
	store_unwait(b->store, &wb.w);
}

/* A close on A ends a wait on B. */
static void
test_close(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct find		 fd;
	struct test_waiter	 tw;

	ha = spawn(a, "h2", NULL);
	fd.store = b->store;
	fd.name = "h2";
	if (!ok(ha != NULL && run_while(found, &fd), "h2 reaches B"))
		return;
	hb = store_find(b->store, "h2");
	wait_on(b, &tw, hb, NULL, 0);
	store_close_hook(a->store, ha);
	ok(run_while(waiter_done, &tw) && tw.ended == 1 && tw.calls == 0,
	    "a close on A ends B's wait");
}

/* B closed and reopened catches up what it missed. */
static void
test_reopen(struct fixture *a, struct fixture *b)
{
	struct hook		*ha;
	struct message		*m;
	struct store_config	 config;
	struct see		 sw;
	struct find		 fd;
	char			*cause = NULL, *warnings = NULL;

	shut(b);
	memset(&config, 0, sizeof config);
	config.journal_dir = b->journal;
	config.session_dir = b->dir;
	config.loop = loop;
	config.redis = &url;
	config.session = "s1";
	config.listener = "b";
	ok(store_open(&config, &warnings, &cause) == NULL &&
	    strstr(cause, "must start empty") != NULL, "B's used journal is "
	    "refused: the stream rebuilds it");
	free(cause);
	free(warnings);
	ha = spawn(a, "h3", NULL);
	m = ha != NULL ? post(a, ha, "missed") : NULL;
	ok(m != NULL, "A goes on while B is closed");
	missed_seq = m != NULL ? m->seq : 0;
	if (m == NULL || !ok(ropen(b, "b") == 0, "B reopens"))
		return;
	fd.store = b->store;
	fd.name = "h3";
	sw.store = b->store;
	sw.seq = m->seq;
	sw.state = MESSAGE_QUEUED;
	ok(run_while(found, &fd) && run_while(seen_in, &sw),
	    "B finds the hook and the message it missed");
	ok(body_is(b, store_message(b->store, m->seq), "missed"),
	    "with its body");
	fd.name = "h1";
	sw.seq = first_seq;
	sw.state = MESSAGE_TAKEN;
	ok(found(&fd) && seen_in(&sw), "and what it knew before");
}

/* The server SIGKILLed and restarted: nothing acknowledged is lost. */
static void
test_restart(struct fixture *a, struct fixture *b)
{
	struct hook	*ha = store_find(a->store, "h3");
	struct fixture	 c;
	struct message	*m;
	struct see	 sw;

	ok(helper("redis-stop", "-KILL", NULL, 0) == 0,
	    "redis-server is SIGKILLed");
	ok(server_start() == 0, "and restarted on its port");
	m = ha != NULL ? post(a, ha, "after") : NULL;
	ok(m != NULL && m->seq > missed_seq, "A's next message, sent on the "
	    "connection the kill broke, is durable with a later seq (%llu)",
	    m != NULL ? (unsigned long long)m->seq : 0ULL);
	if (m == NULL)
		return;
	sw.store = b->store;
	sw.seq = m->seq;
	sw.state = MESSAGE_QUEUED;
	ok(run_while(seen_in, &sw), "and queued on B");
	sw.seq = missed_seq;
	ok(seen_in(&sw), "what was acknowledged before is still there");
	memset(&c, 0, sizeof c);
	if (!ok(ropen(&c, "c") == 0, "a third store opens after the restart"))
		return;
	sw.store = c.store;
	ok(run_while(seen_in, &sw), "it finds what was acknowledged before");
	sw.seq = m->seq;
	ok(run_while(seen_in, &sw), "and what was acknowledged after");
	rclose(&c);
}

/*
 * Run a command on the test's own connection to the server, blocking
 * (argv NULL-terminated); return its reply (caller frees) or NULL.
 */
static redisReply *
rcmd(const char *const *argv)
{
	static redisContext	*rc;
	size_t			 lens[16];
	int			 n;

	if (rc == NULL || rc->err != 0) {
		if (rc != NULL)
			redisFree(rc);
		if ((rc = redisConnect("127.0.0.1", port)) == NULL ||
		    rc->err != 0)
			return (NULL);
	}
	for (n = 0; argv[n] != NULL && n < 16; n++)
		lens[n] = strlen(argv[n]);
	return (redisCommandArgv(rc, n, (const char **)argv, lens));
}

/*
 * Read the session's whole stream, oldest entry first (or newest first);
 * return the reply (caller frees) or NULL.
 */
static redisReply *
stream_read(int newest_first)
{
	const char	*argv[] = { "XRANGE", NULL, "-", "+", NULL };
	char		 key[64];

	snprintf(key, sizeof key, "fish:{%s}:log", session);
	argv[1] = key;
	if (newest_first) {
		argv[0] = "XREVRANGE";
		argv[2] = "+";
		argv[3] = "-";
	}
	return (rcmd(argv));
}

/* Count the entries of the session's stream that hold the text given. */
static int
stream_count(const char *text)
{
	redisReply	*r, *fields;
	size_t		 i, j;
	int		 n = 0;

	if ((r = stream_read(0)) == NULL)
		return (-1);
	for (i = 0; i < r->elements; i++) {
		fields = r->element[i]->element[1];
		for (j = 0; j < fields->elements; j++) {
			if (memmem(fields->element[j]->str,
			    fields->element[j]->len, text, strlen(text)) !=
			    NULL) {
				n++;
				break;
			}
		}
	}
	freeReplyObject(r);
	return (n);
}

/* Tell whether any field of the session's stream's entries holds text. */
static int
stream_holds(const char *text)
{
	return (stream_count(text) != 0);
}

/* Return the secrets hash's value for token (caller frees), or NULL. */
static char *
stored_secret(const char *token)
{
	const char	*argv[] = { "HGET", "fish:{s1}:secrets", token, NULL };
	redisReply	*r;
	char		*value = NULL;

	if ((r = rcmd(argv)) == NULL)
		return (NULL);
	if (r->type == REDIS_REPLY_STRING)
		value = xstrdup(r->str);
	freeReplyObject(r);
	return (value);
}

/* Tell whether hook h verifies with SECRET. */
static int
has_secret(const struct hook *h)
{
	return (h != NULL && h->sigspec != NULL &&
	    strcmp(h->sigspec->secret, SECRET) == 0);
}

/* Tell whether the hook named in a find is closed. */
static int
closed_in(void *arg)
{
	struct find	*fd = arg;
	struct hook	*h = store_find(fd->store, fd->name);

	return (h != NULL && h->closed);
}

/* A hook to close and whose secret leaves the hash. */
static int
secret_gone(void *arg)
{
	char	*value = stored_secret(arg);

	free(value);
	return (value == NULL);
}

/*
 * --verify: a secret given on A goes to the secrets hash, never to the
 * stream; B verifies with it; a close on A takes it out of the hash and
 * out of B.
 */
static void
test_secrets(struct fixture *a, struct fixture *b)
{
	static const char	 settings[] = "{\"verify\": \"github\", "
	    "\"secret\": \"" SECRET "\"}";
	struct hook		*ha, *hb;
	struct find		 fd;
	char			*value, token[TOKEN_LEN + 1];
	int			 done = 0, synced = 0;

	hb = spawn_both(a, b, "v1", settings, &ha);
	ok(hb != NULL, "a verifying hook spawned on A is found on B");
	ok(has_secret(hb), "B verifies with the secret given on A");
	value = ha != NULL ? stored_secret(ha->token) : NULL;
	ok(value != NULL && strstr(value, SECRET) != NULL &&
	    strstr(value, "\"github\"") != NULL, "the secrets hash holds it, "
	    "under the hook's token, with its scheme");
	free(value);

	ha = spawn(a, "v2", settings);
	store_after_sync(a->store, raise_flag, &synced);
	ok(ha != NULL && run_while(flag_up, &synced) &&
	    store_catch_up(b->store, caught_up, &done) == 0 &&
	    run_while(flag_up, &done), "B catches up right after a second "
	    "verifying spawn is acknowledged");
	ok(has_secret(store_find(b->store, "v2")), "and has that hook, with "
	    "its secret, once the catch-up is over: never without it");
	ok(!stream_holds(SECRET) && !stream_holds("TOPSECRET"),
	    "no entry of the stream holds a secret (XRANGE)");

	ha = store_find(a->store, "v1");
	memcpy(token, ha->token, sizeof token);
	store_close_hook(a->store, ha);
	fd.store = b->store;
	fd.name = "v1";
	ok(run_while(secret_gone, token), "a close on A deletes the secret "
	    "from the hash");
	ok(run_while(closed_in, &fd) && hb->sigspec == NULL,
	    "and B forgets it");
}

/* Tell whether the store's hook of a name verifies with SECRET. */
static int
mended(void *arg)
{
	struct find	*fd = arg;

	return (has_secret(store_find(fd->store, fd->name)));
}

/*
 * A verifying spawn whose secret is not in the hash (lost, or trimmed):
 * the hook is made, but rejects every request: it fails closed.  A
 * spawn by name with the secret mends it, for every listener.
 */
static void
test_secret_missing(struct fixture *a, struct fixture *b)
{
	const char	*incr[] = { "INCR", "fish:{s1}:seq", NULL };
	const char	*xadd[] = { "XADD", "fish:{s1}:log", "*", "seq", NULL,
	    "from", "z/00000000.1", "type", "1", "rec", NULL, NULL };
	static const char settings[] = "{\"verify\": \"github\", "
	    "\"secret\": \"" SECRET "\"}";
	char		 token[TOKEN_LEN + 1], seq[32], *rec, *value = NULL;
	int		 synced = 0;
	redisReply	*r;
	struct find	 fd;
	struct hook	*h;

	token_new(token, sizeof token);
	r = rcmd(incr);
	snprintf(seq, sizeof seq, "%lld", r != NULL ? r->integer : 0);
	freeReplyObject(r);
	xasprintf(&rec, "{\"token\":\"%s\",\"name\":\"v3\","
	    "\"created_at\":%lld,\"verify\":\"github\","
	    "\"tolerance_ms\":300000}", token, (long long)fake_now);
	xadd[4] = seq;
	xadd[10] = rec;
	freeReplyObject(rcmd(xadd));
	free(rec);
	fd.store = b->store;
	fd.name = "v3";
	ok(run_while(found, &fd), "a verifying spawn whose secret is not in "
	    "the hash reaches B");
	h = store_find(b->store, "v3");
	ok(h != NULL && !h->closed && h->verify != NULL && h->sigspec == NULL,
	    "its hook has no secret: it rejects every request");
	fd.store = a->store;
	if (!ok(run_while(found, &fd) && h != NULL, "A has it too"))
		return;
	h = spawn(b, "v3", settings);
	store_after_sync(b->store, raise_flag, &synced);
	fd.store = a->store;
	ok(has_secret(h) && run_while(flag_up, &synced) &&
	    (value = stored_secret(token)) != NULL &&
	    strstr(value, SECRET) != NULL, "a spawn by name on B with the "
	    "secret mends it there and in the hash");
	free(value);
	ok(run_while(mended, &fd), "and on A");
	ok(!stream_holds(SECRET), "still no stream entry holds the secret");
}

/* Write "from" (NAME/NONCE.N) numbered N + 1 into buf; return buf. */
static const char *
from_next(const char *from, char *buf, size_t size)
{
	const char	*dot = strrchr(from, '.');

	if (dot == NULL)
		return (from);
	snprintf(buf, size, "%.*s.%llu", (int)(dot - from), from,
	    strtoull(dot + 1, NULL, 10) + 1);
	return (buf);
}

/* Return the value of field name of a stream entry's fields, or NULL. */
static const char *
entry_field(const redisReply *fields, const char *name)
{
	size_t	j;

	for (j = 0; j + 1 < fields->elements; j += 2) {
		if (strcmp(fields->element[j]->str, name) == 0)
			return (fields->element[j + 1]->str);
	}
	return (NULL);
}

/*
 * Return the fields of the newest entry of stream reply r (newest first)
 * that listener name wrote (its "from" is name/NONCE.N), or NULL.
 */
static const redisReply *
newest_by(const redisReply *r, const char *name)
{
	const char	*from;
	size_t		 i;

	for (i = 0; i < r->elements; i++) {
		from = entry_field(r->element[i]->element[1], "from");
		if (from != NULL && strncmp(from, name, strlen(name)) == 0 &&
		    from[strlen(name)] == '/')
			return (r->element[i]->element[1]);
	}
	return (NULL);
}

/* Count the entries of the session's stream whose "from" is from. */
static int
stream_count_from(const char *from)
{
	redisReply	*r;
	const char	*v;
	size_t		 i;
	int		 n = 0;

	if ((r = stream_read(0)) == NULL)
		return (-1);
	for (i = 0; i < r->elements; i++) {
		v = entry_field(r->element[i]->element[1], "from");
		if (v != NULL && strcmp(v, from) == 0)
			n++;
	}
	freeReplyObject(r);
	return (n);
}

/* Return the "from" of the newest entry listener name wrote (static). */
static const char *
newest_from(const char *name)
{
	static char		 from[128];
	const redisReply	*fields;
	redisReply		*r;

	from[0] = '\0';
	if ((r = stream_read(1)) == NULL)
		return (from);
	if ((fields = newest_by(r, name)) != NULL)
		snprintf(from, sizeof from, "%s", entry_field(fields, "from"));
	freeReplyObject(r);
	return (from);
}

/*
 * Copy the newest entry of the session's stream written by listener
 * name (its "from" is name/NONCE.N) under a new seq: the entry twice, as
 * when an append lost with its connection reached Redis after the
 * catch-up that resolved it, and was sent again.  With from set, the
 * copy has that "from" instead (a record the listener has yet to write,
 * in the stream before it).  0 or -1.
 */
static int
append_again(const char *name, const char *from)
{
	const char		*incr[] = { "INCR", NULL, NULL };
	const char		*xadd[16] = { "XADD", NULL, "*" };
	const redisReply	*fields;
	redisReply		*r, *seq = NULL;
	char			 key[64], seqkey[64], seqtext[32];
	const char		*field;
	size_t			 j, n = 3;
	int			 rc = -1;

	snprintf(key, sizeof key, "fish:{%s}:log", session);
	snprintf(seqkey, sizeof seqkey, "fish:{%s}:seq", session);
	xadd[1] = key;
	incr[1] = seqkey;
	if ((r = stream_read(1)) == NULL)
		return (-1);
	fields = newest_by(r, name);
	if (fields != NULL && fields->elements <= 12 &&
	    (seq = rcmd(incr)) != NULL) {
		snprintf(seqtext, sizeof seqtext, "%lld", seq->integer);
		for (j = 0; j + 1 < fields->elements; j += 2) {
			field = fields->element[j]->str;
			xadd[n++] = field;
			if (strcmp(field, "seq") == 0)
				xadd[n++] = seqtext;
			else if (from != NULL && strcmp(field, "from") == 0)
				xadd[n++] = from;
			else
				xadd[n++] = fields->element[j + 1]->str;
		}
		xadd[n] = NULL;
		freeReplyObject(rcmd(xadd));
		rc = 0;
	}
	freeReplyObject(seq);
	freeReplyObject(r);
	return (rc);
}

/*
 * An entry of A's own found in the stream twice (doc/store-redis.md: an
 * append lost with its connection may be added twice): the second copy,
 * of a record A has seen acknowledged, must not hold back every later
 * entry of the others from A for good.
 */
static void
test_own_twice(struct fixture *a, struct fixture *b)
{
	struct find	 fd;
	int		 synced = 0;
	char		 next[128];

	if (!ok(spawn(a, "twice1", NULL) != NULL, "A spawns a hook"))
		return;
	store_after_sync(a->store, raise_flag, &synced);
	ok(run_while(flag_up, &synced) && append_again("a", NULL) == 0,
	    "its entry, acknowledged, is added to the stream a second time");
	ok(spawn(b, "twice2", NULL) != NULL, "B spawns a hook after it");
	fd.store = a->store;
	fd.name = "twice2";
	ok(run_while(found, &fd), "A applies B's entry after its own "
	    "entry's second copy");
	fd.store = b->store;
	fd.name = "twice1";
	ok(found(&fd), "B has A's hook");

	/*
	 * Two copies in the stream before the append has left A (its loop
	 * sends it).  Whether the follower reads both before the append's
	 * reply (each noted, the case that held every later entry back
	 * for good) or after it depends on how the replies interleave,
	 * which the test does not control: either way nothing may be held.
	 */
	from_next(newest_from("a"), next, sizeof next);
	synced = 0;
	ok(spawn(a, "twice3", NULL) != NULL, "A writes a record");
	ok(append_again("a", next) == 0 && append_again("a", next) == 0,
	    "two entries numbered as that record are in the stream before it");
	store_after_sync(a->store, raise_flag, &synced);
	ok(run_while(flag_up, &synced) && stream_count_from(next) == 3,
	    "it is acknowledged, and in the stream three times");
	ok(spawn(b, "twice4", NULL) != NULL, "B spawns a hook after it");
	fd.store = a->store;
	fd.name = "twice4";
	ok(run_while(found, &fd), "A applies B's entry after the copies "
	    "seen before its reply");
}

/* A listener name to see, or not, among those a store saw. */
struct listener_seen {
	struct store	*store;
	const char	*name;
};

/* Return the listener seen by the store, or NULL. */
static const struct store_listener *
listener_find(const struct listener_seen *ls)
{
	const struct store_listener	*l;
	size_t				 n, i;

	l = store_listeners_seen(ls->store, &n);
	for (i = 0; i < n; i++) {
		if (strcmp(l[i].name, ls->name) == 0)
			return (&l[i]);
	}
	return (NULL);
}

/* Tell whether the store saw the listener. */
static int
listener_in(void *arg)
{
	return (listener_find(arg) != NULL);
}

/* Tell whether the store no longer sees the listener. */
static int
listener_out(void *arg)
{
	return (listener_find(arg) == NULL);
}

/* What store_listeners handed over. */
struct listeners_read {
	int	 done;
	int	 found;		/* "c" with its URL, pid and host */
	int	 self;		/* the reader itself */
};

/* store_listeners's callback: look for "c" (and for "d", the reader). */
static void
listeners_got(void *arg, const struct store_listener *l, size_t n,
    const char *error)
{
	struct listeners_read	*rd = arg;
	size_t			 i;

	for (i = 0; error == NULL && i < n; i++) {
		if (strcmp(l[i].name, "c") == 0 && l[i].public_url != NULL &&
		    strcmp(l[i].public_url, "https://c.example") == 0 &&
		    l[i].pid == getpid() && l[i].host[0] != '\0')
			rd->found = 1;
		if (strcmp(l[i].name, "d") == 0)
			rd->self = 1;
	}
	if (error != NULL)
		diag("store_listeners: %s", error);
	rd->done = 1;
}

/*
 * Heartbeats: C (every 100 ms) and D (once, at its start) see each
 * other; E closed leaves C's list; D, which stops heartbeating without
 * closing, leaves it once its last heartbeat is older than the window.
 */
static void
test_heartbeats(void)
{
	struct fixture		 c, d, e;
	struct listener_seen	 ls;
	struct listeners_read	 rd;

	memset(&c, 0, sizeof c);
	memset(&d, 0, sizeof d);
	memset(&e, 0, sizeof e);
	heartbeat_ms = 100;
	public_url = "https://c.example";
	ropen(&c, "c");
	heartbeat_ms = 3600 * 1000;
	public_url = NULL;
	if (!ok(c.store != NULL && ropen(&d, "d") == 0 && ropen(&e, "e") == 0,
	    "C, D and E open"))
		goto out;
	ls.store = c.store;
	ls.name = "d";
	ok(run_while(listener_in, &ls), "C sees D");
	ls.name = "e";
	ok(run_while(listener_in, &ls), "and E");
	ls.name = "c";
	ok(listener_out(&ls), "but not itself");
	memset(&rd, 0, sizeof rd);
	ok(store_listeners(d.store, listeners_got, &rd) == 0 &&
	    run_while(flag_up, &rd.done) && rd.found && !rd.self,
	    "D reads C's heartbeat at once: its public URL, pid and host");
	rclose(&e);
	ls.name = "e";
	ok(run_while(listener_out, &ls), "E closes: C no longer sees it");
	ls.name = "d";
	ok(listener_in(&ls), "but still D");
	fake_now += 100 * STORE_HEARTBEAT_WINDOW + 1;
	ok(run_while(listener_out, &ls), "D stops heartbeating (it is not "
	    "closed): C drops it once its last heartbeat is %d ms old",
	    100 * STORE_HEARTBEAT_WINDOW + 1);
out:
	heartbeat_ms = 0;
	rclose(&c);
	rclose(&d);
	rclose(&e);
}

/* Run the loop until waiter tw is handed a message or the deadline. */
static int
handed_by(struct test_waiter *tw, int64_t deadline)
{
	while (tw->got == NULL && loop_now() < deadline)
		loop_run_once(loop);
	return (tw->got != NULL);
}

/*
 * Copy into value (size n) what the lease key of message seq holds;
 * return 0, or -1 when it holds nothing.
 */
static int
lease_get(uint64_t seq, char *value, size_t n)
{
	const char	*argv[3] = { "GET", NULL, NULL };
	redisReply	*r;
	char		 key[64];
	int		 rc = -1;

	snprintf(key, sizeof key, "fish:{%s}:lease:%llu", session,
	    (unsigned long long)seq);
	argv[1] = key;
	if ((r = rcmd(argv)) == NULL)
		return (-1);
	if (r->type == REDIS_REPLY_STRING && r->len < n) {
		snprintf(value, n, "%s", r->str);
		rc = 0;
	}
	freeReplyObject(r);
	return (rc);
}

/* Tell whether the lease key of message seq holds a name of listener. */
static int
lease_holder(uint64_t seq, const char *listener)
{
	char	value[128];

	return (lease_get(seq, value, sizeof value) == 0 &&
	    strncmp(value, listener, strlen(listener)) == 0 &&
	    value[strlen(listener)] == '/');
}

/* Tell whether the lease key of message seq holds exactly holder. */
static int
lease_holds(uint64_t seq, const char *holder)
{
	char	value[128];

	return (lease_get(seq, value, sizeof value) == 0 &&
	    strcmp(value, holder) == 0);
}

/*
 * Early release: A's waiter goes away with a message unconfirmed, and
 * B's waiter, which lost the claim, gets it well before A's lease would
 * have expired; and a lease A claimed ahead for a waiter that went away
 * goes back at once too.
 */
static void
test_release(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct test_waiter	 wa, wa2, wb;
	struct message		*m, *m2;
	int			 done = 0;

	if (!ok((hb = spawn_both(a, b, "h6", NULL, &ha)) != NULL,
	    "h6 reaches B"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	m = post(a, ha, "released");
	ok(m != NULL && run_while(waiter_done, &wa) && wa.got == m &&
	    lease_holder(m->seq, "a"), "a waiter on A is handed a message, "
	    "A holding its lease");
	if (m == NULL)
		return;
	wait_on(b, &wb, hb, NULL, 0);
	/* B's claim and its answer come before the catch-up's. */
	ok(store_catch_up(b->store, caught_up, &done) == 0 &&
	    run_while(flag_up, &done) && wb.calls == 0, "a waiter on B "
	    "claims it and loses: A holds it");
	store_release(a->store, m);
	store_unwait(a->store, &wa.w);
	ok(handed_by(&wb, loop_now() + LEASE_MS / 2) && wb.got != NULL &&
	    wb.got->seq == m->seq && lease_holder(m->seq, "b"), "A's waiter "
	    "goes away unconfirmed: B's waiter is handed it within half the "
	    "lease, B holding the lease");
	if (wb.got != NULL)
		store_take(b->store, wb.got);
	store_unwait(b->store, &wb.w);

	m = post(a, ha, "first");
	m2 = post(a, ha, "second");
	if (!ok(m != NULL && m2 != NULL, "two messages queued on h6"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	wait_on(a, &wa2, ha, NULL, 0);
	ok(m2->claiming == MESSAGE_CLAIM_SENT, "a waiter on A claims the "
	    "first, and the second ahead for a younger waiter");
	store_unwait(a->store, &wa2.w);
	done = 0;
	ok(run_while(waiter_done, &wa) && wa.got == m &&
	    store_catch_up(a->store, caught_up, &done) == 0 &&
	    run_while(flag_up, &done), "the younger goes away; the older "
	    "is handed the first");
	store_take(a->store, m);
	wait_on(b, &wb, hb, NULL, 0);
	ok(handed_by(&wb, loop_now() + LEASE_MS / 2) && wb.got != NULL &&
	    wb.got->seq == m2->seq, "it took that one: the second's lease "
	    "goes back, and a waiter on B is handed it within half the lease");
	if (wb.got != NULL)
		store_take(b->store, wb.got);
	store_unwait(b->store, &wb.w);
}

/*
 * Copy into from (size n) the "from" of the session's last stream entry,
 * up to its record number ("a/NONCE" of "a/NONCE.7"): the name a store's
 * leases hold.  Return 0, or -1.
 */
static int
last_from(char *from, size_t n)
{
	const char	*argv[] = { "XREVRANGE", NULL, "+", "-", "COUNT", "1",
			    NULL };
	redisReply	*r, *fields;
	char		 key[64], *dot;
	size_t		 j;
	int		 ret = -1;

	snprintf(key, sizeof key, "fish:{%s}:log", session);
	argv[1] = key;
	if ((r = rcmd(argv)) == NULL)
		return (-1);
	if (r->elements == 1) {
		fields = r->element[0]->element[1];
		for (j = 0; j + 1 < fields->elements; j += 2) {
			if (strcmp(fields->element[j]->str, "from") == 0 &&
			    fields->element[j + 1]->len < n) {
				snprintf(from, n, "%s",
				    fields->element[j + 1]->str);
				if ((dot = strrchr(from, '.')) != NULL)
					*dot = '\0';
				ret = 0;
			}
		}
	}
	freeReplyObject(r);
	return (ret);
}

/*
 * Set message m's lease key to holder for a minute, as a listener that
 * claimed it would have; return 0, or -1.
 */
static int
lease_set(const struct message *m, const char *holder)
{
	const char	*set[] = { "SET", NULL, NULL, "PX", "60000", NULL };
	redisReply	*r;
	char		 key[64];
	int		 rc;

	snprintf(key, sizeof key, "fish:{%s}:lease:%llu", session,
	    (unsigned long long)m->seq);
	set[1] = key;
	set[2] = holder;
	if ((r = rcmd(set)) == NULL)
		return (-1);
	rc = r->type == REDIS_REPLY_STATUS ? 0 : -1;
	freeReplyObject(r);
	return (rc);
}

/* A message and its store, for not_kept. */
struct kept {
	struct store	*store;
	struct message	*m;
};

/* Tell whether a message's lease is no longer known to be its store's. */
static int
not_kept(void *arg)
{
	struct kept	*k = arg;

	return (!store_lease_kept(k->store, k->m));
}

/*
 * A message out to a waiter on A for three leases (its client has yet to
 * confirm, a batch gathering): A renews its lease, so B's waiter is not
 * handed it meanwhile (it was, once the lease expired: two deliveries).
 * Once another listener holds the key, A's next renewal finds the lease
 * lost: the message is no longer A's alone (store_lease_kept).
 */
static void
test_renew(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct test_waiter	 wa, wb;
	struct kept		 k;
	struct message		*m;

	if (!ok((hb = spawn_both(a, b, "h-renew", NULL, &ha)) != NULL,
	    "h-renew reaches B"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	m = post(a, ha, "held-long");
	if (!ok(m != NULL && run_while(waiter_done, &wa) && wa.got == m,
	    "a waiter on A is handed a message"))
		return;
	wait_on(b, &wb, hb, NULL, 0);
	ok(!handed_by(&wb, loop_now() + 3 * LEASE_MS) &&
	    store_lease_kept(a->store, m), "out on A for three leases: "
	    "A renews its lease, B's waiter is not handed it");
	k.store = a->store;
	k.m = m;
	ok(lease_set(m, "other-listener/x.1") == 0 &&
	    run_while(not_kept, &k), "another holds its lease now: A's "
	    "renewal finds it lost, the message is not A's alone");
	store_unwait(b->store, &wb.w);
	store_release(a->store, m);
	store_unwait(a->store, &wa.w);
}

/*
 * A claim whose reply was lost with its connection, though Redis ran it:
 * the lease key holds A's own name when A claims again.  A wins at once,
 * the lease renewed to its own length, rather than waiting out a lease it
 * holds itself.
 */
static void
test_own_claim(struct fixture *a, struct fixture *b)
{
	const char		*pttl[] = { "PTTL", NULL, NULL };
	struct test_waiter	 wa;
	struct hook		*ha;
	struct message		*m;
	redisReply		*r;
	char			 from[128], key[64];
	long long		 left = -1;

	if (!ok(spawn_both(a, b, "h8", NULL, &ha) != NULL, "h8 reaches B"))
		return;
	m = post(a, ha, "claimed-before");
	if (!ok(m != NULL && last_from(from, sizeof from) == 0,
	    "a message is queued on A, no waiter claiming it"))
		return;
	snprintf(key, sizeof key, "fish:{%s}:lease:%llu", session,
	    (unsigned long long)m->seq);
	pttl[1] = key;
	lease_set(m, from);
	wait_on(a, &wa, ha, NULL, 0);
	ok(handed_by(&wa, loop_now() + LEASE_MS / 2) && wa.got == m,
	    "a waiter on A is handed it at once: the lease already held "
	    "A's name");
	if ((r = rcmd(pttl)) != NULL) {
		left = r->integer;
		freeReplyObject(r);
	}
	ok(left > 0 && left <= LEASE_MS, "the lease was renewed to A's "
	    "own length (%lld ms left)", left);
	if (wa.got != NULL)
		store_take(a->store, wa.got);
	store_unwait(a->store, &wa.w);
}

/*
 * A lease held by an earlier life of A (A's name, another nonce: A was
 * killed and restarted) is A's at once; one held by another listener,
 * even one whose name begins with A's, still blocks A's waiter.
 */
static void
test_earlier_claim(struct fixture *a, struct fixture *b)
{
	struct test_waiter	 wa;
	struct hook		*ha;
	struct message		*m;

	if (!ok(spawn_both(a, b, "h20", NULL, &ha) != NULL, "h20 reaches B"))
		return;
	m = post(a, ha, "held-by-our-past");
	if (!ok(m != NULL && lease_set(m, "a/e4r1ier0") == 0, "a message "
	    "is queued on A, its lease holding A's name with another nonce, "
	    "as a killed A would have left it"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	ok(handed_by(&wa, loop_now() + LEASE_MS / 2) && wa.got == m &&
	    lease_holder(m->seq, "a") && !lease_holds(m->seq, "a/e4r1ier0"),
	    "a waiter on A is handed it at once, A's new life holding the "
	    "lease");
	if (wa.got != NULL)
		store_take(a->store, wa.got);
	store_unwait(a->store, &wa.w);

	m = post(a, ha, "held-by-another");
	if (!ok(m != NULL && lease_set(m, "ab/0ther000") == 0, "another "
	    "message is queued on A, its lease held by listener ab"))
		return;
	wait_on(a, &wa, ha, NULL, 0);
	ok(!handed_by(&wa, loop_now() + LEASE_MS * 3 / 2) &&
	    lease_holds(m->seq, "ab/0ther000"), "a waiter on A is not handed "
	    "it past A's own lease time: another listener holds it, though "
	    "its name begins with A's");
	store_unwait(a->store, &wa.w);
}

/* Times a waiter's idle callback ran: it refused every queued message. */
static unsigned int	idled;

/* A waiter's idle callback: count it. */
static void
count_idle(struct waiter *w)
{
	(void)w;
	idled++;
}

/*
 * Post text on B's hook hb and return A's message of it, once queued
 * there, or NULL.
 */
static struct message *
post_seen(struct fixture *a, struct fixture *b, struct hook *hb,
    const char *text)
{
	struct message	*m;
	struct see	 sw;

	if ((m = post(b, hb, text)) == NULL)
		return (NULL);
	sw.store = a->store;
	sw.seq = m->seq;
	sw.state = MESSAGE_QUEUED;
	if (!run_while(seen_in, &sw))
		return (NULL);
	return (store_message(a->store, m->seq));
}

/*
 * Order by seq, not by the answers to claims: the claim of a newer
 * message is under way on A (for a waiter that went away) when a waiter
 * on both hooks starts; the newer one's claim is answered first, yet the
 * waiter is handed the older one.
 */
static void
test_claim_order(struct fixture *a, struct fixture *b)
{
	struct hook		*ha1, *hb1, *ha2, *hb2;
	struct test_waiter	 gone, tw;
	struct message		*older, *newer;

	hb1 = spawn_both(a, b, "h9", NULL, &ha1);
	hb2 = spawn_both(a, b, "h10", NULL, &ha2);
	if (!ok(hb1 != NULL && hb2 != NULL, "h9 and h10 reach B"))
		return;
	older = post_seen(a, b, hb1, "older");
	newer = post_seen(a, b, hb2, "newer");
	if (!ok(older != NULL && newer != NULL && older->seq < newer->seq,
	    "a message on h9, then one on h10, received on B, are queued "
	    "on A"))
		return;
	wait_on(a, &gone, ha2, NULL, 0);
	ok(gone.calls == 0 && newer->claiming == MESSAGE_CLAIM_SENT,
	    "a waiter on A on h10 claims the newer one");
	store_unwait(a->store, &gone.w);
	wait_on(a, &tw, ha2, ha1, 0);
	ok(tw.calls == 0 && store_wait_busy(&tw.w) &&
	    older->claiming == MESSAGE_CLAIM_SENT, "it goes away before the "
	    "answer; a waiter on h10 and h9 claims the older one after it");
	ok(run_while(waiter_done, &tw) && tw.got == older &&
	    newer->claimed_until > loop_now() &&
	    newer->state == MESSAGE_QUEUED, "the newer one's claim is "
	    "answered first, won, yet the waiter is handed the older one");
	if (tw.got != NULL)
		store_take(a->store, tw.got);
	wait_on(a, &tw, ha2, ha1, 0);
	ok(tw.got == newer, "the next waiter is handed the newer one at "
	    "once: its lease is held here");
	if (tw.got != NULL)
		store_take(a->store, tw.got);
	store_unwait(a->store, &tw.w);
}

/*
 * A wait with no time left (--timeout 0, --drain) waits for the answers
 * to its claims before it says it found nothing: a message whose lease
 * A wins is handed over, one B holds is not, and a Redis that does not
 * answer holds it no longer than the waiter's bound on claims.
 */
static void
test_claim_wait(struct fixture *a, struct fixture *b)
{
	struct hook		*ha, *hb;
	struct test_waiter	 tw, wb;
	struct message		*m;
	int64_t			 start, took;
	int			 passes;

	if (!ok((hb = spawn_both(a, b, "h11", NULL, &ha)) != NULL,
	    "h11 reaches B"))
		return;
	if (!ok((m = post_seen(a, b, hb, "claimed")) != NULL,
	    "a message received on B is queued on A"))
		return;
	idled = 0;
	wait_on(a, &tw, ha, NULL, 0);
	tw.w.idle = count_idle;
	ok(tw.calls == 0 && store_wait_busy(&tw.w), "a waiter on A is "
	    "not handed it before its claim is answered, and is busy");
	ok(run_while(waiter_done, &tw) && tw.got == m && idled == 0,
	    "it is handed it once A won the lease, never idle before");
	store_take(a->store, m);

	if (!ok((m = post_seen(a, b, hb, "held by B")) != NULL,
	    "another is queued on A"))
		return;
	wait_on(b, &wb, hb, NULL, 0);
	ok(run_while(waiter_done, &wb) && wb.got != NULL &&
	    wb.got->seq == m->seq, "a waiter on B is handed it");
	idled = 0;
	wait_on(a, &tw, ha, NULL, 0);
	tw.w.idle = count_idle;
	ok(tw.calls == 0 && store_wait_busy(&tw.w), "a waiter on A is busy "
	    "while its claim is under way");
	start = loop_now();
	while (idled == 0 && loop_now() < start + WAIT_MS)
		loop_run_once(loop);
	took = loop_now() - start;
	ok(idled == 1 && tw.calls == 0 && !store_wait_busy(&tw.w) &&
	    took < LEASE_MS / 2, "it finds nothing once the claim is lost, "
	    "within a round trip (%lld ms)", (long long)took);
	store_unwait(a->store, &tw.w);
	if (wb.got != NULL)
		store_take(b->store, wb.got);
	store_unwait(b->store, &wb.w);

	if (!ok((m = post_seen(a, b, hb, "unanswered")) != NULL,
	    "a third is queued on A"))
		return;
	if (!ok(kill(server_pid, SIGSTOP) == 0, "redis-server is stopped"))
		return;
	idled = 0;
	start = loop_now();
	wait_on(a, &tw, ha, NULL, 0);
	tw.w.idle = count_idle;
	for (passes = 0; idled == 0 && loop_now() < start + WAIT_MS; passes++)
		loop_run_once(loop);
	took = loop_now() - start;
	kill(server_pid, SIGCONT);
	ok(idled == 1 && tw.calls == 0 && took >= 1500 && took < 4000,
	    "a waiter on A whose claim gets no answer finds nothing after "
	    "about 2 s, before Redis's command deadline (%lld ms)",
	    (long long)took);
	ok(passes < 1000, "the loop sleeps meanwhile (%d passes, its "
	    "timers' ticks)", passes);
	ok(run_while(waiter_done, &tw) && tw.got == m, "Redis resumes: "
	    "the claim is answered, won, and the waiter, still there, is "
	    "handed the message");
	if (tw.got != NULL)
		store_take(a->store, tw.got);
	store_unwait(a->store, &tw.w);
}

/* Leases given back at once, more than one release script takes. */
#define NRELEASED	70

/*
 * A batch of NRELEASED messages, each handed to a waiter of its own on
 * A, given back at once: every lease goes back (in two scripts), none
 * left holding A's name.
 */
static void
test_release_many(struct fixture *a, struct fixture *b)
{
	struct test_waiter	*tw;
	struct hook		*ha, *hb;
	struct message		*m;
	size_t			 i, handed = 0, held = 0;
	int64_t			 deadline;

	if (!ok((hb = spawn_both(a, b, "h12", NULL, &ha)) != NULL,
	    "h12 reaches B"))
		return;
	for (i = 0; i < NRELEASED; i++) {
		if ((m = post(b, hb, "many")) == NULL)
			break;
	}
	if (!ok(i == NRELEASED && post_seen(a, b, hb, "last") != NULL,
	    "%d messages received on B are queued on A", NRELEASED + 1))
		return;
	tw = xcalloc(NRELEASED, sizeof *tw);
	for (i = 0; i < NRELEASED; i++)
		wait_on(a, &tw[i], ha, NULL, 0);
	deadline = loop_now() + WAIT_MS;
	while (handed < NRELEASED && loop_now() < deadline) {
		loop_run_once(loop);
		for (handed = i = 0; i < NRELEASED; i++)
			handed += tw[i].got != NULL;
	}
	ok(handed == NRELEASED, "%d waiters on A are each handed one "
	    "(%zu)", NRELEASED, handed);
	for (i = 0; i < NRELEASED; i++) {
		if (tw[i].got != NULL)
			store_release(a->store, tw[i].got);
		store_unwait(a->store, &tw[i].w);
	}
	for (i = 0; i < 50; i++)
		loop_run_once(loop);
	for (i = 0; i < NRELEASED; i++) {
		if (tw[i].got != NULL && lease_holder(tw[i].got->seq, "a"))
			held++;
	}
	ok(handed == NRELEASED && held == 0, "they go away, giving them "
	    "back: no lease holds A's name (%zu do)", held);
	free(tw);
}

/* Leases won ahead for a batch, then not asked for. */
#define NAHEAD		3

/*
 * A batch on A (a waiter that will ask for NAHEAD more) is handed the
 * first of a hook's messages, A winning the leases of the next NAHEAD
 * ahead for it; its client then asks for no more (stalled).  Once their
 * offer window has passed (half the lease, before the batch's keep time)
 * they go back, the loop woken for it: none is left to expire in Redis.
 */
static void
test_batch_stalled(struct fixture *a, struct fixture *b)
{
	struct test_waiter	 tw;
	struct hook		*ha;
	struct message		*m[NAHEAD + 1];
	size_t			 i, held = 0;
	int64_t			 start, deadline;

	if (!ok(spawn_both(a, b, "h13", NULL, &ha) != NULL, "h13 reaches B"))
		return;
	for (i = 0; i <= NAHEAD; i++) {
		if ((m[i] = post(a, ha, "batched")) == NULL)
			break;
	}
	if (!ok(i == NAHEAD + 1, "%d messages queued on A", NAHEAD + 1))
		return;
	start = loop_now();
	wait_on_ahead(a, &tw, ha, NULL, 0, NAHEAD);
	deadline = start + LEASE_MS / 2;
	while ((held < NAHEAD || tw.got == NULL) && loop_now() < deadline) {
		loop_run_once(loop);
		for (held = 0, i = 1; i <= NAHEAD; i++)
			held += lease_holder(m[i]->seq, "a");
	}
	ok(tw.got == m[0] && held == NAHEAD, "a batch is handed the first, "
	    "A winning the next %d ahead for it (%zu)", NAHEAD, held);
	/* They would expire in Redis LEASE_MS after start at the earliest. */
	deadline = start + LEASE_MS * 9 / 10;
	while (held > 0 && loop_now() < deadline) {
		loop_run_once(loop);
		for (held = 0, i = 1; i <= NAHEAD; i++)
			held += lease_holder(m[i]->seq, "a");
	}
	ok(held == 0, "its client asks for no "
	    "more: past their offer window they go back, not left to expire "
	    "(%zu held)", held);
	if (tw.got != NULL)
		store_take(a->store, tw.got);
	store_unwait(a->store, &tw.w);
}

/* Tell whether the stream no longer holds the text given. */
static int
stream_lacks(void *arg)
{
	return (!stream_holds(arg));
}

/*
 * Retention: on a session of its own with 2 s of it, entries older than
 * that are trimmed, but a store opened afterwards still knows every hook
 * (open, closed, verifying) and the messages within the period.
 */
static void
test_retention(void)
{
	static const char	 settings[] = "{\"verify\": \"github\", "
	    "\"secret\": \"" SECRET "\"}";
	struct fixture		 c, d;
	struct hook		*keep, *gone;
	struct message		*old, *recent;
	uint64_t		 old_seq;
	struct find		 fd;
	struct see		 sw;
	char			 body[] = "ancient-body";
	char			 spawned[128];

	memset(&c, 0, sizeof c);
	memset(&d, 0, sizeof d);
	session = "s2";
	retain_ms = 2000;
	if (!ok(ropen(&c, "c") == 0, "C opens on a session with 2 s of "
	    "retention"))
		goto out;
	keep = spawn(&c, "keep", NULL);
	gone = spawn(&c, "gone", NULL);
	/* Its spawn's record, which no restatement (closed) matches. */
	snprintf(spawned, sizeof spawned, "\"name\":\"gone\","
	    "\"created_at\":%lld}", (long long)fake_now);
	if (gone != NULL)
		store_close_hook(c.store, gone);
	old = keep != NULL ? post(&c, keep, "ancient-body") : NULL;
	/* C's own retention may free it: keep its seq. */
	old_seq = old != NULL ? old->seq : 0;
	ok(spawn(&c, "vkeep", settings) != NULL && old != NULL &&
	    stream_holds("ancient-body"), "hooks and a message are in the "
	    "stream");
	ok(run_while(stream_lacks, body) && run_while(stream_lacks, spawned),
	    "once older than the retention, the message and the spawns are "
	    "trimmed (XTRIM MINID)");
	ok(stream_holds("\"restated\":true"), "the hooks are restated after "
	    "a checkpoint");
	recent = post(&c, keep, "recent-body");
	sw.seq = recent != NULL ? recent->seq : 0;
	if (!ok(recent != NULL && ropen(&d, "d") == 0, "D opens afterwards"))
		goto out;
	fd.store = d.store;
	fd.name = "keep";
	sw.store = d.store;
	sw.state = MESSAGE_QUEUED;
	ok(run_while(found, &fd) && !store_find(d.store, "keep")->closed &&
	    run_while(seen_in, &sw), "D knows the open hook and its recent "
	    "message");
	ok(store_message(d.store, old_seq) == NULL, "but not the message "
	    "trimmed");
	fd.name = "gone";
	ok(found(&fd) && store_find(d.store, "gone")->closed, "it knows the "
	    "closed hook, closed");
	ok(has_secret(store_find(d.store, "vkeep")), "and the verifying one, "
	    "with its secret");
out:
	session = "s1";
	retain_ms = STORE_RETAIN_DEFAULT_MS;
	rclose(&c);
	rclose(&d);
}

/* A request started on a store, under way once its start is durable. */
struct started {
	struct store	*store;
	struct message	*m;
	int		 durable;
};

/* Its start record is durable: it is under way. */
static void
started_durable(void *arg)
{
	struct started	*sd = arg;

	sd->durable = 1;
	store_started(sd->store, sd->m);
}

/* Tell whether a request started is under way. */
static int
started_done(void *arg)
{
	return (((struct started *)arg)->durable);
}

/*
 * Start a request to url on f (its start durable, as before it leaves);
 * with answered, record its outcome too.  Return its seq, or 0.
 */
static uint64_t
send_on(struct fixture *f, const char *url_text, int answered)
{
	struct json_object	*o;
	struct started		 sd;

	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string("GET"));
	json_object_object_add(o, "url", json_object_new_string(url_text));
	json_object_object_add(o, "headers", json_object_new_array());
	json_object_object_add(o, "sent_at", json_object_new_int64(fake_now));
	memset(&sd, 0, sizeof sd);
	sd.store = f->store;
	sd.m = store_sending(f->store, o, NULL, 0);
	json_object_put(o);
	store_after_sync(f->store, started_durable, &sd);
	if (!run_while(started_done, &sd))
		return (0);
	if (answered) {
		o = json_object_new_object();
		json_object_object_add(o, "status", json_object_new_int(0));
		json_object_object_add(o, "http_status",
		    json_object_new_int(200));
		json_object_object_add(o, "time_ms", json_object_new_int(1));
		store_sent(f->store, sd.m, o, "ok", 2);
		json_object_put(o);
	}
	return (sd.m->seq);
}

/* Tell whether the store given is settled (its stream read and applied). */
static int
settled(void *arg)
{
	return (store_settled(arg));
}

/*
 * Close f's store as a SIGKILL would leave it (no outcome for what is
 * under way) and open it again as listener name, a new nonce; wait until
 * it is settled.  Return 0, or -1.
 */
static int
reborn(struct fixture *f, const char *name)
{
	rclose(f);
	if (ropen(f, name) == -1)
		return (-1);
	return (run_while(settled, f->store) ? 0 : -1);
}

/* Tell whether store s has message seq in state. */
static int
state_is(struct store *s, uint64_t seq, enum message_state state)
{
	struct see	sw;

	sw.store = s;
	sw.seq = seq;
	sw.state = state;
	return (seen_in(&sw));
}

/*
 * On a session of its own: C starts requests and dies (closed without
 * their outcomes, as SIGKILL leaves them) while D's is under way.  C
 * reopened (its name, a new nonce) records its own earlier request
 * unanswered, once, for both; not the one answered, nor D's, live.
 * Reopened again, it writes nothing more.
 */
static void
test_earlier_sends(void)
{
	struct fixture	 c, d;
	struct see	 sw;
	uint64_t	 cut, answered, live;
	const char	*mark = "\"unanswered\":true";
	int		 synced = 0;

	memset(&c, 0, sizeof c);
	memset(&d, 0, sizeof d);
	session = "s4";
	if (!ok(ropen(&c, "c") == 0 && ropen(&d, "d") == 0, "C and D open "
	    "on a session of their own"))
		goto out;
	cut = send_on(&c, "http://127.0.0.1:9/cut", 0);
	answered = send_on(&c, "http://127.0.0.1:9/answered", 1);
	live = send_on(&d, "http://127.0.0.1:9/live", 0);
	sw.store = c.store;
	sw.seq = live;
	sw.state = MESSAGE_SENDING;
	if (!ok(cut != 0 && answered != 0 && live != 0 &&
	    run_while(seen_in, &sw), "C starts two requests, one answered; "
	    "D starts one, under way on both"))
		goto out;
	if (!ok(reborn(&c, "c") == 0, "C dies and opens again, its name with "
	    "a new nonce"))
		goto out;
	ok(state_is(c.store, cut, MESSAGE_UNANSWERED), "C's request left "
	    "under way by its earlier life is unanswered once the stream is "
	    "read");
	ok(state_is(c.store, answered, MESSAGE_SENT), "the one answered "
	    "stays sent");
	ok(state_is(c.store, live, MESSAGE_SENDING), "D's, live, stays under "
	    "way");
	sw.store = d.store;
	sw.seq = cut;
	sw.state = MESSAGE_UNANSWERED;
	ok(run_while(seen_in, &sw), "D sees C's cut request unanswered too");
	ok(state_is(d.store, live, MESSAGE_SENDING) && stream_count(mark) == 1,
	    "its own stays under way, and the stream holds one outcome saying "
	    "unanswered");
	if (!ok(reborn(&c, "c") == 0, "C opens again"))
		goto out;
	/* Let what it might write reach the stream. */
	store_after_sync(c.store, raise_flag, &synced);
	ok(state_is(c.store, cut, MESSAGE_UNANSWERED) &&
	    run_while(flag_up, &synced) && stream_count(mark) == 1, "it finds "
	    "the request unanswered and writes no second outcome");
	ok(state_is(c.store, live, MESSAGE_SENDING), "and leaves D's under "
	    "way");
out:
	session = "s1";
	rclose(&c);
	rclose(&d);
}

/*
 * Start (start 1) or stop a replica of the test's server, in a directory
 * of its own; return the helper's exit status.
 */
static int
replica(int start)
{
	char	*cmd;
	int	 status;

	if (start)
		xasprintf(&cmd, "REDIS_REPLICA_OF=%d '%s/redis-start' "
		    "'%s/replica' >/dev/null", port, helpers, dir);
	else
		xasprintf(&cmd, "'%s/redis-stop' '%s/replica'", helpers, dir);
	status = system(cmd);
	free(cmd);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* Tell whether the store given is connected, but short of replicas. */
static int
short_of_replicas(void *arg)
{
	return (store_connected(arg) && !store_reachable(arg));
}

/* A failable wait's outcome: 1 synced, -1 failed (why kept). */
struct outcome {
	int	 state;
	char	*why;
};

/* It synced. */
static void
outcome_synced(void *arg)
{
	((struct outcome *)arg)->state = 1;
}

/* It failed. */
static void
outcome_failed(void *arg, const char *why)
{
	struct outcome	*o = arg;

	o->state = -1;
	o->why = xstrdup(why);
}

/*
 * Callbacks that note when they ran (ranked_next counts), and one told it
 * failed that moves itself, in its place, to run once its records are
 * acknowledged after all: as a request answered 503 queues its message.
 */
static int	ranked_next;

struct ranked {
	struct store	*store;
	int		 at;		/* 0: not run */
	int		 failed;
};

static void
ranked_run(void *arg)
{
	((struct ranked *)arg)->at = ++ranked_next;
}

/* Never run: moved once told it failed. */
static void
ranked_unmoved(void *arg)
{
	((struct ranked *)arg)->at = -1;
}

static void
ranked_move(void *arg, const char *why)
{
	struct ranked	*r = arg;

	(void)why;
	r->failed = 1;
	store_sync_move(r->store, ranked_unmoved, r, ranked_run, r);
}

/*
 * --store-replicas 1: with no replica, a record Redis acknowledged is not
 * durable, and the store says it is short; a replica started, it is.
 */
static void
test_replicas(void)
{
	struct fixture	 c;
	struct sent	 st;
	struct outcome	 oc = { 0, NULL };
	struct ranked	 early = { NULL, 0, 0 }, later = { NULL, 0, 0 };
	struct hook	*h;
	char		*why;
	int		 wanted, seen;

	memset(&c, 0, sizeof c);
	memset(&st, 0, sizeof st);
	session = "s3";
	replicas = 1;
	if (!ok(ropen(&c, "r") == 0 && (h = spawn(&c, "rep", NULL)) != NULL,
	    "a store that wants a replica opens, with none, and spawns"))
		goto out;
	st.p.store = c.store;
	st.p.m = receive(&c, h, "replicated-body");
	store_after_sync(c.store, sent_durable, &st);
	store_after_sync_or_fail(c.store, outcome_synced, outcome_failed, NULL,
	    &oc);
	early.store = c.store;
	store_after_sync_or_fail(c.store, ranked_unmoved, ranked_move, NULL,
	    &early);
	store_after_sync(c.store, ranked_run, &later);
	ok(run_while(short_of_replicas, c.store) && !st.durable, "its WAIT "
	    "counts no replica: the store is short, the record not durable");
	ok(oc.state == -1 && oc.why != NULL && strcmp(oc.why, "has 0 of 1 "
	    "replicas acknowledging its writes within 1000 ms") == 0,
	    "a wait that may fail is told why");
	why = store_unavailable(c.store);
	ok(why != NULL && strcmp(why, "the session's store has 0 of 1 "
	    "replicas acknowledging its writes within 1000 ms") == 0,
	    "and says why: %s", why != NULL ? why : "(null)");
	free(why);
	wanted = store_replicas(c.store, &seen);
	ok(wanted == 1 && seen == 0, "it wants %d, the last WAIT saw %d",
	    wanted, seen);
	ok(stream_holds("replicated-body"), "the record is in the stream "
	    "all the same");
	ok(!store_durable(c.store), "store_durable, what a stop waits for, "
	    "says so too");
	if (!ok(replica(1) == 0, "a replica starts"))
		goto out;
	ok(run_while(sent_done, &st) && store_reachable(c.store),
	    "the record is durable once the replica has it, and the store "
	    "takes writes again");
	ok(store_durable(c.store), "store_durable too");
	wanted = store_replicas(c.store, &seen);
	ok(wanted == 1 && seen == 1, "the last WAIT saw the replica");
	ok(oc.state == -1, "and the wait told it failed is not run as well");
	ok(early.failed && early.at > 0 && later.at > early.at, "one told "
	    "it failed that moved itself runs in its place, before what was "
	    "registered after it (%d, then %d)", early.at, later.at);
	ok(replica(0) == 0, "the replica stops");
out:
	free(oc.why);
	session = "s1";
	replicas = 0;
	rclose(&c);
}

/* What a wait registered below was told: synced, failed or dropped. */
struct told {
	int	synced, failed, dropped;
};

/* It synced. */
static void
told_synced(void *arg)
{
	((struct told *)arg)->synced++;
}

/* It failed. */
static void
told_failed(void *arg, const char *why)
{
	(void)why;
	((struct told *)arg)->failed++;
}

/* It was dropped. */
static void
told_dropped(void *arg)
{
	((struct told *)arg)->dropped++;
}

/*
 * A store closed while Redis does not answer (the listener stopping with
 * it down) tells each wait registered with a dropped callback, once, so
 * that its owner frees what it holds; the others it drops silently.
 */
static void
test_close_dropped(void)
{
	struct fixture	 c;
	struct told	 drop = { 0, 0, 0 }, fail = { 0, 0, 0 };
	struct told	 plain = { 0, 0, 0 };

	memset(&c, 0, sizeof c);
	if (!ok(ropen(&c, "d") == 0 && spawn(&c, "dropped", NULL) != NULL,
	    "a store opens and spawns"))
		goto out;
	if (!ok(kill(server_pid, SIGSTOP) == 0, "redis-server is stopped"))
		goto out;
	spawn(&c, "unacknowledged", NULL);
	store_after_sync_or_drop(c.store, told_synced, told_dropped, &drop);
	store_after_sync_or_fail(c.store, told_synced, told_failed,
	    told_dropped, &fail);
	store_after_sync(c.store, told_synced, &plain);
	rclose(&c);
	kill(server_pid, SIGCONT);
	ok(drop.dropped == 1 && drop.synced == 0, "closed first, a wait "
	    "that may be dropped is told so once");
	ok(fail.dropped == 1 && fail.synced == 0 && fail.failed == 0,
	    "so is one that may fail, before its bound");
	ok(plain.synced == 0 && plain.dropped == 0, "one with nothing to "
	    "free is not run");
out:
	kill(server_pid, SIGCONT);
	rclose(&c);
}

/* Catch-up: a hook spawned on A is known on B at once after it. */
static void
test_catch_up(struct fixture *a, struct fixture *b)
{
	int	done = 0;

	ok(store_catch_up(b->store, caught_up, &done) == 0 &&
	    run_while(flag_up, &done), "B catches up");
	(void)a;
}

int
main(void)
{
	struct fixture	 a, b;
	char		*text, *cause = NULL;
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	if ((r = server_setup()) == 77) {
		printf("1..0 # SKIP redis-server not installed"
		    " (scripts/deps)\n");
		return (0);
	}
	if (!ok(r == 0, "redis-server starts on port %d", port))
		return (done_testing());
	xasprintf(&text, "redis://127.0.0.1:%d", port);
	r = store_url_parse(text, &url, &cause);
	free(text);
	if (!ok(r == 0, "the store URL parses")) {
		diag("%s", cause);
		free(cause);
		server_teardown();
		return (done_testing());
	}
	tmpdir = dir;
	loop = loop_new();
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	if (ok(ropen(&a, "a") == 0 && ropen(&b, "b") == 0,
	    "A and B open on one session")) {
		test_message(&a, &b);
		test_order(&a, &b);
		test_share(&a, &b);
		test_close(&a, &b);
		test_catch_up(&a, &b);
		test_secrets(&a, &b);
		test_secret_missing(&a, &b);
		test_own_twice(&a, &b);
		test_heartbeats();
		test_release(&a, &b);
		test_own_claim(&a, &b);
		test_renew(&a, &b);
		test_earlier_claim(&a, &b);
		test_claim_order(&a, &b);
		test_claim_wait(&a, &b);
		test_release_many(&a, &b);
		test_batch_stalled(&a, &b);
		test_retention();
		test_earlier_sends();
		test_replicas();
		test_close_dropped();
		test_reopen(&a, &b);
		test_restart(&a, &b);
		test_expiry(&a, &b);
	}
	rclose(&a);
	rclose(&b);
	loop_free(loop);
	store_url_free(&url);
	server_teardown();
	return (done_testing());
}
