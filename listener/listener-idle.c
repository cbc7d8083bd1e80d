/*
 * fish start --idle-exit D: the listener stops by itself once it has been
 * idle for D, so that a session nobody uses does not keep a process for
 * ever.  Idle means, all at once, at every look:
 *
 *	no open hook		every hook closed (fish close) or expired
 *				(spawn --ttl): no third party can expect an
 *				answer from us
 *	no control client	no command connected (a wait, a tail, a send
 *				waiting for its answer or to try again), nor
 *				one waiting to be accepted
 *	no HTTP request		none being received, held (spawn
 *				--hold) or forwarded (spawn --forward-to)
 *	no request going out	no send, replay or forward under way
 *
 * Stopping then is the ordinary graceful stop (listener_shutdown), and
 * loses nothing: everything is in the journal, and the next command starts
 * the listener again as after fish stop.  A command that connects at the
 * very instant of the decision is told it lost contact, as when fish stop
 * comes at that instant; the commands that may repeat their request (see
 * cli/client.c) start the listener again and go on.
 *
 * The listener looks every quarter of D (at least every 100ms, at most
 * every second), so it stops between D and D plus one look after it
 * became idle.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>

#include "control.h"
#include "hook.h"
#include "httpc.h"
#include "httpd.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "store.h"

#define IDLE_LOOK_MIN_MS	100
#define IDLE_LOOK_MAX_MS	1000

/* Tell whether any hook accepts requests. */
static int
listener_idle_open_hooks(void)
{
	struct hook	*h;

	TAILQ_FOREACH(h, store_hooks(listener.store), entry) {
		if (!h->closed)
			return (1);
	}
	return (0);
}

/* Tell whether anything is going on (see the top of this file). */
static int
listener_idle_busy(void)
{
	return (listener_idle_open_hooks() || control_busy(listener.control) ||
	    httpd_requests(listener.httpd) > 0 ||
	    httpc_active(listener.httpc));
}

/* Look whether we have been idle for D; stop if so, else look again. */
static void
listener_idle_check(void *arg)
{
	struct listener_idle	*idle = arg;
	int64_t			 now = loop_now();
	char			*text;

	if (listener.stopping)
		return;
	if (listener_idle_busy())
		idle->since = -1;
	else if (idle->since == -1)
		idle->since = now;
	if (idle->since != -1 && now - idle->since >= idle->after) {
		text = settings_format(&listener.settings, SETTING_IDLE_EXIT);
		log_info("idle for %s (--idle-exit): stopping", text);
		free(text);
		listener_shutdown();
		return;
	}
	loop_timer_add(listener.loop, now + idle->look, listener_idle_check,
	    idle);
}

/* Start looking for idleness, if --idle-exit asks for it. */
void
listener_idle_start(void)
{
	struct listener_idle	*idle = &listener.idle;

	idle->after = (int64_t)settings_number(&listener.settings,
	    SETTING_IDLE_EXIT);
	if (idle->after == 0)
		return;
	idle->look = idle->after / 4;
	if (idle->look < IDLE_LOOK_MIN_MS)
		idle->look = IDLE_LOOK_MIN_MS;
	if (idle->look > IDLE_LOOK_MAX_MS)
		idle->look = IDLE_LOOK_MAX_MS;
	idle->since = -1;
	loop_timer_add(listener.loop, loop_now() + idle->look,
	    listener_idle_check, idle);
}
