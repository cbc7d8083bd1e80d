/*
 * The listener's side of the control socket: accepts fish clients (same
 * uid only), reads their request frames and answers them.
 */
#ifndef CONTROL_H
#define CONTROL_H

struct control;
struct loop;

struct control	*control_start(struct loop *, const char *, char **);
void		 control_stop(struct control *);
void		 control_flush(struct control *);
void		 control_notify_stop(struct control *);

#endif
