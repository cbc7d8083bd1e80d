/*
 * The retry policy of fish send --retry: which outcomes are tried again and
 * how long to wait first (exponential backoff with full jitter, or what
 * the server's Retry-After asks, within limits).  Pure functions, so the
 * CLI can size its own deadline with the same limits.
 */
#ifndef RETRY_H
#define RETRY_H

#include <stdint.h>

#define RETRY_MAX		100	/* most retries a request may ask */
#define RETRY_BACKOFF_MS	1000	/* first backoff ceiling, doubled */
#define RETRY_BACKOFF_MAX_MS	30000	/* ... up to this */
#define RETRY_AFTER_MAX_MS	60000	/* longest Retry-After waited */

int	retry_http_status(long);
int64_t	retry_after_parse(const char *, int64_t);
int64_t	retry_backoff(unsigned int, int64_t, uint32_t);

#endif
