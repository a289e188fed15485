// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for damontop's model: the snapshot ring keeps the newest
 * snapshots in order and owns copies of them, working-set figures, the
 * hottest-regions table with mapping names, and the address spans of the
 * heatmap, cut at the biggest gaps between mappings or, without mappings,
 * at the holes between regions; the fixed address buckets over those
 * spans and the Prometheus metrics made of the model (view_metrics); the
 * --json line's names and units (view_json_line).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "metrics.h"
#include "../../src/damontop/model.h"
#include "../../src/damontop/view.h"

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)

/* A snapshot over a malloc()ed copy of @regs, for the model to copy. */
static struct snapshot make_snap(uint64_t time_ns, const struct region *regs,
				 uint32_t nr)
{
	struct snapshot s = {
		.time_ns = time_ns,
		.sample_ns = 5000000,
		.aggr_ns = 100000000,
		.nr_regions = nr,
	};

	if (nr) {
		s.regions = malloc(nr * sizeof(*regs));
		assert_non_null(s.regions);
		memcpy(s.regions, regs, nr * sizeof(*regs));
	}
	return s;
}

/* Add a snapshot and scribble over and free the caller's copy. */
static void add_and_drop(struct damon_model *m, struct snapshot *s)
{
	assert_int_equal(model_add_snapshot(m, s), 0);
	if (s->regions)
		memset(s->regions, 0xa5, s->nr_regions * sizeof(*s->regions));
	free(s->regions);
	s->regions = NULL;
}

/* Snapshot number i of the ring test: i + 1 regions, i-dependent. */
static struct snapshot ring_snap(unsigned int i)
{
	struct region regs[8];
	uint32_t j;

	for (j = 0; j <= i; j++) {
		regs[j].start = 0x10000 * (i + 1) + j * 0x1000;
		regs[j].end = regs[j].start + 0x1000;
		regs[j].nr_accesses = i;
		regs[j].age = j;
	}
	return make_snap(1000 + i, regs, i + 1);
}

static void check_ring_snap(const struct snapshot *g, unsigned int i)
{
	uint32_t j;

	assert_non_null(g);
	assert_int_equal(g->time_ns, 1000 + i);
	assert_int_equal(g->nr_regions, i + 1);
	for (j = 0; j <= i; j++) {
		assert_int_equal(g->regions[j].start,
				 0x10000 * (i + 1) + j * 0x1000);
		assert_int_equal(g->regions[j].end,
				 0x10000 * (i + 1) + j * 0x1000 + 0x1000);
		assert_int_equal(g->regions[j].nr_accesses, i);
		assert_int_equal(g->regions[j].age, j);
	}
}

static void test_ring(void **state)
{
	struct damon_model m;
	struct snapshot s;
	unsigned int i, j, kept;

	(void)state;
	assert_int_equal(model_init(&m, 3), 0);
	assert_null(model_latest(&m));
	assert_null(model_snapshot(&m, 0));
	for (i = 0; i < 8; i++) {
		s = ring_snap(i);
		add_and_drop(&m, &s);
		kept = i + 1 < 3 ? i + 1 : 3;
		assert_int_equal(m.nr_snaps, kept);
		assert_int_equal(m.total_snaps, i + 1);
		/* oldest first, the newest last */
		for (j = 0; j < kept; j++)
			check_ring_snap(model_snapshot(&m, j),
					i + 1 - kept + j);
		assert_null(model_snapshot(&m, kept));
		assert_ptr_equal(model_latest(&m),
				 model_snapshot(&m, kept - 1));
		check_ring_snap(model_latest(&m), i);
	}
	model_free(&m);
	assert_null(m.ring);
	assert_int_equal(m.nr_snaps, 0);
}

/* The model owns its regions: the source's array is never kept. */
static void test_deep_copy(void **state)
{
	struct region regs[2] = {
		{ 0x1000, 0x3000, 4, 1 },
		{ 0x5000, 0x6000, 0, 2 },
	};
	struct damon_model m;
	struct snapshot s = make_snap(1, regs, 2);
	struct region *src = s.regions;
	const struct snapshot *g;

	(void)state;
	assert_int_equal(model_init(&m, 2), 0);
	assert_int_equal(model_add_snapshot(&m, &s), 0);
	g = model_latest(&m);
	assert_ptr_not_equal(g->regions, src);
	src[0].nr_accesses = 99;
	src[1].end = 0x9000;
	assert_int_equal(g->regions[0].nr_accesses, 4);
	assert_int_equal(g->regions[1].end, 0x6000);
	assert_memory_equal(g->regions, regs, sizeof(regs));
	assert_int_equal(g->sample_ns, 5000000);
	assert_int_equal(g->aggr_ns, 100000000);
	free(s.regions);

	/* a snapshot without regions is kept too */
	s = make_snap(2, NULL, 0);
	s.regions = regs;		/* NULL here trips UBSan in memcpy */
	assert_int_equal(model_add_snapshot(&m, &s), 0);
	assert_ptr_not_equal(model_latest(&m)->regions, regs);
	assert_int_equal(model_latest(&m)->nr_regions, 0);
	assert_int_equal(model_latest(&m)->time_ns, 2);
	/* and the one before it is untouched */
	assert_memory_equal(model_snapshot(&m, 0)->regions, regs, sizeof(regs));
	model_free(&m);
}

static void test_wss(void **state)
{
	struct region regs[4] = {
		{ 0x1000, 0x3000, 1, 0 },	/* 8 KiB, accessed */
		{ 0x3000, 0x4000, 0, 9 },	/* idle */
		{ 0x10000, 0x20000, 20, 0 },	/* 64 KiB, accessed */
		{ 0x20000, 0x30000, 0, 0 },	/* idle */
	};
	struct snapshot s = { .nr_regions = 4, .regions = regs };
	struct snapshot empty = { 0 };
	struct damon_model m;
	struct snapshot t;
	uint64_t wss[] = { 8 * KiB, 72 * KiB, 4 * KiB, 0, 64 * KiB };
	uint64_t peak = 0;
	unsigned int i;

	(void)state;
	assert_int_equal(snapshot_wss(&s), 72 * KiB);
	assert_int_equal(snapshot_wss(&empty), 0);
	regs[0].nr_accesses = 0;
	regs[2].nr_accesses = 0;
	assert_int_equal(snapshot_wss(&s), 0);

	/* the peak outlives the snapshot it came from */
	assert_int_equal(model_init(&m, 2), 0);
	for (i = 0; i < 5; i++) {
		struct region r = { 0x100000, 0x100000 + wss[i], 1, 0 };

		if (!wss[i]) {
			r.end = 0x100000 + 4096;
			r.nr_accesses = 0;
		}
		t = make_snap(i, &r, 1);
		add_and_drop(&m, &t);
		if (wss[i] > peak)
			peak = wss[i];
		assert_int_equal(snapshot_wss(model_latest(&m)), wss[i]);
		assert_int_equal(m.peak_wss, peak);
	}
	assert_int_equal(m.peak_wss, 72 * KiB);
	model_free(&m);
}

static void test_max_accesses(void **state)
{
	struct snapshot s = { .sample_ns = 5000000, .aggr_ns = 100000000 };

	(void)state;
	assert_int_equal(snapshot_max_accesses(&s), 20);
	s.aggr_ns = 104999999;
	assert_int_equal(snapshot_max_accesses(&s), 20);
	/* never zero, so it can divide */
	s.sample_ns = 0;
	assert_int_equal(snapshot_max_accesses(&s), 1);
	s.sample_ns = 200000000;
	assert_int_equal(snapshot_max_accesses(&s), 1);
}

static const struct mapping test_maps[] = {
	{ 0x400000, 0x401000, "accessgen" },
	{ 0x555500000000ull, 0x555500100000ull, "[heap]" },
	{ 0x7f1000000000ull, 0x7f1000200000ull, "libc.so.6" },
	{ 0x7ffd00000000ull, 0x7ffd00021000ull, "[stack]" },
};

static void check_name(const struct damon_model *m, uint64_t addr,
		       const char *want)
{
	const char *got = model_mapping_name(m, addr);

	assert_non_null(got);
	if (strcmp(got, want))
		fail_msg("%#llx: '%s', want '%s'", (unsigned long long)addr,
			 got, want);
}

static void test_mapping_name(void **state)
{
	struct mapping maps[4];
	struct damon_model m;

	(void)state;
	assert_int_equal(model_init(&m, 1), 0);
	check_name(&m, 0x400000, "-");
	memcpy(maps, test_maps, sizeof(maps));
	assert_int_equal(model_set_mappings(&m, maps, 4), 0);
	/* the model keeps its own copy */
	strcpy(maps[1].name, "changed");
	maps[1].end = 0x555500000001ull;
	check_name(&m, 0x400000, "accessgen");
	check_name(&m, 0x400fff, "accessgen");
	check_name(&m, 0x401000, "-");
	check_name(&m, 0x3fffff, "-");
	check_name(&m, 0, "-");
	check_name(&m, 0x555500000000ull, "[heap]");
	check_name(&m, 0x5555000fffffull, "[heap]");
	check_name(&m, 0x555500100000ull, "-");
	check_name(&m, 0x7f1000100000ull, "libc.so.6");
	check_name(&m, 0x7ffd00020fffull, "[stack]");
	check_name(&m, 0x7ffd00021000ull, "-");
	check_name(&m, UINT64_MAX, "-");

	/* a new set replaces the old one entirely */
	assert_int_equal(model_set_mappings(&m, test_maps + 3, 1), 0);
	assert_int_equal(m.nr_maps, 1);
	check_name(&m, 0x400000, "-");
	check_name(&m, 0x7ffd00000000ull, "[stack]");
	assert_int_equal(model_set_mappings(&m, maps, 0), 0);
	check_name(&m, 0x7ffd00000000ull, "-");
	model_free(&m);
}

static void test_hottest(void **state)
{
	static const struct region old[1] = {
		/* hotter than all, but not in the latest snapshot */
		{ 0x1000, 0x2000, 20, 0 },
	};
	static const struct region regs[] = {
		{ 0x400000, 0x401000, 3, 1 },
		{ 0x555500000000ull, 0x555500010000ull, 3, 2 },
		{ 0x555500010000ull, 0x555500020000ull, 10, 3 },
		{ 0x600000000000ull, 0x600000004000ull, 3, 4 },
		{ 0x7f1000000000ull, 0x7f1000010000ull, 0, 5 },
		{ 0x7ffd00000000ull, 0x7ffd00010000ull, 3, 6 },
	};
	/* hottest first; equally hot: bigger first; equal: lower first */
	static const struct {
		uint64_t start;
		uint32_t nr_accesses, age;
		const char *mapping;
	} want[] = {
		{ 0x555500010000ull, 10, 3, "[heap]" },
		{ 0x555500000000ull, 3, 2, "[heap]" },
		{ 0x7ffd00000000ull, 3, 6, "[stack]" },
		{ 0x600000000000ull, 3, 4, "-" },
		{ 0x400000, 3, 1, "accessgen" },
		{ 0x7f1000000000ull, 0, 5, "libc.so.6" },
	};
	struct hot_region out[8];
	struct damon_model m;
	struct snapshot s;
	size_t i, n;

	(void)state;
	assert_int_equal(model_init(&m, 4), 0);
	assert_int_equal(model_hottest(&m, out, 8), 0);
	assert_int_equal(model_set_mappings(&m, test_maps, 4), 0);
	s = make_snap(1, old, 1);
	add_and_drop(&m, &s);
	s = make_snap(2, regs, 6);
	add_and_drop(&m, &s);

	memset(out, 0, sizeof(out));
	n = model_hottest(&m, out, 8);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_int_equal(out[i].start, want[i].start);
		assert_int_equal(out[i].nr_accesses, want[i].nr_accesses);
		assert_int_equal(out[i].age, want[i].age);
		assert_non_null(out[i].mapping);
		assert_string_equal(out[i].mapping, want[i].mapping);
	}
	assert_int_equal(out[0].end, 0x555500020000ull);
	/* 10 of 100 ms / 5 ms = 20 samples */
	assert_true(out[0].access_pct > 49.999 && out[0].access_pct < 50.001);
	assert_true(out[1].access_pct > 14.999 && out[1].access_pct < 15.001);
	assert_true(out[5].access_pct == 0);

	/* only the first n are written */
	memset(out, 0, sizeof(out));
	assert_int_equal(model_hottest(&m, out, 2), 2);
	assert_int_equal(out[0].start, want[0].start);
	assert_int_equal(out[1].start, want[1].start);
	assert_int_equal(out[2].start, 0);

	/* a latest snapshot without regions has no hottest */
	s = make_snap(3, NULL, 0);
	/* not NULL: see test_deep_copy */
	s.regions = (struct region *)regs;
	assert_int_equal(model_add_snapshot(&m, &s), 0);
	assert_int_equal(model_hottest(&m, out, 8), 0);
	model_free(&m);
}

/* ---- spans ------------------------------------------------------------ */

static void check_spans(const struct damon_model *m, size_t max,
			const struct heat_span *want, size_t nr)
{
	struct heat_span got[16];
	size_t n, i;

	memset(got, 0, sizeof(got));
	n = model_spans(m, got, max);
	if (n != nr)
		fail_msg("max %zu: %zu spans, want %zu", max, n, nr);
	for (i = 0; i < n; i++) {
		if (got[i].start != want[i].start || got[i].end != want[i].end)
			fail_msg("max %zu: span %zu [%#llx, %#llx), "
				 "want [%#llx, %#llx)", max, i,
				 (unsigned long long)got[i].start,
				 (unsigned long long)got[i].end,
				 (unsigned long long)want[i].start,
				 (unsigned long long)want[i].end);
	}
	/* nothing written beyond what is returned */
	for (i = n; i < 16; i++)
		assert_true(!got[i].start && !got[i].end);
}

/* A model with one snapshot of one region and the given mappings. */
static void spans_model(struct damon_model *m, const struct mapping *maps,
			size_t nr)
{
	struct region r = { 0x1000, 0x2000, 1, 0 };
	struct snapshot s = make_snap(1, &r, 1);

	assert_int_equal(model_init(m, 2), 0);
	add_and_drop(m, &s);
	assert_int_equal(model_set_mappings(m, maps, nr), 0);
}

/* Small mappings: gaps of 1 MiB or less stay, bigger ones are cut. */
static void test_spans_min_gap(void **state)
{
	static const struct mapping maps[] = {
		/* gaps: 512 KiB, 1020 KiB, 1 MiB + 4 KiB, huge, huge */
		{ 0x400000, 0x600000, "a" },
		{ 0x680000, 0x700000, "b" },
		{ 0x7ff000, 0x900000, "c" },
		{ 0xa01000, 0xa02000, "d" },
		{ 0x7f0000000000ull, 0x7f0000400000ull, "e" },
		{ 0x7ffd00000000ull, 0x7ffd00100000ull, "f" },
	};
	static const struct heat_span want[] = {
		{ 0x400000, 0x900000 },
		{ 0xa01000, 0xa02000 },
		{ 0x7f0000000000ull, 0x7f0000400000ull },
		{ 0x7ffd00000000ull, 0x7ffd00100000ull },
	};
	static const struct heat_span three[] = {
		{ 0x400000, 0xa02000 },
		{ 0x7f0000000000ull, 0x7f0000400000ull },
		{ 0x7ffd00000000ull, 0x7ffd00100000ull },
	};
	static const struct heat_span one[] = {
		{ 0x400000, 0x7ffd00100000ull },
	};
	struct damon_model m;

	(void)state;
	spans_model(&m, maps, 6);
	check_spans(&m, 16, want, 4);
	check_spans(&m, 4, want, 4);
	/* fewer spans allowed: the two huge gaps are the ones cut */
	check_spans(&m, 3, three, 3);
	/* one span holds everything */
	check_spans(&m, 1, one, 1);
	assert_int_equal(model_spans(&m, NULL, 0), 0);
	model_free(&m);
}

/* Big mappings: the threshold is 1/32 of the mapped size. */
static void test_spans_scaled_gap(void **state)
{
	static const struct mapping maps[] = {
		{ 1 * GiB, 1 * GiB + 64 * MiB, "a" },
		/* gap 3 MiB < 128 MiB / 32 = 4 MiB: kept */
		{ 1 * GiB + 67 * MiB, 1 * GiB + 99 * MiB, "b" },
		/* gap 5 MiB > 4 MiB: cut */
		{ 1 * GiB + 104 * MiB, 1 * GiB + 136 * MiB, "c" },
	};
	static const struct heat_span want[] = {
		{ 1 * GiB, 1 * GiB + 99 * MiB },
		{ 1 * GiB + 104 * MiB, 1 * GiB + 136 * MiB },
	};
	struct damon_model m;

	(void)state;
	spans_model(&m, maps, 3);
	check_spans(&m, 8, want, 2);
	model_free(&m);
}

/* With fewer spans than gaps, the largest gaps are the ones cut. */
static void test_spans_largest_first(void **state)
{
	static const struct mapping maps[] = {
		{ 0x10000000, 0x10100000, "a" },
		/* gap ~10 GiB */
		{ 0x290000000ull, 0x290100000ull, "b" },
		/* gap ~100 GiB */
		{ 0x1a00000000ull, 0x1a00100000ull, "c" },
		/* gap ~1 GiB */
		{ 0x1a40000000ull, 0x1a40100000ull, "d" },
		/* gap ~50 GiB */
		{ 0x2700000000ull, 0x2700100000ull, "e" },
	};
	static const struct heat_span two[] = {
		{ 0x10000000, 0x290100000ull },
		{ 0x1a00000000ull, 0x2700100000ull },
	};
	static const struct heat_span three[] = {
		{ 0x10000000, 0x290100000ull },
		{ 0x1a00000000ull, 0x1a40100000ull },
		{ 0x2700000000ull, 0x2700100000ull },
	};
	static const struct heat_span four[] = {
		{ 0x10000000, 0x10100000 },
		{ 0x290000000ull, 0x290100000ull },
		{ 0x1a00000000ull, 0x1a40100000ull },
		{ 0x2700000000ull, 0x2700100000ull },
	};
	static const struct heat_span one[] = {
		{ 0x10000000, 0x2700100000ull },
	};
	struct heat_span five[5];
	struct damon_model m;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++)
		five[i] = (struct heat_span){ maps[i].start, maps[i].end };
	spans_model(&m, maps, 5);
	check_spans(&m, 1, one, 1);
	check_spans(&m, 2, two, 2);
	check_spans(&m, 3, three, 3);
	check_spans(&m, 4, four, 4);
	/* as many spans as mappings: every big gap is cut */
	check_spans(&m, 5, five, 5);
	check_spans(&m, 8, five, 5);
	model_free(&m);
}

/* Equal gaps must not crowd out a bigger one. */
static void test_spans_gap_ties(void **state)
{
	static const struct mapping maps[] = {
		{ 0x10000000, 0x10100000, "a" },
		/* gap ~5 GiB */
		{ 0x150000000ull, 0x150100000ull, "b" },
		/* gap ~5 GiB */
		{ 0x290000000ull, 0x290100000ull, "c" },
		/* gap ~10 GiB */
		{ 0x510000000ull, 0x510100000ull, "d" },
	};
	static const struct heat_span three[] = {
		{ 0x10000000, 0x10100000 },
		{ 0x150000000ull, 0x290100000ull },
		{ 0x510000000ull, 0x510100000ull },
	};
	struct damon_model m;

	(void)state;
	spans_model(&m, maps, 4);
	check_spans(&m, 3, three, 3);
	model_free(&m);
}

/* Empty snapshots and mapping sets come with NULL arrays from records. */
static void test_null_arrays(void **state)
{
	struct snapshot s = { .time_ns = 1, .sample_ns = 1, .aggr_ns = 20 };
	struct damon_model m;

	(void)state;
	assert_int_equal(model_init(&m, 2), 0);
	assert_int_equal(model_add_snapshot(&m, &s), 0);
	assert_int_equal(model_set_mappings(&m, NULL, 0), 0);
	assert_int_equal(model_latest(&m)->nr_regions, 0);
	model_free(&m);
	assert_int_equal(model_init(&m, 0), -EINVAL);
	model_free(&m);
}

static void test_spans_single_mapping(void **state)
{
	static const struct mapping maps[] = {
		{ 0x400000, 0x401000, "a" },
	};
	static const struct heat_span want[] = { { 0x400000, 0x401000 } };
	struct damon_model m;

	(void)state;
	spans_model(&m, maps, 1);
	check_spans(&m, 1, want, 1);
	check_spans(&m, 8, want, 1);
	model_free(&m);
}

/* Without mappings: contiguous runs of the latest snapshot's regions. */
static void test_spans_from_regions(void **state)
{
	static const struct region older[] = {
		{ 0x100, 0x200, 0, 0 },
	};
	static const struct region regs[] = {
		{ 0x1000, 0x2000, 0, 0 },
		{ 0x2000, 0x5000, 1, 0 },
		{ 0x8000, 0x9000, 0, 0 },	/* hole before */
		{ 0x9000, 0xa000, 0, 0 },
		{ 0x100000, 0x101000, 2, 0 },	/* hole before */
	};
	static const struct heat_span want[] = {
		{ 0x1000, 0x5000 },
		{ 0x8000, 0xa000 },
		{ 0x100000, 0x101000 },
	};
	static const struct heat_span two[] = {
		{ 0x1000, 0x5000 },
		{ 0x8000, 0x101000 },
	};
	static const struct heat_span one[] = {
		{ 0x1000, 0x101000 },
	};
	struct damon_model m;
	struct snapshot s;

	(void)state;
	assert_int_equal(model_init(&m, 4), 0);
	check_spans(&m, 8, NULL, 0);
	s = make_snap(1, older, 1);
	add_and_drop(&m, &s);
	s = make_snap(2, regs, 5);
	add_and_drop(&m, &s);
	check_spans(&m, 8, want, 3);
	check_spans(&m, 3, want, 3);
	check_spans(&m, 2, two, 2);
	check_spans(&m, 1, one, 1);

	/* an empty mapping set is the same as none */
	assert_int_equal(model_set_mappings(&m, test_maps, 0), 0);
	check_spans(&m, 8, want, 3);
	model_free(&m);
}

static void check_bucket(const struct heat_bucket *b, uint64_t start, uint64_t bytes,
			 uint64_t wss, double ratio)
{
	assert_int_equal(b->start, start);
	assert_int_equal(b->bytes, bytes);
	assert_int_equal(b->wss_bytes, wss);
	assert_float_equal(b->access_ratio, ratio, 1e-12);
}

/* Without mappings the axis is the regions' run; a region is cut at the
 * buckets' edges, each piece weighted by its bytes. */
static void test_buckets(void **state)
{
	static const struct region regs[] = {
		{ 0x100000, 0x104000, 20, 0 },	/* every sample: ratio 1 */
		{ 0x104000, 0x108000, 0, 3 },
		{ 0x108000, 0x10c000, 10, 1 },	/* half the samples */
	};
	static const struct region odd[] = {
		{ 0x1000, 0x6000, 20, 0 },
	};
	struct heat_bucket b[4];
	struct damon_model m;
	struct snapshot s;

	(void)state;
	assert_int_equal(model_init(&m, 2), 0);
	assert_int_equal(model_buckets(&m, b, 4), 0);	/* nothing yet */
	s = make_snap(1, regs, 3);
	add_and_drop(&m, &s);
	assert_int_equal(model_buckets(&m, b, 0), 0);
	assert_int_equal(model_buckets(&m, b, 4), 4);
	check_bucket(&b[0], 0x100000, 0x3000, 0x3000, 1);
	check_bucket(&b[1], 0x103000, 0x3000, 0x1000, 1.0 / 3);
	check_bucket(&b[2], 0x106000, 0x3000, 0x1000, 0.5 / 3);
	check_bucket(&b[3], 0x109000, 0x3000, 0x3000, 0.5);

	/* edges on 4 KiB of the axis: 0x5000 in two is 0x2000 + 0x3000 */
	s = make_snap(2, odd, 1);
	add_and_drop(&m, &s);
	assert_int_equal(model_buckets(&m, b, 2), 2);
	check_bucket(&b[0], 0x1000, 0x2000, 0x2000, 1);
	check_bucket(&b[1], 0x3000, 0x3000, 0x3000, 1);
	model_free(&m);
}

/* Two mappings far apart: the gap is left out of the axis, and the part of
 * a region lying in it is in no bucket. */
static void test_buckets_gap(void **state)
{
	static const struct mapping maps[] = {
		{ 0x400000, 0x404000, "a" },
		{ 0x10000000, 0x10004000, "b" },
	};
	static const struct region regs[] = {
		{ 0x400000, 0x403000, 20, 0 },
		{ 0x403000, 0x10001000, 0, 5 },	/* over the gap */
		{ 0x10001000, 0x10004000, 5, 0 },
	};
	struct heat_bucket b[4];
	struct damon_model m;
	struct snapshot s;

	(void)state;
	assert_int_equal(model_init(&m, 2), 0);
	assert_int_equal(model_set_mappings(&m, maps, 2), 0);
	s = make_snap(1, regs, 3);
	add_and_drop(&m, &s);
	assert_int_equal(model_buckets(&m, b, 4), 4);
	check_bucket(&b[0], 0x400000, 0x2000, 0x2000, 1);
	check_bucket(&b[1], 0x402000, 0x2000, 0x1000, 0.5);
	check_bucket(&b[2], 0x10000000, 0x2000, 0x1000, 0.125);
	check_bucket(&b[3], 0x10002000, 0x2000, 0x2000, 0.25);
	model_free(&m);
}

/* @line is one whole line of @text. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static char *render(struct metrics *reg, const struct damon_model *m,
		    const struct view_status *vs)
{
	size_t len;
	char *text;

	metrics_begin(reg);
	view_metrics(reg, m, vs);
	assert_int_equal(metrics_end(reg), 0);
	text = metrics_render(reg, false, &len);
	assert_non_null(text);
	return text;
}

/* The families and their exact lines, for each kind of source; before the
 * first aggregation only what is known. */
static void test_view_metrics(void **state)
{
	static const struct mapping maps[] = {
		{ 0x400000, 0x440000, "a" },
		{ 0x10000000, 0x10040000, "b" },
	};
	static const struct region regs[] = {
		{ 0x400000, 0x420000, 20, 0 },
		{ 0x420000, 0x10010000, 0, 5 },
		{ 0x10010000, 0x10040000, 10, 0 },
	};
	struct view_status vs = {
		.target = "pid 42 (x)", .kind = "damon", .ops = "vaddr",
		.st = { .drops = 3 }, .drops = 1, .cpu_ns = 1500000000,
		.self_cost = 0.25, .budget = 0.01,
	};
	struct metrics *reg = metrics_new();
	struct damon_model m;
	struct snapshot s;
	char *text;

	(void)state;
	assert_non_null(reg);
	assert_int_equal(model_init(&m, 2), 0);
	assert_int_equal(model_set_mappings(&m, maps, 2), 0);

	text = render(reg, &m, &vs);
	assert_true(has_line(text, "kscope_damontop_info{source=\"damon\",ops=\"vaddr\","
			     "target=\"pid 42 (x)\"} 1"));
	assert_true(has_line(text, "kscope_damontop_aggregations_total 0"));
	assert_null(strstr(text, "kscope_damontop_wss_bytes"));
	assert_null(strstr(text, "kscope_damontop_bucket"));
	free(text);

	s = make_snap(1, regs, 3);
	add_and_drop(&m, &s);
	s = make_snap(2, regs, 3);
	add_and_drop(&m, &s);
	text = render(reg, &m, &vs);
	assert_true(has_line(text, "# TYPE kscope_damontop_aggregations_total counter"));
	assert_true(has_line(text, "kscope_damontop_aggregations_total 2"));
	assert_true(has_line(text, "kscope_damontop_cpu_seconds_total 1.5"));
	assert_true(has_line(text, "kscope_damontop_cost_ratio 0.25"));
	assert_true(has_line(text, "kscope_damontop_ringbuf_drops_total 3"));
	assert_true(has_line(text, "kscope_damontop_lost_samples_total 0"));
	assert_true(has_line(text, "kscope_damontop_model_drops_total 1"));
	assert_true(has_line(text, "# TYPE kscope_damontop_wss_bytes gauge"));
	assert_true(has_line(text, "kscope_damontop_wss_bytes 327680"));
	assert_true(has_line(text, "kscope_damontop_peak_wss_bytes 327680"));
	assert_true(has_line(text, "kscope_damontop_regions 3"));
	assert_true(has_line(text, "kscope_damontop_sample_interval_seconds 0.005"));
	assert_true(has_line(text, "kscope_damontop_aggregation_interval_seconds 0.1"));
	/* 16 buckets of 32 KiB: 8 in each mapping */
	assert_true(has_line(text, "kscope_damontop_bucket_wss_bytes{bucket=\"2\"} 32768"));
	assert_true(has_line(text, "kscope_damontop_bucket_bytes{bucket=\"9\"} 32768"));
	assert_true(has_line(text, "kscope_damontop_bucket_wss_bytes{bucket=\"9\"} 0"));
	assert_true(has_line(text, "kscope_damontop_bucket_access_ratio{bucket=\"11\"} 0.5"));
	assert_true(has_line(text, "kscope_damontop_bucket_access_ratio{bucket=\"15\"} 0.5"));
	assert_null(strstr(text, "bucket=\"16\""));
	assert_null(strstr(text, "kscope_damontop_rss_bytes"));	/* pte's */
	assert_null(strstr(text, "kscope_damontop_budget_ratio"));
	free(text);

	/* the pte source: its losses are samples, and it has a budget and
	 * the target's RSS */
	vs.kind = "pte";
	vs.st.rss_bytes = 1 << 20;
	vs.st.drops = 7;
	text = render(reg, &m, &vs);
	assert_true(has_line(text, "kscope_damontop_lost_samples_total 7"));
	assert_true(has_line(text, "kscope_damontop_rss_bytes 1048576"));
	assert_true(has_line(text, "kscope_damontop_budget_ratio 0.01"));
	free(text);
	metrics_free(reg);
	model_free(&m);
}

/* The --json line after a snapshot of @nr of @regs at @time_ns, aggregated
 * over @aggr_ns, parsed; *text keeps the line. */
static struct json_object *json_after(struct damon_model *m, const struct view_status *vs,
				      uint64_t time_ns, const struct region *regs,
				      uint32_t nr, uint64_t aggr_ns, char **text)
{
	struct snapshot s = make_snap(time_ns, regs, nr);
	struct json_object *o;
	size_t len;
	FILE *f;

	s.aggr_ns = aggr_ns;
	add_and_drop(m, &s);
	f = open_memstream(text, &len);
	assert_non_null(f);
	view_json_line(f, m, vs);
	assert_int_equal(fclose(f), 0);
	assert_true(len > 0 && (*text)[len - 1] == '\n');
	o = json_tokener_parse(*text);
	assert_non_null(o);
	return o;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static struct json_object *json_region(struct json_object *o, size_t i)
{
	return json_object_array_get_idx(member(o, "regions"), i);
}

/* Every field under a name that says its unit, with the values of the
 * snapshot; each region an object whose heat_hz is heatgrid's rate
 * (nr_accesses per second of aggregation), exact where whole. */
static void test_view_json(void **state)
{
	static const char *const top[] = {
		"time_ns", "sample_ns", "aggr_ns", "nr_regions", "wss_bytes",
		"rss_bytes", "cost_ppm", "drops", "clear", "regions",
	};
	static const struct region regs[] = {
		{ 0x400000, 0x420000, 20, 0 },
		{ 0x420000, 0x10010000, 0, 5 },
		{ 0x10010000, 0x10040000, 3, 7 },
	};
	/* the same count twice, and counts past the per-line memo */
	static const struct region many[] = {
		{ 0x1000, 0x2000, 3, 0 },
		{ 0x2000, 0x3000, 300, 0 },
		{ 0x3000, 0x4000, 3, 0 },
		{ 0x4000, 0x5000, 300, 0 },
		{ 0x5000, 0x6000, 1, 0 },
	};
	static const char *const many_hz[] = {
		"21.27659574468085", "2127.659574468085", "21.27659574468085",
		"2127.659574468085", "7.092198581560283",
	};
	struct view_status vs = {
		.damon = true, .st = { .drops = 3, .rss_bytes = 4096 }, .drops = 1,
		.self_cost = 0.0125,
	};
	struct json_object *o, *r;
	struct damon_model m;
	char *text;
	size_t i;

	(void)state;
	assert_int_equal(model_init(&m, 2), 0);
	o = json_after(&m, &vs, 7000000000ull, regs, 3, 100000000, &text);
	assert_int_equal(json_object_object_length(o), sizeof(top) / sizeof(top[0]));
	for (i = 0; i < sizeof(top) / sizeof(top[0]); i++)
		member(o, top[i]);
	assert_int_equal(json_object_get_uint64(member(o, "time_ns")), 7000000000ull);
	assert_int_equal(json_object_get_uint64(member(o, "sample_ns")), 5000000);
	assert_int_equal(json_object_get_uint64(member(o, "aggr_ns")), 100000000);
	assert_int_equal(json_object_get_uint64(member(o, "nr_regions")), 3);
	assert_int_equal(json_object_get_uint64(member(o, "wss_bytes")),
			 0x20000 + 0x30000);
	assert_int_equal(json_object_get_uint64(member(o, "rss_bytes")), 4096);
	assert_int_equal(json_object_get_uint64(member(o, "cost_ppm")), 12500);
	assert_int_equal(json_object_get_uint64(member(o, "drops")), 4);
	assert_string_equal(json_object_get_string(member(o, "clear")), "kdamond");
	/* 100 ms aggregations: whole Hz, printed as integers */
	assert_non_null(strstr(text, "\"regions\":[{\"start\":4194304,\"end\":4325376,"
			       "\"nr_accesses\":20,\"heat_hz\":200,\"age_aggrs\":0},"));
	r = json_region(o, 2);
	assert_int_equal(json_object_object_length(r), 5);
	assert_int_equal(json_object_get_uint64(member(r, "start")), 0x10010000);
	assert_int_equal(json_object_get_uint64(member(r, "end")), 0x10040000);
	assert_int_equal(json_object_get_uint64(member(r, "nr_accesses")), 3);
	assert_int_equal(json_object_get_uint64(member(r, "heat_hz")), 30);
	assert_int_equal(json_object_get_uint64(member(r, "age_aggrs")), 7);
	json_object_put(o);
	free(text);

	/* 141 ms: a fraction, the very double heatgrid uses */
	o = json_after(&m, &vs, 8000000000ull, regs, 3, 141000000, &text);
	assert_true(json_object_get_double(member(json_region(o, 2), "heat_hz")) ==
		    3 * 1000000000.0 / 141000000.0);
	assert_non_null(strstr(text, "\"heat_hz\":21.27659574468085,"));
	assert_int_equal(json_object_get_int(member(json_region(o, 1), "heat_hz")), 0);
	json_object_put(o);
	free(text);
	o = json_after(&m, &vs, 8500000000ull, many, 5, 141000000, &text);
	for (i = 0; i < 5; i++)
		assert_string_equal(json_object_to_json_string(member(json_region(o, i),
								      "heat_hz")),
				    many_hz[i]);
	json_object_put(o);
	free(text);

	/* no aggregation interval known: no heat, not a division by zero */
	o = json_after(&m, &vs, 9000000000ull, regs, 1, 0, &text);
	assert_true(json_object_is_type(member(json_region(o, 0), "heat_hz"),
					json_type_null));
	json_object_put(o);
	free(text);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_deep_copy),
		cmocka_unit_test(test_wss),
		cmocka_unit_test(test_max_accesses),
		cmocka_unit_test(test_mapping_name),
		cmocka_unit_test(test_hottest),
		cmocka_unit_test(test_spans_min_gap),
		cmocka_unit_test(test_spans_scaled_gap),
		cmocka_unit_test(test_spans_largest_first),
		cmocka_unit_test(test_spans_gap_ties),
		cmocka_unit_test(test_null_arrays),
		cmocka_unit_test(test_spans_single_mapping),
		cmocka_unit_test(test_spans_from_regions),
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_buckets_gap),
		cmocka_unit_test(test_view_metrics),
		cmocka_unit_test(test_view_json),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
