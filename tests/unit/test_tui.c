// SPDX-License-Identifier: GPL-2.0
/*
 * The TUI frame's pure parts: the key map every tool shares, heat
 * quantisation, the layout at and around the 80x24 minimum, and fitting
 * UTF-8 text into screen cells.  No terminal is opened.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curses.h>

#include "tui.h"

static void test_keys(void **state)
{
	(void)state;
	assert_int_equal(tui_key_action(ERR), TUI_KEY_NONE);
	assert_int_equal(tui_key_action('q'), TUI_KEY_QUIT);
	assert_int_equal(tui_key_action('h'), TUI_KEY_HELP);
	assert_int_equal(tui_key_action('?'), TUI_KEY_HELP);
	assert_int_equal(tui_key_action(' '), TUI_KEY_PAUSE);
	assert_int_equal(tui_key_action('+'), TUI_KEY_FASTER);
	assert_int_equal(tui_key_action('-'), TUI_KEY_SLOWER);
	assert_int_equal(tui_key_action('s'), TUI_KEY_SORT);
	assert_int_equal(tui_key_action('/'), TUI_KEY_FILTER);
	assert_int_equal(tui_key_action('e'), TUI_KEY_EXPORT);
	assert_int_equal(tui_key_action(KEY_UP), TUI_KEY_UP);
	assert_int_equal(tui_key_action(KEY_NPAGE), TUI_KEY_PGDN);
	assert_int_equal(tui_key_action(KEY_HOME), TUI_KEY_HOME);
	assert_int_equal(tui_key_action('z'), TUI_KEY_ZOOM_IN);
	assert_int_equal(tui_key_action('\n'), TUI_KEY_ZOOM_IN);
	assert_int_equal(tui_key_action('Z'), TUI_KEY_ZOOM_OUT);
	assert_int_equal(tui_key_action(KEY_BACKSPACE), TUI_KEY_ZOOM_OUT);
	assert_int_equal(tui_key_action(127), TUI_KEY_ZOOM_OUT);
	assert_int_equal(tui_key_action(KEY_RESIZE), TUI_KEY_RESIZE);
	assert_int_equal(tui_key_action('x'), TUI_KEY_OTHER);
	assert_int_equal(tui_key_action('Q'), TUI_KEY_OTHER);
}

static void test_heat_level(void **state)
{
	int n = 10, prev = 0;
	double v;

	(void)state;
	assert_int_equal(tui_heat_level(NAN, 20, n), -1);
	assert_int_equal(tui_heat_level(0, 20, n), 0);
	assert_int_equal(tui_heat_level(-3, 20, n), 0);
	/* Any access at all is visibly above zero; the maximum is the top. */
	assert_int_equal(tui_heat_level(0.001, 20, n), 1);
	assert_int_equal(tui_heat_level(20, 20, n), n - 1);
	assert_int_equal(tui_heat_level(1000, 20, n), n - 1);
	/* No scale: everything present is "cold", nothing crashes. */
	assert_int_equal(tui_heat_level(5, 0, n), 0);
	assert_int_equal(tui_heat_level(5, NAN, n), 0);
	for (v = 0; v <= 20; v += 0.25) {
		int l = tui_heat_level(v, 20, n);

		assert_true(l >= prev);
		assert_true(l < n);
		prev = l;
	}
	/* Equal steps: half the maximum lands in the middle of 1..n-1. */
	assert_int_equal(tui_heat_level(10, 20, 11), 6);
}

static void test_layout_80x24(void **state)
{
	struct tui_opts o = { .canvas = true, .header_lines = 2, .label_width = 18 };
	struct tui_layout l;

	(void)state;
	tui_layout_compute(&l, 24, 80, &o);
	assert_false(l.too_small);
	assert_int_equal(l.header_h, 2);
	assert_int_equal(l.canvas_y, 2);
	assert_int_equal(l.grid_y, 3);
	assert_int_equal(l.grid_x, 19);
	assert_int_equal(l.grid_w, 61);
	assert_int_equal(l.grid_h, 8);
	assert_int_equal(l.table_y, 12);
	assert_int_equal(l.table_h, 11);
	assert_int_equal(l.status_y, 23);

	tui_layout_compute(&l, 24, 79, &o);
	assert_true(l.too_small);
	assert_int_equal(l.grid_w, 0);
	tui_layout_compute(&l, 23, 80, &o);
	assert_true(l.too_small);
}

/* Every size from the minimum up: areas tile the screen without overlap. */
static void test_layout_tiles(void **state)
{
	struct tui_opts o = { .label_width = 200 };
	struct tui_layout l;
	int lines, cols, canvas;
	unsigned int nh;

	(void)state;
	for (canvas = 0; canvas < 2; canvas++)
	for (nh = 0; nh <= TUI_MAX_HEADER + 1; nh++)
	for (lines = TUI_MIN_LINES; lines < 100; lines += 7)
	for (cols = TUI_MIN_COLS; cols < 300; cols += 13) {
		o.canvas = canvas;
		o.header_lines = nh;
		tui_layout_compute(&l, lines, cols, &o);
		assert_false(l.too_small);
		assert_true(l.header_h <= TUI_MAX_HEADER);
		assert_int_equal(l.header_y + l.header_h, canvas ? l.canvas_y : l.table_y);
		assert_int_equal(l.table_y + l.table_h, l.status_y);
		assert_int_equal(l.status_y, lines - 1);
		assert_true(l.table_h >= 2);
		if (!canvas) {
			assert_int_equal(l.grid_h, 0);
			continue;
		}
		assert_int_equal(l.canvas_y + l.canvas_h, l.table_y);
		assert_int_equal(l.grid_y, l.canvas_y + 1);
		assert_int_equal(l.grid_h, l.canvas_h - 2);
		assert_true(l.grid_h >= 1);
		/* About half the rows below the header, never the whole table. */
		assert_true(abs(l.canvas_h - l.table_h) <= 1);
		/* A huge gutter request is capped so the grid keeps most columns. */
		assert_true(l.gutter_w <= cols / 3);
		assert_int_equal(l.grid_x + l.grid_w, cols);
	}
}

static void test_fit(void **state)
{
	unsigned int cells;

	(void)state;
	assert_int_equal(tui_fit("abcdef", 3, &cells), 3);
	assert_int_equal(cells, 3);
	assert_int_equal(tui_fit("ab", 10, &cells), 2);
	assert_int_equal(cells, 2);
	assert_int_equal(tui_fit("", 10, &cells), 0);
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	/* A multibyte character is never cut in half. */
	assert_int_equal(tui_fit("ACCESS\u25bc", 7, &cells), 9);
	assert_int_equal(cells, 7);
	assert_int_equal(tui_fit("ACCESS\u25bc", 6, &cells), 6);
	/* A double-width character needs two cells or is left out. */
	assert_int_equal(tui_fit("a\u65e5b", 2, &cells), 1);
	assert_int_equal(cells, 1);
	assert_int_equal(tui_fit("a\u65e5b", 3, &cells), 4);
	assert_int_equal(cells, 3);
	/* Invalid UTF-8 counts one cell a byte, as curses shows it. */
	assert_int_equal(tui_fit("\xff\xfe" "ab", 3, &cells), 3);
}

/* a tool's row: the frame's part first, its own after */
struct my_row {
	struct tui_row r;
	int id;
};

static void test_rows(void **state)
{
	struct my_row rows[4] = {};
	const char *cells[4 * 2];
	struct tui t = {};
	static const char *const names[] = { "eth0", "vb", "lo", "veth9" };
	static const double polls[] = { 10, 300, NAN, 300 };

	(void)state;
	for (int i = 0; i < 4; i++) {
		rows[i].id = i;
		tui_row_set(&rows[i].r, 0, NAN, "%s", names[i]);
		if (isnan(polls[i]))
			tui_row_set(&rows[i].r, 1, -1, "-");
		else
			tui_row_set(&rows[i].r, 1, polls[i], "%.0f", polls[i]);
	}
	/* numbers high first (ties keep no promise), "-" last */
	tui_rows_sort(rows, 4, sizeof(rows[0]), 1);
	assert_int_equal(rows[0].r.num[1], 300);
	assert_int_equal(rows[1].r.num[1], 300);
	assert_int_equal(rows[2].id, 0);
	assert_string_equal(rows[3].r.cell[1], "-");
	/* text A to Z, the tool's fields moving with their row */
	tui_rows_sort(rows, 4, sizeof(rows[0]), 0);
	assert_string_equal(rows[0].r.cell[0], "eth0");
	assert_int_equal(rows[0].id, 0);
	assert_string_equal(rows[3].r.cell[0], "veth9");
	assert_int_equal(rows[3].id, 3);
	/* no filter: all; "v": vb and veth9, in order, cells pointed at */
	assert_int_equal(tui_rows_filter(&t, rows, 4, sizeof(rows[0]), 2, cells), 4);
	snprintf(t.filter, sizeof(t.filter), "v");
	assert_int_equal(tui_rows_filter(&t, rows, 4, sizeof(rows[0]), 2, cells), 2);
	assert_string_equal(cells[0], "vb");
	assert_string_equal(cells[2], "veth9");
	assert_int_equal(rows[1].id, 3);
	/* a cell cut to its size, a column past the end ignored */
	tui_row_set(&rows[0].r, 0, NAN, "%0200d", 1);
	assert_int_equal(strlen(rows[0].r.cell[0]), TUI_ROW_CELL - 1);
	tui_row_set(&rows[0].r, TUI_ROW_COLS, 1, "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_heat_level),
		cmocka_unit_test(test_layout_80x24),
		cmocka_unit_test(test_layout_tiles),
		cmocka_unit_test(test_fit),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests_name("tui", tests, NULL, NULL);
}
