// SPDX-License-Identifier: GPL-2.0
/*
 * Asking the running kernel's BTF what it has: a member of a struct (how
 * coretop asks for core scheduling) and a function (how damontop asks for
 * DAMON vaddr), against names every kernel with BTF has and names none has.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "probe.h"

static void need_btf(void)
{
	if (!probe_kernel_btf())
		skip();	/* no /sys/kernel/btf/vmlinux: nothing to ask */
}

static void test_member(void **state)
{
	(void)state;
	need_btf();
	assert_true(probe_kernel_member("task_struct", "pid"));
	assert_true(probe_kernel_member("task_struct", "tgid"));
	assert_false(probe_kernel_member("task_struct", "no_such_member"));
	assert_false(probe_kernel_member("task_struct", "pi"));	/* whole names only */
	assert_false(probe_kernel_member("no_such_struct_kscope", "pid"));
	/* a function is no struct */
	assert_false(probe_kernel_member("schedule", "pid"));
}

static void test_func(void **state)
{
	(void)state;
	need_btf();
	assert_true(probe_kernel_func("schedule"));
	assert_false(probe_kernel_func("no_such_function_kscope"));
	assert_false(probe_kernel_func("task_struct"));	/* a struct is no function */
}

static void test_enum_value(void **state)
{
	long long v = -1;

	(void)state;
	need_btf();
	/* a named enum's, and an anonymous one's (napi_struct's state bits) */
	assert_int_equal(probe_kernel_enum_value("TASK_COMM_LEN", &v), 0);
	assert_int_equal(v, 16);
	v = -1;
	assert_int_equal(probe_kernel_enum_value("NAPI_STATE_SCHED", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(probe_kernel_enum_value("NO_SUCH_ENUMERATOR_KSCOPE", &v), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_func),
		cmocka_unit_test(test_enum_value),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
