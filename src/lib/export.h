/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Writers for a filled heat grid: PNG (libpng) and SVG images, and TSV in
 * damo's raw heatmap layout so that a kscope grid can be diffed against
 * `damo report heatmap --output raw`.  Images put time on x (left to
 * right) and addresses on y (upwards), one block per cell, coloured on a
 * black-red-yellow-white "hot" ramp from 0 to the hottest cell, with cells
 * no region covered in grey, and a legend bar.  Files are created with
 * outfile_open() rules: 0600, no symlinks, no overwriting unless forced.
 */
#ifndef KSCOPE_EXPORT_H
#define KSCOPE_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heatgrid.h"

struct export_opts {
	bool abs_time;		/* times as the clock's, not from t_start */
	bool abs_addr;		/* addresses as they are, not from the first */
	bool force;		/* replace an existing file */
	const char *title;	/* SVG heading, PNG "Title" text chunk; NULL: none */
	const char *const *span_names;	/* NULL, or a name per span of the grid
					 * (a mapping; NULL or "": none), the SVG's */
};

/* Where things go in an image, in pixels from the top-left corner. */
struct export_layout {
	unsigned int width, height;
	unsigned int plot_x, plot_y;	/* top-left of the cell area */
	unsigned int cell_w, cell_h;	/* at least 4 x 4 */
	unsigned int legend_x, legend_y, legend_w, legend_h;
};

void export_layout(const struct heatgrid *g, const struct export_opts *o,
		   struct export_layout *l);

/* The colour of @heat on a scale from 0 to @max; grey for NaN. */
void export_colour(double heat, double max, uint8_t rgb[3]);

/*
 * Each returns 0 or -errno; a file left half-written by an error is
 * removed.  @o may be NULL for defaults (relative axes, no force).
 */
int export_png(const struct heatgrid *g, const char *path,
	       const struct export_opts *o);
int export_svg(const struct heatgrid *g, const char *path,
	       const struct export_opts *o);
/* `time<TAB>address<TAB>heat` per cell, time-major like damo; "-" is
 * stdout. */
int export_tsv(const struct heatgrid *g, const char *path,
	       const struct export_opts *o);

#define EXPORT_PYFLOAT_LEN 32
/* @v as Python's repr() prints it ("0.0", "12.5", "1e-05", "1e+16"), the
 * shortest text that reads back as @v; NaN as damo's "NaN".  Returns buf. */
const char *export_pyfloat(double v, char buf[EXPORT_PYFLOAT_LEN]);

#endif
