// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of damontop's region model: the DAMON invariants after every
 * operation over many random rounds, the kernel's merge, age and split
 * rules on hand-made regions, the three-region computation on a real
 * looking address space, mmap/munmap following, and that a moving hot
 * block is found within a few aggregations.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "../../src/damontop/regions.h"
#include "../../src/damontop/procmaps.h"

#define PG		REGIONS_MIN_SZ
#define SAMPLES		20	/* 100 ms aggregation / 5 ms sampling */

/*
 * Check every DAMON invariant: sorted, non-empty, page-aligned regions
 * that tile exactly the given ranges (no overlap, no gap, nothing
 * outside).  Prints what is wrong and returns false.
 */
static bool tiles_ranges(const struct dregion *r, size_t nr,
			 const struct addr_range *a, size_t nr_a)
{
	size_t i = 0, k;
	uint64_t pos;

	for (k = 0; k < nr_a; k++) {
		pos = a[k].start;
		while (pos < a[k].end) {
			if (i == nr) {
				print_error("range %zu: no region at %#llx\n",
					    k, (unsigned long long)pos);
				return false;
			}
			if (r[i].start != pos || r[i].end <= r[i].start ||
			    r[i].end > a[k].end || r[i].start % PG ||
			    r[i].end % PG) {
				print_error("region %zu [%#llx, %#llx) at %#llx "
					    "of range %zu [%#llx, %#llx)\n", i,
					    (unsigned long long)r[i].start,
					    (unsigned long long)r[i].end,
					    (unsigned long long)pos, k,
					    (unsigned long long)a[k].start,
					    (unsigned long long)a[k].end);
				return false;
			}
			pos = r[i].end;
			i++;
		}
	}
	if (i != nr) {
		print_error("%zu regions beyond the last range\n", nr - i);
		return false;
	}
	return true;
}

static bool snapshot_tiles(const struct snapshot *s,
			   const struct addr_range *a, size_t nr_a)
{
	struct dregion *r = calloc(s->nr_regions, sizeof(*r));
	bool ok;
	size_t i;

	assert_non_null(r);
	for (i = 0; i < s->nr_regions; i++) {
		r[i].start = s->regions[i].start;
		r[i].end = s->regions[i].end;
	}
	ok = tiles_ranges(r, s->nr_regions, a, nr_a);
	free(r);
	return ok;
}

static uint64_t ranges_pages(const struct addr_range *a, size_t nr)
{
	uint64_t pages = 0;
	size_t i;

	for (i = 0; i < nr; i++)
		pages += (a[i].end - a[i].start) / PG;
	return pages;
}

/* Replace the regions with @n hand-made ones of @pages[i] pages each. */
static void set_regions(struct regions *rs, uint64_t start, size_t n,
			const uint64_t *pages)
{
	size_t i;

	free(rs->r);
	rs->r = calloc(n, sizeof(*rs->r));
	assert_non_null(rs->r);
	rs->nr = rs->cap = n;
	for (i = 0; i < n; i++) {
		rs->r[i].start = start;
		start += pages[i] * PG;
		rs->r[i].end = start;
	}
}

/* A deterministic generator for the tests' own choices. */
static uint64_t test_rng = 88172645463325252ULL;

static uint64_t trand(uint64_t n)
{
	test_rng ^= test_rng << 13;
	test_rng ^= test_rng >> 7;
	test_rng ^= test_rng << 17;
	return n ? test_rng % n : 0;
}

/* ---------------------------------------------------------------------- */

static void test_init_even(void **state)
{
	const struct addr_range a[3] = {
		{ 0x555500000000ULL, 0x555500000000ULL + 3000 * PG },
		{ 0x7f0000000000ULL, 0x7f0000000000ULL + 7000 * PG },
		{ 0x7ffd00000000ULL, 0x7ffd00000000ULL + 33 * PG },
	};
	struct regions rs;
	uint64_t limit = 10033 * PG / 10;
	size_t i;

	(void)state;
	assert_int_equal(regions_init(&rs, a, 3, 10, 1000, 1), 0);
	assert_true(tiles_ranges(rs.r, rs.nr, a, 3));
	assert_true(rs.nr >= 10 && rs.nr <= 1000);
	assert_int_equal(regions_total_size(&rs), 10033 * PG);
	for (i = 0; i < rs.nr; i++) {
		assert_true(rs.r[i].end - rs.r[i].start <= limit);
		assert_int_equal(rs.r[i].age, 0);
		assert_int_equal(rs.r[i].nr_accesses, 0);
	}
	/* 3000 and 7000 pages in pieces of at most 1003: 3 + 7 + 1 */
	assert_int_equal(rs.nr, 11);
	regions_free(&rs);
}

static void test_init_bad_and_small(void **state)
{
	const struct addr_range tiny[2] = {
		{ 0x10000, 0x10000 + 2 * PG }, { 0x40000, 0x40000 + 3 * PG },
	};
	const struct addr_range overlap[2] = {
		{ 0x10000, 0x20000 }, { 0x1f000, 0x30000 },
	};
	const struct addr_range unaligned[1] = { { 0x10010, 0x12001 } };
	const struct addr_range empty[1] = { { 0x10000, 0x10000 } };
	struct regions rs;

	(void)state;
	assert_int_equal(regions_init(&rs, tiny, 2, 2, 100, 1), -EINVAL);
	assert_int_equal(regions_init(&rs, tiny, 2, 20, 10, 1), -EINVAL);
	assert_int_equal(regions_init(&rs, overlap, 2, 10, 100, 1), -EINVAL);
	assert_int_equal(regions_init(&rs, empty, 1, 10, 100, 1), -EINVAL);
	assert_int_equal(regions_init(&rs, tiny, 0, 10, 100, 1), -EINVAL);
	{
		/* regions never merge across ranges: at most max_nr ranges */
		const struct addr_range four[4] = {
			{ 0x10000, 0x20000 }, { 0x30000, 0x40000 },
			{ 0x50000, 0x60000 }, { 0x70000, 0x80000 },
		};

		assert_int_equal(regions_init(&rs, four, 4, 3, 3, 1), -EINVAL);
		assert_int_equal(regions_init(&rs, four, 3, 3, 3, 1), 0);
		assert_int_equal(regions_update_ranges(&rs, four, 4), -EINVAL);
		regions_free(&rs);
	}

	/* fewer pages than min_nr: one region per page, no more */
	assert_int_equal(regions_init(&rs, tiny, 2, 10, 100, 1), 0);
	assert_int_equal(rs.nr, 5);
	assert_true(tiles_ranges(rs.r, rs.nr, tiny, 2));
	regions_free(&rs);

	/* ranges are rounded out to pages */
	assert_int_equal(regions_init(&rs, unaligned, 1, 3, 100, 1), 0);
	assert_int_equal(rs.r[0].start, 0x10000);
	assert_int_equal(rs.r[rs.nr - 1].end, 0x13000);
	regions_free(&rs);
}

static void test_samples(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 1000 * PG } };
	struct regions rs;
	size_t i, k;
	bool moved = false;
	uint64_t first;

	(void)state;
	assert_int_equal(regions_init(&rs, a, 1, 10, 100, 7), 0);
	regions_pick_samples(&rs);
	first = rs.r[0].sampling_addr;
	for (k = 0; k < 50; k++) {
		regions_pick_samples(&rs);
		for (i = 0; i < rs.nr; i++) {
			assert_true(rs.r[i].sampling_addr >= rs.r[i].start);
			assert_true(rs.r[i].sampling_addr < rs.r[i].end);
			assert_int_equal(rs.r[i].sampling_addr % PG, 0);
		}
		moved |= rs.r[0].sampling_addr != first;
	}
	assert_true(moved);
	regions_account(&rs, 3, true);
	regions_account(&rs, 3, true);
	regions_account(&rs, 4, false);
	regions_account(&rs, rs.nr, true);	/* out of range: ignored */
	assert_int_equal(rs.r[3].nr_accesses, 2);
	assert_int_equal(rs.r[4].nr_accesses, 0);
	regions_free(&rs);
}

/* Same seed, same accesses: the same regions, region for region. */
static void test_deterministic(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 5000 * PG } };
	struct regions x, y;
	size_t i, s, k;

	(void)state;
	assert_int_equal(regions_init(&x, a, 1, 10, 200, 42), 0);
	assert_int_equal(regions_init(&y, a, 1, 10, 200, 42), 0);
	for (k = 0; k < 20; k++) {
		for (s = 0; s < SAMPLES; s++) {
			regions_pick_samples(&x);
			regions_pick_samples(&y);
			for (i = 0; i < x.nr; i++) {
				bool hot = x.r[i].sampling_addr <
					0x100000 + 1000 * PG;

				regions_account(&x, i, hot);
				regions_account(&y, i, hot);
			}
		}
		assert_int_equal(regions_aggregate(&x, SAMPLES, NULL), 0);
		assert_int_equal(regions_aggregate(&y, SAMPLES, NULL), 0);
		assert_int_equal(x.nr, y.nr);
		assert_memory_equal(x.r, y.r, x.nr * sizeof(*x.r));
	}
	regions_free(&x);
	regions_free(&y);
}

/* damon_merge_two_regions(): counts and age weighted by size, floored. */
static void test_merge_weighted(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 120 * PG } };
	const uint64_t pages[3] = { 10, 30, 80 };
	struct snapshot snap = { 0 };
	struct regions rs;

	(void)state;
	/* 120 pages, min 3: no region may grow past 40 pages */
	assert_int_equal(regions_init(&rs, a, 1, 3, 100, 1), 0);
	set_regions(&rs, a[0].start, 3, pages);
	rs.r[0].nr_accesses = 30;
	rs.r[0].last_nr_accesses = 30;
	rs.r[0].age = 2;
	rs.r[1].nr_accesses = 33;
	rs.r[1].last_nr_accesses = 33;
	rs.r[1].age = 6;
	rs.r[2].nr_accesses = 0;
	rs.r[2].last_nr_accesses = 0;
	rs.r[2].age = 9;

	/* max seen 33: threshold 3, so 30 and 33 merge, 33 and 0 do not */
	assert_int_equal(regions_aggregate(&rs, 40, &snap), 0);
	assert_int_equal(snap.nr_regions, 2);
	assert_int_equal(snap.regions[0].start, a[0].start);
	assert_int_equal(snap.regions[0].end, a[0].start + 40 * PG);
	/* (30 * 10 + 33 * 30) / 40 = 32.25 */
	assert_int_equal(snap.regions[0].nr_accesses, 32);
	/* ages first become 3 and 7: (3 * 10 + 7 * 30) / 40 = 6 */
	assert_int_equal(snap.regions[0].age, 6);
	assert_int_equal(snap.regions[1].nr_accesses, 0);
	assert_int_equal(snap.regions[1].age, 10);
	assert_true(snapshot_tiles(&snap, a, 1));

	/* after the snapshot: counts reset, remembered, split in two */
	assert_int_equal(rs.nr, 4);
	assert_int_equal(rs.r[0].nr_accesses, 0);
	assert_int_equal(rs.r[0].last_nr_accesses, 32);
	assert_int_equal(rs.r[1].last_nr_accesses, 32);
	assert_int_equal(rs.r[1].age, 6);
	assert_int_equal(rs.r[3].age, 10);
	assert_true(tiles_ranges(rs.r, rs.nr, a, 1));

	/* the size limit wins over similarity: 40 + 80 pages > 40 */
	rs.nr = 0;
	set_regions(&rs, a[0].start, 2, (const uint64_t[]){ 40, 80 });
	assert_int_equal(regions_aggregate(&rs, SAMPLES, &snap), 0);
	assert_int_equal(snap.nr_regions, 2);
	free(snap.regions);
	regions_free(&rs);
}

/* Over max_nr_regions, the threshold doubles until merging is enough. */
static void test_merge_over_max(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 400 * PG } };
	uint64_t pages[40];
	struct snapshot snap = { 0 };
	struct regions rs;
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++)
		pages[i] = 10;
	assert_int_equal(regions_init(&rs, a, 1, 4, 20, 1), 0);
	set_regions(&rs, a[0].start, 40, pages);
	for (i = 0; i < 40; i++)
		rs.r[i].nr_accesses = i % 2 ? SAMPLES : 0;
	/* first threshold 2 merges nothing; 40 > 20 so it goes to 32 */
	assert_int_equal(regions_aggregate(&rs, SAMPLES, &snap), 0);
	assert_true(snap.nr_regions <= 20);
	assert_true(snap.nr_regions >= 4);
	assert_true(snapshot_tiles(&snap, a, 1));
	for (i = 0; i < snap.nr_regions; i++)
		assert_true(snap.regions[i].end - snap.regions[i].start <=
			    100 * PG);
	free(snap.regions);
	regions_free(&rs);
}

/* Alternating counts that never merge, so the split can be counted. */
static void alternate(struct regions *rs)
{
	size_t i;

	for (i = 0; i < rs->nr; i++)
		rs->r[i].nr_accesses = i % 2 ? 100 : 0;
}

static void test_split_counts(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 4000 * PG } };
	struct regions rs;
	size_t i;

	(void)state;
	/* 4 regions of 1000 pages; every cut point splits them */
	assert_int_equal(regions_init(&rs, a, 1, 4, 100, 3), 0);
	assert_int_equal(rs.nr, 4);
	alternate(&rs);
	assert_int_equal(regions_aggregate(&rs, 100, NULL), 0);
	assert_int_equal(rs.nr, 8);		/* 2 sub-regions */
	assert_true(tiles_ranges(rs.r, rs.nr, a, 1));
	for (i = 0; i < rs.nr; i++) {
		uint64_t sz = rs.r[i].end - rs.r[i].start;

		/* cut at 10%..90% of 1000 pages, page aligned */
		assert_true(sz >= 100 * PG && sz <= 900 * PG);
	}

	/* equal counts: halves merge back to the 4 regions of the limit */
	for (i = 0; i < rs.nr; i++)
		rs.r[i].nr_accesses = 5;
	assert_int_equal(regions_aggregate(&rs, 100, NULL), 0);
	/* same count as at the last split: 3 sub-regions this time */
	assert_int_equal(rs.nr, 12);
	assert_true(tiles_ranges(rs.r, rs.nr, a, 1));
	for (i = 0; i < rs.nr; i++)
		assert_int_equal(rs.r[i].last_nr_accesses, 5);

	/* more than max_nr / 2 regions: no split */
	regions_free(&rs);
	assert_int_equal(regions_init(&rs, a, 1, 4, 7, 3), 0);
	alternate(&rs);
	assert_int_equal(regions_aggregate(&rs, 100, NULL), 0);
	assert_int_equal(rs.nr, 4);

	/* regions of two pages or less are never split */
	regions_free(&rs);
	assert_int_equal(regions_init(&rs, a, 1, 4, 1000, 3), 0);
	set_regions(&rs, a[0].start, 4, (const uint64_t[]){ 1, 2, 2, 3995 });
	alternate(&rs);
	assert_int_equal(regions_aggregate(&rs, 100, NULL), 0);
	assert_int_equal(rs.r[0].end - rs.r[0].start, PG);
	assert_int_equal(rs.r[1].end - rs.r[1].start, 2 * PG);
	assert_int_equal(rs.r[2].end - rs.r[2].start, 2 * PG);
	assert_int_equal(rs.nr, 5);
	regions_free(&rs);
}

/* Run one aggregation where every sample of region i sees @hot(i). */
static void aggregate_all(struct regions *rs, bool accessed,
			  struct snapshot *snap)
{
	size_t i, s;

	for (s = 0; s < SAMPLES; s++) {
		regions_pick_samples(rs);
		for (i = 0; i < rs->nr; i++)
			regions_account(rs, i, accessed);
	}
	assert_int_equal(regions_aggregate(rs, SAMPLES, snap), 0);
}

static void test_age(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 100 * PG } };
	struct snapshot snap = { 0 };
	struct regions rs;
	uint32_t k;
	size_t i;

	(void)state;
	assert_int_equal(regions_init(&rs, a, 1, 10, 1000, 5), 0);
	/* 0 -> 20 accesses resets; then a stable count ages every time */
	for (k = 0; k < 6; k++) {
		aggregate_all(&rs, true, &snap);
		for (i = 0; i < snap.nr_regions; i++) {
			assert_int_equal(snap.regions[i].nr_accesses, SAMPLES);
			assert_int_equal(snap.regions[i].age, k);
		}
	}
	/* 20 -> 0: a big change resets the age, then it grows again */
	for (k = 0; k < 3; k++) {
		aggregate_all(&rs, false, &snap);
		for (i = 0; i < snap.nr_regions; i++) {
			assert_int_equal(snap.regions[i].nr_accesses, 0);
			assert_int_equal(snap.regions[i].age, k);
		}
	}
	free(snap.regions);
	regions_free(&rs);
}

/* The per-region rules of damon_merge_regions_of(), threshold 2. */
static void test_age_rules(void **state)
{
	const struct addr_range a[1] = { { 0x100000, 0x100000 + 400 * PG } };
	const uint64_t pages[4] = { 100, 100, 100, 100 };
	const uint32_t last[4] = { 1, 20, 3, 20 };
	const uint32_t now[4] = { 0, 20, 2, 10 };
	const uint32_t want[4] = { 0, 6, 6, 0 };
	struct snapshot snap = { 0 };
	struct regions rs;
	size_t i;

	(void)state;
	assert_int_equal(regions_init(&rs, a, 1, 4, 100, 1), 0);
	set_regions(&rs, a[0].start, 4, pages);
	for (i = 0; i < 4; i++) {
		rs.r[i].last_nr_accesses = last[i];
		rs.r[i].nr_accesses = now[i];
		rs.r[i].age = 5;
	}
	/*
	 * 1 -> 0 is within the threshold but turns idle: reset (6.18);
	 * 20 -> 20 and 3 -> 2 age; 20 -> 10 is beyond it: reset.
	 */
	assert_int_equal(regions_aggregate(&rs, SAMPLES, &snap), 0);
	assert_int_equal(snap.nr_regions, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(snap.regions[i].age, want[i]);
	free(snap.regions);
	regions_free(&rs);
}

/*
 * The stairs pattern: a 5000 KiB hot block steps 6000 KiB at a time
 * through a 64 MiB heap, 10 aggregations per step, on no round address.
 * From the 7th aggregation after each step on, the regions counted hot
 * (half the samples or more) must match the block to 10% of its size at
 * each edge.  Returns the aggregations the slowest step needed.
 */
static size_t stairs(uint64_t seed)
{
	const uint64_t heap = 0x555555000000ULL, blk = 5000 << 10;
	const uint64_t stride = 6000 << 10, tol = blk / 10;
	const struct addr_range a[3] = {
		{ 0x555554000000ULL, 0x555554000000ULL + (2ULL << 20) },
		{ heap, heap + (64ULL << 20) },
		{ 0x7ffff0000000ULL, 0x7ffff0000000ULL + (1ULL << 20) },
	};
	struct snapshot snap = { 0 };
	struct regions rs;
	uint64_t hot_start, hot_end, lo, hi;
	size_t i, s, step, k, worst = 0;

	assert_int_equal(regions_init(&rs, a, 3, 10, 1000, seed), 0);
	for (step = 0; step < 10; step++) {
		hot_start = heap + (1300 << 10) + step * stride;
		hot_end = hot_start + blk;
		for (k = 0; k < 10; k++) {
			for (s = 0; s < SAMPLES; s++) {
				regions_pick_samples(&rs);
				for (i = 0; i < rs.nr; i++) {
					uint64_t x = rs.r[i].sampling_addr;

					regions_account(&rs, i, x >= hot_start &&
							x < hot_end);
				}
			}
			assert_int_equal(regions_aggregate(&rs, SAMPLES,
							   &snap), 0);
			lo = UINT64_MAX;
			hi = 0;
			for (i = 0; i < snap.nr_regions; i++) {
				if (snap.regions[i].nr_accesses < SAMPLES / 2)
					continue;
				if (snap.regions[i].start < lo)
					lo = snap.regions[i].start;
				if (snap.regions[i].end > hi)
					hi = snap.regions[i].end;
			}
			if (lo <= hot_start + tol && lo + tol >= hot_start &&
			    hi <= hot_end + tol && hi + tol >= hot_end)
				continue;
			if (k >= 6)
				fail_msg("seed %llu step %zu aggregation %zu: hot "
					 "[%#llx, %#llx) seen as [%#llx, %#llx)",
					 (unsigned long long)seed, step, k,
					 (unsigned long long)hot_start,
					 (unsigned long long)hot_end,
					 (unsigned long long)lo,
					 (unsigned long long)hi);
			if (k + 2 > worst)
				worst = k + 2;
		}
	}
	free(snap.regions);
	regions_free(&rs);
	return worst;
}

static void test_stairs(void **state)
{
	size_t worst = 0, w;
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 8; seed++) {
		w = stairs(seed);
		if (w > worst)
			worst = w;
	}
	print_message("# stairs: block found from aggregation %zu of a step on\n",
		      worst);
}

/* A hand-made munmap/mmap sequence with known survivors. */
static void test_update_ranges(void **state)
{
	const struct addr_range a[3] = {
		{ 100 * PG, 140 * PG }, { 1000 * PG, 1040 * PG },
		{ 1060 * PG, 1100 * PG },
	};
	/* shrink R0's end, map the R1-R2 gap, a new mapping far away */
	const struct addr_range b[3] = {
		{ 100 * PG, 135 * PG }, { 1000 * PG, 1100 * PG },
		{ 9000 * PG, 9010 * PG },
	};
	/* R0 grows down, R1 goes away */
	const struct addr_range c[2] = {
		{ 90 * PG, 135 * PG }, { 9000 * PG, 9010 * PG },
	};
	const struct addr_range bad[2] = {
		{ 200 * PG, 300 * PG }, { 100 * PG, 150 * PG },
	};
	struct regions rs;
	size_t i;

	(void)state;
	/* 120 pages, min 12: 12 regions of 10 pages */
	assert_int_equal(regions_init(&rs, a, 3, 12, 100, 1), 0);
	assert_int_equal(rs.nr, 12);
	for (i = 0; i < 12; i++) {
		rs.r[i].age = 100 + i;
		rs.r[i].last_nr_accesses = 1 + i;
		rs.r[i].nr_accesses = 2 + i;
	}

	assert_int_equal(regions_update_ranges(&rs, bad, 2), -EINVAL);
	assert_int_equal(rs.nr, 12);

	assert_int_equal(regions_update_ranges(&rs, b, 3), 0);
	assert_true(tiles_ranges(rs.r, rs.nr, b, 3));
	/* R0: three untouched, the fourth cut to 5 pages, counts kept */
	for (i = 0; i < 4; i++) {
		assert_int_equal(rs.r[i].age, 100 + i);
		assert_int_equal(rs.r[i].nr_accesses, 2 + i);
		assert_int_equal(rs.r[i].last_nr_accesses, 1 + i);
	}
	assert_int_equal(rs.r[3].end, 135 * PG);
	/* R1 as it was, the mapped gap as 2 new regions, R2 as it was */
	for (i = 4; i < 8; i++)
		assert_int_equal(rs.r[i].age, 100 + i);
	assert_int_equal(rs.r[8].start, 1040 * PG);
	assert_int_equal(rs.r[9].end, 1060 * PG);
	for (i = 8; i < 10; i++) {
		assert_int_equal(rs.r[i].age, 0);
		assert_int_equal(rs.r[i].nr_accesses, 0);
		assert_int_equal(rs.r[i].last_nr_accesses, 0);
	}
	for (i = 10; i < 14; i++) {
		assert_int_equal(rs.r[i].age, 100 + i - 2);
		assert_int_equal(rs.r[i].nr_accesses, 2 + i - 2);
	}
	/* the new mapping: one fresh region */
	assert_int_equal(rs.nr, 15);
	assert_int_equal(rs.r[14].start, 9000 * PG);
	assert_int_equal(rs.r[14].age, 0);

	/*
	 * Growing down stretches the first region (damon_set_regions), which
	 * is then over the size limit (55 pages / 12) and split evenly.
	 */
	assert_int_equal(regions_update_ranges(&rs, c, 2), 0);
	assert_true(tiles_ranges(rs.r, rs.nr, c, 2));
	assert_true(rs.nr >= 12);
	assert_int_equal(rs.r[0].start, 90 * PG);
	for (i = 0; rs.r[i].end <= 110 * PG; i++)
		assert_int_equal(rs.r[i].age, 100);
	assert_int_equal(rs.r[i - 1].end, 110 * PG);
	for (i = 0; i < rs.nr; i++)
		assert_true(rs.r[i].end - rs.r[i].start <= 4 * PG);
	assert_int_equal(rs.r[rs.nr - 1].age, 0);
	regions_free(&rs);
}

static void test_three_ranges(void **state)
{
	static const char maps_text[] =
"55d0c8a00000-55d0c8a02000 r--p 00000000 fd:01 1234          /usr/bin/app\n"
"55d0c8a02000-55d0c8a08000 r-xp 00002000 fd:01 1234          /usr/bin/app\n"
"55d0c8a0b000-55d0c8a0c000 rw-p 0000a000 fd:01 1234          /usr/bin/app\n"
"55d0c9e3e000-55d0c9e5f000 rw-p 00000000 00:00 0             [heap]\n"
"7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 \n"
"7f3a1c021000-7f3a20000000 ---p 00000000 00:00 0 \n"
"7f3a21e00000-7f3a21e28000 r--p 00000000 fd:01 5678          /usr/lib/x86_64-linux-gnu/libc.so.6\n"
"7f3a21e28000-7f3a21fbd000 r-xp 00028000 fd:01 5678          /usr/lib/x86_64-linux-gnu/libc.so.6\n"
"7f3a22300000-7f3a22302000 rw-p 00000000 00:00 0 \n"
"7ffd5a6b0000-7ffd5a6d1000 rw-p 00000000 00:00 0             [stack]\n"
"7ffd5a7e4000-7ffd5a7e8000 r--p 00000000 00:00 0             [vvar]\n"
"7ffd5a7e8000-7ffd5a7ea000 r-xp 00000000 00:00 0             [vdso]\n"
"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0     [vsyscall]\n";
	struct mapping *maps;
	struct addr_range r[3];
	size_t nr, n;

	(void)state;
	assert_int_equal(procmaps_parse_text(maps_text, &maps, &nr), 0);
	assert_int_equal(nr, 12);
	/* the heap gap and the mmap-stack gap go; the 20 and 30 MiB stay */
	assert_int_equal(regions_three_ranges(maps, nr, r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].start, 0x55d0c8a00000ULL);
	assert_int_equal(r[0].end, 0x55d0c9e5f000ULL);
	assert_int_equal(r[1].start, 0x7f3a1c000000ULL);
	assert_int_equal(r[1].end, 0x7f3a22302000ULL);
	assert_int_equal(r[2].start, 0x7ffd5a6b0000ULL);
	assert_int_equal(r[2].end, 0x7ffd5a7ea000ULL);

	/* [vsyscall] is ignored even when a caller passes it */
	strcpy(maps[nr - 1].name, "[vdso]");
	maps[nr - 1].start = 0xffffffffff600000ULL;
	maps[nr - 1].end = 0xffffffffff601000ULL;
	assert_int_equal(regions_three_ranges(maps, nr, r, &n), 0);
	assert_int_equal(r[2].end, 0x7ffd5a7e8000ULL);

	/* fewer gaps: fewer ranges; adjacent mappings make no gap */
	assert_int_equal(regions_three_ranges(maps, 1, r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(r[0].end, 0x55d0c8a02000ULL);
	assert_int_equal(regions_three_ranges(maps, 2, r, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(regions_three_ranges(maps, 3, r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].end, 0x55d0c8a08000ULL);
	assert_int_equal(r[1].start, 0x55d0c8a0b000ULL);

	assert_int_equal(regions_three_ranges(maps, 0, r, &n), -ENODATA);
	/* unsorted input */
	assert_int_equal(regions_three_ranges(maps + 3, 2, r, &n), 0);
	{
		struct mapping swapped[2] = { maps[4], maps[3] };

		assert_int_equal(regions_three_ranges(swapped, 2, r, &n),
				 -EINVAL);
	}
	free(maps);
}

/* Equal gaps: the first two seen win, as in __damon_va_three_regions. */
static void test_three_ranges_ties(void **state)
{
	const struct mapping m[4] = {
		{ 0x10000, 0x11000, "a" }, { 0x20000, 0x21000, "b" },
		{ 0x30000, 0x31000, "c" }, { 0x40000, 0x41000, "d" },
	};
	struct addr_range r[3];
	size_t n;

	(void)state;
	assert_int_equal(regions_three_ranges(m, 4, r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].end, 0x11000);
	assert_int_equal(r[1].start, 0x20000);
	assert_int_equal(r[1].end, 0x21000);
	assert_int_equal(r[2].start, 0x30000);
	assert_int_equal(r[2].end, 0x41000);
}

/* ---------------------------------------------------------------------- */

/*
 * A simulated process: an executable, a heap that moves its break, an
 * mmap area that grows down with mappings coming and going, and a stack.
 * Units are pages.
 */
#define SIM_MAX 64
struct sim {
	struct mapping m[SIM_MAX];
	size_t nr;
};

static void sim_add(struct sim *p, uint64_t start, uint64_t pages)
{
	size_t i = 0;

	assert_true(p->nr < SIM_MAX);
	while (i < p->nr && p->m[i].start < start * PG)
		i++;
	memmove(&p->m[i + 1], &p->m[i], (p->nr - i) * sizeof(p->m[0]));
	p->m[i].start = start * PG;
	p->m[i].end = (start + pages) * PG;
	strcpy(p->m[i].name, "anon");
	p->nr++;
}

static void sim_init(struct sim *p)
{
	p->nr = 0;
	sim_add(p, 0x1000, 50);			/* executable */
	sim_add(p, 0x2000, 300);		/* heap */
	sim_add(p, 0x7f000000, 2000);		/* mmap area */
	sim_add(p, 0x7f000800, 500);
	sim_add(p, 0x7fff0000, 40);		/* stack */
}

/* One random mmap, munmap or brk. */
static void sim_step(struct sim *p)
{
	size_t i;

	switch (trand(3)) {
	case 0:	/* mmap below the lowest mapping of the mmap area */
		if (p->nr < SIM_MAX - 1) {
			uint64_t pages = 1 + trand(3000);

			sim_add(p, p->m[2].start / PG - pages - trand(50) -
				(trand(4) ? 0 : 5000), pages);
		}
		break;
	case 1:	/* munmap one mapping of the mmap area, not the last one */
		if (p->nr > 5) {
			i = 2 + trand(p->nr - 4);
			memmove(&p->m[i], &p->m[i + 1],
				(p->nr - i - 1) * sizeof(p->m[0]));
			p->nr--;
		}
		break;
	default: /* brk */
		p->m[1].end = p->m[1].start + (1 + trand(2000)) * PG;
		break;
	}
}

/*
 * Random rounds: a random hot set changes now and then, the address
 * space changes every few aggregations, and after every operation the
 * regions must tile the ranges with min_nr..max_nr regions.
 */
static void random_rounds(uint32_t min_nr, uint32_t max_nr, uint64_t seed)
{
	struct snapshot snap = { 0 };
	struct addr_range r[3];
	struct regions rs;
	struct sim p;
	uint64_t hot_lo = 0, hot_hi = 0, pages;
	size_t n, i, s, round;
	uint32_t prob = 50;

	test_rng = seed * 2654435761ULL + 1;
	sim_init(&p);
	assert_int_equal(regions_three_ranges(p.m, p.nr, r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(regions_init(&rs, r, n, min_nr, max_nr, seed), 0);
	assert_true(tiles_ranges(rs.r, rs.nr, r, n));
	assert_true(rs.nr >= min_nr && rs.nr <= max_nr);

	for (round = 0; round < 300; round++) {
		if (trand(8) == 0) {
			i = trand(rs.nr);
			hot_lo = rs.r[i].start + trand(4) * PG;
			hot_hi = hot_lo + (1 + trand(3000)) * PG;
			prob = trand(101);
		}
		for (s = 0; s < SAMPLES; s++) {
			regions_pick_samples(&rs);
			for (i = 0; i < rs.nr; i++) {
				uint64_t x = rs.r[i].sampling_addr;
				bool in = x >= hot_lo && x < hot_hi;

				regions_account(&rs, i, in ? trand(100) < prob :
						trand(100) < 2);
			}
		}
		assert_int_equal(regions_aggregate(&rs, SAMPLES, &snap), 0);
		assert_true(snapshot_tiles(&snap, r, n));
		assert_true(snap.nr_regions >= min_nr);
		assert_true(snap.nr_regions <= max_nr);
		for (i = 0; i < snap.nr_regions; i++)
			assert_true(snap.regions[i].nr_accesses <= SAMPLES);
		assert_true(tiles_ranges(rs.r, rs.nr, r, n));
		if (rs.nr < min_nr || rs.nr > max_nr)
			fail_msg("round %zu: %zu regions after the split",
				 round, rs.nr);

		if (trand(3) == 0) {
			size_t before = rs.nr;

			sim_step(&p);
			assert_int_equal(regions_three_ranges(p.m, p.nr, r, &n),
					 0);
			assert_int_equal(regions_update_ranges(&rs, r, n), 0);
			assert_true(tiles_ranges(rs.r, rs.nr, r, n));
			pages = ranges_pages(r, n);
			assert_true(rs.nr >= (pages < min_nr ? pages : min_nr));
			/* at most: a new region per range, one per hole */
			assert_true(rs.nr <= (before > max_nr ? before : max_nr) +
				    5);
		}
	}
	free(snap.regions);
	regions_free(&rs);
}

static void test_random_rounds(void **state)
{
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 12; seed++) {
		random_rounds(10, 1000, seed);
		random_rounds(10, 60, seed);
		random_rounds(3, 12, seed);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_even),
		cmocka_unit_test(test_init_bad_and_small),
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_merge_weighted),
		cmocka_unit_test(test_merge_over_max),
		cmocka_unit_test(test_split_counts),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_age_rules),
		cmocka_unit_test(test_stairs),
		cmocka_unit_test(test_update_ranges),
		cmocka_unit_test(test_three_ranges),
		cmocka_unit_test(test_three_ranges_ties),
		cmocka_unit_test(test_random_rounds),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
