/*
 * A tiny TAP producer for the unit tests: ok(), is_int(), is_str() and
 * done_testing(), which prints the plan last and returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_run;
static int	tap_failed;

/* Print one test line and, on failure, where it was. */
static inline int __attribute__((__format__(__printf__, 4, 0)))
tap_vok(int pass, const char *file, int line, const char *fmt, va_list ap)
{
	tap_run++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_run);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass)
		printf("#   Failed test at %s:%d\n", file, line);
	fflush(stdout);
	return (pass);
}

/* Record a test that passes when pass is true. */
static inline int __attribute__((__format__(__printf__, 4, 5)))
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	pass = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return (pass);
}

/* Compare two integers. */
static inline int
tap_is_int(long long got, long long want, const char *file, int line,
    const char *name)
{
	if (!tap_ok(got == want, file, line, "%s", name)) {
		printf("#          got: %lld\n", got);
		printf("#     expected: %lld\n", want);
	}
	return (got == want);
}

/* Compare two strings, either of which may be NULL. */
static inline int
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *name)
{
	int	pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	if (!tap_ok(pass, file, line, "%s", name)) {
		printf("#          got: %s%s%s\n", got ? "'" : "",
		    got ? got : "NULL", got ? "'" : "");
		printf("#     expected: %s%s%s\n", want ? "'" : "",
		    want ? want : "NULL", want ? "'" : "");
	}
	return (pass);
}

/* Print a diagnostic line. */
static inline void __attribute__((__format__(__printf__, 1, 2)))
diag(const char *fmt, ...)
{
	va_list	ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Print the plan and return the exit status. */
static inline int
done_testing(void)
{
	printf("1..%d\n", tap_run);
	fflush(stdout);
	return (tap_failed == 0 ? 0 : 1);
}

#define ok(cond, ...)							\
	tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, name)						\
	tap_is_int((long long)(got), (long long)(want), __FILE__,	\
	    __LINE__, (name))
#define is_str(got, want, name)						\
	tap_is_str((got), (want), __FILE__, __LINE__, (name))

#endif
