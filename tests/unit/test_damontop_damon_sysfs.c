// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the DAMON sysfs driver against fake sysfs trees: plain
 * files and directories shaped as the kernel shows them (this machine's
 * 6.18 tree with a running paddr kdamond, a 6.1 tree without the newer
 * files).  Every file starts with an old mtime, so a test sees which
 * files were written even when the bytes stay the same, and that none
 * was created or removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include "../../src/damontop/damon_sysfs.h"

#define TMPDIR_NAME "damon-sysfs"
#include "tmpdir.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define K0 "kdamonds/0/"
#define C0 K0 "contexts/0/"
#define S0 C0 "schemes/0/"
#define T0 C0 "targets/0/"
#define K1 "kdamonds/1/"
#define C1 K1 "contexts/0/"

/* A file and its text, or an empty directory (text NULL). */
struct node {
	const char *path;
	const char *text;
};

/* This machine's tree (Linux 6.18), copied file by file: kdamond 0 runs. */
static const struct node machine_tree[] = {
	{ "kdamonds/nr_kdamonds", "1\n" },
	{ C0 "addr_unit", "1\n" },
	{ C0 "avail_operations", "paddr\n" },
	{ C0 "monitoring_attrs/intervals/aggr_us", "5000000\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/access_bp", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/aggrs", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/max_sample_us", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/min_sample_us", "0\n" },
	{ C0 "monitoring_attrs/intervals/sample_us", "500000\n" },
	{ C0 "monitoring_attrs/intervals/update_us", "60000000\n" },
	{ C0 "monitoring_attrs/nr_regions/max", "8192\n" },
	{ C0 "monitoring_attrs/nr_regions/min", "1024\n" },
	{ C0 "operations", "paddr\n" },
	{ S0 "access_pattern/age/max", "4294967295\n" },
	{ S0 "access_pattern/age/min", "12\n" },
	{ S0 "access_pattern/nr_accesses/max", "1\n" },
	{ S0 "access_pattern/nr_accesses/min", "0\n" },
	{ S0 "access_pattern/sz/max", "18446744073709551615\n" },
	{ S0 "access_pattern/sz/min", "0\n" },
	{ S0 "action", "pageout\n" },
	{ S0 "apply_interval_us", "0\n" },
	{ S0 "core_filters/nr_filters", "0\n" },
	{ S0 "dests/nr_dests", "0\n" },
	{ S0 "filters/nr_filters", "0\n" },
	{ S0 "ops_filters/0/addr_end", "0\n" },
	{ S0 "ops_filters/0/addr_start", "0\n" },
	{ S0 "ops_filters/0/allow", "N\n" },
	{ S0 "ops_filters/0/damon_target_idx", "0\n" },
	{ S0 "ops_filters/0/matching", "Y\n" },
	{ S0 "ops_filters/0/max", "0\n" },
	{ S0 "ops_filters/0/memcg_path", "\n" },
	{ S0 "ops_filters/0/min", "0\n" },
	{ S0 "ops_filters/0/type", "anon\n" },
	{ S0 "ops_filters/1/addr_end", "0\n" },
	{ S0 "ops_filters/1/addr_start", "0\n" },
	{ S0 "ops_filters/1/allow", "Y\n" },
	{ S0 "ops_filters/1/damon_target_idx", "0\n" },
	{ S0 "ops_filters/1/matching", "Y\n" },
	{ S0 "ops_filters/1/max", "0\n" },
	{ S0 "ops_filters/1/memcg_path", "\n" },
	{ S0 "ops_filters/1/min", "0\n" },
	{ S0 "ops_filters/1/type", "unmapped\n" },
	{ S0 "ops_filters/nr_filters", "2\n" },
	{ S0 "quotas/bytes", "134217728\n" },
	{ S0 "quotas/effective_bytes", "0\n" },
	{ S0 "quotas/goals/nr_goals", "0\n" },
	{ S0 "quotas/ms", "50\n" },
	{ S0 "quotas/reset_interval_ms", "1000\n" },
	{ S0 "quotas/weights/age_permil", "1000\n" },
	{ S0 "quotas/weights/nr_accesses_permil", "0\n" },
	{ S0 "quotas/weights/sz_permil", "0\n" },
	{ S0 "stats/nr_applied", "0\n" },
	{ S0 "stats/nr_tried", "0\n" },
	{ S0 "stats/qt_exceeds", "0\n" },
	{ S0 "stats/sz_applied", "0\n" },
	{ S0 "stats/sz_ops_filter_passed", "0\n" },
	{ S0 "stats/sz_tried", "0\n" },
	{ S0 "target_nid", "-1\n" },
	{ S0 "tried_regions/total_bytes", "0\n" },
	{ S0 "watermarks/high", "0\n" },
	{ S0 "watermarks/interval_us", "0\n" },
	{ S0 "watermarks/low", "0\n" },
	{ S0 "watermarks/metric", "none\n" },
	{ S0 "watermarks/mid", "0\n" },
	{ C0 "schemes/nr_schemes", "1\n" },
	{ T0 "pid_target", "0\n" },
	{ T0 "regions/0/end", "10066329600\n" },
	{ T0 "regions/0/start", "4294967296\n" },
	{ T0 "regions/nr_regions", "1\n" },
	{ C0 "targets/nr_targets", "1\n" },
	{ K0 "contexts/nr_contexts", "1\n" },
	{ K0 "pid", "77\n" },
	{ K0 "refresh_ms", "0\n" },
	{ K0 "state", "on\n" },
	{ "kdamonds/nr_kdamonds", "1\n" },
};

/* 6.18 as it shows after nr_kdamonds=1 and nr_contexts=1: defaults. */
static const struct node v618_new[] = {
	{ "kdamonds/nr_kdamonds", "0\n" },
	{ K0 "state", "off\n" },
	/* what the kernel shows once state=on started the thread */
	{ K0 "pid", "4242\n" },
	{ K0 "refresh_ms", "0\n" },
	{ K0 "contexts/nr_contexts", "0\n" },
	{ C0 "avail_operations", "vaddr\nfvaddr\npaddr\n" },
	{ C0 "operations", "vaddr\n" },
	{ C0 "addr_unit", "1\n" },
	{ C0 "monitoring_attrs/intervals/sample_us", "5000\n" },
	{ C0 "monitoring_attrs/intervals/aggr_us", "100000\n" },
	{ C0 "monitoring_attrs/intervals/update_us", "60000000\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/access_bp", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/aggrs", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/min_sample_us", "0\n" },
	{ C0 "monitoring_attrs/intervals/intervals_goal/max_sample_us", "0\n" },
	{ C0 "monitoring_attrs/nr_regions/min", "10\n" },
	{ C0 "monitoring_attrs/nr_regions/max", "1000\n" },
	{ C0 "schemes/nr_schemes", "0\n" },
	{ C0 "targets/nr_targets", "0\n" },
	{ T0 "pid_target", "0\n" },
	{ T0 "regions/nr_regions", "0\n" },
	{ T0 "regions/0/start", "0\n" },
	{ T0 "regions/0/end", "0\n" },
	{ T0 "regions/1/start", "0\n" },
	{ T0 "regions/1/end", "0\n" },
	{ T0 "regions/2/start", "0\n" },
	{ T0 "regions/2/end", "0\n" },
};

/*
 * The same with only what Linux 6.1 has (no refresh_ms, addr_unit,
 * intervals_goal), and without avail_operations, which we treat as
 * optional too.
 */
static const struct node v61_new[] = {
	{ "kdamonds/nr_kdamonds", "0\n" },
	{ K0 "state", "off\n" },
	{ K0 "pid", "4242\n" },
	{ K0 "contexts/nr_contexts", "0\n" },
	{ C0 "operations", "vaddr\n" },
	{ C0 "monitoring_attrs/intervals/sample_us", "5000\n" },
	{ C0 "monitoring_attrs/intervals/aggr_us", "100000\n" },
	{ C0 "monitoring_attrs/intervals/update_us", "1000000\n" },
	{ C0 "monitoring_attrs/nr_regions/min", "10\n" },
	{ C0 "monitoring_attrs/nr_regions/max", "1000\n" },
	{ C0 "schemes/nr_schemes", "0\n" },
	{ C0 "targets/nr_targets", "0\n" },
	{ T0 "pid_target", "0\n" },
	{ T0 "regions/nr_regions", "0\n" },
};

/* 6.1 with two kdamonds set up by someone else: 0 off, 1 running. */
static const struct node v61_two[] = {
	{ "kdamonds/nr_kdamonds", "2\n" },
	{ K0 "state", "off\n" },
	{ K0 "pid", "-1\n" },
	{ K0 "contexts/nr_contexts", "1\n" },
	{ C0 "operations", "vaddr\n" },
	{ C0 "monitoring_attrs/intervals/sample_us", "5000\n" },
	{ C0 "monitoring_attrs/intervals/aggr_us", "100000\n" },
	{ C0 "monitoring_attrs/intervals/update_us", "1000000\n" },
	{ C0 "monitoring_attrs/nr_regions/min", "10\n" },
	{ C0 "monitoring_attrs/nr_regions/max", "1000\n" },
	{ C0 "schemes/nr_schemes", "0\n" },
	{ C0 "targets/nr_targets", "1\n" },
	{ T0 "pid_target", "1234\n" },
	{ T0 "regions/nr_regions", "0\n" },
	{ K1 "state", "on\n" },
	{ K1 "pid", "300\n" },
	{ K1 "contexts/nr_contexts", "1\n" },
	{ C1 "operations", "fvaddr\n" },
	{ C1 "monitoring_attrs/intervals/sample_us", "20000\n" },
	{ C1 "monitoring_attrs/intervals/aggr_us", "200000\n" },
	{ C1 "monitoring_attrs/intervals/update_us", "2000000\n" },
	{ C1 "monitoring_attrs/nr_regions/min", "50\n" },
	{ C1 "monitoring_attrs/nr_regions/max", "500\n" },
	{ C1 "schemes/nr_schemes", "0\n" },
	{ C1 "targets/nr_targets", "2\n" },
	{ C1 "targets/0/pid_target", "10\n" },
	{ C1 "targets/0/regions/nr_regions", "1\n" },
	{ C1 "targets/0/regions/0/start", "4096\n" },
	{ C1 "targets/0/regions/0/end", "20480\n" },
	{ C1 "targets/1/pid_target", "20\n" },
	{ C1 "targets/1/regions/nr_regions", "2\n" },
	{ C1 "targets/1/regions/0/start", "140737488285696\n" },
	{ C1 "targets/1/regions/0/end", "140737488347136\n" },
	{ C1 "targets/1/regions/1/start", "140737488347136\n" },
	{ C1 "targets/1/regions/1/end", "140737488351232\n" },
};

/* Far from any time a test runs at: a write always changes it. */
static const struct timespec old_time = { .tv_sec = 1000000000 };

static void mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(!mkdir(path, 0700) || errno == EEXIST);
		*p = '/';
	}
	assert_true(!mkdir(path, 0700) || errno == EEXIST);
}

/* Set @rel to @text (a directory when NULL), with the old mtime. */
static void tree_set(const char *root, const char *rel, const char *text)
{
	struct timespec times[2] = { old_time, old_time };
	char path[512], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (!text) {
		mkdir_p(path);
		return;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir_p(path);
	*slash = '/';
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), strlen(text));
	assert_int_equal(futimens(fd, times), 0);
	assert_int_equal(close(fd), 0);
}

/* A fresh tree in the scratch directory; returns its root. */
static const char *tree_make(const char *name, const struct node *n,
			     size_t nr)
{
	static char root[256];
	size_t i;

	snprintf(root, sizeof(root), "%s/%s", test_dir, name);
	assert_int_equal(mkdir(root, 0700), 0);
	for (i = 0; i < nr; i++)
		tree_set(root, n[i].path, n[i].text);
	return root;
}

/* Make @rel unwritable: an empty directory where the file was. */
static void tree_dirify(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0700), 0);
}

/*
 * Make @rel a symlink to a copy of itself: it reads as before, but the
 * driver never writes through a symlink (O_NOFOLLOW).
 */
static void tree_symlink(const char *root, const char *rel)
{
	char path[512], real[520];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(real, sizeof(real), "%s.real", path);
	assert_int_equal(rename(path, real), 0);
	assert_int_equal(symlink(real, path), 0);
}

static const char *tree_read(const char *root, const char *rel)
{
	static char buf[256];
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

/* Every file and directory under a root: path, bytes, mtime. */
struct entry {
	char path[256];
	bool dir;
	char text[64];
	struct timespec mtime;
};

struct snap {
	struct entry *e;
	size_t nr;
};

static struct snap *walk_snap;
static size_t walk_rootlen;

static int walk_one(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	struct entry *e;
	ssize_t n;
	int fd;

	(void)flag;
	if (!ftw->level)
		return 0;
	walk_snap->e = realloc(walk_snap->e,
			       (walk_snap->nr + 1) * sizeof(*walk_snap->e));
	if (!walk_snap->e)
		return -1;
	e = &walk_snap->e[walk_snap->nr++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path + walk_rootlen + 1);
	e->dir = S_ISDIR(st->st_mode);
	e->mtime = st->st_mtim;
	if (e->dir)
		return 0;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, e->text, sizeof(e->text) - 1);
	close(fd);
	return n < 0 ? -1 : 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
		      ((const struct entry *)b)->path);
}

static void snap_take(const char *root, struct snap *s)
{
	*s = (struct snap){ 0 };
	walk_snap = s;
	walk_rootlen = strlen(root);
	assert_int_equal(nftw(root, walk_one, 16, FTW_PHYS), 0);
	qsort(s->e, s->nr, sizeof(*s->e), entry_cmp);
}

static bool entry_written(const struct entry *a, const struct entry *b)
{
	return strcmp(a->text, b->text) ||
	       a->mtime.tv_sec != b->mtime.tv_sec ||
	       a->mtime.tv_nsec != b->mtime.tv_nsec;
}

/*
 * Between @a and @b nothing was created or removed, and exactly the
 * files of @want were written, each ending with its text.
 */
static void snap_expect(const struct snap *a, const struct snap *b,
			const struct node *want, size_t nwant)
{
	size_t i, j, written = 0;

	assert_int_equal(a->nr, b->nr);
	for (i = 0; i < a->nr; i++) {
		assert_string_equal(a->e[i].path, b->e[i].path);
		assert_int_equal(a->e[i].dir, b->e[i].dir);
		if (!entry_written(&a->e[i], &b->e[i]))
			continue;
		for (j = 0; j < nwant; j++)
			if (!strcmp(want[j].path, b->e[i].path))
				break;
		if (j == nwant)
			fail_msg("%s was written", b->e[i].path);
		assert_string_equal(b->e[i].text, want[j].text);
		written++;
	}
	if (written != nwant)
		fail_msg("%zu files written, %zu expected", written, nwant);
}

static void snap_free(struct snap *s)
{
	free(s->e);
	*s = (struct snap){ 0 };
}

static void test_count(void **state)
{
	const char *root = tree_make("count", machine_tree,
				     ARRAY_SIZE(machine_tree));
	char err[256] = "";
	int nr = -1;

	(void)state;
	assert_int_equal(damon_sysfs_count(root, &nr, err, sizeof(err)), 0);
	assert_int_equal(nr, 1);

	assert_int_equal(damon_sysfs_count(test_path("nowhere"), &nr, err,
					   sizeof(err)), -ENOENT);
	assert_int_equal(nr, 0);
	assert_string_equal(err, "the kernel has no DAMON sysfs interface");

	/* admin/ without kdamonds/: a broken tree, not a missing one */
	root = tree_make("count-empty", NULL, 0);
	assert_int_equal(damon_sysfs_count(root, &nr, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "cannot read kdamonds/nr_kdamonds: "
			    "No such file or directory");
	/* err is optional */
	assert_int_equal(damon_sysfs_count(root, &nr, NULL, 0), -ENOENT);
}

static void test_read_machine(void **state)
{
	const char *root = tree_make("read-machine", machine_tree,
				     ARRAY_SIZE(machine_tree));
	struct kdamond_info k;
	struct damon_ctx_info *c;
	struct damon_target_info *t;
	struct snap before, after;
	char err[256] = "";

	(void)state;
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_read(root, 0, &k, err, sizeof(err)), 0);
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);

	assert_int_equal(k.index, 0);
	assert_true(k.running);
	assert_int_equal(k.pid, 77);
	assert_int_equal(k.nr_contexts, 1);
	c = &k.contexts[0];
	assert_string_equal(c->ops, "paddr");
	assert_int_equal(c->addr_unit, 1);
	assert_int_equal(c->attrs.sample_us, 500000);
	assert_int_equal(c->attrs.aggr_us, 5000000);
	assert_int_equal(c->attrs.update_us, 60000000);
	assert_int_equal(c->attrs.min_nr_regions, 1024);
	assert_int_equal(c->attrs.max_nr_regions, 8192);
	assert_int_equal(c->nr_targets, 1);
	t = &c->targets[0];
	assert_int_equal(t->pid, 0);
	assert_int_equal(t->nr_regions, 1);
	assert_int_equal(t->regions[0].start, 4294967296ULL);
	assert_int_equal(t->regions[0].end, 10066329600ULL);
	kdamond_info_free(&k);
	assert_int_equal(k.nr_contexts, 0);
	assert_null(k.contexts);
	kdamond_info_free(&k);
	snap_free(&before);
	snap_free(&after);
}

static void test_read_61(void **state)
{
	const char *root = tree_make("read-61", v61_two, ARRAY_SIZE(v61_two));
	struct kdamond_info k;
	struct damon_ctx_info *c;
	char err[256] = "";

	(void)state;
	assert_int_equal(damon_sysfs_read(root, 0, &k, err, sizeof(err)), 0);
	/* the missing newer files are no error, not even in err */
	assert_string_equal(err, "");
	assert_int_equal(k.index, 0);
	assert_false(k.running);
	assert_int_equal(k.pid, -1);
	assert_int_equal(k.nr_contexts, 1);
	c = &k.contexts[0];
	assert_string_equal(c->ops, "vaddr");
	/* no addr_unit file: bytes */
	assert_int_equal(c->addr_unit, 1);
	assert_int_equal(c->attrs.sample_us, 5000);
	assert_int_equal(c->attrs.aggr_us, 100000);
	assert_int_equal(c->attrs.update_us, 1000000);
	assert_int_equal(c->attrs.min_nr_regions, 10);
	assert_int_equal(c->attrs.max_nr_regions, 1000);
	assert_int_equal(c->nr_targets, 1);
	assert_int_equal(c->targets[0].pid, 1234);
	assert_int_equal(c->targets[0].nr_regions, 0);
	assert_null(c->targets[0].regions);
	kdamond_info_free(&k);

	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(k.index, 1);
	assert_true(k.running);
	assert_int_equal(k.pid, 300);
	c = &k.contexts[0];
	assert_string_equal(c->ops, "fvaddr");
	assert_int_equal(c->attrs.sample_us, 20000);
	assert_int_equal(c->attrs.max_nr_regions, 500);
	assert_int_equal(c->nr_targets, 2);
	assert_int_equal(c->targets[0].pid, 10);
	assert_int_equal(c->targets[0].nr_regions, 1);
	assert_int_equal(c->targets[0].regions[0].start, 4096);
	assert_int_equal(c->targets[0].regions[0].end, 20480);
	assert_int_equal(c->targets[1].pid, 20);
	assert_int_equal(c->targets[1].nr_regions, 2);
	assert_int_equal(c->targets[1].regions[0].start, 0x7ffffffef000ULL);
	assert_int_equal(c->targets[1].regions[1].end, 0x7ffffffff000ULL);
	kdamond_info_free(&k);
}

static void test_read_missing(void **state)
{
	const char *root = tree_make("read-missing", machine_tree,
				     ARRAY_SIZE(machine_tree));
	struct kdamond_info k;
	char err[256] = "";

	(void)state;
	assert_int_equal(damon_sysfs_read(root, 3, &k, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "no kdamond 3: the kernel has 1");
	assert_null(k.contexts);
	kdamond_info_free(&k);
	assert_int_equal(damon_sysfs_read(root, -1, &k, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "no kdamond -1: the kernel has 1");
	assert_int_equal(damon_sysfs_read(test_path("nowhere"), 0, &k, err,
					  sizeof(err)), -ENOENT);
	assert_string_equal(err, "the kernel has no DAMON sysfs interface");
}

/* Files the kernel would never show: refused whole, the file named. */
static void test_read_malformed(void **state)
{
	const char *root = tree_make("read-bad", v61_two, ARRAY_SIZE(v61_two));
	struct kdamond_info k;
	char err[256] = "";

	(void)state;
	/* addr_unit is read where the kernel has it, and checked */
	tree_set(root, C1 "addr_unit", "4096\n");
	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)), 0);
	assert_int_equal(k.contexts[0].addr_unit, 4096);
	kdamond_info_free(&k);
	tree_set(root, C1 "addr_unit", "x\n");
	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unexpected content in "
			    "kdamonds/1/contexts/0/addr_unit: 'x'");
	tree_set(root, C1 "addr_unit", "1\n");

	tree_set(root, K1 "pid", "abc\n");
	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unexpected content in kdamonds/1/pid: 'abc'");
	assert_null(k.contexts);

	tree_set(root, K1 "pid", "300\n");
	tree_set(root, C1 "monitoring_attrs/nr_regions/max", "-5\n");
	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unexpected content in kdamonds/1/contexts/0/"
			    "monitoring_attrs/nr_regions/max: '-5'");

	/* a region gone mid-read: what was read is freed (ASan checks) */
	tree_set(root, C1 "monitoring_attrs/nr_regions/max", "500\n");
	tree_set(root, C1 "targets/1/regions/nr_regions", "3\n");
	assert_int_equal(damon_sysfs_read(root, 1, &k, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "cannot read kdamonds/1/contexts/0/targets/1/"
			    "regions/2/start: No such file or directory");
	assert_null(k.contexts);
	assert_int_equal(k.nr_contexts, 0);
}

static void test_has_ops(void **state)
{
	const char *root = tree_make("ops", machine_tree,
				     ARRAY_SIZE(machine_tree));
	char avail[64];

	(void)state;
	assert_int_equal(damon_sysfs_has_ops(root, 0, "paddr", avail,
					     sizeof(avail)), 1);
	assert_int_equal(damon_sysfs_has_ops(root, 0, "vaddr", avail,
					     sizeof(avail)), 0);
	assert_string_equal(avail, "paddr");
	assert_int_equal(damon_sysfs_has_ops(root, 0, "vaddr", NULL, 0), 0);

	root = tree_make("ops-618", v618_new, ARRAY_SIZE(v618_new));
	assert_int_equal(damon_sysfs_has_ops(root, 0, "fvaddr", avail,
					     sizeof(avail)), 1);
	assert_string_equal(avail, "vaddr, fvaddr, paddr");
	assert_int_equal(damon_sysfs_has_ops(root, 0, "vadd", avail,
					     sizeof(avail)), 0);

	root = tree_make("ops-61", v61_new, ARRAY_SIZE(v61_new));
	assert_int_equal(damon_sysfs_has_ops(root, 0, "vaddr", avail,
					     sizeof(avail)), -ENOENT);
}

static const struct damon_request vaddr_req = {
	.ops = "vaddr",
	.pid = 4321,
	.attrs = {
		.sample_us = 10000, .aggr_us = 200000, .update_us = 1000000,
		.min_nr_regions = 20, .max_nr_regions = 2000,
	},
};

/* Someone's kdamond runs: refused, and not one byte or mtime changed. */
static void test_start_busy(void **state)
{
	const char *root = tree_make("busy", machine_tree,
				     ARRAY_SIZE(machine_tree));
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	(void)state;
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -EBUSY);
	assert_string_equal(err, "kdamond 0 (pid 77, paddr) is running: the "
			    "kernel starts no other kdamond while one runs");
	assert_false(own.created);
	assert_false(own.running);
	/* nothing of ours to undo, so nothing is touched */
	damon_sysfs_stop(&own);
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);
	snap_free(&before);
	snap_free(&after);

	/* the running one is the second of two */
	root = tree_make("busy-61", v61_two, ARRAY_SIZE(v61_two));
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -EBUSY);
	assert_string_equal(err, "kdamond 1 (pid 300, fvaddr) is running: the "
			    "kernel starts no other kdamond while one runs");
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);
	snap_free(&before);
	snap_free(&after);
}

/* A kdamond that is off but someone else's: writing nr_kdamonds erases it. */
static void test_start_exists(void **state)
{
	const char *root = tree_make("exists", machine_tree,
				     ARRAY_SIZE(machine_tree));
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	(void)state;
	tree_set(root, K0 "state", "off\n");
	tree_set(root, K0 "pid", "-1\n");
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -EEXIST);
	assert_string_equal(err, "kdamonds/ holds 1 kdamond configured by "
			    "someone else: changing nr_kdamonds would erase it");
	damon_sysfs_stop(&own);
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);
	snap_free(&before);
	snap_free(&after);
}

static void test_start_bad_request(void **state)
{
	static const struct damon_range overlap[] = {
		{ 0x100000, 0x200000 }, { 0x1ff000, 0x300000 },
	};
	static const struct damon_range empty[] = { { 0x100000, 0x100000 } };
	const char *root = tree_make("bad-req", v618_new, ARRAY_SIZE(v618_new));
	struct damon_request req;
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	(void)state;
	snap_take(root, &before);
	req = vaddr_req;
	req.pid = 0;
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "DAMON vaddr needs a pid");

	req = (struct damon_request){ .ops = "paddr" };
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "DAMON paddr needs at least one address range");

	req.regions = overlap;
	req.nr_regions = ARRAY_SIZE(overlap);
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "address range 0x1ff000-0x300000 is not after "
			    "0x100000-0x200000");
	req.regions = empty;
	req.nr_regions = 1;
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "empty address range 0x100000-0x100000");

	req = vaddr_req;
	req.attrs.sample_us = 300000;
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	req = vaddr_req;
	req.attrs.min_nr_regions = 2;
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	req.attrs.min_nr_regions = 3000;
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	req.ops = "../vaddr";
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 -EINVAL);
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);
	snap_free(&before);
	snap_free(&after);
}

static const struct node vaddr_writes[] = {
	{ "kdamonds/nr_kdamonds", "1\n" },
	{ K0 "contexts/nr_contexts", "1\n" },
	/* the same bytes as the default, written all the same */
	{ C0 "operations", "vaddr\n" },
	{ C0 "monitoring_attrs/intervals/sample_us", "10000\n" },
	{ C0 "monitoring_attrs/intervals/aggr_us", "200000\n" },
	{ C0 "monitoring_attrs/intervals/update_us", "1000000\n" },
	{ C0 "monitoring_attrs/nr_regions/min", "20\n" },
	{ C0 "monitoring_attrs/nr_regions/max", "2000\n" },
	{ C0 "targets/nr_targets", "1\n" },
	{ T0 "pid_target", "4321\n" },
	{ K0 "state", "on\n" },
};

static void start_vaddr(const char *name, const struct node *tree, size_t nr)
{
	const char *root = tree_make(name, tree, nr);
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), 0);
	assert_string_equal(err, "");
	snap_take(root, &after);
	snap_expect(&before, &after, vaddr_writes, ARRAY_SIZE(vaddr_writes));
	assert_string_equal(own.root, root);
	assert_int_equal(own.index, 0);
	assert_int_equal(own.pid, 4242);
	assert_true(own.created);
	assert_true(own.running);
	snap_free(&before);
	snap_free(&after);
}

static void test_start_vaddr(void **state)
{
	(void)state;
	start_vaddr("vaddr-618", v618_new, ARRAY_SIZE(v618_new));
	/* no avail_operations to check: the kernel says at state=on */
	start_vaddr("vaddr-61", v61_new, ARRAY_SIZE(v61_new));
}

static const struct damon_range three[] = {
	{ 0x100000, 0x9fc00000 },
	{ 0x100000000ULL, 0x25f000000ULL },
	{ 0x25f000000ULL, 0x260000000ULL },
};

static const struct damon_request paddr_req = {
	.ops = "paddr",
	.regions = three,
	.nr_regions = ARRAY_SIZE(three),
	.attrs = {
		.sample_us = 5000, .aggr_us = 100000, .update_us = 1000000,
		.min_nr_regions = 10, .max_nr_regions = 1000,
	},
};

static void test_start_paddr(void **state)
{
	static const struct node writes[] = {
		{ "kdamonds/nr_kdamonds", "1\n" },
		{ K0 "contexts/nr_contexts", "1\n" },
		{ C0 "operations", "paddr\n" },
		{ C0 "monitoring_attrs/intervals/sample_us", "5000\n" },
		{ C0 "monitoring_attrs/intervals/aggr_us", "100000\n" },
		{ C0 "monitoring_attrs/intervals/update_us", "1000000\n" },
		{ C0 "monitoring_attrs/nr_regions/min", "10\n" },
		{ C0 "monitoring_attrs/nr_regions/max", "1000\n" },
		{ C0 "targets/nr_targets", "1\n" },
		{ T0 "regions/nr_regions", "3\n" },
		{ T0 "regions/0/start", "1048576\n" },
		{ T0 "regions/0/end", "2680160256\n" },
		{ T0 "regions/1/start", "4294967296\n" },
		{ T0 "regions/1/end", "10183770112\n" },
		{ T0 "regions/2/start", "10183770112\n" },
		{ T0 "regions/2/end", "10200547328\n" },
		{ K0 "state", "on\n" },
	};
	const char *root = tree_make("paddr", v618_new, ARRAY_SIZE(v618_new));
	struct snap before, after;
	struct damon_own own;
	struct kdamond_info k;
	char err[256] = "";

	(void)state;
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &paddr_req, &own, err,
					   sizeof(err)), 0);
	snap_take(root, &after);
	snap_expect(&before, &after, writes, ARRAY_SIZE(writes));

	/* and what we wrote reads back as what was asked */
	assert_int_equal(damon_sysfs_read(root, 0, &k, err, sizeof(err)), 0);
	assert_true(k.running);
	assert_int_equal(k.pid, 4242);
	assert_string_equal(k.contexts[0].ops, "paddr");
	assert_memory_equal(&k.contexts[0].attrs, &paddr_req.attrs,
			    sizeof(paddr_req.attrs));
	assert_int_equal(k.contexts[0].targets[0].nr_regions, 3);
	assert_memory_equal(k.contexts[0].targets[0].regions, three,
			    sizeof(three));
	kdamond_info_free(&k);
	snap_free(&before);
	snap_free(&after);
}

/* Zero attrs keep the kernel's defaults: those files are not written. */
static void test_start_defaults(void **state)
{
	static const struct node writes[] = {
		{ "kdamonds/nr_kdamonds", "1\n" },
		{ K0 "contexts/nr_contexts", "1\n" },
		{ C0 "operations", "vaddr\n" },
		{ C0 "targets/nr_targets", "1\n" },
		{ T0 "pid_target", "99\n" },
		{ K0 "state", "on\n" },
	};
	const struct damon_request req = { .ops = "vaddr", .pid = 99 };
	const char *root = tree_make("defaults", v618_new, ARRAY_SIZE(v618_new));
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	(void)state;
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &req, &own, err, sizeof(err)),
			 0);
	snap_take(root, &after);
	snap_expect(&before, &after, writes, ARRAY_SIZE(writes));
	snap_free(&before);
	snap_free(&after);
}

static void test_start_no_ops(void **state)
{
	static const struct node writes[] = {
		/* written 1, then back to 0 */
		{ "kdamonds/nr_kdamonds", "0\n" },
		{ K0 "contexts/nr_contexts", "1\n" },
	};
	const char *root = tree_make("no-ops", v618_new, ARRAY_SIZE(v618_new));
	struct snap before, after;
	struct damon_own own;
	char err[256] = "";

	(void)state;
	tree_set(root, C0 "avail_operations", "paddr\n");
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -EOPNOTSUPP);
	assert_string_equal(err, "the kernel's DAMON has no vaddr operations "
			    "(avail: paddr)");
	assert_false(own.created);
	assert_false(own.running);
	snap_take(root, &after);
	snap_expect(&before, &after, writes, ARRAY_SIZE(writes));
	snap_free(&before);
	snap_free(&after);
}

/*
 * Each write of a paddr start made to fail in turn (a directory in the
 * file's place; for nr_kdamonds, which must stay readable, a symlink):
 * the error names that file, every write before it happened (so the
 * order is as listed), none after it, and what was created is removed.
 */
static void test_start_fail_each_write(void **state)
{
	static const struct node steps[] = {
		{ "kdamonds/nr_kdamonds", "1\n" },
		{ K0 "contexts/nr_contexts", "1\n" },
		{ C0 "operations", "paddr\n" },
		{ C0 "monitoring_attrs/intervals/sample_us", "5000\n" },
		{ C0 "monitoring_attrs/intervals/aggr_us", "100000\n" },
		{ C0 "monitoring_attrs/intervals/update_us", "1000000\n" },
		{ C0 "monitoring_attrs/nr_regions/min", "10\n" },
		{ C0 "monitoring_attrs/nr_regions/max", "1000\n" },
		{ C0 "targets/nr_targets", "1\n" },
		{ T0 "regions/nr_regions", "3\n" },
		{ T0 "regions/0/start", "1048576\n" },
		{ T0 "regions/0/end", "2680160256\n" },
		{ T0 "regions/1/start", "4294967296\n" },
		{ T0 "regions/1/end", "10183770112\n" },
		{ T0 "regions/2/start", "10183770112\n" },
		{ T0 "regions/2/end", "10200547328\n" },
		{ K0 "state", "on\n" },
	};
	struct node want[ARRAY_SIZE(steps)];
	struct snap before, after;
	struct damon_own own;
	char err[256], msg[256], name[32];
	const char *root;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		snprintf(name, sizeof(name), "fail-%zu", i);
		root = tree_make(name, v618_new, ARRAY_SIZE(v618_new));
		if (i)
			tree_dirify(root, steps[i].path);
		else
			tree_symlink(root, steps[i].path);
		snap_take(root, &before);
		assert_int_equal(damon_sysfs_start(root, &paddr_req, &own, err,
						   sizeof(err)),
				 i ? -EISDIR : -ELOOP);
		snprintf(msg, sizeof(msg), "cannot write %s: %s", steps[i].path,
			 strerror(i ? EISDIR : ELOOP));
		assert_string_equal(err, msg);
		assert_false(own.created);
		assert_false(own.running);
		assert_int_equal(own.index, -1);

		for (j = 0; j < i; j++)
			want[j] = steps[j];
		/* undone: nr_kdamonds is 0 again */
		if (i)
			want[0].text = "0\n";
		snap_take(root, &after);
		snap_expect(&before, &after, want, i);
		snap_free(&before);
		snap_free(&after);
	}
}

/* state=on worked but reading pid fails: turned off and removed. */
static void test_start_fail_after_on(void **state)
{
	const char *root = tree_make("fail-pid", v618_new, ARRAY_SIZE(v618_new));
	struct damon_own own;
	char err[256] = "";

	(void)state;
	tree_dirify(root, K0 "pid");
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -EISDIR);
	assert_string_equal(err, "cannot read kdamonds/0/pid: Is a directory");
	assert_false(own.created);
	assert_false(own.running);
	assert_string_equal(tree_read(root, K0 "state"), "off\n");
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "0\n");
}

/* A file the kernel lacks is an error, never created. */
static void test_start_missing_file(void **state)
{
	static const char rel[] = C0 "monitoring_attrs/intervals/update_us";
	const char *root = tree_make("missing", v61_new, ARRAY_SIZE(v61_new));
	struct damon_own own;
	char path[512], err[256] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot write kdamonds/0/contexts/0/"
			    "monitoring_attrs/intervals/update_us: "
			    "No such file or directory");
	assert_int_equal(access(path, F_OK), -1);
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "0\n");
}

static void test_stop(void **state)
{
	static const struct node writes[] = {
		{ "kdamonds/nr_kdamonds", "0\n" },
		{ K0 "state", "off\n" },
	};
	const char *root = tree_make("stop", v618_new, ARRAY_SIZE(v618_new));
	struct snap before, after;
	struct damon_own own, zero;
	char err[256] = "";

	(void)state;
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), 0);
	snap_take(root, &before);
	assert_int_equal(damon_sysfs_stop_err(&own, err, sizeof(err)), 0);
	snap_take(root, &after);
	snap_expect(&before, &after, writes, ARRAY_SIZE(writes));
	assert_false(own.created);
	assert_false(own.running);
	snap_free(&after);

	/* again: nothing left to undo, nothing written */
	damon_sysfs_stop(&own);
	snap_free(&before);
	snap_take(root, &before);
	damon_sysfs_stop(&own);
	assert_int_equal(damon_sysfs_stop_err(&own, err, sizeof(err)), 0);
	snap_take(root, &after);
	snap_expect(&before, &after, NULL, 0);
	snap_free(&before);
	snap_free(&after);

	memset(&zero, 0, sizeof(zero));
	damon_sysfs_stop(&zero);
	assert_false(damon_sysfs_running(&zero));
}

/* What cannot be undone is said, and kept for another try. */
static void test_stop_fails(void **state)
{
	const char *root = tree_make("stop-fail", v618_new, ARRAY_SIZE(v618_new));
	struct damon_own own;
	char err[256] = "";

	(void)state;
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), 0);
	tree_dirify(root, K0 "state");
	assert_int_equal(damon_sysfs_stop_err(&own, err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "cannot write kdamonds/0/state: Is a directory");
	assert_true(own.running);
	assert_true(own.created);
	/* still running, so nr_kdamonds was left alone */
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "1\n");

	assert_int_equal(rmdir(test_path("stop-fail/" K0 "state")), 0);
	tree_set(root, K0 "state", "on\n");
	assert_int_equal(damon_sysfs_stop_err(&own, err, sizeof(err)), 0);
	assert_false(own.running);
	assert_false(own.created);
	assert_string_equal(tree_read(root, K0 "state"), "off\n");
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "0\n");
}

/* Set or clear the immutable flag: 0, or -1 where not allowed. */
static int set_immutable(const char *path, bool on)
{
	int fd, flags, rc = -1;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (!ioctl(fd, FS_IOC_GETFLAGS, &flags)) {
		flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
		rc = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return rc;
}

/*
 * Our vaddr kdamond stopped by itself (its target exited): the kernel
 * answers "off" with EPERM, which stop takes as done.  An immutable file
 * answers a write with EPERM too (root on a file system that has the
 * flag; skipped elsewhere).
 */
static void test_stop_self_stopped(void **state)
{
	const char *root = tree_make("self-stop", v618_new, ARRAY_SIZE(v618_new));
	struct damon_own own;
	char path[512], err[256] = "";
	int rc;

	(void)state;
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), 0);
	tree_set(root, K0 "state", "off\n");
	snprintf(path, sizeof(path), "%s/" K0 "state", root);
	if (set_immutable(path, true)) {
		damon_sysfs_stop(&own);
		skip();
	}
	rc = damon_sysfs_stop_err(&own, err, sizeof(err));
	assert_int_equal(set_immutable(path, false), 0);
	assert_int_equal(rc, 0);
	assert_string_equal(err, "");
	assert_false(own.running);
	assert_false(own.created);
	assert_string_equal(tree_read(root, K0 "state"), "off\n");
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "0\n");
}

static void test_running(void **state)
{
	const char *root = tree_make("running", v618_new, ARRAY_SIZE(v618_new));
	struct damon_own own;
	char err[256] = "";

	(void)state;
	assert_int_equal(damon_sysfs_start(root, &vaddr_req, &own, err,
					   sizeof(err)), 0);
	assert_true(damon_sysfs_running(&own));
	/* the target exited: the kernel shows the kdamond off */
	tree_set(root, K0 "state", "off\n");
	assert_false(damon_sysfs_running(&own));
	damon_sysfs_stop(&own);
	assert_false(damon_sysfs_running(&own));
	assert_string_equal(tree_read(root, "kdamonds/nr_kdamonds"), "0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_read_machine),
		cmocka_unit_test(test_read_61),
		cmocka_unit_test(test_read_missing),
		cmocka_unit_test(test_read_malformed),
		cmocka_unit_test(test_has_ops),
		cmocka_unit_test(test_start_busy),
		cmocka_unit_test(test_start_exists),
		cmocka_unit_test(test_start_bad_request),
		cmocka_unit_test(test_start_vaddr),
		cmocka_unit_test(test_start_paddr),
		cmocka_unit_test(test_start_defaults),
		cmocka_unit_test(test_start_no_ops),
		cmocka_unit_test(test_start_fail_each_write),
		cmocka_unit_test(test_start_fail_after_on),
		cmocka_unit_test(test_start_missing_file),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_stop_fails),
		cmocka_unit_test(test_stop_self_stopped),
		cmocka_unit_test(test_running),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
