// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's live terminal view: a header with the tiers in force and the
 * processes refused, and a table that shows either the rules with their
 * counts or the log of verdicts (l switches), drawn with the shared frame.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "view.h"

#define MAX_ROWS	SESSION_LOG
#define NCOLS		6

struct view {
	struct tui tui;			/* first: tui_view_new() */
	const struct session *s;	/* what it shows */
	const char *tiers_line, *devices_line;
	bool show_log;
	int sort[2];			/* column sorted by: rules, log */
	struct tui_row rows[MAX_ROWS];
	const char *ptrs[MAX_ROWS * NCOLS];
};

static const struct tui_help help[] = {
	{ "l", "switch the table: rules and counts / log of verdicts" },
	{ NULL, NULL },
};

struct view *view_open(const struct session *s, const char *tiers_line,
		       const char *devices_line, bool no_color)
{
	struct tui_opts opts = {
		.tool = "iofilter", .no_color = no_color, .header_lines = 4,
		.help = help,
	};
	struct view *v = tui_view_new(sizeof(*v), &opts);

	if (!v)
		return NULL;
	v->s = s;
	v->tiers_line = tiers_line;
	v->devices_line = devices_line;
	/* sort[]: the rules in their order, the verdicts newest first */
	return v;
}

static int view_key(void *view, int key)
{
	struct view *v = view;

	if (key == TUI_KEY_SORT)
		v->sort[v->show_log] = (v->sort[v->show_log] + 1) % NCOLS;
	else if (key == TUI_KEY_OTHER && v->tui.ch == 'l')
		v->show_log = !v->show_log;
	return 0;
}

static unsigned int rule_rows(struct view *v, const struct session *s)
{
	char tiers[64];
	unsigned int n = 0;

	for (size_t i = 0; i < s->nr_rules && n < MAX_ROWS; i++) {
		const struct session_rule *r = &s->rules[i];
		struct tui_row *row = &v->rows[n++];
		uint64_t hits, denied;

		session_rule_totals(s, i, &hits, &denied);
		/* numbers sort high to low: the first rule ranks highest */
		tui_row_set(row, 0, -(double)i, "%zu", i + 1);
		tui_row_set(row, 1, NAN, "%s", session_action_name(r->r.action));
		tui_row_set(row, 2, NAN, "%s", r->r.action == IOF_DENY ?
			    session_tiers_text(r->r.tiers, tiers, sizeof(tiers)) : "audit");
		tui_row_set(row, 3, hits, "%llu", (unsigned long long)hits);
		tui_row_set(row, 4, denied, "%llu", (unsigned long long)denied);
		tui_row_set(row, 5, NAN, "%.80s%s%.70s", r->text, r->why[0] ? "  -- " : "",
			    r->why);
	}
	return n;
}

static unsigned int log_rows(struct view *v, const struct session *s)
{
	const struct iof_event *e;
	char line[256];
	const char *io;
	unsigned int n = 0;

	for (size_t i = 0; (e = session_event(s, i)) && n < MAX_ROWS; i++) {
		struct tui_row *row = &v->rows[n++];

		session_event_text(s, e, line, sizeof(line));
		tui_row_set(row, 0, e->ts, "%.10s", line);
		tui_row_set(row, 1, NAN, "%s", e->denied ? "DENY" : "AUDIT");
		tui_row_set(row, 2, NAN, "%s", session_tier_name(e->tier));
		tui_row_set(row, 3, e->rule == IOF_NO_RULE ? 0 : e->rule + 1, "%d",
			    e->rule == IOF_NO_RULE ? 0 : (int)e->rule + 1);
		tui_row_set(row, 4, e->sector, "%llu+%u", (unsigned long long)e->sector,
			    e->nr_sectors);
		/* the text line from its operation on: "write   pid 12 (dd)" */
		io = strstr(line, "sector ");
		io = io ? strchr(io + strlen("sector "), ' ') : NULL;
		tui_row_set(row, 5, NAN, "%.150s", io ? io + 1 : line);
	}
	return n;
}

static void view_draw(void *view)
{
	struct view *v = view;
	const struct session *s = v->s;
	const char *tiers_line = v->tiers_line, *devices_line = v->devices_line;
	static const struct tui_col rule_cols[NCOLS] = {
		{ "RULE", 5, true }, { "ACTION", 7, false }, { "TIERS", 12, false },
		{ "MATCHED", 9, true }, { "DENIED", 9, true }, { "RULE TEXT", 0, false },
	};
	static const struct tui_col log_cols[NCOLS] = {
		{ "TIME", 11, true }, { "VERDICT", 8, false }, { "TIER", 7, false },
		{ "RULE", 5, true }, { "SECTOR", 14, true }, { "IO AND PROCESS", 0, false },
	};
	char h1[256], h2[256], h3[256];
	const char *header[4];
	struct tui_table table = { .ncols = NCOLS, .cells = v->ptrs,
				   .sort_col = v->sort[v->show_log] };
	struct tui_frame f = {
		.header = header, .table = &table,
		.hint = "q quit  h help  space pause  +/- refresh  s sort  / filter  l log",
	};
	unsigned int rows;
	size_t n = 0;
	snprintf(h1, sizeof(h1), "iofilter  %zu rule%s  %s  verdicts %llu  drops %llu%s",
		 s->nr_rules, s->nr_rules == 1 ? "" : "s", tiers_line,
		 (unsigned long long)s->events, (unsigned long long)s->drops,
		 v->show_log ? "  [log]" : "");
	n = snprintf(h2, sizeof(h2), "refused:");
	for (size_t i = 0; i < s->nr_procs && n < sizeof(h2); i++)
		n += snprintf(h2 + n, sizeof(h2) - n, " pid %u (%.15s) x%llu %s%s", s->procs[i].tgid,
			      s->procs[i].comm, (unsigned long long)s->procs[i].denied,
			      session_tier_name(s->procs[i].last_tier),
			      i + 1 < s->nr_procs ? "," : "");
	if (!s->nr_procs)
		snprintf(h2 + n, sizeof(h2) - n, " none");
	if (session_event(s, 0))
		session_event_text(s, session_event(s, 0), h3, sizeof(h3));
	else
		snprintf(h3, sizeof(h3), "no verdict yet (device bytes are what is protected: a "
			 "buffered write refused at tier bio fails at writeback or fsync)");
	header[f.nheader++] = h1;
	if (devices_line[0])
		header[f.nheader++] = devices_line;
	header[f.nheader++] = h2;
	header[f.nheader++] = h3;
	rows = v->show_log ? log_rows(v, s) : rule_rows(v, s);
	tui_rows_sort(v->rows, rows, sizeof(v->rows[0]), table.sort_col);
	table.nrows = tui_rows_filter(&v->tui, v->rows, rows, sizeof(v->rows[0]), NCOLS, v->ptrs);
	table.cols = v->show_log ? log_cols : rule_cols;
	tui_draw(&v->tui, &f);
}

const struct live_view view_live = {
	.frame = tui_view_frame, .draw = view_draw, .key = view_key, .close = tui_view_free,
};
