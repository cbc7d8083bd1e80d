/*
 * Outbound requests that join the session's timeline: each attempt is
 * journaled when it starts (a MESSAGE_SENDING record, with the next
 * sequence number: method, URL, headers and body), made through HTTP out
 * (httpc) only once that record is durable, and completed by a
 * MESSAGE_SENT record with its outcome when it finishes.  A listener that
 * dies in between leaves a start without an outcome: the attempt may have
 * reached the server, and the timeline says so.  A request may be tried
 * again (retries, policy in retry.h): every attempt has its own records,
 * and the caller hears only of the last.  At most as many attempts are
 * under way as the outbound files of the listener's budget (lib/files.c);
 * others wait for one before they start.
 */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <stddef.h>
#include <stdint.h>

#include "httpc.h"

struct loop;
struct outbound;
struct store;

typedef void (*outbound_done_cb)(struct httpc_result *, uint64_t, void *);

/* What a caller may say about a request as its attempts go (see .c). */
struct outbound_ops {
	int			 (*wanted)(void *);
	struct json_object	*(*headers)(struct json_object *, const char *,
				    size_t, void *);
};

struct outbound	*outbound_new(struct loop *, struct httpc *, struct store *,
		    const char *, size_t);
void		 outbound_free(struct outbound *);
void		 outbound_send(struct outbound *, const struct httpc_request *,
		    unsigned int, outbound_done_cb, const struct outbound_ops *,
		    void *);
int		 outbound_reserve(struct outbound *);
void		 outbound_unreserve(struct outbound *);
void		 outbound_forward(struct outbound *,
		    const struct httpc_request *, outbound_done_cb, void *);
void		 outbound_stop(struct outbound *);
void		 outbound_cancel(struct outbound *);
void		 outbound_unstarted(struct outbound *);

#endif
