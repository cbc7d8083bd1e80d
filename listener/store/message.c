/*
 * Messages: the store's index of every message, received or sent, and the
 * queues of received ones waiting to be taken.
 *
 * Messages live in one array ordered by sequence number (a number nearly
 * always goes above every one indexed; one store_apply gives may come
 * late), so a message is found by binary search; each hook also links its
 * untaken messages into a FIFO queue.  A received message is pending
 * until its record is durable, then queued, leased to a waiter (waiter.c),
 * and taken once the waiter confirms it; a lease that ends unconfirmed
 * puts the message back on its queue.  A request that failed its hook's
 * signature check is rejected: it joins the timeline, never a queue; so
 * does a request refused before it was complete (404, 410, 413, ...),
 * which keeps its hook when one was known, and is never counted received.
 *
 * A request we send is pending from its start record until that is
 * durable (only then may it leave), then sending until its outcome is
 * recorded, then sent.  One whose start was journaled by a listener that
 * stopped before recording its outcome is unanswered.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "compat.h"
#include "journal.h"
#include "proto.h"
#include "sorted.h"
#include "store-private.h"
#include "xmalloc.h"

/* Free every message (the store closes). */
void
message_free_all(struct store *s)
{
	size_t	i;

	for (i = 0; i < s->nmessages; i++)
		free(s->messages[i]);
	free(s->messages);
	s->messages = NULL;
	s->nmessages = s->messages_size = 0;
	s->nreceived = s->nqueued = 0;
}

/*
 * Forget messages whose records are gone (positions below bound): those
 * still queued expire.  A message out on lease stays until it is taken or
 * released, a request under way until its outcome is recorded.
 */
void
message_expire(struct store *s, uint64_t bound)
{
	struct message	*m;
	size_t		 i, kept = 0;

	for (i = 0; i < s->nmessages; i++) {
		m = s->messages[i];
		if (m->offset >= bound || m->state == MESSAGE_LEASED ||
		    m->state == MESSAGE_PENDING ||
		    m->state == MESSAGE_SENDING) {
			s->messages[kept++] = m;
			continue;
		}
		if (m->state == MESSAGE_QUEUED) {
			TAILQ_REMOVE(&m->hook->queue, m, entry);
			m->hook->queued--;
			s->nqueued--;
		}
		if (m->hook != NULL && !m->refused)
			s->nreceived--;
		free(m);
	}
	s->nmessages = kept;
}

/* Find a message, received or sent, by sequence number. */
struct message *
store_message(struct store *s, uint64_t seq)
{
	size_t	i = store_message_index(s, seq);

	if (i < s->nmessages && s->messages[i]->seq == seq)
		return (s->messages[i]);
	return (NULL);
}

/* Compare a sequence number with a message (in the index), for sorted. */
static int
message_compare_seq(const void *key, const void *element)
{
	uint64_t		 seq = *(const uint64_t *)key;
	const struct message	*m = *(struct message *const *)element;

	return (seq < m->seq ? -1 : seq > m->seq);
}

/*
 * Return the position in store_messages's array of the first message
 * whose sequence number is seq or more (the array's length if none).
 */
size_t
store_message_index(struct store *s, uint64_t seq)
{
	return (sorted_index(&seq, s->messages, s->nmessages,
	    sizeof *s->messages, message_compare_seq));
}

/* Return every message, received and sent, in sequence order. */
struct message **
store_messages(struct store *s, size_t *n)
{
	*n = s->nmessages;
	return (s->messages);
}

/*
 * Add a message to the index, whose sequence number it must not have yet.
 * It nearly always goes above every one in it; a number that came late
 * (another writer's records applied meanwhile) goes in its place, close
 * to the end, so that little moves.
 */
struct message *
message_insert(struct store *s, struct hook *h, uint64_t seq, uint64_t offset,
    enum message_state state)
{
	struct message	*m;
	size_t		 at = s->nmessages;

	if (s->nmessages == s->messages_size) {
		s->messages_size = s->messages_size == 0 ? 1024 :
		    s->messages_size * 2;
		s->messages = xreallocarray(s->messages, s->messages_size,
		    sizeof *s->messages);
	}
	m = xcalloc(1, sizeof *m);
	m->seq = seq;
	m->hook = h;
	m->offset = offset;
	m->state = state;
	if (at > 0 && s->messages[at - 1]->seq > seq) {
		at = store_message_index(s, seq);
		memmove(&s->messages[at + 1], &s->messages[at],
		    (s->nmessages - at) * sizeof *s->messages);
	}
	s->messages[at] = m;
	s->nmessages++;
	if (h != NULL) {
		h->received++;
		s->nreceived++;
	}
	return (m);
}

/*
 * A message written here got its real sequence number from the log
 * (store-redis-send.c; it had a provisional one): move it to its place
 * in the index, and in its hook's queue.
 */
void
message_renumber(struct store *s, struct message *m, uint64_t seq)
{
	size_t	at = store_message_index(s, m->seq);

	memmove(&s->messages[at], &s->messages[at + 1],
	    (s->nmessages - at - 1) * sizeof *s->messages);
	s->nmessages--;
	m->seq = seq;
	at = store_message_index(s, seq);
	memmove(&s->messages[at + 1], &s->messages[at],
	    (s->nmessages - at) * sizeof *s->messages);
	s->messages[at] = m;
	s->nmessages++;
	if (m->state == MESSAGE_QUEUED) {
		TAILQ_REMOVE(&m->hook->queue, m, entry);
		message_enqueue(m);
	}
}

/* Queue a message on its hook, keeping the queue in sequence order. */
void
message_enqueue(struct message *m)
{
	struct message	*at;

	m->state = MESSAGE_QUEUED;
	TAILQ_FOREACH_REVERSE(at, &m->hook->queue, message_queue, entry) {
		if (at->seq < m->seq)
			break;
	}
	if (at == NULL)
		TAILQ_INSERT_HEAD(&m->hook->queue, m, entry);
	else
		TAILQ_INSERT_AFTER(&m->hook->queue, at, m, entry);
}

/*
 * Record a received request on hook h: o is its journal object (without
 * "seq" and "token", which are added here).  The message stays pending
 * until the journal is synced; then the caller calls store_ready (or
 * store_reject).  Return NULL, recording nothing, for a record too large
 * for the journal (store_append_entry refuses it: journal_fits).
 */
struct message *
store_receive(struct store *s, struct hook *h, struct json_object *o,
    const void *body, size_t len)
{
	uint64_t	seq = store_seq_new(s);
	uint64_t	offset;

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "token", json_object_new_string(h->token));
	offset = store_append(s, JOURNAL_MESSAGE_RECEIVED, seq, o, body, len);
	if (offset == JOURNAL_REFUSED)
		return (NULL);
	h->pending++;
	return (message_insert(s, h, seq, offset, MESSAGE_PENDING));
}

/*
 * A message just queued joins the timeline and is offered to the waiters
 * (a replicated store claims its lease for the first that accepts it; a
 * closed hook's waits may end once it is taken).
 */
void
message_offer(struct store *s, struct message *m)
{
	store_notify(s, m);
	waiter_dispatch(s, m);
	waiter_hook_changed(s, m->hook);
}

/* A pending message is durable: queue it and offer it to the waiters. */
void
store_ready(struct store *s, struct message *m)
{
	message_enqueue(m);
	m->hook->pending--;
	m->hook->queued++;
	s->nqueued++;
	message_offer(s, m);
}

/*
 * A pending message that failed its signature check is durable: show it in
 * the timeline, but queue it for no one.
 */
void
store_reject(struct store *s, struct message *m)
{
	m->state = MESSAGE_REJECTED;
	m->hook->pending--;
	store_notify(s, m);
	waiter_hook_changed(s, m->hook);
}

/*
 * Journal how a held or forwarded request was answered: o is the whole
 * record (its "seq" and "token" among it), body the answer's body.  The
 * timeline shows it with the request's entry, sent again to tails.
 */
void
store_answered(struct store *s, struct json_object *o, const void *body,
    size_t len)
{
	struct message	*m;
	uint64_t	 offset;
	int64_t		 seq = proto_int(o, "seq", -1);

	offset = store_append(s, JOURNAL_MESSAGE_ANSWERED, 0, o, body, len);
	if (seq < 0 || (m = store_message(s, (uint64_t)seq)) == NULL ||
	    m->hook == NULL)
		return;
	m->answer = offset;
	store_notify(s, m);
}

/* A refused request whose record is not durable yet. */
struct refusal {
	struct store	*store;
	struct message	*message;
};

/* A refused request's record is durable: show it in the timeline. */
static void
store_refused_durable(void *arg)
{
	struct refusal	*rf = arg;

	rf->message->state = MESSAGE_REFUSED;
	store_notify(rf->store, rf->message);
	free(rf);
}

/*
 * Record a request refused before it was complete (see record type 9 in
 * doc/journal.md): o is its bounded head (without "seq", added here, and
 * with "token" when its hook h is known, else h is NULL).  It joins the
 * timeline once durable, never a queue, and is not counted as received.
 */
void
store_refuse(struct store *s, struct hook *h, struct json_object *o)
{
	struct refusal	*rf;
	struct message	*m;
	uint64_t	 seq = store_seq_new(s), offset;

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	offset = store_append(s, JOURNAL_REQUEST_REFUSED, seq, o, NULL, 0);
	m = message_insert(s, NULL, seq, offset, MESSAGE_PENDING);
	m->hook = h;
	m->refused = 1;
	rf = xmalloc(sizeof *rf);
	rf->store = s;
	rf->message = m;
	store_after_sync_or_drop(s, store_refused_durable, free, rf);
}

/*
 * Message m is leased no more (taken or released): count it out of its
 * hook's leases.  Was it the last one out to a batch, leases won here
 * ahead for that batch may be unused now.
 */
void
message_unlease(struct store *s, struct message *m)
{
	m->hook->leased--;
	if (!m->batched)
		return;
	m->batched = 0;
	if (--m->hook->batched == 0)
		store_lease_changed(s);
}

/* A leased message was not confirmed (the waiter went away): requeue it. */
void
store_release(struct store *s, struct message *m)
{
	if (m->state != MESSAGE_LEASED)
		return;
	message_unlease(s, m);
	message_enqueue(m);
	waiter_dispatch(s, m);
	/* Its lease, if no waiter here takes it, goes back early. */
	store_lease_changed(s);
	waiter_hook_changed(s, m->hook);
}

/* A leased message was confirmed written by its waiter: journal the take. */
void
store_take(struct store *s, struct message *m)
{
	struct json_object	*o;

	if (m->state != MESSAGE_LEASED)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	store_append(s, JOURNAL_MESSAGE_TAKEN, 0, o, NULL, 0);
	json_object_put(o);
	m->state = MESSAGE_TAKEN;
	message_unlease(s, m);
	m->hook->queued--;
	s->nqueued--;
	waiter_hook_changed(s, m->hook);
}

/*
 * Record the start of a request we send: o is its journal object (without
 * "seq", which is added here), body the request body.  The message stays
 * pending until the journal is synced; then the caller calls
 * store_started, and only then may the request leave.
 */
struct message *
store_sending(struct store *s, struct json_object *o, const void *body,
    size_t len)
{
	uint64_t	seq = store_seq_new(s);
	uint64_t	offset;

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	offset = store_append(s, JOURNAL_MESSAGE_SENDING, seq, o, body, len);
	return (message_insert(s, NULL, seq, offset, MESSAGE_PENDING));
}

/* The start of a request we send is durable: it joins the timeline. */
void
store_started(struct store *s, struct message *m)
{
	m->state = MESSAGE_SENDING;
	store_notify(s, m);
}

/*
 * A request we sent is over: journal its outcome (o, without "seq"; body
 * the response body) and show it in the timeline.
 */
void
store_sent(struct store *s, struct message *m, struct json_object *o,
    const void *body, size_t len)
{
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	m->outcome = store_append(s, JOURNAL_MESSAGE_SENT, 0, o, body, len);
	m->state = MESSAGE_SENT;
	store_notify(s, m);
}

/*
 * A request under way at an earlier life of this listener, which died
 * before recording its outcome (a replicated store learns of it from the
 * log, not from replay): record it as unanswered, with an outcome that
 * says only that ({"seq", "unanswered": true}), so that every store of
 * the session shows it as the journal store shows its own after a crash.
 */
void
message_unanswered(struct store *s, struct message *m)
{
	struct json_object	*o;

	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	json_object_object_add(o, "unanswered", json_object_new_boolean(1));
	store_append(s, JOURNAL_MESSAGE_SENT, 0, o, NULL, 0);
	json_object_put(o);
	m->state = MESSAGE_UNANSWERED;
	store_notify(s, m);
}
