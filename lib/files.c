/*
 * The listener's budget of open files.  Every file it opens counts
 * against one limit, RLIMIT_NOFILE, and running out of it anywhere fails
 * something that was promised: a callback's connection cannot be
 * accepted, a forward's socket cannot be made after its request was
 * recorded (its sender, told 502, sends it again), a send fails.  So the
 * limit is shared out once, at start, and each use keeps to its share:
 *
 *	own		FILES_OWN, never counted: stdio, the log, the pid
 *			lock, the session directory, the listening and
 *			control sockets, the event loop's and MHD's epoll
 *			and signal files, the journal's open and next
 *			segments, a Redis store's connections, a tunnel's
 *			pipes, curl's wake-up pair, and a few spare
 *	connections	hooks' HTTP connections (MHD's connection limit):
 *			--max-connections, but no more than the limit less
 *			FILES_RESERVE (half the limit when it is low), and
 *			no more than leaves room for the others at a limit
 *			so low that their floors would not fit
 *	control		control clients (fish wait, spawn...): half of
 *			what is left, within FILES_CONTROL_MIN and
 *			FILES_CONTROL_MAX; more wait in the socket's queue
 *	outbound	all that is left (half, or more past
 *			FILES_CONTROL_MAX clients): curl's sockets, one for each send,
 *			replay or forward under way (curl's connection
 *			cache keeps no more, closing idle ones to make room)
 *
 * The shares and our own files fit in the limit from FILES_FIT_MIN up:
 * one connection, the floors of control clients and outbound sockets,
 * and FILES_OWN.  Below it nothing can: the floors are kept, and the
 * listener may run out of files.
 *
 * An outbound request counts as one file, its socket, but takes up to
 * three more while it connects: a name lookup one or two (curl's
 * threaded resolver signals through a socket pair), happy eyeballs a
 * second socket when a name has addresses of both families.  Those are
 * not counted (they last only until the connection is made), and
 * FILES_OWN spares only a few files: at a low limit, several sends or
 * forwards connecting to names at once may find none and fail (exit 5,
 * or 502 for a forward).
 *
 * A forward needs a file on both sides, its sender's connection and its
 * socket to the app: it takes an outbound file when its request's head
 * is in, before its body is read or recorded, or its sender gets 503
 * with Retry-After and only the refusal is recorded, as a refused head
 * (listener/in/forward.c).  A send that finds no outbound file waits for
 * one, before its start is recorded (listener/out/outbound.c).  Control
 * clients that find none wait in the socket's queue.
 */
#include "config.h"

#include <sys/resource.h>

#include <stdint.h>
#include <string.h>

#include "files.h"

/*
 * Raise our limit of open files as far as allowed, and return it; 0 when
 * it is unknown or infinite (no budget then: as many as wanted).
 */
uint64_t
files_limit(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return (0);
	if (rl.rlim_cur < rl.rlim_max) {
		/* An infinite hard limit is refused: keep what we had then. */
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
		    getrlimit(RLIMIT_NOFILE, &rl) == -1)
			return (0);
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return (0);
	return ((uint64_t)rl.rlim_cur);
}

/*
 * Share out limit open files (0: no limit) between at most
 * max_connections hooks' connections, control clients and outbound
 * sockets, as the comment at the top says.
 */
void
files_budget(uint64_t limit, uint64_t max_connections, struct files *f)
{
	uint64_t	room, rest, floors;

	memset(f, 0, sizeof *f);
	f->limit = limit;
	f->connections = max_connections;
	f->control = FILES_CONTROL_MAX;
	if (limit == 0)
		return;
	room = limit > 2 * FILES_RESERVE ? limit - FILES_RESERVE : limit / 2;
	if (f->connections > room)
		f->connections = room;
	rest = limit - f->connections;
	rest = rest > FILES_OWN ? rest - FILES_OWN : 0;
	if (rest / 2 < f->control)
		f->control = rest / 2 > FILES_CONTROL_MIN ? rest / 2 :
		    FILES_CONTROL_MIN;
	/* At least one, or no forward could ever go. */
	f->outbound = rest > f->control ? rest - f->control : 1;
	/* So low that the floors do not fit: fewer connections, one at least. */
	floors = FILES_OWN + f->control + f->outbound;
	if (f->connections + floors > limit)
		f->connections = limit > floors ? limit - floors : 1;
}
