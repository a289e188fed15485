/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by napitop's kernel side (napitop.bpf.c) and user space
 * (src/napitop/).  Everything is aggregated in the kernel, in per-CPU maps
 * (no atomics, no record per poll): user space sums the CPUs and also
 * learns from them where each NAPI instance polled.
 */
#ifndef KSCOPE_NAPITOP_H
#define KSCOPE_NAPITOP_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define NT_HIST		9	/* work per poll: 0, 1, 2-3, 4-7, ... 64-127, 128+ */
#define NT_NO_BIT	0xff	/* a napi_struct state bit this kernel lacks */
#define NT_IFNAMSIZ	16
#define NT_MAX_CPUS	8192	/* ksoftirqd pids known up to this many CPUs */

/* Where a poll ran. */
enum nt_mode {
	NT_MODE_SOFTIRQ = 0,	/* NET_RX softirq on irq exit or bh enable */
	NT_MODE_KSOFTIRQD = 1,	/* NET_RX softirq deferred to ksoftirqd */
	NT_MODE_THREADED = 2,	/* the instance's own napi/<dev>-<id> kthread */
	NT_MODE_BUSY_POLL = 3,	/* a socket's busy poll */
	NT_NR_MODES = 4,
};

/*
 * A NAPI instance, by its id (napi_id, global); instances without one
 * (busy polling off, or not hashed) by device: ifindex and the network
 * namespace's inode.  The per-CPU backlog (RPS, netif_rx) has no device:
 * all zero.  Never a kernel pointer.
 */
struct nt_key {
	__u32 napi_id;
	__u32 ifindex;
	__u32 netns;
	__u32 pad;
};

/* One CPU's share of an instance (BPF_MAP_TYPE_PERCPU_HASH). */
struct nt_stat {
	__u64 polls;
	__u64 packets;		/* work: packets (or frames) handled */
	__u64 full;		/* polls that used the whole budget: repoll */
	__u64 hist[NT_HIST];
	__u64 modes[NT_NR_MODES];
	__u64 last_tick;	/* last poll on this CPU, in jiffies */
	__u64 state;		/* napi_struct.state at that poll */
	__u32 thread_pid;	/* the instance's kthread, 0: none */
	__u32 weight;		/* the budget a poll gets */
	__u32 ifindex;		/* its device, in its network namespace */
	__u32 netns;		/* ... whose inode this is */
	char dev[NT_IFNAMSIZ];	/* "" for the backlog */
};

/* Per CPU: NET_RX softirq time (napitop --netrx-time). */
struct nt_cpu {
	__u64 netrx_ns;
	__u64 entry_ns;		/* in NET_RX since, 0: not */
};

/* Bucket of a poll's work (budget excluded: a full poll also counts in
 * nt_stat.full). */
static inline unsigned int nt_bucket(int work)
{
	unsigned int b = 0;

	if (work <= 0)
		return 0;
	while (work && b < NT_HIST - 1) {
		work >>= 1;
		b++;
	}
	return b;
}

#endif
