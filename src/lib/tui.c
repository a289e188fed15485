// SPDX-License-Identifier: GPL-2.0
/*
 * The shared ncurses frame (see tui.h).  Drawing is erase(), one pass over
 * the areas, the help box on top, then a single refresh, so a frame never
 * flickers.  The only state is in struct tui and in curses itself.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <sys/ioctl.h>

#include <curses.h>

#include "clock.h"
#include "tui.h"

/* Colour pairs: the roles first, then one pair per heat level. */
enum tui_role { TUI_TITLE = 1, TUI_THEAD, TUI_SORT, TUI_SEL, TUI_PAUSED,
		TUI_MSG, TUI_NR_ROLES };
#define TUI_PAIR_HEAT	16

static const struct {
	short fg, bg;
	attr_t color, mono;
} tui_roles[TUI_NR_ROLES] = {
	[TUI_TITLE]  = { COLOR_CYAN,  -1,	   A_BOLD, A_BOLD },
	[TUI_THEAD]  = { COLOR_BLACK, COLOR_GREEN, 0,      A_REVERSE },
	[TUI_SORT]   = { COLOR_BLACK, COLOR_CYAN,  A_BOLD, A_REVERSE | A_BOLD },
	[TUI_SEL]    = { COLOR_BLACK, COLOR_CYAN,  0,      A_REVERSE },
	[TUI_PAUSED] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD },
	[TUI_MSG]    = { COLOR_GREEN, -1,	   A_BOLD, A_BOLD },
};

/* Dark grey for "present but cold", then an inferno-like ramp to white. */
static const short tui_ramp256[] = { 235, 17, 18, 54, 90, 126, 161, 160,
				     196, 202, 208, 214, 220, 226, 229, 231 };
static const short tui_ramp8[] = { COLOR_BLUE, COLOR_MAGENTA, COLOR_RED,
				   COLOR_YELLOW, COLOR_WHITE };
static const char tui_ramp_mono[] = TUI_HEAT_CHARS;

static const struct tui_help tui_common_help[] = {
	{ "q", "quit" },
	{ "h ?", "this help" },
	{ "space", "pause / resume" },
	{ "+ -", "refresh faster / slower" },
	{ "s", "next sort column" },
	{ "/", "filter (Enter applies, Esc cancels)" },
	{ "arrows", "move the selection" },
	{ "PgUp PgDn", "page up / down" },
	{ "Home End", "first / last row" },
	{ NULL, NULL },
};

static const char tui_default_hint[] =
	"q quit  h help  space pause  +/- refresh  s sort  / filter";


static int tui_nlevels(const struct tui *t)
{
	switch (t->mode) {
	case TUI_COLOR256:
		return sizeof(tui_ramp256) / sizeof(tui_ramp256[0]);
	case TUI_COLOR8:
		return sizeof(tui_ramp8) / sizeof(tui_ramp8[0]);
	default:
		return sizeof(tui_ramp_mono) - 1;
	}
}

static attr_t tui_attr(const struct tui *t, enum tui_role r)
{
	if (t->mode == TUI_MONO)
		return tui_roles[r].mono;
	return COLOR_PAIR(r) | tui_roles[r].color;
}

static void tui_colors(struct tui *t)
{
	const short *ramp;
	short fg = -1, bg = -1;
	int i, n;

	t->mode = TUI_MONO;
	if (t->opts.no_color || !has_colors() || start_color() == ERR)
		return;
	/* Without default colours, -1 is not a colour: use white on black. */
	if (use_default_colors() == ERR) {
		fg = COLOR_WHITE;
		bg = COLOR_BLACK;
	}
	t->mode = COLORS >= 256 && COLOR_PAIRS >= 64 ? TUI_COLOR256 : TUI_COLOR8;
	for (i = 1; i < TUI_NR_ROLES; i++)
		init_pair(i, tui_roles[i].fg < 0 ? fg : tui_roles[i].fg,
			  tui_roles[i].bg < 0 ? bg : tui_roles[i].bg);
	ramp = t->mode == TUI_COLOR256 ? tui_ramp256 : tui_ramp8;
	n = tui_nlevels(t);
	for (i = 0; i < n; i++)
		init_pair(TUI_PAIR_HEAT + i, COLOR_BLACK, ramp[i]);
}

int tui_init(struct tui *t, const struct tui_opts *opts)
{
	memset(t, 0, sizeof(*t));
	t->opts = *opts;
	if (t->opts.header_lines > TUI_MAX_HEADER)
		t->opts.header_lines = TUI_MAX_HEADER;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	/* LC_CTYPE only: LC_NUMERIC would put decimal commas in JSON output. */
	setlocale(LC_CTYPE, "");
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");

	t->scr = newterm(NULL, stdout, stdin);
	if (!t->scr)
		return -EINVAL;
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	/* Esc cancels the filter prompt; don't make it wait a second. */
	set_escdelay(25);
	tui_colors(t);
	tui_layout_compute(&t->lay, LINES, COLS, &t->opts);
	return 0;
}

void tui_fini(struct tui *t)
{
	if (!t->scr)
		return;
	curs_set(1);
	endwin();
	delscreen(t->scr);
	t->scr = NULL;
	fflush(stdout);
}

void tui_suspend(struct tui *t)
{
	if (!t->scr)
		return;
	def_prog_mode();
	curs_set(1);
	endwin();
	fflush(stdout);
}

void tui_resume(struct tui *t)
{
	if (!t->scr)
		return;
	reset_prog_mode();
	curs_set(0);
	clearok(curscr, TRUE);
	tui_layout_compute(&t->lay, LINES, COLS, &t->opts);
}

/* ---- pure helpers ------------------------------------------------------ */

int tui_key_action(int ch)
{
	switch (ch) {
	case ERR:		return TUI_KEY_NONE;
	case 'q':		return TUI_KEY_QUIT;
	case 'h': case '?':	return TUI_KEY_HELP;
	case ' ':		return TUI_KEY_PAUSE;
	case '+': case '=':	return TUI_KEY_FASTER;
	case '-':		return TUI_KEY_SLOWER;
	case 's':		return TUI_KEY_SORT;
	case '/':		return TUI_KEY_FILTER;
	case 'e':		return TUI_KEY_EXPORT;
	case KEY_UP:		return TUI_KEY_UP;
	case KEY_DOWN:		return TUI_KEY_DOWN;
	case KEY_LEFT:		return TUI_KEY_LEFT;
	case KEY_RIGHT:		return TUI_KEY_RIGHT;
	case KEY_PPAGE:		return TUI_KEY_PGUP;
	case KEY_NPAGE:		return TUI_KEY_PGDN;
	case KEY_HOME:		return TUI_KEY_HOME;
	case KEY_END:		return TUI_KEY_END;
	case 'z': case '\n': case '\r': case KEY_ENTER:
				return TUI_KEY_ZOOM_IN;
	case 'Z': case KEY_BACKSPACE: case 127: case '\b':
				return TUI_KEY_ZOOM_OUT;
	case KEY_RESIZE:	return TUI_KEY_RESIZE;
	default:		return TUI_KEY_OTHER;
	}
}

int tui_heat_level(double v, double max, int nlevels)
{
	double frac;
	int l;

	if (isnan(v))
		return -1;
	if (v <= 0 || !(max > 0) || nlevels < 2)
		return 0;
	frac = v >= max ? 1 : v / max;
	/* Levels 1..n-1 split (0, max] into equal steps; max is the top. */
	l = 1 + (int)(frac * (nlevels - 1));
	return l < nlevels ? l : nlevels - 1;
}

void tui_layout_compute(struct tui_layout *l, int lines, int cols,
			const struct tui_opts *o)
{
	int avail, block, nh = o->header_lines;

	memset(l, 0, sizeof(*l));
	l->lines = lines;
	l->cols = cols;
	l->too_small = lines < TUI_MIN_LINES || cols < TUI_MIN_COLS;
	if (l->too_small)
		return;
	if (nh > TUI_MAX_HEADER)
		nh = TUI_MAX_HEADER;
	l->header_h = nh;
	l->status_y = lines - 1;
	avail = lines - nh - 1;
	if (o->canvas) {
		/* Title line, grid, legend line: about half the rows. */
		block = avail / 2;
		l->canvas_y = nh;
		l->canvas_h = block;
		l->gutter_w = o->label_width < (unsigned int)cols / 3 ?
			      (int)o->label_width : cols / 3;
		l->grid_y = nh + 1;
		l->grid_h = block - 2;
		l->grid_x = l->gutter_w ? l->gutter_w + 1 : 0;
		l->grid_w = cols - l->grid_x;
	}
	l->table_y = nh + l->canvas_h;
	l->table_h = avail - l->canvas_h;
}

void tui_set_header_lines(struct tui *t, unsigned int n)
{
	t->opts.header_lines = n < TUI_MAX_HEADER ? n : TUI_MAX_HEADER;
	if (t->scr)
		tui_layout_compute(&t->lay, LINES, COLS, &t->opts);
}

size_t tui_fit(const char *s, unsigned int width, unsigned int *cells)
{
	size_t i = 0, n, len = strlen(s);
	unsigned int w = 0;
	mbstate_t st;
	wchar_t wc;
	int cw;

	memset(&st, 0, sizeof(st));
	while (i < len) {
		n = mbrtowc(&wc, s + i, len - i, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* Invalid byte: curses shows it as one cell. */
			memset(&st, 0, sizeof(st));
			n = 1;
			cw = 1;
		} else {
			cw = wcwidth(wc);
			if (cw < 0)
				cw = 1;
		}
		if (w + cw > width)
			break;
		w += cw;
		i += n;
	}
	if (cells)
		*cells = w;
	return i;
}

/* ---- state -------------------------------------------------------------- */

void tui_canvas_size(const struct tui *t, unsigned int *cols, unsigned int *rows)
{
	*cols = t->lay.grid_w;
	*rows = t->lay.grid_h;
}

unsigned int tui_table_rows(const struct tui *t)
{
	return t->lay.table_h > 1 ? t->lay.table_h - 1 : 0;
}

unsigned int tui_selected(const struct tui *t)
{
	if (!t->nrows)
		return 0;
	return t->sel < t->nrows ? t->sel : t->nrows - 1;
}

void tui_select(struct tui *t, unsigned int row)
{
	t->sel = row;
}

void tui_message(struct tui *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->msg, sizeof(t->msg), fmt, ap);
	va_end(ap);
	t->msg_ns = clock_ns(CLOCK_MONOTONIC);
}

void tui_resize(struct tui *t)
{
	struct winsize ws;

	if (!t->scr)
		return;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
	tui_layout_compute(&t->lay, LINES, COLS, &t->opts);
}

/* ---- keys --------------------------------------------------------------- */

/* One key of the filter line: edits t->edit, commits on Enter. */
static int tui_prompt_key(struct tui *t, int ch)
{
	size_t len = strlen(t->edit);

	switch (ch) {
	case '\n': case '\r': case KEY_ENTER:
		t->prompting = false;
		memcpy(t->filter, t->edit, sizeof(t->filter));
		return TUI_KEY_FILTER;
	case 27:
		t->prompting = false;
		break;
	case KEY_BACKSPACE: case 127: case '\b':
		/* Drop a whole UTF-8 sequence, not just its last byte. */
		while (len && (t->edit[len - 1] & 0xc0) == 0x80)
			len--;
		if (len)
			len--;
		t->edit[len] = '\0';
		break;
	case 'U' & 0x1f:
		t->edit[0] = '\0';
		break;
	default:
		if (ch >= ' ' && ch <= 0xff && ch != 127 && len + 1 < sizeof(t->edit)) {
			t->edit[len] = ch;
			t->edit[len + 1] = '\0';
		}
	}
	return TUI_KEY_REDRAW;
}

int tui_read_key(struct tui *t)
{
	unsigned int page = tui_table_rows(t);
	int ch, act;

	if (!t->scr)
		return TUI_KEY_NONE;
	ch = getch();
	if (ch == ERR)
		return TUI_KEY_NONE;
	t->ch = ch;
	if (ch == KEY_RESIZE) {
		tui_layout_compute(&t->lay, LINES, COLS, &t->opts);
		return TUI_KEY_RESIZE;
	}
	if (t->help) {
		t->help = false;
		return TUI_KEY_REDRAW;
	}
	if (t->prompting)
		return tui_prompt_key(t, ch);

	t->sel = tui_selected(t);
	act = tui_key_action(ch);
	switch (act) {
	case TUI_KEY_HELP:
		t->help = true;
		break;
	case TUI_KEY_PAUSE:
		t->paused = !t->paused;
		break;
	case TUI_KEY_FILTER:
		t->prompting = true;
		memcpy(t->edit, t->filter, sizeof(t->edit));
		return TUI_KEY_REDRAW;
	case TUI_KEY_UP:
		t->sel -= t->sel > 0;
		break;
	case TUI_KEY_DOWN:
		t->sel += t->sel + 1 < t->nrows;
		break;
	case TUI_KEY_PGUP:
		t->sel = t->sel > page ? t->sel - page : 0;
		break;
	case TUI_KEY_PGDN:
		t->sel = t->nrows && t->sel + page >= t->nrows ?
			 t->nrows - 1 : t->sel + page;
		break;
	case TUI_KEY_HOME:
		t->sel = 0;
		break;
	case TUI_KEY_END:
		t->sel = t->nrows ? t->nrows - 1 : 0;
		break;
	}
	return act;
}

/* ---- drawing ------------------------------------------------------------ */

/* s in at most w cells at (y, x), padded left when right-aligned. */
static void tui_put(int y, int x, unsigned int w, const char *s, bool right)
{
	unsigned int cells;
	size_t n = tui_fit(s, w, &cells);

	mvaddnstr(y, x + (right ? (int)(w - cells) : 0), s, n);
}

static void tui_fill(int y, int x, int w, attr_t a)
{
	/* hline takes its attributes from the character, not from attrset. */
	attrset(a);
	mvhline(y, x, ' ' | a, w);
}

static void tui_draw_header(struct tui *t, const struct tui_frame *f)
{
	int i, n = t->lay.header_h < (int)f->nheader ? t->lay.header_h : (int)f->nheader;
	unsigned int ew = 0, used;
	char every[32] = "";
	int at = 0;

	/* the refresh interval (+ and - change it) at the end of the first
	 * header line with room for it, else of the first one */
	if (t->refresh_ns) {
		snprintf(every, sizeof(every), "refresh %.3g s", t->refresh_ns / 1e9);
		tui_fit(every, t->lay.cols, &ew);
		for (i = 0; i < n; i++) {
			tui_fit(f->header[i] ? f->header[i] : "", t->lay.cols, &used);
			if (used + 2 + ew <= (unsigned int)t->lay.cols) {
				at = i;
				break;
			}
		}
	}
	for (i = 0; i < n; i++) {
		attrset(i ? A_NORMAL : A_BOLD);
		if (f->header[i])
			tui_put(i, 0, t->lay.cols - (i == at && ew ? ew + 2 : 0), f->header[i],
				false);
	}
	if (ew) {
		attrset(A_BOLD);
		tui_put(at, t->lay.cols - ew, ew, every, false);
	}
	attrset(A_NORMAL);
}

/* A cell of heat @level (-1: none) with @mark on it (' ': none); without
 * colour a mark replaces the heat character, reversed when hot. */
static void tui_heat_cell(const struct tui *t, int level, char mark)
{
	bool marked = mark && mark != ' ';

	if (level < 0) {
		attrset(A_NORMAL);
		addch(marked ? mark : ' ');
	} else if (t->mode == TUI_MONO) {
		attrset(marked && 2 * level >= tui_nlevels(t) ? A_REVERSE : A_NORMAL);
		addch(marked ? mark : tui_ramp_mono[level]);
	} else {
		attrset(COLOR_PAIR(TUI_PAIR_HEAT + level));
		addch(marked ? mark : ' ');
	}
}

static double tui_heat_max(const struct tui_heat *h)
{
	double max = 0;
	size_t i;

	for (i = 0; i < (size_t)h->nt * h->na; i++)
		if (h->heat[i] > max)
			max = h->heat[i];
	return max;
}

/* "0 <ramp> 20 accesses/aggr" under the grid, the time label on the right. */
static void tui_draw_legend(struct tui *t, const struct tui_heat *h, double max)
{
	const struct tui_layout *l = &t->lay;
	int i, n = tui_nlevels(t), y = l->grid_y + l->grid_h, room;
	/* Cells per level: colour ramps about 30 cells wide, characters 1. */
	int cw = t->mode == TUI_COLOR256 ? 2 : t->mode == TUI_COLOR8 ? 6 : 1;
	unsigned int tw = 0, uw;
	char buf[96];

	snprintf(buf, sizeof(buf), " %.3g %s", max, h->unit ? h->unit : "");
	tui_fit(buf, l->cols, &uw);
	if (h->time_label)
		tui_fit(h->time_label, l->cols, &tw);
	/* Narrow ramp cells before the scale text gets cut. */
	room = l->grid_w - 4 - (int)uw - (int)tw - 1;
	while (cw > 1 && n * cw > room)
		cw--;
	attrset(A_NORMAL);
	mvaddstr(y, l->grid_x, "0 ");
	if (t->mode == TUI_MONO)
		addch('[');
	for (i = 0; i < n * cw; i++)
		tui_heat_cell(t, i / cw, ' ');
	attrset(A_NORMAL);
	if (t->mode == TUI_MONO)
		addch(']');
	room = l->cols - getcurx(stdscr) - (int)tw - 1;
	if (room > 0)
		tui_put(y, getcurx(stdscr), room, buf, false);
	if (h->time_label)
		tui_put(y, l->cols - tw, tw, h->time_label, false);
}

static void tui_draw_heat(struct tui *t, const struct tui_heat *h)
{
	const struct tui_layout *l = &t->lay;
	unsigned int nt, na, t0, a, c;
	const char *prev = NULL;
	double max = h->max;
	int y, n = tui_nlevels(t);

	if (h->title) {
		attrset(tui_attr(t, TUI_TITLE));
		tui_put(l->canvas_y, 0, l->cols, h->title, false);
	}
	if (!(max > 0))
		max = tui_heat_max(h);
	/* More columns than fit: keep the newest (rightmost) ones. */
	nt = h->nt < (unsigned int)l->grid_w ? h->nt : (unsigned int)l->grid_w;
	na = h->na < (unsigned int)l->grid_h ? h->na : (unsigned int)l->grid_h;
	t0 = h->nt - nt;
	for (y = l->grid_y; y < l->grid_y + l->grid_h; y++) {
		if (l->gutter_w) {
			attrset(A_NORMAL);
			mvaddch(y, l->gutter_w, ACS_VLINE);
		}
		a = y - l->grid_y;
		if (a >= na)
			continue;
		/* One label per run of equal labels keeps the gutter readable. */
		if (l->gutter_w && h->row_labels && h->row_labels[a] &&
		    (!prev || strcmp(prev, h->row_labels[a]))) {
			tui_put(y, 0, l->gutter_w, h->row_labels[a], false);
			prev = h->row_labels[a];
		}
		move(y, l->grid_x);
		for (c = 0; c < nt; c++) {
			size_t i = (size_t)(t0 + c) * h->na + a;

			tui_heat_cell(t, tui_heat_level(h->heat[i], max, n),
				      h->marks ? h->marks[i] : ' ');
		}
	}
	tui_draw_legend(t, h, max);
}

static void tui_draw_table(struct tui *t, const struct tui_table *tb)
{
	const struct tui_layout *l = &t->lay;
	unsigned int vis = tui_table_rows(t), i, c, w;
	char title[64];
	int x, y;

	t->nrows = tb->nrows;
	t->sel = tui_selected(t);
	/* Keep the selection on screen with as few rows scrolled as possible. */
	if (t->sel < t->top)
		t->top = t->sel;
	if (t->sel >= t->top + vis)
		t->top = t->sel - vis + 1;
	if (t->top + vis > t->nrows)
		t->top = t->nrows > vis ? t->nrows - vis : 0;

	tui_fill(l->table_y, 0, l->cols, tui_attr(t, TUI_THEAD));
	for (c = 0, x = 0; c < tb->ncols && x < l->cols; c++, x += w + 1) {
		w = tb->cols[c].width ? tb->cols[c].width : (unsigned int)(l->cols - x);
		if (x + (int)w > l->cols)
			w = l->cols - x;
		if ((int)c == tb->sort_col) {
			/* the mark always shows: a title as wide as its column
			 * gives up its last cell to it */
			unsigned int cells;
			size_t n = tui_fit(tb->cols[c].title, w > 1 ? w - 1 : 0, &cells);

			snprintf(title, sizeof(title), "%.*s%s", (int)n, tb->cols[c].title,
				 t->utf8 ? "▼" : "*");
		} else {
			snprintf(title, sizeof(title), "%s", tb->cols[c].title);
		}
		if ((int)c == tb->sort_col)
			tui_fill(l->table_y, x, w, tui_attr(t, TUI_SORT));
		tui_put(l->table_y, x, w, title, tb->cols[c].right);
		attrset(tui_attr(t, TUI_THEAD));
	}
	for (i = 0; i < vis && t->top + i < t->nrows; i++) {
		const char *const *row = tb->cells + (size_t)(t->top + i) * tb->ncols;

		y = l->table_y + 1 + i;
		tui_fill(y, 0, l->cols, t->top + i == t->sel ?
			 tui_attr(t, TUI_SEL) : A_NORMAL);
		for (c = 0, x = 0; c < tb->ncols && x < l->cols; c++, x += w + 1) {
			w = tb->cols[c].width ? tb->cols[c].width : (unsigned int)(l->cols - x);
			if (x + (int)w > l->cols)
				w = l->cols - x;
			if (row[c])
				tui_put(y, x, w, row[c], tb->cols[c].right);
		}
	}
	attrset(A_NORMAL);
}

static void tui_draw_status(struct tui *t, const char *hint)
{
	int y = t->lay.status_y, x = 0, w = t->lay.cols;
	unsigned int rw = 0;
	bool filtered = t->filter[0] && !t->prompting;
	char right[96] = "", when[16] = "";
	struct tm tm;

	/* on the right: the filter, and when the figures on screen were
	 * taken (a paused picture keeps its time) */
	if (t->figures_at && localtime_r(&t->figures_at, &tm))
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
	snprintf(right, sizeof(right), "%s%s%s%s", filtered ? "filter: " : "",
		 filtered ? t->filter : "", filtered && when[0] ? "  " : "", when);
	if (right[0]) {
		tui_fit(right, w / 2, &rw);
		attrset(A_BOLD);
		tui_put(y, w - rw, rw, right, false);
		w -= rw + 1;
	}
	if (t->paused) {
		attrset(tui_attr(t, TUI_PAUSED));
		mvaddstr(y, 0, " PAUSED ");
		x = 9;
	}
	attrset(A_NORMAL);
	if (t->prompting) {
		mvaddstr(y, x, "filter: ");
		x += 8;
		tui_put(y, x, w - x - 1, t->edit, false);
		attrset(A_REVERSE);
		addch(' ');	/* curs_set(0) hides the real cursor */
	} else if (t->msg[0] && clock_ns(CLOCK_MONOTONIC) - t->msg_ns < TUI_MSG_SEC * 1000000000ull) {
		attrset(tui_attr(t, TUI_MSG));
		tui_put(y, x, w - x, t->msg, false);
	} else {
		tui_put(y, x, w - x, hint ? hint : tui_default_hint, false);
	}
	attrset(A_NORMAL);
}

static void tui_help_lines(const struct tui_help *h, int *n, int *kw, int *dw)
{
	for (; h && h->key; h++, (*n)++) {
		if ((int)strlen(h->key) > *kw)
			*kw = strlen(h->key);
		if ((int)strlen(h->desc) > *dw)
			*dw = strlen(h->desc);
	}
}

/* A centred box: the common keys, then the tool's own. */
static void tui_draw_help(struct tui *t)
{
	const struct tui_help *sets[] = { tui_common_help, t->opts.help };
	int n = 0, kw = 0, dw = 0, w, h, y0, x0, y, i;
	const struct tui_help *k;
	char title[64];

	for (i = 0; i < 2; i++)
		tui_help_lines(sets[i], &n, &kw, &dw);
	if (t->opts.help && t->opts.help->key)
		n++;	/* a blank line between the two sets */
	w = kw + dw + 7;
	h = n + 4;
	if (w > t->lay.cols)
		w = t->lay.cols;
	if (h > t->lay.lines)
		h = t->lay.lines;
	y0 = (t->lay.lines - h) / 2;
	x0 = (t->lay.cols - w) / 2;

	for (y = y0; y < y0 + h; y++)
		tui_fill(y, x0, w, A_NORMAL);
	mvhline(y0, x0 + 1, ACS_HLINE, w - 2);
	mvhline(y0 + h - 1, x0 + 1, ACS_HLINE, w - 2);
	mvvline(y0 + 1, x0, ACS_VLINE, h - 2);
	mvvline(y0 + 1, x0 + w - 1, ACS_VLINE, h - 2);
	mvaddch(y0, x0, ACS_ULCORNER);
	mvaddch(y0, x0 + w - 1, ACS_URCORNER);
	mvaddch(y0 + h - 1, x0, ACS_LLCORNER);
	mvaddch(y0 + h - 1, x0 + w - 1, ACS_LRCORNER);
	snprintf(title, sizeof(title), " %s keys ", t->opts.tool ? t->opts.tool : "");
	attrset(A_BOLD);
	tui_put(y0, x0 + 2, w - 4, title, false);
	attrset(A_NORMAL);
	tui_put(y0 + h - 1, x0 + 2, w - 4, " any key closes this ", false);

	y = y0 + 2;
	for (i = 0; i < 2; i++) {
		if (i && t->opts.help && t->opts.help->key)
			y++;
		for (k = sets[i]; k && k->key && y < y0 + h - 2; k++, y++) {
			attrset(A_BOLD);
			tui_put(y, x0 + 2, kw, k->key, false);
			attrset(A_NORMAL);
			tui_put(y, x0 + 4 + kw, w - kw - 6, k->desc, false);
		}
	}
}

static void tui_draw_too_small(const struct tui *t)
{
	char buf[80];
	unsigned int w;

	snprintf(buf, sizeof(buf), "terminal too small: %dx%d, need %dx%d",
		 t->lay.cols, t->lay.lines, TUI_MIN_COLS, TUI_MIN_LINES);
	tui_fit(buf, t->lay.cols, &w);
	attrset(A_BOLD);
	tui_put(t->lay.lines / 2, (t->lay.cols - (int)w) / 2, w, buf, false);
	attrset(A_NORMAL);
}

void *tui_view_new(size_t size, const struct tui_opts *opts)
{
	struct tui *t = calloc(1, size);
	int err;

	if (!t)
		return NULL;
	err = tui_init(t, opts);
	if (err) {
		free(t);
		errno = -err;
		return NULL;
	}
	return t;
}

struct tui *tui_view_frame(void *view)
{
	return view;
}

void tui_view_free(void *view)
{
	tui_fini(view);
	free(view);
}

void tui_show_refresh(struct tui *t, uint64_t ns, time_t figures_at)
{
	t->refresh_ns = ns;
	t->figures_at = figures_at;
}

void tui_draw(struct tui *t, const struct tui_frame *f)
{
	if (!t->scr)
		return;
	erase();
	if (t->lay.too_small) {
		tui_draw_too_small(t);
	} else {
		tui_draw_header(t, f);
		if (f->heat && t->opts.canvas)
			tui_draw_heat(t, f->heat);
		if (f->table && t->lay.table_h > 1)
			tui_draw_table(t, f->table);
		tui_draw_status(t, f->hint);
		if (t->help)
			tui_draw_help(t);
	}
	refresh();
}

void tui_row_set(struct tui_row *r, unsigned int col, double num, const char *fmt, ...)
{
	va_list ap;

	if (col >= TUI_ROW_COLS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->cell[col], TUI_ROW_CELL, fmt, ap);
	va_end(ap);
	r->num[col] = num;
}

static int tui_row_cmp(const void *a, const void *b, void *colp)
{
	const struct tui_row *x = a, *y = b;
	unsigned int col = *(const unsigned int *)colp;
	double p = x->num[col], q = y->num[col];

	if (isnan(p) || isnan(q))
		return strcmp(x->cell[col], y->cell[col]);
	return p < q ? 1 : p > q ? -1 : 0;
}

void tui_rows_sort(void *rows, size_t n, size_t size, unsigned int col)
{
	if (col < TUI_ROW_COLS)
		qsort_r(rows, n, size, tui_row_cmp, &col);
}

unsigned int tui_rows_filter(const struct tui *t, void *rows, size_t n, size_t size,
			     unsigned int ncols, const char **cells)
{
	unsigned int kept = 0;

	for (size_t i = 0; i < n; i++) {
		struct tui_row *r = (struct tui_row *)((char *)rows + i * size);
		bool match = !t->filter[0];

		for (unsigned int c = 0; c < ncols && c < TUI_ROW_COLS && !match; c++)
			match = strstr(r->cell[c], t->filter) != NULL;
		if (!match)
			continue;
		if (kept != i)
			memmove((char *)rows + kept * size, r, size);
		r = (struct tui_row *)((char *)rows + kept * size);
		for (unsigned int c = 0; c < ncols; c++)
			cells[kept * ncols + c] = c < TUI_ROW_COLS ? r->cell[c] : "";
		kept++;
	}
	return kept;
}
