// SPDX-License-Identifier: GPL-2.0
/*
 * The pte source's sampling plan (plan.h): the arithmetic of damontop(8),
 * OVERHEAD.
 *
 * A tick's cost is fixed but for the target's side under clear_refs:
 * after a clear of the whole process the target re-sets the Accessed bit
 * of every page it touches again, so a tick costs it its hot pages (those
 * found accessed at every sample) plus the others it touches in the
 * tick's length.  Per second that is hot / tick + warm rate: a shorter
 * tick costs more only through the hot pages.
 */
#include <math.h>
#include <stdio.h>

#include "damontop.h"
#include "plan.h"
#include "units.h"

#define NSEC_PER_SEC 1e9
#define TAKE_OVER 1.5	/* how much better the other method must be */

const char *plan_method_name(enum clear_method m)
{
	switch (m) {
	case CLEAR_REFS: return "clear_refs";
	case CLEAR_COLD: return "madv_cold";
	default: return "auto";
	}
}

static double nr_passes(double n)
{
	return ceil(n / PTE_MAX_ADDRS);
}

/* Our CPU for one tick. */
static double our_tick_ns(const struct plan_costs *c, enum clear_method m, uint32_t k)
{
	double n = (double)c->nr_regions * (m == CLEAR_REFS ? k : 1);
	double read = c->read_ns_per_pass * nr_passes(n) + c->read_ns_per_addr * n;

	if (m == CLEAR_REFS)
		return c->refs_ns_per_page * c->rss_pages + read;
	return c->cold_ns_per_page * c->nr_regions + 2 * read;	/* cold reads twice */
}

/* The target's pages touched again after one tick's clear: fixed + per_ns
 * times the tick's length, never more than it has. */
static void target_pages(const struct plan_costs *c, enum clear_method m,
			 double *fixed, double *per_ns)
{
	if (m == CLEAR_REFS) {
		*fixed = c->hot_pages < c->rss_pages ? c->hot_pages : c->rss_pages;
		*per_ns = c->warm_pages_per_s / NSEC_PER_SEC;
	} else {
		*fixed = c->nr_regions;
		*per_ns = 0;
	}
}

double plan_tick_load(const struct plan_costs *c, enum clear_method m, uint32_t k,
		      uint64_t tick_ns)
{
	double ours = our_tick_ns(c, m, k) / PLAN_BUDGET_SHARE, fixed, per_ns, pages;

	target_pages(c, m, &fixed, &per_ns);
	pages = fixed + per_ns * tick_ns;
	if (pages > c->rss_pages && m == CLEAR_REFS)
		pages = c->rss_pages;
	return fmax(ours, pages * c->reaccess_ns);
}

/* The shortest tick, at least @floor, whose load fits in @budget. */
static double shortest_tick(const struct plan_costs *c, enum clear_method m,
			    uint32_t k, double budget, double floor)
{
	double ours = our_tick_ns(c, m, k) / PLAN_BUDGET_SHARE, fixed, per_ns, t;
	double all = c->reaccess_ns * c->rss_pages;

	target_pages(c, m, &fixed, &per_ns);
	/* (fixed + per_ns t) reaccess <= budget t; all pages at the most */
	if (m == CLEAR_REFS && budget <= per_ns * c->reaccess_ns)
		t = all / budget;
	else
		t = fixed * c->reaccess_ns / (budget - per_ns * c->reaccess_ns);
	if (m == CLEAR_REFS && t > all / budget)
		t = all / budget;
	return fmax(floor, fmax(t, ours / budget));
}

/* The plan for one method: the shortest affordable tick, as many of them
 * as the asked aggregation holds, at least the minimum. */
static struct plan plan_for(const struct plan_want *w, const struct plan_costs *c,
			    enum clear_method m)
{
	uint64_t asked = w->aggr_ns / w->sample_ns ?: 1;
	uint32_t min = asked < PLAN_MIN_SAMPLES ? asked : PLAN_MIN_SAMPLES;
	uint32_t kmax = c->nr_regions ? w->max_addrs_per_tick / c->nr_regions : 1;
	uint64_t longest = w->aggr_ns > PLAN_MAX_AGGR_NS ? w->aggr_ns : PLAN_MAX_AGGR_NS;
	struct plan p = { .method = m, .k = 1 };
	double t;

	if (!kmax)
		kmax = 1;
	/* k only grows, up to kmax: this ends */
	for (;;) {
		uint32_t k;

		t = shortest_tick(c, m, p.k, w->budget, w->sample_ns);
		p.ticks_per_aggr = w->aggr_ns / t;
		if (p.ticks_per_aggr >= min && t <= w->sample_ns) {
			/* as DAMON: whole sampling intervals per aggregation */
			p.tick_ns = w->sample_ns;
			p.limit = PLAN_ASKED;
		} else if (p.ticks_per_aggr >= min) {
			p.tick_ns = w->aggr_ns / p.ticks_per_aggr;
			p.limit = PLAN_BUDGET;
		} else {
			p.ticks_per_aggr = min;
			p.tick_ns = ceil(t);
			p.limit = PLAN_BUDGET_AGGR;
		}
		if ((double)p.tick_ns * p.ticks_per_aggr > longest) {
			p.tick_ns = longest / p.ticks_per_aggr;
			p.limit = PLAN_OVER;
		}
		/* clear_refs: more pages per tick make up for fewer ticks */
		k = m == CLEAR_REFS ? (asked + p.ticks_per_aggr - 1) / p.ticks_per_aggr : 1;
		if (k > kmax)
			k = kmax;
		if (k <= p.k)
			break;
		p.k = k;
	}
	p.aggr_ns = p.tick_ns * p.ticks_per_aggr;
	p.load = plan_tick_load(c, m, p.k, p.tick_ns) / p.tick_ns;
	p.bound = our_tick_ns(c, m, p.k) / PLAN_BUDGET_SHARE >=
		  plan_tick_load(c, m, p.k, p.tick_ns) ? PLAN_BOUND_CPU : PLAN_BOUND_TARGET;
	p.budget_for_asked = plan_tick_load(c, m, 1, w->sample_ns) / w->sample_ns;
	return p;
}

/* --scan: one exact scan of every page per aggregation, after a clear. */
static struct plan plan_scan(const struct plan_want *w, const struct plan_costs *c)
{
	struct plan p = { .method = CLEAR_REFS, .ticks_per_aggr = 1, .k = 1 };
	double ours = (c->scan_ns + c->refs_ns_per_page * c->rss_pages) / PLAN_BUDGET_SHARE;
	double target = plan_tick_load(c, CLEAR_REFS, 1, w->aggr_ns);
	double load = fmax(ours, target);

	p.tick_ns = w->aggr_ns;
	p.limit = PLAN_ASKED;
	if (load > w->budget * p.tick_ns) {
		p.tick_ns = load / w->budget;
		p.limit = PLAN_BUDGET;
	}
	if (p.tick_ns > PLAN_MAX_AGGR_NS) {
		p.tick_ns = PLAN_MAX_AGGR_NS;
		p.limit = PLAN_OVER;
	}
	p.aggr_ns = p.tick_ns;
	p.load = load / p.tick_ns;
	p.bound = ours >= target ? PLAN_BOUND_CPU : PLAN_BOUND_TARGET;
	return p;
}

/* Whether @a is clearly better than @b: a shorter sampling interval, or
 * the same for clearly less. */
static bool better(const struct plan *a, const struct plan *b)
{
	if (a->tick_ns * TAKE_OVER < b->tick_ns)
		return true;
	return a->tick_ns <= b->tick_ns && a->load * TAKE_OVER < b->load;
}

struct plan plan_make(const struct plan_want *w, const struct plan_costs *c,
		      const struct plan *prev)
{
	struct plan p;

	if (w->scan) {
		p = plan_scan(w, c);
	} else if (w->method != CLEAR_AUTO) {
		p = plan_for(w, c, w->method);
	} else {
		struct plan cold = plan_for(w, c, CLEAR_COLD);
		struct plan refs = plan_for(w, c, CLEAR_REFS);

		/* clear_refs without a TLB flush misses TLB-resident pages;
		 * and the measured costs are noisy: a steady plan reads
		 * better, so the method in force stays unless the other is
		 * clearly better */
		if (!c->refs_exact)
			p = cold;
		else if (prev && prev->method == CLEAR_REFS)
			p = better(&cold, &refs) ? cold : refs;
		else if (prev && prev->method == CLEAR_COLD)
			p = better(&refs, &cold) ? refs : cold;
		else
			p = refs.tick_ns < cold.tick_ns ||
			    (refs.tick_ns == cold.tick_ns && refs.load < cold.load) ? refs : cold;
		if (c->refs_exact)
			p.budget_for_asked = fmin(cold.budget_for_asked, refs.budget_for_asked);
	}
	/* a small wobble in the measured costs does not move the timer */
	if (prev && p.method == prev->method && p.ticks_per_aggr == prev->ticks_per_aggr &&
	    fabs((double)p.tick_ns - prev->tick_ns) < 0.1 * prev->tick_ns) {
		p.tick_ns = prev->tick_ns;
		p.aggr_ns = prev->aggr_ns;
	}
	return p;
}

/* Up to two significant digits, rounded up: a budget that does buy it. */
static double round_up2(double x)
{
	double scale = pow(10, floor(log10(x)) - 1);

	return ceil(x / scale - 1e-9) * scale;
}

void plan_describe(const struct plan *p, const struct plan_want *w, char *buf,
		   size_t len)
{
	char tick[16], aggr[16], asked[16], buys[64] = "";
	const char *bound = p->bound == PLAN_BOUND_CPU ? "our CPU" : "target's loss";
	double need = p->budget_for_asked * 100;
	int n;

	/* short: a terminal of 120 columns shows all of it */
	n = snprintf(buf, len, "sample %s x %u = aggr %s, %s", units_ns(tick, sizeof(tick), p->tick_ns),
		     p->ticks_per_aggr, units_ns(aggr, sizeof(aggr), p->aggr_ns),
		     w->scan ? "scan" : plan_method_name(p->method));
	if (n < 0 || (size_t)n >= len)
		return;
	units_ns(asked, sizeof(asked), w->sample_ns);
	if (!w->scan && need > 100)
		snprintf(buys, sizeof(buys), "; no budget buys %s", asked);
	else if (!w->scan && need > 0)
		snprintf(buys, sizeof(buys), "; --budget %.3g buys %s", round_up2(need), asked);
	switch (p->limit) {
	case PLAN_ASKED:
		snprintf(buf + n, len - n, "; as asked");
		break;
	case PLAN_BUDGET:
	case PLAN_BUDGET_AGGR:
		snprintf(buf + n, len - n, "; limit: budget %.3g%% (%s)%s%s", w->budget * 100,
			 bound, p->limit == PLAN_BUDGET_AGGR ? ", aggr grown" : "", buys);
		break;
	case PLAN_OVER:
		snprintf(buf + n, len - n, "; over budget %.3g%% (%s) at the longest aggr%s",
			 w->budget * 100, bound, buys);
		break;
	}
}
