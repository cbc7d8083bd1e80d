/*
 * Waiters: clients waiting for the next message of some hooks, served
 * oldest first.  A waiter gets a message leased (or, peeking, only shown)
 * through its callback.
 */
#ifndef WAITER_H
#define WAITER_H

#include <sys/queue.h>

#include <stddef.h>

struct hook;
struct message;

struct waiter;
typedef void (*waiter_cb)(struct waiter *, struct message *);
typedef int (*waiter_match_cb)(struct waiter *, struct message *);

struct waiter {
	struct hook		**hooks;
	size_t			  nhooks;
	waiter_cb		  cb;
	waiter_match_cb		  match;	/* NULL: any message */
	int			  peek;		/* look, do not lease */
	void			 *arg;
	TAILQ_ENTRY(waiter)	  entry;
};

void	waiter_add(struct waiter *);
void	waiter_remove(struct waiter *);
void	waiter_dispatch(struct message *);

#endif
