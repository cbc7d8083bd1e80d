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
 * Write the local time of unix ms ms into text (len bytes, at least
 * CLOCK_SINCE_LEN), for people saying since when: HH:MM:SS when it is on
 * the local day of unix ms now, else YYYY-MM-DD HH:MM:SS (a time of day
 * alone would be read as today's).  Return 0, or -1 when ms is not a
 * time (0 or below).
 */
int
clock_format_since(int64_t ms, int64_t now, char *text, size_t len)
{
	struct tm	tm, today;
	time_t		t = (time_t)(ms / 1000), n = (time_t)(now / 1000);
	size_t		written;

	if (ms <= 0 || len < CLOCK_SINCE_LEN || localtime_r(&t, &tm) == NULL)
		return (-1);
	if (localtime_r(&n, &today) != NULL && today.tm_year == tm.tm_year &&
	    today.tm_yday == tm.tm_yday)
		written = strftime(text, len, "%H:%M:%S", &tm);
	else
		written = strftime(text, len, "%Y-%m-%d %H:%M:%S", &tm);
	return (written == 0 ? -1 : 0);
}
