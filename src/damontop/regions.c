// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON's adaptive region algorithm (mm/damon/core.c and vaddr.c, Linux
 * 6.18) reimplemented over a plain sorted array.  Operations that change
 * the number of regions build the new array out of place, so they run in
 * one pass and leave the model untouched when memory runs out.
 *
 * Where this differs from the kernel, and why:
 *  - init splits each range into ceil(size / limit) pieces instead of
 *    floor(size / (total / min_nr)), so every region fits the merge size
 *    limit and there are never fewer than min_nr regions;
 *  - after an address-space update, regions larger than the limit are
 *    split the same way (the kernel only got this after 6.18, "mm/damon/
 *    core: split regions for min_nr_regions"), for the same reason;
 *  - ages are updated once per aggregation: the kernel re-runs its age
 *    update in every extra merge pass it makes while over max_nr_regions;
 *  - the three-region search degrades to one or two ranges when the
 *    address space has fewer than two gaps instead of refusing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "regions.h"

#define ALIGN_DOWN_SZ(x)	((x) & ~(REGIONS_MIN_SZ - 1))
#define ALIGN_UP_SZ(x)		ALIGN_DOWN_SZ((x) + REGIONS_MIN_SZ - 1)
/* Addresses with the top bit set belong to the kernel ([vsyscall]). */
#define KERNEL_HALF		(1ULL << 63)

static uint64_t dregion_sz(const struct dregion *r)
{
	return r->end - r->start;
}

static uint32_t absdiff(uint32_t a, uint32_t b)
{
	return a > b ? a - b : b - a;
}

/* xorshift64*: fast, good enough for choosing pages, and replayable. */
static uint64_t regions_next(struct regions *rs)
{
	uint64_t x = rs->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rs->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t regions_random(struct regions *rs, uint64_t n)
{
	return regions_next(rs) % n;
}

/* Like damon_rand(): uniform in [lo, hi), hi > lo. */
static uint64_t regions_rand(struct regions *rs, uint64_t lo, uint64_t hi)
{
	return lo + regions_next(rs) % (hi - lo);
}

uint64_t regions_total_size(const struct regions *rs)
{
	uint64_t sz = 0;
	size_t i;

	for (i = 0; i < rs->nr; i++)
		sz += dregion_sz(&rs->r[i]);
	return sz;
}

/* damon_region_sz_limit(): no merge may build a region larger than this. */
static uint64_t regions_sz_limit(const struct regions *rs)
{
	uint64_t sz = regions_total_size(rs);

	if (rs->min_nr)
		sz /= rs->min_nr;
	return sz < REGIONS_MIN_SZ ? REGIONS_MIN_SZ : sz;
}

/*
 * Round @in out to pages into a new array and check it is sorted with no
 * overlap, which everything below relies on.
 */
static int regions_copy_ranges(const struct addr_range *in, size_t nr,
			       struct addr_range **out)
{
	struct addr_range *a;
	size_t i;

	if (!in || !nr)
		return -EINVAL;
	a = calloc(nr, sizeof(*a));
	if (!a)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (in[i].end > UINT64_MAX - REGIONS_MIN_SZ)
			goto inval;
		a[i].start = ALIGN_DOWN_SZ(in[i].start);
		a[i].end = ALIGN_UP_SZ(in[i].end);
		if (a[i].start >= a[i].end)
			goto inval;
		if (i && a[i].start < a[i - 1].end)
			goto inval;
	}
	*out = a;
	return 0;
inval:
	free(a);
	return -EINVAL;
}

static void regions_replace(struct regions *rs, struct dregion *r, size_t nr,
			    size_t cap)
{
	free(rs->r);
	rs->r = r;
	rs->nr = nr;
	rs->cap = cap;
}

/*
 * Split every region larger than the size limit into equal page-aligned
 * pieces that fit it, keeping its counts and age in every piece, without
 * going over max_nr: when the pieces would not fit, every region gets a
 * share of the room left in proportion to what it asked for.
 */
static int regions_split_oversized(struct regions *rs)
{
	uint64_t lim_pages = regions_sz_limit(rs) / REGIONS_MIN_SZ;
	uint64_t want = 0, room, pages, n, base, extra, off;
	struct dregion *out, *o;
	size_t i, nr = 0, cap;
	uint64_t k;

	for (i = 0; i < rs->nr; i++) {
		pages = dregion_sz(&rs->r[i]) / REGIONS_MIN_SZ;
		want += (pages + lim_pages - 1) / lim_pages - 1;
	}
	if (!want)
		return 0;
	room = rs->nr < rs->max_nr ? rs->max_nr - rs->nr : 0;
	if (!room)
		return 0;
	cap = rs->nr + (want < room ? want : room);
	out = calloc(cap, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < rs->nr; i++) {
		o = &rs->r[i];
		pages = dregion_sz(o) / REGIONS_MIN_SZ;
		n = (pages + lim_pages - 1) / lim_pages;
		if (want > room)
			n = 1 + (unsigned __int128)(n - 1) * room / want;
		base = pages / n;
		extra = pages % n;
		off = o->start;
		for (k = 0; k < n; k++) {
			out[nr] = *o;
			out[nr].start = off;
			off += (base + (k < extra)) * REGIONS_MIN_SZ;
			out[nr].end = off;
			nr++;
		}
	}
	regions_replace(rs, out, nr, cap);
	return 0;
}

int regions_init(struct regions *rs, const struct addr_range *ranges,
		 size_t nr_ranges, uint32_t min_nr, uint32_t max_nr,
		 uint64_t seed)
{
	struct addr_range *a = NULL;
	struct dregion *r;
	size_t i;
	int err;

	memset(rs, 0, sizeof(*rs));
	/* regions never merge across ranges: each needs one of max_nr */
	if (min_nr < 3 || min_nr > max_nr || nr_ranges > max_nr)
		return -EINVAL;
	err = regions_copy_ranges(ranges, nr_ranges, &a);
	if (err)
		return err;
	r = calloc(nr_ranges, sizeof(*r));
	if (!r) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < nr_ranges; i++) {
		r[i].start = a[i].start;
		r[i].end = a[i].end;
	}
	rs->r = r;
	rs->nr = rs->cap = nr_ranges;
	rs->min_nr = min_nr;
	rs->max_nr = max_nr;
	/* splitmix64 of the seed, so that seeds 1, 2, 3 start far apart */
	seed += 0x9e3779b97f4a7c15ULL;
	seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
	seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
	seed ^= seed >> 31;
	rs->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;

	err = regions_split_oversized(rs);
	if (err)
		regions_free(rs);
cleanup:
	free(a);
	return err;
}

static bool dregion_meets(const struct dregion *r, const struct addr_range *a)
{
	return r->start < a->end && a->start < r->end;
}

static bool dregion_meets_any(const struct dregion *r,
			      const struct addr_range *a, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (dregion_meets(r, &a[i]))
			return true;
	return false;
}

static void dregion_fresh(struct dregion *r, uint64_t start, uint64_t end)
{
	memset(r, 0, sizeof(*r));
	r->start = start;
	r->end = end;
}

int regions_update_ranges(struct regions *rs, const struct addr_range *ranges,
			  size_t nr_ranges)
{
	struct addr_range *a = NULL;
	struct dregion *out = NULL, *o;
	size_t i, j = 0, k, nr = 0, cap;
	ssize_t first, last;
	int err;

	if (nr_ranges > rs->max_nr)
		return -EINVAL;
	err = regions_copy_ranges(ranges, nr_ranges, &a);
	if (err)
		return err;
	/* kept regions, one hole after each, one new region per range */
	cap = 2 * rs->nr + nr_ranges;
	out = calloc(cap, sizeof(*out));
	if (!out) {
		err = -ENOMEM;
		goto cleanup;
	}

	/*
	 * The walk of damon_set_regions(): the cursor j only moves forward,
	 * so a region crossing into the next range is cut at this range's
	 * end and the next range starts from the following region.
	 */
	for (i = 0; i < nr_ranges; i++) {
		first = last = -1;
		for (; j < rs->nr; j++) {
			o = &rs->r[j];
			if (!dregion_meets_any(o, a, nr_ranges))
				continue;	/* removed */
			if (dregion_meets(o, &a[i])) {
				if (first < 0)
					first = j;
				last = j;
			}
			if (o->start >= a[i].end)
				break;
		}
		if (first < 0) {
			dregion_fresh(&out[nr++], a[i].start, a[i].end);
			continue;
		}
		for (k = first; k <= (size_t)last; k++) {
			struct dregion r = rs->r[k];

			if (k == (size_t)first)
				r.start = a[i].start;
			if (k == (size_t)last)
				r.end = a[i].end;
			if (k != (size_t)first && out[nr - 1].end != r.start) {
				dregion_fresh(&out[nr], out[nr - 1].end,
					      r.start);
				nr++;
			}
			out[nr++] = r;
		}
	}
	regions_replace(rs, out, nr, cap);
	out = NULL;
	err = regions_split_oversized(rs);
cleanup:
	free(out);
	free(a);
	return err;
}

void regions_pick_samples(struct regions *rs)
{
	struct dregion *r;
	size_t i;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		r->sampling_addr = r->start + REGIONS_MIN_SZ *
			regions_rand(rs, 0, dregion_sz(r) / REGIONS_MIN_SZ);
	}
}

void regions_account(struct regions *rs, size_t idx, bool accessed)
{
	if (idx < rs->nr && accessed && rs->r[idx].nr_accesses < UINT32_MAX)
		rs->r[idx].nr_accesses++;
}

/*
 * The age rule of damon_merge_regions_of(): a region keeps aging while its
 * count stays within the merge threshold of the last one and does not
 * switch between zero and non-zero (the latter since 6.18).
 */
static void regions_update_ages(struct regions *rs, uint32_t thres)
{
	struct dregion *r;
	size_t i;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		if (absdiff(r->nr_accesses, r->last_nr_accesses) > thres)
			r->age = 0;
		else if ((r->nr_accesses == 0) != (r->last_nr_accesses == 0))
			r->age = 0;
		else if (r->age < UINT32_MAX)
			r->age++;
	}
}

/* damon_merge_two_regions(): counts and age weighted by size. */
static void dregion_merge(struct dregion *l, const struct dregion *r)
{
	unsigned __int128 sl = dregion_sz(l), sr = dregion_sz(r);

	l->nr_accesses = (l->nr_accesses * sl + r->nr_accesses * sr) /
		(sl + sr);
	l->age = (l->age * sl + r->age * sr) / (sl + sr);
	l->end = r->end;
}

/* One pass of damon_merge_regions_of(), compacting the array in place. */
static void regions_merge(struct regions *rs, uint32_t thres,
			  uint64_t sz_limit)
{
	struct dregion *prev, *r;
	size_t i, w = 0;

	for (i = 0; i < rs->nr; i++) {
		r = &rs->r[i];
		prev = w ? &rs->r[w - 1] : NULL;
		if (prev && prev->end == r->start &&
		    absdiff(prev->nr_accesses, r->nr_accesses) <= thres &&
		    dregion_sz(prev) + dregion_sz(r) <= sz_limit)
			dregion_merge(prev, r);
		else
			rs->r[w++] = *r;
	}
	rs->nr = w;
}

static int regions_fill_snapshot(const struct regions *rs,
				 struct snapshot *out)
{
	struct region *s;
	size_t i;

	s = realloc(out->regions, (rs->nr ? rs->nr : 1) * sizeof(*s));
	if (!s) {
		out->nr_regions = 0;
		return -ENOMEM;
	}
	for (i = 0; i < rs->nr; i++) {
		s[i].start = rs->r[i].start;
		s[i].end = rs->r[i].end;
		s[i].nr_accesses = rs->r[i].nr_accesses;
		s[i].age = rs->r[i].age;
	}
	out->regions = s;
	out->nr_regions = rs->nr;
	return 0;
}

/*
 * damon_split_regions_of(): cut off a random 10%..90% of the region,
 * and with @nr_subs == 3 cut the left part again; regions of two pages
 * or less stay whole.  Pieces inherit everything but their bounds.
 */
static int regions_split(struct regions *rs, int nr_subs)
{
	struct dregion *out, *o, right[2];
	size_t i, nr = 0, cap = rs->nr * nr_subs;
	uint64_t sz, sub;
	int s, nr_right;

	if (!cap)
		return 0;
	out = calloc(cap, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < rs->nr; i++) {
		o = &out[nr++];
		*o = rs->r[i];
		nr_right = 0;
		for (s = 0; s < nr_subs - 1; s++) {
			sz = dregion_sz(o);
			if (sz <= 2 * REGIONS_MIN_SZ)
				break;
			sub = ALIGN_DOWN_SZ((uint64_t)((unsigned __int128)sz *
					regions_rand(rs, 1, 10) / 10));
			if (!sub || sub >= sz)
				continue;
			right[nr_right] = *o;
			right[nr_right].start = o->start + sub;
			nr_right++;
			o->end = o->start + sub;
		}
		/* the last cut is the leftmost of the right-hand pieces */
		while (nr_right)
			out[nr++] = right[--nr_right];
	}
	regions_replace(rs, out, nr, cap);
	return 0;
}

/* kdamond_split_regions(), with its static count kept per target. */
static int regions_split_all(struct regions *rs)
{
	size_t nr = rs->nr;
	int nr_subs = 2, err;

	if (nr > rs->max_nr / 2)
		return 0;
	/* maybe the middle of the region has a different access frequency */
	if (rs->last_nr_split == nr && nr < rs->max_nr / 3)
		nr_subs = 3;
	err = regions_split(rs, nr_subs);
	if (err)
		return err;
	rs->last_nr_split = nr;
	return 0;
}

int regions_aggregate(struct regions *rs, uint32_t max_nr_accesses,
		      struct snapshot *out)
{
	uint64_t thres, sz_limit = regions_sz_limit(rs);
	uint32_t max_seen = 0;
	int err = 0, err2;
	size_t i;

	/* what damon_va_check_accesses() returns on the last sample */
	for (i = 0; i < rs->nr; i++)
		if (rs->r[i].nr_accesses > max_seen)
			max_seen = rs->r[i].nr_accesses;

	/* kdamond_merge_regions(ctx, max_nr_accesses / 10, sz_limit) */
	thres = max_seen / 10;
	regions_update_ages(rs, thres);
	do {
		regions_merge(rs, thres, sz_limit);
		thres = thres ? thres * 2 : 1;
	} while (rs->nr > rs->max_nr && thres / 2 < max_nr_accesses);

	/* trace_damon_aggregated() fires here, in kdamond_reset_aggregated() */
	if (out)
		err = regions_fill_snapshot(rs, out);
	for (i = 0; i < rs->nr; i++) {
		rs->r[i].last_nr_accesses = rs->r[i].nr_accesses;
		rs->r[i].nr_accesses = 0;
	}
	err2 = regions_split_all(rs);
	return err ? err : err2;
}

int regions_three_ranges(const struct mapping *maps, size_t nr,
			 struct addr_range out[3], size_t *nr_out)
{
	struct addr_range gap[2] = { { 0, 0 }, { 0, 0 } }, tmp;
	uint64_t start = 0, prev_end = 0, g;
	bool seen = false;
	size_t i, n = 0;

	*nr_out = 0;
	for (i = 0; i < nr; i++) {
		const struct mapping *m = &maps[i];

		if (m->start >= KERNEL_HALF)
			continue;
		if (m->start >= m->end || (m->start | m->end) % REGIONS_MIN_SZ)
			return -EINVAL;
		if (!seen) {
			start = m->start;
			seen = true;
		} else {
			if (m->start < prev_end)
				return -EINVAL;
			/* the first of equal gaps wins, as in the kernel */
			g = m->start - prev_end;
			if (g > gap[0].end - gap[0].start) {
				gap[1] = gap[0];
				gap[0].start = prev_end;
				gap[0].end = m->start;
			} else if (g > gap[1].end - gap[1].start) {
				gap[1].start = prev_end;
				gap[1].end = m->start;
			}
		}
		prev_end = m->end;
	}
	if (!seen)
		return -ENODATA;

	if (gap[0].start > gap[1].start) {
		tmp = gap[0];
		gap[0] = gap[1];
		gap[1] = tmp;
	}
	out[0].start = start;
	for (i = 0; i < 2; i++) {
		if (gap[i].start == gap[i].end)
			continue;
		out[n++].end = gap[i].start;
		out[n].start = gap[i].end;
	}
	out[n++].end = prev_end;
	*nr_out = n;
	return 0;
}

void regions_free(struct regions *rs)
{
	free(rs->r);
	rs->r = NULL;
	rs->nr = rs->cap = 0;
}
