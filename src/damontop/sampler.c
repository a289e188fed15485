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
 * page per region every sampling interval) is planned, not copied:
 *  - refs: one clear serves every page, so a tick reads K pages per region
 *    and counts each as one sample: fewer, richer ticks.
 *  - cold: one page per region per tick, as DAMON; fewer ticks when the
 *    region count makes a tick dear.
 * The budget binds both our CPU and the target's loss.  The plan with more
 * samples per aggregation wins, discounted by the square of how much it
 * stretches the aggregation interval.  Unit costs are measured at start
 * and on every tick (the method not in use now and then), and the plan is
 * redone at every aggregation.  When even one tick per aggregation is over
 * budget, the aggregation interval stretches, as DAMON's interval
 * auto-tuning does.
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

#define NSEC_PER_SEC 1000000000ULL
#define MAX_ADDRS_PER_TICK (8 * PTE_MAX_ADDRS)	/* reads are cheap, not free */
#define BUDGET_SHARE 0.8	/* of the budget for sampling; the rest for views */
#define REPROBE_SHARE 0.1	/* of the budget for re-measuring the other method */
#define COST_WINDOW 9		/* measurements a unit cost is the median of */

struct unit_cost {
	double v[COST_WINDOW];
	unsigned int next;
	double median;		/* 0 until measured */
};

struct plan {
	enum clear_method method;
	uint64_t tick_ns;
	uint64_t aggr_ns;
	uint32_t ticks_per_aggr;
	uint32_t k;		/* pages read per region per tick */
};

struct sampler {
	struct sampler_opts opts;
	struct sampler_sink sink;
	struct pte_source *pte;
	struct evloop *loop;
	struct regions rs;
	int timer_fd;
	pid_t pid;

	struct plan plan;		/* in force */
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
	uint64_t wss_pages;	/* pages the target touches per tick, about */
	uint64_t rss_pages;

	uint64_t last_reprobe_ns;

	/* the scan mode's snapshot under construction */
	struct region *scan_regions;
	size_t scan_nr, scan_cap;
	uint64_t scan_drops;

	struct mapping *maps;
	size_t nr_maps;
};

const char *sampler_method_name(enum clear_method m)
{
	switch (m) {
	case CLEAR_REFS: return "clear_refs";
	case CLEAR_COLD: return "madv_cold";
	default: return "auto";
	}
}

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
	if (n)
		cost_add(&s->cold_ns_per_page,
		     (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / n);
	return 0;
}

/* CPU time of one tick under a method reading k pages per region. */
static double tick_cost(const struct sampler *s, enum clear_method m, uint32_t k)
{
	size_t n = s->rs.nr * (m == CLEAR_REFS ? k : 1);
	double read = s->read_ns_per_pass * nr_passes(n) + s->read_ns_per_addr.median * n;

	if (m == CLEAR_REFS)
		return s->refs_ns_per_page.median * s->rss_pages + read;
	return s->cold_ns_per_page.median * n + 2 * read;	/* cold reads twice */
}

/* What one tick costs the target: every page whose Accessed bit we
 * cleared and that it touches again (its whole working set after a
 * clear_refs, the sampled pages after MADV_COLD). */
static double target_cost(const struct sampler *s, enum clear_method m)
{
	uint64_t pages = m == CLEAR_REFS ? s->wss_pages : s->rs.nr;

	return pages * s->reaccess_ns;
}

/* The budget binds twice: our CPU (less a share for the views) and the
 * target's slowdown; a tick's load is the tighter of the two. */
static double tick_load(const struct sampler *s, enum clear_method m, uint32_t k)
{
	double ours = tick_cost(s, m, k) / BUDGET_SHARE;
	double target = target_cost(s, m);

	return ours > target ? ours : target;
}

/* The best schedule for one method: as many ticks per aggregation as the
 * budget pays for, each reading enough pages to make up the samples. */
static struct plan plan_for(const struct sampler *s, enum clear_method m)
{
	double budget_ns = s->opts.budget * s->opts.aggr_ns, load;
	uint32_t samples = s->opts.aggr_ns / s->opts.sample_ns, t, k, kmax;
	struct plan p = { .method = m, .ticks_per_aggr = 1, .k = 1 };

	if (!samples)
		samples = 1;
	kmax = s->rs.nr ? MAX_ADDRS_PER_TICK / s->rs.nr : 1;
	if (!kmax)
		kmax = 1;
	for (t = samples; t >= 1; t--) {
		k = m == CLEAR_REFS ? (samples + t - 1) / t : 1;
		if (k > kmax)
			k = kmax;
		p.ticks_per_aggr = t;
		p.k = k;
		if (t * tick_load(s, m, k) <= budget_ns)
			break;
	}
	load = tick_load(s, m, p.k);
	p.tick_ns = s->opts.aggr_ns / p.ticks_per_aggr;
	if (load > budget_ns) {
		/* over budget even at one tick: stretch the aggregation */
		p.tick_ns = load / s->opts.budget;
		if (p.tick_ns > 60 * NSEC_PER_SEC)
			p.tick_ns = 60 * NSEC_PER_SEC;
	}
	p.aggr_ns = p.tick_ns * p.ticks_per_aggr;
	return p;
}

/* Samples per aggregation, less for every stretch of the aggregation
 * interval (squared: a blurred time axis hides what the samples show). */
static double quality(const struct sampler *s, const struct plan *p)
{
	double stretch = (double)p->aggr_ns / s->opts.aggr_ns;

	return p->ticks_per_aggr * p->k / (stretch * stretch);
}

static void replan(struct sampler *s)
{
	struct plan p;

	if (s->opts.scan) {
		double ours = (s->scan_ns.median + s->refs_ns_per_page.median * s->rss_pages) /
			      BUDGET_SHARE;
		double load = ours > target_cost(s, CLEAR_REFS) ? ours :
			      target_cost(s, CLEAR_REFS);

		p = (struct plan){ .method = CLEAR_REFS, .ticks_per_aggr = 1, .k = 1,
				   .tick_ns = s->opts.aggr_ns };
		if (load > s->opts.budget * p.tick_ns)
			p.tick_ns = load / s->opts.budget;
		p.aggr_ns = p.tick_ns;
	} else if (s->opts.method != CLEAR_AUTO) {
		p = plan_for(s, s->opts.method);
	} else {
		struct plan cold = plan_for(s, CLEAR_COLD);
		struct plan refs = plan_for(s, CLEAR_REFS);
		double qc = quality(s, &cold), qr = quality(s, &refs);

		/* clear_refs without a TLB flush misses TLB-resident pages;
		 * and the other method must be clearly better to take over:
		 * the measured costs are noisy, a steady plan reads better */
		if (!pte_refs_exact(s->pte))
			p = cold;
		else if (s->plan.method == CLEAR_REFS)
			p = qc > 1.5 * qr ? cold : refs;
		else
			p = qr > 1.5 * qc ? refs : cold;
	}
	/* a small wobble in the measured costs does not move the timer */
	if (p.method == s->plan.method && p.ticks_per_aggr == s->plan.ticks_per_aggr &&
	    fabs((double)p.tick_ns - s->plan.tick_ns) < 0.1 * s->plan.tick_ns)
		p.tick_ns = s->plan.tick_ns, p.aggr_ns = s->plan.aggr_ns;
	if (p.tick_ns != s->plan.tick_ns && s->timer_fd >= 0)
		evloop_set_timer(s->timer_fd, p.tick_ns);
	if (s->opts.verbose && memcmp(&p, &s->plan, sizeof(p)))
		fprintf(stderr, "damontop: plan %s: tick %.1f ms x %u per aggregation, "
			"%u pages/region; %zu regions, %llu resident pages; "
			"refs %.1f ns/page, cold %.1f us/page, read %.2f us/page, "
			"target %.2f us/page x %llu pages\n",
			sampler_method_name(p.method), p.tick_ns / 1e6, p.ticks_per_aggr,
			p.k, s->rs.nr, (unsigned long long)s->rss_pages,
			s->refs_ns_per_page.median, s->cold_ns_per_page.median / 1e3,
			s->read_ns_per_addr.median / 1e3, s->reaccess_ns / 1e3,
			(unsigned long long)s->wss_pages);
	s->plan = p;
}

/* Counts go out on the scale the user asked for (aggregation / sampling
 * interval), whatever the plan took to make them, so that heat keeps its
 * meaning when the plan changes. */
static void emit(struct sampler *s, struct snapshot *snap, uint64_t now, uint32_t have)
{
	uint32_t want = s->opts.aggr_ns / s->opts.sample_ns ?: 1;
	uint64_t wss = 0;

	for (uint32_t i = 0; i < snap->nr_regions; i++) {
		struct region *r = &snap->regions[i];

		if (r->nr_accesses)
			wss += r->end - r->start;
		if (have && have != want)
			r->nr_accesses = ((uint64_t)r->nr_accesses * want + have / 2) / have;
	}
	s->wss_pages = wss / 4096 < s->rss_pages ? wss / 4096 : s->rss_pages;
	snap->time_ns = now;
	snap->aggr_ns = s->plan.aggr_ns;
	snap->sample_ns = s->plan.aggr_ns / want;
	if (s->sink.snapshot)
		s->sink.snapshot(s->sink.ctx, snap);
}

static int aggregate(struct sampler *s, uint64_t now)
{
	struct snapshot snap = {};
	int err;

	err = regions_aggregate(&s->rs, s->ticks_in_aggr * s->plan.k, &snap);
	if (!err)
		emit(s, &snap, now, s->ticks_in_aggr * s->plan.k);
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
		emit(s, &snap, now, 1);
	}
	return clear_refs(s);
}

/* Re-measure the method not in use when its cost fits in a small share of
 * the budget accumulated since the last time. */
static bool reprobe_due(const struct sampler *s, uint64_t now)
{
	enum clear_method other = s->plan.method == CLEAR_REFS ? CLEAR_COLD : CLEAR_REFS;

	if (other == CLEAR_REFS && !pte_refs_exact(s->pte))
		return false;
	return (now - s->last_reprobe_ns) * s->opts.budget * REPROBE_SHARE >=
	       tick_load(s, other, 1);
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
		replan(s);
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
		replan(s);
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
	int err;

	uint64_t t0;

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
		cost_add(&s->cold_ns_per_page, 15000);	/* nothing resident yet: the usual */
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
	rc = update_target(s, now, true);
	s->wss_pages = s->rss_pages;	/* until the first snapshot tells */
	if (!rc)
		rc = calibrate(s);
	if (rc) {
		snprintf(err, errlen, rc == -ESRCH ? "pid %d exited" :
			 "cannot sample pid %d: %s", pid, strerror(-rc));
		goto fail;
	}
	replan(s);
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
}
