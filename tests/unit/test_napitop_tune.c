// SPDX-License-Identifier: GPL-2.0
/*
 * napitop --set's words: NAME=VALUE parsed into a configuration (every
 * refusal a line naming what is wrong), values as people read them, and
 * a device's sysfs files read and written in a tree shaped like
 * /sys/class/net (a kernel with some of the files, none, a device that
 * is not there).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define TMPDIR_NAME "napitop-tune"
#include "tmpdir.h"

#include "../../src/napitop/tune.h"

static void test_parse(void **state)
{
	struct netdev_napi_conf c = NETDEV_NAPI_CONF_NONE;
	char err[256];

	(void)state;
	assert_int_equal(tune_parse("defer-hard-irqs=2", &c, err, sizeof(err)), 0);
	assert_int_equal(tune_parse("gro-flush-timeout=200us", &c, err, sizeof(err)), 0);
	assert_int_equal(tune_parse("irq-suspend-timeout=20000", &c, err, sizeof(err)), 0);
	assert_int_equal(tune_parse("threaded=on", &c, err, sizeof(err)), 0);
	assert_int_equal(c.defer_hard_irqs, 2);
	assert_int_equal(c.gro_flush_timeout_ns, 200000);
	assert_int_equal(c.irq_suspend_timeout_ns, 20000);	/* a bare number: ns */
	assert_int_equal(c.threaded, 1);
	assert_int_equal(tune_parse("defer-hard-irqs=2147483647", &c, err, sizeof(err)), 0);
	assert_int_equal(tune_parse("threaded=busy-poll", &c, err, sizeof(err)), 0);
	assert_int_equal(c.threaded, 2);

	/* each refusal says what is wrong, in one line, and changes nothing */
	c = (struct netdev_napi_conf)NETDEV_NAPI_CONF_NONE;
	assert_int_equal(tune_parse("defer=1", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown attribute 'defer'"));
	assert_int_equal(tune_parse("defer-hard-irqs", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a value"));
	assert_int_equal(tune_parse("defer-hard-irqs=", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(tune_parse("defer-hard-irqs=2147483648", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "from 0 to 2147483647"));
	assert_int_equal(tune_parse("defer-hard-irqs=-1", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(tune_parse("gro-flush-timeout=soon", &c, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a duration"));
	assert_int_equal(tune_parse("threaded=maybe", &c, err, sizeof(err)), -EINVAL);
	assert_null(strchr(err, '\n'));
	assert_true(c.defer_hard_irqs == -1 && c.gro_flush_timeout_ns == -1 &&
		    c.irq_suspend_timeout_ns == -1 && c.threaded == -1);
}

static void test_format(void **state)
{
	char buf[24];

	(void)state;
	assert_string_equal(tune_format(TUNE_DEFER_HARD_IRQS, 2, buf, sizeof(buf)), "2");
	assert_string_equal(tune_format(TUNE_GRO_FLUSH_TIMEOUT, 200000, buf, sizeof(buf)),
			    "200 us");
	assert_string_equal(tune_format(TUNE_THREADED, 1, buf, sizeof(buf)), "on");
	assert_string_equal(tune_format(TUNE_IRQ_SUSPEND_TIMEOUT, -1, buf, sizeof(buf)), "-");
	assert_string_equal(tune_attr_name(TUNE_IRQ_SUSPEND_TIMEOUT), "irq-suspend-timeout");
}

static void test_device(void **state)
{
	struct netdev_napi_conf c, want = NETDEV_NAPI_CONF_NONE;
	char net[256], err[256];

	(void)state;
	mkdir(test_path("net"), 0755);
	mkdir(test_path("net/vb"), 0755);
	test_put("net/vb/napi_defer_hard_irqs", "0\n");
	test_put("net/vb/gro_flush_timeout", "20000\n");
	test_put("net/vb/threaded", "0\n");
	snprintf(net, sizeof(net), "%s", test_path("net"));
	assert_int_equal(tune_device_read(net, "vb", &c), 0);
	assert_int_equal(c.defer_hard_irqs, 0);
	assert_int_equal(c.gro_flush_timeout_ns, 20000);
	assert_int_equal(c.irq_suspend_timeout_ns, -1);		/* no file, ever */
	assert_int_equal(c.threaded, 0);

	/* written as the kernel reads them */
	want.defer_hard_irqs = 2;
	want.gro_flush_timeout_ns = 200000;
	assert_int_equal(tune_device_write(net, "vb", &want, err, sizeof(err)), 0);
	assert_string_equal(test_slurp("net/vb/napi_defer_hard_irqs"), "2\n");
	assert_string_equal(test_slurp("net/vb/gro_flush_timeout"), "200000\n");
	assert_string_equal(test_slurp("net/vb/threaded"), "0\n");		/* not asked */

	/* a kernel with only some files; none; no such device */
	mkdir(test_path("net/old"), 0755);
	test_put("net/old/gro_flush_timeout", "0\n");
	assert_int_equal(tune_device_read(net, "old", &c), 0);
	assert_int_equal(c.defer_hard_irqs, -1);
	assert_int_equal(c.gro_flush_timeout_ns, 0);
	mkdir(test_path("net/bare"), 0755);
	assert_int_equal(tune_device_read(net, "bare", &c), -ENOENT);
	assert_int_equal(tune_device_read(net, "gone", &c), -ENOENT);
	assert_int_equal(tune_device_read(net, "../net", &c), -ENODEV);
	assert_int_equal(tune_device_write(net, "bare", &want, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "napi_defer_hard_irqs"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_device),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
