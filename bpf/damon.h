/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by damontop's kernel DAMON capture (damon.bpf.c) and its
 * user side (src/damontop/kdamond.c).  Plain fixed-width data.
 */
#ifndef KSCOPE_DAMON_H
#define KSCOPE_DAMON_H

/* One region of one target at the end of an aggregation interval, as the
 * damon:damon_aggregated tracepoint reports it. */
struct damon_event {
	__u64 ts;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 start;
	__u64 end;
	__u32 target_id;	/* the target's index in its context */
	__u32 nr_regions;	/* regions of that target this aggregation */
	__u32 nr_accesses;
	__u32 age;
};

#endif
