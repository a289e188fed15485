// SPDX-License-Identifier: GPL-2.0
/*
 * errmsg: the one-line message buffer every loader and driver fills.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_truncates),
		cmocka_unit_test(test_no_buffer),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
