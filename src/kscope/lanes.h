/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A record's views as lanes on one time axis, for kscope report: each lane
 * one figure of one thing (vb napi 261's packets, cpu1's forced idle) at
 * each refresh, the rate or share of the interval that ended there, from
 * the counters its tool recorded (the same ones its --replay reads, so a
 * lane's total is what the tool reports for the session); or, for an IO
 * rule, its verdicts as marks at their times; or, for the mem view, its
 * working set at each aggregation and its heatmap, as `damontop report
 * heatmap` computes it.
 */
#ifndef KSCOPE_LANES_H
#define KSCOPE_LANES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heatgrid.h"

#define LANES_MAX	512	/* a record's lanes, at most: more are counted, not drawn */
#define LANES_HEAT_ROWS	32	/* the heatmap's address cells */
#define LANES_HEAT_COLS	300	/* its time cells, at most: one an aggregation below */

/* A figure of the interval between two refreshes (CLOCK_MONOTONIC) */
struct lane_point {
	uint64_t from_ns, to_ns;
	double value;
};

/* A verdict of an IO rule, at its time (CLOCK_MONOTONIC) */
struct lane_mark {
	uint64_t time_ns;
	bool denied;
	char what[32];			/* "write by blkwrite" */
};

struct lane {
	char tool[16];			/* "napitop" */
	char name[96];			/* "vb napi 261", "cpu1 (core 0)" */
	const char *what;		/* "packets", "forced idle" */
	const char *unit;		/* of the points: "/s", "%" */
	const char *total_unit;		/* of the total: "packets", "s" */
	double scale;			/* a counter's step into the total's unit */
	double total;			/* over the record */
	uint64_t last, last_ns;		/* the counter at the previous refresh */
	struct lane_point *pts;
	size_t nr, alloc;
	struct lane_mark *marks;	/* an IO rule's verdicts */
	size_t nr_marks, alloc_marks;
	uint64_t denied;		/* an IO rule's: of its total */
	struct heatgrid *heat;		/* the mem view's heatmap */
	char (*heat_names)[64];		/* its address spans' mappings */
};

struct lanes {
	struct lane *lane;
	size_t nr;
	size_t left_out;		/* beyond LANES_MAX */
	uint64_t start_ns, end_ns;	/* the first and last refresh of any part */
	char modes[128];		/* what the parts say of themselves */
};

/* Every part of the record @path that has lanes: 0, or
 * -errno with one line in @err. */
int lanes_load(const char *path, struct lanes *ls, char *err, size_t errlen);
void lanes_free(struct lanes *ls);

/* The lanes as one JSON document (kscope(8), REPORT): each point
 * [FROM, TO, VALUE], its interval in seconds from start_ns; an IO rule's
 * marks [TIME, DENIED, WHAT]; the heatmap's cells a column of heat in Hz
 * per time cell [FROM, TO, [LOW ADDRESS ... HIGH]], null where nothing
 * was monitored. */
void lanes_json(FILE *out, const struct lanes *ls, const char *record);

#endif
