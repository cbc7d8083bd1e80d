/*
 * Waiters: clients waiting for the next message of some hooks, served
 * oldest first.  The caller fills in the first fields and hands the waiter
 * to store_wait (store.h); it gets a message leased (or, peeking, only
 * shown) through its callback.
 *
 * A waiter with a filter (match) may have to look at many queued messages
 * before it finds one, each read from the journal; it does so a bounded
 * amount at a time, once per pass of the event loop, so that the loop
 * goes on serving everything else meanwhile (see waiter.c).
 */
#ifndef WAITER_H
#define WAITER_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct hook;
struct message;

struct waiter;
typedef void (*waiter_cb)(struct waiter *, struct message *);
/*
 * Tell whether the waiter accepts message m, adding to *cost the bytes
 * read to decide.
 */
typedef int (*waiter_match_cb)(struct waiter *, struct message *, size_t *);

enum waiter_state {
	WAITER_PENDING,		/* behind an older waiter on a shared hook */
	WAITER_SCANNING,	/* looking at the queued messages */
	WAITER_CLAIMING,	/* accepts the one at its cursor, waits for
				   the answer to its lease's claim */
	WAITER_WAITING,		/* looked at all: waiting for the next */
};

struct waiter {
	struct hook		**hooks;
	size_t			  nhooks;
	waiter_cb		  cb;
	waiter_match_cb		  match;	/* NULL: any message */
	/* Called when it has refused every queued message, or NULL. */
	void			(*idle)(struct waiter *);
	/*
	 * Called, the waiter removed, when none of its hooks can give it a
	 * message any more: each is closed, nothing is on its way to it or
	 * out on lease (but held, leases its owner holds itself), and the
	 * waiter refused every message still queued.  NULL: it waits on.
	 */
	void			(*ended)(struct waiter *);
	uint64_t		  held;
	/*
	 * How many messages more its owner will wait for, in the same
	 * batch, keeping this one leased (wait --count, --drain); 0: none.
	 * A replicated store claims their leases with this one's.
	 */
	uint64_t		  ahead;
	int			  peek;		/* look, do not lease */
	void			 *arg;

	/* The store's own. */
	int			  listed;	/* in the list of waiters */
	enum waiter_state	  state;
	uint64_t		  cursor;	/* looked at queued seqs below */
	int64_t			  claim_until;	/* waits for claims until */
	TAILQ_ENTRY(waiter)	  entry;
};

#endif
