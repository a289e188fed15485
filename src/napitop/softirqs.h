/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own softirq accounting per CPU, read at each refresh: the
 * NET_RX runs of /proc/softirqs, and the softirq time of /proc/stat (every
 * vector, mpstat's %soft).  That time is exact where the kernel accounts
 * IRQ time (CONFIG_IRQ_TIME_ACCOUNTING, on at run time), else sampled at
 * ticks: a tick that lands in a softirq counts whole to it.  NET_RX's own
 * time is not in either; napitop --netrx-time has two programs a softirq
 * measure it.  Counts are since napitop started.
 */
#ifndef KSCOPE_NAPITOP_SOFTIRQS_H
#define KSCOPE_NAPITOP_SOFTIRQS_H

#include <stdint.h>

#define NT_UNKNOWN	UINT64_MAX	/* a CPU the file has no figure for */

struct nt_softirqs;

struct nt_softirqs_cpu {
	uint64_t netrx_count;		/* NET_RX softirq runs */
	uint64_t softirq_ns;		/* time in softirqs, every vector */
};

/* The counts of @proc (normally "/proc") for @ncpu CPUs, from now on;
 * NULL without memory. */
struct nt_softirqs *nt_softirqs_new(const char *proc, unsigned int ncpu);
/* Each CPU's counts since the start into @out[ncpu], NT_UNKNOWN where a
 * file has none (an offline CPU, a file that cannot be read). */
void nt_softirqs_read(struct nt_softirqs *s, struct nt_softirqs_cpu *out);
void nt_softirqs_free(struct nt_softirqs *s);

#endif
