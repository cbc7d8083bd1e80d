/*
 * The journal: the session's durable, append-only record of everything
 * received and sent.  The listener rebuilds all of its state from it.
 *
 * It is a directory of segment files named NNNNNNNN.journal (the segment
 * number, from 1, in eight decimal digits).  Each segment (integers
 * big-endian):
 *	header	8 bytes "FISHJRNL", u32 format version (1), u32 segment
 *		number, u64 creation time (unix ms)
 *	record	u32 length L, u32 CRC-32C of the L bytes that follow, then
 *		u8 type, u32 JSON length J, J bytes of JSON (an object),
 *		L - 5 - J bytes of body
 *
 * Records are written only by journal_append and made durable by
 * journal_sync, which the listener calls once per event-loop pass (group
 * commit).  See doc/journal.md for the meaning of each record type.
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define JOURNAL_MAGIC		"FISHJRNL"
#define JOURNAL_VERSION		1
#define JOURNAL_HEADER_LEN	24
#define JOURNAL_RECORD_MAX	(80U << 20)

enum journal_type {
	JOURNAL_HOOK_CREATED = 1,
	JOURNAL_HOOK_CLOSED = 2,
	JOURNAL_MESSAGE_RECEIVED = 3,
	JOURNAL_MESSAGE_SENT = 4,
	JOURNAL_MESSAGE_TAKEN = 5,
	JOURNAL_CHECKPOINT = 6,
	JOURNAL_MESSAGE_ANSWERED = 7,
	JOURNAL_MESSAGE_SENDING = 8,
};

struct journal_record {
	enum journal_type	 type;
	uint64_t		 offset;
	struct json_object	*json;
	const char		*body;
	size_t			 body_len;
	char			*storage;
};

struct journal;

typedef void (*journal_replay_cb)(const struct journal_record *, void *);

struct journal *journal_open(const char *, journal_replay_cb, void *, char **,
	    char **);
void	 journal_close(struct journal *);
uint64_t journal_append(struct journal *, enum journal_type,
	    struct json_object *, const void *, size_t);
int	 journal_sync(struct journal *, char **);
int	 journal_dirty(const struct journal *);
int	 journal_read(struct journal *, uint64_t, struct journal_record *,
	    char **);
void	 journal_record_release(struct journal_record *);
int	 journal_roll(struct journal *, char **);
uint32_t journal_expire(struct journal *, int64_t, char **);
uint64_t journal_active_bytes(const struct journal *, int64_t *);
uint64_t journal_bytes(const struct journal *);
uint64_t journal_records(const struct journal *);
size_t	 journal_segments(const struct journal *);

#endif
