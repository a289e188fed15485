// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter: rule-based block IO filter with a live audit.  This file is
 * the command line only.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "cli.h"
#include "iofilter.h"

const char *argp_program_version = "iofilter (kscope) 0.1";

enum {
	OPT_RULE = 256, OPT_GPT, OPT_CGROUP, OPT_LOG, OPT_PIN, OPT_UNPIN,
	OPT_TIER,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Rules (the first that matches an IO decides):", 1 },
	{ "rule", OPT_RULE, "'RULE'", 0,
	  "dev=DEV [sectors=A-B] [op=write,discard,zeroout,other,read] "
	  "[action=deny|audit|allow] [comm=C] [pid=P] [uid=U] [cgroup=DIR]", 1 },
	{ "rules", 'f', "FILE", 0, "Rules from FILE, one a line (# comments)", 1 },
	{ "protect-gpt", OPT_GPT, "DEV", 0, "Deny writes to DEV's primary and backup GPT", 1 },
	{ "cgroup", OPT_CGROUP, "DIR", 0,
	  "Also refuse write opens of whole-device deny rules' devices to processes in DIR", 1 },
	{ "tier", OPT_TIER, "bio|lsm|kill", 0,
	  "Enforce deny rules at this tier only (default: the strongest available)", 1 },
	{ "log", OPT_LOG, "FILE", 0, "Also write one text line per verdict to FILE", 2 },
	{ NULL, 0, NULL, 0, "Keeping the rules after exit:", 3 },
	{ "pin", OPT_PIN, "DIR", 0, "Pin the programs under DIR (bpffs): rules hold after exit", 3 },
	{ "unpin", OPT_UNPIN, "DIR", 0, "Remove what --pin DIR left", 3 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct iofilter_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->out;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case OPT_RULE:
		cliout_push(state, &o->rules, &o->nr_rules, arg);
		return 0;
	case 'f':
		cliout_push(state, &o->rule_files, &o->nr_rule_files, arg);
		return 0;
	case OPT_GPT:
		o->protect_gpt = arg;
		return 0;
	case OPT_CGROUP:
		o->cgroup = arg;
		return 0;
	case OPT_TIER:
		o->tier = !strcmp(arg, "bio") ? IOF_TIER_BIO : !strcmp(arg, "lsm") ? IOF_TIER_LSM :
			  !strcmp(arg, "kill") ? IOF_TIER_KILL : -1;
		if (o->tier < 0)
			argp_error(state, "bad tier '%s' (bio, lsm or kill)", arg);
		return 0;
	case OPT_LOG:
		o->log = arg;
		return 0;
	case OPT_PIN:
		o->pin = arg;
		return 0;
	case OPT_UNPIN:
		o->unpin = arg;
		return 0;
	case ARGP_KEY_END:
		if (o->unpin || o->out.replay) {
			if (o->nr_rules || o->nr_rule_files || o->protect_gpt)
				argp_error(state, "--%s takes no rules", o->unpin ? "unpin" : "replay");
			return 0;
		}
		if (!o->nr_rules && !o->nr_rule_files && !o->protect_gpt)
			argp_error(state, "no rules: give --rule, -f FILE or --protect-gpt DEV");
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
	"Block IO filter: refuses or audits IO to sector ranges of block devices, "
	"at the strongest hook the kernel allows, and shows what it allowed and "
	"refused.\v"
	"  iofilter --protect-gpt /dev/sda\n"
	"  iofilter --rule 'dev=/dev/loop0 sectors=0-33 action=deny' --batch\n"
	"  iofilter --rule 'dev=/dev/vdb action=audit' --json -d 60\n"
	"  iofilter --protect-gpt /dev/sda --batch 10 6   counts every 10 s, a minute\n"
	"See iofilter(8).",
};

int main(int argc, char **argv)
{
	struct iofilter_opts o = { .out.refresh_ns = 1000000000ULL, .tier = -1 };
	int rc;

	argp_parse(&argp, argc, argv, 0, NULL, &o);
	rc = iofilter_run(&o);
	free(o.rules);
	free(o.rule_files);
	return rc;
}
