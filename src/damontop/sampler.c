// SPDX-License-Identifier: GPL-2.0
/*
 * DAMON's monitoring cycle for the pte source, within a CPU budget.
 *
 * Each tick reads the Accessed bit at the sampling addresses chosen by the
 * last tick and counts accesses per region; after a whole number of ticks
 * it aggregates (merge, snapshot, split) and follows the target's
 * mappings; then it picks new sampling addresses and clears their Accessed
 * bits for the next tick.
 *
 * Clearing is where the cost is (damontop(8), OVERHEAD): clear_refs costs
 * us per resident page of the whole process, and the target every page of
 * its working set it touches again; MADV_COLD costs us a TLB-flush IPI per
 * page, and the target only the sampled pages.  So DAMON's schedule (one
 * page per region every sampling interval) is planned, not copied
 * (plan.h): with clear_refs one clear serves every page, so a tick may read
 * K pages per region; with MADV_COLD one page per region per tick, as
 * DAMON.  Unit costs are measured at start and on every tick (the method
 * not in use now and then), and the plan is redone at every aggregation.
 * A region's count is of ticks that found it accessed, out of the ticks
 * of its aggregation, as DAMON's nr_accesses.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "evloop.h"
#include "procmaps.h"
#include "pte.h"
#include "regions.h"
#include "sampler.h"

#define MAX_ADDRS_PER_TICK (8 * PTE_MAX_ADDRS)	/* reads are cheap, not free */
#define REPROBE_SHARE 0.1	/* of the budget for re-measuring the other method */
#define COST_WINDOW 9		/* measurements a unit cost is the median of */

struct unit_cost {
	double v[COST_WINDOW];
	unsigned int next;
	double median;		/* 0 until measured */
};

struct sampler {
	struct sampler_opts opts;
	struct sampler_sink sink;
	struct pte_source *pte;
	struct evloop *loop;
	struct regions rs;
	int timer_fd;
	pid_t pid;

	struct plan_want want;
	struct plan plan;		/* in force */
	bool planned;
	char plan_line[256];
	uint32_t ticks_in_aggr;
	uint64_t next_update_ns;
	bool armed;			/* the sampling addresses were cleared */

	/* this tick's addresses and which region each belongs to */
	uint64_t *addrs;
	uint32_t *owner;
	uint8_t *level;
	bool *accessed;
	bool *valid;		/* the address's Accessed bit was cleared */
	size_t nr_addrs, cap;
	uint64_t unclearable;	/* samples lost to memory MADV_COLD refuses */

	/* unit costs, ns of our CPU time, and of the target's per page whose
	 * Accessed bit we cleared and it touches again */
	struct unit_cost refs_ns_per_page, cold_ns_per_page, scan_ns;
	struct unit_cost read_ns_per_addr;
	double read_ns_per_pass;
	double reaccess_ns;
	double hot_pages, warm_pages_per_s;	/* plan_costs' */
	uint64_t rss_pages;

	uint64_t last_reprobe_ns;

	/* the scan mode's snapshot under construction */
	struct region *scan_regions;
	size_t scan_nr, scan_cap;
	uint64_t scan_drops;

	struct mapping *maps;
	size_t nr_maps;
};

/* A unit cost: the median of its last measurements.  Costs measured in a
 * VM spike when a vCPU is preempted (no steal time shows inside) or when a
 * code path runs the first time; a median ignores that, a mean does not. */
static void cost_add(struct unit_cost *c, double v)
{
	double sorted[COST_WINDOW];
	int i, j, n;

	c->v[c->next++ % COST_WINDOW] = v;
	n = c->next < COST_WINDOW ? c->next : COST_WINDOW;
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && sorted[j - 1] > c->v[i]; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = c->v[i];
	}
	c->median = sorted[n / 2];
}

static int read_rss_pages(pid_t pid, uint64_t *pages)
{
	unsigned long long size, resident;
	char path[64];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/statm", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	if (n != 2)
		return -ESRCH;
	*pages = resident * (sysconf(_SC_PAGESIZE) / 4096);
	return 0;
}

/* Re-read the target's mappings: labels for the views, ranges for the
 * regions (DAMON vaddr's three regions), resident size for the cost. */
static int update_target(struct sampler *s, uint64_t now, bool first)
{
	struct addr_range ranges[3];
	struct mapping *maps;
	size_t nr, nr_ranges;
	int err;

	err = procmaps_read(s->pid, &maps, &nr);
	if (err)
		return err;
	if (!nr) {
		free(maps);
		return -ESRCH;	/* a zombie: exited, not yet reaped */
	}
	err = read_rss_pages(s->pid, &s->rss_pages);
	if (err)
		goto out;
	if (!s->opts.scan) {
		err = regions_three_ranges(maps, nr, ranges, &nr_ranges);
		if (err)
			goto out;
		err = first ? regions_init(&s->rs, ranges, nr_ranges,
					   s->opts.min_nr_regions,
					   s->opts.max_nr_regions, s->opts.seed)
			    : regions_update_ranges(&s->rs, ranges, nr_ranges);
		if (err)
			goto out;
	}
	if (!procmaps_equal(maps, nr, s->maps, s->nr_maps)) {
		free(s->maps);
		s->maps = maps;
		s->nr_maps = nr;
		maps = NULL;
		if (s->sink.mappings)
			s->sink.mappings(s->sink.ctx, now, s->maps, s->nr_maps);
	}
out:
	free(maps);
	return err;
}

static int ensure_scratch(struct sampler *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	free(s->addrs);
	free(s->owner);
	free(s->level);
	free(s->accessed);
	free(s->valid);
	s->cap = n * 2;
	s->addrs = calloc(s->cap, sizeof(*s->addrs));
	s->owner = calloc(s->cap, sizeof(*s->owner));
	s->level = calloc(s->cap, sizeof(*s->level));
	s->accessed = calloc(s->cap, sizeof(*s->accessed));
	s->valid = calloc(s->cap, sizeof(*s->valid));
	if (!s->addrs || !s->owner || !s->level || !s->accessed || !s->valid) {
		s->cap = 0;
		return -ENOMEM;
	}
	return 0;
}

static size_t nr_passes(size_t n)
{
	return (n + PTE_MAX_ADDRS - 1) / PTE_MAX_ADDRS;
}

/* Read the Accessed bits of this tick's addresses; an iterator pass has a
 * fixed cost (measured at start) and a cost per address. */
static int read_addrs(struct sampler *s)
{
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int err = pte_lookup(s->pte, s->addrs, s->nr_addrs, s->level, s->accessed);
	double t = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;

	if (!err && s->nr_addrs) {
		t -= s->read_ns_per_pass * nr_passes(s->nr_addrs);
		cost_add(&s->read_ns_per_addr, t > 0 ? t / s->nr_addrs : 0);
	}
	return err;
}

/* The region's own sampling page first, then k - 1 more random pages. */
static int pick_addrs(struct sampler *s, uint32_t k)
{
	size_t i, j, n = 0;
	int err;

	regions_pick_samples(&s->rs);
	err = ensure_scratch(s, s->rs.nr * k);
	if (err)
		return err;
	for (i = 0; i < s->rs.nr; i++) {
		const struct dregion *r = &s->rs.r[i];
		uint64_t pages = (r->end - r->start) / 4096;

		s->addrs[n] = r->sampling_addr;
		s->owner[n++] = i;
		for (j = 1; j < k; j++) {
			s->addrs[n] = r->start + regions_random(&s->rs, pages) * 4096;
			s->owner[n++] = i;
		}
	}
	s->nr_addrs = n;
	return 0;
}

static int clear_refs(struct sampler *s)
{
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int err = pte_clear_refs(s->pte);

	if (!err && s->rss_pages)
		cost_add(&s->refs_ns_per_page,
		     (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / s->rss_pages);
	for (size_t i = 0; i < s->nr_addrs; i++)
		s->valid[i] = true;
	return err;
}

static int clear_cold(struct sampler *s)
{
	uint64_t t0;
	int n, err;

	/* MADV_COLD must know which pages are inside huge entries */
	err = read_addrs(s);
	if (err)
		return err;
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	n = pte_clear_cold(s->pte, s->addrs, s->level, s->nr_addrs, s->valid);
	if (n < 0)
		return n;
	/* per sampled page: those absent (holes between mappings, pages
	 * not yet faulted) cost nothing to clear, and a plan pays for all */
	if (s->nr_addrs)
		cost_add(&s->cold_ns_per_page,
		     (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / s->nr_addrs);
	return 0;
}

static struct plan_costs costs(const struct sampler *s)
{
	return (struct plan_costs){
		.refs_ns_per_page = s->refs_ns_per_page.median,
		.cold_ns_per_page = s->cold_ns_per_page.median,
		.read_ns_per_pass = s->read_ns_per_pass,
		.read_ns_per_addr = s->read_ns_per_addr.median,
		.scan_ns = s->scan_ns.median,
		.reaccess_ns = s->reaccess_ns,
		.rss_pages = s->rss_pages,
		.nr_regions = s->rs.nr,
		.hot_pages = s->hot_pages,
		.warm_pages_per_s = s->warm_pages_per_s,
		.refs_exact = pte_refs_exact(s->pte),
	};
}

static void replan(struct sampler *s, uint64_t now)
{
	struct plan_costs c = costs(s);
	struct plan p = plan_make(&s->want, &c, s->planned ? &s->plan : NULL);
	char line[sizeof(s->plan_line)];

	if (p.tick_ns != s->plan.tick_ns && s->timer_fd >= 0)
		evloop_set_timer(s->timer_fd, p.tick_ns);
	plan_describe(&p, &s->want, line, sizeof(line));
	memcpy(s->plan_line, line, sizeof(line));
	/* said when it changes, not when only the costs it quotes move */
	if (!s->planned || p.method != s->plan.method || p.tick_ns != s->plan.tick_ns ||
	    p.ticks_per_aggr != s->plan.ticks_per_aggr || p.k != s->plan.k ||
	    p.limit != s->plan.limit || p.bound != s->plan.bound) {
		if (s->opts.verbose)
			fprintf(stderr, "damontop: plan: %s (%.2f%% of a CPU); %u regions, "
				"%llu resident pages, %u pages/region a tick; refs %.1f ns/page, "
				"cold %.1f us/page, read %.2f us/page, target %.2f us/page x "
				"(%.0f + %.0f/s) pages\n", line, p.load * 100, c.nr_regions,
				(unsigned long long)c.rss_pages, p.k, c.refs_ns_per_page,
				c.cold_ns_per_page / 1e3, c.read_ns_per_addr / 1e3,
				c.reaccess_ns / 1e3, c.hot_pages, c.warm_pages_per_s);
		if (s->sink.plan)
			s->sink.plan(s->sink.ctx, now, line);
	}
	s->plan = p;
	s->planned = true;
}

/* A region's count goes out of the aggregation's ticks, as DAMON's
 * nr_accesses of its sampling intervals: a tick that read k pages of the
 * region adds the share of them found accessed.  What the target touched
 * is kept for the next plan's estimate of its loss. */
static void emit(struct sampler *s, struct snapshot *snap, uint64_t now,
		 uint32_t ticks, uint32_t k)
{
	double hot = 0, warm = 0, tick_s = s->plan.tick_ns / 1e9;

	for (uint32_t i = 0; i < snap->nr_regions; i++) {
		struct region *r = &snap->regions[i];
		double pages = (r->end - r->start) / 4096;

		if (k > 1)
			r->nr_accesses = (r->nr_accesses + k / 2) / k;
		if (r->nr_accesses >= ticks)
			hot += pages;
		else
			warm += pages * r->nr_accesses / ticks / tick_s;
	}
	s->hot_pages = hot;
	s->warm_pages_per_s = warm;
	snap->time_ns = now;
	snap->sample_ns = s->plan.tick_ns;
	snap->aggr_ns = s->plan.tick_ns * ticks;
	if (s->sink.snapshot)
		s->sink.snapshot(s->sink.ctx, snap);
}

static int aggregate(struct sampler *s, uint64_t now)
{
	struct snapshot snap = {};
	int err;

	err = regions_aggregate(&s->rs, s->ticks_in_aggr * s->plan.k, &snap);
	if (!err)
		emit(s, &snap, now, s->ticks_in_aggr, s->plan.k);
	free(snap.regions);
	s->ticks_in_aggr = 0;
	return err;
}

static void scan_page(void *ctx, uint64_t addr, bool accessed)
{
	struct sampler *s = ctx;
	struct region *last = s->scan_nr ? &s->scan_regions[s->scan_nr - 1] : NULL;

	if (last && last->end == addr && last->nr_accesses == accessed) {
		last->end += 4096;
		return;
	}
	if (s->scan_nr == s->scan_cap) {
		size_t cap = s->scan_cap ? s->scan_cap * 2 : 1024;
		struct region *r = realloc(s->scan_regions, cap * sizeof(*r));

		if (!r) {
			s->scan_drops++;
			return;
		}
		s->scan_regions = r;
		s->scan_cap = cap;
	}
	s->scan_regions[s->scan_nr++] = (struct region){
		.start = addr, .end = addr + 4096, .nr_accesses = accessed,
	};
}

/* --scan: every page's Accessed bit since the last tick, then clear all. */
static int scan_tick(struct sampler *s, uint64_t now)
{
	struct snapshot snap = {};
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	size_t i;
	int err;

	if (s->armed) {
		s->scan_nr = 0;
		for (i = 0; i < s->nr_maps; i++) {
			err = pte_scan(s->pte, s->maps[i].start, s->maps[i].end,
				       scan_page, s);
			if (err)
				return err;
		}
		cost_add(&s->scan_ns, clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0);
		snap.regions = s->scan_regions;
		snap.nr_regions = s->scan_nr;
		emit(s, &snap, now, 1, 1);
	}
	return clear_refs(s);
}

/* Re-measure the method not in use when its cost fits in a small share of
 * the budget accumulated since the last time. */
static bool reprobe_due(const struct sampler *s, uint64_t now)
{
	enum clear_method other = s->plan.method == CLEAR_REFS ? CLEAR_COLD : CLEAR_REFS;
	struct plan_costs c = costs(s);

	if (other == CLEAR_REFS && !c.refs_exact)
		return false;
	return (now - s->last_reprobe_ns) * s->opts.budget * REPROBE_SHARE >=
	       plan_tick_load(&c, other, 1, s->plan.tick_ns);
}

static int region_tick(struct sampler *s, uint64_t now)
{
	int err;

	if (s->armed) {
		err = read_addrs(s);
		if (err)
			return err;
		for (size_t i = 0; i < s->nr_addrs; i++) {
			if (s->valid[i])
				regions_account(&s->rs, s->owner[i], s->accessed[i]);
			else
				s->unclearable++;
		}
		if (++s->ticks_in_aggr >= s->plan.ticks_per_aggr) {
			err = aggregate(s, now);
			if (err)
				return err;
		}
	}
	if (!s->ticks_in_aggr) {
		/* between aggregations: follow the target, redo the plan */
		if (now >= s->next_update_ns) {
			err = update_target(s, now, false);
			if (err)
				return err;
			s->next_update_ns = now + s->opts.update_ns;
		}
		replan(s, now);
	}
	err = pick_addrs(s, s->plan.method == CLEAR_REFS ? s->plan.k : 1);
	if (err)
		return err;
	if (s->opts.method == CLEAR_AUTO && reprobe_due(s, now)) {
		/* both, in an order that leaves this tick's samples intact */
		s->last_reprobe_ns = now;
		return clear_cold(s) ?: clear_refs(s);
	}
	return s->plan.method == CLEAR_REFS ? clear_refs(s) : clear_cold(s);
}

static int tick(struct sampler *s)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int err;

	if (s->opts.scan) {
		/* a scan walks the mappings: they must be the current ones */
		err = update_target(s, now, false) ?: scan_tick(s, now);
		replan(s, now);
	} else {
		err = region_tick(s, now);
	}
	s->armed = !err;
	return err;
}

static int on_timer(void *ctx, int fd, uint32_t events)
{
	int err = tick(ctx);

	(void)fd, (void)events;
	return err == -ESRCH ? SAMPLER_TARGET_GONE : err;
}

/* Measure each unit cost once so that the first plan is a real one. */
static int calibrate(struct sampler *s)
{
	uint64_t t0;
	int err;

	if (s->opts.scan)
		return clear_refs(s);
	err = pick_addrs(s, 1);
	if (err)
		return err;
	/* the fixed cost of a pass: a pass for a single address */
	t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	err = pte_lookup(s->pte, s->addrs, 1, s->level, s->accessed);
	s->read_ns_per_pass = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	err = err ?: clear_cold(s) ?: clear_refs(s);
	if (!err && !s->cold_ns_per_page.median)
		cost_add(&s->cold_ns_per_page, 5000);	/* nothing sampled yet: the usual */
	return err;
}

int sampler_start(struct sampler **out, struct evloop *loop, pid_t pid,
		  const struct sampler_opts *opts, const struct sampler_sink *sink,
		  char *err, size_t errlen)
{
	struct sampler *s = calloc(1, sizeof(*s));
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->opts = *opts;
	s->sink = *sink;
	s->pid = pid;
	s->loop = loop;
	s->timer_fd = -1;
	s->reaccess_ns = pte_reaccess_ns();
	rc = pte_open(&s->pte, pid, err, errlen);
	if (rc)
		goto fail;
	s->want = (struct plan_want){
		.sample_ns = opts->sample_ns, .aggr_ns = opts->aggr_ns,
		.budget = opts->budget, .method = opts->method, .scan = opts->scan,
		.max_addrs_per_tick = MAX_ADDRS_PER_TICK,
	};
	rc = update_target(s, now, true);
	s->hot_pages = s->rss_pages;	/* until the first snapshot tells */
	if (!rc)
		rc = calibrate(s);
	if (rc) {
		snprintf(err, errlen, rc == -ESRCH ? "pid %d exited" :
			 "cannot sample pid %d: %s", pid, strerror(-rc));
		goto fail;
	}
	replan(s, now);
	s->last_reprobe_ns = now;
	s->next_update_ns = now + opts->update_ns;
	rc = evloop_add_timer(loop, s->plan.tick_ns, on_timer, s);
	if (rc < 0) {
		snprintf(err, errlen, "cannot start the sampling timer: %s", strerror(-rc));
		goto fail;
	}
	s->timer_fd = rc;
	*out = s;
	return 0;
fail:
	sampler_stop(s);
	return rc;
}

void sampler_stop(struct sampler *s)
{
	if (!s)
		return;
	if (s->timer_fd >= 0)
		evloop_del_fd(s->loop, s->timer_fd);
	pte_close(s->pte);
	regions_free(&s->rs);
	free(s->addrs);
	free(s->owner);
	free(s->level);
	free(s->accessed);
	free(s->valid);
	free(s->scan_regions);
	free(s->maps);
	free(s);
}

void sampler_get_stats(const struct sampler *s, struct sampler_stats *st)
{
	*st = (struct sampler_stats){
		.sample_ns = s->plan.tick_ns,
		.aggr_ns = s->plan.aggr_ns,
		.method = s->plan.method,
		.refs_exact = pte_refs_exact(s->pte),
		.rss_bytes = s->rss_pages * 4096,
		.nr_regions = s->opts.scan ? s->scan_nr : s->rs.nr,
		.drops = s->scan_drops + s->unclearable,
	};
	memcpy(st->plan_line, s->plan_line, sizeof(st->plan_line));
}
