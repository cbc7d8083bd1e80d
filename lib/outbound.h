/*
 * Outbound requests that join the session's timeline: each is made through
 * HTTP out (httpc) and, when it finishes, journaled as a MESSAGE_SENT
 * record with the next sequence number and indexed for fish log.  A request
 * may be tried again (retries, policy in retry.h): every attempt is its
 * own record, and the caller hears only of the last.
 */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <stdint.h>

#include "httpc.h"

typedef void (*outbound_done_cb)(struct httpc_result *, uint64_t, void *);
typedef int (*outbound_wanted_cb)(void *);

void	outbound_send(const struct httpc_request *, unsigned int,
	    outbound_done_cb, outbound_wanted_cb, void *);
void	outbound_stop(void);
void	outbound_cancel(void);

#endif
