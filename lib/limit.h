/*
 * The limits on hooks' requests (fish start --max-body and friends), as
 * HTTP in is given them.  Their options, defaults, bounds and spellings
 * are rows of the settings table (settings.h), which fills this in.
 */
#ifndef LIMIT_H
#define LIMIT_H

#include <stdint.h>

struct limits {
	uint64_t	max_body;		/* bytes */
	uint64_t	idle_timeout_ms;	/* a client's time per request */
	uint64_t	max_connections;
	uint64_t	max_per_ip;
	uint64_t	max_header;		/* bytes: MHD's memory a connection */
	uint64_t	max_inflight;		/* bytes: bodies being received */
};

#endif
