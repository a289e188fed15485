// SPDX-License-Identifier: GPL-2.0
/*
 * kscope: what the toolkit is, and `kscope record`, the session of several
 * views at once.  This file is the command line only.
 */
#include <argp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliout.h"
#include "units.h"
#include "record.h"
#include "replay.h"
#include "report.h"

const char *argp_program_version = "kscope 0.1";

static const char overview[] =
	"kscope: live, recordable views of what the kernel does, from CO-RE BPF\n"
	"\n"
	"  damontop   memory access heatmaps (address x time) of a process or of\n"
	"             physical memory, DAMON-style\n"
	"  coretop    core scheduling: SMT siblings forced idle, cookie mismatches\n"
	"  iofilter   a rule-based block IO filter that blocks, and what it refused\n"
	"  napitop    NAPI polling: softirq vs threaded, cost, configuration\n"
	"\n"
	"  kscope record -o FILE [--mem [-p PID | --paddr]] [--napi [--dev DEV]...]\n"
	"                [--cores [--smt-pairs LIST]] [--io RULE...] [-d SEC]\n"
	"                [-- COMMAND]\n"
	"             several views at once, on one clock, into one file; each\n"
	"             tool's --replay FILE opens its part\n"
	"  kscope report FILE [-o report.html | --format json | --tool TOOL [-o OUT]]\n"
	"             the parts a record holds; every view on one time axis, as a\n"
	"             page or JSON; one part in its tool's own format\n"
	"  kscope replay FILE\n"
	"             the record in the terminal: its lanes played back on one\n"
	"             time axis; Enter opens a lane's tool at the time shown\n"
	"\n"
	"See kscope(8) and each tool's man page.\n";

enum { OPT_NAPI = 256, OPT_DEV, OPT_FORCE, OPT_CORES, OPT_SMT_PAIRS, OPT_WHAT_IF,
	OPT_SCHEDSTATS, OPT_RING, OPT_FORMAT, OPT_IO, OPT_TRIGGER, OPT_MEM, OPT_PADDR, OPT_UNTIL,
	OPT_NO_COLOR };

static const struct argp_option record_options[] = {
	{ "output", 'o', "FILE", 0, "The record (created 0600, never over a file but with --force)", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Replace FILE if it exists", 0 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds", 0 },
	{ "interval", 'i', "SEC", 0, "Every view's refresh (default 1)", 0 },
	{ "ring", OPT_RING, "SEC", 0, "A flight recorder: keep only the last SEC (10m, 30s) "
	  "of refreshes, written at SIGUSR1 and at the end", 0 },
	{ "trigger", OPT_TRIGGER, "deny|forced-idle=PCT|wss=PCT", 0, "Also write the record "
	  "when an IO is refused (io view), a core's forced idle (cores view; what-if: its "
	  "conflict) passes PCT% of a refresh, or the working set (mem view) grows by over "
	  "PCT% within a refresh; at most once a --ring span (a minute without)", 0 },
	{ "verbose", 'v', NULL, 0, "libbpf's messages", 0 },
	{ NULL, 0, NULL, 0, "Views (none given: every one this build has):", 1 },
	{ "mem", OPT_MEM, NULL, 0, "Memory access heatmap (damontop) of -p PID, of --paddr or "
	  "of the command (the default with a command)", 1 },
	{ "pid", 'p', "PID", 0, "mem: this process; its exit ends the session", 1 },
	{ "paddr", OPT_PADDR, NULL, 0, "mem: physical memory (kernel DAMON)", 1 },
	{ "napi", OPT_NAPI, NULL, 0, "NAPI polling (napitop)", 1 },
	{ "dev", OPT_DEV, "DEV", 0, "napi: only DEV's instances (repeat for more)", 1 },
	{ "cores", OPT_CORES, NULL, 0, "Core scheduling, SMT siblings forced idle (coretop)", 1 },
	{ "smt-pairs", OPT_SMT_PAIRS, "LIST", 0,
	  "cores: declare the cores (0-1,2-3) and estimate (what-if)", 1 },
	{ "what-if", OPT_WHAT_IF, NULL, 0, "cores: estimate even where the kernel measures", 1 },
	{ "schedstats", OPT_SCHEDSTATS, NULL, 0,
	  "cores: kernel.sched_schedstats on for the session (measured)", 1 },
	{ "io", OPT_IO, "RULE", 0, "Block IO filter rules, iofilter --rule's syntax (repeat "
	  "for more): enforced for the session, their verdicts recorded (iofilter)", 1 },
	{},
};

static error_t parse_record(int key, char *arg, struct argp_state *state)
{
	struct record_opts *o = state->input;

	switch (key) {
	case 'o':
		o->output = arg;
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case 'd':
		cliout_parse_duration(state, arg, &o->duration_ns);
		return 0;
	case 'i':
		cliout_parse_interval(state, arg, &o->interval_ns);
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_RING:
		cliout_parse_duration(state, arg, &o->ring_ns);
		return 0;
	case OPT_MEM:
		o->mem = true;
		return 0;
	case 'p': {
		uint64_t pid;

		if (units_parse_u64(arg, 1, INT32_MAX, &pid))
			argp_error(state, "bad pid '%s'", arg);
		o->pid = pid;
		return 0;
	}
	case OPT_PADDR:
		o->paddr = true;
		return 0;
	case OPT_NAPI:
		o->napi = true;
		return 0;
	case OPT_CORES:
		o->cores = true;
		return 0;
	case OPT_SMT_PAIRS:
		o->smt_pairs = arg;
		return 0;
	case OPT_WHAT_IF:
		o->what_if = true;
		return 0;
	case OPT_SCHEDSTATS:
		o->schedstats = true;
		return 0;
	case OPT_DEV:
		cliout_push(state, &o->devs, &o->nr_devs, arg);
		return 0;
	case OPT_IO:
		cliout_push(state, &o->io_rules, &o->nr_io_rules, arg);
		return 0;
	case OPT_TRIGGER: {
		char *end;

		if (!strcmp(arg, "deny")) {
			o->trigger_deny = true;
			return 0;
		}
		if (!strncmp(arg, "forced-idle=", 12)) {
			o->trigger_forced = strtod(arg + 12, &end) / 100;
			if (end == arg + 12 || (*end && strcmp(end, "%")) ||
			    !(o->trigger_forced > 0) || o->trigger_forced > 1)
				argp_error(state, "bad trigger '%s': forced-idle=PCT, PCT in 0-100",
					   arg);
			return 0;
		}
		if (strncmp(arg, "wss=", 4))
			argp_error(state, "bad trigger '%s' (deny, forced-idle=PCT, wss=PCT)", arg);
		o->trigger_wss = strtod(arg + 4, &end) / 100;
		if (end == arg + 4 || (*end && strcmp(end, "%")) || !(o->trigger_wss > 0) ||
		    o->trigger_wss > 1e6)
			argp_error(state, "bad trigger '%s': wss=PCT, PCT a growth over 0", arg);
		return 0;
	}
	case ARGP_KEY_ARG:
		argp_error(state, "'%s': a command goes after --", arg);
		return 0;
	case ARGP_KEY_END:
		if (!o->output)
			argp_error(state, "where to? (-o FILE)");
		/* none named: every view, each with its options (the io view
		 * has no default rule: --io names it) */
		if (!o->napi && !o->cores && !o->nr_io_rules && !o->mem) {
			o->napi = o->cores = true;
			o->mem = o->cmd;
		}
		if ((o->pid || o->paddr) && !o->mem)
			argp_error(state, "-p and --paddr are the mem view's: add --mem");
		if (o->mem && !o->pid && !o->paddr && !o->cmd)
			argp_error(state, "--mem of what? (-p PID, --paddr, or -- COMMAND)");
		if (o->pid && o->paddr)
			argp_error(state, "-p or --paddr, not both");
		if (o->nr_devs && !o->napi)
			argp_error(state, "--dev is the napi view's: add --napi");
		if ((o->smt_pairs || o->what_if || o->schedstats) && !o->cores)
			argp_error(state, "--smt-pairs, --what-if and --schedstats are the cores "
				   "view's: add --cores");
		if (o->trigger_deny && !o->nr_io_rules)
			argp_error(state, "--trigger deny watches the io view: add --io RULE");
		if (o->trigger_forced > 0 && !o->cores)
			argp_error(state, "--trigger forced-idle watches the cores view: add --cores");
		if (o->trigger_wss > 0 && !o->mem)
			argp_error(state, "--trigger wss watches the mem view: add --mem");
		o->trigger_hold_ns = o->ring_ns ?: 60000000000ULL;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp record_argp = {
	.options = record_options, .parser = parse_record,
	.args_doc = "[-- COMMAND [ARG...]]",
	.doc = "Record several views at once, on one clock, into one file: "
	       "until -d, the command's end, or Ctrl-C.\v"
	       "  kscope record -o s.kscope -d 10\n"
	       "  kscope record -o s.kscope --napi --dev eth0 -- ./reproduce.sh\n"
	       "  kscope record -o s.kscope --mem -p 1234 --ring 5m --trigger wss=50\n"
	       "  napitop --replay s.kscope\n"
	       "See kscope(8).",
};

static const struct argp_option report_options[] = {
	{ "format", OPT_FORMAT, "html|json", 0, "Every view on one time axis: a self-contained "
	  "page, or the lanes as JSON (default: from -o's suffix)", 0 },
	{ "tool", 't', "TOOL", 0, "Export TOOL's part (damontop, napitop, coretop, iofilter), as "
	  "TOOL -o "
	  "writes it", 0 },
	{ "until", OPT_UNTIL, "SEC", 0, "--tool: the part as it stood SEC seconds into the "
	  "record (as the page and kscope replay count them)", 0 },
	{ "output", 'o', "FILE", 0, "To FILE, not stdout (created 0600, never over a file "
	  "but with --force)", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Replace FILE if it exists", 0 },
	{},
};

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), m = strlen(end);

	return n > m && !strcmp(s + n - m, end);
}

/* FILE, the one record report and replay take */
static void record_arg(struct argp_state *state, const char **input, const char *arg)
{
	if (*input)
		argp_error(state, "one record at a time ('%s'?)", arg);
	*input = arg;
}

static error_t parse_report(int key, char *arg, struct argp_state *state)
{
	struct report_opts *o = state->input;

	switch (key) {
	case 't':
		o->tool = arg;
		return 0;
	case OPT_UNTIL: {
		char *end;

		o->until_s = strtod(arg, &end);
		if (end == arg || *end || !(o->until_s >= 0))
			argp_error(state, "bad time '%s' (seconds into the record)", arg);
		o->until = true;
		return 0;
	}
	case OPT_FORMAT:
		if (!strcmp(arg, "html"))
			o->format = REPORT_HTML;
		else if (!strcmp(arg, "json"))
			o->format = REPORT_JSON;
		else
			argp_error(state, "bad format '%s' (html or json)", arg);
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case ARGP_KEY_ARG:
		record_arg(state, &o->input, arg);
		return 0;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(state, "which record? (kscope report FILE)");
		if (o->tool && o->format != REPORT_LIST)
			argp_error(state, "--tool exports a part as it is: no --format");
		if (o->until && !o->tool)
			argp_error(state, "--until cuts a part: add --tool TOOL");
		if (o->output && !o->tool && o->format == REPORT_LIST)
			o->format = ends_with(o->output, ".html") || ends_with(o->output, ".htm") ?
				    REPORT_HTML : ends_with(o->output, ".json") ? REPORT_JSON : REPORT_LIST;
		if (o->output && !o->tool && o->format == REPORT_LIST)
			argp_error(state, "what goes to %s? (--format html or json, or --tool TOOL)",
				   o->output);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp report_argp = {
	.options = report_options, .parser = parse_report, .args_doc = "FILE",
	.doc = "The parts a record holds, checked whole; every view on one time axis, as "
	       "a page (hover, drag to zoom) or JSON; or one part, byte for byte as its "
	       "tool records it.\v"
	       "  kscope report s.kscope\n"
	       "  kscope report s.kscope -o report.html\n"
	       "  kscope report s.kscope --format json | jq '.lanes[].name'\n"
	       "  kscope report s.kscope --tool napitop -o napi.jsonl\n"
	       "See kscope(8).",
};

struct replay_opts {
	const char *input;
	bool no_color;
};

static const struct argp_option replay_options[] = {
	{ "no-color", OPT_NO_COLOR, NULL, 0, "Heat drawn with characters, no colours", 0 },
	{},
};

static error_t parse_replay(int key, char *arg, struct argp_state *state)
{
	struct replay_opts *o = state->input;

	switch (key) {
	case OPT_NO_COLOR:
		o->no_color = true;
		return 0;
	case ARGP_KEY_ARG:
		record_arg(state, &o->input, arg);
		return 0;
	case ARGP_KEY_END:
		if (!o->input)
			argp_error(state, "which record? (kscope replay FILE)");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp replay_argp = {
	.options = replay_options, .parser = parse_replay, .args_doc = "FILE",
	.doc = "A record in the terminal: its lanes (as kscope report draws them) played back "
	       "on one time axis, the memory heatmap above them.\v"
	       "Keys: space plays or pauses, + and - play faster or slower, left and right "
	       "move the time read, z and Z zoom in and out in time, up and down select a "
	       "lane, s sorts the lanes by their value at that time, / shows only the "
	       "lanes whose name has a text, Enter opens the selected lane's tool on its part "
	       "as it stood at that time (q there comes back), h lists them, q quits.\n"
	       "See kscope(8).",
};

/* "kscope NAME" as the program name in argp's messages */
static char *subcommand_name(const char *name)
{
	static char buf[32];

	snprintf(buf, sizeof(buf), "kscope %s", name);
	return buf;
}

int main(int argc, char **argv)
{
	struct record_opts o = { .interval_ns = 1000000000ULL };
	int rc;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(overview, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	if (!strcmp(argv[1], "report")) {
		struct report_opts r = {};

		argv[1] = subcommand_name("report");
		argp_parse(&report_argp, argc - 1, argv + 1, 0, NULL, &r);
		return kscope_report(&r);
	}
	if (!strcmp(argv[1], "replay")) {
		struct replay_opts r = {};

		argv[1] = subcommand_name("replay");
		argp_parse(&replay_argp, argc - 1, argv + 1, 0, NULL, &r);
		return kscope_replay(r.input, r.no_color);
	}
	if (strcmp(argv[1], "record")) {
		fprintf(stderr, "kscope: no command '%s' (record, report, replay; kscope --help)\n",
			argv[1]);
		return 1;
	}
	/* what follows "--" is the command */
	argv[1] = subcommand_name("record");
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			o.cmd = argv + i + 1;
			argv[i] = NULL;
			argc = i;
			break;
		}
	if (o.cmd && !o.cmd[0]) {
		fprintf(stderr, "kscope record: what command? (-- COMMAND [ARG...])\n");
		return 1;
	}
	argp_parse(&record_argp, argc - 1, argv + 1, 0, NULL, &o);
	rc = kscope_record(&o);
	free(o.devs);
	free(o.io_rules);
	return rc;
}
