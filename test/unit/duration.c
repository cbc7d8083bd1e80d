/*
 * Unit tests for duration_parse and duration_format: the units users write,
 * the inputs that must be refused, and printing that reads back the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "tap.h"

/* Check that s parses to want milliseconds. */
static void
parses(const char *s, uint64_t want)
{
	uint64_t	 ms = UINT64_MAX;
	char		*cause = NULL;
	int		 r;
	char		 name[128];

	r = duration_parse(s, &ms, &cause);
	snprintf(name, sizeof name, "'%s' is %llu ms", s,
	    (unsigned long long)want);
	if (r == 0 && cause == NULL)
		is_int(ms, want, name);
	else
		ok(0, "%s (refused: %s)", name, cause ? cause : "no cause");
	free(cause);
}

/* Check that s is refused with a message naming it. */
static void
refuses(const char *s)
{
	uint64_t	 ms = 12345;
	char		*cause = NULL;
	int		 r;

	r = duration_parse(s, &ms, &cause);
	ok(r == -1 && ms == 12345 && cause != NULL &&
	    strstr(cause, "invalid duration") != NULL, "'%s' is refused", s);
	free(cause);
}

/* Check that ms prints as want and that want parses back to ms. */
static void
round_trips(uint64_t ms, const char *want)
{
	char		*s, *cause = NULL;
	char		 name[128];
	uint64_t	 back = UINT64_MAX;
	int		 r;

	s = duration_format(ms);
	snprintf(name, sizeof name, "%llu ms prints as '%s'",
	    (unsigned long long)ms, want);
	is_str(s, want, name);
	r = duration_parse(s, &back, &cause);
	ok(r == 0 && back == ms, "'%s' reads back as %llu ms", s,
	    (unsigned long long)ms);
	free(cause);
	free(s);
}

/* Run every case and print the plan. */
int
main(void)
{
	char	*cause = NULL;

	parses("250ms", 250);
	parses("0ms", 0);
	parses("5", 5000);
	parses("0", 0);
	parses("5s", 5000);
	parses("1.5s", 1500);
	parses("0.5", 500);
	parses("2m", 120000);
	parses("1h", 3600000);
	parses("7d", 7ULL * 24 * 3600 * 1000);
	parses("36500d", 36500ULL * 24 * 3600 * 1000);

	refuses("");
	refuses("-1");
	refuses("-1s");
	refuses("+5");
	refuses("5x");
	refuses("5 s");
	refuses("5s ");
	refuses("s");
	refuses("ms");
	refuses("abc");
	refuses(" 5");
	refuses("nan");
	refuses("inf");
	refuses("36501d");
	refuses("1e300");
	refuses("99999999999999999999999999h");
	refuses("\t5");
	refuses("0x10");
	refuses("1e3");
	refuses("1.5.5s");

	ok(duration_parse("oops", &(uint64_t){ 0 }, &cause) == -1 &&
	    cause != NULL && strstr(cause, "'oops'") != NULL,
	    "the error names the input");
	free(cause);

	round_trips(0, "0ms");
	round_trips(250, "250ms");
	round_trips(999, "999ms");
	round_trips(1000, "1s");
	round_trips(1500, "1.5s");
	round_trips(90000, "90s");
	round_trips(120000, "2m");
	round_trips(5400000, "90m");
	round_trips(3600000, "1h");
	round_trips(7ULL * 24 * 3600 * 1000, "7d");
	round_trips(1234, "1.234s");
	round_trips(12345, "12.345s");
	round_trips(59999, "59.999s");
	round_trips(100000500, "100000.5s");

	return (done_testing());
}
