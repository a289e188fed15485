/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Arrays that grow as they are filled: the readers of record files and
 * kscope report's lanes.
 */
#ifndef KSCOPE_GROW_H
#define KSCOPE_GROW_H

#include <stdint.h>
#include <stdlib.h>

/*
 * Room for @need items of @size in @arr (*@cap of them now; @first the
 * first time), growing by doubling so that filling N items costs O(N)
 * copies in all.  Returns the (possibly moved) array, or NULL with @arr
 * still valid when memory runs out.
 */
static inline void *grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t ncap = *cap ? *cap : first;

	if (need <= *cap)
		return arr;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / size)
		return NULL;
	arr = realloc(arr, ncap * size);
	if (arr)
		*cap = ncap;
	return arr;
}

#endif
