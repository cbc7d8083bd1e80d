/*
 * Recovering one journal segment on open: read it once, front to back,
 * hand every good record to the replay callback, and count what is lost.
 *
 * Format 2 is read block by block, as LevelDB's log reader does.  Within
 * a block the reader follows fragments from the block's start (or from
 * JOURNAL_HEADER_LEN in block 0); a zero header ends what was written in
 * the block, and a bad fragment (CRC, type, length or framing) ends what
 * can be trusted in it: in both cases the reader goes on at the next
 * block boundary, where the writer always put a fragment header (or
 * padding, or nothing).  It never looks for a record anywhere else, so no
 * bytes inside a payload are ever taken for a fragment, and each byte is
 * read once.
 *
 * Loss accounting.  Damage, and whatever it takes with it (a record in
 * progress, fragments of a record whose start was lost), is held as one
 * pending region until the reader knows what it was.  If a good record
 * starts later in the segment, it was a damaged region: a loss, counted
 * with its bytes and the records known lost in it.  If nothing good
 * follows in the newest segment, it is a torn tail (writes that were
 * never synced, so never acknowledged) when it looks like one: a record
 * or fragment that runs past the end of the file or into unwritten
 * (zero) space, with nothing written after it.  A torn tail is reported,
 * not counted, and scrubbed before appending resumes there
 * (journal_scrub).  Anything else at the end of the newest segment (a
 * flipped byte in its last records, bytes that are no writer's) is
 * damage like any other: counted, left as it is, and appends resume at
 * the next block boundary after it.  Zero headers alone are unwritten
 * space (segments may be pre-written with zeros) unless a good record
 * follows them.
 *
 * Nothing at or past journal_recover_limit is read: no segment fish
 * writes reaches it (JOURNAL_SEGMENT_END), and a checksum there would
 * verify bytes as the record 4 GiB before them.  What lies past it is
 * counted as damage, and left as it is.
 *
 * Format 1 (the earlier fish's) is read record by record, read-only, and
 * never searched after a bad record: that format cannot tell a record
 * from a body, which is why format 2 exists.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "compat.h"
#include "journal.h"
#include "journal-format.h"
#include "journal-segment.h"
#include "xmalloc.h"

/* Bytes read at once: a whole number of blocks. */
#define RECOVER_CHUNK	(32 * JOURNAL_BLOCK)

/* The smallest unit a disk writes whole. */
#define RECOVER_SECTOR	512

/* A torn_limit for damage that is torn wherever it lies. */
#define RECOVER_TORN	UINT64_MAX

/* Where recovery stops reading; only the unit test lowers it. */
uint64_t journal_recover_limit = JOURNAL_SEGMENT_END;

/* Where the reader is in a format-2 segment. */
struct recover {
	struct journal_scan	*scan;

	int			 in_record;	/* a FIRST was seen */
	uint64_t		 record_start;

	int			 pending;	/* unclassified damage */
	int			 real;		/* not only zero headers */
	uint64_t		 damage_start;
	/*
	 * The pending damage is a torn write if nothing is written after
	 * this offset (0: it cannot be one).
	 */
	uint64_t		 torn_limit;
	uint64_t		 lost;		/* records known lost in it */
	int			 lost_open;	/* the last one may go on */
};

/*
 * Open a pending region of damage at offset, or extend the one open; see
 * struct recover for torn_limit.  A region that begins with unwritten
 * space is torn whatever follows (pages of an unsynced write can reach
 * the disk out of order).
 */
static void
recover_damage(struct recover *rc, uint64_t offset, int real,
    uint64_t torn_limit)
{
	if (!rc->pending) {
		rc->pending = 1;
		rc->damage_start = offset;
		rc->torn_limit = real ? torn_limit : RECOVER_TORN;
	}
	if (real)
		rc->real = 1;
}

/*
 * The writer's fragment at offset is lost (damaged, or a zero header
 * where a record was expected): so is the record in progress, if any,
 * else the record the fragment began.
 */
static void
recover_lose(struct recover *rc, uint64_t offset, int real,
    uint64_t torn_limit)
{
	if (rc->in_record) {
		rc->in_record = 0;
		recover_damage(rc, rc->record_start, 1, torn_limit);
		rc->lost++;
		rc->lost_open = 1;
		return;
	}
	recover_damage(rc, offset, real, torn_limit);
	if (!rc->lost_open) {
		rc->lost++;
		rc->lost_open = 1;
	}
}

/* A good record starts at offset: what was pending before it is lost. */
static void
recover_commit(struct recover *rc, uint64_t offset)
{
	struct journal_scan	*scan = rc->scan;

	if (rc->in_record) {
		/* The record in progress never got its LAST fragment. */
		rc->in_record = 0;
		recover_damage(rc, rc->record_start, 1, 0);
		rc->lost++;
	}
	rc->lost_open = 0;
	if (!rc->pending)
		return;
	scan->damage->regions++;
	scan->damage->bytes += offset - rc->damage_start;
	scan->damage->records_dropped += rc->lost;
	buffer_add_line(scan->warnings, "journal segment %08u: skipped %llu "
	    "damaged bytes at offset %llu (%llu record%s known lost)",
	    scan->number, (unsigned long long)(offset - rc->damage_start),
	    (unsigned long long)rc->damage_start, (unsigned long long)rc->lost,
	    rc->lost == 1 ? "" : "s");
	rc->pending = rc->real = 0;
	rc->lost = 0;
}

/* Hand a whole record (its gathered payloads) to the replay callback. */
static void
recover_deliver(struct recover *rc, const void *data, size_t len,
    uint64_t start, uint64_t stop)
{
	struct journal_scan	*scan = rc->scan;
	struct journal_record	 r;

	memset(&r, 0, sizeof r);
	if (journal_record_decode(data, len, &r) == -1) {
		/* Checksummed but not a record: the writer's, yet lost. */
		recover_damage(rc, start, 1, 0);
		rc->lost++;
		return;
	}
	r.offset = (uint64_t)scan->number << 32 | start;
	scan->cb(&r, scan->arg);
	json_object_put(r.json);
	scan->records++;
	scan->end = stop;
}

/* Take one good fragment at offset. */
static void
recover_fragment(struct recover *rc, const struct journal_fragment_view *v,
    uint64_t offset)
{
	struct buffer	*record = rc->scan->record;
	uint64_t	 stop = offset + JOURNAL_FRAGMENT_HEAD + v->len;

	switch (v->type) {
	case JOURNAL_FULL:
		recover_commit(rc, offset);
		recover_deliver(rc, v->payload, v->len, offset, stop);
		break;
	case JOURNAL_FIRST:
		recover_commit(rc, offset);
		rc->in_record = 1;
		rc->record_start = offset;
		buffer_clear(record);
		buffer_add(record, v->payload, v->len);
		break;
	case JOURNAL_MIDDLE:
	case JOURNAL_LAST:
		if (!rc->in_record) {
			/* Part of a record whose start was lost. */
			recover_damage(rc, offset, 1, 0);
			if (!rc->lost_open)
				rc->lost++;
			rc->lost_open = v->type == JOURNAL_MIDDLE;
			break;
		}
		buffer_add(record, v->payload, v->len);
		if (v->type == JOURNAL_LAST) {
			rc->in_record = 0;
			recover_deliver(rc, record->data, record->len,
			    rc->record_start, stop);
		}
		break;
	default:
		break;
	}
}

/*
 * Return the torn_limit of a bad fragment at offset (avail bytes at p): a
 * write torn inside it leaves its end unwritten, zero from a sector
 * boundary on.  A header or payload damaged whole is no torn write.
 */
static uint64_t
recover_torn_limit(const unsigned char *p, size_t avail, uint64_t offset)
{
	size_t		stop, z;
	uint64_t	space = JOURNAL_BLOCK - offset % JOURNAL_BLOCK;

	stop = JOURNAL_FRAGMENT_HEAD + ((size_t)p[4] << 8 | p[5]);
	if (stop > space || stop > avail)
		stop = avail;
	for (z = stop; z > 0 && p[z - 1] == 0; z--)
		continue;
	if ((offset + z + RECOVER_SECTOR - 1) / RECOVER_SECTOR *
	    RECOVER_SECTOR < offset + stop)
		return (offset + stop);
	return (0);
}

/* Read the fragments of one block of len bytes at offset. */
static void
recover_block(struct recover *rc, const unsigned char *block, size_t len,
    uint64_t offset)
{
	struct journal_fragment_view	 v;
	struct journal_scan		*scan = rc->scan;
	size_t				 at, i;

	at = offset == 0 ? JOURNAL_HEADER_LEN : 0;
	if (scan->newest && !journal_zero(block + at, len - at)) {
		/* Where written bytes end, for journal_scrub. */
		for (i = len; i > at && block[i - 1] == 0; i--)
			continue;
		scan->dirty = offset + i;
	}
	while (at < len && JOURNAL_BLOCK - at >= JOURNAL_FRAGMENT_HEAD) {
		switch (journal_fragment_parse(block + at, len - at, offset + at,
		    scan->frame, &v)) {
		case JOURNAL_FRAGMENT_GOOD:
			recover_fragment(rc, &v, offset + at);
			at += JOURNAL_FRAGMENT_HEAD + v.len;
			break;
		case JOURNAL_FRAGMENT_ZERO:
			recover_lose(rc, offset + at, rc->in_record, offset + at);
			return;
		case JOURNAL_FRAGMENT_SHORT:
			recover_lose(rc, offset + at, 1, RECOVER_TORN);
			return;
		case JOURNAL_FRAGMENT_BAD:
			recover_lose(rc, offset + at, 1, recover_torn_limit(block +
			    at, len - at, offset + at));
			return;
		}
	}
}

/* Classify what is pending at the end of the segment. */
static void
recover_finish(struct recover *rc)
{
	struct journal_scan	*scan = rc->scan;
	uint64_t		 bytes;

	if (rc->in_record) {
		/* The file ends in the middle of a record: a torn append. */
		rc->in_record = 0;
		recover_damage(rc, rc->record_start, 1, RECOVER_TORN);
		rc->lost++;
	}
	scan->resume = scan->end;
	if (scan->newest && rc->pending && rc->real &&
	    scan->dirty > rc->torn_limit) {
		/* Damage, not a torn write: keep it, append after it. */
		bytes = scan->dirty - rc->damage_start;
		scan->damage->regions++;
		scan->damage->bytes += bytes;
		scan->damage->records_dropped += rc->lost;
		scan->resume = (scan->dirty + JOURNAL_BLOCK - 1) /
		    JOURNAL_BLOCK * JOURNAL_BLOCK;
		buffer_add_line(scan->warnings,
		    "journal segment %08u: skipped %llu "
		    "damaged bytes at offset %llu, at its end (%llu record%s "
		    "known lost); appends go on at offset %llu", scan->number,
		    (unsigned long long)bytes,
		    (unsigned long long)rc->damage_start,
		    (unsigned long long)rc->lost, rc->lost == 1 ? "" : "s",
		    (unsigned long long)scan->resume);
		return;
	}
	if (scan->newest) {
		if (scan->dirty > scan->end)
			buffer_add_line(scan->warnings,
			    "journal segment %08u: cut "
			    "a torn tail of %llu bytes at offset %llu (writes "
			    "never synced, so never acknowledged)", scan->number,
			    (unsigned long long)(scan->dirty - scan->end),
			    (unsigned long long)scan->end);
		return;
	}
	if (!rc->pending || !rc->real)
		return;		/* nothing, or unwritten space */
	bytes = scan->limit - rc->damage_start;
	scan->damage->regions++;
	scan->damage->bytes += bytes;
	scan->damage->records_dropped += rc->lost;
	buffer_add_line(scan->warnings, "journal segment %08u: skipped %llu "
	    "damaged bytes at offset %llu, up to its end (%llu record%s known "
	    "lost)", scan->number, (unsigned long long)bytes,
	    (unsigned long long)rc->damage_start, (unsigned long long)rc->lost,
	    rc->lost == 1 ? "" : "s");
}

/* Count what lies past the limit (fish never wrote it) as damage. */
static void
recover_beyond(struct journal_scan *scan)
{
	uint64_t	bytes = scan->size - scan->limit;

	if (bytes == 0)
		return;
	scan->damage->regions++;
	scan->damage->bytes += bytes;
	buffer_add_line(scan->warnings, "journal segment %08u: skipped %llu "
	    "bytes at offset %llu, past the end of any segment " FISH_NAME
	    " writes", scan->number, (unsigned long long)bytes,
	    (unsigned long long)scan->limit);
}

/*
 * Recover a format-2 segment: replay its records and count its damage.
 * Return -1 with *cause only when the file cannot be read.
 */
int
journal_recover(struct journal_scan *scan, char **cause)
{
	struct recover	 rc;
	uint64_t	 offset, block;
	size_t		 want, n;
	ssize_t		 got;

	memset(&rc, 0, sizeof rc);
	rc.scan = scan;
	scan->end = scan->dirty = JOURNAL_HEADER_LEN;
	scan->records = 0;
	scan->limit = scan->size < journal_recover_limit ? scan->size :
	    journal_recover_limit;
	buffer_reserve(scan->chunk, RECOVER_CHUNK);
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(scan->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	for (offset = 0; offset < scan->limit; offset += n) {
		want = scan->limit - offset < RECOVER_CHUNK ?
		    (size_t)(scan->limit - offset) : RECOVER_CHUNK;
		got = journal_pread(scan->fd, scan->chunk->data, want, offset);
		if (got == -1) {
			xasprintf(cause, "cannot read journal segment %08u: %s",
			    scan->number, strerror(errno));
			return (-1);
		}
		n = (size_t)got;
		if (n < want)	/* shrank under us */
			scan->size = scan->limit = offset + n;
		for (block = 0; block < n; block += JOURNAL_BLOCK) {
			recover_block(&rc, (unsigned char *)scan->chunk->data +
			    block, n - block < JOURNAL_BLOCK ?
			    (size_t)(n - block) : JOURNAL_BLOCK, offset + block);
		}
		if (n == 0)
			break;
	}
	recover_finish(&rc);
	recover_beyond(scan);
	return (0);
}

/*
 * Make sure nothing of a crashed run follows the newest segment's last
 * good record, so that no leftover bytes ever come after new ones: cut
 * the file there when the leftovers run to (nearly: less than a block
 * before) its end, as in a file grown by appends; zero them in place when
 * a block or more of unwritten (zero) space follows, so that a segment
 * pre-written with zeros keeps its size, or bytes past the limit do
 * (damage is left as it is).
 */
int
journal_scrub(struct journal_scan *scan, char **cause)
{
	static const char	zeros[4096];
	uint64_t		at;
	size_t			n;

	if (scan->dirty <= scan->end || scan->resume != scan->end)
		return (0);
	if (scan->size == scan->limit && scan->size - scan->dirty <
	    JOURNAL_BLOCK) {
		if (ftruncate(scan->fd, (off_t)scan->end) == -1)
			goto fail;
		scan->size = scan->end;
	} else {
		for (at = scan->end; at < scan->dirty; at += n) {
			n = scan->dirty - at < sizeof zeros ?
			    (size_t)(scan->dirty - at) : sizeof zeros;
			if (pwrite(scan->fd, zeros, n, (off_t)at) != (ssize_t)n)
				goto fail;
		}
	}
	if (fdatasync(scan->fd) == -1)
		goto fail;
	scan->dirty = scan->end;
	return (0);
fail:
	xasprintf(cause, "cannot cut journal segment %08u: %s", scan->number,
	    strerror(errno == 0 ? EIO : errno));
	return (-1);
}

/*
 * Recover a format-1 segment: replay its records up to the first one that
 * does not verify, and say how much was not read.  A record that runs
 * past the end of the file is a torn append (reported, not counted);
 * anything else, and all past the limit, is counted as damage.
 */
int
journal_recover_v1(struct journal_scan *scan, char **cause)
{
	struct journal_record	r;
	uint64_t		offset = JOURNAL_V1_HEADER_LEN, bytes;
	ssize_t			n;

	(void)cause;
	scan->records = 0;
	scan->limit = scan->size < journal_recover_limit ? scan->size :
	    journal_recover_limit;
	memset(&r, 0, sizeof r);
	while ((n = journal_v1_read_at(scan->fd, offset, scan->limit,
	    scan->record, &r)) > 0) {
		r.offset = (uint64_t)scan->number << 32 | offset;
		scan->cb(&r, scan->arg);
		json_object_put(r.json);
		memset(&r, 0, sizeof r);
		scan->records++;
		offset += (uint64_t)n;
	}
	scan->end = scan->dirty = scan->resume = scan->size;
	if (n == 0) {
		recover_beyond(scan);
		return (0);
	}
	bytes = scan->size - offset;
	if (n == -2 && scan->limit == scan->size) {
		buffer_add_line(scan->warnings,
		    "journal segment %08u (format 1): "
		    "a torn tail of %llu bytes at offset %llu is not read",
		    scan->number, (unsigned long long)bytes,
		    (unsigned long long)offset);
		return (0);
	}
	scan->damage->regions++;
	scan->damage->bytes += bytes;
	buffer_add_line(scan->warnings, "journal segment %08u (format 1): %llu "
	    "damaged bytes at offset %llu are not read (format 1 cannot tell a "
	    "record from a body, so it is not searched)", scan->number,
	    (unsigned long long)bytes, (unsigned long long)offset);
	return (0);
}
