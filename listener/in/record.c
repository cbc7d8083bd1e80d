/*
 * The message record of a complete request to a hook (see record.h): its
 * method, path, query, headers, peer and time, and for a hook spawned
 * with --verify the outcome of the signature check over the headers and
 * body bytes exactly as received.  A request that fails the check is
 * recorded as rejected: a bounded head with the reason and without its
 * body (reject.c); past the rate caps, not at all, only counted.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <netdb.h>
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

/* Describe the peer as ADDRESS:PORT (also for refuse.c). */
char *
record_remote(struct MHD_Connection *connection)
{
	const union MHD_ConnectionInfo	*info;
	const struct sockaddr		*sa;
	char				 host[NI_MAXHOST], port[NI_MAXSERV];
	char				*s;

	info = MHD_get_connection_info(connection,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (info == NULL)
		return (xstrdup(""));
	sa = info->client_addr;
	if (getnameinfo(sa, sa->sa_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in), host,
	    sizeof host, port, sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return (xstrdup(""));
	if (sa->sa_family == AF_INET6)
		xasprintf(&s, "[%s]:%s", host, port);
	else
		xasprintf(&s, "%s:%s", host, port);
	return (s);
}

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

/*
 * Journal a complete request as a message of its hook (r->rest is what
 * came below the hook's URL), with the outcome of its signature check if
 * the hook verifies: of a request that fails it, only a bounded head, and
 * only within the rate caps of reject (see reject.c).
 */
enum record_outcome
record_request(struct request *r, struct reject *reject, const char *method)
{
	struct json_object	*o, *headers;
	const char		*rest = r->rest;
	const void		*body = buffer_peek(&r->body);
	size_t			 pathlen, len = buffer_unread(&r->body);
	char			*remote, *reason;
	enum record_outcome	 outcome = RECORD_ACCEPTED;

	pathlen = strcspn(rest, "?#");
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
	headers = answer_request_headers(r->connection);
	json_object_object_add(o, "headers", headers);
	remote = record_remote(r->connection);
	json_object_object_add(o, "remote", json_object_new_string(remote));
	free(remote);
	json_object_object_add(o, "received_at",
	    json_object_new_int64(clock_wall_ms()));
	if (r->hook->verify != NULL) {
		if (record_verify(r->hook, headers, body, len, &reason))
			json_object_object_add(o, "verified",
			    json_object_new_boolean(1));
		else {
			json_object_object_add(o, "verified",
			    json_object_new_boolean(0));
			json_object_object_add(o, "rejected",
			    json_object_new_string(reason));
			free(reason);
			outcome = reject_admit(reject, r->hook) ?
			    RECORD_REJECTED : RECORD_COUNTED;
		}
	}
	if (outcome == RECORD_REJECTED) {
		reject_head(o, body, len);
		len = 0;
	}
	if (outcome != RECORD_COUNTED) {
		r->message = store_receive(r->requests->store, r->hook, o, body,
		    len);
		r->seq = r->message->seq;
	}
	json_object_put(o);
	return (outcome);
}
