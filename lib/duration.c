/*
 * Parse and print durations.  A bare number is seconds, as in timeout(1);
 * fractions are allowed ("1.5s").  Values are kept in milliseconds.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "xmalloc.h"

/* Longest duration accepted: about 100 years, far beyond any timeout. */
#define DURATION_MAX_MS (100ULL * 365 * 24 * 3600 * 1000)

static const struct {
	const char	*suffix;
	double		 ms;
} duration_units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000 },
};

/*
 * Parse a duration into milliseconds.  On failure return -1 with *cause set
 * to an allocated message.
 */
int
duration_parse(const char *s, uint64_t *ms, char **cause)
{
	char	*end;
	double	 value;
	size_t	 i;

	if (*s == '\0' || *s == '-' || *s == '+' || *s == ' ')
		goto invalid;
	errno = 0;
	value = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(value) || value < 0)
		goto invalid;
	for (i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
		if (strcmp(end, duration_units[i].suffix) != 0)
			continue;
		value *= duration_units[i].ms;
		if (value > (double)DURATION_MAX_MS)
			goto invalid;
		*ms = (uint64_t)(value + 0.5);
		return (0);
	}
invalid:
	xasprintf(cause, "invalid duration '%s' (use e.g. 250ms, 5, 5s, 2m, 1h)",
	    s);
	return (-1);
}

/* Format milliseconds compactly ("250ms", "5s", "2m", "1.5h"); caller frees. */
char *
duration_format(uint64_t ms)
{
	char	*s;

	if (ms < 1000)
		xasprintf(&s, "%llums", (unsigned long long)ms);
	else if (ms % (24ULL * 3600 * 1000) == 0)
		xasprintf(&s, "%llud", (unsigned long long)(ms / (24ULL * 3600 * 1000)));
	else if (ms % (3600 * 1000) == 0)
		xasprintf(&s, "%lluh", (unsigned long long)(ms / (3600 * 1000)));
	else if (ms % (60 * 1000) == 0)
		xasprintf(&s, "%llum", (unsigned long long)(ms / (60 * 1000)));
	else if (ms % 1000 == 0)
		xasprintf(&s, "%llus", (unsigned long long)(ms / 1000));
	else
		xasprintf(&s, "%.3gs", ms / 1000.0);
	return (s);
}
