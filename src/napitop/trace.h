/* SPDX-License-Identifier: GPL-2.0 */
/*
 * napitop's kernel side (bpf/napitop.bpf.c) loaded, attached and read.
 */
#ifndef KSCOPE_NAPITOP_TRACE_H
#define KSCOPE_NAPITOP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "napitop.h"

struct nt_tracer;

/* A NAPI instance as read: its share on each CPU. */
struct nt_napi_row {
	struct nt_key key;
	struct nt_stat *cpu;		/* [ncpu] */
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

/* Load and attach (tp_btf, else raw_tp).  0 or -errno with a line in @err;
 * on error nothing stays loaded. */
int nt_trace_start(struct nt_tracer **out, char *err, size_t errlen);
/* "tp_btf" or "raw_tp" */
const char *nt_trace_kind(const struct nt_tracer *t);
int nt_trace_read(struct nt_tracer *t, struct nt_snapshot *s);
void nt_snapshot_free(struct nt_snapshot *s);
void nt_trace_stop(struct nt_tracer *t);

#endif
