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
	uint64_t drops;
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

struct view_tui;
int view_tui_open(struct view_tui **out, bool no_color);
void view_tui_close(struct view_tui *v);
/* Reads pending keys; returns 1 to quit, 0 otherwise. */
int view_tui_keys(struct view_tui *v, const struct damon_model *m,
		  const struct view_status *vs);
void view_tui_draw(struct view_tui *v, const struct damon_model *m,
		   const struct view_status *vs);
bool view_tui_paused(const struct view_tui *v);
/* Refresh interval changes asked with +/- (factor, 1 = none). */
double view_tui_take_speed(struct view_tui *v);
void view_tui_resize(struct view_tui *v);

#endif
