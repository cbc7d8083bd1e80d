/*
 * Journal segments: recovery on open (journal-recover.c does each
 * segment; here, the order, the headers and the chain between segments),
 * buffered appends to the newest segment, group-commit sync, rolling to a
 * new segment and dropping old ones, and random reads of single records
 * by position (the in-memory index keeps positions, not bodies, so memory
 * does not grow with body sizes).
 *
 * A position is the segment number in the high 32 bits and the byte offset
 * of the record's first fragment in that segment in the low 32 bits.
 */
#include "config.h"

#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "journal.h"
#include "journal-format.h"
#include "xmalloc.h"

/* Bytes read first at a record's position to learn its length. */
#define READ_PROBE	32

struct segment {
	uint32_t		 number;
	int			 fd;
	int			 version;	/* 1 or 2 */
	struct journal_frame	 frame;		/* format 2 */
	uint64_t		 size;		/* written and synced */
	int64_t			 created_at;	/* unix ms, from the header */
	int64_t			 written_at;	/* unix ms of the last sync */
	uint64_t		 records;
};

struct journal {
	char			*dir;
	struct segment		*segments;	/* oldest first; the last is
						   active */
	size_t			 nsegments;
	uint32_t		 last_number;	/* highest on disk, even if
						   unreadable */
	uint64_t		 records;
	struct buffer		 pending;	/* appended to the active
						   segment, not yet written */
	struct journal_damage	 damage;
	struct buffer		 warnings;
};

/* What journal_open knows of the segment file before the one it opens. */
struct journal_previous {
	uint32_t	number;		/* 0: none */
	int		version;	/* 0: unreadable */
	uint64_t	salt;
	int		broken;		/* it did not follow the one before */
};

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

/* Write all of len bytes at offset.  Return 0, or -1 with errno. */
static int
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
	if (ftruncate(seg->fd, 0) == -1 ||
	    journal_pwrite(seg->fd, header, sizeof header, 0) == -1 ||
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

/* Append a new, empty segment after the newest one. */
static int
journal_new_segment(struct journal *j, char **cause)
{
	struct journal_previous	 prev = journal_previous_of(j);
	struct segment		*seg;
	char			*path;
	uint32_t		 number = j->last_number + 1;

	path = journal_segment_path(j, number);
	j->segments = xreallocarray(j->segments, j->nsegments + 1,
	    sizeof *j->segments);
	seg = &j->segments[j->nsegments];
	memset(seg, 0, sizeof *seg);
	seg->number = number;
	seg->created_at = seg->written_at = journal_now();
	seg->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (seg->fd == -1) {
		xasprintf(cause, "cannot create '%s': %s", path,
		    strerror(errno));
		free(path);
		return (-1);
	}
	free(path);
	if (journal_write_header(j, seg, &prev, cause) == -1) {
		close(seg->fd);
		return (-1);
	}
	j->nsegments++;
	j->last_number = number;
	return (0);
}

/* Tell whether the len bytes of fd from offset on are all zero. */
static int
journal_all_zero(int fd, uint64_t offset, uint64_t size)
{
	char	buf[65536];
	ssize_t	n, i;

	while (offset < size) {
		n = journal_pread(fd, buf, size - offset < sizeof buf ?
		    (size_t)(size - offset) : sizeof buf, offset);
		if (n <= 0)
			return (0);
		for (i = 0; i < n; i++) {
			if (buf[i] != 0)
				return (0);
		}
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
			journal_warn(&j->warnings, "journal segment %08u is "
			    "missing", prev->number + 1);
		else
			journal_warn(&j->warnings, "journal segments %08u to "
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
	journal_warn(&j->warnings, "journal segment %08u was not written "
	    "after segment %08u: one of them replaced the original, which is "
	    "missing", number, prev->number);
	*broken = 1;
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
	struct stat		 sb;
	char			*path;
	ssize_t			 n;
	enum journal_header_kind kind;
	int			 broken;

	memset(&seg, 0, sizeof seg);
	seg.number = number;
	path = journal_segment_path(j, number);
	seg.fd = open(path, (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (seg.fd == -1 || fstat(seg.fd, &sb) == -1 ||
	    (n = journal_pread(seg.fd, header, sizeof header, 0)) == -1) {
		xasprintf(cause, "cannot open '%s': %s", path, strerror(errno));
		free(path);
		if (seg.fd != -1)
			close(seg.fd);
		return (-1);
	}
	free(path);
	seg.written_at = (int64_t)sb.st_mtim.tv_sec * 1000 +
	    sb.st_mtim.tv_nsec / 1000000;
	kind = journal_header_parse(header, (size_t)n, number, &h);
	if (kind == JOURNAL_HEADER_OTHER) {
		xasprintf(cause, "journal segment %08u has format version %u; "
		    "this fish reads versions 1 and 2", number, h.version);
		close(seg.fd);
		return (-1);
	}
	journal_check_chain(j, prev, number, kind == JOURNAL_HEADER_BAD ?
	    NULL : &h, &broken);
	before = *prev;
	prev->number = number;
	prev->version = (int)h.version;
	prev->salt = h.salt;
	prev->broken = broken;
	if (kind == JOURNAL_HEADER_BAD) {
		if (newest && journal_all_zero(seg.fd, JOURNAL_HEADER_LEN,
		    (uint64_t)sb.st_size)) {
			/* Torn while it was created: nothing ever went in. */
			journal_warn(&j->warnings, "journal segment %08u: its "
			    "header was torn when it was created; written again",
			    number);
			seg.created_at = seg.written_at = journal_now();
			if (journal_write_header(j, &seg, &before, cause) == -1) {
				close(seg.fd);
				return (-1);
			}
			prev->version = JOURNAL_VERSION;
			prev->salt = seg.frame.salt;
			goto keep;
		}
		j->damage.segments_unreadable++;
		journal_warn(&j->warnings, "journal segment %08u: header "
		    "damaged, its %llu bytes are not read", number,
		    (unsigned long long)sb.st_size);
		close(seg.fd);
		return (0);
	}
	if (h.bad_copies > 0)
		journal_warn(&j->warnings, "journal segment %08u: one header "
		    "copy is damaged; the other is used", number);
	seg.version = (int)h.version;
	seg.created_at = h.created_at;
	scan->fd = seg.fd;
	scan->number = number;
	scan->size = (uint64_t)sb.st_size;
	scan->newest = newest;
	if (seg.version == 1) {
		if (journal_recover_v1(scan, cause) == -1)
			goto fail;
	} else {
		journal_frame_init(&seg.frame, number, h.salt);
		scan->frame = &seg.frame;
		if (journal_recover(scan, cause) == -1 ||
		    (newest && journal_scrub(scan, cause) == -1))
			goto fail;
	}
	/* Reads stay within the file; appends go on where recovery says. */
	seg.size = newest ? scan->resume : scan->size;
	seg.records = scan->records;
	j->records += scan->records;
keep:
	j->segments[j->nsegments++] = seg;
	return (1);
fail:
	close(seg.fd);
	return (-1);
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

/* Recover every segment of the journal, oldest first. */
static int
journal_recover_all(struct journal *j, journal_replay_cb cb, void *arg,
    char **cause)
{
	struct journal_previous	 prev = { 0, 0, 0, 0 };
	struct journal_scan	 scan;
	struct buffer		 chunk, record;
	uint32_t		*numbers;
	size_t			 count, i;
	int			 error = 0;

	if ((numbers = journal_list(j, &count, cause)) == NULL)
		return (-1);
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
	free(numbers);
	buffer_release(&chunk);
	buffer_release(&record);
	return (error);
}

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
	buffer_init(&j->pending);
	buffer_init(&j->warnings);
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
	if (j->warnings.len > 0)
		*warning = buffer_detach(&j->warnings, NULL);
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
	buffer_release(&j->warnings);
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
 * Append a record whose JSON is already text (not yet durable: see
 * journal_sync) and return its position, by which journal_read finds it
 * again.  The record is encoded straight into the pending buffer.
 */
uint64_t
journal_append_text(struct journal *j, enum journal_type type,
    const char *json, size_t json_len, const void *body, size_t body_len)
{
	struct segment		*seg = journal_active(j);
	struct journal_piece	 pieces[3];
	unsigned char		 head[JOURNAL_RECORD_HEAD];
	uint64_t		 offset;

	put_u32(head, (uint32_t)(5 + json_len + body_len));
	head[4] = (unsigned char)type;
	put_u32(head + 5, (uint32_t)json_len);
	pieces[0].data = head;
	pieces[0].len = sizeof head;
	pieces[1].data = json;
	pieces[1].len = json_len;
	pieces[2].data = body;
	pieces[2].len = body_len;
	offset = journal_format_record(&j->pending, seg->size +
	    buffer_unread(&j->pending), &seg->frame, pieces, 3);
	j->records++;
	seg->records++;
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
	return (buffer_unread(&j->pending) != 0);
}

/*
 * Write pending appends at the end of the active segment and fdatasync
 * them.  A failure here must be treated as fatal by the caller: after a
 * failed fsync the kernel may have dropped the dirty pages, and a retry
 * can report success for data that is gone.
 */
int
journal_sync(struct journal *j, char **cause)
{
	struct segment	*seg = journal_active(j);
	size_t		 n = buffer_unread(&j->pending);

	if (n == 0)
		return (0);
	if (journal_pwrite(seg->fd, buffer_peek(&j->pending), n,
	    seg->size) == -1) {
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

/* Return what recovery found lost when the journal was opened. */
const struct journal_damage *
journal_damage(const struct journal *j)
{
	return (&j->damage);
}
