// SPDX-License-Identifier: GPL-2.0
/*
 * The output options every live kscope tool shares.
 */
#include <stdlib.h>

#include "cliout.h"
#include "units.h"

enum { OPT_BATCH = 0x4000, OPT_JSON, OPT_REPLAY, OPT_NO_COLOR, OPT_FORCE };

static const struct argp_option options[] = {
	{ "batch", OPT_BATCH, NULL, 0, "Text lines, no live view", 0 },
	{ "json", OPT_JSON, NULL, 0, "JSON lines, no live view", 0 },
	{ "output", 'o', "FILE", 0, "Record the session to FILE", 0 },
	{ "force", OPT_FORCE, NULL, 0, "Overwrite an existing output file", 0 },
	{ "replay", OPT_REPLAY, "FILE", 0, "Show a recorded session", 0 },
	{ "duration", 'd', "SEC", 0, "Stop after SEC seconds", 0 },
	{ "interval", 'i', "SEC", 0, "Refresh interval", 0 },
	{ "no-color", OPT_NO_COLOR, NULL, 0, "Monochrome live view", 0 },
	{ "verbose", 'v', NULL, 0, "Show libbpf's messages", 0 },
	{},
};

void cliout_parse_duration(struct argp_state *state, const char *arg, uint64_t *ns)
{
	if (units_parse_seconds(arg, ns) || !*ns)
		argp_error(state, "bad duration '%s'", arg);
}

void cliout_parse_interval(struct argp_state *state, const char *arg, uint64_t *ns)
{
	if (units_parse_seconds(arg, ns) || *ns < 10000000ULL)
		argp_error(state, "bad interval '%s' (at least 0.01 s)", arg);
}

void cliout_push(struct argp_state *state, const char ***list, size_t *nr, const char *s)
{
	const char **grown = realloc(*list, (*nr + 1) * sizeof(**list));

	if (!grown)
		argp_failure(state, 1, 0, "out of memory");
	*list = grown;
	(*list)[(*nr)++] = s;
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cliout *o = state->input;

	switch (key) {
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &o->metrics;
		return 0;
	case OPT_BATCH:
		o->batch = true;
		return 0;
	case OPT_JSON:
		o->json = o->batch = true;
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case OPT_REPLAY:
		o->replay = arg;
		return 0;
	case 'd':
		cliout_parse_duration(state, arg, &o->duration_ns);
		return 0;
	case 'i':
		cliout_parse_interval(state, arg, &o->refresh_ns);
		return 0;
	case OPT_NO_COLOR:
		o->no_color = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		if (state->arg_num == 0) {
			if (units_parse_seconds(arg, &o->interval_ns) ||
			    o->interval_ns < 10000000ULL)
				argp_error(state, "bad interval '%s' (seconds, at least 0.01)",
					   arg);
		} else if (state->arg_num == 1) {
			if (units_parse_u64(arg, 1, UINT64_MAX, &o->count))
				argp_error(state, "bad count '%s' (lines, at least 1)", arg);
		} else {
			argp_error(state, "unexpected argument '%s'", arg);
		}
		o->batch = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp_child children[] = {
	{ &metrics_argp, 0, "Prometheus:", 0 },
	{},
};

const struct argp cliout_argp = { .options = options, .parser = parse, .children = children };
