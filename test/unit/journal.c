/*
 * Unit tests for the journal, format 2: appending and syncing, replaying
 * on reopen, reading records by position before and after sync, records
 * spanning many blocks and records of every length around a block's tail,
 * rolling and expiring segments; pre-written segments: their sizes,
 * rolling when one is full, what a crash leaves of one being prepared
 * (a temporary file, a segment prepared and never used); and recovery:
 * torn tails at every kind of offset, damage in the middle, damaged
 * header copies, missing and unreadable segments, format-1 segments
 * (built byte by byte here), resuming after a crash with garbage beyond
 * the end, and records copied to another offset or segment, or past
 * where recovery stops reading, which must never be taken for records.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "clock.h"
#include "compat.h"
#include "crc32c.h"
#include "journal.h"
#include "journal-format.h"
#include "journal-prepare.h"
#include "journal-segment.h"
#include "tap.h"
#include "tree.h"
#include "xmalloc.h"

/* A position: segment number in the high 32 bits, offset in the low. */
#define POSITION(seg, off)	((uint64_t)(seg) << 32 | (uint64_t)(off))
#define SEGMENT_OF(pos)		((uint32_t)((pos) >> 32))
#define OFFSET_OF(pos)		((pos) & 0xffffffffU)
#define BLOCK			JOURNAL_BLOCK

#define HOUR_MS			(3600 * (int64_t)1000)

/* A record as written, or as replayed. */
struct rec {
	int		 type;
	uint64_t	 position;
	char		*json;
	char		*body;
	size_t		 body_len;
};

/* A list of records. */
struct recs {
	struct rec	*r;
	size_t		 n;
};

static char	*tmpdir;

/* Print a record's JSON compactly; the result is borrowed from o. */
static const char *
json_text(struct json_object *o)
{
	return (json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Add a copy of a record to a list. */
static void
recs_add(struct recs *l, int type, uint64_t position, const char *json,
    const void *body, size_t body_len)
{
	struct rec	*r;

	l->r = xreallocarray(l->r, l->n + 1, sizeof *l->r);
	r = &l->r[l->n++];
	r->type = type;
	r->position = position;
	r->json = xstrdup(json);
	r->body = xmalloc(body_len + 1);
	if (body_len > 0)
		memcpy(r->body, body, body_len);
	r->body_len = body_len;
}

/* Empty a list. */
static void
recs_clear(struct recs *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->r[i].json);
		free(l->r[i].body);
	}
	free(l->r);
	l->r = NULL;
	l->n = 0;
}

/* Copy a replayed record, whose contents die with the callback. */
static void
collect(const struct journal_record *r, void *arg)
{
	recs_add(arg, r->type, r->offset, json_text(r->json), r->body,
	    r->body_len);
}

/* Tell whether two records are the same, position included. */
static int
rec_same(const struct rec *a, const struct rec *b)
{
	return (a->type == b->type && a->position == b->position &&
	    strcmp(a->json, b->json) == 0 && a->body_len == b->body_len &&
	    memcmp(a->body, b->body, a->body_len) == 0);
}

/*
 * Tell whether seen is exactly the records of want whose index is not in
 * lost (a list of indexes ending with -1), in order.
 */
static int
recs_are(const struct recs *seen, const struct recs *want, const int *lost)
{
	size_t	i, k = 0;
	int	j, skip;

	for (i = 0; i < want->n; i++) {
		skip = 0;
		for (j = 0; lost != NULL && lost[j] != -1; j++)
			skip |= lost[j] == (int)i;
		if (skip)
			continue;
		if (k == seen->n || !rec_same(&seen->r[k], &want->r[i])) {
			diag("record %zu (position %llx) is not replayed as "
			    "written", i, (unsigned long long)want->r[i].position);
			return (0);
		}
		k++;
	}
	if (k != seen->n)
		diag("%zu records replayed, %zu expected", seen->n, k);
	return (k == seen->n);
}

/* Fill a body of len bytes with a pattern that depends on seed. */
static char *
make_body(size_t len, unsigned int seed)
{
	char	*body = xmalloc(len + 1);
	size_t	 i;

	for (i = 0; i < len; i++)
		body[i] = (char)((i * 31 + seed * 7 + (i >> 8)) & 0xff);
	return (body);
}

/* Append record number n with a body of len bytes; remember it in want. */
static uint64_t
append(struct journal *j, struct recs *want, int n, size_t len)
{
	struct json_object	*o;
	char			*body = make_body(len, (unsigned int)n);
	uint64_t		 position;

	o = json_object_new_object();
	json_object_object_add(o, "n", json_object_new_int(n));
	json_object_object_add(o, "s", json_object_new_string("a/b\"c"));
	position = journal_append(j, n % 7 + 1, o, body, len);
	if (want != NULL)
		recs_add(want, n % 7 + 1, position, json_text(o), body, len);
	json_object_put(o);
	free(body);
	return (position);
}

/* Check that the record at position reads back as want. */
static int
reads_as(struct journal *j, const struct rec *want)
{
	struct journal_record	 r;
	struct rec		 got;
	char			*cause = NULL;
	int			 same;

	if (journal_read(j, want->position, &r, &cause) != 0) {
		diag("read %llx: %s", (unsigned long long)want->position, cause);
		free(cause);
		return (0);
	}
	got.type = r.type;
	got.position = r.offset;
	got.json = (char *)json_text(r.json);
	got.body = (char *)r.body;
	got.body_len = r.body_len;
	same = rec_same(&got, want);
	journal_record_release(&r);
	return (same);
}

/* Check that every record of want reads back, except those in lost. */
static int
all_read(struct journal *j, const struct recs *want, const int *lost)
{
	size_t	i;
	int	k, skip;

	for (i = 0; i < want->n; i++) {
		skip = 0;
		for (k = 0; lost != NULL && lost[k] != -1; k++)
			skip |= lost[k] == (int)i;
		if (!skip && !reads_as(j, &want->r[i]))
			return (0);
	}
	return (1);
}

/* Check that reading at position fails with a cause and holds nothing. */
static int
read_fails(struct journal *j, uint64_t position)
{
	struct journal_record	 r;
	char			*cause = NULL;
	int			 failed;

	failed = journal_read(j, position, &r, &cause) == -1 &&
	    cause != NULL && strstr(cause, "damaged record") != NULL &&
	    r.json == NULL && r.storage == NULL;
	free(cause);
	return (failed);
}

/* Return a path in the temporary directory; caller frees. */
static char *
temp_path(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", tmpdir, name);
	return (path);
}

/* Return the path of segment number in journal directory dir. */
static char *
segment_path(const char *dir, uint32_t number)
{
	char	*path;

	xasprintf(&path, "%s/%08u.journal", dir, number);
	return (path);
}

/* Return the size of segment number in dir, or -1. */
static long long
segment_size(const char *dir, uint32_t number)
{
	struct stat	 sb;
	char		*path;
	int		 error;

	path = segment_path(dir, number);
	error = stat(path, &sb);
	free(path);
	return (error == -1 ? -1 : (long long)sb.st_size);
}

/*
 * Wait (at most 10 s) until segment number in dir exists at size bytes,
 * as the helper thread prepares it; return 0 or -1.
 */
static int
segment_appears(const char *dir, uint32_t number, long long size)
{
	struct timespec	pause = { 0, 1000000 };
	int64_t		deadline = clock_mono_ms() + 10000;

	while (segment_size(dir, number) != size) {
		if (clock_mono_ms() > deadline)
			return (-1);
		nanosleep(&pause, NULL);
	}
	return (0);
}

/* Read all of segment number into b; return 0 or -1. */
static int
segment_load(const char *dir, uint32_t number, struct buffer *b)
{
	char	*path, chunk[65536];
	ssize_t	 n;
	int	 fd;

	path = segment_path(dir, number);
	fd = open(path, O_RDONLY);
	free(path);
	if (fd == -1)
		return (-1);
	buffer_clear(b);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buffer_add(b, chunk, (size_t)n);
	close(fd);
	return (n == 0 ? 0 : -1);
}

/*
 * Return where what was written to segment number in dir ends: after its
 * last byte that is not zero (the rest is pre-written space), or -1.
 */
static long long
segment_written(const char *dir, uint32_t number)
{
	struct buffer	b;
	size_t		end;

	buffer_init(&b);
	if (segment_load(dir, number, &b) == -1) {
		buffer_release(&b);
		return (-1);
	}
	for (end = b.len; end > 0 && b.data[end - 1] == 0; end--)
		continue;
	buffer_release(&b);
	return ((long long)end);
}

/* Write len bytes at offset of segment number; return 0 or -1. */
static int
segment_write(const char *dir, uint32_t number, uint64_t offset,
    const void *data, size_t len)
{
	char	*path;
	int	 fd;
	ssize_t	 n;

	path = segment_path(dir, number);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	free(path);
	if (fd == -1)
		return (-1);
	n = pwrite(fd, data, len, (off_t)offset);
	close(fd);
	return (n == (ssize_t)len ? 0 : -1);
}

/* Flip every bit of the byte at offset of segment number. */
static int
segment_flip(const char *dir, uint32_t number, uint64_t offset)
{
	struct buffer	b;
	unsigned char	c;
	int		error = -1;

	buffer_init(&b);
	if (segment_load(dir, number, &b) == 0 && offset < b.len) {
		c = (unsigned char)b.data[offset] ^ 0xff;
		error = segment_write(dir, number, offset, &c, 1);
	}
	buffer_release(&b);
	return (error);
}

/* Cut segment number to size bytes (or extend it with zeros). */
static int
segment_truncate(const char *dir, uint32_t number, uint64_t size)
{
	char	*path;
	int	 error;

	path = segment_path(dir, number);
	error = truncate(path, (off_t)size);
	free(path);
	return (error);
}

/* Remove segment number. */
static int
segment_remove(const char *dir, uint32_t number)
{
	char	*path;
	int	 error;

	path = segment_path(dir, number);
	error = unlink(path);
	free(path);
	return (error);
}

/* Read segment number's header. */
static enum journal_header_kind
segment_header(const char *dir, uint32_t number, struct journal_header *h)
{
	struct buffer			b;
	enum journal_header_kind	kind = JOURNAL_HEADER_BAD;

	buffer_init(&b);
	memset(h, 0, sizeof *h);
	if (segment_load(dir, number, &b) == 0)
		kind = journal_header_parse((unsigned char *)b.data, b.len,
		    number, h);
	buffer_release(&b);
	return (kind);
}

/* Open dir afresh, collecting the replay in seen. */
static struct journal *
reopen(const char *dir, struct recs *seen, char **warning)
{
	struct journal	*j;
	char		*cause = NULL;

	recs_clear(seen);
	*warning = NULL;
	if ((j = journal_open(dir, collect, seen, warning, &cause)) == NULL) {
		diag("open %s: %s", dir, cause);
		free(cause);
	}
	return (j);
}

/* Sync and close; return 0 or -1. */
static int
finish(struct journal *j)
{
	char	*cause = NULL;
	int	 error;

	if (j == NULL)
		return (-1);
	error = journal_sync(j, &cause);
	if (error == -1) {
		diag("sync: %s", cause);
		free(cause);
	}
	journal_close(j);
	return (error);
}

/*
 * Write a new journal in dir: the sizes of the bodies of its records
 * (a size of -1 syncs and rolls to a new segment), synced at the end.
 * Return 0 or -1.
 */
static int
write_journal(const char *dir, struct recs *want, const long *sizes,
    size_t n)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 };
	char		*warning, *cause = NULL;
	size_t		 i;
	int		 k = 0;

	tree_remove(dir);
	recs_clear(want);
	if ((j = reopen(dir, &seen, &warning)) == NULL)
		return (-1);
	free(warning);
	for (i = 0; i < n; i++) {
		if (sizes[i] >= 0) {
			append(j, want, k++, (size_t)sizes[i]);
			continue;
		}
		if (journal_sync(j, &cause) == -1 ||
		    journal_roll(j, 1, &cause) == -1) {
			free(cause);
			journal_close(j);
			return (-1);
		}
	}
	recs_clear(&seen);
	return (finish(j));
}

/* Tell whether the damage counts are all zero. */
static int
no_damage(const struct journal *j)
{
	const struct journal_damage	*d = journal_damage(j);

	return (d->regions == 0 && d->bytes == 0 && d->records_dropped == 0 &&
	    d->segments_missing == 0 && d->segments_unreadable == 0);
}

/* Return the offset just past record i of want. */
static uint64_t
record_end(const struct recs *want, size_t i)
{
	uint64_t	start;
	size_t		len;

	len = 4 + 5 + strlen(want->r[i].json) + want->r[i].body_len;
	return (journal_format_span(OFFSET_OF(want->r[i].position), len,
	    &start));
}

/* Return the block-aligned offset after the block that holds offset. */
static uint64_t
block_end(uint64_t offset)
{
	return ((offset / BLOCK + 1) * BLOCK);
}

/*
 * Fill lost (ending with -1) with the records of segment number that a
 * damaged byte at offset takes: the record holding it, and every record
 * that starts after that one in the byte's block (recovery goes on at the
 * next block boundary).
 */
static void
lost_by_damage(const struct recs *want, uint32_t number, uint64_t offset,
    int *lost)
{
	uint64_t	start = 0, s;
	size_t		i, n = 0;
	int		found = 0;

	for (i = 0; i < want->n; i++) {
		if (SEGMENT_OF(want->r[i].position) != number)
			continue;
		s = OFFSET_OF(want->r[i].position);
		if (s <= offset && offset < record_end(want, i)) {
			start = s;
			found = 1;
		}
	}
	for (i = 0; found && i < want->n; i++) {
		s = OFFSET_OF(want->r[i].position);
		if (SEGMENT_OF(want->r[i].position) == number && s >= start &&
		    s < block_end(offset))
			lost[n++] = (int)i;
	}
	lost[n] = -1;
}

/* Return how many indexes a -1-terminated list holds. */
static int
count_lost(const int *lost)
{
	int	n = 0;

	while (lost[n] != -1)
		n++;
	return (n);
}

/*
 * Check the fragments of record i of want in the segment bytes b: types in
 * order (FULL alone, or FIRST, MIDDLE..., LAST), each verified where it
 * lies.  Return the number of fragments, or -1.
 */
static int
fragments_of(const struct buffer *b, const struct journal_frame *f,
    const struct recs *want, size_t i)
{
	struct journal_fragment_view	v;
	uint64_t			at = OFFSET_OF(want->r[i].position);
	uint64_t			end = record_end(want, i);
	int				n = 0;

	while (at < end) {
		if (journal_fragment_parse((unsigned char *)b->data + at,
		    b->len - at, at, f, &v) != JOURNAL_FRAGMENT_GOOD)
			return (-1);
		if (n == 0 ? v.type != JOURNAL_FULL && v.type != JOURNAL_FIRST :
		    v.type != JOURNAL_MIDDLE && v.type != JOURNAL_LAST)
			return (-1);
		n++;
		at += JOURNAL_FRAGMENT_HEAD + v.len;
		if (v.type == JOURNAL_FULL || v.type == JOURNAL_LAST)
			break;
	}
	return (at == end ? n : -1);
}

/* Return the frame (salt) of segment number in dir. */
static struct journal_frame
segment_frame(const char *dir, uint32_t number)
{
	struct journal_header	h;
	struct journal_frame	f;

	segment_header(dir, number, &h);
	journal_frame_init(&f, number, h.salt);
	return (f);
}

/* Test creating, appending, reading by position and replaying. */
static void
test_round_trip(void)
{
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_header	 h;
	struct stat		 sb;
	char			*dir, *warning, *cause = NULL;
	int64_t			 before, after, created;
	uint64_t		 end, position;

	dir = temp_path("round-trip");
	before = clock_wall_ms();
	j = reopen(dir, &seen, &warning);
	after = clock_wall_ms();
	ok(j != NULL && warning == NULL && seen.n == 0,
	    "open creates a new journal that replays nothing");
	if (j == NULL) {
		free(dir);
		return;
	}
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0700, "the journal directory is private");
	ok(segment_size(dir, 1) == JOURNAL_SEGMENT_MIN &&
	    segment_written(dir, 1) == JOURNAL_HEADER_LEN,
	    "a new segment is pre-written: its header, then zeros up to its "
	    "size");
	ok(segment_header(dir, 1, &h) == JOURNAL_HEADER_V2 &&
	    h.bad_copies == 0 && h.version == 2 && h.number == 1 &&
	    h.prev_number == 0 && h.prev_salt == 0,
	    "its header has two good copies: version 2, number 1, no "
	    "previous segment");
	ok(h.created_at >= before && h.created_at <= after,
	    "the header holds the creation time");
	is_int(journal_records(j), 0, "a new journal has no records");
	is_int(journal_bytes(j), JOURNAL_HEADER_LEN,
	    "a new journal's size is its header");
	is_int(journal_segments(j), 1, "a new journal has one segment");
	ok(journal_active_bytes(j, &created) == JOURNAL_HEADER_LEN &&
	    created == h.created_at,
	    "the active segment's size and creation time are known");
	ok(!journal_dirty(j) && no_damage(j),
	    "a new journal is clean and undamaged");

	append(j, &want, 0, 0);
	append(j, &want, 1, 11);
	append(j, &want, 2, 300);
	is_int(want.r[0].position, POSITION(1, JOURNAL_HEADER_LEN),
	    "the first record starts after the header");
	ok(OFFSET_OF(want.r[1].position) == record_end(&want, 0) &&
	    OFFSET_OF(want.r[2].position) == record_end(&want, 1),
	    "records follow each other");
	end = record_end(&want, 2);
	is_int(journal_records(j), 3, "journal_records counts appends");
	is_int(journal_bytes(j), end, "journal_bytes counts pending bytes");
	ok(journal_dirty(j), "appends make the journal dirty");
	is_int(segment_written(dir, 1), JOURNAL_HEADER_LEN,
	    "nothing is written before sync");
	ok(all_read(j, &want, NULL), "pending records read back by position");
	is_int(journal_sync(j, &cause), 0, "sync succeeds");
	ok(!journal_dirty(j), "sync leaves the journal clean");
	is_int(segment_written(dir, 1), end, "sync writes every pending byte");
	is_int(segment_size(dir, 1), JOURNAL_SEGMENT_MIN,
	    "into the pre-written space: the file does not grow");
	is_int(journal_sync(j, &cause), 0,
	    "a sync with nothing pending succeeds");
	ok(all_read(j, &want, NULL), "synced records read back by position");
	ok(read_fails(j, want.r[1].position + 1),
	    "a position inside a record does not read");
	ok(read_fails(j, POSITION(1, end)), "the end does not read");
	ok(read_fails(j, POSITION(1, end + 100)),
	    "a position past the end does not read");
	ok(read_fails(j, POSITION(2, JOURNAL_HEADER_LEN)),
	    "a position in a missing segment does not read");
	ok(read_fails(j, POSITION(1, 0)) && read_fails(j, POSITION(1, 64)),
	    "the header is no record");
	append(j, NULL, 3, 5);
	journal_close(j);
	is_int(segment_written(dir, 1), end, "close drops unsynced appends");

	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j),
	    "the journal reopens without warning or damage");
	ok(recs_are(&seen, &want, NULL),
	    "replay gives every synced record with its bytes and position");
	if (j == NULL) {
		free(warning);
		goto out;
	}
	is_int(journal_records(j), 3, "journal_records counts replayed ones");
	is_int(journal_bytes(j), end,
	    "journal_bytes is what was written, not the pre-written size");
	ok(journal_active_bytes(j, &created) == end && created == h.created_at,
	    "the reopened journal resumes in its segment");
	ok(all_read(j, &want, NULL), "replayed records read by position");
	append(j, &want, 3, 5);
	is_int(want.r[3].position, POSITION(1, end),
	    "appends resume right after the last record");
	position = journal_append_text(j, JOURNAL_MESSAGE_RECEIVED,
	    "{\"t\":1}", 7, "xy", 2);
	recs_add(&want, JOURNAL_MESSAGE_RECEIVED, position, "{\"t\":1}", "xy",
	    2);
	ok(reads_as(j, &want.r[4]), "a record appended as JSON text reads");
	ok(finish(j) == 0, "the reopened journal syncs");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL),
	    "records appended after reopening replay after the others");
	journal_close(j);
out:
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test records spanning many blocks, and the fragments they are cut in. */
static void
test_spanning(void)
{
	static const long	 sizes[] = { 0, 1, 100, 32768, 32700, 100000,
				    1 << 20, 3, 2 * 65536 + 5, 32741, 32742 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_frame	 f;
	struct buffer		 b;
	char			*dir, *warning;
	size_t			 i;
	int			 n, good = 1, spans = 0;

	dir = temp_path("spanning");
	buffer_init(&b);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal for long records");
		goto out;
	}
	for (i = 0; i < nitems(sizes); i++)
		append(j, &want, (int)i, (size_t)sizes[i]);
	ok(all_read(j, &want, NULL),
	    "records spanning many blocks read back while pending");
	ok(finish(j) == 0, "records spanning many blocks sync");
	for (i = 0; i < want.n; i++) {
		if (i == 0 || SEGMENT_OF(want.r[i].position) !=
		    SEGMENT_OF(want.r[i - 1].position)) {
			f = segment_frame(dir, SEGMENT_OF(want.r[i].position));
			segment_load(dir, SEGMENT_OF(want.r[i].position), &b);
		}
		n = fragments_of(&b, &f, &want, i);
		if (n < 1)
			good = 0;
		if ((record_end(&want, i) - 1) / BLOCK !=
		    OFFSET_OF(want.r[i].position) / BLOCK) {
			spans++;
			if (n < 2)
				good = 0;
		} else if (n != 1)
			good = 0;
	}
	ok(good, "each record is one FULL fragment, or FIRST, MIDDLE..., LAST "
	    "across blocks, each verified where it lies");
	ok(spans >= 5, "several records cross block boundaries");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL),
	    "records spanning many blocks replay whole");
	ok(j != NULL && all_read(j, &want, NULL),
	    "records spanning many blocks read back from the file");
	journal_close(j);
out:
	buffer_release(&b);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test records that start at every offset near a block's end: fewer than
 * a fragment header's 7 bytes left are zero padding, 7 to 10 bytes leave
 * a FIRST fragment too short to hold the record's length.
 */
static void
test_block_tail(void)
{
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct buffer		 b;
	char			*dir, *warning, *fill;
	uint64_t		 position, expect;
	size_t			 fill_len, t, i;
	int			 bad_place = 0, bad_read = 0, bad_replay = 0;
	int			 bad_padding = 0;

	dir = temp_path("tail");
	buffer_init(&b);
	for (t = 0; t <= 24; t++) {
		tree_remove(dir);
		recs_clear(&want);
		if ((j = reopen(dir, &seen, &warning)) == NULL) {
			bad_place++;
			continue;
		}
		/* A first record that ends t bytes before block 0 does. */
		fill_len = BLOCK - t - JOURNAL_HEADER_LEN -
		    JOURNAL_FRAGMENT_HEAD - JOURNAL_RECORD_HEAD - 2;
		fill = make_body(fill_len, (unsigned int)t);
		position = journal_append_text(j, 3, "{}", 2, fill, fill_len);
		recs_add(&want, 3, position, "{}", fill, fill_len);
		free(fill);
		for (i = 0; i < 3; i++) {
			fill = make_body(i * 20, (unsigned int)(t + i));
			position = journal_append_text(j, 4, "{}", 2, fill,
			    i * 20);
			recs_add(&want, 4, position, "{}", fill, i * 20);
			free(fill);
		}
		expect = t < JOURNAL_FRAGMENT_HEAD ? BLOCK : BLOCK - t;
		if (OFFSET_OF(want.r[1].position) != expect ||
		    record_end(&want, 0) != BLOCK - t)
			bad_place++;
		if (!all_read(j, &want, NULL))
			bad_read++;
		if (finish(j) == -1) {
			bad_read++;
			continue;
		}
		segment_load(dir, 1, &b);
		for (i = BLOCK - t; i < expect; i++) {
			if (b.data[i] != 0)
				bad_padding++;
		}
		j = reopen(dir, &seen, &warning);
		if (j == NULL || warning != NULL ||
		    !recs_are(&seen, &want, NULL) || !all_read(j, &want, NULL))
			bad_replay++;
		free(warning);
		journal_close(j);
	}
	is_int(bad_place, 0, "a record starts where 7 or more bytes are left "
	    "in a block, else at the next block");
	is_int(bad_padding, 0, "fewer than 7 bytes left in a block are zeros");
	is_int(bad_read, 0, "records around a block's tail read back, pending "
	    "and synced");
	is_int(bad_replay, 0, "records around a block's tail replay without "
	    "warning");
	buffer_release(&b);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test random reads of many records, pending, synced and replayed. */
static void
test_random_reads(void)
{
	struct journal	*j;
	struct recs	 want = { NULL, 0 }, seen = { NULL, 0 };
	struct rec	 tmp;
	char		*dir, *warning, *cause = NULL;
	uint32_t	 state = 12345;
	size_t		 i, k;
	int		 good = 1;

	dir = temp_path("random");
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal for random reads");
		free(dir);
		return;
	}
	for (i = 0; i < 300; i++) {
		state = state * 1103515245 + 12345;
		append(j, &want, (int)i, (state >> 8) % (i % 10 == 0 ?
		    70000 : 3000));
		if (i == 150 && journal_sync(j, &cause) == -1) {
			free(cause);
			good = 0;
		}
	}
	/* Shuffle the order in which they are read. */
	for (i = want.n - 1; i > 0; i--) {
		state = state * 1103515245 + 12345;
		k = (state >> 8) % (i + 1);
		tmp = want.r[i];
		want.r[i] = want.r[k];
		want.r[k] = tmp;
	}
	ok(good && all_read(j, &want, NULL),
	    "300 records read in random order, half synced, half pending");
	ok(finish(j) == 0, "the 300 records sync");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && seen.n == 300 &&
	    all_read(j, &want, NULL),
	    "300 records read in random order after reopening");
	journal_close(j);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test rolling to a new segment, and the chain between segments. */
static void
test_roll(void)
{
	static const long	 sizes[] = { 10, 20000, -1, 30 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_header	 h1, h2;
	char			*dir, *warning, *cause = NULL;
	uint64_t		 appended, syncs, appended2, syncs2;

	dir = temp_path("roll");
	ok(write_journal(dir, &want, sizes, nitems(sizes)) == 0,
	    "write a journal of two segments");
	ok(segment_header(dir, 1, &h1) == JOURNAL_HEADER_V2 &&
	    segment_header(dir, 2, &h2) == JOURNAL_HEADER_V2 &&
	    h2.prev_number == 1 && h2.prev_salt == h1.salt &&
	    h1.salt != h2.salt,
	    "a new segment names the one before it by number and salt");
	is_int(want.r[2].position, POSITION(2, JOURNAL_HEADER_LEN),
	    "after a roll, records go to the new segment");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) &&
	    recs_are(&seen, &want, NULL),
	    "both segments replay in order, without warning");
	if (j == NULL)
		goto out;
	is_int(journal_segments(j), 2, "the journal has two segments");
	ok(all_read(j, &want, NULL), "records of both segments read");
	append(j, &want, 3, 1);
	is_int(SEGMENT_OF(want.r[3].position), 2,
	    "appends resume in the newest segment");
	journal_counts(j, &appended, &syncs);
	cause = NULL;
	ok(journal_roll(j, 1, &cause) == 0 &&
	    segment_size(dir, 3) == JOURNAL_SEGMENT_MIN,
	    "a journal with unsynced records rolls to segment 3, pre-written");
	ok(journal_dirty(j) && reads_as(j, &want.r[3]) &&
	    segment_written(dir, 2) == (long long)record_end(&want, 3),
	    "its unsynced records were written to segment 2, still to sync");
	append(j, &want, 4, 2);
	is_int(want.r[4].position, POSITION(3, JOURNAL_HEADER_LEN),
	    "appends go to segment 3");
	ok(journal_sync(j, &cause) == 0 && !journal_dirty(j),
	    "one sync makes both segments' records durable");
	journal_counts(j, &appended2, &syncs2);
	ok(appended2 - appended == 1 && syncs2 - syncs == 2,
	    "a roll costs one more fdatasync: segment 2's tail, then "
	    "segment 3");
	ok(journal_active_bytes(j, NULL) == record_end(&want, 4) &&
	    journal_bytes(j) == (uint64_t)segment_written(dir, 1) +
	    record_end(&want, 3) + record_end(&want, 4),
	    "journal_bytes counts what the three segments hold");
	journal_close(j);
	ok(segment_size(dir, 2) == (long long)record_end(&want, 3),
	    "a segment rolled from is cut down to what it holds");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL) &&
	    journal_segments(j) == 3,
	    "the three segments reopen without warning");
	journal_close(j);
out:
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test dropping old segments. */
static void
test_expire(void)
{
	static const long	 sizes[] = { 10, 20, -1, 30, -1, 40 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct timespec		 times[2];
	char			*dir, *path, *warning, *cause = NULL;
	int64_t			 now = clock_wall_ms();

	dir = temp_path("expire");
	if (write_journal(dir, &want, sizes, nitems(sizes)) == -1) {
		ok(0, "write a journal of three segments");
		free(dir);
		return;
	}
	path = segment_path(dir, 1);
	times[0].tv_sec = times[1].tv_sec = (now - 2 * HOUR_MS) / 1000;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	utimensat(AT_FDCWD, path, times, 0);
	free(path);
	j = reopen(dir, &seen, &warning);
	if (j == NULL) {
		ok(0, "open a journal to expire");
		goto out;
	}
	is_int(journal_expire(j, 0, &cause), 1,
	    "nothing is older than the epoch");
	is_int(journal_expire(j, now - HOUR_MS, &cause), 2,
	    "the segment older than the cutoff is removed");
	ok(cause == NULL && segment_size(dir, 1) == -1 &&
	    journal_segments(j) == 2 && journal_records(j) == 2,
	    "its file and records are gone");
	ok(read_fails(j, want.r[0].position) && reads_as(j, &want.r[2]),
	    "its records no longer read; later ones do");
	is_int(journal_expire(j, clock_wall_ms() + HOUR_MS, &cause), 3,
	    "the active segment is never removed");
	ok(journal_segments(j) == 1 && journal_records(j) == 1,
	    "only the active segment is left");
	journal_close(j);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) && seen.n == 1 &&
	    rec_same(&seen.r[0], &want.r[3]),
	    "segments removed from the front are no gap");
	journal_close(j);
out:
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test that a tail torn anywhere (in a fragment header, in a payload, at a
 * block boundary, in a later fragment) loses only the torn record, is
 * reported once and is no loss, is cut off, and that appends then resume
 * after the last good record.
 */
static void
test_torn_tail(void)
{
	static const long	 sizes[] = { 100, 200, 70000 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	char			*dir, *warning, *label;
	uint64_t		 s1, s2, e1, e2, boundary, cuts[8], end;
	size_t			 i;
	int			 lost[3], r1_lost;

	dir = temp_path("torn");
	if (write_journal(dir, &want, sizes, nitems(sizes)) == -1) {
		ok(0, "write a journal to tear");
		free(dir);
		return;
	}
	s1 = OFFSET_OF(want.r[1].position);
	e1 = record_end(&want, 1);
	s2 = OFFSET_OF(want.r[2].position);
	e2 = record_end(&want, 2);
	boundary = block_end(s2);
	cuts[0] = s2 + 3;			/* in its first header */
	cuts[1] = s2 + JOURNAL_FRAGMENT_HEAD + 10; /* in its first payload */
	cuts[2] = boundary;			/* at a block boundary */
	cuts[3] = boundary + 4;			/* in a MIDDLE's header */
	cuts[4] = boundary + 100;		/* in a MIDDLE's payload */
	cuts[5] = e2 - 1;			/* in the LAST's payload */
	cuts[6] = s1 + 5;			/* in the record before */
	cuts[7] = e1;				/* between records */
	for (i = 0; i < nitems(cuts); i++) {
		write_journal(dir, &want, sizes, nitems(sizes));
		segment_truncate(dir, 1, cuts[i]);
		r1_lost = cuts[i] < e1;
		lost[0] = r1_lost ? 1 : 2;
		lost[1] = r1_lost ? 2 : -1;
		lost[2] = -1;
		end = r1_lost ? s1 : e1;
		j = reopen(dir, &seen, &warning);
		xasprintf(&label, "a tail cut at offset %llu keeps every record "
		    "before it, as no loss", (unsigned long long)cuts[i]);
		ok(j != NULL && recs_are(&seen, &want, lost) && no_damage(j),
		    "%s", label);
		free(label);
		if (cuts[i] == e1)
			ok(warning == NULL, "a segment cut between records "
			    "opens without warning");
		else
			ok(warning != NULL && strstr(warning, "torn tail") !=
			    NULL && strchr(warning, '\n') == NULL,
			    "the torn tail is reported, once");
		free(warning);
		if (j == NULL)
			continue;
		is_int(segment_size(dir, 1), end, "the torn tail is cut off");
		append(j, NULL, 9, 50);
		ok(finish(j) == 0, "appends after a cut tail sync");
		j = reopen(dir, &seen, &warning);
		ok(j != NULL && warning == NULL && no_damage(j) &&
		    seen.n == (r1_lost ? 2U : 3U) &&
		    seen.r[seen.n - 1].position == POSITION(1, end),
		    "the next open replays the new record where the torn one "
		    "was, without warning");
		free(warning);
		journal_close(j);
	}
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Damage one byte of a fresh journal and check what recovery keeps. */
static void
check_damage(const char *dir, const long *sizes, size_t nsizes,
    uint32_t number, uint64_t offset, const char *what)
{
	struct journal			*j;
	struct recs			 want = { NULL, 0 }, seen = { NULL, 0 };
	const struct journal_damage	*d;
	char				*warning;
	int				 lost[64];
	long long			 size;
	uint64_t			 end, regions, records;

	write_journal(dir, &want, sizes, nsizes);
	lost_by_damage(&want, number, offset, lost);
	segment_flip(dir, number, offset);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost),
	    "damage %s loses only its record and those after it in its block "
	    "(%d lost, %zu kept)", what, count_lost(lost), seen.n);
	if (j == NULL) {
		recs_clear(&want);
		return;
	}
	d = journal_damage(j);
	ok(d->regions == 1 && d->bytes > 0 && d->records_dropped >= 1 &&
	    d->records_dropped <= (uint64_t)count_lost(lost) &&
	    warning != NULL && strstr(warning, "damaged") != NULL &&
	    strchr(warning, '\n') == NULL,
	    "damage %s is counted and reported once", what);
	ok(read_fails(j, want.r[lost[0]].position) &&
	    all_read(j, &want, lost), "damage %s: the lost record does not "
	    "read, the others do", what);
	end = journal_active_bytes(j, NULL);
	size = (long long)record_end(&want, want.n - 1);
	append(j, NULL, 99, 10);
	regions = d->regions;
	records = d->records_dropped;
	ok(finish(j) == 0 && end == (uint64_t)size,
	    "damage %s: appends resume after the last record", what);
	free(warning);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && journal_damage(j)->regions == regions &&
	    journal_damage(j)->records_dropped == records,
	    "damage %s is found again on the next open", what);
	journal_close(j);
	free(warning);
	recs_clear(&want);
	recs_clear(&seen);
}

/* Test damage in the middle: only the damaged block's records are lost. */
static void
test_damaged_middle(void)
{
	static const long	 sizes[] = { 12000, 12000, 12000, 12000, 12000,
				    12000, 12000, 12000, 12000, 12000, 12000,
				    12000 };
	static const long	 two[] = { 12000, 12000, 12000, 12000, -1,
				    12000, 12000, 12000, 12000, 12000 };
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal		*j;
	char			*dir, *warning;
	uint64_t		 s, boundary = 0;
	size_t			 i;
	int			 lost[64], n;

	dir = temp_path("middle");
	write_journal(dir, &want, sizes, nitems(sizes));
	s = OFFSET_OF(want.r[4].position);
	check_damage(dir, sizes, nitems(sizes), 1, s + 30,
	    "in a record's first payload");
	check_damage(dir, sizes, nitems(sizes), 1, s + 1,
	    "in a record's CRC");
	check_damage(dir, sizes, nitems(sizes), 1, s + 5,
	    "in a record's length");
	for (i = 0; i < want.n && boundary == 0; i++) {
		if (OFFSET_OF(want.r[i].position) > BLOCK &&
		    block_end(OFFSET_OF(want.r[i].position)) <
		    record_end(&want, i))
			boundary = block_end(OFFSET_OF(want.r[i].position));
	}
	check_damage(dir, sizes, nitems(sizes), 1, boundary + 6,
	    "in a MIDDLE or LAST fragment's type at a block boundary");
	check_damage(dir, sizes, nitems(sizes), 1, boundary + 500,
	    "in a fragment that continues a record");
	check_damage(dir, two, nitems(two), 1, JOURNAL_HEADER_LEN + 40,
	    "in an older segment");

	/*
	 * A byte flipped in the newest segment's last block is no torn
	 * write: it is counted, the block is kept, appends go on after it.
	 */
	{
		static const long	small[] = { 100, 200, 300 };
		long long		size;
		int			all[] = { 0, 1, 2, -1 };

		write_journal(dir, &want, small, nitems(small));
		size = segment_size(dir, 1);
		segment_flip(dir, 1, OFFSET_OF(want.r[0].position) + 40);
		j = reopen(dir, &seen, &warning);
		ok(j != NULL && recs_are(&seen, &want, all) &&
		    journal_damage(j)->regions == 1 &&
		    journal_damage(j)->records_dropped >= 1 && warning != NULL &&
		    strstr(warning, "damaged") != NULL &&
		    strstr(warning, "torn") == NULL,
		    "a byte flipped in the newest block is damage, not a torn "
		    "tail");
		ok(segment_size(dir, 1) == size,
		    "the damaged block is left as it is");
		if (j != NULL) {
			append(j, &want, 3, 10);
			is_int(want.r[3].position, POSITION(1, BLOCK),
			    "appends go on at the next block");
			ok(finish(j) == 0, "and sync");
		}
		free(warning);
		j = reopen(dir, &seen, &warning);
		ok(j != NULL && recs_are(&seen, &want, all) &&
		    journal_damage(j)->regions == 1,
		    "the next open counts the damage again and replays the "
		    "new record");
		journal_close(j);
		free(warning);
	}

	/* A block zeroed in the middle: the records touching it are lost. */
	write_journal(dir, &want, sizes, nitems(sizes));
	{
		char	*zeros = xcalloc(1, BLOCK);

		segment_write(dir, 1, BLOCK, zeros, BLOCK);
		free(zeros);
	}
	for (i = 0, n = 0; i < want.n; i++) {
		if (OFFSET_OF(want.r[i].position) < 2 * BLOCK &&
		    record_end(&want, i) > BLOCK)
			lost[n++] = (int)i;
	}
	lost[n] = -1;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->regions == 1 && warning != NULL,
	    "a block zeroed in the middle loses the records touching it, "
	    "counted as a damaged region");
	journal_close(j);
	free(warning);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test that a damaged header copy loses nothing, and both copies do. */
static void
test_header_copies(void)
{
	static const long	 sizes[] = { 100, 200, -1, 300, 400 };
	static const int	 fields[] = { 0, 8, 12, 20, 27, 33, 40, 50, 61 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_header	 h, h2;
	char			*dir, *warning, *label;
	long long		 size2;
	size_t			 i, copy;
	uint32_t		 number;
	int			 lost[] = { 0, 1, -1 }, bad = 0;

	dir = temp_path("headers");
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_header(dir, 2, &h);
	for (number = 1; number <= 2; number++) {
		for (copy = 0; copy < 2; copy++) {
			for (i = 0; i < nitems(fields); i++) {
				segment_flip(dir, number, copy * 64 + fields[i]);
				j = reopen(dir, &seen, &warning);
				xasprintf(&label, "a byte flipped at %zu of "
				    "segment %u's header loses nothing",
				    copy * 64 + fields[i], number);
				ok(j != NULL && no_damage(j) &&
				    recs_are(&seen, &want, NULL) &&
				    warning != NULL && strstr(warning,
				    "header copy") != NULL, "%s", label);
				free(label);
				free(warning);
				journal_close(j);
				/* The newest segment's is written over. */
				if (number == 1)
					segment_flip(dir, number,
					    copy * 64 + fields[i]);
				else
					bad += segment_header(dir, 2, &h2) !=
					    JOURNAL_HEADER_V2 ||
					    h2.bad_copies != 0 ||
					    h2.salt != h.salt;
			}
		}
	}
	is_int(bad, 0, "the newest segment's damaged header copy is written "
	    "over with the good one");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL),
	    "so the next open finds both copies sound");
	journal_close(j);
	free(warning);

	/* Both copies of an older segment: its records are lost. */
	segment_flip(dir, 1, 8);
	segment_flip(dir, 1, 64 + 30);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->segments_unreadable == 1 &&
	    journal_damage(j)->segments_missing == 0 && warning != NULL &&
	    strstr(warning, "00000001: header damaged") != NULL,
	    "a segment with both header copies damaged is counted unreadable; "
	    "the others are read");
	if (j != NULL) {
		ok(read_fails(j, want.r[0].position) &&
		    reads_as(j, &want.r[2]),
		    "its records do not read; the others do");
		append(j, NULL, 5, 5);
		ok(finish(j) == 0 && segment_size(dir, 3) == -1,
		    "appends still go to the newest segment");
	}
	free(warning);

	/* Both copies of the newest: a new segment takes the appends. */
	write_journal(dir, &want, sizes, nitems(sizes));
	size2 = segment_size(dir, 2);
	segment_flip(dir, 2, 0);
	segment_flip(dir, 2, 64);
	j = reopen(dir, &seen, &warning);
	lost[0] = 2;
	lost[1] = 3;
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->segments_unreadable == 1,
	    "a newest segment with both header copies damaged is unreadable");
	if (j != NULL) {
		append(j, NULL, 5, 5);
		ok(finish(j) == 0 && segment_size(dir, 2) == size2 &&
		    segment_size(dir, 3) > JOURNAL_HEADER_LEN,
		    "appends go to a new segment after it; it is left alone");
	}
	free(warning);
	ok(segment_header(dir, 3, &h) == JOURNAL_HEADER_V2 &&
	    h.prev_number == 2 && h.prev_salt == 0,
	    "the new segment follows the unreadable one");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && journal_damage(j)->segments_unreadable == 1 &&
	    journal_damage(j)->segments_missing == 0 && seen.n == 3,
	    "the next open counts the same, and no gap");
	journal_close(j);
	free(warning);

	/* A newest segment torn while its header was written. */
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_write(dir, 3, 0, "FISHJRNL\0\0", 10);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && no_damage(j) && recs_are(&seen, &want, NULL) &&
	    warning != NULL && strstr(warning, "torn") != NULL,
	    "a header torn when its segment was created is no loss");
	if (j != NULL) {
		append(j, NULL, 5, 5);
		ok(finish(j) == 0 && segment_header(dir, 3, &h) ==
		    JOURNAL_HEADER_V2 && h.prev_number == 2,
		    "it is written again and takes the appends");
	}
	free(warning);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test that deleted or replaced segments in the middle are counted. */
static void
test_missing_segment(void)
{
	static const long	 sizes[] = { 100, -1, 200, -1, 300, -1, 400 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct recs		 other = { NULL, 0 };
	struct buffer		 b;
	char			*dir, *dir2, *warning;
	int			 lost[] = { 1, -1, -1 };

	dir = temp_path("missing");
	dir2 = temp_path("other");
	buffer_init(&b);
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_remove(dir, 2);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->segments_missing == 1 && warning != NULL &&
	    strstr(warning, "00000002 is missing") != NULL,
	    "a deleted middle segment is counted missing; the others are read");
	journal_close(j);
	free(warning);

	write_journal(dir, &want, sizes, nitems(sizes));
	segment_remove(dir, 2);
	segment_remove(dir, 3);
	lost[1] = 2;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->segments_missing == 2 && warning != NULL &&
	    strstr(warning, "00000002 to 00000003") != NULL,
	    "two deleted segments are counted");
	journal_close(j);
	free(warning);

	/* Another journal's segment 2 in place of ours. */
	write_journal(dir, &want, sizes, nitems(sizes));
	write_journal(dir2, &other, sizes, nitems(sizes));
	segment_load(dir2, 2, &b);
	segment_remove(dir, 2);
	segment_write(dir, 2, 0, b.data, b.len);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && journal_damage(j)->segments_missing == 1 &&
	    warning != NULL && strstr(warning, "00000002 was not written "
	    "after segment 00000001") != NULL && strchr(warning, '\n') == NULL,
	    "a segment replaced by another one is counted as missing");
	journal_close(j);
	free(warning);

	/* The oldest removed (as retention does) is no gap. */
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_remove(dir, 1);
	lost[0] = 0;
	lost[1] = -1;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) &&
	    recs_are(&seen, &want, lost),
	    "segments missing at the front are no gap");
	journal_close(j);
	free(warning);
	buffer_release(&b);
	recs_clear(&want);
	recs_clear(&other);
	recs_clear(&seen);
	free(dir);
	free(dir2);
}

/* Append a format-1 record to b (as the earlier fish wrote them). */
static void
v1_record(struct buffer *b, struct recs *want, uint32_t number, int type,
    const char *json, const void *body, size_t body_len)
{
	struct buffer	r;

	buffer_init(&r);
	buffer_add(&r, (char[]){ (char)type }, 1);
	buffer_add_u32(&r, (uint32_t)strlen(json));
	buffer_add_str(&r, json);
	buffer_add(&r, body, body_len);
	if (want != NULL)
		recs_add(want, type, POSITION(number, b->len), json, body,
		    body_len);
	buffer_add_u32(b, (uint32_t)r.len);
	buffer_add_u32(b, crc32c(0, r.data, r.len));
	buffer_add(b, r.data, r.len);
	buffer_release(&r);
}

/* Start a format-1 segment's bytes in b. */
static void
v1_header(struct buffer *b, uint32_t number)
{
	buffer_clear(b);
	buffer_add(b, JOURNAL_MAGIC, 8);
	buffer_add_u32(b, 1);
	buffer_add_u32(b, number);
	buffer_add_u64(b, (uint64_t)clock_wall_ms());
}

/*
 * Test that the format-1 segment in b (its third record at third) is not
 * read past the limit: its positions are 32-bit too.
 */
static void
test_format1_limit(const struct buffer *b, const struct recs *want,
    size_t third)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 };
	char		*dir, *warning;

	dir = temp_path("format1-limit");
	tree_remove(dir);
	mkdir(dir, 0700);
	segment_write(dir, 1, 0, b->data, b->len);
	journal_recover_limit = third;
	j = reopen(dir, &seen, &warning);
	journal_recover_limit = JOURNAL_SEGMENT_END;
	ok(j != NULL && seen.n == 2 && rec_same(&seen.r[0], &want->r[0]) &&
	    rec_same(&seen.r[1], &want->r[1]) &&
	    journal_damage(j)->regions == 1 &&
	    journal_damage(j)->bytes == b->len - third,
	    "a format-1 segment is not read past the limit either");
	journal_close(j);
	free(warning);
	tree_remove(dir);
	recs_clear(&seen);
	free(dir);
}

/* Test reading segments of format 1, built here byte by byte. */
static void
test_format1(void)
{
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_header	 h;
	struct buffer		 b, inner;
	char			*dir, *warning;
	long long		 size1, size2;
	uint64_t		 damaged;
	size_t			 third;
	int			 lost[] = { 4, 5, -1 };

	dir = temp_path("format1");
	tree_remove(dir);
	mkdir(dir, 0700);
	buffer_init(&b);
	buffer_init(&inner);
	v1_header(&b, 1);
	v1_record(&b, &want, 1, 1, "{\"token\":\"t\"}", "", 0);
	v1_record(&b, &want, 1, 3, "{\"seq\":1}", "bin\0ary", 7);
	third = b.len;
	v1_record(&b, &want, 1, 5, "{\"seq\":1}", NULL, 0);
	segment_write(dir, 1, 0, b.data, b.len);
	size1 = (long long)b.len;
	test_format1_limit(&b, &want, third);
	/* Segment 2: a good record, a damaged one, one that hides another. */
	v1_header(&b, 2);
	v1_record(&b, &want, 2, 3, "{\"seq\":2}", "two", 3);
	damaged = b.len;
	v1_record(&b, &want, 2, 3, "{\"seq\":3}", "three", 5);
	b.data[damaged + 12] ^= 0x20;
	v1_record(&inner, NULL, 2, 3, "{\"seq\":99,\"forged\":true}", "x", 1);
	v1_record(&b, &want, 2, 3, "{\"seq\":4}", inner.data, inner.len);
	segment_write(dir, 2, 0, b.data, b.len);
	size2 = (long long)b.len;

	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost),
	    "format-1 records replay up to the first bad one, at their "
	    "positions");
	ok(j != NULL && journal_damage(j)->regions == 1 &&
	    journal_damage(j)->bytes == (uint64_t)size2 - damaged &&
	    warning != NULL && strstr(warning, "format 1") != NULL,
	    "what a format-1 segment does not read is counted and reported");
	if (j == NULL)
		goto out;
	ok(all_read(j, &want, lost), "format-1 records read by position");
	append(j, &want, 7, 10);
	is_int(SEGMENT_OF(want.r[want.n - 1].position), 3,
	    "appends go to a new format-2 segment");
	ok(finish(j) == 0 && segment_size(dir, 1) == size1 &&
	    segment_size(dir, 2) == size2,
	    "format-1 segments are never written");
	ok(segment_header(dir, 3, &h) == JOURNAL_HEADER_V2 &&
	    h.prev_number == 2 && h.prev_salt == 0,
	    "the new segment follows the format-1 one");
	free(warning);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->regions == 1 &&
	    journal_damage(j)->segments_missing == 0,
	    "format-1 and format-2 segments replay together");
	journal_close(j);
	free(warning);

	/* A torn last record of a format-1 segment is no loss. */
	v1_header(&b, 2);
	v1_record(&b, NULL, 2, 3, "{\"seq\":2}", "two", 3);
	v1_record(&b, NULL, 2, 3, "{\"seq\":3}", "three", 5);
	b.len -= 2;
	segment_remove(dir, 2);
	segment_write(dir, 2, 0, b.data, b.len);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && journal_damage(j)->regions == 0 && warning != NULL &&
	    strstr(warning, "torn tail") != NULL,
	    "a torn format-1 tail is reported and is no loss");
	journal_close(j);
	free(warning);
out:
	buffer_release(&b);
	buffer_release(&inner);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Return the bytes the writer would append at offset of segment 1. */
static void
would_write(const char *dir, uint64_t offset, size_t body_len,
    struct buffer *out)
{
	struct journal_frame	f = segment_frame(dir, 1);
	struct journal_piece	piece[3];
	unsigned char		head[JOURNAL_RECORD_HEAD];
	char			*body = make_body(body_len, 5);

	put_u32(head, (uint32_t)(5 + 2 + body_len));
	head[4] = JOURNAL_MESSAGE_RECEIVED;
	put_u32(head + 5, 2);
	piece[0].data = head;
	piece[0].len = sizeof head;
	piece[1].data = "{}";
	piece[1].len = 2;
	piece[2].data = body;
	piece[2].len = body_len;
	buffer_clear(out);
	journal_format_record(out, offset, &f, piece, 3);
	free(body);
}

/*
 * Test resuming after a crash that left part of a write beyond the last
 * good record: it is scrubbed (cut, or zeroed in pre-written space)
 * before anything is appended, so a later open sees the old records, then
 * the new, nothing else.  Bytes there that are no torn write are damage:
 * counted, kept, and appends go on at the next block.
 */
static void
test_resume_scrub(void)
{
	static const long	 sizes[] = { 100, 20000 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct buffer		 b, torn;
	char			*dir, *warning, *garbage;
	uint64_t		 end, i;
	int			 zeroed;
	size_t			 n;

	dir = temp_path("scrub");
	buffer_init(&b);
	buffer_init(&torn);
	garbage = make_body(5000, 77);
	for (i = 0; i < 5000; i++)
		garbage[i] |= 1;	/* never a zero byte */

	/*
	 * A file grown by appends (as an earlier fish wrote them), the last
	 * one torn: cut at the end.
	 */
	write_journal(dir, &want, sizes, nitems(sizes));
	end = record_end(&want, 1);
	would_write(dir, end, 5000, &torn);
	segment_truncate(dir, 1, end);
	segment_write(dir, 1, end, torn.data, 1500);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && no_damage(j) && recs_are(&seen, &want, NULL) &&
	    warning != NULL && strstr(warning, "torn tail") != NULL,
	    "an append torn short is a torn tail, no loss");
	is_int(segment_size(dir, 1), end, "it is cut off before appending");
	if (j != NULL) {
		append(j, &want, 2, 30);
		ok(finish(j) == 0, "new records are appended after the cut");
	}
	free(warning);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL),
	    "a later open sees the old records and the new, nothing else");
	journal_close(j);
	free(warning);

	/* Pre-written space, written in part: zeroed, the size kept. */
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_truncate(dir, 1, 4 * BLOCK);
	segment_write(dir, 1, end, torn.data, 1500);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && no_damage(j) && recs_are(&seen, &want, NULL) &&
	    warning != NULL && strstr(warning, "torn tail") != NULL,
	    "a write torn in pre-written space is a torn tail, no loss");
	segment_load(dir, 1, &b);
	for (i = end, zeroed = 1; i < b.len; i++)
		zeroed &= b.data[i] == 0;
	ok(zeroed && b.len == 4 * BLOCK,
	    "it is zeroed in place; the pre-written size is kept");
	if (j != NULL) {
		append(j, &want, 2, 30000);
		ok(finish(j) == 0 && segment_size(dir, 1) == 4 * BLOCK,
		    "new records are written into the pre-written space");
	}
	free(warning);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) &&
	    recs_are(&seen, &want, NULL),
	    "a later open sees the old and new records, and zeros as unwritten");
	journal_close(j);
	free(warning);

	/*
	 * Bytes that are no torn write (at the end of a file grown by
	 * appends): damage, kept, appended after.
	 */
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_truncate(dir, 1, end);
	segment_write(dir, 1, end, garbage, 5000);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, NULL) &&
	    journal_damage(j)->regions == 1 &&
	    journal_damage(j)->bytes == 5000 && warning != NULL &&
	    strstr(warning, "damaged") != NULL,
	    "bytes after the last record that are no torn write are counted "
	    "as damage");
	if (j != NULL) {
		append(j, &want, 2, 30);
		is_int(want.r[2].position, POSITION(1, block_end(end + 4999)),
		    "appends go on at the next block after them");
		ok(finish(j) == 0, "and sync");
	}
	free(warning);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, NULL) &&
	    journal_damage(j)->regions == 1,
	    "a later open sees the old and new records, never those bytes");
	journal_close(j);
	free(warning);

	/* A copy of an earlier record left after the end is not adopted. */
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_load(dir, 1, &b);
	n = (size_t)(record_end(&want, 0) - OFFSET_OF(want.r[0].position));
	segment_write(dir, 1, end, b.data + OFFSET_OF(want.r[0].position), n);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, NULL) &&
	    journal_damage(j)->regions == 1,
	    "a record copied after the end is not taken for one");
	journal_close(j);
	free(warning);
	free(garbage);
	buffer_release(&b);
	buffer_release(&torn);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test that bytes copied from elsewhere are never records: a block copied
 * to another offset of its segment, or to the same offset of another
 * segment, fails every fragment check there.
 */
static void
test_copied(void)
{
	static const long	 sizes[] = { 9000, 9000, 9000, 9000, 9000, 9000,
				    9000, 9000, 9000, 9000, 9000, 9000, 9000,
				    9000, 9000, 9000, 9000, 9000, 9000, 9000 };
	static const long	 two[] = { 9000, 9000, 9000, 9000, 9000, 9000,
				    9000, 9000, 9000, 9000, 9000, 9000, -1,
				    9000, 9000, 9000, 9000, 9000, 9000, 9000,
				    9000, 9000, 9000, 9000, 9000, 9000 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct buffer		 b;
	char			*dir, *warning;
	size_t			 i;
	int			 lost[64], n;

	dir = temp_path("copied");
	buffer_init(&b);
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_load(dir, 1, &b);
	segment_write(dir, 1, 3 * BLOCK, b.data + BLOCK, BLOCK);
	for (i = 0, n = 0; i < want.n; i++) {
		if (OFFSET_OF(want.r[i].position) < 4 * BLOCK &&
		    record_end(&want, i) > 3 * BLOCK)
			lost[n++] = (int)i;
	}
	lost[n] = -1;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->regions == 1,
	    "a block copied to another offset is damage, never records");
	journal_close(j);
	free(warning);

	write_journal(dir, &want, two, nitems(two));
	segment_load(dir, 1, &b);
	segment_write(dir, 2, BLOCK, b.data + BLOCK, BLOCK);
	for (i = 0, n = 0; i < want.n; i++) {
		if (SEGMENT_OF(want.r[i].position) == 2 &&
		    OFFSET_OF(want.r[i].position) < 2 * BLOCK &&
		    record_end(&want, i) > BLOCK)
			lost[n++] = (int)i;
	}
	lost[n] = -1;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost) &&
	    journal_damage(j)->regions == 1,
	    "a block copied to the same offset of another segment is damage, "
	    "never records");
	journal_close(j);
	free(warning);
	buffer_release(&b);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Put in b (emptied first) the bytes of a record with json and no body,
 * sound for offset at of the segment framed by f.
 */
static void
forge_record(struct buffer *b, uint64_t at, const struct journal_frame *f,
    const char *json)
{
	struct journal_piece	piece[3];
	unsigned char		head[JOURNAL_RECORD_HEAD];

	put_u32(head, (uint32_t)(5 + strlen(json)));
	head[4] = JOURNAL_MESSAGE_RECEIVED;
	put_u32(head + 5, (uint32_t)strlen(json));
	piece[0].data = head;
	piece[0].len = sizeof head;
	piece[1].data = json;
	piece[1].len = strlen(json);
	piece[2].data = "";
	piece[2].len = 0;
	buffer_clear(b);
	journal_format_record(b, at, f, piece, 3);
}

/*
 * Test that a record forged inside a body, byte-exact for the very salt
 * and position where it lies, is never adopted, even when the record
 * around it is damaged or torn.
 */
static void
test_forged_in_body(void)
{
	struct journal			*j;
	struct recs			 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_frame		 f;
	struct buffer			 forged;
	char				*dir, *warning, *body;
	const char			*json = "{\"seq\":1,\"verified\":true}";
	uint64_t			 at, s, p;
	size_t				 lead, body_len = 20000;
	int				 lost[8];

	dir = temp_path("forged");
	tree_remove(dir);
	buffer_init(&forged);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal to forge in");
		goto out;
	}
	append(j, &want, 0, 10);
	f = segment_frame(dir, 1);
	/*
	 * The next record's body starts lead bytes after its fragment
	 * header; fill it with a forged record at every 512th offset.
	 */
	at = journal_active_bytes(j, NULL);
	lead = JOURNAL_FRAGMENT_HEAD + JOURNAL_RECORD_HEAD + 2;
	body = xcalloc(1, body_len);
	for (s = 16; s + 200 < body_len; s += 512) {
		p = at + lead + s;
		if (p / BLOCK != (at + lead) / BLOCK)
			break;		/* a writer's header intervenes */
		forge_record(&forged, p, &f, json);
		memcpy(body + s, forged.data, forged.len);
	}
	p = journal_append_text(j, JOURNAL_MESSAGE_RECEIVED, "{}", 2, body,
	    body_len);
	recs_add(&want, JOURNAL_MESSAGE_RECEIVED, p, "{}", body, body_len);
	ok(OFFSET_OF(p) == at, "the carrier record starts where expected");
	append(j, &want, 2, 40000);
	ok(finish(j) == 0, "a body carrying forged records is journaled");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && recs_are(&seen, &want, NULL),
	    "forged records inside a body are only body");
	journal_close(j);

	segment_flip(dir, 1, at + 1);
	lost_by_damage(&want, 1, at + 1, lost);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, lost),
	    "with the carrier damaged, no forged record is adopted");
	journal_close(j);
	free(warning);
	segment_flip(dir, 1, at + 1);
	segment_truncate(dir, 1, at + 900);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && seen.n == 1 && rec_same(&seen.r[0], &want.r[0]),
	    "with the carrier torn, no forged record is adopted");
	journal_close(j);
	free(warning);
	free(body);
out:
	buffer_release(&forged);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test that recovery reads no further than journal_recover_limit (lowered
 * here from 4 GiB): a record sound for its place past it, as bytes at
 * 4 GiB + X are for X, is damage, never a record, and is left in place.
 */
static void
test_past_limit(void)
{
	static const long	 sizes[] = { 1000, 2000, 3000 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_frame	 f;
	struct buffer		 forged;
	char			*dir, *warning;
	uint64_t		 limit;

	dir = temp_path("past-limit");
	tree_remove(dir);
	buffer_init(&forged);
	if (!ok(write_journal(dir, &want, sizes, nitems(sizes)) == 0,
	    "write a journal to copy a record past the limit in"))
		goto out;
	limit = ((uint64_t)segment_size(dir, 1) + BLOCK - 1) / BLOCK * BLOCK;
	f = segment_frame(dir, 1);
	forge_record(&forged, limit, &f, "{\"n\":99}");
	segment_write(dir, 1, limit, forged.data, forged.len);

	journal_recover_limit = limit;
	j = reopen(dir, &seen, &warning);
	journal_recover_limit = JOURNAL_SEGMENT_END;
	ok(j != NULL && recs_are(&seen, &want, NULL) &&
	    journal_damage(j)->regions == 1 &&
	    journal_damage(j)->bytes == forged.len && warning != NULL &&
	    strstr(warning, "past the end of any segment") != NULL,
	    "a record past the limit is damage, not a record (%s)",
	    warning != NULL ? warning : "no warning");
	journal_close(j);
	free(warning);
	ok(segment_size(dir, 1) == (long long)(limit + forged.len),
	    "and is left in place");

	j = reopen(dir, &seen, &warning);
	ok(j != NULL && seen.n == want.n + 1 &&
	    OFFSET_OF(seen.r[want.n].position) == limit,
	    "within the limit the same bytes are a record (the copy is sound)");
	journal_close(j);
	free(warning);
out:
	tree_remove(dir);
	buffer_release(&forged);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test that a newest segment file larger than any fish writes (sparse
 * here: zeros past 4 GiB) takes appends only up to the cap, where it
 * rolls: its size as its capacity would take them past 4 GiB, at
 * positions that are another segment's.
 */
static void
test_oversized_capacity(void)
{
	static const long	 sizes[] = { 1000, 2000 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	char			*dir, *path, *warning = NULL;

	dir = temp_path("oversized");
	tree_remove(dir);
	path = segment_path(dir, 1);
	if (!ok(write_journal(dir, &want, sizes, nitems(sizes)) == 0 &&
	    truncate(path, (off_t)5 << 30) == 0,
	    "write a journal and grow its segment past 4 GiB"))
		goto out;
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && recs_are(&seen, &want, NULL) &&
	    journal_active(j)->number == 1 &&
	    journal_active(j)->capacity == JOURNAL_SEGMENT_LIMIT &&
	    warning != NULL &&
	    strstr(warning, "past the end of any segment") != NULL,
	    "a segment past 4 GiB takes appends only up to the cap (%s)",
	    warning != NULL ? warning : "no warning");
	journal_close(j);
out:
	free(warning);
	tree_remove(dir);
	recs_clear(&want);
	recs_clear(&seen);
	free(path);
	free(dir);
}

/*
 * Test journal_fits, by which the store refuses a received request whose
 * record recovery would drop (test/refused.bats has the 413): up to the
 * most, with no overflow, and at a lowered most as the test hook sets it.
 */
static void
test_record_max(void)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 };
	char		*dir, *warning;

	dir = temp_path("record-max");
	tree_remove(dir);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal to measure records in");
		free(dir);
		return;
	}
	ok(journal_fits(j, 2, JOURNAL_RECORD_MAX - 7) &&
	    !journal_fits(j, 2, JOURNAL_RECORD_MAX - 6) &&
	    !journal_fits(j, SIZE_MAX, 1) && !journal_fits(j, 1, SIZE_MAX),
	    "a record fits up to JOURNAL_RECORD_MAX, with no overflow");
	j->record_max = 1000;
	ok(journal_fits(j, 2, 993) && !journal_fits(j, 2, 994) &&
	    !journal_fits(j, 1001, 0), "a record fits up to a lowered most");
	journal_close(j);
	free(warning);
	tree_remove(dir);
	recs_clear(&seen);
	free(dir);
}

/* Test the journals open must refuse. */
static void
test_refused(void)
{
	static const long	 sizes[] = { 10, -1, 20 };
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct journal_header	 h;
	unsigned char		 header[JOURNAL_HEADER_LEN];
	char			*dir, *path, *warning, *cause;
	long long		 size;

	dir = temp_path("refused");
	write_journal(dir, &want, sizes, nitems(sizes));
	segment_header(dir, 1, &h);
	h.version = 3;
	journal_header_encode(header, &h);
	size = segment_size(dir, 1);
	segment_write(dir, 1, 0, header, sizeof header);
	cause = NULL;
	j = journal_open(dir, collect, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, "00000001 has format "
	    "version 3; this " FISH_INSTALLED_NAME " reads versions 1 and 2") !=
	    NULL,
	    "a segment of a newer format is refused with a cause");
	free(cause);
	ok(segment_size(dir, 1) == size, "a refused journal is left alone");
	recs_clear(&seen);
	free(dir);

	dir = temp_path("absent/journal");
	cause = NULL;
	j = journal_open(dir, collect, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, dir) != NULL,
	    "a journal in a missing directory fails with a cause naming it");
	free(cause);
	free(dir);

	path = temp_path("plain");
	segment_write(tmpdir, 0, 0, "x", 1);
	free(path);
	path = segment_path(tmpdir, 0);
	cause = NULL;
	j = journal_open(path, collect, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, path) != NULL,
	    "a journal path that is a file fails with a cause naming it");
	free(cause);
	unlink(path);
	free(path);

#ifdef FISH_TEST_HOOKS
	dir = temp_path("fsync");
	write_journal(dir, &want, sizes, nitems(sizes));
	if ((j = reopen(dir, &seen, &warning)) != NULL) {
		append(j, NULL, 1, 1);
		setenv("FISH_TEST_FAIL_FSYNC", "1", 1);
		cause = NULL;
		ok(journal_sync(j, &cause) == -1 && cause != NULL &&
		    strstr(cause, "cannot sync") != NULL &&
		    strstr(cause, "00000002") != NULL,
		    "a failed sync is reported with a cause naming the "
		    "segment");
		unsetenv("FISH_TEST_FAIL_FSYNC");
		free(cause);
		ok(journal_dirty(j), "a failed sync leaves the journal dirty");
		cause = NULL;
		ok(journal_roll(j, 1, &cause) == -1 && cause != NULL,
		    "a journal whose sync failed does not roll");
		free(cause);
		cause = NULL;
		ok(journal_sync(j, &cause) == -1 && cause != NULL,
		    "nor does it ever sync again");
		free(cause);
		journal_close(j);
	} else
		ok(0, "a failed sync is reported with a cause");
	free(dir);
#endif
	recs_clear(&want);
	recs_clear(&seen);
}

/* What a group commit's callbacks saw: their order and the disk. */
struct commit_seen {
	struct journal	*j;
	const char	*dir;
	char		 order[8];
	size_t		 n;
	long long	 size_then;	/* written to segment 1, when the first
					   ran */
	int		 again;		/* append and register once more */
};

/* A group commit callback: note that it ran, and what was on disk. */
static void
commit_cb(void *arg)
{
	struct commit_seen	*c = arg;

	if (c->n == 0)
		c->size_then = segment_written(c->dir, 1);
	if (c->n < sizeof c->order - 1) {
		c->order[c->n] = (char)('a' + c->n);
		c->n++;
	}
	if (c->again) {
		c->again = 0;
		append(c->j, NULL, 9, 10);
		journal_after_sync(c->j, commit_cb, NULL, c);
	}
}

/* Count a dropped callback's calls. */
static void
count_cb(void *arg)
{
	(*(int *)arg)++;
}

/* A callback that must not run: spoil the count. */
static void
synced_cb(void *arg)
{
	(*(int *)arg) += 100;
}

/*
 * Test that JOURNAL_SPAN_MAX holds the largest record wherever in a
 * block it is appended, so the headroom past a segment's cap does too.
 */
static void
test_span_max(void)
{
	uint64_t	offset, start, end, most = 0;

	for (offset = JOURNAL_BLOCK; offset < 2 * JOURNAL_BLOCK; offset++) {
		end = journal_format_span(offset, 4 + (size_t)JOURNAL_RECORD_MAX,
		    &start);
		if (end - offset > most)
			most = end - offset;
	}
	ok(most <= JOURNAL_SPAN_MAX && JOURNAL_SEGMENT_LIMIT +
	    JOURNAL_SPAN_MAX <= 0xffffffffULL, "the largest record spans "
	    "%llu bytes at most, within JOURNAL_SPAN_MAX (%llu)",
	    (unsigned long long)most, (unsigned long long)JOURNAL_SPAN_MAX);
}

#ifdef FISH_TEST_HOOKS
/* The journal whose callbacks moved_cb moves. */
static struct journal	*moved_journal;

/* A callback told its records are not durable soon: count it. */
static void
failed_cb(void *arg, const char *why)
{
	(void)why;
	(*(int *)arg)++;
}

/* Add ten to the count (a callback moved in place of another). */
static void
ten_cb(void *arg)
{
	(*(int *)arg) += 10;
}

/* A callback told it failed, which moves itself to run ten_cb later. */
static void
moved_cb(void *arg, const char *why)
{
	struct journal	*j = moved_journal;

	failed_cb(arg, why);
	journal_sync_move(j, synced_cb, arg, ten_cb, arg);
}

/*
 * Test a full disk: a write that finds no room keeps what is pending and
 * its callbacks waiting, says so once, and a later commit writes it all
 * and says there is room again; what was appended reads back meanwhile.
 */
static void
test_no_room(void)
{
	struct journal		*j;
	struct journal_record	 r;
	struct recs		 seen = { NULL, 0 }, want = { NULL, 0 };
	char			*dir, *warning, *cause = NULL;
	uint64_t		 at;
	int			 ran = 0, told = 0, later = 0;

	dir = temp_path("no-room");
	j = reopen(dir, &seen, &warning);
	free(warning);
	if (!ok(j != NULL, "open a journal to fill its disk")) {
		free(dir);
		return;
	}
	at = append(j, &want, 1, 100);
	journal_after_sync(j, count_cb, NULL, &ran);
	setenv("FISH_TEST_FULL_DISK", "1", 1);
	ok(journal_commit(j, &cause) == 1 && ran == 0 && journal_dirty(j),
	    "a commit that finds no room returns 1, runs no callback, and "
	    "keeps the record pending");
	ok(journal_no_room(j) > 0, "the journal says since when it has none");
	append(j, &want, 2, 10);
	ok(journal_commit(j, &cause) == 1 && ran == 0,
	    "so does the next, with a record appended behind it");
	warning = journal_warnings(j);
	ok(warning != NULL && strstr(warning, "no room on disk") != NULL &&
	    strstr(strstr(warning, "no room on disk") + 1, "no room") == NULL,
	    "the first finding is a warning, once");
	free(warning);
	ok(journal_read(j, at, &r, &cause) == 0, "a pending record reads back");
	journal_record_release(&r);
	moved_journal = j;
	journal_after_sync_within(j, 100, synced_cb, failed_cb, NULL, &told);
	journal_after_sync_within(j, 100, synced_cb, moved_cb, NULL, &told);
	journal_after_sync_within(j, 300, synced_cb, failed_cb, NULL, &later);
	journal_fail_waiting(j, 200, "has no room");
	ok(told == 2 && later == 0, "those waiting past their deadline are "
	    "told, once, and only they");
	unsetenv("FISH_TEST_FULL_DISK");
	ok(journal_commit(j, &cause) == 0 && ran == 1 && !journal_dirty(j) &&
	    journal_no_room(j) == 0,
	    "once there is room, the next commit writes it and runs it");
	ok(told == 12 && later == 100, "and runs what a told callback moved "
	    "there, not what it did not, and the one not yet told");
	warning = journal_warnings(j);
	ok(warning != NULL && strstr(warning, "room on disk again") != NULL,
	    "and says there is room again");
	free(warning);
	journal_close(j);
	recs_clear(&seen);
	j = reopen(dir, &seen, &warning);
	free(warning);
	ok(j != NULL && seen.n == want.n, "both records are there after a "
	    "reopen");
	journal_close(j);
	recs_clear(&seen);
	recs_clear(&want);
	free(dir);
}

/*
 * Ask for the next segment now, not a second after the last failed
 * preparation, and poll until it is ready (or 60 s have passed).  Each
 * look that finds it not ready gives the CPU up for a millisecond: a
 * loop that spins starves the preparer's thread under valgrind, which
 * runs one thread at a time.
 */
static void
prepare_again(struct journal *j)
{
	const struct timespec	 pause = { 0, 1000000 };
	int64_t			 deadline = clock_mono_ms() + 60000;

	j->prepare_retry = 0;
	while (j->prepare_short && clock_mono_ms() < deadline) {
		journal_room_poll(j);
		if (j->prepare_short)
			nanosleep(&pause, NULL);
	}
}

/*
 * Close j, open dir again and tell whether it replays as many records as
 * want has; free dir and want.
 */
static int
reopen_has_all(struct journal *j, char *dir, struct recs *want)
{
	struct recs	 seen = { NULL, 0 };
	char		*warning;
	int		 all;

	journal_close(j);
	j = reopen(dir, &seen, &warning);
	free(warning);
	all = j != NULL && seen.n == want->n;
	journal_close(j);
	recs_clear(&seen);
	recs_clear(want);
	free(dir);
	return (all);
}

/* Count the times needle is in haystack (NULL: none). */
static int
count_in(const char *haystack, const char *needle)
{
	int	n = 0;

	while (haystack != NULL && (haystack = strstr(haystack, needle)) != NULL) {
		n++;
		haystack++;
	}
	return (n);
}

/*
 * Test a preparation that finds room again while appends wait to be
 * written, and the roll's write of them finds none: room is not said
 * until a write succeeds, so the log says each change once, not "room
 * again" and "no room" back to back.
 */
static void
test_prepare_no_room(void)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 }, want = { NULL, 0 };
	char		*dir, *warning, *cause = NULL;
	struct buffer	 said;
	int		 i, rc;

	buffer_init(&said);
	dir = temp_path("prepare-no-room");
	j = reopen(dir, &seen, &warning);
	free(warning);
	if (!ok(j != NULL, "open a journal whose disk has no room for a "
	    "segment")) {
		free(dir);
		return;
	}
	append(j, &want, 1, 100);
	ok(journal_commit(j, &cause) == 0, "a record is committed");
	setenv("FISH_TEST_FULL_DISK_PREPARE", "1", 1);
	/* A larger size first, then the smallest: two takes at most. */
	for (i = 0, rc = 1; i < 2 && journal_no_room(j) == 0; i++)
		rc = journal_roll(j, 1, &cause);
	unsetenv("FISH_TEST_FULL_DISK_PREPARE");
	ok(rc == 1 && journal_no_room(j) > 0, "a roll with no room for the "
	    "segment is not done, and says no room");
	append(j, &want, 2, 100);
	setenv("FISH_TEST_FULL_DISK", "1", 1);
	prepare_again(j);
	ok(!j->prepare_short && journal_no_room(j) > 0,
	    "a preparation that succeeds with a record waiting is no room "
	    "yet");
	rc = journal_roll(j, 1, &cause);
	ok(rc == 1 && journal_no_room(j) > 0, "the roll's write of it finds "
	    "none, and the roll is not done");
	warning = journal_warnings(j);
	if (warning != NULL)
		buffer_add(&said, warning, strlen(warning));
	free(warning);
	unsetenv("FISH_TEST_FULL_DISK");
	ok(journal_commit(j, &cause) == 0 && journal_no_room(j) == 0,
	    "a commit that writes it finds room");
	warning = journal_warnings(j);
	if (warning != NULL)
		buffer_add(&said, warning, strlen(warning));
	free(warning);
	buffer_add(&said, "", 1);
	ok(count_in(buffer_peek(&said), "no room on disk") == 1 &&
	    count_in(buffer_peek(&said), "room on disk again") == 1,
	    "no room is said once, and room again once, after it: %s",
	    (const char *)buffer_peek(&said));
	ok(journal_roll(j, 1, &cause) == 0, "the next roll is done");
	buffer_release(&said);
	recs_clear(&seen);
	ok(reopen_has_all(j, dir, &want), "both records are there after a "
	    "reopen");
}

/*
 * Test a segment at its position cap (lowered here) on a disk with no
 * room for the next: like any roll with none, the journal does not
 * fail, says no room, and the record goes on in the active segment;
 * once there is room, the next record rolls.
 */
static void
test_cap_no_room(void)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 }, want = { NULL, 0 };
	char		*dir, *warning, *cause = NULL;
	uint64_t	 at;
	int		 n, rc;

	dir = temp_path("cap-no-room");
	j = reopen(dir, &seen, &warning);
	free(warning);
	if (!ok(j != NULL, "open a journal to fill to its cap")) {
		free(dir);
		return;
	}
	j->segment_limit = journal_active(j)->capacity + 65536;
	setenv("FISH_TEST_FULL_DISK_PREPARE", "1", 1);
	for (n = 1, at = 0; n < 100 && journal_no_room(j) == 0; n++) {
		at = append(j, &want, n, 20000);
		rc = journal_commit(j, &cause);
		if (rc == -1)
			break;
	}
	unsetenv("FISH_TEST_FULL_DISK_PREPARE");
	ok(journal_no_room(j) > 0 && OFFSET_OF(at) + 20000 >
	    j->segment_limit - 65536, "records past the segment's size with "
	    "no room for the next say no room");
	at = append(j, &want, n, 65536);
	rc = journal_commit(j, &cause);
	ok(rc == 0 && SEGMENT_OF(at) == 1 && OFFSET_OF(at) + 65536 >
	    j->segment_limit, "one past the cap with no room goes on in the "
	    "segment, and the journal has not failed (%d%s%s)", rc,
	    cause != NULL ? ": " : "", cause != NULL ? cause : "");
	free(cause);
	cause = NULL;
	prepare_again(j);
	ok(journal_no_room(j) == 0, "room is found again");
	at = append(j, &want, n + 1, 100);
	ok(SEGMENT_OF(at) == 2 && journal_commit(j, &cause) == 0,
	    "and the next record past the cap rolls");
	recs_clear(&seen);
	ok(reopen_has_all(j, dir, &want), "every record is there after a "
	    "reopen");
}

/*
 * Open a journal in a new directory name (*dir, for the caller to free),
 * commit one record to it (in want) and leave the disk with no room at
 * all (test hooks): neither a segment nor a write.  NULL if it fails.
 */
static struct journal *
open_no_room(const char *name, char **dir, struct recs *want)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 };
	char		*warning, *cause = NULL;

	*dir = temp_path(name);
	j = reopen(*dir, &seen, &warning);
	free(warning);
	recs_clear(&seen);
	if (!ok(j != NULL, "open a journal to fill past its cap"))
		return (NULL);
	append(j, want, 1, 100);
	if (!ok(journal_commit(j, &cause) == 0, "a record is committed"))
		free(cause);
	setenv("FISH_TEST_FULL_DISK_PREPARE", "1", 1);
	setenv("FISH_TEST_FULL_DISK", "1", 1);
	return (j);
}

/* Give the disk of open_no_room room again. */
static void
room_again(void)
{
	unsetenv("FISH_TEST_FULL_DISK");
	unsetenv("FISH_TEST_FULL_DISK_PREPARE");
}

/*
 * Test the headroom past a segment's cap (lowered here) while the disk
 * has no room at all: a second record goes into it too and the journal
 * does not fail; once there is room both are written and the next
 * record rolls.
 */
static void
test_cap_headroom(void)
{
	struct journal	*j;
	struct recs	 want = { NULL, 0 };
	char		*dir, *cause = NULL;
	uint64_t	 at[2];
	int		 rc;

	if ((j = open_no_room("cap-headroom", &dir, &want)) == NULL) {
		room_again();
		free(dir);
		return;
	}
	j->segment_limit = journal_active(j)->capacity;
	at[0] = append(j, &want, 2, 300000);
	rc = journal_commit(j, &cause);
	at[1] = append(j, &want, 3, 300000);
	ok(rc == 1 && journal_commit(j, &cause) == 1 && j->failure == NULL &&
	    SEGMENT_OF(at[0]) == 1 && SEGMENT_OF(at[1]) == 1 &&
	    OFFSET_OF(at[1]) > j->segment_limit, "two records past the cap "
	    "with no room both wait in the segment, and the journal has not "
	    "failed");
	room_again();
	prepare_again(j);
	ok(journal_commit(j, &cause) == 0 && journal_no_room(j) == 0,
	    "once there is room both are written");
	at[0] = append(j, &want, 4, 100);
	ok(SEGMENT_OF(at[0]) == 2 && journal_commit(j, &cause) == 0,
	    "and the next record rolls");
	ok(reopen_has_all(j, dir, &want), "every record is there after a "
	    "reopen");
}

/*
 * Test that the headroom past the cap holds the largest record the
 * format takes (its fragment headers too) from the cap on, and that a
 * record that would end past it (at the real cap, past a position's
 * 32-bit offset) fails the journal instead.
 */
static void
test_cap_headroom_full(void)
{
	struct journal	*j;
	struct recs	 want = { NULL, 0 };
	char		*dir = NULL, *cause = NULL, *body;
	int		 rc;

	body = calloc(1, JOURNAL_RECORD_MAX);
	if (body == NULL ||
	    (j = open_no_room("cap-headroom-full", &dir, &want)) == NULL) {
		room_again();
		free(body);
		free(dir);
		return;
	}
	j->segment_limit = journal_end(j);
	/* L is JOURNAL_RECORD_MAX: 5 bytes, "{}" and the body. */
	journal_append_text(j, JOURNAL_MESSAGE_RECEIVED, "{}", 2, body,
	    JOURNAL_RECORD_MAX - 7);
	free(body);
	rc = journal_commit(j, &cause);
	ok(rc == 1 && j->failure == NULL, "the largest record, from the cap "
	    "on, fits the headroom (%s)", j->failure != NULL ? j->failure :
	    "not failed");
	append(j, NULL, 3, journal_active(j)->capacity);
	rc = journal_commit(j, &cause);
	room_again();
	ok(rc == -1 && cause != NULL && strstr(cause, "no segment could be "
	    "prepared") != NULL, "one more past the headroom fails the "
	    "journal (%s)", cause != NULL ? cause : "no cause");
	free(cause);
	ok(reopen_has_all(j, dir, &want), "what was committed before is "
	    "there after a reopen");
}

/*
 * Test a roll that finds no room to write what is pending to the segment
 * it leaves: it does not roll and does not fail the journal, the records
 * stay pending there and are written by the commit that finds room, and
 * the segment prepared is the one the next roll takes.
 */
static void
test_roll_no_room(void)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 }, want = { NULL, 0 };
	char		*dir, *warning, *cause = NULL;
	uint64_t	 at;
	int		 rc;

	dir = temp_path("roll-no-room");
	j = reopen(dir, &seen, &warning);
	free(warning);
	if (!ok(j != NULL, "open a journal to roll into a full disk")) {
		free(dir);
		return;
	}
	append(j, &want, 1, 100);
	ok(journal_commit(j, &cause) == 0, "a record is committed");
	at = append(j, &want, 2, 100);
	setenv("FISH_TEST_FULL_DISK", "1", 1);
	rc = journal_roll(j, 1, &cause);
	ok(rc == 1 && cause == NULL && journal_no_room(j) > 0,
	    "a roll that cannot write what is pending is not done, and "
	    "says no room (returned %d%s%s)", rc, cause ? ": " : "",
	    cause ? cause : "");
	free(cause);
	cause = NULL;
	ok(journal_commit(j, &cause) == 1 && journal_dirty(j),
	    "the journal has not failed: a commit still finds no room");
	unsetenv("FISH_TEST_FULL_DISK");
	ok(journal_commit(j, &cause) == 0 && !journal_dirty(j) &&
	    journal_no_room(j) == 0 && at >> 32 == 1,
	    "once there is room, the record is written where it was put");
	ok(journal_roll(j, 1, &cause) == 0, "the next roll is done");
	at = append(j, &want, 3, 100);
	ok(at >> 32 == 2 && journal_commit(j, &cause) == 0,
	    "to the segment prepared before");
	journal_close(j);
	recs_clear(&seen);
	j = reopen(dir, &seen, &warning);
	free(warning);
	ok(j != NULL && recs_are(&seen, &want, NULL), "every record is there "
	    "after a reopen");
	journal_close(j);
	recs_clear(&seen);
	recs_clear(&want);
	free(dir);
}
#endif

/*
 * Test the group commit: callbacks run only once what was appended before
 * them is on disk, in the order registered, a callback that appends and
 * registers more gets its own sync in the same commit, and nothing waits
 * after it.
 */
static void
test_commit(void)
{
	struct journal		*j;
	struct commit_seen	 c;
	struct recs		 seen = { NULL, 0 };
	char			*dir, *warning, *cause = NULL;
	long long		 before;
	int			 dropped = 0;

	dir = temp_path("commit");
	j = reopen(dir, &seen, &warning);
	free(warning);
	if (!ok(j != NULL, "open a journal for the group commit")) {
		free(dir);
		return;
	}
	memset(&c, 0, sizeof c);
	c.j = j;
	c.dir = dir;
	ok(journal_commit(j, &cause) == 0 && c.n == 0,
	    "a commit with nothing to do succeeds");
	before = segment_written(dir, 1);
	append(j, NULL, 1, 100);
	journal_after_sync(j, commit_cb, NULL, &c);
	journal_after_sync(j, commit_cb, NULL, &c);
	ok(c.n == 0 && journal_dirty(j), "callbacks wait for the commit");
	c.again = 1;
	ok(journal_commit(j, &cause) == 0, "the commit succeeds");
	is_str(c.order, "abc", "every callback ran once, in order, and the "
	    "one registered by a callback ran in the same commit");
	ok(c.size_then > before, "the first ran with its record on disk");
	ok(!journal_dirty(j) && segment_written(dir, 1) > c.size_then,
	    "what a callback appended was synced before the commit returned");
	memset(c.order, 0, sizeof c.order);
	c.n = 0;
	journal_after_sync(j, commit_cb, NULL, &c);
	ok(journal_commit(j, &cause) == 0 && c.n == 1,
	    "with nothing appended, a callback runs at the next commit");
#ifdef FISH_TEST_HOOKS
	append(j, NULL, 2, 10);
	journal_after_sync(j, commit_cb, NULL, &c);
	setenv("FISH_TEST_FAIL_FSYNC", "1", 1);
	ok(journal_commit(j, &cause) == -1 && cause != NULL && c.n == 1,
	    "a commit whose sync fails says why and runs no callback");
	unsetenv("FISH_TEST_FAIL_FSYNC");
	free(cause);
#else
	journal_after_sync(j, commit_cb, NULL, &c);
#endif
	journal_after_sync(j, synced_cb, count_cb, &dropped);
	journal_close(j);
	ok(c.n == 1, "a journal closed with a callback waiting never runs it");
	ok(dropped == 1, "and tells one that asked, once, that it was dropped");
	recs_clear(&seen);
	free(dir);
}

/* What a roll callback saw, and the record it begins each segment with. */
struct roll_seen {
	struct journal	*j;
	struct recs	*want;
	int		 calls;
	uint64_t	 first;		/* position of its last record */
};

/* A roll callback: begin the new segment with a record, as a checkpoint. */
static void
roll_cb(void *arg)
{
	struct roll_seen	*r = arg;
	char			 json[32];
	int			 n;

	r->calls++;
	n = snprintf(json, sizeof json, "{\"roll\":%d}", r->calls);
	r->first = journal_append_text(r->j, JOURNAL_CHECKPOINT, json,
	    (size_t)n, NULL, 0);
	if (r->want != NULL)
		recs_add(r->want, JOURNAL_CHECKPOINT, r->first, json, NULL, 0);
}

/* Test the sizes segments are pre-written at. */
static void
test_segment_sizes(void)
{
	is_int(journal_segment_size(0, 0), JOURNAL_SEGMENT_MIN,
	    "the smallest segment is 256 KiB");
	is_int(journal_segment_size(JOURNAL_SEGMENT_MIN + 1, 0),
	    2 * JOURNAL_SEGMENT_MIN,
	    "a segment is the power of two that holds what is wanted");
	is_int(journal_segment_size(2 * JOURNAL_SEGMENT_MIN, 0),
	    2 * JOURNAL_SEGMENT_MIN, "a power of two is taken as it is");
	is_int(journal_segment_size(1ULL << 40, 0), JOURNAL_SEGMENT_MAX,
	    "a segment is at most 64 MiB");
	is_int(journal_segment_size(0, JOURNAL_SEGMENT_MIN / 4 + 1),
	    2 * JOURNAL_SEGMENT_MIN,
	    "what a roll writes (the checkpoint) takes at most a quarter");
	is_int(journal_segment_size(0, 1ULL << 40), JOURNAL_SEGMENT_MAX,
	    "even a huge checkpoint leaves segments at 64 MiB");
}

/*
 * Test rolling when a segment is full: the next segment is asked for at
 * half, twice as large; the append that would pass the end rolls first,
 * the roll callback's record begins the new segment, the old one is cut
 * down to what it holds; a record larger than the rest rolls too, and
 * one larger than the new segment makes it grow.
 */
static void
test_roll_by_size(void)
{
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct roll_seen	 r;
	struct journal_header	 h;
	char			*dir, *warning;
	size_t			 before;
	long long		 ends[5] = { 0, 0, 0, 0, 0 };
	int			 i, early = 0;

	dir = temp_path("by-size");
	tree_remove(dir);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal to fill");
		goto out;
	}
	memset(&r, 0, sizeof r);
	r.j = j;
	r.want = &want;
	journal_on_roll(j, roll_cb, &r);
	for (i = 0; journal_active_bytes(j, NULL) <= JOURNAL_SEGMENT_MIN / 2;
	    i++) {
		if (segment_size(dir, 2) != -1)
			early = 1;
		append(j, &want, i, 1000);
	}
	ok(!early && segment_appears(dir, 2, 2 * JOURNAL_SEGMENT_MIN) == 0,
	    "the next segment is prepared once the active one is half full, "
	    "twice as large");
	for (; i < 1000 && r.calls == 0; i++)
		append(j, &want, i, 1000);
	ok(r.calls == 1 && SEGMENT_OF(want.r[want.n - 1].position) == 2,
	    "the append that would pass the segment's end rolls to the next");
	ok(want.n >= 2 &&
	    want.r[want.n - 2].position == POSITION(2, JOURNAL_HEADER_LEN) &&
	    want.r[want.n - 1].position == POSITION(2,
	    record_end(&want, want.n - 2)),
	    "the roll callback's record begins the new segment, before the "
	    "record that rolled");
	ok(record_end(&want, want.n - 4) <= JOURNAL_SEGMENT_MIN &&
	    SEGMENT_OF(want.r[want.n - 3].position) == 1,
	    "the old segment holds what fitted in it");
	ok(segment_header(dir, 2, &h) == JOURNAL_HEADER_V2 &&
	    h.prev_number == 1, "the new segment follows the old one");
	ok(all_read(j, &want, NULL), "records of both segments read, the old "
	    "segment's tail not yet synced");
	ok(journal_sync(j, NULL) == 0, "and sync");
	is_int(segment_size(dir, 2), 2 * JOURNAL_SEGMENT_MIN,
	    "appending into the new segment keeps its pre-written size");

	/* A record larger than the rest of the segment rolls too. */
	before = want.n;
	append(j, &want, 2000, JOURNAL_SEGMENT_MIN);	/* past half */
	append(j, &want, 2001, JOURNAL_SEGMENT_MIN);
	ok(r.calls == 2 && SEGMENT_OF(want.r[want.n - 1].position) == 3 &&
	    SEGMENT_OF(want.r[before].position) == 2,
	    "a record larger than the rest of a segment rolls to the next");
	/* Segment 3 is 1 MiB: a larger record when it is not half full. */
	append(j, &want, 2002, 4 * JOURNAL_SEGMENT_MIN + 1000);
	ok(r.calls == 2 && SEGMENT_OF(want.r[want.n - 1].position) == 3,
	    "a record larger than the rest of a segment less than half full "
	    "stays there (nothing prepared to wait for)");
	ok(journal_sync(j, NULL) == 0 && segment_size(dir, 3) ==
	    (long long)record_end(&want, want.n - 1),
	    "and makes it grow to fit it");
	append(j, &want, 2003, 10);
	ok(r.calls == 3 && SEGMENT_OF(want.r[want.n - 1].position) == 4,
	    "the next append rolls from a segment that grew past its size");
	/* Segment 4 is 2 MiB: half full, then a record larger than 5. */
	append(j, &want, 2004, 4 * JOURNAL_SEGMENT_MIN + 1000);
	append(j, &want, 2005, 20 * JOURNAL_SEGMENT_MIN);
	ok(r.calls == 4 && SEGMENT_OF(want.r[want.n - 1].position) == 5 &&
	    journal_sync(j, NULL) == 0 && segment_size(dir, 5) ==
	    (long long)record_end(&want, want.n - 1),
	    "a record larger than the next segment rolls to it, and makes it "
	    "grow to fit it");
	journal_close(j);
	for (i = 0; i < (int)want.n; i++) {
		if (SEGMENT_OF(want.r[i].position) < 5)
			ends[SEGMENT_OF(want.r[i].position)] =
			    (long long)record_end(&want, (size_t)i);
	}
	ok(segment_size(dir, 1) == ends[1] && segment_size(dir, 2) == ends[2] &&
	    segment_size(dir, 3) == ends[3] && segment_size(dir, 4) == ends[4],
	    "segments rolled from are cut down to what they hold");
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) &&
	    recs_are(&seen, &want, NULL),
	    "everything replays in order, without warning");
	journal_close(j);
	free(warning);
out:
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/*
 * Test what open makes of a crash while a segment was being prepared: a
 * temporary file never renamed is removed; a segment prepared and never
 * used is kept for the next roll, appends resuming in the one before it,
 * whose torn tail is then a torn tail like any other; a roll whose new
 * segment never got a record is as if it never happened.
 */
static void
test_prepared_left(void)
{
	struct journal		*j;
	struct recs		 want = { NULL, 0 }, seen = { NULL, 0 };
	struct roll_seen	 r;
	struct journal_header	 h, h2;
	struct buffer		 torn;
	char			*dir, *warning, *path;
	uint64_t		 end;
	int			 i, fd;

	dir = temp_path("prepared");
	tree_remove(dir);
	buffer_init(&torn);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal to prepare in");
		goto out;
	}
	for (i = 0; journal_active_bytes(j, NULL) <= JOURNAL_SEGMENT_MIN / 2;
	    i++)
		append(j, &want, i, 2000);
	ok(journal_sync(j, NULL) == 0 && segment_appears(dir, 2,
	    2 * JOURNAL_SEGMENT_MIN) == 0,
	    "a half full segment gets the next one prepared");
	journal_close(j);
	end = record_end(&want, want.n - 1);

	/* A temporary file of a preparation never finished. */
	xasprintf(&path, "%s/00000003" JOURNAL_PREPARE_SUFFIX, dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ok(fd != -1 && write(fd, "garbage", 7) == 7, "leave a temporary file");
	if (fd != -1)
		close(fd);
	segment_header(dir, 2, &h);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && warning == NULL && no_damage(j) &&
	    recs_are(&seen, &want, NULL) && journal_segments(j) == 1,
	    "a segment prepared and never used is no segment: it opens "
	    "without warning");
	ok(access(path, F_OK) == -1 && errno == ENOENT,
	    "a temporary file left by a preparation is removed");
	free(path);
	if (j == NULL)
		goto out;
	ok(journal_active_bytes(j, NULL) == end &&
	    segment_size(dir, 1) == JOURNAL_SEGMENT_MIN,
	    "appends resume in the half used segment, at its end, its size "
	    "kept");
	memset(&r, 0, sizeof r);
	r.j = j;
	r.want = &want;
	journal_on_roll(j, roll_cb, &r);
	ok(journal_roll(j, 1, NULL) == 0 && r.calls == 1 &&
	    r.first == POSITION(2, JOURNAL_HEADER_LEN) &&
	    segment_header(dir, 2, &h2) == JOURNAL_HEADER_V2 &&
	    h2.salt == h.salt,
	    "the next roll takes the segment prepared before");
	/* A crash after the roll, before anything reached segment 2. */
	journal_close(j);
	recs_clear(&want);
	j = reopen(dir, &want, &warning);
	ok(j != NULL && warning == NULL && journal_segments(j) == 1,
	    "a roll whose new segment never got a record is undone: the "
	    "segment is prepared, unused");
	journal_close(j);

	/* A torn tail in the segment before a prepared one. */
	would_write(dir, end, 5000, &torn);
	segment_write(dir, 1, end, torn.data, 1500);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && no_damage(j) && recs_are(&seen, &want, NULL) &&
	    warning != NULL && strstr(warning, "torn tail") != NULL &&
	    strchr(warning, '\n') == NULL,
	    "a torn tail before a prepared segment is a torn tail, no loss");
	ok(segment_written(dir, 1) == (long long)end,
	    "it is zeroed before appending");
	journal_close(j);
	free(warning);

	/* A segment prepared after another one is not taken for unused. */
	segment_write(dir, 2, JOURNAL_HEADER_LEN + 3 * BLOCK, "x", 1);
	j = reopen(dir, &seen, &warning);
	ok(j != NULL && journal_segments(j) == 2 && warning != NULL,
	    "a prepared segment with a byte written in it is the newest");
	journal_close(j);
	free(warning);
out:
	buffer_release(&torn);
	recs_clear(&want);
	recs_clear(&seen);
	free(dir);
}

/* Test the counts of records appended and fdatasyncs done. */
static void
test_counts(void)
{
	struct journal	*j;
	struct recs	 seen = { NULL, 0 };
	char		*dir, *warning;
	uint64_t	 appended, syncs;
	int		 i;

	dir = temp_path("counts");
	tree_remove(dir);
	if ((j = reopen(dir, &seen, &warning)) == NULL) {
		ok(0, "open a journal to count");
		free(dir);
		return;
	}
	journal_counts(j, &appended, &syncs);
	ok(appended == 0 && syncs == 0, "a new journal counts nothing");
	for (i = 0; i < 10; i++)
		append(j, NULL, i, 10);
	ok(journal_sync(j, NULL) == 0 && journal_sync(j, NULL) == 0,
	    "sync ten records, then nothing");
	journal_counts(j, &appended, &syncs);
	ok(appended == 10 && syncs == 1,
	    "ten records, one fdatasync; a sync of nothing is none");
	journal_close(j);
	j = reopen(dir, &seen, &warning);
	journal_counts(j, &appended, &syncs);
	ok(j != NULL && appended == 0 && syncs == 0 &&
	    journal_records(j) == 10,
	    "the counts are since open; replayed records are not appended");
	journal_close(j);
	recs_clear(&seen);
	free(dir);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	template[] = "/tmp/fish-unit-journal.XXXXXX";

	if ((tmpdir = mkdtemp(template)) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return (done_testing());
	}
	test_round_trip();
	test_segment_sizes();
	test_span_max();
	test_roll_by_size();
	test_prepared_left();
	test_counts();
	test_spanning();
	test_block_tail();
	test_random_reads();
	test_roll();
	test_commit();
#ifdef FISH_TEST_HOOKS
	test_no_room();
	test_roll_no_room();
	test_prepare_no_room();
	test_cap_no_room();
	test_cap_headroom();
	test_cap_headroom_full();
#endif
	test_expire();
	test_torn_tail();
	test_damaged_middle();
	test_header_copies();
	test_missing_segment();
	test_format1();
	test_resume_scrub();
	test_copied();
	test_forged_in_body();
	test_past_limit();
	test_oversized_capacity();
	test_record_max();
	test_refused();
	if (tree_remove(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
