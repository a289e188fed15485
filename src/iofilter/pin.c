// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter --pin and --unpin: an enforcer's links and counts pinned on a
 * bpf filesystem so that its rules outlive the process, and removed again.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce_priv.h"
#include "iofilter.skel.h"

#define PIN_PREFIX	"iof_"

static int on_bpffs(const char *dir, char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(dir, &st)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "%s is not on a bpf filesystem (mount -t bpf bpf "
			 "/sys/fs/bpf)", dir);
		return -EINVAL;
	}
	return 0;
}

int iof_pin(struct iof_enforcer *e, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t i;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	ret = on_bpffs(dir, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < e->nr_use; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->use[i]->name);
		ret = bpf_link__pin(e->links[i], path);
		if (ret)
			goto undo;
	}
	snprintf(path, sizeof(path), "%s/" PIN_PREFIX "counts", dir);
	ret = bpf_map__pin(e->skel->maps.counts, path);
	if (!ret)
		return 0;
undo:
	snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
	while (i-- > 0)
		bpf_link__unpin(e->links[i]);
	rmdir(dir);
	return ret;
}

/*
 * Remove one pin.  A link's pin is taken by fd first, so that the last
 * reference is ours and closing it detaches the program before we return:
 * the reference bpffs drops on unlink is put through a workqueue (kernels
 * since 6.4 or so), which left debian-6.12's LSM rule enforcing after
 * --unpin had exited.
 */
static int unpin_one(const char *path)
{
	int fd = bpf_obj_get(path), ret = 0;

	if (unlink(path))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	return ret;
}

int iof_unpin(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret, n = 0;
	DIR *d;

	ret = on_bpffs(dir, err, errlen);
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PIN_PREFIX, strlen(PIN_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = unpin_one(path);
		if (ret) {
			snprintf(err, errlen, "cannot remove %s: %s", path, strerror(-ret));
			closedir(d);
			return ret;
		}
		n++;
	}
	closedir(d);
	if (rmdir(dir)) {
		ret = -errno;
		snprintf(err, errlen, "%s%s: %s", n ? "" : "nothing of iofilter's in ", dir,
			 strerror(-ret));
		return ret;
	}
	return 0;
}
