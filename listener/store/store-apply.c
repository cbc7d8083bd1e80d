/*
 * Applying a record another writer of the session wrote (store_apply in
 * store.h): the listeners of one session share one ordered log of
 * records, and each keeps the state of all of it by applying the others'
 * records, live, as they come.
 *
 * The record is checked first, against the same decoder replay uses
 * (store_rebuild with REBUILD_CHECK), so that one that does not fit is
 * refused with nothing changed: memory, journal and counter.  Then it is
 * appended to the local journal (a cache of the log: store_read reads
 * bodies there, and a reopened store replays it; how often it must be
 * synced is for the backend that owns the log to say), rebuilt into
 * memory as replay would, and given the effects a record of this store's
 * own has when it happens: observers are told, a message is offered to
 * waiters, waits end, timers are armed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "journal.h"
#include "jsonptr.h"
#include "log.h"
#include "proto.h"
#include "secrets.h"
#include "store-private.h"
#include "xmalloc.h"

/* Tell whether a record of this type takes a sequence number. */
static int
store_apply_numbered(enum journal_type type)
{
	return (type == JOURNAL_MESSAGE_RECEIVED ||
	    type == JOURNAL_MESSAGE_SENDING ||
	    type == JOURNAL_REQUEST_REFUSED);
}

/*
 * Another writer closed hook h: it stops here too, and its secret, if
 * it verifies, leaves this store's secrets.
 */
static void
store_apply_closed(struct store *s, struct hook *h)
{
	char	*cause = NULL;

	hook_closed(s, h);
	if (h->verify != NULL &&
	    secrets_remove(s->secrets, h->token, &cause) == -1) {
		log_warnx("%s", cause);
		free(cause);
	}
}

/*
 * A hook record was applied: a hook it closes stops, one open gets its
 * secret, if this store has it (else it rejects every request, which is
 * safe), and its time to live.
 */
static void
store_apply_hook(struct store *s, const struct rebuild *rb)
{
	struct hook	*h = rb->hook;

	if (h->closed) {
		if (!rb->was_closed)
			store_apply_closed(s, h);
		return;
	}
	if (h->verify != NULL)
		hook_attach_secret(s, h);
	hook_arm(s, h);
}

/*
 * A take was applied: a message leased here lost its lease (the waiter
 * holding it must not deliver it); waits on a closed hook may end.
 */
static void
store_apply_taken(struct store *s, const struct rebuild *rb)
{
	struct message	*m = rb->message;

	if (rb->was == MESSAGE_TAKEN)
		return;
	if (rb->was == MESSAGE_LEASED && s->on_lease_lost != NULL)
		s->on_lease_lost(m, s->on_lease_lost_arg);
	waiter_hook_changed(s, m->hook);
}

/* Give an applied record the effects of one of this store's own. */
static void
store_apply_effects(struct store *s, const struct rebuild *rb)
{
	struct message	*m = rb->message;

	switch (rb->record->type) {
	case JOURNAL_HOOK_CREATED:
		store_apply_hook(s, rb);
		break;
	case JOURNAL_HOOK_CLOSED:
		if (!rb->was_closed)
			store_apply_closed(s, rb->hook);
		break;
	case JOURNAL_MESSAGE_RECEIVED:
		if (m->state == MESSAGE_QUEUED)
			message_offer(s, m);
		else {
			store_notify(s, m);
			waiter_hook_changed(s, m->hook);
		}
		break;
	case JOURNAL_MESSAGE_TAKEN:
		store_apply_taken(s, rb);
		break;
	case JOURNAL_MESSAGE_SENDING:
		/*
		 * Under way at its writer, not unanswered as in replay: if
		 * the writer died, its next life records that
		 * (store-redis-apply.c).
		 */
		m->state = MESSAGE_SENDING;
		store_notify(s, m);
		break;
	case JOURNAL_MESSAGE_SENT:
	case JOURNAL_MESSAGE_ANSWERED:
	case JOURNAL_REQUEST_REFUSED:
		store_notify(s, m);
		break;
	case JOURNAL_CHECKPOINT:
	case JOURNAL_HOOK_SPARE:
		/* Another writer's spare is only a token to know. */
		break;
	}
}

/*
 * Parse an entry's record into an object with the "seq" the log gave it
 * (see struct store_entry), or return NULL with *cause.
 */
static struct json_object *
store_apply_parse(const struct store_entry *e, char **cause)
{
	struct json_object	*o;
	char			*why = NULL;
	int64_t			 seq;

	if ((o = jsonptr_parse(e->json, e->json_len, &why)) == NULL) {
		xasprintf(cause, "truncated or damaged record (%s)", why);
		free(why);
		return (NULL);
	}
	if (!json_object_is_type(o, json_type_object)) {
		*cause = xstrdup("its record is not a JSON object");
		goto fail;
	}
	if (!store_apply_numbered(e->type))
		return (o);
	if (e->seq == 0 || e->seq > INT64_MAX) {
		*cause = xstrdup("it has no seq");
		goto fail;
	}
	seq = proto_int(o, "seq", -1);
	if (seq != -1 && (uint64_t)seq != e->seq) {
		xasprintf(cause, "its record says seq %lld", (long long)seq);
		goto fail;
	}
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)e->seq));
	return (o);
fail:
	json_object_put(o);
	return (NULL);
}

/*
 * Tell whether record o (a hook's creation) is a restatement (a
 * checkpoint in the log, store-retain.c, or a secret given again) of a
 * hook this store knows: it changes nothing here, where a close may have
 * come after it was made, but that an open hook missing its secret looks
 * for it again.
 */
static int
store_apply_restated(struct store *s, struct json_object *o)
{
	const char	*token = proto_string(o, "token");
	struct hook	*h;

	if (!proto_bool(o, "restated") || token == NULL)
		return (0);
	h = hook_find_token(s, token, strlen(token));
	if (h == NULL || h->spare)
		return (0);
	if (!h->closed && h->verify != NULL && h->sigspec == NULL)
		hook_attach_secret(s, h);
	return (1);
}

/*
 * Apply entry e, another writer's record of this session, in the log's
 * order: return 0, or -1 with *cause (naming the record) when it does not
 * fit, in which case nothing changed.  A restatement of a hook known is
 * passed by.
 */
int
store_apply(struct store *s, const struct store_entry *e, char **cause)
{
	struct journal_record	 r;
	struct rebuild		 rb;
	char			*why = NULL;

	memset(&r, 0, sizeof r);
	memset(&rb, 0, sizeof rb);
	if ((r.json = store_apply_parse(e, &why)) == NULL)
		goto fail;
	if (e->type == JOURNAL_HOOK_CREATED &&
	    store_apply_restated(s, r.json)) {
		json_object_put(r.json);
		return (0);
	}
	r.type = e->type;
	r.body = e->body;
	r.body_len = e->body_len;
	rb.store = s;
	rb.record = &r;
	rb.flags = REBUILD_LIVE | REBUILD_CHECK;
	if (store_rebuild(&rb) == -1) {
		why = xstrdup(rb.why);
		goto fail;
	}
	r.offset = journal_append(s->journal, e->type, r.json, e->body,
	    e->body_len);
	rb.flags = REBUILD_LIVE;
	if (store_rebuild(&rb) == -1)
		fatalx("record type %d: checked, then %s", e->type, rb.why);
	store_apply_effects(s, &rb);
	json_object_put(r.json);
	return (0);
fail:
	xasprintf(cause, "cannot apply record type %d (seq %llu): %s",
	    (int)e->type, (unsigned long long)e->seq, why);
	free(why);
	json_object_put(r.json);
	return (-1);
}
