/*
 * Byte sizes as users write them: 1000000, 512k, 25MiB, 1G.
 */
#ifndef SIZE_H
#define SIZE_H

#include <stdint.h>

int	size_parse(const char *, uint64_t *, char **);
char	*size_format(uint64_t);

#endif
