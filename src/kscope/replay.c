// SPDX-License-Identifier: GPL-2.0
/*
 * kscope replay (replay.h): the record's lanes as rows of a table, each
 * drawn over the window of time shown (a character a column), the memory
 * heatmap in the canvas above them, and a cursor that plays the session
 * back (space pauses) and reads every lane at its time.  Enter hands the
 * terminal to the selected lane's tool, on its part cut at the cursor.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "clock.h"
#include "errmsg.h"
#include "evloop.h"
#include "lanes.h"
#include "replay.h"
#include "report.h"
#include "tui.h"
#include "units.h"

#define TICK_NS		100000000ULL	/* how often the playback moves on */
#define NAME_W		34		/* the lane column */
#define VALUE_W		18		/* the value at the cursor */

enum { STOP_QUIT = 1, STOP_SIGNAL };

struct replay {
	const char *path;
	struct lanes ls;
	struct tui t;
	double span;			/* the record's, s */
	double from, to;		/* the window shown, s from the start */
	double at;			/* the cursor */
	double speed;			/* playback, x real time */
	uint64_t tick_ns;		/* the clock at the last step */
	bool by_level;			/* s: lanes by their level at the cursor */
	const struct lane *heat;	/* the heatmap in the canvas, or NULL */
	double *grid;			/* it, resampled to the canvas */
	char *marks;
	unsigned int nt, na;
	char **cells;			/* the table: 3 a lane */
	size_t *order;			/* the lanes shown, in order */
	unsigned int shown;
	char header[2][256];
};

static const struct tui_help help[] = {
	{ "space", "play / pause the session" },
	{ "+ -", "play faster / slower" },
	{ "left right", "move the time read (a column)" },
	{ "z Z", "zoom in / out in time, around the time read" },
	{ "s", "lanes by their level at that time (of their most), or as recorded" },
	{ "/", "only the lanes whose name has the text" },
	{ "Enter", "the selected lane's tool on its part, as at that time" },
	{ NULL, NULL },
};

/* The time a column of the lanes stands for, s */
static double column(const struct replay *r)
{
	unsigned int w = r->t.lay.cols > NAME_W + VALUE_W + 12 ?
			 r->t.lay.cols - NAME_W - VALUE_W - 2 : 10;

	return (r->to - r->from) / w;
}

/* The point of @l holding time @s (seconds from the start), NaN for none */
static double value_at(const struct replay *r, const struct lane *l, double s)
{
	uint64_t t = r->ls.start_ns + (uint64_t)(s * 1e9);

	for (size_t i = 0; i < l->nr; i++)
		if (t > l->pts[i].from_ns && t <= l->pts[i].to_ns)
			return l->pts[i].value;
	return NAN;
}

/* An IO rule's verdicts in [a, b) s: how many, and whether one was refused */
static size_t marks_in(const struct replay *r, const struct lane *l, double a, double b,
		       bool *denied)
{
	size_t n = 0;

	*denied = false;
	for (size_t i = 0; i < l->nr_marks; i++) {
		double s = ((double)l->marks[i].time_ns - r->ls.start_ns) / 1e9;

		if (s >= a && s < b) {
			n++;
			*denied |= l->marks[i].denied;
		}
	}
	return n;
}

/* The heatmap's hottest cell at @t (the record's clock), NaN where it has
 * none */
static double heat_at(const struct lane *l, uint64_t t)
{
	const struct heatgrid *g = l->heat;
	double max = NAN;

	if (t < g->t_start || t >= g->t_start + g->nt * g->t_unit)
		return NAN;
	for (unsigned int a = 0; a < g->na; a++) {
		double h = g->heat[(t - g->t_start) / g->t_unit * g->na + a];

		if (!isnan(h) && !(h <= max))
			max = h;
	}
	return max;
}

static double lane_value(const struct replay *r, const struct lane *l, double s)
{
	return l->heat ? heat_at(l, r->ls.start_ns + (uint64_t)(s * 1e9)) : value_at(r, l, s);
}

/* The most the lane reads in the record: its scale */
static double lane_max(const struct lane *l)
{
	double max = 0;

	for (size_t i = 0; i < l->nr; i++)
		if (l->pts[i].value > max)
			max = l->pts[i].value;
	return l->heat ? l->total : max;
}

/* @l over the window, a character a column of @w, the cursor's column
 * marked: its level in eighths (▁ to █), its verdicts (| allowed, ! a
 * refusal among them) */
static void sparkline(const struct replay *r, const struct lane *l, char *out, size_t len)
{
	static const char *const blocks[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	static const char *const ascii[] = { " ", "_", ".", "-", ":", "=", "+", "*", "#" };
	double max = lane_max(l), step = column(r);
	unsigned int w = (r->to - r->from) / step + 0.5, cur = (r->at - r->from) / step;
	size_t n = 0;

	for (unsigned int c = 0; c < w && n + 4 < len; c++) {
		double a = r->from + c * step, v;
		const char *ch;
		bool denied;
		int level;

		if (c == cur) {
			ch = r->t.utf8 ? "│" : "|";
		} else if (!strcmp(l->unit, "IOs")) {
			size_t k = marks_in(r, l, a, a + step, &denied);

			ch = !k ? (r->t.utf8 ? "·" : ".") : denied ? "!" : "+";
		} else {
			v = lane_value(r, l, a + step / 2);
			level = isnan(v) || !(max > 0) ? 0 : (int)ceil(v / max * 8);
			level = level < 0 ? 0 : level > 8 ? 8 : level;
			ch = r->t.utf8 ? blocks[level] : ascii[level];
		}
		n += snprintf(out + n, len - n, "%s", ch);
	}
	out[n] = 0;
}

/* What @l reads at the cursor, with its unit */
static void reading(const struct replay *r, const struct lane *l, char *out, size_t len)
{
	double step = column(r), v = lane_value(r, l, r->at);
	bool denied;
	size_t k;

	if (!strcmp(l->unit, "IOs")) {
		/* the verdicts of the column read */
		k = marks_in(r, l, r->at - step / 2, r->at + step / 2, &denied);
		snprintf(out, len, "%zu IO%s%s", k, k == 1 ? "" : "s", denied ? ", refused" : "");
	} else if (isnan(v)) {
		snprintf(out, len, "-");
	} else {
		snprintf(out, len, "%.4g %s", v, l->unit);
	}
}

/* The heatmap over the window, resampled to the canvas: a column a time,
 * a row an address cell (low addresses on top, as damontop draws) */
static void resample(struct replay *r)
{
	const struct heatgrid *g = r->heat->heat;
	unsigned int cols, rows;
	double step;

	tui_canvas_size(&r->t, &cols, &rows);
	if (cols * rows != r->nt * r->na) {
		free(r->grid);
		free(r->marks);
		r->grid = malloc(sizeof(*r->grid) * (cols * rows ?: 1));
		r->marks = malloc(cols * rows ?: 1);
		if (!r->grid || !r->marks) {
			cols = rows = 0;
		}
	}
	r->nt = cols;
	r->na = rows;
	step = (r->to - r->from) / (cols ?: 1);
	for (unsigned int c = 0; c < cols; c++) {
		uint64_t t = r->ls.start_ns + (uint64_t)((r->from + (c + 0.5) * step) * 1e9);
		bool in = t >= g->t_start && t < g->t_start + g->nt * g->t_unit;
		bool cur = c == (unsigned int)((r->at - r->from) / step);

		for (unsigned int a = 0; a < rows; a++) {
			size_t i = (size_t)c * rows + a;

			r->grid[i] = in ? g->heat[(t - g->t_start) / g->t_unit * g->na +
						  (size_t)a * g->na / rows] : NAN;
			r->marks[i] = cur ? '|' : ' ';
		}
	}
}

/* s: each lane's reading against its own most (their units differ) */
static double level(const struct replay *r, const struct lane *l)
{
	double max = lane_max(l);

	return max > 0 ? lane_value(r, l, r->at) / max : NAN;
}

static int by_level(const void *a, const void *b, void *ctx)
{
	struct replay *r = ctx;
	double x = level(r, &r->ls.lane[*(const size_t *)a]);
	double y = level(r, &r->ls.lane[*(const size_t *)b]);

	x = isnan(x) ? -INFINITY : x;
	y = isnan(y) ? -INFINITY : y;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void draw(struct replay *r)
{
	static const struct tui_col cols[] = {
		{ "lane", NAME_W, false }, { "at the time read", VALUE_W, true },
		{ "over the window", 0, false },
	};
	const char *header[] = { r->header[0], r->header[1] };
	struct tui_table table = { .cols = cols, .ncols = 3, .sort_col = r->by_level ? 1 : -1 };
	struct tui_heat heat = { .unit = "Hz" };
	struct tui_frame f = { .header = header, .nheader = 2, .table = &table,
			       .hint = "q quit  h help  space play  arrows time  z/Z zoom  Enter tool" };
	char tl[64], spark[4096];

	snprintf(r->header[1], sizeof(r->header[1]), "at %.3f s   window %.3f to %.3f s   %s x%g",
		 r->at, r->from, r->to, r->t.paused ? "paused" : "playing", r->speed);
	r->shown = 0;
	for (size_t i = 0; i < r->ls.nr; i++) {
		const struct lane *l = &r->ls.lane[i];
		char name[160];

		snprintf(name, sizeof(name), "%s %s %s", l->tool, l->name, l->what);
		if (!r->t.filter[0] || strstr(name, r->t.filter))
			r->order[r->shown++] = i;
	}
	if (r->by_level)
		qsort_r(r->order, r->shown, sizeof(*r->order), by_level, r);
	for (unsigned int k = 0; k < r->shown; k++) {
		const struct lane *l = &r->ls.lane[r->order[k]];
		char name[160], val[64];

		snprintf(name, sizeof(name), "%s %s", l->name, l->what);
		reading(r, l, val, sizeof(val));
		sparkline(r, l, spark, sizeof(spark));
		for (int c = 0; c < 3; c++)
			free(r->cells[k * 3 + c]);
		r->cells[k * 3] = strdup(name);
		r->cells[k * 3 + 1] = strdup(val);
		r->cells[k * 3 + 2] = strdup(spark);
	}
	table.cells = (const char *const *)r->cells;
	table.nrows = r->shown;
	if (r->heat) {
		resample(r);
		snprintf(tl, sizeof(tl), "<- %.3f s .. %.3f s ->", r->from, r->to);
		heat.nt = r->nt;
		heat.na = r->na;
		heat.heat = r->grid;
		heat.marks = r->marks;
		heat.max = r->heat->total;
		heat.title = r->heat->name;
		heat.time_label = tl;
		f.heat = &heat;
	}
	tui_draw(&r->t, &f);
}

/* The window of @width s around the cursor, within the record */
static void zoom(struct replay *r, double width)
{
	if (width < 0.01)
		width = 0.01;
	if (width >= r->span) {
		r->from = 0;
		r->to = r->span;
		return;
	}
	r->from = r->at - width / 2;
	r->from = r->from < 0 ? 0 : r->from + width > r->span ? r->span - width : r->from;
	r->to = r->from + width;
}

/* The cursor at @s, the window following it */
static void seek(struct replay *r, double s)
{
	double width = r->to - r->from;

	r->at = s < 0 ? 0 : s > r->span ? r->span : s;
	if (r->at < r->from || r->at > r->to)
		zoom(r, width);
}

/* Enter: the selected lane's tool, on its part up to the cursor, in the
 * terminal until it quits */
static void open_tool(struct replay *r)
{
	const struct lane *l;
	char tmp[128], err[256] = "", exe[4096], tool[4200];
	const char *base = strrchr(r->path, '/') ? strrchr(r->path, '/') + 1 : r->path;
	uint64_t until;
	ssize_t n;
	sigset_t mask;
	pid_t pid;
	int fd;

	if (!r->shown)
		return;
	l = &r->ls.lane[r->order[tui_selected(&r->t)]];
	until = r->ls.start_ns + (uint64_t)(r->at * 1e9);
	/* named so that the tool's view says what it shows */
	snprintf(tmp, sizeof(tmp), "/tmp/%.64s@%.3fs-XXXXXX", base, r->at);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || part_until(r->path, l->tool, until, fd, err, sizeof(err))) {
		tui_message(&r->t, "cannot cut %s's part: %s", l->tool, err[0] ? err : strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		return;
	}
	close(fd);
	/* the tool beside us, else on the PATH */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	if (strrchr(exe, '/'))
		*strrchr(exe, '/') = 0;
	snprintf(tool, sizeof(tool), "%s/%s", exe, l->tool);
	if (access(tool, X_OK))
		snprintf(tool, sizeof(tool), "%s", l->tool);
	tui_suspend(&r->t);
	pid = fork();
	if (!pid) {
		sigemptyset(&mask);
		sigprocmask(SIG_SETMASK, &mask, NULL);
		execlp(tool, l->tool, "--replay", tmp, (char *)NULL);
		fprintf(stderr, "kscope: cannot run %s: %s\n", tool, strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	/* its Ctrl-C was the terminal's to it, not an end of ours */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	while (sigtimedwait(&mask, NULL, &(struct timespec){ 0 }) > 0)
		;
	unlink(tmp);
	tui_resume(&r->t);
	if (pid < 0)
		tui_message(&r->t, "cannot run %s: %s", l->tool, strerror(errno));
}

static int on_key(void *ctx, int fd, uint32_t events)
{
	struct replay *r = ctx;
	int key;

	(void)fd, (void)events;
	while ((key = tui_read_key(&r->t)) != TUI_KEY_NONE) {
		switch (key) {
		case TUI_KEY_QUIT:
			return STOP_QUIT;
		case TUI_KEY_PAUSE:
			if (!r->t.paused && r->at >= r->span)
				seek(r, r->from = 0);	/* played out: again */
			break;
		case TUI_KEY_FASTER:
			r->speed = r->speed < 64 ? r->speed * 2 : r->speed;
			break;
		case TUI_KEY_SLOWER:
			r->speed = r->speed > 1.0 / 16 ? r->speed / 2 : r->speed;
			break;
		case TUI_KEY_LEFT:
		case TUI_KEY_RIGHT:
			seek(r, r->at + (key == TUI_KEY_LEFT ? -column(r) : column(r)));
			break;
		case TUI_KEY_SORT:
			r->by_level = !r->by_level;
			break;
		case TUI_KEY_ZOOM_IN:
			if (r->t.ch == 'z')
				zoom(r, (r->to - r->from) / 2);
			else
				open_tool(r);	/* Enter */
			break;
		case TUI_KEY_ZOOM_OUT:
			zoom(r, (r->to - r->from) * 2);
			break;
		}
	}
	draw(r);
	return 0;
}

/* Playing: the cursor moves on with the clock (not a step a tick: a
 * tick late on a busy machine is no time lost), at the speed chosen */
static int on_tick(void *ctx, int fd, uint32_t events)
{
	struct replay *r = ctx;
	uint64_t now = clock_ns(CLOCK_MONOTONIC), dt = now - r->tick_ns;

	(void)fd, (void)events;
	r->tick_ns = now;
	if (r->t.paused)
		return 0;
	seek(r, r->at + dt / 1e9 * r->speed);
	if (r->at >= r->span)
		r->t.paused = true;	/* the end: shown until space plays it again */
	draw(r);
	return 0;
}

static int on_signal(void *ctx, int signo)
{
	struct replay *r = ctx;

	if (signo != SIGWINCH)
		return STOP_SIGNAL;
	tui_resize(&r->t);
	draw(r);
	return 0;
}

int kscope_replay(const char *path, bool no_color)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	struct tui_opts opts = { .tool = "kscope replay", .no_color = no_color,
				 .header_lines = 2, .help = help };
	struct replay r = { .path = path, .speed = 1 };
	struct evloop *loop = NULL;
	char err[256], dur[16];
	int rc = 1, ret;

	if (lanes_load(path, &r.ls, err, sizeof(err)))
		return tool_error("cannot read %s: %s", path, err);
	if (!r.ls.nr) {
		rc = tool_error("%s has no refresh to replay", path);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		rc = tool_error("kscope replay needs a terminal (kscope report --format json "
				"gives the lanes as text)");
		goto out;
	}
	for (size_t i = 0; i < r.ls.nr && !r.heat; i++)
		if (r.ls.lane[i].heat)
			r.heat = &r.ls.lane[i];
	opts.canvas = r.heat;
	r.span = (r.ls.end_ns - r.ls.start_ns) / 1e9;
	r.to = r.span;
	r.cells = calloc(r.ls.nr * 3, sizeof(*r.cells));
	r.order = calloc(r.ls.nr, sizeof(*r.order));
	loop = evloop_new();
	if (!r.cells || !r.order || !loop) {
		rc = tool_error("out of memory");
		goto out;
	}
	snprintf(r.header[0], sizeof(r.header[0]), "kscope replay %s: %s, %zu lanes (%s)%s", path,
		 units_ns(dur, sizeof(dur), r.ls.end_ns - r.ls.start_ns), r.ls.nr, r.ls.modes,
		 r.ls.left_out ? ", more left out" : "");
	ret = evloop_add_signals(loop, signals, on_signal, &r);
	if (!ret && (ret = tui_init(&r.t, &opts)))
		tool_error("cannot start the terminal view: %s", strerror(-ret));
	else if (ret)
		tool_error("cannot take signals: %s", strerror(-ret));
	if (!ret && (evloop_add_fd(loop, STDIN_FILENO, on_key, &r) ||
		     evloop_add_timer(loop, TICK_NS, on_tick, &r) < 0))
		ret = tool_error("cannot read the terminal: %s", strerror(errno));
	if (ret)
		goto out;
	r.tick_ns = clock_ns(CLOCK_MONOTONIC);
	draw(&r);
	ret = evloop_run(loop);
	rc = ret < 0 ? tool_error("the view failed: %s", strerror(-ret)) : 0;
out:
	tui_fini(&r.t);
	evloop_free(loop);
	for (size_t i = 0; r.cells && i < r.ls.nr * 3; i++)
		free(r.cells[i]);
	free(r.cells);
	free(r.order);
	free(r.grid);
	free(r.marks);
	lanes_free(&r.ls);
	return rc;
}
