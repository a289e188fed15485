// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's threaded NAPI switch: the words, reading and writing
 * DEV/threaded in a tree shaped like /sys/class/net (devices in each mode,
 * a kernel without the file, values kscope does not know), the message for
 * every way the kernel refuses a write, and read-only looks at the real
 * /sys/class/net and kernel BTF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPDIR_NAME "napitop-threaded"
#include "tmpdir.h"

#include "../../src/napitop/threaded.h"

/* net/DEV/threaded holding @text; no file when @text is NULL */
static void device(const char *dev, const char *text)
{
	char path[128];

	snprintf(path, sizeof(path), "net/%s", dev);
	mkdir(test_path(path), 0755);
	if (text) {
		snprintf(path, sizeof(path), "net/%s/threaded", dev);
		test_put(path, text);
	}
}

static int group_setup_net(void **state)
{
	if (group_setup(state))
		return -1;
	mkdir(test_path("net"), 0755);
	device("eth0", "0\n");
	device("veth1", "1\n");
	device("bp0", "2\n");
	device("old", NULL);		/* a kernel before threaded NAPI */
	device("future", "3\n");
	device("junk", "on\n");
	device("empty", "");
	test_put("net/bonding_masters", "\n");
	return 0;
}

static void expect_msg(const char *err, const char *msg)
{
	if (!strstr(err, msg))
		fail_msg("'%s' does not say '%s'", err, msg);
	assert_null(strchr(err, '\n'));
}

static void test_words(void **state)
{
	enum threaded_mode m;

	(void)state;
	assert_int_equal(threaded_parse("off", &m), 0);
	assert_int_equal(m, THREADED_OFF);
	assert_int_equal(threaded_parse("0", &m), 0);
	assert_int_equal(m, THREADED_OFF);
	assert_int_equal(threaded_parse("softirq", &m), 0);
	assert_int_equal(m, THREADED_OFF);
	assert_int_equal(threaded_parse("ON", &m), 0);
	assert_int_equal(m, THREADED_ON);
	assert_int_equal(threaded_parse("1", &m), 0);
	assert_int_equal(m, THREADED_ON);
	assert_int_equal(threaded_parse("enabled", &m), 0);
	assert_int_equal(m, THREADED_ON);
	assert_int_equal(threaded_parse("busy-poll", &m), 0);
	assert_int_equal(m, THREADED_BUSY_POLL);
	assert_int_equal(threaded_parse("busy_poll", &m), 0);
	assert_int_equal(m, THREADED_BUSY_POLL);
	assert_int_equal(threaded_parse("2", &m), 0);
	assert_int_equal(m, THREADED_BUSY_POLL);

	m = THREADED_ON;
	assert_int_equal(threaded_parse("3", &m), -EINVAL);
	assert_int_equal(threaded_parse("", &m), -EINVAL);
	assert_int_equal(threaded_parse("onn", &m), -EINVAL);
	assert_int_equal(threaded_parse(" on", &m), -EINVAL);
	assert_int_equal(threaded_parse("busy", &m), -EINVAL);
	assert_int_equal(threaded_parse(NULL, &m), -EINVAL);
	assert_int_equal(m, THREADED_ON);	/* untouched */

	assert_string_equal(threaded_name(THREADED_OFF), "off");
	assert_string_equal(threaded_name(THREADED_ON), "on");
	assert_string_equal(threaded_name(THREADED_BUSY_POLL), "busy-poll");
	assert_string_equal(threaded_name((enum threaded_mode)3), "?");
	assert_string_equal(threaded_name((enum threaded_mode)-1), "?");
	/* every name parses back */
	for (int i = THREADED_OFF; i <= THREADED_BUSY_POLL; i++) {
		assert_int_equal(threaded_parse(threaded_name(i), &m), 0);
		assert_int_equal(m, i);
	}
}

static void test_get(void **state)
{
	enum threaded_mode m = THREADED_BUSY_POLL;
	char err[256], net[256];

	(void)state;
	snprintf(net, sizeof(net), "%s", test_path("net"));
	assert_int_equal(threaded_get(net, "eth0", &m, err, sizeof(err)), 0);
	assert_int_equal(m, THREADED_OFF);
	assert_int_equal(threaded_get(net, "veth1", &m, err, sizeof(err)), 0);
	assert_int_equal(m, THREADED_ON);
	assert_int_equal(threaded_get(net, "bp0", &m, err, sizeof(err)), 0);
	assert_int_equal(m, THREADED_BUSY_POLL);

	assert_int_equal(threaded_get(net, "nope", &m, err, sizeof(err)), -ENODEV);
	expect_msg(err, "no network device 'nope'");
	assert_int_equal(threaded_get(net, "bonding_masters", &m, err, sizeof(err)), -ENODEV);
	expect_msg(err, "no network device 'bonding_masters'");
	assert_int_equal(threaded_get(net, "old", &m, err, sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "this kernel has no threaded NAPI");
	assert_int_equal(threaded_get(net, "future", &m, err, sizeof(err)), -ERANGE);
	expect_msg(err, "'future' is in threaded mode 3, which kscope does not know");
	assert_int_equal(threaded_get(net, "junk", &m, err, sizeof(err)), -EINVAL);
	expect_msg(err, "'on' is not a number");
	assert_int_equal(threaded_get(net, "empty", &m, err, sizeof(err)), -EINVAL);
	expect_msg(err, "is not a number");
	assert_int_equal(m, THREADED_BUSY_POLL);	/* untouched by the errors */

	/* names the kernel would refuse, and ways out of the tree */
	assert_int_equal(threaded_get(net, "..", &m, err, sizeof(err)), -EINVAL);
	expect_msg(err, "bad network device name '..'");
	assert_int_equal(threaded_get(net, "../net/eth0", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, ".", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, "", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, NULL, &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, "eth0:1", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, "a very long nam", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, "sixteen-chars-xx", &m, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_get(net, "fifteen-chars-x", &m, err, sizeof(err)), -ENODEV);

	assert_int_equal(threaded_get(test_path("none"), "eth0", &m, NULL, 0), -ENODEV);
}

static void test_set(void **state)
{
	char err[256], net[256];
	enum threaded_mode m;

	(void)state;
	/* test_path()'s buffers are reused: test_slurp() calls it */
	snprintf(net, sizeof(net), "%s", test_path("net"));
	assert_int_equal(threaded_set(net, "eth0", THREADED_ON, err, sizeof(err)), 0);
	assert_string_equal(test_slurp("net/eth0/threaded"), "1\n");
	assert_int_equal(threaded_get(net, "eth0", &m, err, sizeof(err)), 0);
	assert_int_equal(m, THREADED_ON);
	assert_int_equal(threaded_set(net, "eth0", THREADED_BUSY_POLL, err, sizeof(err)), 0);
	assert_string_equal(test_slurp("net/eth0/threaded"), "2\n");
	assert_int_equal(threaded_set(net, "eth0", THREADED_OFF, err, sizeof(err)), 0);
	assert_string_equal(test_slurp("net/eth0/threaded"), "0\n");

	assert_int_equal(threaded_set(net, "old", THREADED_ON, err, sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "this kernel has no threaded NAPI (no ");
	assert_int_equal(threaded_set(net, "gone", THREADED_ON, err, sizeof(err)), -ENODEV);
	expect_msg(err, "no network device 'gone'");
	assert_int_equal(threaded_set(net, "../x", THREADED_ON, err, sizeof(err)), -EINVAL);
	assert_int_equal(threaded_set(net, "eth0", (enum threaded_mode)3, err, sizeof(err)),
			 -EINVAL);
	expect_msg(err, "no threaded mode 3");
	assert_string_equal(test_slurp("net/eth0/threaded"), "0\n");	/* left alone */

	/* file permissions stop everyone but root */
	if (geteuid()) {
		chmod(test_path("net/veth1/threaded"), 0444);
		assert_int_equal(threaded_set(net, "veth1", THREADED_OFF, err, sizeof(err)),
				 -EACCES);
		expect_msg(err, "setting 'veth1' threaded needs root (CAP_NET_ADMIN)");
	}
}

/* The kernel's refusals, as the write's errno. */
static void test_store_error(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(threaded_store_error("eth0", THREADED_ON, EPERM, 0, err, sizeof(err)),
			 -EPERM);
	expect_msg(err, "setting 'eth0' threaded needs root (CAP_NET_ADMIN): Operation not permitted");

	/* a device without NAPI: lo, ifb, a tun without napi */
	assert_int_equal(threaded_store_error("lo", THREADED_ON, EOPNOTSUPP, 0, err, sizeof(err)),
			 -EOPNOTSUPP);
	expect_msg(err, "'lo' has no NAPI to thread (EOPNOTSUPP)");
	assert_int_equal(threaded_store_error("lo", THREADED_OFF, EOPNOTSUPP, -ENOENT, err,
					      sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "'lo' has no NAPI to thread");
	/* busy-poll where the kernel knows it: the device is to blame */
	assert_int_equal(threaded_store_error("lo", THREADED_BUSY_POLL, EOPNOTSUPP, 1, err,
					      sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "'lo' has no NAPI to thread");
	/* ... where it does not (6.18 and before) */
	assert_int_equal(threaded_store_error("veth1", THREADED_BUSY_POLL, EOPNOTSUPP, 0, err,
					      sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "this kernel has no busy-poll threaded mode (EOPNOTSUPP from 'veth1')");
	/* ... and where the kernel has no BTF to say */
	assert_int_equal(threaded_store_error("veth1", THREADED_BUSY_POLL, EOPNOTSUPP, -ENOENT,
					      err, sizeof(err)), -EOPNOTSUPP);
	expect_msg(err, "'veth1' refused busy-poll (EOPNOTSUPP): it has no NAPI, or this kernel");

	assert_int_equal(threaded_store_error("veth1", THREADED_ON, EINVAL, 0, err, sizeof(err)),
			 -EINVAL);
	expect_msg(err, "'veth1' refused threaded mode 'on' (EINVAL)");
	/* no memory for the kthreads */
	assert_int_equal(threaded_store_error("veth1", THREADED_ON, ENOMEM, 0, err, sizeof(err)),
			 -ENOMEM);
	expect_msg(err, "cannot set 'veth1' threaded mode 'on': Cannot allocate memory");

	/* a small buffer cuts the line, a NULL one is left alone */
	assert_int_equal(threaded_store_error("veth1", THREADED_ON, ENOMEM, 0, err, 8), -ENOMEM);
	assert_string_equal(err, "cannot ");
	assert_int_equal(threaded_store_error("veth1", THREADED_ON, ENOMEM, 0, NULL, 0), -ENOMEM);
}

/* Read only: every device here reads as a mode (or as no NAPI on the
 * first kernels with the file); the kernel's BTF answers the busy-poll
 * question.  Nothing is written. */
static void test_live(void **state)
{
	enum threaded_mode m;
	struct dirent *d;
	char err[256];
	DIR *dir;
	int ret, n = 0;

	(void)state;
	dir = opendir(THREADED_SYSFS_NET);
	if (dir) {
		while ((d = readdir(dir))) {
			if (d->d_name[0] == '.' || !strcmp(d->d_name, "bonding_masters"))
				continue;
			ret = threaded_get(THREADED_SYSFS_NET, d->d_name, &m, err, sizeof(err));
			if (ret && ret != -EOPNOTSUPP)
				fail_msg("%s: %s", d->d_name, err);
			n++;
		}
		closedir(dir);
		assert_true(n > 0);	/* lo at least */
	}
	assert_int_equal(threaded_get(THREADED_SYSFS_NET, "kscope-none0", &m, err, sizeof(err)),
			 -ENODEV);

	ret = threaded_kernel_busy_poll();
	if (!access("/sys/kernel/btf/vmlinux", R_OK))
		assert_true(ret == 0 || ret == 1);
	else
		assert_true(ret < 0);
	print_message("# busy-poll threaded NAPI: %s\n",
		      ret == 1 ? "yes" : ret == 0 ? "no" : "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_store_error),
		cmocka_unit_test(test_live),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup_net, group_teardown);
}
