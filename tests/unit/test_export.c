// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the heat grid exporters: damo's raw TSV text byte for byte
 * (relative and absolute axes, Python float text), PNG read back with
 * libpng (size, colours of known cells), SVG structure (one titled rect
 * per cell, well-formed enough to count), and refusal to overwrite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "export.h"

#define TMPDIR_NAME "export"
#include "tmpdir.h"

/* The file's whole text (NUL-terminated, caller frees). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

/* 2 x 2 cells: t_unit 5 ns from 1000, a_unit 50 B from 4096. */
static void small_grid(struct heatgrid *g)
{
	struct heat_span span = { 4096, 4196 };

	assert_int_equal(heatgrid_init(g, 2, 2, 1000, 1010, &span, 1), 0);
	g->model = HEAT_DAMO_33;	/* damo's raw text, byte for byte */
	g->heat[0] = 0.0;
	g->heat[1] = 12.5;
	g->heat[2] = NAN;
	g->heat[3] = 0.1 + 0.2;
}

static void test_tsv(void **state)
{
	struct export_opts o = { 0 };
	struct heatgrid g;
	char *text;

	(void)state;
	small_grid(&g);
	assert_int_equal(export_tsv(&g, test_path("rel.tsv"), NULL), 0);
	text = slurp(test_path("rel.tsv"));
	assert_string_equal(text,
			    "0\t0\t0.0\n"
			    "0\t50\t12.5\n"
			    "5\t0\tNaN\n"
			    "5\t50\t0.30000000000000004\n");
	free(text);

	o.abs_time = o.abs_addr = true;
	assert_int_equal(export_tsv(&g, test_path("abs.tsv"), &o), 0);
	text = slurp(test_path("abs.tsv"));
	assert_string_equal(text,
			    "1000\t4096\t0.0\n"
			    "1000\t4146\t12.5\n"
			    "1005\t4096\tNaN\n"
			    "1005\t4146\t0.30000000000000004\n");
	free(text);
	heatgrid_free(&g);
}

/* Relative addresses on a gapped axis count from the first span. */
static void test_tsv_spans(void **state)
{
	struct heat_span spans[] = { { 4096, 4146 }, { 8192, 8242 } };
	struct heatgrid g;
	char *text;

	(void)state;
	assert_int_equal(heatgrid_init(&g, 1, 2, 0, 10, spans, 2), 0);
	g.heat[0] = 1;
	g.heat[1] = 2;
	assert_int_equal(export_tsv(&g, test_path("spans.tsv"), NULL), 0);
	text = slurp(test_path("spans.tsv"));
	/* the default model says its unit first */
	assert_string_equal(text, "# time ns from the start, address from the first span's "
			    "start, heat in Hz: DAMON's sampled access frequency "
			    "(nr_accesses per second of aggregation), time counted once\n"
			    "0\t0\t1.0\n0\t4096\t2.0\n");
	free(text);
	heatgrid_free(&g);
}

static void test_tsv_stdout(void **state)
{
	int fd, saved;
	struct heatgrid g;
	char *text;

	(void)state;
	small_grid(&g);
	fd = open(test_path("stdout.tsv"), O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	assert_int_equal(export_tsv(&g, "-", NULL), 0);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	text = slurp(test_path("stdout.tsv"));
	assert_int_equal(count(text, "\n"), 4);
	assert_non_null(strstr(text, "0\t50\t12.5\n"));
	free(text);
	heatgrid_free(&g);
}

static void test_pyfloat(void **state)
{
	static const struct { double v; const char *text; } cases[] = {
		{ 0.0, "0.0" },
		{ -0.0, "-0.0" },
		{ 12.5, "12.5" },
		{ -2.5, "-2.5" },
		{ 123.0, "123.0" },
		{ 0.1, "0.1" },
		{ 1.0 / 3, "0.3333333333333333" },
		{ 0.0001, "0.0001" },
		{ 0.00001, "1e-05" },
		{ 9.921560395871322e-05, "9.921560395871322e-05" },
		{ 1e15, "1000000000000000.0" },
		{ 1e16, "1e+16" },
		{ 1.5e300, "1.5e+300" },
		{ 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		/* a power of two where the nearest 16 digits do not read
		 * back but the next ones up do */
		{ 7.120236347223045e-307, "7.120236347223045e-307" },
		{ INFINITY, "inf" },
		{ NAN, "NaN" },
	};
	char buf[EXPORT_PYFLOAT_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(export_pyfloat(cases[i].v, buf),
				    cases[i].text);
}

static void pixel(const uint8_t *px, unsigned int w, unsigned int x,
		  unsigned int y, uint8_t rgb[3])
{
	memcpy(rgb, px + ((size_t)y * w + x) * 3, 3);
}

/* The centre of cell (t, a); addresses grow upwards. */
static void cell_pixel(const struct heatgrid *g, const struct export_layout *l,
		       const uint8_t *px, unsigned int t, unsigned int a,
		       uint8_t rgb[3])
{
	pixel(px, l->width, l->plot_x + t * l->cell_w + l->cell_w / 2,
	      l->plot_y + (g->na - 1 - a) * l->cell_h + l->cell_h / 2, rgb);
}

static void assert_rgb(const uint8_t rgb[3], int r, int g, int b)
{
	assert_int_equal(rgb[0], r);
	assert_int_equal(rgb[1], g);
	assert_int_equal(rgb[2], b);
}

static void test_png(void **state)
{
	struct heat_span span = { 0, 1 << 20 };
	struct export_opts o = { .title = "test" };
	struct export_layout l;
	png_image im;
	struct heatgrid g;
	uint8_t *px, rgb[3];

	(void)state;
	assert_int_equal(heatgrid_init(&g, 3, 2, 0, 3000, &span, 1), 0);
	g.heat[0] = 0.0;	/* t0: cold, uncovered */
	g.heat[1] = NAN;
	g.heat[2] = 4.0;	/* t1: hottest, half */
	g.heat[3] = 2.0;
	g.heat[4] = 1.0;
	g.heat[5] = 0.0;
	assert_int_equal(export_png(&g, test_path("grid.png"), &o), 0);
	export_layout(&g, &o, &l);
	assert_true(l.cell_w >= 4 && l.cell_h >= 4);

	memset(&im, 0, sizeof(im));
	im.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_file(&im, test_path("grid.png")));
	assert_int_equal(im.width, l.width);
	assert_int_equal(im.height, l.height);
	assert_true(l.plot_x + 3 * l.cell_w <= l.width);
	im.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(im));
	assert_non_null(px);
	assert_true(png_image_finish_read(&im, NULL, px, 0, NULL));

	cell_pixel(&g, &l, px, 1, 0, rgb);
	assert_rgb(rgb, 255, 255, 255);		/* hottest: white */
	cell_pixel(&g, &l, px, 0, 0, rgb);
	assert_rgb(rgb, 0, 0, 0);		/* 0: black */
	cell_pixel(&g, &l, px, 0, 1, rgb);
	assert_rgb(rgb, 128, 128, 128);		/* NaN: grey */
	cell_pixel(&g, &l, px, 1, 1, rgb);
	assert_rgb(rgb, 255, 128, 0);		/* half: orange */
	/* the legend's top is the hottest colour, its bottom the coldest */
	pixel(px, l.width, l.legend_x + l.legend_w / 2, l.legend_y, rgb);
	assert_rgb(rgb, 255, 255, 255);
	pixel(px, l.width, l.legend_x + l.legend_w / 2,
	      l.legend_y + l.legend_h - 1, rgb);
	assert_rgb(rgb, 0, 0, 0);
	free(px);
	heatgrid_free(&g);
}

static void test_svg(void **state)
{
	struct export_opts o = { .title = "a<b & \"c\"" };
	struct heatgrid g;
	char *text;

	(void)state;
	small_grid(&g);
	assert_int_equal(export_svg(&g, test_path("grid.svg"), &o), 0);
	text = slurp(test_path("grid.svg"));
	assert_int_equal(strncmp(text, "<?xml", 5), 0);
	assert_int_equal(count(text, "<svg "), 1);
	assert_int_equal(count(text, "</svg>\n"), 1);
	assert_int_equal(strcmp(text + strlen(text) - 7, "</svg>\n"), 0);
	assert_int_equal(count(text, "<title>"), 4);
	assert_int_equal(count(text, "</title>"), 4);
	/* a rect per cell, plus background, legend bar and NaN swatch */
	assert_int_equal(count(text, "<rect "), 4 + 3);
	assert_int_equal(count(text, "</rect>"), 4);
	assert_int_equal(count(text, "<text"), count(text, "</text>"));
	assert_int_equal(count(text, "<g"), count(text, "</g>"));
	assert_non_null(strstr(text, "heat 12.5 Hz</title>"));	/* with its unit */
	assert_non_null(strstr(text, ">12.5 Hz</text>"));	/* the legend's top */
	assert_non_null(strstr(text, "a&lt;b &amp; &quot;c&quot;"));
	assert_null(strstr(text, "a<b"));
	free(text);
	heatgrid_free(&g);
}

/* Ticks at round values: seconds from the start, each span's start and
 * round MiB offsets in it, and the gap between spans marked. */
static void test_svg_ticks(void **state)
{
	struct heat_span spans[] = { { 1ull << 30, (1ull << 30) + (60 << 20) },
				     { 1ull << 40, (1ull << 40) + (40 << 20) } };
	struct heatgrid g;
	char *text;

	(void)state;
	assert_int_equal(heatgrid_init(&g, 32, 100, 0, 3200000000ull, spans, 2), 0);
	assert_int_equal(export_svg(&g, test_path("ticks.svg"), NULL), 0);
	text = slurp(test_path("ticks.svg"));
	/* 3.2 s: a tick every 0.5 s */
	assert_non_null(strstr(text, ">0s</text>"));
	assert_non_null(strstr(text, ">0.5s</text>"));
	assert_non_null(strstr(text, ">3s</text>"));
	assert_null(strstr(text, ">3.2s</text>"));
	/* 100 MiB: the spans at 0 and 60 MiB, every 20 MiB inside them */
	assert_non_null(strstr(text, ">0x0</text>"));
	assert_non_null(strstr(text, ">+20MiB</text>"));
	assert_non_null(strstr(text, ">+40MiB</text>"));
	assert_non_null(strstr(text, ">0x3c00000</text>"));
	assert_null(strstr(text, ">+60MiB</text>"));	/* past the first span */
	assert_int_equal(count(text, "addresses left out below"), 1);
	free(text);
	heatgrid_free(&g);
}

static void test_no_overwrite(void **state)
{
	struct export_opts force = { .force = true };
	struct heatgrid g;
	char target[256], *text;
	int fd;

	(void)state;
	small_grid(&g);
	fd = open(test_path("old"), O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "keep\n", 5), 5);
	close(fd);

	assert_int_equal(export_tsv(&g, test_path("old"), NULL), -EEXIST);
	assert_int_equal(export_png(&g, test_path("old"), NULL), -EEXIST);
	assert_int_equal(export_svg(&g, test_path("old"), NULL), -EEXIST);
	text = slurp(test_path("old"));
	assert_string_equal(text, "keep\n");
	free(text);

	assert_int_equal(export_tsv(&g, test_path("old"), &force), 0);
	text = slurp(test_path("old"));
	assert_int_equal(strncmp(text, "0\t0\t0.0\n", 8), 0);
	free(text);

	/* never through a symlink, even forced */
	snprintf(target, sizeof(target), "%s", test_path("old"));
	assert_int_equal(symlink(target, test_path("link")), 0);
	assert_true(export_svg(&g, test_path("link"), &force) < 0);
	text = slurp(test_path("old"));
	assert_int_equal(strncmp(text, "0\t0\t0.0\n", 8), 0);
	free(text);
	heatgrid_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsv),
		cmocka_unit_test(test_tsv_spans),
		cmocka_unit_test(test_tsv_stdout),
		cmocka_unit_test(test_pyfloat),
		cmocka_unit_test(test_png),
		cmocka_unit_test(test_svg),
		cmocka_unit_test(test_svg_ticks),
		cmocka_unit_test(test_no_overwrite),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
