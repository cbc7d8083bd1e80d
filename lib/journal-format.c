/*
 * Encoding and decoding the journal's bytes (journal-format.h): segment
 * headers, cutting a record into fragments, checking one fragment where
 * it lies, gathering a record's fragments back, and the logical record
 * inside them; and format 1's records, which are still read.
 *
 * Nothing here does I/O but journal_pread and the format-1 reader: the
 * rest works on bytes in memory, so that recovery, random reads and
 * records still in the pending buffer share one decoder.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "crc32c.h"
#include "journal.h"
#include "journal-format.h"
#include "jsonptr.h"

/* Write a 64-bit big-endian integer. */
static void
journal_put_u64(unsigned char *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}

/* Read exactly len bytes at offset; return bytes read (less at EOF), -1. */
ssize_t
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

/*
 * Tell whether the len bytes at p are all zero: never written, or
 * pre-written.  Recovery asks this of every block of a pre-written
 * segment, so it compares a block at a time (memcmp is vectorised).
 */
int
journal_zero(const void *p, size_t len)
{
	static const unsigned char	zeros[JOURNAL_BLOCK];
	const unsigned char		*u = p;
	size_t				 n;

	for (; len > 0; u += n, len -= n) {
		n = len < sizeof zeros ? len : sizeof zeros;
		if (memcmp(u, zeros, n) != 0)
			return (0);
	}
	return (1);
}

/* Write the two copies of a segment header (JOURNAL_HEADER_LEN bytes). */
void
journal_header_encode(unsigned char *out, const struct journal_header *h)
{
	memset(out, 0, JOURNAL_HEADER_LEN);
	memcpy(out, JOURNAL_MAGIC, 8);
	put_u32(out + 8, h->version);
	put_u32(out + 12, h->number);
	journal_put_u64(out + 16, (uint64_t)h->created_at);
	journal_put_u64(out + 24, h->salt);
	put_u32(out + 32, h->prev_number);
	journal_put_u64(out + 36, h->prev_salt);
	put_u32(out + 60, crc32c(0, out, 60));
	memcpy(out + JOURNAL_COPY_LEN, out, JOURNAL_COPY_LEN);
}

/*
 * Read the header of segment number from the first len bytes of its file.
 * The first copy whose CRC verifies and whose number is the file's is
 * used, so one damaged byte anywhere in a header loses nothing.  Failing
 * that, a format-1 header (no checksum) is recognised by its magic,
 * version and number.
 */
enum journal_header_kind
journal_header_parse(const unsigned char *buf, size_t len, uint32_t number,
    struct journal_header *h)
{
	const unsigned char	*copy;
	int			 i;

	memset(h, 0, sizeof *h);
	for (i = 0; i < 2; i++) {
		copy = buf + i * JOURNAL_COPY_LEN;
		if (len < (size_t)(i + 1) * JOURNAL_COPY_LEN ||
		    memcmp(copy, JOURNAL_MAGIC, 8) != 0 ||
		    crc32c(0, copy, 60) != get_u32(copy + 60) ||
		    get_u32(copy + 12) != number) {
			h->bad_copies++;
			continue;
		}
		h->version = get_u32(copy + 8);
		h->number = number;
		h->created_at = (int64_t)get_u64(copy + 16);
		h->salt = get_u64(copy + 24);
		h->prev_number = get_u32(copy + 32);
		h->prev_salt = get_u64(copy + 36);
		if (i == 0 && (len < 2 * JOURNAL_COPY_LEN || memcmp(copy,
		    copy + JOURNAL_COPY_LEN, JOURNAL_COPY_LEN) != 0))
			h->bad_copies++;
		return (h->version == JOURNAL_VERSION ? JOURNAL_HEADER_V2 :
		    JOURNAL_HEADER_OTHER);
	}
	if (len >= JOURNAL_V1_HEADER_LEN && memcmp(buf, JOURNAL_MAGIC, 8) == 0 &&
	    get_u32(buf + 8) == 1 && get_u32(buf + 12) == number) {
		h->version = 1;
		h->number = number;
		h->created_at = (int64_t)get_u64(buf + 16);
		h->bad_copies = 0;
		return (JOURNAL_HEADER_V1);
	}
	return (JOURNAL_HEADER_BAD);
}

/* Bind fragment checksums to segment number with its salt. */
void
journal_frame_init(struct journal_frame *f, uint32_t number, uint64_t salt)
{
	unsigned char	bytes[12];

	f->number = number;
	f->salt = salt;
	journal_put_u64(bytes, salt);
	put_u32(bytes + 8, number);
	f->seed = crc32c(0, bytes, sizeof bytes);
}

/* Return the CRC of a fragment at offset: its binding, then its bytes. */
uint32_t
journal_fragment_crc(const struct journal_frame *f, uint64_t offset,
    unsigned int type, size_t len, const void *payload)
{
	unsigned char	bytes[7];

	put_u32(bytes, (uint32_t)offset);
	bytes[4] = (unsigned char)type;
	bytes[5] = (unsigned char)(len >> 8);
	bytes[6] = (unsigned char)len;
	return (crc32c(crc32c(f->seed, bytes, sizeof bytes), payload, len));
}

/*
 * Return where a record of len logical bytes appended at offset ends, and
 * in *start where its first fragment goes (after any block-tail padding).
 * The cutting is deterministic, so a reader knowing the length finds the
 * record's whole span.
 */
uint64_t
journal_format_span(uint64_t offset, size_t len, uint64_t *start)
{
	uint64_t	space;
	size_t		frag;

	space = JOURNAL_BLOCK - offset % JOURNAL_BLOCK;
	if (space < JOURNAL_FRAGMENT_HEAD)
		offset += space;
	*start = offset;
	do {
		space = JOURNAL_BLOCK - offset % JOURNAL_BLOCK;
		frag = len < space - JOURNAL_FRAGMENT_HEAD ? len :
		    (size_t)(space - JOURNAL_FRAGMENT_HEAD);
		offset += JOURNAL_FRAGMENT_HEAD + frag;
		len -= frag;
	} while (len > 0);
	return (offset);
}

/*
 * Append to out a record made of the pieces, cut into fragments; offset
 * is where out's end lies in the segment.  Return the record's offset:
 * its first fragment's.  No allocation once out has grown to size.
 */
uint64_t
journal_format_record(struct buffer *out, uint64_t offset,
    const struct journal_frame *f, const struct journal_piece *pieces,
    size_t npieces)
{
	unsigned char	*p, *payload;
	uint64_t	 origin = offset, start, end, space;
	size_t		 total = 0, left, frag, done, take, i = 0, used = 0;
	unsigned int	 type;

	for (done = 0; done < npieces; done++)
		total += pieces[done].len;
	end = journal_format_span(offset, total, &start);
	buffer_reserve(out, (size_t)(end - offset));
	p = (unsigned char *)out->data + out->len;
	memset(p, 0, (size_t)(start - offset));	/* block-tail padding */
	p += start - offset;
	offset = start;
	left = total;
	do {
		space = JOURNAL_BLOCK - offset % JOURNAL_BLOCK;
		frag = left < space - JOURNAL_FRAGMENT_HEAD ? left :
		    (size_t)(space - JOURNAL_FRAGMENT_HEAD);
		if (offset == start)
			type = frag == left ? JOURNAL_FULL : JOURNAL_FIRST;
		else
			type = frag == left ? JOURNAL_LAST : JOURNAL_MIDDLE;
		payload = p + JOURNAL_FRAGMENT_HEAD;
		for (done = 0; done < frag; done += take) {
			while (used == pieces[i].len) {
				i++;
				used = 0;
			}
			take = pieces[i].len - used;
			if (take > frag - done)
				take = frag - done;
			memcpy(payload + done, (const char *)pieces[i].data +
			    used, take);
			used += take;
		}
		put_u32(p, journal_fragment_crc(f, offset, type, frag, payload));
		p[4] = (unsigned char)(frag >> 8);
		p[5] = (unsigned char)frag;
		p[6] = (unsigned char)type;
		p += JOURNAL_FRAGMENT_HEAD + frag;
		offset += JOURNAL_FRAGMENT_HEAD + frag;
		left -= frag;
	} while (left > 0);
	out->len += (size_t)(end - origin);
	return (start);
}

/*
 * Judge the avail bytes at p, which lie at offset in segment f: a good
 * fragment (*v filled), a zero header (nothing was written here), short
 * (it would run past the avail bytes, as a torn append does) or bad.
 * Good means the CRC verifies for this salt and this very position, the
 * type is known, and the fragment keeps the writer's framing: it stays in
 * its block, a FIRST or MIDDLE fills its block to the end, a MIDDLE or
 * LAST starts a block.
 */
enum journal_fragment_verdict
journal_fragment_parse(const unsigned char *p, size_t avail, uint64_t offset,
    const struct journal_frame *f, struct journal_fragment_view *v)
{
	uint64_t	space = JOURNAL_BLOCK - offset % JOURNAL_BLOCK;
	size_t		i, len;
	unsigned int	type;

	if (avail < JOURNAL_FRAGMENT_HEAD) {
		for (i = 0; i < avail; i++) {
			if (p[i] != 0)
				return (JOURNAL_FRAGMENT_SHORT);
		}
		return (JOURNAL_FRAGMENT_ZERO);
	}
	len = (size_t)p[4] << 8 | p[5];
	type = p[6];
	if (type == JOURNAL_ZERO && len == 0 && get_u32(p) == 0)
		return (JOURNAL_FRAGMENT_ZERO);
	if (type < JOURNAL_FULL || type > JOURNAL_LAST ||
	    JOURNAL_FRAGMENT_HEAD + len > space)
		return (JOURNAL_FRAGMENT_BAD);
	if (JOURNAL_FRAGMENT_HEAD + len > avail)
		return (JOURNAL_FRAGMENT_SHORT);
	if ((type == JOURNAL_FIRST || type == JOURNAL_MIDDLE) &&
	    JOURNAL_FRAGMENT_HEAD + len != space)
		return (JOURNAL_FRAGMENT_BAD);
	if ((type == JOURNAL_MIDDLE || type == JOURNAL_LAST) &&
	    space != JOURNAL_BLOCK)
		return (JOURNAL_FRAGMENT_BAD);
	if (journal_fragment_crc(f, offset, type, len, p +
	    JOURNAL_FRAGMENT_HEAD) != get_u32(p))
		return (JOURNAL_FRAGMENT_BAD);
	v->type = type;
	v->len = len;
	v->payload = p + JOURNAL_FRAGMENT_HEAD;
	return (JOURNAL_FRAGMENT_GOOD);
}

/*
 * Find the logical length L of the record whose first fragment is at the
 * start of the len bytes at p (at offset), from the first four payload
 * bytes, which may continue in the next block's fragment.  Nothing is
 * verified here: journal_format_gather checks the whole span after.
 */
int
journal_format_length(const unsigned char *p, size_t len, uint64_t offset,
    uint32_t *length)
{
	unsigned char	 bytes[4];
	size_t		 have = 0, frag, at = 0;
	unsigned int	 type;

	while (have < sizeof bytes) {
		if (len - at < JOURNAL_FRAGMENT_HEAD)
			return (-1);
		frag = (size_t)p[at + 4] << 8 | p[at + 5];
		type = p[at + 6];
		if (at == 0 ? type != JOURNAL_FULL && type != JOURNAL_FIRST :
		    type != JOURNAL_MIDDLE && type != JOURNAL_LAST)
			return (-1);
		at += JOURNAL_FRAGMENT_HEAD;
		while (frag > 0 && have < sizeof bytes) {
			if (at == len)
				return (-1);
			bytes[have++] = p[at++];
			frag--;
		}
		if (have < sizeof bytes) {
			if (type == JOURNAL_FULL || type == JOURNAL_LAST ||
			    (offset + at) % JOURNAL_BLOCK != 0)
				return (-1);
		}
	}
	*length = get_u32(bytes);
	return (0);
}

/*
 * Check every fragment of the record spanning the len bytes at p (at
 * offset in segment f) and gather their payloads to the front of p, in
 * place; *out is their length.  Return -1 when any fragment is not the
 * writer's, out of order, or the span is not exactly one record.
 */
int
journal_format_gather(unsigned char *p, size_t len, uint64_t offset,
    const struct journal_frame *f, size_t *out)
{
	struct journal_fragment_view	v;
	size_t				at = 0, w = 0;

	for (;;) {
		if (journal_fragment_parse(p + at, len - at, offset + at, f,
		    &v) != JOURNAL_FRAGMENT_GOOD)
			return (-1);
		if (at == 0 ? v.type != JOURNAL_FULL && v.type != JOURNAL_FIRST :
		    v.type != JOURNAL_MIDDLE && v.type != JOURNAL_LAST)
			return (-1);
		memmove(p + w, v.payload, v.len);
		w += v.len;
		at += JOURNAL_FRAGMENT_HEAD + v.len;
		if (v.type == JOURNAL_FULL || v.type == JOURNAL_LAST)
			break;
	}
	if (at != len)
		return (-1);
	*out = w;
	return (0);
}

/* Decode a record's type, JSON and body (data is borrowed by r). */
static int
journal_decode_body(const char *data, size_t len, struct journal_record *r)
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
 * Decode a format-2 logical record (its fragments' payloads, gathered):
 * L must be what follows it exactly.  Return 0, or -1 when it is not a
 * well-formed record.
 */
int
journal_record_decode(const char *data, size_t len, struct journal_record *r)
{
	if (len < JOURNAL_RECORD_HEAD || get_u32(data) != len - 4)
		return (-1);
	return (journal_decode_body(data + 4, len - 4, r));
}

/* Decode the L bytes of a format-1 record that follow its length and CRC. */
int
journal_v1_decode(const char *data, size_t len, struct journal_record *r)
{
	return (journal_decode_body(data, len, r));
}

/*
 * Read a valid format-1 record at offset of a file of file_size bytes.
 * Return its total size, 0 at a clean end, or -1 when the bytes there are
 * not a valid record; -2 when they are the start of a record that runs
 * past the end of the file (a torn append).  storage is reused.
 */
ssize_t
journal_v1_read_at(int fd, uint64_t offset, uint64_t file_size,
    struct buffer *storage, struct journal_record *r)
{
	unsigned char	head[JOURNAL_V1_HEAD];
	uint32_t	len, crc;

	if (offset == file_size)
		return (0);
	if (file_size - offset < JOURNAL_V1_HEAD)
		return (-2);
	if (journal_pread(fd, head, sizeof head, offset) != sizeof head)
		return (-1);
	len = get_u32(head);
	crc = get_u32(head + 4);
	if (len < 5 || len > JOURNAL_RECORD_MAX)
		return (-1);
	if (len > file_size - offset - JOURNAL_V1_HEAD)
		return (-2);
	buffer_clear(storage);
	buffer_reserve(storage, len);
	if (journal_pread(fd, storage->data, len, offset + JOURNAL_V1_HEAD) !=
	    (ssize_t)len)
		return (-1);
	if (crc32c(0, storage->data, len) != crc)
		return (-1);
	r->offset = offset;
	r->storage = NULL;
	if (journal_v1_decode(storage->data, len, r) == -1)
		return (-1);
	return ((ssize_t)(JOURNAL_V1_HEAD + len));
}
