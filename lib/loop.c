/*
 * A small event loop in the spirit of redis's ae.c.  Descriptors are kept in
 * an array indexed by fd.  Timers are a list sorted by deadline, on the
 * monotonic clock (loop_now).  They are not few: the listener has one per
 * wait with a timeout, held request, hook with --ttl, pending retry and control
 * connection that is sending a frame, besides its own handful.  Firing the
 * soonest is O(1); adding one walks the list from the soonest, O(n) in the
 * number of timers (a heap is the way out if that ever shows in a
 * profile).  Prepare callbacks run before each epoll_wait, in the order they
 * were added, and may return how soon they need to run again (ms, or -1).
 */
#include "config.h"

#include <sys/epoll.h>
#include <sys/queue.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "compat.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

struct loop_fd {
	loop_fd_cb	 cb;
	void		*arg;
	int		 active;
};

struct loop_timer {
	int64_t			 when;
	loop_timer_cb		 cb;
	void			*arg;
	TAILQ_ENTRY(loop_timer)	 entry;
};

struct loop_prepare {
	loop_prepare_cb	 cb;
	void		*arg;
};

struct loop {
	int			 epfd;
	struct loop_fd		*fds;
	int			 nfds;
	TAILQ_HEAD(, loop_timer) timers;
	struct loop_prepare	*prepares;
	size_t			 nprepares;
	int			 stopped;
};

/* Return the loop's clock: the monotonic one, in milliseconds. */
int64_t
loop_now(void)
{
	return (clock_mono_ms());
}

/* Create a loop. */
struct loop *
loop_new(void)
{
	struct loop	*l;

	l = xcalloc(1, sizeof *l);
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	TAILQ_INIT(&l->timers);
	return (l);
}

/* Free a loop and its timers. */
void
loop_free(struct loop *l)
{
	struct loop_timer	*t;

	while ((t = TAILQ_FIRST(&l->timers)) != NULL) {
		TAILQ_REMOVE(&l->timers, t, entry);
		free(t);
	}
	close(l->epfd);
	free(l->fds);
	free(l->prepares);
	free(l);
}

/* Watch fd for events, calling cb. */
int
loop_add(struct loop *l, int fd, uint32_t events, loop_fd_cb cb, void *arg)
{
	struct epoll_event	ev;

	if (fd >= l->nfds) {
		int	n = fd + 64;

		l->fds = xreallocarray(l->fds, (size_t)n, sizeof *l->fds);
		memset(l->fds + l->nfds, 0,
		    (size_t)(n - l->nfds) * sizeof *l->fds);
		l->nfds = n;
	}
	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		return (-1);
	l->fds[fd].cb = cb;
	l->fds[fd].arg = arg;
	l->fds[fd].active = 1;
	return (0);
}

/* Change the events watched on fd. */
int
loop_modify(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof ev);
	ev.events = events;
	ev.data.fd = fd;
	return (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev));
}

/* Stop watching fd (before it is closed). */
void
loop_remove(struct loop *l, int fd)
{
	if (fd < 0 || fd >= l->nfds || !l->fds[fd].active)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->fds[fd].active = 0;
	l->fds[fd].cb = NULL;
}

/* Call cb(arg) once at monotonic time when (ms). */
struct loop_timer *
loop_timer_add(struct loop *l, int64_t when, loop_timer_cb cb, void *arg)
{
	struct loop_timer	*t, *at;

	t = xcalloc(1, sizeof *t);
	t->when = when;
	t->cb = cb;
	t->arg = arg;
	TAILQ_FOREACH(at, &l->timers, entry) {
		if (at->when > when)
			break;
	}
	if (at == NULL)
		TAILQ_INSERT_TAIL(&l->timers, t, entry);
	else
		TAILQ_INSERT_BEFORE(at, t, entry);
	return (t);
}

/* Cancel a timer that has not fired. */
void
loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	if (t == NULL)
		return;
	TAILQ_REMOVE(&l->timers, t, entry);
	free(t);
}

/* Run cb before every wait; it returns the longest wait it allows, or -1. */
void
loop_prepare_add(struct loop *l, loop_prepare_cb cb, void *arg)
{
	l->prepares = xreallocarray(l->prepares, l->nprepares + 1,
	    sizeof *l->prepares);
	l->prepares[l->nprepares].cb = cb;
	l->prepares[l->nprepares].arg = arg;
	l->nprepares++;
}

/* Stop running cb(arg) before every wait; never from a prepare callback. */
void
loop_prepare_remove(struct loop *l, loop_prepare_cb cb, void *arg)
{
	size_t	i;

	for (i = 0; i < l->nprepares; i++) {
		if (l->prepares[i].cb != cb || l->prepares[i].arg != arg)
			continue;
		memmove(l->prepares + i, l->prepares + i + 1,
		    (l->nprepares - i - 1) * sizeof *l->prepares);
		l->nprepares--;
		return;
	}
}

/* Make loop_run return after the current pass. */
void
loop_stop(struct loop *l)
{
	l->stopped = 1;
}

/* Fire every timer that is due. */
static void
loop_fire_timers(struct loop *l)
{
	struct loop_timer	*t;
	int64_t			 now = loop_now();

	while ((t = TAILQ_FIRST(&l->timers)) != NULL && t->when <= now) {
		TAILQ_REMOVE(&l->timers, t, entry);
		t->cb(t->arg);
		free(t);
	}
}

/* Run one pass: prepare callbacks, wait for events, dispatch, timers. */
void
loop_run_once(struct loop *l)
{
	struct epoll_event	 events[64];
	struct loop_timer	*t;
	int64_t			 timeout = -1, wanted;
	size_t			 i;
	int			 n, k, fd;

	for (i = 0; i < l->nprepares; i++) {
		wanted = l->prepares[i].cb(l->prepares[i].arg);
		if (wanted >= 0 && (timeout < 0 || wanted < timeout))
			timeout = wanted;
	}
	if ((t = TAILQ_FIRST(&l->timers)) != NULL) {
		wanted = t->when - loop_now();
		if (wanted < 0)
			wanted = 0;
		if (timeout < 0 || wanted < timeout)
			timeout = wanted;
	}
	/* Wake at least once a second; a stop may be waiting on a deadline. */
	if (timeout < 0 || timeout > 1000)
		timeout = 1000;
	n = epoll_wait(l->epfd, events, (int)nitems(events), (int)timeout);
	if (n == -1 && errno != EINTR)
		fatal("epoll_wait");
	for (k = 0; k < n; k++) {
		fd = events[k].data.fd;
		if (fd < l->nfds && l->fds[fd].active)
			l->fds[fd].cb(fd, events[k].events, l->fds[fd].arg);
	}
	loop_fire_timers(l);
}

/* Run until loop_stop. */
void
loop_run(struct loop *l)
{
	while (!l->stopped)
		loop_run_once(l);
}
