// SPDX-License-Identifier: GPL-2.0
/*
 * Heat grid exporters: PNG and SVG images drawn on the same layout, and
 * damo's raw TSV.  The PNG labels use a built-in 5x7 pixel font holding
 * just what numbers, hex addresses and "NaN" need, so that images carry
 * their scale without a font library.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "export.h"
#include "outfile.h"
#include "units.h"

#define EXPORT_GLYPH_W	5
#define EXPORT_GLYPH_H	7
#define EXPORT_SCALE	2	/* image pixels per font pixel */
#define EXPORT_ADV	((EXPORT_GLYPH_W + 1) * EXPORT_SCALE)
#define EXPORT_TEXT_H	(EXPORT_GLYPH_H * EXPORT_SCALE)
#define EXPORT_PAD	10
#define EXPORT_TICK	5
#define EXPORT_MAX_TICKS	16	/* on an axis, at most */
#define EXPORT_LABEL	32

static const struct export_opts export_defaults;

/* ---- numbers ------------------------------------------------------------ */

const char *export_pyfloat(double v, char buf[EXPORT_PYFLOAT_LEN])
{
	char digits[UNITS_DIGITS_LEN];
	int decpt, nd, n = 0, exp10;

	if (isnan(v))
		return strcpy(buf, "NaN");
	if (isinf(v))
		return strcpy(buf, v < 0 ? "-inf" : "inf");
	if (v == 0)
		return strcpy(buf, signbit(v) ? "-0.0" : "0.0");
	if (v < 0)
		buf[n++] = '-';
	nd = units_shortest(fabs(v), digits, &decpt);

	/* Python's repr() switches to an exponent outside 1e-4 .. 1e16. */
	if (decpt <= -4 || decpt > 16) {
		exp10 = decpt - 1;
		buf[n++] = digits[0];
		if (nd > 1) {
			buf[n++] = '.';
			memcpy(buf + n, digits + 1, nd - 1);
			n += nd - 1;
		}
		snprintf(buf + n, EXPORT_PYFLOAT_LEN - n, "e%c%02d",
			 exp10 < 0 ? '-' : '+', abs(exp10));
		return buf;
	}
	if (decpt <= 0) {
		buf[n++] = '0';
		buf[n++] = '.';
		for (; decpt < 0; decpt++)
			buf[n++] = '0';
		memcpy(buf + n, digits, nd);
		n += nd;
	} else if (decpt < nd) {
		memcpy(buf + n, digits, decpt);
		n += decpt;
		buf[n++] = '.';
		memcpy(buf + n, digits + decpt, nd - decpt);
		n += nd - decpt;
	} else {
		memcpy(buf + n, digits, nd);
		n += nd;
		for (; nd < decpt; nd++)
			buf[n++] = '0';
		buf[n++] = '.';
		buf[n++] = '0';
	}
	buf[n] = '\0';
	return buf;
}

/* ---- layout and colours ------------------------------------------------- */

static uint64_t export_time(const struct heatgrid *g,
			    const struct export_opts *o, unsigned int t)
{
	uint64_t rel = (uint64_t)t * g->t_unit;

	return o->abs_time ? g->t_start + rel : rel;
}

/* Address where cell @a starts; @a == na gives the end of the axis. */
static uint64_t export_addr(const struct heatgrid *g,
			    const struct export_opts *o, unsigned int a)
{
	uint64_t addr = heatgrid_cell_addr(g, a);

	return o->abs_addr ? addr : addr - g->spans[0].start;
}

static void export_max_label(const struct heatgrid *g, char *buf)
{
	double max = heatgrid_max(g);

	snprintf(buf, EXPORT_LABEL, "%.3g Hz", isnan(max) ? 0 : max);
}

/* A tick on an axis: where (in cells from the axis start), its label, and
 * whether it starts a span of the address axis (a gap left out below). */
struct export_tick {
	double cell;
	char label[EXPORT_LABEL];
	bool span;		/* a span starts here after a gap */
	size_t index;		/* the span, for a span's first tick */
};

/* The smallest round step (1, 2 or 5 times a power of ten) that puts at
 * most @most ticks on @len. */
static uint64_t export_step(uint64_t len, unsigned int most)
{
	static const unsigned int m[] = { 1, 2, 5 };

	for (uint64_t p = 1;; p *= 10)
		for (int i = 0; i < 3; i++)
			if (len / (m[i] * p) <= most || p > UINT64_MAX / 100)
				return m[i] * p;
}

/* Time ticks at round seconds from the grid's start (with --abs-time,
 * labelled by the clock's time there). */
static unsigned int export_time_ticks(const struct heatgrid *g, const struct export_opts *o,
				      struct export_tick *tk)
{
	uint64_t len = (uint64_t)g->nt * g->t_unit, step = export_step(len, EXPORT_MAX_TICKS / 2);
	unsigned int n = 0;

	for (uint64_t t = 0; t <= len && n < EXPORT_MAX_TICKS; t += step, n++) {
		tk[n] = (struct export_tick){ .cell = (double)t / g->t_unit };
		if (o->abs_time)
			snprintf(tk[n].label, EXPORT_LABEL, "%.1fs", (g->t_start + t) / 1e9);
		else
			snprintf(tk[n].label, EXPORT_LABEL, "%gs", t / 1e9);
	}
	return n;
}

/* Address ticks: each span's start (its address, or its offset with the
 * axis relative), then round MiB (or KiB) offsets from it, as room allows. */
static unsigned int export_addr_ticks(const struct heatgrid *g, const struct export_opts *o,
				      struct export_tick *tk)
{
	uint64_t len = (uint64_t)g->na * g->a_unit;
	uint64_t unit = len >= (8 << 20) ? 1 << 20 : 1 << 10;
	uint64_t step = export_step(len / unit, EXPORT_MAX_TICKS / 2) * unit;
	unsigned int n = 0;

	for (size_t i = 0; i < g->nr_spans && n < EXPORT_MAX_TICKS; i++) {
		uint64_t off = g->span_off[i], size = g->spans[i].end - g->spans[i].start;

		if (off >= len)
			break;
		tk[n] = (struct export_tick){ .cell = (double)off / g->a_unit, .span = i > 0,
					      .index = i };
		snprintf(tk[n++].label, EXPORT_LABEL, "0x%" PRIx64,
			 o->abs_addr ? g->spans[i].start : off);
		for (uint64_t d = step; d < size && off + d <= len && n < EXPORT_MAX_TICKS;
		     d += step) {
			tk[n] = (struct export_tick){ .cell = (double)(off + d) / g->a_unit };
			snprintf(tk[n++].label, EXPORT_LABEL, "+%" PRIu64 "%s", d / unit,
				 unit == 1 << 20 ? "MiB" : "KiB");
		}
	}
	return n;
}

void export_layout(const struct heatgrid *g, const struct export_opts *o,
		   struct export_layout *l)
{
	struct export_tick tk[EXPORT_MAX_TICKS];
	char label[EXPORT_LABEL];
	size_t addr_chars = 0, legend_chars = strlen("NaN");
	unsigned int k, n;

	if (!o)
		o = &export_defaults;
	n = export_addr_ticks(g, o, tk);
	for (k = 0; k < n; k++)
		if (strlen(tk[k].label) > addr_chars)
			addr_chars = strlen(tk[k].label);
	export_max_label(g, label);
	if (strlen(label) > legend_chars)
		legend_chars = strlen(label);

	/* Aim at roughly 800 x 480 for the cells, never under 4 px each. */
	l->cell_w = g->nt >= 200 ? 4 : 800 / g->nt;
	l->cell_h = g->na >= 120 ? 4 : 480 / g->na;
	l->plot_x = EXPORT_PAD + addr_chars * EXPORT_ADV + EXPORT_TICK + 4;
	l->plot_y = 2 * EXPORT_PAD + EXPORT_TEXT_H;	/* room for a title */
	l->legend_x = l->plot_x + g->nt * l->cell_w + 3 * EXPORT_PAD;
	l->legend_y = l->plot_y;
	l->legend_w = 8 * EXPORT_SCALE;
	l->legend_h = g->na * l->cell_h;
	l->width = l->legend_x + l->legend_w + 4 + legend_chars * EXPORT_ADV +
		   EXPORT_PAD;
	l->height = l->plot_y + l->legend_h + EXPORT_TICK + 4 + EXPORT_TEXT_H +
		    EXPORT_PAD;
}

static uint8_t export_ramp(double x)
{
	return x <= 0 ? 0 : x >= 1 ? 255 : (uint8_t)lround(x * 255);
}

void export_colour(double heat, double max, uint8_t rgb[3])
{
	double v;

	if (isnan(heat)) {
		rgb[0] = rgb[1] = rgb[2] = 128;
		return;
	}
	v = max > 0 ? heat / max : 0;
	/* black -> red -> yellow -> white: brightness grows with heat */
	rgb[0] = export_ramp(3 * v);
	rgb[1] = export_ramp(3 * v - 1);
	rgb[2] = export_ramp(3 * v - 2);
}

/* ---- files -------------------------------------------------------------- */

static FILE *export_open(const char *path, const struct export_opts *o,
			 bool dash_is_stdout)
{
	if (dash_is_stdout && !strcmp(path, "-"))
		return stdout;
	return outfile_fopen(path, o->force);
}

/* Finish a file; on any error remove what was written.  Returns @err or
 * the first error of flushing and closing. */
static int export_close(FILE *f, const char *path, int err)
{
	if (fflush(f) && !err)
		err = -errno;
	if (ferror(f) && !err)
		err = -EIO;
	if (f == stdout)
		return err;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		unlink(path);
	return err;
}

/* ---- TSV ---------------------------------------------------------------- */

int export_tsv(const struct heatgrid *g, const char *path,
	       const struct export_opts *o)
{
	char num[EXPORT_PYFLOAT_LEN];
	unsigned int t, a;
	FILE *f;

	if (!o)
		o = &export_defaults;
	f = export_open(path, o, true);
	if (!f)
		return -errno;
	/* the unit, on a line without tabs (a parser of damo's three columns
	 * passes over it); damo-3.3's numbers come as damo writes them */
	if (g->model == HEAT_ONCE)
		fprintf(f, "# time %s, address %s, heat in Hz: DAMON's sampled access "
			"frequency (nr_accesses per second of aggregation), time counted "
			"once\n", o->abs_time ? "ns" : "ns from the start",
			o->abs_addr ? "absolute" : "from the first span's start");
	for (t = 0; t < g->nt; t++) {
		uint64_t time = export_time(g, o, t);

		for (a = 0; a < g->na; a++)
			fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%s\n", time,
				export_addr(g, o, a),
				export_pyfloat(g->heat[(size_t)t * g->na + a],
					       num));
	}
	return export_close(f, path, 0);
}

/* ---- PNG ---------------------------------------------------------------- */

/* Glyphs for export_glyph_chars, 7 rows of 5 bits, leftmost pixel high. */
static const char export_glyph_chars[] = "0123456789abcdefxs.-+NHzMKGiB";
static const uint8_t export_glyphs[][EXPORT_GLYPH_H] = {
	{ 0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e },	/* 0 */
	{ 0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e },	/* 1 */
	{ 0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f },	/* 2 */
	{ 0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e },	/* 3 */
	{ 0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02 },	/* 4 */
	{ 0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e },	/* 5 */
	{ 0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e },	/* 6 */
	{ 0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08 },	/* 7 */
	{ 0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e },	/* 8 */
	{ 0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c },	/* 9 */
	{ 0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f },	/* a */
	{ 0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e },	/* b */
	{ 0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e },	/* c */
	{ 0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f },	/* d */
	{ 0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e },	/* e */
	{ 0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08 },	/* f */
	{ 0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11 },	/* x */
	{ 0x00, 0x00, 0x0e, 0x10, 0x0e, 0x01, 0x1e },	/* s */
	{ 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c },	/* . */
	{ 0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00 },	/* - */
	{ 0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00 },	/* + */
	{ 0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11 },	/* N */
	{ 0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11 },	/* H */
	{ 0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f },	/* z */
	{ 0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11 },	/* M */
	{ 0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11 },	/* K */
	{ 0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f },	/* G */
	{ 0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e },	/* i */
	{ 0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e },	/* B */
};

struct export_image {
	unsigned int w, h;
	uint8_t *px;	/* RGB rows, top first */
};

static void export_fill(struct export_image *im, int x, int y, int w, int h,
			const uint8_t rgb[3])
{
	int i, j;

	for (j = y < 0 ? 0 : y; j < y + h && j < (int)im->h; j++) {
		for (i = x < 0 ? 0 : x; i < x + w && i < (int)im->w; i++)
			memcpy(im->px + ((size_t)j * im->w + i) * 3, rgb, 3);
	}
}

static const uint8_t export_black[3] = { 0, 0, 0 };

/* Draw @s with its top-left corner at (x, y); align: 0 left, 1 centre,
 * 2 right of x. */
static void export_text(struct export_image *im, int x, int y,
			const char *s, int align)
{
	int len = strlen(s), r, c;

	x -= align * len * EXPORT_ADV / 2;
	for (; *s; s++, x += EXPORT_ADV) {
		const char *k = strchr(export_glyph_chars, *s);

		if (!k)
			continue;	/* no glyph: leave a space */
		for (r = 0; r < EXPORT_GLYPH_H; r++) {
			for (c = 0; c < EXPORT_GLYPH_W; c++) {
				uint8_t row = export_glyphs[k - export_glyph_chars][r];

				if (row & (0x10 >> c))
					export_fill(im, x + c * EXPORT_SCALE,
						    y + r * EXPORT_SCALE,
						    EXPORT_SCALE, EXPORT_SCALE,
						    export_black);
			}
		}
	}
}

static void export_draw(struct export_image *im, const struct heatgrid *g,
			const struct export_opts *o,
			const struct export_layout *l)
{
	static const uint8_t white[3] = { 255, 255, 255 };
	int pw = g->nt * l->cell_w, ph = g->na * l->cell_h;
	int px = l->plot_x, py = l->plot_y, base = py + ph;
	double max = heatgrid_max(g);
	struct export_tick tk[EXPORT_MAX_TICKS];
	char label[EXPORT_LABEL];
	uint8_t rgb[3];
	unsigned int t, a, k, n;
	int y, last;

	export_fill(im, 0, 0, im->w, im->h, white);
	for (t = 0; t < g->nt; t++) {
		for (a = 0; a < g->na; a++) {
			export_colour(g->heat[(size_t)t * g->na + a], max, rgb);
			export_fill(im, px + t * l->cell_w,
				    base - (a + 1) * l->cell_h,
				    l->cell_w, l->cell_h, rgb);
		}
	}
	/* frame, ticks and labels */
	export_fill(im, px - 1, py - 1, pw + 2, 1, export_black);
	export_fill(im, px - 1, base, pw + 2, 1, export_black);
	export_fill(im, px - 1, py - 1, 1, ph + 2, export_black);
	export_fill(im, px + pw, py - 1, 1, ph + 2, export_black);
	n = export_time_ticks(g, o, tk);
	for (k = 0; k < n; k++) {
		int x = px + (int)lround(tk[k].cell * l->cell_w);

		export_fill(im, x - (x >= px + pw), base, 1, EXPORT_TICK, export_black);
		/* the outer labels stay within the plot's width */
		export_text(im, x, base + EXPORT_TICK + 4, tk[k].label,
			    k == 0 ? 0 : x >= px + pw - 20 ? 2 : 1);
	}
	n = export_addr_ticks(g, o, tk);
	for (k = 0, last = INT_MAX; k < n; k++) {
		int ya = base - (int)lround(tk[k].cell * l->cell_h);

		export_fill(im, px - EXPORT_TICK * (tk[k].span ? 2 : 1), ya - (ya <= py),
			    EXPORT_TICK * (tk[k].span ? 2 : 1), 1, export_black);
		/* a span after a gap left out: a dotted line across */
		for (int x = px; tk[k].span && x < px + pw; x += 4)
			export_fill(im, x, ya, 2, 1, white);
		if (last - ya < EXPORT_TEXT_H + 2)
			continue;	/* no room for its label */
		export_text(im, px - EXPORT_TICK * 2 - 4, ya - EXPORT_TEXT_H / 2, tk[k].label, 2);
		last = ya;
	}
	/* legend: the ramp from 0 (bottom) to the hottest cell (top) */
	for (y = 0; y < (int)l->legend_h; y++) {
		double v = l->legend_h > 1 ?
			   1 - (double)y / (l->legend_h - 1) : 1;

		export_colour(v, 1, rgb);
		export_fill(im, l->legend_x, l->legend_y + y, l->legend_w, 1,
			    rgb);
	}
	export_max_label(g, label);
	export_text(im, l->legend_x + l->legend_w + 4,
		    l->legend_y - EXPORT_TEXT_H / 2, label, 0);
	export_text(im, l->legend_x + l->legend_w + 4,
		    l->legend_y + l->legend_h - EXPORT_TEXT_H / 2, "0", 0);
	export_colour(NAN, 1, rgb);
	export_fill(im, l->legend_x, base + EXPORT_TICK + 4, l->legend_w,
		    EXPORT_TEXT_H, rgb);
	export_text(im, l->legend_x + l->legend_w + 4, base + EXPORT_TICK + 4,
		    "NaN", 0);
}

static void export_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;	/* reported as EIO by the caller */
	png_longjmp(png, 1);
}

static void export_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int export_png_write(FILE *f, const struct export_image *im,
			    const char *title)
{
	png_structp png;
	png_infop info;
	png_text text[2];
	unsigned int y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
				      export_png_error, export_png_warning);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, im->w, im->h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	memset(text, 0, sizeof(text));
	text[0].compression = PNG_TEXT_COMPRESSION_NONE;
	text[0].key = (char *)"Software";
	text[0].text = (char *)"kscope";
	text[1].compression = PNG_TEXT_COMPRESSION_NONE;
	text[1].key = (char *)"Title";
	text[1].text = (char *)title;
	png_set_text(png, info, text, title ? 2 : 1);
	png_write_info(png, info);
	for (y = 0; y < im->h; y++)
		png_write_row(png, im->px + (size_t)y * im->w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

int export_png(const struct heatgrid *g, const char *path,
	       const struct export_opts *o)
{
	struct export_layout l;
	struct export_image im;
	FILE *f;
	int err;

	if (!o)
		o = &export_defaults;
	export_layout(g, o, &l);
	im.w = l.width;
	im.h = l.height;
	im.px = malloc((size_t)im.w * im.h * 3);
	if (!im.px)
		return -ENOMEM;
	export_draw(&im, g, o, &l);

	f = export_open(path, o, false);
	if (!f) {
		err = -errno;
		goto cleanup;
	}
	err = export_close(f, path, export_png_write(f, &im, o->title));
cleanup:
	free(im.px);
	return err;
}

/* ---- SVG ---------------------------------------------------------------- */

static void export_xml(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void export_svg_text(FILE *f, int x, int y, const char *anchor,
			    const char *s)
{
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">", x, y, anchor);
	export_xml(f, s);
	fputs("</text>\n", f);
}

static void export_svg_write(FILE *f, const struct heatgrid *g,
			     const struct export_opts *o,
			     const struct export_layout *l)
{
	int pw = g->nt * l->cell_w, ph = g->na * l->cell_h;
	int px = l->plot_x, py = l->plot_y, base = py + ph;
	double max = heatgrid_max(g);
	struct export_tick tk[EXPORT_MAX_TICKS];
	char label[EXPORT_LABEL], num[EXPORT_PYFLOAT_LEN];
	unsigned int t, a, k, n;
	double last;
	uint8_t rgb[3];

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\" font-family=\"monospace\" "
		"font-size=\"12\">\n", l->width, l->height, l->width, l->height);
	fprintf(f, "<defs><linearGradient id=\"ramp\" x1=\"0\" y1=\"1\" "
		"x2=\"0\" y2=\"0\">");
	for (k = 0; k <= 6; k++) {
		export_colour(k / 6.0, 1, rgb);
		fprintf(f, "<stop offset=\"%.3f\" stop-color=\"#%02x%02x%02x\"/>",
			k / 6.0, rgb[0], rgb[1], rgb[2]);
	}
	fputs("</linearGradient></defs>\n", f);
	fprintf(f, "<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n");
	if (o->title)
		export_svg_text(f, px, EXPORT_PAD + 12, "start", o->title);

	fputs("<g shape-rendering=\"crispEdges\">\n", f);
	for (t = 0; t < g->nt; t++) {
		for (a = 0; a < g->na; a++) {
			double h = g->heat[(size_t)t * g->na + a];

			export_colour(h, max, rgb);
			fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" "
				"height=\"%u\" fill=\"#%02x%02x%02x\"><title>",
				px + t * l->cell_w, base - (a + 1) * l->cell_h,
				l->cell_w, l->cell_h, rgb[0], rgb[1], rgb[2]);
			if (o->abs_time)
				fprintf(f, "time %" PRIu64 " ns",
					export_time(g, o, t));
			else
				fprintf(f, "time %.6f s",
					export_time(g, o, t) / 1e9);
			fprintf(f, ", address 0x%" PRIx64 ", heat %s%s</title>"
				"</rect>\n", export_addr(g, o, a),
				isnan(h) ? "none (not monitored)" :
				export_pyfloat(h, num), isnan(h) ? "" : " Hz");
		}
	}
	fputs("</g>\n", f);

	fprintf(f, "<g fill=\"none\" stroke=\"black\">"
		"<path d=\"M%d %d h%d v%d h%d z\"/></g>\n", px, py, pw, ph, -pw);
	n = export_time_ticks(g, o, tk);
	for (k = 0; k < n; k++) {
		double x = px + tk[k].cell * l->cell_w;

		fprintf(f, "<path d=\"M%.1f %d v%d\" stroke=\"black\"/>\n", x, base,
			EXPORT_TICK);
		export_svg_text(f, (int)x, base + EXPORT_TICK + 14,
				k == 0 ? "start" : x >= px + pw - 20 ? "end" : "middle",
				tk[k].label);
	}
	n = export_addr_ticks(g, o, tk);
	for (k = 0, last = INFINITY; k < n; k++) {
		double y = base - tk[k].cell * l->cell_h;

		fprintf(f, "<path d=\"M%d %.1f h%d\" stroke=\"black\"/>\n", px, y,
			-EXPORT_TICK * (tk[k].span ? 2 : 1));
		/* a span after a gap left out: a dashed line across */
		if (tk[k].span)
			fprintf(f, "<path d=\"M%d %.1f h%d\" stroke=\"white\" "
				"stroke-dasharray=\"2 2\"><title>addresses left out "
				"below (not mapped)</title></path>\n", px, y, pw);
		if (last - y < 12)
			continue;	/* no room for its label */
		last = y;
		export_svg_text(f, px - EXPORT_TICK * 2 - 3, (int)y + 4, "end", tk[k].label);
		/* a span's mapping, inside the plot above its start */
		if (o->span_names && tk[k].label[0] == '0' && o->span_names[tk[k].index] &&
		    o->span_names[tk[k].index][0])
			export_svg_text(f, px + 3, (int)y - 3, "start", o->span_names[tk[k].index]);
	}

	fprintf(f, "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
		"fill=\"url(#ramp)\" stroke=\"black\"/>\n",
		l->legend_x, l->legend_y, l->legend_w, l->legend_h);
	export_max_label(g, label);
	export_svg_text(f, l->legend_x + l->legend_w + 4, l->legend_y + 4,
			"start", label);
	export_svg_text(f, l->legend_x + l->legend_w + 4,
			l->legend_y + l->legend_h + 4, "start", "0");
	fprintf(f, "<rect x=\"%u\" y=\"%d\" width=\"%u\" height=\"%d\" "
		"fill=\"#808080\" stroke=\"black\"/>\n", l->legend_x,
		base + EXPORT_TICK + 4, l->legend_w, EXPORT_TEXT_H);
	export_svg_text(f, l->legend_x + l->legend_w + 4,
			base + EXPORT_TICK + 4 + 12, "start", "NaN");
	fputs("</svg>\n", f);
}

int export_svg(const struct heatgrid *g, const char *path,
	       const struct export_opts *o)
{
	struct export_layout l;
	FILE *f;

	if (!o)
		o = &export_defaults;
	export_layout(g, o, &l);
	f = export_open(path, o, false);
	if (!f)
		return -errno;
	export_svg_write(f, g, o, &l);
	return export_close(f, path, 0);
}
