/*
 * The two clocks, in milliseconds: the wall clock for what is recorded or
 * shown (unix time), the monotonic clock for deadlines and timers.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t	clock_wall_ms(void);
int64_t	clock_mono_ms(void);
int	clock_format_hms(int64_t, char *, size_t);

#endif
