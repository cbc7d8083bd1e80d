/*
 * Read your own writes on a shared store: requests that show the
 * timeline wait for Redis to acknowledge what this listener wrote before
 * them (control-settle.c).
 */
#ifndef CONTROL_SETTLE_H
#define CONTROL_SETTLE_H

struct conn;
struct proto_frame;

typedef void	(*control_handler)(struct conn *, struct proto_frame *);

void	control_settle(struct conn *, control_handler, struct proto_frame *);
void	control_settle_forget(struct conn *);

#endif
