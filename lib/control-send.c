/*
 * The control request to send an HTTP request (fish send): made with curl
 * (outbound.c), tried again as asked, journaled, and answered to the
 * client if it is still there.
 *
 * Request fields: method, url, headers, timeout_ms (per attempt), and
 * optionally retries, follow (redirects), include (the reply's payload
 * starts with the response's status line and headers, head_len bytes),
 * sign and secret (a scheme as sigspec.h names it and its resolved secret:
 * the body is signed here, byte for byte as sent; the secret is used for
 * that only, never journaled or kept).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buffer.h"
#include "control.h"
#include "httpc.h"
#include "listener.h"
#include "outbound.h"
#include "proto.h"
#include "retry.h"
#include "signature.h"
#include "sigspec.h"
#include "xmalloc.h"

struct send_client {
	uint64_t	conn_id;
	int		include;
};

/* Answer a client, with the response's head first when it asked. */
static void
control_send_answer(struct httpc_result *result, uint64_t seq,
    uint64_t conn_id, int include)
{
	struct json_object	*r;
	struct conn		*c;
	struct buffer		 both;

	if ((c = control_find(conn_id)) != NULL) {
		r = proto_reply(result->status, result->error);
		json_object_object_add(r, "seq",
		    json_object_new_int64((int64_t)seq));
		json_object_object_add(r, "http_status",
		    json_object_new_int((int)result->http_status));
		json_object_object_add(r, "headers",
		    json_object_get(result->headers));
		json_object_object_add(r, "time_ms",
		    json_object_new_int64(result->time_ms));
		json_object_object_add(r, "attempts",
		    json_object_new_int((int)result->attempt));
		if (result->final_url != NULL)
			json_object_object_add(r, "final_url",
			    json_object_new_string(result->final_url));
		if (!include) {
			control_reply(c, r, buffer_peek(&result->body),
			    buffer_unread(&result->body));
			return;
		}
		json_object_object_add(r, "head_len", json_object_new_int64(
		    (int64_t)buffer_unread(&result->head)));
		buffer_init(&both);
		buffer_add(&both, buffer_peek(&result->head),
		    buffer_unread(&result->head));
		buffer_add(&both, buffer_peek(&result->body),
		    buffer_unread(&result->body));
		control_reply(c, r, buffer_peek(&both), buffer_unread(&both));
		buffer_release(&both);
	}
}

/* Tell whether the client of a send is still there to hear of it. */
static int
control_send_wanted(void *arg)
{
	struct send_client	*sc = arg;

	return (control_find(sc->conn_id) != NULL);
}

/*
 * An outbound request finished (and is journaled): answer the client that
 * asked for it, if it is still there (for replay).  arg is an allocated
 * client id, freed here.
 */
void
control_send_done(struct httpc_result *result, uint64_t seq, void *arg)
{
	uint64_t	*conn_id = arg;

	control_send_answer(result, seq, *conn_id, 0);
	free(conn_id);
}

/* The same for send, whose client may want the response's head. */
static void
control_send_sent(struct httpc_result *result, uint64_t seq, void *arg)
{
	struct send_client	*sc = arg;

	control_send_answer(result, seq, sc->conn_id, sc->include);
	free(sc);
}

/*
 * Sign the request's body as asked: return a copy of its headers with the
 * scheme's added, or NULL after answering the client why not.  Standard
 * Webhooks' webhook-id and webhook-timestamp given with -H are signed
 * rather than made up, so a script can fix them.
 */
static struct json_object *
control_send_sign(struct conn *c, struct proto_frame *f,
    struct json_object *headers)
{
	struct json_object	*signed_headers, *pair, *o;
	struct sigspec		 spec;
	const char		*scheme, *secret, *id, *given;
	char			*cause = NULL, *end;
	int64_t			 timestamp = listener_wallclock() / 1000;
	size_t			 i, n;

	scheme = proto_string(f->json, "sign");
	secret = proto_string(f->json, "secret");
	if (secret == NULL ||
	    sigspec_from_parts(scheme, secret, &spec, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "--sign: %s", cause != NULL ?
		    cause : "no secret");
		free(cause);
		return (NULL);
	}
	id = signature_header(headers, "webhook-id", NULL);
	given = signature_header(headers, "webhook-timestamp",
	    NULL);
	if (spec.scheme == SIGSPEC_STANDARD && given != NULL) {
		timestamp = strtoll(given, &end, 10);
		if (*given == '\0' || *end != '\0' || timestamp < 0) {
			control_errorf(c, EXIT_USAGE, "--sign: webhook-timestamp "
			    "must be Unix seconds");
			sigspec_free(&spec);
			return (NULL);
		}
	}
	signed_headers = json_object_new_array();
	n = headers != NULL ? json_object_array_length(headers) : 0;
	for (i = 0; i < n; i++)
		json_object_array_add(signed_headers,
		    json_object_get(json_object_array_get_idx(headers, i)));
	o = json_object_new_array();
	if (signature_sign(&spec, f->payload, f->payload_len, id, timestamp,
	    o, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "--sign: %s", cause);
		free(cause);
		json_object_put(o);
		json_object_put(signed_headers);
		sigspec_free(&spec);
		return (NULL);
	}
	/* Headers the user gave (webhook-id, webhook-timestamp) stay once. */
	for (i = 0; i < json_object_array_length(o); i++) {
		pair = json_object_array_get_idx(o, i);
		if (signature_header(headers, json_object_get_string(
		    json_object_array_get_idx(pair, 0)), NULL) == NULL)
			json_object_array_add(signed_headers,
			    json_object_get(pair));
	}
	json_object_put(o);
	sigspec_free(&spec);
	return (signed_headers);
}

/* Reply to "send": make the request with curl, answer when it finishes. */
void
control_send_start(struct conn *c, struct proto_frame *f)
{
	struct httpc_request	 req;
	struct json_object	*headers = NULL, *signed_headers = NULL, *o;
	struct send_client	*sc;
	int64_t			 retries;

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
	retries = proto_int(f->json, "retries", 0);
	if (req.timeout_ms <= 0 || retries < 0 ||
	    retries > RETRY_MAX) {
		control_errorf(c, EXIT_USAGE, "send timeout_ms or retries out "
		    "of range");
		return;
	}
	req.follow = json_object_object_get_ex(f->json, "follow", &o) &&
	    json_object_get_boolean(o);
	if (json_object_object_get_ex(f->json, "sign", NULL)) {
		/* Redirects would carry the signature to other URLs. */
		if (req.follow) {
			control_errorf(c, EXIT_USAGE, "--sign does not follow "
			    "redirects");
			return;
		}
		if ((signed_headers = control_send_sign(c, f, headers)) == NULL)
			return;
		req.headers = signed_headers;
	}
	sc = xmalloc(sizeof *sc);
	sc->conn_id = control_id(c);
	sc->include = json_object_object_get_ex(f->json, "include", &o) &&
	    json_object_get_boolean(o);
	outbound_send(&req, (unsigned int)retries, control_send_sent,
	    control_send_wanted, sc);
	json_object_put(signed_headers);
}
