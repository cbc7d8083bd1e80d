/*
 * Rolling and expiring journal segments.
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
#include "hook.h"
#include "journal.h"
#include "listener.h"
#include "log.h"
#include "message.h"
#include "loop.h"
#include "retention.h"

static struct loop_timer	*retention_timer;
static int64_t			 retention_ms;
static int			 retention_checkpointed;
static uint64_t			 retention_checkpoint_end;

/* Return how often to look, and how old a segment may get before a roll. */
static int64_t
retention_interval(void)
{
	int64_t	interval = retention_ms / 4;

	if (interval > 3600 * 1000)
		interval = 3600 * 1000;
	if (interval < 100)
		interval = 100;
	return (interval);
}

/* Sync the journal now; a failure is fatal (see journal_sync). */
static void
retention_sync(void)
{
	char	*cause;

	if (journal_sync(listener.journal, &cause) == -1)
		fatalx("%s; stopping without acknowledging anything more", cause);
}

/* Start a new segment that begins with a durable checkpoint of the hooks. */
static void
retention_roll(void)
{
	char	*cause;

	retention_sync();
	if (journal_roll(listener.journal, &cause) == -1) {
		log_warnx("retention: %s", cause);
		free(cause);
		return;
	}
	hook_checkpoint();
	retention_sync();
	retention_checkpointed = 1;
	retention_checkpoint_end = journal_active_bytes(listener.journal, NULL);
}

/* Roll if due, then remove what has expired. */
static void
retention_tick(void *arg)
{
	int64_t		 created_at, now = clock_wall_ms();
	uint64_t	 size;
	uint32_t	 first_kept;
	char		*cause;

	(void)arg;
	retention_timer = NULL;
	size = journal_active_bytes(listener.journal, &created_at);
	/* Roll only a segment that holds more than its checkpoint. */
	if (size > retention_checkpoint_end && (size > RETENTION_SEGMENT_MAX ||
	    now - created_at >= retention_interval()))
		retention_roll();
	/* Only a checkpoint written by us makes older segments removable. */
	if (retention_checkpointed) {
		first_kept = journal_expire(listener.journal,
		    now - retention_ms, &cause);
		if (cause != NULL) {
			log_warnx("retention: %s", cause);
			free(cause);
		}
		message_expire((uint64_t)first_kept << 32);
	}
	retention_timer = loop_timer_add(listener.loop,
	    loop_now() + retention_interval(), retention_tick, NULL);
}

/* Keep the journal to about retain milliseconds of history. */
void
retention_start(struct loop *loop, int64_t retain)
{
	retention_ms = retain;
	retention_timer = loop_timer_add(loop, loop_now() + retention_interval(),
	    retention_tick, NULL);
}

/* Cancel the retention timer. */
void
retention_stop(struct loop *loop)
{
	loop_timer_cancel(loop, retention_timer);
	retention_timer = NULL;
}
