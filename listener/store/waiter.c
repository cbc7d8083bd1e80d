/*
 * Waiters: clients waiting for the next message of some hooks (waiter.h),
 * in the store's list.  Waiters are served in the order they arrived; a
 * waiter gets the oldest queued message of its hooks that it accepts, and
 * a message that arrives (or is released) goes to the oldest waiting
 * waiter that accepts it.
 *
 * A waiter with a filter must read the journal record of each queued
 * message to know whether it accepts it, and a queue may hold a gigabyte.
 * So a waiter looks at its queues in steps: at most WAITER_STEP_* of work
 * per pass of the event loop (waiter_prepare, which the store registers
 * with its loop at open), everything else being served between steps.
 * Its cursor says how far it has looked: every message queued below the
 * cursor was refused.  Its life:
 *
 *	PENDING		an older waiter that shares one of its hooks has not
 *			finished looking (is PENDING or SCANNING): it waits
 *			its turn, so waiters on a hook are served in the
 *			order they arrived;
 *	SCANNING	it looks at its queues in order of sequence number;
 *			it leases the first message it accepts, or, having
 *			refused them all, is
 *	WAITING		for the next message to be dispatched to it;
 *	CLAIMING	(a replicated store) it accepts the message at its
 *			cursor but this store does not hold its lease: it
 *			claimed it and waits for the answer (waiter_claimed),
 *			then leases it, or goes past it if the claim was lost.
 *
 * A waiter that has looked at all (WAITING) on hooks that are all closed,
 * with nothing on its way and nothing out on lease, can never get a
 * message: it ends (waiter_over), at once, or when the last such event
 * happens (waiter_hook_changed).
 *
 * Each waiter so behaves as if it had arrived, and looked at every queued
 * message at once, at the moment it stops scanning; no waiter that shares
 * a hook with it changes its queues meanwhile, since the older ones on its
 * hooks are WAITING (they take only what is dispatched) and the younger
 * ones PENDING.  A message dispatched meanwhile goes first to the WAITING
 * waiters, as before; a scanning waiter will find it in its queue when its
 * cursor gets there, unless it is below the cursor (a message released by
 * a waiter that went away, or made durable late), in which case the
 * scanning waiter looks at it at once: it is older than any it has still
 * to look at.  Cursors are sequence numbers, never pointers, since
 * retention may free a message under one.
 *
 * On a replicated store a message is offerable only while this store
 * holds its lease (store-lease.c).  A scanning waiter claims the lease of
 * the first message it accepts (its filter is evaluated first, so only
 * what it takes is claimed) and waits for the answer before looking
 * further, so that it gets the oldest message it accepts, not the one
 * whose claim is answered first, and a wait with no time left does not
 * give up before the answers come: it is busy (store_wait_busy)
 * meanwhile.  A message whose claim was lost (another listener holds it)
 * is passed over, and dispatched if a later claim wins.  Waiting for
 * claims is bounded (WAITER_CLAIM_MS a wait, in all), so that a Redis
 * that does not answer cannot hold a wait whose time is up.  A waiter
 * waiting for a claim takes no steps, so the loop sleeps until the
 * answer; it claims ahead, for the younger waiters behind it on its
 * hook, so that they do not each wait a round trip in turn, and for the
 * next messages its own batch will ask for (waiter->ahead): a message
 * leased to a batch that will ask for more (message->batched) keeps the
 * leases won ahead for it from being given back between its waits, for
 * WAITER_BATCH_KEEP_MS after each of its answers (hook->batch_until,
 * store-lease.c).  The journal store has no leases: no waiter of its
 * ever claims.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "compat.h"
#include "loop.h"
#include "store-private.h"
#include "xmalloc.h"

/* The most work all scanning waiters do in one pass of the loop. */
#define WAITER_STEP_BYTES	(1U << 20)	/* of records read */
#define WAITER_STEP_RECORDS	64		/* records read */
#define WAITER_STEP_LOOKED	4096		/* index entries passed over */
/* Most leases claimed ahead for the younger waiters on a hook. */
#define WAITER_AHEAD		8
/*
 * Most leases claimed ahead for the messages a batch (waiter->ahead) will
 * ask for next: sent with its claim, without waiting for each answer.
 */
#define WAITER_BATCH_AHEAD	64
/*
 * How long, after a batch's wait is answered, the leases won ahead for
 * it are kept for its next wait: a client that stalls between two (Ctrl-Z,
 * a slow disk) gives them back to other listeners' waits after that.
 */
#define WAITER_BATCH_KEEP_MS	2000
/* Longest a waiter waits for the answers to its claims, in all. */
#define WAITER_CLAIM_MS		2000

struct waiter_budget {
	size_t	bytes;
	size_t	records;
	size_t	looked;
};

/*
 * Tell whether queued message m may be handed to w, now or once this
 * store's claim of its lease is answered: not a replicated store's
 * message whose claim was lost or failed (it is not offered here until
 * claimed again, and then dispatched).
 */
static int
waiter_may_get(const struct store *s, const struct waiter *w,
    const struct message *m)
{
	return (message_offerable(s, m, w->peek) ||
	    (!w->peek && m->claiming != MESSAGE_CLAIM_DUE));
}

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

/* Tell whether waiters a and b listen on a hook in common. */
static int
waiter_overlap(const struct waiter *a, const struct waiter *b)
{
	size_t	i;

	for (i = 0; i < a->nhooks; i++) {
		if (waiter_wants(b, a->hooks[i]))
			return (1);
	}
	return (0);
}

/*
 * Count a record a filter read against budget b.  In test builds,
 * FISH_TEST_SCAN_MS=N makes each take N ms more and end its pass of the
 * loop, as on a disk so slow that a short queue takes longer to read than
 * a client gives a silent listener (timers still run between records;
 * a signal only cuts one short).
 */
static void
waiter_read_one(struct waiter_budget *b)
{
#ifdef FISH_TEST_HOOKS
	static long	 ms = -1;	/* read once: the environment is fixed */
	struct timespec	 ts;
	const char	*s;

	if (ms < 0) {
		s = getenv("FISH_TEST_SCAN_MS");
		ms = s != NULL ? strtol(s, NULL, 10) : 0;
	}
	if (ms > 0) {
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		(void)nanosleep(&ts, NULL);
		b->records = WAITER_STEP_RECORDS;
		return;
	}
#endif
	b->records++;
}

/* Tell whether a budget is spent. */
static int
waiter_spent(const struct waiter_budget *b)
{
	return (b->bytes >= WAITER_STEP_BYTES ||
	    b->records >= WAITER_STEP_RECORDS ||
	    b->looked >= WAITER_STEP_LOOKED);
}

/*
 * Tell whether waiting waiter w can get no message any more: its hooks are
 * all closed, none has a message on its way (pending) or one queued whose
 * lease a replicated store may yet hold, and the only leases out on them
 * are the w->held of w's owner (it looked at every queued one).
 */
static int
waiter_over(const struct store *s, const struct waiter *w)
{
	const struct message	*m;
	uint64_t		 leased = 0;
	size_t			 i, j;

	if (w->ended == NULL || w->state != WAITER_WAITING)
		return (0);
	for (i = 0; i < w->nhooks; i++) {
		if (!w->hooks[i]->closed || w->hooks[i]->pending > 0)
			return (0);
		/* A replicated store's message whose lease is not here yet. */
		TAILQ_FOREACH(m, &w->hooks[i]->queue, entry) {
			if (!message_offerable(s, m, w->peek))
				return (0);
		}
	}
	/* A hook listed twice counts once. */
	for (i = 0; i < w->nhooks; i++) {
		for (j = 0; j < i && w->hooks[j] != w->hooks[i]; j++)
			continue;
		if (j == i)
			leased += w->hooks[i]->leased;
	}
	return (leased <= w->held);
}

/* Take w out of the list of waiters. */
static void
waiter_unlist(struct store *s, struct waiter *w)
{
	if (!w->listed)
		return;
	TAILQ_REMOVE(&s->waiters, w, entry);
	w->listed = 0;
	if (w->state != WAITER_WAITING)
		s->nbusy--;
}

/*
 * Hand m to w.  A peeking waiter only looks; otherwise the message is
 * leased until taken or released.
 */
static void
waiter_lease(struct store *s, struct message *m, struct waiter *w)
{
	waiter_unlist(s, w);
	if (!w->peek) {
		TAILQ_REMOVE(&m->hook->queue, m, entry);
		m->state = MESSAGE_LEASED;
		m->hook->leased++;
		/*
		 * Leases won ahead for its batch (one that takes any
		 * message: waiter_claim_ahead) stay won meanwhile.
		 */
		if (w->ahead > 0 && w->match == NULL) {
			m->batched = 1;
			m->hook->batched++;
			m->hook->batch_until = loop_now() +
			    WAITER_BATCH_KEEP_MS;
		}
		/* Other leases won for w may be unused now. */
		store_lease_changed(s);
	}
	w->cb(w, m);
}

/*
 * Return the oldest queued message of w's hooks at or above its cursor,
 * or NULL when there is none, or when the budget ran out first (then
 * *spent is set and the cursor moved as far as it got).  A queue whose
 * head is at or above the cursor gives its head at once; below it, the
 * index of all messages is searched from the cursor.
 */
static struct message *
waiter_next(struct store *s, struct waiter *w, struct waiter_budget *b,
    int *spent)
{
	struct message	**all, *m, *best = NULL;
	size_t		  i, n;
	int		  search = 0;

	*spent = 0;
	for (i = 0; i < w->nhooks; i++) {
		TAILQ_FOREACH(m, &w->hooks[i]->queue, entry) {
			if (waiter_may_get(s, w, m))
				break;
		}
		if (m == NULL)
			continue;
		if (m->seq < w->cursor)
			search = 1;
		else if (best == NULL || m->seq < best->seq)
			best = m;
	}
	if (!search)
		return (best);
	all = store_messages(s, &n);
	for (i = store_message_index(s, w->cursor); i < n; i++) {
		m = all[i];
		if (best != NULL && m->seq >= best->seq)
			break;
		if (m->state == MESSAGE_QUEUED && waiter_wants(w, m->hook) &&
		    waiter_may_get(s, w, m))
			return (m);
		if (++b->looked >= WAITER_STEP_LOOKED) {
			w->cursor = m->seq + 1;
			*spent = 1;
			return (NULL);
		}
	}
	return (best);
}

/*
 * Waiter w waits for the claim of m: claim as well the next messages of
 * m's hook, one for each younger waiter on it that takes any message (up
 * to WAITER_AHEAD), so that they do not each wait a round trip in turn,
 * and, for w's own batch when it takes any message, one for each it will
 * ask for next (up to WAITER_BATCH_AHEAD): a drain of a long queue waits
 * a round trip per WAITER_BATCH_AHEAD messages, not per message.
 */
static void
waiter_claim_ahead(struct store *s, struct waiter *w, struct message *m)
{
	struct waiter	*v;
	size_t		 n = 0;

	for (v = TAILQ_NEXT(w, entry); v != NULL && n < WAITER_AHEAD;
	    v = TAILQ_NEXT(v, entry)) {
		if (v->state == WAITER_PENDING && !v->peek &&
		    v->match == NULL && waiter_wants(v, m->hook))
			n++;
	}
	if (!w->peek && w->match == NULL)
		n += w->ahead < WAITER_BATCH_AHEAD ? (size_t)w->ahead :
		    WAITER_BATCH_AHEAD;
	while (n > 0 && (m = TAILQ_NEXT(m, entry)) != NULL) {
		if (m->claiming == MESSAGE_CLAIM_DUE)
			continue;
		store_want(s, m);
		n--;
	}
}

/*
 * Scanning waiter w accepts m, whose lease this replicated store does not
 * hold: claim it, and wait for the answer (waiter_claimed), so that w is
 * handed the oldest message it accepts, not the one whose claim is
 * answered first.  It goes past m instead when the claim could not be
 * sent, or when it waited WAITER_CLAIM_MS for claims already (a Redis
 * that does not answer must not hold a wait whose time is up); a claim
 * won later offers m again.  Return 1 if w now waits.
 */
static int
waiter_claim(struct store *s, struct waiter *w, struct message *m)
{
	/* Its time for claims spent, it claims nothing more it cannot use. */
	if (w->claim_until != 0 && loop_now() >= w->claim_until)
		return (0);
	store_want(s, m);
	if (m->claiming != MESSAGE_CLAIM_SENT)
		return (0);
	if (w->claim_until == 0)
		w->claim_until = loop_now() + WAITER_CLAIM_MS;
	w->state = WAITER_CLAIMING;
	w->cursor = m->seq;
	waiter_claim_ahead(s, w, m);
	return (1);
}

/*
 * Let scanning waiter w look at more of its queues, within budget b: it
 * leases the first message it accepts (a replicated store: once its lease
 * is claimed here), or, having looked at all, waits (and its idle
 * callback may then remove it).
 */
static void
waiter_step(struct store *s, struct waiter *w, struct waiter_budget *b)
{
	struct message	*m;
	int		 spent;

	while (w->state == WAITER_SCANNING && !waiter_spent(b)) {
		m = waiter_next(s, w, b, &spent);
		if (spent)
			break;
		if (m == NULL) {
			w->state = WAITER_WAITING;
			s->nbusy--;
			/* It refused the rest: leases won for it go back. */
			store_lease_changed(s);
			if (waiter_over(s, w)) {
				waiter_unlist(s, w);
				w->ended(w);
			} else if (w->idle != NULL)
				w->idle(w);
			break;
		}
		if (w->match != NULL) {
			waiter_read_one(b);
			if (!w->match(w, m, &b->bytes)) {
				w->cursor = m->seq + 1;
				continue;
			}
		}
		if (message_offerable(s, m, w->peek)) {
			waiter_lease(s, m, w);
			break;
		}
		if (waiter_claim(s, w, m))
			break;
		w->cursor = m->seq + 1;
	}
}

/*
 * The answer to this store's claim of message seq's lease came
 * (store-lease.c): the waiter that waits for it is handed the message if
 * the claim was won, or goes past it if it was lost or failed, and scans
 * on (the message gone, it finds the next).
 */
void
waiter_claimed(struct store *s, uint64_t seq)
{
	struct waiter	*w, *next;
	struct message	*m = store_message(s, seq);

	TAILQ_FOREACH_SAFE(w, &s->waiters, entry, next) {
		if (w->state != WAITER_CLAIMING || w->cursor != seq)
			continue;
		w->state = WAITER_SCANNING;
		if (m == NULL || m->state != MESSAGE_QUEUED)
			continue;
		/* It accepted m already: no need to read it again. */
		if (message_offerable(s, m, w->peek))
			waiter_lease(s, m, w);
		else if (m->claiming == MESSAGE_CLAIM_DUE)
			w->cursor = seq + 1;
		/* Else won, but its offer ended first: it claims again. */
	}
}

/*
 * Tell whether pending waiter w may start scanning: no older waiter that
 * shares one of its hooks is still pending or scanning.
 */
static int
waiter_may_start(struct store *s, const struct waiter *w)
{
	const struct waiter	*v;

	TAILQ_FOREACH(v, &s->waiters, entry) {
		if (v == w)
			return (1);
		if (v->state != WAITER_WAITING && waiter_overlap(v, w))
			return (0);
	}
	return (1);
}

/* Start w scanning, from the oldest message, if its turn has come. */
static int
waiter_start(struct store *s, struct waiter *w)
{
	if (w->state != WAITER_PENDING || !waiter_may_start(s, w))
		return (w->state == WAITER_SCANNING);
	w->state = WAITER_SCANNING;
	w->cursor = 0;
	return (1);
}

/*
 * Before each wait of the loop: give the scanning waiters, and the pending
 * ones whose turn has come, a step each, within one budget for all.  The
 * waiters are taken in turn from a different one each pass, so that one
 * long scan does not hold up the others.  Ask the loop not to sleep while
 * any is busy and one took a step (the oldest busy waiter can always go
 * on, unless it waits for a claim's answer, which wakes the loop): else
 * only until the first waiter waiting for a claim has waited long enough.
 */
int64_t
waiter_prepare(void *arg)
{
	struct store		*s = arg;
	struct waiter_budget	 b = { 0, 0, 0 };
	struct waiter		*w;
	int64_t			 now = loop_now(), next = -1;
	size_t			 i, n = 0;
	int			 stepped = 0;

	if (s->nbusy == 0)
		return (-1);
	/* Leasing unlists waiters, but frees none: the copy stays valid. */
	if (s->busy_size < s->nbusy) {
		s->busy_size = s->nbusy;
		s->busy = xreallocarray(s->busy, s->busy_size,
		    sizeof *s->busy);
	}
	TAILQ_FOREACH(w, &s->waiters, entry) {
		if (w->state != WAITER_WAITING)
			s->busy[n++] = w;
	}
	s->turn++;
	for (i = 0; i < n && !waiter_spent(&b); i++) {
		w = s->busy[(s->turn + i) % n];
		if (!w->listed)
			continue;
		if (w->state == WAITER_CLAIMING) {
			if (now < w->claim_until) {
				if (next == -1 || w->claim_until - now < next)
					next = w->claim_until - now;
				continue;
			}
			/* No answer in time: go past it (waiter_claim). */
			w->state = WAITER_SCANNING;
			w->cursor++;
		}
		if (waiter_start(s, w)) {
			waiter_step(s, w, &b);
			stepped = 1;
		}
	}
	return (stepped && s->nbusy > 0 ? 0 : next);
}

/*
 * Offer a message just queued (received, released, made durable, or its
 * lease claimed here) to the waiters, oldest first, until one leases it.
 * A waiting waiter has refused every other queued message of its hooks,
 * so only m needs looking at.  A scanning waiter whose cursor is past m
 * looks at it now (it is older than any it has still to look at); one
 * whose cursor is not will come to it.  On a replicated store, the first
 * that accepts m, when its lease is not held here, has it claimed: the
 * claim's answer offers it again (store-lease.c).
 */
void
waiter_dispatch(struct store *s, struct message *m)
{
	struct waiter	*w, *next;
	size_t		 cost = 0;
	int		 peek, offerable;

	TAILQ_FOREACH_SAFE(w, &s->waiters, entry, next) {
		if (!waiter_wants(w, m->hook) || w->state == WAITER_PENDING ||
		    (w->state != WAITER_WAITING && m->seq >= w->cursor))
			continue;
		offerable = message_offerable(s, m, w->peek);
		if (!offerable && m->claiming != MESSAGE_CLAIM_NONE)
			continue;
		if (w->match != NULL && !w->match(w, m, &cost))
			continue;
		if (!offerable) {
			store_want(s, m);
			break;
		}
		peek = w->peek;
		waiter_lease(s, m, w);
		if (!peek)
			break;
	}
}

/*
 * Something happened to hook h that may leave it with nothing more to give
 * (it closed, or a message of a closed hook was taken, released or made
 * durable): end the waiting waiters that can get no message any more.
 */
void
waiter_hook_changed(struct store *s, struct hook *h)
{
	struct waiter	*w, *next;

	if (!h->closed)
		return;
	TAILQ_FOREACH_SAFE(w, &s->waiters, entry, next) {
		if (waiter_wants(w, h) && waiter_over(s, w)) {
			waiter_unlist(s, w);
			w->ended(w);
		}
	}
}

/*
 * Pending waiter w, which takes any message, waits behind older ones: an
 * older one that waits for a claim claims one more message ahead, for w.
 */
static void
waiter_behind(struct store *s, struct waiter *w)
{
	struct waiter	*v;
	struct message	*m;

	TAILQ_FOREACH(v, &s->waiters, entry) {
		if (v == w)
			break;
		if (v->state == WAITER_CLAIMING && waiter_overlap(v, w) &&
		    (m = store_message(s, v->cursor)) != NULL &&
		    m->state == MESSAGE_QUEUED)
			waiter_claim_ahead(s, v, m);
	}
}

/*
 * Start waiting: w gets the oldest queued message of its hooks that it
 * accepts, or the next one to arrive.  When its turn has come it takes a
 * first step at once, which is all a waiter without a filter needs.
 */
void
store_wait(struct store *s, struct waiter *w)
{
	struct waiter_budget	b = { 0, 0, 0 };

	w->listed = 1;
	w->state = WAITER_PENDING;
	w->cursor = 0;
	w->claim_until = 0;
	TAILQ_INSERT_TAIL(&s->waiters, w, entry);
	s->nbusy++;
	if (waiter_start(s, w))
		waiter_step(s, w, &b);
	else if (s->redis != NULL && !w->peek && w->match == NULL)
		waiter_behind(s, w);
}

/*
 * Tell whether a waiter here, not only looking, waits for a message of
 * hook h: then a replicated store claims leases for it.
 */
int
waiter_any(struct store *s, const struct hook *h)
{
	struct waiter	*w;

	TAILQ_FOREACH(w, &s->waiters, entry) {
		if (!w->peek && waiter_wants(w, h))
			return (1);
	}
	return (0);
}

/*
 * Tell whether a waiter here, not only looking, has still to look at the
 * queue of hook h (it is pending or scanning): a lease won for one of its
 * messages may yet be used.
 */
int
waiter_busy_on(struct store *s, const struct hook *h)
{
	struct waiter	*w;

	TAILQ_FOREACH(w, &s->waiters, entry) {
		if (!w->peek && w->state != WAITER_WAITING &&
		    waiter_wants(w, h))
			return (1);
	}
	return (0);
}

/*
 * Tell whether w has still to look at some of the messages queued for it
 * (it is pending or scanning).
 */
int
store_wait_busy(const struct waiter *w)
{
	return (w->listed && w->state != WAITER_WAITING);
}

/*
 * Stop waiting (the client went away, or its time is up): leases won for
 * it may be unused now.
 */
void
store_unwait(struct store *s, struct waiter *w)
{
	waiter_unlist(s, w);
	store_lease_changed(s);
}
