/*
 * The one place that reads the clocks.  Every timestamp that is recorded
 * (the journal, envelopes, logs) or compared with a sender's (signature
 * timestamps, Retry-After dates) is wall-clock unix milliseconds; every
 * deadline and timer is on the monotonic clock, which neither NTP nor the
 * user can move backwards, so a wait for 5s lasts 5s whatever the wall
 * clock does meanwhile.  The two are never mixed.
 */
#include "config.h"

#include <stdint.h>
#include <time.h>

#include "clock.h"

/* Return ts in milliseconds. */
static int64_t
clock_ms(const struct timespec *ts)
{
	return ((int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000);
}

/* Return the wall clock in unix milliseconds. */
int64_t
clock_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (clock_ms(&ts));
}

/* Return the monotonic clock in milliseconds (from an arbitrary origin). */
int64_t
clock_mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (clock_ms(&ts));
}
