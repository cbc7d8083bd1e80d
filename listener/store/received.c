/*
 * The record of a received request written straight from its fields
 * (store_receive_fields in store.h), the path every accepted request takes:
 * no json-c tree is built and printed per request.  The bytes are those
 * store_receive writes for the same fields (its object printed by
 * journal_append), keys in the same order: method, path, query, headers (as
 * [[name, value], ...]), remote, via (behind a tunnel), received_at, verified
 * (only for a hook that verifies), seq, token.  test/unit/received checks the
 * two agree byte for byte, hostile bytes included.
 */
#include "config.h"

#include <string.h>

#include "buffer.h"
#include "journal.h"
#include "jsonw.h"
#include "store-private.h"

/*
 * Write the record's JSON for fields f, sequence seq and hook token; set
 * *seq_at and *seq_len to where its ,"seq":N member is in it (see struct
 * store_entry).
 */
void
store_received_encode(struct buffer *b, const struct store_received *f,
    uint64_t seq, const char *token, size_t *seq_at, size_t *seq_len)
{
	size_t	i, start = buffer_unread(b);

	buffer_add_str(b, "{\"method\":");
	jsonw_string(b, f->method, strlen(f->method));
	buffer_add_str(b, ",\"path\":");
	jsonw_string(b, f->path, f->path_len);
	buffer_add_str(b, ",\"query\":");
	jsonw_string(b, f->query, f->query_len);
	buffer_add_str(b, ",\"headers\":[");
	for (i = 0; i < f->nheaders; i++) {
		buffer_add_str(b, i == 0 ? "[" : ",[");
		jsonw_string(b, f->headers[2 * i], strlen(f->headers[2 * i]));
		buffer_add(b, ",", 1);
		jsonw_string(b, f->headers[2 * i + 1],
		    strlen(f->headers[2 * i + 1]));
		buffer_add(b, "]", 1);
	}
	buffer_add_str(b, "],\"remote\":");
	jsonw_string(b, f->remote, strlen(f->remote));
	if (f->via != NULL) {
		buffer_add_str(b, ",\"via\":");
		jsonw_string(b, f->via, strlen(f->via));
	}
	buffer_add_str(b, ",\"received_at\":");
	jsonw_int(b, f->received_at);
	if (f->verified)
		buffer_add_str(b, ",\"verified\":true");
	*seq_at = buffer_unread(b) - start;
	buffer_add_str(b, ",\"seq\":");
	jsonw_int(b, (int64_t)seq);
	*seq_len = buffer_unread(b) - start - *seq_at;
	buffer_add_str(b, ",\"token\":");
	jsonw_string(b, token, strlen(token));
	buffer_add(b, "}", 1);
}

/*
 * Record a received request on hook h from its fields, as store_receive
 * does from an object (see there): pending until the journal is synced;
 * or NULL, as there.
 */
struct message *
store_receive_fields(struct store *s, struct hook *h,
    const struct store_received *f, const void *body, size_t len)
{
	struct store_entry	e;
	uint64_t		offset;

	memset(&e, 0, sizeof e);
	e.type = JOURNAL_MESSAGE_RECEIVED;
	e.seq = store_seq_new(s);
	buffer_clear(&s->scratch);
	store_received_encode(&s->scratch, f, e.seq, h->token, &e.seq_at,
	    &e.seq_len);
	e.json = buffer_peek(&s->scratch);
	e.json_len = buffer_unread(&s->scratch);
	e.body = body;
	e.body_len = len;
	if ((offset = store_append_entry(s, &e)) == JOURNAL_REFUSED)
		return (NULL);
	h->pending++;
	return (message_insert(s, h, e.seq, offset, MESSAGE_PENDING));
}
