// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/class/net/DEV/threaded: read, write, and say why a write failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "errmsg.h"
#include "probe.h"
#include "threaded.h"

/* errmsg, then the error code: "return fail(...)" */
#define fail(err, errlen, code, ...) (errmsg(err, errlen, __VA_ARGS__), (code))

#define IFNAMSIZ_ 16	/* <net/if.h>'s IFNAMSIZ, without its declarations */

static const char *const names[] = {
	[THREADED_OFF] = "off",
	[THREADED_ON] = "on",
	[THREADED_BUSY_POLL] = "busy-poll",
};

const char *threaded_name(enum threaded_mode mode)
{
	if ((unsigned int)mode >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[mode];
}

int threaded_parse(const char *word, enum threaded_mode *mode)
{
	static const struct {
		const char *word;
		enum threaded_mode mode;
	} words[] = {
		{ "off", THREADED_OFF }, { "0", THREADED_OFF },
		{ "disabled", THREADED_OFF }, { "softirq", THREADED_OFF },
		{ "on", THREADED_ON }, { "1", THREADED_ON },
		{ "enabled", THREADED_ON }, { "threaded", THREADED_ON },
		{ "busy-poll", THREADED_BUSY_POLL }, { "busy_poll", THREADED_BUSY_POLL },
		{ "2", THREADED_BUSY_POLL },
	};

	if (!word)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(word, words[i].word)) {
			*mode = words[i].mode;
			return 0;
		}
	return -EINVAL;
}

/* @sysfs_net/@dev/threaded into @path, once @dev is known to be a device
 * there. */
static int dev_path(const char *sysfs_net, const char *dev, char *path, size_t size,
		    char *err, size_t errlen)
{
	struct stat st;
	size_t n;

	/* what the kernel refuses as a name (dev_valid_name()), and nothing
	 * that would lead out of @sysfs_net */
	if (!dev || !*dev || strlen(dev) >= IFNAMSIZ_ || !strcmp(dev, ".") ||
	    !strcmp(dev, "..") || strpbrk(dev, "/: \t\n"))
		return fail(err, errlen, -EINVAL, "bad network device name '%.*s'",
			    IFNAMSIZ_, dev ? dev : "");
	n = snprintf(path, size, "%s/%s", sysfs_net, dev);
	if (n >= size)
		return fail(err, errlen, -ENAMETOOLONG, "%s/%s: path too long", sysfs_net, dev);
	if (stat(path, &st)) {
		int e = errno;

		if (e == ENOENT || e == ENOTDIR)
			return fail(err, errlen, -ENODEV, "no network device '%s'", dev);
		return fail(err, errlen, -e, "cannot look at %s: %s", path, strerror(e));
	}
	/* not every entry is a device: bonding_masters */
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENODEV, "no network device '%s'", dev);
	if (snprintf(path, size, "%s/%s/threaded", sysfs_net, dev) >= (int)size)
		return fail(err, errlen, -ENAMETOOLONG, "%s/%s: path too long", sysfs_net, dev);
	return 0;
}

/* The file is missing: the device exists (dev_path() said so). */
static int no_file(const char *sysfs_net, const char *dev, char *err, size_t errlen)
{
	return fail(err, errlen, -EOPNOTSUPP,
		    "this kernel has no threaded NAPI (no %s/%s/threaded)", sysfs_net, dev);
}

int threaded_get(const char *sysfs_net, const char *dev, enum threaded_mode *mode,
		 char *err, size_t errlen)
{
	char path[PATH_MAX], buf[32], *end;
	ssize_t len;
	long v;
	int fd, ret;

	ret = dev_path(sysfs_net, dev, path, sizeof(path), err, errlen);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (ret == -ENOENT)
			return no_file(sysfs_net, dev, err, errlen);
		return fail(err, errlen, ret, "cannot open %s: %s", path, strerror(-ret));
	}
	do
		len = read(fd, buf, sizeof(buf) - 1);
	while (len < 0 && errno == EINTR);
	ret = len < 0 ? -errno : 0;
	close(fd);
	/* the first kernels with the file refused to show it for a device
	 * without NAPI */
	if (ret == -EOPNOTSUPP)
		return fail(err, errlen, ret, "'%s' has no NAPI to thread (EOPNOTSUPP)", dev);
	if (ret)
		return fail(err, errlen, ret, "cannot read %s: %s", path, strerror(-ret));
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || *end || errno)
		return fail(err, errlen, -EINVAL, "%s: '%.20s' is not a number", path, buf);
	if (v < THREADED_OFF || v > THREADED_BUSY_POLL)
		return fail(err, errlen, -ERANGE,
			    "'%s' is in threaded mode %ld, which kscope does not know", dev, v);
	*mode = v;
	return 0;
}

int threaded_store_error(const char *dev, enum threaded_mode mode, int errnum, int busy_poll,
			 char *err, size_t errlen)
{
	const char *name = threaded_name(mode);

	switch (errnum) {
	case EPERM:
	case EACCES:
		return fail(err, errlen, -errnum,
			    "setting '%s' threaded needs root (CAP_NET_ADMIN): %s", dev,
			    strerror(errnum));
	case EOPNOTSUPP:
		/* a device without NAPI and a value the kernel does not
		 * know give the same error */
		if (mode != THREADED_BUSY_POLL || busy_poll > 0)
			return fail(err, errlen, -errnum,
				    "'%s' has no NAPI to thread (EOPNOTSUPP)", dev);
		if (!busy_poll)
			return fail(err, errlen, -errnum,
				    "this kernel has no busy-poll threaded mode (EOPNOTSUPP from '%s')",
				    dev);
		return fail(err, errlen, -errnum,
			    "'%s' refused busy-poll (EOPNOTSUPP): it has no NAPI, or this kernel has no busy-poll threaded mode",
			    dev);
	case EINVAL:
		return fail(err, errlen, -errnum,
			    "'%s' refused threaded mode '%s' (EINVAL): the device is going away, or a NAPI of it is set on its own",
			    dev, name);
	default:
		/* ENOMEM and the like: the kernel could not start a kthread */
		return fail(err, errlen, -errnum, "cannot set '%s' threaded mode '%s': %s",
			    dev, name, strerror(errnum));
	}
}

int threaded_set(const char *sysfs_net, const char *dev, enum threaded_mode mode,
		 char *err, size_t errlen)
{
	char path[PATH_MAX], buf[4];
	int fd, ret, e, len;
	ssize_t n;

	if ((unsigned int)mode > THREADED_BUSY_POLL)
		return fail(err, errlen, -EINVAL, "no threaded mode %d", (int)mode);
	ret = dev_path(sysfs_net, dev, path, sizeof(path), err, errlen);
	if (ret)
		return ret;
	/* O_TRUNC for a plain file standing in (tests); sysfs ignores it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return no_file(sysfs_net, dev, err, errlen);
		if (e == EACCES || e == EPERM)
			return threaded_store_error(dev, mode, e, 0, err, errlen);
		return fail(err, errlen, -e, "cannot open %s: %s", path, strerror(e));
	}
	/* one write: sysfs takes a value in one go */
	len = snprintf(buf, sizeof(buf), "%d\n", (int)mode);
	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	e = n < 0 ? errno : n != len ? EIO : 0;
	if (close(fd) && !e)
		e = errno;
	if (!e)
		return 0;
	return threaded_store_error(dev, mode, e,
				    e == EOPNOTSUPP && mode == THREADED_BUSY_POLL
				    ? threaded_kernel_busy_poll() : 0,
				    err, errlen);
}

int threaded_kernel_busy_poll(void)
{
	const struct btf_type *t;
	const struct btf_enum *v;
	struct btf *btf;
	int id, ret = 0;

	btf = probe_vmlinux_btf();
	if (!btf)
		return -ENOENT;
	/* the enum came with per-NAPI threaded settings; kernels before
	 * those have no busy-poll mode either */
	id = btf__find_by_name_kind(btf, "netdev_napi_threaded", BTF_KIND_ENUM);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		v = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++)
			if (v[i].val == THREADED_BUSY_POLL)
				ret = 1;
	}
	return ret;
}
