/*
 * Outbound requests that join the session's timeline: each is made through
 * HTTP out (httpc) and, when it finishes, journaled as a MESSAGE_SENT
 * record with the next sequence number and indexed for fish log.  A request
 * may be tried again (retries) after a network error, 429 or 5xx: every
 * attempt is its own record, and the caller hears only of the last.
 */
#ifndef OUTBOUND_H
#define OUTBOUND_H

#include <stdint.h>

#include "httpc.h"

#define OUTBOUND_RETRIES_MAX	100	/* most retries a request may ask */
#define OUTBOUND_BACKOFF_MS	1000	/* first backoff ceiling, doubled */
#define OUTBOUND_BACKOFF_MAX_MS	30000	/* ... up to this */
#define OUTBOUND_RETRY_AFTER_MAX_MS 60000 /* longest Retry-After waited */

typedef void (*outbound_done_cb)(struct httpc_result *, uint64_t, void *);

void	outbound_send(const struct httpc_request *, unsigned int,
	    outbound_done_cb, void *);
void	outbound_stop(void);
int64_t	outbound_backoff(unsigned int, int64_t, uint32_t);

#endif
