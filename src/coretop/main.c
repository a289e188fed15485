// SPDX-License-Identifier: GPL-2.0
/*
 * coretop: core-scheduling contention, measured and estimated; and
 * "coretop cookie ..." to manage cookies.  This file is the command line
 * only.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cookie.h"

const char *argp_program_version = "coretop (kscope) 0.1";

enum {
	OPT_WHAT_IF = 256, OPT_GROUP_BY, OPT_GROUP, OPT_SMT_PAIRS, OPT_SCHEDSTATS,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "What to watch:", 1 },
	{ "what-if", OPT_WHAT_IF, NULL, 0,
	  "Estimate what core scheduling would cost, even where the kernel does it", 1 },
	{ "group-by", OPT_GROUP_BY, "cookie|cgroup|uid|tgid", 0,
	  "What makes tasks compatible (default: cookie measured, tgid what-if)", 1 },
	{ "group", OPT_GROUP, "NAME=PID[,PID...]", 0,
	  "A group of processes (repeat for more; everything else is untagged)", 1 },
	{ "smt-pairs", OPT_SMT_PAIRS, "A-B[,C-D...]", 0,
	  "Declare SMT siblings where the machine has none (what-if only)", 1 },
	{ "schedstats", OPT_SCHEDSTATS, NULL, 0,
	  "Turn kernel.sched_schedstats on for the session (the kernel's own forced-idle "
	  "count, for the cross-check), back off at exit", 1 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	static const char *const by_names[] = {
		[GROUP_BY_COOKIE] = "cookie", [GROUP_BY_CGROUP] = "cgroup",
		[GROUP_BY_UID] = "uid", [GROUP_BY_TGID] = "tgid",
	};
	struct coretop_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->out;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case OPT_WHAT_IF:
		o->what_if = true;
		return 0;
	case OPT_GROUP_BY:
		o->group_by = -1;
		for (int i = 0; i <= GROUP_BY_TGID; i++)
			if (!strcmp(arg, by_names[i]))
				o->group_by = i;
		if (o->group_by < 0)
			argp_error(state, "bad --group-by '%s' (cookie, cgroup, uid or tgid)", arg);
		return 0;
	case OPT_GROUP:
		cliout_push(state, &o->groups, &o->nr_groups, arg);
		return 0;
	case OPT_SMT_PAIRS:
		o->smt_pairs = arg;
		return 0;
	case OPT_SCHEDSTATS:
		o->schedstats = true;
		return 0;
	case ARGP_KEY_END:
		if (o->out.replay && (o->what_if || o->nr_groups || o->smt_pairs || o->out.output ||
				  o->group_by >= 0 || o->schedstats))
			argp_error(state, "--replay shows a recording: it takes output options only");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_child children[] = {
	{ &cliout_argp, 0, "Output:", 2 },
	{},
};

static const struct argp argp = {
	.options = options, .parser = parse, .children = children,
	.args_doc = "[interval [count]]",
	.doc =
	"Core-scheduling contention: how long SMT siblings sit forced idle because "
	"the tasks beside them have another cookie, per core, group and task; "
	"estimated from what runs where on kernels without core scheduling.\v"
	"  coretop\n"
	"  coretop --what-if --group-by cgroup --batch -d 10\n"
	"  coretop --what-if --batch 0.5 4      four refreshes half a second apart\n"
	"  coretop --what-if --smt-pairs 0-1 --group db=1234 --group web=5678,5679\n"
	"  coretop --headless --metrics 9100 --metrics-textfile DIR/coretop.prom\n"
	"  coretop cookie get|create|share-to|share-from ...   (coretop cookie --help)\n"
	"See coretop(8).",
};

int main(int argc, char **argv)
{
	struct coretop_opts o = { .out.refresh_ns = 1000000000ULL, .group_by = -1 };
	int rc;

	if (argc > 1 && !strcmp(argv[1], "cookie"))
		return cookie_main(argc - 1, argv + 1);
	argp_parse(&argp, argc, argv, 0, NULL, &o);
	rc = coretop_run(&o);
	free(o.groups);
	return rc;
}
