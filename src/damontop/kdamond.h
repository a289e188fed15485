/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "damon" source: region snapshots from the kernel's own DAMON.  Either
 * a kdamond of our own (one context, one target: a process's virtual
 * addresses or ranges of physical memory), started through sysfs and
 * removed again by kdamond_stop(), or an existing kdamond watched
 * read-only.  Snapshots come from the damon:damon_aggregated tracepoint
 * through a ring buffer, one whole aggregation at a time.
 */
#ifndef KSCOPE_DAMONTOP_KDAMOND_H
#define KSCOPE_DAMONTOP_KDAMOND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#include "damon.h"
#include "damon_sysfs.h"
#include "sampler.h"

struct evloop;
struct kdamond_source;

struct kdamond_opts {
	int attach;		/* index of a kdamond to watch, -1: start ours */
	const char *ops;	/* ours: "vaddr" (pid) or "paddr" (ranges) */
	pid_t pid;
	const struct damon_range *ranges;
	size_t nr_ranges;
	struct damon_attrs attrs;
};

/* What the views show of the source. */
struct kdamond_status {
	int index;
	pid_t pid;		/* the kdamond thread */
	bool ours;
	char ops[16];
	size_t nr_targets;	/* of the watched context: target 0 is shown */
	struct damon_attrs attrs;
};

/* Loads and attaches the capture, then starts or finds the kdamond.
 * -errno with a one-line reason in err (-EBUSY: another kdamond runs). */
int kdamond_start(struct kdamond_source **out, struct evloop *loop,
		  const struct kdamond_opts *o, const struct sampler_sink *sink,
		  char *err, size_t errlen);
/* Stops and removes our kdamond (never one we only watch), detaches. */
void kdamond_stop(struct kdamond_source *k);

void kdamond_get_status(const struct kdamond_source *k, struct kdamond_status *st);
void kdamond_get_stats(const struct kdamond_source *k, struct sampler_stats *st);

/*
 * One aggregation rebuilt from its events.  The tracepoint fires once per
 * region at the end of each aggregation interval, each region carrying
 * its target's region count: the snapshot is complete when that many
 * regions have come in address order.  A burst cut short (a region out of
 * order, or the BPF side's drop count moved) is started over: never shown
 * half.  Returns 1 when regions[0..nr) is a complete snapshot (the caller
 * then sets nr to 0), 0 while incomplete, -ENOMEM.
 */
struct kdamond_burst {
	struct region *regions;
	size_t nr, cap;
	uint32_t expect;
	uint64_t time_ns;		/* the first event's: the aggregation's end */
	uint64_t dropped_seen;		/* the BPF side's drop count when it began */
};
int kdamond_burst_add(struct kdamond_burst *b, const struct damon_event *e,
		      uint64_t dropped);

/* Returned by the event loop when the watched kdamond has stopped. */
#define KDAMOND_GONE 3

#endif
