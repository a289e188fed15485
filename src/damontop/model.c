// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "procmaps.h"

int model_init(struct damon_model *m, size_t max_snaps)
{
	*m = (struct damon_model){ .max_snaps = max_snaps };
	if (!max_snaps)
		return -EINVAL;
	m->ring = calloc(max_snaps, sizeof(*m->ring));
	return m->ring ? 0 : -ENOMEM;
}

void model_free(struct damon_model *m)
{
	for (size_t i = 0; i < m->max_snaps && m->ring; i++)
		free(m->ring[i].regions);
	free(m->ring);
	free(m->maps);
	*m = (struct damon_model){};
}

uint64_t snapshot_wss(const struct snapshot *s)
{
	uint64_t wss = 0;

	for (uint32_t i = 0; i < s->nr_regions; i++)
		if (s->regions[i].nr_accesses)
			wss += s->regions[i].end - s->regions[i].start;
	return wss;
}

uint32_t snapshot_max_accesses(const struct snapshot *s)
{
	uint64_t n = s->sample_ns ? s->aggr_ns / s->sample_ns : 1;

	return n ? n : 1;
}

int model_add_snapshot(struct damon_model *m, const struct snapshot *s)
{
	struct snapshot *slot = &m->ring[m->head];
	struct region *r = realloc(slot->regions,
				   (s->nr_regions ? s->nr_regions : 1) * sizeof(*r));
	uint64_t wss;

	if (!r)
		return -ENOMEM;
	*slot = *s;
	slot->regions = r;
	if (s->nr_regions)
		memcpy(r, s->regions, s->nr_regions * sizeof(*r));
	m->head = (m->head + 1) % m->max_snaps;
	if (m->nr_snaps < m->max_snaps)
		m->nr_snaps++;
	m->total_snaps++;
	wss = snapshot_wss(s);
	if (wss > m->peak_wss)
		m->peak_wss = wss;
	return 0;
}

int model_set_mappings(struct damon_model *m, const struct mapping *maps, size_t nr)
{
	struct mapping *copy = malloc((nr ? nr : 1) * sizeof(*copy));

	if (!copy)
		return -ENOMEM;
	if (nr)
		memcpy(copy, maps, nr * sizeof(*copy));
	free(m->maps);
	m->maps = copy;
	m->nr_maps = nr;
	return 0;
}

const struct snapshot *model_snapshot(const struct damon_model *m, size_t i)
{
	if (i >= m->nr_snaps)
		return NULL;
	return &m->ring[(m->head + m->max_snaps - m->nr_snaps + i) % m->max_snaps];
}

const struct snapshot *model_latest(const struct damon_model *m)
{
	return m->nr_snaps ? model_snapshot(m, m->nr_snaps - 1) : NULL;
}

const char *model_mapping_name(const struct damon_model *m, uint64_t addr)
{
	const struct mapping *mp = procmaps_find(m->maps, m->nr_maps, addr);

	return mp ? mp->name : "-";
}

static int hotter(const void *a, const void *b)
{
	const struct hot_region *x = a, *y = b;

	if (x->nr_accesses != y->nr_accesses)
		return x->nr_accesses < y->nr_accesses ? 1 : -1;
	if (x->end - x->start != y->end - y->start)
		return x->end - x->start < y->end - y->start ? 1 : -1;
	return x->start < y->start ? -1 : x->start > y->start;
}

size_t model_hottest(const struct damon_model *m, struct hot_region *out, size_t n)
{
	const struct snapshot *s = model_latest(m);
	struct hot_region *all;
	uint32_t max;

	if (!s || !s->nr_regions)
		return 0;
	all = malloc(s->nr_regions * sizeof(*all));
	if (!all)
		return 0;
	max = snapshot_max_accesses(s);
	for (uint32_t i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];

		all[i] = (struct hot_region){
			.start = r->start, .end = r->end,
			.nr_accesses = r->nr_accesses, .age = r->age,
			.access_pct = 100.0 * r->nr_accesses / max,
			.mapping = model_mapping_name(m, r->start),
		};
	}
	qsort(all, s->nr_regions, sizeof(*all), hotter);
	if (n > s->nr_regions)
		n = s->nr_regions;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

struct gap {
	uint64_t size;
	size_t after;	/* index of the mapping before it */
};

static int cmp_gap_desc(const void *a, const void *b)
{
	const struct gap *x = a, *y = b;

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->after < y->after ? -1 : x->after > y->after;
}

/* Spans from the regions, where no mappings are known (old records). */
static size_t region_spans(const struct snapshot *s, struct heat_span *spans, size_t max)
{
	size_t n = 0;

	for (uint32_t i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];

		if (n && (spans[n - 1].end == r->start || n == max))
			spans[n - 1].end = r->end;
		else
			spans[n++] = (struct heat_span){ r->start, r->end };
	}
	return n;
}

size_t model_spans(const struct damon_model *m, struct heat_span *spans, size_t max)
{
	const struct snapshot *s = model_latest(m);
	uint64_t total = 0, min_gap;
	struct gap *gaps;
	bool *cut;
	size_t i, n = 0;

	if (!s || !max)
		return 0;
	gaps = m->nr_maps ? malloc(m->nr_maps * sizeof(*gaps)) : NULL;
	cut = m->nr_maps ? calloc(m->nr_maps, sizeof(*cut)) : NULL;
	if (!gaps || !cut) {
		free(gaps);
		free(cut);
		return region_spans(s, spans, max);
	}
	/* collapse the largest gaps, at most max - 1, and only big ones */
	for (i = 0; i < m->nr_maps; i++)
		total += m->maps[i].end - m->maps[i].start;
	min_gap = total / 32 > (1 << 20) ? total / 32 : (1 << 20);
	for (i = 0; i + 1 < m->nr_maps; i++)
		gaps[i] = (struct gap){ m->maps[i + 1].start - m->maps[i].end, i };
	qsort(gaps, m->nr_maps - 1, sizeof(*gaps), cmp_gap_desc);
	for (i = 0; i + 1 < m->nr_maps && i + 1 < max && gaps[i].size > min_gap; i++)
		cut[gaps[i].after] = true;
	for (i = 0; i < m->nr_maps; i++) {
		if (n && !cut[i - 1])
			spans[n - 1].end = m->maps[i].end;
		else
			spans[n++] = (struct heat_span){ m->maps[i].start, m->maps[i].end };
	}
	free(gaps);
	free(cut);
	return n;
}

/* Where bucket @b of @n begins on an axis of @len bytes (b = n: its end),
 * on a 4 KiB boundary of the axis: the spans are mappings, so bucket starts
 * are page addresses. */
static uint64_t bucket_pos(uint64_t len, size_t b, size_t n)
{
	return b >= n ? len : (uint64_t)((unsigned __int128)len * b / n) & ~4095ull;
}

size_t model_buckets(const struct damon_model *m, struct heat_bucket *out, size_t n)
{
	const struct snapshot *s = model_latest(m);
	struct heat_span spans[MODEL_MAX_SPANS];
	uint64_t off[MODEL_MAX_SPANS], len = 0;
	size_t nr_spans, i, j, b;
	uint32_t max;

	if (!s || !n)
		return 0;
	nr_spans = model_spans(m, spans, MODEL_MAX_SPANS);
	if (!nr_spans)
		return 0;
	for (j = 0; j < nr_spans; j++) {
		off[j] = len;
		len += spans[j].end - spans[j].start;
	}
	for (b = 0, j = 0; b < n; b++) {
		uint64_t pos = bucket_pos(len, b, n);

		while (j + 1 < nr_spans && off[j + 1] <= pos)
			j++;
		out[b] = (struct heat_bucket){ .start = spans[j].start + pos - off[j] };
	}
	/* each region's part in each span, laid on the axis and cut at the
	 * buckets' edges; the ratio summed in byte-samples, divided below */
	for (j = 0; j < nr_spans; j++) {
		for (i = 0; i < s->nr_regions; i++) {
			const struct region *r = &s->regions[i];
			uint64_t lo = r->start > spans[j].start ? r->start : spans[j].start;
			uint64_t hi = r->end < spans[j].end ? r->end : spans[j].end;
			uint64_t a0, a1, from, to;

			if (r->start >= spans[j].end)
				break;
			if (lo >= hi)
				continue;
			a0 = off[j] + lo - spans[j].start;
			a1 = off[j] + hi - spans[j].start;
			for (b = (unsigned __int128)a0 * n / len; b && bucket_pos(len, b, n) > a0; b--)
				;
			while (b + 1 < n && bucket_pos(len, b + 1, n) <= a0)
				b++;
			for (; b < n && bucket_pos(len, b, n) < a1; b++) {
				from = bucket_pos(len, b, n) > a0 ? bucket_pos(len, b, n) : a0;
				to = bucket_pos(len, b + 1, n) < a1 ? bucket_pos(len, b + 1, n) : a1;
				if (from >= to)
					continue;
				out[b].bytes += to - from;
				if (r->nr_accesses)
					out[b].wss_bytes += to - from;
				out[b].access_ratio += (double)(to - from) * r->nr_accesses;
			}
		}
	}
	max = snapshot_max_accesses(s);
	for (b = 0; b < n; b++)
		out[b].access_ratio = out[b].bytes ?
			out[b].access_ratio / out[b].bytes / max : 0;
	return n;
}
