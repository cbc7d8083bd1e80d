/*
 * Making appends durable: the group commit (see journal.h).
 *
 * Pipelined, as PostgreSQL's WAL writer does it: the event loop writes
 * the pending records to the active segment and hands its fdatasync to
 * the sync thread (journal-syncer.c), then goes on reading and appending
 * while the disk works (journal_commit_start).  The callbacks registered
 * before that write go with the sync and run only once it succeeded
 * (journal_commit_poll, when the syncer's eventfd is readable); what is
 * appended and registered meanwhile waits for the next sync, which starts
 * as soon as that one ends.  One sync at a time: a batch's callbacks
 * therefore run in the order they were registered, after every earlier
 * batch's.
 *
 * After a roll the old segment's tail is synced on its own first, and
 * only then is anything written to the new one: a crash never leaves a
 * newer segment with records after an older one's torn tail.
 *
 * journal_sync and journal_commit do the same while waiting (a stop, the
 * tests): they first take the outcome of a sync under way.  A failed sync
 * is fatal to the journal: after a failed fsync the kernel may have
 * dropped the dirty pages, and a retry could report success for data
 * that is gone.  So nothing waiting for it runs, and every later sync or
 * commit fails with the first cause.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "journal.h"
#include "journal-prepare.h"
#include "journal-segment.h"
#include "journal-syncer.h"
#include "xmalloc.h"

/* Test builds: whether syncs are to fail (FISH_TEST_FAIL_FSYNC). */
static int
journal_fail_test(void)
{
#ifdef FISH_TEST_HOOKS
	return (getenv("FISH_TEST_FAIL_FSYNC") != NULL);
#else
	return (0);
#endif
}

/* Fail the journal for good: segment number's sync failed with error. */
static void
journal_sync_failed(struct journal *j, uint32_t number, int error)
{
	char	*cause;

	xasprintf(&cause, "cannot sync journal segment %08u: %s", number,
	    strerror(error));
	journal_fail(j, cause);
}

/* Run the callbacks of batch, n of them, in order, and free it. */
static void
journal_run(struct journal_synced *batch, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		batch[i].cb(batch[i].arg);
	free(batch);
}

/* Run what was registered so far (callbacks may register more). */
static void
journal_run_registered(struct journal *j)
{
	struct journal_synced	*batch = j->synced;
	size_t			 n = j->nsynced;

	j->synced = NULL;
	j->nsynced = j->synced_size = 0;
	journal_run(batch, n);
}

/* Run what waited for the sync that just ended. */
static void
journal_run_inflight(struct journal *j)
{
	struct journal_synced	*batch = j->inflight_cbs;
	size_t			 n = j->ninflight;

	j->inflight_cbs = NULL;
	j->ninflight = 0;
	journal_run(batch, n);
}

/*
 * Take the outcome of the sync under way, if any, waiting for it if block
 * is set.  Return 1 when none is under way any more, 0 when one still is,
 * -1 when it failed (j->failure says why).  What waited for it stays in
 * j->inflight_cbs.
 */
static int
journal_sync_reap(struct journal *j, int block)
{
	struct segment	*seg;
	int		 error;

	if (!j->inflight)
		return (1);
	if (!journal_syncer_done(j->syncer, block, &error))
		return (0);
	j->inflight = 0;
	if (error != 0) {
		journal_sync_failed(j, j->inflight_number, error);
		return (-1);
	}
	j->syncs++;
	seg = journal_find_segment(j, j->inflight_number);
	if (seg != NULL)
		seg->written_at = clock_wall_ms();
	if (j->inflight_older && j->unsynced == j->inflight_number) {
		j->unsynced = 0;
		if (seg != NULL)
			journal_preparer_seal(j->preparer, seg->number,
			    seg->size);
	}
	return (1);
}

/*
 * Put what waited for a sync that ended (taken by a caller that waited)
 * before what was registered since, to run at the next commit.
 */
static void
journal_requeue(struct journal *j)
{
	struct journal_synced	*all;
	size_t			 n = j->ninflight + j->nsynced;

	if (j->ninflight == 0)
		return;
	all = xreallocarray(NULL, n, sizeof *all);
	memcpy(all, j->inflight_cbs, j->ninflight * sizeof *all);
	if (j->nsynced > 0)
		memcpy(all + j->ninflight, j->synced, j->nsynced * sizeof *all);
	free(j->inflight_cbs);
	free(j->synced);
	j->inflight_cbs = NULL;
	j->ninflight = 0;
	j->synced = all;
	j->nsynced = j->synced_size = n;
}

/*
 * Hand seg's fdatasync to the sync thread.  Unless it is an older
 * segment's tail, what was registered so far waits for it.
 */
static void
journal_sync_hand(struct journal *j, struct segment *seg, int older)
{
	j->inflight = 1;
	j->inflight_number = seg->number;
	j->inflight_older = older;
	if (!older) {
		j->inflight_cbs = j->synced;
		j->ninflight = j->nsynced;
		j->synced = NULL;
		j->nsynced = j->synced_size = 0;
	}
	journal_syncer_start(j->syncer, seg->fd, journal_fail_test());
}

/* Tell whether there are appends not yet durable. */
int
journal_dirty(const struct journal *j)
{
	return (buffer_unread(&j->pending) != 0 || j->unsynced != 0 ||
	    j->inflight || j->failure != NULL);
}

/*
 * Make every append durable, waiting: take the outcome of a sync under
 * way (what waited for it then runs at the next commit), sync the older
 * segment a roll wrote to, if any, then write pending appends at the end
 * of the active segment and fdatasync them.  A failure is fatal (see the
 * top of the file): the journal keeps failing, and never rolls again.
 */
int
journal_sync(struct journal *j, char **cause)
{
	struct segment	*seg;
	size_t		 n;

	if (journal_sync_reap(j, 1) == 1)
		journal_requeue(j);
	if (j->failure != NULL) {
		*cause = xstrdup(j->failure);
		return (-1);
	}
	if (j->unsynced != 0 && journal_sync_older(j, cause) == -1)
		goto fail;
	seg = journal_active(j);
	if ((n = buffer_unread(&j->pending)) == 0)
		return (0);
	if (journal_pwrite(seg->fd, buffer_peek(&j->pending), n,
	    seg->size) == -1) {
		xasprintf(cause, "cannot write journal segment %08u: %s",
		    seg->number, strerror(errno));
		goto fail;
	}
	if (journal_fail_test()) {
		errno = EIO;
		goto failed;
	}
	if (fdatasync(seg->fd) == -1)
		goto failed;
	j->syncs++;
	seg->size += n;
	seg->written_at = clock_wall_ms();
	journal_pending_reset(j);
	return (0);
failed:
	journal_sync_failed(j, seg->number, errno);
	*cause = xstrdup(j->failure);
	return (-1);
fail:
	journal_fail(j, xstrdup(*cause));
	return (-1);
}

/* Run cb(arg) once everything appended so far is durable (journal_commit). */
void
journal_after_sync(struct journal *j, journal_synced_cb cb, void *arg)
{
	if (j->nsynced == j->synced_size) {
		j->synced_size = j->synced_size == 0 ? 64 : j->synced_size * 2;
		j->synced = xreallocarray(j->synced, j->synced_size,
		    sizeof *j->synced);
	}
	j->synced[j->nsynced].cb = cb;
	j->synced[j->nsynced].arg = arg;
	j->nsynced++;
}

/*
 * The group commit, waiting (at a stop, and in tests): let the sync under
 * way end and run what waited for it; then sync, and run every callback
 * registered before the sync; again while they append or register more,
 * until nothing waits.  Return 0, or -1 with *cause when a sync failed:
 * the caller must then stop acknowledging anything, and the callbacks
 * waiting for that sync have not run.
 */
int
journal_commit(struct journal *j, char **cause)
{
	if (journal_sync_reap(j, 1) == -1) {
		*cause = xstrdup(j->failure);
		return (-1);
	}
	journal_run_inflight(j);
	while (j->nsynced > 0 || journal_dirty(j)) {
		if (journal_sync(j, cause) == -1)
			return (-1);
		/* Callbacks may append and register more: take this batch. */
		journal_run_registered(j);
	}
	return (0);
}

/*
 * The group commit, without waiting (before each wait of the loop): if
 * no sync is under way, write what is pending and hand its sync to the
 * sync thread, with every callback registered so far; callbacks that
 * wait for nothing (no write since the last sync) run now.  Return 0, or
 * -1 with *cause when the journal failed (as journal_commit).
 */
int
journal_commit_start(struct journal *j, char **cause)
{
	struct segment	*seg;
	size_t		 n;
	char		*why;

	for (;;) {
		if (j->failure != NULL) {
			*cause = xstrdup(j->failure);
			return (-1);
		}
		if (j->inflight)
			return (0);
		if (j->unsynced != 0 &&
		    (seg = journal_find_segment(j, j->unsynced)) != NULL) {
			journal_sync_hand(j, seg, 1);
			return (0);
		}
		j->unsynced = 0;
		seg = journal_active(j);
		if ((n = buffer_unread(&j->pending)) > 0) {
			if (journal_pwrite(seg->fd, buffer_peek(&j->pending),
			    n, seg->size) == -1) {
				xasprintf(&why, "cannot write journal segment "
				    "%08u: %s", seg->number, strerror(errno));
				journal_fail(j, why);
				continue;
			}
			seg->size += n;
			journal_pending_reset(j);
			journal_sync_hand(j, seg, 0);
			return (0);
		}
		if (j->nsynced == 0)
			return (0);
		/* Everything written is synced: they wait for nothing. */
		journal_run_registered(j);
	}
}

/*
 * Called when journal_sync_fd is readable: if the sync under way ended,
 * run what waited for it and start the next one at once.  Return 0, or
 * -1 with *cause when the sync failed (as journal_commit).
 */
int
journal_commit_poll(struct journal *j, char **cause)
{
	switch (journal_sync_reap(j, 0)) {
	case 0:
		return (0);
	case -1:
		*cause = xstrdup(j->failure);
		return (-1);
	}
	journal_run_inflight(j);
	return (journal_commit_start(j, cause));
}

/* Return the descriptor readable when a sync under way has ended. */
int
journal_sync_fd(const struct journal *j)
{
	return (journal_syncer_fd(j->syncer));
}

/*
 * At close: let a sync under way end (its descriptor is closed after),
 * and drop whatever waited, unrun.
 */
void
journal_commit_close(struct journal *j)
{
	journal_syncer_free(j->syncer);
	j->syncer = NULL;
	free(j->inflight_cbs);
	j->inflight_cbs = NULL;
	j->ninflight = 0;
}
