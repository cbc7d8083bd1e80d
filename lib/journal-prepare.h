/*
 * Journal segments prepared ahead of need (journal-prepare.c), shared by
 * journal.c and journal-segment.c; nothing else includes this.
 *
 * A prepared segment is a file written whole before any record goes
 * there: its header, then zeros up to its size, really written (not
 * fallocated) and fsynced, under a temporary name that is then renamed
 * to the segment's own name, and the directory fsynced.  Appends later
 * only overwrite those zeros, so each fdatasync of the active segment
 * flushes data and never the inode.  A helper thread does this for the
 * next segment while the current one fills, and also cuts segments that
 * are no longer written down to what they hold (sealing).
 */
#ifndef JOURNAL_PREPARE_H
#define JOURNAL_PREPARE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "journal-format.h"

/* The file name suffix of a segment being prepared. */
#define JOURNAL_PREPARE_SUFFIX	".journal.tmp"

/* A segment file prepared and durable under its own name. */
struct journal_prepared {
	int			fd;		/* read-write */
	uint64_t		size;		/* bytes pre-written */
	struct journal_header	header;		/* as written */
};

/* Where a preparation stands (journal_preparer_state). */
enum journal_prepare_state {
	JOURNAL_PREPARE_IDLE,		/* nothing asked */
	JOURNAL_PREPARE_BUSY,		/* asked, under way */
	JOURNAL_PREPARE_READY,		/* done: take it */
	JOURNAL_PREPARE_FAILED,		/* done, failed: take the cause */
};

struct journal_preparer;

int	 journal_prepare_file(const char *, struct journal_header *, uint64_t,
	    const atomic_int *, int *, char **);

struct journal_preparer *journal_preparer_new(const char *);
void	 journal_preparer_free(struct journal_preparer *);
void	 journal_preparer_request(struct journal_preparer *,
	    const struct journal_header *, uint64_t);
void	 journal_preparer_adopt(struct journal_preparer *,
	    const struct journal_prepared *);
enum journal_prepare_state journal_preparer_state(struct journal_preparer *);
int	 journal_preparer_take(struct journal_preparer *,
	    struct journal_prepared *, char **);
void	 journal_preparer_seal(struct journal_preparer *, uint32_t,
	    uint64_t);

#endif
