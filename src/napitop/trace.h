/* SPDX-License-Identifier: GPL-2.0 */
/*
 * napitop's kernel side (bpf/napitop.bpf.c) loaded, attached and read.
 */
#ifndef KSCOPE_NAPITOP_TRACE_H
#define KSCOPE_NAPITOP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "napitop.h"
#include "softirqs.h"

struct nt_tracer;

/* A NAPI instance as read: its share on each CPU. */
struct nt_napi_row {
	struct nt_key key;
	struct nt_stat *cpu;		/* [ncpu] */
};

/* A NAPI kthread or ksoftirqd: its CPU time from the kernel's own
 * accounting (threads.h), since napitop started. */
struct nt_thread {
	uint64_t run_ns;
	uint64_t switches;		/* the times it ran */
	char comm[16];
};

struct nt_thread_row {
	uint32_t pid;
	struct nt_thread t;
};

/* A CPU's softirq figures since the start: NET_RX's time (timed with
 * --netrx-time, else NT_UNKNOWN), and the kernel's own NET_RX runs and
 * softirq time (softirqs.h). */
struct nt_cpu_counts {
	uint64_t netrx_ns;
	uint64_t netrx_count;
	uint64_t softirq_ns;
};

struct nt_snapshot {
	uint64_t time_ns;		/* CLOCK_MONOTONIC */
	unsigned int ncpu;		/* possible CPUs */
	struct nt_napi_row *napis;
	size_t nr_napis;
	struct nt_thread_row *threads;
	size_t nr_threads;
	struct nt_cpu_counts *cpus;	/* [ncpu] */
	uint64_t lost_napis, lost_threads;
};

struct nt_trace_opts {
	bool netrx_time;	/* time NET_RX softirqs: two programs more */
	bool time_programs;	/* the kernel times each run of ours (BPF
				 * stats, while napitop runs) */
};

/* Load and attach (tp_btf, else raw_tp).  0 or -errno with a line in
 * @err; on error nothing stays loaded. */
int nt_trace_start(struct nt_tracer **out, const struct nt_trace_opts *o, char *err,
		   size_t errlen);
/* Each program's runs and time a run so far, a line each (time_programs) */
void nt_trace_print_programs(const struct nt_tracer *t, FILE *f);
/* "tp_btf" or "raw_tp" */
const char *nt_trace_kind(const struct nt_tracer *t);
/* The softirq time the kernel accounts: "exact" (IRQ time accounting)
 * or "ticks" (sampled) */
const char *nt_trace_softirq_time(const struct nt_tracer *t);
int nt_trace_read(struct nt_tracer *t, struct nt_snapshot *s);
void nt_snapshot_free(struct nt_snapshot *s);
void nt_trace_stop(struct nt_tracer *t);

#endif
