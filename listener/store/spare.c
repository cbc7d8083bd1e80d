/*
 * Spare hooks: a hook made durable before anyone asks for it, so that a
 * plain `fish spawn` (no name, no option) is answered without waiting for
 * an fdatasync of its own.  A URL handed out must survive a crash, and the
 * spare's token is on disk before it is handed out; only its claim, the
 * hook record that makes it an ordinary hook, is written after the
 * answer, and the next spare with it.
 *
 * A spare is in the token table but not in the hook list: it is not in
 * ls, status, the timeline or --idle-exit's count of open hooks.  A stop
 * withdraws the spare not handed out (a type-10 record with "withdrawn"),
 * so that none is left over.  A crash between an answer and the claim's
 * sync leaves a spare that may have been handed out: it is never handed
 * out again (the spare to hand out is made anew after every start), and
 * the first time anything names its token (a request to its URL, a wait,
 * a close) it is claimed and becomes an ordinary hook, as if the claim had
 * been durable all along.  Such spares are kept, at most one per crash,
 * like every hook (checkpoints repeat them).
 *
 * The first spare is made by the first plain spawn after a start (which
 * takes the ordinary way), so that a listener nobody asks for a plain
 * hook writes nothing at start.
 *
 * Records: type 10 (hook spare) makes one; the hook record (type 1) of its
 * token claims it.  Readers that do not know type 10 see only the claimed
 * hooks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "journal.h"
#include "log.h"
#include "proto.h"
#include "store-private.h"
#include "xmalloc.h"

/* The spare's record is durable: the next plain spawn may hand it out. */
static void
spare_synced(void *arg)
{
	struct hook	*h = arg;

	if (h->spare && h->store->spare == h)
		h->token_durable = 1;
}

/* Journal a spare's record (type 10), or its withdrawal. */
static void
spare_journal(struct store *s, const struct hook *h, int withdrawn)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "token", json_object_new_string(h->token));
	json_object_object_add(o, "created_at",
	    json_object_new_int64(h->created_at));
	if (withdrawn)
		json_object_object_add(o, "withdrawn",
		    json_object_new_boolean(1));
	store_append(s, JOURNAL_HOOK_SPARE, 0, o, NULL, 0);
	json_object_put(o);
}

/*
 * Make the spare the next plain spawn hands out, journaled; it may be
 * handed out once its record is durable.  Without a token (getrandom
 * failed) there is no spare, and spawns take the ordinary way.
 */
void
spare_make(struct store *s)
{
	char	 token[TOKEN_LEN + 1];

	do {
		if (token_new(token, sizeof token) == -1) {
			log_warnx("cannot make a spare hook: getrandom failed");
			return;
		}
	} while (hook_find_token(s, token, TOKEN_LEN) != NULL);
	s->spare = spare_insert(s, token, s->clock());
	spare_journal(s, s->spare, 0);
	store_after_sync(s, spare_synced, s->spare);
}

/* Add a spare to memory (made now, or from its record). */
struct hook *
spare_insert(struct store *s, const char *token, int64_t created_at)
{
	struct hook	*h;

	h = hook_new(s, token, NULL, created_at);
	/* A plain spawn's settings: the defaults. */
	hook_settings_load(s, h, NULL, NULL, 0);
	h->spare = 1;
	TAILQ_INSERT_TAIL(&s->spares, h, entry);
	s->nspares++;
	hook_add_index(s, h);
	return (h);
}

/*
 * Make a spare an ordinary hook: in the hook list from now, and with
 * journal, journaled as one (without, when a record being replayed or
 * applied names it: that record is in the journal already).  The spare to
 * hand out next is made at once.
 */
void
spare_claim(struct store *s, struct hook *h, int journal)
{
	int	was_next = s->spare == h;

	TAILQ_REMOVE(&s->spares, h, entry);
	s->nspares--;
	h->spare = 0;
	h->serial = ++s->hook_serial;
	TAILQ_INSERT_TAIL(&s->hooks, h, entry);
	s->nhooks++;
	if (was_next)
		s->spare = NULL;
	if (!journal)
		return;
	hook_journal(s, h);
	if (was_next)
		spare_make(s);
}

/*
 * Hand out the spare to a spawn whose request (settings, the spawn
 * request's fields, and body) asks for nothing but a hook: no name, no
 * option, no body.  Return the hook, claimed, with token_durable set; or
 * NULL when the spawn must make its own (an option given, no spare yet, or
 * the spare not yet durable).
 */
struct hook *
spare_take(struct store *s, struct json_object *settings, size_t len)
{
	struct hook	*h = s->spare;

	if (len != 0)
		return (NULL);
	if (settings != NULL) {
		json_object_object_foreach(settings, key, value) {
			(void)value;
			/* Only the request's own fields: see proto_request. */
			if (strcmp(key, "v") != 0 && strcmp(key, "cmd") != 0)
				return (NULL);
		}
	}
	if (h == NULL) {
		/* The first plain spawn since the start: the next one's. */
		spare_make(s);
		return (NULL);
	}
	if (!h->token_durable)
		return (NULL);
	h->created_at = s->clock();
	spare_claim(s, h, 1);
	return (h);
}

/* Journal every spare not yet claimed (a checkpoint). */
void
spare_checkpoint(struct store *s)
{
	struct hook	*h;

	TAILQ_FOREACH(h, &s->spares, entry)
		spare_journal(s, h, 0);
}

/*
 * Forget a spare never handed out: out of the token table, kept in memory
 * until the store closes (a sync callback may still name it).
 */
void
spare_forget(struct store *s, struct hook *h)
{
	TAILQ_REMOVE(&s->spares, h, entry);
	s->nspares--;
	hook_unindex_token(s, h);
	h->spare = 0;
	TAILQ_INSERT_TAIL(&s->retired, h, entry);
	if (s->spare == h)
		s->spare = NULL;
}

/*
 * The listener stops: withdraw the spare not handed out, journaled, so
 * that the next start does not keep it as one that may have been.
 */
void
store_withdraw_spare(struct store *s)
{
	struct hook	*h = s->spare;

	if (h == NULL)
		return;
	spare_journal(s, h, 1);
	spare_forget(s, h);
}
