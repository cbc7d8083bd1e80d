/*
 * Unit tests for the retry policy: which answers are retried, Retry-After
 * in both of its forms, and backoff ceilings with their jitter.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "retry.h"
#include "tap.h"

/* 2015-10-21 07:28:00 UTC, as Unix seconds. */
#define NOW	1445412480

/* Answers worth another attempt: 429 and 5xx only. */
static void
test_http_status(void)
{
	ok(retry_http_status(429), "429 is retried");
	ok(retry_http_status(500), "500 is retried");
	ok(retry_http_status(503), "503 is retried");
	ok(retry_http_status(599), "599 is retried");
	ok(!retry_http_status(200), "200 is not retried");
	ok(!retry_http_status(302), "302 is not retried");
	ok(!retry_http_status(400), "400 is not retried");
	ok(!retry_http_status(404), "404 is not retried");
	ok(!retry_http_status(408), "408 is not retried");
	ok(!retry_http_status(600), "600 is not retried");
}

/* Retry-After as delay-seconds or an HTTP-date. */
static void
test_after_parse(void)
{
	is_int(retry_after_parse("0", NOW), 0, "0 seconds");
	is_int(retry_after_parse("1", NOW), 1000, "1 second");
	is_int(retry_after_parse(" 120 ", NOW), 120000, "blanks around");
	is_int(retry_after_parse("Wed, 21 Oct 2015 07:28:30 GMT", NOW), 30000,
	    "an HTTP-date 30 s ahead");
	is_int(retry_after_parse("Wed, 21 Oct 2015 07:27:00 GMT", NOW), 0,
	    "an HTTP-date in the past is now");
	is_int(retry_after_parse("", NOW), -1, "empty is refused");
	is_int(retry_after_parse("-1", NOW), -1, "negative is refused");
	is_int(retry_after_parse("1.5", NOW), -1, "a fraction is refused");
	is_int(retry_after_parse("soon", NOW), -1, "words are refused");
	ok(retry_after_parse("99999999999999999999999", NOW) >
	    RETRY_AFTER_MAX_MS, "a huge number stays huge");
}

/* Backoff: Retry-After within the cap, else jitter under a ceiling. */
static void
test_backoff(void)
{
	is_int(retry_backoff(1, 1000, 0), 1000, "Retry-After is followed");
	is_int(retry_backoff(5, RETRY_AFTER_MAX_MS, 7), RETRY_AFTER_MAX_MS,
	    "Retry-After at the cap is followed");
	is_int(retry_backoff(1, RETRY_AFTER_MAX_MS + 1, 7), -1,
	    "Retry-After past the cap stops");
	is_int(retry_backoff(1, -1, 0), 0, "jitter may be nothing");
	is_int(retry_backoff(1, -1, RETRY_BACKOFF_MS), RETRY_BACKOFF_MS,
	    "first ceiling is RETRY_BACKOFF_MS");
	is_int(retry_backoff(1, -1, UINT32_MAX), UINT32_MAX %
	    (RETRY_BACKOFF_MS + 1), "first delay stays under its ceiling");
	is_int(retry_backoff(2, -1, 2 * RETRY_BACKOFF_MS), 2 * RETRY_BACKOFF_MS,
	    "second ceiling is twice the first");
	is_int(retry_backoff(3, -1, 4 * RETRY_BACKOFF_MS + 1), 0,
	    "third ceiling is four times the first");
	is_int(retry_backoff(60, -1, RETRY_BACKOFF_MAX_MS),
	    RETRY_BACKOFF_MAX_MS, "ceiling stops at RETRY_BACKOFF_MAX_MS");
	is_int(retry_backoff(60, -1, RETRY_BACKOFF_MAX_MS + 1), 0,
	    "nothing above RETRY_BACKOFF_MAX_MS");
	is_int(retry_backoff(UINT32_MAX, -1, RETRY_BACKOFF_MAX_MS),
	    RETRY_BACKOFF_MAX_MS, "no overflow for huge attempts");
}

int
main(void)
{
	test_http_status();
	test_after_parse();
	test_backoff();
	return (done_testing());
}
