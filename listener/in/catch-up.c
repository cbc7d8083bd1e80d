/*
 * Catching up the store before a 404 (see catch-up.h).  The request's
 * connection is suspended meanwhile, and resumed once the catch-up is
 * done, or CATCH_UP_MS have passed, with r->caught_up set to 1 (the
 * store has caught up: look for the hook again) or -1 (it could not:
 * answer 503).  A catch-up outlives a request that stopped waiting for
 * it: the store calls back once, whatever happens, and only then is its
 * state freed.
 */
#include "config.h"

#include <stdlib.h>

#include "catch-up.h"
#include "loop.h"
#include "request.h"
#include "store.h"
#include "xmalloc.h"

struct catch_up {
	struct loop		*loop;
	struct request		*request;	/* waiting, or NULL */
	struct loop_timer	*timer;
};

/* Resume the request waiting for c, if any, with result. */
static void
catch_up_finish(struct catch_up *c, int result)
{
	struct request	*r = c->request;

	if (r == NULL)
		return;
	c->request = NULL;
	r->caught_up = result;
	request_continue(r);
}

/* The store has caught up (error NULL) or could not: resume, free. */
static void
catch_up_done(void *arg, const char *error)
{
	struct catch_up	*c = arg;

	if (c->timer != NULL)
		loop_timer_cancel(c->loop, c->timer);
	catch_up_finish(c, error == NULL ? 1 : -1);
	free(c);
}

/* The store took too long: the request gets 503; the catch-up goes on. */
static void
catch_up_expired(void *arg)
{
	struct catch_up	*c = arg;

	c->timer = NULL;
	catch_up_finish(c, -1);
}

/*
 * Catch up the store for suspended request r, which is resumed when that
 * is done.  Return 0, or -1 when the store cannot catch up now (r is not
 * resumed).
 */
int
catch_up_start(struct loop *loop, struct store *store, struct request *r)
{
	struct catch_up	*c;

	c = xcalloc(1, sizeof *c);
	c->loop = loop;
	c->request = r;
	if (store_catch_up(store, catch_up_done, c) == -1) {
		free(c);
		return (-1);
	}
	/* The store may have called back at once: then c is gone. */
	if (r->caught_up == 0)
		c->timer = loop_timer_add(loop, loop_now() + CATCH_UP_MS,
		    catch_up_expired, c);
	return (0);
}
