/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON's adaptive region model for one target, run in user space: the
 * kernel side only reports whether the page at each region's sampling
 * address was accessed.  Pure C, no I/O, and every random choice comes
 * from a seeded generator, so a session replays exactly.
 *
 * Semantics follow mm/damon/core.c and mm/damon/vaddr.c of Linux 6.18.
 * The caller drives it like kdamond_fn() does:
 *
 *	regions_init()                       (__damon_va_init_regions)
 *	loop:
 *		regions_pick_samples()       (prepare_access_checks)
 *		sleep one sampling interval
 *		regions_account() per region (check_accesses)
 *		every aggregation interval:
 *			regions_aggregate()  (merge, damon_aggregated, reset, split)
 *		every update interval:
 *			regions_three_ranges() + regions_update_ranges()
 *						     (damon_va_update)
 */
#ifndef KSCOPE_DAMONTOP_REGIONS_H
#define KSCOPE_DAMONTOP_REGIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* DAMON_MIN_REGION: every region boundary is a multiple of it. */
#define REGIONS_MIN_SZ 4096ULL

/* [start, end) of the target's address space. */
struct addr_range {
	uint64_t start;
	uint64_t end;
};

/* One monitored region (struct damon_region). */
struct dregion {
	uint64_t start;
	uint64_t end;
	uint64_t sampling_addr;		/* page the kernel is asked about */
	uint32_t nr_accesses;		/* samples that saw an access so far */
	uint32_t last_nr_accesses;	/* nr_accesses of the last aggregation */
	uint32_t age;			/* aggregations with a similar count */
};

/* The regions of one target, sorted by address, never overlapping. */
struct regions {
	struct dregion *r;
	size_t nr;
	size_t cap;
	uint32_t min_nr;
	uint32_t max_nr;
	size_t last_nr_split;		/* count seen by the last split */
	uint64_t rng;			/* xorshift64* state, never zero */
};

/*
 * Start monitoring @ranges (sorted, non-overlapping; rounded out to pages):
 * one region per range, split evenly so that every region is at most
 * total size / @min_nr, giving at least @min_nr regions unless the ranges
 * hold fewer pages than that.  3 <= @min_nr <= @max_nr as DAMON requires,
 * and at most @max_nr ranges.  Returns 0, -EINVAL or -ENOMEM.
 */
int regions_init(struct regions *rs, const struct addr_range *ranges,
		 size_t nr_ranges, uint32_t min_nr, uint32_t max_nr,
		 uint64_t seed);

/*
 * Follow mmap/munmap (damon_set_regions): regions outside every range go,
 * the first and last region meeting a range are cut or stretched to its
 * edges, holes between regions and ranges without any region get new
 * regions (counts and age 0); surviving regions keep their counts and age.
 * Regions then larger than total size / min_nr are split evenly as at init.
 * The count may exceed max_nr until the next regions_aggregate() merges.
 * Returns 0, -EINVAL (bad ranges) or -ENOMEM (regions unchanged).
 */
int regions_update_ranges(struct regions *rs, const struct addr_range *ranges,
			  size_t nr_ranges);

/* Choose a random page in every region as its next sampling address. */
void regions_pick_samples(struct regions *rs);

/* Uniform in [0, n), n > 0, from the model's generator (replayable). */
uint64_t regions_random(struct regions *rs, uint64_t n);

/* Record the kernel's answer for region @idx's sampling address. */
void regions_account(struct regions *rs, size_t idx, bool accessed);

/*
 * End of one aggregation interval.  @max_nr_accesses is the most a count
 * can reach, aggregation interval / sampling interval.  Updates ages,
 * merges similar neighbours, fills @out (if not NULL) with the merged
 * regions, then resets the counts and splits regions at random points.
 * out->regions is realloc()ed to fit, so start with a zeroed snapshot,
 * reuse it, and free(out->regions) at the end; the time and interval
 * fields are the caller's.  Returns 0 or -ENOMEM (the model stays valid;
 * on failure @out may be left empty or the split skipped).
 */
int regions_aggregate(struct regions *rs, uint32_t max_nr_accesses,
		      struct snapshot *out);

/* Sum of the region sizes. */
uint64_t regions_total_size(const struct regions *rs);

/*
 * DAMON vaddr's three regions (__damon_va_three_regions): everything from
 * the first to the last mapping, minus the two largest gaps between
 * mappings.  @maps must be sorted and non-overlapping; kernel-half
 * addresses ([vsyscall]) are ignored.  With fewer than two gaps, where
 * DAMON gives up, the mappings are returned as one or two ranges.
 * Returns 0, -EINVAL (unsorted) or -ENODATA (no mapping).
 */
int regions_three_ranges(const struct mapping *maps, size_t nr,
			 struct addr_range out[3], size_t *nr_out);

void regions_free(struct regions *rs);

#endif
