/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The terminal frame every kscope tool shares: header lines, a heat canvas
 * (time left to right, address top to bottom) with its legend, a table with
 * a selected row, a status bar, a help box, and one key map for all tools.
 *
 * The tool owns the event loop.  The frame never blocks: when stdin is
 * readable the tool calls tui_read_key() until it returns TUI_KEY_NONE, and
 * after a model update or any key it calls tui_draw() once.  The frame holds
 * the state that must behave the same in every tool (pause, help, filter
 * text, table selection and scrolling); everything else is the tool's.
 *
 * curses.h is deliberately not included here: its macros (erase, clear,
 * timeout, ...) would leak into every tool.
 */
#ifndef KSCOPE_TUI_H
#define KSCOPE_TUI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Below this the frame draws only "terminal too small". */
#define TUI_MIN_COLS	80
#define TUI_MIN_LINES	24
#define TUI_MAX_HEADER	7	/* header lines the layout reserves at most */
#define TUI_MSG_SEC	4	/* how long a status message stays */

/* What a key means; tui_read_key() returns one of these. */
enum tui_key {
	TUI_KEY_NONE = 0,	/* no input pending: stop reading */
	TUI_KEY_REDRAW,		/* the frame's own state changed: redraw */
	TUI_KEY_QUIT,		/* q */
	TUI_KEY_HELP,		/* h ?  (the frame shows the help box) */
	TUI_KEY_PAUSE,		/* space (the frame toggles tui.paused) */
	TUI_KEY_FASTER,		/* + = */
	TUI_KEY_SLOWER,		/* - */
	TUI_KEY_SORT,		/* s */
	TUI_KEY_FILTER,		/* / text Enter: tui.filter holds the text */
	TUI_KEY_EXPORT,		/* e */
	TUI_KEY_UP,		/* arrows and paging move the table selection */
	TUI_KEY_DOWN,
	TUI_KEY_LEFT,
	TUI_KEY_RIGHT,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_ZOOM_IN,	/* z Enter */
	TUI_KEY_ZOOM_OUT,	/* Z Backspace */
	TUI_KEY_RESIZE,		/* the layout changed: re-ask tui_canvas_size() */
	TUI_KEY_OTHER,		/* anything else: the raw key is in tui.ch */
};

/* A line of the help box: "key" then what it does. */
struct tui_help {
	const char *key;
	const char *desc;
};

struct tui_opts {
	const char *tool;		/* name shown in the help box title */
	bool no_color;			/* --no-color: heat drawn with characters */
	bool canvas;			/* reserve about half the rows for a heat canvas */
	unsigned int header_lines;	/* lines the tool's header uses (<= TUI_MAX_HEADER) */
	unsigned int label_width;	/* width of the canvas row-label gutter; 0: none */
	const struct tui_help *help;	/* tool's own keys, ended by { NULL } */
};

/* A grid of doubles: column = time (oldest left), row = address. */
struct tui_heat {
	unsigned int nt, na;
	const double *heat;		/* heat[t * na + a]; NaN = nothing there */
	double max;			/* scale top; <= 0: the grid's own maximum */
	const char *const *row_labels;	/* na labels or NULL */
	const char *title;		/* line above the canvas */
	const char *time_label;		/* e.g. "<- 20 s ->", under the canvas */
	const char *unit;		/* legend scale text, e.g. "accesses/aggr" */
	const char *marks;		/* NULL, or a character per cell drawn on its
					 * heat (same layout; ' ': none) */
};

struct tui_col {
	const char *title;
	unsigned int width;		/* 0 for the last column: the rest of the line */
	bool right;			/* right-align (numbers) */
};

struct tui_table {
	const struct tui_col *cols;
	unsigned int ncols;
	const char *const *cells;	/* cells[row * ncols + col] */
	unsigned int nrows;
	int sort_col;			/* marked in the header; -1: none */
};

struct tui;

/*
 * A table row a tool fills, for tables sorted by any column: each cell's
 * text and the number it sorts by (NaN: a text column, sorted A to Z).
 * A tool's own row struct may start with one and carry more after it.
 */
#define TUI_ROW_COLS	12
#define TUI_ROW_CELL	160

struct tui_row {
	char cell[TUI_ROW_COLS][TUI_ROW_CELL];
	double num[TUI_ROW_COLS];
};

void tui_row_set(struct tui_row *r, unsigned int col, double num, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* @n rows of @size bytes, each starting with a struct tui_row: sorted by
 * @col, numbers high to low, text A to Z. */
void tui_rows_sort(void *rows, size_t n, size_t size, unsigned int col);
/* Keeps the rows with the filter text in one of their @ncols cells (all
 * when there is none) at the front, in order, and points @cells
 * (cells[row * ncols + col]) at them; returns how many. */
unsigned int tui_rows_filter(const struct tui *t, void *rows, size_t n, size_t size,
			     unsigned int ncols, const char **cells);

/* Everything one frame shows; any part may be NULL / 0. */
struct tui_frame {
	const char *const *header;
	unsigned int nheader;
	const struct tui_heat *heat;
	const struct tui_table *table;
	const char *hint;		/* key hint for the status bar; NULL: common keys */
};

/* Screen areas, recomputed from the terminal size. */
struct tui_layout {
	int lines, cols;
	bool too_small;
	int header_y, header_h;
	int canvas_y, canvas_h;		/* title line, grid rows, legend line */
	int grid_y, grid_x, grid_w, grid_h;
	int gutter_w;
	int table_y, table_h;		/* table header line plus rows */
	int status_y;
};

enum tui_mode { TUI_MONO, TUI_COLOR8, TUI_COLOR256 };

/* Embedded by the tool; zero it before tui_init().  Fields are read-only
 * for the tool except through the functions below. */
struct tui {
	struct screen *scr;		/* NULL when the terminal is not ours */
	struct tui_opts opts;
	struct tui_layout lay;
	enum tui_mode mode;
	bool utf8;
	bool paused;			/* toggled by space */
	uint64_t refresh_ns;		/* shown in the header; 0: not shown */
	time_t figures_at;		/* when the figures shown were taken; 0: not shown */
	bool help;			/* help box shown; any key closes it */
	bool prompting;			/* reading the filter line */
	int ch;				/* raw curses key of the last action */
	unsigned int sel, top, nrows;	/* table selection, first shown row, rows */
	char filter[64];		/* committed filter text ("" = none) */
	char edit[64];			/* filter line being typed */
	char msg[128];
	uint64_t msg_ns;		/* CLOCK_MONOTONIC when msg was set */
};

/* Take the terminal.  0, or -ENOTTY when stdin/stdout is not a terminal,
 * -EINVAL when curses does not know $TERM. */
int tui_init(struct tui *t, const struct tui_opts *opts);
/* Give the terminal back; safe on every path, idempotent. */
void tui_fini(struct tui *t);
/* Lend the terminal to another program (a tool's own view) and take it
 * back as it was, redrawn at the next tui_draw(). */
void tui_suspend(struct tui *t);
void tui_resume(struct tui *t);

/* A tool's view: a struct of @size bytes whose first member is its
 * struct tui, zeroed, with the terminal taken (NULL and errno when it
 * cannot be); its frame; the terminal given back and the view freed.
 * The live driver's struct live_view (live.h) takes the last two as they
 * are. */
void *tui_view_new(size_t size, const struct tui_opts *opts);
struct tui *tui_view_frame(void *view);
void tui_view_free(void *view);

/* Next key action, never blocking; loop until TUI_KEY_NONE, then redraw if
 * anything came back.  Also call it when epoll_wait() fails with EINTR: a
 * SIGWINCH that curses caught shows up here as TUI_KEY_RESIZE. */
int tui_read_key(struct tui *t);
/* For loops whose signalfd takes SIGWINCH (so curses never sees it). */
void tui_resize(struct tui *t);
/* A view whose header grows or shrinks (a detail screen): the layout for
 * @n header lines from the next draw on. */
void tui_set_header_lines(struct tui *t, unsigned int n);

/* Grid the canvas shows: size struct tui_heat to nt = cols, na = rows.
 * Both are 0 while the terminal is too small or opts.canvas is false. */
void tui_canvas_size(const struct tui *t, unsigned int *cols, unsigned int *rows);
/* Table rows visible at once (a page for PgUp/PgDn). */
unsigned int tui_table_rows(const struct tui *t);

/* Selected table row (clamped to the last drawn table); set it. */
unsigned int tui_selected(const struct tui *t);
void tui_select(struct tui *t, unsigned int row);

/* A status-bar message that stays TUI_MSG_SEC seconds. */
void tui_message(struct tui *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The refresh interval the header shows (0: none, e.g. a replay), and
 * when the figures on screen were taken, at the status bar's end (0: not
 * said): a paused picture says how old it is, a live one that it moves on. */
void tui_show_refresh(struct tui *t, uint64_t ns, time_t figures_at);
static inline bool tui_paused(const struct tui *t)
{
	return t->paused;
}

/* erase, draw every area, help box on top, one refresh. */
void tui_draw(struct tui *t, const struct tui_frame *f);

/* Heat as characters, coldest first: --no-color, and text views. */
#define TUI_HEAT_CHARS " .:-=+*#%@"

/* Pure helpers, no terminal needed (unit-tested). */
/* Curses key code -> enum tui_key, without the frame's state. */
int tui_key_action(int ch);
/* -1 for NaN, 0 for v <= 0, else 1..nlevels-1 in equal steps up to max. */
int tui_heat_level(double v, double max, int nlevels);
void tui_layout_compute(struct tui_layout *l, int lines, int cols,
			const struct tui_opts *o);
/* Bytes of s that fit in width screen cells (UTF-8 aware); *cells: used. */
size_t tui_fit(const char *s, unsigned int width, unsigned int *cells);

#endif
