// SPDX-License-Identifier: GPL-2.0
/*
 * cgroupfs: the hierarchy's mount point from mountinfo texts (v1
 * controller or cgroup2, escapes, lengths), and the inode -> path index
 * over a directory tree (the root, nesting, directories made after the
 * first walk, removed ones, unknown inodes, symlinks, the depth limit);
 * then this process's own cgroups on the real machine.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroupfs.h"

#define TMPDIR_NAME "cgroupfs"
#include "tmpdir.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* --- mount points ------------------------------------------------------- */

/* hybrid: memory and cpu bound to v1, v2 mounted too */
static const char hybrid[] =
"21 26 0:20 / /proc rw,relatime - proc proc rw\n"
"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_mount(void **state)
{
	char buf[64];

	(void)state;
	write_file(test_path("mountinfo"), hybrid);
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/memory");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "cpu", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/cpu");
	/* a controller v1 does not carry is v2's */
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "io", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");

	/* v2: "memory_x" or "memory_recursiveprot" is no "memory" */
	write_file(test_path("mountinfo"),
"21 26 0:20 / /proc rw,relatime - proc proc rw\n"
"31 30 0:28 / /sys/fs/cgroup/a\\040b rw - cgroup cgroup rw,cpu,memory_x\n"
"40 22 0:37 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 "
	"rw,nsdelegate,memory_recursiveprot\n");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup");
	/* mountinfo's escapes undone */
	write_file(test_path("mountinfo"),
"31 30 0:28 / /sys/fs/cgroup/mem\\040cg rw - cgroup cgroup rw,cpu,memory\n");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/mem cg");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					8), -ENAMETOOLONG);

	write_file(test_path("mountinfo"),
		   "21 26 0:20 / /proc rw,relatime - proc proc rw\n");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					sizeof(buf)), -ENOENT);
	assert_int_equal(cgroupfs_mount(test_path("no-mountinfo"), "memory",
					buf, sizeof(buf)), -ENOENT);
}

/* No controller: the cgroup2 mount, whatever v1 carries. */
static void test_mount_v2(void **state)
{
	char buf[64];

	(void)state;
	write_file(test_path("mountinfo"), hybrid);
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), NULL, buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");

	/* the first cgroup2 mount, escapes undone */
	write_file(test_path("mountinfo"),
"40 22 0:37 / /sys/fs/cgroup/v\\0402 rw - cgroup2 cgroup2 rw,nsdelegate\n"
"41 22 0:37 / /mnt/cg2 rw - cgroup2 cgroup2 rw,nsdelegate\n");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), NULL, buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/v 2");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), NULL, buf,
					strlen("/sys/fs/cgroup/v 2")),
			 -ENAMETOOLONG);

	/* v1 only (legacy hosts): no cgroup2 */
	write_file(test_path("mountinfo"),
"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n");
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), NULL, buf,
					sizeof(buf)), -ENOENT);
	assert_int_equal(cgroupfs_mount(test_path("mountinfo"), "memory", buf,
					sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/memory");
}

/* --- inode -> path ------------------------------------------------------ */

static void test_index(void **state)
{
	struct cgroupfs_index *ix;
	uint64_t root, a, x, b, d, file;

	(void)state;
	assert_int_equal(mkdir(test_path("cg"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/a"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/a/x"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/b c"), 0755), 0);
	write_file(test_path("cg/a/memory.current"), "0\n");
	root = ino_of(test_path("cg"));
	a = ino_of(test_path("cg/a"));
	x = ino_of(test_path("cg/a/x"));
	b = ino_of(test_path("cg/b c"));
	file = ino_of(test_path("cg/a/memory.current"));

	ix = cgroupfs_index_new(test_path("cg"));
	assert_non_null(ix);
	assert_string_equal(cgroupfs_index_path(ix, root), "/");
	assert_string_equal(cgroupfs_index_path(ix, a), "/a");
	assert_string_equal(cgroupfs_index_path(ix, x), "/a/x");
	assert_string_equal(cgroupfs_index_path(ix, b), "/b c");

	/* files are no cgroups; an inode nobody has is none */
	errno = EINVAL;
	assert_null(cgroupfs_index_path(ix, file));
	assert_int_equal(errno, 0);
	assert_null(cgroupfs_index_path(ix, 0));
	assert_null(cgroupfs_index_path(ix, UINT64_MAX));
	assert_int_equal(errno, 0);

	/* made after the first walk: found by walking again, once a batch */
	assert_int_equal(mkdir(test_path("cg/a/x/d"), 0755), 0);
	d = ino_of(test_path("cg/a/x/d"));
	assert_null(cgroupfs_index_path(ix, d));
	cgroupfs_index_expire(ix);
	assert_string_equal(cgroupfs_index_path(ix, d), "/a/x/d");
	assert_string_equal(cgroupfs_index_path(ix, a), "/a");

	/*
	 * Removed: known until an unknown inode walks the tree again.
	 * (A new directory may take the removed one's inode, so the
	 * unknown one is a file made before.)
	 */
	assert_int_equal(rmdir(test_path("cg/b c")), 0);
	assert_string_equal(cgroupfs_index_path(ix, b), "/b c");
	cgroupfs_index_expire(ix);
	assert_null(cgroupfs_index_path(ix, file));
	errno = EINVAL;
	assert_null(cgroupfs_index_path(ix, b));
	assert_int_equal(errno, 0);
	assert_string_equal(cgroupfs_index_path(ix, d), "/a/x/d");
	cgroupfs_index_free(ix);
	cgroupfs_index_free(NULL);
}

/* Symlinks are not followed, nesting past 64 levels is left out. */
static void test_index_limits(void **state)
{
	struct cgroupfs_index *ix;
	char path[256] = "cgl";
	uint64_t outside, level[66];
	const char *p;
	int i;

	(void)state;
	assert_int_equal(mkdir(test_path("cgl"), 0755), 0);
	assert_int_equal(mkdir(test_path("outside"), 0755), 0);
	outside = ino_of(test_path("outside"));
	assert_int_equal(symlink(test_path("outside"), test_path("cgl/ln")),
			 0);
	/* cgl/d/d/...: levels 1 to 65 */
	for (i = 1; i <= 65; i++) {
		strcat(path, "/d");
		assert_int_equal(mkdir(test_path(path), 0755), 0);
		level[i] = ino_of(test_path(path));
	}

	ix = cgroupfs_index_new(test_path("cgl"));
	assert_non_null(ix);
	assert_null(cgroupfs_index_path(ix, outside));
	assert_int_equal(errno, 0);
	p = cgroupfs_index_path(ix, level[64]);
	assert_non_null(p);
	assert_int_equal(strlen(p), 64 * 2);
	assert_null(cgroupfs_index_path(ix, level[65]));
	assert_int_equal(errno, 0);
	cgroupfs_index_free(ix);
}

/* Errors: a root that is no directory, a root gone before a walk. */
static void test_index_errors(void **state)
{
	struct cgroupfs_index *ix;

	(void)state;
	errno = 0;
	assert_null(cgroupfs_index_new(test_path("no-cg")));
	assert_int_equal(errno, ENOENT);
	write_file(test_path("plain"), "");
	assert_null(cgroupfs_index_new(test_path("plain")));
	assert_int_equal(errno, ENOTDIR);

	assert_int_equal(mkdir(test_path("cge"), 0755), 0);
	ix = cgroupfs_index_new(test_path("cge"));
	assert_non_null(ix);
	assert_int_equal(rmdir(test_path("cge")), 0);
	assert_null(cgroupfs_index_path(ix, 1));
	assert_int_equal(errno, ENOENT);
	cgroupfs_index_free(ix);
}

/* --- this process's cgroups ---------------------------------------------- */

/*
 * Our cgroup under @controller ("" for v2) from /proc/self/cgroup, and
 * the same through the index of @root: its directory's inode names it.
 */
static void check_own(const char *root, const char *controller)
{
	char line[512], dir[1024], *ctl, *path;
	struct cgroupfs_index *ix;
	bool found = false;
	struct stat st;
	FILE *f;

	f = fopen("/proc/self/cgroup", "r");
	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctl++;
		if (*controller ? strstr(ctl, controller) != NULL :
				  !strcmp(ctl, ""))
			found = true;
	}
	fclose(f);
	if (!found) {
		print_message("# %s: no line for '%s' in /proc/self/cgroup\n",
			      root, controller);
		return;
	}
	snprintf(dir, sizeof(dir), "%s%s", root, path);
	/* a cgroup namespace or a mounted subtree: paths differ */
	if (stat(dir, &st)) {
		print_message("# %s: ours %s is not under it\n", root, path);
		return;
	}
	ix = cgroupfs_index_new(root);
	assert_non_null(ix);
	print_message("# %s: ours %s\n", root, path);
	assert_string_equal(cgroupfs_index_path(ix, st.st_ino), path);
	cgroupfs_index_free(ix);
}

static void test_real(void **state)
{
	char root[256];

	(void)state;
	if (!cgroupfs_mount("/proc/self/mountinfo", NULL, root, sizeof(root)))
		check_own(root, "");
	else
		print_message("# no cgroup2 mount\n");
	if (!cgroupfs_mount("/proc/self/mountinfo", "memory", root,
			    sizeof(root))) {
		/* the v1 mount's own line, else v2's */
		char v2[256] = "";

		cgroupfs_mount("/proc/self/mountinfo", NULL, v2, sizeof(v2));
		check_own(root, strcmp(root, v2) ? "memory" : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount),
		cmocka_unit_test(test_mount_v2),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_index_limits),
		cmocka_unit_test(test_index_errors),
		cmocka_unit_test(test_real),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
