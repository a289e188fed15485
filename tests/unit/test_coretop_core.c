// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's per-core state machine (bpf/coretop.h), the same code the
 * kernel side runs under its spin lock, on synthetic switch sequences:
 * time charged to the state the core was in, conflicts and compatible
 * co-running, forced idle caused and suffered, mismatches, what a task
 * takes with it when it leaves, and the snapshot's open interval.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "../../src/coretop/trace.h"

#define A 11	/* groups */
#define B 22

static struct ct_core core2(void)
{
	struct ct_core c = { .nr = 2, .cpu = { 0, 1 } };

	return c;
}

/* An event at @now that sets sibling @i. */
static void event(struct ct_core *c, struct ct_out *out, uint64_t now, unsigned int i,
		  uint32_t pid, uint64_t group)
{
	memset(out, 0, sizeof(*out));
	ct_advance(c, now, out);
	ct_set_slot(c, i, pid, group, false, 0, 0, out);
}

static void test_first_event_charges_nothing(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	assert_int_equal(c.last_ns, 1000);
	assert_int_equal(c.sib[0].idle_ns + c.sib[1].idle_ns + c.busy_ns, 0);
	/* a later event charges the time since, to the state before it */
	event(&c, &out, 1100, 1, 0, 0);
	assert_int_equal(c.sib[0].run_ns, 100);
	assert_int_equal(c.sib[1].idle_ns, 100);
	assert_int_equal(c.busy_ns, 100);
}

static void test_late_event_goes_back_in_time_not(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	event(&c, &out, 2000, 1, 2, A);
	/* an event that read the clock earlier but took the lock later */
	event(&c, &out, 1500, 1, 2, A);
	assert_int_equal(c.last_ns, 2000);
	assert_int_equal(c.sib[0].run_ns, 1000);
}

static void test_same_group_coruns(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	event(&c, &out, 1000, 1, 2, A);
	event(&c, &out, 1500, 0, 1, A);
	assert_int_equal(c.sib[0].corun_ns, 500);
	assert_int_equal(c.sib[1].corun_ns, 500);
	assert_int_equal(c.conflict_ns, 0);
	assert_int_equal(c.mismatches, 0);
	assert_int_equal(out.nr_pairs, 0);
}

static void test_conflict_and_its_pair(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, B);
	/* 2 of group A arrives beside group B: a mismatch, against B; the
	 * pair's figures wait in the core while the pair stays the same */
	event(&c, &out, 1000, 1, 2, A);
	assert_int_equal(c.mismatches, 1);
	assert_int_equal(c.pend_pair.a, A);	/* what-if pairs: a < b */
	assert_int_equal(c.pend_pair.b, B);
	assert_int_equal(c.pend_pair_events, 1);
	assert_int_equal(c.slot[1].acct_pid, 2);
	assert_int_equal(c.slot[1].pend_mismatches, 1);
	assert_int_equal(out.nr_pairs + out.nr_tasks, 0);

	event(&c, &out, 1700, 0, 1, B);
	assert_int_equal(c.conflict_ns, 700);
	assert_int_equal(c.sib[0].conflict_ns, 700);
	assert_int_equal(c.sib[1].conflict_ns, 700);
	assert_int_equal(c.busy_ns, 700);
	/* the pair once, not once per sibling */
	assert_int_equal(c.pend_pair_ns, 700);
	assert_int_equal(c.slot[0].pend_conflict, 700);
	assert_int_equal(c.slot[1].pend_conflict, 700);

	/* 2 goes idle: its time stays pending, it may come back */
	event(&c, &out, 2000, 1, 0, 0);
	assert_int_equal(out.nr_tasks, 0);
	assert_int_equal(c.slot[1].pend_conflict, 1000);
	assert_int_equal(c.slot[1].state, CT_IDLE);
	assert_int_equal(c.slot[1].prev_pid, 2);
	assert_int_equal(c.slot[1].prev_group, A);
	assert_int_equal(c.slot[1].prev_state, CT_RUN);
	event(&c, &out, 2100, 1, 2, A);
	assert_int_equal(out.nr_tasks, 0);
	assert_int_equal(c.slot[1].pend_mismatches, 2);

	/* 3 takes the sibling: 2's time goes out, with its mismatches */
	event(&c, &out, 2200, 1, 3, A);
	assert_int_equal(out.nr_tasks, 1);
	assert_int_equal(out.task[0].pid, 2);
	assert_int_equal(out.task[0].group, A);
	assert_int_equal(out.task[0].conflict_ns, 1100);
	assert_int_equal(out.task[0].mismatches, 2);
	assert_int_equal(c.slot[1].acct_pid, 3);
	assert_int_equal(c.slot[1].pend_conflict, 0);

	/* another pair: the pending one goes out */
	event(&c, &out, 2300, 1, 4, 33);
	assert_int_equal(out.nr_pairs, 1);
	assert_int_equal(out.pair[0].key.a, A);
	assert_int_equal(out.pair[0].key.b, B);
	assert_int_equal(out.pair[0].ns, 1200);
	assert_int_equal(out.pair[0].events, 3);
	assert_int_equal(c.pend_pair.a, B);
	assert_int_equal(c.pend_pair.b, 33);
}

static void test_group_change_of_running_task(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	/* a task that gets another cookie while running is a new arrival */
	event(&c, &out, 1000, 0, 1, A);
	event(&c, &out, 1000, 1, 2, B);
	event(&c, &out, 1300, 1, 2, A);
	assert_int_equal(out.nr_tasks, 1);
	assert_int_equal(out.task[0].pid, 2);
	assert_int_equal(out.task[0].group, B);
	assert_int_equal(out.task[0].conflict_ns, 300);
	assert_int_equal(c.slot[1].group, A);
	event(&c, &out, 1500, 0, 1, A);
	assert_int_equal(c.sib[1].corun_ns, 200);
}

static void test_forced_idle(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	/* sibling 1 idles while 7 of group B waits: forced idle */
	memset(&out, 0, sizeof(out));
	ct_advance(&c, 1000, &out);
	ct_set_slot(&c, 1, 0, 0, true, 7, B, &out);
	assert_int_equal(c.slot[1].state, CT_FORCED);

	event(&c, &out, 1400, 0, 1, A);
	assert_int_equal(c.forced_ns, 400);
	assert_int_equal(c.sib[1].forced_ns, 400);
	assert_int_equal(c.sib[0].run_ns, 400);
	assert_int_equal(c.sib[0].conflict_ns, 0);
	assert_int_equal(c.slot[0].pend_caused, 400);
	assert_int_equal(c.slot[1].pend_suffered, 400);
	/* measured pairs: (the group forced idle, the group running) */
	assert_int_equal(c.pend_pair.a, B);
	assert_int_equal(c.pend_pair.b, A);
	assert_int_equal(c.pend_pair_ns, 400);

	/* an event that knows no waiter keeps the one known */
	memset(&out, 0, sizeof(out));
	ct_advance(&c, 1500, &out);
	ct_set_slot(&c, 1, 0, 0, true, 0, 0, &out);
	assert_int_equal(c.slot[1].waiter, 7);

	/* 7 runs at last: it takes what it suffered; its mismatch beside A
	 * is another pair, which sends the forced idle's pair out */
	event(&c, &out, 1600, 1, 7, B);
	assert_int_equal(c.sib[1].forced_ns, 600);
	assert_int_equal(out.nr_tasks, 1);
	assert_int_equal(out.task[0].pid, 7);
	assert_int_equal(out.task[0].suffered_ns, 600);
	assert_int_equal(out.nr_pairs, 1);
	assert_int_equal(out.pair[0].key.a, B);
	assert_int_equal(out.pair[0].key.b, A);
	assert_int_equal(out.pair[0].ns, 600);
	assert_int_equal(c.slot[1].waiter, 0);
	assert_int_equal(c.slot[1].pend_suffered, 0);
	assert_int_equal(c.slot[1].pend_mismatches, 1);

	/* 1 caused it all */
	event(&c, &out, 1700, 0, 0, 0);
	assert_int_equal(c.slot[0].pend_caused, 600);
	assert_int_equal(c.slot[0].pend_conflict, 100);
}

static void test_idle_is_idle(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 0, 0);
	event(&c, &out, 3000, 1, 0, 0);
	assert_int_equal(c.sib[0].idle_ns, 2000);
	assert_int_equal(c.sib[1].idle_ns, 2000);
	assert_int_equal(c.busy_ns + c.forced_ns + c.conflict_ns, 0);
	assert_int_equal(out.nr_tasks + out.nr_pairs, 0);
}

static void test_slots_beyond_the_core(void **state)
{
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 2, 5, A);		/* a 2-sibling core has no sibling 2 */
	event(&c, &out, 1000, CT_MAX_SMT, 5, A);
	assert_int_equal(c.slot[2].pid, 0);
	event(&c, &out, 2000, 0, 0, 0);
	assert_int_equal(c.sib[2].idle_ns, 0);
}

static void test_four_siblings(void **state)
{
	struct ct_core c = { .nr = 4 };
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	event(&c, &out, 1000, 1, 2, A);
	event(&c, &out, 1000, 2, 3, B);
	event(&c, &out, 1100, 3, 0, 0);
	/* 0 and 1 corun with each other and conflict with 2 */
	assert_int_equal(c.sib[0].conflict_ns, 100);
	assert_int_equal(c.sib[2].conflict_ns, 100);
	assert_int_equal(c.conflict_ns, 100);
	assert_int_equal(c.sib[3].idle_ns, 100);
	/* 0 vs 2 and 1 vs 2: one pair of groups, twice */
	assert_int_equal(c.pend_pair_ns, 200);
	assert_int_equal(c.pend_pair_events, 1);
	assert_int_equal(out.nr_pairs, 0);
}

static void test_snapshot_close(void **state)
{
	struct ct_snapshot s = {};
	struct ct_core c = core2();
	struct ct_out out;

	(void)state;
	event(&c, &out, 1000, 0, 1, A);
	event(&c, &out, 1000, 1, 2, B);
	event(&c, &out, 1200, 0, 1, A);
	/* read at 1500: the open 300 ns are charged to the copy, and what
	 * is pending in the core goes to the snapshot's rows */
	ct_snapshot_close(&s, &c, 1500);
	assert_int_equal(c.conflict_ns, 500);
	assert_int_equal(s.nr_pairs, 1);
	assert_int_equal(s.pairs[0].v.ns, 500);
	assert_int_equal(s.pairs[0].v.events, 1);
	assert_int_equal(s.nr_tasks, 2);
	assert_int_equal(s.tasks[0].t.conflict_ns + s.tasks[1].t.conflict_ns, 1000);
	assert_int_equal(s.tasks[0].t.mismatches + s.tasks[1].t.mismatches, 1);
	ct_snapshot_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_event_charges_nothing),
		cmocka_unit_test(test_late_event_goes_back_in_time_not),
		cmocka_unit_test(test_same_group_coruns),
		cmocka_unit_test(test_conflict_and_its_pair),
		cmocka_unit_test(test_group_change_of_running_task),
		cmocka_unit_test(test_forced_idle),
		cmocka_unit_test(test_idle_is_idle),
		cmocka_unit_test(test_slots_beyond_the_core),
		cmocka_unit_test(test_four_siblings),
		cmocka_unit_test(test_snapshot_close),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
