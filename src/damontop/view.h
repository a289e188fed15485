/* SPDX-License-Identifier: GPL-2.0 */
/*
 * damontop's views of the model: plain text or JSON lines (batch) and the
 * live terminal view.  Both read a struct damon_model and a status block
 * the driver (live.c) fills.
 */
#ifndef KSCOPE_DAMONTOP_VIEW_H
#define KSCOPE_DAMONTOP_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "live.h"
#include "model.h"
#include "sampler.h"

struct metrics;
struct phys_cgroups;

struct view_status {
	const char *target;	/* "pid 1234 (accessgen)" */
	const char *source;	/* "pte", "replay of FILE" */
	const char *source_why;	/* why auto chose it, or NULL/"" */
	const char *kind;	/* "pte", "damon" (our kdamond), "kdamond" (watched) */
	const char *ops;	/* "vaddr" or "paddr" */
	bool live;		/* sampler stats are meaningful */
	bool damon;		/* kernel DAMON: no clearing, no budget of ours */
	struct phys_cgroups *memcg;	/* physical memory: who owns the pages */
	struct sampler_stats st;
	double budget;
	double self_cost;	/* the whole process, fraction of one CPU */
	uint64_t cpu_ns;	/* the whole process's CPU time since it started */
	/* kernel DAMON: the kdamond's share of one CPU over the last refresh
	 * (NAN: not known), and its CPU time since damontop's start-up */
	double kdamond_cost;
	uint64_t kdamond_cpu_ns;
	uint64_t drops;
	const char *plan;	/* the pte source's plan (plan_describe()), or NULL */
};

/* Batch: one line per snapshot (or a JSON object with every region). */
void view_batch_header(FILE *out, const struct view_status *vs);
void view_batch_line(FILE *out, const struct damon_model *m,
		     const struct view_status *vs, uint64_t t0_ns);
void view_json_line(FILE *out, const struct damon_model *m,
		    const struct view_status *vs);

/* Address buckets in the metrics: fixed, whatever the target. */
#define VIEW_METRICS_BUCKETS 16

/* The Prometheus metrics of a refresh (metrics_begin and _end are the
 * caller's): the --json line's figures. */
void view_metrics(struct metrics *out, const struct damon_model *m,
		 const struct view_status *vs);

/* The live view of @m, with @vs (both kept), or NULL and errno; then
 * driven by the live driver through view_tui_live. */
struct view_tui;
struct view_tui *view_tui_open(const struct damon_model *m, const struct view_status *vs,
			       bool no_color);
extern const struct live_view view_tui_live;

#endif
