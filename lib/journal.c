/*
 * Journal segments: replay on open, buffered appends to the newest segment,
 * group-commit sync, rolling to a new segment and dropping old ones, and
 * random reads of single records by position (the in-memory index keeps
 * positions, not bodies, so memory does not grow with body sizes).
 *
 * A position is the segment number in the high 32 bits and the byte offset
 * of the record in that segment in the low 32 bits.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "crc32c.h"
#include "journal.h"
#include "jsonptr.h"
#include "xmalloc.h"

/* A record's fixed part: length and checksum. */
#define RECORD_HEAD_LEN 8

struct segment {
	uint32_t	 number;
	int		 fd;
	uint64_t	 size;		/* bytes on disk */
	int64_t		 created_at;	/* unix ms, from the header */
	int64_t		 written_at;	/* unix ms of the last sync */
	uint64_t	 records;
};

struct journal {
	char		*dir;
	struct segment	*segments;	/* oldest first; the last is active */
	size_t		 nsegments;
	uint32_t	 last_number;	/* highest on disk, even if
					   skipped */
	uint64_t	 records;
	struct buffer	 pending;	/* appended to the active segment,
					   not yet written */
	char		*warning;
};

/* Read exactly len bytes at offset; return bytes read, -1 on error. */
static ssize_t
journal_pread(int fd, void *buf, size_t len, uint64_t offset)
{
	size_t	done = 0;
	ssize_t	n;

	while (done < len) {
		n = pread(fd, (char *)buf + done, len - done,
		    (off_t)(offset + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return ((ssize_t)done);
}

/* Fsync a directory, so names created or removed in it are durable. */
static int
journal_sync_dir(const char *dir)
{
	int	fd, error;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	error = fsync(fd);
	close(fd);
	return (error);
}

/* Return the wall clock in unix milliseconds. */
static int64_t
journal_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Return the path of segment number; caller frees. */
static char *
journal_segment_path(const struct journal *j, uint32_t number)
{
	char	*path;

	xasprintf(&path, "%s/%08u.journal", j->dir, number);
	return (path);
}

/* Add a warning about repaired damage to the ones already collected. */
static void __attribute__((__format__(__printf__, 2, 3)))
journal_warn(struct journal *j, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *joined;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	if (j->warning == NULL) {
		j->warning = line;
		return;
	}
	xasprintf(&joined, "%s; %s", j->warning, line);
	free(j->warning);
	free(line);
	j->warning = joined;
}

/*
 * Decode the record whose L bytes (after length and checksum) are in data.
 * Return 0, or -1 when the contents are not a well-formed record.
 */
static int
journal_decode(const char *data, size_t len, struct journal_record *r)
{
	uint32_t	 json_len;
	char		*cause;

	if (len < 5)
		return (-1);
	r->type = (enum journal_type)(unsigned char)data[0];
	json_len = get_u32(data + 1);
	if (json_len == 0 || json_len > len - 5)
		return (-1);
	r->json = jsonptr_parse(data + 5, json_len, &cause);
	if (r->json == NULL) {
		free(cause);
		return (-1);
	}
	if (!json_object_is_type(r->json, json_type_object)) {
		json_object_put(r->json);
		r->json = NULL;
		return (-1);
	}
	r->body = data + 5 + json_len;
	r->body_len = len - 5 - json_len;
	return (0);
}

/*
 * Try to read a valid record at offset.  Return its total size, 0 at a clean
 * end of file, or -1 when the bytes there are not a valid record.  storage
 * is reused between calls.
 */
static ssize_t
journal_read_at(int fd, uint64_t offset, uint64_t file_size,
    struct buffer *storage, struct journal_record *r)
{
	unsigned char	head[RECORD_HEAD_LEN];
	uint32_t	len, crc;

	if (offset == file_size)
		return (0);
	if (file_size - offset < RECORD_HEAD_LEN ||
	    journal_pread(fd, head, sizeof head, offset) != sizeof head)
		return (-1);
	len = get_u32(head);
	crc = get_u32(head + 4);
	if (len < 5 || len > JOURNAL_RECORD_MAX ||
	    len > file_size - offset - RECORD_HEAD_LEN)
		return (-1);
	buffer_clear(storage);
	buffer_reserve(storage, len);
	if (journal_pread(fd, storage->data, len, offset + RECORD_HEAD_LEN) !=
	    (ssize_t)len)
		return (-1);
	if (crc32c(0, storage->data, len) != crc)
		return (-1);
	r->offset = offset;
	r->storage = NULL;
	if (journal_decode(storage->data, len, r) == -1)
		return (-1);
	return ((ssize_t)(RECORD_HEAD_LEN + len));
}

/*
 * Replay every record of segment seg through cb.  A damaged record is
 * skipped by searching for the next verifiable one; damage that runs to the
 * end of the newest segment (a torn tail) is cut off.  Both are reported
 * through the journal's warning.
 */
static int
journal_replay(struct journal *j, struct segment *seg, int newest,
    journal_replay_cb cb, void *arg, char **cause)
{
	struct buffer		storage;
	struct journal_record	r;
	uint64_t		offset = JOURNAL_HEADER_LEN, bad;
	uint64_t		file_size = seg->size;
	ssize_t			n;

	buffer_init(&storage);
	while ((n = journal_read_at(seg->fd, offset, file_size, &storage,
	    &r)) != 0) {
		if (n > 0) {
			r.offset = (uint64_t)seg->number << 32 | offset;
			cb(&r, arg);
			json_object_put(r.json);
			j->records++;
			seg->records++;
			offset += (uint64_t)n;
			continue;
		}
		/* Look for the next record that verifies. */
		bad = offset;
		do
			offset++;
		while (offset < file_size && journal_read_at(seg->fd, offset,
		    file_size, &storage, &r) < 0);
		if (offset < file_size) {
			json_object_put(r.json);
			journal_warn(j, "segment %08u: skipped %llu damaged bytes "
			    "at offset %llu", seg->number,
			    (unsigned long long)(offset - bad),
			    (unsigned long long)bad);
			continue;
		}
		if (!newest) {
			journal_warn(j, "segment %08u: skipped %llu damaged bytes "
			    "at its end", seg->number,
			    (unsigned long long)(file_size - bad));
			break;
		}
		journal_warn(j, "segment %08u: cut a torn tail of %llu bytes at "
		    "offset %llu", seg->number,
		    (unsigned long long)(file_size - bad),
		    (unsigned long long)bad);
		if (ftruncate(seg->fd, (off_t)bad) == -1 ||
		    fdatasync(seg->fd) == -1) {
			xasprintf(cause, "cannot cut journal segment %08u: %s",
			    seg->number, strerror(errno));
			buffer_release(&storage);
			return (-1);
		}
		seg->size = bad;
		break;
	}
	buffer_release(&storage);
	return (0);
}

/* Write a new segment's header and make the file and its name durable. */
static int
journal_write_header(struct journal *j, struct segment *seg, char **cause)
{
	unsigned char	header[JOURNAL_HEADER_LEN];

	memset(header, 0, sizeof header);
	memcpy(header, JOURNAL_MAGIC, 8);
	put_u32(header + 8, JOURNAL_VERSION);
	put_u32(header + 12, seg->number);
	put_u32(header + 16, (uint32_t)((uint64_t)seg->created_at >> 32));
	put_u32(header + 20, (uint32_t)seg->created_at);
	if (ftruncate(seg->fd, 0) == -1 ||
	    write_all(seg->fd, header, sizeof header) == -1 ||
	    fsync(seg->fd) == -1 || journal_sync_dir(j->dir) == -1) {
		xasprintf(cause, "cannot create journal segment %08u in '%s': "
		    "%s", seg->number, j->dir, strerror(errno));
		return (-1);
	}
	seg->size = JOURNAL_HEADER_LEN;
	return (0);
}

/* Append a new, empty segment after the newest one. */
static int
journal_new_segment(struct journal *j, char **cause)
{
	struct segment	*seg;
	char		*path;
	uint32_t	 number = j->last_number + 1;

	path = journal_segment_path(j, number);
	j->segments = xreallocarray(j->segments, j->nsegments + 1,
	    sizeof *j->segments);
	seg = &j->segments[j->nsegments];
	memset(seg, 0, sizeof *seg);
	seg->number = number;
	seg->created_at = seg->written_at = journal_now();
	seg->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (seg->fd == -1) {
		xasprintf(cause, "cannot create '%s': %s", path,
		    strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	if (journal_write_header(j, seg, cause) == -1) {
		close(seg->fd);
		return (-1);
	}
	j->nsegments++;
	j->last_number = number;
	return (0);
}

/*
 * Open segment number and check its header.  Return 1 when it is usable, 0
 * when it must be skipped (with a warning), -1 with *cause on failure.
 */
static int
journal_open_segment(struct journal *j, struct segment *seg, uint32_t number,
    int newest, char **cause)
{
	unsigned char	 header[JOURNAL_HEADER_LEN];
	struct stat	 sb;
	char		*path;

	memset(seg, 0, sizeof *seg);
	seg->number = number;
	path = journal_segment_path(j, number);
	seg->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (seg->fd == -1 || fstat(seg->fd, &sb) == -1) {
		xasprintf(cause, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	seg->size = (uint64_t)sb.st_size;
	seg->written_at = (int64_t)sb.st_mtim.tv_sec * 1000 +
	    sb.st_mtim.tv_nsec / 1000000;
	if (seg->size < JOURNAL_HEADER_LEN && newest) {
		/* A header torn while the segment was being created. */
		seg->created_at = journal_now();
		return (journal_write_header(j, seg, cause) == -1 ? -1 : 1);
	}
	if (seg->size < JOURNAL_HEADER_LEN ||
	    journal_pread(seg->fd, header, sizeof header, 0) !=
	    sizeof header || memcmp(header, JOURNAL_MAGIC, 8) != 0 ||
	    get_u32(header + 12) != number) {
		journal_warn(j, "segment %08u has no valid header; skipped",
		    number);
		close(seg->fd);
		return (0);
	}
	if (get_u32(header + 8) != JOURNAL_VERSION) {
		xasprintf(cause, "journal segment %08u has format version %u; "
		    "this fish reads version %u", number, get_u32(header + 8),
		    JOURNAL_VERSION);
		close(seg->fd);
		return (-1);
	}
	seg->created_at = (int64_t)get_u64(header + 16);
	return (1);
}

/* Compare segment numbers for qsort. */
static int
journal_compare_numbers(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x < y ? -1 : x > y);
}

/* List the segment numbers in the journal directory, sorted. */
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

/*
 * Open (creating if needed) the journal directory dir and replay every
 * segment through cb, oldest first.  Return NULL with *cause on failure;
 * *warning (if set) describes damage that was repaired and should be
 * logged.
 */
struct journal *
journal_open(const char *dir, journal_replay_cb cb, void *arg,
    char **warning, char **cause)
{
	struct journal	*j;
	uint32_t	*numbers;
	size_t		 count, i;
	char		*parent;
	int		 ret;

	*warning = NULL;
	j = xcalloc(1, sizeof *j);
	j->dir = xstrdup(dir);
	buffer_init(&j->pending);
	if (mkdir(dir, 0700) == 0) {
		parent = xstrdup(dir);
		journal_sync_dir(dirname(parent));
		free(parent);
	} else if (errno != EEXIST) {
		xasprintf(cause, "cannot create '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if ((numbers = journal_list(j, &count, cause)) == NULL)
		goto fail;
	j->segments = xcalloc(count + 1, sizeof *j->segments);
	for (i = 0; i < count; i++) {
		ret = journal_open_segment(j, &j->segments[j->nsegments],
		    numbers[i], i == count - 1, cause);
		if (ret == -1) {
			free(numbers);
			goto fail;
		}
		if (ret == 0)
			continue;
		j->nsegments++;
		if (journal_replay(j, &j->segments[j->nsegments - 1],
		    i == count - 1, cb, arg, cause) == -1) {
			free(numbers);
			goto fail;
		}
	}
	if (count > 0)
		j->last_number = numbers[count - 1];
	free(numbers);
	/* Never append to a segment before one that was skipped. */
	if ((j->nsegments == 0 ||
	    j->segments[j->nsegments - 1].number != j->last_number) &&
	    journal_new_segment(j, cause) == -1)
		goto fail;
	*warning = j->warning;
	j->warning = NULL;
	return (j);
fail:
	journal_close(j);
	return (NULL);
}

/* Close the journal; unsynced appends are dropped. */
void
journal_close(struct journal *j)
{
	size_t	i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nsegments; i++)
		close(j->segments[i].fd);
	free(j->segments);
	buffer_release(&j->pending);
	free(j->warning);
	free(j->dir);
	free(j);
}

/* Return the newest segment, where appends go. */
static struct segment *
journal_active(const struct journal *j)
{
	return (&j->segments[j->nsegments - 1]);
}

/*
 * Append a record (not yet durable: see journal_sync) and return its
 * position, by which journal_read finds it again.
 */
uint64_t
journal_append(struct journal *j, enum journal_type type,
    struct json_object *json, const void *body, size_t body_len)
{
	struct segment	*seg = journal_active(j);
	const char	*text;
	size_t		 text_len, start;
	uint64_t	 offset;
	uint32_t	 len;

	text = json_object_to_json_string_length(json,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &text_len);
	len = (uint32_t)(5 + text_len + body_len);
	offset = seg->size + buffer_unread(&j->pending);
	buffer_add_u32(&j->pending, len);
	buffer_add_u32(&j->pending, 0);
	start = j->pending.len;
	buffer_add(&j->pending, (char[]){ (char)type }, 1);
	buffer_add_u32(&j->pending, (uint32_t)text_len);
	buffer_add(&j->pending, text, text_len);
	buffer_add(&j->pending, body, body_len);
	put_u32(j->pending.data + start - 4,
	    crc32c(0, j->pending.data + start, len));
	j->records++;
	seg->records++;
	return ((uint64_t)seg->number << 32 | offset);
}

/* Tell whether there are appends not yet durable. */
int
journal_dirty(const struct journal *j)
{
	return (buffer_unread(&j->pending) != 0);
}

/*
 * Write pending appends and fdatasync them.  A failure here must be treated
 * as fatal by the caller: after a failed fsync the kernel may have dropped
 * the dirty pages, and a retry can report success for data that is gone.
 */
int
journal_sync(struct journal *j, char **cause)
{
	struct segment	*seg = journal_active(j);
	size_t		 n = buffer_unread(&j->pending);

	if (n == 0)
		return (0);
	if (write_all(seg->fd, buffer_peek(&j->pending), n) == -1) {
		xasprintf(cause, "cannot write journal segment %08u: %s",
		    seg->number, strerror(errno));
		return (-1);
	}
#ifdef FISH_TEST_HOOKS
	/* Test builds only: simulate a failing disk. */
	if (getenv("FISH_TEST_FAIL_FSYNC") != NULL) {
		xasprintf(cause, "cannot sync journal segment %08u: %s",
		    seg->number, strerror(EIO));
		return (-1);
	}
#endif
	if (fdatasync(seg->fd) == -1) {
		xasprintf(cause, "cannot sync journal segment %08u: %s",
		    seg->number, strerror(errno));
		return (-1);
	}
	seg->size += n;
	seg->written_at = journal_now();
	buffer_clear(&j->pending);
	return (0);
}

/* Find a segment by number. */
static struct segment *
journal_find_segment(const struct journal *j, uint32_t number)
{
	size_t	i;

	for (i = j->nsegments; i > 0; i--) {
		if (j->segments[i - 1].number == number)
			return (&j->segments[i - 1]);
	}
	return (NULL);
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
	size_t		 at;
	uint32_t	 len;
	ssize_t		 n;

	memset(r, 0, sizeof *r);
	buffer_init(&storage);
	if ((seg = journal_find_segment(j, (uint32_t)(position >> 32))) == NULL)
		goto bad;
	if (seg == journal_active(j) && offset >= seg->size) {
		/* Still in the pending buffer. */
		at = (size_t)(offset - seg->size);
		if (at + RECORD_HEAD_LEN > buffer_unread(&j->pending))
			goto bad;
		len = get_u32(buffer_peek(&j->pending) + at);
		if (len < 5 || len > buffer_unread(&j->pending) - at -
		    RECORD_HEAD_LEN)
			goto bad;
		buffer_add(&storage, buffer_peek(&j->pending) + at +
		    RECORD_HEAD_LEN, len);
		if (journal_decode(storage.data, len, r) == -1)
			goto bad;
	} else {
		n = journal_read_at(seg->fd, offset, seg->size, &storage, r);
		if (n <= 0)
			goto bad;
	}
	r->offset = position;
	r->storage = storage.data;
	return (0);
bad:
	buffer_release(&storage);
	xasprintf(cause, "journal: no valid record at segment %08u offset %llu",
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
 * Start a new segment; later appends go there.  Pending appends must have
 * been synced first.
 */
int
journal_roll(struct journal *j, char **cause)
{
	if (journal_dirty(j)) {
		*cause = xstrdup("journal: cannot roll with unsynced records");
		return (-1);
	}
	return (journal_new_segment(j, cause));
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
		if (seg->written_at >= cutoff)
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
