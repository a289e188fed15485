/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pte source's sampling loop: DAMON's access-check / aggregate / update
 * cycle for one process, driven by a timer in the tool's event loop, kept
 * within a CPU budget by the plan (plan.h) it redoes at every aggregation.
 */
#ifndef KSCOPE_DAMONTOP_SAMPLER_H
#define KSCOPE_DAMONTOP_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "plan.h"
#include "snapshot.h"

struct evloop;
struct sampler;

struct sampler_opts {
	uint64_t sample_ns;	/* asked for; the plan stretches them to stay */
	uint64_t aggr_ns;	/* in budget */
	uint64_t update_ns;	/* how often the target's mappings are re-read */
	uint32_t min_nr_regions;
	uint32_t max_nr_regions;
	double budget;		/* fraction of one CPU, e.g. 0.01 */
	enum clear_method method;
	bool scan;		/* exact per-page working set, no regions */
	bool verbose;		/* print every change of plan on stderr */
	uint64_t seed;
};

struct sampler_stats {
	uint64_t sample_ns;	/* tick interval in force now */
	uint64_t aggr_ns;
	enum clear_method method;	/* used by the last sample */
	bool refs_exact;	/* clear_refs flushes the TLB (pte_refs_exact) */
	uint64_t rss_bytes;
	uint32_t nr_regions;
	uint64_t drops;		/* samples lost: memory MADV_COLD refuses (locked,
				 * hugetlb), pages a --scan snapshot could not hold */
	char plan_line[256];	/* the pte source's plan, plan_describe()d */
};

struct sampler_sink {
	void *ctx;
	void (*snapshot)(void *ctx, const struct snapshot *snap);
	void (*mappings)(void *ctx, uint64_t time_ns,
			 const struct mapping *maps, size_t nr);
	/* a new plan (plan_describe()), at start and whenever it changes */
	void (*plan)(void *ctx, uint64_t time_ns, const char *line);
};

/* Returned by the event loop when the target has exited. */
#define SAMPLER_TARGET_GONE 2

int sampler_start(struct sampler **out, struct evloop *loop, pid_t pid,
		  const struct sampler_opts *opts, const struct sampler_sink *sink,
		  char *err, size_t errlen);
void sampler_stop(struct sampler *s);
void sampler_get_stats(const struct sampler *s, struct sampler_stats *st);

#endif
