// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's per-CPU softirq counters: /proc/net/softnet_stat in the
 * layouts of 6.18 (15 columns, this machine's), 6.1 (13), 5.x and 4.x
 * (11) and 3.10 (10), CPUs offline, text that is not the kernel's, and the
 * live file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define TMPDIR_NAME "napitop-softnet"
#include "tmpdir.h"

#include "../../src/napitop/softnet.h"

static const char *put(const char *name, const char *text, size_t len)
{
	const char *path = test_path(name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	return path;
}

#define PUT(name, text) put(name, text, sizeof(text) - 1)

/* 6.4 on: ... backlog, CPU, input_pkt_queue, process_queue */
static void test_618(void **state)
{
	struct softnet_cpu *c;
	char err[256];
	size_t nr;

	(void)state;
	assert_int_equal(softnet_read(PUT("618",
		"0000002e 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000000 00000000 00000000 00000000 00000000\n"
		"00004f97 00000003 0000000a 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000007 00000002 00000005 00000001 00000004 00000001\n"),
		&c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(c[0].cpu, 0);
	assert_int_equal(c[0].processed, 0x2e);
	assert_int_equal(c[1].cpu, 1);
	assert_int_equal(c[1].processed, 0x4f97);
	assert_int_equal(c[1].dropped, 3);
	assert_int_equal(c[1].time_squeeze, 10);
	assert_int_equal(c[1].received_rps, 7);
	assert_int_equal(c[1].flow_limit, 2);
	free(c);

	/* CPU 1 offline: no line for it, the CPU column says which is which */
	assert_int_equal(softnet_read(PUT("618-offline",
		"00000010 0 0 0 0 0 0 0 0 0 0 0 00000000 0 0\n"
		"00000020 0 0 0 0 0 0 0 0 0 0 0 00000002 0 0\n"
		"ffffffff 0 0 0 0 0 0 0 0 0 0 0 0000000b 0 0\n"),
		&c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(c[1].cpu, 2);
	assert_int_equal(c[1].processed, 0x20);
	assert_int_equal(c[2].cpu, 11);
	assert_int_equal(c[2].processed, 0xffffffffu);
	free(c);
}

/* 5.10-6.3: ... backlog, CPU */
static void test_61(void **state)
{
	struct softnet_cpu *c;
	char err[256];
	size_t nr;

	(void)state;
	assert_int_equal(softnet_read(PUT("61",
		"0001e240 00000001 00000002 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000003 00000004 00000000 00000000\n"
		"0000abcd 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000000 00000000 00000003\n"),
		&c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(c[0].cpu, 0);
	assert_int_equal(c[0].processed, 123456);
	assert_int_equal(c[0].dropped, 1);
	assert_int_equal(c[0].time_squeeze, 2);
	assert_int_equal(c[0].received_rps, 3);
	assert_int_equal(c[0].flow_limit, 4);
	assert_int_equal(c[1].cpu, 3);
	assert_int_equal(c[1].processed, 0xabcd);
	free(c);
}

/* up to 5.9 there is no CPU column: the line number stands in */
static void test_old(void **state)
{
	struct softnet_cpu *c;
	char err[256];
	size_t nr;

	(void)state;
	assert_int_equal(softnet_read(PUT("4x",
		"00000100 00000000 00000001 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000002 00000009\n"
		"00000200 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000000\n"
		"00000300 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
		"00000000 00000000 00000000\n"),
		&c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(c[2].cpu, 2);
	assert_int_equal(c[2].processed, 0x300);
	assert_int_equal(c[0].received_rps, 2);
	assert_int_equal(c[0].flow_limit, 9);
	free(c);

	/* 3.10: no flow_limit_count either */
	assert_int_equal(softnet_read(PUT("310", "0000000a 1 2 0 0 0 0 0 5 6\n"),
				      &c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(c[0].processed, 10);
	assert_int_equal(c[0].received_rps, 6);
	assert_int_equal(c[0].flow_limit, 0);
	free(c);
}

static void expect_bad(const char *name, const char *text, size_t len, int code,
		       const char *msg)
{
	struct softnet_cpu *c = (void *)1;
	char err[256] = "";
	size_t nr = 7;

	assert_int_equal(softnet_read(put(name, text, len), &c, &nr, err, sizeof(err)), code);
	assert_null(c);
	assert_int_equal(nr, 0);
	if (!strstr(err, msg))
		fail_msg("%s: '%s' does not say '%s'", name, err, msg);
	assert_null(strchr(err, '\n'));
}

#define BAD(name, text, code, msg) expect_bad(name, text, sizeof(text) - 1, code, msg)

static void test_bad(void **state)
{
	struct softnet_cpu *c;
	char err[256];
	size_t nr;

	(void)state;
	BAD("empty", "", -EINVAL, "no CPU lines");
	BAD("blank", "\n", -EINVAL, "0 columns");
	BAD("word", "0000002e 00000000 zz 0 0 0 0 0 0 0 0\n", -EINVAL, ":1: 'zz' is not a hex");
	BAD("neg", "-1 0 0 0 0 0 0 0 0 0 0\n", -EINVAL, "'-1' is not");
	BAD("wide", "11112222333344445 0 0 0 0 0 0 0 0 0 0\n", -EINVAL, "not a hex count");
	BAD("short", "1 2 3 4 5 6 7 8 9\n", -EINVAL, "9 columns, not a softnet_stat layout");
	BAD("twelve", "1 2 3 4 5 6 7 8 9 a b c\n", -EINVAL, "12 columns");
	BAD("mixed", "1 0 0 0 0 0 0 0 0 0 0 0 0\n1 0 0 0 0 0 0 0 0 0 0\n", -EINVAL,
	    ":2: 11 columns, line 1 has 13");
	BAD("order", "1 0 0 0 0 0 0 0 0 0 0 0 2\n1 0 0 0 0 0 0 0 0 0 0 0 2\n", -EINVAL,
	    ":2: CPU 0x2 out of order");
	BAD("huge-cpu", "1 0 0 0 0 0 0 0 0 0 0 0 ffffffff\n", -EINVAL, "out of range");
	BAD("nul", "1 0 0 0 0 0 0 0 0 0 0\0 0\n", -EINVAL, "NUL byte");
	BAD("many", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
	    "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
	    -EINVAL, "more than 64 columns");

	assert_int_equal(softnet_read(test_path("none"), &c, &nr, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	assert_null(c);
	/* a directory opens but does not read */
	assert_int_equal(softnet_read(test_dir, &c, &nr, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "cannot read"));
	/* no buffer for the message */
	assert_int_equal(softnet_read(test_path("none"), &c, &nr, NULL, 0), -ENOENT);

	/* a last line without its newline still counts */
	assert_int_equal(softnet_read(PUT("nonl", "5 0 0 0 0 0 0 0 0 0 0"), &c, &nr,
				      err, sizeof(err)), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(c[0].processed, 5);
	free(c);
}

/* One line per online CPU, as the kernel prints them. */
static void test_live(void **state)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	struct softnet_cpu *c;
	char err[256];
	size_t nr;

	(void)state;
	if (access(SOFTNET_STAT, R_OK))
		return;		/* named a skip by main() */
	assert_int_equal(softnet_read(SOFTNET_STAT, &c, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, online);
	for (size_t i = 1; i < nr; i++)
		assert_true(c[i].cpu > c[i - 1].cpu);
	assert_true(c[nr - 1].cpu < (unsigned int)sysconf(_SC_NPROCESSORS_CONF));
	free(c);
}

int main(void)
{
	static char live_name[80] = "test_live";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_618),
		cmocka_unit_test(test_61),
		cmocka_unit_test(test_old),
		cmocka_unit_test(test_bad),
		{ .name = live_name, .test_func = test_live },
	};

	/* a TAP skip with any cmocka (see test_damo_fixture.c) */
	if (access(SOFTNET_STAT, R_OK))
		snprintf(live_name, sizeof(live_name), "test_live # SKIP no %s: %s",
			 SOFTNET_STAT, strerror(errno));
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
