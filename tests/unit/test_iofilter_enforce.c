// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of iofilter's enforcer where no privilege is needed: the
 * tiers given to rules for every combination of what a kernel allows,
 * the gaps said of each, rules refused before anything is loaded (a
 * device-tier cgroup that is not cgroup v2 among them), and unpinning
 * refused outside a bpf filesystem.  Loading and enforcing are tested
 * against real IO by the integration and guest tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../src/iofilter/enforce.h"
#include "cgroupfs.h"

#define BIT(t)		(1u << (t))
#define DISK		(7u << 20)

static struct iof_rule rule(uint32_t action, uint64_t start, uint64_t end, uint32_t ops)
{
	return (struct iof_rule){
		.start = start, .end = end, .dev = DISK, .ops = ops, .action = action,
		.uid = IOF_ANY_UID,
	};
}

static struct iof_probe can(bool bio, bool lsm, bool device, bool kill)
{
	struct iof_probe p = { 0 };

	p.can[IOF_TIER_BIO] = bio;
	p.can[IOF_TIER_LSM] = lsm;
	p.can[IOF_TIER_DEVICE] = device;
	p.can[IOF_TIER_KILL] = kill;
	p.can[IOF_TIER_AUDIT] = true;
	return p;
}

/* The strongest tier available, for deny rules only. */
static void test_strongest_first(void **state)
{
	struct iof_rule r[3] = {
		rule(IOF_DENY, 0, 33, IOF_OP_MODIFY),
		rule(IOF_AUDIT, 0, 33, IOF_OP_MODIFY),
		rule(IOF_ALLOW, 0, 33, IOF_OP_MODIFY),
	};
	struct iof_probe p;

	(void)state;
	r[1].tiers = BIT(IOF_TIER_KILL);	/* stale: cleared */
	p = can(true, true, true, true);
	iof_assign_tiers(r, 3, &p, false);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_BIO));
	assert_int_equal(r[1].tiers, 0);
	assert_int_equal(r[2].tiers, 0);

	p = can(false, true, true, true);
	iof_assign_tiers(r, 3, &p, false);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_LSM));

	p = can(false, false, true, true);
	iof_assign_tiers(r, 3, &p, false);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_KILL));

	p = can(false, false, true, false);
	iof_assign_tiers(r, 3, &p, true);
	assert_int_equal(r[0].tiers, 0);	/* a range: no device tier */
}

/* The device tier joins for whole-device rules that modify, with a cgroup. */
static void test_device_tier(void **state)
{
	struct iof_rule r[4] = {
		rule(IOF_DENY, 0, IOF_SECTOR_MAX, IOF_OP_WRITE),
		rule(IOF_DENY, 0, IOF_SECTOR_MAX, IOF_OP_READ),
		rule(IOF_DENY, 1, IOF_SECTOR_MAX, IOF_OP_MODIFY),
		rule(IOF_AUDIT, 0, IOF_SECTOR_MAX, IOF_OP_MODIFY),
	};
	struct iof_probe p = can(false, false, true, true);

	(void)state;
	iof_assign_tiers(r, 4, &p, true);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_KILL) | BIT(IOF_TIER_DEVICE));
	assert_int_equal(r[1].tiers, 0);	/* reads: neither kill nor device */
	assert_int_equal(r[2].tiers, BIT(IOF_TIER_KILL));
	assert_int_equal(r[3].tiers, 0);

	iof_assign_tiers(r, 4, &p, false);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_KILL));

	p = can(true, true, true, true);
	iof_assign_tiers(r, 4, &p, true);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_BIO) | BIT(IOF_TIER_DEVICE));
	assert_int_equal(r[1].tiers, BIT(IOF_TIER_BIO));

	p = can(true, true, false, true);
	iof_assign_tiers(r, 4, &p, true);
	assert_int_equal(r[0].tiers, BIT(IOF_TIER_BIO));
}

static void test_gaps(void **state)
{
	struct iof_rule r = rule(IOF_DENY, 0, 33, IOF_OP_MODIFY);
	char buf[256];

	(void)state;
	r.tiers = BIT(IOF_TIER_BIO);
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "page cache"));
	r.comm[0] = 'x';
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "flusher"));
	r.tiers = BIT(IOF_TIER_LSM);
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "kernel"));
	r.tiers = BIT(IOF_TIER_KILL) | BIT(IOF_TIER_DEVICE);
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "best effort"));
	r.tiers = BIT(IOF_TIER_DEVICE);
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "cgroup"));
	r.tiers = 0;
	assert_non_null(strstr(iof_rule_gaps(&r, buf, sizeof(buf)), "audited only"));
	r.action = IOF_AUDIT;
	assert_string_equal(iof_rule_gaps(&r, buf, sizeof(buf)), "");
	/* a short buffer is cut, not overrun */
	r.action = IOF_DENY;
	assert_int_equal(strlen(iof_rule_gaps(&r, buf, 8)), 7);
}

/* Malformed rules are refused before anything is loaded. */
static void test_bad_rules(void **state)
{
	struct iof_rule r[IOF_MAX_RULES + 1];
	struct iof_sink sink = { 0 };
	struct iof_enforcer *e = (void *)&sink;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < IOF_MAX_RULES + 1; i++)
		r[i] = rule(IOF_DENY, 0, 33, IOF_OP_MODIFY);
	assert_int_equal(iof_start(&e, NULL, r, IOF_MAX_RULES + 1, NULL, &sink, err,
				   sizeof(err)), -E2BIG);
	assert_null(e);
	assert_non_null(strstr(err, "at most"));

	r[1].start = 40;
	assert_int_equal(iof_start(&e, NULL, r, 2, NULL, &sink, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rule 2"));
	r[1].start = 0;
	r[0].action = 7;
	assert_int_equal(iof_start(&e, NULL, r, 2, NULL, &sink, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "rule 1"));
	r[0].action = IOF_DENY;
	r[0].ops = 0;
	assert_int_equal(iof_start(&e, NULL, r, 2, NULL, &sink, err, sizeof(err)), -EINVAL);
	r[0].ops = IOF_OP_WRITE;
	r[0].dev = 0;
	assert_int_equal(iof_start(&e, NULL, r, 2, NULL, &sink, err, sizeof(err)), -EINVAL);
}

/*
 * A device-tier rule given a directory that is no cgroup v2 one: refused
 * before anything loads, saying where cgroup v2 is mounted.
 */
static void test_not_a_cgroup(void **state)
{
	struct iof_rule r = rule(IOF_DENY, 0, IOF_SECTOR_MAX, IOF_OP_WRITE);
	struct iof_sink sink = { 0 };
	struct iof_enforcer *e = (void *)&sink;
	char err[256], root[200], want[256];

	(void)state;
	r.tiers = BIT(IOF_TIER_DEVICE);
	assert_int_equal(iof_start(&e, NULL, &r, 1, "/", &sink, err, sizeof(err)), -EINVAL);
	assert_null(e);
	if (cgroupfs_mount("/proc/self/mountinfo", NULL, root, sizeof(root)))
		snprintf(root, sizeof(root), "not mounted");
	snprintf(want, sizeof(want), "/ is not a cgroup v2 directory (cgroup v2: %s)", root);
	assert_string_equal(err, want);
}

static void test_unpin_elsewhere(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(iof_unpin("/", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bpf filesystem"));
	assert_true(iof_unpin("/nonexistent-iofilter-pins", err, sizeof(err)) == -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strongest_first),
		cmocka_unit_test(test_device_tier),
		cmocka_unit_test(test_gaps),
		cmocka_unit_test(test_bad_rules),
		cmocka_unit_test(test_not_a_cgroup),
		cmocka_unit_test(test_unpin_elsewhere),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
