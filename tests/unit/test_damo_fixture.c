// SPDX-License-Identifier: GPL-2.0
/*
 * damo itself as the reference for the heat grid: a real `damo record`
 * (damo 3.3.0, a zlib stream of JSON) is loaded with record_load(), as
 * `damontop report` loads it, its default ranges and its 40x80 relative
 * and 10x20 absolute heatmaps are computed with heatgrid and written with
 * export_tsv, and the text is compared cell by cell with damo's own
 * `report heatmap --output raw` of the same record.  The loader itself is
 * tested in test_damo.c.
 *
 * The fixtures live outside the repository (damo_fixtures.h); without
 * them these tests are reported as skipped, with the places tried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "heatgrid.h"
#include "record.h"

#define TMPDIR_NAME "damo-fixture"
#include "tmpdir.h"
#include "damo_fixtures.h"

#define DAMO_RAW_REL	"paddr-kdamond.heatmap-raw-40x80.tsv"
#define DAMO_RAW_ABS	"paddr-kdamond.heatmap-raw-10x20-abs.tsv"

#define REL_TOL		0.01	/* relative, for non-zero cells */
#define ZERO_TOL	1e-9	/* absolute, where damo wrote 0 */

static struct {
	int err;		/* loading the record */
	char why[256];
	struct recording rec;
} fx;

static int setup(void **state)
{
	if (group_setup(state))
		return -1;
	if (fxdir.found)
		fx.err = record_load(fixture_path(DAMO_DATA), &fx.rec, fx.why,
				     sizeof(fx.why));
	return 0;
}

static int teardown(void **state)
{
	recording_free(&fx.rec);
	return group_teardown(state);
}

/*
 * Whether the fixture tests can run: false without the fixtures, whose
 * tests main() has named as TAP skips; a fixture that does not load fails.
 */
static bool need_fixture(void)
{
	if (!fxdir.found)
		return false;
	if (fx.err)
		print_message("# %s: %s (%s)\n", fixture_path(DAMO_DATA),
			      fx.why, strerror(-fx.err));
	assert_int_equal(fx.err, 0);
	return true;
}

/* ---- raw heatmap text --------------------------------------------------- */

struct raw_cell {
	uint64_t time;
	uint64_t addr;
	double heat;
	char text[EXPORT_PYFLOAT_LEN];	/* the heat as written */
};

/* Every `time<TAB>address<TAB>heat` line of @path; the caller frees. */
static size_t raw_load(const char *path, struct raw_cell **cells)
{
	FILE *f = fopen(path, "r");
	struct raw_cell *c = NULL;
	size_t n = 0, cap = 0, sz = 0;
	char *line = NULL, *p, *end;
	ssize_t len;

	if (!f)
		print_message("# %s: %s\n", path, strerror(errno));
	assert_non_null(f);
	while ((len = getline(&line, &sz, f)) > 0) {
		struct raw_cell *r;

		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			c = realloc(c, cap * sizeof(*c));
			assert_non_null(c);
		}
		r = &c[n++];
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		errno = 0;
		r->time = strtoull(line, &end, 10);
		assert_true(end != line && *end == '\t' && !errno);
		p = end + 1;
		r->addr = strtoull(p, &end, 10);
		assert_true(end != p && *end == '\t' && !errno);
		p = end + 1;
		assert_true(strlen(p) < sizeof(r->text));
		strcpy(r->text, p);
		r->heat = strtod(p, &end);	/* "NaN" reads as NaN */
		assert_true(end != p && *end == '\0');
	}
	free(line);
	fclose(f);
	*cells = c;
	return n;
}

/*
 * Write @g with export_tsv and compare every cell with damo's raw file:
 * the same times and addresses, NaN exactly where damo has NaN, heat
 * within REL_TOL (ZERO_TOL where damo has 0).  Our text must also read
 * back as the grid's very value.  Returns the largest relative error.
 */
static double compare_raw(const struct heatgrid *g,
			  const struct export_opts *o, const char *name,
			  const char *damo_file)
{
	struct raw_cell *ours, *theirs;
	size_t n, i, covered = 0, same_text = 0;
	double max_rel = 0;

	assert_int_equal(export_tsv(g, test_path(name), o), 0);
	n = raw_load(test_path(name), &ours);
	assert_int_equal(n, (size_t)g->nt * g->na);
	assert_int_equal(raw_load(fixture_path(damo_file), &theirs), n);

	for (i = 0; i < n; i++) {
		const struct raw_cell *a = &ours[i], *b = &theirs[i];
		double want = g->heat[i], err;
		bool ok;

		/* export_tsv: Python's shortest text, exactly the value */
		assert_true(isnan(want) ? isnan(a->heat) : a->heat == want);
		if (!strcmp(a->text, b->text))
			same_text++;
		if (a->time != b->time || a->addr != b->addr)
			print_message("# %s line %zu: ours %" PRIu64 " %"
				      PRIu64 ", damo %" PRIu64 " %" PRIu64
				      "\n", name, i + 1, a->time, a->addr,
				      b->time, b->addr);
		assert_int_equal(a->time, b->time);
		assert_int_equal(a->addr, b->addr);

		if (isnan(b->heat) || isnan(a->heat)) {
			ok = isnan(b->heat) && isnan(a->heat);
			err = 0;
		} else if (b->heat == 0) {
			err = fabs(a->heat);
			ok = err <= ZERO_TOL;
		} else {
			err = fabs(a->heat - b->heat) / fabs(b->heat);
			ok = err <= REL_TOL;
			if (err > max_rel)
				max_rel = err;
		}
		if (!isnan(b->heat))
			covered++;
		if (!ok)
			print_message("# %s cell (t %zu, a %zu) at %" PRIu64
				      " %" PRIu64 ": ours %s, damo %s\n",
				      name, i / g->na, i % g->na, b->time,
				      b->addr, a->text, b->text);
		assert_true(ok);
	}
	print_message("# %s vs damo: %zu cells, %zu covered, max relative "
		      "error %.3g, %zu lines identical in text\n", name, n,
		      covered, max_rel, same_text);
	free(ours);
	free(theirs);
	return max_rel;
}

/* ---- tests on the fixture ------------------------------------------------ */

#define SEC	1000000000ull

/*
 * damo's default ranges for this record: time from 13 aggregations (the
 * first snapshot's oldest age) before the record's start to the last
 * snapshot; the address range is the whole of it (no persistent gap).
 * damo's raw files show the same in their first and last cells.
 */
static void test_default_range(void **state)
{
	const struct recording *rec = &fx.rec;
	uint64_t t0, t1, a0, a1;

	(void)state;
	if (!need_fixture())
		return;
	assert_int_equal(heatgrid_default_range(rec->snaps, rec->nr_snaps,
						rec->hdr.start_mono_ns, &t0,
						&t1, &a0, &a1), 0);
	assert_int_equal(t0, 503291224916ull - 13 * 5 * SEC);
	assert_int_equal(t1, 571125759000ull);
	assert_int_equal(a0, 4294967296ull);
	assert_int_equal(a1, 8858370048ull);
}

static void heatmap_vs_damo(unsigned int nt, unsigned int na, bool abs,
			    const char *name, const char *damo_file)
{
	struct export_opts o = { .abs_time = abs, .abs_addr = abs };
	const struct recording *rec = &fx.rec;
	struct heat_span span;
	struct heatgrid g;
	uint64_t t0, t1;
	double max_rel;

	if (!need_fixture())
		return;
	/* the record's start is its first snapshot's start_time */
	assert_int_equal(rec->hdr.start_mono_ns, 503291224916ull);
	assert_int_equal(heatgrid_default_range(rec->snaps, rec->nr_snaps,
						rec->hdr.start_mono_ns, &t0,
						&t1, &span.start, &span.end),
			 0);
	assert_int_equal(heatgrid_init(&g, nt, na, t0, t1, &span, 1), 0);
	g.model = HEAT_DAMO_33;		/* damo's own numbers, double count too */
	heatgrid_fill(&g, rec->snaps, rec->nr_snaps, rec->hdr.start_mono_ns);
	max_rel = compare_raw(&g, &o, name, damo_file);
	assert_true(max_rel <= REL_TOL);
	heatgrid_free(&g);
}

static void test_heatmap_40x80(void **state)
{
	(void)state;
	heatmap_vs_damo(40, 80, false, "rel-40x80.tsv", DAMO_RAW_REL);
}

static void test_heatmap_10x20_abs(void **state)
{
	(void)state;
	heatmap_vs_damo(10, 20, true, "abs-10x20.tsv", DAMO_RAW_ABS);
}

int main(void)
{
	bool found = fixture_find();
	const struct CMUnitTest tests[] = {
		fixture_test(test_default_range),
		fixture_test(test_heatmap_40x80),
		fixture_test(test_heatmap_10x20_abs),
	};

	if (!found)
		printf("# damo fixtures (%s) not found in %s\n", DAMO_DATA,
		       fxdir.tried);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
