/*
 * The journal: the session's durable, append-only record of everything
 * received and sent.  The listener rebuilds all of its state from it.
 *
 * It is a directory of segment files named NNNNNNNN.journal (the segment
 * number, from 1, in eight decimal digits).  Format 2 (doc/journal.md has
 * it whole): a segment is a sequence of 32 KiB blocks; block 0 starts with
 * two copies of a checksummed header that carries the segment's random
 * salt; records are cut into fragments that never cross a block boundary,
 * each with a CRC-32C over the salt, its own position, its type, its
 * length and its payload.  A fragment is therefore valid only where the
 * writer put it, and recovery after damage resumes only at block
 * boundaries, which are always positions the writer chose: no bytes inside
 * a body can ever be read as a record.  Segments of format 1 (the earlier
 * fish) are still read, never written.
 *
 * Records are written only by journal_append (or journal_append_text) and
 * made durable by journal_sync.  Group commit: whatever must wait for its
 * record to be durable (an answer to a request, a reply to a client)
 * registers a callback with journal_after_sync; journal_commit, which the
 * listener's store runs before each wait for events (and at a stop),
 * syncs once for all of them and then runs them.  See doc/journal.md for
 * the meaning of each record type.
 *
 * Segments are pre-written: created whole, filled with zeros and synced,
 * by a helper thread, before any record goes there, so that appends
 * overwrite in place and a sync flushes data only (journal-prepare.h).
 * An append that would pass the active segment's size rolls to the next
 * one first; the roll callback (journal_on_roll) then appends what must
 * begin every segment (the listener's checkpoint of its hooks).
 *
 * A full disk stops nothing (journal-room.c): appends that cannot be
 * written stay pending and are written again at the next commit, and
 * journal_no_room says since when there has been no room, for the store
 * to refuse what it can until there is.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define JOURNAL_MAGIC		"FISHJRNL"
#define JOURNAL_VERSION		2
#define JOURNAL_BLOCK		32768		/* bytes per block */
#define JOURNAL_HEADER_LEN	128		/* records start here */
#define JOURNAL_RECORD_MAX	(80U << 20)
/* No position: journal_append refused the record (no record is at 0). */
#define JOURNAL_REFUSED		0
/* The write buffer keeps its memory between syncs up to this size. */
#define JOURNAL_PENDING_KEEP	(4U << 20)

enum journal_type {
	JOURNAL_HOOK_CREATED = 1,
	JOURNAL_HOOK_CLOSED = 2,
	JOURNAL_MESSAGE_RECEIVED = 3,
	JOURNAL_MESSAGE_SENT = 4,
	JOURNAL_MESSAGE_TAKEN = 5,
	JOURNAL_CHECKPOINT = 6,
	JOURNAL_MESSAGE_ANSWERED = 7,
	JOURNAL_MESSAGE_SENDING = 8,
	JOURNAL_REQUEST_REFUSED = 9,
	JOURNAL_HOOK_SPARE = 10,
};

struct journal_record {
	enum journal_type	 type;
	uint64_t		 offset;	/* its position */
	struct json_object	*json;
	const char		*body;
	size_t			 body_len;
	char			*storage;
};

/*
 * What recovery found lost, counted once per journal_open.  A torn tail of
 * the newest segment (writes never synced, so never acknowledged) is
 * reported in the warnings but is no loss and is not counted here.
 */
struct journal_damage {
	uint64_t	regions;		/* damaged regions */
	uint64_t	bytes;			/* bytes in them */
	uint64_t	records_dropped;	/* records known lost */
	uint64_t	segments_missing;	/* gaps in the chain */
	uint64_t	segments_unreadable;	/* header copies both bad */
};

struct journal;

typedef void (*journal_replay_cb)(const struct journal_record *, void *);
typedef void (*journal_synced_cb)(void *);
typedef void (*journal_roll_cb)(void *);
typedef void (*journal_failed_cb)(void *, const char *);

struct journal *journal_open(const char *, journal_replay_cb, void *, char **,
	    char **);
void	 journal_close(struct journal *);
int	 journal_fits(const struct journal *, size_t, size_t);
uint64_t journal_append(struct journal *, enum journal_type,
	    struct json_object *, const void *, size_t);
uint64_t journal_append_text(struct journal *, enum journal_type,
	    const char *, size_t, const void *, size_t);
int	 journal_sync(struct journal *, char **);
int	 journal_dirty(const struct journal *);
uint64_t journal_pending(const struct journal *);
void	 journal_after_sync(struct journal *, journal_synced_cb,
	    journal_synced_cb, void *);
void	 journal_after_sync_within(struct journal *, int64_t,
	    journal_synced_cb, journal_failed_cb, journal_synced_cb, void *);
int	 journal_sync_move(struct journal *, journal_synced_cb, void *,
	    journal_synced_cb, void *);
void	 journal_fail_waiting(struct journal *, int64_t, const char *);
int	 journal_commit(struct journal *, char **);
int	 journal_read(struct journal *, uint64_t, struct journal_record *,
	    char **);
void	 journal_record_release(struct journal_record *);
void	 journal_on_roll(struct journal *, journal_roll_cb, void *);
int	 journal_roll(struct journal *, int, char **);
char	*journal_warnings(struct journal *);
void	 journal_counts(const struct journal *, uint64_t *, uint64_t *);
uint32_t journal_expire(struct journal *, int64_t, char **);
uint64_t journal_active_bytes(const struct journal *, int64_t *);
uint64_t journal_bytes(const struct journal *);
uint64_t journal_records(const struct journal *);
size_t	 journal_segments(const struct journal *);
const struct journal_damage *journal_damage(const struct journal *);
void	 journal_room_poll(struct journal *);
int64_t	 journal_no_room(const struct journal *);

#endif
