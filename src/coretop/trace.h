/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coretop's kernel side (bpf/coretop.bpf.c) loaded, attached and read.
 *
 * Measured mode watches the kernel's own core scheduling: groups are the
 * tasks' cookies, forced idle is the kernel's.  What-if mode estimates it
 * on any kernel: groups from --group-by, conflict time is the time two
 * siblings ran tasks of different groups at once.
 */
#ifndef KSCOPE_CORETOP_TRACE_H
#define KSCOPE_CORETOP_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coretop.h"
#include "topo.h"

struct ct_tracer;

struct ct_trace_opts {
	bool measured;
	enum ct_group_by by;
	const struct topo *topo;
	const uint32_t *list_tgid;	/* CT_BY_LIST: tgid -> group */
	const uint64_t *list_group;
	size_t nr_list;
};

struct ct_task_row {
	uint32_t pid;
	bool exited;			/* gone: its entry was removed after this read */
	struct ct_task t;
};

struct ct_pair_row {
	struct ct_pair key;
	struct ct_pair_acct v;
};

/* Everything at one moment, the interval still open charged up to it. */
struct ct_snapshot {
	uint64_t time_ns;		/* CLOCK_MONOTONIC, the kernel's clock */
	struct ct_core *cores;		/* topo order */
	unsigned int nr_cores;
	struct ct_task_row *tasks;
	size_t nr_tasks;
	struct ct_pair_row *pairs;
	size_t nr_pairs;
	uint64_t lost_tasks, lost_pairs, lost_cookies;
};

/* The kernel has core scheduling (task_struct.core_cookie in its BTF). */
bool ct_kernel_has_core_sched(void);

/* Load and attach.  0 or -errno with a line in @err; on error nothing
 * stays loaded. */
int ct_trace_start(struct ct_tracer **out, const struct ct_trace_opts *o, char *err,
		   size_t errlen);
int ct_trace_read(struct ct_tracer *t, struct ct_snapshot *s);
/* Just the cores, as they are (topo order; nr_cores of them). */
int ct_trace_read_cores(struct ct_tracer *t, struct ct_core *cores);
void ct_snapshot_free(struct ct_snapshot *s);
void ct_trace_stop(struct ct_tracer *t);

/* User space's half of a read: charge @c's open interval up to @now and
 * move its pending time (tasks, pairs) into @s's rows.  Unit-tested. */
void ct_snapshot_close(struct ct_snapshot *s, struct ct_core *c, uint64_t now);

#endif
