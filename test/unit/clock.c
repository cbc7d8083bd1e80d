/*
 * Unit tests for the clocks: each reads the clock it names, in
 * milliseconds, and the monotonic one never goes backwards; and since
 * when, written for people.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "tap.h"

/* Read clock id in milliseconds, as clock.c should. */
static int64_t
raw_ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Sleep at least ms milliseconds, whatever signals come. */
static void
sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Test clock_format_since: a time of day on the day it is now, with its
 * date on any other, nothing for no time.
 */
static void
test_format_since(void)
{
	/* 2026-03-04 05:06:07 UTC */
	const int64_t	at = 1772600767000LL;
	char		text[CLOCK_SINCE_LEN];

	setenv("TZ", "UTC", 1);
	tzset();
	ok(clock_format_since(at, at + 3600 * 1000, text, sizeof text) == 0 &&
	    strcmp(text, "05:06:07") == 0,
	    "a time on the day it is now is its time of day (%s)", text);
	ok(clock_format_since(at, at + 24 * 3600 * 1000, text,
	    sizeof text) == 0 && strcmp(text, "2026-03-04 05:06:07") == 0,
	    "a time on an earlier day has its date (%s)", text);
	ok(clock_format_since(at, at + 366LL * 24 * 3600 * 1000, text,
	    sizeof text) == 0 && strcmp(text, "2026-03-04 05:06:07") == 0,
	    "so does one on the same day of another year");
	ok(clock_format_since(0, at, text, sizeof text) == -1,
	    "0 is no time");
	ok(clock_format_since(at, at, text, 9) == -1,
	    "too little room is refused");
}

/* Run every case and print the plan. */
int
main(void)
{
	int64_t	before, got, after, last;
	time_t	sec_before, sec_after;
	int	i, backwards;

	/* clock_wall_ms */
	sec_before = time(NULL);
	before = raw_ms(CLOCK_REALTIME);
	got = clock_wall_ms();
	after = raw_ms(CLOCK_REALTIME);
	sec_after = time(NULL);
	ok(before <= got && got <= after,
	    "clock_wall_ms reads CLOCK_REALTIME in milliseconds");
	ok(got / 1000 >= sec_before && got / 1000 <= sec_after,
	    "clock_wall_ms is unix time: seconds as time(3) has them");

	/* clock_mono_ms */
	before = raw_ms(CLOCK_MONOTONIC);
	got = clock_mono_ms();
	after = raw_ms(CLOCK_MONOTONIC);
	ok(before <= got && got <= after,
	    "clock_mono_ms reads CLOCK_MONOTONIC in milliseconds");
	backwards = 0;
	last = clock_mono_ms();
	for (i = 0; i < 100000; i++) {
		got = clock_mono_ms();
		if (got < last)
			backwards++;
		last = got;
	}
	is_int(backwards, 0, "clock_mono_ms never goes backwards");
	before = clock_mono_ms();
	sleep_ms(20);
	ok(clock_mono_ms() - before >= 20,
	    "clock_mono_ms counts a 20ms sleep as at least 20ms");
	test_format_since();

	return (done_testing());
}
