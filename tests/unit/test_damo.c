// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for damo's record format (damo.c, through record.c as the
 * tools use it): the real damo record among the fixtures loads, plain or
 * compressed, and written back by our writer is damo's very text; a
 * hand-written record covers every field's conversion; truncated,
 * garbage and hostile records are refused with their one-line reason;
 * the writer's files come back exactly and carry damo's keys; and the
 * in-memory loader reads our own format as the file loader does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "damo.h"
#include "record.h"

#define TMPDIR_NAME "damo"
#include "tmpdir.h"
#include "damo_fixtures.h"

#define SEC	1000000000ull
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------- */

static uint8_t *zcompress(const void *data, size_t len, size_t *zlen)
{
	uLongf n = compressBound(len);
	uint8_t *z = malloc(n);

	assert_non_null(z);
	assert_int_equal(compress2(z, &n, data, len, 6), Z_OK);
	*zlen = n;
	return z;
}

/* A whole zlib stream's text, NUL-terminated. */
static char *zinflate(const uint8_t *z, size_t zlen, size_t *len)
{
	z_stream zs = { 0 };
	size_t cap = 1 << 20;
	char *out = malloc(cap);
	int ret;

	assert_non_null(out);
	assert_int_equal(inflateInit(&zs), Z_OK);
	zs.next_in = (uint8_t *)z;
	zs.avail_in = zlen;
	do {
		if (zs.total_out + 1 >= cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		zs.next_out = (uint8_t *)out + zs.total_out;
		zs.avail_out = cap - zs.total_out - 1;
		ret = inflate(&zs, Z_NO_FLUSH);
		assert_true(ret == Z_OK || ret == Z_STREAM_END);
	} while (ret != Z_STREAM_END);
	*len = zs.total_out;
	out[*len] = 0;
	inflateEnd(&zs);
	return out;
}

static void spew(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	uint8_t *buf;

	assert_int_equal(read_all(path, &buf, len), 0);
	return buf;
}

/*
 * Load @text plain and zlib-compressed, from memory and from a file; all
 * four must agree.  Returns the error, with the message in @err; on
 * success @rec holds the plain load.
 */
static int load_text(const char *text, struct recording *rec, char *err,
		     size_t errlen)
{
	struct recording r2;
	char e2[256];
	size_t zlen, len = strlen(text);
	uint8_t *z = zcompress(text, len, &zlen);
	int ret, ret2;

	ret = record_load_buf(text, len, rec, err, errlen);
	ret2 = record_load_buf(z, zlen, &r2, e2, sizeof(e2));
	if (ret != ret2 || strcmp(err, e2))
		print_message("# plain: %d '%s', zlib: %d '%s'\n", ret, err,
			      ret2, e2);
	assert_int_equal(ret, ret2);
	assert_string_equal(err, e2);
	if (!ret2) {
		assert_int_equal(r2.nr_snaps, rec->nr_snaps);
		recording_free(&r2);
	}
	spew(test_path("text.json"), text, len);
	ret2 = record_load(test_path("text.json"), &r2, e2, sizeof(e2));
	assert_int_equal(ret, ret2);
	assert_string_equal(err, e2);
	recording_free(&r2);
	spew(test_path("text.json.z"), z, zlen);
	ret2 = record_load(test_path("text.json.z"), &r2, e2, sizeof(e2));
	assert_int_equal(ret, ret2);
	assert_string_equal(err, e2);
	recording_free(&r2);
	free(z);
	if (ret) {
		assert_int_equal(rec->nr_snaps, 0);
		assert_null(rec->snaps);
		assert_null(rec->region_store);
	}
	return ret;
}

/* @base with its one @old replaced by @new; the caller frees. */
static char *replace(const char *base, const char *old, const char *new)
{
	const char *at = strstr(base, old);
	size_t n = strlen(base) - strlen(old) + strlen(new) + 1;
	char *out = malloc(n);

	if (!at || strstr(at + 1, old))
		fail_msg("'%s' is not in the text exactly once", old);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - base), base, new,
		 at + strlen(old));
	return out;
}

static void assert_same_recording(const struct recording *a,
				  const struct recording *b)
{
	size_t i;

	assert_int_equal(a->nr_snaps, b->nr_snaps);
	for (i = 0; i < a->nr_snaps; i++) {
		const struct snapshot *x = &a->snaps[i], *y = &b->snaps[i];

		assert_int_equal(x->time_ns, y->time_ns);
		assert_int_equal(x->sample_ns, y->sample_ns);
		assert_int_equal(x->aggr_ns, y->aggr_ns);
		assert_int_equal(x->nr_regions, y->nr_regions);
		if (x->nr_regions)
			assert_memory_equal(x->regions, y->regions,
					    x->nr_regions * sizeof(*x->regions));
	}
}

/* ---- a hand-written record --------------------------------------------- */

/*
 * Three snapshots; damo's own ways of writing numbers (strings with and
 * without separators, integers) and its optional parts (null or absent
 * percent, usec, sample_interval_us) all appear.  Every string the tests
 * below replace occurs once.
 */
static const char mini[] =
	"[{\"kdamond_idx\": null, \"context_idx\": null,\n"
	" \"intervals\": {\"sample_us\": \"100,000\",\n"
	"  \"aggr_us\": \"2,000,000\", \"ops_update_us\": 1000000},\n"
	" \"scheme_idx\": null, \"target_id\": 0, \"scheme_filters\": [],\n"
	" \"snapshots\": [\n"
	"  {\"start_time\": \"1,000,000,000\", \"end_time\": \"3000000000\",\n"
	"   \"sample_interval_us\": null,\n"
	"   \"regions\": [\n"
	"    {\"start\": \"4,096\", \"end\": \"8,192\",\n"
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
	"     \"age\": {\"usec\": null, \"aggr_intervals\": \"1,000\"}},\n"
	"    {\"start\": \"4,096\", \"end\": \"12,288\",\n"
	"     \"nr_accesses\": {\"samples\": 7}, \"age\": {\"aggr_intervals\": 5}},\n"
	"    {\"start\": \"65,536\", \"end\": \"69,632\",\n"
	"     \"nr_accesses\": {\"samples\": 0}, \"age\": {\"aggr_intervals\": 9}}]},\n"
	"  {\"start_time\": \"5000000000\", \"end_time\": \"7000000000\",\n"
	"   \"regions\": []}],\n"
	" \"data_source\": \"unknown\"}]\n";

static void test_mini_record(void **state)
{
	struct recording rec;
	const struct snapshot *s;
	char err[256];

	(void)state;
	assert_int_equal(load_text(mini, &rec, err, sizeof(err)), 0);
	assert_string_equal(rec.hdr.tool, "damo");
	assert_string_equal(rec.hdr.source, "damo");
	assert_string_equal(rec.hdr.target, "damo record, target 0");
	assert_int_equal(rec.hdr.pid, -1);
	assert_int_equal(rec.hdr.start_realtime_ns, 0);
	assert_int_equal(rec.hdr.start_mono_ns, SEC);
	assert_int_equal(rec.hdr.sample_ns, SEC / 10);
	assert_int_equal(rec.hdr.aggr_ns, 2 * SEC);
	assert_int_equal(rec.hdr.update_ns, SEC);
	assert_int_equal(rec.nr_snaps, 3);
	assert_int_equal(rec.nr_maps, 0);

	s = &rec.snaps[0];
	assert_int_equal(s->time_ns, 3 * SEC);
	assert_int_equal(s->sample_ns, SEC / 10);
	assert_int_equal(s->aggr_ns, 2 * SEC);
	assert_int_equal(s->nr_regions, 2);
	assert_int_equal(s->regions[0].start, 4096);
	assert_int_equal(s->regions[0].end, 8192);
	assert_int_equal(s->regions[0].nr_accesses, 3);
	assert_int_equal(s->regions[0].age, 2);
	assert_int_equal(s->regions[1].end, 1048576);
	assert_int_equal(s->regions[1].nr_accesses, 20);
	assert_int_equal(s->regions[1].age, 0);

	s = &rec.snaps[1];
	assert_int_equal(s->time_ns, 5 * SEC);
	assert_int_equal(s->sample_ns, SEC / 20);	/* its own interval */
	assert_int_equal(s->nr_regions, 3);
	assert_int_equal(s->regions[0].start, 0);
	assert_int_equal(s->regions[0].age, 1000);
	assert_int_equal(s->regions[1].nr_accesses, 7);
	assert_int_equal(s->regions[2].start, 65536);
	assert_int_equal(s->regions[2].age, 9);

	s = &rec.snaps[2];
	assert_int_equal(s->time_ns, 7 * SEC);
	assert_int_equal(s->sample_ns, SEC / 10);
	assert_int_equal(s->nr_regions, 0);
	assert_null(s->regions);
	recording_free(&rec);
}

/* Numbers damo writes in every form it has, and the edges of each. */
static void test_mini_numbers(void **state)
{
	static const struct {
		const char *text;
		uint64_t value;
	} good[] = {
		{ "4096", 4096 }, { "\"4096\"", 4096 }, { "\"4,096\"", 4096 },
		{ "\"0\"", 0 }, { "0", 0 }, { "\"65,535\"", 65535 },
		{ "\"1,000,000\"", 1000000 }, { "\"0,000\"", 0 },
		{ "4294967295", 4294967295u }, { "\"4,294,967,295\"", 4294967295u },
	};
	static const char *const bad[] = {
		"\"\"", "\",\"", "\"4096,\"", "\",4096\"", "\"40,96\"",
		"\"4,0960\"", "\"4,09\"", "\"4096,000\"", "\"4,,096\"",
		"\"4 096\"", "\"-4096\"", "\"+4096\"", "\"0x1000\"",
		"\"4096.0\"", "4096.5", "4e3", "null", "true", "[4096]",
		"{}", "\"4 KiB\"",
	};
	static const char *const range[] = {
		"-1", "-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "99999999999999999999999",
		"\"18,446,744,073,709,551,616\"",
		"\"99999999999999999999999\"", "4294967296",
		"\"4,294,967,296\"",
	};
	struct recording rec;
	char err[256], *text;
	size_t i;

	(void)state;
	/* the age of snapshot 2's first region is @text */
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		char field[64];

		snprintf(field, sizeof(field), "\"aggr_intervals\": %s",
			 good[i].text);
		text = replace(mini, "\"aggr_intervals\": \"1,000\"", field);
		if (load_text(text, &rec, err, sizeof(err)))
			fail_msg("%s refused: %s", good[i].text, err);
		assert_int_equal(rec.snaps[1].regions[0].age, good[i].value);
		recording_free(&rec);
		free(text);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char field[64];

		snprintf(field, sizeof(field), "\"aggr_intervals\": %s", bad[i]);
		text = replace(mini, "\"aggr_intervals\": \"1,000\"", field);
		assert_int_equal(load_text(text, &rec, err, sizeof(err)),
				 -EINVAL);
		if (strcmp(err, "damo record: snapshot 2 region 1: 'age.aggr_intervals' is not a number"))
			fail_msg("%s: '%s'", bad[i], err);
		free(text);
	}
	for (i = 0; i < ARRAY_SIZE(range); i++) {
		char field[64];

		snprintf(field, sizeof(field), "\"aggr_intervals\": %s",
			 range[i]);
		text = replace(mini, "\"aggr_intervals\": \"1,000\"", field);
		assert_int_equal(load_text(text, &rec, err, sizeof(err)),
				 -EINVAL);
		if (strcmp(err, "damo record: snapshot 2 region 1: 'age.aggr_intervals' is out of range"))
			fail_msg("%s: '%s'", range[i], err);
		free(text);
	}
	/* a 64-bit address as a string is a number */
	text = replace(mini, "\"end\": \"69,632\"",
		       "\"end\": \"18,446,744,073,709,551,615\"");
	assert_int_equal(load_text(text, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.snaps[1].regions[2].end, UINT64_MAX);
	recording_free(&rec);
	free(text);
	/* the largest string number is a number, then too high a start */
	text = replace(mini, "\"start\": \"0\"",
		       "\"start\": \"18,446,744,073,709,551,615\"");
	assert_int_equal(load_text(text, &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: snapshot 2 region 1: empty region");
	free(text);
}

/* Records that do not hold together, each with its reason. */
static void test_mini_refused(void **state)
{
	static const struct {
		const char *old, *new, *why;
	} cases[] = {
		{ "\"end\": \"69,632\"", "\"end\": \"69,6320\"",
		  "damo record: snapshot 2 region 3: 'end' is not a number" },
		{ "\"end\": \"69,632\"", "\"end\": null",
		  "damo record: snapshot 2 region 3: 'end' is not a number" },
		{ "\"end\": \"69,632\"", "\"end\": -69632",
		  "damo record: snapshot 2 region 3: 'end' is out of range" },
		{ "\"end\": \"69,632\",", "",
		  "damo record: snapshot 2 region 3: 'end' is missing" },
		{ "\"end\": \"69,632\"", "\"end\": \"65,536\"",
		  "damo record: snapshot 2 region 3: empty region" },
		{ "\"end\": \"69,632\"", "\"end\": \"60,000\"",
		  "damo record: snapshot 2 region 3: empty region" },
		{ "\"start\": \"65,536\"", "\"start\": \"8,192\"",
		  "damo record: snapshot 2 region 3: regions unsorted or overlapping" },
		{ "\"start\": \"65,536\"", "\"start\": \"12,287\"",
		  "damo record: snapshot 2 region 3: regions unsorted or overlapping" },
		{ "{\"samples\": 0}", "{\"samples\": 4294967296}",
		  "damo record: snapshot 2 region 3: 'nr_accesses.samples' is out of range" },
		{ "{\"samples\": 0}", "{\"percent\": 0}",
		  "damo record: snapshot 2 region 3: 'nr_accesses.samples' is missing" },
		{ "\"nr_accesses\": {\"samples\": 0}", "\"nr_accesses\": 0",
		  "damo record: snapshot 2 region 3: 'nr_accesses' is not an object" },
		{ "\"nr_accesses\": {\"samples\": 0}, ", "",
		  "damo record: snapshot 2 region 3: 'nr_accesses.samples' is missing" },
		{ "\"aggr_intervals\": 9", "\"aggr_intervals\": \"4,294,967,296\"",
		  "damo record: snapshot 2 region 3: 'age.aggr_intervals' is out of range" },
		{ "\"aggr_intervals\": \"1,000\"", "\"aggr_intervals\": \"1,0000\"",
		  "damo record: snapshot 2 region 1: 'age.aggr_intervals' is not a number" },
		{ "{\"start\": \"65,536\", \"end\": \"69,632\",\n"
		  "     \"nr_accesses\": {\"samples\": 0}, \"age\": {\"aggr_intervals\": 9}}",
		  "42", "damo record: snapshot 2 region 3: not an object" },
		{ "\"end_time\": \"5,000,000,000\"", "\"end_time\": \"2,000,000,000\"",
		  "damo record: snapshot 2: ends before it starts" },
		{ "\"start_time\": \"3,000,000,000\"", "\"start_time\": \"2,999,999,999\"",
		  "damo record: snapshot 2: starts before the previous one ends" },
		{ "\"end_time\": \"5,000,000,000\"",
		  "\"end_time\": \"9,223,372,036,854,775,807\"",
		  "damo record: snapshot 2: 'end_time' is out of range" },
		{ "\"end_time\": \"5,000,000,000\"", "\"end_time\": 5e9",
		  "damo record: snapshot 2: 'end_time' is not a number" },
		{ "\"start_time\": \"5000000000\", ", "",
		  "damo record: snapshot 3: 'start_time' is missing" },
		{ "\"sample_interval_us\": \"50,000\"",
		  "\"sample_interval_us\": \"18,446,744,073,709,552\"",
		  "damo record: snapshot 2: 'sample_interval_us' is out of range" },
		{ "\"sample_interval_us\": \"50,000\"",
		  "\"sample_interval_us\": \"50 ms\"",
		  "damo record: snapshot 2: 'sample_interval_us' is not a number" },
		{ "\"regions\": []", "\"regions\": {}",
		  "damo record: snapshot 3: 'regions' is not a list" },
		{ "\"regions\": []", "\"regionz\": []",
		  "damo record: snapshot 3: 'regions' is missing" },
		{ "{\"start_time\": \"5000000000\", \"end_time\": \"7000000000\",\n"
		  "   \"regions\": []}", "[]",
		  "damo record: snapshot 3 is not an object" },
		{ "\"sample_us\": \"100,000\"", "\"sample_us\": \"0\"",
		  "damo record: 'intervals' has a zero sample_us" },
		{ "\"aggr_us\": \"2,000,000\"", "\"aggr_us\": 0",
		  "damo record: 'intervals' has a zero aggr_us" },
		{ "\"sample_us\": \"100,000\"",
		  "\"sample_us\": \"18,446,744,073,709,552\"",
		  "damo record: 'sample_us' is out of range" },
		{ "\"aggr_us\": \"2,000,000\", ", "",
		  "damo record: 'aggr_us' is missing" },
		{ "\"ops_update_us\": 1000000", "\"ops_update_us\": true",
		  "damo record: 'ops_update_us' is not a number" },
		{ "\"intervals\":", "\"intervalz\":",
		  "damo record: no 'intervals' object" },
		{ "\"snapshots\": [", "\"snapshotz\": [",
		  "not a damo record: record 1 has no 'snapshots' list" },
		{ "[{\"kdamond_idx\"", "{\"kdamond_idx\"",
		  "damo record: data after the JSON value at byte 1188" },
	};
	struct recording rec;
	char err[256], *text;
	size_t i;

	char many[2048];
	size_t n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		text = replace(mini, cases[i].old, cases[i].new);
		if (load_text(text, &rec, err, sizeof(err)) != -EINVAL ||
		    strcmp(err, cases[i].why))
			fail_msg("case %zu: '%s' instead of '%s'", i, err,
				 cases[i].why);
		free(text);
	}
	/* many snapshots that are no objects, then one that is */
	n = snprintf(many, sizeof(many), "\"snapshots\": [");
	for (i = 0; i < 300; i++)
		n += snprintf(many + n, sizeof(many) - n, "1, ");
	text = replace(mini, "\"snapshots\": [", many);
	assert_int_equal(load_text(text, &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: snapshot 1 is not an object");
	free(text);
}

/* Text that is not a damo record at all, or not JSON. */
static void test_garbage(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "{}", "not a damo record: not a list of target records" },
		{ "[]", "not a damo record: no target records" },
		{ " [ ] \n", "not a damo record: no target records" },
		{ "[1]", "not a damo record: record 1 is not an object" },
		{ "[{}]", "not a damo record: record 1 has no 'snapshots' list" },
		{ "[{\"snapshots\": {}}]",
		  "not a damo record: record 1 has no 'snapshots' list" },
		{ "[{\"snapshots\": []}]", "damo record: no 'intervals' object" },
		{ "[{\"snapshots\": [], \"intervals\": null}]",
		  "damo record: no 'intervals' object" },
		{ "[{}", "damo record: truncated JSON" },
		{ "[{\"snapshots\": [", "damo record: truncated JSON" },
		{ "[\"abc", "damo record: truncated JSON" },
		{ "   ", "not a damo record: no JSON value" },
		{ "\n", "not a damo record: no JSON value" },
		{ "[{}] x", "damo record: data after the JSON value at byte 5" },
		{ "[{}][]", "damo record: data after the JSON value at byte 4" },
		{ "[1,]", "damo record: invalid JSON at byte 3: unexpected character" },
		{ "['a']", "damo record: invalid JSON at byte 1: unexpected character" },
		{ "[01]", "damo record: invalid JSON at byte 3: number expected" },
		{ "[\"\xff\"]", "not a damo record: record 1 is not an object" },
		/* found by fuzz_damo: json-c looked past the value */
		{ "[]\xff\xff", "damo record: data after the JSON value at byte 2" },
		{ "\t4294967296\t\xff",
		  "damo record: data after the JSON value at byte 12" },
		{ "{\"a\": 1 /* c */}",
		  "damo record: invalid JSON at byte 8: object value separator ',' expected" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		  "damo record: invalid JSON at byte 32: nesting too deep" },
	};
	static const char nul_in[] = "[\"a\0b\"]";
	static const char nul_after[] = "[{}]\0";
	static const char nul_between[] = "[1,\0 2]";
	struct recording rec;
	char err[256];
	size_t i, zlen;
	uint8_t *z;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (load_text(cases[i].text, &rec, err, sizeof(err)) !=
		    -EINVAL || strcmp(err, cases[i].why))
			fail_msg("'%s': '%s' instead of '%s'", cases[i].text,
				 err, cases[i].why);
	}
	/* json-c would stop at a NUL as if the text ended there */
	assert_int_equal(record_load_buf(nul_in, sizeof(nul_in) - 1, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: NUL byte in JSON text at byte 3");
	assert_int_equal(record_load_buf(nul_between, sizeof(nul_between) - 1,
					 &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: NUL byte in JSON text at byte 3");
	assert_int_equal(record_load_buf(nul_after, sizeof(nul_after) - 1, &rec,
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: data after the JSON value at byte 4");

	/* neither ours, nor JSON, nor zlib */
	assert_int_equal(record_load_buf("hello", 5, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "bad magic: not a kscope record");
	assert_int_equal(damo_load_buf("hello", 5, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not a damo record: neither JSON nor zlib data");
	assert_int_equal(damo_load_buf("", 0, &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a damo record: empty file");
	assert_int_equal(record_load_buf(NULL, 0, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "empty file: not a kscope record");
	/* JSON that is not a list: plain, it is not even sniffed as JSON */
	z = zcompress("123", 3, &zlen);
	assert_int_equal(record_load_buf(z, zlen, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not a damo record: not a list of target records");
	free(z);
	z = zcompress("\"damo\"  ", 8, &zlen);
	assert_int_equal(record_load_buf(z, zlen, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not a damo record: not a list of target records");
	free(z);
	/* a zlib header and then nonsense */
	assert_int_equal(record_load_buf("\x78\x9c\xff\xff\xff\xff", 6, &rec,
					 err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "corrupt zlib stream: invalid block type");
	assert_int_equal(record_load_buf("\x78\xbb\0\0\0\0", 6, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "corrupt zlib stream: needs a dictionary");
	/* the message buffer is optional */
	assert_int_equal(record_load_buf("[]", 2, &rec, NULL, 0), -EINVAL);
}

/* Every cut of a record, plain or compressed, is refused as such. */
static void test_mini_truncated(void **state)
{
	size_t len = strlen(mini), zlen, cut;
	uint8_t *z = zcompress(mini, len, &zlen), *copy;
	struct recording rec;
	char err[256], *text;

	(void)state;
	for (cut = 2; cut < zlen; cut++) {
		copy = malloc(cut);	/* exact, so a read past it is caught */
		memcpy(copy, z, cut);
		assert_int_equal(record_load_buf(copy, cut, &rec, err,
						 sizeof(err)), -EINVAL);
		assert_string_equal(err, "truncated zlib stream");
		assert_null(rec.snaps);
		free(copy);
	}
	/* the one byte "x" is no zlib header, so not ours to say */
	assert_int_equal(damo_load_buf(z, 1, &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "not a damo record: neither JSON nor zlib data");

	/* one byte more, or a second stream, after the end */
	copy = malloc(2 * zlen);
	memcpy(copy, z, zlen);
	memcpy(copy + zlen, z, zlen);
	assert_int_equal(record_load_buf(copy, zlen + 1, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "data after the zlib stream");
	assert_int_equal(record_load_buf(copy, 2 * zlen, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "data after the zlib stream");
	/* a flipped bit in the checksum */
	memcpy(copy, z, zlen);
	copy[zlen - 1] ^= 1;
	assert_int_equal(record_load_buf(copy, zlen, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "corrupt zlib stream: incorrect data check");
	free(copy);
	free(z);

	for (cut = 1; cut < len - 1; cut++) {	/* the last is a newline */
		text = strndup(mini, cut);
		assert_int_equal(load_text(text, &rec, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "damo record: truncated JSON");
		free(text);
	}
}

/* damo_load_fd() on @data, its first @head bytes given, the rest piped. */
static int load_split(const void *data, size_t len, size_t head,
		      struct recording *rec, char *err, size_t errlen)
{
	int fds[2], ret;

	assert_true(len - head < 65536);	/* the pipe holds it all */
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], (const char *)data + head, len - head),
			 len - head);
	close(fds[1]);
	ret = damo_load_fd(fds[0], data, head, rec, err, errlen);
	close(fds[0]);
	return ret;
}

/*
 * How the file is cut into reads changes nothing.  The fuzzers found
 * three ways it did while json-c was fed piece by piece: a zlib error
 * and a JSON error before it in the same inflate call, json-c's UTF-8
 * check looking past the value, and json-c taking a number cut between
 * two pieces for another ("[0" then "-1]" gave [0]).
 */
static void test_chunking(void **state)
{
	static const char bad_json[] = "[{\"snapshots\": x}]";
	static const char utf8_after[] = "[]\xff\xff\xff rge";
	static const char utf8_after_number[] = "\t4294967296\t\xff\xff";
	static const char cut_number[] = " [0-1]";
	struct {
		uint8_t *data;
		size_t len;
		const char *why;
	} in[5];
	struct recording rec;
	char err[256], err2[256];
	size_t i, head, zlen;
	uint8_t *z;

	(void)state;
	/* JSON that is wrong early, in a stream whose checksum is wrong */
	z = zcompress(bad_json, strlen(bad_json), &zlen);
	z[zlen - 1] ^= 1;
	in[0] = (typeof(in[0])){ z, zlen,
		"corrupt zlib stream: incorrect data check" };
	in[1] = (typeof(in[1])){ (uint8_t *)strdup(utf8_after),
		strlen(utf8_after),
		"damo record: data after the JSON value at byte 2" };
	in[2].data = zcompress(utf8_after_number, strlen(utf8_after_number),
			       &in[2].len);
	in[2].why = "damo record: data after the JSON value at byte 12";
	in[3].data = zcompress(mini, strlen(mini), &in[3].len);
	in[3].why = "";
	in[4] = (typeof(in[4])){ (uint8_t *)strdup(cut_number),
		strlen(cut_number),
		"damo record: invalid JSON at byte 3: number expected" };
	for (i = 0; i < ARRAY_SIZE(in); i++) {
		int ret = damo_load_buf(in[i].data, in[i].len, &rec, err,
					sizeof(err));

		recording_free(&rec);
		if (strcmp(err, in[i].why))
			fail_msg("input %zu: '%s' instead of '%s'", i, err,
				 in[i].why);
		for (head = 0; head <= in[i].len; head++) {
			assert_int_equal(load_split(in[i].data, in[i].len, head,
						    &rec, err2, sizeof(err2)),
					 ret);
			if (strcmp(err, err2))
				fail_msg("input %zu, %zu bytes first: '%s' "
					 "instead of '%s'", i, head, err2, err);
			recording_free(&rec);
		}
		free(in[i].data);
	}
}

/*
 * The loader keeps no JSON: a hostile file of many small values costs
 * nothing to refuse, and what it does keep (the regions) is bounded.
 */
static void test_cost_limit(void **state)
{
	size_t n = 100000, i, zlen;
	char *text = malloc(3 * n + 3);
	struct recording rec;
	char err[256];
	uint8_t *z;

	(void)state;
	/* 100,000 empty objects: 300 kB of text, once ~70 MB of json-c
	 * tree; streamed, they are only not records, even within 64 KiB */
	text[0] = '[';
	for (i = 0; i < n; i++)
		memcpy(text + 1 + 3 * i, "{},", 3);
	text[3 * n] = ']';
	text[3 * n + 1] = 0;
	z = zcompress(text, 3 * n + 1, &zlen);
	assert_true(zlen < 2000);	/* a small file */
	damo_max_cost = 64 << 10;
	assert_int_equal(record_load_buf(z, zlen, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "not a damo record: record 1 has no 'snapshots' list");
	free(z);
	/* nor does white space count */
	memset(text, ' ', 3 * n + 2);
	memcpy(text, "[{\"snapshots\": []}]", 19);
	text[3 * n + 2] = 0;
	assert_int_equal(record_load_buf(text, 3 * n + 2, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: no 'intervals' object");
	free(text);

	/* regions kept past the limit: 10,000 of them take 240 kB */
	n = 10000;
	text = malloc(120 * n + 200);
	i = snprintf(text, 200, "[{\"intervals\": {\"sample_us\": 1, "
		     "\"aggr_us\": 2}, \"snapshots\": [{\"start_time\": 0, "
		     "\"end_time\": 1, \"regions\": [");
	for (size_t k = 0; k < n; k++)
		i += sprintf(text + i, "%s{\"start\": %zu, \"end\": %zu, "
			     "\"nr_accesses\": {\"samples\": 1}, "
			     "\"age\": {\"aggr_intervals\": 2}}", k ? "," : "",
			     2 * k, 2 * k + 1);
	strcpy(text + i, "]}]}]");
	assert_int_equal(record_load_buf(text, strlen(text), &rec, err,
					 sizeof(err)), -EFBIG);
	assert_string_equal(err, "damo record: too large to load (over 64 KiB in memory)");
	damo_max_cost = 1 << 20;
	assert_int_equal(record_load_buf(text, strlen(text), &rec, err,
					 sizeof(err)), 0);
	assert_int_equal(rec.snaps[0].nr_regions, n);
	assert_int_equal(rec.snaps[0].regions[n - 1].end, 2 * n - 1);
	recording_free(&rec);
	damo_max_cost = DAMO_MAX_COST;
	free(text);

	/* past the limit of regions in a snapshot, counted before any
	 * region is looked at */
	n = RECORD_MAX_REGIONS + 1;
	text = malloc(2 * n + 200);
	i = snprintf(text, 200, "[{\"intervals\": {\"sample_us\": 1, "
		     "\"aggr_us\": 2}, \"snapshots\": [{\"regions\": [0");
	while (--n) {
		memcpy(text + i, ",0", 2);
		i += 2;
	}
	strcpy(text + i, "]}]}]");
	assert_int_equal(record_load_buf(text, strlen(text), &rec, err,
					 sizeof(err)), -EFBIG);
	assert_string_equal(err, "damo record: snapshot 1: too many regions (1048577)");
	free(text);
	/* and the real limit holds tens of millions of regions */
	assert_true(DAMO_MAX_COST / sizeof(struct region) > 40000000);
}

/*
 * The text is read 64 KiB at a time: every token of a record, cut at
 * a buffer's end (white space before the record moves the cut), loads
 * the same, plain and compressed.
 */
static void test_buffer_edges(void **state)
{
	static const char rec_text[] =
		"[{\"kdamond_idx\": 7, \"context_idx\": null,"
		" \"intervals\": {\"sample_us\": \"5,000\", \"aggr_us\": 100000,"
		" \"ops_update_us\": 1000000, \"x\": [true, false, null, -1.5e-3]},"
		" \"target_id\": 0, \"snapshots\": [{\"start_time\": \"1,000\","
		" \"end_time\": 2000, \"s\\u0061mple_interval_us\": \"\\u0034,000\","
		" \"regions\": [{\"start\": \"4,096\", \"end\": 8192,"
		" \"nr_accesses\": {\"samples\": 3, \"percent\": 0.5},"
		" \"age\": {\"usec\": null, \"aggr_intervals\": \"12\"},"
		" \"probe_hits\": [], \"sz_filter_passed\": \"0 B \\\"\\\\\\/\\n\"}]}],"
		" \"data_source\": \"unknown\"}]";
	size_t len = strlen(rec_text), cut, pad, zlen;
	struct recording want, got;
	char err[256];
	char *text = malloc(2 * 65536 + len);
	uint8_t *z;

	(void)state;
	assert_non_null(text);
	assert_int_equal(load_text(rec_text, &want, err, sizeof(err)), 0);
	assert_int_equal(want.snaps[0].sample_ns, 4000000);	/* its own */
	assert_int_equal(want.snaps[0].regions[0].age, 12);
	assert_string_equal(want.hdr.target, "damo record, kdamond 7, target 0");
	for (cut = 0; cut <= len; cut++) {
		/* plain: the 2 bytes read to sniff, then 64 KiB reads */
		pad = 2 + 65536 - cut;
		memset(text, ' ', pad);
		memcpy(text + pad, rec_text, len);
		if (record_load_buf(text, pad + len, &got, err, sizeof(err)))
			fail_msg("cut at %zu: %s", cut, err);
		assert_same_recording(&want, &got);
		recording_free(&got);
		/* compressed: 64 KiB of text at a time */
		pad = 65536 - cut;
		memset(text, ' ', pad);
		memcpy(text + pad, rec_text, len);
		z = zcompress(text, pad + len, &zlen);
		if (record_load_buf(z, zlen, &got, err, sizeof(err)))
			fail_msg("compressed, cut at %zu: %s", cut, err);
		assert_same_recording(&want, &got);
		recording_free(&got);
		free(z);
	}
	recording_free(&want);
	free(text);
}

/*
 * The reader takes the JSON that json-c takes in its strict mode and
 * refuses what it refuses, except where json-c is lax (NaN, "1.", "-01"):
 * each value here stands as an unknown key's in a good record.
 */
static void test_strict_json(void **state)
{
	static const char *const both_take[] = {
		"0", "-0", "1.5", "-1.5e+10", "1E5", "1e-0", "123456789012345678901234567890",
		"\"\"", "\"\\u00e9\\ud83d\\ude00\"", "\"\\b\\f\\n\\r\\t\\/\"",
		"\"\xff\"", "\"\t\"", "[]", "{}", "[[[]]]", "{\"a\": {\"b\": []}}",
		"true", "false", "null", "[1, \"a\", null]", " [ 1 , 2 ] ",
	};
	static const char *const both_refuse[] = {
		"01", "1.5.5", "1e", "1e+", "-", "+1", ".5", "0x1", "1e5.5",
		"'a'", "\"\\q\"", "\"\\u12\"", "\"\\u12g4\"", "tru", "True", "nul",
		"nan", "[1,]", "[,1]", "{,}", "{\"a\":1,}", "{\"a\" 1}",
		"{1: 2}", "[1 2]", "[1}", "{\"a\": 1]", "[1x]", "[1\"a\"]",
		"/* c */ 1", "[1 /* c */]", "[truex]", "\"a", "[", "{\"a\":",
	};
	static const char *const json_c_lax[] = { "NaN", "Infinity", "1.", "-01", "00" };
	const char *head = "[{\"intervals\": {\"sample_us\": 1, \"aggr_us\": 2}, "
			   "\"x\": ";
	const char *tail = ", \"snapshots\": []}]";
	struct json_tokener *tok;
	struct json_object *o;
	struct recording rec;
	char err[256], text[512];
	size_t i;

	(void)state;
	tok = json_tokener_new();
	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	for (i = 0; i < ARRAY_SIZE(both_take) + ARRAY_SIZE(both_refuse); i++) {
		bool take = i < ARRAY_SIZE(both_take);
		const char *v = take ? both_take[i] :
			both_refuse[i - ARRAY_SIZE(both_take)];

		snprintf(text, sizeof(text), "%s%s%s", head, v, tail);
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, text, strlen(text) + 1);
		if (!o != !take)
			fail_msg("json-c %s '%s'", o ? "takes" : "refuses", v);
		json_object_put(o);
		if (load_text(text, &rec, err, sizeof(err)) != (take ? 0 : -EINVAL))
			fail_msg("'%s': '%s'", v, err);
		if (take)
			recording_free(&rec);
		else if (strncmp(err, "damo record: invalid JSON at byte ", 34) &&
			 strcmp(err, "damo record: truncated JSON"))
			fail_msg("'%s': '%s'", v, err);
	}
	for (i = 0; i < ARRAY_SIZE(json_c_lax); i++) {
		snprintf(text, sizeof(text), "%s%s%s", head, json_c_lax[i], tail);
		assert_int_equal(load_text(text, &rec, err, sizeof(err)), -EINVAL);
	}
	json_tokener_free(tok);
}

/* Several per-target records: the first that has snapshots is loaded. */
static void test_several_records(void **state)
{
	static const char three[] =
		"[{\"intervals\": {\"sample_us\": 1, \"aggr_us\": 2},"
		"  \"target_id\": 0, \"snapshots\": []},\n"
		" {\"kdamond_idx\": 0, \"context_idx\": 1, \"target_id\": 2,"
		"  \"intervals\": {\"sample_us\": 5000, \"aggr_us\": 100000},"
		"  \"snapshots\": [{\"start_time\": 10, \"end_time\": 20,"
		"   \"regions\": [{\"start\": 0, \"end\": 4096,"
		"    \"nr_accesses\": {\"samples\": 1}, \"age\": {\"aggr_intervals\": 2}}]}]},\n"
		" {\"intervals\": {\"sample_us\": 7, \"aggr_us\": 8},"
		"  \"target_id\": 3, \"snapshots\": [{\"start_time\": 30,"
		"   \"end_time\": 40, \"regions\": []}]}]";
	static const char empty[] =
		"[{\"intervals\": {\"sample_us\": 1, \"aggr_us\": 2},"
		"  \"target_id\": \"x\", \"snapshots\": []},"
		" {\"intervals\": {\"sample_us\": 3, \"aggr_us\": 4},"
		"  \"snapshots\": []}]";
	struct recording rec;
	char err[256];

	(void)state;
	assert_int_equal(load_text(three, &rec, err, sizeof(err)), 0);
	assert_string_equal(rec.hdr.target,
			    "damo record, kdamond 0, context 1, target 2 (record 2 of 3)");
	assert_int_equal(rec.nr_snaps, 1);
	assert_int_equal(rec.hdr.sample_ns, 5000000);
	assert_int_equal(rec.hdr.aggr_ns, 100000000);
	assert_int_equal(rec.hdr.update_ns, 0);		/* not in the file */
	assert_int_equal(rec.hdr.start_mono_ns, 10);
	assert_int_equal(rec.snaps[0].time_ns, 20);
	assert_int_equal(rec.snaps[0].regions[0].end, 4096);
	recording_free(&rec);

	/* none has snapshots: the first, empty (and a target that is no
	 * number is left unnamed) */
	assert_int_equal(load_text(empty, &rec, err, sizeof(err)), 0);
	assert_string_equal(rec.hdr.target, "damo record (record 1 of 2)");
	assert_int_equal(rec.nr_snaps, 0);
	assert_int_equal(rec.hdr.sample_ns, 1000);
	assert_int_equal(rec.hdr.start_mono_ns, 0);
	recording_free(&rec);
}

static void test_sniff(void **state)
{
	(void)state;
	assert_true(damo_sniff("[", 1));
	assert_true(damo_sniff("{", 1));
	assert_true(damo_sniff(" ", 1));
	assert_true(damo_sniff("\x78\x9c", 2));	/* zlib's default */
	assert_true(damo_sniff("\x78\x01", 2));	/* best speed */
	assert_true(damo_sniff("\x78\xda", 2));	/* best compression */
	assert_true(damo_sniff("\x08\x5b", 2));	/* a 256-byte window */
	assert_false(damo_sniff("\x78", 1));
	assert_false(damo_sniff("\x78\x9d", 2));	/* check bits wrong */
	assert_false(damo_sniff("\x88\x98", 2));	/* window too big */
	assert_false(damo_sniff("KSCOPREC", 8));
	assert_false(damo_sniff("", 0));
	assert_false(damo_sniff("x", 1));
}

/* ---- the writer ---------------------------------------------------------- */

static void writer_header(struct record_header *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->tool, "damontop");
	strcpy(h->source, "pte");
	strcpy(h->target, "pid 4242");
	h->pid = 4242;
	h->start_realtime_ns = 1700000000123456789ull;
	h->start_mono_ns = 950000000;
	h->sample_ns = 5000000;
	h->aggr_ns = 100000000;
}

/* Snapshot @i of a test session: region counts vary, including 0. */
static void writer_snap(struct snapshot *s, unsigned int i)
{
	static const uint32_t counts[] = { 3, 0, 1, 57, 1000, 12, 0, 200 };
	uint64_t addr = 0x7f0000000000ull + i * 0x1000;
	uint32_t j;

	s->time_ns = SEC + i * 100000000ull;
	s->sample_ns = 5000000 + (i / 4) * 1000;	/* changes, in us */
	s->aggr_ns = 100000000;
	s->nr_regions = counts[i % 8];
	s->regions = s->nr_regions ?
		calloc(s->nr_regions, sizeof(*s->regions)) : NULL;
	for (j = 0; j < s->nr_regions; j++) {
		s->regions[j].start = addr;
		addr += 4096 * (1 + (j * 7 + i) % 13);
		s->regions[j].end = addr;
		addr += 4096 * (j % 3);		/* gaps sometimes */
		s->regions[j].nr_accesses = (j * 31 + i) % 21;
		s->regions[j].age = (j + i) * 997;	/* some >= 1,000 */
	}
}

static const struct mapping writer_maps[] = {
	{ 0x400000, 0x401000, "accessgen" },
	{ 0x7ffd00000000ull, 0x7ffd00021000ull, "[stack]" },
};

static void write_damo(const char *path, unsigned int n)
{
	struct record_header h;
	struct record_writer *w;
	struct snapshot s;
	unsigned int i;

	writer_header(&h);
	w = record_create_damo(path, true, &h);
	assert_non_null(w);
	/* damo has no mappings: accepted, not written */
	assert_int_equal(record_write_mappings(w, 1, writer_maps, 2), 0);
	for (i = 0; i < n; i++) {
		writer_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		free(s.regions);
	}
	assert_int_equal(record_close(w), 0);
}

static void test_writer_round_trip(void **state)
{
	const char *path = test_path("round.damon.data");
	struct recording rec;
	struct snapshot s;
	struct stat st;
	char err[256];
	unsigned int i;

	(void)state;
	write_damo(path, 16);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_string_equal(rec.hdr.tool, "damo");
	assert_string_equal(rec.hdr.target, "damo record, target 0");
	assert_int_equal(rec.hdr.pid, -1);
	assert_int_equal(rec.hdr.start_mono_ns, 950000000);
	assert_int_equal(rec.hdr.sample_ns, 5000000);
	assert_int_equal(rec.hdr.aggr_ns, 100000000);
	assert_int_equal(rec.hdr.update_ns, SEC);	/* DAMON's default */
	assert_int_equal(rec.nr_maps, 0);
	assert_int_equal(rec.nr_snaps, 16);
	for (i = 0; i < 16; i++) {
		const struct snapshot *r = &rec.snaps[i];

		writer_snap(&s, i);
		assert_int_equal(r->time_ns, s.time_ns);
		assert_int_equal(r->sample_ns, s.sample_ns);
		assert_int_equal(r->aggr_ns, s.aggr_ns);
		assert_int_equal(r->nr_regions, s.nr_regions);
		if (s.nr_regions)
			assert_memory_equal(r->regions, s.regions,
					    s.nr_regions * sizeof(*s.regions));
		free(s.regions);
	}
	recording_free(&rec);
}

/* The keys of @o, in order, are exactly @keys. */
static void assert_keys(struct json_object *o, const char *const *keys,
			size_t n, const char *what)
{
	size_t i = 0;

	assert_true(json_object_is_type(o, json_type_object));
	json_object_object_foreach(o, key, val) {
		(void)val;
		if (i >= n || strcmp(key, keys[i]))
			fail_msg("%s: key %zu is '%s', damo has '%s'", what, i,
				 key, i < n ? keys[i] : "(none)");
		i++;
	}
	assert_int_equal(i, n);
}

static void assert_type(struct json_object *o, const char *key,
			enum json_type type)
{
	struct json_object *m;

	assert_true(json_object_object_get_ex(o, key, &m));
	if (!json_object_is_type(m, type))
		fail_msg("'%s' is a %s, damo writes a %s", key,
			 json_type_to_name(json_object_get_type(m)),
			 json_type_to_name(type));
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *m;

	assert_true(json_object_object_get_ex(o, key, &m));
	return m;
}

/*
 * What damo 3.3.0 writes (its fixture record has it all), key by key and
 * with the types it gives each value: numbers as strings but for
 * target_id and nr_accesses.samples.
 */
static void check_damo_keys(const char *text, size_t nr_snaps)
{
	static const char *const rec_keys[] = {
		"kdamond_idx", "context_idx", "intervals", "scheme_idx",
		"target_id", "scheme_filters", "snapshots", "data_source",
	};
	static const char *const int_keys[] = {
		"sample_us", "aggr_us", "ops_update_us", "intervals_goal",
	};
	static const char *const goal_keys[] = {
		"access_bp", "aggrs", "min_sample_us", "max_sample_us",
	};
	static const char *const snap_keys[] = {
		"start_time", "end_time", "regions", "total_bytes",
		"damos_stats", "sample_interval_us",
	};
	static const char *const reg_keys[] = {
		"start", "end", "nr_accesses", "age", "probe_hits",
		"sz_filter_passed",
	};
	static const char *const acc_keys[] = { "samples", "percent" };
	static const char *const age_keys[] = { "usec", "aggr_intervals" };
	struct json_object *top = json_tokener_parse(text), *r, *snaps;
	size_t i, j, seen = 0;

	assert_non_null(top);
	assert_true(json_object_is_type(top, json_type_array));
	assert_int_equal(json_object_array_length(top), 1);
	r = json_object_array_get_idx(top, 0);
	assert_keys(r, rec_keys, ARRAY_SIZE(rec_keys), "record");
	assert_type(r, "kdamond_idx", json_type_null);
	assert_type(r, "target_id", json_type_int);
	assert_type(r, "scheme_filters", json_type_array);
	assert_type(r, "data_source", json_type_string);
	assert_keys(member(r, "intervals"), int_keys, ARRAY_SIZE(int_keys),
		    "intervals");
	assert_type(member(r, "intervals"), "aggr_us", json_type_string);
	assert_keys(member(member(r, "intervals"), "intervals_goal"),
		    goal_keys, ARRAY_SIZE(goal_keys), "intervals_goal");
	snaps = member(r, "snapshots");
	assert_int_equal(json_object_array_length(snaps), nr_snaps);
	for (i = 0; i < nr_snaps; i++) {
		struct json_object *s = json_object_array_get_idx(snaps, i);
		struct json_object *regs = member(s, "regions");

		assert_keys(s, snap_keys, ARRAY_SIZE(snap_keys), "snapshot");
		assert_type(s, "start_time", json_type_string);
		assert_type(s, "end_time", json_type_string);
		assert_type(s, "total_bytes", json_type_string);
		for (j = 0; j < json_object_array_length(regs); j++) {
			struct json_object *g = json_object_array_get_idx(regs, j);

			assert_keys(g, reg_keys, ARRAY_SIZE(reg_keys), "region");
			assert_type(g, "start", json_type_string);
			assert_type(g, "end", json_type_string);
			assert_type(member(g, "nr_accesses"), "samples",
				    json_type_int);
			assert_type(member(g, "age"), "aggr_intervals",
				    json_type_string);
			assert_string_equal(json_object_get_string(
				member(g, "sz_filter_passed")), "0 B");
			assert_keys(member(g, "nr_accesses"), acc_keys, 2,
				    "nr_accesses");
			assert_keys(member(g, "age"), age_keys, 2, "age");
			seen++;
		}
	}
	assert_true(!nr_snaps || seen);
	json_object_put(top);
}

static void test_writer_keys(void **state)
{
	const char *path = test_path("keys.damon.data");
	const char *end;
	size_t zlen, len;
	uint8_t *z;
	char *text;

	(void)state;
	write_damo(path, 6);
	z = slurp(path, &zlen);
	text = zinflate(z, zlen, &len);
	check_damo_keys(text, 6);
	/* damo's number formats: separators in addresses and ages only */
	assert_non_null(strstr(text, "\"start\": \"139,637,976,727,552\""));
	assert_non_null(strstr(text, "\"aggr_intervals\": \"1,994\""));
	assert_non_null(strstr(text, "\"start_time\": \"950000000\""));
	assert_non_null(strstr(text, "\"sample_us\": \"5000\""));
	/* a changed sampling interval is the snapshot's own */
	assert_non_null(strstr(text, "\"sample_interval_us\": 5001\n"));
	assert_non_null(strstr(text, "\"regions\": [],\n"));
	/* python's json.dumps(indent=4) ends without a newline */
	end = "\"data_source\": \"unknown\"\n    }\n]";
	assert_string_equal(text + len - strlen(end), end);
	free(text);
	free(z);
}

/* No snapshot: still a whole damo record, with the header's intervals. */
static void test_writer_empty(void **state)
{
	const char *path = test_path("empty.damon.data");
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	size_t zlen, len;
	char err[256], *text;
	uint8_t *z;

	(void)state;
	writer_header(&h);
	h.update_ns = 60 * SEC;
	w = record_create_damo(path, false, &h);
	assert_non_null(w);
	assert_int_equal(record_close(w), 0);
	z = slurp(path, &zlen);
	text = zinflate(z, zlen, &len);
	check_damo_keys(text, 0);
	assert_non_null(strstr(text, "\"snapshots\": [],\n"));
	assert_non_null(strstr(text, "\"ops_update_us\": \"60000000\""));
	free(text);
	free(z);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 0);
	assert_int_equal(rec.hdr.sample_ns, 5000000);
	assert_int_equal(rec.hdr.aggr_ns, 100000000);
	assert_int_equal(rec.hdr.update_ns, 60 * SEC);
	recording_free(&rec);
}

/* Each snapshot reaches the file as it is written (a sync flush). */
static void test_writer_follow(void **state)
{
	const char *path = test_path("follow.damon.data");
	unsigned char out[1 << 16];
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	struct snapshot s;
	z_stream zs = { 0 };
	size_t zlen;
	char err[256];
	unsigned int i;
	uint8_t *z;

	(void)state;
	writer_header(&h);
	w = record_create_damo(path, true, &h);
	assert_non_null(w);
	for (i = 0; i < 3; i++) {
		writer_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		free(s.regions);
	}
	z = slurp(path, &zlen);
	assert_int_equal(inflateInit(&zs), Z_OK);
	zs.next_in = z;
	zs.avail_in = zlen;
	zs.next_out = out;
	zs.avail_out = sizeof(out) - 1;
	assert_int_equal(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
	out[zs.total_out] = 0;
	/* the third snapshot is complete in what is already there */
	assert_non_null(strstr((char *)out, "\"end_time\": \"1200000000\""));
	assert_string_equal((char *)out + zs.total_out - 14, "\n            }");
	inflateEnd(&zs);
	free(z);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "truncated zlib stream");
	assert_int_equal(record_close(w), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 3);
	recording_free(&rec);
}

static void test_writer_rejects(void **state)
{
	const char *path = test_path("rejects.damon.data");
	struct region bad[2] = {
		{ 8192, 12288, 1, 1 }, { 4096, 8192, 1, 1 },
	};
	struct snapshot s = { .time_ns = 5 * SEC, .aggr_ns = SEC,
			      .sample_ns = SEC / 10, .nr_regions = 2,
			      .regions = bad };
	struct mapping m[2] = { { 0, 4096, "a" }, { 0, 4096, "b" } };
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	char err[256];

	(void)state;
	writer_header(&h);
	w = record_create_damo(path, false, &h);
	assert_non_null(w);
	/* unsorted regions, then time going back: nothing written */
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	bad[0] = (struct region){ 0, 4096, 2, 3 };
	assert_int_equal(record_write_snapshot(w, &s), 0);
	s.time_ns = 4 * SEC;
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	bad[1].end = bad[1].start;
	s.time_ns = 6 * SEC;
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	/* overlapping mappings are refused as for our own format */
	assert_int_equal(record_write_mappings(w, 1, m, 2), -EINVAL);
	assert_int_equal(record_close(w), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 1);
	assert_int_equal(rec.snaps[0].regions[1].start, 4096);
	recording_free(&rec);

	/* the same safe creation as record_create() */
	assert_null(record_create_damo(path, false, &h));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(symlink(path, test_path("link.damon.data")), 0);
	assert_null(record_create_damo(test_path("link.damon.data"), true, &h));
	assert_null(record_create_damo(test_path("no/such/dir"), true, &h));
	assert_int_equal(errno, ENOENT);
	assert_null(record_create_damo(path, true, NULL));
	assert_int_equal(errno, EINVAL);
}

/* An I/O error is returned, and again by every later call and close. */
static void test_writer_io_error(void **state)
{
	struct region r = { 0, 4096, 1, 1 };
	struct snapshot s = { .time_ns = SEC, .aggr_ns = SEC / 10,
			      .sample_ns = SEC / 100, .nr_regions = 1,
			      .regions = &r };
	struct record_header h;
	struct damo_writer *w;
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);

	(void)state;
	if (fd < 0) {
		print_message("# no /dev/full: %s\n", strerror(errno));
		return;
	}
	writer_header(&h);
	w = damo_writer_open(fd, &h);
	assert_non_null(w);
	assert_int_equal(damo_writer_snapshot(w, &s), -ENOSPC);
	s.time_ns += SEC;
	assert_int_equal(damo_writer_snapshot(w, &s), -ENOSPC);
	assert_int_equal(damo_writer_close(w), -ENOSPC);
	assert_null(damo_writer_open(-1, &h));
	assert_int_equal(errno, EINVAL);
}

/* record_load_buf() reads our own format exactly as record_load(). */
static void test_kscope_buf(void **state)
{
	const char *path = test_path("ours.rec");
	struct recording a, b;
	struct record_header h;
	struct record_writer *w;
	struct snapshot s;
	size_t len, cut;
	char err[256], err2[256];
	unsigned int i;
	uint8_t *buf;

	(void)state;
	writer_header(&h);
	w = record_create(path, true, &h);
	assert_non_null(w);
	assert_int_equal(record_write_mappings(w, 1, writer_maps, 2), 0);
	for (i = 0; i < 5; i++) {
		writer_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		free(s.regions);
	}
	assert_int_equal(record_close(w), 0);
	buf = slurp(path, &len);
	assert_int_equal(record_load(path, &a, err, sizeof(err)), 0);
	assert_int_equal(record_load_buf(buf, len, &b, err, sizeof(err)), 0);
	assert_string_equal(b.hdr.tool, "damontop");
	assert_int_equal(b.hdr.pid, 4242);
	assert_int_equal(b.nr_maps, 2);
	assert_same_recording(&a, &b);
	recording_free(&a);
	recording_free(&b);
	for (cut = 0; cut < len; cut += 7) {
		spew(test_path("cut.rec"), buf, cut);
		assert_int_equal(record_load_buf(buf, cut, &a, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(record_load(test_path("cut.rec"), &b, err2,
					     sizeof(err2)), -EINVAL);
		assert_string_equal(err, err2);
	}
	free(buf);
}

/* ---- the real damo record ---------------------------------------------- */

static struct {
	int err;
	char why[256];
	struct recording rec;
	uint8_t *raw;		/* the file, compressed */
	size_t raw_len;
	char *text;		/* its JSON */
	size_t text_len;
} fx;

static int setup(void **state)
{
	if (group_setup(state))
		return -1;
	if (!fxdir.found)
		return 0;
	fx.err = read_all(fixture_path(DAMO_DATA), &fx.raw, &fx.raw_len);
	if (fx.err) {
		snprintf(fx.why, sizeof(fx.why), "cannot read it");
		return 0;
	}
	fx.err = record_load(fixture_path(DAMO_DATA), &fx.rec, fx.why,
			     sizeof(fx.why));
	return 0;
}

static int teardown(void **state)
{
	recording_free(&fx.rec);
	free(fx.raw);
	free(fx.text);
	return group_teardown(state);
}

static bool need_fixture(void)
{
	if (!fxdir.found)
		return false;
	if (fx.err)
		print_message("# %s: %s (%s)\n", fixture_path(DAMO_DATA),
			      fx.why, strerror(-fx.err));
	assert_int_equal(fx.err, 0);
	if (!fx.text)
		fx.text = zinflate(fx.raw, fx.raw_len, &fx.text_len);
	return true;
}

/* What the record holds, as the fixture's README and the JSON say. */
static void test_fixture_load(void **state)
{
	const struct recording *rec = &fx.rec;
	const struct region *r;
	size_t i, total = 0;

	(void)state;
	if (!need_fixture())
		return;
	assert_string_equal(rec->hdr.tool, "damo");
	assert_string_equal(rec->hdr.source, "damo");
	assert_string_equal(rec->hdr.target, "damo record, target 0");
	assert_int_equal(rec->hdr.pid, -1);
	assert_int_equal(rec->hdr.sample_ns, SEC / 2);
	assert_int_equal(rec->hdr.aggr_ns, 5 * SEC);
	assert_int_equal(rec->hdr.update_ns, 60 * SEC);
	assert_int_equal(rec->hdr.start_mono_ns, 503291224916ull);
	assert_int_equal(rec->nr_snaps, 13);
	assert_int_equal(rec->snaps[0].time_ns, 508509266000ull);
	assert_int_equal(rec->snaps[12].time_ns, 571125759000ull);
	assert_int_equal(rec->snaps[0].nr_regions, 1366);
	assert_int_equal(rec->snaps[12].nr_regions, 1817);
	for (i = 0; i < rec->nr_snaps; i++) {
		const struct snapshot *s = &rec->snaps[i];

		assert_int_equal(s->sample_ns, SEC / 2);
		assert_int_equal(s->aggr_ns, 5 * SEC);
		assert_true(s->nr_regions >= 1366 && s->nr_regions <= 1817);
		assert_true(!i || s->time_ns > s[-1].time_ns);
		total += s->nr_regions;
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

/* damo's `json` format is the same text, uncompressed. */
static void test_fixture_plain(void **state)
{
	const char *path = test_path("paddr.json");
	struct recording rec;
	char err[256];

	(void)state;
	if (!need_fixture())
		return;
	spew(path, fx.text, fx.text_len);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_same_recording(&fx.rec, &rec);
	assert_memory_equal(&rec.hdr, &fx.rec.hdr, sizeof(rec.hdr));
	recording_free(&rec);
	assert_int_equal(record_load_buf(fx.text, fx.text_len, &rec, err,
					 sizeof(err)), 0);
	assert_same_recording(&fx.rec, &rec);
	recording_free(&rec);
	check_damo_keys(fx.text, 13);
}

/* Our writer, given what we loaded, writes damo's very text back. */
static void test_fixture_rewrite(void **state)
{
	const char *path = test_path("rewritten.damon.data");
	struct record_writer *w;
	size_t i, zlen, len;
	uint8_t *z;
	char *text;

	(void)state;
	if (!need_fixture())
		return;
	w = record_create_damo(path, true, &fx.rec.hdr);
	assert_non_null(w);
	for (i = 0; i < fx.rec.nr_snaps; i++)
		assert_int_equal(record_write_snapshot(w, &fx.rec.snaps[i]), 0);
	assert_int_equal(record_close(w), 0);
	z = slurp(path, &zlen);
	text = zinflate(z, zlen, &len);
	assert_int_equal(len, fx.text_len);
	for (i = 0; i < len && text[i] == fx.text[i]; i++)
		;
	if (i < len)
		fail_msg("differs from damo's text at byte %zu: '%.40s' vs '%.40s'",
			 i, text + i, fx.text + i);
	print_message("# %zu bytes of JSON identical to damo's; %zu compressed "
		      "(damo: %zu)\n", len, zlen, fx.raw_len);
	free(text);
	free(z);
}

/* Cut, extended, damaged or cut before compressing: refused. */
static void test_fixture_damaged(void **state)
{
	size_t len = fx.raw_len, cuts[8], i, zlen;
	struct recording rec;
	char err[256];
	uint8_t *copy, *z;

	(void)state;
	if (!need_fixture())
		return;
	cuts[0] = 2;
	cuts[1] = 100;
	cuts[2] = len / 4;
	cuts[3] = len / 2;
	cuts[4] = len - 5;
	cuts[5] = len - 4;	/* all the deflate data, no checksum */
	cuts[6] = len - 1;
	cuts[7] = 3;
	for (i = 0; i < ARRAY_SIZE(cuts); i++) {
		copy = malloc(cuts[i]);
		memcpy(copy, fx.raw, cuts[i]);
		assert_int_equal(record_load_buf(copy, cuts[i], &rec, err,
						 sizeof(err)), -EINVAL);
		assert_string_equal(err, "truncated zlib stream");
		assert_null(rec.snaps);
		free(copy);
	}
	copy = malloc(len + 1);
	memcpy(copy, fx.raw, len);
	copy[len] = 0;
	assert_int_equal(record_load_buf(copy, len + 1, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "data after the zlib stream");
	/* a byte changed in the middle: zlib's checks or the JSON's catch it */
	for (i = len / 3; i < len; i += len / 7) {
		copy[i] ^= 0x55;
		assert_int_equal(record_load_buf(copy, len, &rec, err,
						 sizeof(err)), -EINVAL);
		print_message("# byte %zu changed: %s\n", i, err);
		copy[i] ^= 0x55;
	}
	free(copy);

	/* a whole zlib stream of half the JSON */
	z = zcompress(fx.text, fx.text_len / 2, &zlen);
	assert_int_equal(record_load_buf(z, zlen, &rec, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "damo record: truncated JSON");
	free(z);
	assert_int_equal(record_load_buf(fx.text, fx.text_len - 1, &rec, err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "damo record: truncated JSON");
}

int main(void)
{
	bool found = fixture_find();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mini_record),
		cmocka_unit_test(test_mini_numbers),
		cmocka_unit_test(test_mini_refused),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_mini_truncated),
		cmocka_unit_test(test_chunking),
		cmocka_unit_test(test_cost_limit),
		cmocka_unit_test(test_buffer_edges),
		cmocka_unit_test(test_strict_json),
		cmocka_unit_test(test_several_records),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_writer_round_trip),
		cmocka_unit_test(test_writer_keys),
		cmocka_unit_test(test_writer_empty),
		cmocka_unit_test(test_writer_follow),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_writer_io_error),
		cmocka_unit_test(test_kscope_buf),
		fixture_test(test_fixture_load),
		fixture_test(test_fixture_plain),
		fixture_test(test_fixture_rewrite),
		fixture_test(test_fixture_damaged),
	};

	if (!found)
		printf("# damo fixtures (%s) not found in %s\n", DAMO_DATA,
		       fxdir.tried);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
