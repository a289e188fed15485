// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of iofilter's rule parser: every accepted form and every
 * refusal with its message, against a fake /sys tree shaped as the kernel
 * shows block devices (a disk with partitions, a 4Kn disk, a tiny one),
 * since the development kernel parses no partition tables.  Device paths
 * are block special files made with mknod (root only).  One test uses a
 * real loop device, attached with autoclear so that it goes away with our
 * last descriptor even if the test dies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/loop.h>
#include <linux/magic.h>

#include "../../src/iofilter/rules.h"

#define TMPDIR_NAME "iofilter-rules"
#include "tmpdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KDEV(maj, min) ((__u32)(maj) << 20 | (min))
#define MODIFY (IOF_OP_WRITE | IOF_OP_DISCARD | IOF_OP_ZEROOUT | IOF_OP_OTHER)
#define ALL (MODIFY | IOF_OP_READ)

#define LOOP0 "sys/devices/virtual/block/loop0/"
#define SDB "sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/block/sdb/"
#define LONG_NAME "a-device-name-longer-than-dev_name-holds"

/* A file and its text, or a symlink to text (link set). */
#define REG(p, t) { .path = p, .text = t, .link = false }
#define LINK(p, t) { .path = p, .text = t, .link = true }
struct node {
	const char *path;
	const char *text;
	bool link;
};

/*
 * loop0 (7:0, 4096 sectors) with loop0p1 (259:1) at 2048 of 1024 sectors
 * and an empty loop0p2; sdb (8:16), a 4Kn disk of 8192 sectors; tiny
 * (7:9) a sector short of a GPT, small (7:10) just big enough; 7:11 with a
 * name too long for dev_name[].
 */
static const struct node fake_sys[] = {
	REG(LOOP0 "dev", "7:0\n"),
	REG(LOOP0 "size", "4096\n"),
	REG(LOOP0 "queue/logical_block_size", "512\n"),
	REG(LOOP0 "loop0p1/dev", "259:1\n"),
	REG(LOOP0 "loop0p1/partition", "1\n"),
	REG(LOOP0 "loop0p1/start", "2048\n"),
	REG(LOOP0 "loop0p1/size", "1024\n"),
	REG(LOOP0 "loop0p2/dev", "259:2\n"),
	REG(LOOP0 "loop0p2/partition", "2\n"),
	REG(LOOP0 "loop0p2/start", "3072\n"),
	REG(LOOP0 "loop0p2/size", "0\n"),
	REG(SDB "dev", "8:16\n"),
	REG(SDB "size", "8192\n"),
	REG(SDB "queue/logical_block_size", "4096\n"),
	REG("sys/devices/virtual/block/tiny/dev", "7:9\n"),
	REG("sys/devices/virtual/block/tiny/size", "66\n"),
	REG("sys/devices/virtual/block/small/dev", "7:10\n"),
	REG("sys/devices/virtual/block/small/size", "67\n"),
	REG("sys/devices/virtual/block/" LONG_NAME "/dev", "7:11\n"),
	REG("sys/devices/virtual/block/" LONG_NAME "/size", "100\n"),
	LINK("sys/dev/block/7:0", "../../devices/virtual/block/loop0"),
	LINK("sys/dev/block/259:1", "../../devices/virtual/block/loop0/loop0p1"),
	LINK("sys/dev/block/259:2", "../../devices/virtual/block/loop0/loop0p2"),
	LINK("sys/dev/block/8:16", "../../devices/pci0000:00/0000:00:1f.2/ata1/host0/block/sdb"),
	LINK("sys/dev/block/7:9", "../../devices/virtual/block/tiny"),
	LINK("sys/dev/block/7:10", "../../devices/virtual/block/small"),
	LINK("sys/dev/block/7:11", "../../devices/virtual/block/" LONG_NAME),
};

static char fake_root[256];
static bool have_nodes;		/* mknod'd block files in dev/ */
static char cgroup2_dir[256];	/* a cgroup v2 mount, or "" */

/* The loop device of test_loop, set up by main() */
static struct {
	int fd;			/* closing it detaches the device */
	char path[64];
	unsigned int minor;
} loop = { .fd = -1 };

static void mkdirs(const char *path)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0755);
		*p = '/';
	}
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f;

	mkdirs(path);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	char path[512];

	if (group_setup(state))
		return -1;
	snprintf(fake_root, sizeof(fake_root), "%s/root", test_dir);
	for (size_t i = 0; i < ARRAY_SIZE(fake_sys); i++) {
		const struct node *n = &fake_sys[i];

		snprintf(path, sizeof(path), "%s/%s", fake_root, n->path);
		mkdirs(path);
		if (n->link ? symlink(n->text, path) :
		    (write_file(path, n->text, strlen(n->text)), 0))
			return -1;
	}
	mkdir(test_path("dev"), 0755);
	if (have_nodes &&
	    (mknod(test_path("dev/loop0"), S_IFBLK | 0600, makedev(7, 0)) ||
	     mknod(test_path("dev/loop0p1"), S_IFBLK | 0600, makedev(259, 1)) ||
	     mknod(test_path("dev/orphan"), S_IFBLK | 0600, makedev(9, 99)) ||
	     symlink("../dev/loop0p1", test_path("dev/by-label")))) {
		perror("mknod");
		return -1;
	}
	write_file(test_path("dev/plain"), "", 0);
	return 0;
}

/* Parse @text as rule 1 against the fake tree, which must succeed. */
static struct iof_rule_spec parse_ok(const char *text)
{
	struct iof_rule_spec s;
	char err[512] = "";
	int rc;

	rules_set_sys_root(fake_root);
	rc = rules_parse(text, 1, &s, err, sizeof(err));
	if (rc)
		print_message("# %s: %s\n", text, err);
	assert_int_equal(rc, 0);
	return s;
}

/* Parse @text as rule @number, which must fail with @want and leave out alone. */
static void parse_bad(const char *text, int number, int want_rc,
		      const char *want)
{
	struct iof_rule_spec s, orig;
	char err[512] = "";
	int rc;

	rules_set_sys_root(fake_root);
	memset(&s, 0xa5, sizeof(s));
	orig = s;
	rc = rules_parse(text, number, &s, err, sizeof(err));
	if (rc != want_rc || strcmp(err, want))
		print_message("# '%s': %d '%s'\n", text, rc, err);
	assert_int_equal(rc, want_rc);
	assert_string_equal(err, want);
	assert_memory_equal(&s, &orig, sizeof(s));
}

static void check_rule(const struct iof_rule_spec *s, __u32 dev, __u64 start,
		       __u64 end, __u32 ops, __u32 action)
{
	assert_int_equal(s->r.dev, dev);
	assert_int_equal(s->r.start, start);
	assert_int_equal(s->r.end, end);
	assert_int_equal(s->r.ops, ops);
	assert_int_equal(s->r.action, action);
}

/* dev= alone: the whole disk, every modifying op, denied, anyone. */
static void test_defaults(void **state)
{
	struct iof_rule_spec s = parse_ok("dev=7:0");

	(void)state;
	check_rule(&s, KDEV(7, 0), 0, IOF_SECTOR_MAX, MODIFY, IOF_DENY);
	assert_int_equal(s.r.cgroup, 0);
	assert_int_equal(s.r.pid, 0);
	assert_int_equal(s.r.uid, IOF_ANY_UID);
	assert_int_equal(s.r.tiers, 0);
	assert_string_equal(s.r.comm, "");
	assert_string_equal(s.text, "dev=7:0");
	assert_string_equal(s.dev_name, "loop0");
	assert_string_equal(s.part_name, "");
	/* the 4Kn disk: sizes stay in 512-byte sectors */
	s = parse_ok("dev=8:16 sectors=8191");
	check_rule(&s, KDEV(8, 16), 8191, 8191, MODIFY, IOF_DENY);
	assert_string_equal(s.dev_name, "sdb");
	/* a long name is cut for the views, the rule is unharmed */
	s = parse_ok("dev=7:11 sectors=99");
	check_rule(&s, KDEV(7, 11), 99, 99, MODIFY, IOF_DENY);
	assert_string_equal(s.dev_name, "a-device-name-longer-than-dev_n");
}

static void test_sectors(void **state)
{
	static const struct {
		const char *text;
		__u64 start, end;
	} t[] = {
		{ "dev=7:0 sectors=0-33", 0, 33 },
		{ "dev=7:0 sectors=5", 5, 5 },
		{ "dev=7:0 sectors=0", 0, 0 },
		{ "dev=7:0 sectors=0x10-0x1F", 16, 31 },
		{ "dev=7:0 sectors=0X7ff", 2047, 2047 },
		{ "dev=7:0 sectors=010-4095", 10, 4095 },	/* not octal */
		{ "dev=7:0 sectors=4095", 4095, 4095 },
		{ "dev=7:0 sectors=7-7", 7, 7 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct iof_rule_spec s = parse_ok(t[i].text);

		check_rule(&s, KDEV(7, 0), t[i].start, t[i].end, MODIFY,
			   IOF_DENY);
	}
}

static void test_ops_actions(void **state)
{
	static const struct {
		const char *text;
		__u32 ops, action;
	} t[] = {
		{ "dev=7:0 op=read", IOF_OP_READ, IOF_DENY },
		{ "dev=7:0 op=write", IOF_OP_WRITE, IOF_DENY },
		{ "dev=7:0 op=discard,zeroout", IOF_OP_DISCARD | IOF_OP_ZEROOUT, IOF_DENY },
		{ "dev=7:0 op=other", IOF_OP_OTHER, IOF_DENY },
		{ "dev=7:0 op=all", ALL, IOF_DENY },
		{ "dev=7:0 op=read,all,read", ALL, IOF_DENY },
		{ "dev=7:0 op=write,discard,zeroout", MODIFY & ~IOF_OP_OTHER, IOF_DENY },
		{ "dev=7:0 action=deny", MODIFY, IOF_DENY },
		{ "dev=7:0 action=audit op=all", ALL, IOF_AUDIT },
		{ "action=allow dev=7:0", MODIFY, IOF_ALLOW },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct iof_rule_spec s = parse_ok(t[i].text);

		check_rule(&s, KDEV(7, 0), 0, IOF_SECTOR_MAX, t[i].ops,
			   t[i].action);
	}
}

static void test_matches(void **state)
{
	struct iof_rule_spec s;
	struct passwd *pw;

	(void)state;
	s = parse_ok("dev=7:0 comm=dd pid=1234 uid=1000");
	assert_string_equal(s.r.comm, "dd");
	assert_int_equal(s.r.pid, 1234);
	assert_int_equal(s.r.uid, 1000);
	s = parse_ok("dev=7:0 comm=123456789012345 pid=4194304 uid=0");
	assert_string_equal(s.r.comm, "123456789012345");
	assert_int_equal(s.r.pid, 4194304);
	assert_int_equal(s.r.uid, 0);
	s = parse_ok("dev=7:0 uid=4294967294");
	assert_int_equal(s.r.uid, 4294967294u);
	s = parse_ok("dev=7:0 uid=root");
	assert_int_equal(s.r.uid, 0);
	pw = getpwnam("nobody");
	if (pw) {
		s = parse_ok("dev=7:0 uid=nobody");
		assert_int_equal(s.r.uid, pw->pw_uid);
	}
}

/* Blanks of any kind and number, a trailing comment; text keeps the rule. */
static void test_text(void **state)
{
	struct iof_rule_spec s;

	(void)state;
	s = parse_ok("  \tdev=7:0   sectors=1-2\top=read  # why: the MBR \n");
	check_rule(&s, KDEV(7, 0), 1, 2, IOF_OP_READ, IOF_DENY);
	assert_string_equal(s.text, "dev=7:0   sectors=1-2\top=read");
	/* '#' inside a token is no comment */
	s = parse_ok("dev=7:0 comm=a#b");
	assert_string_equal(s.r.comm, "a#b");
	assert_string_equal(s.text, "dev=7:0 comm=a#b");
}

/* A partition becomes its disk, its sectors shifted by its start. */
static void test_partition(void **state)
{
	struct iof_rule_spec s;

	(void)state;
	s = parse_ok("dev=259:1");
	check_rule(&s, KDEV(7, 0), 2048, 3071, MODIFY, IOF_DENY);
	assert_string_equal(s.dev_name, "loop0");
	assert_string_equal(s.part_name, "loop0p1");
	s = parse_ok("dev=259:1 sectors=0-9 op=all action=audit");
	check_rule(&s, KDEV(7, 0), 2048, 2057, ALL, IOF_AUDIT);
	s = parse_ok("dev=259:1 sectors=1023");
	check_rule(&s, KDEV(7, 0), 3071, 3071, MODIFY, IOF_DENY);
	parse_bad("dev=259:1 sectors=1000-1024", 3, -ERANGE,
		  "rule 3: 'sectors=1000-1024': past the end of loop0p1 (1024 sectors)");
	parse_bad("dev=259:2", 1, -ERANGE,
		  "rule 1: 'dev=259:2': loop0p2 is empty");
	parse_bad("dev=259:2 sectors=0", 1, -ERANGE,
		  "rule 1: 'sectors=0': past the end of loop0p2 (0 sectors)");
}

static void test_refused(void **state)
{
	static const struct {
		const char *text;
		int rc;
		const char *err;
	} t[] = {
		{ "", -EINVAL, "rule 2: empty rule" },
		{ " \t # nothing but a comment", -EINVAL, "rule 2: empty rule" },
		{ "sectors=0-1 op=write", -EINVAL, "rule 2: no dev=" },
		{ "dev", -EINVAL, "rule 2: 'dev': not key=value" },
		{ "dev=7:0 foo=1", -EINVAL,
		  "rule 2: 'foo=1': unknown key (dev, sectors, op, action, comm, pid, uid, cgroup)" },
		{ "dev=7:0 =1", -EINVAL,
		  "rule 2: '=1': unknown key (dev, sectors, op, action, comm, pid, uid, cgroup)" },
		{ "DEV=7:0", -EINVAL,
		  "rule 2: 'DEV=7:0': unknown key (dev, sectors, op, action, comm, pid, uid, cgroup)" },
		{ "dev=7:0 dev=8:16", -EINVAL, "rule 2: 'dev=8:16': dev= given twice" },
		{ "dev=7:0 op=read op=write", -EINVAL, "rule 2: 'op=write': op= given twice" },
		{ "dev=7:0 op=", -EINVAL, "rule 2: 'op=': empty value" },
		{ "dev=", -EINVAL, "rule 2: 'dev=': empty value" },
		{ "dev=7:0 sectors=5-1", -EINVAL, "rule 2: 'sectors=5-1': start after end" },
		{ "dev=7:0 sectors=abc", -EINVAL,
		  "rule 2: 'sectors=abc': not a sector or a range A-B" },
		{ "dev=7:0 sectors=-1", -EINVAL,
		  "rule 2: 'sectors=-1': not a sector or a range A-B" },
		{ "dev=7:0 sectors=1-", -EINVAL,
		  "rule 2: 'sectors=1-': not a sector or a range A-B" },
		{ "dev=7:0 sectors=-", -EINVAL,
		  "rule 2: 'sectors=-': not a sector or a range A-B" },
		{ "dev=7:0 sectors=+1", -EINVAL,
		  "rule 2: 'sectors=+1': not a sector or a range A-B" },
		{ "dev=7:0 sectors=0x", -EINVAL,
		  "rule 2: 'sectors=0x': not a sector or a range A-B" },
		{ "dev=7:0 sectors=1-2-3", -EINVAL,
		  "rule 2: 'sectors=1-2-3': not a sector or a range A-B" },
		{ "dev=7:0 sectors=1.5", -EINVAL,
		  "rule 2: 'sectors=1.5': not a sector or a range A-B" },
		{ "dev=7:0 sectors=18446744073709551616", -EINVAL,
		  "rule 2: 'sectors=18446744073709551616': not a sector or a range A-B" },
		{ "dev=7:0 sectors=0-4096", -ERANGE,
		  "rule 2: 'sectors=0-4096': past the end of loop0 (4096 sectors)" },
		{ "dev=7:0 sectors=18446744073709551615", -ERANGE,
		  "rule 2: 'sectors=18446744073709551615': past the end of loop0 (4096 sectors)" },
		{ "dev=7:0 op=foo", -EINVAL,
		  "rule 2: 'op=foo': unknown op 'foo' (read, write, discard, zeroout, other, all)" },
		{ "dev=7:0 op=write,,read", -EINVAL,
		  "rule 2: 'op=write,,read': unknown op '' (read, write, discard, zeroout, other, all)" },
		{ "dev=7:0 op=write,", -EINVAL,
		  "rule 2: 'op=write,': unknown op '' (read, write, discard, zeroout, other, all)" },
		{ "dev=7:0 op=Write", -EINVAL,
		  "rule 2: 'op=Write': unknown op 'Write' (read, write, discard, zeroout, other, all)" },
		{ "dev=7:0 action=kill", -EINVAL,
		  "rule 2: 'action=kill': not deny, audit or allow" },
		{ "dev=7:0 comm=1234567890123456", -EINVAL,
		  "rule 2: 'comm=1234567890123456': longer than 15 characters" },
		{ "dev=7:0 pid=0", -EINVAL, "rule 2: 'pid=0': not a pid" },
		{ "dev=7:0 pid=-1", -EINVAL, "rule 2: 'pid=-1': not a pid" },
		{ "dev=7:0 pid=4194305", -EINVAL, "rule 2: 'pid=4194305': not a pid" },
		{ "dev=7:0 pid=init", -EINVAL, "rule 2: 'pid=init': not a pid" },
		{ "dev=7:0 uid=4294967295", -ERANGE, "rule 2: 'uid=4294967295': not a uid" },
		{ "dev=7:0 uid=12ab", -EINVAL, "rule 2: 'uid=12ab': not a uid" },
		{ "dev=7:0 uid=no-such-user-kscope", -ENOENT,
		  "rule 2: 'uid=no-such-user-kscope': no such user" },
		{ "dev=7:0 cgroup=/no/such/cgroup", -ENOENT,
		  "rule 2: 'cgroup=/no/such/cgroup': No such file or directory" },
		{ "dev=9:99", -ENODEV, "rule 2: 'dev=9:99': no block device 9:99" },
		{ "dev=4096:0", -ERANGE, "rule 2: 'dev=4096:0': not a device number" },
		{ "dev=7:1048576", -ERANGE, "rule 2: 'dev=7:1048576': not a device number" },
		{ "dev=/dev/null", -ENOTBLK, "rule 2: 'dev=/dev/null': not a block device" },
		{ "dev=/dev/nope", -ENOENT, "rule 2: 'dev=/dev/nope': No such file or directory" },
		{ "dev=7:", -ENOENT, "rule 2: 'dev=7:': No such file or directory" },
		/* token errors come in order, before the device is looked up */
		{ "dev=9:99 sectors=2-1", -EINVAL, "rule 2: 'sectors=2-1': start after end" },
		{ "dev=9:99 sectors=0-99999", -ENODEV, "rule 2: 'dev=9:99': no block device 9:99" },
	};
	char buf[300];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		parse_bad(t[i].text, 2, t[i].rc, t[i].err);
	/* the rule number is the caller's */
	parse_bad("dev=7:0 sectors=5-1", 17, -EINVAL,
		  "rule 17: 'sectors=5-1': start after end");

	/* text[] holds 255 characters: one more is refused, not cut */
	snprintf(buf, sizeof(buf), "dev=7:0%*sop=all", 255 - 7 - 6, "");
	assert_int_equal(strlen(buf), 255);
	assert_string_equal(parse_ok(buf).text, buf);
	snprintf(buf, sizeof(buf), "dev=7:0%*sop=all", 256 - 7 - 6, "");
	parse_bad(buf, 2, -EINVAL, "rule 2: longer than 255 characters");
	/* err may be NULL */
	assert_int_equal(rules_parse("dev=7:0 x", 1, &(struct iof_rule_spec){}, NULL, 0),
			 -EINVAL);
}

/* Device paths: block special files of the fake tree's numbers. */
static void test_dev_paths(void **state)
{
	struct iof_rule_spec s;
	char text[512], want[600];

	(void)state;
	if (!have_nodes)
		return;		/* named a skip by main() */
	snprintf(text, sizeof(text), "dev=%s sectors=100-199", test_path("dev/loop0"));
	s = parse_ok(text);
	check_rule(&s, KDEV(7, 0), 100, 199, MODIFY, IOF_DENY);
	assert_string_equal(s.text, text);
	assert_string_equal(s.dev_name, "loop0");

	snprintf(text, sizeof(text), "dev=%s sectors=100-199", test_path("dev/loop0p1"));
	s = parse_ok(text);
	check_rule(&s, KDEV(7, 0), 2148, 2247, MODIFY, IOF_DENY);
	assert_string_equal(s.part_name, "loop0p1");

	/* a symlink, as in /dev/disk/by-label */
	snprintf(text, sizeof(text), "dev=%s", test_path("dev/by-label"));
	s = parse_ok(text);
	check_rule(&s, KDEV(7, 0), 2048, 3071, MODIFY, IOF_DENY);

	snprintf(text, sizeof(text), "dev=%s", test_path("dev/orphan"));
	snprintf(want, sizeof(want), "rule 1: '%s': no block device 9:99", text);
	parse_bad(text, 1, -ENODEV, want);
	snprintf(text, sizeof(text), "dev=%s", test_path("dev/plain"));
	snprintf(want, sizeof(want), "rule 1: '%s': not a block device", text);
	parse_bad(text, 1, -ENOTBLK, want);
	snprintf(text, sizeof(text), "dev=%s", test_path("dev"));
	snprintf(want, sizeof(want), "rule 1: '%s': not a block device", text);
	parse_bad(text, 1, -ENOTBLK, want);
}

static void test_cgroup(void **state)
{
	struct iof_rule_spec s;
	char text[512], want[600];
	struct stat st;

	(void)state;
	if (!cgroup2_dir[0])
		return;
	snprintf(text, sizeof(text), "dev=7:0 cgroup=%s", cgroup2_dir);
	s = parse_ok(text);
	assert_int_equal(stat(cgroup2_dir, &st), 0);
	assert_int_equal(s.r.cgroup, st.st_ino);
	assert_int_not_equal(s.r.cgroup, 0);

	snprintf(text, sizeof(text), "dev=7:0 cgroup=%s/cgroup.procs", cgroup2_dir);
	snprintf(want, sizeof(want), "rule 1: 'cgroup=%s/cgroup.procs': not a directory",
		 cgroup2_dir);
	parse_bad(text, 1, -ENOTDIR, want);
	snprintf(text, sizeof(text), "dev=7:0 cgroup=%s", test_dir);
	snprintf(want, sizeof(want), "rule 1: 'cgroup=%s': not a cgroup v2 directory",
		 test_dir);
	parse_bad(text, 1, -EINVAL, want);
}

static void test_file(void **state)
{
	static const char good[] =
		"# protect the first MiB of loop0\n"
		"\n"
		"dev=7:0 sectors=0-2047   # the boot area\n"
		"\t dev=259:1 op=all action=audit\n"
		"   \n"
		"dev=8:16";	/* no newline at the end */
	static const char bad[] =
		"# one bad line among good ones\n"
		"dev=7:0\n"
		"\n"
		"dev=7:0 sectors=5-1\n"
		"dev=8:16\n";
	static const char nul[] = "dev=7:0\ndev=7:0\0 op=read\n";
	struct iof_rule_spec *v = NULL;
	char err[512] = "", want[512];
	const char *path;
	size_t nr = 0;

	(void)state;
	rules_set_sys_root(fake_root);
	path = test_path("good.rules");
	write_file(path, good, strlen(good));
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 3);
	check_rule(&v[0], KDEV(7, 0), 0, 2047, MODIFY, IOF_DENY);
	assert_string_equal(v[0].text, "dev=7:0 sectors=0-2047");
	check_rule(&v[1], KDEV(7, 0), 2048, 3071, ALL, IOF_AUDIT);
	assert_string_equal(v[1].text, "dev=259:1 op=all action=audit");
	assert_string_equal(v[1].part_name, "loop0p1");
	check_rule(&v[2], KDEV(8, 16), 0, IOF_SECTOR_MAX, MODIFY, IOF_DENY);

	/* appends */
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 6);
	assert_string_equal(v[5].text, "dev=8:16");

	/* a bad line: FILE:LINE, and nothing of the file is appended */
	path = test_path("bad.rules");
	write_file(path, bad, strlen(bad));
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:4: 'sectors=5-1': start after end", path);
	assert_string_equal(err, want);
	assert_int_equal(nr, 6);

	path = test_path("nul.rules");
	write_file(path, nul, sizeof(nul) - 1);
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: not text", path);
	assert_string_equal(err, want);
	assert_int_equal(nr, 6);

	path = test_path("empty.rules");
	write_file(path, "", 0);
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 6);

	path = test_path("none.rules");
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(err, want);
	assert_int_equal(nr, 6);
	free(v);
}

/* No more rules than the kernel's table holds, counting those already there. */
static void test_file_too_many(void **state)
{
	char text[(IOF_MAX_RULES + 1) * 24], err[512], want[512];
	struct iof_rule_spec *v = NULL;
	const char *path = test_path("many.rules");
	size_t n = 0, nr = 0;

	(void)state;
	rules_set_sys_root(fake_root);
	for (int i = 0; i <= IOF_MAX_RULES; i++)
		n += snprintf(text + n, sizeof(text) - n, "dev=7:0 sectors=%d\n", i);
	write_file(path, text, n);
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), -E2BIG);
	snprintf(want, sizeof(want), "%s:%d: more than %d rules", path,
		 IOF_MAX_RULES + 1, IOF_MAX_RULES);
	assert_string_equal(err, want);
	assert_int_equal(nr, 0);

	/* exactly the table after one from the command line */
	nr = 1;
	free(v);
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	*strstr(text, "dev=7:0 sectors=63\n") = 0;
	write_file(path, text, strlen(text));
	assert_int_equal(rules_load_file(path, &v, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, IOF_MAX_RULES);
	assert_int_equal(v[IOF_MAX_RULES - 1].r.start, IOF_MAX_RULES - 2);
	free(v);
}

static void check_gpt(const char *dev, __u32 kdev, __u64 p_end, __u64 b_start,
		      __u64 b_end)
{
	struct iof_rule_spec g[2], s;
	char err[512] = "";

	rules_set_sys_root(fake_root);
	assert_int_equal(rules_protect_gpt(dev, g, err, sizeof(err)), 0);
	check_rule(&g[0], kdev, 0, p_end, MODIFY, IOF_DENY);
	check_rule(&g[1], kdev, b_start, b_end, MODIFY, IOF_DENY);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g[i].r.uid, IOF_ANY_UID);
		assert_int_equal(g[i].r.pid, 0);
		assert_int_equal(g[i].r.cgroup, 0);
		assert_string_equal(g[i].part_name, "");
		/* the text is the same rule, written out */
		assert_int_equal(rules_parse(g[i].text, 1, &s, err, sizeof(err)), 0);
		assert_memory_equal(&s, &g[i], sizeof(s));
	}
}

static void test_protect_gpt(void **state)
{
	struct iof_rule_spec g[2], orig;
	char err[512] = "", path[512], want[600];

	(void)state;
	check_gpt("7:0", KDEV(7, 0), 33, 4096 - 33, 4095);
	{
		struct iof_rule_spec h[2];

		assert_int_equal(rules_protect_gpt("7:0", h, err, sizeof(err)), 0);
		assert_string_equal(h[0].text,
				    "dev=7:0 sectors=0-33 op=write,discard,zeroout,other action=deny");
		assert_string_equal(h[1].text,
				    "dev=7:0 sectors=4063-4095 op=write,discard,zeroout,other action=deny");
		assert_string_equal(h[0].dev_name, "loop0");
	}
	/* 4Kn: MBR, header and 16 KiB of entries in 4 KiB blocks */
	check_gpt("8:16", KDEV(8, 16), 47, 8192 - 40, 8191);
	/* no queue/logical_block_size: 512 */
	check_gpt("7:10", KDEV(7, 10), 33, 34, 66);

	memset(g, 0x5a, sizeof(g));
	orig = g[0];
	assert_int_equal(rules_protect_gpt("7:9", g, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "--protect-gpt 7:9: tiny has 66 sectors, too small for a GPT");
	assert_int_equal(rules_protect_gpt("259:1", g, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "--protect-gpt 259:1: loop0p1 is a partition; a GPT lives on the whole disk (loop0)");
	assert_int_equal(rules_protect_gpt("9:99", g, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "--protect-gpt 9:99: no block device 9:99");
	assert_int_equal(rules_protect_gpt("/dev/null", g, err, sizeof(err)), -ENOTBLK);
	assert_string_equal(err, "--protect-gpt /dev/null: not a block device");
	assert_memory_equal(&g[0], &orig, sizeof(orig));

	if (!have_nodes)
		return;
	snprintf(path, sizeof(path), "%s", test_path("dev/loop0p1"));
	assert_int_equal(rules_protect_gpt(path, g, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want),
		 "--protect-gpt %s: loop0p1 is a partition; a GPT lives on the whole disk (loop0)",
		 path);
	assert_string_equal(err, want);
	check_gpt(test_path("dev/loop0"), KDEV(7, 0), 33, 4063, 4095);
}

static void test_op_names(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(rules_op_name(IOF_OP_READ), "read");
	assert_string_equal(rules_op_name(IOF_OP_WRITE), "write");
	assert_string_equal(rules_op_name(IOF_OP_DISCARD), "discard");
	assert_string_equal(rules_op_name(IOF_OP_ZEROOUT), "zeroout");
	assert_string_equal(rules_op_name(IOF_OP_OTHER), "other");
	assert_string_equal(rules_op_name(0), "?");
	assert_string_equal(rules_op_name(IOF_OP_READ | IOF_OP_WRITE), "?");
	assert_string_equal(rules_op_name(1 << 5), "?");

	assert_string_equal(rules_ops_str(MODIFY, buf, sizeof(buf)),
			    "write,discard,zeroout,other");
	assert_string_equal(rules_ops_str(ALL, buf, sizeof(buf)), "all");
	assert_string_equal(rules_ops_str(IOF_OP_READ | IOF_OP_ZEROOUT, buf,
					  sizeof(buf)), "read,zeroout");
	assert_string_equal(rules_ops_str(0, buf, sizeof(buf)), "-");
	/* short buffers are cut, never overrun */
	memset(buf, 'x', sizeof(buf));
	rules_ops_str(MODIFY, buf, 8);
	assert_string_equal(buf, "write,d");
	assert_int_equal(buf[8], 'x');
}

/* A real loop device of 4 MiB, looked up in the real /sys. */
static void test_loop(void **state)
{
	struct iof_rule_spec s, g[2];
	char text[128], want[256], err[512] = "";
	__u32 kdev = KDEV(7, loop.minor);
	char name[32];

	(void)state;
	if (loop.fd < 0)
		return;
	rules_set_sys_root("");
	snprintf(name, sizeof(name), "loop%u", loop.minor);
	snprintf(text, sizeof(text), "dev=%s sectors=0-8191 op=all", loop.path);
	assert_int_equal(rules_parse(text, 1, &s, err, sizeof(err)), 0);
	check_rule(&s, kdev, 0, 8191, ALL, IOF_DENY);
	assert_string_equal(s.dev_name, name);

	snprintf(text, sizeof(text), "dev=7:%u sectors=8192", loop.minor);
	assert_int_equal(rules_parse(text, 1, &s, err, sizeof(err)), -ERANGE);
	snprintf(want, sizeof(want), "rule 1: 'sectors=8192': past the end of %s (8192 sectors)",
		 name);
	assert_string_equal(err, want);

	assert_int_equal(rules_protect_gpt(loop.path, g, err, sizeof(err)), 0);
	check_rule(&g[0], kdev, 0, 33, MODIFY, IOF_DENY);
	check_rule(&g[1], kdev, 8159, 8191, MODIFY, IOF_DENY);
}

/* A cgroup v2 mount from /proc/self/mounts, for test_cgroup. */
static void find_cgroup2(void)
{
	char dev[256], dir[256], type[64];
	struct statfs sfs;
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2") && !statfs(dir, &sfs) &&
		    sfs.f_type == CGROUP2_SUPER_MAGIC) {
			snprintf(cgroup2_dir, sizeof(cgroup2_dir), "%s", dir);
			break;
		}
	}
	fclose(f);
}

/*
 * Attach a 4 MiB file to a free loop device with autoclear, so the device
 * is detached when loop.fd closes, and the file unlinked at once.  NULL,
 * or why not.
 */
static const char *loop_attach(void)
{
	static char why[128];
	char file[] = "/tmp/kscope-test-iofilter-loop.XXXXXX";
	struct loop_config cfg = { .info.lo_flags = LO_FLAGS_AUTOCLEAR };
	int ctl, fd, n = -1, rc = -1;

	if (geteuid())
		return "not root";
	fd = mkstemp(file);
	if (fd < 0 || ftruncate(fd, 4 << 20)) {
		snprintf(why, sizeof(why), "backing file: %s", strerror(errno));
		goto cleanup;
	}
	ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		snprintf(why, sizeof(why), "/dev/loop-control: %s", strerror(errno));
		goto cleanup;
	}
	cfg.fd = fd;
	/* another process may take the free device first */
	for (int tries = 0; rc && tries < 5; tries++) {
		n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			break;
		snprintf(loop.path, sizeof(loop.path), "/dev/loop%d", n);
		loop.fd = open(loop.path, O_RDWR | O_CLOEXEC);
		if (loop.fd < 0)
			break;
		rc = ioctl(loop.fd, LOOP_CONFIGURE, &cfg);
		if (rc) {
			close(loop.fd);
			loop.fd = -1;
		}
	}
	if (rc)
		snprintf(why, sizeof(why), "no loop device: %s", strerror(errno));
	else
		loop.minor = n;
	close(ctl);
cleanup:
	if (fd >= 0) {
		close(fd);
		unlink(file);
	}
	return rc ? why : NULL;
}

int main(void)
{
	static char loop_name[160] = "test_loop", dev_name[96] = "test_dev_paths",
		cg_name[96] = "test_cgroup";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sectors),
		cmocka_unit_test(test_ops_actions),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_partition),
		cmocka_unit_test(test_refused),
		{ .name = dev_name, .test_func = test_dev_paths },
		{ .name = cg_name, .test_func = test_cgroup },
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_too_many),
		cmocka_unit_test(test_protect_gpt),
		cmocka_unit_test(test_op_names),
		{ .name = loop_name, .test_func = test_loop },
	};
	const char *why;
	int rc;

	/* a TAP skip with any cmocka (see test_damo_fixture.c) */
	have_nodes = !geteuid();
	if (!have_nodes)
		snprintf(dev_name, sizeof(dev_name), "test_dev_paths # SKIP mknod needs root");
	find_cgroup2();
	if (!cgroup2_dir[0])
		snprintf(cg_name, sizeof(cg_name), "test_cgroup # SKIP no cgroup v2 mount");
	why = loop_attach();
	if (why)
		snprintf(loop_name, sizeof(loop_name), "test_loop # SKIP %s", why);

	cmocka_set_message_output(CM_OUTPUT_TAP);
	rc = cmocka_run_group_tests(tests, setup, group_teardown);
	if (loop.fd >= 0)
		close(loop.fd);
	return rc;
}
