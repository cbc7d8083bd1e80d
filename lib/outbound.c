/*
 * Journaled outbound requests (see outbound.h).  The sequence number is
 * taken when the request finishes, so that records enter the journal, and
 * the in-memory timeline, in sequence order.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "message.h"
#include "journal.h"
#include "listener.h"
#include "outbound.h"
#include "xmalloc.h"

struct outbound {
	struct json_object	*record;	/* the journal record so far */
	char			*body;
	size_t			 body_len;
	outbound_done_cb	 cb;
	void			*arg;
};

/* A request finished: journal it, index it, tell the caller. */
static void
outbound_done(struct httpc_result *result, void *arg)
{
	struct outbound		*o = arg;
	struct json_object	*r = o->record;
	struct buffer		 both;
	uint64_t		 seq, offset;

	seq = listener.next_seq++;
	json_object_object_add(r, "seq", json_object_new_int64((int64_t)seq));
	json_object_object_add(r, "status", json_object_new_int(result->status));
	if (result->error != NULL)
		json_object_object_add(r, "error",
		    json_object_new_string(result->error));
	json_object_object_add(r, "http_status",
	    json_object_new_int((int)result->http_status));
	json_object_object_add(r, "response_headers",
	    json_object_get(result->headers));
	json_object_object_add(r, "time_ms",
	    json_object_new_int64(result->time_ms));
	/* The body is the request body, then the response body. */
	buffer_init(&both);
	buffer_add(&both, o->body, o->body_len);
	buffer_add(&both, buffer_peek(&result->body),
	    buffer_unread(&result->body));
	offset = journal_append(listener.journal, JOURNAL_MESSAGE_SENT, r,
	    buffer_peek(&both), buffer_unread(&both));
	buffer_release(&both);
	message_sent(seq, offset);

	o->cb(result, seq, o->arg);
	json_object_put(r);
	free(o->body);
	free(o);
}

/* Make a request; cb gets its result and sequence number exactly once. */
void
outbound_send(const struct httpc_request *req, outbound_done_cb cb, void *arg)
{
	struct outbound		*o;
	struct json_object	*r;

	o = xcalloc(1, sizeof *o);
	o->cb = cb;
	o->arg = arg;
	o->body = xmemdup(req->body == NULL ? "" : req->body, req->body_len);
	o->body_len = req->body_len;
	o->record = r = json_object_new_object();
	json_object_object_add(r, "method", json_object_new_string(req->method));
	json_object_object_add(r, "url", json_object_new_string(req->url));
	json_object_object_add(r, "headers", req->headers == NULL ?
	    json_object_new_array() : json_object_get(req->headers));
	json_object_object_add(r, "request_body_len",
	    json_object_new_int64((int64_t)req->body_len));
	json_object_object_add(r, "sent_at",
	    json_object_new_int64(listener_wallclock()));
	httpc_send(listener.httpc, req, outbound_done, o);
}
