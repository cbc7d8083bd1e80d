/*
 * Retention: the journal does not grow without bound.  The listener rolls
 * to a new journal segment now and then, writes a checkpoint of the hooks
 * at its start, and removes segments whose last write is older than the
 * retention period; their messages expire with them.
 */
#ifndef RETENTION_H
#define RETENTION_H

#include <stdint.h>

#define RETENTION_DEFAULT_MS	(7LL * 24 * 3600 * 1000)
#define RETENTION_SEGMENT_MAX	(64U << 20)

struct loop;

void	retention_start(struct loop *, int64_t);
void	retention_stop(struct loop *);

#endif
