/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's command line: what main.c parses and live.c acts on.
 */
#ifndef KSCOPE_IOFILTER_CLI_H
#define KSCOPE_IOFILTER_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
