/*
 * Journal recovery: the input is the bytes of a segment file.  They are
 * written as segment 1 of a journal directory and journal_open replays it,
 * which must cut (a torn tail), skip (damage before valid records, a bad
 * header) or refuse (another format version) and never crash.  Every
 * record replayed must read back by its position.  As the newest segment,
 * the repaired journal must take a new record and replay it after
 * reopening; as an older one (an empty segment 2 after it), reopening
 * must replay the same records, since only the newest is ever cut.
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

/* Write segment number; abort if the file cannot be made. */
static void
fuzz_journal_write(uint32_t number, const void *data, size_t size)
{
	const char	*p = data;
	char		*path;
	ssize_t		 n;
	int		 fd;

	if (mkdir(fuzz_dir, 0700) == -1 && errno != EEXIST) {
		perror(fuzz_dir);
		abort();
	}
	xasprintf(&path, "%s/%08u.journal", fuzz_dir, number);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		perror(path);
		abort();
	}
	free(path);
	for (; size > 0; p += n, size -= (size_t)n) {
		if ((n = write(fd, p, size)) <= 0) {
			perror(fuzz_dir);
			abort();
		}
	}
	close(fd);
}

/*
 * Open the journal and read back every record replayed.  Return NULL when
 * it is refused, which only a segment 1 of another format version may be.
 */
static struct journal *
fuzz_journal_open(const uint8_t *data, size_t size,
    struct fuzz_replayed *replayed)
{
	struct journal		*j;
	struct journal_record	 r;
	char			*warning = NULL, *cause = NULL;
	size_t			 i;

	j = journal_open(fuzz_dir, fuzz_journal_record, replayed, &warning,
	    &cause);
	free(warning);
	if (j == NULL) {
		FUZZ_CHECK(cause != NULL);
		FUZZ_CHECK(size >= JOURNAL_HEADER_LEN &&
		    memcmp(data, JOURNAL_MAGIC, 8) == 0 &&
		    get_u32(data + 12) == 1 &&
		    get_u32(data + 8) != JOURNAL_VERSION);
		free(cause);
		return (NULL);
	}
	FUZZ_CHECK(journal_records(j) == replayed->n);
	for (i = 0; i < replayed->n; i++) {
		FUZZ_CHECK(journal_read(j, replayed->position[i], &r,
		    &cause) == 0);
		journal_record_release(&r);
	}
	return (j);
}

/*
 * The input as the newest segment, where damage at the end is a torn
 * tail and is cut: the journal must then take a record and replay it
 * after those it had.
 */
static void
fuzz_journal_newest(const uint8_t *data, size_t size)
{
	struct fuzz_replayed	 first = { NULL, 0 }, second = { NULL, 0 };
	struct journal		*j;
	struct journal_record	 r;
	struct json_object	*json;
	char			*cause = NULL;
	uint64_t		 position;

	fuzz_journal_write(1, data, size);
	if ((j = fuzz_journal_open(data, size, &first)) == NULL)
		goto out;
	json = json_object_new_object();
	json_object_object_add(json, "seq", json_object_new_int64(1));
	position = journal_append(j, JOURNAL_MESSAGE_RECEIVED, json, "body", 4);
	json_object_put(json);
	FUZZ_CHECK(journal_read(j, position, &r, &cause) == 0);
	journal_record_release(&r);
	FUZZ_CHECK(journal_sync(j, &cause) == 0);
	journal_close(j);

	FUZZ_CHECK((j = fuzz_journal_open(data, size, &second)) != NULL);
	FUZZ_CHECK(second.n == first.n + 1);
	FUZZ_CHECK(first.n == 0 || memcmp(first.position, second.position,
	    first.n * sizeof *first.position) == 0);
	FUZZ_CHECK(second.position[first.n] == position);
	journal_close(j);
out:
	free(first.position);
	free(second.position);
	fuzz_journal_empty();
}

/*
 * The input as an older segment, followed by an empty segment 2: damage
 * is skipped, never cut, so opening again replays the same records.
 */
static void
fuzz_journal_older(const uint8_t *data, size_t size)
{
	struct fuzz_replayed	 first = { NULL, 0 }, second = { NULL, 0 };
	struct journal		*j;
	unsigned char		 header[JOURNAL_HEADER_LEN];

	memset(header, 0, sizeof header);
	memcpy(header, JOURNAL_MAGIC, 8);
	put_u32(header + 8, JOURNAL_VERSION);
	put_u32(header + 12, 2);
	fuzz_journal_write(1, data, size);
	fuzz_journal_write(2, header, sizeof header);
	if ((j = fuzz_journal_open(data, size, &first)) == NULL)
		goto out;
	journal_close(j);
	FUZZ_CHECK((j = fuzz_journal_open(data, size, &second)) != NULL);
	FUZZ_CHECK(second.n == first.n);
	FUZZ_CHECK(first.n == 0 || memcmp(first.position, second.position,
	    first.n * sizeof *first.position) == 0);
	journal_close(j);
out:
	free(first.position);
	free(second.position);
	fuzz_journal_empty();
}

/* Recover a journal whose newest, then older, segment is the input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_journal_setup();
	fuzz_journal_newest(data, size);
	fuzz_journal_older(data, size);
	return (0);
}
