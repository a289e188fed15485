// SPDX-License-Identifier: GPL-2.0
/*
 * damontop: DAMON-style memory access monitor.  This file is the command
 * line only: live view / batch (default), `record` and `report`.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "units.h"

const char *argp_program_version = "damontop (kscope) 0.1";

enum {
	OPT_BUDGET = 256, OPT_CLEAR, OPT_SCAN, OPT_JSON, OPT_FORCE, OPT_FORMAT, OPT_RESOL, OPT_TIME_RANGE,
	OPT_ADDR_RANGE, OPT_ABS_TIME, OPT_ABS_ADDR, OPT_SEED, OPT_SOURCE,
	OPT_ATTACH, OPT_PADDR, OPT_HEAT_MODEL, OPT_DRAW_RANGE, OPT_SIZE,
};

static const struct argp_option monitor_options[] = {
	{ NULL, 0, NULL, 0, "Target:", 1 },
	{ "pid", 'p', "PID", 0, "Monitor the process PID", 1 },
	{ "command", 'c', "'CMD ARGS'", 0, "Run CMD ARGS and monitor it (one string)", 1 },
	{ "paddr", OPT_PADDR, "START-END,...", OPTION_ARG_OPTIONAL,
	  "Monitor physical memory (default: System RAM) with kernel DAMON", 1 },
	{ "attach-kdamond", OPT_ATTACH, "N", 0,
	  "Watch the running kdamond N read-only", 1 },
	{ NULL, 0, NULL, 0, "Monitoring (DAMON's attributes):", 2 },
	{ "source", OPT_SOURCE, "auto|pte|damon", 0,
	  "Kernel DAMON or the page-table sampler (default auto: DAMON where free)", 2 },
	{ "sample", 's', "TIME", 0, "Sampling interval (default 5ms)", 2 },
	{ "aggr", 'a', "TIME", 0, "Aggregation interval (default 250ms)", 2 },
	{ "regions", 'n', "MIN,MAX", 0, "Number of regions (default 20,1000)", 2 },
	{ "budget", OPT_BUDGET, "PCT", 0, "CPU budget in % of one CPU (default 2)", 2 },
	{ "clear", OPT_CLEAR, "auto|refs|cold", 0,
	  "How Accessed bits are cleared (default auto: the cheaper, measured)", 2 },
	{ "scan", OPT_SCAN, NULL, 0,
	  "Exact per-page working set every aggregation (small targets)", 2 },
	{ "seed", OPT_SEED, "N", OPTION_HIDDEN, "Random seed of the region model", 2 },
	{ NULL, 0, NULL, 0, "Recording:", 3 },
	{ "format", OPT_FORMAT, "kscope|damo", 0,
	  "Record file format (damo: damo's json_compressed)", 3 },
	{ NULL, 0, NULL, 0, "Calibrate (damontop calibrate):", 5 },
	{ "size", OPT_SIZE, "SIZE", 0,
	  "The calibration target's size (default 64M; at least 30M)", 5 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static const struct argp_option report_options[] = {
	{ "output", 'o', "FILE", 0, "Write to FILE, not stdout (required for png/svg)", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Overwrite an existing output file", 0 },
	{ "format", OPT_FORMAT, "png|svg|tsv|kscope|damo", 0,
	  "Heatmap format (default: from -o's suffix); convert: kscope or damo", 0 },
	{ "resol", OPT_RESOL, "T,A", 0,
	  "Heatmap cells in time and address (default 400,200; damo's 'T A' too)", 0 },
	{ "time-range", OPT_TIME_RANGE, "START,END", 0,
	  "Time range in ns (absolute, as in the record)", 0 },
	{ "address-range", OPT_ADDR_RANGE, "START,END", 0, "Address range (absolute)", 0 },
	{ "abs-time", OPT_ABS_TIME, NULL, 0, "Absolute time in the output", 0 },
	{ "abs-addr", OPT_ABS_ADDR, NULL, 0, "Absolute addresses in the output", 0 },
	{ "draw-range", OPT_DRAW_RANGE, "all|hottest", 0,
	  "Address axis (default all: every mapped span, big gaps left out; "
	  "hottest: damo's hottest contiguous range)", 0 },
	{ "heat-model", OPT_HEAT_MODEL, "once|damo-3.3", 0,
	  "Heat arithmetic (default once: each piece of time counted once; "
	  "damo-3.3: damo 3.3.0's numbers, its double count too)", 0 },
	{ "json", OPT_JSON, NULL, 0, "wss: JSON output", 0 },
	{ "help", 'h', NULL, 0, "Give this help list", -1 },
	{},
};

static int parse_pair(const char *arg, uint64_t *a, uint64_t *b)
{
	char *copy = strdup(arg), *comma = copy ? strchr(copy, ',') : NULL;
	int err = -EINVAL;

	if (comma) {
		*comma = 0;
		err = units_parse_u64(copy, 0, UINT64_MAX, a) ?:
		      units_parse_u64(comma + 1, 0, UINT64_MAX, b);
	}
	free(copy);
	return err;
}

/* START-END[,START-END...], sorted and disjoint, as DAMON wants them. */
static int parse_ranges(const char *arg, struct damon_range **out, size_t *nr)
{
	char *copy = strdup(arg), *save = NULL, *tok, *dash;
	struct damon_range *r = NULL, *grown;
	size_t n = 0;
	int err = copy ? 0 : -ENOMEM;
	uint64_t a, b;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
	     tok = strtok_r(NULL, ",", &save)) {
		dash = strchr(tok, '-');
		if (!dash || (*dash = 0, units_parse_u64(tok, 0, UINT64_MAX, &a)) ||
		    units_parse_u64(dash + 1, 0, UINT64_MAX, &b) || a >= b ||
		    (n && a < r[n - 1].end)) {
			err = -EINVAL;
			break;
		}
		grown = realloc(r, (n + 1) * sizeof(*r));
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		r = grown;
		r[n++] = (struct damon_range){ a, b };
	}
	free(copy);
	if (err || !n) {
		free(r);
		return err ?: -EINVAL;
	}
	*out = r;
	*nr = n;
	return 0;
}

static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct damontop_opts *o = state->input;

	switch (key) {
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case 'o':
		o->out.output = arg;
		return 0;
	case OPT_FORCE:
		o->out.force = true;
		return 0;
	case OPT_JSON:
		o->out.json = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* calibrate runs its own target and prints one report: the options of a
 * session's target and outputs are not its */
static error_t check_calibrate(struct damontop_opts *o, struct argp_state *state)
{
	const struct cliout *out = &o->out;

	if (o->pid || o->cmd || o->paddr || o->attach_kdamond >= 0 || out->replay)
		argp_error(state, "calibrate runs its own target: no -p, -c, --paddr, "
			   "--attach-kdamond or --replay");
	if (out->output || o->damo_format || (out->batch && !out->json) || metrics_wanted(&out->metrics) ||
	    out->metrics.headless || out->interval_ns || out->count)
		argp_error(state, "calibrate prints one report (text, or --json): no -o, "
			   "--format, --batch, metrics or interval");
	if (o->sampler.scan)
		argp_error(state, "calibrate judges the sampled map: no --scan");
	if (!o->calibrate_size)
		o->calibrate_size = 64ull << 20;
	if (!out->duration_ns)
		o->out.duration_ns = 10000000000ull;
	return 0;
}

static error_t parse_monitor(int key, char *arg, struct argp_state *state)
{
	struct damontop_opts *o = state->input;
	uint64_t a, b;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->out;
		return 0;
	case 'h':
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		return 0;
	case 'p':
		if (units_parse_u64(arg, 1, INT32_MAX, &a))
			argp_error(state, "bad pid '%s'", arg);
		o->pid = a;
		return 0;
	case 'c':
		o->cmd = arg;
		return 0;
	case OPT_ATTACH:
		if (units_parse_u64(arg, 0, INT32_MAX, &a))
			argp_error(state, "bad kdamond index '%s'", arg);
		o->attach_kdamond = a;
		return 0;
	case OPT_PADDR:
		o->paddr = true;
		if (arg && parse_ranges(arg, &o->paddr_ranges, &o->nr_paddr_ranges))
			argp_error(state, "bad physical ranges '%s' (START-END,...)", arg);
		return 0;
	case OPT_SOURCE:
		if (!strcmp(arg, "auto"))
			o->source = SOURCE_AUTO;
		else if (!strcmp(arg, "pte"))
			o->source = SOURCE_PTE;
		else if (!strcmp(arg, "damon"))
			o->source = SOURCE_DAMON;
		else
			argp_error(state, "bad source '%s' (auto, pte or damon)", arg);
		return 0;
	case OPT_FORMAT:
		if (!strcmp(arg, "damo"))
			o->damo_format = true;
		else if (strcmp(arg, "kscope"))
			argp_error(state, "bad record format '%s' (kscope or damo)", arg);
		return 0;
	case 's':
		if (units_parse_ns(arg, 1000, &o->sampler.sample_ns) ||
		    o->sampler.sample_ns < 100000)
			argp_error(state, "bad sampling interval '%s' (at least 100us)", arg);
		return 0;
	case 'a':
		if (units_parse_ns(arg, 1000, &o->sampler.aggr_ns) || !o->sampler.aggr_ns)
			argp_error(state, "bad aggregation interval '%s'", arg);
		return 0;
	case 'n':
		if (parse_pair(arg, &a, &b) || a < 3 || b < a || b > 1u << 20)
			argp_error(state, "bad regions '%s' (MIN,MAX with 3 <= MIN <= MAX)", arg);
		o->sampler.min_nr_regions = a;
		o->sampler.max_nr_regions = b;
		return 0;
	case OPT_BUDGET: {
		char *end;
		double pct = strtod(arg, &end);

		if (*end || !(pct > 0 && pct <= 100))
			argp_error(state, "bad budget '%s' (percent of one CPU)", arg);
		o->sampler.budget = pct / 100;
		return 0;
	}
	case OPT_CLEAR:
		if (!strcmp(arg, "auto"))
			o->sampler.method = CLEAR_AUTO;
		else if (!strcmp(arg, "refs"))
			o->sampler.method = CLEAR_REFS;
		else if (!strcmp(arg, "cold"))
			o->sampler.method = CLEAR_COLD;
		else
			argp_error(state, "bad clear method '%s'", arg);
		return 0;
	case OPT_SCAN:
		o->sampler.scan = true;
		return 0;
	case OPT_SIZE:
		if (units_parse_bytes(arg, &o->calibrate_size) ||
		    o->calibrate_size < 30ull << 20)
			argp_error(state, "bad size '%s' (at least 30M: three 10 MiB regions)",
				   arg);
		return 0;
	case OPT_SEED:
		if (units_parse_u64(arg, 1, UINT64_MAX, &o->sampler.seed))
			argp_error(state, "bad seed '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		o->sampler.verbose = o->out.verbose;
		if (o->calibrate)
			return check_calibrate(o, state);
		if (o->calibrate_size)
			argp_error(state, "--size is for damontop calibrate");
		if (!!o->pid + !!o->cmd + !!o->out.replay + o->paddr +
		    (o->attach_kdamond >= 0) != 1)
			argp_error(state, "give one of -p PID, -c 'CMD', --paddr, "
				   "--attach-kdamond N, --replay FILE");
		if ((o->paddr || o->attach_kdamond >= 0) && o->source == SOURCE_PTE)
			argp_error(state, "--paddr and --attach-kdamond need kernel DAMON, "
				   "not --source pte");
		if (o->sampler.scan && o->source == SOURCE_DAMON)
			argp_error(state, "--scan is the pte source's");
		if (o->record && (!o->out.output || o->out.replay))
			argp_error(state, "record needs -o FILE and a live target");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/*
 * What parse_report() keeps between its calls: the positional arguments
 * it took (a number after --resol is no positional), and whether the
 * last thing was --resol with one number (damo's `--resol 30 50`: argp
 * hands the 50 over as an argument; ARGP_IN_ORDER keeps it next).
 */
static struct {
	unsigned int nr_args;
	char *resol_time;
} report_parse;

static error_t parse_report(int key, char *arg, struct argp_state *state)
{
	struct damontop_opts *o = state->input;
	char *resol_time = report_parse.resol_time;
	uint64_t a, b;

	report_parse.resol_time = NULL;
	if (resol_time && key != ARGP_KEY_ARG)
		argp_error(state, "bad resolution '%s' (T,A or T A up to 10000)",
			   resol_time);
	switch (key) {
	case OPT_FORMAT:
		if (!strcmp(arg, "png"))
			o->format = FORMAT_PNG;
		else if (!strcmp(arg, "svg"))
			o->format = FORMAT_SVG;
		else if (!strcmp(arg, "tsv"))
			o->format = FORMAT_TSV;
		else if (!strcmp(arg, "damo"))
			o->damo_format = true;
		else if (strcmp(arg, "kscope"))
			argp_error(state, "bad format '%s' (png, svg, tsv; kscope, damo)", arg);
		return 0;
	case OPT_RESOL:
		if (!strchr(arg, ',')) {	/* damo's T A: A comes next */
			report_parse.resol_time = arg;
			return 0;
		}
		if (parse_pair(arg, &a, &b) || !a || !b || a > 10000 || b > 10000)
			argp_error(state, "bad resolution '%s' (T,A or T A up to 10000)",
				   arg);
		o->resol_time = a;
		o->resol_addr = b;
		return 0;
	case OPT_TIME_RANGE:
		if (parse_pair(arg, &o->time_range[0], &o->time_range[1]) ||
		    o->time_range[0] >= o->time_range[1])
			argp_error(state, "bad time range '%s' (START,END in ns)", arg);
		return 0;
	case OPT_ADDR_RANGE:
		if (parse_pair(arg, &o->addr_range[0], &o->addr_range[1]) ||
		    o->addr_range[0] >= o->addr_range[1])
			argp_error(state, "bad address range '%s' (START,END)", arg);
		return 0;
	case OPT_ABS_TIME:
		o->abs_time = true;
		return 0;
	case OPT_ABS_ADDR:
		o->abs_addr = true;
		return 0;
	case OPT_DRAW_RANGE:
		if (!strcmp(arg, "all"))
			o->draw_range = DRAW_ALL;
		else if (!strcmp(arg, "hottest"))
			o->draw_range = DRAW_HOTTEST;
		else
			argp_error(state, "bad draw range '%s' (all or hottest)", arg);
		return 0;
	case OPT_HEAT_MODEL:
		if (heat_model_parse(arg, &o->heat_model))
			argp_error(state, "bad heat model '%s' (once or damo-3.3)", arg);
		return 0;
	case ARGP_KEY_ARG:
		if (resol_time) {
			if (units_parse_u64(resol_time, 1, 10000, &a) ||
			    units_parse_u64(arg, 1, 10000, &b))
				argp_error(state, "bad resolution '%s %s' (T,A or T A "
					   "up to 10000)", resol_time, arg);
			o->resol_time = a;
			o->resol_addr = b;
			return 0;
		}
		if (report_parse.nr_args++ == 0) {
			if (!strcmp(arg, "heatmap"))
				o->report = REPORT_HEATMAP;
			else if (!strcmp(arg, "wss"))
				o->report = REPORT_WSS;
			else if (!strcmp(arg, "regions"))
				o->report = REPORT_REGIONS;
			else if (!strcmp(arg, "convert"))
				o->report = REPORT_CONVERT;
			else
				argp_error(state, "unknown report '%s' (heatmap, wss, regions, "
					   "convert)", arg);
			return 0;
		}
		if (report_parse.nr_args == 2) {
			o->input = arg;
			return 0;
		}
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (report_parse.nr_args < 2)
			argp_error(state, "usage: report heatmap|wss|regions|convert FILE");
		if (o->report == REPORT_CONVERT && !o->out.output)
			argp_error(state, "convert needs -o FILE");
		if (o->out.json && o->report != REPORT_WSS)
			argp_error(state, "--json is for report wss");
		return 0;
	}
	return parse_common(key, arg, state);
}

/* record too: a recording session publishes as a live one does */
static const struct argp_child monitor_children[] = {
	{ &cliout_argp, 0, "Output:", 4 },
	{},
};

static const struct argp monitor_argp = {
	.options = monitor_options, .parser = parse_monitor,
	.children = monitor_children,
	.args_doc = "[interval [count]]",
	.doc =
	"DAMON-style memory access monitor of a process or of physical memory.\v"
	"  damontop -c 'accessgen stairs'          live heatmap\n"
	"  damontop --attach-kdamond 0             watch a running kdamond\n"
	"  damontop -p 1234 --batch 1 10           text, 10 lines a second apart\n"
	"  damontop record -o s.rec -p 1234 -d 30  record 30 s\n"
	"  damontop report heatmap s.rec -o s.png  export\n"
	"  damontop calibrate                      how far the map is from the truth\n"
	"  damontop --replay s.rec                 show a record\n"
	"  damontop -p 1234 --headless --metrics 9100  metrics only\n"
	"See damontop(8).",
};

static const struct argp report_argp = {
	.options = report_options, .parser = parse_report,
	.args_doc = "heatmap|wss|regions|convert FILE",
	.doc = "Reports on a damontop or damo record file.",
};

static const char *suffix(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;

	return dot ? dot + 1 : "";
}

int main(int argc, char **argv)
{
	struct damontop_opts o = {
		.sampler = DAMONTOP_SAMPLER_DEFAULTS,
		.out.refresh_ns = 500000000,
		.format = -1,
		.attach_kdamond = -1,
	};
	int ret;

	if (argc > 1 && !strcmp(argv[1], "report")) {
		o.resol_time = 400;
		o.resol_addr = 200;
		argv[1] = "damontop report";
		argp_parse(&report_argp, argc - 1, argv + 1, ARGP_IN_ORDER, NULL, &o);
		if (o.report == REPORT_HEATMAP && (int)o.format < 0) {
			const char *sfx = suffix(o.out.output);

			o.format = !strcmp(sfx, "svg") ? FORMAT_SVG :
				   !strcmp(sfx, "tsv") || !o.out.output ? FORMAT_TSV : FORMAT_PNG;
		}
		if (o.report == REPORT_HEATMAP && o.format != FORMAT_TSV && !o.out.output)
			return tool_error("a png or svg heatmap needs -o FILE");
		return report_run(&o);
	}
	if (argc > 1 && !strcmp(argv[1], "calibrate")) {
		o.calibrate = true;
		argv[1] = "damontop calibrate";
		argp_parse(&monitor_argp, argc - 1, argv + 1, 0, NULL, &o);
	} else if (argc > 1 && !strcmp(argv[1], "record")) {
		o.record = true;
		argv[1] = "damontop record";
		argp_parse(&monitor_argp, argc - 1, argv + 1, 0, NULL, &o);
	} else {
		argp_parse(&monitor_argp, argc, argv, 0, NULL, &o);
	}
	if (o.sampler.aggr_ns < o.sampler.sample_ns)
		return tool_error("the aggregation interval is shorter than the sampling interval");
	if (o.calibrate)
		return calibrate_run(&o);
	/* record: the file, no live view, lines only with --batch */
	if (o.record && !o.out.batch)
		o.out.metrics.headless = true;
	ret = damontop_run(&o);
	free(o.paddr_ranges);
	return ret;
}
