// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for safe output files: new files are 0600 whatever the
 * umask, existing files are kept unless forced, symlinks are never
 * followed, and force never replaces anything but a regular file.  Files
 * live in a mkdtemp directory that the group teardown removes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "outfile.h"

#define TMPDIR_NAME "outfile"
#include "tmpdir.h"

static void spew(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), strlen(text));
	assert_int_equal(close(fd), 0);
}

/* The whole file as a string (test files are small). */
static const char *slurp(const char *path)
{
	static char buf[256];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static void write_str(int fd, const char *text)
{
	assert_int_equal(write(fd, text, strlen(text)), strlen(text));
}

static void test_new_file_mode(void **state)
{
	const char *path = test_path("new.out");
	mode_t old = umask(0);
	struct stat st;
	int fd;

	(void)state;
	fd = outfile_open(path, false);
	umask(old);
	assert_true(fd >= 0);
	/* the caller's exec()s do not inherit it */
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	write_str(fd, "hello");
	assert_int_equal(close(fd), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_string_equal(slurp(path), "hello");
}

static void test_fopen(void **state)
{
	const char *path = test_path("stream.out");
	mode_t old = umask(0);
	struct stat st;
	FILE *f;

	(void)state;
	f = outfile_fopen(path, false);
	umask(old);
	assert_non_null(f);
	assert_true(fputs("line\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_string_equal(slurp(path), "line\n");

	errno = 0;
	assert_null(outfile_fopen(path, false));
	assert_int_equal(errno, EEXIST);
	assert_string_equal(slurp(path), "line\n");
}

static void test_existing_kept(void **state)
{
	const char *path = test_path("existing.out");
	struct stat st;

	(void)state;
	spew(path, "keep me", 0644);
	assert_int_equal(outfile_open(path, false), -EEXIST);
	assert_string_equal(slurp(path), "keep me");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_force_replaces(void **state)
{
	const char *path = test_path("forced.out");
	mode_t old = umask(0);
	struct stat st;
	int fd;

	(void)state;
	spew(path, "a long old content", 0666);
	fd = outfile_open(path, true);
	umask(old);
	assert_true(fd >= 0);
	/* truncated, not overwritten in place */
	write_str(fd, "new");
	assert_int_equal(close(fd), 0);
	assert_string_equal(slurp(path), "new");
	/* and made private like a new file */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* force on a file that does not exist yet simply creates it */
	fd = outfile_open(test_path("forced-new.out"), true);
	assert_true(fd >= 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(test_path("forced-new.out"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_symlink_refused(void **state)
{
	const char *target = test_path("victim");
	const char *link = test_path("link.out");
	int force;

	(void)state;
	spew(target, "victim", 0644);
	assert_int_equal(symlink(target, link), 0);
	for (force = 0; force < 2; force++) {
		assert_true(outfile_open(link, force) < 0);
		assert_string_equal(slurp(target), "victim");
		errno = 0;
		assert_null(outfile_fopen(link, force));
		assert_true(errno != 0);
		assert_string_equal(slurp(target), "victim");
	}
}

static void test_dangling_symlink_refused(void **state)
{
	const char *target = test_path("not-there");
	const char *link = test_path("dangling.out");
	struct stat st;
	int force;

	(void)state;
	assert_int_equal(symlink(target, link), 0);
	for (force = 0; force < 2; force++) {
		assert_true(outfile_open(link, force) < 0);
		/* the link was not followed to create its target */
		assert_int_equal(lstat(target, &st), -1);
		assert_int_equal(errno, ENOENT);
		/* and is still the link */
		assert_int_equal(lstat(link, &st), 0);
		assert_true(S_ISLNK(st.st_mode));
	}
}

static void test_non_regular_refused(void **state)
{
	const char *dir = test_path("a-dir.out");
	const char *fifo = test_path("a-fifo.out");
	struct stat st;
	int rd;

	(void)state;
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(outfile_open(dir, false), -EEXIST);
	assert_true(outfile_open(dir, true) < 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));

	/*
	 * A FIFO with a reader: the forced open does not block, and the
	 * check after it must refuse what is not a regular file.
	 */
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_int_equal(outfile_open(fifo, false), -EEXIST);
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(outfile_open(fifo, true), -EEXIST);
	assert_int_equal(close(rd), 0);
	/* and without a reader the forced open must not hang */
	alarm(5);
	assert_int_equal(outfile_open(fifo, true), -EEXIST);
	alarm(0);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_missing_dir(void **state)
{
	(void)state;
	assert_int_equal(outfile_open(test_path("no-dir/x.out"), false),
			 -ENOENT);
	assert_int_equal(outfile_open(test_path("no-dir/x.out"), true),
			 -ENOENT);
	errno = 0;
	assert_null(outfile_fopen(test_path("no-dir/x.out"), true));
	assert_int_equal(errno, ENOENT);
}

/* A file written whole, later: checked first, nothing made until the
 * commit, which never replaces a file made meanwhile unless forced, and
 * replaces our own after the first time. */
static void test_check_commit(void **state)
{
	const char *path = test_path("late.out"), *tmp = test_path("late.out.tmp");
	struct stat st;

	(void)state;
	assert_int_equal(outfile_check(path, false), 0);
	assert_int_equal(lstat(path, &st), -1);		/* nothing made */
	spew(tmp, "first", 0600);
	assert_int_equal(outfile_commit(tmp, path, true, false), 0);
	assert_string_equal(slurp(path), "first");
	assert_int_equal(lstat(tmp, &st), -1);		/* the temporary gone */
	spew(tmp, "second", 0600);
	assert_int_equal(outfile_commit(tmp, path, false, false), 0);
	assert_string_equal(slurp(path), "second");
	/* now it exists: refused unless forced */
	assert_int_equal(outfile_check(path, false), -EEXIST);
	assert_int_equal(outfile_check(path, true), 0);
	/* a file that appeared between the check and the first commit stays */
	spew(tmp, "ours", 0600);
	assert_int_equal(outfile_commit(tmp, path, true, false), -EEXIST);
	assert_string_equal(slurp(path), "second");
	assert_int_equal(lstat(tmp, &st), -1);
	/* never over a symlink or a directory, even forced */
	assert_int_equal(symlink("/etc/passwd", test_path("late.link")), 0);
	assert_int_equal(outfile_check(test_path("late.link"), true), -EEXIST);
	assert_int_equal(mkdir(test_path("late.dir"), 0700), 0);
	assert_int_equal(outfile_check(test_path("late.dir"), true), -EEXIST);
	/* a directory that cannot take the file */
	assert_int_equal(outfile_check(test_path("no-dir/x.out"), false), -ENOENT);
}

/* Everything lands, across the pipe's short writes; a full device is an
 * error, not a silent loss. */
static void test_write_all(void **state)
{
	static char big[256 << 10], back[256 << 10];
	size_t got = 0;
	pid_t child;
	int p[2], st, fd;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(pipe(p), 0);
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		close(p[0]);
		_exit(outfile_write_all(p[1], big, sizeof(big)) ? 1 : 0);
	}
	close(p[1]);
	while (got < sizeof(back)) {
		ssize_t k = read(p[0], back + got, sizeof(back) - got);

		assert_true(k > 0);
		got += k;
	}
	close(p[0]);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && !WEXITSTATUS(st));
	assert_memory_equal(big, back, sizeof(big));
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		assert_int_equal(outfile_write_all(fd, big, 4096), -ENOSPC);
		close(fd);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_file_mode),
		cmocka_unit_test(test_fopen),
		cmocka_unit_test(test_existing_kept),
		cmocka_unit_test(test_force_replaces),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_dangling_symlink_refused),
		cmocka_unit_test(test_non_regular_refused),
		cmocka_unit_test(test_missing_dir),
		cmocka_unit_test(test_write_all),
		cmocka_unit_test(test_check_commit),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
