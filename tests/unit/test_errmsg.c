// SPDX-License-Identifier: GPL-2.0
/*
 * errmsg: the one-line message buffer every loader and driver fills, the
 * first error of a job winning, and the loaders' byte source.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"

static void test_formats(void **state)
{
	char err[32];

	(void)state;
	errmsg(err, sizeof(err), "rule %d: '%s'", 2, "sectors=5-1");
	assert_string_equal(err, "rule 2: 'sectors=5-1'");
}

/* A long message is cut, still terminated, never past the buffer. */
static void test_truncates(void **state)
{
	char err[12];

	(void)state;
	memset(err, 'x', sizeof(err));
	errmsg(err, 8, "%s", "a message longer than the buffer");
	assert_string_equal(err, "a messa");
	assert_int_equal(err[8], 'x');
}

/* Callers that do not want the text pass NULL or a zero length. */
static void test_no_buffer(void **state)
{
	char err[4] = "abc";

	(void)state;
	errmsg(NULL, 16, "ignored %d", 1);
	errmsg(err, 0, "ignored %d", 2);
	assert_string_equal(err, "abc");
}

static void test_first_wins(void **state)
{
	char err[32] = "";
	int ret = 0;

	(void)state;
	assert_int_equal(errmsg_first(&ret, err, sizeof(err), -EINVAL, "bad %s", "header"), -EINVAL);
	assert_int_equal(errmsg_first(&ret, err, sizeof(err), -EIO, "read: %s", "oops"), -EINVAL);
	assert_int_equal(ret, -EINVAL);
	assert_string_equal(err, "bad header");
}

/* The sniffed head first, then the file, in reads of any size. */
static void test_tool_error(void **state)
{
	char line[128], want[128];
	FILE *f = tmpfile();
	int err = dup(2), rc;

	(void)state;
	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), 2);
	rc = tool_error("no process %d", 42);
	fflush(stderr);
	dup2(err, 2);
	close(err);
	assert_int_equal(rc, 1);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	snprintf(want, sizeof(want), "%s: no process 42\n", program_invocation_short_name);
	assert_string_equal(line, want);
	assert_null(fgets(line, sizeof(line), f));	/* one line */
	fclose(f);
}

static void test_bytesrc(void **state)
{
	static const unsigned char head[] = "KSCO";
	struct bytesrc src = { .head = head, .head_len = 4 };
	unsigned char buf[16];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "PREC!", 5), 5);
	close(p[1]);
	src.fd = p[0];
	assert_int_equal(bytesrc_read(&src, buf, 3), 3);
	assert_memory_equal(buf, "KSC", 3);
	assert_int_equal(bytesrc_read(&src, buf, 16), 1);	/* the head's rest */
	assert_int_equal(buf[0], 'O');
	assert_int_equal(bytesrc_read(&src, buf, 16), 5);
	assert_memory_equal(buf, "PREC!", 5);
	assert_int_equal(bytesrc_read(&src, buf, 16), 0);
	close(p[0]);
	src.fd = p[0];
	assert_int_equal(bytesrc_read(&src, buf, 16), -EBADF);
	src = (struct bytesrc){ .head = head, .head_len = 4, .fd = -1 };
	assert_int_equal(bytesrc_read(&src, buf, 16), 4);
	assert_int_equal(bytesrc_read(&src, buf, 16), 0);	/* no file behind */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_no_buffer),
		cmocka_unit_test(test_first_wins),
		cmocka_unit_test(test_tool_error),
		cmocka_unit_test(test_bytesrc),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
