// SPDX-License-Identifier: GPL-2.0
/*
 * Session record files: serialisation of snapshots and mappings into a
 * checked, zlib-compressed stream, and the one-pass loader that refuses
 * anything it cannot fully verify.  The layout is described in record.h.
 *
 * Both sides go through a small fixed buffer of uncompressed bytes so that
 * neither the writer nor the loader needs memory in proportion to what a
 * (possibly hostile) length field claims: the loader grows its arrays only
 * as data actually arrives.
 *
 * damo's format (damo.c) is reached through the same entry points: a
 * writer made by record_create_damo() hands its snapshots, once checked
 * here, to a damo writer, and the loaders send a file that does not start
 * with our magic but looks like zlib data or JSON to damo's loader.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "damo.h"
#include "errmsg.h"
#include "grow.h"
#include "outfile.h"
#include "record.h"
#include "recording.h"

static const char record_magic[8] = { 'K', 'S', 'C', 'O', 'P', 'R', 'E', 'C' };

enum record_type {
	RECORD_SNAPSHOT = 1,
	RECORD_MAPPINGS = 2,
	RECORD_END = 3,
	RECORD_NOTE = 4,
};

/* Serialised sizes. */
#define HDR_PREFIX	16			/* magic, version, length */
#define HDR_FIXED	44			/* 4 x u64, 3 x u32 */
#define HDR_MIN		(HDR_FIXED + 3 * 2)	/* with three empty strings */
#define HDR_MAX		(HDR_MIN + 31 + 15 + 255)
#define REC_HEAD	8			/* type, length */
#define SNAP_FIXED	28
#define REGION_SIZE	24
#define MAPS_FIXED	12
#define MAPPING_FIXED	18
#define MAPPING_NAME_MAX 63
#define END_SIZE	20
#define NOTE_FIXED	10

/*
 * Fast enough for a live monitor writing a snapshot every few milliseconds
 * and within a few percent of the default level's ratio on region data.
 */
#define RECORD_ZLEVEL	Z_BEST_SPEED

#define BUF_SIZE	(1 << 16)

static void put16(unsigned char *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(unsigned char *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(unsigned char *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* ---- writer ------------------------------------------------------------ */

struct record_writer {
	int fd;
	int err;			/* first I/O error; sticks */
	struct damo_writer *damo;	/* writing damo's format instead */
	z_stream zs;
	uint32_t crc;			/* of every uncompressed byte so far */
	uint32_t file_crc;		/* of every byte written to the file */
	uint64_t nr_snaps;
	uint64_t nr_map_sets;
	uint64_t nr_regions;		/* over all snapshots */
	uint64_t last_time_ns;
	size_t len;			/* bytes staged in buf */
	unsigned char buf[BUF_SIZE];	/* serialised, not yet compressed */
	unsigned char out[BUF_SIZE];	/* compressed, not yet written */
};

static int record_write_all(struct record_writer *w, const unsigned char *p,
			    size_t n)
{
	w->file_crc = crc32(w->file_crc, p, n);
	return outfile_write_all(w->fd, p, n);
}

/* Compress what is staged and write out what zlib produces for @flush. */
static int record_push(struct record_writer *w, int flush)
{
	int ret, err;

	w->crc = crc32(w->crc, w->buf, w->len);
	w->zs.next_in = w->buf;
	w->zs.avail_in = w->len;
	do {
		size_t n;

		w->zs.next_out = w->out;
		w->zs.avail_out = sizeof(w->out);
		ret = deflate(&w->zs, flush);
		if (ret == Z_STREAM_ERROR)
			return -EIO;
		n = sizeof(w->out) - w->zs.avail_out;
		err = record_write_all(w, w->out, n);
		if (err)
			return err;
	} while (w->zs.avail_out == 0);
	w->len = 0;
	return 0;
}

/* Room for @n more bytes in the staging buffer. */
static unsigned char *record_stage(struct record_writer *w, size_t n)
{
	unsigned char *p;

	if (w->len + n > sizeof(w->buf)) {
		int err = record_push(w, Z_NO_FLUSH);

		if (err) {
			w->err = err;
			return NULL;
		}
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static int record_stage_head(struct record_writer *w, uint32_t type,
			     uint32_t len)
{
	unsigned char *p = record_stage(w, REC_HEAD);

	if (!p)
		return w->err;
	put32(p, type);
	put32(p + 4, len);
	return 0;
}

static size_t record_header_size(const struct record_header *h)
{
	return HDR_MIN + strlen(h->tool) + strlen(h->source) + strlen(h->target);
}

static unsigned char *record_put_str(unsigned char *p, const char *s)
{
	size_t n = strlen(s);

	put16(p, n);
	memcpy(p + 2, s, n);
	return p + 2 + n;
}

struct record_writer *record_create(const char *path, bool force,
				    const struct record_header *h)
{
	int fd = outfile_open(path, force);

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	return record_create_fd(fd, h);
}

struct record_writer *record_create_fd(int fd, const struct record_header *h)
{
	unsigned char hdr[HDR_PREFIX + HDR_MAX + 4], *p;
	struct record_writer *w = NULL;
	size_t hlen;
	int err;

	if (!h || strnlen(h->tool, sizeof(h->tool)) == sizeof(h->tool) ||
	    strnlen(h->source, sizeof(h->source)) == sizeof(h->source) ||
	    strnlen(h->target, sizeof(h->target)) == sizeof(h->target)) {
		err = -EINVAL;
		goto cleanup;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		err = -ENOMEM;
		goto cleanup;
	}
	w->fd = fd;
	if (deflateInit(&w->zs, RECORD_ZLEVEL) != Z_OK) {
		free(w);
		w = NULL;
		err = -ENOMEM;
		goto cleanup;
	}

	hlen = record_header_size(h);
	memcpy(hdr, record_magic, sizeof(record_magic));
	put32(hdr + 8, RECORD_VERSION);
	put32(hdr + 12, hlen);
	p = hdr + HDR_PREFIX;
	put64(p, h->start_realtime_ns);
	put64(p + 8, h->start_mono_ns);
	put64(p + 16, h->sample_ns);
	put64(p + 24, h->aggr_ns);
	put32(p + 32, (uint32_t)h->pid);
	put32(p + 36, h->min_nr_regions);
	put32(p + 40, h->max_nr_regions);
	p = record_put_str(p + HDR_FIXED, h->tool);
	p = record_put_str(p, h->source);
	p = record_put_str(p, h->target);
	put32(p, crc32(0, hdr, p - hdr));
	p += 4;
	err = record_write_all(w, hdr, p - hdr);
	if (err)
		goto cleanup;
	/* The END checksum covers the header as written, checksum included. */
	w->crc = crc32(0, hdr, p - hdr);
	return w;

cleanup:
	close(fd);
	if (w) {
		deflateEnd(&w->zs);
		free(w);
	}
	errno = -err;
	return NULL;
}

struct record_writer *record_create_damo(const char *path, bool force,
					 const struct record_header *h)
{
	struct record_writer *w;
	int fd, err;

	if (!h) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	fd = outfile_open(path, force);
	if (fd < 0) {
		free(w);
		errno = -fd;
		return NULL;
	}
	w->fd = -1;
	w->damo = damo_writer_open(fd, h);
	if (!w->damo) {
		err = errno;
		close(fd);
		free(w);
		errno = err;
		return NULL;
	}
	return w;
}

int record_write_snapshot(struct record_writer *w, const struct snapshot *s)
{
	unsigned char *p;
	uint32_t i;
	int err;

	if (!w || !s || (s->nr_regions && !s->regions))
		return -EINVAL;
	if (w->err)
		return w->err;
	if (s->nr_regions > RECORD_MAX_REGIONS)
		return -EINVAL;
	if (w->nr_snaps && s->time_ns < w->last_time_ns)
		return -EINVAL;
	for (i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];

		if (r->start >= r->end ||
		    (i && r->start < s->regions[i - 1].end))
			return -EINVAL;
	}
	if (w->nr_snaps >= RECORD_MAX_SNAPSHOTS ||
	    w->nr_regions + s->nr_regions > RECORD_MAX_TOTAL_REGIONS)
		return -EFBIG;

	if (w->damo) {		/* which keeps its own I/O error */
		err = damo_writer_snapshot(w->damo, s);
		if (err)
			return err;
		goto done;
	}
	err = record_stage_head(w, RECORD_SNAPSHOT,
				SNAP_FIXED + s->nr_regions * REGION_SIZE);
	if (err)
		return err;
	p = record_stage(w, SNAP_FIXED);
	if (!p)
		return w->err;
	put64(p, s->time_ns);
	put64(p + 8, s->sample_ns);
	put64(p + 16, s->aggr_ns);
	put32(p + 24, s->nr_regions);
	for (i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];

		p = record_stage(w, REGION_SIZE);
		if (!p)
			return w->err;
		put64(p, r->start);
		put64(p + 8, r->end);
		put32(p + 16, r->nr_accesses);
		put32(p + 20, r->age);
	}
	/* A follower (tail -f style) sees every snapshot as it is made. */
	err = record_push(w, Z_SYNC_FLUSH);
	if (err) {
		w->err = err;
		return err;
	}
done:
	w->nr_snaps++;
	w->nr_regions += s->nr_regions;
	w->last_time_ns = s->time_ns;
	return 0;
}

int record_write_mappings(struct record_writer *w, uint64_t time_ns,
			  const struct mapping *m, size_t n)
{
	uint64_t len = MAPS_FIXED;
	unsigned char *p;
	size_t i, k;
	int err;

	if (!w || (n && !m))
		return -EINVAL;
	if (w->err)
		return w->err;
	if (n > RECORD_MAX_MAPPINGS)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		k = strnlen(m[i].name, sizeof(m[i].name));
		if (k > MAPPING_NAME_MAX || m[i].start >= m[i].end ||
		    (i && m[i].start < m[i - 1].end))
			return -EINVAL;
		len += MAPPING_FIXED + k;
	}
	if (w->damo)		/* damo's format has no mappings */
		return 0;

	err = record_stage_head(w, RECORD_MAPPINGS, len);
	if (err)
		return err;
	p = record_stage(w, MAPS_FIXED);
	if (!p)
		return w->err;
	put64(p, time_ns);
	put32(p + 8, n);
	for (i = 0; i < n; i++) {
		k = strlen(m[i].name);
		p = record_stage(w, MAPPING_FIXED + k);
		if (!p)
			return w->err;
		put64(p, m[i].start);
		put64(p + 8, m[i].end);
		put16(p + 16, k);
		memcpy(p + 18, m[i].name, k);
	}
	err = record_push(w, Z_SYNC_FLUSH);
	if (err) {
		w->err = err;
		return err;
	}
	w->nr_map_sets++;
	return 0;
}

int record_write_note(struct record_writer *w, uint64_t time_ns, const char *text)
{
	size_t k = text ? strnlen(text, RECORD_NOTE_MAX + 1) : 0;
	unsigned char *p;
	int err;

	if (!w || !text || k > RECORD_NOTE_MAX || memchr(text, '\n', k))
		return -EINVAL;
	if (w->err)
		return w->err;
	if (w->damo)		/* damo's format has no notes */
		return 0;
	err = record_stage_head(w, RECORD_NOTE, NOTE_FIXED + k);
	if (err)
		return err;
	p = record_stage(w, NOTE_FIXED + k);
	if (!p)
		return w->err;
	put64(p, time_ns);
	put16(p + 8, k);
	memcpy(p + 10, text, k);
	err = record_push(w, Z_SYNC_FLUSH);
	if (err)
		w->err = err;
	return err;
}

/* The END record and the trailer, after what @w wrote */
static int record_finish(struct record_writer *w)
{
	unsigned char *p;
	int err = w->err;

	if (!err)
		err = record_stage_head(w, RECORD_END, END_SIZE);
	if (!err) {
		p = record_stage(w, 16);
		err = w->err;
		if (p) {
			put64(p, w->nr_snaps);
			put64(p + 8, w->nr_map_sets);
			/* fold everything staged into the checksum first */
			err = record_push(w, Z_NO_FLUSH);
		}
	}
	if (!err) {
		put32(w->buf, w->crc);
		w->len = 4;
		err = record_push(w, Z_FINISH);
	}
	if (!err) {
		unsigned char trailer[4];

		put32(trailer, w->file_crc);
		err = record_write_all(w, trailer, sizeof(trailer));
	}
	return err;
}

int record_copy(struct record_writer *w, int out)
{
	unsigned char buf[BUF_SIZE];
	struct record_writer *end;
	off_t off = 0;
	ssize_t n;
	int err;

	if (w->damo)
		return -EINVAL;
	if (w->err)
		return w->err;
	/* every write ended at a sync point: the file is whole up to there */
	while ((n = pread(w->fd, buf, sizeof(buf), off)) > 0) {
		if ((err = outfile_write_all(out, buf, n)))
			return err;
		off += n;
	}
	if (n < 0)
		return -errno;
	/* the END and trailer from a copy of the writer's state, to @out */
	end = malloc(sizeof(*end));
	if (!end)
		return -ENOMEM;
	*end = *w;
	if (deflateCopy(&end->zs, &w->zs) != Z_OK) {
		free(end);
		return -ENOMEM;
	}
	end->fd = out;
	err = record_finish(end);
	deflateEnd(&end->zs);
	free(end);
	return err;
}

int record_close(struct record_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	if (w->damo) {
		err = damo_writer_close(w->damo);
		free(w);
		return err;
	}
	err = record_finish(w);
	if (close(w->fd) && !err)
		err = -errno;
	deflateEnd(&w->zs);
	free(w);
	return err;
}

/* ---- loader ------------------------------------------------------------ */

struct record_reader {
	struct bytesrc src;		/* a buffer, or what was read to sniff
					 * the file and then the file */
	z_stream zs;
	bool eof;			/* the file has no more bytes */
	bool stream_end;		/* zlib saw the end of its stream */
	uint32_t crc;			/* of every byte consumed so far */
	uint32_t file_crc;		/* of the file bytes before in[] */
	uint64_t left;			/* payload bytes left in this record */
	uint32_t version;		/* of the file: 1 has no notes */
	size_t nr_snaps;		/* complete snapshots, for messages */
	int ret;			/* first error, described in err */
	char *err;
	size_t errlen;
	size_t pos, len;		/* unconsumed bytes are out[pos, len) */
	unsigned char in[BUF_SIZE];
	unsigned char out[BUF_SIZE];
};

/* The first error of the load wins, described in the caller's buffer. */
#define record_fail(r, code, ...) \
	errmsg_first(&(r)->ret, (r)->err, (r)->errlen, code, __VA_ARGS__)

static int record_truncated(struct record_reader *r)
{
	return record_fail(r, -EINVAL, "truncated after snapshot %zu",
			   r->nr_snaps);
}

/* Read the file in and inflate once; fails on a file that ends early. */
static int record_inflate_step(struct record_reader *r)
{
	int ret;

	if (!r->zs.avail_in && !r->eof) {
		ssize_t n;

		/* in[] holds the previous read, all consumed by now */
		if (r->zs.next_in)
			r->file_crc = crc32(r->file_crc, r->in,
					    r->zs.next_in - r->in);
		n = bytesrc_read(&r->src, r->in, sizeof(r->in));
		if (n < 0)
			return record_fail(r, n, "read: %s", strerror(-n));
		r->eof = n == 0;
		r->zs.next_in = r->in;
		r->zs.avail_in = n;
	}
	r->zs.next_out = r->out + r->len;
	r->zs.avail_out = sizeof(r->out) - r->len;
	ret = inflate(&r->zs, Z_NO_FLUSH);
	r->len = sizeof(r->out) - r->zs.avail_out;
	switch (ret) {
	case Z_STREAM_END:
		r->stream_end = true;
		return 0;
	case Z_OK:
		return 0;
	case Z_BUF_ERROR:	/* no progress possible: input needed */
		return r->eof ? record_truncated(r) : 0;
	case Z_MEM_ERROR:
		return record_fail(r, -ENOMEM, "out of memory");
	default:
		return record_fail(r, -EINVAL,
				   "corrupt data after snapshot %zu: %s",
				   r->nr_snaps, r->zs.msg ? r->zs.msg : "inflate");
	}
}

/* Make @need (<= BUF_SIZE) contiguous bytes available at out + pos. */
static int record_fill(struct record_reader *r, size_t need)
{
	int err;

	while (r->len - r->pos < need) {
		if (r->pos) {
			memmove(r->out, r->out + r->pos, r->len - r->pos);
			r->len -= r->pos;
			r->pos = 0;
		}
		if (r->stream_end)
			return record_fail(r, -EINVAL,
					   "missing end record after snapshot %zu",
					   r->nr_snaps);
		err = record_inflate_step(r);
		if (err)
			return err;
	}
	return 0;
}

/* Consume @n bytes of the current record's payload. */
static const unsigned char *record_take(struct record_reader *r, size_t n)
{
	const unsigned char *p;

	if (n > r->left) {
		record_fail(r, -EINVAL, "bad record length after snapshot %zu",
			    r->nr_snaps);
		return NULL;
	}
	if (record_fill(r, n))
		return NULL;
	p = r->out + r->pos;
	r->pos += n;
	r->left -= n;
	r->crc = crc32(r->crc, p, n);
	return p;
}

/* Error code of a failed record_take(), already described in r->err. */
static int record_take_err(struct record_reader *r)
{
	return r->ret;
}

static int record_get_str(struct record_reader *r, const unsigned char **p,
			  const unsigned char *end, char *dst, size_t size,
			  const char *what)
{
	size_t n;

	if (end - *p < 2)
		return record_fail(r, -EINVAL, "bad header length");
	n = get16(*p);
	*p += 2;
	if (n >= size)
		return record_fail(r, -EINVAL, "bad header: %s too long", what);
	if ((size_t)(end - *p) < n)
		return record_fail(r, -EINVAL, "bad header length");
	memcpy(dst, *p, n);
	dst[n] = 0;
	if (strlen(dst) != n)
		return record_fail(r, -EINVAL, "bad header: NUL in %s", what);
	*p += n;
	return 0;
}

static ssize_t record_read_all(struct record_reader *r, unsigned char *p,
			       size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = bytesrc_read(&r->src, p + got, n - got);

		if (k < 0)
			return k;
		if (!k)
			break;
		got += k;
	}
	return got;
}

static int record_load_header(struct record_reader *r, struct record_header *h)
{
	unsigned char buf[HDR_PREFIX + HDR_MAX + 4];
	const unsigned char *p, *end;
	uint32_t version, hlen;
	ssize_t n;
	int err;

	n = record_read_all(r, buf, HDR_PREFIX);
	if (n < 0)
		return record_fail(r, n, "read: %s", strerror(-n));
	if (n == 0)
		return record_fail(r, -EINVAL, "empty file: not a kscope record");
	if (memcmp(buf, record_magic, n < 8 ? n : 8))
		return record_fail(r, -EINVAL, "bad magic: not a kscope record");
	if (n < HDR_PREFIX)
		return record_fail(r, -EINVAL, "truncated header");
	version = get32(buf + 8);
	r->version = version;
	if (version < 1 || version > RECORD_VERSION)
		return record_fail(r, -EINVAL, "unsupported version %u", version);
	hlen = get32(buf + 12);
	if (hlen < HDR_MIN || hlen > HDR_MAX)
		return record_fail(r, -EINVAL, "bad header length %u", hlen);
	n = record_read_all(r, buf + HDR_PREFIX, hlen + 4);
	if (n < 0)
		return record_fail(r, n, "read: %s", strerror(-n));
	if ((size_t)n < hlen + 4)
		return record_fail(r, -EINVAL, "truncated header");
	end = buf + HDR_PREFIX + hlen;
	if (crc32(0, buf, end - buf) != get32(end))
		return record_fail(r, -EINVAL, "header CRC mismatch");
	r->crc = crc32(0, buf, end + 4 - buf);
	r->file_crc = r->crc;

	p = buf + HDR_PREFIX;
	h->start_realtime_ns = get64(p);
	h->start_mono_ns = get64(p + 8);
	h->sample_ns = get64(p + 16);
	h->aggr_ns = get64(p + 24);
	h->pid = (int32_t)get32(p + 32);
	h->min_nr_regions = get32(p + 36);
	h->max_nr_regions = get32(p + 40);
	p += HDR_FIXED;
	err = record_get_str(r, &p, end, h->tool, sizeof(h->tool), "tool name");
	if (!err)
		err = record_get_str(r, &p, end, h->source, sizeof(h->source),
				     "source name");
	if (!err)
		err = record_get_str(r, &p, end, h->target, sizeof(h->target),
				     "target");
	if (!err && p != end)
		err = record_fail(r, -EINVAL, "bad header length %u", hlen);
	return err;
}

struct record_load_state {
	size_t snaps_cap;
	size_t store_cap;
	size_t store_len;
	size_t maps_cap;
	size_t notes_cap;
};

static int record_load_snapshot(struct record_reader *r, struct recording *rec,
				struct record_load_state *st)
{
	size_t idx = rec->nr_snaps + 1;	/* 1-based, for messages */
	const unsigned char *p;
	struct snapshot *s;
	struct region *reg;
	uint64_t prev_end = 0;
	uint32_t nr, i, got;

	if (rec->nr_snaps >= RECORD_MAX_SNAPSHOTS)
		return record_fail(r, -EINVAL, "too many snapshots");
	p = record_take(r, SNAP_FIXED);
	if (!p)
		return record_take_err(r);
	s = grow(rec->snaps, &st->snaps_cap, rec->nr_snaps + 1,
			sizeof(*s), 64);
	if (!s)
		return record_fail(r, -ENOMEM, "out of memory");
	rec->snaps = s;
	s += rec->nr_snaps;
	s->time_ns = get64(p);
	s->sample_ns = get64(p + 8);
	s->aggr_ns = get64(p + 16);
	s->nr_regions = nr = get32(p + 24);
	s->regions = NULL;
	if (nr > RECORD_MAX_REGIONS)
		return record_fail(r, -EINVAL, "snapshot %zu: too many regions (%u)",
				   idx, nr);
	if (r->left != (uint64_t)nr * REGION_SIZE)
		return record_fail(r, -EINVAL, "snapshot %zu: bad record length",
				   idx);
	if (st->store_len + nr > RECORD_MAX_TOTAL_REGIONS)
		return record_fail(r, -EINVAL, "too many regions in the file");
	if (rec->nr_snaps && s->time_ns < s[-1].time_ns)
		return record_fail(r, -EINVAL, "snapshot %zu: time goes backwards",
				   idx);

	for (got = 0; got < nr; ) {
		uint32_t k = nr - got, avail;

		/* decode whatever whole regions are already inflated */
		if (r->len - r->pos < REGION_SIZE &&
		    record_fill(r, REGION_SIZE))
			return record_take_err(r);
		avail = (r->len - r->pos) / REGION_SIZE;
		if (k > avail)
			k = avail;
		reg = grow(rec->region_store, &st->store_cap,
				  st->store_len + got + k, sizeof(*reg), 4096);
		if (!reg)
			return record_fail(r, -ENOMEM, "out of memory");
		rec->region_store = reg;
		reg += st->store_len + got;
		p = record_take(r, (size_t)k * REGION_SIZE);
		if (!p)
			return record_take_err(r);
		for (i = 0; i < k; i++, p += REGION_SIZE, reg++) {
			reg->start = get64(p);
			reg->end = get64(p + 8);
			reg->nr_accesses = get32(p + 16);
			reg->age = get32(p + 20);
			if (reg->start >= reg->end)
				return record_fail(r, -EINVAL,
						   "snapshot %zu: empty region", idx);
			if (got + i && reg->start < prev_end)
				return record_fail(r, -EINVAL,
						   "snapshot %zu: regions unsorted or overlapping",
						   idx);
			prev_end = reg->end;
		}
		got += k;
	}
	st->store_len += nr;
	rec->nr_snaps++;
	r->nr_snaps++;
	return 0;
}

static int record_load_mappings(struct record_reader *r, struct recording *rec,
				struct record_load_state *st)
{
	const unsigned char *p;
	uint64_t time_ns;
	uint32_t nr, i;
	size_t k;

	p = record_take(r, MAPS_FIXED);
	if (!p)
		return record_take_err(r);
	time_ns = get64(p);
	nr = get32(p + 8);
	if (nr > RECORD_MAX_MAPPINGS || r->left < (uint64_t)nr * MAPPING_FIXED)
		return record_fail(r, -EINVAL, "bad mappings record after snapshot %zu",
				   r->nr_snaps);
	rec->nr_maps = 0;
	for (i = 0; i < nr; i++) {
		struct mapping *m;

		p = record_take(r, MAPPING_FIXED);
		if (!p)
			return record_take_err(r);
		m = grow(rec->maps, &st->maps_cap, i + 1, sizeof(*m), 64);
		if (!m)
			return record_fail(r, -ENOMEM, "out of memory");
		rec->maps = m;
		m += i;
		m->start = get64(p);
		m->end = get64(p + 8);
		k = get16(p + 16);
		if (k > MAPPING_NAME_MAX || m->start >= m->end ||
		    (i && m->start < m[-1].end))
			return record_fail(r, -EINVAL, "bad mapping after snapshot %zu",
					   r->nr_snaps);
		p = record_take(r, k);
		if (!p)
			return record_take_err(r);
		memcpy(m->name, p, k);
		memset(m->name + k, 0, sizeof(m->name) - k);
		if (strlen(m->name) != k)
			return record_fail(r, -EINVAL, "bad mapping after snapshot %zu",
					   r->nr_snaps);
	}
	if (r->left)
		return record_fail(r, -EINVAL, "bad record length after snapshot %zu",
				   r->nr_snaps);
	rec->nr_maps = nr;
	rec->maps_time_ns = time_ns;
	rec->nr_map_sets++;
	return 0;
}

static int record_load_note(struct record_reader *r, struct recording *rec,
			    struct record_load_state *st)
{
	const unsigned char *p;
	struct record_note *n;
	uint32_t k;

	if (r->left < NOTE_FIXED || r->left > NOTE_FIXED + RECORD_NOTE_MAX ||
	    rec->nr_notes >= RECORD_MAX_NOTES)
		return record_fail(r, -EINVAL, "bad note after snapshot %zu", r->nr_snaps);
	p = record_take(r, NOTE_FIXED);
	if (!p)
		return record_take_err(r);
	n = grow(rec->notes, &st->notes_cap, rec->nr_notes + 1, sizeof(*n), 8);
	if (!n)
		return record_fail(r, -ENOMEM, "out of memory");
	rec->notes = n;
	n += rec->nr_notes;
	n->time_ns = get64(p);
	k = get16(p + 8);
	if (k != r->left)
		return record_fail(r, -EINVAL, "bad note after snapshot %zu", r->nr_snaps);
	p = record_take(r, k);
	if (!p)
		return record_take_err(r);
	memcpy(n->text, p, k);
	n->text[k] = 0;
	if (strlen(n->text) != k || strchr(n->text, '\n'))
		return record_fail(r, -EINVAL, "bad note after snapshot %zu", r->nr_snaps);
	rec->nr_notes++;
	return 0;
}

/*
 * The file CRC after the stream catches what the checks on inflated data
 * cannot: deflate bits that change nothing once decoded (unused Huffman
 * code lengths, padding) yet mean the file is not what was written.
 */
static int record_load_trailer(struct record_reader *r)
{
	unsigned char trailer[5];
	size_t have = r->zs.avail_in;
	ssize_t n;

	r->file_crc = crc32(r->file_crc, r->in, r->zs.next_in - r->in);
	if (have > sizeof(trailer))
		have = sizeof(trailer);
	memcpy(trailer, r->zs.next_in, have);
	if (have < sizeof(trailer) && !r->eof) {
		n = record_read_all(r, trailer + have, sizeof(trailer) - have);
		if (n < 0)
			return record_fail(r, n, "read: %s", strerror(-n));
		have += n;
	}
	if (have < 4)
		return record_truncated(r);
	if (have > 4)
		return record_fail(r, -EINVAL, "trailing data after end record");
	if (get32(trailer) != r->file_crc)
		return record_fail(r, -EINVAL, "file CRC mismatch");
	return 0;
}

static int record_load_end(struct record_reader *r, struct recording *rec)
{
	const unsigned char *p;
	uint64_t nr_snaps, nr_map_sets;
	uint32_t crc;

	if (r->left != END_SIZE)
		return record_fail(r, -EINVAL, "bad end record");
	p = record_take(r, 16);
	if (!p)
		return record_take_err(r);
	nr_snaps = get64(p);
	nr_map_sets = get64(p + 8);
	crc = r->crc;
	p = record_take(r, 4);
	if (!p)
		return record_take_err(r);
	if (get32(p) != crc)
		return record_fail(r, -EINVAL, "CRC mismatch");
	if (nr_snaps != rec->nr_snaps)
		return record_fail(r, -EINVAL,
				   "count mismatch: end record says %llu snapshots, file has %zu",
				   (unsigned long long)nr_snaps, rec->nr_snaps);
	if (nr_map_sets != rec->nr_map_sets)
		return record_fail(r, -EINVAL,
				   "count mismatch: end record says %llu mapping sets, file has %zu",
				   (unsigned long long)nr_map_sets, rec->nr_map_sets);

	/* The stream must end here, and the file with it. */
	while (r->pos == r->len && !r->stream_end) {
		r->pos = r->len = 0;
		if (record_inflate_step(r))
			return record_take_err(r);
	}
	if (r->pos != r->len)
		return record_fail(r, -EINVAL, "data after end record");
	return record_load_trailer(r);
}

static int record_load_stream(struct record_reader *r, struct recording *rec)
{
	struct record_load_state st = { 0 };
	const unsigned char *p;
	uint32_t type;
	size_t i, off;
	int err;

	for (;;) {
		r->left = REC_HEAD;
		p = record_take(r, REC_HEAD);
		if (!p)
			return record_take_err(r);
		type = get32(p);
		r->left = get32(p + 4);
		if (type == RECORD_SNAPSHOT)
			err = record_load_snapshot(r, rec, &st);
		else if (type == RECORD_MAPPINGS)
			err = record_load_mappings(r, rec, &st);
		else if (type == RECORD_NOTE && r->version >= 2)
			err = record_load_note(r, rec, &st);
		else if (type == RECORD_END)
			break;
		else
			err = record_fail(r, -EINVAL,
					  "unknown record type %u after snapshot %zu",
					  type, r->nr_snaps);
		if (err)
			return err;
	}
	err = record_load_end(r, rec);
	if (err)
		return err;

	/* Give back the slack of the doubling, then point snapshots in. */
	if (st.store_len && st.store_len < st.store_cap) {
		struct region *s = realloc(rec->region_store,
					   st.store_len * sizeof(*s));

		if (s)
			rec->region_store = s;
	}
	for (i = 0, off = 0; i < rec->nr_snaps; i++) {
		struct snapshot *s = &rec->snaps[i];

		s->regions = s->nr_regions ? rec->region_store + off : NULL;
		off += s->nr_regions;
	}
	return 0;
}

/*
 * Our format from @head (@head_len bytes) and then @fd (unless -1): the
 * header, the stream and its checks in one pass.
 */
static int record_load_kscope(int fd, const void *head, size_t head_len,
			      struct recording *rec, char *err, size_t errlen)
{
	struct record_reader *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->err = err;
	r->errlen = errlen;
	r->src = (struct bytesrc){ .fd = fd, .head = head, .head_len = head_len };
	if (inflateInit(&r->zs) != Z_OK) {
		free(r);
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = record_load_header(r, &rec->hdr);
	if (!ret)
		ret = record_load_stream(r, rec);
	inflateEnd(&r->zs);
	free(r);
	if (ret)
		recording_free(rec);
	return ret;
}

/* Ours, or damo's: no format of ours starts like zlib data or JSON. */
static bool record_is_damo(const unsigned char *p, size_t n)
{
	return !(n && p[0] == record_magic[0]) && damo_sniff(p, n);
}

int record_load(const char *path, struct recording *rec, char *err,
		size_t errlen)
{
	unsigned char head[HDR_PREFIX];
	struct record_reader r = { .src.fd = -1 };
	ssize_t n;
	int fd, ret;

	if (err && errlen)
		err[0] = 0;
	memset(rec, 0, sizeof(*rec));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		if (err && errlen)
			snprintf(err, errlen, "%s", strerror(-ret));
		return ret;
	}
	/* enough to tell the formats apart, then handed on as read */
	r.src.fd = fd;
	n = record_read_all(&r, head, sizeof(head));
	if (n < 0) {
		if (err && errlen)
			snprintf(err, errlen, "read: %s", strerror(-n));
		ret = n;
	} else if (record_is_damo(head, n)) {
		ret = damo_load_fd(fd, head, n, rec, err, errlen);
	} else {
		ret = record_load_kscope(fd, head, n, rec, err, errlen);
	}
	close(fd);
	return ret;
}

int record_load_buf(const void *data, size_t len, struct recording *rec,
		    char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = 0;
	memset(rec, 0, sizeof(*rec));
	if (record_is_damo(data, len))
		return damo_load_buf(data, len, rec, err, errlen);
	return record_load_kscope(-1, data, len, rec, err, errlen);
}
