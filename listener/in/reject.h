/*
 * Requests that fail their hook's signature check, and those refused
 * before they were complete: the bounded head that the journal keeps of
 * each, and the rate caps on those records.
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
int		 reject_admit_refusal(struct reject *, const struct hook *,
		    unsigned int, int);
void		 reject_cut(struct json_object *);
void		 reject_head(struct json_object *, const void *, size_t);
uint64_t	 reject_unrecorded(const struct reject *);
uint64_t	 reject_refused_unrecorded(const struct reject *);
uint64_t	 reject_not_found(const struct reject *);

#endif
