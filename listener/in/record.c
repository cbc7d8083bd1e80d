/*
 * The message record of a complete request to a hook (see record.h): its
 * method, path, query, headers, peer and time, and for a hook spawned
 * with --verify the outcome of the signature check over the headers and
 * body bytes exactly as received.  A request that fails the check is
 * recorded as rejected: a bounded head with the reason and without its
 * body (reject.c); past the rate caps, not at all, only counted.
 *
 * Behind a tunnel or proxy (fish start --tunnel or --public-url) every
 * request comes from 127.0.0.1.  Then, and only when the peer is
 * loopback (the tunnel's client or the proxy, ours to trust), "remote" is
 * the client's address as the header that the tunnel sets says, and "via"
 * is the peer: CF-Connecting-IP (cloudflared), else the last hop of
 * X-Forwarded-For, else the last for= of Forwarded.  The last hop is the
 * one the nearest proxy added; the others are the sender's to make up.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "address.h"
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

/* Headers a request's record collects without taking memory. */
#define RECORD_STACK_HEADERS	32

/* The last value of a header (record_header), as MHD iterates them. */
struct record_header {
	const char	*name;
	const char	*value;
};

/* Keep the value of a header of the name wanted: the last one wins. */
static enum MHD_Result
record_header_seen(void *arg, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	struct record_header	*h = arg;

	(void)kind;
	if (strcasecmp(name, h->name) == 0 && value != NULL)
		h->value = value;
	return (MHD_YES);
}

/* Return the last value of header name, or NULL. */
static const char *
record_header(struct MHD_Connection *connection, const char *name)
{
	struct record_header	h = { name, NULL };

	MHD_get_connection_values(connection, MHD_HEADER_KIND,
	    record_header_seen, &h);
	return (h.value);
}

/*
 * Return the address in one hop of a forwarding header (spaces, quotes,
 * [brackets] and a :port around it), if it is an IPv4 or IPv6 address;
 * else NULL.  Caller frees.
 */
static char *
record_hop(const char *hop, size_t len)
{
	unsigned char	 bin[sizeof(struct in6_addr)];
	char		*s, *end;
	size_t		 skip;

	skip = strspn(hop, " \t\"");
	hop += skip;
	len = len > skip ? len - skip : 0;
	while (len > 0 && strchr(" \t\"", hop[len - 1]) != NULL)
		len--;
	s = xstrndup(hop, len);
	if (*s == '[' && (end = strchr(s, ']')) != NULL) {
		*end = '\0';
		memmove(s, s + 1, strlen(s + 1) + 1);
	} else if ((end = strchr(s, ':')) != NULL && strchr(end + 1, ':') ==
	    NULL)
		*end = '\0';	/* IPv4:port */
	if (inet_pton(AF_INET, s, bin) == 1 || inet_pton(AF_INET6, s, bin) == 1)
		return (s);
	free(s);
	return (NULL);
}

/*
 * Return the client's address as the forwarding headers say (see the top
 * of this file), or NULL when they say nothing usable.  Caller frees.
 */
static char *
record_forwarded(struct MHD_Connection *connection, int forwarded)
{
	const char	*value, *hop, *at, *p;

	if (forwarded == FORWARDED_CLOUDFLARE &&
	    (value = record_header(connection, "CF-Connecting-IP")) != NULL)
		return (record_hop(value, strlen(value)));
	if ((value = record_header(connection, "X-Forwarded-For")) != NULL) {
		hop = strrchr(value, ',');
		hop = hop == NULL ? value : hop + 1;
		return (record_hop(hop, strlen(hop)));
	}
	if ((value = record_header(connection, "Forwarded")) == NULL)
		return (NULL);
	for (hop = NULL, p = value; (at = strcasestr(p, "for=")) != NULL;
	    p = at + 4) {
		if (at == value || strchr(" \t;,", at[-1]) != NULL)
			hop = at + 4;
	}
	return (hop == NULL ? NULL : record_hop(hop, strcspn(hop, ";,")));
}

/*
 * Return the client of request r whose peer is remote (ADDRESS:PORT) as
 * its forwarding headers say, when they are to be trusted: behind a
 * tunnel or proxy, and from a loopback peer.  Else NULL.  Caller frees.
 */
char *
record_client(struct request *r, const char *remote)
{
	if (r->requests->forwarded == FORWARDED_NONE ||
	    !address_is_loopback(remote))
		return (NULL);
	return (record_forwarded(r->connection, r->requests->forwarded));
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
 * failed its signature check.  Return its outcome.
 */
static enum record_outcome
record_accepted(struct request *r, const char *method, const char *remote,
    const char *via, size_t pathlen, int verified)
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
	f.via = via;
	f.received_at = clock_wall_ms();
	f.verified = verified;
	r->message = store_receive_fields(r->requests->store, r->hook, &f,
	    buffer_peek(&r->body), buffer_unread(&r->body));
	if (rh.pairs != rh.stack)
		free(rh.pairs);
	if (r->message == NULL)
		return (RECORD_TOO_LARGE);
	r->seq = r->message->seq;
	return (RECORD_ACCEPTED);
}

/*
 * Add to o the "path" and "query" of rest, what a request target has
 * below its hook's URL: the path "/" when there is none, the query ""
 * when there is none, and never a fragment.
 */
void
record_path_query(struct json_object *o, const char *rest)
{
	size_t	pathlen = strcspn(rest, "?#");

	json_object_object_add(o, "path", pathlen == 0 ?
	    json_object_new_string("/") :
	    json_object_new_string_len(rest, (int)pathlen));
	if (rest[pathlen] == '?')
		json_object_object_add(o, "query",
		    json_object_new_string_len(rest + pathlen + 1,
		    (int)strcspn(rest + pathlen + 1, "#")));
	else
		json_object_object_add(o, "query", json_object_new_string(""));
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
	const char		*via = NULL;
	char			*reason;
	enum record_outcome	 outcome;

	pathlen = strcspn(rest, "?#");
	/*
	 * Behind a tunnel or proxy, its client (found with its headers, see
	 * httpd_headers); the peer is then "via".
	 */
	if (r->client != NULL) {
		via = remote;
		remote = r->client;
	}
	if (r->hook->verify == NULL) {
		outcome = record_accepted(r, method, remote, via, pathlen, 0);
		goto out;
	}
	headers = answer_request_headers(r->connection);
	if (record_verify(r->hook, headers, body, len, &reason)) {
		json_object_put(headers);
		outcome = record_accepted(r, method, remote, via, pathlen, 1);
		goto out;
	}
	outcome = reject_admit(reject, r->hook) ? RECORD_REJECTED :
	    RECORD_COUNTED;
	if (outcome == RECORD_COUNTED) {
		json_object_put(headers);
		free(reason);
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "method", json_object_new_string(method));
	record_path_query(o, rest);
	json_object_object_add(o, "headers", headers);
	json_object_object_add(o, "remote", json_object_new_string(remote));
	if (via != NULL)
		json_object_object_add(o, "via", json_object_new_string(via));
	json_object_object_add(o, "received_at",
	    json_object_new_int64(clock_wall_ms()));
	json_object_object_add(o, "verified", json_object_new_boolean(0));
	json_object_object_add(o, "rejected", json_object_new_string(reason));
	free(reason);
	reject_head(o, body, len);
	r->message = store_receive(r->requests->store, r->hook, o, body, 0);
	json_object_put(o);
	if (r->message == NULL)
		return (RECORD_TOO_LARGE);	/* never: the head is bounded */
	r->seq = r->message->seq;
out:
	return (outcome);
}
