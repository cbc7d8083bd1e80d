/*
 * Journal segments prepared ahead of need (see journal-prepare.h), as
 * PostgreSQL prepares its WAL segments: written whole with zeros, synced,
 * renamed into place, so that appending never grows a file.
 *
 * One helper thread per journal, started on the first request, sleeps on
 * a condition variable between requests.  The journal asks for one
 * segment at a time (journal_preparer_request) while its active segment
 * fills, and takes it when it rolls (journal_preparer_take), waiting only
 * if it is still being written.  The same thread cuts segments that are
 * no longer written down to their last record (journal_preparer_seal),
 * so that pre-written space does not outlive its segment's use; that is
 * an economy, never needed for correctness (zeros read as unwritten).
 *
 * The thread blocks every signal, so that signals still go to the
 * listener's signalfd.  journal_preparer_free stops it: seals asked for
 * are done, a preparation under way is abandoned (its temporary file
 * removed), and a segment prepared but not taken stays on disk under its
 * own name, where the next journal_open finds it (journal-segment.c).
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "journal.h"
#include "journal-format.h"
#include "journal-prepare.h"
#include "journal-segment.h"
#include "xmalloc.h"

/* Zeros written at once, and how often their writeback is started. */
#define PREPARE_CHUNK	(256U << 10)
#define PREPARE_FLUSH	(4U << 20)

/* A segment to cut down to size bytes. */
struct journal_seal {
	uint32_t	number;
	uint64_t	size;
};

struct journal_preparer {
	char				*dir;
	pthread_mutex_t			 lock;
	pthread_cond_t			 work;		/* to the thread */
	pthread_cond_t			 done;		/* from it */
	pthread_t			 thread;
	int				 started;
	atomic_int			 stop;

	/* All below under lock. */
	enum journal_prepare_state	 state;
	int				 asked;		/* not picked up yet */
	struct journal_header		 want;
	uint64_t			 want_size;
	struct journal_prepared		 result;	/* READY */
	char				*cause;		/* FAILED */
	int				 error;		/* FAILED: errno */
	struct journal_seal		*seals;
	size_t				 nseals, seals_size;
};

/* Never written: the zeros that segments are prepared with. */
static char	prepare_zeros[PREPARE_CHUNK];

/*
 * Give tmp the name path, unless path exists: a segment is never
 * replaced.  Return 0, or -1 with errno.
 */
static int
journal_prepare_rename(const char *tmp, const char *path)
{
	struct stat	sb;

	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno != EINVAL && errno != ENOSYS)
		return (-1);
	/* A file system without RENAME_NOREPLACE: only we write here. */
	if (lstat(path, &sb) == 0) {
		errno = EEXIST;
		return (-1);
	}
	return (rename(tmp, path));
}

/*
 * Write segment h->number of dir whole, size bytes: its header (h gets a
 * fresh salt and the creation time; the caller sets the number and the
 * previous segment), then zeros, synced, under a temporary name renamed
 * to the segment's own, and the directory synced.  Give up when *stop
 * becomes set (stop may be NULL).  Return 0 with the file open
 * read-write in *fd, or -1 with *cause, leaving nothing behind.
 */
int
journal_prepare_file(const char *dir, struct journal_header *h, uint64_t size,
    const atomic_int *stop, int *fd, char **cause)
{
	unsigned char	 header[JOURNAL_HEADER_LEN];
	char		*tmp, *path;
	uint64_t	 at, flushed = 0;
	size_t		 n;
	int		 renamed = 0, error;

	*fd = -1;
	xasprintf(&tmp, "%s/%08u" JOURNAL_PREPARE_SUFFIX, dir, h->number);
	xasprintf(&path, "%s/%08u.journal", dir, h->number);
	if (getrandom(&h->salt, sizeof h->salt, 0) != sizeof h->salt) {
		errno = EIO;
		goto fail;
	}
	h->version = JOURNAL_VERSION;
	h->created_at = clock_wall_ms();
	h->bad_copies = 0;
	journal_header_encode(header, h);
	if (size < JOURNAL_HEADER_LEN)
		size = JOURNAL_HEADER_LEN;
	*fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (*fd == -1 || journal_pwrite(*fd, header, sizeof header, 0) == -1)
		goto fail;
#ifdef FISH_TEST_HOOKS
	/*
	 * Test builds only: simulate a disk with no room for a segment.
	 * The unit test sets it only while no preparation runs.
	 */
	if (getenv("FISH_TEST_FULL_DISK_PREPARE") != NULL) {
		errno = ENOSPC;
		goto fail;
	}
#endif
	for (at = JOURNAL_HEADER_LEN; at < size; at += n) {
		if (stop != NULL && atomic_load(stop)) {
			errno = ECANCELED;
			goto fail;
		}
		n = PREPARE_CHUNK - at % PREPARE_CHUNK;
		if (n > size - at)
			n = (size_t)(size - at);
		if (journal_pwrite(*fd, prepare_zeros, n, at) == -1)
			goto fail;
#ifdef SYNC_FILE_RANGE_WRITE
		/* Start writing back as we go, not all at the fsync. */
		if (at + n - flushed >= PREPARE_FLUSH) {
			sync_file_range(*fd, (off_t)flushed,
			    (off_t)(at + n - flushed), SYNC_FILE_RANGE_WRITE);
			flushed = at + n;
		}
#endif
	}
	if (fsync(*fd) == -1 || journal_prepare_rename(tmp, path) == -1)
		goto fail;
	renamed = 1;
	if (journal_sync_dir(dir) == -1)
		goto fail;
	free(tmp);
	free(path);
	return (0);
fail:
	error = errno;
	xasprintf(cause, "cannot prepare journal segment %08u in '%s': %s",
	    h->number, dir, strerror(error));
	if (*fd != -1) {
		close(*fd);
		unlink(renamed ? path : tmp);
	}
	*fd = -1;
	free(tmp);
	free(path);
	/* The caller tells a full disk by it (journal-room.c). */
	errno = error;
	return (-1);
}

/* Cut segment number of dir down to size bytes, if it is longer. */
static void
journal_preparer_cut(const char *dir, uint32_t number, uint64_t size)
{
	struct stat	 sb;
	char		*path;
	int		 fd;

	xasprintf(&path, "%s/%08u.journal", dir, number);
	/* Gone already (expired) is fine: this is only an economy. */
	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	free(path);
	if (fd == -1)
		return;
	if (fstat(fd, &sb) == 0 && (uint64_t)sb.st_size > size &&
	    ftruncate(fd, (off_t)size) == -1) {
		/* Left as it is: its zeros read as unwritten. */
	}
	close(fd);
}

/* The helper thread: seal and prepare as asked, until told to stop. */
static void *
journal_preparer_main(void *arg)
{
	struct journal_preparer	*p = arg;
	struct journal_seal	*seals;
	struct journal_header	 h;
	uint64_t		 size;
	size_t			 n, i;
	char			*cause;
	int			 fd, error, saved;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!atomic_load(&p->stop) && !p->asked && p->nseals == 0)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->nseals > 0) {
			seals = p->seals;
			n = p->nseals;
			p->seals = NULL;
			p->nseals = p->seals_size = 0;
			pthread_mutex_unlock(&p->lock);
			for (i = 0; i < n; i++)
				journal_preparer_cut(p->dir, seals[i].number,
				    seals[i].size);
			free(seals);
			pthread_mutex_lock(&p->lock);
			continue;
		}
		if (atomic_load(&p->stop))
			break;
		h = p->want;
		size = p->want_size;
		p->asked = 0;
		pthread_mutex_unlock(&p->lock);

		cause = NULL;
		error = journal_prepare_file(p->dir, &h, size, &p->stop, &fd,
		    &cause);
		saved = errno;

		pthread_mutex_lock(&p->lock);
		if (error == -1) {
			p->state = JOURNAL_PREPARE_FAILED;
			p->cause = cause;
			p->error = saved;
		} else {
			p->state = JOURNAL_PREPARE_READY;
			p->result.fd = fd;
			p->result.size = size < JOURNAL_HEADER_LEN ?
			    JOURNAL_HEADER_LEN : size;
			p->result.header = h;
		}
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return (NULL);
}

/* Start the thread if it is not running; called with the lock held. */
static int
journal_preparer_start(struct journal_preparer *p)
{
	sigset_t	all, old;
	int		error;

	if (p->started)
		return (0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	error = pthread_create(&p->thread, NULL, journal_preparer_main, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error != 0) {
		errno = error;
		return (-1);
	}
	p->started = 1;
	return (0);
}

/* Make a preparer of segments for journal directory dir (no thread yet). */
struct journal_preparer *
journal_preparer_new(const char *dir)
{
	struct journal_preparer	*p;

	p = xcalloc(1, sizeof *p);
	p->dir = xstrdup(dir);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	atomic_init(&p->stop, 0);
	p->state = JOURNAL_PREPARE_IDLE;
	p->result.fd = -1;
	return (p);
}

/*
 * Stop the thread and free the preparer: seals asked for are done first,
 * a preparation under way is abandoned, a prepared segment not taken is
 * left on disk for the next open.
 */
void
journal_preparer_free(struct journal_preparer *p)
{
	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		atomic_store(&p->stop, 1);
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	if (p->state == JOURNAL_PREPARE_READY)
		close(p->result.fd);
	free(p->cause);
	free(p->seals);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p->dir);
	free(p);
}

/*
 * Ask for segment h->number (with h's previous segment) of size bytes, in
 * the background.  Only one at a time: the state must be IDLE.
 */
void
journal_preparer_request(struct journal_preparer *p,
    const struct journal_header *h, uint64_t size)
{
	pthread_mutex_lock(&p->lock);
	if (p->state != JOURNAL_PREPARE_IDLE)
		goto out;
	if (journal_preparer_start(p) == -1) {
		p->state = JOURNAL_PREPARE_FAILED;
		p->error = errno;
		xasprintf(&p->cause, "cannot prepare journal segment %08u: "
		    "cannot start a thread: %s", h->number, strerror(errno));
		goto out;
	}
	p->want = *h;
	p->want_size = size;
	p->asked = 1;
	p->state = JOURNAL_PREPARE_BUSY;
	pthread_cond_signal(&p->work);
out:
	pthread_mutex_unlock(&p->lock);
}

/*
 * Take a segment prepared by an earlier run (found on disk at open) as
 * if it had just been prepared.  The state must be IDLE.
 */
void
journal_preparer_adopt(struct journal_preparer *p,
    const struct journal_prepared *prepared)
{
	pthread_mutex_lock(&p->lock);
	p->result = *prepared;
	p->state = JOURNAL_PREPARE_READY;
	pthread_mutex_unlock(&p->lock);
}

/* Return where the preparation stands. */
enum journal_prepare_state
journal_preparer_state(struct journal_preparer *p)
{
	enum journal_prepare_state	state;

	pthread_mutex_lock(&p->lock);
	state = p->state;
	pthread_mutex_unlock(&p->lock);
	return (state);
}

/*
 * Take the segment asked for, waiting while it is being written; the
 * preparer is IDLE again after.  Return 0 with *out (the caller owns its
 * fd), or -1 with *cause and errno (ENOSPC: a full disk) when it failed
 * or nothing was asked.
 */
int
journal_preparer_take(struct journal_preparer *p, struct journal_prepared *out,
    char **cause)
{
	int	error = 0;

	pthread_mutex_lock(&p->lock);
	while (p->state == JOURNAL_PREPARE_BUSY)
		pthread_cond_wait(&p->done, &p->lock);
	switch (p->state) {
	case JOURNAL_PREPARE_READY:
		*out = p->result;
		p->result.fd = -1;
		break;
	case JOURNAL_PREPARE_FAILED:
		*cause = p->cause;
		p->cause = NULL;
		error = -1;
		errno = p->error;
		break;
	default:
		*cause = xstrdup("no journal segment was prepared");
		error = -1;
		errno = EINVAL;
		break;
	}
	p->state = JOURNAL_PREPARE_IDLE;
	pthread_mutex_unlock(&p->lock);
	return (error);
}

/*
 * Cut segment number down to size bytes, in the background: it is no
 * longer written, and what follows size is pre-written zeros.
 */
void
journal_preparer_seal(struct journal_preparer *p, uint32_t number,
    uint64_t size)
{
	pthread_mutex_lock(&p->lock);
	if (journal_preparer_start(p) == -1)
		goto out;	/* an economy only */
	if (p->nseals == p->seals_size) {
		p->seals_size = p->seals_size == 0 ? 4 : p->seals_size * 2;
		p->seals = xreallocarray(p->seals, p->seals_size,
		    sizeof *p->seals);
	}
	p->seals[p->nseals].number = number;
	p->seals[p->nseals].size = size;
	p->nseals++;
	pthread_cond_signal(&p->work);
out:
	pthread_mutex_unlock(&p->lock);
}
