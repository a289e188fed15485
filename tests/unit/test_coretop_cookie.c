// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for coretop cookie's pure parts: the command line (every
 * subcommand's forms, the default scope, the command after "--") and its
 * refusals, each naming the bad token; the scopes being the kernel's
 * PR_SCHED_CORE_SCOPE_* values; the line for each errno the kernel gives;
 * and cookie_main() turning bad input into exactly one error line and a
 * non-zero exit before any system call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/prctl.h>

#include "../../src/coretop/cookie.h"

/* What the last quiet_main() said on stderr: how many lines, the last
 * one without the program's name */
static int nr_errors;
static char last_error[512];

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
/* cookie_parse on a literal argument list */
#define PARSE(r, err, ...) \
	cookie_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (r), (err), sizeof(err))

static void test_scopes(void **state)
{
	enum cookie_scope s = COOKIE_SCOPE_PGID;
	static const char *const bad[] = {
		"", "TGID", "tgid ", " tgid", "process", "pid", "thread-group", "0",
	};
	size_t i;

	(void)state;
	/* the values go to the kernel as they are */
	assert_int_equal(cookie_parse_scope("thread", &s), 0);
	assert_int_equal(s, PR_SCHED_CORE_SCOPE_THREAD);
	assert_int_equal(cookie_parse_scope("tgid", &s), 0);
	assert_int_equal(s, PR_SCHED_CORE_SCOPE_THREAD_GROUP);
	assert_int_equal(cookie_parse_scope("pgid", &s), 0);
	assert_int_equal(s, PR_SCHED_CORE_SCOPE_PROCESS_GROUP);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s = COOKIE_SCOPE_THREAD;
		if (cookie_parse_scope(bad[i], &s) != -EINVAL)
			fail_msg("scope '%s' accepted", bad[i]);
		assert_int_equal(s, COOKIE_SCOPE_THREAD);
	}
	assert_int_equal(cookie_parse_scope(NULL, &s), -EINVAL);
	/* names round-trip */
	for (i = COOKIE_SCOPE_THREAD; i <= COOKIE_SCOPE_PGID; i++) {
		assert_int_equal(cookie_parse_scope(cookie_scope_name(i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(cookie_scope_name((enum cookie_scope)7), "?");
}

static void test_pids(void **state)
{
	static const char *const bad[] = {
		"", "0", "00", "-1", "+1", " 1", "1 ", "0x10", "12a", "1.0",
		"2147483648", "99999999999999999999", "pid",
	};
	pid_t pid;
	size_t i;

	(void)state;
	assert_int_equal(cookie_parse_pid("1", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(cookie_parse_pid("4242", &pid), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(cookie_parse_pid("007", &pid), 0);
	assert_int_equal(pid, 7);
	assert_int_equal(cookie_parse_pid("2147483647", &pid), 0);
	assert_int_equal(pid, 2147483647);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pid = 5;
		if (cookie_parse_pid(bad[i], &pid) != -EINVAL)
			fail_msg("pid '%s' accepted", bad[i]);
		assert_int_equal(pid, 5);
	}
	assert_int_equal(cookie_parse_pid(NULL, &pid), -EINVAL);
}

static void test_parse_forms(void **state)
{
	struct cookie_req r;
	char err[256] = "";
	char *cmd[] = { "cookie", "create", "--scope", "thread", "--", "sh", "-c", "x", NULL };
	char *sf[] = { "cookie", "share-from", "77", "--", "env", "--", "--scope", NULL };

	(void)state;
	assert_int_equal(PARSE(&r, err, "cookie", "get", "4242"), 0);
	assert_int_equal(r.cmd, COOKIE_GET);
	assert_int_equal(r.pid, 4242);
	assert_null(r.command);
	assert_false(r.help);

	/* tgid is the default scope, as in coresched */
	assert_int_equal(PARSE(&r, err, "cookie", "create", "12"), 0);
	assert_int_equal(r.cmd, COOKIE_CREATE);
	assert_int_equal(r.scope, COOKIE_SCOPE_TGID);
	assert_int_equal(r.pid, 12);
	assert_int_equal(PARSE(&r, err, "cookie", "create", "--scope", "pgid", "12"), 0);
	assert_int_equal(r.scope, COOKIE_SCOPE_PGID);
	assert_int_equal(PARSE(&r, err, "cookie", "create", "12", "--scope=thread"), 0);
	assert_int_equal(r.scope, COOKIE_SCOPE_THREAD);
	assert_int_equal(r.pid, 12);

	/* the command is everything after the first "--", options included */
	assert_int_equal(cookie_parse(8, cmd, &r, err, sizeof(err)), 0);
	assert_int_equal(r.cmd, COOKIE_CREATE);
	assert_int_equal(r.scope, COOKIE_SCOPE_THREAD);
	assert_int_equal(r.pid, 0);
	assert_ptr_equal(r.command, cmd + 5);
	assert_null(r.command[3]);
	assert_int_equal(cookie_parse(7, sf, &r, err, sizeof(err)), 0);
	assert_int_equal(r.cmd, COOKIE_SHARE_FROM);
	assert_int_equal(r.src, 77);
	assert_int_equal(r.pid, 0);
	assert_ptr_equal(r.command, sf + 4);
	assert_string_equal(r.command[1], "--");
	/* a command that looks like a pid is a command after "--" */
	assert_int_equal(PARSE(&r, err, "cookie", "create", "--", "12"), 0);
	assert_int_equal(r.pid, 0);
	assert_string_equal(r.command[0], "12");

	assert_int_equal(PARSE(&r, err, "cookie", "share-to", "--from", "3", "9"), 0);
	assert_int_equal(r.cmd, COOKIE_SHARE_TO);
	assert_int_equal(r.src, 3);
	assert_int_equal(r.pid, 9);
	assert_int_equal(r.scope, COOKIE_SCOPE_TGID);
	assert_int_equal(PARSE(&r, err, "cookie", "share-to", "9", "--scope", "thread",
			       "--from=3"), 0);
	assert_int_equal(r.src, 3);
	assert_int_equal(r.pid, 9);
	assert_int_equal(r.scope, COOKIE_SCOPE_THREAD);

	assert_int_equal(PARSE(&r, err, "cookie", "--help"), 0);
	assert_true(r.help);
	assert_int_equal(PARSE(&r, err, "cookie", "share-to", "-h"), 0);
	assert_true(r.help);
}

/* Each refusal: -EINVAL and a line that contains @want. */
static void check_refused(int argc, char **argv, const char *want)
{
	struct cookie_req r;
	char err[256];

	memset(err, 0, sizeof(err));
	if (cookie_parse(argc, argv, &r, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s %s ...' accepted", argv[1] ? argv[1] : "", argc > 2 ? argv[2] : "");
	if (!strstr(err, want))
		fail_msg("'%s': want '%s'", err, want);
	assert_null(strchr(err, '\n'));
}

#define REFUSED(want, ...) check_refused(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (want))

static void test_parse_refused(void **state)
{
	(void)state;
	check_refused(1, ARGV("cookie"), "no subcommand");
	REFUSED("unknown subcommand 'list'", "cookie", "list");
	REFUSED("unknown subcommand 'GET'", "cookie", "GET", "1");
	REFUSED("cookie get: no PID", "cookie", "get");
	REFUSED("cookie get: bad pid 'abc'", "cookie", "get", "abc");
	REFUSED("cookie get: bad pid '0'", "cookie", "get", "0");
	REFUSED("cookie get: bad pid '-1'", "cookie", "get", "-1");
	REFUSED("cookie get: bad pid '99999999999'", "cookie", "get", "99999999999");
	REFUSED("unexpected argument '2'", "cookie", "get", "1", "2");
	REFUSED("unknown option '--foo'", "cookie", "get", "--foo", "1");
	REFUSED("unknown option '-x'", "cookie", "create", "-x", "1");
	REFUSED("get takes no --scope", "cookie", "get", "--scope", "thread", "1");
	REFUSED("get takes no COMMAND", "cookie", "get", "--", "ls");
	REFUSED("bad scope 'process' (thread, tgid or pgid)",
		"cookie", "create", "--scope", "process", "1");
	REFUSED("bad scope ''", "cookie", "create", "--scope=", "1");
	REFUSED("option '--scope' needs a value", "cookie", "create", "--scope");
	REFUSED("option '--scope' needs a value", "cookie", "create", "--scope", "--", "ls");
	REFUSED("give a PID or -- COMMAND", "cookie", "create");
	REFUSED("give a PID or -- COMMAND", "cookie", "create", "--scope", "thread");
	REFUSED("not both", "cookie", "create", "1", "--", "ls");
	REFUSED("bad pid 'ls' (a COMMAND goes after --)", "cookie", "create", "ls");
	REFUSED("no COMMAND after --", "cookie", "create", "--");
	REFUSED("--scope pgid needs a PID", "cookie", "create", "--scope", "pgid", "--", "ls");
	REFUSED("--from is for share-to", "cookie", "create", "--from", "1", "2");
	REFUSED("share-to: no --from SRC", "cookie", "share-to", "1");
	REFUSED("share-to: no PID", "cookie", "share-to", "--from", "1");
	REFUSED("bad pid 'x' for --from", "cookie", "share-to", "--from", "x", "1");
	REFUSED("option '--from' needs a value", "cookie", "share-to", "1", "--from");
	REFUSED("share-to takes no COMMAND", "cookie", "share-to", "--from", "1", "2", "--", "ls");
	REFUSED("bad scope 'all'", "cookie", "share-to", "--scope", "all", "--from", "1", "2");
	REFUSED("share-from: no SRC", "cookie", "share-from", "--", "ls");
	REFUSED("share-from: no -- COMMAND", "cookie", "share-from", "1");
	REFUSED("unexpected argument '2'", "cookie", "share-from", "1", "2");
	REFUSED("share-from takes no --scope",
		"cookie", "share-from", "--scope", "tgid", "1", "--", "ls");
	REFUSED("share-from: bad pid 'x'", "cookie", "share-from", "x", "--", "ls");
}

static void check_msg(int err, pid_t pid, enum cookie_scope scope, const char *want)
{
	char buf[256];

	memset(buf, 'x', sizeof(buf));
	cookie_strerror(buf, sizeof(buf), err, pid, scope);
	assert_string_equal(buf, want);
}

static void test_errno_lines(void **state)
{
	char small[16];

	(void)state;
	/* the answers the kernel gives, as the user should read them */
	check_msg(EINVAL, 1, COOKIE_SCOPE_TGID,
		  "core scheduling is not built into this kernel (CONFIG_SCHED_CORE)");
	check_msg(ENODEV, 1, COOKIE_SCOPE_TGID,
		  "this machine has no SMT siblings: core scheduling has nothing to isolate");
	check_msg(ESRCH, 4242, COOKIE_SCOPE_TGID, "no process 4242");
	check_msg(EPERM, 7, COOKIE_SCOPE_THREAD,
		  "permission denied on pid 7: core scheduling needs ptrace access to it "
		  "(same user, or CAP_SYS_PTRACE)");
	check_msg(EPERM, 7, COOKIE_SCOPE_TGID,
		  "permission denied on pid 7: core scheduling needs ptrace access to "
		  "every thread of its process (same user, or CAP_SYS_PTRACE)");
	check_msg(EPERM, 7, COOKIE_SCOPE_PGID,
		  "permission denied on pid 7: core scheduling needs ptrace access to "
		  "every process of its process group (same user, or CAP_SYS_PTRACE)");
	check_msg(ENOMEM, 7, COOKIE_SCOPE_TGID, "out of memory for a new cookie");
	check_msg(EIO, 9, COOKIE_SCOPE_TGID, "pid 9: Input/output error");
	/* a short buffer is cut and terminated */
	memset(small, 'x', sizeof(small));
	cookie_strerror(small, 10, ESRCH, 4242, COOKIE_SCOPE_THREAD);
	assert_string_equal(small, "no proces");
	assert_int_equal(small[10], 'x');
}

/* cookie_main with stdout sent to /dev/null (the usage would mix into
 * TAP) and stderr to a file, read back into nr_errors and last_error */
static int quiet_main(int argc, char **argv)
{
	int out, err, null, rc;
	char line[512];
	FILE *f = tmpfile();

	assert_non_null(f);
	fflush(stdout);
	fflush(stderr);
	out = dup(1);
	err = dup(2);
	null = open("/dev/null", O_WRONLY);
	assert_true(out >= 0 && err >= 0 && null >= 0);
	dup2(null, 1);
	dup2(fileno(f), 2);
	close(null);
	rc = cookie_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(out, 1);
	dup2(err, 2);
	close(out);
	close(err);
	rewind(f);
	nr_errors = 0;
	while (fgets(line, sizeof(line), f)) {
		char *msg = strstr(line, ": ");

		line[strcspn(line, "\n")] = 0;
		snprintf(last_error, sizeof(last_error), "%s", msg ? msg + 2 : line);
		nr_errors++;
	}
	fclose(f);
	return rc;
}

#define MAIN(...) quiet_main(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_main_bad_input(void **state)
{
	struct cookie_req r;
	char err[256];

	(void)state;
	/* exactly one line, the parser's, and a non-zero exit: before any
	 * prctl, so these hold on every kernel */
	assert_int_not_equal(MAIN("cookie", "create", "--scope", "bogus", "1"), 0);
	assert_int_equal(nr_errors, 1);
	assert_int_equal(PARSE(&r, err, "cookie", "create", "--scope", "bogus", "1"), -EINVAL);
	assert_string_equal(last_error, err);

	assert_int_not_equal(MAIN("cookie", "frobnicate"), 0);
	assert_int_equal(nr_errors, 1);
	assert_non_null(strstr(last_error, "'frobnicate'"));

	assert_int_not_equal(MAIN("cookie", "share-from", "1"), 0);
	assert_int_equal(nr_errors, 1);

	assert_int_equal(MAIN("cookie", "--help"), 0);
	assert_int_equal(nr_errors, 0);
	assert_int_equal(MAIN("cookie", "get", "--help"), 0);
	assert_int_equal(nr_errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scopes),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_errno_lines),
		cmocka_unit_test(test_main_bad_input),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
