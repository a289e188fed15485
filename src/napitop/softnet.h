/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The per-CPU counters of the kernel's receive softirq, from
 * /proc/net/softnet_stat: one line per online CPU, columns in hex.  Every
 * kernel prints the same first eleven columns (processed, dropped,
 * time_squeeze, five zeros, cpu_collision, received_rps, flow_limit_count;
 * kernels before 3.11 stop at ten, without flow_limit_count) and newer
 * ones append:
 *
 *   11 columns  up to 5.9
 *   13 columns  5.10-6.3: + backlog length, CPU number
 *   15 columns  6.4 on:   + input_pkt_queue and process_queue lengths
 *
 * so the CPU number is the thirteenth column where there is one, else the
 * line number, which is wrong on those old kernels when a CPU below the
 * last is offline (offline CPUs have no line).  The kernel's counters are
 * 32 bits wide and wrap: take differences modulo 2^32.
 */
#ifndef KSCOPE_NAPITOP_SOFTNET_H
#define KSCOPE_NAPITOP_SOFTNET_H

#include <stddef.h>
#include <stdint.h>

#define SOFTNET_STAT "/proc/net/softnet_stat"

struct softnet_cpu {
	unsigned int cpu;
	uint64_t processed;	/* packets taken off the backlog or a NAPI */
	uint64_t dropped;	/* backlog full (netdev_max_backlog) */
	uint64_t time_squeeze;	/* net_rx_action out of budget or time */
	uint64_t received_rps;	/* RPS IPIs that woke this CPU */
	uint64_t flow_limit;	/* dropped by the flow limit; 0 before 3.11 */
};

/*
 * Every line of @path (SOFTNET_STAT), in file order, CPU numbers
 * ascending: *@out is malloc'ed (free() it), *@nr its length, at least 1.
 * 0, or -errno with a line naming the file and line in @err (-EINVAL for
 * text that is not the kernel's layout); *@out is NULL on an error.
 */
int softnet_read(const char *path, struct softnet_cpu **out, size_t *nr, char *err,
		 size_t errlen);

#endif
