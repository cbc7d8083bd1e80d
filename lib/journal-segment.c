/*
 * Journal segment files: creating a segment (pre-written whole, its
 * header and name synced, before any record goes there: see
 * journal-prepare.c), and opening the journal's segments on start, in
 * number order: each one's header, its place in the chain of segments
 * (numbers skipped, a segment replaced in the middle), then its records
 * through journal-recover.c.
 *
 * On open, what a crash may leave of a segment being prepared is taken
 * care of: a temporary file (not yet renamed into place) is removed, and
 * a segment prepared but never used (the newest file, chained to the one
 * before it, nothing but zeros after its header) is kept as the next
 * segment to roll to, while appends resume in the one before it.
 */
#include "compat.h"
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
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
#include "xmalloc.h"

/* What journal_open knows of the segment file before the one it opens. */
struct journal_previous {
	uint32_t	number;		/* 0: none */
	int		version;	/* 0: unreadable */
	uint64_t	salt;
	int		broken;		/* it did not follow the one before */
};


/* Fsync a directory, so names created or removed in it are durable. */
int
journal_sync_dir(const char *dir)
{
	int	fd, error;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	error = fsync(fd);
	close(fd);
	return (error);
}

/* Return the path of segment number; caller frees. */
char *
journal_segment_path(const struct journal *j, uint32_t number)
{
	char	*path;

	xasprintf(&path, "%s/%08u.journal", j->dir, number);
	return (path);
}

/* Write all of len bytes at offset.  Return 0, or -1 with errno. */
int
journal_pwrite(int fd, const void *data, size_t len, uint64_t offset)
{
	ssize_t	n;

	while (len > 0) {
		n = pwrite(fd, data, len, (off_t)offset);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0) {
			errno = EIO;
			return (-1);
		}
		data = (const char *)data + n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return (0);
}

/*
 * Write segment seg's header, chained to prev, and make it and its name
 * durable before any record goes there.
 */
static int
journal_write_header(struct journal *j, struct segment *seg,
    const struct journal_previous *prev, char **cause)
{
	struct journal_header	h;
	unsigned char		header[JOURNAL_HEADER_LEN];
	uint64_t		salt;

	if (getrandom(&salt, sizeof salt, 0) != sizeof salt) {
		xasprintf(cause, "cannot create journal segment %08u: "
		    "getrandom failed", seg->number);
		return (-1);
	}
	memset(&h, 0, sizeof h);
	h.version = JOURNAL_VERSION;
	h.number = seg->number;
	h.created_at = seg->created_at;
	h.salt = salt;
	h.prev_number = prev->number;
	h.prev_salt = prev->version == JOURNAL_VERSION ? prev->salt : 0;
	journal_header_encode(header, &h);
	if (journal_pwrite(seg->fd, header, sizeof header, 0) == -1 ||
	    fsync(seg->fd) == -1 || journal_sync_dir(j->dir) == -1) {
		xasprintf(cause, "cannot create journal segment %08u in '%s': "
		    "%s", seg->number, j->dir, strerror(errno));
		return (-1);
	}
	seg->version = JOURNAL_VERSION;
	journal_frame_init(&seg->frame, seg->number, salt);
	seg->size = JOURNAL_HEADER_LEN;
	return (0);
}

/* Return what a new segment's header says of the segment before it. */
static struct journal_previous
journal_previous_of(const struct journal *j)
{
	struct journal_previous		 prev = { j->last_number, 0, 0, 0 };
	const struct segment		*seg;

	if (j->nsegments > 0) {
		seg = &j->segments[j->nsegments - 1];
		if (seg->number == j->last_number) {
			prev.version = seg->version;
			prev.salt = seg->frame.salt;
		}
	}
	return (prev);
}

/*
 * Return the size to pre-write a segment at: the smallest power of two
 * from JOURNAL_SEGMENT_MIN that holds want bytes and four times what a
 * roll writes at a segment's start (its checkpoint), at most
 * JOURNAL_SEGMENT_MAX.
 */
uint64_t
journal_segment_size(uint64_t want, uint64_t roll_bytes)
{
	uint64_t	size = JOURNAL_SEGMENT_MIN;

	while (size < JOURNAL_SEGMENT_MAX &&
	    (size < want || size / 4 < roll_bytes))
		size *= 2;
	return (size);
}

/*
 * Make segment h->number, prepared in file fd of size bytes, the active
 * one: appends go there from now on.
 */
void
journal_segment_push(struct journal *j, int fd, uint64_t size,
    const struct journal_header *h)
{
	struct segment	*seg;

	j->segments = xreallocarray(j->segments, j->nsegments + 1,
	    sizeof *j->segments);
	seg = &j->segments[j->nsegments++];
	memset(seg, 0, sizeof *seg);
	seg->number = h->number;
	seg->fd = fd;
	seg->version = JOURNAL_VERSION;
	journal_frame_init(&seg->frame, h->number, h->salt);
	seg->size = seg->rolled_end = JOURNAL_HEADER_LEN;
	seg->capacity = size;
	seg->created_at = seg->written_at = clock_wall_ms();
	j->last_number = h->number;
}

/* Start a new segment after the newest one, prepared here and now. */
int
journal_new_segment(struct journal *j, char **cause)
{
	struct journal_previous	prev = journal_previous_of(j);
	struct journal_header	h;
	int			fd;

	memset(&h, 0, sizeof h);
	h.number = j->last_number + 1;
	h.prev_number = prev.number;
	h.prev_salt = prev.version == JOURNAL_VERSION ? prev.salt : 0;
	if (journal_prepare_file(j->dir, &h, JOURNAL_SEGMENT_MIN, NULL, &fd,
	    cause) == -1)
		return (-1);
	journal_segment_push(j, fd, JOURNAL_SEGMENT_MIN, &h);
	j->segments[j->nsegments - 1].created_at = h.created_at;
	return (0);
}

/* Tell whether the len bytes of fd from offset on are all zero. */
static int
journal_all_zero(int fd, uint64_t offset, uint64_t size)
{
	char	buf[65536];
	ssize_t	n;

	while (offset < size) {
		n = journal_pread(fd, buf, size - offset < sizeof buf ?
		    (size_t)(size - offset) : sizeof buf, offset);
		if (n <= 0 || !journal_zero(buf, (size_t)n))
			return (0);
		offset += (uint64_t)n;
	}
	return (1);
}

/*
 * Check segment number's place in the chain: no numbers skipped since the
 * previous file, and (for format 2) the previous segment being the one it
 * was written after.  Count what is missing.
 */
static void
journal_check_chain(struct journal *j, const struct journal_previous *prev,
    uint32_t number, const struct journal_header *h, int *broken)
{
	*broken = 0;
	if (prev->number == 0)
		return;		/* older ones were removed by retention */
	if (number > prev->number + 1) {
		j->damage.segments_missing += number - prev->number - 1;
		if (number == prev->number + 2)
			buffer_add_line(&j->warnings, "journal segment %08u is "
			    "missing", prev->number + 1);
		else
			buffer_add_line(&j->warnings,
			    "journal segments %08u to "
			    "%08u are missing", prev->number + 1, number - 1);
		return;
	}
	if (h == NULL || h->version != JOURNAL_VERSION || prev->version == 0)
		return;
	if (h->prev_number == prev->number && (prev->version !=
	    JOURNAL_VERSION || h->prev_salt == prev->salt))
		return;
	/* A segment replaced in the middle breaks two links: count one. */
	if (prev->broken)
		return;
	j->damage.segments_missing++;
	buffer_add_line(&j->warnings, "journal segment %08u was not written "
	    "after segment %08u: one of them replaced the original, which is "
	    "missing", number, prev->number);
	*broken = 1;
}

/*
 * One copy of segment seg's header is damaged: the other is used.  The
 * newest segment, which is written anyway, gets the damaged copy written
 * over with the good one, so the next damage cannot take both; older
 * segments are only ever read.
 */
static void
journal_repair_header(struct journal *j, struct segment *seg,
    const struct journal_header *h, int newest)
{
	unsigned char	header[JOURNAL_HEADER_LEN];

	if (newest) {
		journal_header_encode(header, h);
		if (journal_pwrite(seg->fd, header, sizeof header, 0) == 0 &&
		    fdatasync(seg->fd) == 0) {
			buffer_add_line(&j->warnings,
			    "journal segment %08u: one "
			    "header copy was damaged; the other is used, and "
			    "was written over it", seg->number);
			return;
		}
	}
	buffer_add_line(&j->warnings,
	    "journal segment %08u: one header copy is "
	    "damaged; the other is used", seg->number);
}

/*
 * Open segment seg->number's file, read-write when it is the newest (where
 * appends go), and read what it holds of a header into header.  Return
 * how many bytes that is, with the file's size in *size and its last write
 * in seg->written_at; -1 with *cause on failure.
 */
static ssize_t
journal_open_file(struct journal *j, struct segment *seg, int newest,
    unsigned char header[JOURNAL_HEADER_LEN], uint64_t *size, char **cause)
{
	struct stat	 sb;
	char		*path;
	ssize_t		 n = -1;

	path = journal_segment_path(j, seg->number);
	seg->fd = open(path, (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (seg->fd == -1 || fstat(seg->fd, &sb) == -1 ||
	    (n = journal_pread(seg->fd, header, JOURNAL_HEADER_LEN, 0)) == -1) {
		xasprintf(cause, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		if (seg->fd != -1)
			close(seg->fd);
		return (-1);
	}
	free(path);
	*size = (uint64_t)sb.st_size;
	seg->written_at = (int64_t)sb.st_mtim.tv_sec * 1000 +
	    sb.st_mtim.tv_nsec / 1000000;
	return (n);
}

/*
 * Check segment number's place in the chain (its header h is not read
 * when kind says it is damaged), then make it the previous segment of the
 * next.  Return what was the previous segment before it.
 */
static struct journal_previous
journal_chain_next(struct journal *j, struct journal_previous *prev,
    uint32_t number, enum journal_header_kind kind,
    const struct journal_header *h)
{
	struct journal_previous	before;
	int			broken;

	journal_check_chain(j, prev, number, kind == JOURNAL_HEADER_BAD ?
	    NULL : h, &broken);
	before = *prev;
	prev->number = number;
	prev->version = (int)h->version;
	prev->salt = h->salt;
	prev->broken = broken;
	return (before);
}

/*
 * Return what a recovered segment of size bytes takes appends up to
 * before it rolls: its size, at least JOURNAL_SEGMENT_MIN, never past the
 * cap.  A file larger than any fish writes (a copy, a sparse file) would
 * otherwise take appends past 4 GiB, whose positions are another
 * segment's, without ever rolling.
 */
static uint64_t
journal_recovered_capacity(const struct journal *j, uint64_t size)
{
	if (size > j->segment_limit)
		size = j->segment_limit;
	return (size > JOURNAL_SEGMENT_MIN ? size : JOURNAL_SEGMENT_MIN);
}

/*
 * Segment seg's header is damaged.  The newest segment with nothing but
 * zeros after it was torn while it was created and nothing ever went in:
 * its header is written again, chained to before, and it is kept (return
 * 1).  Any other is counted unreadable and skipped (return 0).  Return -1
 * with *cause on failure.
 */
static int
journal_open_damaged(struct journal *j, struct segment *seg,
    struct journal_previous *prev, const struct journal_previous *before,
    int newest, uint64_t size, char **cause)
{
	if (!newest || !journal_all_zero(seg->fd, JOURNAL_HEADER_LEN, size)) {
		j->damage.segments_unreadable++;
		buffer_add_line(&j->warnings, "journal segment %08u: header "
		    "damaged, its %llu bytes are not read", seg->number,
		    (unsigned long long)size);
		return (0);
	}
	buffer_add_line(&j->warnings, "journal segment %08u: its header was "
	    "torn when it was created; written again", seg->number);
	seg->created_at = seg->written_at = clock_wall_ms();
	if (journal_write_header(j, seg, before, cause) == -1)
		return (-1);
	prev->version = JOURNAL_VERSION;
	prev->salt = seg->frame.salt;
	seg->capacity = journal_recovered_capacity(j, size);
	return (1);
}

/*
 * Recover the records of segment seg, of size bytes and with the sound
 * header h, through scan, and set where its reads end and appends go.
 * Return 0, or -1 with *cause.
 */
static int
journal_recover_segment(struct journal *j, struct journal_scan *scan,
    struct segment *seg, const struct journal_header *h, int newest,
    uint64_t size, char **cause)
{
	seg->version = (int)h->version;
	seg->created_at = h->created_at;
	scan->fd = seg->fd;
	scan->number = seg->number;
	scan->size = size;
	scan->newest = newest;
	if (seg->version == 1) {
		if (journal_recover_v1(scan, cause) == -1)
			return (-1);
	} else {
		journal_frame_init(&seg->frame, seg->number, h->salt);
		scan->frame = &seg->frame;
		if (journal_recover(scan, cause) == -1 ||
		    (newest && journal_scrub(scan, cause) == -1))
			return (-1);
	}
	/*
	 * Reads stay within the file; appends go on where recovery says,
	 * up to the size the file was pre-written to (one written by an
	 * earlier fish, which grew by appends, takes appends up to
	 * JOURNAL_SEGMENT_MIN before a roll), never past the cap.
	 */
	seg->size = newest ? scan->resume : scan->size;
	seg->capacity = journal_recovered_capacity(j, scan->limit);
	seg->records = scan->records;
	j->records += scan->records;
	return (0);
}

/*
 * Open segment number, read its header and recover it.  Return 1 when it
 * is kept, 0 when it is unreadable (counted and skipped), -1 with *cause
 * on failure.
 */
static int
journal_open_segment(struct journal *j, struct journal_scan *scan,
    struct journal_previous *prev, uint32_t number, int newest, char **cause)
{
	struct segment		 seg;
	struct journal_header	 h;
	struct journal_previous	 before;
	unsigned char		 header[JOURNAL_HEADER_LEN];
	uint64_t		 size;
	ssize_t			 n;
	enum journal_header_kind kind;
	int			 kept;

	memset(&seg, 0, sizeof seg);
	seg.number = number;
	if ((n = journal_open_file(j, &seg, newest, header, &size, cause)) ==
	    -1)
		return (-1);
	kind = journal_header_parse(header, (size_t)n, number, &h);
	if (kind == JOURNAL_HEADER_OTHER) {
		xasprintf(cause, "journal segment %08u has format version %u; "
		    "this " FISH_NAME " reads versions 1 and 2", number,
		    h.version);
		close(seg.fd);
		return (-1);
	}
	before = journal_chain_next(j, prev, number, kind, &h);
	if (kind == JOURNAL_HEADER_BAD)
		kept = journal_open_damaged(j, &seg, prev, &before, newest,
		    size, cause);
	else {
		if (h.bad_copies > 0 && kind == JOURNAL_HEADER_V2)
			journal_repair_header(j, &seg, &h, newest);
		kept = journal_recover_segment(j, scan, &seg, &h, newest,
		    size, cause) == -1 ? -1 : 1;
	}
	if (kept == 1)
		j->segments[j->nsegments++] = seg;
	else
		close(seg.fd);
	return (kept);
}

/* Compare segment numbers for qsort. */
static int
journal_compare_numbers(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/*
 * Remove a segment file a crash left half prepared (never renamed into
 * place, so never used).
 */
static void
journal_remove_leftover(struct journal *j, const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", j->dir, name);
	if (unlink(path) == -1 && errno != ENOENT)
		buffer_add_line(&j->warnings, "journal: cannot remove '%s', a "
		    "segment left half prepared: %s", path, strerror(errno));
	free(path);
}

/*
 * List the segment numbers in the journal directory, sorted; remove
 * leftovers of segments being prepared.
 */
static uint32_t *
journal_list(struct journal *j, size_t *count, char **cause)
{
	DIR		*d;
	struct dirent	*de;
	uint32_t	*numbers = NULL;
	unsigned int	 number;
	size_t		 n = 0;
	char		 tail[16];

	if ((d = opendir(j->dir)) == NULL) {
		xasprintf(cause, "cannot read '%s': %s", j->dir,
		    strerror(errno));
		return (NULL);
	}
	while ((de = readdir(d)) != NULL) {
		if (strlen(de->d_name) == 8 + strlen(JOURNAL_PREPARE_SUFFIX) &&
		    sscanf(de->d_name, "%8u%15s", &number, tail) == 2 &&
		    strcmp(tail, JOURNAL_PREPARE_SUFFIX) == 0) {
			journal_remove_leftover(j, de->d_name);
			continue;
		}
		if (strlen(de->d_name) != 16 ||
		    sscanf(de->d_name, "%8u%15s", &number, tail) != 2 ||
		    strcmp(tail, ".journal") != 0 || number == 0)
			continue;
		numbers = xreallocarray(numbers, n + 1, sizeof *numbers);
		numbers[n++] = number;
	}
	closedir(d);
	if (n > 0)
		qsort(numbers, n, sizeof *numbers, journal_compare_numbers);
	*count = n;
	return (numbers == NULL ? xcalloc(1, sizeof *numbers) : numbers);
}

/* Read segment number's header from its file; return how it was found. */
static enum journal_header_kind
journal_peek_header(struct journal *j, uint32_t number, int flags, int *fd,
    struct journal_header *h, uint64_t *size)
{
	unsigned char	 header[JOURNAL_HEADER_LEN];
	struct stat	 sb;
	char		*path;
	ssize_t		 n;

	memset(h, 0, sizeof *h);
	path = journal_segment_path(j, number);
	*fd = open(path, flags | O_CLOEXEC);
	free(path);
	if (*fd == -1)
		return (JOURNAL_HEADER_BAD);
	if (fstat(*fd, &sb) == -1 ||
	    (n = journal_pread(*fd, header, sizeof header, 0)) == -1)
		return (JOURNAL_HEADER_BAD);
	*size = (uint64_t)sb.st_size;
	return (journal_header_parse(header, (size_t)n, number, h));
}

/*
 * Tell whether segment number is one prepared after segment before and
 * never used: the next number, a sound header that names before (by
 * number and salt), and nothing but zeros after it.  If so, fill
 * *prepared (its file open read-write).
 */
static int
journal_prepared_after(struct journal *j, uint32_t before, uint32_t number,
    struct journal_prepared *prepared)
{
	struct journal_header	 h, prev;
	uint64_t		 size, prev_size;
	int			 fd, prev_fd, found = 0;

	if (number != before + 1)
		return (0);
	if (journal_peek_header(j, before, O_RDONLY, &prev_fd, &prev,
	    &prev_size) != JOURNAL_HEADER_V2) {
		if (prev_fd != -1)
			close(prev_fd);
		return (0);
	}
	close(prev_fd);
	if (journal_peek_header(j, number, O_RDWR, &fd, &h, &size) ==
	    JOURNAL_HEADER_V2 && h.bad_copies == 0 &&
	    h.prev_number == before && h.prev_salt == prev.salt &&
	    journal_all_zero(fd, JOURNAL_HEADER_LEN, size)) {
		prepared->fd = fd;
		prepared->size = size;
		prepared->header = h;
		found = 1;
	} else if (fd != -1)
		close(fd);
	return (found);
}

/*
 * Recover every segment of the journal, oldest first.  A segment prepared
 * and never used is set aside for the next roll: appends resume in the
 * one before it.
 */
int
journal_recover_all(struct journal *j, journal_replay_cb cb, void *arg,
    char **cause)
{
	struct journal_previous	 prev = { 0, 0, 0, 0 };
	struct journal_prepared	 prepared;
	struct journal_scan	 scan;
	struct buffer		 chunk, record;
	uint32_t		*numbers;
	size_t			 count, i;
	int			 error = 0, unused = 0;

	if ((numbers = journal_list(j, &count, cause)) == NULL)
		return (-1);
	if (count >= 2 && journal_prepared_after(j, numbers[count - 2],
	    numbers[count - 1], &prepared)) {
		unused = 1;
		count--;
	}
	buffer_init(&chunk);
	buffer_init(&record);
	memset(&scan, 0, sizeof scan);
	scan.cb = cb;
	scan.arg = arg;
	scan.chunk = &chunk;
	scan.record = &record;
	scan.warnings = &j->warnings;
	scan.damage = &j->damage;
	j->segments = xcalloc(count + 1, sizeof *j->segments);
	for (i = 0; i < count; i++) {
		if (journal_open_segment(j, &scan, &prev, numbers[i],
		    i == count - 1, cause) == -1) {
			error = -1;
			break;
		}
	}
	if (count > 0)
		j->last_number = numbers[count - 1];
	if (unused && error == 0) {
		journal_preparer_adopt(j->preparer, &prepared);
		j->preparing = 1;
	} else if (unused)
		close(prepared.fd);
	free(numbers);
	buffer_release(&chunk);
	buffer_release(&record);
	return (error);
}
