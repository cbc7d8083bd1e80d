/*
 * The limits on hooks' requests.  A limit has an option (--max-body),
 * a key in the session's config.json and in status replies (max_body), a
 * kind that says how it is written (a size, a duration or a count), and
 * bounds.  Values are kept as numbers and printed back in a form that
 * parses to the same value, so a saved setting survives restarts exactly.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "duration.h"
#include "limit.h"
#include "proto.h"
#include "size.h"
#include "xmalloc.h"

enum limit_kind {
	LIMIT_SIZE,
	LIMIT_DURATION,
	LIMIT_NUMBER,
};

static const struct {
	const char	*option;
	const char	*key;
	enum limit_kind	 kind;
	size_t		 offset;
	uint64_t	 min;
	uint64_t	 max;
	uint64_t	 def;
	const char	*bounds;	/* min and max, as users write them */
} limit_table[LIMIT_COUNT] = {
	/*
	 * GitHub's own payload cap by default; bodies are held in memory.
	 * wait hands a body to its client in one control frame, so no
	 * body may be larger than a frame's payload.
	 */
	{ "--max-body", "max_body", LIMIT_SIZE,
	    offsetof(struct limits, max_body), 0, PROTO_PAYLOAD_MAX,
	    25ULL << 20, "0 to 64MiB" },
	{ "--idle-timeout", "idle_timeout", LIMIT_DURATION,
	    offsetof(struct limits, idle_timeout_ms), 1, 24ULL * 3600 * 1000,
	    10 * 1000, "1ms to 1d" },
	{ "--max-connections", "max_connections", LIMIT_NUMBER,
	    offsetof(struct limits, max_connections), 1, 65536, 512,
	    "1 to 65536" },
	{ "--max-per-ip", "max_per_ip", LIMIT_NUMBER,
	    offsetof(struct limits, max_per_ip), 1, 65536, 64,
	    "1 to 65536" },
	/*
	 * The memory MHD may use for a connection: the request line and
	 * headers must fit in it beside MHD's own few hundred bytes, and
	 * so must the answer's headers, or the connection is cut unanswered.
	 * 16KiB leaves a hook's answer room beside an ordinary request.
	 */
	{ "--max-header", "max_header", LIMIT_SIZE,
	    offsetof(struct limits, max_header), 16ULL << 10, 1ULL << 20,
	    64ULL << 10, "16KiB to 1MiB" },
	/*
	 * The bodies of all requests being received at once, held in
	 * memory until journaled: ten bodies of the default --max-body.
	 */
	{ "--max-inflight", "max_inflight", LIMIT_SIZE,
	    offsetof(struct limits, max_inflight), 1ULL << 20, 64ULL << 30,
	    256ULL << 20, "1MiB to 64GiB" },
};

/* Return the field of limits that limit i sets. */
static uint64_t *
limit_field(struct limits *limits, size_t i)
{
	return ((uint64_t *)(void *)((char *)limits + limit_table[i].offset));
}

/* Set every limit to its default. */
void
limit_defaults(struct limits *limits)
{
	size_t	i;

	for (i = 0; i < LIMIT_COUNT; i++)
		*limit_field(limits, i) = limit_table[i].def;
}

/* Return the option of limit i ("--max-body"). */
const char *
limit_option(size_t i)
{
	return (limit_table[i].option);
}

/* Return the config and status key of limit i. */
const char *
limit_key(size_t i)
{
	return (limit_table[i].key);
}

/* Return the index of the limit named option (no dashes), or -1. */
int
limit_find(const char *option)
{
	size_t	i;

	for (i = 0; i < LIMIT_COUNT; i++) {
		if (strcmp(limit_table[i].option + 2, option) == 0)
			return ((int)i);
	}
	return (-1);
}

/*
 * Set limit i from what a user wrote.  On failure return -1 with *cause set
 * to an allocated message naming the option.
 */
int
limit_set(struct limits *limits, size_t i, const char *s, char **cause)
{
	uint64_t	 value = 0;
	char		*why = NULL, *end;

	switch (limit_table[i].kind) {
	case LIMIT_SIZE:
		if (size_parse(s, &value, &why) == -1)
			goto fail;
		break;
	case LIMIT_DURATION:
		if (duration_parse(s, &value, &why) == -1)
			goto fail;
		break;
	case LIMIT_NUMBER:
		if (strspn(s, "0123456789") != strlen(s) || *s == '\0' ||
		    strlen(s) > 10) {
			xasprintf(&why, "invalid number '%s'", s);
			goto fail;
		}
		value = strtoull(s, &end, 10);
		break;
	}
	if (value < limit_table[i].min || value > limit_table[i].max) {
		xasprintf(&why, "'%s' is out of range (%s)", s,
		    limit_table[i].bounds);
		goto fail;
	}
	*limit_field(limits, i) = value;
	return (0);
fail:
	xasprintf(cause, "%s: %s", limit_table[i].option, why);
	free(why);
	return (-1);
}

/* Print limit i as limit_set reads it back.  Caller frees. */
char *
limit_format(const struct limits *limits, size_t i)
{
	uint64_t	 value;
	char		*s;

	value = *limit_field((struct limits *)(uintptr_t)limits, i);
	switch (limit_table[i].kind) {
	case LIMIT_SIZE:
		return (size_format(value));
	case LIMIT_DURATION:
		return (duration_format(value));
	case LIMIT_NUMBER:
		break;
	}
	xasprintf(&s, "%llu", (unsigned long long)value);
	return (s);
}

/* Return limit i as JSON: a number for counts, else as limit_format. */
struct json_object *
limit_json(const struct limits *limits, size_t i)
{
	struct json_object	*o;
	char			*s;

	if (limit_table[i].kind == LIMIT_NUMBER)
		return (json_object_new_int64((int64_t)*limit_field(
		    (struct limits *)(uintptr_t)limits, i)));
	s = limit_format(limits, i);
	o = json_object_new_string(s);
	free(s);
	return (o);
}
