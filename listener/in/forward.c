/*
 * Forwarded requests.  A durable request to a hook spawned with
 * --forward-to is passed on to the local app behind it (outbound.c); its
 * connection stays suspended, on the forwarding list, while the app
 * answers, and the app's answer (or 502 if it cannot be reached) is
 * relayed.  How each one was answered is journaled (MESSAGE_ANSWERED)
 * before the answer goes out.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "buffer.h"
#include "forward.h"
#include "hook.h"
#include "httpc.h"
#include "outbound.h"
#include "proto.h"
#include "request.h"

static TAILQ_HEAD(, request)	forwarding =
    TAILQ_HEAD_INITIALIZER(forwarding);

/* The app answered a forwarded request (or could not): relay that. */
static void
forward_done(struct httpc_result *result, uint64_t seq, void *arg)
{
	struct request		*r = arg;
	struct MHD_Response	*response;
	const char		*text = "the app behind this hook cannot be "
				    "reached\n";
	unsigned int		 status;

	TAILQ_REMOVE(&forwarding, r, entry);
	r->forwarding = 0;
	if (result->status == EXIT_OK && result->http_status >= 200 &&
	    result->http_status <= 599) {
		status = (unsigned int)result->http_status;
		response = answer_relay(result);
	} else if (result->status == EXIT_UNAVAILABLE) {
		/* The listener stopped before the app answered. */
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		response = answer_text(NULL, "shutting down\n");
	} else {
		status = MHD_HTTP_BAD_GATEWAY;
		response = answer_text(NULL, text);
	}
	request_journal_answer(r, "forwarded", status, NULL, NULL, 0,
	    (int64_t)seq);
	request_respond(r, status, response, 1);
}

/*
 * Pass a durable request on to the hook's app, through outbound; answer
 * when it does.
 */
void
forward_start(struct outbound *outbound, struct request *r)
{
	struct httpc_request	 req;
	char			*url;

	memset(&req, 0, sizeof req);
	url = answer_forward_url(r->hook, r->rest);
	req.method = r->method;
	req.url = url;
	req.headers = answer_forward_headers(r->connection);
	req.body = buffer_peek(&r->body);
	req.body_len = buffer_unread(&r->body);
	req.timeout_ms = r->hook->hold_timeout_ms;
	r->forwarding = 1;
	TAILQ_INSERT_TAIL(&forwarding, r, entry);
	outbound_send(outbound, &req, 0, forward_done, NULL, r);
	json_object_put(req.headers);
	free(url);
}

/* MHD is done with a request still forwarded (at a stop): drop it. */
void
forward_forget(struct request *r)
{
	TAILQ_REMOVE(&forwarding, r, entry);
}

/*
 * Answer 503 to every request still waiting for its app, so that no
 * connection is left suspended when the server stops.
 */
void
forward_stop(void)
{
	struct request	*r;
	const char	*text = "shutting down\n";

	while ((r = TAILQ_FIRST(&forwarding)) != NULL) {
		TAILQ_REMOVE(&forwarding, r, entry);
		r->forwarding = 0;
		request_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	}
}
