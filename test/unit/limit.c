/*
 * Unit tests for the limits table: defaults, what each option accepts and
 * refuses, and printing that reads back the same.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "limit.h"
#include "tap.h"

/* Return the index of the limit with option name (no dashes). */
static size_t
index_of(const char *name)
{
	int	i = limit_find(name);

	if (i == -1) {
		printf("Bail out! no limit '%s'\n", name);
		exit(1);
	}
	return ((size_t)i);
}

/* Check that option name accepts s and prints it back as want. */
static void
accepts(const char *name, const char *s, const char *want)
{
	struct limits	 limits;
	char		*cause = NULL, *got;
	size_t		 i = index_of(name);

	limit_defaults(&limits);
	if (limit_set(&limits, i, s, &cause) == -1) {
		ok(0, "--%s %s is accepted (refused: %s)", name, s, cause);
		free(cause);
		return;
	}
	got = limit_format(&limits, i);
	ok(strcmp(got, want) == 0, "--%s %s prints as %s (got %s)", name, s,
	    want, got);
	free(got);
}

/* Check that option name refuses s with a message naming the option. */
static void
refuses(const char *name, const char *s)
{
	struct limits	 limits, before;
	char		*cause = NULL, prefix[64];
	size_t		 i = index_of(name);

	limit_defaults(&limits);
	before = limits;
	snprintf(prefix, sizeof prefix, "--%s: ", name);
	ok(limit_set(&limits, i, s, &cause) == -1 && cause != NULL &&
	    strncmp(cause, prefix, strlen(prefix)) == 0 &&
	    memcmp(&limits, &before, sizeof limits) == 0,
	    "--%s '%s' is refused (%s)", name, s, cause ? cause : "no cause");
	free(cause);
}

int
main(void)
{
	struct limits		 limits;
	struct json_object	*o;
	char			 key[32], *p;
	size_t			 i;

	limit_defaults(&limits);
	ok(limits.max_body == 25U << 20, "the default body cap is 25MiB");
	ok(limits.idle_timeout_ms == 10000, "the default idle timeout is 10s");
	ok(limits.max_connections == 512, "the default connection cap is 512");
	ok(limits.max_per_ip == 64, "the default per-address cap is 64");
	ok(limits.max_header == 64U << 10, "the default header cap is 64KiB");
	ok(limits.max_inflight == 256U << 20,
	    "the default cap on bodies in flight is 256MiB");

	ok(limit_find("max-body") == 0 && limit_find("--max-body") == -1 &&
	    limit_find("retain") == -1, "limits are found by option name");
	for (i = 0; i < LIMIT_COUNT; i++) {
		snprintf(key, sizeof key, "%s", limit_option(i) + 2);
		for (p = key; (p = strchr(p, '-')) != NULL; p++)
			*p = '_';
		ok(strncmp(limit_option(i), "--", 2) == 0 &&
		    strcmp(key, limit_key(i)) == 0,
		    "%s is saved as %s", limit_option(i), limit_key(i));
	}

	accepts("max-body", "512k", "512KiB");
	accepts("max-body", "1000000", "1000000");
	accepts("max-body", "0", "0");
	accepts("max-body", "64M", "64MiB");
	refuses("max-body", "65M");
	refuses("max-body", "1G");
	refuses("max-body", "-1");
	refuses("max-body", "lots");
	accepts("idle-timeout", "2.5s", "2.5s");
	accepts("idle-timeout", "250ms", "250ms");
	accepts("idle-timeout", "1d", "1d");
	refuses("idle-timeout", "0");
	refuses("idle-timeout", "25h");
	refuses("idle-timeout", "soon");
	accepts("max-connections", "1", "1");
	accepts("max-connections", "65536", "65536");
	refuses("max-connections", "0");
	refuses("max-connections", "65537");
	refuses("max-connections", "");
	refuses("max-connections", "12a");
	refuses("max-connections", "99999999999999999999");
	accepts("max-per-ip", "5", "5");
	refuses("max-per-ip", "-5");
	refuses("max-per-ip", " 5");
	accepts("max-header", "16k", "16KiB");
	accepts("max-header", "1M", "1MiB");
	accepts("max-header", "20000", "20000");
	refuses("max-header", "16383");
	refuses("max-header", "1025k");
	refuses("max-header", "big");
	accepts("max-inflight", "1M", "1MiB");
	accepts("max-inflight", "64G", "64GiB");
	accepts("max-inflight", "300m", "300MiB");
	refuses("max-inflight", "1023k");
	refuses("max-inflight", "65G");
	refuses("max-inflight", "much");

	/* Counts are numbers in status replies; the rest are as printed. */
	o = limit_json(&limits, index_of("max-connections"));
	ok(json_object_is_type(o, json_type_int) &&
	    json_object_get_int(o) == 512, "a count is a JSON number");
	json_object_put(o);
	o = limit_json(&limits, index_of("max-body"));
	ok(json_object_is_type(o, json_type_string) &&
	    strcmp(json_object_get_string(o), "25MiB") == 0,
	    "a size is a JSON string");
	json_object_put(o);
	return (done_testing());
}
