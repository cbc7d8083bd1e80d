/*
 * Allocators that abort with a message instead of returning NULL, so callers
 * need no out-of-memory paths.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buffer.h"
#include "xmalloc.h"

/* Report an allocation failure and abort. */
static void __attribute__((__noreturn__))
xmalloc_fail(const char *what, size_t size)
{
	char	line[128];
	int	n;

	n = snprintf(line, sizeof line, "fish: out of memory (%s of %zu bytes)\n",
	    what, size);
	if (n > 0)
		(void)write_all(STDERR_FILENO, line, (size_t)n);
	abort();
}

/* Allocate size bytes. */
void *
xmalloc(size_t size)
{
	void	*p;

	if (size == 0)
		size = 1;
	if ((p = malloc(size)) == NULL)
		xmalloc_fail("malloc", size);
	return (p);
}

/* Allocate a zeroed array. */
void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		xmalloc_fail("calloc", n * size);
	return (p);
}

/* Resize an allocation. */
void *
xrealloc(void *p, size_t size)
{
	return (xreallocarray(p, 1, size));
}

/* Resize an array, checking the multiplication for overflow. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	void	*q;

	if (n == 0 || size == 0)
		n = size = 1;
	if (size != 0 && n > SIZE_MAX / size)
		xmalloc_fail("reallocarray overflow", SIZE_MAX);
	if ((q = realloc(p, n * size)) == NULL)
		xmalloc_fail("realloc", n * size);
	return (q);
}

/* Duplicate a string. */
char *
xstrdup(const char *s)
{
	return (xmemdup(s, strlen(s) + 1));
}

/* Duplicate at most n bytes of a string, always terminating it. */
char *
xstrndup(const char *s, size_t n)
{
	char	*p;
	size_t	 len;

	len = strnlen(s, n);
	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return (p);
}

/* Duplicate a block of memory; one extra zero byte follows the copy. */
void *
xmemdup(const void *data, size_t len)
{
	char	*p;

	p = xmalloc(len + 1);
	if (len != 0)
		memcpy(p, data, len);
	p[len] = '\0';
	return (p);
}

/* Format into a newly allocated string. */
int
xasprintf(char **ret, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = xvasprintf(ret, fmt, ap);
	va_end(ap);
	return (n);
}

/* Format into a newly allocated string from a va_list. */
int
xvasprintf(char **ret, const char *fmt, va_list ap)
{
	int	n;

	n = vasprintf(ret, fmt, ap);
	if (n == -1)
		xmalloc_fail("vasprintf", 0);
	return (n);
}
