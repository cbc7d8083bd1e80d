/*
 * Durations (--timeout, --retain...): the input is the text a user would
 * type.  Whatever parses must stay within bounds, and what
 * duration_format prints for it must parse back to the same value, as
 * duration.c promises.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "duration.h"
#include "fuzz.h"
#include "xmalloc.h"

/* A hundred years, as duration.c bounds them. */
#define FUZZ_DURATION_MAX (100ULL * 365 * 24 * 3600 * 1000)

/* Parse one duration; print it and read it back. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_pieces	 in;
	uint64_t		 ms, again;
	char			*cause = NULL, *text;

	fuzz_split(&in, data, size);
	if (duration_parse(in.text, &ms, &cause) == 0) {
		FUZZ_CHECK(ms <= FUZZ_DURATION_MAX);
		text = duration_format(ms);
		FUZZ_CHECK(duration_parse(text, &again, &cause) == 0);
		FUZZ_CHECK(again == ms);
		free(text);
	} else
		FUZZ_CHECK(cause != NULL);
	free(cause);
	fuzz_free(&in);
	return (0);
}
