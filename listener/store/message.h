/*
 * A message as the store indexes it (see store.h): one received request,
 * one request refused before it was complete, or one request we send,
 * known by its sequence number.  The journal holds
 * its content; the index keeps only where its records are and what became
 * of it, so memory does not grow with bodies.  Upper floors read these
 * fields; only the store changes them.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <sys/queue.h>

#include <stdint.h>

struct hook;

enum message_state {
	MESSAGE_PENDING,	/* written, not yet durable (either way) */
	MESSAGE_QUEUED,		/* durable, waiting to be taken */
	MESSAGE_LEASED,		/* handed to a waiter, not yet confirmed */
	MESSAGE_TAKEN,		/* confirmed by a waiter */
	MESSAGE_REJECTED,	/* failed its hook's signature check */
	MESSAGE_REFUSED,	/* answered 4xx before it was complete, only
				   its head recorded (hook NULL if unknown) */
	/* Requests we send (no hook): */
	MESSAGE_SENDING,	/* started, durable, under way */
	MESSAGE_SENT,		/* over, with its outcome recorded */
	MESSAGE_UNANSWERED,	/* started, no outcome recorded: the listener
				   stopped while it was under way */
};

/* Where a replicated store's claim of a message's lease is. */
enum message_claim {
	MESSAGE_CLAIM_NONE,	/* none under way or due: claim when wanted */
	MESSAGE_CLAIM_SENT,	/* sent, its answer not come yet */
	MESSAGE_CLAIM_DUE,	/* lost or failed: tried again later */
};

struct message {
	uint64_t		 seq;
	struct hook		*hook;		/* NULL: a request we send */
	uint64_t		 offset;
	uint64_t		 outcome;	/* MESSAGE_SENT: its outcome
						   record's (offset itself for
						   a whole one) */
	enum message_state	 state;
	uint64_t		 answer;	/* its answer record's (held or
						   forwarded), 0 if none */
	int			 refused;	/* a refused request, even
						   while pending */
	/* A replicated store's lease (store-lease.c): */
	int64_t			 claimed_until;	/* offered here until then
						   (loop_now), 0: not */
	enum message_claim	 claiming;
	int64_t			 lease_until;	/* its lease ours until then
						   (loop_now), 0: lost */
	int			 batched;	/* leased to a batch that will
						   ask for more (hook.h) */
	TAILQ_ENTRY(message)	 entry;		/* in its hook's queue */
};

#endif
