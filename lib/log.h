/*
 * The listener's log: one line per event, to stderr (which the listener
 * points at its log file) with a timestamp.  The CLI does not use this.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

void	log_init(void);
void	log_warn(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	log_info(const char *, ...) __attribute__((__format__(__printf__, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));
void	fatalx(const char *, ...)
	    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

#endif
