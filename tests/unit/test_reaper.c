// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the reaper: a "tool" (a forked child) arms undos that
 * append a line to a file, then dies: by SIGKILL, by a signal to its
 * whole process group, or by exiting normally.  The file says which undos
 * ran and in what order; a pipe says whether the reaper kept the tool's
 * descriptors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reaper.h"

#define TMPDIR_NAME "reaper"
#include "tmpdir.h"

/* The undo of the tests: appends its argument, a line, to the log. */
static void append_line(const void *data, size_t len)
{
	int fd = open(test_path("log"), O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd >= 0) {
		/* a short write shows as a wrong log */
		(void)!write(fd, data, len);
		close(fd);
	}
}

static int arm_line(const char *line)
{
	return reaper_arm(append_line, line, strlen(line));
}

/* The log once it holds @want bytes (5 s at most), as a string. */
static const char *log_after(size_t want)
{
	static char buf[256];
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	ssize_t n = 0;
	int i, fd;

	for (i = 0; i < 500; i++) {
		fd = open(test_path("log"), O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n >= (ssize_t)want)
				break;
		}
		nanosleep(&tick, NULL);
	}
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A tool: runs @arms in a child of its own process group, which then
 * tells us (one byte on @ready) and waits to be killed, or exits when
 * @exit_normally.  @arms exits 2 when something fails (no byte sent). */
static pid_t tool(void (*arms)(void), int ready, int exit_normally)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		/* a shell may have started us with ^C ignored: the tool dies of it */
		signal(SIGINT, SIG_DFL);
		arms();
		if (write(ready, "r", 1) != 1 || exit_normally)
			_exit(0);
		for (;;)
			pause();
	}
	return pid;
}

static void start(void (*arms)(void), int exit_normally, int sig, int group)
{
	int p[2], st;
	char c;
	pid_t pid;

	unlink(test_path("log"));
	assert_int_equal(pipe(p), 0);
	pid = tool(arms, p[1], exit_normally);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	if (sig)
		assert_int_equal(kill(group ? -pid : pid, sig), 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
}

static void arm_two(void)
{
	if (arm_line("first\n") <= 0 || arm_line("second\n") <= 0)
		_exit(2);
}

static void test_sigkill_runs_every_undo_newest_first(void **state)
{
	(void)state;
	start(arm_two, 0, SIGKILL, 0);
	assert_string_equal(log_after(13), "second\nfirst\n");
}

static void test_group_signal_does_not_reach_it(void **state)
{
	(void)state;
	/* ^C in a terminal, or kill -9 -PGID by a test harness */
	start(arm_two, 0, SIGINT, 1);
	assert_string_equal(log_after(13), "second\nfirst\n");
	start(arm_two, 0, SIGKILL, 1);
	assert_string_equal(log_after(13), "second\nfirst\n");
}

static void arm_three_disarm_two(void)
{
	int a = arm_line("a\n"), b = arm_line("b\n");

	if (a <= 0 || b <= a || arm_line("c\n") <= b)
		_exit(2);
	reaper_disarm(a);
	reaper_disarm(b);
	reaper_disarm(0);	/* a failed arm's id: ignored */
	reaper_disarm(-5);
}

static void test_disarmed_undos_do_not_run(void **state)
{
	(void)state;
	/* a tool that exits with one undo still armed: only that one runs */
	start(arm_three_disarm_two, 1, 0, 0);
	assert_string_equal(log_after(2), "c\n");
	start(arm_three_disarm_two, 0, SIGKILL, 0);
	assert_string_equal(log_after(2), "c\n");
}

static int held[2];

static void arm_holding_a_pipe(void)
{
	close(held[0]);
	if (arm_line("x\n") <= 0)
		_exit(2);
}

static void test_it_keeps_none_of_the_tools_descriptors(void **state)
{
	char c;

	(void)state;
	/* the tool holds a pipe's write end, as it holds BPF links */
	assert_int_equal(pipe(held), 0);
	start(arm_holding_a_pipe, 0, SIGKILL, 0);
	close(held[1]);
	assert_string_equal(log_after(2), "x\n");
	assert_int_equal(read(held[0], &c, 1), 0);	/* EOF: nobody holds it */
	close(held[0]);
}

static void test_too_large_refused(void **state)
{
	static char big[REAPER_MAX_DATA + 1];

	(void)state;
	assert_int_equal(reaper_arm(append_line, big, sizeof(big)), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sigkill_runs_every_undo_newest_first),
		cmocka_unit_test(test_group_signal_does_not_reach_it),
		cmocka_unit_test(test_disarmed_undos_do_not_run),
		cmocka_unit_test(test_it_keeps_none_of_the_tools_descriptors),
		cmocka_unit_test(test_too_large_refused),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
