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

#include <stddef.h>
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

/*
 * Write the local time of day of unix ms ms, HH:MM:SS, into text (len
 * bytes, at least 9), for people.  Return 0, or -1 when ms is not a time
 * (0 or below).
 */
int
clock_format_hms(int64_t ms, char *text, size_t len)
{
	struct tm	tm;
	time_t		t;

	if (ms <= 0 || len < 9)
		return (-1);
	t = (time_t)(ms / 1000);
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(text, len, "%H:%M:%S", &tm) == 0)
		return (-1);
	return (0);
}
