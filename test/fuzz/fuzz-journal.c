/*
 * Journal recovery: the input is the bytes of a segment file.  They are
 * written as segment 1 of a journal directory and journal_open replays it,
 * which must cut (a torn tail), skip (damage before valid records, a bad
 * header) or refuse (another format version) and never crash.  Every
 * record replayed must read back by its position, and the repaired
 * journal must take a new record and replay it after reopening.
 *
 * One directory serves the whole process (under $TMPDIR: scripts/fuzz
 * points it at memory, so the journal's syncs cost nothing); it is emptied
 * after each input and removed at exit.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buffer.h"
#include "crc32c.h"
#include "fuzz.h"
#include "journal.h"
#include "xmalloc.h"

static char	*fuzz_top;	/* the temporary directory */
static char	*fuzz_dir;	/* the journal directory inside it */

/* The positions of the records replayed. */
struct fuzz_replayed {
	uint64_t	*position;
	size_t		 n;
};

/* Remove every file of the journal directory. */
static void
fuzz_journal_empty(void)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(fuzz_dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* Remove the directories at exit. */
static void
fuzz_journal_cleanup(void)
{
	fuzz_journal_empty();
	rmdir(fuzz_dir);
	rmdir(fuzz_top);
	free(fuzz_dir);
	free(fuzz_top);
}

/* Make the directories on first use. */
static void
fuzz_journal_setup(void)
{
	const char	*tmp = getenv("TMPDIR");

	if (fuzz_top != NULL)
		return;
	xasprintf(&fuzz_top, "%s/fish-fuzz-journal.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(fuzz_top) == NULL) {
		perror(fuzz_top);
		abort();
	}
	xasprintf(&fuzz_dir, "%s/journal", fuzz_top);
	atexit(fuzz_journal_cleanup);
}

/* Look at a replayed record whole and keep its position. */
static void
fuzz_journal_record(const struct journal_record *r, void *arg)
{
	struct fuzz_replayed	*replayed = arg;

	FUZZ_CHECK(json_object_is_type(r->json, json_type_object));
	(void)json_object_to_json_string(r->json);
	(void)crc32c(0, r->body, r->body_len);
	replayed->position = xreallocarray(replayed->position,
	    replayed->n + 1, sizeof *replayed->position);
	replayed->position[replayed->n++] = r->offset;
}

/* Write the input as segment 1; return -1 if the file cannot be made. */
static int
fuzz_journal_write(const uint8_t *data, size_t size)
{
	char	*path;
	ssize_t	 n;
	int	 fd;

	if (mkdir(fuzz_dir, 0700) == -1 && errno != EEXIST)
		return (-1);
	xasprintf(&path, "%s/00000001.journal", fuzz_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	free(path);
	if (fd == -1)
		return (-1);
	while (size > 0) {
		if ((n = write(fd, data, size)) <= 0) {
			close(fd);
			return (-1);
		}
		data += n;
		size -= (size_t)n;
	}
	close(fd);
	return (0);
}

/* Recover a journal from the input, read it back, append and reopen. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_replayed	 first = { NULL, 0 }, second = { NULL, 0 };
	struct journal		*j;
	struct journal_record	 r;
	struct json_object	*json;
	char			*warning = NULL, *cause = NULL;
	uint64_t		 position;
	size_t			 i;

	fuzz_journal_setup();
	if (fuzz_journal_write(data, size) == -1) {
		perror(fuzz_dir);
		abort();
	}
	j = journal_open(fuzz_dir, fuzz_journal_record, &first, &warning,
	    &cause);
	free(warning);
	if (j == NULL) {
		/* Refused: only a segment of another format version is. */
		FUZZ_CHECK(cause != NULL);
		FUZZ_CHECK(size >= JOURNAL_HEADER_LEN &&
		    memcmp(data, JOURNAL_MAGIC, 8) == 0 &&
		    get_u32(data + 12) == 1 &&
		    get_u32(data + 8) != JOURNAL_VERSION);
		free(cause);
		goto out;
	}
	FUZZ_CHECK(journal_records(j) == first.n);
	for (i = 0; i < first.n; i++) {
		FUZZ_CHECK(journal_read(j, first.position[i], &r, &cause) == 0);
		journal_record_release(&r);
	}

	json = json_object_new_object();
	json_object_object_add(json, "seq", json_object_new_int64(1));
	position = journal_append(j, JOURNAL_MESSAGE_RECEIVED, json, "body", 4);
	json_object_put(json);
	FUZZ_CHECK(journal_read(j, position, &r, &cause) == 0);
	journal_record_release(&r);
	FUZZ_CHECK(journal_sync(j, &cause) == 0);
	journal_close(j);

	j = journal_open(fuzz_dir, fuzz_journal_record, &second, &warning,
	    &cause);
	FUZZ_CHECK(j != NULL);
	free(warning);
	FUZZ_CHECK(second.n == first.n + 1);
	FUZZ_CHECK(second.position[first.n] == position);
	journal_close(j);
out:
	free(first.position);
	free(second.position);
	fuzz_journal_empty();
	return (0);
}
