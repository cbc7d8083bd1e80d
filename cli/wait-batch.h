/*
 * The messages a batch wait has leased and not yet printed, in memory up
 * to a bound and past it in an unlinked temporary file (wait-batch.c).
 */
#ifndef WAIT_BATCH_H
#define WAIT_BATCH_H

#include <stddef.h>

struct proto_frame;
struct wait_batch;

typedef int	(*wait_batch_cb)(struct proto_frame *, size_t, void *);

struct wait_batch *wait_batch_new(void);
int	 wait_batch_add(struct wait_batch *, struct proto_frame *, char **);
size_t	 wait_batch_count(const struct wait_batch *);
int	 wait_batch_each(struct wait_batch *, wait_batch_cb, void *, char **);
void	 wait_batch_clear(struct wait_batch *);
void	 wait_batch_free(struct wait_batch *);

#endif
