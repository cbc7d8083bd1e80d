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
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "message.h"
#include "proto.h"
#include "waiter.h"
#include "xmalloc.h"

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
	loop_timer_cancel(listener.loop, c->wait_timer);
	c->wait_timer = NULL;
	if (!w->peek)
		c->lease = m;
	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
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

/* Tell whether message m passes the waiting connection's filters. */
static int
control_wait_match(struct waiter *w, struct message *m)
{
	struct conn		*c = w->arg;
	struct journal_record	 rec;
	char			*cause;
	int			 match;

	if (journal_read(listener.journal, m->offset, &rec, &cause) == -1) {
		free(cause);
		return (0);
	}
	match = filter_match(c->filters, c->nfilters, rec.json, rec.body,
	    rec.body_len);
	journal_record_release(&rec);
	return (match);
}

/* Parse the wait's "where" list into the connection's filters. */
static int
control_wait_parse_filters(struct conn *c, struct json_object *request)
{
	struct json_object	*list;
	const char		*text;
	char			*cause;
	size_t			 i, n;

	control_wait_forget_filters(c);
	if (!json_object_object_get_ex(request, "where", &list))
		return (0);
	n = json_object_is_type(list, json_type_array) ?
	    json_object_array_length(list) : 0;
	c->filters = xcalloc(n, sizeof *c->filters);
	for (i = 0; i < n; i++) {
		text = json_object_get_string(json_object_array_get_idx(list, i));
		if (text == NULL ||
		    filter_parse(text, &c->filters[i], &cause) == -1) {
			control_errorf(c, EXIT_USAGE, "%s", text == NULL ?
			    "invalid filter" : cause);
			if (text != NULL)
				free(cause);
			return (-1);
		}
		c->nfilters++;
	}
	return (0);
}

/* A wait's deadline passed with nothing for it. */
static void
control_wait_expired(void *arg)
{
	struct conn	*c = arg;

	c->wait_timer = NULL;
	if (!c->waiting)
		return;
	waiter_remove(&c->waiter);
	c->waiting = 0;
	control_reply(c, proto_reply(EXIT_TIMEOUT, NULL), NULL, 0);
}

/*
 * Reply to "wait": lease the next message of any listed hook, or answer
 * EXIT_TIMEOUT once "timeout_ms" has passed without one.
 */
void
control_wait_start(struct conn *c, struct proto_frame *f)
{
	struct json_object	*list;
	struct hook		*h;
	int64_t			 timeout;
	size_t			 i, n;

	if (c->waiting || c->lease != NULL) {
		control_errorf(c, EXIT_USAGE, "a wait is already in progress");
		return;
	}
	if (!json_object_object_get_ex(f->json, "hooks", &list) ||
	    !json_object_is_type(list, json_type_array) ||
	    (n = json_object_array_length(list)) == 0) {
		control_errorf(c, EXIT_USAGE, "wait needs at least one hook");
		return;
	}
	free(c->waiter.hooks);
	c->waiter.hooks = xcalloc(n, sizeof *c->waiter.hooks);
	c->waiter.nhooks = 0;
	for (i = 0; i < n; i++) {
		const char *handle = json_object_get_string(
		    json_object_array_get_idx(list, i));

		if (handle == NULL || (h = hook_find(handle)) == NULL) {
			control_errorf(c, EXIT_NOT_FOUND, "no such hook '%s'",
			    handle == NULL ? "" : handle);
			return;
		}
		c->waiter.hooks[c->waiter.nhooks++] = h;
	}
	if (control_wait_parse_filters(c, f->json) == -1)
		return;
	c->waiter.cb = control_wait_deliver;
	c->waiter.match = c->nfilters > 0 ? control_wait_match : NULL;
	c->waiter.peek = proto_bool(f->json, "peek");
	c->waiter.arg = c;
	c->waiting = 1;
	waiter_add(&c->waiter);
	timeout = proto_int(f->json, "timeout_ms", -1);
	if (!c->waiting || timeout < 0)
		return;
	if (timeout == 0)
		control_wait_expired(c);
	else
		c->wait_timer = loop_timer_add(listener.loop,
		    loop_now() + timeout, control_wait_expired, c);
}

/* Reply to "ack": the client wrote the leased message out; take it. */
void
control_wait_ack(struct conn *c, struct proto_frame *f)
{
	int64_t	seq = proto_int(f->json, "seq", -1);

	if (c->lease == NULL || seq != (int64_t)c->lease->seq) {
		control_errorf(c, EXIT_USAGE,
		    "no message %lld is being waited on", (long long)seq);
		return;
	}
	message_take(c->lease);
	c->lease = NULL;
	control_reply_after_sync(c, proto_reply(EXIT_OK, NULL));
}
