/*
 * Unit tests for size_parse and size_format: the suffixes users write, the
 * inputs that must be refused, and printing that reads back the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "size.h"
#include "tap.h"

/* Check that s parses to want bytes. */
static void
parses(const char *s, uint64_t want)
{
	uint64_t	 bytes = UINT64_MAX;
	char		*cause = NULL;

	if (size_parse(s, &bytes, &cause) == 0 && cause == NULL)
		ok(bytes == want, "'%s' is %llu bytes", s,
		    (unsigned long long)want);
	else
		ok(0, "'%s' is %llu bytes (refused: %s)", s,
		    (unsigned long long)want, cause ? cause : "no cause");
	free(cause);
}

/* Check that s is refused with a message naming it. */
static void
refuses(const char *s)
{
	uint64_t	 bytes = 12345;
	char		*cause = NULL;
	int		 r;

	r = size_parse(s, &bytes, &cause);
	ok(r == -1 && bytes == 12345 && cause != NULL &&
	    strstr(cause, "invalid size") != NULL, "'%s' is refused", s);
	free(cause);
}

/* Check that bytes prints as want and that want parses back to bytes. */
static void
round_trips(uint64_t bytes, const char *want)
{
	char		*s, *cause = NULL;
	uint64_t	 back = UINT64_MAX;

	s = size_format(bytes);
	is_str(s, want, "size_format prints what is wanted");
	ok(size_parse(s, &back, &cause) == 0 && back == bytes,
	    "'%s' reads back as %llu", s, (unsigned long long)bytes);
	free(cause);
	free(s);
}

int
main(void)
{
	parses("0", 0);
	parses("1000000", 1000000);
	parses("512k", 512 * 1024);
	parses("512K", 512 * 1024);
	parses("512KiB", 512 * 1024);
	parses("512kb", 512 * 1024);
	parses("25MiB", 25U << 20);
	parses("25m", 25U << 20);
	parses("25MB", 25U << 20);
	parses("1G", 1U << 30);
	parses("1gib", 1U << 30);
	parses("100b", 100);
	parses("1099511627776", 1ULL << 40);

	refuses("");
	refuses("k");
	refuses("-1");
	refuses("+5");
	refuses(" 5");
	refuses("5 ");
	refuses("0x10");
	refuses("1.5M");
	refuses("5T");
	refuses("5 MiB");
	refuses("2048G");
	refuses("1099511627777");
	refuses("99999999999999999999999");

	round_trips(0, "0");
	round_trips(1000000, "1000000");
	round_trips(512 * 1024, "512KiB");
	round_trips(25U << 20, "25MiB");
	round_trips(1536, "1536");
	round_trips(3ULL << 30, "3GiB");
	return (done_testing());
}
