// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's live terminal view, drawn with the shared frame: four header
 * lines and a table of NAPI instances sorted by any number column (s), or
 * with Enter the selected instance in detail (histogram rows, sparklines
 * in the header) until Backspace.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "view.h"

#define NCOLS		11
#define MAX_ROWS	256
#define SPARK_W		60

struct row {
	struct tui_row r;		/* first: sorted and filtered by the frame */
	struct nt_key key;
};

struct view {
	struct tui tui;			/* first: tui_view_new() */
	const struct nt_session *s;	/* what it shows */
	const char *status;
	const struct nt_dev *devs;	/* --dev */
	size_t nr_devs;
	int sort;
	bool detail;
	struct nt_key shown;		/* the instance in detail */
	struct row rows[MAX_ROWS];
	const char *ptrs[MAX_ROWS * NCOLS];
	unsigned int nrows;
};

static const struct tui_help help[] = {
	{ "Enter", "the selected instance: work per poll, history" },
	{ "Backspace", "back to the table" },
	{ NULL, NULL },
};

static const struct tui_col cols[NCOLS] = {
	/* all but CPUS fit 80 columns */
	{ "DEV", 9, false }, { "NAPI", 6, true }, { "MODE", 9, false },
	{ "POLLS/s", 8, true }, { "PKTS/s", 8, true }, { "PKT/POLL", 8, true },
	{ "FULL%", 5, true }, { "KTHREAD%", 8, true }, { "PID", 7, true }, { "IRQ", 4, true },
	{ "CPUS", 0, false },
};

static const char *const sort_keys[NCOLS] = {
	"dev", "napi", "mode", "polls", "packets", "per-poll", "full", "kthread", "pid", "irq",
	"cpus",
};

int view_sort_column(const char *key)
{
	for (int c = 0; c < NCOLS; c++)
		if (!strcmp(key, sort_keys[c]))
			return c;
	return -1;
}

struct view *view_open(const struct nt_session *s, const char *status,
		       const struct nt_dev *devs, size_t nr_devs, int sort, bool no_color)
{
	struct tui_opts opts = {
		.tool = "napitop", .no_color = no_color, .header_lines = 4, .help = help,
	};
	struct view *v = tui_view_new(sizeof(*v), &opts);

	if (!v)
		return NULL;
	v->s = s;
	v->status = status;
	v->devs = devs;
	v->nr_devs = nr_devs;
	v->sort = sort >= 0 ? sort : 3;
	return v;
}

static int view_key(void *view, int key)
{
	struct view *v = view;

	switch (key) {
	case TUI_KEY_SORT:
		v->sort = (v->sort + 1) % NCOLS;
		break;
	case TUI_KEY_ZOOM_IN:
		if (!v->detail && tui_selected(&v->tui) < v->nrows) {
			v->shown = v->rows[tui_selected(&v->tui)].key;
			v->detail = true;
		}
		break;
	case TUI_KEY_ZOOM_OUT:
		v->detail = false;
		break;
	}
	return 0;
}

/* A number column: @v * @scale, or "-" (sorted last) when there is none. */
static void figure(struct tui_row *r, int c, double v, double scale, const char *fmt)
{
	if (isnan(v)) {
		tui_row_set(r, c, -1, "-");
		return;
	}
	snprintf(r->cell[c], TUI_ROW_CELL, fmt, v * scale);
	r->num[c] = v;
}

static void instance_row(const struct nt_session *s, const struct nt_instance *in,
			 struct row *row)
{
	struct tui_row *r = &row->r;
	char buf[64];

	row->key = in->key;
	tui_row_set(r, 0, NAN, "%s", in->dev[0] ? in->dev : "?");
	tui_row_set(r, 1, in->key.napi_id, "%s", nt_instance_name(in, buf, sizeof(buf)));
	tui_row_set(r, 2, NAN, "%s", nt_mode_name(nt_main_mode(in)));
	figure(r, 3, nt_rate(s, in->last.polls), 1, "%.0f");
	figure(r, 4, nt_rate(s, in->last.packets), 1, "%.0f");
	figure(r, 5, nt_per_poll(&in->last), 1, "%.1f");
	figure(r, 6, nt_full_share(&in->last), 100, "%.1f");
	if (in->thread_pid)
		tui_row_set(r, 7, in->kthread_cpu, "%.1f", 100 * in->kthread_cpu);
	else
		tui_row_set(r, 7, -1, "-");
	if (nt_kthread_pid(in))
		tui_row_set(r, 8, nt_kthread_pid(in), "%u", nt_kthread_pid(in));
	else
		tui_row_set(r, 8, -1, "-");
	if (in->irq >= 0)
		tui_row_set(r, 9, in->irq, "%d", in->irq);
	else
		tui_row_set(r, 9, -1, "-");
	tui_row_set(r, 10, NAN, "%s", nt_cpu_list(s, in, buf, sizeof(buf)));
}

/* "▁▃▅█" (or ".:=#" without UTF-8) of the last @n values of @v. */
static void spark(const struct tui *t, const struct nt_session *s, const float *v,
		  char *out, size_t len)
{
	static const char *const blocks[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char ascii[] = " .:-=+*#";
	unsigned int n = s->hist_len < SPARK_W ? s->hist_len : SPARK_W;
	size_t used = 0;
	double max = 0;

	for (unsigned int i = 0; i < n; i++) {
		double x = v[(s->hist_next + NT_HISTORY - n + i) % NT_HISTORY];

		if (x > max)
			max = x;
	}
	out[0] = 0;
	for (unsigned int i = 0; i < n && used + 4 < len; i++) {
		double x = v[(s->hist_next + NT_HISTORY - n + i) % NT_HISTORY];
		int level = isnan(x) || max <= 0 ? 0 : (int)(x / max * 7.99);

		used += snprintf(out + used, len - used, "%s",
				 t->utf8 ? blocks[level] : (char[]){ ascii[level], 0 });
	}
	snprintf(out + used, len - used, " max %.0f/s", max);
}

static void detail(struct view *v, const struct nt_session *s, const struct nt_instance *in,
		   char *h3, char *h4, size_t len, struct tui_table *table)
{
	static const struct tui_col hcols[3] = {
		{ "WORK/POLL", 10, true }, { "POLLS", 12, true }, { "SHARE", 0, false },
	};
	static const char *const ranges[NT_HIST] = {
		"0", "1", "2-3", "4-7", "8-15", "16-31", "32-63", "64-127", "128+",
	};
	char line[256];
	uint64_t all = 0;

	spark(&v->tui, s, in->polls_hist, line, sizeof(line));
	snprintf(h3, len, "polls/s   %s", line);
	spark(&v->tui, s, in->packets_hist, line, sizeof(line));
	snprintf(h4, len, "packets/s %s", line);
	for (int b = 0; b < NT_HIST; b++)
		all += in->total.hist[b];
	for (int b = 0; b < NT_HIST; b++) {
		struct tui_row *r = &v->rows[b].r;
		double share = all ? (double)in->total.hist[b] / all : 0;
		int bar = (int)(share * 50 + 0.5);

		tui_row_set(r, 0, NAN, "%s", ranges[b]);
		tui_row_set(r, 1, NAN, "%llu", (unsigned long long)in->total.hist[b]);
		tui_row_set(r, 2, NAN, "%5.1f%% %.*s", 100 * share, bar,
		    "##################################################");
		for (int c = 0; c < 3; c++)
			v->ptrs[b * 3 + c] = r->cell[c];
	}
	table->cols = hcols;
	table->ncols = 3;
	table->nrows = NT_HIST;
	table->sort_col = -1;
}

static void view_draw(void *view)
{
	struct view *v = view;
	const struct nt_session *s = v->s;
	const char *status = v->status;
	const struct nt_dev *devs = v->devs;
	size_t nr_devs = v->nr_devs;
	char h1[256], h2[256], h3[512], h4[512], id[16];
	const char *header[4] = { h1, h2, h3, h4 };
	struct tui_table table = { .cols = cols, .ncols = NCOLS, .cells = v->ptrs };
	struct tui_frame f = { .header = header, .nheader = 4, .table = &table,
			       .hint = "q quit  h help  space pause  +/- refresh  s sort  / filter  Enter detail" };
	const struct nt_instance *shown = NULL;
	size_t n = 0, m;
	unsigned int kept = 0;

	for (size_t i = 0; i < s->nr_inst; i++)
		if (v->detail && !memcmp(&s->inst[i].key, &v->shown, sizeof(v->shown)))
			shown = &s->inst[i];
	if (shown)
		snprintf(h1, sizeof(h1), "napitop  %s  %s napi %s: %llu polls, %llu packets, "
			 "%.1f per poll, %.1f%% used the whole budget (%u)", status, shown->dev,
			 nt_instance_name(shown, id, sizeof(id)),
			 (unsigned long long)shown->total.polls,
			 (unsigned long long)shown->total.packets, nt_per_poll(&shown->total),
			 100 * nt_full_share(&shown->total), shown->total.weight);
	else
		snprintf(h1, sizeof(h1), "napitop  %s  %zu instances  lost %llu/%llu", status,
			 s->nr_inst, (unsigned long long)s->lost_napis,
			 (unsigned long long)s->lost_threads);
	n = snprintf(h2, sizeof(h2), "NET_RX softirq:");
	for (unsigned int c = 0; c < s->ncpu && n < sizeof(h2); c++)
		n += snprintf(h2 + n, sizeof(h2) - n, " cpu%u %.1f%% squeeze+%llu drop+%llu", c,
			      isnan(s->cpu[c].netrx_share) ? 0 : 100 * s->cpu[c].netrx_share,
			      (unsigned long long)s->cpu[c].squeeze_last,
			      (unsigned long long)s->cpu[c].dropped_last);
	if (shown) {
		detail(v, s, shown, h3, h4, sizeof(h3), &table);
		tui_draw(&v->tui, &f);
		return;
	}
	v->detail = false;
	m = snprintf(h3, sizeof(h3), "polling threads:");
	for (size_t i = 0; i < s->nr_threads && m < sizeof(h3); i++)
		m += snprintf(h3 + m, sizeof(h3) - m, " %.16s %.3fs", s->threads[i].t.comm,
			      s->threads[i].t.run_ns / 1e9);
	if (!s->nr_threads)
		snprintf(h3 + m, sizeof(h3) - m, " none ran yet");
	snprintf(h4, sizeof(h4), "mode: where the polls ran (softirq, ksoftirqd, the instance's "
		 "kthread, busy poll); FULL%%: polls that used the whole budget");

	v->nrows = 0;
	for (size_t i = 0; i < s->nr_inst && v->nrows < MAX_ROWS; i++) {
		if (!nt_instance_matches(&s->inst[i], devs, nr_devs))
			continue;
		instance_row(s, &s->inst[i], &v->rows[v->nrows++]);
	}
	tui_rows_sort(v->rows, v->nrows, sizeof(v->rows[0]), v->sort);
	kept = tui_rows_filter(&v->tui, v->rows, v->nrows, sizeof(v->rows[0]), NCOLS, v->ptrs);
	v->nrows = kept;
	table.nrows = kept;
	table.sort_col = v->sort;
	tui_draw(&v->tui, &f);
}

const struct live_view view_live = {
	.frame = tui_view_frame, .draw = view_draw, .key = view_key, .close = tui_view_free,
};
