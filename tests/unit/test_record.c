// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the session record format: what is written comes back
 * exactly, and every kind of damaged, truncated or forged file is refused
 * with a reason instead of being half-loaded.  Files live in a mkdtemp
 * directory that the group teardown removes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "record.h"
#include "record_ring.h"

#define TMPDIR_NAME "record"
#include "tmpdir.h"

static void test_header(struct record_header *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->tool, "damontop");
	strcpy(h->source, "pte");
	strcpy(h->target, "tools/accessgen stairs --regions 10");
	h->pid = 4242;
	h->start_realtime_ns = 1700000000123456789ull;
	h->start_mono_ns = 987654321012ull;
	h->sample_ns = 5000000;
	h->aggr_ns = 100000000;
	h->min_nr_regions = 10;
	h->max_nr_regions = 1000;
}

/* Snapshot @i of a test session: region counts vary, including 0. */
static void test_snap(struct snapshot *s, unsigned int i)
{
	static const uint32_t counts[] = { 3, 0, 1, 57, 1000, 12, 0, 200 };
	uint64_t addr = 0x7f0000000000ull + i * 0x1000;
	uint32_t j;

	s->time_ns = 1000000000ull + i * 100000000ull;
	s->sample_ns = 5000000 + (i / 4) * 1000000;	/* intervals change */
	s->aggr_ns = 100000000 + (i / 4) * 10000000;
	s->nr_regions = counts[i % 8];
	s->regions = s->nr_regions ?
		calloc(s->nr_regions, sizeof(*s->regions)) : NULL;
	for (j = 0; j < s->nr_regions; j++) {
		s->regions[j].start = addr;
		addr += 4096 * (1 + (j * 7 + i) % 13);
		s->regions[j].end = addr;
		addr += 4096 * (j % 3);		/* gaps sometimes */
		s->regions[j].nr_accesses = (j * 31 + i) % 21;
		s->regions[j].age = j + i;
	}
}

static const struct mapping test_maps1[] = {
	{ 0x400000, 0x401000, "accessgen" },
	{ 0x7f0000000000ull, 0x7f0040000000ull, "" },
	{ 0x7ffd00000000ull, 0x7ffd00021000ull, "[stack]" },
};

static const struct mapping test_maps2[] = {
	{ 0x400000, 0x401000, "accessgen" },
	{ 0x555500000000ull, 0x555500100000ull, "[heap]" },
	{ 0x7f1000000000ull, 0x7f1000200000ull,
	  "libc.so.6 with a name that is exactly sixty-three characters.." },
};

/* A session of @n snapshots and two mapping sets; returns the file size. */
static size_t write_session(const char *path, unsigned int n)
{
	struct record_header h;
	struct record_writer *w;
	struct snapshot s;
	struct stat st;
	unsigned int i;

	test_header(&h);
	w = record_create(path, true, &h);
	assert_non_null(w);
	assert_int_equal(record_write_mappings(w, 1, test_maps1, 3), 0);
	for (i = 0; i < n; i++) {
		test_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		free(s.regions);
		if (i == n / 2)
			assert_int_equal(record_write_mappings(w, 2 + i,
							       test_maps2, 3), 0);
	}
	assert_int_equal(record_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	FILE *f;

	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fstat(fileno(f), &st), 0);
	buf = malloc(st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, st.st_size, f), (size_t)st.st_size);
	fclose(f);
	*len = st.st_size;
	return buf;
}

static void spew(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Size of the uncompressed header, from its length field. */
static size_t header_size(const unsigned char *buf)
{
	return 16 + (buf[12] | buf[13] << 8 | buf[14] << 16 |
		     (uint32_t)buf[15] << 24) + 4;
}

static int load_err(const char *path, char *err, size_t len)
{
	struct recording rec;
	int ret;

	ret = record_load(path, &rec, err, len);
	if (!ret)
		recording_free(&rec);
	/* a failed load leaves nothing to free */
	assert_null(rec.snaps);
	return ret;
}

static void test_round_trip(void **state)
{
	const char *path = test_path("round-trip.rec");
	struct record_header h;
	struct recording rec;
	struct snapshot s;
	char err[128];
	unsigned int i;

	(void)state;
	write_session(path, 30);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	test_header(&h);
	assert_string_equal(rec.hdr.tool, h.tool);
	assert_string_equal(rec.hdr.source, h.source);
	assert_string_equal(rec.hdr.target, h.target);
	assert_int_equal(rec.hdr.pid, 4242);
	assert_true(rec.hdr.start_realtime_ns == h.start_realtime_ns);
	assert_true(rec.hdr.start_mono_ns == h.start_mono_ns);
	assert_true(rec.hdr.sample_ns == h.sample_ns);
	assert_true(rec.hdr.aggr_ns == h.aggr_ns);
	assert_int_equal(rec.hdr.min_nr_regions, 10);
	assert_int_equal(rec.hdr.max_nr_regions, 1000);

	assert_int_equal(rec.nr_snaps, 30);
	for (i = 0; i < 30; i++) {
		const struct snapshot *g = &rec.snaps[i];

		test_snap(&s, i);
		assert_true(g->time_ns == s.time_ns);
		assert_true(g->sample_ns == s.sample_ns);
		assert_true(g->aggr_ns == s.aggr_ns);
		assert_int_equal(g->nr_regions, s.nr_regions);
		if (s.nr_regions)
			assert_memory_equal(g->regions, s.regions,
					    s.nr_regions * sizeof(*s.regions));
		else
			assert_null(g->regions);
		free(s.regions);
	}

	/* the last mapping set is kept, names exactly */
	assert_int_equal(rec.nr_map_sets, 2);
	assert_int_equal(rec.nr_maps, 3);
	assert_true(rec.maps_time_ns == 2 + 15);
	for (i = 0; i < 3; i++) {
		assert_true(rec.maps[i].start == test_maps2[i].start);
		assert_true(rec.maps[i].end == test_maps2[i].end);
		assert_string_equal(rec.maps[i].name, test_maps2[i].name);
	}
	recording_free(&rec);
	assert_null(rec.snaps);
	assert_int_equal(rec.nr_snaps, 0);
}

/* Larger than the loader's buffers, so reads span many chunks. */
static void test_large_session(void **state)
{
	const char *path = test_path("large.rec");
	const char *bad = test_path("large-bad.rec");
	struct recording rec;
	unsigned char *buf;
	size_t size, len, i;
	struct snapshot s;
	char err[128];

	(void)state;
	size = write_session(path, 400);
	assert_true(size > 4 * 65536);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 400);
	for (i = 0; i < 400; i += 37) {
		test_snap(&s, i);
		assert_int_equal(rec.snaps[i].nr_regions, s.nr_regions);
		if (s.nr_regions)
			assert_memory_equal(rec.snaps[i].regions, s.regions,
					    s.nr_regions * sizeof(*s.regions));
		free(s.regions);
	}
	recording_free(&rec);

	buf = slurp(path, &len);
	for (i = 1; i < 8; i++) {
		size_t at = len / 8 * i;

		buf[at] ^= 0x01;
		spew(bad, buf, len);
		buf[at] ^= 0x01;
		assert_int_equal(load_err(bad, err, sizeof(err)), -EINVAL);
	}
	free(buf);
}

static void test_empty_session(void **state)
{
	const char *path = test_path("empty-session.rec");
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	char err[128];

	(void)state;
	memset(&h, 0, sizeof(h));	/* empty strings are fine */
	h.pid = -1;
	w = record_create(path, false, &h);
	assert_non_null(w);
	assert_int_equal(record_close(w), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 0);
	assert_int_equal(rec.nr_maps, 0);
	assert_int_equal(rec.hdr.pid, -1);
	assert_string_equal(rec.hdr.tool, "");
	recording_free(&rec);
}

/* A cut anywhere is refused, and the message says how far it got. */
static void test_truncated(void **state)
{
	const char *full = test_path("full.rec"), *cut = test_path("cut.rec");
	size_t len, hlen, i, last = 0, n;
	unsigned char *buf;
	char err[128];

	(void)state;
	write_session(full, 12);
	buf = slurp(full, &len);
	hlen = header_size(buf);
	/* every byte at the header and the end, every 13th between */
	for (i = 0; i < len; i += (i < hlen + 64 || i > len - 64) ? 1 : 13) {
		spew(cut, buf, i);
		assert_int_equal(load_err(cut, err, sizeof(err)), -EINVAL);
		if (i == 0) {
			assert_string_equal(err, "empty file: not a kscope record");
		} else if (i < hlen) {
			assert_string_equal(err, "truncated header");
		} else {
			if (sscanf(err, "truncated after snapshot %zu", &n) != 1)
				fail_msg("cut at %zu of %zu: '%s'", i, len, err);
			assert_true(n >= last && n <= 12);
			last = n;
		}
	}
	assert_int_equal(last, 12);
	free(buf);
}

static void test_flipped_header(void **state)
{
	const char *full = test_path("flip-h-full.rec");
	const char *bad = test_path("flip-h.rec");
	unsigned char *buf;
	size_t len, hlen, i;
	char err[128];

	(void)state;
	write_session(full, 4);
	buf = slurp(full, &len);
	hlen = header_size(buf);
	for (i = 0; i < hlen; i++) {
		buf[i] ^= 0xff;
		spew(bad, buf, len);
		buf[i] ^= 0xff;
		assert_int_equal(load_err(bad, err, sizeof(err)), -EINVAL);
		if (i < 8)
			assert_string_equal(err, "bad magic: not a kscope record");
		else if (i < 12)
			assert_true(!strncmp(err, "unsupported version ", 20));
		else if (i >= 16)
			assert_string_equal(err, "header CRC mismatch");
		else
			assert_true(err[0]);
	}
	free(buf);
}

static void test_flipped_body(void **state)
{
	const char *full = test_path("flip-b-full.rec");
	const char *bad = test_path("flip-b.rec");
	unsigned char *buf;
	size_t len, hlen, i;
	char err[128];

	(void)state;
	write_session(full, 10);
	buf = slurp(full, &len);
	hlen = header_size(buf);
	for (i = hlen; i < len; i += (i < hlen + 64 || i > len - 64) ? 1 : 5) {
		buf[i] ^= 0xff;
		spew(bad, buf, len);
		buf[i] ^= 0xff;
		if (load_err(bad, err, sizeof(err)) != -EINVAL)
			fail_msg("flip at %zu of %zu accepted", i, len);
		assert_true(err[0]);
	}
	/* single bits too, where CRCs rather than zlib must catch it */
	for (i = hlen; i < len; i += 17) {
		buf[i] ^= 0x10;
		spew(bad, buf, len);
		buf[i] ^= 0x10;
		if (load_err(bad, err, sizeof(err)) != -EINVAL)
			fail_msg("bit flip at %zu of %zu accepted", i, len);
	}
	free(buf);
}

static void test_bad_magic(void **state)
{
	const char *path = test_path("text.rec");
	static const char text[] = "# this is a text file, not a record\n";
	char err[128];

	(void)state;
	spew(path, text, sizeof(text) - 1);
	assert_int_equal(load_err(path, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad magic: not a kscope record");
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void test_future_version(void **state)
{
	const char *full = test_path("v-full.rec");
	const char *bad = test_path("v7.rec");
	unsigned char *buf;
	size_t len, hlen;
	char err[128];

	(void)state;
	write_session(full, 2);
	buf = slurp(full, &len);
	hlen = header_size(buf);
	put_le32(buf + 8, 7);
	/* even with a consistent header CRC, version 7 is not ours to read */
	put_le32(buf + hlen - 4, crc32(0, buf, hlen - 4));
	spew(bad, buf, len);
	assert_int_equal(load_err(bad, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unsupported version 7");
	free(buf);
}

static void test_empty_and_missing(void **state)
{
	const char *path = test_path("empty.rec");
	char err[128];

	(void)state;
	spew(path, "", 0);
	assert_int_equal(load_err(path, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "empty file: not a kscope record");

	assert_int_equal(load_err(test_path("no-such.rec"), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, strerror(ENOENT));
	/* a directory is an I/O error, not a crash */
	assert_true(load_err(test_dir, err, sizeof(err)) < 0);
	/* the message buffer is optional */
	assert_int_equal(load_err(test_path("no-such.rec"), NULL, 0), -ENOENT);
}

static void test_no_overwrite(void **state)
{
	const char *path = test_path("existing.rec");
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	unsigned char *buf;
	struct stat st;
	char err[128];
	size_t len;

	(void)state;
	test_header(&h);
	spew(path, "keep", 4);
	errno = 0;
	assert_null(record_create(path, false, &h));
	assert_int_equal(errno, EEXIST);
	buf = slurp(path, &len);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "keep", 4);
	free(buf);

	w = record_create(path, true, &h);
	assert_non_null(w);
	assert_int_equal(record_close(w), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	recording_free(&rec);
}

static void test_symlink_refused(void **state)
{
	const char *target = test_path("victim");
	const char *link = test_path("link.rec");
	struct record_header h;
	unsigned char *buf;
	size_t len;

	(void)state;
	test_header(&h);
	spew(target, "victim", 6);
	assert_int_equal(symlink(target, link), 0);
	assert_null(record_create(link, false, &h));
	assert_null(record_create(link, true, &h));
	buf = slurp(target, &len);
	assert_int_equal(len, 6);
	assert_memory_equal(buf, "victim", 6);
	free(buf);
	/* a dangling link is not followed either */
	assert_int_equal(unlink(target), 0);
	assert_null(record_create(link, true, &h));
	assert_int_equal(access(target, F_OK), -1);
}

static void test_writer_rejects(void **state)
{
	const char *path = test_path("rejects.rec");
	struct region reg[3] = {
		{ 0x1000, 0x3000, 1, 0 },
		{ 0x3000, 0x4000, 2, 0 },
		{ 0x8000, 0x9000, 3, 0 },
	};
	struct snapshot s = { 100, 5, 100, 3, reg };
	struct mapping m[2] = { { 0x1000, 0x2000, "a" }, { 0x2000, 0x3000, "b" } };
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	char err[128];

	(void)state;
	test_header(&h);
	memset(h.source, 'x', sizeof(h.source));	/* unterminated */
	errno = 0;
	assert_null(record_create(path, true, &h));
	assert_int_equal(errno, EINVAL);

	test_header(&h);
	w = record_create(path, true, &h);
	assert_non_null(w);
	assert_int_equal(record_write_snapshot(w, &s), 0);
	reg[1].start = 0x2000;			/* overlaps reg[0] */
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	reg[1].start = 0x4000;			/* empty */
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	reg[1].start = 0x3000;
	s.time_ns = 99;				/* time goes backwards */
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	s.time_ns = 100;
	s.nr_regions = RECORD_MAX_REGIONS + 1;
	assert_int_equal(record_write_snapshot(w, &s), -EINVAL);
	s.nr_regions = 3;
	assert_int_equal(record_write_mappings(w, 1, m, 2), 0);
	m[1].start = 0x1800;
	assert_int_equal(record_write_mappings(w, 1, m, 2), -EINVAL);
	m[1].start = 0x2000;
	memset(m[1].name, 'n', sizeof(m[1].name));	/* unterminated */
	assert_int_equal(record_write_mappings(w, 1, m, 2), -EINVAL);
	assert_int_equal(record_write_snapshot(w, &s), 0);
	assert_int_equal(record_close(w), 0);

	/* refused writes left nothing behind in the file */
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 2);
	assert_int_equal(rec.nr_map_sets, 1);
	recording_free(&rec);
}

/* ---- forged streams: a valid header followed by hand-made records ----- */

struct forge {
	unsigned char *buf;
	size_t len, cap;
};

static void forge_bytes(struct forge *f, const void *p, size_t n)
{
	if (f->len + n > f->cap) {
		f->cap = (f->len + n) * 2;
		f->buf = realloc(f->buf, f->cap);
		assert_non_null(f->buf);
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
}

static void forge32(struct forge *f, uint32_t v)
{
	unsigned char b[4];

	put_le32(b, v);
	forge_bytes(f, b, 4);
}

static void forge64(struct forge *f, uint64_t v)
{
	forge32(f, v);
	forge32(f, v >> 32);
}

static void forge_snap_head(struct forge *f, uint32_t nr, uint32_t len)
{
	forge32(f, 1);
	forge32(f, len);
	forge64(f, 1000);
	forge64(f, 5000000);
	forge64(f, 100000000);
	forge32(f, nr);
}

static void forge_region(struct forge *f, uint64_t start, uint64_t end)
{
	forge64(f, start);
	forge64(f, end);
	forge32(f, 1);
	forge32(f, 2);
}

/* Append an END record whose CRC matches header + body. */
static void forge_end(struct forge *f, const unsigned char *hdr, size_t hlen,
		      uint64_t nr_snaps, uint64_t nr_maps)
{
	uint32_t crc;

	forge32(f, 3);
	forge32(f, 20);
	forge64(f, nr_snaps);
	forge64(f, nr_maps);
	crc = crc32(crc32(0, hdr, hlen), f->buf, f->len);
	forge32(f, crc);
}

/* Write header + zlib(body) + file CRC + @tail to @path and load it. */
static int forge_load(const char *path, const unsigned char *hdr, size_t hlen,
		      struct forge *f, const char *tail, char *err,
		      size_t errlen)
{
	uLongf zlen = compressBound(f->len);
	unsigned char *out = malloc(hlen + zlen + 16);
	int ret;

	assert_non_null(out);
	memcpy(out, hdr, hlen);
	assert_int_equal(compress2(out + hlen, &zlen, f->buf, f->len, 6), Z_OK);
	put_le32(out + hlen + zlen, crc32(0, out, hlen + zlen));
	memcpy(out + hlen + zlen + 4, tail, strlen(tail));
	spew(path, out, hlen + zlen + 4 + strlen(tail));
	free(out);
	free(f->buf);
	memset(f, 0, sizeof(*f));
	ret = load_err(path, err, errlen);
	return ret;
}

static void test_forged(void **state)
{
	const char *full = test_path("forge-base.rec");
	const char *path = test_path("forged.rec");
	struct forge f = { 0 };
	char name64[64];
	unsigned char *hdr;
	struct recording rec;
	char err[128];
	size_t len, hlen;
	int i;

	(void)state;
	write_session(full, 0);
	hdr = slurp(full, &len);
	hlen = header_size(hdr);

	/* sanity: the forge itself makes loadable files */
	forge_snap_head(&f, 2, 28 + 2 * 24);
	forge_region(&f, 0x1000, 0x2000);
	forge_region(&f, 0x2000, 0x5000);
	forge_end(&f, hdr, hlen, 1, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 1);
	assert_true(rec.snaps[0].regions[1].end == 0x5000);
	recording_free(&rec);

	/* overlapping regions */
	forge_snap_head(&f, 2, 28 + 2 * 24);
	forge_region(&f, 0x1000, 0x3000);
	forge_region(&f, 0x2000, 0x5000);
	forge_end(&f, hdr, hlen, 1, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "snapshot 1: regions unsorted or overlapping");

	/* an empty region */
	forge_snap_head(&f, 1, 28 + 24);
	forge_region(&f, 0x1000, 0x1000);
	forge_end(&f, hdr, hlen, 1, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "snapshot 1: empty region");

	/* too many regions: refused before anything is allocated for them */
	forge_snap_head(&f, RECORD_MAX_REGIONS + 1, 28);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "snapshot 1: too many regions (1048577)");

	/* the maximum claimed, a few present, consistent length */
	forge_snap_head(&f, RECORD_MAX_REGIONS, 28 + RECORD_MAX_REGIONS * 24);
	for (i = 0; i < 5; i++)
		forge_region(&f, 0x1000 * (i + 1), 0x1000 * (i + 2));
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "missing end record after snapshot 0");

	/* length field that disagrees with the region count */
	forge_snap_head(&f, 1, 28 + 25);
	forge_region(&f, 0x1000, 0x2000);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "snapshot 1: bad record length");

	/* time going backwards */
	forge_snap_head(&f, 0, 28);
	forge32(&f, 1);
	forge32(&f, 28);
	forge64(&f, 999);
	forge64(&f, 1);
	forge64(&f, 1);
	forge32(&f, 0);
	forge_end(&f, hdr, hlen, 2, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "snapshot 2: time goes backwards");

	/* counts in END that do not match, CRC right */
	forge_snap_head(&f, 0, 28);
	forge_end(&f, hdr, hlen, 2, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "count mismatch: end record says 2 snapshots, file has 1");
	forge_snap_head(&f, 0, 28);
	forge_end(&f, hdr, hlen, 1, 1);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err,
			    "count mismatch: end record says 1 mapping sets, file has 0");

	/* CRC wrong */
	forge_snap_head(&f, 0, 28);
	forge_end(&f, hdr, hlen, 1, 0);
	f.buf[f.len - 1] ^= 1;
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "CRC mismatch");

	/* unknown record type */
	forge32(&f, 9);
	forge32(&f, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown record type 9 after snapshot 0");

	/* a mapping name with a NUL inside, and one too long */
	memset(name64, 'n', sizeof(name64));
	for (i = 0; i < 2; i++) {
		forge32(&f, 2);
		forge32(&f, 12 + 18 + (i ? 64 : 3));
		forge64(&f, 1);
		forge32(&f, 1);
		forge64(&f, 0x1000);
		forge64(&f, 0x2000);
		forge_bytes(&f, i ? "\x40\0" : "\x03\0", 2);
		forge_bytes(&f, i ? name64 : "a\0b", i ? 64 : 3);
		forge_end(&f, hdr, hlen, 0, 1);
		assert_int_equal(forge_load(path, hdr, hlen, &f, "", err,
					    sizeof(err)), -EINVAL);
		assert_string_equal(err, "bad mapping after snapshot 0");
	}

	/* a huge mapping count with nothing behind it */
	forge32(&f, 2);
	forge32(&f, 12);
	forge64(&f, 1);
	forge32(&f, RECORD_MAX_MAPPINGS);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "bad mappings record after snapshot 0");

	/* bytes after the stream */
	forge_end(&f, hdr, hlen, 0, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "junk", err,
				    sizeof(err)), -EINVAL);
	assert_string_equal(err, "trailing data after end record");

	/* records after END inside the stream */
	forge_end(&f, hdr, hlen, 0, 0);
	forge_snap_head(&f, 0, 28);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "data after end record");

	/* a stream that ends without END */
	forge_snap_head(&f, 0, 28);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "missing end record after snapshot 1");
	free(hdr);
}

static void forge_note(struct forge *f, uint16_t len, const char *text, size_t n)
{
	forge32(f, 4);
	forge32(f, 10 + n);
	forge64(f, 7);
	forge_bytes(f, (unsigned char[]){ len, len >> 8 }, 2);
	forge_bytes(f, text, n);
}

/* Notes (version 2): written, read back in order, refused when bad; a
 * version 1 file still loads, and has no notes to give. */
static void test_notes(void **state)
{
	const char *path = test_path("notes.rec");
	char long_text[RECORD_NOTE_MAX + 2], err[128];
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	struct forge f = { 0 };
	struct snapshot s;
	unsigned char *hdr;
	size_t len, hlen;

	(void)state;
	test_header(&h);
	w = record_create(path, true, &h);
	assert_non_null(w);
	assert_int_equal(record_write_note(w, 5, "sample 5.00 ms x 20 = aggr 100 ms"), 0);
	test_snap(&s, 0);
	assert_int_equal(record_write_snapshot(w, &s), 0);
	free(s.regions);
	memset(long_text, 'x', sizeof(long_text));
	long_text[RECORD_NOTE_MAX] = 0;
	assert_int_equal(record_write_note(w, 6, long_text), 0);
	long_text[RECORD_NOTE_MAX] = 'x';
	long_text[RECORD_NOTE_MAX + 1] = 0;
	assert_int_equal(record_write_note(w, 7, long_text), -EINVAL);
	assert_int_equal(record_write_note(w, 7, "two\nlines"), -EINVAL);
	assert_int_equal(record_write_note(w, 7, NULL), -EINVAL);
	assert_int_equal(record_write_note(w, 8, ""), 0);
	assert_int_equal(record_close(w), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 1);
	assert_int_equal(rec.nr_notes, 3);
	assert_true(rec.notes[0].time_ns == 5);
	assert_string_equal(rec.notes[0].text, "sample 5.00 ms x 20 = aggr 100 ms");
	assert_int_equal(strlen(rec.notes[1].text), RECORD_NOTE_MAX);
	assert_string_equal(rec.notes[2].text, "");
	recording_free(&rec);
	assert_null(rec.notes);

	/* forged: a length that disagrees, a NUL inside */
	write_session(path, 0);
	hdr = slurp(path, &len);
	hlen = header_size(hdr);
	forge_note(&f, 4, "abc", 3);
	forge_end(&f, hdr, hlen, 0, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad note after snapshot 0");
	forge_note(&f, 3, "a\0b", 3);
	forge_end(&f, hdr, hlen, 0, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad note after snapshot 0");
	forge_note(&f, 3, "abc", 3);
	forge_end(&f, hdr, hlen, 0, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), 0);

	/* version 1: loads without notes, and a note there is no record */
	put_le32(hdr + 8, 1);
	put_le32(hdr + hlen - 4, crc32(0, hdr, hlen - 4));
	forge_snap_head(&f, 0, 28);
	forge_end(&f, hdr, hlen, 1, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), 0);
	forge_note(&f, 3, "abc", 3);
	forge_end(&f, hdr, hlen, 0, 0);
	assert_int_equal(forge_load(path, hdr, hlen, &f, "", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "unknown record type 4 after snapshot 0");
	free(hdr);
}

/*
 * A record still being written can be followed: everything up to the
 * last complete snapshot inflates from the bytes already in the file.
 */
static void test_follow_while_writing(void **state)
{
	const char *path = test_path("follow.rec");
	unsigned char out[1 << 16], *buf;
	struct record_header h;
	struct record_writer *w;
	size_t len, hlen, want = 0;
	struct snapshot s;
	z_stream zs = { 0 };
	char err[128];
	unsigned int i;

	(void)state;
	test_header(&h);
	w = record_create(path, true, &h);
	assert_non_null(w);
	for (i = 0; i < 4; i++) {
		test_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		want += 8 + 28 + 24 * s.nr_regions;
		free(s.regions);
	}
	buf = slurp(path, &len);
	hlen = header_size(buf);
	assert_int_equal(inflateInit(&zs), Z_OK);
	zs.next_in = buf + hlen;
	zs.avail_in = len - hlen;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	assert_int_equal(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
	assert_int_equal(zs.total_out, want);
	inflateEnd(&zs);
	free(buf);
	/* and the unfinished file is refused as such */
	assert_int_equal(load_err(path, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "truncated after snapshot 4");
	assert_int_equal(record_close(w), 0);
	assert_int_equal(load_err(path, err, sizeof(err)), 0);
}

/* record_copy: a whole record of what was written so far, twice, while
 * the writer goes on to a whole record of everything */
static void test_copy_while_writing(void **state)
{
	const char *path = test_path("copied.rec"), *copy = test_path("copy.rec");
	struct record_header h;
	struct record_writer *w;
	struct recording rec;
	struct snapshot s;
	char err[128];
	unsigned int i;
	int fd, out;

	(void)state;
	test_header(&h);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	w = record_create_fd(fd, &h);
	assert_non_null(w);
	assert_int_equal(record_write_mappings(w, 1, test_maps1, 3), 0);
	for (i = 0; i < 8; i++) {
		test_snap(&s, i);
		assert_int_equal(record_write_snapshot(w, &s), 0);
		free(s.regions);
		if (i != 2 && i != 5)
			continue;
		out = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		assert_true(out >= 0);
		assert_int_equal(record_copy(w, out), 0);
		assert_int_equal(close(out), 0);
		assert_int_equal(record_load(copy, &rec, err, sizeof(err)), 0);
		assert_int_equal(rec.nr_snaps, i + 1);
		assert_int_equal(rec.nr_maps, 3);
		test_snap(&s, i);
		assert_int_equal(rec.snaps[i].nr_regions, s.nr_regions);
		assert_int_equal(rec.snaps[i].time_ns, s.time_ns);
		free(s.regions);
		recording_free(&rec);
	}
	assert_int_equal(record_close(w), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	assert_int_equal(rec.nr_snaps, 8);
	recording_free(&rec);
	/* a writer to a file it cannot read back cannot copy it */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	w = record_create_fd(fd, &h);
	assert_non_null(w);
	out = open(copy, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(record_copy(w, out), -EBADF);
	close(out);
	assert_int_equal(record_close(w), 0);
}

/* record_ring: a record of the last span, with the mappings and note
 * in force at its start, and nothing older */
static void test_ring(void **state)
{
	const char *path = test_path("ring.rec");
	struct record_ring *r = record_ring_new(450000000);	/* 0.45 s */
	struct record_header h;
	struct recording rec;
	struct snapshot s;
	char err[128];
	int fd;

	(void)state;
	assert_non_null(r);
	test_header(&h);
	h.start_mono_ns = 900000000;
	assert_int_equal(record_ring_mappings(r, 950000000, test_maps1, 3), 0);
	assert_int_equal(record_ring_note(r, 950000000, "plan one"), 0);
	for (unsigned int i = 0; i < 10; i++) {	/* at 1.0 s to 1.9 s */
		test_snap(&s, i);
		assert_int_equal(record_ring_snapshot(r, &s), 0);
		free(s.regions);
		if (i == 3)
			assert_int_equal(record_ring_note(r, s.time_ns, "plan two"), 0);
		if (i == 8)
			assert_int_equal(record_ring_mappings(r, s.time_ns, test_maps2, 3), 0);
	}
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(record_ring_write(r, fd, &h), 0);
	assert_int_equal(close(fd), 0);
	assert_int_equal(record_load(path, &rec, err, sizeof(err)), 0);
	/* 1.45 s to 1.9 s: snapshots 5 to 9 */
	assert_int_equal(rec.nr_snaps, 5);
	test_snap(&s, 5);
	assert_int_equal(rec.snaps[0].time_ns, s.time_ns);
	assert_int_equal(rec.snaps[0].nr_regions, s.nr_regions);
	assert_int_equal(rec.hdr.start_mono_ns, s.time_ns - s.aggr_ns);
	assert_int_equal(rec.hdr.start_realtime_ns,
			 1700000000123456789ull + s.time_ns - s.aggr_ns - 900000000);
	free(s.regions);
	/* the note of snapshot 3, in force from the start; both mapping sets
	 * (the first still in force at the start), the last one last */
	assert_int_equal(rec.nr_notes, 1);
	assert_string_equal(rec.notes[0].text, "plan two");
	assert_int_equal(rec.notes[0].time_ns, rec.hdr.start_mono_ns);
	assert_int_equal(rec.nr_map_sets, 2);
	assert_string_equal(rec.maps[1].name, "[heap]");
	recording_free(&rec);
	record_ring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_large_session),
		cmocka_unit_test(test_empty_session),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_flipped_header),
		cmocka_unit_test(test_flipped_body),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_future_version),
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_no_overwrite),
		cmocka_unit_test(test_symlink_refused),
		cmocka_unit_test(test_writer_rejects),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_follow_while_writing),
		cmocka_unit_test(test_copy_while_writing),
		cmocka_unit_test(test_ring),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
