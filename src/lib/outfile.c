// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#include "outfile.h"

int outfile_open(const char *path, bool force)
{
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	struct stat st;
	int fd;

	fd = open(path, flags | O_EXCL, 0600);
	if (fd >= 0 || errno != EEXIST || !force)
		return fd >= 0 ? fd : -errno;
	/* Forced: replace only a regular file with one name, never through
	 * a symlink; non-blocking so that a FIFO cannot hang us here. */
	fd = open(path, flags | O_NONBLOCK, 0600);
	if (fd < 0)	/* ENXIO: a FIFO nobody reads, not a file either */
		return errno == ENXIO ? -EEXIST : -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		return -EEXIST;
	}
	if (fcntl(fd, F_SETFL, 0) || ftruncate(fd, 0) || fchmod(fd, 0600)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int outfile_check(const char *path, bool force)
{
	char probe[4096];
	struct stat st;
	int fd;

	if (!lstat(path, &st) && (!force || !S_ISREG(st.st_mode) || st.st_nlink != 1))
		return -EEXIST;
	/* the directory: a file made and gone again */
	if (snprintf(probe, sizeof(probe), "%s.XXXXXX", path) >= (int)sizeof(probe))
		return -ENAMETOOLONG;
	fd = mkostemp(probe, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(probe);
	return 0;
}

int outfile_commit(const char *tmp, const char *path, bool first, bool force)
{
	int ret = 0;

	if (!first || force)
		return rename(tmp, path) ? -errno : 0;
	/* link() never replaces: a file made meanwhile stays */
	if (link(tmp, path))
		ret = -errno;
	unlink(tmp);
	return ret;
}

FILE *outfile_fopen(const char *path, bool force)
{
	int fd = outfile_open(path, force);
	FILE *f;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	f = fdopen(fd, "w");
	if (!f) {
		int err = errno;

		close(fd);
		errno = err;
	}
	return f;
}

int outfile_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t k = write(fd, c, n);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += k;
		n -= k;
	}
	return 0;
}
