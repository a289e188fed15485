/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The output options of every kscope tool with a live view, parsed once:
 * an argp child a tool lists among its children, its input the tool's
 * struct cliout (set at ARGP_KEY_INIT: state->child_inputs[i]); it has
 * the metrics options (metrics_serve.h) as its own child.  It takes the
 * positional [interval [count]] too (the tool's parser must leave
 * ARGP_KEY_ARG to it, and name them in its args_doc): they mean --batch.
 */
#ifndef KSCOPE_CLIOUT_H
#define KSCOPE_CLIOUT_H

#include <argp.h>
#include <stdbool.h>
#include <stdint.h>

#include "metrics_serve.h"

struct cliout {
	bool batch;			/* --batch, and --json: no live view */
	bool json;
	bool no_color, force, verbose;
	const char *output;		/* -o FILE: the session file */
	const char *replay;		/* --replay FILE */
	uint64_t duration_ns;		/* -d SEC, 0: until stopped */
	uint64_t refresh_ns;		/* -i SEC; the tool sets the default */
	uint64_t interval_ns;		/* batch: [interval [count]] as libbpf-tools */
	uint64_t count;			/*   take them (0: -i / every update; no end) */
	struct metrics_opts metrics;	/* --metrics, --metrics-textfile, --headless */
};

/* No live view: --batch, --json or --headless. */
static inline bool cliout_no_view(const struct cliout *o)
{
	return o->batch || o->metrics.headless;
}

extern const struct argp cliout_argp;

/* For a tool's own argp parser: -d SEC (more than 0) and -i SEC (0.01 s
 * at least) into @ns, or argp's usage error; and @s added to the list
 * *@list of *@nr (--dev DEV, repeated), or argp's failure. */
void cliout_parse_duration(struct argp_state *state, const char *arg, uint64_t *ns);
void cliout_parse_interval(struct argp_state *state, const char *arg, uint64_t *ns);
void cliout_push(struct argp_state *state, const char ***list, size_t *nr, const char *s);

#endif
