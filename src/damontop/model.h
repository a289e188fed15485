/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What damontop's views show, independent of where it came from (a live
 * source or a record file): recent snapshots, the target's named mappings,
 * working-set figures and the hottest regions.  Pure C, no I/O.
 */
#ifndef KSCOPE_DAMONTOP_MODEL_H
#define KSCOPE_DAMONTOP_MODEL_H

#include <stdint.h>

#include "heatgrid.h"
#include "snapshot.h"

struct damon_model {
	struct snapshot *ring;	/* the last max_snaps snapshots */
	size_t max_snaps, nr_snaps, head;
	uint64_t total_snaps;
	struct mapping *maps;	/* the latest named mappings */
	size_t nr_maps;
	uint64_t peak_wss;
};

/* One of a fixed number of equal slices of the heatmap's address axis. */
struct heat_bucket {
	uint64_t start;		/* the address it begins at */
	uint64_t bytes;		/* of it, covered by the snapshot's regions */
	uint64_t wss_bytes;	/* of those, in regions with any access */
	double access_ratio;	/* nr_accesses / samples, mean over its bytes */
};

struct hot_region {
	uint64_t start, end;
	uint32_t nr_accesses, age;
	double access_pct;	/* of the samples in its aggregation */
	const char *mapping;	/* name of the mapping holding its start */
};

int model_init(struct damon_model *m, size_t max_snaps);
void model_free(struct damon_model *m);
int model_add_snapshot(struct damon_model *m, const struct snapshot *s);
int model_set_mappings(struct damon_model *m, const struct mapping *maps, size_t nr);

/* i-th retained snapshot, oldest first; NULL when out of range. */
const struct snapshot *model_snapshot(const struct damon_model *m, size_t i);
const struct snapshot *model_latest(const struct damon_model *m);

/* Bytes in regions with any access in the snapshot (damo's WSS). */
uint64_t snapshot_wss(const struct snapshot *s);
/* The snapshot's accesses per region are out of this many samples. */
uint32_t snapshot_max_accesses(const struct snapshot *s);

/* Name of the mapping that holds addr ("-" for none). */
const char *model_mapping_name(const struct damon_model *m, uint64_t addr);

/* The n hottest regions of the latest snapshot, hottest first. */
size_t model_hottest(const struct damon_model *m, struct hot_region *out, size_t n);

/* Address axis of the heatmap: the target's mappings with the big gaps
 * between them left out (at most max - 1 gaps, each over 1/32 of the
 * mapped size); the runs of regions where no mappings are known.  Returns
 * the number of spans written, at most max. */
size_t model_spans(const struct damon_model *m, struct heat_span *spans, size_t max);

/* The views' address axis (model_spans) has at most this many spans. */
#define MODEL_MAX_SPANS 8

/* The latest snapshot over @n equal slices of that axis (cut on 4 KiB
 * boundaries of it), low address first: what the batch heat row shows,
 * fixed in number whatever the target, for metrics.  Regions in the gaps
 * left out of the axis are in no bucket.  Returns n, or 0 before the
 * first snapshot. */
size_t model_buckets(const struct damon_model *m, struct heat_bucket *out, size_t n);

#endif
