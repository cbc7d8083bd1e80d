/*
 * Read your own writes on a shared store.  A request that shows the
 * timeline (log, show, ls, replay) from a listener whose Redis has not
 * yet acknowledged every record written here waits until it has.  A
 * refusal (a 404, a 431) is answered at once, and its record shows under
 * a provisional number (store-redis-send.c) until Redis gives it its own: a
 * user who saw the 404 and runs `fish log` expects to find it there,
 * under the number every later log shows.  The wait is bounded by
 * SETTLE_MS: with Redis gone the request is run with what is there.
 *
 * The journal needs none of this: its records are durable before the
 * loop next waits, so before any later request is read.
 */
#include "config.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "conn.h"
#include "control-private.h"
#include "control-settle.h"
#include "loop.h"
#include "proto.h"
#include "store.h"
#include "xmalloc.h"

/* The longest a request waits for Redis to acknowledge earlier records. */
#define SETTLE_MS	1000

struct settle {
	struct conn		*conn;
	control_handler		 handler;
	struct json_object	*request;
	struct loop_timer	*timer;
};

static void	settle_synced(void *);

/* What the store calls instead of a callback taken back. */
static void
settle_nothing(void *arg)
{
	(void)arg;
}

/* Stop waiting: take back the store's callback and the timer. */
static void
settle_free(struct settle *s)
{
	struct control	*ctl = s->conn->control;

	store_sync_move(ctl->store, settle_synced, s, settle_nothing, NULL);
	if (s->timer != NULL)
		loop_timer_cancel(ctl->loop, s->timer);
	json_object_put(s->request);
	s->conn->settle = NULL;
	free(s);
}

/* Run the request now, with what the store holds. */
static void
settle_run(struct settle *s)
{
	struct proto_frame	 f;
	struct conn		*c = s->conn;
	control_handler		 handler = s->handler;

	proto_frame_init(&f);
	f.json = json_object_get(s->request);
	settle_free(s);
	handler(c, &f);
	proto_frame_release(&f);
}

/* Every record written before the request is acknowledged. */
static void
settle_synced(void *arg)
{
	settle_run(arg);
}

/* They will not be soon (too few replicas): run it with what is there. */
static void
settle_unsynced(void *arg, const char *why)
{
	(void)why;
	settle_run(arg);
}

/* Redis is slow or gone: run it with what is there. */
static void
settle_expired(void *arg)
{
	struct settle	*s = arg;

	s->timer = NULL;
	settle_run(s);
}

/*
 * Run request f of c with handler, now, or once every record this
 * listener wrote so far is acknowledged (at most SETTLE_MS from now).
 * A connection waits for one request at a time: a second one is run at
 * once (no client of ours sends one).
 */
void
control_settle(struct conn *c, control_handler handler,
    struct proto_frame *f)
{
	struct control	*ctl = c->control;
	struct settle	*s;

	if (store_durable(ctl->store) || c->settle != NULL) {
		handler(c, f);
		return;
	}
	s = xcalloc(1, sizeof *s);
	s->conn = c;
	s->handler = handler;
	s->request = json_object_get(f->json);
	c->settle = s;
	s->timer = loop_timer_add(ctl->loop, loop_now() + SETTLE_MS,
	    settle_expired, s);
	/* Taken back when c closes (settle_free): nothing to drop. */
	store_after_sync_or_fail(ctl->store, settle_synced, settle_unsynced,
	    NULL, s);
}

/* c is closing: it waits for nothing more. */
void
control_settle_forget(struct conn *c)
{
	if (c->settle != NULL)
		settle_free(c->settle);
}
