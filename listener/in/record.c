/*
 * The message record of a complete request to a hook (see record.h): its
 * method, path, query, headers, peer and time, and for a hook spawned
 * with --verify the outcome of the signature check over the headers and
 * body bytes exactly as received.  A request that fails the check is
 * recorded as rejected: a bounded head with the reason and without its
 * body (reject.c); past the rate caps, not at all, only counted.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "buffer.h"
#include "clock.h"
#include "hook.h"
#include "message.h"
#include "record.h"
#include "reject.h"
#include "request.h"
#include "signature.h"
#include "store.h"
#include "xmalloc.h"

/* Headers a request's record collects without taking memory. */
#define RECORD_STACK_HEADERS	32

/*
 * Check the signature of a complete request to a verifying hook.  Return 1
 * when it is good; 0 with *reason (caller frees) when it is not.
 */
static int
record_verify(const struct hook *h, struct json_object *headers,
    const void *body, size_t len, char **reason)
{
	*reason = NULL;
	if (h->sigspec == NULL) {
		*reason = xstrdup("secret missing");
		return (0);
	}
	if (signature_verify(h->sigspec, headers, body, len,
	    clock_wall_ms() / 1000, h->tolerance_ms / 1000, reason) == 1)
		return (1);
	if (*reason == NULL)
		*reason = xstrdup("bad signature");
	return (0);
}

/* The headers of a request, collected for its record (record_add_header). */
struct record_headers {
	const char	**pairs;	/* name, value, name, value, ... */
	size_t		  n;		/* pairs */
	size_t		  size;		/* pairs room */
	const char	 *stack[2 * RECORD_STACK_HEADERS];
};

/*
 * Add one request header to the list (arg: record_headers).  The strings
 * are MHD's, valid for the request.  A request with more headers than the
 * stack holds moves the list to the heap.
 */
static enum MHD_Result
record_add_header(void *arg, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct record_headers	*rh = arg;

	(void)kind;
	if (rh->n == rh->size) {
		rh->size *= 2;
		if (rh->pairs == rh->stack) {
			rh->pairs = xreallocarray(NULL, rh->size,
			    2 * sizeof *rh->pairs);
			memcpy(rh->pairs, rh->stack, sizeof rh->stack);
		} else
			rh->pairs = xreallocarray(rh->pairs, rh->size,
			    2 * sizeof *rh->pairs);
	}
	rh->pairs[2 * rh->n] = key;
	rh->pairs[2 * rh->n + 1] = value == NULL ? "" : value;
	rh->n++;
	return (MHD_YES);
}

/*
 * Journal an accepted request straight from its fields, without a json-c
 * tree (see store_receive_fields): the path of every request but one that
 * failed its signature check.
 */
static void
record_accepted(struct request *r, const char *method, const char *remote,
    size_t pathlen, int verified)
{
	struct store_received	 f;
	struct record_headers	 rh;
	const char		*rest = r->rest, *query;

	rh.pairs = rh.stack;
	rh.n = 0;
	rh.size = RECORD_STACK_HEADERS;
	MHD_get_connection_values(r->connection, MHD_HEADER_KIND,
	    record_add_header, &rh);
	f.method = method;
	if (pathlen == 0) {
		f.path = "/";
		f.path_len = 1;
	} else {
		f.path = rest;
		f.path_len = pathlen;
	}
	if (rest[pathlen] == '?') {
		query = rest + pathlen + 1;
		f.query = query;
		f.query_len = strcspn(query, "#");
	} else {
		f.query = "";
		f.query_len = 0;
	}
	f.headers = rh.pairs;
	f.nheaders = rh.n;
	f.remote = remote;
	f.received_at = clock_wall_ms();
	f.verified = verified;
	r->message = store_receive_fields(r->requests->store, r->hook, &f,
	    buffer_peek(&r->body), buffer_unread(&r->body));
	r->seq = r->message->seq;
	if (rh.pairs != rh.stack)
		free(rh.pairs);
}

/*
 * Journal a complete request as a message of its hook (r->rest is what
 * came below the hook's URL; remote is its peer as ADDRESS:PORT, or ""),
 * with the outcome of its signature check if the hook verifies: of a
 * request that fails it, only a bounded head, and only within the rate
 * caps of reject (see reject.c).  The record of an accepted request is
 * written straight from its fields; that of a rejected one, rare and
 * capped, is built as an object, cut to its bounds.
 */
enum record_outcome
record_request(struct request *r, struct reject *reject, const char *method,
    const char *remote)
{
	struct json_object	*o, *headers;
	const char		*rest = r->rest;
	const void		*body = buffer_peek(&r->body);
	size_t			 pathlen, len = buffer_unread(&r->body);
	char			*reason;
	enum record_outcome	 outcome;

	pathlen = strcspn(rest, "?#");
	if (r->hook->verify == NULL) {
		record_accepted(r, method, remote, pathlen, 0);
		return (RECORD_ACCEPTED);
	}
	headers = answer_request_headers(r->connection);
	if (record_verify(r->hook, headers, body, len, &reason)) {
		json_object_put(headers);
		record_accepted(r, method, remote, pathlen, 1);
		return (RECORD_ACCEPTED);
	}
	outcome = reject_admit(reject, r->hook) ? RECORD_REJECTED :
	    RECORD_COUNTED;
	if (outcome == RECORD_COUNTED) {
		json_object_put(headers);
		free(reason);
		return (outcome);
	}
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(method));
	if (pathlen == 0)
		json_object_object_add(o, "path", json_object_new_string("/"));
	else
		json_object_object_add(o, "path",
		    json_object_new_string_len(rest, (int)pathlen));
	if (rest[pathlen] == '?')
		json_object_object_add(o, "query",
		    json_object_new_string_len(rest + pathlen + 1,
		    (int)strcspn(rest + pathlen + 1, "#")));
	else
		json_object_object_add(o, "query", json_object_new_string(""));
	json_object_object_add(o, "headers", headers);
	json_object_object_add(o, "remote", json_object_new_string(remote));
	json_object_object_add(o, "received_at",
	    json_object_new_int64(clock_wall_ms()));
	json_object_object_add(o, "verified", json_object_new_boolean(0));
	json_object_object_add(o, "rejected", json_object_new_string(reason));
	free(reason);
	reject_head(o, body, len);
	r->message = store_receive(r->requests->store, r->hook, o, body, 0);
	r->seq = r->message->seq;
	json_object_put(o);
	return (outcome);
}
