/*
 * Control requests to wait for messages: wait, and ack.
 *
 * A wait leases a message to its connection.  If the connection closes
 * before the client confirms (ack) that it wrote the message out, the lease
 * ends and the message goes back to its queue: at-least-once delivery.
 *
 * wait --count N gathers a batch: each wait after the first says "more",
 * keeping the leases it has, and the client prints and acknowledges
 * ("all") only once it holds N.  A batch that cannot be completed (a
 * timeout, or hooks that can give nothing more: "ended") is given back
 * whole ("release"), or when the connection closes, so it is taken whole
 * or not at all.  wait --drain gathers the same way, until a wait with
 * no time to wait finds nothing.
 *
 * A wait whose deadline passes while it still looks through a long queue
 * for a message its filters pass goes on looking (control_wait_expired);
 * a client that asked for them ("interim") is sent an interim frame every
 * WAIT_INTERIM_MS meanwhile, so that it knows the listener is alive and
 * waits on, where it would give a silent listener only a few seconds.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "conn.h"
#include "control.h"
#include "envelope.h"
#include "clock.h"
#include "filter.h"
#include "hook.h"
#include "log.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "store.h"
#include "waiter.h"
#include "xmalloc.h"

/* Bounds on a wait request's lists. */
#define WAIT_HOOKS_MAX		1024
#define WAIT_HANDLE_LEN		4096	/* a URL, a token or a name */
#define WAIT_FILTERS_MAX	64
#define WAIT_FILTER_LEN		4096

/*
 * How often a wait past its deadline, still looking, tells its client so:
 * well within the client's backstop (WAIT_BACKSTOP_MS in cli/cmd-wait.c).
 */
#define WAIT_INTERIM_MS		1000

/*
 * How often a batch waiting for its next message looks at the leases it
 * holds: one that lapsed ends it then, not only when the next message
 * comes, so that its other messages go back to the queue.
 */
#define WAIT_LEASE_CHECK_MS	1000

/* Free the filters of the connection's last wait. */
void
control_wait_forget_filters(struct conn *c)
{
	filter_free_list(c->filters, c->nfilters);
	c->filters = NULL;
	c->nfilters = 0;
}

/* Return every message leased to the connection to its queue. */
void
control_wait_release(struct conn *c)
{
	while (c->nleases > 0)
		store_release(control_store(c), c->leases[--c->nleases]);
}

/* Add a message to the connection's leases. */
static void
control_wait_lease(struct conn *c, struct message *m)
{
	if (c->nleases == c->leases_size) {
		c->leases_size = c->leases_size == 0 ? 4 : c->leases_size * 2;
		c->leases = xreallocarray(c->leases, c->leases_size,
		    sizeof *c->leases);
	}
	c->leases[c->nleases++] = m;
}

/*
 * Return the first message of the connection's batch that is no longer
 * its alone, or NULL: on a replicated store, a lease that lapsed
 * (renewals failed for a lease time, Redis unreachable) may have let
 * another listener hand its message out, or take it (store_lease_kept).
 */
static struct message *
control_wait_lapsed(struct conn *c)
{
	size_t	i;

	for (i = 0; i < c->nleases; i++) {
		if (!store_lease_kept(control_store(c), c->leases[i]))
			return (c->leases[i]);
	}
	return (NULL);
}

/*
 * If a message of the connection's batch is no longer its alone (see
 * control_wait_lapsed), answer so: its client prints none of the batch
 * and gives it back (cli/cmd-wait.c); with release, it is given back
 * here at once.  Not from a waiter's callback: giving back offers the
 * messages to the waiters again.  Return 1 if the batch is kept.
 */
static int
control_wait_batch_kept(struct conn *c, int release)
{
	struct message	*m;

	if ((m = control_wait_lapsed(c)) == NULL)
		return (1);
	/* Out of reach, or another holds it: both are possible. */
	control_errorf(c, EXIT_FAILED, "the lease of message %llu lapsed "
	    "while the batch gathered (Redis out of reach for a lease time, "
	    "or another listener claimed it): another listener may have it; "
	    "none is printed, the rest stay queued",
	    (unsigned long long)m->seq);
	if (release)
		control_wait_release(c);
	return (0);
}

/*
 * A batch waits for its next message: should a lease it holds have
 * lapsed, end the wait and give the batch back now (a message that never
 * comes would hold the others out to it until its deadline); else look
 * again in WAIT_LEASE_CHECK_MS.
 */
static void
control_wait_check_leases(void *arg)
{
	struct conn	*c = arg;

	c->lease_timer = NULL;
	if (!c->waiting || c->nleases == 0)
		return;
	if (control_wait_lapsed(c) == NULL) {
		c->lease_timer = loop_timer_add(control_loop(c),
		    loop_now() + WAIT_LEASE_CHECK_MS, control_wait_check_leases,
		    c);
		return;
	}
	/* Out of the waiters first: the batch given back is not for it. */
	store_unwait(control_store(c), &c->waiter);
	c->waiting = 0;
	loop_timer_cancel(control_loop(c), c->wait_timer);
	c->wait_timer = NULL;
	(void)control_wait_batch_kept(c, 1);
}

/*
 * A waiting connection got a message: send its envelope and body.  A
 * batch's message goes only with the others' leases still held.
 */
static void
control_wait_deliver(struct waiter *w, struct message *m)
{
	struct conn		*c = w->arg;
	struct journal_record	 rec;
	struct json_object	*r;
	char			*cause;

	c->waiting = 0;
	loop_timer_cancel(control_loop(c), c->wait_timer);
	c->wait_timer = NULL;
	if (!w->peek)
		control_wait_lease(c, m);
	if (!w->peek && c->nleases > 1 && !control_wait_batch_kept(c, 0))
		return;
	if (store_read(control_store(c), m, &rec, &cause) == -1) {
		/* Unreadable: leave the message taken so it cannot loop. */
		log_warnx("message %llu: %s", (unsigned long long)m->seq, cause);
		free(cause);
		control_errorf(c, EXIT_FAILED, "message %llu cannot be read "
		    "from the journal", (unsigned long long)m->seq);
		return;
	}
	r = proto_reply(EXIT_OK, NULL);
	json_object_object_add(r, "message", envelope_new(rec.json, m->hook));
	control_reply(c, r, rec.body, rec.body_len);
	journal_record_release(&rec);
}

/*
 * Tell whether message m passes the waiting connection's filters, adding
 * the size of the record read to *cost.
 */
static int
control_wait_match(struct waiter *w, struct message *m, size_t *cost)
{
	struct conn		*c = w->arg;
	struct journal_record	 rec;
	char			*cause;
	int			 match;

	if (store_read(control_store(c), m, &rec, &cause) == -1) {
		free(cause);
		return (0);
	}
	*cost += rec.body_len + 1024;
	match = filter_match(c->filters, c->nfilters, rec.json, rec.body,
	    rec.body_len);
	journal_record_release(&rec);
	return (match);
}

/*
 * Parse the wait's "where" list into the connection's filters.  Return 0,
 * or -1 after answering the client.
 */
static int
control_wait_parse_filters(struct conn *c, struct proto_frame *f)
{
	struct json_object	*list = NULL;
	char			*cause;

	control_wait_forget_filters(c);
	if (proto_get_strings(f->json, "where", 0, WAIT_FILTERS_MAX,
	    WAIT_FILTER_LEN, &list) == PROTO_INVALID) {
		control_invalid(c, f, "where");
		return (-1);
	}
	if (filter_parse_list(list, &c->filters, &c->nfilters, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "%s", cause);
		free(cause);
		return (-1);
	}
	return (0);
}

/* A wait's deadline passed with nothing for it: answer so. */
static void
control_wait_timeout(struct conn *c)
{
	store_unwait(control_store(c), &c->waiter);
	c->waiting = 0;
	/* Its next interim frame, if it was still looking. */
	loop_timer_cancel(control_loop(c), c->wait_timer);
	c->wait_timer = NULL;
	control_reply(c, proto_reply(EXIT_TIMEOUT, NULL), NULL, 0);
}

/* Add how a hook is known to b: its name, else its URL. */
static void
control_wait_add_hook(struct buffer *b, const struct hook *h)
{
	char	*url;

	if (h->name != NULL) {
		buffer_add_str(b, "'");
		buffer_add_str(b, h->name);
		buffer_add_str(b, "'");
		return;
	}
	url = envelope_hook_url(h);
	buffer_add_str(b, url);
	free(url);
}

/*
 * None of the hooks waited on can give the wait a message any more (see
 * waiter.h): answer EXIT_NOT_FOUND, "ended", with why in one line.
 */
static void
control_wait_ended(struct waiter *w)
{
	struct conn		*c = w->arg;
	struct json_object	*r;
	struct buffer		 b;
	const struct hook	*h = w->hooks[0];
	char			*text, count[128];
	size_t			 i;
	int			 expired, same = 1;

	c->waiting = 0;
	loop_timer_cancel(control_loop(c), c->wait_timer);
	c->wait_timer = NULL;
	for (i = 1; i < w->nhooks; i++)
		same &= w->hooks[i] == h;
	buffer_init(&b);
	if (same) {
		expired = h->expired || (h->expires_at != 0 &&
		    h->expires_at <= clock_wall_ms());
		buffer_add_str(&b, "hook ");
		control_wait_add_hook(&b, h);
		buffer_add_str(&b, expired ? " expired" : " is closed");
	} else
		buffer_add_str(&b, "every hook waited on is closed or expired");
	if (w->held > 0) {
		/* A batch (wait --count) that cannot be completed. */
		(void)snprintf(count, sizeof count, " and only %llu message%s "
		    "queued%s (%s)", (unsigned long long)w->held,
		    w->held == 1 ? " is" : "s are", c->nfilters > 0 ?
		    " that match --where" : "", w->held == 1 ?
		    "it stays queued" : "they stay queued");
		buffer_add_str(&b, count);
	} else
		buffer_add_str(&b, c->nfilters > 0 ? " and nothing queued "
		    "matches --where" : " and nothing is queued");
	text = buffer_detach(&b, NULL);
	r = proto_reply(EXIT_NOT_FOUND, text);
	json_object_object_add(r, "ended", json_object_new_boolean(1));
	control_reply(c, r, NULL, 0);
	free(text);
}

/*
 * A wait past its deadline is still looking: tell its client, which
 * accepts interim frames, and again in WAIT_INTERIM_MS while it looks.
 * Deliver, ended and timeout cancel the timer with the wait.
 */
static void
control_wait_scanning(void *arg)
{
	struct conn	*c = arg;

	c->wait_timer = NULL;
	if (!c->waiting || !store_wait_busy(&c->waiter))
		return;
	control_reply(c, proto_interim("scanning"), NULL, 0);
	c->wait_timer = loop_timer_add(control_loop(c),
	    loop_now() + WAIT_INTERIM_MS, control_wait_scanning, c);
}

/*
 * A wait's deadline passed.  A waiter still looking through the messages
 * queued for it finishes first: a message queued before the deadline is
 * still its answer, however long the looking takes.  A client that takes
 * interim frames hears every WAIT_INTERIM_MS that we still look; any
 * other gives up WAIT_BACKSTOP_MS after its deadline (a lease it never
 * sees is released when it goes).
 */
static void
control_wait_expired(void *arg)
{
	struct conn	*c = arg;

	c->wait_timer = NULL;
	if (!c->waiting)
		return;
	if (store_wait_busy(&c->waiter)) {
		c->wait_expired = 1;
		if (c->wait_interim)
			c->wait_timer = loop_timer_add(control_loop(c),
			    loop_now() + WAIT_INTERIM_MS,
			    control_wait_scanning, c);
		return;
	}
	control_wait_timeout(c);
}

/* A waiter found nothing queued for it: if its deadline has passed, say so. */
static void
control_wait_idle(struct waiter *w)
{
	struct conn	*c = w->arg;

	if (c->wait_expired)
		control_wait_timeout(c);
}

/*
 * Find the n hooks the wait's list names, for the connection's waiter.
 * Return 0, or -1 after answering the client.
 */
static int
control_wait_find_hooks(struct conn *c, struct json_object *list, size_t n)
{
	const char	*handle;
	struct hook	*h;
	size_t		 i;

	free(c->waiter.hooks);
	c->waiter.hooks = xcalloc(n, sizeof *c->waiter.hooks);
	c->waiter.nhooks = 0;
	for (i = 0; i < n; i++) {
		handle = json_object_get_string(json_object_array_get_idx(list,
		    i));
		if ((h = store_find(control_store(c), handle)) == NULL) {
			control_errorf(c, EXIT_NOT_FOUND, "no such hook '%s'",
			    handle);
			return (-1);
		}
		c->waiter.hooks[c->waiter.nhooks++] = h;
	}
	return (0);
}

/*
 * Count the connection's leases on the hooks its waiter waits on: the
 * batch's own leases do not keep its closed hooks alive.
 */
static uint64_t
control_wait_held(const struct conn *c)
{
	uint64_t	held = 0;
	size_t		i, j;

	for (i = 0; i < c->nleases; i++) {
		for (j = 0; j < c->waiter.nhooks; j++) {
			if (c->leases[i]->hook == c->waiter.hooks[j]) {
				held++;
				break;
			}
		}
	}
	return (held);
}

/*
 * Set how many messages more the wait's batch will ask for: "want", the
 * messages it still wants with this one (0: all that are queued, a
 * drain), with "more".  Return 0, or -1 after answering the client.
 */
static int
control_wait_ahead(struct conn *c, struct proto_frame *f, int more,
    uint64_t *ahead)
{
	int64_t	want = -1;

	if (proto_get_int(f->json, "want", 0, INT64_MAX, &want) ==
	    PROTO_INVALID) {
		control_invalid(c, f, "want");
		return (-1);
	}
	if (!more || want < 0)
		*ahead = 0;
	else
		*ahead = want == 0 ? UINT64_MAX : (uint64_t)want - 1;
	return (0);
}

/*
 * Reply to "wait": lease the next message of any listed hook ("hooks"),
 * passing the filters ("where"), or only show it ("peek"), or answer
 * EXIT_TIMEOUT once "timeout_ms" has passed without one, or EXIT_NOT_FOUND
 * with "ended" once none can come.  With "more", the leases the
 * connection holds are kept (a batch), and "want" says how many it still
 * wants (control_wait_ahead).  With "interim", interim frames say
 * meanwhile that a wait past its deadline is still looking.
 */
void
control_wait_start(struct conn *c, struct proto_frame *f)
{
	struct json_object	*list = NULL;
	int64_t			 timeout = -1;
	uint64_t		 ahead;
	int			 peek = 0, more = 0, interim = 0;
	size_t			 n;

	if (proto_get_bool(f->json, "more", &more) == PROTO_INVALID) {
		control_invalid(c, f, "more");
		return;
	}
	if (control_wait_ahead(c, f, more, &ahead) == -1)
		return;
	if (proto_get_bool(f->json, "interim", &interim) == PROTO_INVALID) {
		control_invalid(c, f, "interim");
		return;
	}
	if (c->waiting || (c->nleases > 0 && !more)) {
		control_errorf(c, EXIT_USAGE, "a wait is already in progress");
		return;
	}
	if (c->nleases > 0 && !control_wait_batch_kept(c, 1))
		return;
	switch (proto_get_strings(f->json, "hooks", 0, WAIT_HOOKS_MAX,
	    WAIT_HANDLE_LEN, &list)) {
	case PROTO_ABSENT:
		break;
	case PROTO_INVALID:
		control_invalid(c, f, "hooks");
		return;
	}
	if (list == NULL || (n = json_object_array_length(list)) == 0) {
		control_errorf(c, EXIT_USAGE, "wait needs at least one hook");
		return;
	}
	if (proto_get_bool(f->json, "peek", &peek) == PROTO_INVALID) {
		control_invalid(c, f, "peek");
		return;
	}
	if (proto_get_int(f->json, "timeout_ms", 0, PROTO_MS_MAX,
	    &timeout) == PROTO_INVALID) {
		control_invalid(c, f, "timeout_ms");
		return;
	}
	if (control_wait_find_hooks(c, list, n) == -1 ||
	    control_wait_parse_filters(c, f) == -1)
		return;
	c->waiter.cb = control_wait_deliver;
	c->waiter.match = c->nfilters > 0 ? control_wait_match : NULL;
	c->waiter.idle = control_wait_idle;
	c->waiter.ended = control_wait_ended;
	c->waiter.held = control_wait_held(c);
	c->waiter.ahead = ahead;
	c->waiter.peek = peek;
	c->wait_expired = 0;
	c->wait_interim = interim;
	c->waiter.arg = c;
	c->waiting = 1;
	store_wait(control_store(c), &c->waiter);
	loop_timer_cancel(control_loop(c), c->lease_timer);
	c->lease_timer = NULL;
	if (c->waiting && c->nleases > 0)
		c->lease_timer = loop_timer_add(control_loop(c),
		    loop_now() + WAIT_LEASE_CHECK_MS, control_wait_check_leases,
		    c);
	if (!c->waiting || timeout < 0)
		return;
	if (timeout == 0)
		control_wait_expired(c);
	else
		c->wait_timer = loop_timer_add(control_loop(c),
		    loop_now() + timeout, control_wait_expired, c);
}

/*
 * Reply to "ack": the client wrote the leased message "seq" out, or
 * ("all") every message leased to it; take them, answering once that is
 * durable.
 */
void
control_wait_ack(struct conn *c, struct proto_frame *f)
{
	int64_t	seq = -1;
	int	all = 0;
	size_t	i;

	if (proto_get_bool(f->json, "all", &all) == PROTO_INVALID) {
		control_invalid(c, f, "all");
		return;
	}
	if (all) {
		/* In lease order, which is the order printed. */
		for (i = 0; i < c->nleases; i++)
			store_take(control_store(c), c->leases[i]);
		c->nleases = 0;
		control_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
		return;
	}
	if (proto_get_int(f->json, "seq", 0, INT64_MAX, &seq) != PROTO_VALID) {
		control_invalid(c, f, "seq");
		return;
	}
	for (i = 0; i < c->nleases; i++) {
		if (c->leases[i]->seq == (uint64_t)seq)
			break;
	}
	if (i == c->nleases) {
		control_errorf(c, EXIT_USAGE,
		    "no message %lld is being waited on", (long long)seq);
		return;
	}
	store_take(control_store(c), c->leases[i]);
	memmove(&c->leases[i], &c->leases[i + 1],
	    (c->nleases - i - 1) * sizeof *c->leases);
	c->nleases--;
	control_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}

/*
 * Reply to "release": the client gives back every message leased to it
 * (a batch it could not complete); they are queued again before the
 * answer, so its next wait finds them.
 */
void
control_wait_give_back(struct conn *c, struct proto_frame *f)
{
	(void)f;
	if (c->waiting) {
		control_errorf(c, EXIT_USAGE, "a wait is in progress");
		return;
	}
	control_wait_release(c);
	control_reply(c, proto_reply(EXIT_OK, NULL), NULL, 0);
}
