// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's inputs from the system: the SMT topology from a sysfs tree
 * shaped like the kernel's (and from --smt-pairs), CPU lists, and the
 * kernel's forced-idle counters (/proc/PID/sched, cpu.stat, the
 * schedstats switch) from files shaped like 6.1's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#define TMPDIR_NAME "coretop-topo"
#include "tmpdir.h"

#include "../../src/coretop/kstat.h"
#include "../../src/coretop/topo.h"

/* cpuN/topology/thread_siblings_list under DIR */
static void sibling(const char *dir, int cpu, const char *list)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/cpu%d", dir, cpu);
	mkdir(test_path(path), 0755);
	snprintf(path, sizeof(path), "%s/cpu%d/topology", dir, cpu);
	mkdir(test_path(path), 0755);
	snprintf(path, sizeof(path), "%s/cpu%d/topology/thread_siblings_list", dir, cpu);
	test_put(path, list);
}

static void test_cpulist(void **state)
{
	bool bits[16];

	(void)state;
	assert_int_equal(topo_parse_cpulist("0-1,4,6-7\n", bits, 16), 0);
	assert_true(bits[0] && bits[1] && !bits[2] && bits[4] && !bits[5] && bits[6] && bits[7]);
	assert_int_equal(topo_parse_cpulist("3", bits, 16), 0);
	assert_true(bits[3] && !bits[0]);
	assert_int_equal(topo_parse_cpulist("2-1", bits, 16), -EINVAL);
	assert_int_equal(topo_parse_cpulist("0-16", bits, 16), -EINVAL);
	assert_int_equal(topo_parse_cpulist("a", bits, 16), -EINVAL);
	assert_int_equal(topo_parse_cpulist("1-", bits, 16), -EINVAL);
	assert_int_equal(topo_parse_cpulist("1;2", bits, 16), -EINVAL);
}

static void test_read_smt(void **state)
{
	struct topo t;
	char err[256];

	(void)state;
	/* 2 cores x 2 threads, numbered like x86 hosts: 0/2 and 1/3 */
	mkdir(test_path("smt"), 0755);
	sibling("smt", 0, "0,2\n");
	sibling("smt", 1, "1,3\n");
	sibling("smt", 2, "0,2\n");
	sibling("smt", 3, "1,3\n");
	assert_int_equal(topo_read(&t, test_path("smt"), err, sizeof(err)), 0);
	assert_int_equal(t.nr_cores, 2);
	assert_false(t.declared);
	assert_int_equal(t.cores[0].nr, 2);
	assert_int_equal(t.cores[0].cpu[0], 0);
	assert_int_equal(t.cores[0].cpu[1], 2);
	assert_int_equal(t.cores[1].cpu[0], 1);
	assert_int_equal(t.cores[1].cpu[1], 3);
	topo_free(&t);
}

static void test_read_no_smt(void **state)
{
	struct topo t;
	char err[256];

	(void)state;
	/* like this VM: each CPU its own core; an offline CPU has no topology */
	mkdir(test_path("nosmt"), 0755);
	sibling("nosmt", 0, "0\n");
	sibling("nosmt", 1, "1\n");
	sibling("nosmt", 3, "3\n");
	assert_int_equal(topo_read(&t, test_path("nosmt"), err, sizeof(err)), 0);
	assert_int_equal(t.nr_cores, 0);
	topo_free(&t);

	mkdir(test_path("bad"), 0755);
	sibling("bad", 0, "zero\n");
	assert_int_equal(topo_read(&t, test_path("bad"), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a CPU list"));
	assert_null(t.cores);

	mkdir(test_path("wide"), 0755);
	sibling("wide", 0, "0-7\n");
	assert_int_equal(topo_read(&t, test_path("wide"), err, sizeof(err)), -E2BIG);
	assert_null(t.cores);
}

static void test_parse_pairs(void **state)
{
	struct topo t;
	char err[256];

	(void)state;
	assert_int_equal(topo_parse(&t, "0-1,3-2", 4, err, sizeof(err)), 0);
	assert_true(t.declared);
	assert_int_equal(t.nr_cores, 2);
	assert_int_equal(t.cores[1].cpu[0], 2);	/* ascending */
	assert_int_equal(t.cores[1].cpu[1], 3);
	topo_free(&t);
	assert_int_equal(topo_parse(&t, "0-1-2-3", 4, err, sizeof(err)), 0);
	assert_int_equal(t.nr_cores, 1);
	assert_int_equal(t.cores[0].nr, 4);
	topo_free(&t);

	assert_int_equal(topo_parse(&t, "0-1,1-2", 4, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "CPU 1 given twice"));
	assert_null(t.cores);
	assert_int_equal(topo_parse(&t, "0-4", 4, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no CPU 4"));
	assert_int_equal(topo_parse(&t, "0", 4, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad core '0'"));
	assert_int_equal(topo_parse(&t, "0-1,", 4, err, sizeof(err)), -EINVAL);
	assert_int_equal(topo_parse(&t, "0-1-2-3-4", 8, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most 4"));
	assert_int_equal(topo_parse(&t, "0-1x", 4, err, sizeof(err)), -EINVAL);
	assert_int_equal(topo_parse(&t, "", 4, err, sizeof(err)), -EINVAL);
	assert_null(t.cores);
}

static void test_kstat(void **state)
{
	(void)state;
	/* /proc/PID/sched of 6.1: milliseconds, aligned with blanks */
	mkdir(test_path("proc"), 0755);
	mkdir(test_path("proc/42"), 0755);
	test_put("proc/42/sched",
	    "cpuburn (42, #threads: 1)\n"
	    "-------------------------------------------------------------------\n"
	    "se.exec_start                                :          5123.456789\n"
	    "core_forceidle_sum                           :          1234.500000\n");
	assert_float_equal(kstat_task_forceidle(test_path("proc"), 42), 1.2345, 1e-9);
	assert_true(isnan(kstat_task_forceidle(test_path("proc"), 43)));
	mkdir(test_path("proc/44"), 0755);
	test_put("proc/44/sched", "se.exec_start : 1.0\ncore_forceidle_summary : 3\n");
	assert_true(isnan(kstat_task_forceidle(test_path("proc"), 44)));

	mkdir(test_path("cg"), 0755);
	test_put("cg/cpu.stat", "usage_usec 100\nuser_usec 50\nsystem_usec 50\n"
	    "core_sched.force_idle_usec 2500000\n");
	assert_float_equal(kstat_cgroup_forceidle(test_path("cg")), 2.5, 1e-9);
	test_put("cg/cpu.stat", "usage_usec 100\n");
	assert_true(isnan(kstat_cgroup_forceidle(test_path("cg"))));

	test_put("schedstats", "0\n");
	assert_int_equal(kstat_schedstats(test_path("schedstats")), 0);
	assert_int_equal(kstat_set_schedstats(test_path("schedstats"), 1), 0);
	assert_int_equal(kstat_schedstats(test_path("schedstats")), 1);
	test_put("schedstats", "2\n");
	assert_int_equal(kstat_schedstats(test_path("schedstats")), -EINVAL);
	assert_int_equal(kstat_schedstats(test_path("none")), -ENOENT);
	assert_int_equal(kstat_set_schedstats(test_path("no/such"), 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_read_smt),
		cmocka_unit_test(test_read_no_smt),
		cmocka_unit_test(test_parse_pairs),
		cmocka_unit_test(test_kstat),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
