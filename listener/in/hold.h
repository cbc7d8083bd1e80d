/*
 * Requests held open by --hold hooks until fish reply answers them or
 * their hold times out.
 */
#ifndef HOLD_H
#define HOLD_H

#include <stddef.h>
#include <stdint.h>

struct hold;
struct json_object;
struct loop;
struct request;
struct store;

struct hold	*hold_new(struct loop *, struct store *);
void		 hold_free(struct hold *);
void		 hold_add(struct hold *, struct request *);
void		 hold_forget(struct hold *, struct request *);
void		 hold_quiesce(struct hold *);
int		 hold_reply(struct hold *, const char *, unsigned int,
		    struct json_object *, const void *, size_t, uint64_t *,
		    char **);

#endif
