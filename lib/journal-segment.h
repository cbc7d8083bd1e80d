/*
 * The journal's segments, shared by journal.c (the API: appends, sync,
 * reads and expiring), journal-roll.c (rolling), journal-segment.c (segment files:
 * creating them, and recovering them all on open) and journal-prepare.c
 * (segments written ahead of need); nothing else includes this.
 */
#ifndef JOURNAL_SEGMENT_H
#define JOURNAL_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "journal.h"
#include "journal-format.h"

/*
 * Sizes of pre-written segments: the first is JOURNAL_SEGMENT_MIN, each
 * one that fills makes the next twice its size up to JOURNAL_SEGMENT_MAX,
 * one rolled for its age makes the next about twice what it held.
 */
#define JOURNAL_SEGMENT_MIN	(256U << 10)
#define JOURNAL_SEGMENT_MAX	(64U << 20)
/*
 * The most bytes the largest record (L of JOURNAL_RECORD_MAX) spans in a
 * segment: its L, its bytes, a fragment header in every block it reaches
 * (one more than its bytes fill, as it may start anywhere in a block),
 * and the padding of a block's tail before it.  Not JOURNAL_RECORD_MAX
 * alone: the headers add about 18 KiB.
 */
#define JOURNAL_SPAN_MAX	((uint64_t)JOURNAL_RECORD_MAX + 4 + \
	(JOURNAL_FRAGMENT_HEAD - 1) + JOURNAL_FRAGMENT_HEAD * \
	((JOURNAL_RECORD_MAX + 4) / (JOURNAL_BLOCK - JOURNAL_FRAGMENT_HEAD) + 2))
/*
 * A segment rolls before a record passes this (j->segment_limit, which
 * only the unit test lowers); the largest record past it still ends
 * within a position's 32 bits, the headroom a segment that cannot roll
 * for want of room grows into.
 */
#define JOURNAL_SEGMENT_LIMIT	(0xffffffffULL - JOURNAL_SPAN_MAX)
/*
 * No segment fish writes holds a byte at or past this: recovery reads no
 * further (journal_recover_limit), as a fragment's checksum covers only
 * its offset's low 32 bits, so bytes at 4 GiB + X would verify as the
 * record at X.
 */
#define JOURNAL_SEGMENT_END	(JOURNAL_SEGMENT_LIMIT + JOURNAL_SPAN_MAX)
/* After a failed preparation, the next try waits this long. */
#define JOURNAL_PREPARE_RETRY_MS 1000

struct journal_prepared;
struct journal_preparer;

struct segment {
	uint32_t		 number;
	int			 fd;
	int			 version;	/* 1 or 2 */
	struct journal_frame	 frame;		/* format 2 */
	/*
	 * The end of what was written: synced for the active segment (the
	 * pending buffer follows), written for older ones.
	 */
	uint64_t		 size;
	uint64_t		 capacity;	/* pre-written (the active) */
	uint64_t		 rolled_end;	/* after what its roll wrote */
	int64_t			 created_at;	/* unix ms */
	int64_t			 written_at;	/* unix ms of the last sync */
	uint64_t		 records;
};

/* A callback waiting for the appends before it to be durable. */
struct journal_synced {
	journal_synced_cb	 cb;
	journal_synced_cb	 dropped;	/* or NULL */
	journal_failed_cb	 failed;	/* or NULL */
	int64_t			 deadline;	/* mono ms, for failed */
	void			*arg;
};

struct journal {
	char			*dir;
	struct segment		*segments;	/* oldest first; the last is
						   active */
	size_t			 nsegments;
	uint32_t		 last_number;	/* highest on disk, even if
						   unreadable */
	uint64_t		 records;
	struct buffer		 pending;	/* appended to the active
						   segment, not yet written */
	uint64_t		 pending_records; /* in pending */
	struct journal_damage	 damage;
	struct buffer		 warnings;
	struct journal_synced	*synced;	/* to run after the next sync */
	size_t			 nsynced, synced_size;

	/* Rolling (journal.c) and preparing (journal-prepare.c). */
	struct journal_preparer	*preparer;
	int			 preparing;	/* asked, not yet taken */
	uint64_t		 prepare_size;	/* bytes asked for */
	int64_t			 prepare_retry;	/* mono ms: not before */
	uint32_t		 unsynced;	/* an older segment written but
						   not synced, or 0 */
	journal_roll_cb		 roll_cb;
	void			*roll_arg;
	int			 rolling;	/* roll_cb is running */
	uint64_t		 roll_bytes;	/* what the last roll wrote */
	uint64_t		 segment_limit;	/* JOURNAL_SEGMENT_LIMIT */
	uint32_t		 record_max;	/* JOURNAL_RECORD_MAX */
	char			*failure;	/* a write failed off sync */

	/*
	 * No room on disk (journal-room.c): the last preparation of a
	 * segment, or the last write of pending appends, failed with
	 * ENOSPC or EDQUOT.  Appends are kept and written again.
	 */
	int			 prepare_short;	/* preparation lacked room */
	int			 write_short;	/* pending could not be written */
	int64_t			 no_room_since;	/* unix ms, or 0: room */
	uint64_t		 appended;	/* records, since open */
	uint64_t		 syncs;		/* fdatasyncs of records */
};

int	 journal_sync_dir(const char *);
char	*journal_segment_path(const struct journal *, uint32_t);
int	 journal_pwrite(int, const void *, size_t, uint64_t);
uint64_t journal_segment_size(uint64_t, uint64_t);
void	 journal_segment_push(struct journal *, int, uint64_t,
	    const struct journal_header *);
int	 journal_new_segment(struct journal *, char **);
int	 journal_recover_all(struct journal *, journal_replay_cb, void *,
	    char **);

/* Between journal.c and journal-roll.c. */
struct segment *journal_active(const struct journal *);
uint64_t journal_end(const struct journal *);
void	 journal_fail(struct journal *, char *);
void	 journal_pending_reset(struct journal *);
int	 journal_write_pending(struct journal *, struct segment *, size_t);
struct segment *journal_find_segment(const struct journal *, uint32_t);
void	 journal_prepare_ahead(struct journal *);
int	 journal_sync_older(struct journal *, char **);
void	 journal_roll_full(struct journal *, uint64_t);
uint64_t journal_next_size(const struct journal *);
void	 journal_prepare_next(struct journal *, uint64_t);
int	 journal_take_next(struct journal *, struct journal_prepared *,
	    char **);

/* Between journal.c, journal-roll.c and journal-room.c. */
int	 journal_room_error(int);
void	 journal_room_lost(struct journal *, int, const char *);
void	 journal_room_found(struct journal *, int);

#endif
