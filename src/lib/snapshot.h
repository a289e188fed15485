/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DAMON-style region snapshots: what every memory-access source produces
 * once per aggregation interval and what every view, record file and
 * exporter consumes.  Plain data, no behaviour.
 */
#ifndef KSCOPE_SNAPSHOT_H
#define KSCOPE_SNAPSHOT_H

#include <stdint.h>
#include <stddef.h>

/* One monitored address range [start, end) and what DAMON knows of it. */
struct region {
	uint64_t start;
	uint64_t end;
	uint32_t nr_accesses;	/* samples that saw an access this aggregation */
	uint32_t age;		/* aggregations with a similar access count */
};

/* All regions at the end of one aggregation interval. */
struct snapshot {
	uint64_t time_ns;	/* CLOCK_MONOTONIC at the end of the aggregation */
	uint64_t sample_ns;	/* sampling interval in force for it */
	uint64_t aggr_ns;	/* aggregation interval in force for it */
	uint32_t nr_regions;
	struct region *regions;	/* sorted by start, non-overlapping */
};

/* A named address range of the target ([heap], libc.so.6, anon, ...). */
struct mapping {
	uint64_t start;
	uint64_t end;
	char name[64];
};

#endif
