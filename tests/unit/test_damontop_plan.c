// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the pte source's sampling plan: hand-computed plans for
 * the costs measured on the development VM (a 33 MiB and a 1 GiB target),
 * the floor of samples per aggregation, which side of the budget binds,
 * the method choice and its hysteresis, the line the header shows, and
 * over many random costs the invariants: never fewer samples than the
 * floor, never over budget but at the longest aggregation, and the
 * budget the line quotes buys the asked interval.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../src/damontop/plan.h"

#define MS 1000000ULL

static const struct plan_want dflt = {
	.sample_ns = 5 * MS, .aggr_ns = 100 * MS, .budget = 0.01,
	.method = CLEAR_AUTO, .max_addrs_per_tick = 8 * 4096,
};

/* Cheap enough for DAMON's own schedule. */
static struct plan_costs cheap(void)
{
	return (struct plan_costs){
		.refs_ns_per_page = 20, .cold_ns_per_page = 1000,
		.read_ns_per_pass = 5000, .read_ns_per_addr = 100,
		.reaccess_ns = 50, .rss_pages = 1000, .nr_regions = 10,
		.hot_pages = 100, .warm_pages_per_s = 0, .refs_exact = true,
	};
}

static void test_asked(void **state)
{
	struct plan_costs c = cheap();
	struct plan p = plan_make(&dflt, &c, NULL);
	char line[256];

	(void)state;
	assert_int_equal(p.limit, PLAN_ASKED);
	assert_int_equal(p.tick_ns, 5 * MS);
	assert_int_equal(p.ticks_per_aggr, 20);
	assert_int_equal(p.aggr_ns, 100 * MS);
	assert_true(p.load <= 0.01);
	plan_describe(&p, &dflt, line, sizeof(line));
	assert_string_equal(line, "sample 5.00 ms x 20 = aggr 100 ms, madv_cold; as asked");
}

/*
 * MADV_COLD only (clear_refs inexact), 10 regions at 46.8 us a page: a
 * tick costs us 10 x 46.8 + 2 x (5 + 10 x 0.1) = 480 us, 640 us of budget
 * over the 0.75 share: 64 ms at 1%, so ten of them make a 640 ms
 * aggregation.  Before, this was one sample per aggregation.
 */
static void test_min_samples(void **state)
{
	struct plan_costs c = cheap();
	struct plan p;
	char line[256];

	(void)state;
	assert_true(PLAN_BUDGET_SHARE == 0.75);
	c.cold_ns_per_page = 46800;
	c.refs_exact = false;
	p = plan_make(&dflt, &c, NULL);
	assert_int_equal(p.method, CLEAR_COLD);
	assert_int_equal(p.limit, PLAN_BUDGET_AGGR);
	assert_int_equal(p.bound, PLAN_BOUND_CPU);
	assert_int_equal(p.ticks_per_aggr, PLAN_MIN_SAMPLES);
	assert_int_equal(p.tick_ns, 64 * MS);
	assert_int_equal(p.aggr_ns, 640 * MS);
	assert_float_equal(p.load, 0.01, 1e-6);
	/* 640 us every 5 ms is 12.8% */
	assert_float_equal(p.budget_for_asked, 0.128, 1e-6);
	plan_describe(&p, &dflt, line, sizeof(line));
	assert_non_null(strstr(line, "sample 64.0 ms x 10 = aggr 640 ms, madv_cold"));
	assert_string_equal(line, "sample 64.0 ms x 10 = aggr 640 ms, madv_cold; "
			    "limit: budget 1% (our CPU), aggr grown; --budget 13 buys 5.00 ms");
}

/* A budget between: the sampling interval stretches within the asked
 * aggregation, which holds as many ticks as fit (640 us at 5% is 12.8 ms:
 * 7 fit in 100 ms, fewer than 10, so 10 of 12.8 ms). */
static void test_budget_keeps_aggr(void **state)
{
	struct plan_costs c = cheap();
	struct plan_want w = dflt;
	struct plan p;

	(void)state;
	c.cold_ns_per_page = 46800;
	c.refs_exact = false;
	w.budget = 0.05;
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.limit, PLAN_BUDGET_AGGR);
	assert_int_equal(p.tick_ns, 12800000);
	assert_int_equal(p.aggr_ns, 128 * MS);
	/* at 10%: 6.4 ms, 15 fit in 100 ms */
	w.budget = 0.10;
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.limit, PLAN_BUDGET);
	assert_int_equal(p.ticks_per_aggr, 15);
	assert_int_equal(p.tick_ns, 100 * MS / 15);
	assert_int_equal(p.aggr_ns, p.tick_ns * 15);
	assert_true(p.load <= 0.10);
}

/*
 * clear_refs on a target that touches every page again: it loses
 * 8448 pages x 1 us = 8.4 ms a tick whatever the interval, so 845 ms at
 * 1%; its warm pages add per second, not per tick.
 */
static void test_target_bound(void **state)
{
	struct plan_costs c = cheap();
	struct plan_want w = dflt;
	struct plan p;

	(void)state;
	w.method = CLEAR_REFS;
	c.rss_pages = 8448;
	c.hot_pages = 8448;
	c.reaccess_ns = 1000;
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.bound, PLAN_BOUND_TARGET);
	assert_int_equal(p.limit, PLAN_BUDGET_AGGR);
	assert_int_equal(p.tick_ns, 844800000);
	/* half of them hot, half touched 5 times a second: 4224 pages x 1 us
	 * a tick plus 21120 x 1 us a second (2.1%): over 1% at any interval,
	 * so the whole resident set (8.4 ms) a tick, as before */
	c.hot_pages = 4224;
	c.warm_pages_per_s = 4224 * 5;
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.tick_ns, 844800000);
	/* at 5%: 4.224 ms / (5% - 2.112%) = 146.3 ms */
	w.budget = 0.05;
	p = plan_make(&w, &c, NULL);
	assert_true(fabs(p.tick_ns - 4.224e6 / (0.05 - 0.02112)) < 2);
	assert_true(p.load <= 0.05 + 1e-9);
}

/* clear_refs reads more pages per region when fewer ticks fit: 10 ticks
 * for the 20 samples asked read 2 pages per region. */
static void test_refs_pages_per_tick(void **state)
{
	struct plan_costs c = cheap();
	struct plan_want w = dflt;
	struct plan p;

	(void)state;
	w.method = CLEAR_REFS;
	c.rss_pages = 100000;	/* 2 ms a clear: 250 ms at 1% */
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.ticks_per_aggr, 10);
	assert_int_equal(p.k, 2);
	assert_true(p.load <= 0.01 + 1e-9);
}

/* Fewer samples than the floor asked for are kept as asked. */
static void test_fewer_asked(void **state)
{
	struct plan_costs c = cheap();
	struct plan_want w = dflt;
	struct plan p;

	(void)state;
	w.sample_ns = 50 * MS;
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.limit, PLAN_ASKED);
	assert_int_equal(p.ticks_per_aggr, 2);
	c.cold_ns_per_page = c.refs_ns_per_page = 1e6;	/* dear: stretched, 2 kept */
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.ticks_per_aggr, 2);
	assert_int_equal(p.limit, PLAN_BUDGET_AGGR);
}

/* Over budget even at 60 s aggregations: says so. */
static void test_over(void **state)
{
	struct plan_costs c = cheap();
	struct plan p;
	char line[256];

	(void)state;
	c.cold_ns_per_page = c.refs_ns_per_page = 1e9;
	p = plan_make(&dflt, &c, NULL);
	assert_int_equal(p.limit, PLAN_OVER);
	assert_int_equal(p.aggr_ns, PLAN_MAX_AGGR_NS);
	assert_int_equal(p.ticks_per_aggr, PLAN_MIN_SAMPLES);
	plan_describe(&p, &dflt, line, sizeof(line));
	assert_non_null(strstr(line, "; over budget 1% (our CPU) at the longest aggr"));
	assert_non_null(strstr(line, "; no budget buys 5.00 ms"));
}

/* auto: the shorter interval wins; the method in force stays unless the
 * other is clearly (1.5x) better; no clear_refs where it is inexact. */
static void test_method_choice(void **state)
{
	struct plan_costs c = cheap();
	struct plan p, prev;

	(void)state;
	c.cold_ns_per_page = 46800;	/* cold 64 ms a tick */
	c.rss_pages = 40000;		/* refs: 0.8 ms + reads: 107 ms a tick */
	c.hot_pages = 0;
	p = plan_make(&dflt, &c, NULL);
	assert_int_equal(p.method, CLEAR_COLD);
	prev = p;
	c.rss_pages = 28000;		/* refs now 0.56 ms: 75 ms, not 1.5x better */
	p = plan_make(&dflt, &c, &prev);
	assert_int_equal(p.method, CLEAR_COLD);
	c.rss_pages = 10000;		/* 0.2 ms: 27 ms, clearly better */
	p = plan_make(&dflt, &c, &prev);
	assert_int_equal(p.method, CLEAR_REFS);
	c.refs_exact = false;
	p = plan_make(&dflt, &c, &prev);
	assert_int_equal(p.method, CLEAR_COLD);
}

/* A wobble of the costs under a tenth keeps the interval in force. */
static void test_steady(void **state)
{
	struct plan_costs c = cheap();
	struct plan p, prev;

	(void)state;
	c.cold_ns_per_page = 50000;
	c.refs_exact = false;
	prev = plan_make(&dflt, &c, NULL);
	c.cold_ns_per_page = 52000;
	p = plan_make(&dflt, &c, &prev);
	assert_int_equal(p.tick_ns, prev.tick_ns);
	assert_int_equal(p.aggr_ns, prev.aggr_ns);
	c.cold_ns_per_page = 80000;
	p = plan_make(&dflt, &c, &prev);
	assert_true(p.tick_ns > prev.tick_ns);
}

/* --scan: one scan per aggregation, stretched by the budget. */
static void test_scan(void **state)
{
	struct plan_costs c = cheap();
	struct plan_want w = dflt;
	struct plan p;

	(void)state;
	w.scan = true;
	w.aggr_ns = 200 * MS;
	c.scan_ns = 1.6e6;	/* and 20 us for the clear */
	p = plan_make(&w, &c, NULL);
	assert_int_equal(p.ticks_per_aggr, 1);
	assert_int_equal(p.tick_ns, p.aggr_ns);
	assert_int_equal(p.limit, PLAN_BUDGET);
	assert_int_equal(p.tick_ns, (uint64_t)((1.6e6 + 20000) / PLAN_BUDGET_SHARE / 0.01));
}

static uint64_t rng = 88172645463325252ULL;

static double rnd(double lo, double hi)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return lo * pow(hi / lo, (rng >> 11) * (1.0 / 9007199254740992.0));
}

/* Over random costs and requests, log-uniform over a wide range. */
static void test_invariants(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct plan_costs c = {
			.refs_ns_per_page = rnd(1, 1000), .cold_ns_per_page = rnd(100, 1e6),
			.read_ns_per_pass = rnd(100, 1e6), .read_ns_per_addr = rnd(10, 1e4),
			.reaccess_ns = rnd(1, 1e5), .rss_pages = rnd(1, 1e7),
			.nr_regions = rnd(3, 2000), .refs_exact = i % 3,
		};
		struct plan_want w = dflt;
		uint32_t floor;
		struct plan p;
		char line[256];

		c.hot_pages = rnd(0.5, c.rss_pages + 1) - 0.5;
		c.warm_pages_per_s = rnd(0.5, 1e6) - 0.5;
		w.sample_ns = rnd(1e5, 1e9);
		w.aggr_ns = w.sample_ns * rnd(1, 100);
		w.budget = rnd(1e-4, 1);
		w.method = i % 4 == 3 ? CLEAR_COLD : i % 4 == 2 ? CLEAR_REFS : CLEAR_AUTO;
		floor = w.aggr_ns / w.sample_ns < PLAN_MIN_SAMPLES ?
			w.aggr_ns / w.sample_ns : PLAN_MIN_SAMPLES;
		p = plan_make(&w, &c, NULL);
		if (p.ticks_per_aggr < floor || p.aggr_ns != p.tick_ns * p.ticks_per_aggr ||
		    p.tick_ns < w.sample_ns ||
		    p.aggr_ns > (w.aggr_ns > PLAN_MAX_AGGR_NS ? w.aggr_ns : PLAN_MAX_AGGR_NS) ||
		    (p.limit != PLAN_OVER && p.load > w.budget * (1 + 1e-9)) ||
		    (p.limit == PLAN_ASKED && (p.tick_ns > w.sample_ns + 1 ||
					       p.aggr_ns > w.aggr_ns)) ||
		    (p.limit != PLAN_OVER && p.limit != PLAN_BUDGET_AGGR &&
		     p.aggr_ns > w.aggr_ns) || p.k < 1) {
			plan_describe(&p, &w, line, sizeof(line));
			fail_msg("case %d: %s (load %g)", i, line, p.load);
		}
		/* the budget the line quotes buys the asked interval */
		if (p.limit != PLAN_ASKED && p.budget_for_asked <= 1) {
			struct plan q;

			w.budget = p.budget_for_asked * (1 + 1e-9);
			q = plan_make(&w, &c, NULL);
			if (q.tick_ns > w.sample_ns + 1 && q.limit != PLAN_OVER) {
				plan_describe(&q, &w, line, sizeof(line));
				fail_msg("case %d: at the quoted budget %g: %s", i,
					 w.budget, line);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_asked),
		cmocka_unit_test(test_min_samples),
		cmocka_unit_test(test_budget_keeps_aggr),
		cmocka_unit_test(test_target_bound),
		cmocka_unit_test(test_refs_pages_per_tick),
		cmocka_unit_test(test_fewer_asked),
		cmocka_unit_test(test_over),
		cmocka_unit_test(test_method_choice),
		cmocka_unit_test(test_steady),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_invariants),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
