/*
 * The hiredis adapter for lib/loop (redis-loop.h).
 *
 * hiredis calls addRead/delRead/addWrite/delWrite when it wants to read
 * or write, and cleanup just before it closes the descriptor.  The
 * descriptor is watched only while hiredis wants something: epoll always
 * reports a hang-up, and with nothing wanted that would wake the loop
 * forever.  A read or write handler may end with hiredis freeing the
 * context (the server went away, a callback freed it): dispatch then
 * stops at once, and frees the adapter's state itself.
 */
#include "config.h"

#include <sys/epoll.h>

#include <stdint.h>
#include <stdlib.h>

#include <hiredis/async.h>

#include "loop.h"
#include "redis-loop.h"
#include "xmalloc.h"

struct redis_loop {
	struct loop		*loop;
	redisAsyncContext	*ac;
	int			 fd;
	uint32_t		 events;	/* EPOLLIN, EPOLLOUT wanted */
	int			 watched;	/* fd is in the loop */
	int			 dispatching;	/* in redis_loop_dispatch */
	int			 gone;		/* cleanup came meanwhile */
};

static void	redis_loop_dispatch(int, uint32_t, void *);

/* Tell the loop what is wanted now. */
static void
redis_loop_update(struct redis_loop *e)
{
	if (e->events == 0) {
		if (e->watched)
			loop_remove(e->loop, e->fd);
		e->watched = 0;
		return;
	}
	if (e->watched) {
		loop_modify(e->loop, e->fd, e->events);
		return;
	}
	/* Should epoll refuse, the connect or command deadline ends it. */
	if (loop_add(e->loop, e->fd, e->events, redis_loop_dispatch, e) == 0)
		e->watched = 1;
}

/* Hand the descriptor's readiness to hiredis. */
static void
redis_loop_dispatch(int fd, uint32_t events, void *arg)
{
	struct redis_loop	*e = arg;
	redisAsyncContext	*ac = e->ac;
	int			 rd, wr;

	(void)fd;
	/* An error or hang-up goes to whichever hiredis waits on. */
	rd = (e->events & EPOLLIN) &&
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP));
	wr = (e->events & EPOLLOUT) &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP));
	e->dispatching = 1;
	if (wr)
		redisAsyncHandleWrite(ac);
	if (!e->gone && rd)
		redisAsyncHandleRead(ac);
	e->dispatching = 0;
	if (e->gone)
		free(e);
}

/* Want (on) or no longer want an event, and tell the loop. */
static void
redis_loop_want(void *arg, uint32_t event, int on)
{
	struct redis_loop	*e = arg;

	if (on)
		e->events |= event;
	else
		e->events &= ~event;
	redis_loop_update(e);
}

/* hiredis wants to read. */
static void
redis_loop_add_read(void *arg)
{
	redis_loop_want(arg, EPOLLIN, 1);
}

/* hiredis wants to read no more. */
static void
redis_loop_del_read(void *arg)
{
	redis_loop_want(arg, EPOLLIN, 0);
}

/* hiredis has something to write. */
static void
redis_loop_add_write(void *arg)
{
	redis_loop_want(arg, EPOLLOUT, 1);
}

/* hiredis has written everything. */
static void
redis_loop_del_write(void *arg)
{
	redis_loop_want(arg, EPOLLOUT, 0);
}

/* hiredis frees the context: stop watching, before it closes the fd. */
static void
redis_loop_cleanup(void *arg)
{
	struct redis_loop	*e = arg;

	e->events = 0;
	redis_loop_update(e);
	e->ac->ev.data = NULL;
	/* In dispatch, which still reads e: it frees e when done. */
	if (e->dispatching)
		e->gone = 1;
	else
		free(e);
}

/* Attach ac to loop; see redis-loop.h. */
int
redis_loop_attach(redisAsyncContext *ac, struct loop *loop)
{
	struct redis_loop	*e;

	if (ac->ev.data != NULL)
		return (-1);
	e = xcalloc(1, sizeof *e);
	e->loop = loop;
	e->ac = ac;
	e->fd = ac->c.fd;
	ac->ev.addRead = redis_loop_add_read;
	ac->ev.delRead = redis_loop_del_read;
	ac->ev.addWrite = redis_loop_add_write;
	ac->ev.delWrite = redis_loop_del_write;
	ac->ev.cleanup = redis_loop_cleanup;
	ac->ev.data = e;
	return (0);
}
