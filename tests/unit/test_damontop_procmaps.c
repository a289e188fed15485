// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the /proc/PID/maps reader: names of every kind of line a
 * real maps file holds (paths with spaces, deleted files, pseudo names,
 * anonymous mappings), malformed input refused whole, this process's own
 * maps, and a process that is gone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "../../src/damontop/procmaps.h"
#include "../../src/damontop/regions.h"

static const char maps_text[] =
"55d0c8a00000-55d0c8a02000 r--p 00000000 fd:01 1234                       /usr/bin/my prog\n"
"55d0c8a02000-55d0c8a08000 r-xp 00002000 fd:01 1234                       /usr/bin/my prog\n"
"55d0c9e3e000-55d0c9e5f000 rw-p 00000000 00:00 0                          [heap]\n"
"7f3a1c000000-7f3a1c021000 rw-p 00000000 00:00 0 \n"
"7f3a1c021000-7f3a20000000 ---p 00000000 00:00 0\n"
"7f3a21e00000-7f3a21e28000 r--p 00000000 fd:01 5678                       /usr/lib/x86_64-linux-gnu/libc.so.6\n"
"7f3a22100000-7f3a22200000 rw-s 00000000 00:01 999                        /memfd:ring buf (deleted)\n"
"7f3a22200000-7f3a22300000 rw-p 00000000 fd:01 1000                       /tmp/old data.bin (deleted)\n"
"7f3a22300000-7f3a22301000 rw-p 00000000 00:00 0                          [anon:jemalloc]\n"
"7f3a22400000-7f3a22401000 r--p 00000000 00:0e 77                         anon_inode:[perf_event]\n"
"7ffd5a6b0000-7ffd5a6d1000 rw-p 00000000 00:00 0                          [stack]\n"
"7ffd5a7e4000-7ffd5a7e8000 r--p 00000000 00:00 0                          [vvar]\n"
"7ffd5a7e8000-7ffd5a7ea000 r-xp 00000000 00:00 0                          [vdso]\n"
"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

static void test_parse_realistic(void **state)
{
	static const char *const names[] = {
		"my prog", "my prog", "[heap]", "anon", "anon", "libc.so.6",
		"memfd:ring buf (deleted)", "old data.bin (deleted)",
		"[anon:jemalloc]", "anon_inode:[perf_event]", "[stack]",
		"[vvar]", "[vdso]",
	};
	struct mapping *m;
	size_t nr, i;

	(void)state;
	assert_int_equal(procmaps_parse_text(maps_text, &m, &nr), 0);
	/* every line but [vsyscall] */
	assert_int_equal(nr, 13);
	for (i = 0; i < nr; i++)
		assert_string_equal(m[i].name, names[i]);
	assert_int_equal(m[0].start, 0x55d0c8a00000ULL);
	assert_int_equal(m[0].end, 0x55d0c8a02000ULL);
	assert_int_equal(m[12].start, 0x7ffd5a7e8000ULL);
	assert_int_equal(m[12].end, 0x7ffd5a7ea000ULL);

	assert_ptr_equal(procmaps_find(m, nr, 0x55d0c9e3e000ULL), &m[2]);
	assert_ptr_equal(procmaps_find(m, nr, 0x7f3a21e27fffULL), &m[5]);
	assert_ptr_equal(procmaps_find(m, nr, 0x7ffd5a7e9000ULL), &m[12]);
	assert_null(procmaps_find(m, nr, 0x7f3a21e28000ULL));
	assert_null(procmaps_find(m, nr, 0x1000));
	assert_null(procmaps_find(m, nr, 0xffffffffff600000ULL));
	assert_null(procmaps_find(m, 0, 0x55d0c9e3e000ULL));
	free(m);
}

static void test_parse_edge(void **state)
{
	char text[512];
	struct mapping *m;
	size_t nr;

	(void)state;
	assert_int_equal(procmaps_parse_text("", &m, &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(m);

	/* no trailing newline; a path of one long name is cut to fit */
	snprintf(text, sizeof(text), "1000-2000 rw-p 00000000 08:02 42 /d/%s",
		 "a-very-long-file-name-that-goes-on-and-on-and-on-well-past-"
		 "sixty-four-bytes.so");
	assert_int_equal(procmaps_parse_text(text, &m, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(strlen(m[0].name), 63);
	assert_memory_equal(m[0].name, "a-very-long-file-name", 21);
	free(m);

	/* a cut never splits a UTF-8 character: "xy" and 32 two-byte 'é' */
	strcpy(text, "1000-2000 rw-p 00000000 08:02 42 /xy");
	strcat(text, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	assert_int_equal(procmaps_parse_text(text, &m, &nr), 0);
	assert_int_equal(strlen(m[0].name), 62);
	assert_int_equal((unsigned char)m[0].name[61], 0xa9);
	free(m);

	/* a root directory mapping keeps its path */
	assert_int_equal(procmaps_parse_text(
		"1000-2000 r--p 00000000 08:02 42 /\n", &m, &nr), 0);
	assert_string_equal(m[0].name, "/");
	free(m);
}

static void test_parse_malformed(void **state)
{
	static const char *const bad[] = {
		"garbage\n",
		"2000-1000 rw-p 00000000 00:00 0\n",	/* end before start */
		"1000-1000 rw-p 00000000 00:00 0\n",	/* empty */
		"1000 2000 rw-p 00000000 00:00 0\n",
		"1000-2000 rw-p 00000000 00:00\n",	/* no inode */
		"1000-2000 rw 00000000 00:00 0\n",	/* short perms */
		"1000-2000 rw-p 00000000 0000 0\n",	/* no device minor */
		"1000-2000 rw-p 00000000 00:00 0x\n",
		"1000-2000 rw-p zz 00:00 0\n",
		"-1000-2000 rw-p 00000000 00:00 0\n",
		"1000-2000 rw-p 00000000 00:00 0\n1000-\n", /* bad 2nd line */
	};
	struct mapping *m = (void *)1;
	size_t nr = 1, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (procmaps_parse_text(bad[i], &m, &nr) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		/* nothing half-parsed comes back */
		assert_null(m);
		assert_int_equal(nr, 0);
	}
}

static int marker_fn(void)
{
	return 42;
}

static void test_read_self(void **state)
{
	char exe[PATH_MAX];
	const struct mapping *hit;
	struct addr_range r[3];
	struct mapping *m;
	size_t nr, n, i;
	ssize_t len;
	int local = marker_fn();
	uint64_t code = (uint64_t)(uintptr_t)&marker_fn;
	uint64_t stack = (uint64_t)(uintptr_t)&local;

	(void)state;
	assert_int_equal(procmaps_read(getpid(), &m, &nr), 0);
	assert_true(nr > 5);
	for (i = 1; i < nr; i++) {
		assert_true(m[i - 1].end <= m[i].start);
		assert_true(m[i].start < m[i].end);
		assert_true(m[i].name[0] != '\0');
	}

	/* our code lies in a mapping named after our executable */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(len > 0);
	exe[len] = '\0';
	hit = procmaps_find(m, nr, code);
	assert_non_null(hit);
	assert_string_equal(hit->name, basename(exe));
	hit = procmaps_find(m, nr, stack);
	assert_non_null(hit);
	assert_string_equal(hit->name, "[stack]");
	assert_null(procmaps_find(m, nr, 0xffffffffff600000ULL));

	/* DAMON's three regions of ourselves cover code and stack */
	assert_int_equal(regions_three_ranges(m, nr, r, &n), 0);
	assert_int_equal(n, 3);
	assert_true(code >= r[0].start && code < r[2].end);
	assert_true(stack >= r[2].start && stack < r[2].end);
	free(m);
}

static void test_read_gone(void **state)
{
	struct mapping *m = (void *)1;
	size_t nr = 1;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	assert_int_equal(procmaps_read(pid, &m, &nr), -ESRCH);
	assert_null(m);
	assert_int_equal(nr, 0);
	assert_int_equal(procmaps_read(0, &m, &nr), -ESRCH);
	assert_int_equal(procmaps_read(-5, &m, &nr), -ESRCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_realistic),
		cmocka_unit_test(test_parse_edge),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_gone),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
