// SPDX-License-Identifier: GPL-2.0
/*
 * damo itself as the reference for the heat grid: a real `damo record`
 * (damo 3.3.0, a zlib stream of JSON) is loaded here, its default ranges
 * and its 40x80 relative and 10x20 absolute heatmaps are computed with
 * heatgrid and written with export_tsv, and the text is compared cell by
 * cell with damo's own `report heatmap --output raw` of the same record.
 * The small loader below is test code; it is checked on a hand-written
 * record as well, so it is covered where the fixtures are not, and must
 * refuse damaged input (truncated streams, malformed numbers) cleanly.
 *
 * The fixtures live outside the repository: $KSCOPE_FIXTURES, else
 * ../shared/fixtures/damo from the repository top, found from the working
 * directory, $KSCOPE_TOP or the test binary's own path.  Without them the
 * tests that need them are reported as skipped, with the places tried.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "export.h"
#include "heatgrid.h"

#define TMPDIR_NAME "damo"
#include "tmpdir.h"

#define DAMO_DATA	"paddr-kdamond.damon.data"
#define DAMO_RAW_REL	"paddr-kdamond.heatmap-raw-40x80.tsv"
#define DAMO_RAW_ABS	"paddr-kdamond.heatmap-raw-10x20-abs.tsv"
#define DAMO_REL_DIR	"../shared/fixtures/damo"
/* from build/tests/unit/ (or unit-san/) up to the repository's parent */
#define DAMO_EXE_DIR	"../../../../shared/fixtures/damo"

/* Loader limits: far above the fixture, far below harm. */
#define DAMO_MAX_JSON		(256u << 20)
#define DAMO_MAX_SNAPSHOTS	(1u << 20)
#define DAMO_MAX_REGIONS	(1u << 20)

#define REL_TOL		0.01	/* relative, for non-zero cells */
#define ZERO_TOL	1e-9	/* absolute, where damo wrote 0 */

/* ---- a loader for damo's json_compressed records ------------------------ */

struct damo_record {
	uint64_t start_ns;	/* the first snapshot's start_time */
	size_t nr;
	struct snapshot *snaps;
};

static void damo_record_free(struct damo_record *rec)
{
	size_t i;

	for (i = 0; i < rec->nr; i++)
		free(rec->snaps[i].regions);
	free(rec->snaps);
	memset(rec, 0, sizeof(*rec));
}

/*
 * The whole zlib stream @in into a NUL-terminated buffer.  A stream that
 * stops before its end (a truncated file), bad data, or bytes after the
 * end are refused.
 */
static int damo_inflate(const uint8_t *in, size_t len, char **out,
			size_t *out_len, const char **why)
{
	z_stream zs;
	size_t cap = 1 << 16, n = 0;
	char *buf = NULL, *nbuf;
	int ret, err;

	*out = NULL;
	*out_len = 0;
	if (len > UINT_MAX) {
		*why = "compressed record too large";
		return -EFBIG;
	}
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK) {
		*why = "cannot start zlib";
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = len;
	for (;;) {
		/* always room for more output and the final NUL */
		if (!buf || cap - n < 2) {
			if (buf)
				cap *= 2;
			if (cap > DAMO_MAX_JSON) {
				*why = "record inflates beyond the limit";
				err = -EFBIG;
				goto fail;
			}
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				*why = "out of memory";
				err = -ENOMEM;
				goto fail;
			}
			buf = nbuf;
		}
		zs.next_out = (Bytef *)buf + n;
		zs.avail_out = cap - n - 1;
		ret = inflate(&zs, Z_NO_FLUSH);
		n = (char *)zs.next_out - buf;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_MEM_ERROR) {
			*why = "out of memory";
			err = -ENOMEM;
			goto fail;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			*why = "not a zlib stream, or a damaged one";
			err = -EBADMSG;
			goto fail;
		}
		/* All input used, output room left, and no end: truncated. */
		if (!zs.avail_in && zs.avail_out) {
			*why = "zlib stream ends early (truncated)";
			err = -EBADMSG;
			goto fail;
		}
	}
	if (zs.avail_in) {
		*why = "data after the zlib stream";
		err = -EBADMSG;
		goto fail;
	}
	inflateEnd(&zs);
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
fail:
	inflateEnd(&zs);
	free(buf);
	return err;
}

/*
 * damo's numbers: JSON integers, or strings of decimal digits that may
 * carry thousands separators ("4,294,967,296": groups of exactly three
 * after the first of one to three).
 */
static int damo_u64(struct json_object *o, uint64_t *v)
{
	const char *s;
	size_t len, i, run = 0;
	bool grouped = false;
	uint64_t x = 0;

	if (json_object_is_type(o, json_type_int)) {
		if (json_object_get_int64(o) < 0)
			return -ERANGE;
		*v = json_object_get_uint64(o);
		return 0;
	}
	if (!json_object_is_type(o, json_type_string))
		return -EINVAL;
	s = json_object_get_string(o);
	len = json_object_get_string_len(o);
	for (i = 0; i < len; i++) {
		if (s[i] == ',') {
			if (!run || run > 3 || (grouped && run != 3))
				return -EINVAL;
			grouped = true;
			run = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(s[i] - '0'), &x))
			return -ERANGE;
		run++;
	}
	if (!run || (grouped && run != 3))
		return -EINVAL;
	*v = x;
	return 0;
}

/* Member @key of object @o, or of its member @sub when not NULL. */
static struct json_object *damo_member(struct json_object *o, const char *key,
				       const char *sub)
{
	struct json_object *m;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &m))
		return NULL;
	return sub ? damo_member(m, sub, NULL) : m;
}

static int damo_num(struct json_object *o, const char *key, const char *sub,
		    uint64_t *v)
{
	struct json_object *m = damo_member(o, key, sub);

	return m ? damo_u64(m, v) : -EINVAL;
}

static int damo_regions(struct json_object *jregs, struct snapshot *s,
			const char **why)
{
	size_t n, i;

	if (!json_object_is_type(jregs, json_type_array)) {
		*why = "snapshot without a regions array";
		return -EINVAL;
	}
	n = json_object_array_length(jregs);
	if (!n || n > DAMO_MAX_REGIONS) {
		*why = "no regions, or too many, in a snapshot";
		return -EINVAL;
	}
	s->regions = calloc(n, sizeof(*s->regions));
	if (!s->regions) {
		*why = "out of memory";
		return -ENOMEM;
	}
	s->nr_regions = n;
	for (i = 0; i < n; i++) {
		struct json_object *jr = json_object_array_get_idx(jregs, i);
		struct region *r = &s->regions[i];
		uint64_t start, end, acc, age;

		if (damo_num(jr, "start", NULL, &start) ||
		    damo_num(jr, "end", NULL, &end) ||
		    damo_num(jr, "nr_accesses", "samples", &acc) ||
		    damo_num(jr, "age", "aggr_intervals", &age)) {
			*why = "region without a valid start, end, "
			       "nr_accesses.samples or age.aggr_intervals";
			return -EINVAL;
		}
		if (end <= start || (i && start < r[-1].end) ||
		    acc > UINT32_MAX || age > UINT32_MAX) {
			*why = "empty, unsorted or out-of-range region";
			return -EINVAL;
		}
		r->start = start;
		r->end = end;
		r->nr_accesses = acc;
		r->age = age;
	}
	return 0;
}

/*
 * damo's record is a list with one entry per monitoring target, each with
 * the context's intervals and its snapshots.  A snapshot covers
 * [start_time, end_time] (ns); its regions' counts are for that
 * aggregation, so end_time is the snapshot's time and the first
 * start_time is where the record begins.  Only single-target records are
 * taken, which is what `damo record` of paddr writes.
 */
static int damo_parse(struct json_object *top, struct damo_record *rec,
		      const char **why)
{
	struct json_object *jt, *jsnaps, *jint;
	uint64_t sample_us, aggr_us, prev_end = 0;
	size_t n, i;
	int err;

	if (!json_object_is_type(top, json_type_array) ||
	    json_object_array_length(top) != 1) {
		*why = "not a list of exactly one target's record";
		return -EINVAL;
	}
	jt = json_object_array_get_idx(top, 0);
	jint = damo_member(jt, "intervals", NULL);
	if (damo_num(jint, "sample_us", NULL, &sample_us) ||
	    damo_num(jint, "aggr_us", NULL, &aggr_us) || !sample_us ||
	    !aggr_us || aggr_us > UINT64_MAX / 1000) {
		*why = "no valid intervals.sample_us and aggr_us";
		return -EINVAL;
	}
	jsnaps = damo_member(jt, "snapshots", NULL);
	if (!json_object_is_type(jsnaps, json_type_array)) {
		*why = "no snapshots array";
		return -EINVAL;
	}
	n = json_object_array_length(jsnaps);
	if (!n || n > DAMO_MAX_SNAPSHOTS) {
		*why = "no snapshots, or too many";
		return -EINVAL;
	}
	rec->snaps = calloc(n, sizeof(*rec->snaps));
	if (!rec->snaps) {
		*why = "out of memory";
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct json_object *js = json_object_array_get_idx(jsnaps, i);
		struct json_object *jsi = damo_member(js, "sample_interval_us",
						      NULL);
		struct snapshot *s = &rec->snaps[i];
		uint64_t start, end, us = sample_us;

		rec->nr = i + 1;	/* so that a failure frees this one */
		if (damo_num(js, "start_time", NULL, &start) ||
		    damo_num(js, "end_time", NULL, &end) ||
		    (jsi && damo_u64(jsi, &us))) {
			*why = "snapshot without valid start_time, end_time "
			       "or sample_interval_us";
			return -EINVAL;
		}
		if (end <= start || end > INT64_MAX / 2 || start < prev_end ||
		    us > UINT64_MAX / 1000) {
			*why = "snapshot times out of order";
			return -EINVAL;
		}
		if (!i)
			rec->start_ns = start;
		s->time_ns = end;
		s->sample_ns = us * 1000;
		s->aggr_ns = aggr_us * 1000;
		err = damo_regions(damo_member(js, "regions", NULL), s, why);
		if (err)
			return err;
		prev_end = end;
	}
	return 0;
}

/*
 * A whole record from its file's bytes.  0, or -errno with *why saying
 * what was wrong in a few words; on failure @rec is left empty.
 */
static int damo_load(const void *data, size_t len, struct damo_record *rec,
		     const char **why)
{
	struct json_tokener *tok = NULL;
	struct json_object *top = NULL;
	char *text;
	size_t n;
	int err;

	memset(rec, 0, sizeof(*rec));
	*why = "";
	err = damo_inflate(data, len, &text, &n, why);
	if (err)
		return err;
	err = -ENOMEM;
	tok = json_tokener_new();
	if (!tok) {
		*why = "out of memory";
		goto cleanup;
	}
	err = -EBADMSG;
	if (n > INT_MAX) {
		*why = "JSON text too long";
		goto cleanup;
	}
	top = json_tokener_parse_ex(tok, text, n);
	if (!top || json_tokener_get_error(tok) != json_tokener_success) {
		*why = json_tokener_get_error(tok) == json_tokener_continue ?
		       "JSON text ends early" : "not valid JSON";
		goto cleanup;
	}
	if (strspn(text + json_tokener_get_parse_end(tok), " \t\r\n") !=
	    n - json_tokener_get_parse_end(tok)) {
		*why = "text after the JSON value";
		goto cleanup;
	}
	err = damo_parse(top, rec, why);
	if (err)
		damo_record_free(rec);
cleanup:
	json_object_put(top);
	if (tok)
		json_tokener_free(tok);
	free(text);
	return err;
}

/* ---- fixtures ----------------------------------------------------------- */

static struct {
	bool found;
	char dir[PATH_MAX];
	char tried[3 * PATH_MAX + 64];	/* where we looked */
	uint8_t *raw;			/* the compressed record */
	size_t raw_len;
	int err;			/* loading it */
	const char *why;
	struct damo_record rec;
} fx;

static void fixture_tried(const char *dir)
{
	size_t used = strlen(fx.tried);

	snprintf(fx.tried + used, sizeof(fx.tried) - used, "%s%s",
		 used ? ", " : "", dir);
}

static bool fixture_try(const char *dir)
{
	char path[PATH_MAX];

	fixture_tried(dir);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, DAMO_DATA) >=
	    sizeof(path) || access(path, R_OK))
		return false;
	snprintf(fx.dir, sizeof(fx.dir), "%s", dir);
	fx.found = true;
	return true;
}

/* An explicit $KSCOPE_FIXTURES is the only place looked at. */
static bool fixture_find(void)
{
	const char *env = getenv("KSCOPE_FIXTURES");
	char path[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env)
		return fixture_try(env);
	if (fixture_try(DAMO_REL_DIR))
		return true;
	env = getenv("KSCOPE_TOP");
	if (env && *env &&
	    (size_t)snprintf(path, sizeof(path), "%s/" DAMO_REL_DIR, env) <
	    sizeof(path) && fixture_try(path))
		return true;
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n <= 0)
		return false;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) + sizeof("/" DAMO_EXE_DIR) >
	    sizeof(path))
		return false;
	strcpy(slash, "/" DAMO_EXE_DIR);
	return fixture_try(path);
}

static const char *fixture_path(const char *name)
{
	static char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", fx.dir, name);
	return path;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL, *nb;
	size_t n = 0, cap = 0, got;
	int err = 0;

	if (!f)
		return -errno;
	do {
		if (n == cap) {
			cap = cap ? 2 * cap : 1 << 16;
			nb = realloc(b, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			b = nb;
		}
		got = fread(b + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}

static int setup(void **state)
{
	if (group_setup(state))
		return -1;
	if (!fx.found)
		return 0;
	fx.why = "cannot read it";
	fx.err = read_all(fixture_path(DAMO_DATA), &fx.raw, &fx.raw_len);
	if (!fx.err)
		fx.err = damo_load(fx.raw, fx.raw_len, &fx.rec, &fx.why);
	return 0;
}

static int teardown(void **state)
{
	damo_record_free(&fx.rec);
	free(fx.raw);
	return group_teardown(state);
}

/*
 * Whether the fixture tests can run: false without the fixtures, whose
 * tests main() has named as TAP skips; a fixture that does not load fails.
 */
static bool need_fixture(void)
{
	if (!fx.found)
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

/* What the record holds, as the fixture's README and the JSON say. */
static void test_load_record(void **state)
{
	const struct damo_record *rec = &fx.rec;
	const struct region *r;
	size_t i, total = 0;

	(void)state;
	if (!need_fixture())
		return;
	assert_int_equal(rec->nr, 13);
	assert_int_equal(rec->start_ns, 503291224916ull);
	assert_int_equal(rec->snaps[0].time_ns, 508509266000ull);
	assert_int_equal(rec->snaps[12].time_ns, 571125759000ull);
	assert_int_equal(rec->snaps[0].nr_regions, 1366);
	assert_int_equal(rec->snaps[12].nr_regions, 1817);
	for (i = 0; i < rec->nr; i++) {
		assert_int_equal(rec->snaps[i].sample_ns, SEC / 2);
		assert_int_equal(rec->snaps[i].aggr_ns, 5 * SEC);
		total += rec->snaps[i].nr_regions;
	}
	assert_int_equal(total, 21245);
	/* "4,294,967,296" - "4,299,034,624", 0 samples, age "7" */
	r = &rec->snaps[0].regions[0];
	assert_int_equal(r->start, 4294967296ull);
	assert_int_equal(r->end, 4299034624ull);
	assert_int_equal(r->nr_accesses, 0);
	assert_int_equal(r->age, 7);
	assert_int_equal(rec->snaps[0].regions[1365].end, 8858370048ull);
}

/*
 * damo's default ranges for this record: time from 13 aggregations (the
 * first snapshot's oldest age) before the record's start to the last
 * snapshot; the address range is the whole of it (no persistent gap).
 * damo's raw files show the same in their first and last cells.
 */
static void test_default_range(void **state)
{
	uint64_t t0, t1, a0, a1;

	(void)state;
	if (!need_fixture())
		return;
	assert_int_equal(heatgrid_default_range(fx.rec.snaps, fx.rec.nr,
						fx.rec.start_ns, &t0, &t1,
						&a0, &a1), 0);
	assert_int_equal(t0, 503291224916ull - 13 * 5 * SEC);
	assert_int_equal(t1, 571125759000ull);
	assert_int_equal(a0, 4294967296ull);
	assert_int_equal(a1, 8858370048ull);
}

static void heatmap_vs_damo(unsigned int nt, unsigned int na, bool abs,
			    const char *name, const char *damo_file)
{
	struct export_opts o = { .abs_time = abs, .abs_addr = abs };
	struct heat_span span;
	struct heatgrid g;
	uint64_t t0, t1;
	double max_rel;

	if (!need_fixture())
		return;
	assert_int_equal(heatgrid_default_range(fx.rec.snaps, fx.rec.nr,
						fx.rec.start_ns, &t0, &t1,
						&span.start, &span.end), 0);
	assert_int_equal(heatgrid_init(&g, nt, na, t0, t1, &span, 1), 0);
	heatgrid_fill(&g, fx.rec.snaps, fx.rec.nr, fx.rec.start_ns);
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

/* Cut anywhere, extended, or inflating to cut JSON: refused, not used. */
static void test_truncated_fixture(void **state)
{
	size_t len = fx.raw_len, cuts[9], i;
	struct damo_record rec;
	const char *why;
	uint8_t *copy, *z;
	char *text;
	uLongf zlen;
	size_t n;

	(void)state;
	if (!need_fixture())
		return;
	cuts[0] = 0;
	cuts[1] = 1;
	cuts[2] = 2;
	cuts[3] = 100;
	cuts[4] = len / 4;
	cuts[5] = len / 2;
	cuts[6] = len - 5;
	cuts[7] = len - 4;	/* all the deflate data, no checksum */
	cuts[8] = len - 1;
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		/* an exact-size copy, so that a read past it is caught */
		copy = malloc(cuts[i] ? cuts[i] : 1);
		assert_non_null(copy);
		memcpy(copy, fx.raw, cuts[i]);
		assert_true(damo_load(copy, cuts[i], &rec, &why) < 0);
		assert_int_equal(rec.nr, 0);
		assert_null(rec.snaps);
		if (i == 5)
			print_message("# cut at %zu of %zu bytes: refused: "
				      "%s\n", cuts[i], len, why);
		free(copy);
	}

	copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, fx.raw, len);
	copy[len] = 0;
	assert_int_equal(damo_load(copy, len + 1, &rec, &why), -EBADMSG);
	assert_string_equal(why, "data after the zlib stream");
	free(copy);

	/* a whole zlib stream of half the JSON */
	assert_int_equal(damo_inflate(fx.raw, len, &text, &n, &why), 0);
	zlen = compressBound(n / 2);
	z = malloc(zlen);
	assert_non_null(z);
	assert_int_equal(compress2(z, &zlen, (Bytef *)text, n / 2, 1), Z_OK);
	assert_int_equal(damo_load(z, zlen, &rec, &why), -EBADMSG);
	assert_string_equal(why, "JSON text ends early");
	assert_null(rec.snaps);
	free(z);
	free(text);
}

/* ---- the loader on a hand-written record (no fixtures needed) ---------- */

/* Two snapshots; @start is the first region's start as JSON text. */
static const char mini_fmt[] =
	"[{\"kdamond_idx\": null, \"context_idx\": null,\n"
	" \"intervals\": {\"sample_us\": \"100,000\",\n"
	"  \"aggr_us\": \"2,000,000\"},\n"
	" \"target_id\": 0,\n"
	" \"snapshots\": [\n"
	"  {\"start_time\": \"1,000,000,000\", \"end_time\": \"3000000000\",\n"
	"   \"sample_interval_us\": null,\n"
	"   \"regions\": [\n"
	"    {\"start\": %s, \"end\": \"8,192\",\n"
	"     \"nr_accesses\": {\"samples\": 3, \"percent\": null},\n"
	"     \"age\": {\"usec\": null, \"aggr_intervals\": \"2\"}},\n"
	"    {\"start\": \"8,192\", \"end\": \"1,048,576\",\n"
	"     \"nr_accesses\": {\"samples\": \"20\", \"percent\": null},\n"
	"     \"age\": {\"usec\": null, \"aggr_intervals\": 0}}]},\n"
	"  {\"start_time\": \"3,000,000,000\",\n"
	"   \"end_time\": \"5,000,000,000\",\n"
	"   \"sample_interval_us\": \"50,000\",\n"
	"   \"regions\": [{\"start\": \"0\", \"end\": \"4,096\",\n"
	"     \"nr_accesses\": {\"samples\": 1, \"percent\": null},\n"
	"     \"age\": {\"usec\": null, \"aggr_intervals\": \"1,000\"}}]}]}]\n";

/* Load mini_fmt with @start, compressed; its stream in *z if wanted. */
static int mini_load(const char *start, struct damo_record *rec,
		     const char **why, uint8_t **z, size_t *zlen)
{
	char text[sizeof(mini_fmt) + 64];
	uLongf n = compressBound(sizeof(text));
	uint8_t *buf = malloc(n);
	int len, err;

	assert_non_null(buf);
	len = snprintf(text, sizeof(text), mini_fmt, start);
	assert_true(len > 0 && (size_t)len < sizeof(text));
	assert_int_equal(compress2(buf, &n, (Bytef *)text, len, 6), Z_OK);
	err = damo_load(buf, n, rec, why);
	if (z) {
		*z = buf;
		*zlen = n;
	} else {
		free(buf);
	}
	return err;
}

static void test_mini_record(void **state)
{
	struct damo_record rec;
	const char *why;
	uint8_t *z;
	size_t zlen, cut;

	(void)state;
	assert_int_equal(mini_load("\"4,096\"", &rec, &why, &z, &zlen), 0);
	assert_int_equal(rec.nr, 2);
	assert_int_equal(rec.start_ns, SEC);
	assert_int_equal(rec.snaps[0].time_ns, 3 * SEC);
	assert_int_equal(rec.snaps[0].sample_ns, SEC / 10);
	assert_int_equal(rec.snaps[0].aggr_ns, 2 * SEC);
	assert_int_equal(rec.snaps[0].nr_regions, 2);
	assert_int_equal(rec.snaps[0].regions[0].start, 4096);
	assert_int_equal(rec.snaps[0].regions[0].end, 8192);
	assert_int_equal(rec.snaps[0].regions[0].nr_accesses, 3);
	assert_int_equal(rec.snaps[0].regions[0].age, 2);
	assert_int_equal(rec.snaps[0].regions[1].end, 1048576);
	assert_int_equal(rec.snaps[0].regions[1].nr_accesses, 20);
	assert_int_equal(rec.snaps[1].time_ns, 5 * SEC);
	assert_int_equal(rec.snaps[1].sample_ns, SEC / 20);
	assert_int_equal(rec.snaps[1].regions[0].age, 1000);
	damo_record_free(&rec);

	/* every prefix of the stream is refused, and nothing is kept */
	for (cut = 0; cut < zlen; cut++) {
		assert_true(damo_load(z, cut, &rec, &why) < 0);
		assert_null(rec.snaps);
	}
	free(z);

	assert_int_equal(mini_load("4096", &rec, &why, NULL, NULL), 0);
	assert_int_equal(rec.snaps[0].regions[0].start, 4096);
	damo_record_free(&rec);
	assert_int_equal(mini_load("\"0\"", &rec, &why, NULL, NULL), 0);
	assert_int_equal(rec.snaps[0].regions[0].start, 0);
	damo_record_free(&rec);
}

/* Numbers damo would not write, and records that do not hold together. */
static void test_mini_refused(void **state)
{
	static const char *const bad[] = {
		"\"\"", "\",\"", "\"4096,\"", "\",4096\"", "\"40,96\"",
		"\"4,0960\"", "\"4,09\"", "\"4096,000\"", "\"4,,096\"",
		"\"4 096\"", "\"-4096\"", "\"+4096\"", "\"0x1000\"",
		"\"4096.0\"", "-1", "4096.5", "null", "true", "[4096]",
		"\"18,446,744,073,709,551,616\"",	/* 2^64 */
		"\"8,192\"",		/* empty region */
		"\"9000\"",		/* ends before it starts */
	};
	struct damo_record rec;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (mini_load(bad[i], &rec, &why, NULL, NULL) != -EINVAL)
			print_message("# start %s was not refused\n", bad[i]);
		assert_int_equal(mini_load(bad[i], &rec, &why, NULL, NULL),
				 -EINVAL);
		assert_null(rec.snaps);
	}
	/* the largest 64-bit number is a number (and then too high an
	 * end for the region, so still refused, for the right reason) */
	assert_int_equal(mini_load("\"18,446,744,073,709,551,615\"", &rec,
				   &why, NULL, NULL), -EINVAL);
	assert_string_equal(why, "empty, unsorted or out-of-range region");
}

/*
 * cmocka 1.1.5 (Debian 12) prints a skip() as "not ok N # SKIP", which
 * prove counts as a failure; a test named "name # SKIP reason" that
 * returns at once prints "ok N - name # SKIP reason", a TAP skip with
 * any cmocka.
 */
#define FIXTURE_SKIP \
	" # SKIP damo fixtures not found; set KSCOPE_FIXTURES"
#define fixture_test(f) { \
	.name = found ? #f : #f FIXTURE_SKIP, .test_func = f }

int main(void)
{
	bool found = fixture_find();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mini_record),
		cmocka_unit_test(test_mini_refused),
		fixture_test(test_load_record),
		fixture_test(test_default_range),
		fixture_test(test_heatmap_40x80),
		fixture_test(test_heatmap_10x20_abs),
		fixture_test(test_truncated_fixture),
	};

	if (!found)
		printf("# damo fixtures (%s) not found in %s\n", DAMO_DATA,
		       fx.tried);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
