/*
 * The journal's API: opening it (journal-segment.c recovers the segments,
 * journal-recover.c each one), buffered appends to the newest segment,
 * group-commit sync, rolling to a new segment and dropping old ones, and
 * random reads of single records by position (the in-memory index keeps
 * positions, not bodies, so memory does not grow with body sizes).
 *
 * A position is the segment number in the high 32 bits and the byte offset
 * of the record's first fragment in that segment in the low 32 bits.
 *
 * Rolling (journal-roll.c).  Segments are pre-written by a helper thread
 * (journal-prepare.c): the next one is asked for once the active one is
 * half full, and an append that would pass the active segment's size
 * rolls to it first.  A roll writes the records still pending to the old
 * segment without syncing them, makes the new one active and runs the
 * roll callback, whose records (the store's checkpoint) begin the new
 * segment.  The next sync then syncs the old segment's tail before it
 * writes anything to the new one, so a crash can never leave a newer
 * segment with records after an older one's torn tail: a roll costs one
 * more fdatasync, once per segment, and nothing else on the event loop.
 * The old segment is then cut down to what it holds (sealed), in the
 * background.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "clock.h"
#include "journal.h"
#include "journal-format.h"
#include "journal-prepare.h"
#include "journal-segment.h"
#include "sorted.h"
#include "xmalloc.h"

/* Bytes read first at a record's position to learn its length. */
#define READ_PROBE	32

/*
 * Open (creating if needed) the journal directory dir and replay every
 * segment through cb, oldest first.  Return NULL with *cause on failure;
 * *warning (if set) holds one line per problem recovery found, which the
 * caller should log (journal_damage counts the losses among them).
 * Appends resume in the newest segment when it is a sound format-2 one,
 * so a restart needs no new file.
 */
struct journal *
journal_open(const char *dir, journal_replay_cb cb, void *arg,
    char **warning, char **cause)
{
	struct journal	*j;
	struct segment	*seg;
	char		*parent;

	*warning = NULL;
	j = xcalloc(1, sizeof *j);
	j->dir = xstrdup(dir);
	j->segment_limit = JOURNAL_SEGMENT_LIMIT;
	j->record_max = JOURNAL_RECORD_MAX;
#ifdef FISH_TEST_HOOKS
	/* Test builds only: refuse records past a lower limit. */
	if (getenv("FISH_TEST_RECORD_MAX") != NULL)
		j->record_max = (uint32_t)strtoul(getenv(
		    "FISH_TEST_RECORD_MAX"), NULL, 10);
#endif
	buffer_init(&j->pending);
	buffer_init(&j->warnings);
	j->preparer = journal_preparer_new(dir);
	if (mkdir(dir, 0700) == 0) {
		parent = xstrdup(dir);
		journal_sync_dir(dirname(parent));
		free(parent);
	} else if (errno != EEXIST) {
		xasprintf(cause, "cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (journal_recover_all(j, cb, arg, cause) == -1)
		goto fail;
	/*
	 * Append only to a sound format-2 segment that is the newest file:
	 * never after one that was unreadable, never to format 1.
	 */
	seg = j->nsegments > 0 ? &j->segments[j->nsegments - 1] : NULL;
	if ((seg == NULL || seg->number != j->last_number ||
	    seg->version != JOURNAL_VERSION) &&
	    journal_new_segment(j, cause) == -1)
		goto fail;
	journal_prepare_ahead(j);
	if (j->warnings.len > 0)
		*warning = buffer_detach(&j->warnings, NULL);
	return (j);
fail:
	journal_close(j);
	return (NULL);
}

/*
 * Close the journal; unsynced appends are dropped, and so are the
 * callbacks waiting for them, which never run: each is told so by its
 * dropped callback, if it has one.
 */
void
journal_close(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nsynced; i++)
		if (j->synced[i].dropped != NULL)
			j->synced[i].dropped(j->synced[i].arg);
	/* Seals asked for are done; a preparation under way is dropped. */
	journal_preparer_free(j->preparer);
	for (i = 0; i < j->nsegments; i++)
		close(j->segments[i].fd);
	free(j->segments);
	free(j->synced);
	free(j->failure);
	buffer_release(&j->pending);
	buffer_release(&j->warnings);
	free(j->dir);
	free(j);
}

/* Return the newest segment, where appends go. */
struct segment *
journal_active(const struct journal *j)
{
	return (&j->segments[j->nsegments - 1]);
}

/* Return the end of what is appended to the active segment. */
uint64_t
journal_end(const struct journal *j)
{
	return (journal_active(j)->size + buffer_unread(&j->pending));
}

/* Keep the first failure of a write made outside journal_sync. */
void
journal_fail(struct journal *j, char *cause)
{
	if (j->failure == NULL)
		j->failure = cause;
	else
		free(cause);
}

/* Empty the pending buffer, which a burst must not keep large for good. */
void
journal_pending_reset(struct journal *j)
{
	if (j->pending.size > JOURNAL_PENDING_KEEP)
		buffer_release(&j->pending);
	else
		buffer_clear(&j->pending);
	j->pending_records = 0;
}

/*
 * Tell whether a record of json_len and body_len bytes is within
 * j->record_max, which recovery would otherwise drop: nothing fish
 * writes comes near it (bodies are at most 64 MiB), so this is defence.
 */
int
journal_fits(const struct journal *j, size_t json_len, size_t body_len)
{
	return (json_len <= j->record_max && body_len <= j->record_max -
	    json_len && 5 + json_len + body_len <= j->record_max);
}

/*
 * Append a record whose JSON is already text (not yet durable: see
 * journal_sync) and return its position, by which journal_read finds it
 * again.  The caller keeps it journal_fits (recovery drops a record that
 * is not).  The record is encoded straight into the pending buffer; if it
 * would pass the active segment's size, the journal rolls first.
 */
uint64_t
journal_append_text(struct journal *j, enum journal_type type,
    const char *json, size_t json_len, const void *body, size_t body_len)
{
	struct segment		*seg = journal_active(j);
	struct journal_piece	 pieces[3];
	unsigned char		 head[JOURNAL_RECORD_HEAD];
	uint64_t		 offset, start, end;

	put_u32(head, (uint32_t)(5 + json_len + body_len));
	head[4] = (unsigned char)type;
	put_u32(head + 5, (uint32_t)json_len);
	pieces[0].data = head;
	pieces[0].len = sizeof head;
	pieces[1].data = json;
	pieces[1].len = json_len;
	pieces[2].data = body;
	pieces[2].len = body_len;
	/* Roll a segment that holds more than what its roll wrote. */
	end = journal_format_span(journal_end(j), sizeof head + json_len +
	    body_len, &start);
	if (end > seg->capacity && !j->rolling &&
	    journal_end(j) > seg->rolled_end) {
		journal_roll_full(j, end);
		seg = journal_active(j);
	}
	offset = journal_format_record(&j->pending, journal_end(j),
	    &seg->frame, pieces, 3);
	j->records++;
	j->appended++;
	j->pending_records++;
	seg->records++;
	if (!j->rolling)
		journal_prepare_ahead(j);
	return ((uint64_t)seg->number << 32 | offset);
}

/* Append a record (see journal_append_text) with its JSON as an object. */
uint64_t
journal_append(struct journal *j, enum journal_type type,
    struct json_object *json, const void *body, size_t body_len)
{
	const char	*text;
	size_t		 text_len;

	text = json_object_to_json_string_length(json,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &text_len);
	return (journal_append_text(j, type, text, text_len, body, body_len));
}

/* Tell whether there are appends not yet durable. */
int
journal_dirty(const struct journal *j)
{
	return (buffer_unread(&j->pending) != 0 || j->unsynced != 0);
}

/*
 * Write the n bytes pending at the end of seg (at a commit, or at a roll
 * to the segment they belong to).  Return 0, or -1 with errno.
 */
int
journal_write_pending(struct journal *j, struct segment *seg, size_t n)
{
#ifdef FISH_TEST_HOOKS
	/* Test builds only: simulate a full disk. */
	if (getenv("FISH_TEST_FULL_DISK") != NULL) {
		errno = ENOSPC;
		return (-1);
	}
#endif
	return (journal_pwrite(seg->fd, buffer_peek(&j->pending), n,
	    seg->size));
}

/*
 * Make every append durable: sync the older segment a roll wrote to, if
 * any, then write pending appends at the end of the active segment and
 * fdatasync them.  Return 0; 1 when the write found no room on disk
 * (ENOSPC, EDQUOT): nothing was synced, the appends stay pending and are
 * written again, whole and at the same place, by the next call (see
 * journal-room.c); or -1 with *cause.  A failure must be treated as fatal
 * by the caller: after a failed fsync the kernel may have dropped the
 * dirty pages, and a retry can report success for data that is gone.  So
 * the journal keeps failing from then on, and never rolls again.
 */
int
journal_sync(struct journal *j, char **cause)
{
	struct segment	*seg;
	size_t		 n;
	char		*why;

	if (j->failure != NULL) {
		*cause = xstrdup(j->failure);
		return (-1);
	}
	if (j->unsynced != 0 && journal_sync_older(j, cause) == -1)
		goto fail;
	seg = journal_active(j);
	if ((n = buffer_unread(&j->pending)) == 0)
		return (0);
	if (journal_write_pending(j, seg, n) == -1) {
		if (journal_room_error(errno)) {
			xasprintf(&why, "cannot write journal segment %08u: "
			    "%s", seg->number, strerror(errno));
			journal_room_lost(j, 1, why);
			free(why);
			return (1);
		}
		xasprintf(cause, "cannot write journal segment %08u: %s",
		    seg->number, strerror(errno));
		goto fail;
	}
#ifdef FISH_TEST_HOOKS
	/* Test builds only: simulate a failing disk. */
	if (getenv("FISH_TEST_FAIL_FSYNC") != NULL) {
		xasprintf(cause, "cannot sync journal segment %08u: %s",
		    seg->number, strerror(EIO));
		goto fail;
	}
#endif
	if (fdatasync(seg->fd) == -1) {
		xasprintf(cause, "cannot sync journal segment %08u: %s",
		    seg->number, strerror(errno));
		goto fail;
	}
	j->syncs++;
	seg->size += n;
	seg->written_at = clock_wall_ms();
	journal_pending_reset(j);
	if (j->write_short)
		journal_room_found(j, 1);
	return (0);
fail:
	journal_fail(j, xstrdup(*cause));
	return (-1);
}

/*
 * Run cb(arg) once everything appended so far is durable (journal_commit),
 * or dropped(arg) (unless NULL) if the journal is closed before: it frees
 * what arg holds.
 */
void
journal_after_sync(struct journal *j, journal_synced_cb cb,
    journal_synced_cb dropped, void *arg)
{
	journal_after_sync_within(j, 0, cb, NULL, dropped, arg);
}

/*
 * As journal_after_sync; and if failed is not NULL, failed(arg, why)
 * instead when journal_fail_waiting finds it still waiting at deadline
 * (monotonic ms) or later, the disk having no room.
 */
void
journal_after_sync_within(struct journal *j, int64_t deadline,
    journal_synced_cb cb, journal_failed_cb failed,
    journal_synced_cb dropped, void *arg)
{
	struct journal_synced	*w;

	if (j->nsynced == j->synced_size) {
		j->synced_size = j->synced_size == 0 ? 64 : j->synced_size * 2;
		j->synced = xreallocarray(j->synced, j->synced_size,
		    sizeof *j->synced);
	}
	w = &j->synced[j->nsynced++];
	w->cb = cb;
	w->dropped = dropped;
	w->failed = failed;
	w->deadline = deadline;
	w->arg = arg;
}

/* A waiting callback told it failed: it waits for nothing now. */
static void
journal_nothing(void *arg)
{
	(void)arg;
}

/*
 * Make the waiting callback cb(arg) be to_cb(to_arg) instead, run when
 * it would have been (from its failed callback: a request answered 503
 * that still queues its message once its record is written).  Return 0,
 * or -1 when it is not waiting.
 */
int
journal_sync_move(struct journal *j, journal_synced_cb cb, void *arg,
    journal_synced_cb to_cb, void *to_arg)
{
	size_t	i;

	for (i = 0; i < j->nsynced; i++) {
		if (j->synced[i].cb != cb || j->synced[i].arg != arg)
			continue;
		j->synced[i].cb = to_cb;
		j->synced[i].arg = to_arg;
		j->synced[i].dropped = NULL;
		j->synced[i].failed = NULL;
		return (0);
	}
	return (-1);
}

/*
 * The disk has no room for what the callbacks wait for: tell each that
 * asked (journal_after_sync_within) and whose deadline is now (monotonic
 * ms) or past, why, once.  Its records stay pending, and are written once
 * there is room; the callback may move itself (journal_sync_move) to run
 * then, in its place, or else it waits for nothing more.
 */
void
journal_fail_waiting(struct journal *j, int64_t now, const char *why)
{
	journal_failed_cb	 failed;
	journal_synced_cb	 cb;
	void			*arg;
	size_t			 i;

	/* A failed callback may add more: they come after it. */
	for (i = 0; i < j->nsynced; i++) {
		if ((failed = j->synced[i].failed) == NULL ||
		    j->synced[i].deadline > now)
			continue;
		cb = j->synced[i].cb;
		arg = j->synced[i].arg;
		j->synced[i].failed = NULL;
		j->synced[i].dropped = NULL;
		failed(arg, why);
		if (j->synced[i].cb == cb && j->synced[i].arg == arg) {
			j->synced[i].cb = journal_nothing;
			j->synced[i].arg = NULL;
		}
	}
}

/*
 * The group commit: sync once, then run every callback registered before
 * the sync; again while they append or register more, until nothing waits.
 * Return 0; 1 when there was no room on disk to write (the callbacks wait
 * for a later commit); or -1 with *cause when a sync failed: the caller
 * must then stop acknowledging anything (see journal_sync), and the
 * callbacks of that batch have not run.
 */
int
journal_commit(struct journal *j, char **cause)
{
	struct journal_synced	*batch;
	size_t			 n, i;
	int			 error;

	while (j->nsynced > 0 || journal_dirty(j)) {
		if ((error = journal_sync(j, cause)) != 0)
			return (error);
		/* Callbacks may append and register more: take this batch. */
		batch = j->synced;
		n = j->nsynced;
		j->synced = NULL;
		j->nsynced = j->synced_size = 0;
		for (i = 0; i < n; i++)
			batch[i].cb(batch[i].arg);
		free(batch);
	}
	return (0);
}

/* Compare a segment number with a segment, for sorted_find. */
static int
journal_compare_segment(const void *key, const void *element)
{
	uint32_t		 number = *(const uint32_t *)key;
	const struct segment	*seg = element;

	return (number < seg->number ? -1 : number > seg->number);
}

/* Find a segment by number (segments are in ascending order). */
struct segment *
journal_find_segment(const struct journal *j, uint32_t number)
{
	return (sorted_find(&number, j->segments, j->nsegments,
	    sizeof *j->segments, journal_compare_segment));
}

/*
 * Read the format-2 record at offset of seg into storage: its length from
 * the first fragment, then its whole span (from the file, or from the
 * pending buffer past the synced size), every fragment verified for this
 * segment and position, gathered in place.
 */
static int
journal_read_v2(struct journal *j, struct segment *seg, uint64_t offset,
    struct buffer *storage, struct journal_record *r)
{
	unsigned char	 probe[READ_PROBE];
	const char	*from = NULL;
	uint64_t	 base = 0, limit, start, end;
	uint32_t	 length;
	size_t		 have, len;

	if (offset < JOURNAL_HEADER_LEN ||
	    JOURNAL_BLOCK - offset % JOURNAL_BLOCK < JOURNAL_FRAGMENT_HEAD)
		return (-1);
	limit = seg->size;
	if (seg == journal_active(j) && offset >= seg->size) {
		from = buffer_peek(&j->pending);
		base = seg->size;
		limit = seg->size + buffer_unread(&j->pending);
	}
	if (offset >= limit)
		return (-1);
	have = limit - offset < sizeof probe ? (size_t)(limit - offset) :
	    sizeof probe;
	if (from != NULL)
		memcpy(probe, from + (offset - base), have);
	else if (journal_pread(seg->fd, probe, have, offset) != (ssize_t)have)
		return (-1);
	if (journal_format_length(probe, have, offset, &length) == -1 ||
	    length < 5 || length > JOURNAL_RECORD_MAX)
		return (-1);
	end = journal_format_span(offset, 4 + (size_t)length, &start);
	if (start != offset || end > limit)
		return (-1);
	len = (size_t)(end - offset);
	buffer_clear(storage);
	buffer_reserve(storage, len);
	if (from != NULL)
		memcpy(storage->data, from + (offset - base), len);
	else if (journal_pread(seg->fd, storage->data, len, offset) !=
	    (ssize_t)len)
		return (-1);
	if (journal_format_gather((unsigned char *)storage->data, len, offset,
	    &seg->frame, &len) == -1)
		return (-1);
	storage->len = len;
	return (journal_record_decode(storage->data, len, r));
}

/*
 * Read the record at position (as returned by journal_append).  The record
 * owns its storage; free it with journal_record_release.
 */
int
journal_read(struct journal *j, uint64_t position, struct journal_record *r,
    char **cause)
{
	struct segment	*seg;
	struct buffer	 storage;
	uint64_t	 offset = position & 0xffffffffU;

	memset(r, 0, sizeof *r);
	buffer_init(&storage);
	if ((seg = journal_find_segment(j, (uint32_t)(position >> 32))) == NULL)
		goto bad;
	if (seg->version == JOURNAL_VERSION) {
		if (journal_read_v2(j, seg, offset, &storage, r) == -1)
			goto bad;
	} else if (journal_v1_read_at(seg->fd, offset, seg->size, &storage,
	    r) <= 0)
		goto bad;
	r->offset = position;
	r->storage = storage.data;
	return (0);
bad:
	json_object_put(r->json);
	memset(r, 0, sizeof *r);
	buffer_release(&storage);
	xasprintf(cause, "journal: damaged record at segment %08u offset %llu",
	    (uint32_t)(position >> 32), (unsigned long long)offset);
	return (-1);
}

/* Free a record read by journal_read. */
void
journal_record_release(struct journal_record *r)
{
	json_object_put(r->json);
	free(r->storage);
	memset(r, 0, sizeof *r);
}

/*
 * Return the problems met since open (or the last call) as lines, or
 * NULL; the caller frees them and should log them.
 */
char *
journal_warnings(struct journal *j)
{
	if (j->warnings.len == 0)
		return (NULL);
	return (buffer_detach(&j->warnings, NULL));
}

/* Give the records appended and the fdatasyncs done since open. */
void
journal_counts(const struct journal *j, uint64_t *appended, uint64_t *syncs)
{
	*appended = j->appended;
	*syncs = j->syncs;
}

/*
 * Remove every segment, oldest first, whose last write is before cutoff
 * (unix ms), except the active one.  Return the number of the oldest
 * segment kept: records at positions below (number << 32) are gone.
 */
uint32_t
journal_expire(struct journal *j, int64_t cutoff, char **cause)
{
	struct segment	*seg;
	size_t		 dropped = 0;
	char		*path;

	*cause = NULL;
	while (dropped + 1 < j->nsegments) {
		seg = &j->segments[dropped];
		if (seg->written_at >= cutoff || seg->number == j->unsynced)
			break;
		path = journal_segment_path(j, seg->number);
		if (unlink(path) == -1 && errno != ENOENT) {
			xasprintf(cause, "cannot remove '%s': %s", path,
			    strerror(errno));
			free(path);
			break;
		}
		free(path);
		close(seg->fd);
		j->records -= seg->records;
		dropped++;
	}
	if (dropped > 0) {
		memmove(j->segments, j->segments + dropped,
		    (j->nsegments - dropped) * sizeof *j->segments);
		j->nsegments -= dropped;
		if (journal_sync_dir(j->dir) == -1 && *cause == NULL)
			xasprintf(cause, "cannot sync '%s': %s", j->dir,
			    strerror(errno));
	}
	return (j->segments[0].number);
}

/* Return the active segment's size and when it was created (unix ms). */
uint64_t
journal_active_bytes(const struct journal *j, int64_t *created_at)
{
	const struct segment	*seg = journal_active(j);

	if (created_at != NULL)
		*created_at = seg->created_at;
	return (seg->size + buffer_unread(&j->pending));
}

/* Return the journal's size in bytes, including unsynced appends. */
uint64_t
journal_bytes(const struct journal *j)
{
	uint64_t	total = buffer_unread(&j->pending);
	size_t		i;

	for (i = 0; i < j->nsegments; i++)
		total += j->segments[i].size;
	return (total);
}

/*
 * Return how many records were appended and not yet written (a close
 * drops them: journal_close).
 */
uint64_t
journal_pending(const struct journal *j)
{
	return (j->pending_records);
}

/* Return how many records the journal holds (as replayed and appended). */
uint64_t
journal_records(const struct journal *j)
{
	return (j->records);
}

/* Return how many segment files the journal has. */
size_t
journal_segments(const struct journal *j)
{
	return (j->nsegments);
}

/* Return what recovery found lost when the journal was opened. */
const struct journal_damage *
journal_damage(const struct journal *j)
{
	return (&j->damage);
}
