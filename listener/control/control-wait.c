/*
 * Control requests to wait for messages: wait, and ack.
 *
 * A wait leases a message to its connection.  If the connection closes
 * before the client confirms (ack) that it wrote the message out, the lease
 * ends and the message goes back to its queue: at-least-once delivery.
 */
#include "config.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "conn.h"
#include "control.h"
#include "envelope.h"
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

/* Free the filters of the connection's last wait. */
void
control_wait_forget_filters(struct conn *c)
{
	size_t	i;

	for (i = 0; i < c->nfilters; i++)
		filter_release(&c->filters[i]);
	free(c->filters);
	c->filters = NULL;
	c->nfilters = 0;
}

/* A waiting connection got a message: send its envelope and body. */
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
		c->lease = m;
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
	size_t			 i, n;

	control_wait_forget_filters(c);
	switch (proto_get_strings(f->json, "where", 0, WAIT_FILTERS_MAX,
	    WAIT_FILTER_LEN, &list)) {
	case PROTO_ABSENT:
		return (0);
	case PROTO_INVALID:
		control_invalid(c, f, "where");
		return (-1);
	}
	n = json_object_array_length(list);
	c->filters = xcalloc(n, sizeof *c->filters);
	for (i = 0; i < n; i++) {
		if (filter_parse(json_object_get_string(
		    json_object_array_get_idx(list, i)), &c->filters[i],
		    &cause) == -1) {
			control_errorf(c, EXIT_USAGE, "%s", cause);
			free(cause);
			return (-1);
		}
		c->nfilters++;
	}
	return (0);
}

/* A wait's deadline passed with nothing for it: answer so. */
static void
control_wait_timeout(struct conn *c)
{
	store_unwait(control_store(c), &c->waiter);
	c->waiting = 0;
	control_reply(c, proto_reply(EXIT_TIMEOUT, NULL), NULL, 0);
}

/*
 * A wait's deadline passed.  A waiter still looking through the messages
 * queued for it finishes first: a message queued before the deadline is
 * still its answer, however long the looking takes (the client gives up
 * WAIT_BACKSTOP_MS after its deadline, and a lease it never sees is
 * released when it goes).
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
 * Reply to "wait": lease the next message of any listed hook ("hooks"),
 * passing the filters ("where"), or only show it ("peek"), or answer
 * EXIT_TIMEOUT once "timeout_ms" has passed without one.
 */
void
control_wait_start(struct conn *c, struct proto_frame *f)
{
	struct json_object	*list = NULL;
	const char		*handle;
	struct hook		*h;
	int64_t			 timeout = -1;
	int			 peek = 0;
	size_t			 i, n;

	if (c->waiting || c->lease != NULL) {
		control_errorf(c, EXIT_USAGE, "a wait is already in progress");
		return;
	}
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
	free(c->waiter.hooks);
	c->waiter.hooks = xcalloc(n, sizeof *c->waiter.hooks);
	c->waiter.nhooks = 0;
	for (i = 0; i < n; i++) {
		handle = json_object_get_string(json_object_array_get_idx(list,
		    i));
		if ((h = store_find(control_store(c), handle)) == NULL) {
			control_errorf(c, EXIT_NOT_FOUND, "no such hook '%s'",
			    handle);
			return;
		}
		c->waiter.hooks[c->waiter.nhooks++] = h;
	}
	if (control_wait_parse_filters(c, f) == -1)
		return;
	c->waiter.cb = control_wait_deliver;
	c->waiter.match = c->nfilters > 0 ? control_wait_match : NULL;
	c->waiter.idle = control_wait_idle;
	c->waiter.peek = peek;
	c->wait_expired = 0;
	c->waiter.arg = c;
	c->waiting = 1;
	store_wait(control_store(c), &c->waiter);
	if (!c->waiting || timeout < 0)
		return;
	if (timeout == 0)
		control_wait_expired(c);
	else
		c->wait_timer = loop_timer_add(control_loop(c),
		    loop_now() + timeout, control_wait_expired, c);
}

/* Reply to "ack": the client wrote the leased message out; take it. */
void
control_wait_ack(struct conn *c, struct proto_frame *f)
{
	int64_t	seq = -1;

	if (proto_get_int(f->json, "seq", 0, INT64_MAX, &seq) != PROTO_VALID) {
		control_invalid(c, f, "seq");
		return;
	}
	if (c->lease == NULL || (uint64_t)seq != c->lease->seq) {
		control_errorf(c, EXIT_USAGE,
		    "no message %lld is being waited on", (long long)seq);
		return;
	}
	store_take(control_store(c), c->lease);
	c->lease = NULL;
	control_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}
