/*
 * Daemon logging in the style of OpenBSD's log.c: warn variants append
 * strerror(errno), x variants do not; fatal exits.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "clock.h"
#include "escape.h"
#include "log.h"
#include "mask.h"
#include "xmalloc.h"

/* Set up logging: one line reaches the log file as soon as it is whole. */
void
log_init(void)
{
	setvbuf(stderr, NULL, _IOLBF, 0);
}

/*
 * Write one log line with a timestamp and an optional error string.  The
 * line quotes what strangers sent (a path, a header, a tunnel's URL): its
 * control characters are escaped (escape_line), so that a newline cannot
 * forge a second line and an ESC cannot drive the terminal of whoever
 * reads the log.
 */
static void __attribute__((__format__(__printf__, 3, 0)))
log_vwrite(const char *level, const char *error, const char *fmt, va_list ap)
{
	struct buffer	 b;
	struct tm	 tm;
	int64_t		 ms = clock_wall_ms();
	time_t		 sec = (time_t)(ms / 1000);
	char		 when[32], *text, *line;

	gmtime_r(&sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	/* The passwords of URLs (a send's, a proxy's) stay out of the log. */
	xvasprintf(&text, fmt, ap);
	line = mask_credentials(text);
	buffer_init(&b);
	escape_line(&b, line, strlen(line));
	if (error != NULL) {
		buffer_add_str(&b, ": ");
		escape_line(&b, error, strlen(error));
	}
	fprintf(stderr, "%s.%03dZ %s: %.*s\n", when, (int)(ms % 1000), level,
	    (int)buffer_unread(&b), (const char *)buffer_peek(&b));
	buffer_release(&b);
	free(line);
	free(text);
}

/* Log a warning with errno's text. */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;
	char	*error = strerror(errno);

	va_start(ap, fmt);
	log_vwrite("warning", error, fmt, ap);
	va_end(ap);
}

/* Log a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("warning", NULL, fmt, ap);
	va_end(ap);
}

/* Log an informational line. */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("info", NULL, fmt, ap);
	va_end(ap);
}

/* Log a fatal error with errno's text and exit. */
void
fatal(const char *fmt, ...)
{
	va_list	ap;
	char	*error = strerror(errno);

	va_start(ap, fmt);
	log_vwrite("fatal", error, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Log a fatal error and exit. */
void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite("fatal", NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
