// SPDX-License-Identifier: GPL-2.0
/*
 * napitop: live NAPI polling stats, softirq vs threaded NAPI; and
 * --threaded to switch a device's mode.  This file is the command line
 * only.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "view.h"

const char *argp_program_version = "napitop (kscope) 0.1";

enum {
	OPT_DEV = 256, OPT_SORT, OPT_NETRX_TIME,
	OPT_THREADED, OPT_SET,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "What to show:", 1 },
	{ "dev", OPT_DEV, "DEV", 0, "Only the NAPI instances of DEV (repeat for more)", 1 },
	{ "sort", OPT_SORT, "KEY", 0,
	  "polls (default), packets, per-poll, full, kthread, pid, irq, dev, napi, mode, cpus", 1 },
	{ "netrx-time", OPT_NETRX_TIME, NULL, 0,
	  "Time the NET_RX softirq itself (two programs a softirq; by default the "
	  "kernel's softirq time, every vector)", 1 },
	{ NULL, 0, NULL, 0, "Configuring (persists after napitop exits):", 3 },
	{ "threaded", OPT_THREADED, "DEV", 0,
	  "Switch DEV's NAPI polling: napitop --threaded DEV on|off|busy-poll", 3 },
	{ "set", OPT_SET, "DEV|NAPI_ID", 0,
	  "Configure a device's NAPIs or one NAPI: napitop --set DEV|NAPI_ID "
	  "defer-hard-irqs=N gro-flush-timeout=NS irq-suspend-timeout=NS threaded=on|off", 3 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct napitop_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->out;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case OPT_DEV:
		cliout_push(state, &o->devs, &o->nr_devs, arg);
		return 0;
	case OPT_SORT:
		o->sort = view_sort_column(arg);
		if (o->sort < 0)
			argp_error(state, "bad --sort '%s'", arg);
		return 0;
	case OPT_NETRX_TIME:
		o->netrx_time = true;
		return 0;
	case OPT_THREADED:
		o->threaded_dev = arg;
		return 0;
	case OPT_SET:
		o->set_target = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (o->threaded_dev && !o->threaded_mode) {
			o->threaded_mode = arg;
			return 0;
		}
		if (o->set_target) {
			cliout_push(state, &o->set_args, &o->nr_set, arg);
			return 0;
		}
		return ARGP_ERR_UNKNOWN;	/* [interval [count]]: cliout's */
	case ARGP_KEY_END:
		if (o->threaded_dev && !o->threaded_mode)
			argp_error(state, "--threaded %s: on, off or busy-poll?", o->threaded_dev);
		if (o->out.replay && o->threaded_dev)
			argp_error(state, "--replay and --threaded exclude each other");
		if (o->set_target && !o->nr_set)
			argp_error(state, "--set %s: what to set? (defer-hard-irqs=N, "
				   "gro-flush-timeout=NS, irq-suspend-timeout=NS, threaded=on|off)",
				   o->set_target);
		if (o->set_target && (o->threaded_dev || o->out.replay))
			argp_error(state, "--set excludes --threaded and --replay");
		if (o->netrx_time && (o->out.replay || o->threaded_dev || o->set_target))
			argp_error(state, "--netrx-time is for a live session, not --replay, "
				   "--threaded or --set");
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
	"NAPI polling, live: how often each NAPI instance polls, how much work a "
	"poll does, how often the budget runs out, where the polling runs "
	"(softirq, ksoftirqd, its kthread, busy poll) and what it costs.\v"
	"  napitop\n"
	"  napitop --dev eth0 --json -d 10\n"
	"  napitop --batch 0.5 4                four refreshes half a second apart\n"
	"  napitop --threaded eth0 on\n"
	"  napitop --set eth0 defer-hard-irqs=2 gro-flush-timeout=200us\n"
	"See napitop(8).",
};

int main(int argc, char **argv)
{
	struct napitop_opts o = { .out.refresh_ns = 1000000000ULL, .sort = -1 };
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	rc = o.threaded_dev ? napitop_threaded(o.threaded_dev, o.threaded_mode) :
	     o.set_target ? napitop_set(o.set_target, o.set_args, o.nr_set) : napitop_run(&o);
	free(o.devs);
	free(o.set_args);
	return rc;
}
