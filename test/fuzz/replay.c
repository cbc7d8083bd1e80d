/*
 * The main of the harnesses in the normal build: feed each file named on
 * the command line to LLVMFuzzerTestOneInput, as libFuzzer does when given
 * files, so make check replays the seeds and every crash input found.
 * Each input is read into an allocation of exactly its size, so that
 * AddressSanitizer and valgrind see reads past its end.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "xmalloc.h"

/* Read all of path into an allocation of its exact size. */
static uint8_t *
replay_read(const char *path, size_t *size)
{
	FILE	*f;
	uint8_t	*data = NULL, *exact;
	size_t	 len = 0, n;

	if ((f = fopen(path, "rb")) == NULL)
		return (NULL);
	for (;;) {
		data = xrealloc(data, len + 65536);
		n = fread(data + len, 1, 65536, f);
		len += n;
		if (n < 65536)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		errno = EIO;
		return (NULL);
	}
	fclose(f);
	exact = xmalloc(len > 0 ? len : 1);
	memcpy(exact, data, len);
	free(data);
	*size = len;
	return (exact);
}

/* Run the harness on each file given, in order. */
int
main(int argc, char **argv)
{
	uint8_t	*data;
	size_t	 size;
	int	 i;

	for (i = 1; i < argc; i++) {
		if ((data = replay_read(argv[i], &size)) == NULL) {
			fprintf(stderr, "%s: cannot read '%s': %s\n", argv[0],
			    argv[i], strerror(errno));
			return (1);
		}
		fprintf(stderr, "%s: %s (%zu bytes)\n", argv[0], argv[i], size);
		LLVMFuzzerTestOneInput(data, size);
		free(data);
	}
	return (0);
}
