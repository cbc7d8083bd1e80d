/*
 * Unit tests for the journal: creating a file, appending and syncing,
 * replaying on reopen, reading records by offset before and after sync,
 * and the repairs made on open (a torn tail is cut, a damaged record in the
 * middle is skipped) as well as the files it must refuse.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "compat.h"
#include "journal.h"
#include "tap.h"
#include "xmalloc.h"

#define MAX_SEEN 16

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

/* Append fixture record i and return its offset. */
static uint64_t
append_fixture(struct journal *j, size_t i)
{
	struct json_object	*o;
	uint64_t		 offset;

	o = json_tokener_parse(fixture[i].json);
	offset = journal_append(j, fixture[i].type, o, fixture[i].body,
	    fixture[i].body_len);
	json_object_put(o);
	return (offset);
}

/* Check that a record read by offset is fixture record want. */
static int
record_is(const struct journal_record *r, size_t want)
{
	return (r->type == fixture[want].type && r->json != NULL &&
	    strcmp(json_text(r->json), fixture[want].json) == 0 &&
	    r->body_len == fixture[want].body_len &&
	    memcmp(r->body, fixture[want].body == NULL ? "" :
	    fixture[want].body, fixture[want].body_len) == 0);
}

/* Return a path in the temporary directory; caller frees. */
static char *
temp_path(const char *name)
{
	char	*path;

	xasprintf(&path, "%s/%s", tmpdir, name);
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

/* Write a new journal at path holding the three fixture records. */
static int
write_three(const char *path, uint64_t offsets[3])
{
	struct journal	*j;
	struct seen	 seen;
	char		*warning, *cause = NULL;
	size_t		 i;

	memset(&seen, 0, sizeof seen);
	j = journal_open(path, collect, &seen, &warning, &cause);
	if (j == NULL) {
		free(cause);
		return (-1);
	}
	for (i = 0; i < nitems(fixture); i++)
		offsets[i] = append_fixture(j, i);
	if (journal_sync(j, &cause) == -1) {
		free(cause);
		journal_close(j);
		return (-1);
	}
	journal_close(j);
	free(warning);
	seen_clear(&seen);
	return (0);
}

/* Open path, collecting the replay; return the journal or NULL. */
static struct journal *
reopen(const char *path, struct seen *seen, char **warning, char **cause)
{
	seen_clear(seen);
	*cause = NULL;
	return (journal_open(path, collect, seen, warning, cause));
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

/* Test creating, appending, reading by offset and replaying. */
static void
test_round_trip(void)
{
	struct journal		*j;
	struct journal_record	 r;
	struct seen		 seen;
	unsigned char		 header[JOURNAL_HEADER_LEN + 1];
	char			*path, *warning, *cause = NULL;
	uint64_t		 offsets[4], size;
	size_t			 i;
	int			 fd, ordered;

	memset(&seen, 0, sizeof seen);
	path = temp_path("journal");
	j = journal_open(path, collect, &seen, &warning, &cause);
	ok(j != NULL && cause == NULL, "open creates a new journal");
	if (j == NULL) {
		free(cause);
		free(path);
		return;
	}
	ok(warning == NULL && seen.n == 0, "a new journal replays nothing");
	is_int(file_size(path), JOURNAL_HEADER_LEN,
	    "a new journal holds just the header");
	fd = open(path, O_RDONLY);
	ok(fd != -1 && read(fd, header, sizeof header) == JOURNAL_HEADER_LEN &&
	    memcmp(header, "FISHJRNL\0\0\0\1\0\0\0\0", 16) == 0,
	    "the header is the magic, version 1 and zero");
	if (fd != -1)
		close(fd);
	is_int(journal_records(j), 0, "a new journal has no records");
	is_int(journal_bytes(j), JOURNAL_HEADER_LEN,
	    "a new journal's size is the header");
	is_int(journal_dirty(j), 0, "a new journal is clean");

	/* Append, then read back before the sync. */
	for (i = 0; i < nitems(fixture); i++)
		offsets[i] = append_fixture(j, i);
	is_int(offsets[0], JOURNAL_HEADER_LEN,
	    "the first record follows the header");
	ok(offsets[0] < offsets[1] && offsets[1] < offsets[2],
	    "offsets increase");
	is_int(offsets[1] - offsets[0], 8 + 5 + strlen(fixture[0].json),
	    "a record is head, type, JSON length, JSON and body");
	is_int(journal_records(j), 3, "journal_records counts appends");
	size = offsets[2] + 8 + 5 + strlen(fixture[2].json) +
	    fixture[2].body_len;
	is_int(journal_bytes(j), size, "journal_bytes counts pending bytes");
	is_int(journal_dirty(j), 1, "appends make the journal dirty");
	is_int(file_size(path), JOURNAL_HEADER_LEN,
	    "appends are not written before the sync");
	ok(journal_read(j, offsets[1], &r, &cause) == 0 && record_is(&r, 1) &&
	    r.offset == offsets[1], "a pending record reads back by offset");
	journal_record_release(&r);
	ok(journal_read(j, offsets[0], &r, &cause) == 0 && record_is(&r, 0),
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
		if (journal_read(j, offsets[i], &r, &cause) != 0) {
			free(cause);
			ordered = 0;
			continue;
		}
		if (!record_is(&r, i) || r.offset != offsets[i])
			ordered = 0;
		journal_record_release(&r);
	}
	ok(ordered, "synced records read back by offset");
	cause = NULL;
	ok(journal_read(j, offsets[1] + 1, &r, &cause) == -1 && cause != NULL,
	    "reading between records fails with a cause");
	ok(r.json == NULL && r.storage == NULL, "a failed read holds nothing");
	free(cause);
	cause = NULL;
	ok(journal_read(j, size + 100, &r, &cause) == -1 && cause != NULL,
	    "reading past the end fails with a cause");
	free(cause);

	/* A pending record after synced ones, then close without sync. */
	offsets[3] = append_fixture(j, 1);
	is_int(offsets[3], size, "a new append starts at the synced size");
	ok(journal_read(j, offsets[3], &r, &cause) == 0 && record_is(&r, 1),
	    "a pending record after synced ones reads back");
	journal_record_release(&r);
	ok(journal_read(j, offsets[2], &r, &cause) == 0 && record_is(&r, 2),
	    "a synced record still reads back while others are pending");
	journal_record_release(&r);
	journal_close(j);
	is_int(file_size(path), size, "close drops unsynced appends");

	/* Reopen and replay. */
	j = reopen(path, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL, "the journal reopens without warning");
	if (j == NULL) {
		free(cause);
		free(path);
		return;
	}
	is_int(seen.n, 3, "replay sees the three synced records");
	ok(seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
	    seen_is(&seen, 2, 2),
	    "replay gives types, JSON and bodies in order");
	ok(seen.offset[0] == offsets[0] && seen.offset[1] == offsets[1] &&
	    seen.offset[2] == offsets[2], "replay gives each record's offset");
	is_int(journal_records(j), 3,
	    "journal_records counts replayed records");
	is_int(journal_bytes(j), size, "journal_bytes is the file size");
	ok(journal_read(j, offsets[1], &r, &cause) == 0 && record_is(&r, 1),
	    "a replayed record reads back by offset");
	journal_record_release(&r);
	offsets[3] = append_fixture(j, 0);
	is_int(offsets[3], size, "appends after a reopen go at the end");
	ok(journal_sync(j, &cause) == 0, "a reopened journal syncs");
	journal_close(j);
	j = reopen(path, &seen, &warning, &cause);
	ok(j != NULL && warning == NULL && seen.n == 4 &&
	    seen_is(&seen, 3, 0) && seen.offset[3] == size,
	    "the record appended after reopening replays last");
	journal_close(j);
	seen_clear(&seen);
	free(path);
}

/* Test that a torn last record is cut off at several lengths. */
static void
test_torn_tail(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*path, *warning, *cause;
	uint64_t	 offsets[3], cut;
	long long	 size;
	size_t		 i;
	int		 good;
	static const size_t	keep[] = { 1, 3, 4, 7, 8, 9, 12, 13, 20 };

	memset(&seen, 0, sizeof seen);
	path = temp_path("torn");
	for (i = 0; i <= nitems(keep); i++) {
		unlink(path);
		if (write_three(path, offsets) == -1) {
			ok(0, "write a journal to tear");
			break;
		}
		size = file_size(path);
		if (i == nitems(keep))
			cut = (uint64_t)size - 1;
		else
			cut = offsets[2] + keep[i];
		if (truncate(path, (off_t)cut) == -1) {
			ok(0, "truncate the journal");
			break;
		}
		j = reopen(path, &seen, &warning, &cause);
		good = j != NULL && warning != NULL &&
		    strstr(warning, "torn tail") != NULL && seen.n == 2 &&
		    seen_is(&seen, 0, 0) && seen_is(&seen, 1, 1) &&
		    journal_records(j) == 2 && journal_bytes(j) == offsets[2] &&
		    file_size(path) == (long long)offsets[2];
		ok(good, "a tail torn %llu bytes into the last record is cut, "
		    "with a warning", (unsigned long long)(cut - offsets[2]));
		free(warning);
		if (j == NULL) {
			free(cause);
			continue;
		}
		cut = append_fixture(j, 2);
		is_int(cut, offsets[2],
		    "an append after the cut goes where the torn record was");
		ok(journal_sync(j, &cause) == 0, "the repaired journal syncs");
		journal_close(j);
		j = reopen(path, &seen, &warning, &cause);
		ok(j != NULL && warning == NULL && seen.n == 3 &&
		    seen_is(&seen, 2, 2),
		    "the repaired journal replays cleanly");
		journal_close(j);
		free(warning);
	}

	/* A cut exactly between records is no damage. */
	unlink(path);
	if (write_three(path, offsets) == 0 &&
	    truncate(path, (off_t)offsets[2]) == 0) {
		j = reopen(path, &seen, &warning, &cause);
		ok(j != NULL && warning == NULL && seen.n == 2,
		    "a file ending between records opens without warning");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a file ending between records opens without warning");

	/* A header torn while being created is rewritten. */
	unlink(path);
	if (write_file(path, "FISHJ", 5) == 0) {
		j = reopen(path, &seen, &warning, &cause);
		ok(j != NULL && seen.n == 0 &&
		    file_size(path) == JOURNAL_HEADER_LEN,
		    "a torn header is replaced by a fresh one");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a torn header is replaced by a fresh one");
	seen_clear(&seen);
	free(path);
}

/* Test that a damaged record in the middle is skipped. */
static void
test_damaged_middle(void)
{
	struct journal	*j;
	struct seen	 seen;
	char		*path, *warning, *cause;
	uint64_t	 offsets[3];
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
	path = temp_path("damaged");
	for (i = 0; i < nitems(where); i++) {
		unlink(path);
		if (write_three(path, offsets) == -1 ||
		    flip_byte(path, (off_t)offsets[1] + where[i].at) == -1) {
			ok(0, "write a journal to damage");
			break;
		}
		size = file_size(path);
		j = reopen(path, &seen, &warning, &cause);
		ok(j != NULL && warning != NULL &&
		    strstr(warning, "skipped") != NULL && seen.n == 2 &&
		    seen_is(&seen, 0, 0) && seen_is(&seen, 1, 2) &&
		    seen.offset[1] == offsets[2] && journal_records(j) == 2,
		    "a flipped byte in %s drops only the middle record",
		    where[i].what);
		if (j == NULL) {
			free(cause);
			free(warning);
			continue;
		}
		ok(journal_bytes(j) == (uint64_t)size &&
		    file_size(path) == size,
		    "the damaged file is kept whole");
		journal_close(j);
		free(warning);
	}
	seen_clear(&seen);
	free(path);
}

/* Test the files open must refuse. */
static void
test_refused(void)
{
	struct journal	*j;
	struct seen	 seen;
	unsigned char	 header[JOURNAL_HEADER_LEN + 8];
	char		*path, *warning, *cause;
	uint64_t	 offsets[3];

	memset(&seen, 0, sizeof seen);
	path = temp_path("refused");
	memset(header, 0, sizeof header);
	memcpy(header, "NOTAJRNL", 8);
	put_u32(header + 8, JOURNAL_VERSION);
	write_file(path, header, sizeof header);
	j = reopen(path, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL &&
	    strstr(cause, "not a fish journal") != NULL,
	    "a file with the wrong magic is refused");
	free(cause);
	free(warning);
	is_int(file_size(path), sizeof header, "a refused file is left alone");

	memcpy(header, JOURNAL_MAGIC, 8);
	put_u32(header + 8, JOURNAL_VERSION + 1);
	write_file(path, header, JOURNAL_HEADER_LEN);
	j = reopen(path, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, "version 2") != NULL,
	    "a file with a newer version is refused");
	free(cause);
	free(warning);

	put_u32(header + 8, 0);
	write_file(path, header, JOURNAL_HEADER_LEN);
	j = reopen(path, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL, "a file with version 0 is refused");
	free(cause);
	free(warning);
	free(path);

	path = temp_path("missing/journal");
	j = reopen(path, &seen, &warning, &cause);
	ok(j == NULL && cause != NULL && strstr(cause, path) != NULL,
	    "a journal in a missing directory fails with a cause naming it");
	free(cause);
	free(warning);
	free(path);

	/* A failed fsync is reported. */
	path = temp_path("fsync");
	if (write_three(path, offsets) == 0 &&
	    (j = reopen(path, &seen, &warning, &cause)) != NULL) {
		append_fixture(j, 0);
		setenv("FISH_TEST_FAIL_FSYNC", "1", 1);
		cause = NULL;
		ok(journal_sync(j, &cause) == -1 && cause != NULL &&
		    strstr(cause, "cannot sync") != NULL,
		    "a failed sync is reported with a cause");
		unsetenv("FISH_TEST_FAIL_FSYNC");
		free(cause);
		ok(journal_dirty(j), "a failed sync leaves the journal dirty");
		journal_close(j);
		free(warning);
	} else
		ok(0, "a failed sync is reported with a cause");
	seen_clear(&seen);
	free(path);
}

/* Remove the temporary directory and what the tests left in it. */
static void
cleanup(void)
{
	static const char	*names[] = {
		"journal", "torn", "damaged", "refused", "fsync"
	};
	char			*path;
	size_t			 i;

	for (i = 0; i < nitems(names); i++) {
		path = temp_path(names[i]);
		unlink(path);
		free(path);
	}
	if (rmdir(tmpdir) == -1)
		ok(0, "remove '%s': %s", tmpdir, strerror(errno));
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
	test_torn_tail();
	test_damaged_middle();
	test_refused();
	cleanup();
	return (done_testing());
}
