/*
 * Messages: the index of every message, received or sent, and the queues
 * of received ones waiting to be taken.
 *
 * Messages live in one array ordered by sequence number (sequence numbers
 * only grow), so a message is found by binary search; each hook also links
 * its untaken messages into a FIFO queue.  A received message is pending
 * until its record is durable, then queued, leased to a waiter (waiter.c),
 * and taken once the waiter confirms it; a lease that ends unconfirmed
 * puts the message back on its queue.  A request that failed its hook's
 * signature check is rejected: it joins the timeline, never a queue.
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
#include "hook.h"
#include "journal.h"
#include "listener.h"
#include "message.h"
#include "proto.h"
#include "waiter.h"
#include "xmalloc.h"

static struct message		**messages;
static size_t			 nmessages, messages_size;
static uint64_t			 nreceived;
static void			(*message_observer)(struct message *);
static uint64_t			 nqueued;

/* Free every message (at exit, for leak checkers). */
void
message_free_all(void)
{
	size_t	i;

	for (i = 0; i < nmessages; i++)
		free(messages[i]);
	free(messages);
	messages = NULL;
	nmessages = messages_size = 0;
	nreceived = nqueued = 0;
}

/*
 * Forget messages whose records are gone (positions below bound): those
 * still queued expire.  A message out on lease stays until it is taken or
 * released, a request under way until its outcome is recorded.
 */
void
message_expire(uint64_t bound)
{
	struct message	*m;
	size_t		 i, kept = 0;

	for (i = 0; i < nmessages; i++) {
		m = messages[i];
		if (m->offset >= bound || m->state == MESSAGE_LEASED ||
		    m->state == MESSAGE_PENDING ||
		    m->state == MESSAGE_SENDING) {
			messages[kept++] = m;
			continue;
		}
		if (m->state == MESSAGE_QUEUED) {
			TAILQ_REMOVE(&m->hook->queue, m, entry);
			m->hook->queued--;
			nqueued--;
		}
		if (m->hook != NULL)
			nreceived--;
		free(m);
	}
	nmessages = kept;
}

/* Find a message, received or sent, by sequence number. */
struct message *
message_find(uint64_t seq)
{
	size_t	lo = 0, hi = nmessages, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (messages[mid]->seq == seq)
			return (messages[mid]);
		if (messages[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (NULL);
}

/*
 * Return the position in message_all's array of the first message whose
 * sequence number is seq or more (the array's length if there is none).
 */
size_t
message_index(uint64_t seq)
{
	size_t	lo = 0, hi = nmessages, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (messages[mid]->seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Add a message to the index. */
static struct message *
message_insert(struct hook *h, uint64_t seq, uint64_t offset,
    enum message_state state)
{
	struct message	*m;

	if (nmessages == messages_size) {
		messages_size = messages_size == 0 ? 1024 : messages_size * 2;
		messages = xreallocarray(messages, messages_size,
		    sizeof *messages);
	}
	m = xcalloc(1, sizeof *m);
	m->seq = seq;
	m->hook = h;
	m->offset = offset;
	m->state = state;
	messages[nmessages++] = m;
	if (h != NULL) {
		h->received++;
		nreceived++;
	}
	if (seq >= listener.next_seq)
		listener.next_seq = seq + 1;
	return (m);
}

/* Queue a message on its hook, keeping the queue in sequence order. */
static void
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

/* Rebuild the index from one message record (see hook_replay). */
void
message_replay(const struct journal_record *r)
{
	struct json_object	*o = r->json;
	const char		*token;
	struct hook		*h;
	struct message		*m;
	int64_t			 seq;

	token = proto_string(o, "token");
	seq = proto_int(o, "seq", -1);
	switch (r->type) {
	case JOURNAL_MESSAGE_RECEIVED:
		if (token == NULL || seq < 0 ||
		    (nmessages > 0 && (uint64_t)seq <= messages[nmessages - 1]->seq))
			break;
		/* A hook whose creation record was lost: see hook_recover. */
		if ((h = hook_find_token(token, strlen(token))) == NULL &&
		    (h = hook_recover(token, proto_int(o, "received_at",
		    0))) == NULL)
			break;
		if (proto_string(o, "rejected") != NULL) {
			message_insert(h, (uint64_t)seq, r->offset,
			    MESSAGE_REJECTED);
			break;
		}
		m = message_insert(h, (uint64_t)seq, r->offset, MESSAGE_QUEUED);
		message_enqueue(m);
		h->queued++;
		nqueued++;
		break;
	case JOURNAL_MESSAGE_SENDING:
		if (seq < 0 || (nmessages > 0 &&
		    (uint64_t)seq <= messages[nmessages - 1]->seq))
			break;
		message_insert(NULL, (uint64_t)seq, r->offset,
		    MESSAGE_UNANSWERED);
		break;
	case JOURNAL_MESSAGE_SENT:
		/* The outcome of a request whose start is journaled. */
		if (seq >= 0 && (m = message_find((uint64_t)seq)) != NULL) {
			if (m->state == MESSAGE_UNANSWERED) {
				m->state = MESSAGE_SENT;
				m->outcome = r->offset;
			}
			break;
		}
		/*
		 * A whole record, start and outcome in one, as fish wrote them
		 * before starts had records of their own; an outcome whose
		 * start is lost (it has no method) is no message.
		 */
		if (seq < 0 || proto_string(o, "method") == NULL ||
		    (nmessages > 0 &&
		    (uint64_t)seq <= messages[nmessages - 1]->seq))
			break;
		m = message_insert(NULL, (uint64_t)seq, r->offset,
		    MESSAGE_SENT);
		m->outcome = r->offset;
		break;
	case JOURNAL_MESSAGE_TAKEN:
		if (seq < 0 || (m = message_find((uint64_t)seq)) == NULL ||
		    m->state != MESSAGE_QUEUED)
			break;
		TAILQ_REMOVE(&m->hook->queue, m, entry);
		m->state = MESSAGE_TAKEN;
		m->hook->queued--;
		nqueued--;
		break;
	default:
		/* Hook records are hook_replay's. */
		break;
	}
}

/*
 * Record a received request on hook h: o is its journal object (without
 * "seq", which is added here).  The message stays pending until the
 * journal is synced; then the caller calls message_ready.
 */
struct message *
message_receive(struct hook *h, struct json_object *o, const void *body,
    size_t len)
{
	uint64_t	seq = listener.next_seq;
	uint64_t	offset;

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(o, "token", json_object_new_string(h->token));
	offset = journal_append(listener.journal, JOURNAL_MESSAGE_RECEIVED, o,
	    body, len);
	return (message_insert(h, seq, offset, MESSAGE_PENDING));
}

/* A pending message is durable: queue it and wake a waiter. */
void
message_ready(struct message *m)
{
	message_enqueue(m);
	m->hook->queued++;
	nqueued++;
	if (message_observer != NULL)
		message_observer(m);
	waiter_dispatch(m);
}

/*
 * A pending message that failed its signature check is durable: show it in
 * the timeline, but queue it for no one.
 */
void
message_reject(struct message *m)
{
	m->state = MESSAGE_REJECTED;
	if (message_observer != NULL)
		message_observer(m);
}

/* A leased message was not confirmed (the waiter went away): requeue it. */
void
message_release(struct message *m)
{
	if (m->state != MESSAGE_LEASED)
		return;
	message_enqueue(m);
	waiter_dispatch(m);
}

/* A leased message was confirmed written by its waiter: journal the take. */
void
message_take(struct message *m)
{
	struct json_object	*o;

	if (m->state != MESSAGE_LEASED)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	journal_append(listener.journal, JOURNAL_MESSAGE_TAKEN, o, NULL, 0);
	json_object_put(o);
	m->state = MESSAGE_TAKEN;
	m->hook->queued--;
	nqueued--;
}

/* Return how many received messages the journal holds. */
uint64_t
message_count(void)
{
	return (nreceived);
}

/* Return every message, received and sent, in sequence order. */
struct message **
message_all(size_t *n)
{
	*n = nmessages;
	return (messages);
}

/*
 * Record the start of a request we send: o is its journal object (without
 * "seq", which is added here), body the request body.  The message stays
 * pending until the journal is synced; then the caller calls
 * message_started, and only then may the request leave.
 */
struct message *
message_send(struct json_object *o, const void *body, size_t len)
{
	uint64_t	seq = listener.next_seq;
	uint64_t	offset;

	json_object_object_add(o, "seq", json_object_new_int64((int64_t)seq));
	offset = journal_append(listener.journal, JOURNAL_MESSAGE_SENDING, o,
	    body, len);
	return (message_insert(NULL, seq, offset, MESSAGE_PENDING));
}

/* The start of a request we send is durable: it joins the timeline. */
void
message_started(struct message *m)
{
	m->state = MESSAGE_SENDING;
	if (message_observer != NULL)
		message_observer(m);
}

/*
 * A request we sent is over: journal its outcome (o, without "seq"; body
 * the response body) and show it in the timeline.
 */
void
message_answered(struct message *m, struct json_object *o, const void *body,
    size_t len)
{
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)m->seq));
	m->outcome = journal_append(listener.journal, JOURNAL_MESSAGE_SENT, o,
	    body, len);
	m->state = MESSAGE_SENT;
	if (message_observer != NULL)
		message_observer(m);
}

/* Call observer for every message that joins the timeline from now on. */
void
message_observe(void (*observer)(struct message *))
{
	message_observer = observer;
}

/* Return how many messages wait to be taken. */
uint64_t
message_queued(void)
{
	return (nqueued);
}
