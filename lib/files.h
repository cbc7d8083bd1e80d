/*
 * The listener's budget of open files: how many its hooks' connections,
 * its control clients and its outbound sockets (sends, replays and
 * forwards) may each take within RLIMIT_NOFILE (see files.c).
 */
#ifndef FILES_H
#define FILES_H

#include <stddef.h>
#include <stdint.h>

/*
 * The listener's own files, kept out of the budget, and a few spare; not
 * what outbound requests take while they connect (see files.c).
 */
#define FILES_OWN		24
/* Past twice this limit, all but this many go to hooks' connections. */
#define FILES_RESERVE		64
/* Control clients at a time: at least, and at most. */
#define FILES_CONTROL_MIN	4
#define FILES_CONTROL_MAX	1024
/* The lowest limit that the shares and our own files fit in. */
#define FILES_FIT_MIN		(FILES_OWN + FILES_CONTROL_MIN + 2)

struct files {
	uint64_t	limit;		/* RLIMIT_NOFILE, or 0: none */
	uint64_t	connections;	/* hooks' HTTP connections */
	size_t		control;	/* control clients at a time */
	size_t		outbound;	/* outbound sockets, or 0: as many
					   as wanted */
};

uint64_t	files_limit(void);
void		files_budget(uint64_t, uint64_t, struct files *);

#endif
