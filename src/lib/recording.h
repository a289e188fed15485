/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A recorded session in memory: its header, its snapshots and its target's
 * mappings, and the limits a loaded one keeps within.  Both file formats
 * load into it and write from it, ours (record.h) and damo's (damo.h), so
 * it lives here, apart from either, and includes neither.
 */
#ifndef KSCOPE_RECORDING_H
#define KSCOPE_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Limits the loaders enforce; the writer refuses to exceed them too. */
#define RECORD_MAX_REGIONS	(1u << 20)	/* per snapshot */
#define RECORD_MAX_MAPPINGS	(1u << 20)	/* per mappings record */
#define RECORD_MAX_SNAPSHOTS	(1u << 24)	/* per file */
#define RECORD_MAX_TOTAL_REGIONS (1ull << 28)	/* per file, ~6 GiB loaded */
#define RECORD_MAX_NOTES	(1u << 16)	/* per file */
#define RECORD_NOTE_MAX		255		/* bytes of a note's text */

/* What the session was; strings are NUL-terminated within their field. */
struct record_header {
	char tool[32];		/* "damontop" */
	char source[16];	/* "pte", "damon", ... */
	char target[256];	/* command line, "pid 1234", "physical memory" */
	int32_t pid;		/* target pid, -1 for none */
	uint64_t start_realtime_ns;	/* CLOCK_REALTIME at start */
	uint64_t start_mono_ns;		/* CLOCK_MONOTONIC at the same moment */
	uint64_t sample_ns;	/* intervals at start; snapshots carry their own */
	uint64_t aggr_ns;
	uint32_t min_nr_regions;
	uint32_t max_nr_regions;
	/* how often the target's ranges are re-read: damo records carry it
	 * (ops_update_us), kscope records do not (0 when loaded) */
	uint64_t update_ns;
};

/* A line the source said of itself, in force from @time_ns. */
struct record_note {
	uint64_t time_ns;
	char text[RECORD_NOTE_MAX + 1];
};

/* A whole loaded session. */
struct recording {
	struct record_header hdr;
	struct snapshot *snaps;		/* in file order, times non-decreasing */
	size_t nr_snaps;
	struct mapping *maps;		/* the last mapping set written */
	size_t nr_maps;
	uint64_t maps_time_ns;		/* when that set was taken */
	size_t nr_map_sets;		/* MAPPINGS records in the file */
	struct region *region_store;	/* backs every snaps[i].regions */
	struct record_note *notes;	/* in file order */
	size_t nr_notes;
};

/* Free what @rec holds and leave it empty; NULL is allowed. */
void recording_free(struct recording *rec);

#endif
