/*
 * Unit tests for the journal: creating a directory of segments, appending
 * and syncing, replaying on reopen, reading records by position before and
 * after sync, rolling to a new segment and expiring old ones, and the
 * repairs made on open (a torn tail of the newest segment is cut, a damaged
 * record is skipped, a segment with a bad header is skipped) as well as the
 * segments it must refuse.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "journal.h"
#include "tap.h"
#include "xmalloc.h"

#define MAX_SEEN 16

/* A position: segment number in the high 32 bits, offset in the low. */
#define POSITION(seg, off)	((uint64_t)(seg) << 32 | (uint64_t)(off))
#define SEGMENT_OF(pos)		((uint32_t)((pos) >> 32))
#define OFFSET_OF(pos)		((pos) & 0xffffffffU)

#define HOUR_MS			(3600 * (int64_t)1000)

/* What the replay callback saw, copied out of each record. */
struct seen {
	int		 n;
	int		 type[MAX_SEEN];
	uint64_t	 offset[MAX_SEEN];
	char		*json[MAX_SEEN];
	char		*body[MAX_SEEN];
	size_t		 body_len[MAX_SEEN];
};

/* The records written by write_three, in order. */
static const struct {
	enum journal_type	 type;
	const char		*json;
	const char		*body;
	size_t			 body_len;
} fixture[] = {
	{ JOURNAL_HOOK_CREATED, "{\"hook\":\"h1\",\"path\":\"/a/b\"}",
	    NULL, 0 },
	{ JOURNAL_MESSAGE_RECEIVED, "{\"hook\":\"h1\",\"n\":1}",
	    "bin\0ary\xff\x00\n", 11 },
	{ JOURNAL_MESSAGE_SENT, "{\"to\":\"http://x/\",\"n\":[1,2]}",
	    "{\"k\":\"v\"}", 9 },
};

static char	*tmpdir;

/* Print a record's JSON compactly; the result is borrowed from o. */
static const char *
json_text(struct json_object *o)
{
	return (json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Copy a replayed record, whose contents die with the callback. */
static void
collect(const struct journal_record *r, void *arg)
{
	struct seen	*seen = arg;

	if (seen->n == MAX_SEEN)
		return;
	seen->type[seen->n] = r->type;
	seen->offset[seen->n] = r->offset;
	seen->json[seen->n] = xstrdup(json_text(r->json));
	seen->body[seen->n] = xmemdup(r->body, r->body_len);
	seen->body_len[seen->n] = r->body_len;
	seen->n++;
}

/* Forget what the callback saw. */
static void
seen_clear(struct seen *seen)
{
	int	i;

	for (i = 0; i < seen->n; i++) {
		free(seen->json[i]);
		free(seen->body[i]);
	}
	memset(seen, 0, sizeof *seen);
}

/* Check that record i of seen is fixture record want. */
static int
seen_is(const struct seen *seen, int i, size_t want)
{
	return (i < seen->n && seen->type[i] == (int)fixture[want].type &&
	    strcmp(seen->json[i], fixture[want].json) == 0 &&
	    seen->body_len[i] == fixture[want].body_len &&
	    memcmp(seen->body[i], fixture[want].body == NULL ? "" :
	    fixture[want].body, fixture[want].body_len) == 0);
}

/* Return the size on disk of fixture record i. */
static uint64_t
fixture_size(size_t i)
{
	return (8 + 5 + strlen(fixture[i].json) + fixture[i].body_len);
}

/* Append fixture record i and return its position. */
static uint64_t
append_fixture(struct journal *j, size_t i)
{
	struct json_object	*o;
	uint64_t		 position;

	o = json_tokener_parse(fixture[i].json);
	position = journal_append(j, fixture[i].type, o, fixture[i].body,
	    fixture[i].body_len);
	json_object_put(o);
	return (position);
}

/* Check that a record read by position is fixture record want. */
static int
record_is(const struct journal_record *r, size_t want)
{
	return (r->type == fixture[want].type && r->json != NULL &&
	    strcmp(json_text(r->json), fixture[want].json) == 0 &&
	    r->body_len == fixture[want].body_len &&
	    memcmp(r->body, fixture[want].body == NULL ? "" :
	    fixture[want].body, fixture[want].body_len) == 0);
}

/* Check that the record at position reads back as fixture record want. */
static int
reads_as(struct journal *j, uint64_t position, size_t want)
{
	struct journal_record	 r;
	char			*cause = NULL;
	int			 good;

	if (journal_read(j, position, &r, &cause) != 0) {
		free(cause);
		return (0);
	}
	good = record_is(&r, want) && r.offset == position;
	journal_record_release(&r);
	return (good);
}

/* Check that reading at position fails with a cause and holds nothing. */
static int
read_fails(struct journal *j, uint64_t position)
{
	struct journal_record	 r;
	char			*cause = NULL;
	int			 failed;

	failed = journal_read(j, position, &r, &cause) == -1 &&
	    cause != NULL && r.json == NULL && r.storage == NULL;
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

/* Return the size of a file, or -1. */
static long long
file_size(const char *path)
{
	struct stat	sb;

	if (stat(path, &sb) == -1)
		return (-1);
	return ((long long)sb.st_size);
}

/* Return the size of segment number in dir, or -1. */
static long long
segment_size(const char *dir, uint32_t number)
{
	char		*path;
	long long	 size;

	path = segment_path(dir, number);
	size = file_size(path);
	free(path);
	return (size);
}

/* Check that segment number in dir starts with the 8 bytes of magic. */
static int
segment_magic_is(const char *dir, uint32_t number, const char *magic)
{
	char	*path, head[8];
	int	 fd, same;

	path = segment_path(dir, number);
	fd = open(path, O_RDONLY);
	free(path);
	if (fd == -1)
		return (0);
	same = read(fd, head, sizeof head) == sizeof head &&
	    memcmp(head, magic, sizeof head) == 0;
	close(fd);
	return (same);
}

/* Return the wall clock in unix milliseconds. */
static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Remove path and, if it is a directory, everything in it. */
static int
remove_tree(const char *path)
{
	struct stat	 sb;
	struct dirent	*de;
	DIR		*d;
	char		*child;
	int		 error = 0;

	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	if (!S_ISDIR(sb.st_mode))
		return (unlink(path));
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		xasprintf(&child, "%s/%s", path, de->d_name);
		if (remove_tree(child) == -1)
			error = -1;
		free(child);
	}
	closedir(d);
	if (rmdir(path) == -1)
		error = -1;
	return (error);
}

/*
 * Write a new journal in dir following plan: a digit appends that fixture
 * record, '|' syncs and rolls to a new segment.  Everything is synced at the
 * end.  Store each record's position in positions; return the number of
 * records or -1.
 */
static int
write_plan(const char *dir, const char *plan, uint64_t *positions)
{
	struct journal	*j;
	struct seen	 seen;
	char		*warning, *cause = NULL;
	int		 n = 0;

	memset(&seen, 0, sizeof seen);
	remove_tree(dir);
	j = journal_open(dir, collect, &seen, &warning, &cause);
	if (j == NULL) {
		free(cause);
		return (-1);
	}
	free(warning);
	for (; *plan != '\0'; plan++) {
		if (*plan != '|') {
			positions[n++] = append_fixture(j, *plan - '0');
			continue;
		}
		if (journal_sync(j, &cause) == -1 ||
		    journal_roll(j, &cause) == -1) {
			free(cause);
			journal_close(j);
			return (-1);
		}
	}
	if (journal_sync(j, &cause) == -1) {
		free(cause);
		journal_close(j);
		return (-1);
	}
	journal_close(j);
	seen_clear(&seen);
	return (n);
}

/* Write a new journal in dir holding the three fixture records. */
static int
write_three(const char *dir, uint64_t positions[3])
{
	return (write_plan(dir, "012", positions) == 3 ? 0 : -1);
}

/* Open dir, collecting the replay; return the journal or NULL. */
static struct journal *
reopen(const char *dir, struct seen *seen, char **warning, char **cause)
{
	seen_clear(seen);
	*cause = NULL;
	return (journal_open(dir, collect, seen, warning, cause));
}

/* Flip every bit of the byte of path at offset. */
static int
flip_byte(const char *path, off_t offset)
{
	unsigned char	c;
	int		fd;

	if ((fd = open(path, O_RDWR)) == -1)
		return (-1);
	if (pread(fd, &c, 1, offset) != 1) {
		close(fd);
		return (-1);
	}
	c ^= 0xff;
	if (pwrite(fd, &c, 1, offset) != 1) {
		close(fd);
		return (-1);
	}
	return (close(fd));
}

/* Flip a byte of segment number in dir at offset. */
static int
flip_segment_byte(const char *dir, uint32_t number, off_t offset)
{
	char	*path;
	int	 error;

	path = segment_path(dir, number);
	error = flip_byte(path, offset);
	free(path);
	return (error);
}

/* Write len bytes as the whole contents of path. */
static int
write_file(const char *path, const void *data, size_t len)
{
	int	fd;
	ssize_t	n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return (-1);
	n = write(fd, data, len);
	close(fd);
	return (n == (ssize_t)len ? 0 : -1);
}

/* Write the first len bytes of a segment header into segment number. */
static int
write_header(const char *dir, uint32_t number, const char *magic,
    uint32_t version, uint32_t header_number, size_t len)
{
	unsigned char	 header[JOURNAL_HEADER_LEN];
	char		*path;
	int		 error;

	memset(header, 0, sizeof header);
	memcpy(header, magic, 8);
	put_u32(header + 8, version);
	put_u32(header + 12, header_number);
	put_u32(header + 20, 1);
	path = segment_path(dir, number);
	error = write_file(path, header, len);
	free(path);
	return (error);
}

/* Test creating, appending, reading by position and replaying. */
static void
test_round_trip(void)
{
	struct journal		*j;
	struct journal_record	 r;
	struct seen		 seen;
	struct stat		 sb;
	unsigned char		 header[JOURNAL_HEADER_LEN + 1];
	char			*dir, *path, *warning, *cause = NULL;
	uint64_t		 positions[4], size;
	int64_t			 before, after, created;
	size_t			 i;
	int			 fd, ordered;

	memset(&seen, 0, sizeof seen);
	dir = temp_path("journal");
	path = segment_path(dir, 1);
	before = now_ms();
	j = journal_open(dir, collect, &seen, &warning, &cause);
	after = now_ms();
	ok(j != NULL && cause == NULL, "open creates a new journal");
	if (j == NULL) {
		free(cause);
		free(path);
		free(dir);
		return;
	}
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) &&
	    (sb.st_mode & 0777) == 0700,
	    "open creates the journal directory, mode 0700");
	ok(warning == NULL && seen.n == 0, "a new journal replays nothing");
	is_int(file_size(path), JOURNAL_HEADER_LEN,
	    "a new journal is segment 1 holding just the header");
	fd = open(path, O_RDONLY);
	ok(fd != -1 && read(fd, header, sizeof header) == JOURNAL_HEADER_LEN &&
	    memcmp(header, "FISHJRNL\0\0\0\1\0\0\0\1", 16) == 0,
	    "the header is the magic, version 1 and segment number 1");
	created = fd == -1 ? 0 : (int64_t)((uint64_t)get_u32(header + 16) <<
	    32 | get_u32(header + 20));
	ok(created >= before && created <= after,
	    "the header holds the creation time in unix ms");
	if (fd != -1)
		close(fd);
	is_int(journal_records(j), 0, "a new journal has no records");
	is_int(journal_bytes(j), JOURNAL_HEADER_LEN,
	    "a new journal's size is the header");
	is_int(journal_segments(j), 1, "a new journal has one segment");
	ok(journal_active_bytes(j, &after) == JOURNAL_HEADER_LEN &&
	    after == created,
	    "journal_active_bytes gives the size and creation time");
	is_int(journal_dirty(j), 0, "a new journal is clean");

	/* Append, then read back before the sync. */
	for (i = 0; i < nitems(fixture); i++)
		positions[i] = append_fixture(j, i);
	is_int(positions[0], POSITION(1, JOURNAL_HEADER_LEN),
	    "the first record is in segment 1, after the header");
	ok(positions[0] < positions[1] && positions[1] < positions[2],
	    "positions increase");
	is_int(positions[1] - positions[0], fixture_size(0),
	    "a record is head, type, JSON length, JSON and body");
	is_int(journal_records(j), 3, "journal_records counts appends");
	size = OFFSET_OF(positions[2]) + fixture_size(2);
	is_int(journal_bytes(j), size, "journal_bytes counts pending bytes");
	is_int(journal_active_bytes(j, NULL), size,
	    "journal_active_bytes counts pending bytes");
	is_int(journal_dirty(j), 1, "appends make the journal dirty");
	is_int(file_size(path), JOURNAL_HEADER_LEN,
	    "appends are not written before the sync");
	ok(journal_read(j, positions[1], &r, &cause) == 0 &&
	    record_is(&r, 1) && r.offset == positions[1],
	    "a pending record reads back by position");
	journal_record_release(&r);
	ok(journal_read(j, positions[0], &r, &cause) == 0 && record_is(&r, 0),
	    "a pending record without a body reads back");
	journal_record_release(&r);

	/* Sync, then read back from the file. */
	cause = NULL;
	is_int(journal_sync(j, &cause), 0, "sync succeeds");
	is_int(journal_dirty(j), 0, "sync leaves the journal clean");
	is_int(file_size(path), size, "sync writes every pending byte");
	is_int(journal_sync(j, &cause), 0,
	    "a sync with nothing to do succeeds");
	for (ordered = 1, i = 0; i < nitems(fixture); i++) {
		if (!reads_as(j, positions[i], i))
			ordered = 0;
	}
	ok(ordered, "synced records read back by position");
	cause = NULL;
	ok(journal_read(j, positions[1] + 1, &r, &cause) == -1 &&
	    cause != NULL, "reading between records fails with a cause");
	ok(r.json == NULL && r.storage == NULL, "a failed read holds nothing");
	free(cause);
	ok(read_fails(j, POSITION(1, size + 100)),
	    "reading past the end fails with a cause");
	ok(read_fails(j, POSITION(2, JOURNAL_HEADER_LEN)),
	    "reading in a segment that does not exist fails with a cause");
	ok(read_fails(j, OFFSET_OF(positions[0])),
	    "a bare offset without a segment number is not a position");

	/* A pending record after synced ones, then close without sync. */
	positions[3] = append_fixture(j, 1);
	is_int(positions[3], POSITION(1, size),
	    "a new append starts at the synced size");
	ok(reads_as(j, positions[3], 1),
	    "a pending record after synced ones reads back");
	ok(reads_as(j, positions[2], 2),
	    "a synced record still reads back while others are pending");
	journal_close(j);
	is_int(file_size(path), size, "close drops unsynced appends");

	/* Reopen and replay. */
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL, "the journal reopens without warning");
	if (j == NULL) {
		free(cause);
		free(path);
		free(dir);
		return;
	}
	is_int(seen.n, 3, "replay sees the three synced records");
	ok(seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
	    seen_is(&seen, 2, 2),
	    "replay gives types, JSON and bodies in order");
	ok(seen.offset[0] == positions[0] && seen.offset[1] == positions[1] &&
	    seen.offset[2] == positions[2],
	    "replay gives each record's position");
	is_int(journal_records(j), 3,
	    "journal_records counts replayed records");
	is_int(journal_bytes(j), size, "journal_bytes is the file size");
	is_int(journal_segments(j), 1, "the reopened journal has one segment");
	ok(journal_active_bytes(j, &after) == size && after == created,
	    "the creation time is read back from the header");
	ok(reads_as(j, positions[1], 1),
	    "a replayed record reads back by position");
	positions[3] = append_fixture(j, 0);
	is_int(positions[3], POSITION(1, size),
	    "appends after a reopen go at the end");
	ok(journal_sync(j, &cause) == 0, "a reopened journal syncs");
	journal_close(j);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL && seen.n == 4 &&
	    seen_is(&seen, 3, 0) && seen.offset[3] == POSITION(1, size),
	    "the record appended after reopening replays last");
	journal_close(j);
	seen_clear(&seen);
	free(path);
	free(dir);
}

/* Test rolling to a new segment, reading and replaying across segments. */
static void
test_roll(void)
{
	struct journal		*j;
	struct seen		 seen;
	unsigned char		 header[JOURNAL_HEADER_LEN];
	char			*dir, *path, *warning, *cause = NULL;
	uint64_t		 positions[5], size1, size2;
	int64_t			 created1, created2;
	int			 fd;

	memset(&seen, 0, sizeof seen);
	dir = temp_path("roll");
	j = journal_open(dir, collect, &seen, &warning, &cause);
	if (j == NULL) {
		ok(0, "open a journal to roll: %s", cause);
		free(cause);
		free(dir);
		return;
	}
	positions[0] = append_fixture(j, 0);
	positions[1] = append_fixture(j, 1);
	ok(journal_sync(j, &cause) == 0, "sync before rolling");
	size1 = JOURNAL_HEADER_LEN + fixture_size(0) + fixture_size(1);
	journal_active_bytes(j, &created1);

	cause = NULL;
	ok(journal_roll(j, &cause) == 0 && cause == NULL,
	    "a clean journal rolls");
	path = segment_path(dir, 2);
	is_int(file_size(path), JOURNAL_HEADER_LEN,
	    "rolling creates 00000002.journal holding just the header");
	fd = open(path, O_RDONLY);
	ok(fd != -1 && read(fd, header, sizeof header) == JOURNAL_HEADER_LEN &&
	    memcmp(header, "FISHJRNL\0\0\0\1\0\0\0\2", 16) == 0,
	    "the new segment's header has segment number 2");
	if (fd != -1)
		close(fd);
	free(path);
	is_int(segment_size(dir, 1), size1, "the old segment is kept whole");
	is_int(journal_segments(j), 2, "the journal has two segments");
	ok(journal_active_bytes(j, &created2) == JOURNAL_HEADER_LEN &&
	    created2 >= created1,
	    "journal_active_bytes describes the new segment");
	is_int(journal_bytes(j), size1 + JOURNAL_HEADER_LEN,
	    "journal_bytes adds up every segment");
	is_int(journal_records(j), 2, "rolling keeps the record count");

	/* Appends go to the new segment. */
	positions[2] = append_fixture(j, 2);
	is_int(SEGMENT_OF(positions[2]), 2,
	    "an append after the roll is in segment 2");
	is_int(OFFSET_OF(positions[2]), JOURNAL_HEADER_LEN,
	    "it follows the new segment's header");
	ok(positions[2] > positions[1], "positions keep increasing");
	ok(reads_as(j, positions[2], 2),
	    "a pending record in the new segment reads back");
	ok(reads_as(j, positions[0], 0) && reads_as(j, positions[1], 1),
	    "records in the old segment read back");
	ok(journal_sync(j, &cause) == 0, "the new segment syncs");
	size2 = JOURNAL_HEADER_LEN + fixture_size(2);
	is_int(segment_size(dir, 2), size2, "sync writes to the new segment");
	is_int(segment_size(dir, 1), size1,
	    "sync leaves the old segment alone");
	ok(reads_as(j, positions[2], 2) && reads_as(j, positions[1], 1),
	    "synced records read back from both segments");
	ok(read_fails(j, POSITION(1, size1)),
	    "reading past the end of the old segment fails");

	/* A roll with unsynced appends is refused. */
	positions[3] = append_fixture(j, 0);
	cause = NULL;
	ok(journal_roll(j, &cause) == -1 && cause != NULL &&
	    strstr(cause, "unsynced") != NULL,
	    "a roll with unsynced appends is refused with a cause");
	free(cause);
	is_int(segment_size(dir, 3), -1, "a refused roll creates no segment");
	ok(journal_segments(j) == 2 && journal_dirty(j),
	    "a refused roll keeps the segments and the pending appends");
	ok(reads_as(j, positions[3], 0) && SEGMENT_OF(positions[3]) == 2,
	    "the pending append is still in segment 2");
	ok(journal_sync(j, &cause) == 0, "the pending append syncs");
	size2 += fixture_size(0);
	journal_close(j);

	/* Reopen: both segments replay, oldest first. */
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL,
	    "a journal of two segments reopens without warning");
	if (j == NULL) {
		free(cause);
		free(warning);
		free(dir);
		return;
	}
	ok(seen.n == 4 && seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
	    seen_is(&seen, 2, 2) && seen_is(&seen, 3, 0),
	    "replay gives the records of both segments in order");
	ok(seen.offset[0] == positions[0] && seen.offset[1] == positions[1] &&
	    seen.offset[2] == positions[2] && seen.offset[3] == positions[3],
	    "replay gives each record's position with its segment");
	is_int(journal_segments(j), 2, "the reopened journal has two segments");
	is_int(journal_records(j), 4, "journal_records counts both segments");
	is_int(journal_bytes(j), size1 + size2,
	    "journal_bytes adds up both segments");
	ok(journal_active_bytes(j, &created1) == size2 &&
	    created1 == created2,
	    "the newest segment is active again after reopening");
	ok(reads_as(j, positions[1], 1) && reads_as(j, positions[3], 0),
	    "replayed records read back from both segments");
	positions[4] = append_fixture(j, 1);
	is_int(positions[4], POSITION(2, size2),
	    "appends after a reopen go at the end of the newest segment");
	ok(journal_sync(j, &cause) == 0 && journal_roll(j, &cause) == 0 &&
	    segment_size(dir, 3) == JOURNAL_HEADER_LEN &&
	    journal_segments(j) == 3,
	    "a reopened journal rolls to segment 3");
	journal_close(j);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL && seen.n == 5 &&
	    seen_is(&seen, 4, 1) && seen.offset[4] == positions[4] &&
	    journal_segments(j) == 3,
	    "an empty newest segment reopens without warning");
	journal_close(j);
	free(warning);
	seen_clear(&seen);
	free(dir);
}

/* Test dropping old segments. */
static void
test_expire(void)
{
	struct journal	*j;
	struct seen	 seen;
	struct timespec	 times[2];
	char		*dir, *path, *warning, *cause;
	uint64_t	 positions[4], size3;
	int64_t		 now;

	memset(&seen, 0, sizeof seen);
	dir = temp_path("expire");
	if (write_plan(dir, "01|2|0", positions) != 4) {
		ok(0, "write a journal of three segments");
		free(dir);
		return;
	}
	size3 = JOURNAL_HEADER_LEN + fixture_size(0);

	/* Make segment 1 look written two hours ago. */
	path = segment_path(dir, 1);
	now = now_ms();
	times[0].tv_sec = times[1].tv_sec = (time_t)(now / 1000 - 2 * 3600);
	times[0].tv_nsec = times[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, times, 0) == -1)
		ok(0, "set the time of segment 1: %s", strerror(errno));
	free(path);

	j = reopen(dir, &seen, &warning, &cause);
	if (j == NULL) {
		ok(0, "open a journal to expire: %s", cause);
		free(cause);
		free(dir);
		return;
	}
	ok(warning == NULL && seen.n == 4 && journal_segments(j) == 3 &&
	    journal_records(j) == 4, "a journal of three segments opens");

	cause = NULL;
	is_int(journal_expire(j, 0, &cause), 1,
	    "expiring with a cutoff of 0 keeps segment 1");
	ok(cause == NULL && journal_segments(j) == 3 &&
	    journal_records(j) == 4 && segment_size(dir, 1) > 0,
	    "a cutoff of 0 removes nothing");

	is_int(journal_expire(j, now - HOUR_MS, &cause), 2,
	    "a cutoff an hour ago expires only the segment written before it");
	ok(cause == NULL, "expiring gives no cause");
	is_int(segment_size(dir, 1), -1, "the expired segment's file is gone");
	ok(segment_size(dir, 2) > 0 && segment_size(dir, 3) > 0,
	    "segments written after the cutoff are kept");
	is_int(journal_segments(j), 2, "journal_segments drops by one");
	is_int(journal_records(j), 2,
	    "journal_records drops by the expired segment's records");
	is_int(journal_bytes(j), segment_size(dir, 2) + segment_size(dir, 3),
	    "journal_bytes drops by the expired segment's size");
	ok(read_fails(j, positions[0]) && read_fails(j, positions[1]),
	    "records of the expired segment no longer read");
	ok(reads_as(j, positions[2], 2) && reads_as(j, positions[3], 0),
	    "records of the kept segments still read");

	/* A cutoff in the future expires all but the active segment. */
	is_int(journal_expire(j, now_ms() + HOUR_MS, &cause), 3,
	    "a cutoff in the future keeps only the active segment");
	ok(cause == NULL && segment_size(dir, 2) == -1 &&
	    segment_size(dir, 3) == (long long)size3,
	    "only the active segment's file is left");
	ok(journal_segments(j) == 1 && journal_records(j) == 1 &&
	    journal_bytes(j) == size3,
	    "the counts are the active segment's");
	ok(read_fails(j, positions[2]) && reads_as(j, positions[3], 0),
	    "only the active segment's records read");
	is_int(journal_expire(j, now_ms() + HOUR_MS, &cause), 3,
	    "the active segment is never expired");
	ok(cause == NULL && journal_segments(j) == 1 &&
	    segment_size(dir, 3) == (long long)size3,
	    "expiring a journal of one segment removes nothing");

	/* Pending appends are not counted twice or lost. */
	positions[0] = append_fixture(j, 1);
	is_int(journal_expire(j, now_ms() + HOUR_MS, &cause), 3,
	    "expiring with pending appends keeps the active segment");
	ok(journal_records(j) == 2 && journal_dirty(j) &&
	    journal_sync(j, &cause) == 0,
	    "the pending append survives and syncs");
	size3 += fixture_size(1);
	journal_close(j);

	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL && seen.n == 2 &&
	    seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
	    SEGMENT_OF(seen.offset[0]) == 3 && seen.offset[1] == positions[0],
	    "after expiry only the kept segment replays");
	if (j == NULL) {
		free(cause);
		free(dir);
		return;
	}
	ok(journal_segments(j) == 1 && journal_records(j) == 2 &&
	    journal_bytes(j) == size3, "the counts survive a reopen");
	ok(journal_roll(j, &cause) == 0 && segment_size(dir, 4) ==
	    JOURNAL_HEADER_LEN, "rolling after expiry makes segment 4");
	positions[1] = append_fixture(j, 2);
	is_int(SEGMENT_OF(positions[1]), 4, "appends go to segment 4");
	ok(journal_sync(j, &cause) == 0, "segment 4 syncs");
	is_int(journal_expire(j, now_ms() + HOUR_MS, &cause), 4,
	    "a replayed old segment expires too");
	ok(journal_records(j) == 1 && segment_size(dir, 3) == -1,
	    "the replayed segment's records and file are gone");
	journal_close(j);
	seen_clear(&seen);
	free(dir);
}

/* Test that a torn last record is cut off at several lengths. */
static void
test_torn_tail(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*dir, *path, *warning, *cause;
	uint64_t	 positions[3], cut, end;
	long long	 size;
	size_t		 i;
	int		 good;
	static const size_t	keep[] = { 1, 3, 4, 7, 8, 9, 12, 13, 20 };

	memset(&seen, 0, sizeof seen);
	dir = temp_path("torn");
	path = segment_path(dir, 1);
	for (i = 0; i <= nitems(keep); i++) {
		if (write_three(dir, positions) == -1) {
			ok(0, "write a journal to tear");
			break;
		}
		end = OFFSET_OF(positions[2]);
		size = file_size(path);
		if (i == nitems(keep))
			cut = (uint64_t)size - 1;
		else
			cut = end + keep[i];
		if (truncate(path, (off_t)cut) == -1) {
			ok(0, "truncate the journal");
			break;
		}
		j = reopen(dir, &seen, &warning, &cause);
		good = j != NULL && warning != NULL &&
		    strstr(warning, "torn tail") != NULL && seen.n == 2 &&
		    seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
		    journal_records(j) == 2 && journal_bytes(j) == end &&
		    file_size(path) == (long long)end;
		ok(good, "a tail torn %llu bytes into the last record is cut, "
		    "with a warning", (unsigned long long)(cut - end));
		free(warning);
		if (j == NULL) {
			free(cause);
			continue;
		}
		cut = append_fixture(j, 2);
		is_int(cut, positions[2],
		    "an append after the cut goes where the torn record was");
		ok(journal_sync(j, &cause) == 0, "the repaired journal syncs");
		journal_close(j);
		j = reopen(dir, &seen, &warning, &cause);
		ok(j != NULL && warning == NULL && seen.n == 3 &&
		    seen_is(&seen, 2, 2),
		    "the repaired journal replays cleanly");
		journal_close(j);
		free(warning);
	}

	/* A cut exactly between records is no damage. */
	if (write_three(dir, positions) == 0 &&
	    truncate(path, (off_t)OFFSET_OF(positions[2])) == 0) {
		j = reopen(dir, &seen, &warning, &cause);
		ok(j != NULL && warning == NULL && seen.n == 2,
		    "a segment ending between records opens without warning");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a segment ending between records opens without warning");

	/* A header torn while being created is rewritten. */
	remove_tree(dir);
	if (mkdir(dir, 0700) == 0 && write_file(path, "FISHJ", 5) == 0) {
		j = reopen(dir, &seen, &warning, &cause);
		ok(j != NULL && seen.n == 0 &&
		    file_size(path) == JOURNAL_HEADER_LEN &&
		    journal_segments(j) == 1,
		    "a torn header is replaced by a fresh one");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a torn header is replaced by a fresh one");

	/* So is a torn header of a newest segment after others. */
	if (write_plan(dir, "01|2", positions) == 3 &&
	    write_header(dir, 3, JOURNAL_MAGIC, JOURNAL_VERSION, 3, 10) == 0) {
		j = reopen(dir, &seen, &warning, &cause);
		ok(j != NULL && seen.n == 3 && journal_segments(j) == 3 &&
		    segment_size(dir, 3) == JOURNAL_HEADER_LEN &&
		    SEGMENT_OF(append_fixture(j, 0)) == 3,
		    "a torn header of the newest segment is rewritten");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a torn header of the newest segment is rewritten");
	seen_clear(&seen);
	free(path);
	free(dir);
}

/* Test that a damaged record in the middle is skipped. */
static void
test_damaged_middle(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*dir, *path, *warning, *cause;
	uint64_t	 positions[3];
	long long	 size;
	size_t		 i;
	static const struct {
		off_t		 at;	/* from the record's start */
		const char	*what;
	} where[] = {
		{ 0, "its length" },
		{ 3, "its length's low byte" },
		{ 5, "its checksum" },
		{ 8, "its type" },
		{ 12, "its JSON length" },
		{ 15, "its JSON" },
		{ 40, "its body" },
	};

	memset(&seen, 0, sizeof seen);
	dir = temp_path("damaged");
	path = segment_path(dir, 1);
	for (i = 0; i < nitems(where); i++) {
		if (write_three(dir, positions) == -1 ||
		    flip_byte(path, (off_t)OFFSET_OF(positions[1]) +
		    where[i].at) == -1) {
			ok(0, "write a journal to damage");
			break;
		}
		size = file_size(path);
		j = reopen(dir, &seen, &warning, &cause);
		ok(j != NULL && warning != NULL &&
		    strstr(warning, "skipped") != NULL && seen.n == 2 &&
		    seen_is(&seen, 0, 0) && seen_is(&seen, 1, 2) &&
		    seen.offset[1] == positions[2] && journal_records(j) == 2,
		    "a flipped byte in %s drops only the middle record",
		    where[i].what);
		if (j == NULL) {
			free(cause);
			free(warning);
			continue;
		}
		ok(journal_bytes(j) == (uint64_t)size &&
		    file_size(path) == size,
		    "the damaged segment is kept whole");
		journal_close(j);
		free(warning);
	}
	seen_clear(&seen);
	free(path);
	free(dir);
}

/* Test damage in a segment that is not the newest. */
static void
test_damaged_old_segment(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*dir, *path, *warning, *cause;
	uint64_t	 positions[5];
	long long	 size;

	memset(&seen, 0, sizeof seen);
	dir = temp_path("old");
	path = segment_path(dir, 1);

	/* A damaged record in the middle of segment 1 of 2. */
	if (write_plan(dir, "012|02", positions) != 5 ||
	    flip_byte(path, (off_t)OFFSET_OF(positions[1]) + 15) == -1) {
		ok(0, "write a journal of two segments to damage");
		free(path);
		free(dir);
		return;
	}
	size = file_size(path);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000001") != NULL &&
	    strstr(warning, "skipped") != NULL,
	    "a damaged record in an old segment is skipped with a warning");
	ok(seen.n == 4 && seen_is(&seen, 0, 0) && seen_is(&seen, 1, 2) &&
	    seen_is(&seen, 2, 0) && seen_is(&seen, 3, 2) &&
	    seen.offset[1] == positions[2] && seen.offset[2] == positions[3] &&
	    seen.offset[3] == positions[4],
	    "the rest of the old segment and the later one replay");
	ok(j != NULL && journal_records(j) == 4 &&
	    journal_segments(j) == 2 && file_size(path) == size,
	    "the damaged old segment is kept whole");
	if (j != NULL) {
		ok(read_fails(j, positions[1]) && reads_as(j, positions[2], 2),
		    "the damaged record does not read, the next one does");
		ok(SEGMENT_OF(append_fixture(j, 1)) == 2,
		    "appends still go to the newest segment");
	} else {
		free(cause);
		ok(0, "the damaged record does not read, the next one does");
		ok(0, "appends still go to the newest segment");
	}
	journal_close(j);
	free(warning);

	/* A torn end of segment 1 of 2 is skipped, not cut. */
	if (write_plan(dir, "012|02", positions) != 5 ||
	    truncate(path, (off_t)OFFSET_OF(positions[2]) + 10) == -1) {
		ok(0, "write a journal of two segments to tear");
		free(path);
		free(dir);
		return;
	}
	size = file_size(path);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000001") != NULL &&
	    strstr(warning, "at its end") != NULL &&
	    strstr(warning, "torn tail") == NULL,
	    "a damaged end of an old segment is skipped with a warning");
	ok(seen.n == 4 && seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
	    seen_is(&seen, 2, 0) && seen_is(&seen, 3, 2) &&
	    seen.offset[2] == positions[3],
	    "the later segment still replays");
	is_int(file_size(path), size, "an old segment is not cut");
	journal_close(j);
	free(warning);
	seen_clear(&seen);
	free(path);
	free(dir);
}

/* Test that a segment with a bad header is skipped. */
static void
test_bad_header(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*dir, *warning, *cause;
	uint64_t	 positions[4];
	long long	 size;

	memset(&seen, 0, sizeof seen);
	dir = temp_path("header");

	/* Wrong magic in the middle segment. */
	if (write_plan(dir, "0|1|2", positions) != 3 ||
	    flip_segment_byte(dir, 2, 0) == -1) {
		ok(0, "write a journal of three segments to damage");
		free(dir);
		return;
	}
	size = segment_size(dir, 2);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000002") != NULL &&
	    strstr(warning, "header") != NULL,
	    "a segment with the wrong magic is skipped with a warning");
	ok(seen.n == 2 && seen_is(&seen, 0, 0) && seen_is(&seen, 1, 2) &&
	    seen.offset[1] == positions[2],
	    "the segments around it replay");
	ok(j != NULL && journal_segments(j) == 2 && journal_records(j) == 2,
	    "the skipped segment is not counted");
	is_int(segment_size(dir, 2), size, "the skipped segment is left alone");
	if (j != NULL)
		ok(read_fails(j, positions[1]) && reads_as(j, positions[2], 2),
		    "records of the skipped segment do not read");
	else {
		free(cause);
		ok(0, "records of the skipped segment do not read");
	}
	journal_close(j);
	free(warning);

	/* A header naming another segment. */
	if (write_plan(dir, "0|1|2", positions) != 3 ||
	    write_header(dir, 2, JOURNAL_MAGIC, JOURNAL_VERSION, 7,
	    JOURNAL_HEADER_LEN) == -1) {
		ok(0, "write a journal with a misnumbered segment");
		free(dir);
		return;
	}
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000002") != NULL && seen.n == 2 &&
	    seen_is(&seen, 1, 2) && journal_segments(j) == 2,
	    "a segment whose header has another number is skipped");
	journal_close(j);
	free(warning);

	/* Wrong magic in the newest segment. */
	if (write_plan(dir, "0|1", positions) != 2 ||
	    flip_segment_byte(dir, 2, 0) == -1) {
		ok(0, "write a journal of two segments to damage");
		free(dir);
		return;
	}
	size = segment_size(dir, 2);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000002") != NULL && seen.n == 1 &&
	    seen_is(&seen, 0, 0),
	    "a newest segment with the wrong magic is skipped with a warning");
	if (j != NULL) {
		ok(journal_segments(j) == 2 &&
		    segment_size(dir, 3) == JOURNAL_HEADER_LEN,
		    "a new segment 3 is started after the skipped one");
		positions[2] = append_fixture(j, 2);
		ok(SEGMENT_OF(positions[2]) == 3 &&
		    journal_sync(j, &cause) == 0,
		    "appends go to the new segment, after the skipped one");
		ok(journal_roll(j, &cause) == 0 &&
		    segment_size(dir, 4) == JOURNAL_HEADER_LEN,
		    "the journal rolls to segment 4");
		positions[3] = append_fixture(j, 0);
		ok(SEGMENT_OF(positions[3]) == 4 &&
		    journal_sync(j, &cause) == 0, "appends go after the roll");
	} else {
		free(cause);
		ok(0, "a new segment 3 is started after the skipped one");
		ok(0, "appends go to the new segment, after the skipped one");
		ok(0, "the journal rolls to segment 4");
		ok(0, "appends go after the roll");
	}
	ok(segment_size(dir, 2) == size &&
	    !segment_magic_is(dir, 2, JOURNAL_MAGIC),
	    "a skipped newest segment is left alone");
	journal_close(j);
	free(warning);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && seen.n == 3 && seen_is(&seen, 0, 0) &&
	    seen_is(&seen, 1, 2) && seen_is(&seen, 2, 0),
	    "records appended after a skipped segment replay in order");
	journal_close(j);
	free(warning);

	/* A journal whose only segment has a bad header. */
	remove_tree(dir);
	if (mkdir(dir, 0700) == -1 ||
	    write_header(dir, 1, "NOTAJRNL", JOURNAL_VERSION, 1,
	    JOURNAL_HEADER_LEN) == -1) {
		ok(0, "write a journal whose only segment is bad");
		free(dir);
		return;
	}
	j = reopen(dir, &seen, &warning, &cause);
	ok(j != NULL && warning != NULL &&
	    strstr(warning, "segment 00000001") != NULL && seen.n == 0,
	    "a journal whose only segment is bad opens with a warning");
	ok(segment_size(dir, 1) == JOURNAL_HEADER_LEN &&
	    segment_magic_is(dir, 1, "NOTAJRNL"),
	    "the bad segment is left alone");
	if (j != NULL) {
		positions[0] = append_fixture(j, 0);
		ok(SEGMENT_OF(positions[0]) == 2 &&
		    journal_sync(j, &cause) == 0 &&
		    segment_magic_is(dir, 1, "NOTAJRNL"),
		    "appends go to a new segment after the bad one");
	} else {
		free(cause);
		ok(0, "appends go to a new segment after the bad one");
	}
	journal_close(j);
	free(warning);
	seen_clear(&seen);
	free(dir);
}

/* Test the journals open must refuse. */
static void
test_refused(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*dir, *path, *warning, *cause;
	uint64_t	 positions[3];

	memset(&seen, 0, sizeof seen);
	dir = temp_path("refused");

	if (write_plan(dir, "0|1", positions) != 2 ||
	    write_header(dir, 1, JOURNAL_MAGIC, JOURNAL_VERSION + 1, 1,
	    JOURNAL_HEADER_LEN) == -1)
		ok(0, "write a journal with a newer segment");
	j = reopen(dir, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, "version 2") != NULL,
	    "a segment with a newer version is refused with a cause");
	free(cause);
	free(warning);
	ok(segment_size(dir, 1) == JOURNAL_HEADER_LEN &&
	    segment_size(dir, 2) > JOURNAL_HEADER_LEN,
	    "a refused journal is left alone");

	write_header(dir, 1, JOURNAL_MAGIC, 0, 1, JOURNAL_HEADER_LEN);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, "version 0") != NULL,
	    "a segment with version 0 is refused");
	free(cause);
	free(warning);

	write_header(dir, 3, JOURNAL_MAGIC, 9, 3, JOURNAL_HEADER_LEN);
	write_header(dir, 1, JOURNAL_MAGIC, JOURNAL_VERSION, 1,
	    JOURNAL_HEADER_LEN);
	j = reopen(dir, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, "version 9") != NULL,
	    "a newest segment with another version is refused");
	free(cause);
	free(warning);
	free(dir);

	dir = temp_path("missing/journal");
	j = reopen(dir, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, dir) != NULL,
	    "a journal in a missing directory fails with a cause naming it");
	free(cause);
	free(warning);
	free(dir);

	path = temp_path("plain");
	write_file(path, "x", 1);
	j = reopen(path, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, path) != NULL,
	    "a journal path that is a file fails with a cause naming it");
	free(cause);
	free(warning);
	free(path);

#ifdef FISH_TEST_HOOKS
	/* A failed fsync is reported. */
	dir = temp_path("fsync");
	if (write_three(dir, positions) == 0 &&
	    (j = reopen(dir, &seen, &warning, &cause)) != NULL) {
		append_fixture(j, 0);
		setenv("FISH_TEST_FAIL_FSYNC", "1", 1);
		cause = NULL;
		ok(journal_sync(j, &cause) == -1 && cause != NULL &&
		    strstr(cause, "cannot sync") != NULL &&
		    strstr(cause, "00000001") != NULL,
		    "a failed sync is reported with a cause naming the "
		    "segment");
		unsetenv("FISH_TEST_FAIL_FSYNC");
		free(cause);
		ok(journal_dirty(j), "a failed sync leaves the journal dirty");
		cause = NULL;
		ok(journal_roll(j, &cause) == -1 && cause != NULL,
		    "a journal whose sync failed does not roll");
		free(cause);
		journal_close(j);
		free(warning);
	} else
		ok(0, "a failed sync is reported with a cause");
	free(dir);
#endif
	seen_clear(&seen);
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
	test_roll();
	test_expire();
	test_torn_tail();
	test_damaged_middle();
	test_damaged_old_segment();
	test_bad_header();
	test_refused();
	if (remove_tree(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
	return (done_testing());
}
