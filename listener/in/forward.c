/*
 * Forwarded requests.  A durable request to a hook spawned with
 * --forward-to is passed on to the local app behind it (outbound.c); its
 * connection stays suspended while the app answers, and the app's answer
 * (or 502 if it cannot be reached) is relayed.  How each one was answered
 * is journaled (MESSAGE_ANSWERED) before the answer goes out.
 *
 * The outbound request outlives the request it was made for when the
 * server is done with that first (a stop answers it 503, MHD completes
 * it): so what outbound calls back with is not the request but a
 * forwarding, which the request leaves (forward_forget) when it goes.  A
 * forwarding whose request has gone is only freed when the app's answer
 * comes.
 *
 * A forward needs a file for its socket to the app, besides its sender's
 * connection: it takes one of the outbound files of the listener's budget
 * (lib/files.c) as soon as its request's head is in (forward_admit), before
 * its body is read or recorded.  With none free, its sender gets 503 with
 * Retry-After and only the refusal is recorded, as a refused head (refuse.c),
 * rather than a 502 after its record was written, which a sender that tries
 * again would deliver twice.  A request found not to be forwarded after all
 * (a body too large, a failed signature check, an echo) gives its file back
 * then (forward_release), not when its connection is done.
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
#include "log.h"
#include "outbound.h"
#include "proto.h"
#include "request.h"
#include "xmalloc.h"

/* A request passed on to its app, until the app answers. */
struct forwarding {
	struct forward		*forward;
	struct request		*request;	/* NULL once it has gone */
	TAILQ_ENTRY(forwarding)	 entry;
};

struct forward {
	struct outbound		*outbound;
	TAILQ_HEAD(, forwarding) list;		/* those with a request */
};

/* Pass requests on through outbound. */
struct forward *
forward_new(struct outbound *outbound)
{
	struct forward	*fw;

	fw = xcalloc(1, sizeof *fw);
	fw->outbound = outbound;
	TAILQ_INIT(&fw->list);
	return (fw);
}

/*
 * Free what forward_new made (when the server stops, after forward_stop:
 * no request is forwarded any more).
 */
void
forward_free(struct forward *fw)
{
	if (fw == NULL)
		return;
	forward_stop(fw);
	free(fw);
}

/*
 * Part a forwarding from its request: the app's answer will find nothing
 * to relay to.
 */
static struct request *
forward_detach(struct forwarding *f)
{
	struct request	*r = f->request;

	TAILQ_REMOVE(&f->forward->list, f, entry);
	r->forwarding = NULL;
	f->request = NULL;
	return (r);
}

/*
 * The app answered a forwarded request (or could not): relay that.  The
 * app's answer is journaled once, as the response of the forward (its
 * type-4 record, which forward_seq names): the answer record gets a body
 * only when fish made the answer itself (502, 503).
 */
static void
forward_done(struct httpc_result *result, uint64_t seq, void *arg)
{
	struct forwarding	*f = arg;
	struct request		*r;
	struct MHD_Response	*response;
	const char		*text = "the app behind this hook cannot be "
				    "reached\n";
	unsigned int		 status;

	if (f->request == NULL) {
		/* Its sender was answered, or went, meanwhile. */
		free(f);
		return;
	}
	r = forward_detach(f);
	free(f);
	if (result->status == EXIT_OK && result->http_status >= 200 &&
	    result->http_status <= 599) {
		status = (unsigned int)result->http_status;
		response = answer_relay(result);
		text = NULL;
	} else if (result->status == EXIT_UNAVAILABLE) {
		/* The listener stopped before the app answered. */
		status = MHD_HTTP_SERVICE_UNAVAILABLE;
		text = "shutting down\n";
		response = answer_text(NULL, text);
	} else {
		status = MHD_HTTP_BAD_GATEWAY;
		response = answer_text(NULL, text);
	}
	request_journal_answer(r, "forwarded", status, NULL, text,
	    text == NULL ? 0 : strlen(text), (int64_t)seq);
	request_respond(r, status, response, 1);
}

/*
 * Take an outbound file for request r, whose hook forwards, before its
 * body is read; return 0 if none is free (answer 503 then).
 */
int
forward_admit(struct forward *fw, struct request *r)
{
	if (r->forward_file)
		return (1);
	if (!outbound_reserve(fw->outbound))
		return (0);
	r->forward_file = 1;
	return (1);
}

/*
 * Pass a durable request on to the hook's app, through outbound, with
 * the file forward_admit took; answer when it does.
 */
void
forward_start(struct forward *fw, struct request *r)
{
	struct httpc_request	 req;
	struct forwarding	*f;
	char			*url;

	/*
	 * Admitted before its body was read (httpd_hooked), so it holds a
	 * file: a forward without one would take a file a send waits for,
	 * or leave after its record with none, to fail with 502.  No path
	 * is known to get here without one; a test build stops on it so
	 * that the tests find one, but a slip in the bookkeeping is no
	 * reason to kill a listener users count on: a release build says so
	 * in its log and forwards as it did before files were reserved,
	 * waiting for a file like a send.
	 */
#ifdef FISH_TEST_HOOKS
	if (!r->forward_file)
		fatalx("forward of a request that took no outbound file");
#endif
	memset(&req, 0, sizeof req);
	url = answer_forward_url(r->hook, r->rest);
	req.method = r->method;
	req.url = url;
	req.headers = answer_forward_headers(r->connection);
	req.body = buffer_peek(&r->body);
	req.body_len = buffer_unread(&r->body);
	req.timeout_ms = r->hook->hold_timeout_ms;
	f = xcalloc(1, sizeof *f);
	f->forward = fw;
	f->request = r;
	r->forwarding = f;
	TAILQ_INSERT_TAIL(&fw->list, f, entry);
	if (r->forward_file) {
		/* The file forward_admit took is the forward's now. */
		r->forward_file = 0;
		outbound_forward(fw->outbound, &req, forward_done, f);
	} else {
		log_warnx("a forward that took no outbound file waits for "
		    "one (a bug: please report it)");
		outbound_send(fw->outbound, &req, 0, forward_done, NULL, f);
	}
	json_object_put(req.headers);
	free(url);
}

/*
 * Request r will not be forwarded (refused, failed its signature check,
 * answered otherwise): give back the file forward_admit took for it now,
 * not once MHD is done with it, which a sender that keeps its connection
 * busy (a body past --max-body it never ends) puts off, starving real
 * forwards of files.
 */
void
forward_release(struct forward *fw, struct request *r)
{
	if (!r->forward_file)
		return;
	r->forward_file = 0;
	outbound_unreserve(fw->outbound);
}

/*
 * MHD is done with a request (its connection closed): if it is still
 * forwarded, the app's answer must not find it; a file taken for a
 * forward that never started is free again.
 */
void
forward_forget(struct forward *fw, struct request *r)
{
	forward_release(fw, r);
	if (r->forwarding != NULL && r->forwarding->forward == fw)
		forward_detach(r->forwarding);
}

/*
 * Answer 503 to every request still waiting for its app, so that no
 * connection is left suspended when the server stops.
 */
void
forward_stop(struct forward *fw)
{
	struct forwarding	*f;
	struct request		*r;
	const char		*text = "shutting down\n";

	while ((f = TAILQ_FIRST(&fw->list)) != NULL) {
		r = forward_detach(f);
		request_respond(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    answer_text(NULL, text), 0);
	}
}
