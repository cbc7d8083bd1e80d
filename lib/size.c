/*
 * Parse and print byte sizes.  A bare number is bytes; the suffixes k, M
 * and G (any case, alone or as KiB, KB, MiB, MB, GiB, GB) multiply by 1024
 * each, as in nginx's client_max_body_size: nobody sizes a webhook body in
 * powers of ten, and one meaning per letter is easier to remember.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "size.h"
#include "xmalloc.h"

/* Largest size accepted: 1 TiB, far beyond anything we hold in memory. */
#define SIZE_MAX_BYTES	(1ULL << 40)

static const struct {
	const char	*suffix;
	int		 shift;
} size_units[] = {
	{ "", 0 }, { "b", 0 },
	{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
	{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
	{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
};

/*
 * Parse a size into bytes.  On failure return -1 with *cause set to an
 * allocated message.
 */
int
size_parse(const char *s, uint64_t *bytes, char **cause)
{
	unsigned long long	 value;
	char			*end;
	size_t			 i;

	/* Digits only: strtoull would also take blanks, signs and hex. */
	if (!isdigit((unsigned char)*s))
		goto invalid;
	errno = 0;
	value = strtoull(s, &end, 10);
	if (errno != 0 || strspn(s, "0123456789") != (size_t)(end - s))
		goto invalid;
	for (i = 0; i < sizeof size_units / sizeof size_units[0]; i++) {
		if (strcasecmp(end, size_units[i].suffix) != 0)
			continue;
		if (value > SIZE_MAX_BYTES >> size_units[i].shift)
			goto invalid;
		*bytes = (uint64_t)value << size_units[i].shift;
		return (0);
	}
invalid:
	xasprintf(cause, "invalid size '%s' (use e.g. 1000000, 512k, 25MiB)",
	    s);
	return (-1);
}

/*
 * Format bytes in the largest binary unit that is exact ("25MiB",
 * "512KiB", "1000000"); the result reads back as the same value.  Caller
 * frees.
 */
char *
size_format(uint64_t bytes)
{
	static const struct {
		const char	*suffix;
		int		 shift;
	} units[] = {
		{ "GiB", 30 }, { "MiB", 20 }, { "KiB", 10 },
	};
	char	*s;
	size_t	 i;

	for (i = 0; bytes != 0 && i < sizeof units / sizeof units[0]; i++) {
		if (bytes % (1ULL << units[i].shift) == 0) {
			xasprintf(&s, "%llu%s",
			    (unsigned long long)(bytes >> units[i].shift),
			    units[i].suffix);
			return (s);
		}
	}
	xasprintf(&s, "%llu", (unsigned long long)bytes);
	return (s);
}
