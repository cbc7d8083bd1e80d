/*
 * The journal's segments, shared by journal.c (the API: appends, sync,
 * reads, rolling and expiring) and journal-segment.c (segment files:
 * creating them, and recovering them all on open); nothing else includes
 * this.
 */
#ifndef JOURNAL_SEGMENT_H
#define JOURNAL_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "journal.h"
#include "journal-format.h"

struct segment {
	uint32_t		 number;
	int			 fd;
	int			 version;	/* 1 or 2 */
	struct journal_frame	 frame;		/* format 2 */
	uint64_t		 size;		/* written and synced */
	int64_t			 created_at;	/* unix ms, from the header */
	int64_t			 written_at;	/* unix ms of the last sync */
	uint64_t		 records;
};

/* A callback waiting for the appends before it to be durable. */
struct journal_synced {
	journal_synced_cb	 cb;
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
	struct journal_damage	 damage;
	struct buffer		 warnings;
	struct journal_synced	*synced;	/* to run after the next sync */
	size_t			 nsynced, synced_size;
};

int	 journal_sync_dir(const char *);
char	*journal_segment_path(const struct journal *, uint32_t);
int	 journal_pwrite(int, const void *, size_t, uint64_t);
int	 journal_new_segment(struct journal *, char **);
int	 journal_recover_all(struct journal *, journal_replay_cb, void *,
	    char **);

#endif
