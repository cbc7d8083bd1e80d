/*
 * The control request to send an HTTP request (fish send): made with curl
 * (outbound.c), tried again as asked, journaled, and answered to the
 * client if it is still there.
 *
 * Request fields: method, url, headers, timeout_ms (per attempt), and
 * optionally retries, follow (redirects), include (the reply's payload
 * starts with the response's status line and headers, head_len bytes),
 * sign and secret (a scheme as sigspec.h names it and its resolved secret:
 * the body is signed here, byte for byte as sent, anew for each attempt;
 * the secret is used for that only, never journaled, and wiped from memory
 * when the request is over), and the options of curl's that fish send
 * takes: proxy and noproxy (the client's, from its flags or environment:
 * never the listener's), proxy_user (USER:PASSWORD, never journaled) and
 * proxy_headers (sent to the proxy alone, not journaled), insecure, cacert
 * (an absolute path), compressed, verbose (the reply's payload starts with
 * the heads as curl -v shows them, trace_len bytes) and max_response.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buffer.h"
#include "clock.h"
#include "control.h"
#include "envelope.h"
#include "httpc.h"
#include "log.h"
#include "outbound.h"
#include "proto.h"
#include "retry.h"
#include "signature.h"
#include "sigspec.h"
#include "xmalloc.h"

struct send_client {
	uint64_t	 conn_id;
	int		 include;
	int		 verbose;
	int		 signing;
	struct sigspec	 spec;		/* and its secret, while signing */
	char		*id;		/* standard's webhook-id, once made */
	int64_t		 timestamp;	/* given with -H, or -1: now */
};

/*
 * Answer a client, with the heads curl -v shows and the response's head
 * first when it asked.
 */
static void
control_send_answer(struct httpc_result *result, uint64_t seq,
    uint64_t conn_id, int include, int verbose)
{
	struct json_object	*r;
	struct conn		*c;
	struct buffer		 all;
	size_t			 trace_len, head_len, total;

	if ((c = control_find(conn_id)) != NULL) {
		trace_len = verbose ? buffer_unread(&result->trace) : 0;
		head_len = include ? buffer_unread(&result->head) : 0;
		total = trace_len + head_len + buffer_unread(&result->body);
		if (total > PROTO_PAYLOAD_MAX) {
			control_errorf(c, EXIT_FAILED, "response with its "
			    "headers larger than %u MiB", PROTO_PAYLOAD_MAX >> 20);
			return;
		}
		r = proto_reply(result->status, result->error);
		if (result->unverified)
			json_object_object_add(r, "unverified",
			    json_object_new_boolean(1));
		json_object_object_add(r, "seq",
		    json_object_new_int64((int64_t)seq));
		json_object_object_add(r, "http_status",
		    json_object_new_int((int)result->http_status));
		json_object_object_add(r, "headers",
		    json_object_get(result->headers));
		json_object_object_add(r, "header_fields",
		    envelope_headers(result->headers));
		json_object_object_add(r, "time_ms",
		    json_object_new_int64(result->time_ms));
		json_object_object_add(r, "attempts",
		    json_object_new_int((int)result->attempt));
		if (result->note != NULL)
			json_object_object_add(r, "note",
			    json_object_new_string(result->note));
		if (result->final_url != NULL)
			json_object_object_add(r, "final_url",
			    json_object_new_string(result->final_url));
		json_object_object_add(r, "redirects",
		    json_object_new_int64(result->redirects));
		if (!include && !verbose) {
			control_reply(c, r, buffer_peek(&result->body),
			    buffer_unread(&result->body));
			return;
		}
		if (include)
			json_object_object_add(r, "head_len",
			    json_object_new_int64((int64_t)head_len));
		if (verbose)
			json_object_object_add(r, "trace_len",
			    json_object_new_int64((int64_t)trace_len));
		buffer_init(&all);
		buffer_add(&all, buffer_peek(&result->trace), trace_len);
		buffer_add(&all, buffer_peek(&result->head), head_len);
		buffer_add(&all, buffer_peek(&result->body),
		    buffer_unread(&result->body));
		control_reply(c, r, buffer_peek(&all), buffer_unread(&all));
		buffer_release(&all);
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

	control_send_answer(result, seq, *conn_id, 0, 0);
	free(conn_id);
}

/* Free a send's client and wipe its secret. */
static void
control_send_free(struct send_client *sc)
{
	sigspec_free(&sc->spec);
	free(sc->id);
	free(sc);
}

/*
 * The same for send, whose client may want the response's head; arg is
 * its send_client, freed here.
 */
static void
control_send_sent(struct httpc_result *result, uint64_t seq, void *arg)
{
	struct send_client	*sc = arg;

	control_send_answer(result, seq, sc->conn_id, sc->include,
	    sc->verbose);
	control_send_free(sc);
}

/*
 * Return a copy of headers with the signature of body added, or NULL with
 * *cause set.  The headers the user gave (webhook-id, webhook-timestamp)
 * stay, once; a webhook-id made up is noted, for the retries to repeat.
 */
static struct json_object *
control_send_sign(struct send_client *sc, struct json_object *headers,
    const char *body, size_t len, char **cause)
{
	struct json_object	*signed_headers, *pair, *o;
	int64_t			 timestamp = sc->timestamp;
	size_t			 i, n;

	if (timestamp < 0)
		timestamp = clock_wall_ms() / 1000;
	o = json_object_new_array();
	if (signature_sign(&sc->spec, body, len, sc->id, timestamp, o,
	    cause) == -1) {
		json_object_put(o);
		return (NULL);
	}
	if (sc->spec.scheme == SIGSPEC_STANDARD && sc->id == NULL)
		sc->id = xstrdup(signature_header(o, "webhook-id", NULL));
	signed_headers = json_object_new_array();
	n = headers != NULL ? json_object_array_length(headers) : 0;
	for (i = 0; i < n; i++)
		json_object_array_add(signed_headers,
		    json_object_get(json_object_array_get_idx(headers, i)));
	for (i = 0; i < json_object_array_length(o); i++) {
		pair = json_object_array_get_idx(o, i);
		if (signature_header(headers, json_object_get_string(
		    json_object_array_get_idx(pair, 0)), NULL) == NULL)
			json_object_array_add(signed_headers,
			    json_object_get(pair));
	}
	json_object_put(o);
	return (signed_headers);
}

/*
 * Give an attempt its headers: signed anew when asked, so that a retry
 * late by minutes still has a timestamp within the receiver's tolerance
 * (its webhook-id stays, telling the receiver it is a repetition).
 */
static struct json_object *
control_send_headers(struct json_object *headers, const char *body,
    size_t len, void *arg)
{
	struct send_client	*sc = arg;
	struct json_object	*signed_headers;
	char			*cause;

	if (!sc->signing)
		return (json_object_get(headers));
	/* It signed the first attempt, so this fails only without memory. */
	if ((signed_headers = control_send_sign(sc, headers, body, len,
	    &cause)) == NULL) {
		log_warnx("send: cannot sign: %s", cause);
		free(cause);
		return (json_object_get(headers));
	}
	return (signed_headers);
}

static const struct outbound_ops control_send_ops = {
	.wanted = control_send_wanted,
	.headers = control_send_headers
};

/*
 * Refuse a signature header the user gave too (-H X-Hub-Signature-256
 * with --sign github): one of the two would be dropped without a word.
 * webhook-id and webhook-timestamp are inputs of the signature, not it.
 * Return 0, or -1 after answering the client why not.
 */
static int
control_send_sign_conflict(struct conn *c, struct send_client *sc,
    struct json_object *headers, struct proto_frame *f)
{
	struct json_object	*made;
	const char		*name;
	char			*cause, *reason;
	size_t			 i;
	int			 ret = 0, given;

	made = json_object_new_array();
	if (signature_sign(&sc->spec, f->payload, f->payload_len, sc->id, 0,
	    made, &cause) == -1) {
		free(cause);
		json_object_put(made);
		return (0);
	}
	for (i = 0; i < json_object_array_length(made) && ret == 0; i++) {
		name = json_object_get_string(json_object_array_get_idx(
		    json_object_array_get_idx(made, i), 0));
		if (strcasecmp(name, "webhook-id") == 0 ||
		    strcasecmp(name, "webhook-timestamp") == 0)
			continue;
		reason = NULL;
		given = signature_header(headers, name, &reason) != NULL ||
		    strncmp(reason, "more", 4) == 0;
		free(reason);
		if (given) {
			control_errorf(c, EXIT_USAGE, "--sign: header '%s' "
			    "given too: give the signature or --sign, not "
			    "both", name);
			ret = -1;
		}
	}
	json_object_put(made);
	return (ret);
}

/*
 * Take the scheme and secret to sign with, and check that the request can
 * be signed (by signing it once).  Standard Webhooks' webhook-id and
 * webhook-timestamp given with -H are signed rather than made up, so a
 * script can fix them.  Return 0, or -1 after answering the client why not.
 */
static int
control_send_prepare_sign(struct conn *c, struct proto_frame *f,
    struct json_object *headers, struct send_client *sc)
{
	struct json_object	*signed_headers;
	const char		*scheme, *secret, *id, *given;
	char			*cause = NULL, *end;

	scheme = proto_string(f->json, "sign");
	secret = proto_string(f->json, "secret");
	if (secret == NULL ||
	    sigspec_from_parts(scheme, secret, &sc->spec, &cause) == -1) {
		control_errorf(c, EXIT_USAGE, "--sign: %s", cause != NULL ?
		    cause : "no secret");
		free(cause);
		return (-1);
	}
	sc->signing = 1;
	if (sc->spec.scheme == SIGSPEC_STANDARD) {
		if ((id = signature_header(headers, "webhook-id", NULL)) != NULL)
			sc->id = xstrdup(id);
		given = signature_header(headers, "webhook-timestamp", NULL);
		if (given != NULL) {
			sc->timestamp = strtoll(given, &end, 10);
			if (*given == '\0' || *end != '\0' ||
			    sc->timestamp < 0) {
				control_errorf(c, EXIT_USAGE, "--sign: "
				    "webhook-timestamp must be Unix seconds");
				return (-1);
			}
		}
	}
	signed_headers = control_send_sign(sc, headers, f->payload,
	    f->payload_len, &cause);
	if (signed_headers == NULL) {
		control_errorf(c, EXIT_USAGE, "--sign: %s", cause);
		free(cause);
		return (-1);
	}
	json_object_put(signed_headers);
	return (control_send_sign_conflict(c, sc, headers, f));
}

/*
 * Fill req with the options of curl's a client gives with a send or a
 * replay: proxy, noproxy, proxy_user, proxy_headers, insecure, cacert,
 * compressed, verbose and max_response.  Return 0, or -1 after answering
 * the client which is wrong.
 */
int
control_send_options(struct conn *c, struct proto_frame *f,
    struct httpc_request *req)
{
	const char	*field;
	int64_t		 max = 0;

	field = "proxy";
	if (proto_get_string(f->json, field, 1, CONTROL_URL_MAX,
	    &req->proxy) == PROTO_INVALID)
		goto invalid;
	field = "noproxy";
	if (proto_get_string(f->json, field, 1, CONTROL_URL_MAX,
	    &req->noproxy) == PROTO_INVALID)
		goto invalid;
	field = "proxy_user";
	if (proto_get_string(f->json, field, 1, CONTROL_URL_MAX,
	    &req->proxy_user) == PROTO_INVALID)
		goto invalid;
	field = "proxy_headers";
	if (proto_get_headers(f->json, field, CONTROL_HEADERS_MAX,
	    &req->proxy_headers) == PROTO_INVALID)
		goto invalid;
	field = "insecure";
	if (proto_get_bool(f->json, field, &req->insecure) == PROTO_INVALID)
		goto invalid;
	field = "cacert";
	if (proto_get_string(f->json, field, 2, CONTROL_URL_MAX,
	    &req->trust) == PROTO_INVALID ||
	    (req->trust != NULL && req->trust[0] != '/'))
		goto invalid;
	field = "compressed";
	if (proto_get_bool(f->json, field, &req->compressed) == PROTO_INVALID)
		goto invalid;
	field = "verbose";
	if (proto_get_bool(f->json, field, &req->verbose) == PROTO_INVALID)
		goto invalid;
	field = "max_response";
	if (proto_get_int(f->json, field, 1, HTTPC_RESPONSE_MAX, &max) ==
	    PROTO_INVALID)
		goto invalid;
	req->max_response = (size_t)max;
	return (0);
invalid:
	control_invalid(c, f, field);
	return (-1);
}

/*
 * Check the fields of a send request and fill req from them.  Return 0,
 * or -1 after answering the client which is wrong.
 */
static int
control_send_fields(struct conn *c, struct proto_frame *f,
    struct httpc_request *req, int64_t *retries, int *include)
{
	const char	*field, *text;
	int		 method, url;

	memset(req, 0, sizeof *req);
	method = proto_get_string(f->json, "method", 1, 64, &req->method);
	url = proto_get_string(f->json, "url", 1, CONTROL_URL_MAX, &req->url);
	if (method == PROTO_ABSENT || url == PROTO_ABSENT) {
		control_errorf(c, EXIT_USAGE, "send needs a method and a URL");
		return (-1);
	}
	field = "method";
	if (method == PROTO_INVALID ||
	    !proto_header_name_valid(req->method, strlen(req->method)))
		goto invalid;
	field = "url";
	if (url == PROTO_INVALID)
		goto invalid;
	field = "headers";
	if (proto_get_headers(f->json, field, CONTROL_HEADERS_MAX,
	    &req->headers) == PROTO_INVALID)
		goto invalid;
	req->timeout_ms = 30000;
	field = "timeout_ms";
	if (proto_get_int(f->json, field, 1, PROTO_MS_MAX,
	    &req->timeout_ms) == PROTO_INVALID)
		goto invalid;
	*retries = 0;
	field = "retries";
	if (proto_get_int(f->json, field, 0, RETRY_MAX, retries) ==
	    PROTO_INVALID)
		goto invalid;
	field = "follow";
	if (proto_get_bool(f->json, field, &req->follow) == PROTO_INVALID)
		goto invalid;
	*include = 0;
	field = "include";
	if (proto_get_bool(f->json, field, include) == PROTO_INVALID)
		goto invalid;
	field = "sign";
	if (proto_get_string(f->json, field, 1, 256, &text) == PROTO_INVALID)
		goto invalid;
	field = "secret";
	if (proto_get_string(f->json, field, 1, CONTROL_URL_MAX, &text) ==
	    PROTO_INVALID)
		goto invalid;
	if (control_send_options(c, f, req) == -1)
		return (-1);
	req->body = f->payload;
	req->body_len = f->payload_len;
	return (0);
invalid:
	control_invalid(c, f, field);
	return (-1);
}

/* Reply to "send": make the request with curl, answer when it finishes. */
void
control_send_start(struct conn *c, struct proto_frame *f)
{
	struct httpc_request	 req;
	struct send_client	*sc;
	int64_t			 retries;
	int			 include;

	if (control_send_fields(c, f, &req, &retries, &include) == -1)
		return;
	sc = xcalloc(1, sizeof *sc);
	sc->conn_id = control_id(c);
	sc->include = include;
	sc->verbose = req.verbose;
	sc->timestamp = -1;
	if (json_object_object_get_ex(f->json, "sign", NULL)) {
		/* Redirects would carry the signature to other URLs. */
		if (req.follow) {
			control_errorf(c, EXIT_USAGE, "--sign does not follow "
			    "redirects");
			control_send_free(sc);
			return;
		}
		if (control_send_prepare_sign(c, f, req.headers, sc) == -1) {
			control_send_free(sc);
			return;
		}
	}
	outbound_send(control_outbound(c), &req, (unsigned int)retries,
	    control_send_sent,
	    &control_send_ops, sc);
}
