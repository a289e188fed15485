/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the damo fixtures are, for the unit tests that use them (a real
 * `damo record` and damo's own heatmaps of it; see their README).  They
 * live outside the repository: $KSCOPE_FIXTURES when set (and then only
 * there), else ../shared/fixtures/damo from the repository top, found from
 * the working directory, $KSCOPE_TOP or the test binary's own path.
 * Without them the tests that need them are reported as TAP skips that
 * name the places tried.  Include once per test program, after cmocka.
 */
#ifndef KSCOPE_TEST_DAMO_FIXTURES_H
#define KSCOPE_TEST_DAMO_FIXTURES_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAMO_DATA	"paddr-kdamond.damon.data"
#define DAMO_REL_DIR	"../shared/fixtures/damo"
/* from build/tests/unit/ (or unit-san/) up to the repository's parent */
#define DAMO_EXE_DIR	"../../../../shared/fixtures/damo"

static struct {
	bool found;
	char dir[PATH_MAX];
	char tried[3 * PATH_MAX + 64];	/* where we looked */
} fxdir;

static void fixture_tried(const char *dir)
{
	size_t used = strlen(fxdir.tried);

	snprintf(fxdir.tried + used, sizeof(fxdir.tried) - used, "%s%s",
		 used ? ", " : "", dir);
}

static bool fixture_try(const char *dir)
{
	char path[PATH_MAX];

	fixture_tried(dir);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DAMO_DATA) >=
	    sizeof(path) || access(path, R_OK))
		return false;
	snprintf(fxdir.dir, sizeof(fxdir.dir), "%s", dir);
	fxdir.found = true;
	return true;
}

static bool fixture_find(void)
{
	const char *env = getenv("KSCOPE_FIXTURES");
	char path[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return fixture_try(env);
	if (fixture_try(DAMO_REL_DIR))
		return true;
	env = getenv("KSCOPE_TOP");
	if (env && *env &&
	    (size_t)snprintf(path, sizeof(path), "%s/" DAMO_REL_DIR, env) <
	    sizeof(path) && fixture_try(path))
		return true;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof("/" DAMO_EXE_DIR) >
	    sizeof(path))
		return false;
	strcpy(slash, "/" DAMO_EXE_DIR);
	return fixture_try(path);
}

static const char *fixture_path(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fxdir.dir, name);
	return path;
}

/* A whole file into an exact-size buffer (so reads past it are caught). */
__attribute__((unused))
static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int err = 0;

	if (!f)
		return -errno;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (!err && n) {
		nb = realloc(b, n);
		if (nb)
			b = nb;
	}
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

/*
 * cmocka 1.1.5 (Debian 12) prints a skip() as "not ok N # SKIP", which
 * prove counts as a failure; a test named "name # SKIP reason" that
 * returns at once prints "ok N - name # SKIP reason", a TAP skip with
 * any cmocka.  main() sets `found` from fixture_find().
 */
#define FIXTURE_SKIP \
	" # SKIP damo fixtures not found; set KSCOPE_FIXTURES"
#define fixture_test(f) { \
	.name = found ? #f : #f FIXTURE_SKIP, .test_func = f }

#endif
