/*
 * Rebuilding the store from the journal (journal_open's callback): the
 * hook table from hook records and checkpoints, the message index and the
 * hooks' queues from message records, and the sequence counter above
 * every number seen.  The journal is the truth; this is its index.
 *
 * Records are trusted to be ours (the journal binds each to where it was
 * written), but damage may have taken any of them: a message may name a
 * hook whose creation record is lost (hook_recover), an outcome may have
 * lost its start, a take its message.  Sequence numbers only grow, so a
 * message record whose number is not above the last one indexed is a
 * repeat and is skipped.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "journal.h"
#include "proto.h"
#include "store-private.h"

/* Tell whether seq is above every message indexed so far. */
static int
store_replay_new(struct store *s, int64_t seq)
{
	return (seq >= 0 && (s->nmessages == 0 ||
	    (uint64_t)seq > s->messages[s->nmessages - 1]->seq));
}

/* Rebuild a received message, queued unless its hook rejected it. */
static void
store_replay_received(struct store *s, const struct journal_record *r,
    const char *token, int64_t seq)
{
	struct hook	*h;
	struct message	*m;

	if (token == NULL || !store_replay_new(s, seq))
		return;
	/* A hook whose creation record was lost: see hook_recover. */
	if ((h = store_find_token(s, token, strlen(token))) == NULL &&
	    (h = hook_recover(s, token, proto_int(r->json, "received_at",
	    0))) == NULL)
		return;
	store_seq_raise(s, (uint64_t)seq + 1);
	if (proto_string(r->json, "rejected") != NULL) {
		message_insert(s, h, (uint64_t)seq, r->offset,
		    MESSAGE_REJECTED);
		return;
	}
	m = message_insert(s, h, (uint64_t)seq, r->offset, MESSAGE_QUEUED);
	message_enqueue(m);
	h->queued++;
	s->nqueued++;
}

/*
 * Rebuild a request we sent from its outcome: it completes a start
 * already indexed, or is a whole record, start and outcome in one, as
 * fish wrote them before starts had records of their own.  An outcome
 * whose start is lost (it has no method) is no message.
 */
static void
store_replay_sent(struct store *s, const struct journal_record *r, int64_t seq)
{
	struct message	*m;

	if (seq >= 0 && (m = store_message(s, (uint64_t)seq)) != NULL) {
		if (m->state == MESSAGE_UNANSWERED) {
			m->state = MESSAGE_SENT;
			m->outcome = r->offset;
		}
		return;
	}
	if (proto_string(r->json, "method") == NULL ||
	    !store_replay_new(s, seq))
		return;
	store_seq_raise(s, (uint64_t)seq + 1);
	m = message_insert(s, NULL, (uint64_t)seq, r->offset, MESSAGE_SENT);
	m->outcome = r->offset;
}

/*
 * Rebuild a refused request: in the timeline, with its hook if it had one
 * and the hook is still known (a refused request recovers no hook).
 */
static void
store_replay_refused(struct store *s, const struct journal_record *r,
    const char *token, int64_t seq)
{
	struct message	*m;

	if (!store_replay_new(s, seq))
		return;
	store_seq_raise(s, (uint64_t)seq + 1);
	m = message_insert(s, NULL, (uint64_t)seq, r->offset, MESSAGE_REFUSED);
	m->refused = 1;
	if (token != NULL)
		m->hook = store_find_token(s, token, strlen(token));
}

/* Rebuild a take: the message leaves its queue for good. */
static void
store_replay_taken(struct store *s, int64_t seq)
{
	struct message	*m;

	if (seq < 0 || (m = store_message(s, (uint64_t)seq)) == NULL ||
	    m->state != MESSAGE_QUEUED)
		return;
	TAILQ_REMOVE(&m->hook->queue, m, entry);
	m->state = MESSAGE_TAKEN;
	m->hook->queued--;
	s->nqueued--;
}

/* Rebuild a hook from its creation record; checkpoints repeat them. */
static void
store_replay_hook(struct store *s, const struct journal_record *r,
    const char *token)
{
	struct json_object	*o = r->json;
	struct hook		*h;

	if (token == NULL || !token_valid(token, strlen(token)))
		return;
	/* The latest record wins. */
	if ((h = store_find_token(s, token, TOKEN_LEN)) == NULL)
		h = hook_insert(s, token, proto_string(o, "name"),
		    proto_int(o, "created_at", 0));
	else if (h->recovered) {
		hook_rename(s, h, proto_string(o, "name"));
		h->created_at = proto_int(o, "created_at", 0);
	}
	h->closed = proto_bool(o, "closed");
	h->recovered = proto_bool(o, "recovered");
	hook_settings_load(s, h, o, r->body, r->body_len);
}

/* Rebuild memory from one journal record (journal_open's callback). */
void
store_replay(const struct journal_record *r, void *arg)
{
	struct store	*s = arg;
	const char	*token;
	struct hook	*h;
	struct message	*m;
	int64_t		 seq;

	token = proto_string(r->json, "token");
	seq = proto_int(r->json, "seq", -1);
	switch (r->type) {
	case JOURNAL_HOOK_CREATED:
		store_replay_hook(s, r, token);
		break;
	case JOURNAL_CHECKPOINT:
		/* The next sequence number when it was written. */
		if (seq >= 0)
			store_seq_raise(s, (uint64_t)seq);
		break;
	case JOURNAL_MESSAGE_ANSWERED:
		/* How a held or forwarded request was answered. */
		if (seq >= 0 && (m = store_message(s, (uint64_t)seq)) !=
		    NULL && m->hook != NULL)
			m->answer = r->offset;
		break;
	case JOURNAL_REQUEST_REFUSED:
		store_replay_refused(s, r, token, seq);
		break;
	case JOURNAL_HOOK_SPARE:
		if (token != NULL && token_valid(token, strlen(token)) &&
		    hook_find_token(s, token, TOKEN_LEN) == NULL)
			spare_insert(s, token, proto_int(r->json, "created_at",
			    0));
		break;
	case JOURNAL_HOOK_CLOSED:
		if (token != NULL && (h = store_find(s, token)) != NULL)
			h->closed = 1;
		break;
	case JOURNAL_MESSAGE_RECEIVED:
		store_replay_received(s, r, token, seq);
		break;
	case JOURNAL_MESSAGE_SENDING:
		if (!store_replay_new(s, seq))
			break;
		store_seq_raise(s, (uint64_t)seq + 1);
		message_insert(s, NULL, (uint64_t)seq, r->offset,
		    MESSAGE_UNANSWERED);
		break;
	case JOURNAL_MESSAGE_SENT:
		store_replay_sent(s, r, seq);
		break;
	case JOURNAL_MESSAGE_TAKEN:
		store_replay_taken(s, seq);
		break;
	}
}
