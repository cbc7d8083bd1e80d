/*
 * The wall clock: when things happened, as the journal records them and
 * the user reads them (a message's arrival, a hook's expiry).  Deadlines
 * and intervals use the event loop's monotonic clock instead (loop_now).
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t	clock_wall_ms(void);

#endif
