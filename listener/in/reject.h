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
struct reject;

struct reject	*reject_new(struct loop *);
void		 reject_free(struct reject *);
int		 reject_admit(struct reject *, const struct hook *);
void		 reject_head(struct json_object *, const void *, size_t);
uint64_t	 reject_unrecorded(const struct reject *);

#endif
