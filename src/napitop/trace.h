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

struct nt_snapshot {
	uint64_t time_ns;		/* CLOCK_MONOTONIC */
	unsigned int ncpu;		/* possible CPUs */
	struct nt_napi_row *napis;
	size_t nr_napis;
	struct nt_thread_row *threads;
	size_t nr_threads;
	struct nt_cpu *cpus;		/* [ncpu] */
	uint64_t lost_napis, lost_threads;
};

/* Load and attach (tp_btf, else raw_tp), with @time_programs the kernel
 * timing each run of them (BPF stats, while napitop runs).  0 or -errno
 * with a line in @err; on error nothing stays loaded. */
int nt_trace_start(struct nt_tracer **out, bool time_programs, char *err, size_t errlen);
/* Each program's runs and time a run so far, a line each (time_programs) */
void nt_trace_print_programs(const struct nt_tracer *t, FILE *f);
/* "tp_btf" or "raw_tp" */
const char *nt_trace_kind(const struct nt_tracer *t);
int nt_trace_read(struct nt_tracer *t, struct nt_snapshot *s);
void nt_snapshot_free(struct nt_snapshot *s);
void nt_trace_stop(struct nt_tracer *t);

#endif
