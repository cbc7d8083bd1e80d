/*
 * Binary search in arrays sorted in ascending order, as bsearch(3) with
 * the place a missing key would go.
 */
#ifndef SORTED_H
#define SORTED_H

#include <stddef.h>

typedef int (*sorted_cmp)(const void *, const void *);

size_t	 sorted_index(const void *, const void *, size_t, size_t, sorted_cmp);
void	*sorted_find(const void *, const void *, size_t, size_t, sorted_cmp);

#endif
