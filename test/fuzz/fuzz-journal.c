/*
 * Journal recovery: the input is the bytes of a segment file, which
 * journal_open must recover without crashing: replay what verifies, count
 * or cut the rest, or refuse (another format version only).
 *
 * The first input byte chooses how the rest becomes segment 1:
 *	bit 0	prepend a sound format-2 header (a fixed salt), so that the
 *		rest is the records area
 *	bit 1	fix the checksums: wherever the writer's framing would read
 *		a fragment header with a known type and a length that fits,
 *		its CRC is made right for its salt and position, so that the
 *		fuzzer reaches every branch of reassembly (orphans, records
 *		never finished, bad lengths, JSON that is no object)
 *	bit 2	(without bit 0) make the CRCs of the input's own header
 *		copies right, so that other versions and numbers are tried
 * Properties: every record replayed reads back by its position, byte for
 * byte; as the newest segment, the journal then takes a new record and a
 * second open replays the same records and the new one after them; as an
 * older segment (a segment 2 after it), opening twice replays the same
 * records and counts the same damage, since only the newest is written.
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
#include "journal-format.h"
#include "xmalloc.h"

#define FUZZ_SALT	0x0123456789abcdefULL

static char	*fuzz_top;	/* the temporary directory */
static char	*fuzz_dir;	/* the journal directory inside it */

/* The records replayed: positions, and their bytes to compare. */
struct fuzz_replayed {
	uint64_t	*position;
	uint32_t	*crc;		/* of type, JSON text and body */
	size_t		 n;
};

/* Remove the directories at exit. */
static void
fuzz_journal_cleanup(void)
{
	fuzz_empty(fuzz_dir);
	rmdir(fuzz_dir);
	rmdir(fuzz_top);
	free(fuzz_dir);
	free(fuzz_top);
}

/* Make the directories on first use. */
static void
fuzz_journal_setup(void)
{
	if (fuzz_top != NULL)
		return;
	fuzz_tmpdir("fish-fuzz-journal", "journal", &fuzz_top, &fuzz_dir);
	atexit(fuzz_journal_cleanup);
}

/* Return a checksum of a record's type, JSON text and body. */
static uint32_t
fuzz_record_crc(const struct journal_record *r)
{
	unsigned char	type = (unsigned char)r->type;
	const char	*text = json_object_to_json_string(r->json);

	return (crc32c(crc32c(crc32c(0, &type, 1), text, strlen(text)),
	    r->body, r->body_len));
}

/* Look at a replayed record whole and keep its position and checksum. */
static void
fuzz_journal_record(const struct journal_record *r, void *arg)
{
	struct fuzz_replayed	*replayed = arg;

	FUZZ_CHECK(json_object_is_type(r->json, json_type_object));
	replayed->position = xreallocarray(replayed->position,
	    replayed->n + 1, sizeof *replayed->position);
	replayed->crc = xreallocarray(replayed->crc, replayed->n + 1,
	    sizeof *replayed->crc);
	replayed->position[replayed->n] = r->offset;
	replayed->crc[replayed->n] = fuzz_record_crc(r);
	replayed->n++;
}

/* Forget what was replayed. */
static void
fuzz_replayed_free(struct fuzz_replayed *replayed)
{
	free(replayed->position);
	free(replayed->crc);
	memset(replayed, 0, sizeof *replayed);
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
 * Make right the CRC of every fragment header the writer's framing would
 * read in the segment bytes b (salt FUZZ_SALT, segment 1), from start on.
 */
static void
fuzz_fix_fragments(struct buffer *b, size_t start)
{
	struct journal_frame	 f;
	unsigned char		*p;
	size_t			 at = start, len, space;
	unsigned int		 type;

	journal_frame_init(&f, 1, FUZZ_SALT);
	while (at + JOURNAL_FRAGMENT_HEAD <= b->len) {
		space = JOURNAL_BLOCK - at % JOURNAL_BLOCK;
		p = (unsigned char *)b->data + at;
		len = (size_t)p[4] << 8 | p[5];
		type = p[6];
		if (space < JOURNAL_FRAGMENT_HEAD || type < JOURNAL_FULL ||
		    type > JOURNAL_LAST || JOURNAL_FRAGMENT_HEAD + len > space ||
		    at + JOURNAL_FRAGMENT_HEAD + len > b->len) {
			at += space;
			continue;
		}
		put_u32(p, journal_fragment_crc(&f, at, type, len,
		    p + JOURNAL_FRAGMENT_HEAD));
		at += JOURNAL_FRAGMENT_HEAD + len;
	}
}

/* Turn the input into the bytes of segment 1, as its first byte says. */
static void
fuzz_segment(const uint8_t *data, size_t size, struct buffer *b)
{
	struct journal_header	h;
	unsigned char		header[JOURNAL_HEADER_LEN];
	unsigned char		mode = size > 0 ? data[0] : 0;
	size_t			i;

	buffer_clear(b);
	if (size > 0) {
		data++;
		size--;
	}
	if (mode & 1) {
		memset(&h, 0, sizeof h);
		h.version = JOURNAL_VERSION;
		h.number = 1;
		h.salt = FUZZ_SALT;
		journal_header_encode(header, &h);
		buffer_add(b, header, sizeof header);
	}
	buffer_add(b, data, size);
	if ((mode & 1) == 0 && (mode & 4) != 0) {
		for (i = 0; i + JOURNAL_COPY_LEN <= b->len && i < 128; i += 64)
			put_u32(b->data + i + 60, crc32c(0, b->data + i, 60));
	}
	if (mode & 2)
		fuzz_fix_fragments(b, JOURNAL_HEADER_LEN);
}

/*
 * Open the journal and read back every record replayed.  Return NULL when
 * it is refused, which only another format version may be.
 */
static struct journal *
fuzz_journal_open(struct fuzz_replayed *replayed)
{
	struct journal		*j;
	struct journal_record	 r;
	char			*warning = NULL, *cause = NULL;
	size_t			 i;

	j = journal_open(fuzz_dir, fuzz_journal_record, replayed, &warning,
	    &cause);
	free(warning);
	if (j == NULL) {
		FUZZ_CHECK(cause != NULL &&
		    strstr(cause, "format version") != NULL);
		free(cause);
		return (NULL);
	}
	FUZZ_CHECK(journal_records(j) == replayed->n);
	for (i = 0; i < replayed->n; i++) {
		FUZZ_CHECK(journal_read(j, replayed->position[i], &r,
		    &cause) == 0);
		FUZZ_CHECK(fuzz_record_crc(&r) == replayed->crc[i]);
		journal_record_release(&r);
	}
	return (j);
}

/*
 * The input as the newest segment: the journal must then take a record
 * and replay it after those it had.
 */
static void
fuzz_journal_newest(const struct buffer *b)
{
	struct fuzz_replayed	 first = { NULL, NULL, 0 };
	struct fuzz_replayed	 second = { NULL, NULL, 0 };
	struct journal		*j;
	struct journal_record	 r;
	struct json_object	*json;
	char			*cause = NULL;
	uint64_t		 position;

	fuzz_journal_write(1, b->data, b->len);
	if ((j = fuzz_journal_open(&first)) == NULL)
		goto out;
	json = json_object_new_object();
	json_object_object_add(json, "seq", json_object_new_int64(1));
	position = journal_append(j, JOURNAL_MESSAGE_RECEIVED, json, "body", 4);
	json_object_put(json);
	FUZZ_CHECK(journal_read(j, position, &r, &cause) == 0);
	journal_record_release(&r);
	FUZZ_CHECK(journal_sync(j, &cause) == 0);
	journal_close(j);

	FUZZ_CHECK((j = fuzz_journal_open(&second)) != NULL);
	FUZZ_CHECK(second.n == first.n + 1);
	FUZZ_CHECK(first.n == 0 || (memcmp(first.position, second.position,
	    first.n * sizeof *first.position) == 0 && memcmp(first.crc,
	    second.crc, first.n * sizeof *first.crc) == 0));
	FUZZ_CHECK(second.position[first.n] == position);
	journal_close(j);
out:
	fuzz_replayed_free(&first);
	fuzz_replayed_free(&second);
	fuzz_empty(fuzz_dir);
}

/*
 * The input as an older segment, followed by a segment 2 holding one
 * record (an empty one would be a segment prepared and never used, and
 * the input the newest): it is only ever read, so opening again replays
 * the same and counts the same.
 */
static void
fuzz_journal_older(const struct buffer *b)
{
	struct fuzz_replayed	 first = { NULL, NULL, 0 };
	struct fuzz_replayed	 second = { NULL, NULL, 0 };
	struct journal		*j;
	struct journal_damage	 damage;
	struct journal_header	 h;
	struct journal_frame	 f;
	struct journal_piece	 piece[2];
	struct buffer		 two;
	unsigned char		 header[JOURNAL_HEADER_LEN];
	unsigned char		 head[JOURNAL_RECORD_HEAD];

	memset(&h, 0, sizeof h);
	h.version = JOURNAL_VERSION;
	h.number = 2;
	h.salt = ~FUZZ_SALT;
	h.prev_number = 1;
	h.prev_salt = FUZZ_SALT;
	journal_header_encode(header, &h);
	journal_frame_init(&f, 2, h.salt);
	put_u32(head, 5 + 2);
	head[4] = JOURNAL_CHECKPOINT;
	put_u32(head + 5, 2);
	piece[0].data = head;
	piece[0].len = sizeof head;
	piece[1].data = "{}";
	piece[1].len = 2;
	buffer_init(&two);
	buffer_add(&two, header, sizeof header);
	journal_format_record(&two, JOURNAL_HEADER_LEN, &f, piece, 2);
	fuzz_journal_write(1, b->data, b->len);
	fuzz_journal_write(2, two.data, two.len);
	buffer_release(&two);
	if ((j = fuzz_journal_open(&first)) == NULL)
		goto out;
	damage = *journal_damage(j);
	journal_close(j);
	FUZZ_CHECK((j = fuzz_journal_open(&second)) != NULL);
	FUZZ_CHECK(second.n == first.n);
	FUZZ_CHECK(first.n == 0 || (memcmp(first.position, second.position,
	    first.n * sizeof *first.position) == 0 && memcmp(first.crc,
	    second.crc, first.n * sizeof *first.crc) == 0));
	FUZZ_CHECK(memcmp(&damage, journal_damage(j), sizeof damage) == 0);
	journal_close(j);
out:
	fuzz_replayed_free(&first);
	fuzz_replayed_free(&second);
	fuzz_empty(fuzz_dir);
}

/* Recover a journal whose newest, then older, segment is the input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buffer	b;

	fuzz_journal_setup();
	buffer_init(&b);
	fuzz_segment(data, size, &b);
	fuzz_journal_newest(&b);
	fuzz_journal_older(&b);
	buffer_release(&b);
	return (0);
}
