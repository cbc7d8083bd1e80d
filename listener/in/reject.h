/*
 * Requests that fail their hook's signature check: the bounded head that
 * the journal keeps of each, and the rate cap on those records.
 */
#ifndef REJECT_H
#define REJECT_H

#include <stddef.h>
#include <stdint.h>

struct hook;
struct json_object;
struct loop;

int		 reject_admit(struct loop *, const struct hook *);
void		 reject_head(struct json_object *, const void *, size_t);
uint64_t	 reject_unrecorded(void);
void		 reject_release(struct loop *);

#endif
