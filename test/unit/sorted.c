/*
 * Unit tests for the sorted-array search: found keys, the place of
 * missing ones at both ends and in between, duplicates, empty arrays, and
 * arrays of pointers (as the listener's messages are).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "compat.h"
#include "sorted.h"
#include "tap.h"

struct item {
	uint64_t	 seq;
	int		 tag;
};

/* Compare a uint64_t key with an item. */
static int
item_cmp(const void *key, const void *element)
{
	uint64_t		 seq = *(const uint64_t *)key;
	const struct item	*item = element;

	return (seq < item->seq ? -1 : seq > item->seq);
}

/* Compare a uint64_t key with the item a pointer element points to. */
static int
item_ptr_cmp(const void *key, const void *element)
{
	return (item_cmp(key, *(const struct item *const *)element));
}

/* Run every case and print the plan. */
int
main(void)
{
	struct item	 items[] = {
		{ 2, 0 }, { 4, 1 }, { 4, 2 }, { 4, 3 }, { 9, 4 }, { 20, 5 },
	};
	struct item	 big[1000], *ptrs[6], *found, **pfound;
	size_t		 n = nitems(items), i;
	uint64_t	 key;
	int		 misplaced = 0;

	/* sorted_index */
	key = 1;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), 0,
	    "a key before them all goes first");
	key = 2;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), 0,
	    "the first element is found at 0");
	key = 3;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), 1,
	    "a missing key goes before the next larger one");
	key = 4;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), 1,
	    "a repeated key gives its first place");
	key = 20;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), 5,
	    "the last element is found at n - 1");
	key = 21;
	is_int(sorted_index(&key, items, n, sizeof *items, item_cmp), n,
	    "a key after them all goes at n");
	key = 5;
	is_int(sorted_index(&key, items, 0, sizeof *items, item_cmp), 0,
	    "an empty array gives 0");

	/* sorted_find */
	key = 9;
	found = sorted_find(&key, items, n, sizeof *items, item_cmp);
	ok(found == &items[4], "sorted_find returns the element");
	key = 4;
	found = sorted_find(&key, items, n, sizeof *items, item_cmp);
	ok(found != NULL && found->tag == 1,
	    "sorted_find returns the first of equal elements");
	key = 10;
	ok(sorted_find(&key, items, n, sizeof *items, item_cmp) == NULL,
	    "a missing key in between is not found");
	key = 0;
	ok(sorted_find(&key, items, n, sizeof *items, item_cmp) == NULL,
	    "a key before them all is not found");
	key = 99;
	ok(sorted_find(&key, items, n, sizeof *items, item_cmp) == NULL,
	    "a key after them all is not found");
	ok(sorted_find(&key, items, 0, sizeof *items, item_cmp) == NULL,
	    "nothing is found in an empty array");

	/* An array of pointers, searched through them. */
	for (i = 0; i < n; i++)
		ptrs[i] = &items[i];
	key = 20;
	pfound = sorted_find(&key, ptrs, n, sizeof *ptrs, item_ptr_cmp);
	ok(pfound == &ptrs[5] && *pfound == &items[5],
	    "an array of pointers is searched through them");
	key = 9;
	is_int(sorted_index(&key, ptrs, n, sizeof *ptrs, item_ptr_cmp), 4,
	    "the place in an array of pointers");

	/* Every key of a larger array is found where it is. */
	for (i = 0; i < nitems(big); i++) {
		big[i].seq = 3 * i + 1;
		big[i].tag = (int)i;
	}
	for (i = 0; i < nitems(big); i++) {
		key = 3 * i + 1;
		found = sorted_find(&key, big, nitems(big), sizeof *big,
		    item_cmp);
		key = 3 * i + 2;
		if (found == NULL || found->tag != (int)i ||
		    sorted_index(&key, big, nitems(big), sizeof *big,
		    item_cmp) != i + 1)
			misplaced++;
	}
	is_int(misplaced, 0,
	    "each of 1000 keys is found, and the keys between them placed");

	return (done_testing());
}
