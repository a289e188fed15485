/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coretop's command line: what main.c parses and live.c acts on.
 */
#ifndef KSCOPE_CORETOP_CLI_H
#define KSCOPE_CORETOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cliout.h"
#include "errmsg.h"

/* --group-by: what makes two tasks "compatible" on one core. */
enum coretop_group_by {
	GROUP_BY_COOKIE,	/* the kernel's core-scheduling cookie */
	GROUP_BY_CGROUP,	/* cgroup v2 id */
	GROUP_BY_UID,
	GROUP_BY_TGID,		/* every process its own cookie */
	GROUP_BY_LIST,		/* --group NAME=PID,... (others: untagged) */
};

struct coretop_opts {
	bool what_if;			/* --what-if: estimate even where measured */
	int group_by;			/* enum coretop_group_by; -1: the default */
	const char **groups;		/* --group NAME=PID[,PID...] */
	size_t nr_groups;
	const char *smt_pairs;		/* --smt-pairs 0-1,2-3 */
	bool schedstats;		/* turn kernel.sched_schedstats on meanwhile */
	struct cliout out;		/* --batch, --json, -o, --replay, -d, -i, ... */
};

int coretop_run(const struct coretop_opts *o);

/*
 * coretop as a part of a host's session (kscope record): started (NULL,
 * with the reason in @err, when it cannot: kernel.sched_schedstats as
 * --schedstats asks, put back at the stop), its session file (coretop's,
 * as -o writes it) going to @rec; at each of the host's refreshes its
 * figures read and recorded (0 or -errno); stopped, nothing left attached.
 */
struct coretop_part;
struct coretop_part *coretop_part_start(const struct coretop_opts *o, FILE *rec, char *err,
					size_t errlen);
const char *coretop_part_status(const struct coretop_part *p);
int coretop_part_refresh(struct coretop_part *p);
/* The largest share of the last interval a core's siblings were forced
 * idle (*@measured) or in conflict (what-if: the time one would have
 * idled), and which core; NaN before two refreshes. */
double coretop_part_forced(const struct coretop_part *p, unsigned int *core, bool *measured);
void coretop_part_stop(struct coretop_part *p);

#endif
