// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the heat grid: the weighting on cases small enough to work
 * out by hand (address and time overlaps, age extension and its clipping,
 * uncovered cells, a gapped address axis), where damo 3.3.0 counts time
 * twice and the default model once, a property no cell may break (never
 * hotter than the hottest region over it), and damo's default ranges.
 * Times are multiples of 1 s with a 1 s aggregation interval, so heat
 * equals nr_accesses over a fully covered cell.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "heatgrid.h"

#define SEC	1000000000ull
#define EPS	1e-12

#define NR(a)	(sizeof(a) / sizeof((a)[0]))

static struct snapshot snap(uint64_t time_ns, struct region *r, size_t n)
{
	struct snapshot s = {
		.time_ns = time_ns,
		.sample_ns = SEC / 10,
		.aggr_ns = SEC,
		.nr_regions = n,
		.regions = r,
	};

	return s;
}

static double cell(const struct heatgrid *g, unsigned int t, unsigned int a)
{
	return g->heat[(size_t)t * g->na + a];
}

static void grid(struct heatgrid *g, unsigned int nt, unsigned int na,
		 uint64_t t0, uint64_t t1, uint64_t a0, uint64_t a1)
{
	struct heat_span span = { a0, a1 };

	assert_int_equal(heatgrid_init(g, nt, na, t0, t1, &span, 1), 0);
}

/* Two regions share one cell in address: the mean weighted by bytes. */
static void test_address_split(void **state)
{
	struct region r[] = { { 0, 30, 10, 0 }, { 30, 100, 20, 0 } };
	struct snapshot s = snap(SEC, r, NR(r));
	struct heatgrid g;

	(void)state;
	grid(&g, 1, 1, 0, SEC, 0, 100);
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), (10 * 30 + 20 * 70) / 100.0, EPS);
	heatgrid_free(&g);

	/* cells [0,50) and [50,100): 30 B at 10 + 20 B at 20, then 20 */
	grid(&g, 1, 2, 0, SEC, 0, 100);
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 14.0, EPS);
	assert_float_equal(cell(&g, 0, 1), 20.0, EPS);
	heatgrid_free(&g);
}

/* A snapshot covering half of each of two time cells: damo divides by the
 * whole cell, so each gets half the rate. */
static void test_time_partial(void **state)
{
	struct region r[] = { { 0, 100, 10, 0 } };
	struct snapshot s = snap(3 * SEC / 2, r, NR(r));
	struct heatgrid g;

	(void)state;
	grid(&g, 2, 1, 0, 2 * SEC, 0, 100);
	heatgrid_fill(&g, &s, 1, SEC / 2);
	assert_float_equal(cell(&g, 0, 0), 5.0, EPS);
	assert_float_equal(cell(&g, 1, 0), 5.0, EPS);
	heatgrid_free(&g);
}

/* The rate is per second of aggregation interval (damo 3.3.0's unit). */
static void test_rate_unit(void **state)
{
	struct region r[] = { { 0, 100, 10, 0 } };
	struct snapshot s = snap(5 * SEC, r, NR(r));
	struct heatgrid g;

	(void)state;
	s.aggr_ns = 5 * SEC;
	grid(&g, 1, 1, 0, 5 * SEC, 0, 100);
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 2.0, EPS);
	heatgrid_free(&g);
}

/*
 * Age reaches back before a snapshot: the first snapshot unclipped, a
 * later one clipped at the previous snapshot's end.
 */
static void test_age_clip(void **state)
{
	struct region r0[] = { { 0, 100, 4, 1 } };	/* seen over [0, 2 s) */
	struct region r1[] = { { 0, 100, 8, 2 } };	/* age back to 0, clipped */
	struct snapshot s[] = { snap(2 * SEC, r0, 1), snap(3 * SEC, r1, 1) };
	struct heatgrid g;

	(void)state;
	grid(&g, 3, 1, 0, 3 * SEC, 0, 100);
	heatgrid_fill(&g, s, NR(s), SEC);
	assert_float_equal(cell(&g, 0, 0), 4.0, EPS);
	assert_float_equal(cell(&g, 1, 0), 4.0, EPS);
	/* snapshot 0 touches cell 2 with no time in it, then snapshot 1 */
	assert_float_equal(cell(&g, 2, 0), 8.0, EPS);
	heatgrid_free(&g);
}

/*
 * damo 3.3.0 clips only which cells a region reaches; inside the first one
 * it counts the time from the unclipped start.  Cells are 2 s: snapshot 0
 * (2 Hz over [0, 1 s)) adds 2 x 1 s / 2 s = 1 to cell 0; snapshot 1 (4 Hz,
 * age 1, so from 0) reaches cell 0 through the clip at 1 s but counts all
 * 2 s there: + 4, a cell of 5 Hz under regions of 2 and 4 Hz.  Counted
 * once, snapshot 1 has [1 s, 3 s): cell 0 is (2 x 1 s + 4 x 1 s) / 2 s = 3,
 * cell 1 (4 x 1 s) / 2 s = 2.
 */
static void test_age_clip_within_cell(void **state)
{
	struct region r0[] = { { 0, 100, 2, 0 } };
	struct region r1[] = { { 0, 100, 4, 1 } };
	struct snapshot s[] = { snap(SEC, r0, 1), snap(3 * SEC, r1, 1) };
	struct heatgrid g;

	(void)state;
	grid(&g, 2, 1, 0, 4 * SEC, 0, 100);
	g.model = HEAT_DAMO_33;
	heatgrid_fill(&g, s, NR(s), 0);
	assert_float_equal(cell(&g, 0, 0), 1.0 + 4.0, EPS);
	assert_float_equal(cell(&g, 1, 0), 4.0 * SEC / (2.0 * SEC), EPS);
	g.model = HEAT_ONCE;
	heatgrid_fill(&g, s, NR(s), 0);
	assert_float_equal(cell(&g, 0, 0), 3.0, EPS);
	assert_float_equal(cell(&g, 1, 0), 2.0, EPS);
	heatgrid_free(&g);
}

/*
 * A region that stays accessed, its age growing, under one cell that holds
 * many snapshots: ten aggregations of 100 ms, each finding it accessed
 * once (10 Hz), in one 1 s cell.  Counted once the cell is that rate;
 * damo 3.3.0 credits each snapshot's whole age inside the cell again.
 */
static void test_long_ages(void **state)
{
	struct region r[10][1];
	struct snapshot s[10];
	struct heatgrid g;

	(void)state;
	for (int k = 0; k < 10; k++) {
		r[k][0] = (struct region){ 0, 100, 1, (uint32_t)k };
		s[k] = snap((k + 1) * SEC / 10, r[k], 1);
		s[k].aggr_ns = SEC / 10;
	}
	grid(&g, 1, 1, 0, SEC, 0, 100);
	heatgrid_fill(&g, s, NR(s), 0);
	assert_float_equal(cell(&g, 0, 0), 10.0, 1e-9);
	g.model = HEAT_DAMO_33;
	heatgrid_fill(&g, s, NR(s), 0);
	/* snapshot k counts (k + 1) x 100 ms at 10 Hz: 5.5 s of it in 1 s */
	assert_float_equal(cell(&g, 0, 0), 55.0, 1e-9);
	heatgrid_free(&g);
}

/* Random snapshots of disjoint regions with random rates and ages: counted
 * once, no cell is hotter than the hottest region over its addresses;
 * damo 3.3.0's count breaks that on the same data (the property can fail). */
static void test_never_hotter(void **state)
{
	enum { NS = 40, NRG = 6, ADDR = 600 };
	static struct region r[NS][NRG];
	struct snapshot s[NS];
	struct heatgrid g;
	unsigned int seed = 1, broken = 0;
	uint64_t t = SEC;

	(void)state;
	for (int k = 0; k < NS; k++) {
		for (int i = 0; i < NRG; i++)
			r[k][i] = (struct region){ i * ADDR / NRG, (i + 1) * ADDR / NRG,
						   rand_r(&seed) % 20, rand_r(&seed) % 30 };
		t += SEC / 10 + rand_r(&seed) % (SEC / 5);
		s[k] = snap(t, r[k], NRG);
		s[k].aggr_ns = SEC / 5;
	}
	for (int model = HEAT_ONCE; model <= HEAT_DAMO_33; model++) {
		grid(&g, 37, 7, 0, t, 0, ADDR);
		g.model = model;
		heatgrid_fill(&g, s, NS, SEC - SEC / 5);
		for (unsigned int c = 0; c < g.nt * g.na; c++) {
			uint64_t a0 = heatgrid_cell_addr(&g, c % g.na), a1 = a0 + g.a_unit;
			double top = 0;

			if (isnan(g.heat[c]))
				continue;
			for (int k = 0; k < NS; k++)
				for (int i = 0; i < NRG; i++)
					if (r[k][i].start < a1 && r[k][i].end > a0 &&
					    r[k][i].nr_accesses * 5.0 > top)
						top = r[k][i].nr_accesses * 5.0;
			if (model == HEAT_ONCE)
				assert_true(g.heat[c] <= top + 1e-9);
			else
				broken += g.heat[c] > top + 1e-9;
		}
		heatgrid_free(&g);
	}
	assert_true(broken > 0);
}

/* Uncovered cells are NaN; a cell a region only touches is 0, in time
 * (the snapshot ends where row 1 begins) as in address. */
static void test_nan_cells(void **state)
{
	struct region r[] = { { 0, 90, 10, 0 } };
	struct snapshot s = snap(SEC, r, NR(r));
	struct heatgrid g;

	(void)state;
	grid(&g, 3, 2, 0, 3 * SEC, 0, 200);
	assert_true(isnan(heatgrid_max(&g)));
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 10.0 * 90 / 100, EPS);
	assert_true(isnan(cell(&g, 0, 1)));	/* no region there */
	assert_float_equal(cell(&g, 1, 0), 0.0, 0);
	assert_false(isnan(cell(&g, 1, 0)));
	assert_true(isnan(cell(&g, 2, 0)));	/* after the last snapshot */
	assert_true(isnan(cell(&g, 2, 1)));
	assert_float_equal(heatgrid_max(&g), 9.0, EPS);

	r[0].end = 100;		/* now ends exactly where cell 1 starts */
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 10.0, EPS);
	assert_float_equal(cell(&g, 0, 1), 0.0, 0);
	assert_false(isnan(cell(&g, 0, 1)));

	/* refilling with nothing clears every cell */
	heatgrid_fill(&g, &s, 0, 0);
	assert_true(isnan(cell(&g, 0, 0)));
	heatgrid_free(&g);
}

/* A snapshot ending just before the grid adds nothing, not a negative. */
static void test_before_grid(void **state)
{
	struct region r[] = { { 0, 100, 10, 0 } };
	struct snapshot s[] = { snap(10 * SEC - SEC / 2, r, 1),
				snap(11 * SEC, r, 1) };
	struct heatgrid g;

	(void)state;
	grid(&g, 1, 1, 10 * SEC, 11 * SEC, 0, 100);
	heatgrid_fill(&g, s, NR(s), 9 * SEC);
	assert_float_equal(cell(&g, 0, 0), 10.0, EPS);
	heatgrid_free(&g);
}

/* Cells are integer divisions of the ranges; the remainder is dropped. */
static void test_units(void **state)
{
	struct region r[] = { { 9, 10, 10, 0 } };
	struct snapshot s = snap(10, r, NR(r));
	struct heatgrid g;

	(void)state;
	s.aggr_ns = 0;		/* unknown: no age, raw counts */
	grid(&g, 3, 3, 0, 10, 0, 10);
	assert_int_equal(g.t_unit, 3);
	assert_int_equal(g.a_unit, 3);
	assert_int_equal(heatgrid_cell_time(&g, 2), 6);
	assert_int_equal(heatgrid_cell_addr(&g, 2), 6);
	heatgrid_fill(&g, &s, 1, 0);
	/* [9, 10) is past the last cell, which ends at 9 */
	assert_true(isnan(heatgrid_max(&g)));
	r[0].start = 0;
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 10.0, EPS);
	heatgrid_free(&g);
}

/* Two spans with a gap: cells divide the concatenated 200 bytes, and a
 * region over the gap counts only inside the spans. */
static void test_spans(void **state)
{
	struct heat_span spans[] = { { 0, 100 }, { 1000, 1100 } };
	struct region r[] = { { 50, 1050, 10, 0 } };
	struct region gap[] = { { 200, 300, 10, 0 } };
	struct snapshot s = snap(SEC, r, NR(r));
	struct heatgrid g;

	(void)state;
	assert_int_equal(heatgrid_init(&g, 1, 2, 0, SEC, spans, 2), 0);
	assert_int_equal(heatgrid_cell_addr(&g, 0), 0);
	assert_int_equal(heatgrid_cell_addr(&g, 1), 1000);
	heatgrid_fill(&g, &s, 1, 0);
	assert_float_equal(cell(&g, 0, 0), 5.0, EPS);
	assert_float_equal(cell(&g, 0, 1), 5.0, EPS);
	s.regions = gap;
	heatgrid_fill(&g, &s, 1, 0);
	assert_true(isnan(cell(&g, 0, 0)));
	assert_true(isnan(cell(&g, 0, 1)));
	heatgrid_free(&g);

	/* 50-byte cells [0,50) [50,100) [1000,1050) [1050,1100) */
	assert_int_equal(heatgrid_init(&g, 1, 4, 0, SEC, spans, 2), 0);
	assert_int_equal(heatgrid_cell_addr(&g, 3), 1050);
	s.regions = r;
	heatgrid_fill(&g, &s, 1, 0);
	assert_true(isnan(cell(&g, 0, 0)));
	assert_float_equal(cell(&g, 0, 1), 10.0, EPS);
	assert_float_equal(cell(&g, 0, 2), 10.0, EPS);
	assert_float_equal(cell(&g, 0, 3), 0.0, 0);	/* touched */
	heatgrid_free(&g);
}

static void test_init_invalid(void **state)
{
	struct heat_span ok[] = { { 0, 100 }, { 200, 300 } };
	struct heat_span unsorted[] = { { 200, 300 }, { 0, 100 } };
	struct heat_span overlap[] = { { 0, 100 }, { 50, 300 } };
	struct heat_span empty[] = { { 100, 100 } };
	struct heatgrid g;

	(void)state;
	assert_int_equal(heatgrid_init(&g, 0, 1, 0, 10, ok, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 1, 10, 10, ok, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 11, 1, 0, 10, ok, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 201, 0, 10, ok, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 1, 0, 10, ok, 0), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 1, 0, 10, unsorted, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 1, 0, 10, overlap, 2), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 1, 1, 0, 10, empty, 1), -EINVAL);
	assert_int_equal(heatgrid_init(&g, 10, 200, 0, 10, ok, 2), 0);
	heatgrid_free(&g);
}

/* Time: back from start_ns by the first snapshot's oldest age. */
static void test_default_time(void **state)
{
	struct region r0[] = { { 0, 10, 0, 3 }, { 10, 20, 1, 5 } };
	struct region r1[] = { { 0, 20, 1, 9 } };
	struct snapshot s[] = { snap(11 * SEC, r0, 2), snap(12 * SEC, r1, 1) };
	uint64_t t0, t1, a0, a1;

	(void)state;
	assert_int_equal(heatgrid_default_range(s, 2, 10 * SEC, &t0, &t1,
						&a0, &a1), 0);
	assert_int_equal(t0, 5 * SEC);
	assert_int_equal(t1, 12 * SEC);
	assert_int_equal(a0, 0);
	assert_int_equal(a1, 20);
	/* not before 0 */
	assert_int_equal(heatgrid_default_range(s, 2, 2 * SEC, &t0, &t1,
						&a0, &a1), 0);
	assert_int_equal(t0, 0);
	assert_int_equal(heatgrid_first_start(s, 2), 10 * SEC);
	assert_int_equal(heatgrid_default_range(s, 0, 0, &t0, &t1, &a0, &a1),
			 -EINVAL);
	s[0].nr_regions = s[1].nr_regions = 0;
	assert_int_equal(heatgrid_default_range(s, 2, 0, &t0, &t1, &a0, &a1),
			 -EINVAL);
}

/*
 * Addresses: the part between persistent gaps with the most accesses per
 * byte.  Snapshot 0 has a gap [300, 1000), snapshot 1 a narrower one
 * [400, 900): the guide keeps [400, 900), so the parts are [100, 400) and
 * [900, 1100).
 */
static void test_default_addr(void **state)
{
	struct region r0[] = { { 100, 200, 0, 0 }, { 200, 300, 2, 0 },
			       { 1000, 1100, 5, 0 } };
	struct region r1[] = { { 100, 400, 0, 0 }, { 900, 1050, 1, 0 },
			       { 1050, 1100, 0, 0 } };
	struct snapshot s[] = { snap(SEC, r0, NR(r0)), snap(2 * SEC, r1, NR(r1)) };
	uint64_t t0, t1, a0, a1;

	(void)state;
	/* [100, 400): 100 x 2 / 300 B; [900, 1100): (100 x 5 + 150) / 200 B */
	assert_int_equal(heatgrid_default_range(s, 2, 0, &t0, &t1, &a0, &a1), 0);
	assert_int_equal(a0, 900);
	assert_int_equal(a1, 1100);

	r0[1].nr_accesses = 20;	/* now 2000 / 300 B beats 650 / 200 B */
	assert_int_equal(heatgrid_default_range(s, 2, 0, &t0, &t1, &a0, &a1), 0);
	assert_int_equal(a0, 100);
	assert_int_equal(a1, 400);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address_split),
		cmocka_unit_test(test_time_partial),
		cmocka_unit_test(test_rate_unit),
		cmocka_unit_test(test_age_clip),
		cmocka_unit_test(test_age_clip_within_cell),
		cmocka_unit_test(test_long_ages),
		cmocka_unit_test(test_never_hotter),
		cmocka_unit_test(test_nan_cells),
		cmocka_unit_test(test_before_grid),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_init_invalid),
		cmocka_unit_test(test_default_time),
		cmocka_unit_test(test_default_addr),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
