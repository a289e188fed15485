/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A NAPI's configuration as a user names it: defer-hard-irqs (polls that
 * keep the device's interrupts masked after one that found nothing to do,
 * 0: none), gro-flush-timeout (ns a poll may hold GRO packets and the
 * interrupt off: a timer polls again), irq-suspend-timeout (ns busy
 * polling may suspend the interrupt, 6.13), threaded (off, on, busy-poll).
 * Per NAPI they are napi-get's and napi-set's (netdev.h, 6.13; threaded
 * 6.17); per device, on every kernel, /sys/class/net/DEV's
 * napi_defer_hard_irqs, gro_flush_timeout and threaded, a write to which
 * sets every NAPI of the device.
 */
#ifndef KSCOPE_NAPITOP_TUNE_H
#define KSCOPE_NAPITOP_TUNE_H

#include <stddef.h>

#include "netdev.h"

enum tune_attr {
	TUNE_DEFER_HARD_IRQS,
	TUNE_GRO_FLUSH_TIMEOUT,
	TUNE_IRQ_SUSPEND_TIMEOUT,
	TUNE_THREADED,
	TUNE_NR
};

/* "defer-hard-irqs", ... as the user and the man page name them */
const char *tune_attr_name(enum tune_attr a);

/* The attribute's value in @c (-1: not known or not set), and setting it. */
int64_t tune_get(const struct netdev_napi_conf *c, enum tune_attr a);
void tune_set(struct netdev_napi_conf *c, enum tune_attr a, int64_t v);

/* The value of @a as a person reads it: "2", "20 us", "on"; "-" for -1. */
const char *tune_format(enum tune_attr a, int64_t v, char *buf, size_t len);

/*
 * "NAME=VALUE" into @c: defer-hard-irqs a count up to 2^31-1, the timeouts
 * a duration ("20000" ns, "20us", "1ms"), threaded off/on/busy-poll.  0,
 * or -EINVAL with one line in @err naming what is wrong.
 */
int tune_parse(const char *assignment, struct netdev_napi_conf *c, char *err, size_t errlen);

/*
 * @dev's device-wide values from @sysfs_net (normally /sys/class/net): the
 * ones it has files for, -1 for the rest.  0, or -errno when it has none
 * of them (no such device, or a kernel without them).
 */
int tune_device_read(const char *sysfs_net, const char *dev, struct netdev_napi_conf *c);

/*
 * Writes @c's set values of defer-hard-irqs, gro-flush-timeout and threaded
 * to @dev's sysfs files (irq-suspend-timeout has none).  0, or -errno with
 * one line naming the file in @err.
 */
int tune_device_write(const char *sysfs_net, const char *dev, const struct netdev_napi_conf *c,
		      char *err, size_t errlen);

#endif
