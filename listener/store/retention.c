/*
 * Retention: the journal does not grow without bound.  The store rolls to
 * a new journal segment now and then, writes a checkpoint of the hooks at
 * its start, and removes segments whose last write is older than the
 * retention period; their messages expire with them.
 *
 * A segment is rolled when it is larger than RETENTION_SEGMENT_MAX or older
 * than a quarter of the retention period (at most an hour), so that old
 * data leaves in pieces of about that size.  The new segment starts with a
 * checkpoint: a HOOK_CREATED record for every hook and a CHECKPOINT record
 * with the next sequence number, synced before any older segment may be
 * removed.  Older segments then hold only messages and takes, and removing
 * one whose last write is older than the retention period loses nothing
 * but expired messages.
 */
#include "config.h"

#include <stdlib.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "store-private.h"

#define RETENTION_SEGMENT_MAX	(64U << 20)

/* Return how often to look, and how old a segment may get before a roll. */
static int64_t
retention_interval(const struct store *s)
{
	int64_t	interval = s->retain_ms / 4;

	if (interval > 3600 * 1000)
		interval = 3600 * 1000;
	if (interval < 100)
		interval = 100;
	return (interval);
}

/*
 * Start a new segment that begins with a durable checkpoint of the hooks.
 * The syncs do not run the group commit's callbacks (they wait for the
 * next commit, their records durable all the same), so that none can
 * append between the first sync and the roll.
 */
static void
retention_roll(struct store *s)
{
	char	*cause;

	store_sync(s);
	if (journal_roll(s->journal, &cause) == -1) {
		log_warnx("retention: %s", cause);
		free(cause);
		return;
	}
	hook_checkpoint(s);
	store_sync(s);
	s->checkpointed = 1;
	s->checkpoint_end = journal_active_bytes(s->journal, NULL);
}

/*
 * Roll if due, then remove what has expired.  Segments' times are the
 * journal's, so they are compared with its clock, not the store's.
 */
static void
retention_tick(void *arg)
{
	struct store	*s = arg;
	int64_t		 created_at, now = clock_wall_ms();
	uint64_t	 size;
	uint32_t	 first_kept;
	char		*cause;

	s->retention_timer = NULL;
	size = journal_active_bytes(s->journal, &created_at);
	/* Roll only a segment that holds more than its checkpoint. */
	if (size > s->checkpoint_end && (size > RETENTION_SEGMENT_MAX ||
	    now - created_at >= retention_interval(s)))
		retention_roll(s);
	/* Only a checkpoint written by us makes older segments removable. */
	if (s->checkpointed) {
		first_kept = journal_expire(s->journal, now - s->retain_ms,
		    &cause);
		if (cause != NULL) {
			log_warnx("retention: %s", cause);
			free(cause);
		}
		message_expire(s, (uint64_t)first_kept << 32);
	}
	s->retention_timer = loop_timer_add(s->loop,
	    loop_now() + retention_interval(s), retention_tick, s);
}

/* Keep the journal to about the store's retention period of history. */
void
retention_start(struct store *s)
{
	s->retention_timer = loop_timer_add(s->loop,
	    loop_now() + retention_interval(s), retention_tick, s);
}

/* Cancel the retention timer. */
void
retention_stop(struct store *s)
{
	loop_timer_cancel(s->loop, s->retention_timer);
	s->retention_timer = NULL;
}
