/*
 * The session's timeline, seen through the control socket: hooks (ls),
 * messages received and sent in order (log, show), arrivals as they happen
 * (tail), and sending a recorded request again (replay).
 */
#ifndef CONTROL_TIMELINE_H
#define CONTROL_TIMELINE_H

#include <stdint.h>

struct conn;
struct proto_frame;
struct store;

void	timeline_ls(struct conn *, struct proto_frame *);
void	timeline_log(struct conn *, struct proto_frame *);
void	timeline_show(struct conn *, struct proto_frame *);
void	timeline_tail(struct conn *, struct proto_frame *);
void	timeline_replay(struct conn *, struct proto_frame *);	/* control-replay.c */
void	timeline_resolve(struct conn *, struct proto_frame *);
void	timeline_start(struct store *);
void	timeline_stop(void);
int	timeline_seq(struct conn *, struct proto_frame *, int64_t *);

#endif
