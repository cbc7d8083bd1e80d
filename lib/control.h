/*
 * The listener's side of the control socket: accepts fish clients (same
 * uid only), reads their request frames and answers them.
 */
#ifndef CONTROL_H
#define CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct conn;
struct control;
struct loop;

struct control	*control_start(struct loop *, const char *, char **);
void		 control_stop(struct control *);
void		 control_flush(struct control *);
void		 control_notify_stop(struct control *);

/* For request handlers kept in other files (timeline.c). */
void		 control_reply(struct conn *, struct json_object *,
		    const void *, size_t);
void		 control_error(struct conn *, int, const char *);
uint64_t	 control_id(const struct conn *);
struct conn	*control_find(uint64_t);

#endif
