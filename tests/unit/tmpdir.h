/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scratch directory for unit tests that write files: made by the group
 * setup, removed with everything in it by the group teardown.  Include
 * once per test program after defining TMPDIR_NAME ("record", ...).
 */
#ifndef KSCOPE_TEST_TMPDIR_H
#define KSCOPE_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static char test_dir[] = "/tmp/kscope-test-" TMPDIR_NAME ".XXXXXX";

/* A path in the scratch directory; the last four stay valid. */
static const char *test_path(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", test_dir, name);
	return buf[i];
}

/* @name in the scratch directory holding @text (cmocka's asserts: include
 * it first) */
static inline void test_put(const char *name, const char *text)
{
	FILE *f = fopen(test_path(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* What @name in the scratch directory holds (its first 63 bytes; the
 * buffer is reused) */
static inline char *test_slurp(const char *name)
{
	static char buf[64];
	FILE *f = fopen(test_path(name), "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	(void)state;
	return mkdtemp(test_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(test_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
