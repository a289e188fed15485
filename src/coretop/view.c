// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's live terminal view, drawn with the shared frame: four header
 * lines, the lanes on the heat canvas, one table (t tasks, g groups,
 * p pairs, c cores) sorted by any of its number columns (s).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "view.h"

#define NCOLS		8
#define MAX_ROWS	512
#define LABEL_W		10

enum table_kind { TABLE_TASKS, TABLE_GROUPS, TABLE_PAIRS, TABLE_CORES, NR_TABLES };

struct view {
	struct tui tui;			/* first: tui_view_new() */
	const struct ct_session *s;	/* what it shows */
	const char *status;
	enum table_kind table;
	int sort[NR_TABLES];		/* column sorted by, per table */
	struct tui_row rows[MAX_ROWS];
	const char *ptrs[MAX_ROWS * NCOLS];
	float *heat_f;
	double *heat;
	char *marks;
	char (*labels)[32];
	const char **label_ptrs;
	size_t heat_cap, label_cap;
};

static const struct tui_help help[] = {
	{ "t", "table: tasks (forced idle / conflict per task)" },
	{ "g", "table: groups" },
	{ "p", "table: group pairs" },
	{ "c", "table: cores and siblings" },
	{ "lanes", "a row per sibling; heat: share of the interval forced idle (measured) "
		   "or in conflict (what-if); letter: the group running; ! forced idle" },
	{ NULL, NULL },
};

static const struct tui_col columns[NR_TABLES][NCOLS] = {
	[TABLE_TASKS] = {
		{ "PID", 8, true }, { "COMM", 16, false }, { "GROUP", 20, false },
		{ "CONFLICT s", 11, true }, { "CAUSED s", 10, true },
		{ "SUFFERED s", 11, true }, { "MISMATCH", 9, true }, { "KERNEL FI s", 0, true },
	},
	[TABLE_GROUPS] = {
		{ "KEY", 4, false }, { "GROUP", 28, false }, { "CONFLICT s", 11, true },
		{ "CAUSED s", 10, true }, { "SUFFERED s", 11, true }, { "TASKS", 7, true },
	},
	[TABLE_PAIRS] = {
		{ "GROUP A", 28, false }, { "GROUP B", 28, false }, { "TIME s", 10, true },
		{ "MISMATCH", 9, true },
	},
	[TABLE_CORES] = {
		{ "CORE", 5, true }, { "CPU", 5, true }, { "RUN %", 7, true },
		{ "CORUN %", 8, true }, { "CONFLICT %", 11, true }, { "FORCED %", 9, true },
		{ "IDLE %", 7, true }, { "NOW", 0, false },
	},
};

static const unsigned int ncols[NR_TABLES] = { 8, 6, 4, 8 };
static const char table_keys[NR_TABLES + 1] = "tgpc";	/* a key per table */

struct view *view_open(const struct ct_session *s, const char *status, bool no_color)
{
	struct tui_opts opts = {
		.tool = "coretop", .no_color = no_color, .canvas = true,
		.header_lines = 4, .label_width = LABEL_W, .help = help,
	};
	struct view *v = tui_view_new(sizeof(*v), &opts);

	if (!v)
		return NULL;
	v->s = s;
	v->status = status;
	v->sort[TABLE_TASKS] = -1;	/* the mode's own figure */
	v->sort[TABLE_GROUPS] = -1;
	v->sort[TABLE_PAIRS] = 2;
	v->sort[TABLE_CORES] = 0;
	return v;
}

static void view_close(void *view)
{
	struct view *v = view;

	free(v->heat);
	free(v->marks);
	free(v->labels);
	free(v->label_ptrs);
	tui_view_free(v);
}

static void next_sort(struct view *v)
{
	unsigned int n = ncols[v->table];
	int c = v->sort[v->table];

	/* number columns only */
	do
		c = (c + 1) % (int)n;
	while (!columns[v->table][c].right);
	v->sort[v->table] = c;
}

static int view_key(void *view, int key)
{
	struct view *v = view;
	const char *table;

	if (key == TUI_KEY_SORT)
		next_sort(v);
	table = key == TUI_KEY_OTHER && v->tui.ch > 0 && v->tui.ch < 256 ?
		strchr(table_keys, v->tui.ch) : NULL;
	if (table)
		v->table = table - table_keys;
	return 0;
}

static const char *group_label(const struct ct_session *s, uint64_t id, char *buf, size_t len)
{
	char name[CT_SESSION_NAME];
	char key = '?';

	for (size_t i = 0; i < s->nr_groups; i++)
		if (s->groups[i].id == id)
			key = s->groups[i].key;
	snprintf(buf, len, "%c %s", key, ct_session_group_name(s, id, name, sizeof(name)));
	return buf;
}

static double secs(uint64_t ns)
{
	return ns / 1e9;
}

static unsigned int task_rows(struct view *v, const struct ct_session *s)
{
	unsigned int n = 0;
	char g[TUI_ROW_CELL];

	for (size_t i = 0; i < s->nr_tasks && n < MAX_ROWS; i++) {
		const struct ct_session_task *t = &s->tasks[i];
		struct tui_row *r = &v->rows[n];
		double c = secs(ct_session_task_total(t, CT_SESSION_CONFLICT));
		double ca = secs(ct_session_task_total(t, CT_SESSION_CAUSED));
		double su = secs(ct_session_task_total(t, CT_SESSION_SUFFERED));

		tui_row_set(r, 0, t->pid, "%u", t->pid);
		tui_row_set(r, 1, NAN, "%s%s", t->comm[0] ? t->comm : "?", t->exited ? " (exited)" : "");
		tui_row_set(r, 2, NAN, "%s", group_label(s, t->group, g, sizeof(g)));
		tui_row_set(r, 3, c, "%.3f", c);
		tui_row_set(r, 4, ca, "%.3f", ca);
		tui_row_set(r, 5, su, "%.3f", su);
		tui_row_set(r, 6, ct_session_task_total(t, CT_SESSION_MISMATCHES), "%llu",
		    (unsigned long long)ct_session_task_total(t, CT_SESSION_MISMATCHES));
		if (isnan(t->kernel_fi_s))
			tui_row_set(r, 7, -1, "-");
		else
			tui_row_set(r, 7, t->kernel_fi_s, "%.3f", t->kernel_fi_s);
		n++;
	}
	return n;
}

static unsigned int group_rows(struct view *v, const struct ct_session *s)
{
	unsigned int n = 0;
	char name[CT_SESSION_NAME];

	for (size_t i = 0; i < s->nr_groups && n < MAX_ROWS; i++) {
		const struct ct_session_group *g = &s->groups[i];
		struct tui_row *r = &v->rows[n++];
		unsigned int tasks = 0;

		for (size_t j = 0; j < s->nr_tasks; j++)
			tasks += s->tasks[j].group == g->id;
		tui_row_set(r, 0, NAN, "%c", g->key);
		tui_row_set(r, 1, NAN, "%s", ct_session_group_name(s, g->id, name, sizeof(name)));
		tui_row_set(r, 2, secs(g->conflict_ns), "%.3f", secs(g->conflict_ns));
		tui_row_set(r, 3, secs(g->caused_ns), "%.3f", secs(g->caused_ns));
		tui_row_set(r, 4, secs(g->suffered_ns), "%.3f", secs(g->suffered_ns));
		tui_row_set(r, 5, tasks, "%u", tasks);
	}
	return n;
}

static unsigned int pair_rows(struct view *v, const struct ct_session *s)
{
	unsigned int n = 0;
	char a[TUI_ROW_CELL], b[TUI_ROW_CELL];

	for (size_t i = 0; i < s->cur.nr_pairs && n < MAX_ROWS; i++) {
		const struct ct_pair_row *p = &s->cur.pairs[i];
		struct tui_row *r = &v->rows[n++];

		tui_row_set(r, 0, NAN, "%s", group_label(s, p->key.a, a, sizeof(a)));
		tui_row_set(r, 1, NAN, "%s", group_label(s, p->key.b, b, sizeof(b)));
		tui_row_set(r, 2, secs(p->v.ns), "%.3f", secs(p->v.ns));
		tui_row_set(r, 3, p->v.events, "%llu", (unsigned long long)p->v.events);
	}
	return n;
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * part / whole : 0;
}

static unsigned int core_rows(struct view *v, const struct ct_session *s)
{
	unsigned int n = 0;
	char g[TUI_ROW_CELL];

	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		const struct ct_core *k = &s->cur.cores[c];

		for (unsigned int i = 0; i < k->nr && i < CT_MAX_SMT && n < MAX_ROWS; i++) {
			const struct ct_sib_acct *a = &k->sib[i];
			uint64_t all = a->run_ns + a->forced_ns + a->idle_ns;
			struct tui_row *r = &v->rows[n++];

			tui_row_set(r, 0, c, "%u", c);
			tui_row_set(r, 1, s->topo.cores[c].cpu[i], "%u", s->topo.cores[c].cpu[i]);
			tui_row_set(r, 2, share(a->run_ns, all), "%.1f", share(a->run_ns, all));
			tui_row_set(r, 3, share(a->corun_ns, all), "%.1f", share(a->corun_ns, all));
			tui_row_set(r, 4, share(a->conflict_ns, all), "%.1f", share(a->conflict_ns, all));
			tui_row_set(r, 5, share(a->forced_ns, all), "%.1f", share(a->forced_ns, all));
			tui_row_set(r, 6, share(a->idle_ns, all), "%.1f", share(a->idle_ns, all));
			/* the latest sample, else the state at the refresh */
			const struct ct_slot *now = s->now[n - 1].pid ||
						    s->now[n - 1].state != CT_IDLE ?
						    &s->now[n - 1] : &k->slot[i];

			if (now->state == CT_RUN)
				tui_row_set(r, 7, NAN, "pid %u  %s", now->pid,
				    group_label(s, now->group, g, sizeof(g)));
			else
				tui_row_set(r, 7, NAN, "%s", now->state == CT_FORCED ?
				    "forced idle" : "idle");
		}
	}
	return n;
}

/* The lanes: session history, oldest left, a row per sibling. */
static void lanes(struct view *v, const struct ct_session *s, struct tui_heat *h)
{
	unsigned int cols, rows, nt, lane = 0;
	size_t need;

	tui_canvas_size(&v->tui, &cols, &rows);
	nt = s->hist_len < cols ? s->hist_len : cols;
	need = (size_t)nt * s->nr_sibs;
	if (need > v->heat_cap) {
		free(v->heat);
		free(v->marks);
		v->heat = malloc(need * sizeof(*v->heat));
		v->marks = malloc(need);
		v->heat_cap = v->heat && v->marks ? need : 0;
	}
	if (s->nr_sibs > v->label_cap) {
		free(v->labels);
		free(v->label_ptrs);
		v->labels = calloc(s->nr_sibs, sizeof(*v->labels));
		v->label_ptrs = calloc(s->nr_sibs, sizeof(*v->label_ptrs));
		v->label_cap = v->labels && v->label_ptrs ? s->nr_sibs : 0;
	}
	if (!nt || need > v->heat_cap || s->nr_sibs > v->label_cap)
		return;
	for (unsigned int t = 0; t < nt; t++) {
		/* column t of nt: history index from the oldest kept */
		unsigned int hcol = (s->hist_next + CT_SESSION_HISTORY - nt + t) % CT_SESSION_HISTORY;

		for (unsigned int a = 0; a < s->nr_sibs; a++) {
			v->heat[(size_t)t * s->nr_sibs + a] =
				s->lane_heat[(size_t)hcol * s->nr_sibs + a];
			v->marks[(size_t)t * s->nr_sibs + a] =
				s->lane_mark[(size_t)hcol * s->nr_sibs + a];
		}
	}
	for (unsigned int c = 0; c < s->topo.nr_cores; c++)
		for (unsigned int i = 0; i < s->topo.cores[c].nr; i++, lane++) {
			snprintf(v->labels[lane], sizeof(v->labels[lane]), "c%u cpu%u", c, s->topo.cores[c].cpu[i]);
			v->label_ptrs[lane] = v->labels[lane];
		}
	h->nt = nt;
	h->na = s->nr_sibs;
	h->heat = v->heat;
	h->marks = v->marks;
	h->max = 1;
	h->row_labels = v->label_ptrs;
	h->unit = s->measured ? "forced idle share" : "conflict share";
}

static void view_draw(void *view)
{
	struct view *v = view;
	const struct ct_session *s = v->s;
	const char *status = v->status;
	static const char *const table_names[] = { "tasks", "groups", "pairs", "cores" };
	char h1[256], h2[256], h3[256], h4[256], title[128];
	struct tui_heat heat = { .title = title, .time_label = "<- one column a refresh" };
	const char *header[4] = { h1, h2, h3, h4 };
	struct tui_table table = { .cols = columns[v->table], .ncols = ncols[v->table],
				   .cells = v->ptrs };
	struct tui_frame f = { .header = header, .nheader = 4, .heat = &heat, .table = &table,
			       .hint = "q quit  h help  space pause  +/- refresh  s sort  / filter  t/g/p/c table" };
	double busy = 0, conflict = 0, forced = 0, rate = 0;
	unsigned int n = 0, kept;
	int sort_col;

	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		busy += ct_session_core_busy(s, c);
		conflict += ct_session_core_conflict(s, c);
		forced += ct_session_core_forced(s, c);
		rate += ct_session_core_mismatch_rate(s, c);
	}
	if (s->cur.nr_cores) {
		busy /= s->cur.nr_cores;
		conflict /= s->cur.nr_cores;
		forced /= s->cur.nr_cores;
	}
	snprintf(h1, sizeof(h1), "coretop  %s  [%s]", status, table_names[v->table]);
	snprintf(h2, sizeof(h2), "last interval: cores busy %.1f%%  in conflict %.1f%%  "
		 "some sibling forced idle %.1f%%  mismatches %.0f/s", 100 * busy,
		 100 * conflict, 100 * forced, rate);
	if (s->measured)
		snprintf(h3, sizeof(h3), "forced idle %.2f%% of sibling time since start; "
			 "kernel's own count: %s", 100 * ct_session_cost(s),
			 isnan(s->kernel_fi_s) ? "none (schedstats off: --schedstats)" : "");
	else
		snprintf(h3, sizeof(h3), "estimated cost: core scheduling would idle %.1f%% "
			 "of the tasks' CPU time (conflict: siblings ran different groups)",
			 100 * ct_session_cost(s));
	if (s->measured && !isnan(s->kernel_fi_s))
		snprintf(h3 + strlen(h3), sizeof(h3) - strlen(h3), "%.3f s", s->kernel_fi_s);
	snprintf(h4, sizeof(h4), "lost (maps full): %llu tasks  %llu pairs  %llu cookies",
		 (unsigned long long)s->cur.lost_tasks, (unsigned long long)s->cur.lost_pairs,
		 (unsigned long long)s->cur.lost_cookies);
	snprintf(title, sizeof(title), "siblings: %s share a refresh; letter = group running",
		 s->measured ? "forced idle" : "conflict");
	lanes(v, s, &heat);

	switch (v->table) {
	case TABLE_TASKS:
		n = task_rows(v, s);
		break;
	case TABLE_GROUPS:
		n = group_rows(v, s);
		break;
	case TABLE_PAIRS:
		n = pair_rows(v, s);
		break;
	default:
		n = core_rows(v, s);
		break;
	}
	if (v->sort[v->table] < 0)	/* tasks and groups: the mode's own figure first */
		v->sort[v->table] = v->table == TABLE_TASKS ? (s->measured ? 4 : 3) :
				    (s->measured ? 3 : 2);
	sort_col = v->sort[v->table];
	tui_rows_sort(v->rows, n, sizeof(v->rows[0]), sort_col);
	table.sort_col = sort_col;
	kept = tui_rows_filter(&v->tui, v->rows, n, sizeof(v->rows[0]), table.ncols, v->ptrs);
	table.nrows = kept;
	tui_draw(&v->tui, &f);
}

const struct live_view view_live = {
	.frame = tui_view_frame, .draw = view_draw, .key = view_key, .close = view_close,
};
