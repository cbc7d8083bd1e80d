/*
 * Rolling the journal to its next segment (see "Rolling" at the top of
 * journal.c): asking the helper thread (journal-prepare.c) for the next
 * pre-written segment ahead of need, taking it, syncing the old segment's
 * tail before the new one is written, and the roll callback through which
 * the store begins each segment with its checkpoint.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "journal-prepare.h"
#include "journal-segment.h"
#include "xmalloc.h"

/*
 * Ask the helper for the segment after the active one, of size bytes,
 * unless a failed try was too recent.
 */
void
journal_prepare_next(struct journal *j, uint64_t size)
{
	const struct segment	*seg = journal_active(j);
	struct journal_header	 h;

	if (j->prepare_retry != 0 && clock_mono_ms() < j->prepare_retry)
		return;
	memset(&h, 0, sizeof h);
	h.number = j->last_number + 1;
	h.prev_number = seg->number;
	h.prev_salt = seg->frame.salt;
	journal_preparer_request(j->preparer, &h, size);
	j->preparing = 1;
	j->prepare_size = size;
}

/*
 * Once the active segment is half full, ask for the next one (unless it
 * is asked for already), twice as large: the journal is being used.
 */
void
journal_prepare_ahead(struct journal *j)
{
	const struct segment	*seg = journal_active(j);

	if (j->preparing || journal_end(j) <= seg->capacity / 2)
		return;
	journal_prepare_next(j, journal_next_size(j));
}

/*
 * Return the size to prepare the next segment at: twice the active one,
 * or, while the disk has no room for that, the least that holds a
 * roll's checkpoint (what room there is, better than none).
 */
uint64_t
journal_next_size(const struct journal *j)
{
	if (j->prepare_short)
		return (journal_segment_size(0, j->roll_bytes));
	return (journal_segment_size(2 * journal_active(j)->capacity,
	    j->roll_bytes));
}

/*
 * Take the segment asked for, waiting while the helper writes it.  Return
 * 0, or -1 with *cause: the next try then waits a while, and a full disk
 * leaves the journal without room (journal-room.c); but when a segment
 * larger than the smallest found no room, the smallest is asked for at
 * once instead (j->preparing is set again), and only its failure means
 * no room: what room there is, better than none.
 */
int
journal_take_next(struct journal *j, struct journal_prepared *prepared,
    char **cause)
{
	const struct segment	*seg = journal_active(j);
	uint64_t		 least = journal_segment_size(0, j->roll_bytes);
	char			*path;
	int			 error;

	j->preparing = 0;
	if (journal_preparer_take(j->preparer, prepared, cause) == -1) {
		error = errno;
		if (journal_room_error(error) && j->prepare_size > least) {
			j->prepare_retry = 0;
			journal_prepare_next(j, least);
			errno = error;
			return (-1);
		}
		if (journal_room_error(error))
			journal_room_lost(j, 0, *cause);
		goto fail;
	}
	if (prepared->header.number == j->last_number + 1 &&
	    prepared->header.prev_number == seg->number &&
	    prepared->header.prev_salt == seg->frame.salt) {
		j->prepare_retry = 0;
		journal_room_found(j, 0);
		return (0);
	}
	/* Not made after the active segment: never use it. */
	path = journal_segment_path(j, prepared->header.number);
	unlink(path);
	free(path);
	close(prepared->fd);
	xasprintf(cause, "journal segment %08u was not prepared after segment "
	    "%08u", prepared->header.number, seg->number);
	error = EINVAL;
fail:
	j->prepare_retry = clock_mono_ms() + JOURNAL_PREPARE_RETRY_MS;
	errno = error;
	return (-1);
}

/*
 * Sync the older segment a roll wrote its last records to, and have it
 * cut down to them.
 */
int
journal_sync_older(struct journal *j, char **cause)
{
	struct segment	*seg = journal_find_segment(j, j->unsynced);

	if (seg != NULL) {
		if (fdatasync(seg->fd) == -1) {
			xasprintf(cause, "cannot sync journal segment %08u: %s",
			    seg->number, strerror(errno));
			return (-1);
		}
		j->syncs++;
		seg->written_at = clock_wall_ms();
		journal_preparer_seal(j->preparer, seg->number, seg->size);
	}
	j->unsynced = 0;
	return (0);
}

/*
 * Roll to a prepared segment: write what is pending to the active one
 * (the next journal_sync syncs it before anything reaches the new one),
 * make the prepared one active, and run the roll callback, whose records
 * begin it.  Return 0; or -1 when that write found no room on disk: then
 * nothing rolled, what is pending stays pending in the active segment
 * (written again there, at the same place, by the next commit: see
 * journal-room.c), and the prepared segment is kept for the next roll.
 * Any other failed write fails the next journal_sync.
 */
static int
journal_switch(struct journal *j, const struct journal_prepared *prepared)
{
	struct segment	*old;
	size_t		 n = buffer_unread(&j->pending);
	char		*cause = NULL;

	/* Only one older segment at a time waits for its sync. */
	if (j->unsynced != 0 && journal_sync_older(j, &cause) == -1)
		journal_fail(j, cause);
	old = journal_active(j);
	if (n > 0 && j->failure == NULL) {
		if (journal_write_pending(j, old, n) == -1) {
			xasprintf(&cause, "cannot write journal segment %08u: "
			    "%s", old->number, strerror(errno));
			if (journal_room_error(errno)) {
				journal_room_lost(j, 1, cause);
				free(cause);
				journal_preparer_adopt(j->preparer, prepared);
				j->preparing = 1;
				return (-1);
			}
			journal_fail(j, cause);
		} else {
			old->size += n;
			j->unsynced = old->number;
			if (j->write_short)
				journal_room_found(j, 1);
		}
	}
	journal_pending_reset(j);
	if (j->unsynced == 0)
		journal_preparer_seal(j->preparer, old->number, old->size);
	journal_segment_push(j, prepared->fd, prepared->size,
	    &prepared->header);
	if (j->roll_cb != NULL) {
		j->rolling = 1;
		j->roll_cb(j->roll_arg);
		j->rolling = 0;
	}
	journal_active(j)->rolled_end = journal_end(j);
	j->roll_bytes = journal_end(j) - JOURNAL_HEADER_LEN;
	journal_prepare_ahead(j);
	return (0);
}

/*
 * A record about to be appended would end at end, past the active
 * segment's size.  Roll first when the next segment is asked for (it is
 * once the active one is half full), waiting if it is still being
 * written.  Otherwise (a record larger than half a segment, or a failed
 * preparation) ask for it, and let this record grow the active segment
 * past its pre-written size.  Past j->segment_limit a segment must be
 * had (the smallest, if a larger one finds no room); when the disk has
 * no room for it, this is any roll with none: the record grows the
 * active segment into the headroom past the limit, and the store
 * refuses what it can until there is room.  Past the headroom, or when
 * the segment fails otherwise, the journal fails.
 */
void
journal_roll_full(struct journal *j, uint64_t end)
{
	struct journal_prepared	 prepared;
	struct segment		*seg = journal_active(j);
	char			*cause = NULL;
	int			 capped = end > j->segment_limit, tries;

	/*
	 * Appends that could not be written for lack of room stay in the
	 * active segment: a roll would have to write them to it first.
	 */
	if (j->failure != NULL || (j->write_short &&
	    end <= j->segment_limit + JOURNAL_SPAN_MAX))
		return;
	if (!j->preparing) {
		journal_prepare_next(j, journal_next_size(j));
		if (!capped)
			return;
	}
	for (tries = 0; j->preparing && tries < (capped ? 2 : 1); tries++) {
		free(cause);
		cause = NULL;
		if (journal_take_next(j, &prepared, &cause) == 0) {
			/* Not rolled for want of room: the record grows this. */
			if (journal_switch(j, &prepared) == 0 || !capped)
				return;
			break;
		}
	}
	/* A full disk is said once, when it is found (journal-room.c). */
	if (cause != NULL && !journal_room_error(errno))
		buffer_add_line(&j->warnings, "%s; appends go on in segment "
		    "%08u", cause, seg->number);
	free(cause);
	if (capped && (j->no_room_since == 0 ||
	    end > j->segment_limit + JOURNAL_SPAN_MAX)) {
		xasprintf(&cause, "journal segment %08u is full and no segment "
		    "could be prepared after it", seg->number);
		journal_fail(j, cause);
	}
}

/* Call cb(arg) after every roll, to begin the new segment. */
void
journal_on_roll(struct journal *j, journal_roll_cb cb, void *arg)
{
	j->roll_cb = cb;
	j->roll_arg = arg;
}

/*
 * Roll to a new segment now (appends roll by themselves when a segment
 * is full: this is for rolling by age), sized after what the active one
 * holds.  Unless wait is set, do not wait while the segment is being
 * prepared.  Return 0 when rolled, 1 when not yet (being prepared, or
 * the disk has no room for it or for what the roll writes first: call
 * again later), -1 with *cause when it could not be prepared.
 */
int
journal_roll(struct journal *j, int wait, char **cause)
{
	struct journal_prepared	prepared;

	if (j->failure != NULL) {
		*cause = xstrdup(j->failure);
		return (-1);
	}
	/* No room: journal_room_poll looks for it, and says when found. */
	if (j->write_short || j->prepare_short)
		return (1);
	if (!j->preparing)
		journal_prepare_next(j, journal_segment_size(2 * journal_end(j),
		    j->roll_bytes));
	if (!j->preparing || (!wait &&
	    journal_preparer_state(j->preparer) == JOURNAL_PREPARE_BUSY))
		return (1);
	if (journal_take_next(j, &prepared, cause) == -1) {
		if (!j->preparing && !j->prepare_short)
			return (-1);
		/*
		 * A smaller one is being prepared instead, or there is no
		 * room (said once, by journal_take_next): not yet.
		 */
		free(*cause);
		*cause = NULL;
		return (1);
	}
	return (journal_switch(j, &prepared) == -1 ? 1 : 0);
}
