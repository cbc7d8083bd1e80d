/*
 * Unit tests for applying records another writer of the session wrote
 * (store_apply in listener/store/store.h): two stores in one process,
 * each over a journal of its own, every record one writes applied to the
 * other (store_on_record), as listeners sharing one log will.  Each step
 * checks the applying store: hooks found by token and name, messages
 * queued and offered to its waiters, takes ending its leases, closes
 * ending its waits, refused and sent requests in its timeline, sequence
 * numbers from both writers unique and in order (one that came late goes
 * in its place), the same state after a reopen from its own journal,
 * hostile entries refused with nothing changed, and checkpoints kept to
 * the journal that writes them.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "hook.h"
#include "journal.h"
#include "loop.h"
#include "message.h"
#include "store.h"
#include "store-fixture.h"
#include "tap.h"
#include "token.h"
#include "tree.h"
#include "waiter.h"
#include "xmalloc.h"

/* What one store writes, applied to another. */
struct feed {
	struct store	*to;
	unsigned int	 applied;
	unsigned int	 refused;
};

/* Leases that another writer's takes ended. */
struct lost {
	struct message	*m;
	unsigned int	 n;
};

/* A record callback: apply the record to the other store. */
static void
feed_cb(const struct store_entry *e, void *arg)
{
	struct feed	*fd = arg;
	char		*cause = NULL;

	if (store_apply(fd->to, e, &cause) == 0) {
		fd->applied++;
		return;
	}
	diag("%s", cause);
	free(cause);
	fd->refused++;
}

/* A record callback: count the records. */
static void
count_cb(const struct store_entry *e, void *arg)
{
	(void)e;
	(*(unsigned int *)arg)++;
}

/* A lease-lost callback: remember the message. */
static void
lost_cb(struct message *m, void *arg)
{
	struct lost	*lost = arg;

	lost->m = m;
	lost->n++;
}

/*
 * Describe a store's state, one line per hook and per message, and its
 * next sequence number: what a reopen must rebuild.
 */
static char *
snapshot(struct store *s)
{
	struct buffer	  b;
	struct hook	 *h;
	struct message	**all, *m;
	size_t		  i, n;

	buffer_init(&b);
	TAILQ_FOREACH(h, store_hooks(s), entry)
		buffer_add_line(&b, "hook %s %s closed %d status %d queued "
		    "%llu received %llu", h->token, h->name != NULL ? h->name :
		    "-", h->closed, h->status, (unsigned long long)h->queued,
		    (unsigned long long)h->received);
	all = store_messages(s, &n);
	for (i = 0; i < n; i++) {
		m = all[i];
		buffer_add_line(&b, "message %llu %s state %d refused %d "
		    "answered %d", (unsigned long long)m->seq, m->hook != NULL ?
		    m->hook->token : "-", (int)m->state, m->refused,
		    m->answer != 0);
	}
	buffer_add_line(&b, "next %llu", (unsigned long long)store_next_seq(s));
	return (buffer_detach(&b, NULL));
}

/* Apply a record given as JSON text; return what store_apply does. */
static int
apply_text(struct store *s, enum journal_type type, uint64_t seq,
    const char *json, char **cause)
{
	struct store_entry	e;

	memset(&e, 0, sizeof e);
	e.type = type;
	e.seq = seq;
	e.json = json;
	e.json_len = strlen(json);
	*cause = NULL;
	return (store_apply(s, &e, cause));
}

/* Open two stores, and feed what a writes to b. */
static int
setup_pair(struct fixture *a, struct fixture *b, struct feed *ab,
    const char *name)
{
	char	*an, *bn;
	int	 error;

	xasprintf(&an, "%s-a", name);
	xasprintf(&bn, "%s-b", name);
	error = setup(a, an, STORE_RETAIN_DEFAULT_MS);
	if (error == 0)
		error = setup(b, bn, STORE_RETAIN_DEFAULT_MS);
	free(an);
	free(bn);
	memset(ab, 0, sizeof *ab);
	if (error == 0) {
		ab->to = b->store;
		store_on_record(a->store, feed_cb, ab);
	}
	return (error);
}

/* Take on a the oldest message of hook h, as a waiter there would. */
static struct message *
take_on(struct fixture *a, struct hook *h)
{
	struct test_waiter	tw;

	wait_on(a, &tw, h, NULL, 0);
	if (tw.got == NULL) {
		store_unwait(a->store, &tw.w);
		return (NULL);
	}
	store_take(a->store, tw.got);
	return (tw.got);
}

/* Spawns, received messages and takes on A: B follows each. */
static void
test_follow(void)
{
	struct fixture		 a, b;
	struct feed		 ab;
	struct seen		 seen;
	struct lost		 lost;
	struct test_waiter	 tw, late;
	struct store_stats	 st;
	struct hook		*ha, *hb;
	struct message		*m1, *m2, *mb;
	unsigned int		 written = 0;

	memset(&seen, 0, sizeof seen);
	memset(&lost, 0, sizeof lost);
	if (!ok(setup_pair(&a, &b, &ab, "follow") == 0, "two stores open"))
		goto out;
	store_observe(b.store, observe_cb, &seen);
	store_on_lease_lost(b.store, lost_cb, &lost);
	ha = spawn(&a, "orders", "{\"status\": 202}");
	hb = ha == NULL ? NULL : store_find_token(b.store, ha->token,
	    TOKEN_LEN);
	ok(hb != NULL && hb != ha && store_find(b.store, "orders") == hb &&
	    hb->status == 202 && !hb->closed && hb->created_at ==
	    ha->created_at, "a hook spawned on A is found on B by token and "
	    "by name, with its settings");
	if (hb == NULL)
		goto out;
	wait_on(&b, &tw, hb, NULL, 0);
	m1 = deliver(&a, ha, "first");
	mb = tw.got;
	ok(tw.calls == 1 && mb != NULL && mb->seq == m1->seq &&
	    mb->hook == hb && mb->state == MESSAGE_LEASED,
	    "a message received on A is handed to a waiter on B, leased");
	ok(mb != NULL && body_is(&b, mb, "first"),
	    "B reads its body from its own journal");
	ok(seen.n == 1 && seen.seqs[0] == m1->seq,
	    "B's observers see it join the timeline");
	m2 = deliver(&a, ha, "second");
	store_stats(b.store, &st);
	ok(st.queued == 2 && st.received == 2 &&
	    store_message(b.store, m2->seq)->state == MESSAGE_QUEUED,
	    "with no waiter left, the next is queued on B");
	if (mb == NULL)
		goto out;
	ok(take_on(&a, ha) == m1 && lost.n == 1 && lost.m == mb &&
	    mb->state == MESSAGE_TAKEN && hb->leased == 0 && hb->queued == 1,
	    "a take on A ends the lease a waiter on B held, without delivery");
	store_on_record(b.store, count_cb, &written);
	store_take(b.store, mb);
	store_release(b.store, mb);
	ok(written == 0 && mb->state == MESSAGE_TAKEN,
	    "that waiter's take or release afterwards does nothing");
	ok(take_on(&a, ha) == m2 && store_message(b.store, m2->seq)->state ==
	    MESSAGE_TAKEN && hb->queued == 0 && lost.n == 1,
	    "a take on A of a message queued on B dequeues it there");
	wait_on(&b, &late, hb, NULL, 0);
	ok(late.calls == 0, "so a waiter on B gets nothing");
	store_unwait(b.store, &late.w);
	ok(ab.refused == 0 && ab.applied == 5 && written == 0,
	    "B applied every record A wrote, and wrote none of its own");
out:
	teardown(&a);
	teardown(&b);
}

/* Refused, sent and answered requests, a close, and a reopen of B. */
static void
test_timeline(void)
{
	struct fixture		 a, b;
	struct feed		 ab;
	struct test_waiter	 tw;
	struct journal_record	 rec;
	struct json_object	*o;
	struct hook		*ha, *hb;
	struct message		*m, *mb;
	char			*cause = NULL, *sa, *sb, *again;

	if (!ok(setup_pair(&a, &b, &ab, "timeline") == 0, "two stores open"))
		goto out;
	if ((ha = spawn(&a, "jobs", NULL)) == NULL)
		goto out;
	hb = store_find_token(b.store, ha->token, TOKEN_LEN);
	o = json_tokener_parse("{\"status\": 413, \"reason\": \"too large\", "
	    "\"method\": \"POST\", \"path\": \"/\"}");
	json_object_object_add(o, "token", json_object_new_string(ha->token));
	store_refuse(a.store, ha, o);
	json_object_put(o);
	store_commit(a.store);
	mb = store_message(b.store, store_next_seq(a.store) - 1);
	ok(mb != NULL && mb->refused && mb->state == MESSAGE_REFUSED &&
	    mb->hook == hb && hb->queued == 0,
	    "a request refused on A joins B's timeline, never a queue");
	m = sending(&a, "http://example.org/");
	store_commit(a.store);
	store_started(a.store, m);
	mb = store_message(b.store, m->seq);
	ok(mb != NULL && mb->hook == NULL && mb->state == MESSAGE_SENDING,
	    "a request A sends is under way on B");
	o = json_tokener_parse("{\"status\": 0, \"http_status\": 200}");
	store_sent(a.store, m, o, "resp", 4);
	json_object_put(o);
	ok(mb != NULL && mb->state == MESSAGE_SENT && body_is(&b, mb,
	    "reqresp"), "its outcome completes it on B, read as one record");
	m = deliver(&a, ha, "held");
	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	json_object_object_add(o, "token", json_object_new_string(ha->token));
	json_object_object_add(o, "outcome", json_object_new_string("replied"));
	store_answered(a.store, o, "ok", 2);
	json_object_put(o);
	mb = store_message(b.store, m->seq);
	ok(mb != NULL && store_read_answer(b.store, mb, &rec, &cause) == 0 &&
	    rec.body_len == 2 && memcmp(rec.body, "ok", 2) == 0,
	    "how A answered a held request is read on B");
	if (mb != NULL && mb->answer != 0)
		journal_record_release(&rec);
	free(cause);
	take_on(&a, ha);
	wait_on(&b, &tw, hb, NULL, 0);
	store_close_hook(a.store, ha);
	ok(hb->closed && tw.ended == 1 && tw.calls == 0,
	    "a close on A closes the hook on B and ends its waits");
	store_commit(a.store);
	sa = snapshot(a.store);
	sb = snapshot(b.store);
	is_str(sb, sa, "B's state is A's");
	shut(&b);
	if (reopen(&b) == 0) {
		again = snapshot(b.store);
		is_str(again, sb, "B reopened from its journal has it again");
		free(again);
	}
	free(sa);
	free(sb);
	ok(ab.refused == 0, "no record was refused");
out:
	teardown(&a);
	teardown(&b);
}

/* Tell whether a store's messages are in strictly increasing seq order. */
static int
in_order(struct store *s)
{
	struct message	**all;
	size_t		  i, n;

	all = store_messages(s, &n);
	for (i = 1; i < n; i++) {
		if (all[i - 1]->seq >= all[i]->seq)
			return (0);
	}
	return (1);
}

/* Two writers, each applying the other's: one timeline, in order. */
static void
test_interleave(void)
{
	struct fixture	 a, b;
	struct feed	 ab, ba;
	struct hook	*ha, *hb;
	struct message	**all, *sent = NULL;
	char		*sa, *sb;
	size_t		 n, i;

	if (!ok(setup_pair(&a, &b, &ab, "interleave") == 0,
	    "two stores open"))
		goto out;
	memset(&ba, 0, sizeof ba);
	ba.to = a.store;
	store_on_record(b.store, feed_cb, &ba);
	ha = spawn(&a, "x", NULL);
	hb = ha == NULL ? NULL : store_find_token(b.store, ha->token,
	    TOKEN_LEN);
	if (hb == NULL)
		goto out;
	for (i = 0; i < 8; i++) {
		if (i % 2 == 0)
			deliver(&a, ha, "from a");
		else if (i % 3 == 0)
			sent = sending(&b, "http://example.org/");
		else
			deliver(&b, hb, "from b");
	}
	/* A's copy is under way at once, B's own once durable. */
	store_commit(b.store);
	if (sent != NULL)
		store_started(b.store, sent);
	all = store_messages(b.store, &n);
	ok(n == 8 && in_order(b.store) && in_order(a.store) &&
	    all[n - 1]->seq + 1 == store_next_seq(b.store) &&
	    store_next_seq(a.store) == store_next_seq(b.store),
	    "seqs from both writers are unique and in order on each");
	sa = snapshot(a.store);
	sb = snapshot(b.store);
	is_str(sb, sa, "both have the same state");
	free(sa);
	free(sb);
	ok(ab.refused == 0 && ba.refused == 0, "no record was refused");
out:
	teardown(&a);
	teardown(&b);
}

/* Print a received record's JSON for hook token (without a seq). */
static char *
received_json(const char *token)
{
	char	*json;

	xasprintf(&json, "{\"method\":\"POST\",\"path\":\"/\",\"query\":\"\","
	    "\"headers\":[],\"remote\":\"\",\"received_at\":1,\"token\":\"%s\"}",
	    token);
	return (json);
}

/* A seq that came late goes in its place; the counter stays above. */
static void
test_late(void)
{
	struct fixture		 f;
	struct test_waiter	 tw;
	struct message		**all, *m;
	struct hook		*h;
	char			*json, *cause, *before, *again;
	size_t			 n;
	int			 rc;

	if (!ok(setup(&f, "late", STORE_RETAIN_DEFAULT_MS) == 0,
	    "a store opens") || (h = spawn(&f, NULL, NULL)) == NULL) {
		teardown(&f);
		return;
	}
	json = received_json(h->token);
	rc = apply_text(f.store, JOURNAL_MESSAGE_RECEIVED, 10, json, &cause);
	free(cause);
	ok(rc == 0 && store_next_seq(f.store) == 11,
	    "an entry's seq raises the counter above it");
	rc = apply_text(f.store, JOURNAL_MESSAGE_RECEIVED, 7, json, &cause);
	free(cause);
	m = deliver(&f, h, "local");
	all = store_messages(f.store, &n);
	ok(rc == 0 && n == 3 && all[0]->seq == 7 && all[1]->seq == 10 &&
	    all[2] == m && m->seq == 11 && store_next_seq(f.store) == 12,
	    "one below those indexed goes in its place; the next local one "
	    "is above all");
	wait_on(&f, &tw, h, NULL, 0);
	ok(tw.got == all[0], "a waiter gets the oldest first");
	store_release(f.store, tw.got);
	before = snapshot(f.store);
	shut(&f);
	if (reopen(&f) == 0) {
		again = snapshot(f.store);
		is_str(again, before, "a reopen rebuilds the same order");
		free(again);
	}
	free(before);
	free(json);
	teardown(&f);
}

/* One hostile entry: refused, naming why. */
static void
refuse(struct store *s, enum journal_type type, uint64_t seq,
    const char *json, const char *why, const char *name)
{
	char	*cause;
	int	 rc;

	rc = apply_text(s, type, seq, json, &cause);
	if (!ok(rc == -1 && cause != NULL && strstr(cause, why) != NULL,
	    "%s", name))
		diag("cause: %s", cause != NULL ? cause : "(none)");
	free(cause);
}

/* Hostile entries are refused with a cause, and change nothing. */
static void
test_hostile(void)
{
	struct fixture		 a, b;
	struct feed		 ab;
	struct store_stats	 st0, st1;
	struct hook		*ha;
	struct message		*m;
	char			 stranger[TOKEN_LEN + 1], *json, *cut, *before;
	char			*after, *seq5;

	if (!ok(setup_pair(&a, &b, &ab, "hostile") == 0, "two stores open") ||
	    (ha = spawn(&a, "h", NULL)) == NULL)
		goto out;
	m = deliver(&a, ha, "one");
	store_commit(b.store);
	before = snapshot(b.store);
	store_stats(b.store, &st0);
	json = received_json(ha->token);
	refuse(b.store, JOURNAL_MESSAGE_RECEIVED, m->seq, json,
	    "another message's", "an entry with a seq already indexed");
	token_new(stranger, sizeof stranger);
	free(json);
	json = received_json(stranger);
	refuse(b.store, JOURNAL_MESSAGE_RECEIVED, m->seq + 1, json,
	    "hook is unknown", "an entry for an unknown hook");
	refuse(b.store, JOURNAL_HOOK_CLOSED, 0, "{\"token\":\"nope\"}",
	    "hook is unknown", "a close of an unknown hook");
	free(json);
	json = received_json(ha->token);
	cut = xstrndup(json, strlen(json) / 2);
	refuse(b.store, JOURNAL_MESSAGE_RECEIVED, m->seq + 1, cut,
	    "truncated", "a truncated record");
	refuse(b.store, JOURNAL_MESSAGE_RECEIVED, 0, json, "no seq",
	    "a received entry without a seq");
	xasprintf(&seq5, "{\"seq\":5,\"method\":\"GET\",\"url\":\"http://x/\"}");
	refuse(b.store, JOURNAL_MESSAGE_SENDING, 6, seq5, "says seq 5",
	    "an entry whose record names another seq");
	refuse(b.store, JOURNAL_MESSAGE_TAKEN, 0, "{\"seq\":999}",
	    "no received message", "a take of an unknown message");
	refuse(b.store, JOURNAL_CHECKPOINT, 0, "{\"seq\":999}",
	    "checkpoint", "a checkpoint");
	refuse(b.store, JOURNAL_HOOK_CREATED, 0, "[1]", "not a JSON object",
	    "a record that is not an object");
	refuse(b.store, 42, 0, "{}", "type is unknown", "an unknown type");
	after = snapshot(b.store);
	store_stats(b.store, &st1);
	is_str(after, before, "B's state is unchanged");
	ok(st1.journal_appended == st0.journal_appended,
	    "and nothing was written to its journal");
	free(after);
	free(before);
	free(seq5);
	free(cut);
	free(json);
out:
	teardown(&a);
	teardown(&b);
}

/* A checkpoint restates what is known: no news for the other writers. */
static void
test_checkpoint(void)
{
	struct fixture		 f;
	struct store_stats	 st;
	struct hook		*h;
	uint64_t		 appended;
	int64_t			 deadline;
	unsigned int		 written = 0;

	if (setup(&f, "checkpoint", 300) == -1 ||
	    (h = spawn(&f, "kept", NULL)) == NULL) {
		ok(0, "set up the checkpoint test");
		teardown(&f);
		return;
	}
	store_on_record(f.store, count_cb, &written);
	deliver(&f, h, "old");
	store_stats(f.store, &st);
	appended = st.journal_appended;
	/* Retention rolls to a new segment, which starts with a checkpoint. */
	deadline = loop_now() + DEADLINE_MS;
	while (st.journal_appended < appended + 2 && loop_now() < deadline) {
		loop_run_once(f.loop);
		store_stats(f.store, &st);
	}
	ok(st.journal_appended >= appended + 2 && written == 1,
	    "a checkpoint's records are not told to store_on_record");
	teardown(&f);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-store-apply.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_follow();
	test_timeline();
	test_interleave();
	test_late();
	test_hostile();
	test_checkpoint();
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
