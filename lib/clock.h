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
/* Room for what clock_format_since writes, NUL included. */
#define CLOCK_SINCE_LEN	20

int	clock_format_since(int64_t, int64_t, char *, size_t);

#endif
