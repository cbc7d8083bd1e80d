/*
 * Retention: the journal does not grow without bound.  Its segments are
 * rolled now and then, each new one begins with a checkpoint of the
 * hooks, and segments whose last write is older than the retention
 * period are removed; their messages expire with them.
 *
 * The journal rolls by itself when an append would pass the active
 * segment's pre-written size (at most 64 MiB: lib/journal.c), and the
 * store rolls a segment older than a quarter of the retention period (at
 * most an hour), so that old data leaves in pieces of about that size.
 * Either way the journal then calls retention_rolled, which begins the
 * new segment with a checkpoint: a HOOK_CREATED record for every hook and
 * a CHECKPOINT record with the next sequence number.  Once that
 * checkpoint is synced, older segments hold only messages and takes, and
 * removing one whose last write is older than the retention period loses
 * nothing but expired messages.
 */
#include "config.h"

#include <stdlib.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "loop.h"
#include "store-private.h"

/*
 * How soon to try again a roll whose segment is still being prepared, or
 * (a while longer: room comes back in its own time) that the journal's
 * lack of room on disk put off.
 */
#define RETENTION_RETRY_MS		100
#define RETENTION_NO_ROOM_RETRY_MS	1000

/*
 * Return how often to look, and how old a segment may get before a roll
 * (also how often a replicated store's stream is trimmed: store-retain.c).
 */
int64_t
retention_interval(const struct store *s)
{
	int64_t	interval = s->retain_ms / 4;

	if (interval > 3600 * 1000)
		interval = 3600 * 1000;
	if (interval < 100)
		interval = 100;
	return (interval);
}

/* A checkpoint is durable: older segments may be removed from now on. */
static void
retention_checkpointed(void *arg)
{
	struct store	*s = arg;

	s->checkpointed = 1;
}

/*
 * The journal rolled to a new segment (journal_on_roll): begin it with a
 * checkpoint of the hooks, durable with the next group commit.  This runs
 * inside an append, before the record that caused the roll.
 */
static void
retention_rolled(void *arg)
{
	struct store	*s = arg;

	hook_checkpoint(s);
	s->checkpoint_end = journal_active_bytes(s->journal, NULL);
	journal_after_sync(s->journal, retention_checkpointed, NULL, s);
}

/*
 * Roll if the active segment is old, then remove what has expired.
 * Segments' times are the journal's, so they are compared with its
 * clock, not the store's.
 */
static void
retention_tick(void *arg)
{
	struct store	*s = arg;
	int64_t		 created_at, now = clock_wall_ms();
	int64_t		 next = retention_interval(s);
	uint64_t	 size;
	uint32_t	 first_kept;
	char		*cause;

	s->retention_timer = NULL;
	size = journal_active_bytes(s->journal, &created_at);
	/* Roll only a segment that holds more than its checkpoint. */
	if (size > s->checkpoint_end &&
	    now - created_at >= retention_interval(s)) {
		switch (journal_roll(s->journal, 0, &cause)) {
		case -1:
			log_warnx("retention: %s", cause);
			free(cause);
			break;
		case 1:
			/* Its segment is being prepared: soon. */
			next = journal_no_room(s->journal) != 0 ?
			    RETENTION_NO_ROOM_RETRY_MS : RETENTION_RETRY_MS;
			break;
		}
	}
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
	s->retention_timer = loop_timer_add(s->loop, loop_now() + next,
	    retention_tick, s);
}

/*
 * Keep the journal to about the store's retention period of history, and
 * begin every new segment with a checkpoint.
 */
void
retention_start(struct store *s)
{
	journal_on_roll(s->journal, retention_rolled, s);
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
