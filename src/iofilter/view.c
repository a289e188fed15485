// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's live terminal view: a header with the tiers in force and the
 * processes refused, and a table that shows either the rules with their
 * counts or the log of verdicts (l switches), drawn with the shared frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "view.h"

#define MAX_ROWS	SESSION_LOG
#define CELL_W		160
#define NCOLS		6

struct view {
	struct tui tui;
	bool show_log;
};

static const struct tui_help help[] = {
	{ "l", "switch the table: rules and counts / log of verdicts" },
	{ NULL, NULL },
};

int view_open(struct view **out, bool no_color)
{
	struct tui_opts opts = {
		.tool = "iofilter", .no_color = no_color, .header_lines = 4,
		.help = help,
	};
	struct view *v = calloc(1, sizeof(*v));
	int err;

	if (!v)
		return -ENOMEM;
	err = tui_init(&v->tui, &opts);
	if (err) {
		free(v);
		return err;
	}
	*out = v;
	return 0;
}

void view_close(struct view *v)
{
	if (!v)
		return;
	tui_fini(&v->tui);
	free(v);
}

void view_resize(struct view *v)
{
	if (v)
		tui_resize(&v->tui);
}

int view_keys(struct view *v)
{
	int key;

	while ((key = tui_read_key(&v->tui)) != TUI_KEY_NONE) {
		if (key == TUI_KEY_QUIT)
			return 1;
		if (key == TUI_KEY_OTHER && v->tui.ch == 'l')
			v->show_log = !v->show_log;
	}
	return 0;
}

static void rule_rows(const struct session *s, char (*cells)[NCOLS][CELL_W],
		      unsigned int *nrows)
{
	char tiers[64];

	*nrows = 0;
	for (size_t i = 0; i < s->nr_rules && i < MAX_ROWS; i++) {
		const struct session_rule *r = &s->rules[i];
		uint64_t hits, denied;

		session_rule_totals(s, i, &hits, &denied);
		snprintf(cells[i][0], CELL_W, "%zu", i + 1);
		snprintf(cells[i][1], CELL_W, "%s", session_action_name(r->r.action));
		snprintf(cells[i][2], CELL_W, "%s", r->r.action == IOF_DENY ?
			 session_tiers_text(r->r.tiers, tiers, sizeof(tiers)) : "audit");
		snprintf(cells[i][3], CELL_W, "%llu", (unsigned long long)hits);
		snprintf(cells[i][4], CELL_W, "%llu", (unsigned long long)denied);
		snprintf(cells[i][5], CELL_W, "%.80s%s%.70s", r->text, r->why[0] ? "  -- " : "",
			 r->why);
		(*nrows)++;
	}
}

static void log_rows(const struct session *s, char (*cells)[NCOLS][CELL_W],
		     unsigned int *nrows)
{
	const struct iof_event *e;
	char line[256];
	const char *io;

	*nrows = 0;
	for (size_t i = 0; (e = session_event(s, i)) && i < MAX_ROWS; i++) {
		session_event_text(s, e, line, sizeof(line));
		snprintf(cells[i][0], CELL_W, "%.10s", line);
		snprintf(cells[i][1], CELL_W, "%s", e->denied ? "DENY" : "AUDIT");
		snprintf(cells[i][2], CELL_W, "%s", session_tier_name(e->tier));
		snprintf(cells[i][3], CELL_W, "%d", e->rule == IOF_NO_RULE ? 0 : (int)e->rule + 1);
		snprintf(cells[i][4], CELL_W, "%llu+%u", (unsigned long long)e->sector,
			 e->nr_sectors);
		/* the text line from its operation on: "write   pid 12 (dd)" */
		io = strstr(line, "sector ");
		io = io ? strchr(io + strlen("sector "), ' ') : NULL;
		snprintf(cells[i][5], CELL_W, "%.150s", io ? io + 1 : line);
		(*nrows)++;
	}
}

void view_draw(struct view *v, const struct session *s, const char *tiers_line,
	       const char *devices_line)
{
	static const struct tui_col rule_cols[NCOLS] = {
		{ "RULE", 5, true }, { "ACTION", 7, false }, { "TIERS", 12, false },
		{ "MATCHED", 9, true }, { "DENIED", 9, true }, { "RULE TEXT", 0, false },
	};
	static const struct tui_col log_cols[NCOLS] = {
		{ "TIME", 11, true }, { "VERDICT", 8, false }, { "TIER", 7, false },
		{ "RULE", 5, true }, { "SECTOR", 14, true }, { "IO AND PROCESS", 0, false },
	};
	static char cells[MAX_ROWS][NCOLS][CELL_W];
	static const char *ptrs[MAX_ROWS * NCOLS];
	char h1[256], h2[256], h3[256];
	const char *header[4];
	struct tui_table table = { .ncols = NCOLS, .cells = ptrs, .sort_col = -1 };
	struct tui_frame f = { .header = header, .table = &table };
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
	if (v->show_log)
		log_rows(s, cells, &table.nrows);
	else
		rule_rows(s, cells, &table.nrows);
	table.cols = v->show_log ? log_cols : rule_cols;
	for (unsigned int i = 0; i < table.nrows; i++)
		for (int c = 0; c < NCOLS; c++)
			ptrs[i * NCOLS + c] = cells[i][c];
	tui_draw(&v->tui, &f);
}
