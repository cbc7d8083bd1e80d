/*
 * Requests passed on to the local app behind a --forward-to hook, answered
 * with the app's answer.
 */
#ifndef FORWARD_H
#define FORWARD_H

struct outbound;
struct request;

void	forward_start(struct outbound *, struct request *);
void	forward_forget(struct request *);
void	forward_stop(void);

#endif
