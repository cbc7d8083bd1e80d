/*
 * Durations as users write them: 250ms, 5, 5s, 2m, 1h (and 7d).
 */
#ifndef DURATION_H
#define DURATION_H

#include <stdint.h>

int	duration_parse(const char *, uint64_t *, char **);
char	*duration_format(uint64_t);

#endif
