/*
 * Small portability and convenience macros shared by every file.
 */
#ifndef COMPAT_H
#define COMPAT_H

#ifndef __unused
#define __unused __attribute__((__unused__))
#endif

#ifndef __dead
#define __dead __attribute__((__noreturn__))
#endif

#include <sys/queue.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The name fish is installed under (FISH_INSTALLED_NAME, from configure's
 * --program-transform-name), which every message, usage line and --help
 * says; "fish" in the copy of a renamed client that make check tests.
 */
#ifdef FISH_TEST_DEFAULT_NAME
#define FISH_NAME	"fish"
#else
#define FISH_NAME	FISH_INSTALLED_NAME
#endif

#endif
