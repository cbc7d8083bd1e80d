/*
 * Inside control: struct control, and what control.c (the socket, the
 * connections' lives, their output) and control-input.c (reading and
 * dispatching their requests) share.  Only those two include this.
 */
#ifndef CONTROL_PRIVATE_H
#define CONTROL_PRIVATE_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

struct conn;
struct loop;
struct loop_timer;
struct outbound;
struct store;

/* A frame larger than this needs room granted from CONTROL_IN_MAX. */
#define CONTROL_IN_CHUNK		(16U << 10)
/* Room for frames being read, all clients together. */
#define CONTROL_IN_MAX			(96U << 20)
/* Output a client may leave unread before it is cut. */
#define CONTROL_OUT_MAX			(256U << 20)
/* How long a frame may take to arrive once it has room. */
#define CONTROL_FRAME_TIMEOUT_MS	10000
#define CONTROL_ACCEPT_BACKOFF_MS	250
#define CONTROL_LOG_WINDOW_MS		60000

/* Log lines of one kind: at most burst per window, the rest counted. */
struct control_log {
	const char	*what;		/* "errors", to say what was not logged */
	unsigned int	 burst;
	unsigned int	 lines;
	int64_t		 window;	/* when the window began; 0 for none */
	uint64_t	 dropped;
};

struct control {
	struct loop		*loop;
	struct store		*store;
	struct outbound		*outbound;
	int			 fd;
	char			*path;
	uint64_t		 next_id;
	TAILQ_HEAD(, conn)	 conns;
	size_t			 nconns;
	size_t			 conns_max;	/* at a time */
	size_t			 in_granted;	/* sum of the conns' grants */
	TAILQ_HEAD(, conn)	 starved;	/* waiting for room, oldest first */
	int64_t			 frame_timeout_ms;
	int			 accept_paused;
	struct loop_timer	*accept_timer;
	struct control_log	 accept_log;	/* accept errors */
	struct control_log	 drop_log;	/* clients dropped */
};

void		 control_log_drop(struct control *, const char *, ...)
		    __attribute__((__format__(__printf__, 2, 3)));
struct conn	*conn_find(uint64_t);
uint32_t	 conn_events(const struct conn *);
void		 conn_flush(struct conn *);
void		 conn_close(struct conn *);
void		 conn_in_release(struct conn *);
void		 conn_readable(int, uint32_t, void *);

#endif
