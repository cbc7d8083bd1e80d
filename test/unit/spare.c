/*
 * Unit tests for spare hooks (listener/store/spare.c), linked with the
 * store and lib/ only: a plain spawn is handed a hook whose token is
 * durable already, one with an option is not; a spare is in no list
 * until handed out; a spare handed out just before a crash (its claim
 * never durable) is not listed after it, is found by its token, and is an
 * ordinary hook from then on, across reopens.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hook.h"
#include "loop.h"
#include "store.h"
#include "tap.h"
#include "tree.h"
#include "xmalloc.h"

static char	*tmpdir;

/* Open the store of directory dir (made if need be), or NULL. */
static struct store *
open_store(const char *dir, struct loop *loop)
{
	struct store_config	 config;
	struct store		*s;
	char			*journal, *warnings = NULL, *cause = NULL;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return (NULL);
	xasprintf(&journal, "%s/journal", dir);
	memset(&config, 0, sizeof config);
	config.journal_dir = journal;
	config.session_dir = dir;
	config.loop = loop;
	config.retain_ms = STORE_RETAIN_DEFAULT_MS;
	if ((s = store_open(&config, &warnings, &cause)) == NULL)
		diag("store_open: %s", cause);
	free(cause);
	free(warnings);
	free(journal);
	return (s);
}

/* Spawn as `fish spawn` asks: the request's fields, and maybe options. */
static struct hook *
spawn(struct store *s, const char *name, const char *json)
{
	struct json_object	*request;
	struct hook		*h;
	char			*cause = NULL;

	request = json_tokener_parse(json);
	h = store_spawn(s, name, request, NULL, 0, &cause);
	if (h == NULL)
		diag("spawn: %s", cause);
	free(cause);
	json_object_put(request);
	return (h);
}

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
test_plain_and_options(struct loop *loop)
{
	struct store	*s;
	struct hook	*a, *b, *c;
	char		*dir;

	xasprintf(&dir, "%s/plain", tmpdir);
	if ((s = open_store(dir, loop)) == NULL) {
		ok(0, "open the store");
		free(dir);
		return;
	}
	a = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	ok(a != NULL && !a->token_durable && listed(s) == 1,
	    "the first plain spawn makes its own hook, and a spare, not listed");
	store_commit(s);
	a = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	ok(a != NULL && a->token_durable && listed(s) == 2,
	    "once the spare is durable, a plain spawn is handed it, durable "
	    "already, and it is listed");
	b = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	ok(b != NULL && b != a && !b->token_durable,
	    "the next spare is not durable before a sync: that spawn waits");
	store_commit(s);
	c = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\", \"status\": 202}");
	ok(c != NULL && !c->token_durable && c->status == 202,
	    "a spawn with an option makes its own hook and waits for it");
	c = spawn(s, "named", "{\"v\": 1, \"cmd\": \"spawn\"}");
	ok(c != NULL && !c->token_durable && c->name != NULL,
	    "so does a spawn with a name");
	ok(listed(s) == 5, "every hook handed out is listed, the spare not");
	store_commit(s);
	store_close(s);
	free(dir);
}

/*
 * A spare handed out, then a crash before its claim is durable: after
 * the reopen it is not listed, but naming its token finds it, and it is an
 * ordinary hook from then on.
 */
static void
test_crash(struct loop *loop)
{
	struct store	*s;
	struct hook	*h, *a, *b;
	char		*dir, token[TOKEN_LEN + 1];

	xasprintf(&dir, "%s/crash", tmpdir);
	if ((s = open_store(dir, loop)) == NULL) {
		ok(0, "open the store");
		free(dir);
		return;
	}
	/* The first plain spawn makes the spare, the second is handed it. */
	spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	store_commit(s);
	if ((h = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}")) == NULL ||
	    !h->token_durable) {
		ok(0, "spawn");
		store_close(s);
		free(dir);
		return;
	}
	memcpy(token, h->token, sizeof token);
	/* The crash: what was appended since the last sync is lost. */
	store_close(s);
	if ((s = open_store(dir, loop)) == NULL) {
		ok(0, "reopen the store");
		free(dir);
		return;
	}
	ok(listed(s) == 1, "after the crash the hook handed out is not listed");
	a = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	store_commit(s);
	b = spawn(s, NULL, "{\"v\": 1, \"cmd\": \"spawn\"}");
	ok(a != NULL && b != NULL && b->token_durable &&
	    strcmp(a->token, token) != 0 && strcmp(b->token, token) != 0,
	    "and it is never handed out again");
	h = store_find_token(s, token, TOKEN_LEN);
	ok(h != NULL && !h->closed && listed(s) == 4,
	    "its token finds it, open, and lists it from then on");
	store_commit(s);
	store_close(s);
	if ((s = open_store(dir, loop)) == NULL) {
		ok(0, "reopen the store");
		free(dir);
		return;
	}
	ok(listed(s) == 4 && store_find(s, token) != NULL,
	    "and it stays an ordinary hook across a reopen");
	store_commit(s);
	store_close(s);
	free(dir);
}

/* Run every case and print the plan. */
int
main(void)
{
	char		 template[] = "/tmp/fish-unit-spare.XXXXXX";
	struct loop	*loop;

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	loop = loop_new();
	test_plain_and_options(loop);
	test_crash(loop);
	loop_free(loop);
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
