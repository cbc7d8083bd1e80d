/*
 * What the store's unit tests share (test/unit/store.c, store-apply.c,
 * spare.c): a
 * store in a directory of its own with its own loop and wall clock, hooks
 * spawned from JSON settings, requests received and made durable, waiters
 * that remember what they were handed, and observers of the timeline.
 */
#ifndef STORE_FIXTURE_H
#define STORE_FIXTURE_H

#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "journal.h"
#include "loop.h"
#include "message.h"
#include "store.h"
#include "tap.h"
#include "waiter.h"
#include "xmalloc.h"

/* How long a test waits for a timer before it fails (ms). */
#define DEADLINE_MS	10000

static char	*tmpdir;
static int64_t	 fake_now = 1700000000000LL;

/* A store under test: its directory, loop and warnings at open. */
struct fixture {
	char		*dir;
	char		*journal;
	struct loop	*loop;
	struct store	*store;
	char		*warnings;
	int64_t		 retain_ms;
};

/* A waiter that remembers what it was handed. */
struct test_waiter {
	struct waiter	 w;
	struct hook	*hooks[2];
	struct message	*got;
	unsigned int	 calls;
	unsigned int	 ended;
};

/* What an observer saw. */
struct seen {
	uint64_t	 seqs[16];
	size_t		 n;
};

/* The test's wall clock. */
static inline int64_t
test_clock(void)
{
	return (fake_now);
}

/* Open (or reopen) the fixture's store; return 0 or -1. */
static inline int
reopen(struct fixture *f)
{
	struct store_config	 config;
	char			*cause = NULL;

	memset(&config, 0, sizeof config);
	config.journal_dir = f->journal;
	config.session_dir = f->dir;
	config.loop = f->loop;
	config.retain_ms = f->retain_ms;
	config.clock = test_clock;
	free(f->warnings);
	f->store = store_open(&config, &f->warnings, &cause);
	if (f->store == NULL) {
		diag("store_open: %s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* Make a fixture in a directory of its own and open its store. */
static inline int
setup(struct fixture *f, const char *name, int64_t retain_ms)
{
	memset(f, 0, sizeof *f);
	xasprintf(&f->dir, "%s/%s", tmpdir, name);
	xasprintf(&f->journal, "%s/journal", f->dir);
	f->retain_ms = retain_ms;
	if (mkdir(f->dir, 0700) == -1) {
		diag("mkdir %s: %s", f->dir, strerror(errno));
		return (-1);
	}
	f->loop = loop_new();
	return (reopen(f));
}

/* Commit and close the fixture's store, keeping its loop. */
static inline void
shut(struct fixture *f)
{
	if (f->store == NULL)
		return;
	store_commit(f->store);
	store_close(f->store);
	f->store = NULL;
}

/* Close everything the fixture holds. */
static inline void
teardown(struct fixture *f)
{
	shut(f);
	loop_free(f->loop);
	free(f->warnings);
	free(f->journal);
	free(f->dir);
}

/* Spawn a hook with settings given as JSON text (or none). */
static inline struct hook *
spawn(struct fixture *f, const char *name, const char *json)
{
	struct json_object	*settings = NULL;
	struct hook		*h;
	char			*cause = NULL;

	if (json != NULL)
		settings = json_tokener_parse(json);
	h = store_spawn(f->store, name, settings, NULL, 0, &cause);
	if (h == NULL) {
		diag("spawn: %s", cause);
		free(cause);
	}
	json_object_put(settings);
	return (h);
}

/* Record a request to hook h with body text; it stays pending. */
static inline struct message *
receive(struct fixture *f, struct hook *h, const char *text)
{
	struct json_object	*o;
	struct message		*m;

	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string("POST"));
	json_object_object_add(o, "path", json_object_new_string("/"));
	json_object_object_add(o, "received_at",
	    json_object_new_int64(fake_now));
	m = store_receive(f->store, h, o, text, strlen(text));
	json_object_put(o);
	return (m);
}

/* A message waiting for the group commit, and its store. */
struct pending {
	struct store	*store;
	struct message	*m;
};

/* A group commit callback: the message is durable, queue it. */
static inline void
ready_cb(void *arg)
{
	struct pending	*p = arg;

	store_ready(p->store, p->m);
}

/* Record a request to hook h and queue it once durable. */
static inline struct message *
deliver(struct fixture *f, struct hook *h, const char *text)
{
	struct pending	p;

	p.store = f->store;
	p.m = receive(f, h, text);
	store_after_sync(f->store, ready_cb, &p);
	store_commit(f->store);
	return (p.m);
}

/* A waiter's callback: remember the message. */
static inline void
test_waiter_cb(struct waiter *w, struct message *m)
{
	struct test_waiter	*tw = w->arg;

	tw->got = m;
	tw->calls++;
}

/* A waiter's end: count it. */
static inline void
test_waiter_ended(struct waiter *w)
{
	struct test_waiter	*tw = w->arg;

	tw->ended++;
}

/*
 * Make a waiter on hook h (and h2 if not NULL), of a batch that will ask
 * for ahead more after it (0: a single wait), and start it.
 */
static inline void
wait_on_ahead(struct fixture *f, struct test_waiter *tw, struct hook *h,
    struct hook *h2, int peek, uint64_t ahead)
{
	memset(tw, 0, sizeof *tw);
	tw->hooks[0] = h;
	tw->hooks[1] = h2;
	tw->w.hooks = tw->hooks;
	tw->w.nhooks = h2 != NULL ? 2 : 1;
	tw->w.cb = test_waiter_cb;
	tw->w.ended = test_waiter_ended;
	tw->w.peek = peek;
	tw->w.ahead = ahead;
	tw->w.arg = tw;
	store_wait(f->store, &tw->w);
}

/* Make a waiter on hook h (and h2 if not NULL) and start it. */
static inline void
wait_on(struct fixture *f, struct test_waiter *tw, struct hook *h,
    struct hook *h2, int peek)
{
	wait_on_ahead(f, tw, h, h2, peek, 0);
}

/* An observer: remember the seqs of messages that joined the timeline. */
static inline void
observe_cb(struct message *m, void *arg)
{
	struct seen	*seen = arg;

	if (seen->n < nitems(seen->seqs))
		seen->seqs[seen->n++] = m->seq;
}

/* Tell whether the body of message m reads back as text. */
static inline int
body_is(struct fixture *f, const struct message *m, const char *text)
{
	struct journal_record	 rec;
	char			*cause = NULL;
	int			 same;

	if (store_read(f->store, m, &rec, &cause) == -1) {
		diag("store_read: %s", cause);
		free(cause);
		return (0);
	}
	same = rec.body_len == strlen(text) &&
	    memcmp(rec.body, text, rec.body_len) == 0;
	journal_record_release(&rec);
	return (same);
}

/* Run the loop until *flag is set or DEADLINE_MS passes. */
static inline int
run_until(struct fixture *f, const int *flag)
{
	int64_t	deadline = loop_now() + DEADLINE_MS;

	while (!*flag && loop_now() < deadline)
		loop_run_once(f->loop);
	return (*flag);
}

/* A timer's callback: set the flag. */
static inline void
set_flag(void *arg)
{
	*(int *)arg = 1;
}

/* Start a request we send; it stays pending until durable. */
static inline struct message *
sending(struct fixture *f, const char *url)
{
	struct json_object	*o;
	struct message		*m;

	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string("POST"));
	json_object_object_add(o, "url", json_object_new_string(url));
	m = store_sending(f->store, o, "req", 3);
	json_object_put(o);
	return (m);
}

#endif
