/*
 * The wall clock (see clock.h): the one place that reads CLOCK_REALTIME
 * for the daemon's records.
 */
#include "config.h"

#include <time.h>

#include "clock.h"

/* Return the wall clock in unix milliseconds. */
int64_t
clock_wall_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}
