/* SPDX-License-Identifier: GPL-2.0 */
/*
 * napitop's command line: what main.c parses and live.c acts on.
 */
#ifndef KSCOPE_NAPITOP_CLI_H
#define KSCOPE_NAPITOP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cliout.h"
#include "errmsg.h"

struct napitop_opts {
	const char **devs;		/* --dev DEV: only these devices */
	size_t nr_devs;
	int sort;			/* --sort: a table column, -1: polls/s */
	bool netrx_time;		/* --netrx-time: NET_RX's own time */
	const char *threaded_dev;	/* --threaded DEV MODE: configure, then exit */
	const char *threaded_mode;
	const char *set_target;		/* --set DEV|NAPI_ID NAME=VALUE...: configure, exit */
	const char **set_args;
	size_t nr_set;
	struct cliout out;		/* --batch, --json, -o, --replay, -d, -i, ... */
};

int napitop_run(const struct napitop_opts *o);
/* --threaded DEV MODE: switch it, say before and after. */
int napitop_threaded(const char *dev, const char *mode);
/* --set DEV|NAPI_ID NAME=VALUE...: configure, say before and after. */
int napitop_set(const char *target, const char *const *assignments, size_t nr);

/*
 * napitop as a part of a host's session (kscope record): its kernel side
 * and session started (NULL, with the reason in @err, when it cannot), its
 * session file (napitop's, as -o writes it) going to @rec; then at each of
 * the host's refreshes its figures read and recorded (0 or -errno); then
 * stopped, nothing left attached (@rec is the host's to close).
 */
struct napitop_part;
struct napitop_part *napitop_part_start(const struct napitop_opts *o, FILE *rec, char *err,
					size_t errlen);
/* "[tp_btf, netdev netlink]": what it watches, how */
const char *napitop_part_status(const struct napitop_part *p);
int napitop_part_refresh(struct napitop_part *p);
void napitop_part_stop(struct napitop_part *p);

#endif
