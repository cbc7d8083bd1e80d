/*
 * The journal's sync thread (see journal-syncer.h): fdatasync off the
 * event loop, one at a time, as PostgreSQL's WAL writer flushes while
 * backends go on inserting.
 *
 * Like the preparer's (journal-prepare.c), the thread is started on the
 * first sync, blocks every signal (they go to the listener's signalfd)
 * and sleeps on a condition variable between syncs.  It knows nothing of
 * segments: it is given a descriptor, syncs it, keeps the outcome and
 * makes the eventfd readable.  The caller must keep the descriptor open
 * until it has taken the outcome.  If the thread cannot be started, the
 * sync is done at once on the caller's thread, with the same outcome and
 * the same wake-up: slower, never less safe.
 */
#include "config.h"

#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal-syncer.h"
#include "xmalloc.h"

enum syncer_state {
	SYNCER_IDLE,		/* nothing handed over, or outcome taken */
	SYNCER_ASKED,		/* handed over, not picked up */
	SYNCER_RUNNING,		/* in fdatasync */
	SYNCER_FINISHED,	/* outcome ready: take it */
};

struct journal_syncer {
	int			 efd;		/* readable when FINISHED */
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;		/* to the thread */
	pthread_cond_t		 done;		/* from it */
	pthread_t		 thread;
	int			 started;

	/* All below under lock. */
	int			 stop;
	enum syncer_state	 state;
	int			 fd;		/* to sync */
	int			 fail;		/* test builds: fail it */
	int			 error;		/* FINISHED: 0 or an errno */
};

/* Sync fd, or pretend it failed; return 0 or an errno. */
static int
journal_syncer_sync(int fd, int fail)
{
	if (fail)
		return (EIO);
	if (fdatasync(fd) == -1)
		return (errno);
	return (0);
}

/*
 * Keep an outcome, wake a caller waiting for it and unlock the lock held,
 * then wake the loop: outside the lock, so that the loop, woken, does not
 * wait for it.
 */
static void
journal_syncer_finish(struct journal_syncer *sy, int error)
{
	uint64_t	one = 1;

	sy->state = SYNCER_FINISHED;
	sy->error = error;
	pthread_cond_broadcast(&sy->done);
	pthread_mutex_unlock(&sy->lock);
	/* Cannot fail short of a counter at its maximum: one per sync. */
	if (write(sy->efd, &one, sizeof one) != sizeof one) {
		/* A caller that waits (block set) needs no wake-up. */
	}
}

/* The thread: sync what is handed over, until told to stop. */
static void *
journal_syncer_main(void *arg)
{
	struct journal_syncer	*sy = arg;
	int			 fd, fail, error;

	pthread_mutex_lock(&sy->lock);
	for (;;) {
		while (!sy->stop && sy->state != SYNCER_ASKED)
			pthread_cond_wait(&sy->work, &sy->lock);
		/* A sync handed over is done even at a stop. */
		if (sy->state != SYNCER_ASKED)
			break;
		sy->state = SYNCER_RUNNING;
		fd = sy->fd;
		fail = sy->fail;
		pthread_mutex_unlock(&sy->lock);

		error = journal_syncer_sync(fd, fail);

		pthread_mutex_lock(&sy->lock);
		journal_syncer_finish(sy, error);
		pthread_mutex_lock(&sy->lock);
	}
	pthread_mutex_unlock(&sy->lock);
	return (NULL);
}

/* Make a syncer (its thread starts on the first sync), or NULL. */
struct journal_syncer *
journal_syncer_new(char **cause)
{
	struct journal_syncer	*sy;

	sy = xcalloc(1, sizeof *sy);
	if ((sy->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		xasprintf(cause, "cannot make an eventfd for the journal: %s",
		    strerror(errno));
		free(sy);
		return (NULL);
	}
	pthread_mutex_init(&sy->lock, NULL);
	pthread_cond_init(&sy->work, NULL);
	pthread_cond_init(&sy->done, NULL);
	sy->state = SYNCER_IDLE;
	return (sy);
}

/*
 * Free a syncer: a sync under way or handed over is finished first (its
 * descriptor is the caller's to close after), then the thread stops.
 */
void
journal_syncer_free(struct journal_syncer *sy)
{
	if (sy == NULL)
		return;
	if (sy->started) {
		pthread_mutex_lock(&sy->lock);
		sy->stop = 1;
		pthread_cond_signal(&sy->work);
		pthread_mutex_unlock(&sy->lock);
		pthread_join(sy->thread, NULL);
	}
	close(sy->efd);
	pthread_cond_destroy(&sy->done);
	pthread_cond_destroy(&sy->work);
	pthread_mutex_destroy(&sy->lock);
	free(sy);
}

/* Return the eventfd that is readable when a sync's outcome is ready. */
int
journal_syncer_fd(const struct journal_syncer *sy)
{
	return (sy->efd);
}

/*
 * Start a journal helper thread running fn(arg), with every signal
 * blocked (they go to the listener's signalfd).  Return 0, or -1 with
 * errno.
 */
int
journal_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t	all, old;
	int		error;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	return (0);
}

/* Start the thread if it is not running; called with the lock held. */
static int
journal_syncer_thread(struct journal_syncer *sy)
{
	if (sy->started)
		return (0);
	if (journal_thread_start(&sy->thread, journal_syncer_main, sy) == -1)
		return (-1);
	sy->started = 1;
	return (0);
}

/*
 * Hand over the fdatasync of fd (or, with fail set, a simulated failure:
 * test builds).  Nothing may be under way: the outcome of the last sync
 * must have been taken.
 */
void
journal_syncer_start(struct journal_syncer *sy, int fd, int fail)
{
	pthread_mutex_lock(&sy->lock);
	if (journal_syncer_thread(sy) == -1) {
		/* No thread: sync here, the outcome taken the same way. */
		journal_syncer_finish(sy, journal_syncer_sync(fd, fail));
		return;
	}
	sy->fd = fd;
	sy->fail = fail;
	sy->state = SYNCER_ASKED;
	pthread_mutex_unlock(&sy->lock);
	/* After unlocking: the thread, woken, takes the lock at once. */
	pthread_cond_signal(&sy->work);
}

/*
 * Take the outcome of the last sync handed over, waiting for it if block
 * is set.  Return 1 with *error (0, or the errno of the failed sync), or
 * 0 when it is still under way (block not set).  With nothing handed
 * over, return 1 with *error 0.
 */
int
journal_syncer_done(struct journal_syncer *sy, int block, int *error)
{
	uint64_t	count;
	int		taken = 1;

	*error = 0;
	pthread_mutex_lock(&sy->lock);
	while (block && (sy->state == SYNCER_ASKED ||
	    sy->state == SYNCER_RUNNING))
		pthread_cond_wait(&sy->done, &sy->lock);
	switch (sy->state) {
	case SYNCER_FINISHED:
		*error = sy->error;
		sy->state = SYNCER_IDLE;
		/* Nonblocking: empty now, or a wake-up already taken. */
		if (read(sy->efd, &count, sizeof count) != sizeof count) {
			/* EAGAIN */
		}
		break;
	case SYNCER_IDLE:
		break;
	default:
		taken = 0;
		break;
	}
	pthread_mutex_unlock(&sy->lock);
	return (taken);
}
