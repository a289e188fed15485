/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cgroup file system as tools see it: where a hierarchy is mounted,
 * and the path of a cgroup from the inode number of its directory, the
 * number the kernel shows for it (/proc/kpagecgroup's memory cgroups,
 * cgroup ids from kernfs node ids on 64-bit).  Every path is a
 * parameter so that tests use files.
 */
#ifndef KSCOPE_CGROUPFS_H
#define KSCOPE_CGROUPFS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The mount point of a cgroup hierarchy, from @mountinfo
 * (/proc/self/mountinfo), in @buf: the v1 hierarchy carrying
 * @v1_controller ("memory") when one is mounted (hybrid hosts; the
 * controller is then absent from v2), else the cgroup2 mount;
 * @v1_controller NULL: the cgroup2 mount only.  Returns 0, -ENOENT,
 * -ENAMETOOLONG or an open error.
 */
int cgroupfs_mount(const char *mountinfo, const char *v1_controller,
		   char *buf, size_t len);

/* An inode -> path index of the cgroup directories under a root. */
struct cgroupfs_index;

/*
 * An index of the tree at @root (a mount point from cgroupfs_mount()),
 * walked on first use; NULL with errno set on error (ENOTDIR when @root
 * is no directory).
 */
struct cgroupfs_index *cgroupfs_index_new(const char *root);

/*
 * The path of the cgroup directory with inode @ino relative to the root
 * ("/" for the root itself), NULL if none.  Cgroups come and go: an
 * unknown inode walks the tree again, but at most once between two
 * cgroupfs_index_expire() calls, so that removed cgroups (a dying memcg
 * still charged with pages) cost one walk a batch, not one each.  NULL
 * has errno 0 when there is no such cgroup, else the error of the walk
 * (ENOMEM, the root's open error).  Valid until the next call.
 */
const char *cgroupfs_index_path(struct cgroupfs_index *ix, uint64_t ino);

/* A new batch of lookups: the next unknown inode may walk the tree. */
void cgroupfs_index_expire(struct cgroupfs_index *ix);

void cgroupfs_index_free(struct cgroupfs_index *ix);

#endif
