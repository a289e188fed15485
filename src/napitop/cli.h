/* SPDX-License-Identifier: GPL-2.0 */
/*
 * napitop's command line: what main.c parses and live.c acts on.
 */
#ifndef KSCOPE_NAPITOP_CLI_H
#define KSCOPE_NAPITOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errmsg.h"

struct napitop_opts {
	const char **devs;		/* --dev DEV: only these devices */
	size_t nr_devs;
	int sort;			/* --sort: a table column, -1: polls/s */
	const char *output;		/* -o FILE: the session file */
	const char *replay;
	const char *threaded_dev;	/* --threaded DEV MODE: configure, then exit */
	const char *threaded_mode;
	bool batch, json, no_color, force, verbose;
	uint64_t duration_ns;
	uint64_t refresh_ns;
};

int napitop_run(const struct napitop_opts *o);
/* --threaded DEV MODE: switch it, say before and after. */
int napitop_threaded(const char *dev, const char *mode);

#endif
