/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The heat grid: memory access frequency over time x address, computed
 * from region snapshots.  Pure model: no I/O.  The live view, reports and
 * the PNG/SVG/TSV exporters all read it.
 *
 * A cell's heat is the time- and address-weighted mean access frequency of
 * the regions covering it, in Hz as DAMON samples it: a region's
 * nr_accesses over its aggregation interval, the number of sampling
 * intervals a second that found it accessed, so never more than 1 /
 * sampling interval.  The default model (HEAT_ONCE) counts every piece of
 * time once: snapshot i covers (end of snapshot i-1, time_ns], and only
 * the first snapshot reaches back further, by its regions' ages, before
 * the record's start (as damo does).  HEAT_DAMO_33 reproduces damo 3.3.0's
 * numbers exactly, for checking against damo, double count included.
 *
 * The rules both models share, from damo 3.3.0:
 *  - Snapshot i was aggregated over (end of snapshot i-1, time_ns]; the
 *    first one from the caller's start_ns (a record's start time).
 *  - A region of age N is taken to have had its access count since N
 *    aggregation intervals before that start.  Which time cells it reaches
 *    is clipped at the previous snapshot's end (not for the first
 *    snapshot, which is why damo's default time range begins before the
 *    first snapshot).  HEAT_DAMO_33 only: within a reached cell its time
 *    overlap is counted from the unclipped start, so a cell holding a
 *    snapshot boundary is credited twice for the time before it (damo
 *    3.3.0's add_pixel_heat); HEAT_ONCE counts from the clipped start.
 *  - Cell sizes are integer divisions of the ranges; the grid covers
 *    nt x t_unit and na x a_unit and drops the remainder.
 *  - heat = sum over regions of rate x time overlap x address overlap,
 *    divided by the cell's whole area (t_unit x a_unit), where rate is
 *    nr_accesses per second of aggregation interval (damo 3.3.0's raw
 *    output of a 5 s-aggregation record is exactly nr_accesses / 5; what
 *    it divides by is inferred, as no other interval was at hand to
 *    compare).  A cell fully covered by regions is therefore their
 *    overlap-weighted mean rate; a partly covered one is diluted.
 *  - A cell that no region reached is NaN; one a region merely touched
 *    (zero overlap at a boundary) is 0.
 *  - One deliberate difference: a snapshot that ended less than one cell
 *    before the grid's start adds nothing to cell 0 (damo subtracts it).
 *    damo's default ranges never meet this; a live window can.
 *
 * The address axis may be several disjoint spans (e.g. a process's mapped
 * areas without the huge gaps between them) laid end to end; cells divide
 * the concatenated length, and a region counts only where it lies inside
 * a span.  One span is exactly damo's address range.
 */
#ifndef KSCOPE_HEATGRID_H
#define KSCOPE_HEATGRID_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* One piece [start, end) of the address axis. */
struct heat_span {
	uint64_t start;
	uint64_t end;
};

enum heat_model {
	HEAT_ONCE,		/* every piece of time counted once (default) */
	HEAT_DAMO_33,		/* damo 3.3.0's numbers, its double count too */
};

/* "once", "damo-3.3" -> the model; -EINVAL for another name. */
int heat_model_parse(const char *name, enum heat_model *model);

struct heatgrid {
	enum heat_model model;	/* HEAT_ONCE after heatgrid_init() */
	unsigned int nt;	/* time cells */
	unsigned int na;	/* address cells */
	uint64_t t_start;	/* ns, same clock as snapshot time_ns */
	uint64_t t_end;		/* as asked; the grid ends at t_start + nt * t_unit */
	uint64_t t_unit;	/* ns per time cell */
	uint64_t a_unit;	/* bytes per address cell */
	size_t nr_spans;
	struct heat_span *spans;	/* sorted, disjoint, owned copy */
	uint64_t *span_off;	/* offset of each span on the concatenated axis */
	double *heat;		/* heat[t * na + a] in Hz, NaN = not covered */
};

/*
 * Set up an nt x na grid over [t_start, t_end) and the address spans
 * (sorted, disjoint, non-empty).  -EINVAL for bad arguments or a range
 * shorter than its number of cells, -ENOMEM.  Cells start NaN.
 */
int heatgrid_init(struct heatgrid *g, unsigned int nt, unsigned int na,
		  uint64_t t_start, uint64_t t_end,
		  const struct heat_span *spans, size_t nr_spans);

/*
 * Recompute every cell from @snaps (in time order, regions sorted by start);
 * start_ns is when the first snapshot's aggregation began: a record's start
 * time, or heatgrid_first_start() when nothing better is known.
 */
void heatgrid_fill(struct heatgrid *g, const struct snapshot *snaps,
		   size_t nr, uint64_t start_ns);

/* The first snapshot's time minus its aggregation interval. */
uint64_t heatgrid_first_start(const struct snapshot *snaps, size_t nr);

/*
 * damo's default ranges: time from the oldest age the first snapshot knows
 * of (start_ns - max age x aggregation interval, 0 at the least) to the
 * last snapshot's time; addresses: the contiguous part (between gaps that
 * persist through the snapshots) with the most accesses per byte.
 * -EINVAL for no snapshots or no regions, -ENOMEM.
 */
int heatgrid_default_range(const struct snapshot *snaps, size_t nr,
			   uint64_t start_ns, uint64_t *t_start,
			   uint64_t *t_end, uint64_t *a_start, uint64_t *a_end);

/* Where time cell t and address cell a start. */
uint64_t heatgrid_cell_time(const struct heatgrid *g, unsigned int t);
uint64_t heatgrid_cell_addr(const struct heatgrid *g, unsigned int a);

/* Hottest cell's heat, NaN when no cell is covered. */
double heatgrid_max(const struct heatgrid *g);

void heatgrid_free(struct heatgrid *g);

#endif
