/*
 * Binary search in sorted arrays, written once: the journal's segments by
 * number, and (in the listener) messages and settled holds by sequence
 * number.  The comparison is bsearch(3)'s: cmp(key, element) is less than,
 * equal to or more than zero as key sorts before, with or after element.
 */
#include "config.h"

#include <stddef.h>

#include "sorted.h"

/*
 * Return the index of the first of the n elements of base (each size
 * bytes) that does not sort before key: where key is, or where it would be
 * inserted to keep the array sorted (n when it sorts after them all).
 */
size_t
sorted_index(const void *key, const void *base, size_t n, size_t size,
    sorted_cmp cmp)
{
	const char	*at = base;
	size_t		 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp(key, at + mid * size) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

/* Return the element of base equal to key, or NULL; the first if many. */
void *
sorted_find(const void *key, const void *base, size_t n, size_t size,
    sorted_cmp cmp)
{
	size_t	i = sorted_index(key, base, n, size, cmp);

	if (i == n || cmp(key, (const char *)base + i * size) != 0)
		return (NULL);
	return ((char *)base + i * size);
}
