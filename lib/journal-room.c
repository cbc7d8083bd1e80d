/*
 * Room on disk for the journal.  A full disk (ENOSPC, or EDQUOT over a
 * quota) is no failure of the journal: nothing acknowledged is at risk,
 * appends not yet written stay in memory, and the journal tries again by
 * itself.  Two things find it full: the helper thread failing to prepare
 * the next segment (it needs room for a whole segment, and is asked for
 * one once the active segment is half full; one larger than the smallest
 * is first tried again at once at the smallest), and a write of pending
 * appends failing (one that grows the active segment past its
 * pre-written size, or a file system that allocates even to overwrite,
 * as copy-on-write ones do).  The journal then has no room (journal_no_room)
 * until both succeed again: the preparation, tried again every
 * JOURNAL_PREPARE_RETRY_MS at the smallest size that will do, and the
 * write, tried again at every commit with the same bytes at the same
 * positions, so that what a failed write left on disk is only ever a
 * prefix of what the next one writes (a torn tail to recovery, never a
 * record it would misread).
 *
 * Meanwhile the store takes no record it can refuse (callbacks are
 * answered 503, commands that write are refused), and the rest of the
 * active segment's pre-written space is the reserve for those it cannot
 * refuse: takes of queued messages, outcomes of requests under way (a
 * held one timing out; `reply` is refused).
 *
 * A failed fdatasync is never this: after one the page cache cannot be
 * trusted, and the journal fails for good (journal_sync).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "buffer.h"
#include "clock.h"
#include "journal.h"
#include "journal-prepare.h"
#include "journal-segment.h"

/* Tell whether errno value error says the disk, or a quota, is full. */
int
journal_room_error(int error)
{
	return (error == ENOSPC || error == EDQUOT);
}

/*
 * The journal found no room: a preparation, or (write set) a write of
 * pending appends, failed for want of it, saying why.  The first finding
 * is a warning, once until there is room again.
 */
void
journal_room_lost(struct journal *j, int write, const char *why)
{
	if (write)
		j->write_short = 1;
	else
		j->prepare_short = 1;
	if (j->no_room_since != 0)
		return;
	j->no_room_since = clock_wall_ms();
	buffer_add_line(&j->warnings, "journal: no room on disk (%s); "
	    "callbacks are answered 503 and commands that write a record "
	    "refused until there is", why);
}

/*
 * A preparation, or (write set) a write of pending appends, succeeded:
 * once both have, there is room again, said once.  A preparation shows
 * room for the segment it made, which may be all there was: while
 * appends wait to be written, one of them must be written before room
 * is said, or the roll that writes them next may find none at once, and
 * the log would say "room again" and "no room" back to back.  With
 * nothing waiting, the preparation is the only proof there can be (the
 * store refuses what would be written meanwhile); a write that finds
 * the disk full after it is a new finding, said once again.
 */
void
journal_room_found(struct journal *j, int write)
{
	if (write)
		j->write_short = 0;
	else {
		j->prepare_short = 0;
		if (j->no_room_since != 0 && buffer_unread(&j->pending) > 0)
			j->write_short = 1;
	}
	if (j->no_room_since == 0 || j->write_short || j->prepare_short)
		return;
	j->no_room_since = 0;
	buffer_add_line(&j->warnings, "journal: room on disk again; "
	    "callbacks are taken again");
}

/*
 * Look for room, before each commit: a preparation that failed is taken
 * as soon as it is known (not only at the roll that needs it), so that a
 * full disk is found while the active segment still has pre-written
 * space left for records that cannot be refused; while there is no room,
 * the preparation is tried again, and one that succeeded means room.
 */
void
journal_room_poll(struct journal *j)
{
	struct journal_prepared	 prepared;
	enum journal_prepare_state state;
	char			*cause = NULL;

	if (j->failure != NULL)
		return;
	if (!j->preparing) {
		if (j->prepare_short)
			journal_prepare_next(j, journal_next_size(j));
		return;
	}
	state = journal_preparer_state(j->preparer);
	if (state == JOURNAL_PREPARE_READY && j->prepare_short)
		journal_room_found(j, 0);
	else if (state == JOURNAL_PREPARE_FAILED &&
	    journal_take_next(j, &prepared, &cause) == -1) {
		/* A full disk was said by journal_take_next, once. */
		if (!journal_room_error(errno))
			buffer_add_line(&j->warnings, "%s; appends go on in "
			    "segment %08u", cause, journal_active(j)->number);
		free(cause);
	}
}

/*
 * Return since when (unix ms) the journal has had no room on disk for
 * what it must write, or 0 when it has room.
 */
int64_t
journal_no_room(const struct journal *j)
{
	return (j->no_room_since);
}
