/*
 * Unit tests for the store (listener/store/store.h), linked with the store
 * and lib/ only: spawning hooks (names, reuse by name, bad settings), a
 * received message from pending to durable to queued, waiters served the
 * oldest message, leases taken (journaled) or released (back in order),
 * peeking, rejected messages that never queue, a hook's time to live,
 * closing, retention expiring old segments' messages, reopening (hooks,
 * queues, takes and the sequence counter come back), sequence numbers
 * shared by received and sent requests, and hooks recovered from their
 * messages when their creation record is lost.
 *
 * The loop is driven by hand (loop_run_once), and the group commit by
 * store_commit; the wall clock is the test's own, so that times to live
 * can be made to pass.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "compat.h"
#include "hook.h"
#include "journal.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "store.h"
#include "store-fixture.h"
#include "tap.h"
#include "tree.h"
#include "token.h"
#include "waiter.h"
#include "xmalloc.h"

/* Spawning: tokens, names, reuse by name, bad settings, lookups. */
static void
test_spawn(void)
{
	struct fixture		 f;
	struct hook		*a, *b, *c;
	struct json_object	*bad;
	struct store_stats	 st;
	char			*cause = NULL, *url;

	if (!ok(setup(&f, "spawn", STORE_RETAIN_DEFAULT_MS) == 0,
	    "a store opens on an empty directory")) {
		teardown(&f);
		return;
	}
	is_str(f.warnings, NULL, "a new store has nothing to warn about");
	a = spawn(&f, NULL, NULL);
	b = spawn(&f, "orders", "{\"status\": 202}");
	ok(a != NULL && b != NULL && a != b, "two hooks are spawned");
	if (a == NULL || b == NULL)
		goto out;
	ok(token_valid(a->token, strlen(a->token)) &&
	    strcmp(a->token, b->token) != 0, "each has a token of its own");
	ok(a->name == NULL && strcmp(b->name, "orders") == 0 &&
	    b->status == 202, "with its name and settings");
	ok(a->created_at == fake_now, "created at the store's clock");
	ok(spawn(&f, "orders", "{\"status\": 202}") == b &&
	    spawn(&f, "orders", NULL) == b,
	    "spawning a name again, alike or with no options, returns the "
	    "open hook");
	bad = json_tokener_parse("{\"status\": 500, \"ttl_ms\": 5000}");
	c = store_spawn(f.store, "orders", bad, NULL, 0, &cause);
	ok(c == NULL && cause != NULL &&
	    strstr(cause, "(--status, --ttl differ)") != NULL &&
	    b->status == 202 && b->expires_at == 0,
	    "with other options it is refused, naming them, the hook unchanged");
	free(cause);
	cause = NULL;
	json_object_put(bad);
	ok(store_find(f.store, "orders") == b &&
	    store_find(f.store, a->token) == a &&
	    store_find_token(f.store, b->token, strlen(b->token)) == b,
	    "hooks are found by name and by token");
	xasprintf(&url, "https://example.org/prefix/%s/sub?x=1", a->token);
	ok(store_find(f.store, url) == a, "and by URL, whatever its prefix");
	free(url);
	ok(store_find(f.store, "nothing") == NULL,
	    "an unknown name is no hook");
	bad = json_tokener_parse("{\"status\": 99}");
	ok(store_spawn_check(bad, 0, &cause) == -1 && cause != NULL &&
	    strstr(cause, "invalid status") != NULL,
	    "a bad status is refused with a cause");
	free(cause);
	cause = NULL;
	c = store_spawn(f.store, NULL, bad, NULL, 0, &cause);
	ok(c == NULL && cause != NULL, "and store_spawn refuses it too");
	free(cause);
	json_object_put(bad);
	store_close_hook(f.store, b);
	ok(store_find(f.store, "orders") == b,
	    "a closed hook is still found by its name");
	c = spawn(&f, "orders", "{\"status\": 500}");
	ok(c != NULL && c != b && !c->closed && c->status == 500 &&
	    strcmp(c->token, b->token) != 0,
	    "a name held by a closed hook gets a new hook, as asked");
	ok(store_find(f.store, "orders") == c &&
	    store_find(f.store, b->token) == b,
	    "the name finds the open one; the old one keeps its token");
	store_close_hook(f.store, c);
	ok(store_find(f.store, "orders") == c,
	    "with none open, the name finds the newest closed one");
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	a = spawn(&f, "orders", NULL);
	ok(a != NULL && store_find(f.store, "orders") == a && !a->closed,
	    "after a reopen, a third hook of that name is the one found");
	store_stats(f.store, &st);
	is_int(st.hooks, 4, "status counts four hooks");
out:
	teardown(&f);
}

/* A received message: pending until durable, then queued and observed. */
static void
test_receive(void)
{
	struct fixture	 f;
	struct hook	*h;
	struct message	*m;
	struct seen	 seen;
	struct pending	 p;
	struct store_stats st;

	if (setup(&f, "receive", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "r", NULL)) == NULL) {
		ok(0, "set up the receive test");
		teardown(&f);
		return;
	}
	memset(&seen, 0, sizeof seen);
	store_observe(f.store, observe_cb, &seen);
	m = receive(&f, h, "one");
	ok(m->state == MESSAGE_PENDING && TAILQ_EMPTY(&h->queue) &&
	    seen.n == 0, "a received message is pending, queued for no one");
	ok(store_message(f.store, m->seq) == m && body_is(&f, m, "one"),
	    "it is in the index and reads back before it is durable");
	p.store = f.store;
	p.m = m;
	store_after_sync(f.store, ready_cb, &p);
	ok(m->state == MESSAGE_PENDING, "it stays pending until the commit");
	store_commit(f.store);
	ok(m->state == MESSAGE_QUEUED && TAILQ_FIRST(&h->queue) == m &&
	    h->queued == 1 && h->received == 1,
	    "once durable it is queued on its hook");
	ok(seen.n == 1 && seen.seqs[0] == m->seq,
	    "and observers hear of it once");
	store_stats(f.store, &st);
	ok(st.received == 1 && st.queued == 1 && st.journal_records >= 2,
	    "status counts it, and the journal holds it");
	teardown(&f);
}

/*
 * The group commit is the loop's: it runs before each wait, and goes with
 * the store when it closes.
 */
static void
test_loop(void)
{
	struct fixture	 f;
	struct hook	*h;
	struct pending	 p;
	int		 fired;

	if (setup(&f, "loop", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "l", NULL)) == NULL) {
		ok(0, "set up the loop test");
		teardown(&f);
		return;
	}
	p.store = f.store;
	p.m = receive(&f, h, "by the loop");
	store_after_sync(f.store, ready_cb, &p);
	loop_run_once(f.loop);
	ok(p.m->state == MESSAGE_QUEUED,
	    "a pass of the loop commits, before it waits");
	shut(&f);
	fired = 0;
	loop_timer_add(f.loop, loop_now(), set_flag, &fired);
	loop_run_once(f.loop);
	ok(fired, "a pass of the loop after the store closed calls nothing of "
	    "it (valgrind and ASan would see)");
	teardown(&f);
}

/* Waiters get the oldest message; leases are taken or released. */
static void
test_lease(void)
{
	struct fixture		 f;
	struct hook		*h, *h2;
	struct message		*m1, *m2, *m3;
	struct test_waiter	 a, b;
	uint64_t		 seq;

	if (setup(&f, "lease", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "l", NULL)) == NULL ||
	    (h2 = spawn(&f, "l2", NULL)) == NULL) {
		ok(0, "set up the lease test");
		teardown(&f);
		return;
	}
	m1 = deliver(&f, h, "first");
	m2 = deliver(&f, h2, "second");
	m3 = deliver(&f, h, "third");
	wait_on(&f, &a, h, h2, 0);
	ok(a.calls == 1 && a.got == m1 && m1->state == MESSAGE_LEASED,
	    "a waiter on two hooks is leased the oldest of them at once");
	ok(TAILQ_FIRST(&h->queue) == m3, "a leased message leaves its queue");
	wait_on(&f, &b, h, NULL, 0);
	ok(b.calls == 1 && b.got == m3,
	    "a second waiter gets a different message");
	store_release(f.store, m1);
	ok(m1->state == MESSAGE_QUEUED && TAILQ_FIRST(&h->queue) == m1,
	    "a released lease goes back to its queue");
	store_release(f.store, m3);
	ok(TAILQ_FIRST(&h->queue) == m1 && TAILQ_NEXT(m1, entry) == m3,
	    "in sequence order");
	wait_on(&f, &a, h, NULL, 0);
	store_take(f.store, a.got);
	store_commit(f.store);
	ok(a.got == m1 && m1->state == MESSAGE_TAKEN && h->queued == 1,
	    "a lease taken is taken for good");
	wait_on(&f, &b, h2, NULL, 0);
	ok(b.got == m2, "the other hook's message is still there");
	store_take(f.store, m2);
	wait_on(&f, &a, h, NULL, 0);
	store_take(f.store, m3);
	wait_on(&f, &b, h, NULL, 0);
	ok(b.calls == 0 && store_wait_busy(&b.w) == 0,
	    "a waiter on an empty hook waits");
	m1 = deliver(&f, h, "fourth");
	ok(b.calls == 1 && b.got == m1,
	    "and gets the next message as soon as it is durable");
	store_release(f.store, m1);
	seq = m1->seq;
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	h = store_find(f.store, "l");
	h2 = store_find(f.store, "l2");
	ok(h != NULL && h2 != NULL && h->queued == 1 && h2->queued == 0 &&
	    TAILQ_FIRST(&h->queue)->seq == seq,
	    "after a reopen, taken messages stay taken, the rest is queued");
out:
	teardown(&f);
}

/* Peeking shows a message and takes nothing. */
static void
test_peek(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct message		*m;
	struct test_waiter	 a, b;

	if (setup(&f, "peek", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "p", NULL)) == NULL) {
		ok(0, "set up the peek test");
		teardown(&f);
		return;
	}
	wait_on(&f, &a, h, NULL, 1);
	ok(a.calls == 0, "a peek on an empty hook waits");
	m = deliver(&f, h, "look");
	ok(a.calls == 1 && a.got == m && m->state == MESSAGE_QUEUED,
	    "it sees the next message, which stays queued");
	wait_on(&f, &b, h, NULL, 0);
	ok(b.got == m && m->state == MESSAGE_LEASED,
	    "and a waiter after it is leased that message");
	store_release(f.store, m);
	teardown(&f);
}

/* A rejected message joins the timeline but no queue. */
static void
test_reject(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct message		*m;
	struct test_waiter	 a;
	struct seen		 seen;

	if (setup(&f, "reject", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "x", NULL)) == NULL) {
		ok(0, "set up the reject test");
		teardown(&f);
		return;
	}
	memset(&seen, 0, sizeof seen);
	store_observe(f.store, observe_cb, &seen);
	wait_on(&f, &a, h, NULL, 0);
	m = receive(&f, h, "forged");
	store_commit(f.store);
	store_reject(f.store, m);
	ok(m->state == MESSAGE_REJECTED && TAILQ_EMPTY(&h->queue) &&
	    h->queued == 0 && a.calls == 0,
	    "a rejected message is queued for no one, not even a waiter");
	ok(seen.n == 1 && seen.seqs[0] == m->seq,
	    "but observers see it in the timeline");
	store_unwait(f.store, &a.w);
	teardown(&f);
}

/*
 * A refused request joins the timeline once durable, with its hook or
 * none, is never received or queued, and is rebuilt at open; an answer is
 * indexed with its message.
 */
static void
test_refuse(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct message		*m, *held;
	struct json_object	*o;
	struct journal_record	 rec;
	struct seen		 seen;
	uint64_t		 seq, held_seq;
	char			*cause = NULL;
	int			 got;

	if (setup(&f, "refuse", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "x", NULL)) == NULL) {
		ok(0, "set up the refuse test");
		teardown(&f);
		return;
	}
	memset(&seen, 0, sizeof seen);
	store_observe(f.store, observe_cb, &seen);
	o = json_tokener_parse("{\"status\":404,\"reason\":\"no such hook\"}");
	store_refuse(f.store, NULL, o);
	json_object_put(o);
	seq = store_next_seq(f.store) - 1;
	m = store_message(f.store, seq);
	ok(m != NULL && m->refused && m->state == MESSAGE_PENDING &&
	    seen.n == 0, "a refused request waits to be durable");
	store_commit(f.store);
	ok(m->state == MESSAGE_REFUSED && seen.n == 1 && seen.seqs[0] == seq,
	    "then observers see it in the timeline");
	ok(store_complete(f.store) == UINT64_MAX, "the journal's timeline "
	    "is complete as far as it goes: it numbers in order");
	o = json_tokener_parse("{\"status\":410,\"reason\":\"closed\"}");
	json_object_object_add(o, "token", json_object_new_string(h->token));
	store_refuse(f.store, h, o);
	json_object_put(o);
	ok(h->received == 0 && h->queued == 0 && TAILQ_EMPTY(&h->queue),
	    "a refused request is neither received nor queued");
	held = receive(&f, h, "held");
	held_seq = held->seq;
	store_commit(f.store);
	store_ready(f.store, held);
	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64(
	    (int64_t)held_seq));
	json_object_object_add(o, "token", json_object_new_string(h->token));
	json_object_object_add(o, "status", json_object_new_int(202));
	store_answered(f.store, o, "ok", 2);
	json_object_put(o);
	got = held->answer != 0 ? store_read_answer(f.store, held, &rec,
	    &cause) : 1;
	ok(got == 0 && proto_int(rec.json, "status", 0) == 202,
	    "an answer is indexed with its message");
	if (got == 0)
		journal_record_release(&rec);
	free(cause);
	cause = NULL;
	shut(&f);
	if (reopen(&f) == -1) {
		ok(0, "reopen the refuse test");
		teardown(&f);
		return;
	}
	h = store_find(f.store, "x");
	m = store_message(f.store, seq);
	held = store_message(f.store, held_seq);
	ok(m != NULL && m->refused && m->state == MESSAGE_REFUSED &&
	    m->hook == NULL && (m = store_message(f.store, seq + 1)) != NULL &&
	    m->refused && m->hook == h && h->received == 1,
	    "refused requests are rebuilt at open, with their hooks");
	got = held != NULL && held->answer != 0 ? store_read_answer(f.store,
	    held, &rec, &cause) : 1;
	ok(got == 0, "and so is an answer");
	if (got == 0)
		journal_record_release(&rec);
	free(cause);
	teardown(&f);
}

/* A hook's time to live closes it, on its timer or at open. */
static void
test_ttl(void)
{
	struct fixture	 f;
	struct hook	*h, *later;
	struct message	*m;

	if (setup(&f, "ttl", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "brief", "{\"ttl_ms\": 30}")) == NULL ||
	    (later = spawn(&f, "later", "{\"ttl_ms\": 3600000}")) == NULL) {
		ok(0, "set up the ttl test");
		teardown(&f);
		return;
	}
	ok(h->expires_at == fake_now + 30 && !h->closed,
	    "a hook with a time to live knows when it expires");
	m = deliver(&f, h, "in time");
	ok(run_until(&f, &h->closed),
	    "its timer closes it when the time is up");
	ok(m->state == MESSAGE_QUEUED && TAILQ_FIRST(&h->queue) == m,
	    "its queued message can still be taken");
	ok(!later->closed, "a hook with time left stays open");
	shut(&f);
	fake_now += 3600000;
	if (!ok(reopen(&f) == 0, "the store reopens an hour later"))
		goto out;
	later = store_find(f.store, "later");
	h = store_find(f.store, "brief");
	ok(later != NULL && later->closed,
	    "a hook whose time ran out while the store was closed is closed "
	    "at open");
	ok(h != NULL && h->closed && h->queued == 1,
	    "a hook closed by its timer stays closed, its message queued");
out:
	teardown(&f);
}

/* Closing: journaled, new requests refused by name, queue kept. */
static void
test_close(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct test_waiter	 a;

	if (setup(&f, "close", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "c", NULL)) == NULL) {
		ok(0, "set up the close test");
		teardown(&f);
		return;
	}
	deliver(&f, h, "before");
	store_close_hook(f.store, h);
	ok(h->closed, "a hook is closed");
	store_close_hook(f.store, h);
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	h = store_find(f.store, "c");
	ok(h != NULL && h->closed && h->queued == 1,
	    "it is still closed after a reopen, its message still queued");
	wait_on(&f, &a, h, NULL, 0);
	ok(a.got != NULL && body_is(&f, a.got, "before"),
	    "and a waiter takes it");
	store_release(f.store, a.got);
out:
	teardown(&f);
}

/*
 * Waiters that end: on closed hooks with nothing queued, pending or
 * leased elsewhere, at once or when the last such message goes.
 */
static void
test_ended(void)
{
	struct fixture		 f;
	struct hook		*h, *h2;
	struct test_waiter	 a, b, c;
	struct message		*m;

	if (setup(&f, "ended", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "e", NULL)) == NULL ||
	    (h2 = spawn(&f, NULL, NULL)) == NULL) {
		ok(0, "set up the ended test");
		teardown(&f);
		return;
	}
	wait_on(&f, &a, h, h2, 0);
	store_close_hook(f.store, h);
	ok(a.ended == 0 && a.w.listed,
	    "a waiter goes on while one of its hooks is open");
	store_close_hook(f.store, h2);
	ok(a.ended == 1 && !a.w.listed && a.calls == 0,
	    "and ends when the last one closes");

	h = spawn(&f, "e", NULL);
	deliver(&f, h, "queued");
	m = receive(&f, h, "pending");
	store_close_hook(f.store, h);
	wait_on(&f, &a, h, NULL, 0);
	ok(a.got != NULL && body_is(&f, a.got, "queued") && a.ended == 0,
	    "a closed hook still gives what is queued");
	wait_on(&f, &b, h, NULL, 0);
	ok(b.ended == 0 && b.w.listed,
	    "a message on its way, or leased elsewhere, keeps a waiter on");
	store_ready(f.store, m);
	ok(b.got == m && b.ended == 0, "the message on its way is handed over");
	wait_on(&f, &c, h, NULL, 0);
	store_take(f.store, a.got);
	ok(c.ended == 0, "a lease still out keeps a waiter on");
	store_release(f.store, b.got);
	ok(c.got == m, "a released message goes to the next waiter");
	store_take(f.store, c.got);
	wait_on(&f, &a, h, NULL, 0);
	ok(a.ended == 1 && !a.w.listed,
	    "with nothing left, a waiter on a closed hook ends at once");
	teardown(&f);
}

/* Retention: old segments go, and their queued messages expire. */
static void
test_retention(void)
{
	struct fixture	 f;
	struct hook	*h;
	struct message	*old;
	uint64_t	 seq, next;
	int		 gone = 0;
	int64_t		 deadline;

	if (setup(&f, "retention", 300) == -1 ||
	    (h = spawn(&f, "kept", NULL)) == NULL) {
		ok(0, "set up the retention test");
		teardown(&f);
		return;
	}
	old = deliver(&f, h, "old");
	seq = old->seq;
	/* Retention rolls, checkpoints, then drops what is past 300 ms. */
	deadline = loop_now() + DEADLINE_MS;
	while (!gone && loop_now() < deadline) {
		loop_run_once(f.loop);
		gone = store_message(f.store, seq) == NULL;
	}
	ok(gone && h->queued == 0 && TAILQ_EMPTY(&h->queue),
	    "a queued message expires with its segment");
	ok(store_find(f.store, "kept") == h && !h->closed,
	    "its hook lives on in the checkpoint");
	next = store_next_seq(f.store);
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	h = store_find(f.store, "kept");
	ok(h != NULL && h->queued == 0 && store_message(f.store, seq) == NULL,
	    "after a reopen the hook is there, the message is not");
	ok(store_next_seq(f.store) >= next,
	    "and sequence numbers go on from the checkpoint");
out:
	teardown(&f);
}

/* Received and sent messages share one counter, across reopens. */
static void
test_seqs(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct message		*r1, *s1, *s2, *r2, *m;
	struct json_object	*o;
	struct journal_record	 rec;
	char			*cause = NULL;
	uint64_t		 last;

	if (setup(&f, "seqs", STORE_RETAIN_DEFAULT_MS) == -1 ||
	    (h = spawn(&f, "s", NULL)) == NULL) {
		ok(0, "set up the seqs test");
		teardown(&f);
		return;
	}
	is_int(store_next_seq(f.store), 1, "a new store starts at 1");
	r1 = deliver(&f, h, "in");
	s1 = sending(&f, "http://example.org/a");
	s2 = sending(&f, "http://example.org/b");
	r2 = deliver(&f, h, "in again");
	ok(r1->seq == 1 && s1->seq == 2 && s2->seq == 3 && r2->seq == 4,
	    "received and sent messages take numbers from one counter");
	store_commit(f.store);
	store_started(f.store, s1);
	store_started(f.store, s2);
	o = json_object_new_object();
	json_object_object_add(o, "status", json_object_new_int(0));
	json_object_object_add(o, "http_status", json_object_new_int(201));
	store_sent(f.store, s1, o, "resp", 4);
	json_object_put(o);
	ok(s1->state == MESSAGE_SENT && s2->state == MESSAGE_SENDING,
	    "a request is sending until its outcome is recorded");
	if (store_read(f.store, s1, &rec, &cause) == 0) {
		ok(rec.body_len == 7 && memcmp(rec.body, "reqresp", 7) == 0 &&
		    proto_int(rec.json, "http_status", 0) == 201 &&
		    proto_int(rec.json, "request_body_len", 0) == 3,
		    "a sent request reads as one record: start and outcome");
		journal_record_release(&rec);
	} else {
		ok(0, "read a sent request: %s", cause);
		free(cause);
	}
	last = store_next_seq(f.store);
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	is_int(store_next_seq(f.store), last,
	    "after a reopen, numbers go on above the highest seen");
	m = store_message(f.store, 2);
	ok(m != NULL && m->hook == NULL && m->state == MESSAGE_SENT,
	    "a request with its outcome is sent");
	m = store_message(f.store, 3);
	ok(m != NULL && m->state == MESSAGE_UNANSWERED,
	    "one that has none is unanswered: the listener stopped");
	m = deliver(&f, store_find(f.store, "s"), "after");
	is_int(m->seq, 5, "the next message takes the next number");
	m = sending(&f, "http://example.org/c");
	is_int(m->seq, 6, "and so does the next request sent");
	store_commit(f.store);
	store_started(f.store, m);
out:
	teardown(&f);
}

/* A journal replay callback for a journal known to be empty. */
static void
ignore_record(const struct journal_record *r, void *arg)
{
	(void)r;
	(void)arg;
}

/* Append a received-message record naming token, without its hook. */
static void
write_orphan(const char *dir, const char *token, int64_t seq)
{
	struct journal		*j;
	struct json_object	*o;
	char			*warning = NULL, *cause = NULL;

	if ((j = journal_open(dir, ignore_record, NULL, &warning,
	    &cause)) == NULL) {
		diag("journal_open: %s", cause);
		free(cause);
		return;
	}
	free(warning);
	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64(seq));
	json_object_object_add(o, "token", json_object_new_string(token));
	json_object_object_add(o, "method", json_object_new_string("POST"));
	json_object_object_add(o, "received_at",
	    json_object_new_int64(fake_now));
	journal_append(j, JOURNAL_MESSAGE_RECEIVED, o, "orphan", 6);
	json_object_put(o);
	if (journal_sync(j, &cause) == -1) {
		diag("journal_sync: %s", cause);
		free(cause);
	}
	journal_close(j);
}

/* A message whose hook's creation record is lost brings the hook back. */
static void
test_recovered(void)
{
	struct fixture		 f;
	struct hook		*h;
	struct test_waiter	 a;
	char			 token[TOKEN_LEN + 1];

	memset(&f, 0, sizeof f);
	xasprintf(&f.dir, "%s/recovered", tmpdir);
	xasprintf(&f.journal, "%s/journal", f.dir);
	f.retain_ms = STORE_RETAIN_DEFAULT_MS;
	if (mkdir(f.dir, 0700) == -1 || token_new(token, sizeof token) == -1) {
		ok(0, "set up the recovered test");
		free(f.journal);
		free(f.dir);
		return;
	}
	write_orphan(f.journal, token, 41);
	f.loop = loop_new();
	if (!ok(reopen(&f) == 0, "a store opens on a journal without the "
	    "hook of its message"))
		goto out;
	h = store_find(f.store, token);
	ok(h != NULL && h->recovered && h->closed && h->queued == 1,
	    "the hook is made again from its message, closed");
	ok(f.warnings != NULL &&
	    strstr(f.warnings, "lost its creation record") != NULL,
	    "and a warning says so");
	is_int(store_next_seq(f.store), 42,
	    "sequence numbers go on above the message's");
	if (h != NULL) {
		wait_on(&f, &a, h, NULL, 0);
		ok(a.got != NULL && a.got->seq == 41 &&
		    body_is(&f, a.got, "orphan"),
		    "its message can still be taken");
		store_take(f.store, a.got);
	}
	shut(&f);
	if (!ok(reopen(&f) == 0, "the store reopens"))
		goto out;
	h = store_find(f.store, token);
	ok(h != NULL && h->recovered && h->queued == 0,
	    "the hook is still recovered, its message taken");
out:
	teardown(&f);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-store.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_spawn();
	test_receive();
	test_loop();
	test_lease();
	test_peek();
	test_reject();
	test_refuse();
	test_ttl();
	test_close();
	test_ended();
	test_retention();
	test_seqs();
	test_recovered();
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
