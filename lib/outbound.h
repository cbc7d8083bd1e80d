/*
 * Outbound requests that join the session's timeline: each is made through
 * HTTP out (httpc) and, when it finishes, journaled as a MESSAGE_SENT
 * record with the next sequence number and indexed for fish log.
 */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <stdint.h>

#include "httpc.h"

typedef void (*outbound_done_cb)(struct httpc_result *, uint64_t, void *);

void	outbound_send(const struct httpc_request *, outbound_done_cb, void *);

#endif
