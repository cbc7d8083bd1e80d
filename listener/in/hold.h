/*
 * Requests held open by --hold hooks until fish reply answers them or
 * their hold times out.
 */
#ifndef HOLD_H
#define HOLD_H

#include <stddef.h>
#include <stdint.h>

struct json_object;
struct loop;
struct request;
struct store;

void	hold_init(struct loop *, struct store *);
void	hold_release(void);
void	hold_add(struct request *);
void	hold_forget(struct request *);
void	hold_quiesce(void);
int	hold_reply(const char *, unsigned int, struct json_object *,
	    const void *, size_t, uint64_t *, char **);

#endif
