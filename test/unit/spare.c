/*
 * Unit tests for spare hooks (listener/store/spare.c), linked with the
 * store and lib/ only: a plain spawn is handed a hook whose token is
 * durable already, one with an option is not; a spare is in no list
 * until handed out; a spare handed out just before a crash (its claim
 * never durable) is not listed after it, is found by its token, and is an
 * ordinary hook from then on, across reopens; a stop withdraws the spare
 * not handed out, so none piles up; a hook handed out keeps the time it
 * was handed out across a reopen.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "hook.h"
#include "store-fixture.h"
#include "store-private.h"
#include "tree.h"

/* A spawn as plain `fish spawn` asks it: the request's own fields only. */
#define PLAIN	"{\"v\": 1, \"cmd\": \"spawn\"}"

/* Count the hooks the store lists. */
static size_t
listed(struct store *s)
{
	struct hook	*h;
	size_t		 n = 0;

	TAILQ_FOREACH(h, store_hooks(s), entry)
		n++;
	return (n);
}

/* A plain spawn gets the spare at once; one with options waits. */
static void
test_plain_and_options(void)
{
	struct fixture	 f;
	struct store	*s;
	struct hook	*a, *b, *c;

	if (setup(&f, "plain", STORE_RETAIN_DEFAULT_MS) == -1) {
		ok(0, "open the store");
		teardown(&f);
		return;
	}
	s = f.store;
	a = spawn(&f, NULL, PLAIN);
	ok(a != NULL && !a->token_durable && listed(s) == 1,
	    "the first plain spawn makes its own hook, and a spare, not listed");
	store_commit(s);
	a = spawn(&f, NULL, PLAIN);
	ok(a != NULL && a->token_durable && listed(s) == 2,
	    "once the spare is durable, a plain spawn is handed it, durable "
	    "already, and it is listed");
	b = spawn(&f, NULL, PLAIN);
	ok(b != NULL && b != a && !b->token_durable,
	    "the next spare is not durable before a sync: that spawn waits");
	store_commit(s);
	c = spawn(&f, NULL, "{\"v\": 1, \"cmd\": \"spawn\", \"status\": 202}");
	ok(c != NULL && !c->token_durable && c->status == 202,
	    "a spawn with an option makes its own hook and waits for it");
	c = spawn(&f, "named", PLAIN);
	ok(c != NULL && !c->token_durable && c->name != NULL,
	    "so does a spawn with a name");
	ok(listed(s) == 5, "every hook handed out is listed, the spare not");
	teardown(&f);
}

/*
 * A spare handed out, then a crash before its claim is durable: after
 * the reopen it is not listed, but naming its token finds it, and it is an
 * ordinary hook from then on.
 */
static void
test_crash(void)
{
	struct fixture	 f;
	struct hook	*h, *a, *b;
	char		 token[TOKEN_LEN + 1];

	if (setup(&f, "crash", STORE_RETAIN_DEFAULT_MS) == -1) {
		ok(0, "open the store");
		teardown(&f);
		return;
	}
	/* The first plain spawn makes the spare, the second is handed it. */
	spawn(&f, NULL, PLAIN);
	store_commit(f.store);
	if ((h = spawn(&f, NULL, PLAIN)) == NULL || !h->token_durable) {
		ok(0, "spawn");
		teardown(&f);
		return;
	}
	memcpy(token, h->token, sizeof token);
	/* The crash: what was appended since the last sync is lost. */
	store_close(f.store);
	if (reopen(&f) == -1) {
		ok(0, "reopen the store");
		teardown(&f);
		return;
	}
	ok(listed(f.store) == 1,
	    "after the crash the hook handed out is not listed");
	a = spawn(&f, NULL, PLAIN);
	store_commit(f.store);
	b = spawn(&f, NULL, PLAIN);
	ok(a != NULL && b != NULL && b->token_durable &&
	    strcmp(a->token, token) != 0 && strcmp(b->token, token) != 0,
	    "and it is never handed out again");
	h = store_find_token(f.store, token, TOKEN_LEN);
	ok(h != NULL && !h->closed && listed(f.store) == 4,
	    "its token finds it, open, and lists it from then on");
	shut(&f);
	if (reopen(&f) == -1) {
		ok(0, "reopen the store");
		teardown(&f);
		return;
	}
	ok(listed(f.store) == 4 && store_find(f.store, token) != NULL,
	    "and it stays an ordinary hook across a reopen");
	teardown(&f);
}

/*
 * Stops withdraw the spare not handed out, so restarts leave none; the
 * hook a spare became keeps its hand-out time across a reopen.
 */
static void
test_stop(void)
{
	struct fixture	 f;
	struct hook	*h;
	char		 token[TOKEN_LEN + 1];
	int		 i;

	if (setup(&f, "stop", STORE_RETAIN_DEFAULT_MS) == -1) {
		ok(0, "open the store");
		teardown(&f);
		return;
	}
	for (i = 0; i < 3; i++) {
		spawn(&f, NULL, PLAIN);
		store_withdraw_spare(f.store);
		shut(&f);
		if (reopen(&f) == -1)
			break;
	}
	ok(f.store != NULL && f.store->nspares == 0 && listed(f.store) == 3,
	    "three stops after plain spawns leave no spare behind");
	if (f.store == NULL) {
		teardown(&f);
		return;
	}
	spawn(&f, NULL, PLAIN);
	store_commit(f.store);
	fake_now += 3600 * 1000;
	h = spawn(&f, NULL, PLAIN);
	ok(h != NULL && h->token_durable && h->created_at == fake_now &&
	    h->hold_timeout_ms == HOOK_HOLD_TIMEOUT_MS,
	    "a spare handed out an hour after it was made is created then, "
	    "with the default settings");
	if (h == NULL) {
		teardown(&f);
		return;
	}
	memcpy(token, h->token, sizeof token);
	shut(&f);
	if (reopen(&f) == -1) {
		ok(0, "reopen the store");
		teardown(&f);
		return;
	}
	h = store_find_token(f.store, token, TOKEN_LEN);
	ok(h != NULL && h->created_at == fake_now,
	    "and keeps that time across a reopen");
	teardown(&f);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-spare.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_plain_and_options();
	test_crash();
	test_stop();
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
