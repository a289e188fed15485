/* SPDX-License-Identifier: GPL-2.0 */
/*
 * damontop's command line, shared by its subcommands: what main.c parses
 * and live.c / report.c act on.
 */
#ifndef KSCOPE_DAMONTOP_CLI_H
#define KSCOPE_DAMONTOP_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "errmsg.h"
#include <sys/types.h>

#include "cliout.h"
#include "damon_sysfs.h"
#include "heatgrid.h"
#include "recording.h"
#include "sampler.h"

struct evloop;

enum source_kind { SOURCE_AUTO, SOURCE_PTE, SOURCE_DAMON };
enum report_kind { REPORT_HEATMAP, REPORT_WSS, REPORT_REGIONS, REPORT_CONVERT };
enum export_format { FORMAT_PNG, FORMAT_SVG, FORMAT_TSV };
enum draw_range { DRAW_ALL, DRAW_HOTTEST };	/* report heatmap's address axis */

/* damontop's sampling by default, and kscope record --mem's */
#define DAMONTOP_SAMPLER_DEFAULTS {						\
	.sample_ns = 5000000, .aggr_ns = 250000000, .update_ns = 1000000000,	\
	.min_nr_regions = 20, .max_nr_regions = 1000, .budget = 0.02,		\
}

struct damontop_opts {
	/* target */
	pid_t pid;
	const char *cmd;
	int attach_kdamond;		/* -1: none */
	bool paddr;
	struct damon_range *paddr_ranges;	/* NULL: System RAM */
	size_t nr_paddr_ranges;
	/* sampling */
	enum source_kind source;
	struct sampler_opts sampler;
	/* output: the shared options (cliout.h); report's -o, --force and
	 * --json land there too */
	struct cliout out;
	bool record;			/* `damontop record`: no live view */
	bool calibrate;			/* `damontop calibrate` */
	uint64_t calibrate_size;	/* its target's size, bytes */
	bool damo_format;		/* record or convert to damo's json_compressed */
	/* report */
	enum report_kind report;
	const char *input;
	enum export_format format;
	unsigned int resol_time, resol_addr;
	uint64_t time_range[2], addr_range[2];	/* 0,0 = default */
	bool abs_time, abs_addr;
	enum heat_model heat_model;	/* --heat-model */
	enum draw_range draw_range;	/* --draw-range */
};


int damontop_run(const struct damontop_opts *o);

/*
 * damontop as a part of a host's session (kscope record): the target of
 * @o (-p, or --paddr) monitored, each aggregation pushed through the
 * host's @loop into a record (one that grows, or with @ring_ns the last
 * ring_ns of it, in memory).  The target's exit or the kdamond's end
 * stops @loop (SAMPLER_TARGET_GONE, KDAMOND_GONE).  NULL with @err when
 * it cannot start.
 */
struct damontop_part;
struct damontop_part *damontop_part_start(const struct damontop_opts *o, struct evloop *loop,
					  uint64_t ring_ns, char *err, size_t errlen);
/* 0, or the -errno of a write that failed since the last call */
int damontop_part_refresh(struct damontop_part *p);
/* The working set of the latest aggregation, bytes (0 before the first) */
uint64_t damontop_part_wss(const struct damontop_part *p);
/* The record as it stands, complete, to @fd: 0 or -errno */
int damontop_part_write(struct damontop_part *p, int fd);
void damontop_part_stop(struct damontop_part *p);
int report_run(const struct damontop_opts *o);
/* The heatmap `damontop report heatmap` draws of @rec with @o's ranges,
 * resolution and model, into @g (heatgrid_free() it), each address span's
 * mapping in @names (MODEL_MAX_SPANS of them): 0, -ENODATA for nothing to
 * draw, or -errno */
int report_heatgrid(const struct damontop_opts *o, const struct recording *rec,
		    struct heatgrid *g, char (*names)[sizeof(((struct mapping *)0)->name)]);
int calibrate_run(const struct damontop_opts *o);

#endif
