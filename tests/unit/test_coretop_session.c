// SPDX-License-Identifier: GPL-2.0
/*
 * A coretop session from synthetic snapshots: the figures of the last
 * interval, the estimated cost, tasks merged across exits and pid reuse,
 * groups and their letters, the lanes; the session file written and
 * read back to the same figures, bad files refused with a reason; and the
 * Prometheus metrics of a refresh, groups and pairs capped.
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
#include "metrics.h"

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

/* A read that raced the kernel's flush of pending time: lower task and
 * pair figures, a pair missing; the session keeps what it had. */
static void test_raced_read(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = snap(1, 2, false), b = snap(2, 2, false), c = snap(3, 2, false);

	(void)state;
	assert_int_equal(ct_session_init(&s, false, CT_BY_LIST, &topo1), 0);
	ct_session_update(&s, &a);
	b.tasks[0].t.conflict_ns = 400000000;		/* below a's 0.5 s */
	b.nr_pairs = 0;
	ct_session_update(&s, &b);
	assert_int_equal(ct_session_task_total(&s.tasks[0], CT_SESSION_CONFLICT), 500000000);
	assert_int_equal(ct_session_group(&s, 1)->conflict_ns, 500000000);
	assert_int_equal(s.cur.nr_pairs, 1);
	assert_int_equal(s.cur.pairs[0].v.ns, 500000000);
	ct_session_update(&s, &c);
	assert_int_equal(ct_session_task_total(&s.tasks[0], CT_SESSION_CONFLICT), 1500000000);
	assert_int_equal(s.cur.nr_pairs, 1);
	assert_int_equal(s.cur.pairs[0].v.ns, 1500000000);
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
	assert_true(ct_session_load(test_path("bad"), &r, err, sizeof(err)) < 0);
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

/* @s's metrics as the text format renders them. */
static char *render(const struct ct_session *s)
{
	struct metrics *m = metrics_new();
	char *text;

	assert_non_null(m);
	metrics_begin(m);
	ct_session_metrics(s, m);
	assert_int_equal(metrics_end(m), 0);
	text = metrics_render(m, false, NULL);
	assert_non_null(text);
	metrics_free(m);
	return text;
}

static void has_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, n) && (p[n] == '\n' || !p[n]))
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

static unsigned int count(const char *text, const char *prefix)
{
	unsigned int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, strlen(prefix));
	return n;
}

static void test_metrics_what_if(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = snap(1, 2, false), b = snap(3, 2, false);
	char *text;

	(void)state;
	assert_int_equal(ct_session_init(&s, false, CT_BY_LIST, &topo1), 0);
	ct_session_update(&s, &a);
	ct_session_update(&s, &b);
	ct_session_name_group(&s, 1, "db");
	text = render(&s);
	has_line(text, "kscope_coretop_info{mode=\"what-if\",group_by=\"list\",declared=\"true\"} 1");
	has_line(text, "kscope_coretop_cost_ratio 0.25");
	has_line(text, "# TYPE kscope_coretop_core_conflict_seconds_total counter");
	has_line(text, "kscope_coretop_core_conflict_seconds_total{core=\"0\"} 1.5");
	has_line(text, "kscope_coretop_core_busy_seconds_total{core=\"0\"} 3");
	has_line(text, "kscope_coretop_core_mismatches_total{core=\"0\"} 300");
	has_line(text, "kscope_coretop_cpu_run_seconds_total{core=\"0\",cpu=\"1\"} 3");
	has_line(text, "kscope_coretop_cpu_conflict_seconds_total{core=\"0\",cpu=\"0\"} 1.5");
	has_line(text, "kscope_coretop_group_conflict_seconds_total{group=\"db\",mode=\"what-if\"} 1.5");
	has_line(text, "kscope_coretop_group_conflict_seconds_total{group=\"list 2\","
		       "mode=\"what-if\"} 1.5");
	has_line(text, "kscope_coretop_groups 2");
	has_line(text, "kscope_coretop_pair_conflict_seconds_total{group_a=\"db\",group_b=\"list 2\","
		       "mode=\"what-if\"} 1.5");
	has_line(text, "kscope_coretop_lost_entries_total{map=\"pairs\"} 0");
	/* nothing forced idle where nothing is measured, no kernel count */
	assert_null(strstr(text, "forced_idle"));
	assert_null(strstr(text, "kscope_coretop_kernel"));
	free(text);
	ct_session_free(&s);
}

/* 25 groups of one task each, and 25 pairs: the top 20 of each exported. */
static void test_metrics_measured_top(void **state)
{
	struct ct_session s;
	struct ct_snapshot a = { .time_ns = 1e9, .nr_cores = 1 };
	char *text, line[160];

	(void)state;
	assert_int_equal(ct_session_init(&s, true, CT_BY_COOKIE, &topo1), 0);
	a.cores = calloc(1, sizeof(*a.cores));
	a.tasks = calloc(25, sizeof(*a.tasks));
	a.pairs = calloc(25, sizeof(*a.pairs));
	assert_non_null(a.cores);
	assert_non_null(a.tasks);
	assert_non_null(a.pairs);
	a.cores[0].nr = 2;
	a.cores[0].forced_ns = 7000000000;
	a.cores[0].sib[1].forced_ns = 7000000000;
	for (int i = 0; i < 25; i++) {
		/* group i + 1 caused (i + 1) s and suffered 1 ms */
		a.tasks[i] = (struct ct_task_row){ .pid = 100 + i, .t = { .group = i + 1,
			.caused_ns = (i + 1) * 1000000000ull, .suffered_ns = 1000000 } };
		a.pairs[i] = (struct ct_pair_row){ .key = { i + 1, 0 },
			.v = { (i + 1) * 2000000ull, 1 } };
	}
	a.nr_tasks = a.nr_pairs = 25;
	a.lost_tasks = 4;
	ct_session_update(&s, &a);
	s.kernel_fi_s = 6.5;
	text = render(&s);
	has_line(text, "kscope_coretop_info{mode=\"measured\",group_by=\"cookie\",declared=\"true\"} 1");
	has_line(text, "kscope_coretop_core_forced_idle_seconds_total{core=\"0\"} 7");
	has_line(text, "kscope_coretop_cpu_forced_idle_seconds_total{core=\"0\",cpu=\"1\"} 7");
	has_line(text, "kscope_coretop_kernel_forced_idle_seconds_total 6.5");
	has_line(text, "kscope_coretop_lost_entries_total{map=\"tasks\"} 4");
	has_line(text, "kscope_coretop_groups 26");	/* and untagged, in the pairs */
	has_line(text, "kscope_coretop_pairs 25");
	has_line(text, "kscope_coretop_group_forced_idle_caused_seconds_total{group=\"cookie 25\","
		       "mode=\"measured\"} 25");
	has_line(text, "kscope_coretop_group_forced_idle_suffered_seconds_total{group=\"cookie 6\","
		       "mode=\"measured\"} 0.001");
	has_line(text, "kscope_coretop_pair_forced_idle_seconds_total{idle_group=\"cookie 25\","
		       "running_group=\"untagged\",mode=\"measured\"} 0.05");
	assert_int_equal(count(text, "kscope_coretop_group_conflict_seconds_total{"), 20);
	assert_int_equal(count(text, "kscope_coretop_group_forced_idle_caused_seconds_total{"), 20);
	assert_int_equal(count(text, "kscope_coretop_pair_forced_idle_seconds_total{"), 20);
	/* the least five left out */
	for (int i = 1; i <= 5; i++) {
		snprintf(line, sizeof(line), "{group=\"cookie %d\"", i);
		assert_null(strstr(text, line));
		snprintf(line, sizeof(line), "{idle_group=\"cookie %d\"", i);
		assert_null(strstr(text, line));
	}
	assert_null(strstr(text, "pair_conflict"));
	free(text);
	ct_snapshot_free(&a);
	ct_session_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_lane_samples),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_raced_read),
		cmocka_unit_test(test_file_round_trip),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_metrics_what_if),
		cmocka_unit_test(test_metrics_measured_top),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
