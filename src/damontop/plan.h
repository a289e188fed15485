/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pte source's sampling plan: how often to sample, how many samples
 * make an aggregation and how to clear Accessed bits, within a CPU budget,
 * from unit costs the sampler measures.  Arithmetic only (no I/O), so that
 * the plan for any set of costs is unit-tested.
 *
 * A sample is one tick: every region's sampling pages read at once.  The
 * plan asks for the shortest sampling interval the budget pays for, no
 * shorter than the one asked for (-s); the aggregation interval (-a) holds
 * as many of those as fit, and grows when fewer than PLAN_MIN_SAMPLES
 * would, so that nr_accesses always counts out of at least that many.
 */
#ifndef KSCOPE_DAMONTOP_PLAN_H
#define KSCOPE_DAMONTOP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Samples per aggregation the plan never goes below (DAMON's default
 * intervals give 20), unless fewer were asked for with -s and -a. */
#define PLAN_MIN_SAMPLES 10
/* The longest aggregation the budget may stretch to (unless asked for). */
#define PLAN_MAX_AGGR_NS (60 * 1000000000ULL)
/* Of the budget, the share for sampling; the rest is for the model, the
 * record and the views (a quarter of the whole, measured on the targets of
 * damontop(8) OVERHEAD). */
#define PLAN_BUDGET_SHARE 0.75

enum clear_method {
	CLEAR_AUTO = 0,	/* the cheaper of the two, measured as we go */
	CLEAR_REFS,	/* /proc/PID/clear_refs: whole process, one TLB flush */
	CLEAR_COLD,	/* process_madvise(MADV_COLD) per sampled page */
};

/* What set the plan's intervals. */
enum plan_limit {
	PLAN_ASKED,		/* the intervals asked for: the budget pays */
	PLAN_BUDGET,		/* the budget lengthened the sampling interval */
	PLAN_BUDGET_AGGR,	/* ...and the aggregation grew to keep the samples */
	PLAN_OVER,		/* over budget even at PLAN_MAX_AGGR_NS */
};

/* Which side of the budget binds. */
enum plan_bound {
	PLAN_BOUND_CPU,		/* damontop's own CPU time */
	PLAN_BOUND_TARGET,	/* the time the target loses re-setting bits */
};

/* Measured unit costs, in ns, and what they apply to. */
struct plan_costs {
	double refs_ns_per_page;	/* clear_refs, per resident page */
	double cold_ns_per_page;	/* MADV_COLD, per sampled page (absent
					 * ones cost nothing: this is a mean) */
	double read_ns_per_pass;	/* one iterator pass, fixed part */
	double read_ns_per_addr;	/* one address looked up */
	double scan_ns;			/* --scan: one whole scan */
	double reaccess_ns;		/* the target, per cleared page it touches again */
	uint64_t rss_pages;
	uint32_t nr_regions;
	/* The target's touches, from the last aggregation: pages in regions
	 * found accessed at every sample (counted as touched every sample at
	 * any interval), and the rate at which it touches the others. */
	double hot_pages;
	double warm_pages_per_s;
	bool refs_exact;		/* clear_refs flushes the TLB here */
};

/* What the user asked for. */
struct plan_want {
	uint64_t sample_ns;
	uint64_t aggr_ns;
	double budget;			/* fraction of one CPU */
	enum clear_method method;	/* CLEAR_AUTO: either */
	bool scan;			/* --scan: one exact scan per aggregation */
	uint32_t max_addrs_per_tick;	/* reads are cheap, not free */
};

struct plan {
	enum clear_method method;
	uint64_t tick_ns;		/* the sampling interval */
	uint64_t aggr_ns;		/* tick_ns * ticks_per_aggr */
	uint32_t ticks_per_aggr;	/* samples per aggregation */
	uint32_t k;			/* pages read per region per tick (refs) */
	enum plan_limit limit;
	enum plan_bound bound;
	double load;			/* of one CPU: the larger of our CPU (over
					 * the share) and the target's loss */
	double budget_for_asked;	/* the budget that buys the asked sampling
					 * interval (0 for --scan) */
};

/* The best plan under @c for @w.  @prev, the plan in force (NULL at
 * start), is kept unless the other method is clearly better, and its
 * interval unless the new one moves by more than a tenth. */
struct plan plan_make(const struct plan_want *w, const struct plan_costs *c,
		      const struct plan *prev);

/* Time one tick of method @m reading @k pages per region costs, as load:
 * ns of budget it takes (the larger of our CPU over the share and the
 * target's loss) when ticks are @tick_ns apart. */
double plan_tick_load(const struct plan_costs *c, enum clear_method m, uint32_t k,
		      uint64_t tick_ns);

const char *plan_method_name(enum clear_method m);

/* One line for the header, -v and the record: the intervals, the method,
 * what set them, and when the budget did, the budget that would buy the
 * asked sampling interval ("sample 14.1 ms x 10 = aggr 141 ms, madv_cold;
 * limit: budget 2% (our CPU), aggr grown; --budget 5.7 buys 5.00 ms"). */
void plan_describe(const struct plan *p, const struct plan_want *w, char *buf,
		   size_t len);

#endif
