/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's NAPI inventory through the "netdev" generic netlink family
 * (Documentation/netlink/specs/netdev.yaml): every NAPI instance with its
 * device, IRQ and kthread (napi-get), and a device's receive counters
 * (qstats-get).  Kernels without the family, or whose family lacks the op,
 * get -EOPNOTSUPP and the reason in one line; napitop then names NAPIs
 * from what its BPF programs see.
 *
 * A netlink socket sees the devices of its own network namespace only:
 * these list the NAPIs of the namespace kscope runs in.  PIDs are the
 * kernel's global ones (the initial PID namespace).
 */
#ifndef KSCOPE_NAPITOP_NETDEV_H
#define KSCOPE_NAPITOP_NETDEV_H

#include <stddef.h>
#include <stdint.h>

struct netdev_napi {
	unsigned int ifindex;
	unsigned int napi_id;
	int irq;		/* -1: none */
	int pid;		/* the NAPI kthread, 0: none */
	int threaded;		/* enum threaded_mode of this NAPI; -1: the
				 * kernel does not say (before per-NAPI
				 * threaded settings) */
	char ifname[16];	/* "" when the device went meanwhile */
};

/*
 * Every NAPI of this network namespace, in the kernel's order: *@out is
 * malloc'ed (free() it; NULL when *@nr is 0).  0, -EOPNOTSUPP where the
 * kernel has no napi-get, or another -errno; a line in @err either way.
 */
int netdev_napi_list(struct netdev_napi **out, size_t *nr, char *err, size_t errlen);

/*
 * The device-wide receive counters of @ifindex (qstats-get, device
 * scope).  0, -EOPNOTSUPP where the kernel has no qstats-get or the
 * driver reports no packets and bytes, -ENODEV without such a device, or
 * another -errno; a line in @err.
 */
int netdev_qstats(unsigned int ifindex, uint64_t *rx_packets, uint64_t *rx_bytes, char *err,
		  size_t errlen);

/*
 * Pure parsers of the first netlink message at @msg (@len bytes, which may
 * hold more messages after it): never read past @len nor past the
 * message's own length, skip attributes they do not know, and return
 *   1   a reply of the kind asked for, filled in
 *   0   the end: NLMSG_DONE, or an ack
 *   -E  the kernel's error (NLMSG_ERROR, or NLMSG_DONE carrying one)
 *   -EBADMSG  a truncated or malformed message, or one of another kind
 */

/* A napi-get reply; irq -1, pid 0 and threaded -1 where not given, an
 * empty ifname (the message has none). */
int netdev_parse_napi(const void *msg, size_t len, struct netdev_napi *out);

/* A qstats-get reply; counters not given are UINT64_MAX. */
int netdev_parse_qstats(const void *msg, size_t len, unsigned int *ifindex,
			uint64_t *rx_packets, uint64_t *rx_bytes);

/* The generic netlink controller's reply about a family: its id and, bit
 * N of *@dump_ops, whether op N (below 64) can dump. */
int netdev_parse_family(const void *msg, size_t len, uint16_t *id, uint64_t *dump_ops);

/* The kernel's explanation in an NLMSG_ERROR (extended ack), or NULL. */
const char *netdev_parse_extack(const void *msg, size_t len);

#endif
