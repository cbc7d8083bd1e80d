/*
 * The one place that reads the clocks.  Timestamps that are recorded (the
 * journal, envelopes, logs) or compared with a sender's (signature
 * timestamps, Retry-After dates) come from the wall clock; deadlines and
 * timers from the monotonic clock, which neither NTP nor the user can move
 * backwards, so a wait for 5s lasts 5s whatever the wall clock does
 * meanwhile.  A reading of one is never compared with a reading of the
 * other: a wall-clock expiry becomes a timer as the time left until it.
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
