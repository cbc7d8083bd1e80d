/*
 * A journal written with hostile bodies, then damaged: no record may ever
 * be recovered that the writer did not write, where it wrote it, as it
 * wrote it (issue 12, part 1), and damage may lose only the records of
 * the blocks it touched (part 5).
 *
 * The input is a script.  Its first part drives a writer (one byte per
 * operation, then its arguments):
 *	append		a record whose body is input bytes
 *	forge		a record whose body carries byte-exact records, valid
 *			for this very segment, salt and position (the harness
 *			reads the salt from the file and gives it to the
 *			attacker, to show that the framing alone keeps them
 *			body), and a copy of a segment header
 *	sync, roll	as the listener does
 *	reopen		close (unsynced records are dropped) and open again:
 *			the replay must be exactly what was synced
 *	damage		end the writing; the rest of the input damages the
 *			files: flip bits, zero a range, truncate, delete a
 *			segment, copy a range over another (in the same
 *			segment or another)
 * Then the journal is opened: every record replayed must be one the
 * writer synced, at its position, byte for byte; every record whose
 * blocks no damage touched before its end must be replayed; and after a
 * new record is appended and synced, a second open must replay the same
 * records and the new one after them.
 *
 * One directory serves the whole process (under $TMPDIR); it is emptied
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
#include "fuzz.h"
#include "journal.h"
#include "journal-format.h"
#include "xmalloc.h"

#define HOSTILE_SEGMENTS	8		/* at most */
#define HOSTILE_BYTES		(1 << 20)	/* written at most */
#define HOSTILE_SECTOR		512

enum hostile_op {
	OP_APPEND,
	OP_FORGE,
	OP_SYNC,
	OP_ROLL,
	OP_REOPEN,
	OP_DAMAGE,
	OP_COUNT
};

enum hostile_damage {
	DAMAGE_FLIP,
	DAMAGE_ZERO,
	DAMAGE_TRUNCATE,
	DAMAGE_DELETE,
	DAMAGE_COPY,
	DAMAGE_COUNT
};

/* A record the writer appended. */
struct hostile_record {
	uint64_t	 position;
	char		*json;
	char		*body;
	size_t		 body_len;
	int		 synced;
};

/* The writer's state and what it wrote. */
struct hostile {
	const uint8_t		*in;
	size_t			 len, at;

	struct journal		*j;
	struct hostile_record	*records;
	size_t			 nrecords;
	uint32_t		 seq;
	uint64_t		 written;

	/* The replay of the last open. */
	uint64_t		*replayed;
	size_t			 nreplayed;
	int			 stranger;	/* a record not the writer's */
};

static char	*fuzz_top;
static char	*fuzz_dir;

/* Remove the directories at exit. */
static void
hostile_cleanup(void)
{
	fuzz_empty(fuzz_dir);
	rmdir(fuzz_dir);
	rmdir(fuzz_top);
	free(fuzz_dir);
	free(fuzz_top);
}

/* Make the directories on first use. */
static void
hostile_setup(void)
{
	if (fuzz_top != NULL)
		return;
	fuzz_tmpdir("fish-fuzz-hostile", "journal", &fuzz_top, &fuzz_dir);
	atexit(hostile_cleanup);
}

/* Take the next input byte (0 once the input is used up). */
static unsigned int
hostile_byte(struct hostile *h)
{
	return (h->at < h->len ? h->in[h->at++] : 0);
}

/* Take a 16-bit number from the input. */
static unsigned int
hostile_u16(struct hostile *h)
{
	unsigned int	hi = hostile_byte(h);

	return (hi << 8 | hostile_byte(h));
}

/* Take a 32-bit number from the input. */
static uint32_t
hostile_u32(struct hostile *h)
{
	uint32_t	hi = hostile_u16(h);

	return (hi << 16 | hostile_u16(h));
}

/* Fill len bytes with the input from here on, round and round. */
static void
hostile_fill(struct hostile *h, char *p, size_t len)
{
	size_t	i, left = h->len - h->at;

	for (i = 0; i < len; i++)
		p[i] = left == 0 ? (char)i : (char)h->in[h->at + i % left];
}

/* Return the path of segment number; caller frees. */
static char *
hostile_path(uint32_t number)
{
	char	*path;

	xasprintf(&path, "%s/%08u.journal", fuzz_dir, number);
	return (path);
}

/* Read segment number whole into b; return 0, or -1 when it is gone. */
static int
hostile_load(uint32_t number, struct buffer *b)
{
	char	*path = hostile_path(number), chunk[65536];
	ssize_t	 n;
	int	 fd;

	buffer_clear(b);
	fd = open(path, O_RDONLY);
	free(path);
	if (fd == -1)
		return (-1);
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		buffer_add(b, chunk, (size_t)n);
	close(fd);
	return (0);
}

/* Write b as the whole of segment number. */
static void
hostile_store(uint32_t number, const struct buffer *b)
{
	char	*path = hostile_path(number);
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	free(path);
	FUZZ_CHECK(fd != -1);
	FUZZ_CHECK(b->len == 0 || write(fd, b->data, b->len) ==
	    (ssize_t)b->len);
	close(fd);
}

/* Return the number of the newest segment file. */
static uint32_t
hostile_newest(void)
{
	struct buffer	b;
	uint32_t	n = 0, i;

	buffer_init(&b);
	for (i = 1; i <= HOSTILE_SEGMENTS + 1; i++) {
		if (hostile_load(i, &b) == 0)
			n = i;
	}
	buffer_release(&b);
	return (n);
}

/* Read the salt of segment number from its header (the harness cheats). */
static struct journal_frame
hostile_frame(uint32_t number)
{
	struct journal_header	hd;
	struct journal_frame	f;
	struct buffer		b;

	buffer_init(&b);
	hostile_load(number, &b);
	FUZZ_CHECK(journal_header_parse((unsigned char *)b.data, b.len, number,
	    &hd) == JOURNAL_HEADER_V2);
	journal_frame_init(&f, number, hd.salt);
	buffer_release(&b);
	return (f);
}

/* Return the position of a replayed record among the writer's, or -1. */
static ssize_t
hostile_find(const struct hostile *h, uint64_t position)
{
	size_t	lo = 0, hi = h->nrecords, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (h->records[mid].position == position)
			return ((ssize_t)mid);
		if (h->records[mid].position < position)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (-1);
}

/*
 * A record replayed: it must be one the writer synced, at this position,
 * with these very bytes.
 */
static void
hostile_replayed(const struct journal_record *r, void *arg)
{
	struct hostile		*h = arg;
	struct hostile_record	*w;
	const char		*text;
	ssize_t			 i;

	text = json_object_to_json_string_ext(r->json,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	i = hostile_find(h, r->offset);
	w = i == -1 ? NULL : &h->records[i];
	if (w == NULL || !w->synced || r->type != JOURNAL_MESSAGE_RECEIVED ||
	    strcmp(text, w->json) != 0 || r->body_len != w->body_len ||
	    memcmp(r->body, w->body, w->body_len) != 0) {
		fprintf(stderr, "stranger record at %llx: %s\n",
		    (unsigned long long)r->offset, text);
		h->stranger = 1;
	}
	h->replayed = xreallocarray(h->replayed, h->nreplayed + 1,
	    sizeof *h->replayed);
	h->replayed[h->nreplayed++] = r->offset;
}

/* Open the journal, checking the replay as it goes. */
static void
hostile_open(struct hostile *h)
{
	char	*warning = NULL, *cause = NULL;

	h->nreplayed = 0;
	h->j = journal_open(fuzz_dir, hostile_replayed, h, &warning, &cause);
	if (h->j == NULL)
		fprintf(stderr, "open: %s\n", cause);
	FUZZ_CHECK(h->j != NULL);
	FUZZ_CHECK(!h->stranger);
	free(warning);
}

/* Sync, as the listener does; the records appended are now durable. */
static void
hostile_sync(struct hostile *h)
{
	char	*cause = NULL;
	size_t	 i;

	FUZZ_CHECK(journal_sync(h->j, &cause) == 0);
	for (i = 0; i < h->nrecords; i++)
		h->records[i].synced = 1;
}

/* Forget the records appended since the last sync (a close drops them). */
static void
hostile_drop_unsynced(struct hostile *h)
{
	while (h->nrecords > 0 && !h->records[h->nrecords - 1].synced) {
		h->nrecords--;
		free(h->records[h->nrecords].json);
		free(h->records[h->nrecords].body);
	}
}

/* Append a record with this body, and remember it. */
static void
hostile_append(struct hostile *h, const char *json, const char *body,
    size_t len)
{
	struct hostile_record	*w;
	uint64_t		 position;

	position = journal_append_text(h->j, JOURNAL_MESSAGE_RECEIVED, json,
	    strlen(json), body, len);
	h->records = xreallocarray(h->records, h->nrecords + 1,
	    sizeof *h->records);
	w = &h->records[h->nrecords++];
	w->position = position;
	w->json = xstrdup(json);
	w->body = xmemdup(body, len);
	w->body_len = len;
	w->synced = 0;
	h->written += len + 64;
}

/* Return where logical byte t of a record starting at start lies. */
static uint64_t
hostile_offset_of(uint64_t start, size_t t)
{
	uint64_t	offset = start, avail;

	for (;;) {
		avail = JOURNAL_BLOCK - offset % JOURNAL_BLOCK -
		    JOURNAL_FRAGMENT_HEAD;
		if (t < avail)
			return (offset + JOURNAL_FRAGMENT_HEAD + t);
		t -= (size_t)avail;
		offset = (offset / JOURNAL_BLOCK + 1) * JOURNAL_BLOCK;
	}
}

/*
 * Put into body, at index i, a record encoded for the absolute offset
 * where body byte i will lie: valid for this segment, salt and position.
 */
static void
hostile_forge_at(struct hostile *h, char *body, size_t len, size_t i,
    uint64_t start, size_t lead, const struct journal_frame *f)
{
	struct journal_piece	 piece[3];
	struct buffer		 forged;
	unsigned char		 head[JOURNAL_RECORD_HEAD];
	char			 json[64];
	size_t			 n;

	n = (size_t)snprintf(json, sizeof json, "{\"seq\":%u,\"forged\":true}",
	    h->seq);
	put_u32(head, (uint32_t)(5 + n + 3));
	head[4] = JOURNAL_MESSAGE_RECEIVED;
	put_u32(head + 5, (uint32_t)n);
	piece[0].data = head;
	piece[0].len = sizeof head;
	piece[1].data = json;
	piece[1].len = n;
	piece[2].data = "yes";
	piece[2].len = 3;
	buffer_init(&forged);
	journal_format_record(&forged, hostile_offset_of(start, lead + i), f,
	    piece, 3);
	n = forged.len < len - i ? forged.len : len - i;
	memcpy(body + i, forged.data, n);
	buffer_release(&forged);
}

/* Append a record whose body carries forged records and a header. */
static void
hostile_forge(struct hostile *h, const char *json, size_t len)
{
	struct journal_frame	 f;
	struct journal_header	 hd;
	unsigned char		 header[JOURNAL_HEADER_LEN];
	uint64_t		 start;
	char			*body;
	size_t			 lead, i, k, count;

	f = hostile_frame(hostile_newest());
	lead = JOURNAL_RECORD_HEAD + strlen(json);
	journal_format_span(journal_active_bytes(h->j, NULL), lead + len,
	    &start);
	body = xmalloc(len + 1);
	hostile_fill(h, body, len);
	count = hostile_byte(h) % 8 + 1;
	for (k = 0; k < count && len > 0; k++) {
		i = hostile_u16(h) % len;
		if (hostile_byte(h) % 4 == 0 && len - i >= JOURNAL_HEADER_LEN) {
			/* A segment header, as if a new segment began here. */
			memset(&hd, 0, sizeof hd);
			hd.version = JOURNAL_VERSION;
			hd.number = f.number + 1;
			hd.salt = f.salt;
			journal_header_encode(header, &hd);
			memcpy(body + i, header, sizeof header);
		} else
			hostile_forge_at(h, body, len, i, start, lead, &f);
	}
	hostile_append(h, json, body, len);
	free(body);
}

/* Run the writer's part of the script. */
static void
hostile_write(struct hostile *h)
{
	char		 json[32];
	char		*body, *cause = NULL;
	size_t		 len;
	unsigned int	 op;

	while (h->at < h->len && h->written < HOSTILE_BYTES) {
		op = hostile_byte(h) % OP_COUNT;
		if (op == OP_DAMAGE)
			break;
		snprintf(json, sizeof json, "{\"seq\":%u}", ++h->seq);
		switch (op) {
		case OP_APPEND:
			len = hostile_u16(h);
			body = xmalloc(len + 1);
			hostile_fill(h, body, len);
			hostile_append(h, json, body, len);
			free(body);
			break;
		case OP_FORGE:
			hostile_forge(h, json, hostile_u16(h) % 40000 + 64);
			break;
		case OP_SYNC:
			hostile_sync(h);
			break;
		case OP_ROLL:
			if (journal_segments(h->j) >= HOSTILE_SEGMENTS)
				break;
			hostile_sync(h);
			FUZZ_CHECK(journal_roll(h->j, 1, &cause) == 0);
			break;
		case OP_REOPEN:
			journal_close(h->j);
			hostile_drop_unsynced(h);
			hostile_open(h);
			FUZZ_CHECK(h->nreplayed == h->nrecords);
			break;
		}
	}
	hostile_sync(h);
	journal_close(h->j);
	h->j = NULL;
}

/* The segment files before and after the damage. */
struct hostile_files {
	struct buffer	before[HOSTILE_SEGMENTS + 1];
	struct buffer	after[HOSTILE_SEGMENTS + 1];
	int		gone[HOSTILE_SEGMENTS + 1];
	uint32_t	count;
};

/* Damage the files as the rest of the input says. */
static void
hostile_damage(struct hostile *h, struct hostile_files *fl)
{
	struct buffer	*b, *src;
	uint32_t	 n, m;
	size_t		 at, len, from;

	while (h->at < h->len) {
		n = hostile_byte(h) % fl->count + 1;
		b = &fl->after[n];
		at = b->len == 0 ? 0 : hostile_u32(h) % b->len;
		switch (hostile_byte(h) % DAMAGE_COUNT) {
		case DAMAGE_FLIP:
			if (b->len > 0)
				b->data[at] ^= (char)(hostile_byte(h) | 1);
			break;
		case DAMAGE_ZERO:
			len = hostile_u16(h);
			if (len > b->len - at)
				len = b->len - at;
			memset(b->data + at, 0, len);
			break;
		case DAMAGE_TRUNCATE:
			b->len = at;
			break;
		case DAMAGE_DELETE:
			fl->gone[n] = 1;
			break;
		case DAMAGE_COPY:
			m = hostile_byte(h) % fl->count + 1;
			src = &fl->after[m];
			len = hostile_u16(h);
			from = src->len == 0 ? 0 : hostile_u32(h) % src->len;
			if (len > src->len - from)
				len = src->len - from;
			if (len > b->len - at)
				len = b->len - at;
			memmove(b->data + at, src->data + from, len);
			break;
		}
	}
	for (n = 1; n <= fl->count; n++) {
		if (fl->gone[n]) {
			char *path = hostile_path(n);

			unlink(path);
			free(path);
		} else
			hostile_store(n, &fl->after[n]);
	}
}

/*
 * Tell whether a record of segment n spanning [s, e) is out of reach of
 * the damage: its segment is there with a header copy intact, and no byte
 * changed from the start of any block it touches up to its end.
 */
static int
hostile_untouched(const struct hostile_files *fl, uint32_t n, uint64_t s,
    uint64_t e)
{
	const struct buffer	*a = &fl->before[n], *b = &fl->after[n];
	struct journal_header	 was, is;
	uint64_t		 i, first;

	if (fl->gone[n])
		return (0);
	/*
	 * The header the reader will use must be the writer's: damage can
	 * leave the other copy intact but put a valid copy of another
	 * header (from a body, say) first.
	 */
	journal_header_parse((unsigned char *)a->data, a->len, n, &was);
	if (journal_header_parse((unsigned char *)b->data, b->len, n, &is) !=
	    JOURNAL_HEADER_V2 || is.salt != was.salt)
		return (0);
	first = s / JOURNAL_BLOCK * JOURNAL_BLOCK;
	if (first == 0)
		first = JOURNAL_HEADER_LEN;
	if (e > b->len)
		return (0);
	for (i = first; i < e; i++) {
		if (a->data[i] != b->data[i])
			return (0);
	}
	return (1);
}

/* Return where a record of the writer's ends. */
static uint64_t
hostile_end(const struct hostile_record *w)
{
	uint64_t	start;

	return (journal_format_span(w->position & 0xffffffffU,
	    JOURNAL_RECORD_HEAD + strlen(w->json) + w->body_len, &start));
}

/* Check that every record out of reach of the damage was replayed. */
static void
hostile_check_kept(const struct hostile *h, const struct hostile_files *fl)
{
	const struct hostile_record	*w;
	size_t				 i, k = 0;
	int				 found;

	for (i = 0; i < h->nrecords; i++) {
		w = &h->records[i];
		if (!hostile_untouched(fl, (uint32_t)(w->position >> 32),
		    w->position & 0xffffffffU, hostile_end(w)))
			continue;
		for (found = 0; k < h->nreplayed && !found; k++)
			found = h->replayed[k] == w->position;
		if (!found)
			fprintf(stderr, "record at %llx untouched but lost\n",
			    (unsigned long long)w->position);
		FUZZ_CHECK(found);
	}
}

/*
 * Keep of the writer's records only those replayed (positions, in order),
 * since a record appended now may take the place of one that was lost.
 */
static void
hostile_keep(struct hostile *h, const uint64_t *kept, size_t n)
{
	size_t	i, k = 0, w = 0;

	for (i = 0; i < h->nrecords; i++) {
		if (k < n && h->records[i].position == kept[k]) {
			h->records[w++] = h->records[i];
			k++;
			continue;
		}
		free(h->records[i].json);
		free(h->records[i].body);
	}
	h->nrecords = w;
}

/* Write, damage, recover; see the top of the file. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hostile		 h;
	struct hostile_files	 fl;
	struct journal_record	 r;
	uint64_t		*first, position;
	size_t			 nfirst, i;
	uint32_t		 n;
	char			*cause = NULL;

	hostile_setup();
	fuzz_empty(fuzz_dir);
	memset(&h, 0, sizeof h);
	memset(&fl, 0, sizeof fl);
	h.in = data;
	h.len = size;
	hostile_open(&h);
	hostile_write(&h);

	/* Without damage, the replay is exactly what was synced. */
	hostile_open(&h);
	FUZZ_CHECK(h.nreplayed == h.nrecords);
	FUZZ_CHECK(memcmp(journal_damage(h.j), &(struct journal_damage){ 0 },
	    sizeof (struct journal_damage)) == 0);
	journal_close(h.j);

	fl.count = hostile_newest();
	for (n = 1; n <= fl.count; n++) {
		buffer_init(&fl.before[n]);
		buffer_init(&fl.after[n]);
		hostile_load(n, &fl.before[n]);
		buffer_add(&fl.after[n], fl.before[n].data, fl.before[n].len);
	}
	hostile_damage(&h, &fl);

	/* After damage: nothing foreign, nothing untouched lost. */
	hostile_open(&h);
	hostile_check_kept(&h, &fl);
	for (i = 0; i < h.nreplayed; i++) {
		FUZZ_CHECK(journal_read(h.j, h.replayed[i], &r, &cause) == 0);
		journal_record_release(&r);
	}
	first = h.replayed;
	nfirst = h.nreplayed;
	h.replayed = NULL;
	hostile_keep(&h, first, nfirst);

	/* A new record after recovery; then the same again, and it. */
	hostile_append(&h, "{\"seq\":0}", "after", 5);
	position = h.records[h.nrecords - 1].position;
	hostile_sync(&h);
	journal_close(h.j);
	hostile_open(&h);
	FUZZ_CHECK(h.nreplayed == nfirst + 1);
	FUZZ_CHECK(nfirst == 0 || memcmp(first, h.replayed,
	    nfirst * sizeof *first) == 0);
	FUZZ_CHECK(h.replayed[nfirst] == position);
	journal_close(h.j);

	free(first);
	free(h.replayed);
	for (i = 0; i < h.nrecords; i++) {
		free(h.records[i].json);
		free(h.records[i].body);
	}
	free(h.records);
	for (n = 1; n <= fl.count; n++) {
		buffer_release(&fl.before[n]);
		buffer_release(&fl.after[n]);
	}
	fuzz_empty(fuzz_dir);
	return (0);
}
