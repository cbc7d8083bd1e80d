/*
 * Journal file handling: replay on open, buffered appends, group-commit
 * sync, and random reads of single records by offset (the in-memory index
 * keeps offsets, not bodies, so memory does not grow with body sizes).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "crc32c.h"
#include "journal.h"
#include "jsonptr.h"
#include "xmalloc.h"

/* A record's fixed part: length and checksum. */
#define RECORD_HEAD_LEN 8

struct journal {
	int		 fd;
	char		*path;
	uint64_t	 synced;	/* bytes on disk */
	uint64_t	 records;
	struct buffer	 pending;	/* appended, not yet written */
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

/* Write all of len bytes; return -1 on error. */
static int
journal_write_all(int fd, const void *buf, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (-1);
		buf = (const char *)buf + n;
		len -= (size_t)n;
	}
	return (0);
}

/* Fsync the directory holding path, so a new file's name is durable. */
static int
journal_sync_dir(const char *path)
{
	char	*copy, *dir;
	int	 fd, error;

	copy = xstrdup(path);
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd == -1)
		return (-1);
	error = fsync(fd);
	close(fd);
	return (error);
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
 * Replay every record through cb.  A damaged record is skipped by searching
 * for the next verifiable one; damage that runs to the end of the file (a
 * torn tail) is cut off.  Either is reported through *warning.
 */
static int
journal_replay(struct journal *j, uint64_t file_size, journal_replay_cb cb,
    void *arg, char **warning, char **cause)
{
	struct buffer		storage;
	struct journal_record	r;
	uint64_t		offset = JOURNAL_HEADER_LEN, bad;
	ssize_t			n;

	buffer_init(&storage);
	while ((n = journal_read_at(j->fd, offset, file_size, &storage,
	    &r)) != 0) {
		if (n > 0) {
			cb(&r, arg);
			json_object_put(r.json);
			j->records++;
			offset += (uint64_t)n;
			continue;
		}
		/* Look for the next record that verifies. */
		bad = offset;
		do
			offset++;
		while (offset < file_size &&
		    journal_read_at(j->fd, offset, file_size, &storage, &r) < 0);
		if (offset < file_size) {
			json_object_put(r.json);
			free(*warning);
			xasprintf(warning, "journal '%s': skipped %llu damaged "
			    "bytes at offset %llu", j->path,
			    (unsigned long long)(offset - bad),
			    (unsigned long long)bad);
			continue;
		}
		free(*warning);
		xasprintf(warning, "journal '%s': cut a torn tail of %llu "
		    "bytes at offset %llu", j->path,
		    (unsigned long long)(file_size - bad),
		    (unsigned long long)bad);
		if (ftruncate(j->fd, (off_t)bad) == -1 || fdatasync(j->fd) == -1) {
			xasprintf(cause, "cannot cut journal '%s': %s", j->path,
			    strerror(errno));
			buffer_release(&storage);
			return (-1);
		}
		file_size = offset = bad;
		break;
	}
	buffer_release(&storage);
	j->synced = file_size;
	return (0);
}

/* Write the header of a new, empty journal and make it durable. */
static int
journal_create(struct journal *j, char **cause)
{
	unsigned char	header[JOURNAL_HEADER_LEN];

	memset(header, 0, sizeof header);
	memcpy(header, JOURNAL_MAGIC, 8);
	put_u32(header + 8, JOURNAL_VERSION);
	if (journal_write_all(j->fd, header, sizeof header) == -1 ||
	    fsync(j->fd) == -1 || journal_sync_dir(j->path) == -1) {
		xasprintf(cause, "cannot create journal '%s': %s", j->path,
		    strerror(errno));
		return (-1);
	}
	j->synced = JOURNAL_HEADER_LEN;
	return (0);
}

/*
 * Open (creating if needed) the journal at path and replay it through cb.
 * Return NULL with *cause on failure; *warning (if set) describes damage
 * that was repaired and should be logged.
 */
struct journal *
journal_open(const char *path, journal_replay_cb cb, void *arg,
    char **warning, char **cause)
{
	struct journal	*j;
	struct stat	 sb;
	unsigned char	 header[JOURNAL_HEADER_LEN];

	*warning = NULL;
	j = xcalloc(1, sizeof *j);
	j->path = xstrdup(path);
	buffer_init(&j->pending);
	j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (j->fd == -1 || fstat(j->fd, &sb) == -1) {
		xasprintf(cause, "cannot open journal '%s': %s", path,
		    strerror(errno));
		goto fail;
	}
	if (sb.st_size < JOURNAL_HEADER_LEN) {
		/* Empty, or a header torn while being created. */
		if (ftruncate(j->fd, 0) == -1 || journal_create(j, cause) == -1)
			goto fail;
		return (j);
	}
	if (journal_pread(j->fd, header, sizeof header, 0) != sizeof header ||
	    memcmp(header, JOURNAL_MAGIC, 8) != 0) {
		xasprintf(cause, "'%s' is not a fish journal", path);
		goto fail;
	}
	if (get_u32(header + 8) != JOURNAL_VERSION) {
		xasprintf(cause, "journal '%s' has format version %u; this fish "
		    "reads version %u", path, get_u32(header + 8),
		    JOURNAL_VERSION);
		goto fail;
	}
	if (journal_replay(j, (uint64_t)sb.st_size, cb, arg, warning,
	    cause) == -1)
		goto fail;
	return (j);
fail:
	journal_close(j);
	return (NULL);
}

/* Close the journal; unsynced appends are dropped. */
void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	buffer_release(&j->pending);
	free(j->path);
	free(j);
}

/*
 * Append a record (not yet durable: see journal_sync) and return its offset,
 * by which journal_read finds it again.
 */
uint64_t
journal_append(struct journal *j, enum journal_type type,
    struct json_object *json, const void *body, size_t body_len)
{
	const char	*text;
	size_t		 text_len, start;
	uint64_t	 offset;
	uint32_t	 len;

	text = json_object_to_json_string_length(json,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &text_len);
	len = (uint32_t)(5 + text_len + body_len);
	offset = j->synced + buffer_unread(&j->pending);
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
	return (offset);
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
	size_t	n = buffer_unread(&j->pending);

	if (n == 0)
		return (0);
	if (journal_write_all(j->fd, buffer_peek(&j->pending), n) == -1) {
		xasprintf(cause, "cannot write journal '%s': %s", j->path,
		    strerror(errno));
		return (-1);
	}
	if (getenv("FISH_TEST_FAIL_FSYNC") != NULL)
		errno = EIO;
	else if (fdatasync(j->fd) == 0) {
		j->synced += n;
		buffer_clear(&j->pending);
		return (0);
	}
	xasprintf(cause, "cannot sync journal '%s': %s", j->path,
	    strerror(errno));
	return (-1);
}

/*
 * Read the record at offset (as returned by journal_append).  The record
 * owns its storage; free it with journal_record_release.
 */
int
journal_read(struct journal *j, uint64_t offset, struct journal_record *r,
    char **cause)
{
	struct buffer	storage;
	ssize_t		n;

	memset(r, 0, sizeof *r);
	buffer_init(&storage);
	if (offset >= j->synced) {
		/* Still in the pending buffer. */
		size_t	at = (size_t)(offset - j->synced);
		uint32_t len;

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
		r->offset = offset;
	} else {
		n = journal_read_at(j->fd, offset, j->synced, &storage, r);
		if (n <= 0)
			goto bad;
	}
	r->storage = storage.data;
	return (0);
bad:
	buffer_release(&storage);
	xasprintf(cause, "journal '%s': no valid record at offset %llu",
	    j->path, (unsigned long long)offset);
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

/* Return the journal's size in bytes, including unsynced appends. */
uint64_t
journal_bytes(const struct journal *j)
{
	return (j->synced + buffer_unread(&j->pending));
}

/* Return how many records the journal holds. */
uint64_t
journal_records(const struct journal *j)
{
	return (j->records);
}
