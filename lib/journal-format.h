/*
 * The journal's on-disk format, shared by journal.c (segments, appends,
 * random reads) and journal-recover.c (replay on open); nothing else
 * includes this.  doc/journal.md describes the format for other readers.
 *
 * Format 2: a segment is blocks of JOURNAL_BLOCK bytes.  Block 0 begins
 * with two identical 64-byte header copies (each with its own CRC-32C);
 * records start at JOURNAL_HEADER_LEN.  A record (u32 L, u8 type, u32 J,
 * J bytes of JSON, L - 5 - J bytes of body) is cut into fragments that
 * never cross a block boundary:
 *	u32 CRC-32C, u16 payload length n, u8 type (FULL, FIRST, MIDDLE,
 *	LAST), n bytes of payload
 * The CRC covers the segment's salt, the fragment's position (segment
 * number, offset), the type, the length and the payload, in that order.
 * When fewer than a fragment header's bytes remain in a block they are
 * zero padding.  Format 1 is the earlier fish's: a 24-byte header, then
 * records back to back, u32 L, u32 CRC of the L bytes that follow.
 */
#ifndef JOURNAL_FORMAT_H
#define JOURNAL_FORMAT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct buffer;
struct journal_damage;
struct journal_record;

#define JOURNAL_FRAGMENT_HEAD	7	/* CRC, length, type */
#define JOURNAL_COPY_LEN	64	/* one header copy */
#define JOURNAL_V1_HEADER_LEN	24
#define JOURNAL_V1_HEAD		8	/* a format-1 record's L and CRC */
#define JOURNAL_RECORD_HEAD	9	/* L, type, J */

enum journal_fragment {
	JOURNAL_ZERO = 0,	/* never written, or padding */
	JOURNAL_FULL = 1,
	JOURNAL_FIRST = 2,
	JOURNAL_MIDDLE = 3,
	JOURNAL_LAST = 4,
};

/* What a segment's header says. */
struct journal_header {
	uint32_t	version;
	uint32_t	number;
	int64_t		created_at;	/* unix ms */
	uint64_t	salt;
	uint32_t	prev_number;	/* 0 for none */
	uint64_t	prev_salt;	/* 0 for none */
	int		bad_copies;	/* header copies that failed their CRC */
};

/* How journal_header_parse found a segment's header. */
enum journal_header_kind {
	JOURNAL_HEADER_BAD,	/* no copy verifies: unreadable */
	JOURNAL_HEADER_V1,	/* the earlier fish's header */
	JOURNAL_HEADER_V2,	/* a copy verifies, version 2 */
	JOURNAL_HEADER_OTHER,	/* a copy verifies, another version */
};

/* What a fragment's CRC is bound to: its segment. */
struct journal_frame {
	uint32_t	number;
	uint64_t	salt;
	uint32_t	seed;	/* CRC-32C of the salt and number */
};

/* A piece of a record being encoded. */
struct journal_piece {
	const void	*data;
	size_t		 len;
};

/* What journal_fragment_parse found at a position. */
struct journal_fragment_view {
	enum journal_fragment	 type;
	size_t			 len;		/* payload bytes */
	const unsigned char	*payload;
};

/* How journal_fragment_parse judged the bytes at a position. */
enum journal_fragment_verdict {
	JOURNAL_FRAGMENT_GOOD,
	JOURNAL_FRAGMENT_ZERO,	/* a zero header: nothing written here */
	JOURNAL_FRAGMENT_SHORT,	/* runs past the bytes there are */
	JOURNAL_FRAGMENT_BAD,	/* damaged, torn, or not the writer's */
};

/*
 * One segment to recover (journal-recover.c): what it is, where its
 * records go, and what recovery found.
 */
struct journal_scan {
	int				 fd;
	uint32_t			 number;
	const struct journal_frame	*frame;		/* format 2 only */
	uint64_t			 size;		/* of the file */
	uint64_t			 limit;		/* read up to this */
	int				 newest;
	void				(*cb)(const struct journal_record *,
					    void *);
	void				*arg;
	struct buffer			*chunk;		/* reused reads */
	struct buffer			*record;	/* reused gathering */
	struct buffer			*warnings;	/* lines */
	struct journal_damage		*damage;	/* added to */

	uint64_t			 end;	/* after the last good record */
	uint64_t			 dirty;	/* after its last nonzero byte */
	uint64_t			 resume; /* where appends may go */
	uint64_t			 records;
};

extern uint64_t journal_recover_limit;

int	 journal_recover(struct journal_scan *, char **);
int	 journal_recover_v1(struct journal_scan *, char **);
int	 journal_scrub(struct journal_scan *, char **);

void	 journal_header_encode(unsigned char *, const struct journal_header *);
enum journal_header_kind journal_header_parse(const unsigned char *, size_t,
	    uint32_t, struct journal_header *);
void	 journal_frame_init(struct journal_frame *, uint32_t, uint64_t);
uint32_t journal_fragment_crc(const struct journal_frame *, uint64_t,
	    unsigned int, size_t, const void *);
uint64_t journal_format_span(uint64_t, size_t, uint64_t *);
uint64_t journal_format_record(struct buffer *, uint64_t,
	    const struct journal_frame *, const struct journal_piece *, size_t);
enum journal_fragment_verdict journal_fragment_parse(const unsigned char *,
	    size_t, uint64_t, const struct journal_frame *,
	    struct journal_fragment_view *);
int	 journal_format_length(const unsigned char *, size_t, uint64_t,
	    uint32_t *);
int	 journal_format_gather(unsigned char *, size_t, uint64_t,
	    const struct journal_frame *, size_t *);
int	 journal_record_decode(const char *, size_t, struct journal_record *);
int	 journal_v1_decode(const char *, size_t, struct journal_record *);
ssize_t	 journal_v1_read_at(int, uint64_t, uint64_t, struct buffer *,
	    struct journal_record *);
ssize_t	 journal_pread(int, void *, size_t, uint64_t);
int	 journal_zero(const void *, size_t);

#endif
