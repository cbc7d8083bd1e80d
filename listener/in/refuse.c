/*
 * The record of a request refused before it was complete: 404 (no hook
 * has its token), 410 (a closed hook), 413 (its body is too large), 414
 * and 431 (its request line or headers are), 400 (a malformed or
 * ambiguous request), 503 (too many bodies in flight, or no file free
 * for a forward's socket to its app) and 429 (behind a
 * tunnel, a client with --max-per-ip requests under way already).  Such a request
 * is answered at once, and its body never read, so the journal keeps only
 * its bounded head (as reject.c bounds a rejected one's): method, path,
 * query, the headers that fit, the peer and the time, with the status and
 * why.  It names its hook when one is known.
 *
 * What is known depends on when the refusal came.  A 404 has no hook: its
 * path is the whole path as sent, guessed token and all.  A 431 comes
 * from MHD before the headers are parsed (see httpd_completed): only the
 * request line's target is known, no method and no headers.
 *
 * The records are rate-capped (reject_admit_refusal); those over the
 * caps are only counted, so a scanner hammering unknown tokens cannot
 * grow the journal past the caps' rate.  So are those refused while the
 * journal has no room on disk: what is left is for the records that
 * cannot be refused (journal-room.c).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "answer.h"
#include "clock.h"
#include "hook.h"
#include "record.h"
#include "refuse.h"
#include "reject.h"
#include "request.h"
#include "store.h"
#include "token.h"
#include "xmalloc.h"

/*
 * Add the path and query of a request target to o: below the hook's URL
 * when the target begins with the hook's token, else the whole path.
 */
static void
refuse_target(struct json_object *o, const char *uri, const struct hook *h)
{
	const char	*rest = uri;

	if (h != NULL && uri[0] == '/' &&
	    strncmp(uri + 1, h->token, TOKEN_LEN) == 0)
		rest = uri + 1 + TOKEN_LEN;
	record_path_query(o, rest);
}

/*
 * Journal request r, refused with status for reason (an answer's text: a
 * trailing newline is dropped), unless it is over the caps of rj or the
 * journal has no room: its
 * hook h (or NULL), its method (NULL when unknown), and its headers when
 * with_headers says they were parsed.
 */
void
refuse_record(struct reject *rj, struct request *r, struct hook *h,
    const char *method, unsigned int status, const char *reason,
    int with_headers)
{
	struct json_object	*o;
	char			*remote;

	if (!reject_admit_refusal(rj, h, status,
	    store_no_room(r->requests->store) == 0))
		return;
	o = json_object_new_object();
	if (h != NULL)
		json_object_object_add(o, "token",
		    json_object_new_string(h->token));
	if (method != NULL)
		json_object_object_add(o, "method",
		    json_object_new_string(method));
	refuse_target(o, r->uri, h);
	if (with_headers)
		json_object_object_add(o, "headers",
		    answer_request_headers(r->connection));
	remote = record_remote(r->connection);
	if (r->client != NULL) {
		json_object_object_add(o, "remote",
		    json_object_new_string(r->client));
		json_object_object_add(o, "via", json_object_new_string(remote));
	} else
		json_object_object_add(o, "remote",
		    json_object_new_string(remote));
	free(remote);
	json_object_object_add(o, "received_at",
	    json_object_new_int64(clock_wall_ms()));
	json_object_object_add(o, "status", json_object_new_int((int)status));
	json_object_object_add(o, "reason", json_object_new_string_len(reason,
	    (int)strcspn(reason, "\n")));
	reject_cut(o);
	store_refuse(r->requests->store, h, o);
	json_object_put(o);
}
