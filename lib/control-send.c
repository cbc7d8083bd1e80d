/*
 * The control request to send an HTTP request (fish send): made with curl
 * (outbound.c), journaled, and answered to the client if it is still there.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "control.h"
#include "httpc.h"
#include "outbound.h"
#include "proto.h"
#include "xmalloc.h"

/*
 * An outbound request finished (and is journaled): answer the client that
 * asked for it, if it is still there (for send and replay).  arg is an
 * allocated client id, freed here.
 */
void
control_send_done(struct httpc_result *result, uint64_t seq, void *arg)
{
	uint64_t		*conn_id = arg;
	struct json_object	*r;
	struct conn		*c;

	if ((c = control_find(*conn_id)) != NULL) {
		r = proto_reply(result->status, result->error);
		json_object_object_add(r, "seq",
		    json_object_new_int64((int64_t)seq));
		json_object_object_add(r, "http_status",
		    json_object_new_int((int)result->http_status));
		json_object_object_add(r, "headers",
		    json_object_get(result->headers));
		json_object_object_add(r, "time_ms",
		    json_object_new_int64(result->time_ms));
		control_reply(c, r, buffer_peek(&result->body),
		    buffer_unread(&result->body));
	}
	free(conn_id);
}

/* Reply to "send": make the request with curl, answer when it finishes. */
void
control_send_start(struct conn *c, struct proto_frame *f)
{
	struct httpc_request	 req;
	struct json_object	*headers = NULL;
	uint64_t		*conn_id;

	memset(&req, 0, sizeof req);
	req.method = proto_string(f->json, "method");
	req.url = proto_string(f->json, "url");
	if (req.method == NULL || req.url == NULL) {
		control_errorf(c, EXIT_USAGE, "send needs a method and a URL");
		return;
	}
	if (json_object_object_get_ex(f->json, "headers", &headers) &&
	    !json_object_is_type(headers, json_type_array)) {
		control_errorf(c, EXIT_USAGE, "send headers must be a list");
		return;
	}
	req.headers = headers;
	req.body = f->payload;
	req.body_len = f->payload_len;
	req.timeout_ms = proto_int(f->json, "timeout_ms", 30000);
	conn_id = xmalloc(sizeof *conn_id);
	*conn_id = control_id(c);
	outbound_send(&req, control_send_done, conn_id);
}
