// SPDX-License-Identifier: GPL-2.0
/*
 * The damon source's snapshot rebuilding (kdamond_burst_add): whole
 * aggregations from the tracepoint's per-region events, and never half of
 * one when events were lost.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "../../src/damontop/kdamond.h"

/* Region i of an aggregation of n regions, 1 MiB each from 1 GiB. */
static struct damon_event ev(uint64_t ts, uint32_t i, uint32_t n)
{
	return (struct damon_event){
		.ts = ts, .start = (1ull << 30) + i * (1ull << 20),
		.end = (1ull << 30) + (i + 1) * (1ull << 20),
		.nr_regions = n, .nr_accesses = i, .age = 2 * i,
	};
}

static void test_whole_bursts(void **state)
{
	struct kdamond_burst b = {};
	struct damon_event e;

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 5; i++) {
			e = ev(1000 * round + i, i, 5);
			assert_int_equal(kdamond_burst_add(&b, &e, 0), i == 4);
		}
		assert_int_equal(b.nr, 5);
		assert_int_equal(b.time_ns, 1000 * round);	/* the first event's */
		assert_int_equal(b.regions[3].start, (1ull << 30) + 3 * (1ull << 20));
		assert_int_equal(b.regions[3].nr_accesses, 3);
		assert_int_equal(b.regions[3].age, 6);
		b.nr = 0;
	}
	free(b.regions);
}

/* The end of a burst lost: the next one starts over, not glued on. */
static void test_tail_lost(void **state)
{
	struct kdamond_burst b = {};
	struct damon_event e;

	(void)state;
	for (uint32_t i = 0; i < 3; i++) {
		e = ev(10, i, 5);
		assert_int_equal(kdamond_burst_add(&b, &e, 0), 0);
	}
	for (uint32_t i = 0; i < 5; i++) {
		e = ev(20, i, 5);
		assert_int_equal(kdamond_burst_add(&b, &e, 2), i == 4);
	}
	assert_int_equal(b.time_ns, 20);
	assert_int_equal(b.nr, 5);
	free(b.regions);
}

/* Regions lost in the middle: the drop count moved, the burst is void;
 * the rest of it never completes a snapshot on its own. */
static void test_middle_lost(void **state)
{
	struct kdamond_burst b = {};
	struct damon_event e;
	int done = 0;

	(void)state;
	for (uint32_t i = 0; i < 5; i++) {
		if (i == 2)
			continue;	/* the ring buffer was full */
		e = ev(10, i, 5);
		done += kdamond_burst_add(&b, &e, i < 2 ? 0 : 1);
	}
	assert_int_equal(done, 0);
	/* the next aggregation comes whole */
	for (uint32_t i = 0; i < 5; i++) {
		e = ev(20, i, 5);
		done += kdamond_burst_add(&b, &e, 1);
	}
	assert_int_equal(done, 1);
	assert_int_equal(b.time_ns, 20);
	free(b.regions);
}

/* The region count changes between aggregations (merges, splits). */
static void test_count_changes(void **state)
{
	struct kdamond_burst b = {};
	struct damon_event e;

	(void)state;
	for (uint32_t i = 0; i < 2000; i++) {
		e = ev(10, i, 2000);
		assert_int_equal(kdamond_burst_add(&b, &e, 0), i == 1999);
	}
	b.nr = 0;
	for (uint32_t i = 0; i < 3; i++) {
		e = ev(20, i, 3);
		assert_int_equal(kdamond_burst_add(&b, &e, 0), i == 2);
	}
	assert_int_equal(b.nr, 3);
	free(b.regions);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_bursts),
		cmocka_unit_test(test_tail_lost),
		cmocka_unit_test(test_middle_lost),
		cmocka_unit_test(test_count_changes),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
