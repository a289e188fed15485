// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's polling threads from the kernel's own accounting: a tree
 * shaped like /proc (napi/ and ksoftirqd/ threads among others, their
 * schedstat and stat) read at the start, counted from there; a kthread
 * seen polling later added, from 0 when it started after napitop; a
 * thread gone keeps its figures; and the real /proc read as it is.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TMPDIR_NAME "napitop-threads"
#include "tmpdir.h"

#include "clock.h"
#include "../../src/napitop/threads.h"

/* proc/PID with its comm, schedstat and a stat starting at @start_ticks */
static void thread(int pid, const char *comm, unsigned long long run_ns,
		   unsigned long long runs, unsigned long long start_ticks)
{
	char path[64], text[256];

	snprintf(path, sizeof(path), "proc/%d", pid);
	mkdir(test_path(path), 0755);
	snprintf(path, sizeof(path), "proc/%d/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	test_put(path, text);
	snprintf(path, sizeof(path), "proc/%d/schedstat", pid);
	snprintf(text, sizeof(text), "%llu 0 %llu\n", run_ns, runs);
	test_put(path, text);
	snprintf(path, sizeof(path), "proc/%d/stat", pid);
	snprintf(text, sizeof(text), "%d (%s) S 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 20 0 1 0 "
		 "%llu 0 0\n", pid, comm, start_ticks);
	test_put(path, text);
}

static const struct nt_thread_row *row(const struct nt_thread_row *r, size_t nr, uint32_t pid)
{
	for (size_t i = 0; i < nr; i++)
		if (r[i].pid == pid)
			return &r[i];
	return NULL;
}

static void test_threads(void **state)
{
	unsigned long long now = clock_ns(CLOCK_BOOTTIME) / (1000000000ull / sysconf(_SC_CLK_TCK));
	struct nt_thread_row *r;
	struct nt_threads *t;
	char proc[256];
	size_t nr;

	(void)state;
	mkdir(test_path("proc"), 0755);
	thread(14, "ksoftirqd/0", 5000, 40, 1);
	thread(300, "napi/eth0-8193", 7000, 9, 1);
	thread(1, "systemd", 9000, 99, 1);		/* not a polling thread */
	test_put("proc/self", "");			/* not a pid */
	snprintf(proc, sizeof(proc), "%s", test_path("proc"));
	t = nt_threads_new(proc);
	assert_non_null(t);
	/* what napi_poll's program tells ksoftirqd polls by */
	assert_int_equal(nt_threads_ksoftirqd(t, 0), 14);
	assert_int_equal(nt_threads_ksoftirqd(t, 1), 0);

	/* counted from the start */
	thread(14, "ksoftirqd/0", 5600, 43, 1);
	thread(300, "napi/eth0-8193", 7000, 9, 1);
	/* a kthread made since (napitop --threaded on), seen polling */
	thread(400, "napi/vb-385", 2500, 5, now + 100);
	/* one that was there before but not found at the start: from now */
	thread(401, "napi/vb-386", 800, 2, 1);
	nt_threads_watch(t, 400);
	nt_threads_watch(t, 401);
	nt_threads_watch(t, 400);			/* once */
	thread(401, "napi/vb-386", 1000, 3, 1);
	assert_int_equal(nt_threads_read(t, &r, &nr), 0);
	assert_int_equal(nr, 4);
	assert_null(row(r, nr, 1));
	assert_int_equal(row(r, nr, 14)->t.run_ns, 600);
	assert_int_equal(row(r, nr, 14)->t.switches, 3);
	assert_string_equal(row(r, nr, 14)->t.comm, "ksoftirqd/0");
	assert_int_equal(row(r, nr, 300)->t.run_ns, 0);
	assert_int_equal(row(r, nr, 400)->t.run_ns, 2500);
	assert_int_equal(row(r, nr, 401)->t.run_ns, 200);
	free(r);

	/* gone: its last figures stay */
	unlink(test_path("proc/14/schedstat"));
	unlink(test_path("proc/14/stat"));
	assert_int_equal(nt_threads_read(t, &r, &nr), 0);
	assert_int_equal(row(r, nr, 14)->t.run_ns, 600);
	assert_int_equal(nt_threads_lost(t), 0);
	free(r);

	/* its pid another process's now (another start): not that one's
	 * time; and a pid that is no polling thread is not watched */
	thread(401, "kworker/0:1", 10, 1, now + 500);
	nt_threads_watch(t, 1);
	assert_int_equal(nt_threads_read(t, &r, &nr), 0);
	assert_int_equal(nr, 4);
	assert_int_equal(row(r, nr, 401)->t.run_ns, 200);
	assert_string_equal(row(r, nr, 401)->t.comm, "napi/vb-386");
	assert_null(row(r, nr, 1));
	free(r);

	/* no schedstat (no CONFIG_SCHED_INFO): utime and stime, in ticks */
	unlink(test_path("proc/300/schedstat"));
	test_put("proc/300/stat", "300 (napi/eth0 (x)) S 2 0 0 0 -1 69238880 0 0 0 0 3 4 0 0 "
		 "20 0 1 0 1 0 0\n");
	assert_int_equal(nt_threads_read(t, &r, &nr), 0);
	assert_int_equal(row(r, nr, 300)->t.run_ns,
			 7 * (1000000000ull / sysconf(_SC_CLK_TCK)) - 7000);
	free(r);
	nt_threads_free(t);
}

/* This machine: every CPU has its ksoftirqd */
static void test_live(void **state)
{
	struct nt_threads *t = nt_threads_new("/proc");
	struct nt_thread_row *r;
	size_t nr, ksoftirqd = 0;

	(void)state;
	assert_non_null(t);
	assert_int_equal(nt_threads_read(t, &r, &nr), 0);
	for (size_t i = 0; i < nr; i++)
		ksoftirqd += !strncmp(r[i].t.comm, "ksoftirqd/", 10);
	assert_int_equal(ksoftirqd, sysconf(_SC_NPROCESSORS_ONLN));
	for (long c = 0; c < sysconf(_SC_NPROCESSORS_ONLN); c++) {
		char path[64], comm[32] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%u/comm", nt_threads_ksoftirqd(t, c));
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(comm, sizeof(comm), f));
		fclose(f);
		snprintf(path, sizeof(path), "ksoftirqd/%ld\n", c);
		assert_string_equal(comm, path);
	}
	free(r);
	nt_threads_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_live),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
