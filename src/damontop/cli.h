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
#include "sampler.h"

enum source_kind { SOURCE_AUTO, SOURCE_PTE, SOURCE_DAMON };
enum report_kind { REPORT_HEATMAP, REPORT_WSS, REPORT_REGIONS, REPORT_CONVERT };
enum export_format { FORMAT_PNG, FORMAT_SVG, FORMAT_TSV };
enum draw_range { DRAW_ALL, DRAW_HOTTEST };	/* report heatmap's address axis */

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
int report_run(const struct damontop_opts *o);
int calibrate_run(const struct damontop_opts *o);

#endif
