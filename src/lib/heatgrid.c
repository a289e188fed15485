// SPDX-License-Identifier: GPL-2.0
/*
 * The heat grid model: access frequency counted once, or damo 3.3.0's
 * `report heatmap` arithmetic (see heatgrid.h for the rules).  Filling
 * walks snapshots and regions and adds into only the cells each region
 * overlaps, so its cost follows the data, not cells x regions.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "heatgrid.h"

#define NSEC_PER_SEC	1000000000.0

int heat_model_parse(const char *name, enum heat_model *model)
{
	if (!strcmp(name, "once"))
		*model = HEAT_ONCE;
	else if (!strcmp(name, "damo-3.3"))
		*model = HEAT_DAMO_33;
	else
		return -EINVAL;
	return 0;
}

int heatgrid_init(struct heatgrid *g, unsigned int nt, unsigned int na,
		  uint64_t t_start, uint64_t t_end,
		  const struct heat_span *spans, size_t nr_spans)
{
	uint64_t len = 0;
	size_t i, cells;

	memset(g, 0, sizeof(*g));
	/* Times are signed inside (a region's age reaches before 0). */
	if (!nt || !na || !nr_spans || t_end <= t_start ||
	    t_end > INT64_MAX / 2 || (t_end - t_start) / nt == 0)
		return -EINVAL;
	for (i = 0; i < nr_spans; i++) {
		if (spans[i].end <= spans[i].start ||
		    (i && spans[i].start < spans[i - 1].end) ||
		    __builtin_add_overflow(len, spans[i].end - spans[i].start,
					   &len))
			return -EINVAL;
	}
	if (len / na == 0)
		return -EINVAL;

	cells = (size_t)nt * na;
	g->spans = malloc(nr_spans * sizeof(*g->spans));
	g->span_off = malloc(nr_spans * sizeof(*g->span_off));
	g->heat = malloc(cells * sizeof(*g->heat));
	if (!g->spans || !g->span_off || !g->heat) {
		heatgrid_free(g);
		return -ENOMEM;
	}
	memcpy(g->spans, spans, nr_spans * sizeof(*spans));
	for (i = 0, len = 0; i < nr_spans; i++) {
		g->span_off[i] = len;
		len += spans[i].end - spans[i].start;
	}
	g->nr_spans = nr_spans;
	g->nt = nt;
	g->na = na;
	g->t_start = t_start;
	g->t_end = t_end;
	g->t_unit = (t_end - t_start) / nt;
	g->a_unit = len / na;
	for (i = 0; i < cells; i++)
		g->heat[i] = NAN;
	return 0;
}

void heatgrid_free(struct heatgrid *g)
{
	free(g->spans);
	free(g->span_off);
	free(g->heat);
	memset(g, 0, sizeof(*g));
}

/* damo's int((t - t0) / unit): truncation toward zero, so a time less
 * than one cell before the grid still lands in cell 0. */
static int64_t heatgrid_tidx(int64_t t, int64_t t0, uint64_t unit)
{
	if (t >= t0)
		return (int64_t)((uint64_t)(t - t0) / unit);
	return -(int64_t)((uint64_t)(t0 - t) / unit);
}

static int64_t heatgrid_min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t heatgrid_max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* How far back a region's access count reaches before its snapshot. */
static int64_t heatgrid_age_ns(uint32_t age, uint64_t aggr_ns)
{
	uint64_t ns;

	if (__builtin_mul_overflow((uint64_t)age, aggr_ns, &ns) ||
	    ns > INT64_MAX / 4)
		return INT64_MAX / 4;
	return ns;
}

/*
 * Add one region seen over [obs, et) to time cells i0..i1 and to every
 * address cell its [vs, ve] (on the concatenated axis) overlaps.
 */
static void heatgrid_add(struct heatgrid *g, int64_t i0, int64_t i1,
			 int64_t obs, int64_t et, uint64_t vs, uint64_t ve,
			 double rate)
{
	uint64_t au = g->a_unit, j, j1 = ve / au;
	int64_t tu = g->t_unit, i;

	if (j1 >= g->na)
		j1 = g->na - 1;
	for (j = vs / au; j <= j1; j++) {
		uint64_t pa = j * au;
		uint64_t lo = vs > pa ? vs : pa;
		uint64_t hi = ve < pa + au ? ve : pa + au;
		double sz = (double)(hi - lo);

		for (i = i0; i <= i1; i++) {
			int64_t pt = (int64_t)g->t_start + i * tu;
			int64_t at = heatgrid_min64(et, pt + tu) -
				     heatgrid_max64(obs, pt);
			double *cell = &g->heat[i * g->na + j];

			/* Negative only for a snapshot ending less than a cell
			 * before the grid, which damo's truncation puts in
			 * cell 0; damo would subtract, we add nothing. */
			if (at < 0)
				at = 0;

			if (isnan(*cell))
				*cell = 0;
			*cell += rate * (double)at * sz;
		}
	}
}

void heatgrid_fill(struct heatgrid *g, const struct snapshot *snaps,
		   size_t nr, uint64_t start_ns)
{
	int64_t t0 = g->t_start, prev_end = 0;
	size_t cells = (size_t)g->nt * g->na, k, c;
	double area = (double)g->t_unit * (double)g->a_unit;

	for (c = 0; c < cells; c++)
		g->heat[c] = NAN;

	for (k = 0; k < nr; k++) {
		const struct snapshot *s = &snaps[k];
		int64_t st = k ? (int64_t)snaps[k - 1].time_ns : (int64_t)start_ns;
		int64_t et = s->time_ns;
		size_t sp = 0;
		uint32_t r;

		for (r = 0; r < s->nr_regions; r++) {
			const struct region *rg = &s->regions[r];
			int64_t obs = st, lo, i0, i1;
			double rate = rg->nr_accesses;
			size_t m;

			if (s->aggr_ns) {
				obs -= heatgrid_age_ns(rg->age, s->aggr_ns);
				rate = rate * NSEC_PER_SEC / (double)s->aggr_ns;
			}
			/* time before the previous snapshot's end is its;
			 * damo 3.3.0 clips only the cells to touch and counts
			 * the overlap within them from obs */
			lo = k && obs < prev_end ? prev_end : obs;
			if (g->model == HEAT_ONCE)
				obs = lo;
			i0 = heatgrid_max64(heatgrid_tidx(lo, t0, g->t_unit), 0);
			i1 = heatgrid_min64(heatgrid_tidx(et, t0, g->t_unit),
					    (int64_t)g->nt - 1);
			if (i0 > i1)
				continue;

			/* Regions are sorted, so spans ending before this one
			 * are done with.  Touching counts (closed ranges): damo
			 * marks a cell a region only touches as covered. */
			while (sp < g->nr_spans && g->spans[sp].end < rg->start)
				sp++;
			for (m = sp; m < g->nr_spans &&
			     g->spans[m].start <= rg->end; m++) {
				const struct heat_span *span = &g->spans[m];
				uint64_t cs = rg->start > span->start ?
					      rg->start : span->start;
				uint64_t ce = rg->end < span->end ?
					      rg->end : span->end;
				uint64_t off = g->span_off[m] - span->start;

				heatgrid_add(g, i0, i1, obs, et, cs + off,
					     ce + off, rate);
			}
		}
		prev_end = et;
	}

	for (c = 0; c < cells; c++)
		g->heat[c] /= area;	/* NaN stays NaN */
}

uint64_t heatgrid_first_start(const struct snapshot *snaps, size_t nr)
{
	if (!nr || snaps[0].time_ns < snaps[0].aggr_ns)
		return 0;
	return snaps[0].time_ns - snaps[0].aggr_ns;
}

uint64_t heatgrid_cell_time(const struct heatgrid *g, unsigned int t)
{
	return g->t_start + (uint64_t)t * g->t_unit;
}

uint64_t heatgrid_cell_addr(const struct heatgrid *g, unsigned int a)
{
	uint64_t v = (uint64_t)a * g->a_unit;
	size_t lo = 0, hi = g->nr_spans;

	/* The last span whose offset is <= v. */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (g->span_off[mid] <= v)
			lo = mid;
		else
			hi = mid;
	}
	return g->spans[lo].start + (v - g->span_off[lo]);
}

double heatgrid_max(const struct heatgrid *g)
{
	size_t cells = (size_t)g->nt * g->na, c;
	double max = NAN;

	for (c = 0; c < cells; c++) {
		if (!isnan(g->heat[c]) && (isnan(max) || g->heat[c] > max))
			max = g->heat[c];
	}
	return max;
}

/*
 * damo's address guide.  Gaps are the holes between a snapshot's regions;
 * the guide keeps the first snapshot's gaps (or the first non-empty set)
 * and narrows each by every later gap it touches.  A gap no later gap
 * touches survives unchanged: that is damo's rule, kept for equal output.
 */
static void heatgrid_narrow_gaps(struct heat_span *gaps, size_t ng,
				 const struct heat_span *now, size_t nn)
{
	size_t i, j = 0;

	for (i = 0; i < ng; i++) {
		struct heat_span *g = &gaps[i];
		size_t h;

		/* Both lists are sorted and g only shrinks, so a gap of
		 * @now that ended before g began never matters again. */
		while (j < nn && now[j].end < g->start)
			j++;
		for (h = j; h < nn && now[h].start <= g->end; h++) {
			if (now[h].end < g->start)
				continue;
			if (now[h].start > g->start)
				g->start = now[h].start;
			if (now[h].end < g->end)
				g->end = now[h].end;
		}
	}
}

static size_t heatgrid_gaps_of(const struct snapshot *s, struct heat_span *out)
{
	size_t n = 0;
	uint32_t r;

	for (r = 1; r < s->nr_regions; r++) {
		if (s->regions[r].start != s->regions[r - 1].end) {
			out[n].start = s->regions[r - 1].end;
			out[n].end = s->regions[r].start;
			n++;
		}
	}
	return n;
}

int heatgrid_default_range(const struct snapshot *snaps, size_t nr,
			   uint64_t start_ns, uint64_t *t_start,
			   uint64_t *t_end, uint64_t *a_start, uint64_t *a_end)
{
	struct heat_span *gaps = NULL, *now = NULL, *contig = NULL;
	uint64_t lowest = UINT64_MAX, highest = 0, back;
	uint32_t max_regions = 0, max_age = 0, r;
	size_t ng = 0, nc, k, i, best;
	double *heats = NULL, best_hpb = -1;
	int err = -EINVAL;

	for (k = 0; k < nr; k++) {
		if (snaps[k].nr_regions > max_regions)
			max_regions = snaps[k].nr_regions;
	}
	if (!max_regions)
		return -EINVAL;

	for (r = 0; r < snaps[0].nr_regions; r++) {
		if (snaps[0].regions[r].age > max_age)
			max_age = snaps[0].regions[r].age;
	}
	back = heatgrid_age_ns(max_age, snaps[0].aggr_ns);
	*t_start = start_ns > back ? start_ns - back : 0;
	*t_end = snaps[nr - 1].time_ns;

	err = -ENOMEM;
	gaps = calloc(max_regions, sizeof(*gaps));
	now = calloc(max_regions, sizeof(*now));
	if (!gaps || !now)
		goto cleanup;
	for (k = 0; k < nr; k++) {
		const struct snapshot *s = &snaps[k];
		size_t nn;

		for (r = 0; r < s->nr_regions; r++) {
			if (s->regions[r].start < lowest)
				lowest = s->regions[r].start;
			if (s->regions[r].end > highest)
				highest = s->regions[r].end;
		}
		nn = heatgrid_gaps_of(s, now);
		if (!ng) {
			memcpy(gaps, now, nn * sizeof(*now));
			ng = nn;
		} else {
			heatgrid_narrow_gaps(gaps, ng, now, nn);
		}
	}

	/* Contiguous parts: from the lowest address to the first gap,
	 * between gaps, and from the last gap to the highest address. */
	nc = ng + 1;
	contig = calloc(nc, sizeof(*contig));
	heats = calloc(nc, sizeof(*heats));
	if (!contig || !heats)
		goto cleanup;
	contig[0].start = lowest;
	for (i = 0; i < ng; i++) {
		contig[i].end = gaps[i].start;
		contig[i + 1].start = gaps[i].end;
	}
	contig[ng].end = highest;

	/* Bytes x accesses of every region with accesses that touches a
	 * part.  Regions are sorted, so a part that ended before a region
	 * began is not looked at again for that snapshot. */
	for (k = 0; k < nr; k++) {
		const struct snapshot *s = &snaps[k];
		size_t c0 = 0, c;

		for (r = 0; r < s->nr_regions; r++) {
			const struct region *rg = &s->regions[r];

			if (!rg->nr_accesses)
				continue;
			while (c0 < nc && contig[c0].end < rg->start)
				c0++;
			for (c = c0; c < nc && contig[c].start <= rg->end; c++)
				heats[c] += (double)(rg->end - rg->start) *
					    rg->nr_accesses;
		}
	}

	/* The most accesses per byte; the first one on a tie, like damo's
	 * stable sort.  An empty part counts as 0 per byte. */
	best = 0;
	for (i = 0; i < nc; i++) {
		uint64_t sz = contig[i].end - contig[i].start;
		double hpb = sz ? heats[i] / (double)sz : 0;

		if (hpb > best_hpb) {
			best_hpb = hpb;
			best = i;
		}
	}
	*a_start = contig[best].start;
	*a_end = contig[best].end;
	err = 0;
cleanup:
	free(heats);
	free(contig);
	free(now);
	free(gaps);
	return err;
}
