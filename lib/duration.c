/*
 * Parse and print durations.  A bare number is seconds, as in timeout(1);
 * fractions are allowed ("1.5s").  Values are kept in milliseconds.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
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

	/* Plain decimal only: strtod would also take blanks, hex and 1e3. */
	if (!isdigit((unsigned char)*s) && *s != '.')
		goto invalid;
	errno = 0;
	value = strtod(s, &end);
	if (errno != 0 || end == s || !isfinite(value) || value < 0 ||
	    strspn(s, "0123456789.") != (size_t)(end - s))
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

/*
 * Format milliseconds compactly in the largest unit that is exact ("250ms",
 * "5s", "2m", "3h", "7d", "1.5s"); the result reads back as the same value.
 * Caller frees.
 */
char *
duration_format(uint64_t ms)
{
	static const struct {
		const char	*suffix;
		uint64_t	 ms;
	} units[] = {
		{ "d", 24ULL * 3600 * 1000 },
		{ "h", 3600 * 1000 },
		{ "m", 60 * 1000 },
		{ "s", 1000 },
	};
	char	*s, fraction[8];
	size_t	 i, len;

	for (i = 0; ms != 0 && i < sizeof units / sizeof units[0]; i++) {
		if (ms % units[i].ms == 0) {
			xasprintf(&s, "%llu%s",
			    (unsigned long long)(ms / units[i].ms),
			    units[i].suffix);
			return (s);
		}
	}
	if (ms < 1000) {
		xasprintf(&s, "%llums", (unsigned long long)ms);
		return (s);
	}
	/* Seconds with the milliseconds as a trimmed decimal fraction. */
	snprintf(fraction, sizeof fraction, "%03u", (unsigned)(ms % 1000));
	len = strlen(fraction);
	while (len > 0 && fraction[len - 1] == '0')
		fraction[--len] = '\0';
	xasprintf(&s, "%llu.%ss", (unsigned long long)(ms / 1000), fraction);
	return (s);
}
