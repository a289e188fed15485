/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's NAPI inventory through the "netdev" generic netlink family
 * (Documentation/netlink/specs/netdev.yaml): every NAPI instance with its
 * device, IRQ and kthread (napi-get, 6.8) and configuration (6.13, its
 * threaded mode 6.17), the queues each serves (queue-get, 6.8) and their
 * statistics (qstats-get, 6.9); and napi-set (6.13) to configure one.
 * Kernels without the family, or whose family lacks the op, get
 * -EOPNOTSUPP and the reason in one line; napitop then names NAPIs from
 * what its BPF programs see.
 *
 * A netlink socket sees the devices of its own network namespace only:
 * these list the NAPIs of the namespace kscope runs in.  PIDs are the
 * kernel's global ones (the initial PID namespace).
 */
#ifndef KSCOPE_NAPITOP_NETDEV_H
#define KSCOPE_NAPITOP_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A NAPI's configuration: what napi-get says and napi-set sets; -1 where
 * the kernel does not say (or, for napi-set, leave as it is). */
struct netdev_napi_conf {
	int64_t defer_hard_irqs;	/* 6.13 */
	int64_t gro_flush_timeout_ns;	/* 6.13 */
	int64_t irq_suspend_timeout_ns;	/* 6.13 */
	int threaded;			/* enum threaded_mode of this NAPI, 6.17 */
};

#define NETDEV_NAPI_CONF_NONE { -1, -1, -1, -1 }

struct netdev_napi {
	unsigned int ifindex;
	unsigned int napi_id;
	int irq;		/* -1: none */
	int pid;		/* the NAPI kthread, 0: none */
	struct netdev_napi_conf conf;
	char ifname[16];	/* "" when the device went meanwhile */
};

enum netdev_queue_type { NETDEV_QUEUE_RX, NETDEV_QUEUE_TX };

/* The counters of qstats-get, in the order of their attributes (from
 * rx-packets, attribute 8); netdev_qstat_names[] has the spec's names. */
enum netdev_qstat {
	NETDEV_QSTAT_RX_PACKETS, NETDEV_QSTAT_RX_BYTES, NETDEV_QSTAT_TX_PACKETS,
	NETDEV_QSTAT_TX_BYTES, NETDEV_QSTAT_RX_ALLOC_FAIL, NETDEV_QSTAT_RX_HW_DROPS,
	NETDEV_QSTAT_NR = 27	/* rx-packets (8) to tx-wake (34) */
};
extern const char *const netdev_qstat_names[NETDEV_QSTAT_NR];

/* A qstats-get reply: a device's totals (queue_type and queue_id -1) or
 * one queue's; counters the driver does not keep are UINT64_MAX. */
struct netdev_qstats {
	unsigned int ifindex;
	int queue_type, queue_id;
	uint64_t v[NETDEV_QSTAT_NR];
};

/* A queue-get reply: a queue and the NAPI serving it (0: none). */
struct netdev_queue {
	unsigned int ifindex, id, napi_id;
	int type;		/* enum netdev_queue_type */
	uint64_t stats[NETDEV_QSTAT_NR];	/* qstats-get's, UINT64_MAX: none */
};

/* Everything of this network namespace at once, on one socket. */
struct netdev_inventory {
	struct netdev_napi *napis;
	size_t nr_napis;
	struct netdev_queue *queues;
	size_t nr_queues;
	bool have_queues, have_qstats;	/* the kernel answered queue-get, qstats-get */
};

/*
 * Every NAPI of this network namespace, in the kernel's order: *@out is
 * malloc'ed (free() it; NULL when *@nr is 0).  0, -EOPNOTSUPP where the
 * kernel has no napi-get, or another -errno; a line in @err either way.
 */
int netdev_napi_list(struct netdev_napi **out, size_t *nr, char *err, size_t errlen);

/*
 * napi-get, queue-get and per-queue qstats-get into @inv (free it with
 * netdev_inventory_free()): 0, or napi-get's failure as
 * netdev_napi_list() says it.  Queues and their stats are left out, in
 * silence, where the kernel has not the op.
 */
int netdev_inventory_read(struct netdev_inventory *inv, char *err, size_t errlen);
void netdev_inventory_free(struct netdev_inventory *inv);

/*
 * napi-set: the attributes of @conf that are not -1 on the NAPI @napi_id
 * (needs CAP_NET_ADMIN; persists until changed, or the NAPI goes).  0, or
 * -errno with one line in @err: -EOPNOTSUPP a kernel without napi-set,
 * -ENOENT no such NAPI (in this namespace), the kernel's reason otherwise.
 */
int netdev_napi_set(unsigned int napi_id, const struct netdev_napi_conf *conf, char *err,
		    size_t errlen);

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

/* A napi-get reply; irq -1, pid 0 and the configuration -1 where not
 * given, an empty ifname (the message has none). */
int netdev_parse_napi(const void *msg, size_t len, struct netdev_napi *out);

/* A queue-get reply; napi_id 0 where not given; stats all UINT64_MAX. */
int netdev_parse_queue(const void *msg, size_t len, struct netdev_queue *out);

/* A qstats-get reply. */
int netdev_parse_qstats(const void *msg, size_t len, struct netdev_qstats *out);

/* The generic netlink controller's reply about a family: its id and, bit
 * N of *@dump_ops (*@do_ops), whether op N (below 64) can dump (do). */
int netdev_parse_family(const void *msg, size_t len, uint16_t *id, uint64_t *dump_ops,
			uint64_t *do_ops);

/* The kernel's explanation in an NLMSG_ERROR (extended ack), or NULL. */
const char *netdev_parse_extack(const void *msg, size_t len);

#endif
