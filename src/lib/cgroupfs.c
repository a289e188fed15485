// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroup hierarchies from /proc/self/mountinfo, and cgroup paths from
 * directory inodes by walking the tree once into an array sorted by
 * inode, walked again when asked for an inode it does not hold.  A walk
 * costs an open and an fstat per cgroup (0.07 ms for the 6 of a test
 * host's v1 memory hierarchy); a lookup is a binary search.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroupfs.h"

/* cgroup nesting followed; the kernel's own limit is far lower in use */
#define CG_MAX_DEPTH		64

/* --- mount points ------------------------------------------------------ */

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void cgroupfs_unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (s[1] - '0') << 6 | (s[2] - '0') << 3 |
			       (s[3] - '0');
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* @word is one of the comma-separated @opts. */
static bool cgroupfs_has_option(const char *opts, const char *word)
{
	size_t len = strlen(word);
	const char *p = opts;

	while ((p = strstr(p, word))) {
		if ((p == opts || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

int cgroupfs_mount(const char *mountinfo, const char *v1_controller,
		   char *buf, size_t len)
{
	char *line = NULL, *v2 = NULL, *found = NULL;
	char *save, *field, *mnt, *fstype, *opts;
	size_t linecap = 0;
	int i, ret = 0;
	FILE *f;

	f = fopen(mountinfo, "re");
	if (!f)
		return -errno;
	while (!found && getline(&line, &linecap, f) >= 0) {
		line[strcspn(line, "\n")] = '\0';
		field = strtok_r(line, " ", &save);
		for (i = 1; field && i < 5; i++)
			field = strtok_r(NULL, " ", &save);
		mnt = field;
		/* optional fields end at a lone "-" */
		while ((field = strtok_r(NULL, " ", &save)) &&
		       strcmp(field, "-"))
			;
		fstype = strtok_r(NULL, " ", &save);
		if (!mnt || !fstype || !strtok_r(NULL, " ", &save))
			continue;
		opts = strtok_r(NULL, " ", &save);
		if (!opts)
			continue;
		/* a controller bound to v1 is absent from v2: v1 wins */
		if (v1_controller && !strcmp(fstype, "cgroup") &&
		    cgroupfs_has_option(opts, v1_controller))
			found = strdup(mnt);
		else if (!strcmp(fstype, "cgroup2") && !v2)
			v2 = strdup(mnt);
	}
	if (!found) {
		found = v2;
		v2 = NULL;
	}
	if (!found) {
		ret = -ENOENT;
		goto cleanup;
	}
	cgroupfs_unescape(found);
	if (strlen(found) >= len) {
		ret = -ENAMETOOLONG;
		goto cleanup;
	}
	strcpy(buf, found);
cleanup:
	free(found);
	free(v2);
	free(line);
	fclose(f);
	return ret;
}

/* --- inode -> path ------------------------------------------------------ */

struct cgroupfs_ent {
	uint64_t ino;
	char *path;
};

struct cgroupfs_index {
	char *root;
	struct cgroupfs_ent *ents;	/* sorted by inode */
	size_t nr, cap;
	bool built;
	bool fresh;			/* walked since the last expire */
};

static int cgroupfs_add(struct cgroupfs_index *ix, uint64_t ino,
			const char *path)
{
	struct cgroupfs_ent *tmp;

	if (ix->nr == ix->cap) {
		ix->cap = ix->cap ? 2 * ix->cap : 64;
		tmp = realloc(ix->ents, ix->cap * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		ix->ents = tmp;
	}
	ix->ents[ix->nr].path = strdup(path);
	if (!ix->ents[ix->nr].path)
		return -ENOMEM;
	ix->ents[ix->nr++].ino = ino;
	return 0;
}

static void cgroupfs_clear(struct cgroupfs_index *ix)
{
	size_t i;

	for (i = 0; i < ix->nr; i++)
		free(ix->ents[i].path);
	ix->nr = 0;
	ix->built = false;
}

/* Add the directories under @dfd (path @path) to the index; takes @dfd. */
static int cgroupfs_walk(struct cgroupfs_index *ix, int dfd, char *path,
			 size_t plen, int depth)
{
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;
	int fd, ret = 0;

	d = fdopendir(dfd);
	if (!d) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		len = strlen(de->d_name);
		if (plen + 1 + len >= PATH_MAX || depth >= CG_MAX_DEPTH)
			continue;
		fd = openat(dirfd(d), de->d_name,
			    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		/* removed meanwhile, or no directory after all */
		if (fd < 0)
			continue;
		if (fstat(fd, &st)) {
			close(fd);
			continue;
		}
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, len + 1);
		ret = cgroupfs_add(ix, st.st_ino, path);
		if (!ret)
			ret = cgroupfs_walk(ix, fd, path, plen + 1 + len,
					    depth + 1);
		else
			close(fd);
		path[plen] = '\0';
		if (ret == -ENOMEM)
			break;
		ret = 0;
	}
	closedir(d);
	return ret;
}

static int cgroupfs_ent_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct cgroupfs_ent *)a)->ino;
	uint64_t y = ((const struct cgroupfs_ent *)b)->ino;

	return x < y ? -1 : x > y;
}

static int cgroupfs_build(struct cgroupfs_index *ix)
{
	char path[PATH_MAX] = "";
	struct stat st;
	int fd, ret;

	cgroupfs_clear(ix);
	fd = open(ix->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = cgroupfs_add(ix, st.st_ino, "/");
	if (ret) {
		close(fd);
		return ret;
	}
	ret = cgroupfs_walk(ix, fd, path, 0, 0);
	if (ret) {
		cgroupfs_clear(ix);
		return ret;
	}
	qsort(ix->ents, ix->nr, sizeof(*ix->ents), cgroupfs_ent_cmp);
	ix->built = true;
	return 0;
}

static const char *cgroupfs_find(const struct cgroupfs_index *ix,
				 uint64_t ino)
{
	struct cgroupfs_ent key = { .ino = ino }, *e;

	if (!ix->nr)
		return NULL;
	e = bsearch(&key, ix->ents, ix->nr, sizeof(*ix->ents),
		    cgroupfs_ent_cmp);
	return e ? e->path : NULL;
}

struct cgroupfs_index *cgroupfs_index_new(const char *root)
{
	struct cgroupfs_index *ix;
	struct stat st;

	if (stat(root, &st))
		return NULL;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return NULL;
	}
	ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->root = strdup(root);
	if (!ix->root) {
		free(ix);
		errno = ENOMEM;
		return NULL;
	}
	return ix;
}

const char *cgroupfs_index_path(struct cgroupfs_index *ix, uint64_t ino)
{
	const char *path = NULL;
	int ret;

	if (ix->built)
		path = cgroupfs_find(ix, ino);
	if (!path && !ix->fresh) {
		ret = cgroupfs_build(ix);
		if (ret) {
			errno = -ret;
			return NULL;
		}
		ix->fresh = true;
		path = cgroupfs_find(ix, ino);
	}
	if (!path)
		errno = 0;
	return path;
}

void cgroupfs_index_expire(struct cgroupfs_index *ix)
{
	ix->fresh = false;
}

void cgroupfs_index_free(struct cgroupfs_index *ix)
{
	if (!ix)
		return;
	cgroupfs_clear(ix);
	free(ix->ents);
	free(ix->root);
	free(ix);
}
