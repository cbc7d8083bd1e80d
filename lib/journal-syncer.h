/*
 * The journal's sync thread (journal-syncer.c), used by journal.c only.
 *
 * The event loop writes a batch of records to a segment and hands the
 * segment's fdatasync to this thread, so that it goes on reading and
 * appending the next batch while the disk works (pipelined group
 * commit).  One sync at a time: the journal hands over the next only
 * once it has taken the outcome of the last.  When a sync ends, the
 * thread makes the syncer's eventfd readable; the loop then takes the
 * outcome (journal_syncer_done) and runs what waited for it.
 */
#ifndef JOURNAL_SYNCER_H
#define JOURNAL_SYNCER_H

#include <pthread.h>

struct journal_syncer;

int	 journal_thread_start(pthread_t *, void *(*)(void *), void *);

struct journal_syncer *journal_syncer_new(char **);
void	 journal_syncer_free(struct journal_syncer *);
int	 journal_syncer_fd(const struct journal_syncer *);
void	 journal_syncer_start(struct journal_syncer *, int, int);
int	 journal_syncer_done(struct journal_syncer *, int, int *);

#endif
