// SPDX-License-Identifier: GPL-2.0
/*
 * A NAPI's configuration: names, values as people write them, and the
 * device-wide sysfs files.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errmsg.h"
#include "threaded.h"
#include "tune.h"
#include "units.h"

#define fail(err, errlen, code, ...) (errmsg(err, errlen, __VA_ARGS__), (code))

static const char *const names[TUNE_NR] = {
	[TUNE_DEFER_HARD_IRQS] = "defer-hard-irqs",
	[TUNE_GRO_FLUSH_TIMEOUT] = "gro-flush-timeout",
	[TUNE_IRQ_SUSPEND_TIMEOUT] = "irq-suspend-timeout",
	[TUNE_THREADED] = "threaded",
};

/* the device's files, where there is one */
static const char *const files[TUNE_NR] = {
	[TUNE_DEFER_HARD_IRQS] = "napi_defer_hard_irqs",
	[TUNE_GRO_FLUSH_TIMEOUT] = "gro_flush_timeout",
	[TUNE_THREADED] = "threaded",
};

const char *tune_attr_name(enum tune_attr a)
{
	return (unsigned int)a < TUNE_NR ? names[a] : "?";
}

static int64_t *field(struct netdev_napi_conf *c, enum tune_attr a, int *threaded)
{
	switch (a) {
	case TUNE_DEFER_HARD_IRQS:
		return &c->defer_hard_irqs;
	case TUNE_GRO_FLUSH_TIMEOUT:
		return &c->gro_flush_timeout_ns;
	case TUNE_IRQ_SUSPEND_TIMEOUT:
		return &c->irq_suspend_timeout_ns;
	default:
		*threaded = 1;
		return NULL;
	}
}

int64_t tune_get(const struct netdev_napi_conf *c, enum tune_attr a)
{
	int threaded = 0;
	int64_t *f = field((struct netdev_napi_conf *)c, a, &threaded);

	return f ? *f : c->threaded;
}

void tune_set(struct netdev_napi_conf *c, enum tune_attr a, int64_t v)
{
	int threaded = 0;
	int64_t *f = field(c, a, &threaded);

	if (f)
		*f = v;
	else
		c->threaded = v;
}

const char *tune_format(enum tune_attr a, int64_t v, char *buf, size_t len)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else if (a == TUNE_THREADED)
		snprintf(buf, len, "%s", threaded_name(v));
	else if (a == TUNE_DEFER_HARD_IRQS)
		snprintf(buf, len, "%" PRId64, v);
	else
		units_ns(buf, len, v);
	return buf;
}

int tune_parse(const char *assignment, struct netdev_napi_conf *c, char *err, size_t errlen)
{
	const char *eq = strchr(assignment, '=');
	size_t n = eq ? (size_t)(eq - assignment) : strlen(assignment);
	enum threaded_mode mode;
	uint64_t v;
	int a;

	for (a = 0; a < TUNE_NR; a++)
		if (strlen(names[a]) == n && !strncmp(assignment, names[a], n))
			break;
	if (a == TUNE_NR)
		return fail(err, errlen, -EINVAL, "unknown attribute '%.*s' (defer-hard-irqs, "
			    "gro-flush-timeout, irq-suspend-timeout, threaded)", (int)n, assignment);
	if (!eq || !eq[1])
		return fail(err, errlen, -EINVAL, "%s: a value, as in %s=%s", names[a], names[a],
			    a == TUNE_THREADED ? "on" : a == TUNE_DEFER_HARD_IRQS ? "2" : "20us");
	eq++;
	if (a == TUNE_THREADED) {
		if (threaded_parse(eq, &mode))
			return fail(err, errlen, -EINVAL, "threaded: bad mode '%s' (on, off or "
				    "busy-poll)", eq);
		v = mode;
	} else if (a == TUNE_DEFER_HARD_IRQS) {
		/* the kernel takes 0 to S32_MAX */
		if (units_parse_u64(eq, 0, INT32_MAX, &v))
			return fail(err, errlen, -EINVAL, "defer-hard-irqs: '%s' is not a count "
				    "from 0 to %d", eq, INT32_MAX);
	} else if (units_parse_ns(eq, 1, &v) || v > INT64_MAX) {
		return fail(err, errlen, -EINVAL, "%s: '%s' is not a duration (20000 ns, 20us, "
			    "1ms)", names[a], eq);
	}
	tune_set(c, a, v);
	return 0;
}

/* The decimal number in @path: 0 or -errno. */
static int read_number(const char *path, int64_t *v)
{
	char buf[32], *end;
	ssize_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return len < 0 ? -errno : -EINVAL;
	buf[len] = '\0';
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return end == buf || errno || *v < 0 || (*end && *end != '\n') ? -EINVAL : 0;
}

int tune_device_read(const char *sysfs_net, const char *dev, struct netdev_napi_conf *c)
{
	char path[PATH_MAX];
	int found = 0;

	*c = (struct netdev_napi_conf)NETDEV_NAPI_CONF_NONE;
	if (!dev || !*dev || strchr(dev, '/'))
		return -ENODEV;
	for (int a = 0; a < TUNE_NR; a++) {
		int64_t v = -1;

		if (!files[a] || snprintf(path, sizeof(path), "%s/%s/%s", sysfs_net, dev,
					  files[a]) >= (int)sizeof(path))
			continue;
		if (!read_number(path, &v)) {
			tune_set(c, a, v);
			found++;
		}
	}
	return found ? 0 : -ENOENT;
}

int tune_device_write(const char *sysfs_net, const char *dev, const struct netdev_napi_conf *c,
		      char *err, size_t errlen)
{
	char path[PATH_MAX], val[32];
	int ret;

	for (int a = 0; a < TUNE_NR; a++) {
		int64_t v = tune_get(c, a);
		ssize_t n;
		int fd;

		if (v < 0 || a == TUNE_IRQ_SUSPEND_TIMEOUT)
			continue;
		if (a == TUNE_THREADED) {
			ret = threaded_set(sysfs_net, dev, v, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s/%s", sysfs_net, dev, files[a]);
		snprintf(val, sizeof(val), "%" PRId64 "\n", v);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(err, errlen, -errno, "cannot open %s: %s", path, strerror(errno));
		n = write(fd, val, strlen(val));
		ret = n < 0 ? -errno : 0;
		close(fd);
		if (ret)
			return fail(err, errlen, ret, "cannot write %" PRId64 " to %s: %s", v, path,
				    strerror(-ret));
	}
	return 0;
}
