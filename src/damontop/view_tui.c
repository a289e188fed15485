// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's live terminal view: a header, the heatmap (time left to
 * right, the monitored address ranges top to bottom, big gaps left out)
 * and the hottest regions, drawn with the shared frame in src/lib/tui.c.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "export.h"
#include "heatgrid.h"
#include "phys.h"
#include "tui.h"
#include "units.h"
#include "view.h"

#define MAX_SPANS	8
#define MAX_ROWS	256
#define LABEL_W		27
#define NCOLS		6
#define CELL_W		80
/* Physical memory: the memory cgroups of the top rows, sampled (a few
 * hundred pages a row) and kept a while, so a refresh stays cheap. */
#define OWNER_ROWS	16
#define OWNER_SAMPLES	256
#define OWNER_TTL_NS	5000000000ull

enum sort_key { SORT_ACCESS, SORT_SIZE, SORT_ADDR, SORT_AGE, NR_SORT };

struct view_tui {
	struct tui tui;			/* first: tui_view_new() */
	const struct damon_model *m;	/* what it shows */
	const struct view_status *vs;
	enum sort_key sort;
	unsigned int back;		/* columns scrolled back in time */
	uint64_t zoom_lo, zoom_hi;	/* address window; 0,0 = everything */
	struct hot_region rows[MAX_ROWS];
	unsigned int nr_rows;
	struct heatgrid grid;		/* what is on screen, for export */
	bool have_grid;
	struct owner_cache {
		uint64_t start, end, time_ns;
		char text[CELL_W];
	} owners[OWNER_ROWS * 2];
	unsigned int next_owner;
};

static const struct tui_help help[] = {
	{ "z Enter", "zoom into the selected region's addresses" },
	{ "Z Bksp", "zoom out to every monitored range" },
	{ "Left/Right", "look back / forward in time" },
	{ "s", "sort the table: access, size, address, age" },
	{ "/", "show only regions whose mapping name contains text" },
	{ "e", "export the heatmap on screen to a PNG file" },
	{ "~", "(row label) an unmapped gap left out above this row" },
	{ "o", "physical memory: the processes with pages in the selected region" },
	{ NULL, NULL },
};

struct view_tui *view_tui_open(const struct damon_model *m, const struct view_status *vs,
			       bool no_color)
{
	struct tui_opts opts = {
		.tool = "damontop", .no_color = no_color, .canvas = true,
		.header_lines = vs->plan ? 3 : 2, .label_width = LABEL_W, .help = help,
	};
	struct view_tui *v = tui_view_new(sizeof(*v), &opts);

	if (!v)
		return NULL;
	v->m = m;
	v->vs = vs;
	return v;
}

static void view_tui_close(void *view)
{
	struct view_tui *v = view;

	if (v->have_grid)
		heatgrid_free(&v->grid);
	tui_view_free(v);
}

static void export_screen(struct view_tui *v)
{
	struct export_opts eo = { .title = "damontop" };
	char path[64];
	time_t now = time(NULL);
	int err;

	if (!v->have_grid) {
		tui_message(&v->tui, "nothing to export yet");
		return;
	}
	strftime(path, sizeof(path), "damontop-%Y%m%d-%H%M%S.png", localtime(&now));
	err = export_png(&v->grid, path, &eo);
	if (err)
		tui_message(&v->tui, "cannot export %s: %s", path, strerror(-err));
	else
		tui_message(&v->tui, "exported %s", path);
}

/* 'o': who maps the selected physical region's pages, costly, once. */
static void show_processes(struct view_tui *v, const struct view_status *vs)
{
	const struct hot_region *sel;
	struct phys_owner *own;
	char text[128];
	size_t nr, len = 0;
	int ret;

	if (!vs->memcg || tui_selected(&v->tui) >= v->nr_rows) {
		tui_message(&v->tui, "o: only for physical memory (--paddr)");
		return;
	}
	sel = &v->rows[tui_selected(&v->tui)];
	ret = phys_processes_of("/proc", sel->start, sel->end, PHYS_PROCESS_PAGES, &own, &nr);
	if (ret < 0) {
		tui_message(&v->tui, "cannot read the processes' pagemaps: %s", strerror(-ret));
		return;
	}
	text[0] = 0;
	for (size_t i = 0; i < nr && i < 4 && len < sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - len, "%s%s %.0f%%", i ? ", " : "",
				own[i].name, own[i].share * 100);
	tui_message(&v->tui, "%llx: %s%s", (unsigned long long)sel->start,
		    nr ? text : "no process maps its pages", ret == PHYS_PARTIAL ? " (partial)" : "");
	free(own);
}

/* The top memory cgroup of a physical region, from the cache when fresh. */
static const char *region_owner(struct view_tui *v, struct phys_cgroups *memcg,
				const struct hot_region *r, uint64_t now)
{
	struct owner_cache *c = NULL;
	struct phys_owner *own;
	size_t nr;

	for (unsigned int i = 0; i < OWNER_ROWS * 2; i++)
		if (v->owners[i].start == r->start && v->owners[i].end == r->end)
			c = &v->owners[i];
	if (c && now - c->time_ns < OWNER_TTL_NS)
		return c->text;
	if (!c) {
		c = &v->owners[v->next_owner++ % (OWNER_ROWS * 2)];
		c->start = r->start;
		c->end = r->end;
	}
	c->time_ns = now;
	c->text[0] = 0;
	if (!phys_cgroups_of(memcg, r->start, r->end, OWNER_SAMPLES, &own, &nr)) {
		if (nr)
			snprintf(c->text, sizeof(c->text), "%.0f%% %.64s",
				 own[0].share * 100, own[0].name);
		free(own);
	}
	return c->text;
}

static int view_tui_key(void *view, int key)
{
	struct view_tui *v = view;
	const struct damon_model *m = v->m;
	const struct view_status *vs = v->vs;
	const struct hot_region *sel;

	switch (key) {
	case TUI_KEY_SORT:
		v->sort = (v->sort + 1) % NR_SORT;
		break;
	case TUI_KEY_LEFT:
		/* no further back than the oldest snapshot kept */
		if (v->back + 8 < m->nr_snaps)
			v->back += 8;
		break;
	case TUI_KEY_RIGHT:
		v->back = v->back > 8 ? v->back - 8 : 0;
		break;
	case TUI_KEY_ZOOM_IN:
		if (tui_selected(&v->tui) >= v->nr_rows)
			break;
		sel = &v->rows[tui_selected(&v->tui)];
		/* the region and as much again around it */
		v->zoom_lo = sel->start - (sel->end - sel->start) / 2;
		v->zoom_hi = sel->end + (sel->end - sel->start) / 2;
		if (v->zoom_lo > sel->start)
			v->zoom_lo = 0;
		break;
	case TUI_KEY_ZOOM_OUT:
		v->zoom_lo = v->zoom_hi = 0;
		break;
	case TUI_KEY_EXPORT:
		export_screen(v);
		break;
	case TUI_KEY_OTHER:
		if (v->tui.ch == 'o')
			show_processes(v, vs);
		break;
	}
	return 0;
}

static int cmp_rows(const void *a, const void *b, void *arg)
{
	const struct hot_region *x = a, *y = b;
	enum sort_key k = *(enum sort_key *)arg;

	switch (k) {
	case SORT_SIZE:
		if (x->end - x->start != y->end - y->start)
			return x->end - x->start < y->end - y->start ? 1 : -1;
		break;
	case SORT_AGE:
		if (x->age != y->age)
			return x->age < y->age ? 1 : -1;
		break;
	case SORT_ACCESS:
		if (x->nr_accesses != y->nr_accesses)
			return x->nr_accesses < y->nr_accesses ? 1 : -1;
		break;
	default:
		break;
	}
	return x->start < y->start ? -1 : x->start > y->start;
}

static void build_rows(struct view_tui *v, const struct damon_model *m)
{
	static struct hot_region all[1 << 12];
	size_t n = model_hottest(m, all, 1 << 12);

	v->nr_rows = 0;
	for (size_t i = 0; i < n && v->nr_rows < MAX_ROWS; i++)
		if (!v->tui.filter[0] || strstr(all[i].mapping, v->tui.filter))
			v->rows[v->nr_rows++] = all[i];
	qsort_r(v->rows, v->nr_rows, sizeof(v->rows[0]), cmp_rows, &v->sort);
}

/* The spans on screen: the model's, cut to the zoom window. */
static size_t screen_spans(const struct view_tui *v, const struct damon_model *m,
			   struct heat_span *spans)
{
	size_t n = model_spans(m, spans, MAX_SPANS), k = 0;

	if (!v->zoom_hi)
		return n;
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = spans[i].start > v->zoom_lo ? spans[i].start : v->zoom_lo;
		uint64_t hi = spans[i].end < v->zoom_hi ? spans[i].end : v->zoom_hi;

		if (lo < hi)
			spans[k++] = (struct heat_span){ lo, hi };
	}
	return k;
}

/* Fill the on-screen grid from the snapshots in its time window. */
static int build_grid(struct view_tui *v, const struct damon_model *m,
		      unsigned int cols, unsigned int rows)
{
	const struct snapshot *last = model_latest(m);
	struct heat_span spans[MAX_SPANS];
	struct snapshot *win;
	uint64_t col_ns, t_end, t_start;
	size_t nr_spans, first, n, i;
	int err;

	if (v->have_grid)
		heatgrid_free(&v->grid);
	v->have_grid = false;
	nr_spans = screen_spans(v, m, spans);
	if (!last || !nr_spans || !cols || !rows)
		return -ENODATA;
	col_ns = last->aggr_ns;
	t_end = last->time_ns - (uint64_t)v->back * col_ns;
	t_start = t_end > (uint64_t)cols * col_ns ? t_end - (uint64_t)cols * col_ns : 0;
	/* snapshots ending inside the window, plus the one before it */
	for (first = m->nr_snaps; first > 0; first--)
		if (model_snapshot(m, first - 1)->time_ns <= t_start)
			break;
	first = first ? first - 1 : 0;
	n = m->nr_snaps - first;
	win = malloc(n * sizeof(*win));
	if (!win)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		win[i] = *model_snapshot(m, first + i);
	err = heatgrid_init(&v->grid, cols, rows, t_start, t_end, spans, nr_spans);
	if (!err) {
		heatgrid_fill(&v->grid, win, n, win[0].time_ns - win[0].aggr_ns);
		v->have_grid = true;
	}
	free(win);
	return err;
}

/* @share of one CPU as "1.25%", or "-" where it is not known */
static const char *pct(char *buf, size_t len, double share)
{
	if (isnan(share))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%", share * 100);
	return buf;
}

static void view_tui_draw(void *view)
{
	struct view_tui *v = view;
	const struct damon_model *m = v->m;
	const struct view_status *vs = v->vs;
	static const struct tui_col cols[NCOLS] = {
		{ "START", 14, true }, { "END", 14, true }, { "SIZE", 10, true },
		{ "ACCESS", 7, true }, { "AGE", 8, true }, { "MAPPING", 0, false },
	};
	static char cells[MAX_ROWS][NCOLS][CELL_W];
	static const char *cell_ptrs[MAX_ROWS * NCOLS];
	static char label_buf[1024][LABEL_W + 1];
	static const char *labels[1024];
	const struct snapshot *last = model_latest(m);
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	char h1[256], h2[256], h3[300], title[160], tl[64], b[5][16];
	const char *header[3] = { h1, h2, h3 };
	struct tui_heat heat = { .unit = "Hz" };	/* heatgrid.h: sampled accesses a second */
	struct tui_table table = { .cols = cols, .ncols = NCOLS, .cells = cell_ptrs,
				   .sort_col = -1 };
	struct tui_frame f = { .header = header, .nheader = vs->plan ? 3 : 2,
			       .table = &table };
	unsigned int gc, gr;

	/* why the source was chosen last: it may be long, the screen cuts it */
	snprintf(h1, sizeof(h1), "damontop  %s  source %s  sample %s  aggr %s%s%s%s%s",
		 vs->target, vs->source,
		 units_ns(b[0], 16, last ? last->sample_ns : vs->st.sample_ns),
		 units_ns(b[1], 16, last ? last->aggr_ns : vs->st.aggr_ns),
		 vs->live ? "" : "  (replay)", vs->source_why && *vs->source_why ? "  (" : "",
		 vs->source_why ? vs->source_why : "",
		 vs->source_why && *vs->source_why ? ")" : "");
	if (vs->live && vs->damon)
		snprintf(h2, sizeof(h2), "regions %u  WSS %s (peak %s)  cost %.2f%%  "
			 "kdamond %s  drops %llu",
			 last ? last->nr_regions : 0,
			 units_bytes(b[2], 16, last ? snapshot_wss(last) : 0),
			 units_bytes(b[3], 16, m->peak_wss), vs->self_cost * 100,
			 pct(b[4], 16, vs->kdamond_cost), (unsigned long long)(vs->drops + vs->st.drops));
	else if (vs->live)
		snprintf(h2, sizeof(h2), "regions %u  WSS %s (peak %s)  RSS %s  clear %s  "
			 "cost %.2f%% (budget %.3g%%)  drops %llu",
			 last ? last->nr_regions : 0,
			 units_bytes(b[2], 16, last ? snapshot_wss(last) : 0),
			 units_bytes(b[3], 16, m->peak_wss),
			 units_bytes(b[4], 16, vs->st.rss_bytes),
			 plan_method_name(vs->st.method), vs->self_cost * 100,
			 vs->budget * 100, (unsigned long long)(vs->drops + vs->st.drops));
	else
		snprintf(h2, sizeof(h2), "regions %u  WSS %s (peak %s)  snapshots %llu",
			 last ? last->nr_regions : 0,
			 units_bytes(b[2], 16, last ? snapshot_wss(last) : 0),
			 units_bytes(b[3], 16, m->peak_wss),
			 (unsigned long long)m->total_snaps);
	/* what set the intervals, and what would buy the asked ones */
	if (vs->plan)
		snprintf(h3, sizeof(h3), "plan %s", vs->plan);

	tui_canvas_size(&v->tui, &gc, &gr);
	if (gr > 1024)
		gr = 1024;
	if (!build_grid(v, m, gc, gr)) {
		size_t span = 0, prev_span = 0;

		for (unsigned int a = 0; a < gr; a++) {
			uint64_t addr = heatgrid_cell_addr(&v->grid, a);

			while (span + 1 < v->grid.nr_spans && addr >= v->grid.spans[span].end)
				span++;
			/* '~': a collapsed gap lies between this row and the last */
			snprintf(label_buf[a], sizeof(label_buf[a]), "%c%12llx %s",
				 a && span != prev_span ? '~' : ' ',
				 (unsigned long long)addr, model_mapping_name(m, addr));
			labels[a] = label_buf[a];
			prev_span = span;
		}
		snprintf(title, sizeof(title), "access heatmap%s: %s per column",
			 v->zoom_hi ? " (zoomed, Z to zoom out)" : "",
			 units_ns(b[0], 16, v->grid.t_unit));
		snprintf(tl, sizeof(tl), "<- %s%s ->",
			 units_ns(b[1], 16, v->grid.t_end - v->grid.t_start),
			 v->back ? " (looking back)" : "");
		heat.nt = v->grid.nt;
		heat.na = v->grid.na;
		heat.heat = v->grid.heat;
		heat.max = last ? 1e9 / last->sample_ns : 0;
		heat.row_labels = labels;
		heat.title = title;
		heat.time_label = tl;
		f.heat = &heat;
	}

	build_rows(v, m);
	for (unsigned int i = 0; i < v->nr_rows; i++) {
		const struct hot_region *r = &v->rows[i];

		snprintf(cells[i][0], CELL_W, "%llx", (unsigned long long)r->start);
		snprintf(cells[i][1], CELL_W, "%llx", (unsigned long long)r->end);
		units_bytes(cells[i][2], CELL_W, r->end - r->start);
		snprintf(cells[i][3], CELL_W, "%.0f%%", r->access_pct);
		snprintf(cells[i][4], CELL_W, "%u", r->age);
		snprintf(cells[i][5], CELL_W, "%.20s%s%.48s", r->mapping,
			 vs->memcg && i < OWNER_ROWS ? "  memcg " : "",
			 vs->memcg && i < OWNER_ROWS ? region_owner(v, vs->memcg, r, now) : "");
		for (int c = 0; c < NCOLS; c++)
			cell_ptrs[i * NCOLS + c] = cells[i][c];
	}
	table.nrows = v->nr_rows;
	table.sort_col = v->sort == SORT_ACCESS ? 3 : v->sort == SORT_SIZE ? 2 :
			 v->sort == SORT_ADDR ? 0 : 4;
	tui_draw(&v->tui, &f);
}

const struct live_view view_tui_live = {
	.frame = tui_view_frame, .draw = view_tui_draw, .key = view_tui_key,
	.close = view_tui_close,
};
