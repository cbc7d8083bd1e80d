/*
 * Requests passed on to the local app behind a --forward-to hook, answered
 * with the app's answer.
 */
#ifndef FORWARD_H
#define FORWARD_H

struct forward;
struct outbound;
struct request;

struct forward	*forward_new(struct outbound *);
void		 forward_free(struct forward *);
int		 forward_admit(struct forward *, struct request *);
void		 forward_start(struct forward *, struct request *);
void		 forward_release(struct forward *, struct request *);
void		 forward_forget(struct forward *, struct request *);
void		 forward_stop(struct forward *);

#endif
