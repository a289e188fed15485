// SPDX-License-Identifier: GPL-2.0
/*
 * A coretop session from synthetic snapshots: the figures of the last
 * interval, the estimated cost, tasks merged across exits and pid reuse,
 * groups and their letters, the lanes; and the session file written and
 * read back to the same figures, bad files refused with a reason.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#define TMPDIR_NAME "coretop-session"
#include "tmpdir.h"

#include "../../src/coretop/session.h"

static const struct topo_core one_core[] = { { .nr = 2, .cpu = { 0, 1 } } };
static const struct topo topo1 = { .cores = (struct topo_core *)one_core, .nr_cores = 1,
				   .declared = true };

/* A snapshot at @sec seconds: core 0 busy all along, in conflict half. */
static struct ct_snapshot snap(double sec, uint32_t pid2, bool exited)
{
	struct ct_snapshot s = { .time_ns = sec * 1e9, .nr_cores = 1 };
	uint64_t ns = sec * 1e9;

	s.cores = calloc(1, sizeof(*s.cores));
	s.tasks = calloc(2, sizeof(*s.tasks));
	s.pairs = calloc(1, sizeof(*s.pairs));
	assert_non_null(s.cores);
	assert_non_null(s.tasks);
	assert_non_null(s.pairs);
	s.cores[0].nr = 2;
	s.cores[0].busy_ns = ns;
	s.cores[0].conflict_ns = ns / 2;
	s.cores[0].mismatches = sec * 100;
	for (int i = 0; i < 2; i++) {
		s.cores[0].sib[i].run_ns = ns;
		s.cores[0].sib[i].conflict_ns = ns / 2;
		s.cores[0].sib[i].corun_ns = ns / 2;
		s.cores[0].slot[i].state = CT_RUN;
		s.cores[0].slot[i].pid = i ? pid2 : 1;
		s.cores[0].slot[i].group = i + 1;
	}
	s.tasks[0] = (struct ct_task_row){ .pid = 1, .t = { .group = 1, .tgid = 1,
		.comm = "one", .conflict_ns = ns / 2 } };
	s.tasks[1] = (struct ct_task_row){ .pid = pid2, .exited = exited, .t = { .group = 2,
		.tgid = pid2, .comm = "two", .conflict_ns = ns / 2, .mismatches = 3 } };
	s.nr_tasks = 2;
	s.pairs[0] = (struct ct_pair_row){ .key = { 1, 2 }, .v = { ns / 2, sec * 100 } };
	s.nr_pairs = 1;
	return s;
}

static void test_figures(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = snap(1, 2, false), b = snap(3, 2, false);
	char buf[64];

	(void)state;
	assert_int_equal(ct_session_init(&s, false, CT_BY_LIST, &topo1), 0);
	ct_session_update(&s, &a);
	assert_true(isnan(ct_session_core_busy(&s, 0)));	/* one snapshot: no interval */
	ct_session_update(&s, &b);
	assert_float_equal(ct_session_core_busy(&s, 0), 1.0, 1e-9);
	assert_float_equal(ct_session_core_conflict(&s, 0), 0.5, 1e-9);
	assert_float_equal(ct_session_core_forced(&s, 0), 0, 1e-9);
	assert_float_equal(ct_session_core_mismatch_rate(&s, 0), 100, 1e-6);
	assert_float_equal(ct_session_sib_run(&s, 0, 1), 1.0, 1e-9);
	/* core scheduling would idle one sibling for the conflict: 1.5 of 6 s */
	assert_float_equal(ct_session_cost(&s), 0.25, 1e-9);
	assert_int_equal(s.nr_tasks, 2);
	assert_string_equal(s.tasks[1].comm, "two");
	assert_int_equal(ct_session_task_total(&s.tasks[1], CT_SESSION_CONFLICT), 1500000000);
	/* groups: summed over their tasks, lettered in order seen */
	assert_int_equal(ct_session_group(&s, 2)->conflict_ns, 1500000000);
	assert_int_equal(ct_session_group(&s, 1)->key, 'A');
	assert_int_equal(ct_session_group(&s, 2)->key, 'B');
	ct_session_name_group(&s, 1, "db");
	assert_string_equal(ct_session_group_name(&s, 1, buf, sizeof(buf)), "db");
	assert_string_equal(ct_session_group_name(&s, 0, buf, sizeof(buf)), "untagged");
	assert_string_equal(ct_session_group_name(&s, 9, buf, sizeof(buf)), "list 9");
	/* the lanes: no heat for the first snapshot, half for the second */
	assert_int_equal(s.hist_len, 2);
	assert_true(isnan(s.lane_heat[0]));
	assert_float_equal(s.lane_heat[1 * s.nr_sibs + 0], 0.5, 1e-6);
	assert_int_equal(s.lane_mark[1 * s.nr_sibs + 1], 'B');
	ct_session_free(&s);
}

static void test_lane_samples(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = snap(1, 2, false), b = snap(2, 2, false);
	struct ct_core cores[1] = {};

	(void)state;
	assert_int_equal(ct_session_init(&s, false, CT_BY_LIST, &topo1), 0);
	ct_session_update(&s, &a);
	cores[0].nr = 2;
	/* sibling 0: group 2 twice, group 1 once; sibling 1: the sampler
	 * itself (pid 99), which displaced pid 5 of group 1 */
	cores[0].slot[0] = (struct ct_slot){ .pid = 5, .state = CT_RUN, .group = 2 };
	cores[0].slot[1] = (struct ct_slot){ .pid = 99, .state = CT_RUN, .group = 0,
					     .prev_pid = 5, .prev_state = CT_RUN, .prev_group = 1 };
	ct_session_sample(&s, cores, 99);
	ct_session_sample(&s, cores, 99);
	cores[0].slot[0].group = 1;
	ct_session_sample(&s, cores, 99);
	assert_int_equal(s.now[1].pid, 5);
	assert_int_equal(s.now[0].group, 1);
	/* the refresh after: each lane's letter is what was seen most */
	ct_session_update(&s, &b);
	assert_int_equal(s.lane_mark[1 * s.nr_sibs + 0], 'B');
	assert_int_equal(s.lane_mark[1 * s.nr_sibs + 1], 'A');
	/* no samples since (a replay): the state at the refresh */
	b = snap(3, 2, false);
	ct_session_update(&s, &b);
	assert_int_equal(s.lane_mark[2 * s.nr_sibs + 0], 'A');
	ct_session_free(&s);
}

static void test_pid_reuse(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = snap(1, 2, true), b = snap(2, 2, false);

	(void)state;
	assert_int_equal(ct_session_init(&s, true, CT_BY_COOKIE, &topo1), 0);
	ct_session_update(&s, &a);
	assert_true(s.tasks[1].exited);
	/* pid 2 again: another task; the first one's time is kept */
	b.tasks[1].t.conflict_ns = 10;
	ct_session_update(&s, &b);
	assert_false(s.tasks[1].exited);
	assert_int_equal(ct_session_task_total(&s.tasks[1], CT_SESSION_CONFLICT), 500000000 + 10);
	assert_int_equal(ct_session_task_total(&s.tasks[1], CT_SESSION_MISMATCHES), 6);
	ct_session_free(&s);
}

static void test_file_round_trip(void **state)
{
	struct ct_session s, r;
	struct ct_snapshot a = snap(1, 2, false), b = snap(2, 2, true);
	char err[256];
	FILE *f;

	(void)state;
	assert_int_equal(ct_session_init(&s, false, CT_BY_LIST, &topo1), 0);
	f = fopen(test_path("rec"), "w");
	assert_non_null(f);
	ct_session_write_header(f, &s);
	ct_session_update(&s, &a);
	ct_session_name_group(&s, 1, "db");
	ct_session_json(f, &s);
	ct_session_update(&s, &b);
	ct_session_json(f, &s);
	fclose(f);

	assert_int_equal(ct_session_load(test_path("rec"), &r, err, sizeof(err)), 0);
	assert_false(r.measured);
	assert_int_equal(r.by, CT_BY_LIST);
	assert_true(r.topo.declared);
	assert_int_equal(r.topo.cores[0].cpu[1], 1);
	assert_int_equal(r.refreshes, 2);
	assert_memory_equal(&r.cur.cores[0].sib, &s.cur.cores[0].sib, sizeof(s.cur.cores[0].sib));
	assert_int_equal(r.cur.cores[0].conflict_ns, s.cur.cores[0].conflict_ns);
	assert_int_equal(r.cur.cores[0].slot[1].pid, 2);
	assert_int_equal(r.cur.cores[0].slot[1].state, CT_RUN);
	assert_int_equal(r.cur.nr_pairs, 1);
	assert_int_equal(r.cur.pairs[0].v.ns, s.cur.pairs[0].v.ns);
	assert_int_equal(r.nr_tasks, 2);
	assert_true(r.tasks[1].exited);
	assert_string_equal(r.tasks[1].comm, "two");
	assert_int_equal(ct_session_task_total(&r.tasks[1], CT_SESSION_MISMATCHES), 3);
	assert_string_equal(ct_session_group(&r, 1)->name, "db");
	assert_float_equal(ct_session_core_conflict(&r, 0), ct_session_core_conflict(&s, 0), 1e-9);
	ct_session_free(&r);
	ct_session_free(&s);
}

static void bad_file(const char *text, const char *why)
{
	FILE *f = fopen(test_path("bad"), "w");
	struct ct_session r;
	char err[256] = "";

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(ct_session_load(test_path("bad"), &r, err, sizeof(err)), -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s': '%s' does not say '%s'", text, err, why);
	assert_null(r.topo.cores);
}

static void test_bad_files(void **state)
{
	static const char header[] =
		"{\"coretop\":1,\"mode\":\"what-if\",\"group_by\":\"tgid\",\"cores\":[[0,1]]}\n";
	char text[1024];
	struct ct_session r;
	char err[256];

	(void)state;
	bad_file("", "empty file");
	bad_file("not json\n", "line 1: not JSON");
	bad_file("{\"damo\":1}\n", "not a coretop session file");
	bad_file("{\"coretop\":2,\"mode\":\"what-if\",\"group_by\":\"tgid\",\"cores\":[[0,1]]}\n",
		 "not a coretop session file");
	bad_file("{\"coretop\":1,\"mode\":\"maybe\",\"group_by\":\"tgid\",\"cores\":[[0,1]]}\n",
		 "bad header");
	bad_file("{\"coretop\":1,\"mode\":\"what-if\",\"group_by\":\"tgid\",\"cores\":[[0]]}\n",
		 "core 0 has 1 CPUs");
	bad_file(header, "no refresh recorded");
	snprintf(text, sizeof(text), "%s{\"time_ns\":1}\n", header);
	bad_file(text, "line 2: not a coretop refresh");
	snprintf(text, sizeof(text), "%s{\"time_ns\":1,\"cores\":[{\"core\":0}]}\n", header);
	bad_file(text, "line 2: not a coretop refresh");
	assert_int_equal(ct_session_load(test_path("none"), &r, err, sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_lane_samples),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_bad_files),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
