// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's live terminal view, drawn with the shared frame: four header
 * lines and a table of NAPI instances sorted by any number column (s):
 * their polling, or with c their configuration and queues (the netdev
 * family's word); with Enter the selected instance in detail (histogram
 * rows; sparklines, configuration, queue counters and the polling before
 * and after its last configuration change in the header) until Backspace.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"
#include "tune.h"
#include "units.h"
#include "view.h"

#define NCOLS		11
#define NCFG		9
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
	bool config;			/* c: the configuration columns */
	bool detail;
	struct nt_key shown;		/* the instance in detail */
	struct row rows[MAX_ROWS];
	const char *ptrs[MAX_ROWS * NCOLS];
	unsigned int nrows;
};

static const struct tui_help help[] = {
	{ "Enter", "the selected instance: work per poll, history, configuration" },
	{ "c", "configuration and queue columns, or back to polling" },
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

/* c: the netdev family's word (napi-get, queue-get, qstats-get) */
static const struct tui_col cfg_cols[NCFG] = {
	{ "DEV", 9, false }, { "NAPI", 6, true }, { "MODE", 9, false },
	{ "POLLS/s", 8, true }, { "DEFER", 5, true }, { "GRO-FLUSH", 9, true },
	{ "IRQ-SUSP", 8, true }, { "RXQ-PKT/s", 9, true }, { "QUEUES", 0, false },
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
		v->sort = (v->sort + 1) % (v->config ? NCFG : NCOLS);
		break;
	case TUI_KEY_OTHER:
		if (v->tui.ch == 'c') {
			v->config = !v->config;
			v->sort = 3;	/* POLLS/s in both */
		}
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

/* DEV NAPI MODE POLLS/s: the columns both tables start with */
static void lead_columns(const struct nt_session *s, const struct nt_instance *in,
			 struct row *row)
{
	struct tui_row *r = &row->r;
	char buf[64];

	row->key = in->key;
	tui_row_set(r, 0, NAN, "%s", in->dev[0] ? in->dev : "?");
	tui_row_set(r, 1, in->key.napi_id, "%s", nt_instance_name(in, buf, sizeof(buf)));
	tui_row_set(r, 2, NAN, "%s", nt_mode_name(nt_main_mode(in)));
	figure(r, 3, nt_rate(s, in->last.polls), 1, "%.0f");
}

static void instance_row(const struct nt_session *s, const struct nt_instance *in,
			 struct row *row)
{
	struct tui_row *r = &row->r;
	char buf[64];

	lead_columns(s, in, row);
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
	if (in->info.irq >= 0)
		tui_row_set(r, 9, in->info.irq, "%d", in->info.irq);
	else
		tui_row_set(r, 9, -1, "-");
	tui_row_set(r, 10, NAN, "%s", nt_cpu_list(s, in, buf, sizeof(buf)));
}

/* A configuration value, "-" (sorted last) where the kernel does not say. */
static void setting(struct tui_row *r, int c, const struct nt_instance *in, enum tune_attr a)
{
	int64_t v = tune_get(&in->info.conf, a);
	char buf[24];

	tui_row_set(r, c, v < 0 ? -1 : v, "%s", tune_format(a, v, buf, sizeof(buf)));
}

static void config_row(const struct nt_session *s, const struct nt_instance *in,
		       struct row *row)
{
	struct tui_row *r = &row->r;

	lead_columns(s, in, row);
	setting(r, 4, in, TUNE_DEFER_HARD_IRQS);
	setting(r, 5, in, TUNE_GRO_FLUSH_TIMEOUT);
	setting(r, 6, in, TUNE_IRQ_SUSPEND_TIMEOUT);
	figure(r, 7, in->rxq_rate, 1, "%.0f");
	tui_row_set(r, 8, NAN, "%s", in->info.queues[0] ? in->info.queues : "-");
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

/* The netdev family's word on @in: its configuration, IRQ and kthread;
 * its queues' counters; and the polling before and after the last change
 * of its configuration in this session. */
static void detail_info(const struct nt_session *s, const struct nt_instance *in, char *h5,
			char *h6, char *h7, size_t len)
{
	const struct nt_napi_info *info = &in->info;
	size_t n;
	char buf[24];

	n = snprintf(h5, len, "config (%s):", info->conf_device ? "the device's sysfs" :
		     "napi-get");
	for (int a = 0; a < TUNE_NR && n < len; a++)
		n += snprintf(h5 + n, len - n, " %s %s", tune_attr_name(a),
			      tune_format(a, tune_get(&info->conf, a), buf, sizeof(buf)));
	if (n < len) {
		char pid[16];

		snprintf(buf, sizeof(buf), info->irq >= 0 ? "%d" : "-", info->irq);
		snprintf(pid, sizeof(pid), nt_kthread_pid(in) ? "%u" : "-", nt_kthread_pid(in));
		snprintf(h5 + n, len - n, "  IRQ %s  kthread %s", buf, pid);
	}
	n = snprintf(h6, len, "queues %s (qstats):", info->queues[0] ? info->queues : "-");
	for (int k = 0; k < NETDEV_QSTAT_NR && n < len; k++)
		if (info->qstats[k] != UINT64_MAX)
			n += snprintf(h6 + n, len - n, " %s %llu", netdev_qstat_names[k],
				      (unsigned long long)info->qstats[k]);
	if (n < len && info->qstats[NETDEV_QSTAT_RX_PACKETS] == UINT64_MAX)
		snprintf(h6 + n, len - n, " none kept (the driver or kernel has none)");
	if (!in->conf_change_ns) {
		snprintf(h7, len, "no configuration change seen in this session");
		return;
	}
	{
		const struct nt_stat *b = &in->at_change, *t = &in->total;
		double before_s = (in->conf_change_ns - s->start_ns) / 1e9;
		double after_s = (s->time_ns - in->conf_change_ns) / 1e9;
		uint64_t polls = t->polls - b->polls, packets = t->packets - b->packets;

		snprintf(h7, len, "before the change at %.1f s: %.1f packets/poll, %.0f polls/s;"
			 " since: %.1f packets/poll, %.0f polls/s", before_s,
			 b->polls ? (double)b->packets / b->polls : NAN,
			 before_s > 0 ? b->polls / before_s : NAN,
			 polls ? (double)packets / polls : NAN,
			 after_s > 0 ? polls / after_s : NAN);
	}
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

/* Per CPU: the share of it in softirqs (NET_RX's where timed, else every
 * vector's, as the kernel accounts it), NET_RX runs a second, softnet_stat's
 * squeezes and drops */
static void softirq_line(const struct nt_session *s, char *buf, size_t len)
{
	bool timed = nt_netrx_timed(s);
	size_t n = snprintf(buf, len, "%s:", timed ? "NET_RX softirq" :
			    !strcmp(s->softirq_time, "ticks") ? "softirq (ticks)" : "softirq");

	for (unsigned int c = 0; c < s->ncpu && n < len; c++) {
		const struct nt_cpu_figures *f = &s->cpu[c];
		double share = timed ? f->netrx_share : f->softirq_share;

		n += snprintf(buf + n, len - n, " cpu%u %.1f%% NET_RX %.0f/s squeeze+%llu drop+%llu",
			      c, isnan(share) ? 0 : 100 * share,
			      isnan(f->netrx_rate) ? 0 : f->netrx_rate,
			      (unsigned long long)f->squeeze_last,
			      (unsigned long long)f->dropped_last);
	}
}

static void view_draw(void *view)
{
	struct view *v = view;
	const struct nt_session *s = v->s;
	const char *status = v->status;
	const struct nt_dev *devs = v->devs;
	size_t nr_devs = v->nr_devs;
	char h1[256], h2[256], h3[512], h4[512], h5[1024], h6[1024], h7[1024], id[16];
	const char *header[7] = { h1, h2, h3, h4, h5, h6, h7 };
	struct tui_table table = { .cols = v->config ? cfg_cols : cols,
				   .ncols = v->config ? NCFG : NCOLS, .cells = v->ptrs };
	struct tui_frame f = { .header = header, .nheader = 4, .table = &table,
			       .hint = "q quit  h help  space pause  +/- refresh  s sort  / filter  "
				       "c config  Enter detail" };
	const struct nt_instance *shown = NULL;
	size_t m;
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
	softirq_line(s, h2, sizeof(h2));
	/* the detail's three lines more: configuration, queues, a change */
	tui_set_header_lines(&v->tui, shown ? 7 : 4);
	if (shown) {
		detail(v, s, shown, h3, h4, sizeof(h3), &table);
		detail_info(s, shown, h5, h6, h7, sizeof(h5));
		f.nheader = 7;
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
		(v->config ? config_row : instance_row)(s, &s->inst[i], &v->rows[v->nrows++]);
	}
	tui_rows_sort(v->rows, v->nrows, sizeof(v->rows[0]), v->sort);
	kept = tui_rows_filter(&v->tui, v->rows, v->nrows, sizeof(v->rows[0]), table.ncols,
			       v->ptrs);
	v->nrows = kept;
	table.nrows = kept;
	table.sort_col = v->sort;
	tui_draw(&v->tui, &f);
}

const struct live_view view_live = {
	.frame = tui_view_frame, .draw = view_draw, .key = view_key, .close = tui_view_free,
};
