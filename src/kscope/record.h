/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope record: the chosen views of several kscope tools gathered at once,
 * in one process and one event loop, refreshed together on one clock
 * (CLOCK_MONOTONIC, as each tool's session file has it), into one file
 * (bundle.h) whose parts each tool's --replay opens.
 */
#ifndef KSCOPE_RECORD_H
#define KSCOPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct record_opts {
	const char *output;		/* -o FILE */
	bool force, verbose;
	uint64_t duration_ns;		/* -d: 0, until stopped */
	uint64_t interval_ns;		/* -i: every view's refresh */
	uint64_t ring_ns;		/* --ring: keep only the refreshes of the
					 * last ring_ns (0: all) */
	bool mem;			/* --mem: damontop's view */
	pid_t pid;			/* -p: of this process (0: the command's) */
	bool paddr;			/* --paddr: of physical memory */
	bool napi;			/* --napi: napitop's view */
	const char **devs;		/* --dev: napitop's devices */
	size_t nr_devs;
	bool cores;			/* --cores: coretop's view */
	const char *smt_pairs;		/* --smt-pairs: its declared cores */
	bool what_if, schedstats;	/* --what-if, --schedstats: its mode */
	const char **io_rules;		/* --io RULE: iofilter's view, its rules */
	size_t nr_io_rules;
	bool trigger_deny;		/* --trigger deny: write at a refused IO */
	double trigger_forced;		/* --trigger forced-idle=PCT: at a core's
					 * share over it (0: none) */
	double trigger_wss;		/* --trigger wss=PCT: at a working set
					 * grown by over it in a refresh (0: none) */
	uint64_t trigger_hold_ns;	/* a trigger writes at most once in it */
	char *const *cmd;		/* -- COMMAND...: the session lasts as long */
};

/* The session, until -d, the command's end or a signal: 0, or 1 (said). */
int kscope_record(const struct record_opts *o);

#endif
