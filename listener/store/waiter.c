/*
 * Waiters: clients waiting for the next message of some hooks.  Waiters
 * are served in the order they arrived; a message goes to the oldest
 * waiter that listens on its hook and accepts it.
 */
#include "config.h"

#include <stddef.h>

#include "compat.h"
#include "hook.h"
#include "waiter.h"

static TAILQ_HEAD(, waiter)	waiters = TAILQ_HEAD_INITIALIZER(waiters);

/* Tell whether waiter w listens on hook h. */
static int
waiter_wants(const struct waiter *w, const struct hook *h)
{
	size_t	i;

	for (i = 0; i < w->nhooks; i++) {
		if (w->hooks[i] == h)
			return (1);
	}
	return (0);
}

/* Return the oldest queued message of h that w accepts. */
static struct message *
waiter_first_match(struct hook *h, struct waiter *w)
{
	struct message	*m;

	TAILQ_FOREACH(m, &h->queue, entry) {
		if (w->match == NULL || w->match(w, m))
			return (m);
	}
	return (NULL);
}

/*
 * Hand m to w.  A peeking waiter only looks; otherwise the message is
 * leased until taken or released.
 */
static void
waiter_lease(struct message *m, struct waiter *w)
{
	if (!w->peek) {
		TAILQ_REMOVE(&m->hook->queue, m, entry);
		m->state = MESSAGE_LEASED;
	}
	w->cb(w, m);
}

/*
 * Offer a message just queued (received or released) to the waiters,
 * oldest first, until one leases it.  Only m needs looking at: a waiter
 * still waiting has been offered every other queued message of its hooks,
 * by waiter_add or an earlier dispatch, and its filter refused each, and
 * rescanning them would read each one's record from the journal again.
 */
void
waiter_dispatch(struct message *m)
{
	struct waiter	*w, *next;
	int		 peek;

	TAILQ_FOREACH_SAFE(w, &waiters, entry, next) {
		if (!waiter_wants(w, m->hook) ||
		    (w->match != NULL && !w->match(w, m)))
			continue;
		TAILQ_REMOVE(&waiters, w, entry);
		peek = w->peek;
		waiter_lease(m, w);
		if (!peek)
			break;
	}
}

/*
 * Start waiting: w gets the oldest queued message of its hooks that it
 * accepts now, or the next one to arrive.
 */
void
waiter_add(struct waiter *w)
{
	struct message	*m, *best = NULL;
	size_t		 i;

	for (i = 0; i < w->nhooks; i++) {
		m = waiter_first_match(w->hooks[i], w);
		if (m != NULL && (best == NULL || m->seq < best->seq))
			best = m;
	}
	if (best != NULL) {
		waiter_lease(best, w);
		return;
	}
	TAILQ_INSERT_TAIL(&waiters, w, entry);
}

/* Stop waiting (the client went away before a message came). */
void
waiter_remove(struct waiter *w)
{
	struct waiter	*at;

	TAILQ_FOREACH(at, &waiters, entry) {
		if (at == w) {
			TAILQ_REMOVE(&waiters, w, entry);
			return;
		}
	}
}
