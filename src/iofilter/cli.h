/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's command line: what main.c parses and live.c acts on.
 */
#ifndef KSCOPE_IOFILTER_CLI_H
#define KSCOPE_IOFILTER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cliout.h"
#include "errmsg.h"

struct iofilter_opts {
	const char **rules;		/* --rule TEXT, in order */
	size_t nr_rules;
	const char **rule_files;	/* -f FILE */
	size_t nr_rule_files;
	const char *protect_gpt;	/* --protect-gpt DEV */
	const char *cgroup;		/* --cgroup DIR: the device tier's cgroup */
	const char *log;		/* --log FILE */
	const char *pin, *unpin;
	int tier;			/* --tier: only this one; -1: the strongest */
	struct cliout out;		/* --batch, --json, -o, --replay, -d, -i, ... */
};

int iofilter_run(const struct iofilter_opts *o);

/*
 * iofilter as a part of a host's session (kscope record): its rules
 * enforced (NULL, with the reason in @err, when they cannot be), their
 * verdicts recorded to @rec as they come through the host's @loop, the
 * disks' stats read at each of the host's refreshes, the counts recorded
 * at the stop, nothing left attached after it (unless --pin).  @rec is the
 * host's to close.
 */
struct evloop;
struct iofilter_part;
struct iofilter_part *iofilter_part_start(const struct iofilter_opts *o, struct evloop *loop,
					  FILE *rec, char *err, size_t errlen);
int iofilter_part_refresh(struct iofilter_part *p);
/* The IOs its rules refused so far (the counts as of the last refresh) */
uint64_t iofilter_part_denied(const struct iofilter_part *p);
void iofilter_part_stop(struct iofilter_part *p);

#endif
