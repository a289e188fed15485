// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's softirq runs and time from the kernel's own accounting: a
 * /proc/softirqs and /proc/stat as the kernel prints them (CPU 2 offline:
 * a /proc/softirqs column, no /proc/stat line), counted from the start; a
 * NET_RX count that wraps at 32 bits; a CPU seen later counted from then;
 * files that go away keep the last figures; and the real /proc read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPDIR_NAME "napitop-softirqs"
#include "tmpdir.h"

#include "../../src/napitop/softirqs.h"

#define NCPU 4

/* proc/softirqs with NET_RX's counts for CPUs 0-2 (3 is not possible
 * here), proc/stat with softirq ticks for CPUs 0, 1 and 3 */
static void files(unsigned long long rx0, unsigned long long rx1, unsigned long long si0,
		  unsigned long long si1, unsigned long long si3)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "                    CPU0       CPU1       CPU2\n"
		 "          HI:          1          0          0\n"
		 "       TIMER:     538218     496226          0\n"
		 "      NET_TX:          3          9          0\n"
		 "      NET_RX: %10llu %10llu          7\n"
		 "       BLOCK:      24541      19893          0\n",
		 rx0, rx1);
	test_put("proc/softirqs", text);
	snprintf(text, sizeof(text),
		 "cpu  1 2 3 4 5 6 %llu 0 0 0\n"
		 "cpu0 10 0 20 500 1 0 %llu 0 0 0\n"
		 "cpu1 10 0 20 500 1 0 %llu 0 0 0\n"
		 "cpu3 10 0 20 500 1 0 %llu 0 0 0\n"
		 "intr 12345 0 0\n"
		 "softirq 99 1 2 3 4 5 6 7 8 9 10\n",
		 si0 + si1 + si3, si0, si1, si3);
	test_put("proc/stat", text);
}

static void test_counts(void **state)
{
	uint64_t tick = 1000000000ULL / sysconf(_SC_CLK_TCK);
	struct nt_softirqs_cpu c[NCPU];
	struct nt_softirqs *s;
	char proc[256];

	(void)state;
	mkdir(test_path("proc"), 0755);
	files(1000, 4294967290ULL, 50, 70, 0);
	snprintf(proc, sizeof(proc), "%s", test_path("proc"));
	s = nt_softirqs_new(proc, NCPU);
	assert_non_null(s);

	/* CPU 1's count wraps past 2^32: 6 + 10 runs */
	files(1500, 10, 53, 70, 9);
	nt_softirqs_read(s, c);
	assert_int_equal(c[0].netrx_count, 500);
	assert_int_equal(c[1].netrx_count, 16);
	assert_int_equal(c[2].netrx_count, 0);
	assert_true(c[3].netrx_count == NT_UNKNOWN);	/* no column */
	assert_int_equal(c[0].softirq_ns, 3 * tick);
	assert_int_equal(c[1].softirq_ns, 0);
	assert_true(c[2].softirq_ns == NT_UNKNOWN);	/* offline: no line */
	assert_int_equal(c[3].softirq_ns, 9 * tick);	/* from 0, seen at the start */

	/* the files gone: the last figures stay */
	unlink(test_path("proc/softirqs"));
	unlink(test_path("proc/stat"));
	nt_softirqs_read(s, c);
	assert_int_equal(c[0].netrx_count, 500);
	assert_int_equal(c[0].softirq_ns, 3 * tick);
	nt_softirqs_free(s);
}

/* A CPU not in the files at the start counts from when it is. */
static void test_cpu_later(void **state)
{
	struct nt_softirqs_cpu c[NCPU];
	struct nt_softirqs *s;
	char proc[256];

	(void)state;
	mkdir(test_path("proc"), 0755);
	test_put("proc/softirqs", "  CPU0\n  NET_RX: 5\n");
	test_put("proc/stat", "cpu0 1 1 1 1 1 1 4 0\n");
	snprintf(proc, sizeof(proc), "%s", test_path("proc"));
	s = nt_softirqs_new(proc, 2);
	assert_non_null(s);
	test_put("proc/softirqs", "  CPU0 CPU1\n  NET_RX: 6 900\n");
	test_put("proc/stat", "cpu0 1 1 1 1 1 1 4 0\ncpu1 1 1 1 1 1 1 80 0\n");
	nt_softirqs_read(s, c);
	assert_int_equal(c[0].netrx_count, 1);
	assert_int_equal(c[1].netrx_count, 0);
	assert_int_equal(c[1].softirq_ns, 0);
	test_put("proc/softirqs", "  CPU0 CPU1\n  NET_RX: 6 903\n");
	nt_softirqs_read(s, c);
	assert_int_equal(c[1].netrx_count, 3);
	nt_softirqs_free(s);
}

/* This machine's /proc: every possible CPU up to the online ones has both */
static void test_real_proc(void **state)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	struct nt_softirqs_cpu *c = calloc(n, sizeof(*c));
	struct nt_softirqs *s = nt_softirqs_new("/proc", n);

	(void)state;
	assert_non_null(c);
	assert_non_null(s);
	nt_softirqs_read(s, c);
	for (long i = 0; i < n; i++) {
		assert_true(c[i].netrx_count != NT_UNKNOWN);
		assert_true(c[i].softirq_ns != NT_UNKNOWN);
	}
	nt_softirqs_free(s);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_cpu_later),
		cmocka_unit_test(test_real_proc),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
