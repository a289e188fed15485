/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A device's NAPI polling mode, /sys/class/net/DEV/threaded: NAPI polled
 * in the NET_RX softirq (0), by one kthread per NAPI, "napi/DEV-ID" (1,
 * Linux 5.12 on), or by that kthread busy polling without waiting for
 * interrupts (2, kernels whose enum netdev_napi_threaded has a third
 * value).  The file reads the device-wide setting as a decimal number; a
 * write of another value than the kernel knows, or to a device without
 * NAPI, fails with EOPNOTSUPP.  Writing needs CAP_NET_ADMIN and applies to
 * every NAPI of the device, overriding any set one by one through netlink.
 */
#ifndef KSCOPE_NAPITOP_THREADED_H
#define KSCOPE_NAPITOP_THREADED_H

#include <stddef.h>

#define THREADED_SYSFS_NET "/sys/class/net"

/* the kernel's values, as the file shows them */
enum threaded_mode {
	THREADED_OFF,
	THREADED_ON,
	THREADED_BUSY_POLL,
};

/*
 * The mode of @dev from @sysfs_net/@dev/threaded (@sysfs_net is normally
 * THREADED_SYSFS_NET).  0, or -errno with one line naming the device in
 * @err: -EINVAL a bad device name, -ENODEV no such device, -EOPNOTSUPP a
 * kernel without threaded NAPI (no file) or a device without NAPI (where
 * the kernel says so: most read 0 for such a device), -ERANGE a value
 * kscope does not know.
 */
int threaded_get(const char *sysfs_net, const char *dev, enum threaded_mode *mode,
		 char *err, size_t errlen);

/*
 * Switches every NAPI of @dev to @mode; persists until changed (or the
 * device goes).  0, or -errno with one line naming the device in @err, as
 * threaded_get() and threaded_store_error() say.
 */
int threaded_set(const char *sysfs_net, const char *dev, enum threaded_mode mode,
		 char *err, size_t errlen);

/*
 * The message and code for a write of @mode to @dev's threaded file that
 * failed with @errnum: what threaded_set() reports.  @busy_poll is what
 * threaded_kernel_busy_poll() says; it tells the two causes of EOPNOTSUPP
 * for THREADED_BUSY_POLL apart.  Returns -@errnum.
 */
int threaded_store_error(const char *dev, enum threaded_mode mode, int errnum, int busy_poll,
			 char *err, size_t errlen);

/* Whether the running kernel has the busy-poll mode: its BTF has a value 2
 * in enum netdev_napi_threaded.  1, 0, or -errno without kernel BTF.
 * Parses vmlinux BTF (tens of ms). */
int threaded_kernel_busy_poll(void);

/* "off"/"0"/"disabled"/"softirq", "on"/"1"/"enabled"/"threaded",
 * "busy-poll"/"busy_poll"/"2", any case.  0 or -EINVAL. */
int threaded_parse(const char *word, enum threaded_mode *mode);

/* "off", "on", "busy-poll"; "?" for anything else */
const char *threaded_name(enum threaded_mode mode);

#endif
