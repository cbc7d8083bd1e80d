/*
 * Rebuilding the store from records: the hook table from hook records and
 * checkpoints, the message index and the hooks' queues from message
 * records, and the sequence counter above every number seen.  One decoder
 * serves the journal's replay at open (store_replay, journal_open's
 * callback) and records another writer of the session wrote, applied live
 * (store-apply.c, which adds the live effects: offers, ended waits).  The
 * journal is the truth; this is its index.
 *
 * The journal's records are trusted to be ours (the journal binds each to
 * where it was written), but damage may have taken any of them: a message
 * may name a hook whose creation record is lost (hook_recover), an outcome
 * may have lost its start, a take its message; replay skips what does not
 * fit.  A record applied live (REBUILD_LIVE) is another writer's: one that
 * does not fit is refused, and never recovers a hook; REBUILD_CHECK says
 * so before anything changes.  A message record whose number is already
 * indexed is a repeat; numbers nearly always come in order, but one that
 * came late goes in its place (message_insert).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "journal.h"
#include "proto.h"
#include "store-private.h"

/* Refuse the record, saying why; return -1. */
static int
rebuild_refuse(struct rebuild *rb, const char *why)
{
	rb->why = why;
	return (-1);
}

/* Return 0 if the record's seq is one no message has yet, else refuse. */
static int
rebuild_new_seq(struct rebuild *rb)
{
	struct store	*s = rb->store;

	if (rb->seq < 0)
		return (rebuild_refuse(rb, "it has no seq"));
	if (s->nmessages == 0 ||
	    (uint64_t)rb->seq > s->messages[s->nmessages - 1]->seq ||
	    store_message(s, (uint64_t)rb->seq) == NULL)
		return (0);
	return (rebuild_refuse(rb, "its seq is another message's"));
}

/*
 * Find the hook of a token the record names.  A spare it names was
 * handed out (see spare.c): claimed, in memory only, unless this is just
 * a check.
 */
static struct hook *
rebuild_find(struct rebuild *rb, const char *token)
{
	struct hook	*h;

	h = hook_find_token(rb->store, token, strlen(token));
	if (h != NULL && h->spare && !(rb->flags & REBUILD_CHECK))
		spare_claim(rb->store, h, 0);
	return (h);
}

/* Index the record's message, taking its seq. */
static struct message *
rebuild_insert(struct rebuild *rb, struct hook *h, enum message_state state)
{
	store_seq_raise(rb->store, (uint64_t)rb->seq + 1);
	rb->message = message_insert(rb->store, h, (uint64_t)rb->seq,
	    rb->record->offset, state);
	return (rb->message);
}

/* Rebuild a received message, queued unless its hook rejected it. */
static int
rebuild_received(struct rebuild *rb)
{
	struct store			*s = rb->store;
	const struct journal_record	*r = rb->record;
	struct hook			*h;
	struct message			*m;

	if (rb->token == NULL)
		return (rebuild_refuse(rb, "it names no hook"));
	if (rebuild_new_seq(rb) == -1)
		return (-1);
	h = rebuild_find(rb, rb->token);
	if (h == NULL && (rb->flags & REBUILD_LIVE))
		return (rebuild_refuse(rb, "its hook is unknown"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	/* A hook whose creation record was lost: see hook_recover. */
	if (h == NULL && (h = hook_recover(s, rb->token,
	    proto_int(r->json, "received_at", 0))) == NULL)
		return (rebuild_refuse(rb, "its token is not valid"));
	if (proto_string(r->json, "rejected") != NULL) {
		rebuild_insert(rb, h, MESSAGE_REJECTED);
		return (0);
	}
	m = rebuild_insert(rb, h, MESSAGE_QUEUED);
	message_enqueue(m);
	h->queued++;
	s->nqueued++;
	return (0);
}

/*
 * Rebuild a request we sent from its outcome: it completes a start
 * already indexed, or is a whole record, start and outcome in one, as
 * fish wrote them before starts had records of their own.  An outcome
 * whose start is lost (it has no method) is no message.  One that says
 * "unanswered" (message_unanswered) leaves its start without an outcome.
 */
static int
rebuild_sent(struct rebuild *rb)
{
	struct message	*m = NULL;

	if (rb->seq >= 0)
		m = store_message(rb->store, (uint64_t)rb->seq);
	if (m != NULL) {
		if (m->state != MESSAGE_UNANSWERED &&
		    m->state != MESSAGE_SENDING)
			return (rebuild_refuse(rb, "its request is not under "
			    "way"));
		if (rb->flags & REBUILD_CHECK)
			return (0);
		rb->message = m;
		rb->was = m->state;
		if (proto_bool(rb->record->json, "unanswered")) {
			m->state = MESSAGE_UNANSWERED;
			return (0);
		}
		m->state = MESSAGE_SENT;
		m->outcome = rb->record->offset;
		return (0);
	}
	if (proto_string(rb->record->json, "method") == NULL)
		return (rebuild_refuse(rb, "its request is unknown"));
	if (rebuild_new_seq(rb) == -1)
		return (-1);
	if (rb->flags & REBUILD_CHECK)
		return (0);
	m = rebuild_insert(rb, NULL, MESSAGE_SENT);
	m->outcome = rb->record->offset;
	return (0);
}

/*
 * Rebuild a refused request: in the timeline, with its hook if it had one
 * and the hook is still known (a refused request recovers no hook).
 */
static int
rebuild_refused(struct rebuild *rb)
{
	struct hook	*h = NULL;
	struct message	*m;

	if (rebuild_new_seq(rb) == -1)
		return (-1);
	if (rb->token != NULL)
		h = rebuild_find(rb, rb->token);
	if (rb->token != NULL && h == NULL && (rb->flags & REBUILD_LIVE))
		return (rebuild_refuse(rb, "its hook is unknown"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	m = rebuild_insert(rb, NULL, MESSAGE_REFUSED);
	m->refused = 1;
	m->hook = h;
	return (0);
}

/*
 * Rebuild a take: the message leaves its queue for good; a lease on it
 * (only another writer's take finds one) ends.  A second take is no news.
 */
static int
rebuild_taken(struct rebuild *rb)
{
	struct message	*m = NULL;

	if (rb->seq >= 0)
		m = store_message(rb->store, (uint64_t)rb->seq);
	if (m == NULL || m->hook == NULL || m->refused)
		return (rebuild_refuse(rb, "it names no received message"));
	if (m->state != MESSAGE_QUEUED && m->state != MESSAGE_LEASED &&
	    m->state != MESSAGE_TAKEN)
		return (rebuild_refuse(rb, "its message is not queued"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	rb->message = m;
	rb->was = m->state;
	if (m->state == MESSAGE_TAKEN)
		return (0);
	if (m->state == MESSAGE_QUEUED)
		TAILQ_REMOVE(&m->hook->queue, m, entry);
	else
		message_unlease(rb->store, m);
	m->state = MESSAGE_TAKEN;
	m->hook->queued--;
	rb->store->nqueued--;
	return (0);
}

/* Rebuild a hook from its creation record; checkpoints repeat them. */
static int
rebuild_hook(struct rebuild *rb)
{
	struct store		*s = rb->store;
	struct json_object	*o = rb->record->json;
	struct hook		*h;
	int			 claim;

	if (rb->token == NULL || !token_valid(rb->token, strlen(rb->token)))
		return (rebuild_refuse(rb, "its token is not valid"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	/* A spare's claim: the hook exists from the claim's time on. */
	h = hook_find_token(s, rb->token, TOKEN_LEN);
	claim = h != NULL && h->spare;
	/* The latest record wins. */
	if ((h = rebuild_find(rb, rb->token)) == NULL) {
		h = hook_insert(s, rb->token, proto_string(o, "name"),
		    proto_int(o, "created_at", 0));
		rb->was_closed = 1;	/* no wait on it to end */
	} else {
		rb->was_closed = h->closed;
		if (h->recovered || claim) {
			hook_rename(s, h, proto_string(o, "name"));
			h->created_at = proto_int(o, "created_at", 0);
		}
	}
	rb->hook = h;
	h->closed = proto_bool(o, "closed");
	h->recovered = proto_bool(o, "recovered");
	hook_settings_load(s, h, o, rb->record->body, rb->record->body_len);
	return (0);
}

/*
 * Rebuild a spare hook (see spare.c), or its withdrawal; one already
 * known otherwise stays as it is.
 */
static int
rebuild_spare(struct rebuild *rb)
{
	struct hook	*h;

	if (rb->token == NULL || !token_valid(rb->token, strlen(rb->token)))
		return (rebuild_refuse(rb, "its token is not valid"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	h = hook_find_token(rb->store, rb->token, TOKEN_LEN);
	if (proto_bool(rb->record->json, "withdrawn")) {
		if (h != NULL && h->spare)
			spare_forget(rb->store, h);
	} else if (h == NULL)
		spare_insert(rb->store, rb->token,
		    proto_int(rb->record->json, "created_at", 0));
	return (0);
}

/* Rebuild a close. */
static int
rebuild_closed(struct rebuild *rb)
{
	struct hook	*h;

	if (rb->token == NULL || (h = rebuild_find(rb, rb->token)) == NULL)
		return (rebuild_refuse(rb, "its hook is unknown"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	rb->hook = h;
	rb->was_closed = h->closed;
	h->closed = 1;
	return (0);
}

/* Rebuild how a held or forwarded request was answered. */
static int
rebuild_answered(struct rebuild *rb)
{
	struct message	*m = NULL;

	if (rb->seq >= 0)
		m = store_message(rb->store, (uint64_t)rb->seq);
	if (m == NULL || m->hook == NULL)
		return (rebuild_refuse(rb, "it names no received message"));
	if (rb->flags & REBUILD_CHECK)
		return (0);
	rb->message = m;
	rb->was = m->state;
	m->answer = rb->record->offset;
	return (0);
}

/*
 * Rebuild memory from one record (rb's store, record and flags set, the
 * rest zero): return 0, or -1 with rb->why when it does not fit, having
 * changed nothing.  rb says what it made or changed.
 */
int
store_rebuild(struct rebuild *rb)
{
	const struct journal_record	*r = rb->record;

	rb->token = proto_string(r->json, "token");
	rb->seq = proto_int(r->json, "seq", -1);
	switch (r->type) {
	case JOURNAL_HOOK_CREATED:
		return (rebuild_hook(rb));
	case JOURNAL_HOOK_CLOSED:
		return (rebuild_closed(rb));
	case JOURNAL_MESSAGE_RECEIVED:
		return (rebuild_received(rb));
	case JOURNAL_MESSAGE_SENT:
		return (rebuild_sent(rb));
	case JOURNAL_MESSAGE_TAKEN:
		return (rebuild_taken(rb));
	case JOURNAL_CHECKPOINT:
		if (rb->flags & REBUILD_LIVE)
			return (rebuild_refuse(rb, "a checkpoint belongs to "
			    "its own journal"));
		/* The next sequence number when it was written. */
		if (rb->seq >= 0 && !(rb->flags & REBUILD_CHECK))
			store_seq_raise(rb->store, (uint64_t)rb->seq);
		return (0);
	case JOURNAL_MESSAGE_ANSWERED:
		return (rebuild_answered(rb));
	case JOURNAL_MESSAGE_SENDING:
		if (rebuild_new_seq(rb) == -1)
			return (-1);
		if (!(rb->flags & REBUILD_CHECK))
			rebuild_insert(rb, NULL, MESSAGE_UNANSWERED);
		return (0);
	case JOURNAL_REQUEST_REFUSED:
		return (rebuild_refused(rb));
	case JOURNAL_HOOK_SPARE:
		return (rebuild_spare(rb));
	}
	return (rebuild_refuse(rb, "its type is unknown"));
}

/* Rebuild memory from one journal record (journal_open's callback). */
void
store_replay(const struct journal_record *r, void *arg)
{
	struct rebuild	rb;

	memset(&rb, 0, sizeof rb);
	rb.store = arg;
	rb.record = r;
	store_rebuild(&rb);
}
