/*
 * One client connection on the control socket, shared by control.c (which
 * owns it) and control-wait.c (which keeps its wait in it).  Other request
 * handlers see a connection only through control.h.
 */
#ifndef CONN_H
#define CONN_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "waiter.h"

struct control;
struct filter;
struct loop_timer;
struct message;
struct settle;

struct conn {
	struct control		*control;	/* that accepted it */
	uint64_t		 id;		/* for control_find */
	int			 fd;
	struct buffer		 in;
	struct buffer		 out;
	/*
	 * Input is read in small chunks; a frame larger than a chunk is read
	 * only once room for all of it is granted from the listener's total
	 * (see control.c), and must then arrive before its deadline.
	 */
	size_t			 in_granted;	/* bytes reserved for a frame */
	int			 starved;	/* waiting for room: not read */
	struct loop_timer	*frame_timer;	/* a partial frame's deadline */
	TAILQ_ENTRY(conn)	 starved_entry;
	int			 waiting;	/* waiter is registered */
	struct waiter		 waiter;
	/*
	 * Messages leased to the client and not yet taken: one, or the batch
	 * a wait --count gathers before it prints any (see control-wait.c).
	 */
	struct message		**leases;
	size_t			 nleases, leases_size;
	struct loop_timer	*wait_timer;	/* its deadline, or next interim */
	struct loop_timer	*lease_timer;	/* a waiting batch's next
						   look at its leases */
	int			 wait_expired;	/* passed while still looking */
	int			 wait_interim;	/* client takes interim frames */
	struct filter		*filters;	/* the wait's --where */
	size_t			 nfilters;
	int			 closing;	/* close once out is sent */
	/* More to send once out drains (a log in progress), and its state. */
	void			(*drained)(struct conn *, void *);
	void			(*drained_free)(void *);
	void			*drained_arg;
	struct settle		*settle;	/* a request run once settled */
	/*
	 * One request at a time (doc/architecture.md, the control protocol):
	 * a request is pending from its dispatch until the frame that ends
	 * it is queued; a tail (streaming) never ends.  Another request
	 * meanwhile is refused, and its client dropped.
	 */
	int			 pending;
	int			 streaming;
	/*
	 * Whether the client had hung up (EPOLLHUP) by the loop's pass that
	 * read its input (see conn_gone in control-input.c).
	 */
	int			 hung_up;
	TAILQ_ENTRY(conn)	 entry;
};

void	control_wait_forget_filters(struct conn *);
void	control_wait_release(struct conn *);

#endif
