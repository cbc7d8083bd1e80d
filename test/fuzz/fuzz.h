/*
 * What the fuzz harnesses share.  Each defines libFuzzer's entry point;
 * the fuzz build (configure --enable-fuzz, scripts/fuzz) links it with
 * libFuzzer, the normal build with replay.c, which feeds it the committed
 * seeds and crash inputs from make check.
 *
 * Inputs with several parts (a pointer and a document, filters and a
 * body...) hold them as NUL-separated pieces: fuzz_split cuts them.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <dirent.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A property every input must keep: say which one broke, and crash. */
#define FUZZ_CHECK(e) do {						\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #e);					\
		abort();						\
	}								\
} while (0)

struct fuzz_pieces {
	char	 *text;		/* the input with a NUL after it */
	char	**piece;	/* each NUL-terminated piece of text */
	size_t	 *len;		/* and its length */
	size_t	  n;		/* always at least one */
};

/* Cut data at each NUL byte into n + 1 pieces (free with fuzz_free). */
static inline void
fuzz_split(struct fuzz_pieces *fp, const uint8_t *data, size_t size)
{
	char	*p;
	size_t	 i, n = 1;

	fp->text = xmalloc(size + 1);
	if (size > 0)
		memcpy(fp->text, data, size);
	fp->text[size] = '\0';
	for (i = 0; i < size; i++)
		n += data[i] == '\0';
	fp->piece = xreallocarray(NULL, n, sizeof *fp->piece);
	fp->len = xreallocarray(NULL, n, sizeof *fp->len);
	fp->n = n;
	for (i = 0, p = fp->text; i < n; i++) {
		fp->piece[i] = p;
		fp->len[i] = strlen(p);
		p += fp->len[i] + 1;
	}
}

/* Free what fuzz_split made. */
static inline void
fuzz_free(struct fuzz_pieces *fp)
{
	free(fp->text);
	free(fp->piece);
	free(fp->len);
}

/*
 * Make a temporary directory for a harness's files, under $TMPDIR
 * (scripts/fuzz points it at memory), and the name of sub inside it;
 * abort if it cannot be made.
 */
static inline void
fuzz_tmpdir(const char *prefix, const char *sub, char **top, char **dir)
{
	const char	*tmp = getenv("TMPDIR");

	xasprintf(top, "%s/%s.XXXXXX", tmp != NULL && *tmp != '\0' ? tmp :
	    "/tmp", prefix);
	if (mkdtemp(*top) == NULL) {
		perror(*top);
		abort();
	}
	xasprintf(dir, "%s/%s", *top, sub);
}

/* Remove every file of dir (not its subdirectories). */
static inline void
fuzz_empty(const char *dir)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

#endif
