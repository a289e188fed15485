// SPDX-License-Identifier: GPL-2.0
/*
 * damo's record files (see damo.h): the loader gathers the JSON text
 * (through zlib when the file is compressed), bounding what json-c's tree
 * of it will cost before json-c sees a byte, parses it in one call and
 * converts the tree into a struct recording; the writer produces,
 * snapshot by snapshot, the very text damo 3.3.0 writes (json.dumps with
 * indent=4) through a zlib stream.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "damo.h"
#include "errmsg.h"
#include "outfile.h"
#include "recording.h"

#define BUF_SIZE	(1 << 16)

/* As record.c: a live monitor's speed over the last few percent. */
#define DAMO_ZLEVEL	Z_BEST_SPEED

/* DAMON's default regions-update interval, written when none is known. */
#define DAMO_DEFAULT_UPDATE_US	1000000ull

/* Times beyond this would overflow the heat grid's signed arithmetic. */
#define DAMO_MAX_TIME	((uint64_t)INT64_MAX / 2)

uint64_t damo_max_cost = DAMO_MAX_COST;

static bool damo_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool damo_sniff(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (!len)
		return false;
	if (p[0] == '[' || p[0] == '{' || damo_is_space(p[0]))
		return true;
	/* RFC 1950: deflate, window <= 32 KiB, header check bits */
	return len >= 2 && (p[0] & 0x0f) == Z_DEFLATED && (p[0] >> 4) <= 7 &&
	       ((p[0] << 8) | p[1]) % 31 == 0;
}

/* ---- loader ------------------------------------------------------------ */

struct damo_loader {
	struct bytesrc src;		/* what was read to sniff it, then the file */
	bool zlib;
	z_stream zs;
	char *text;			/* the whole JSON text, NUL-terminated */
	size_t text_len, text_cap;
	uint64_t cost;			/* what json-c's tree may take, ~bytes */
	bool seen_value;		/* text other than white space */
	int ret;
	char *err;
	size_t errlen;
	unsigned char in[BUF_SIZE];
};

/* The first error of the load wins, described in the caller's buffer. */
#define damo_fail(l, code, ...) \
	errmsg_first(&(l)->ret, (l)->err, (l)->errlen, code, __VA_ARGS__)

/* Up to @n bytes of the file into @p; 0 at its end, -errno on error. */
static ssize_t damo_read(struct damo_loader *l, unsigned char *p, size_t n)
{
	ssize_t k = bytesrc_read(&l->src, p, n);

	return k < 0 ? damo_fail(l, k, "read: %s", strerror(-k)) : k;
}

/* Room for @n more bytes of text (and the NUL), within the limit. */
static char *damo_text_room(struct damo_loader *l, size_t n)
{
	size_t cap = l->text_cap ? l->text_cap : BUF_SIZE;
	char *t;

	if (l->text_len + n + 1 > (size_t)INT_MAX) {
		damo_fail(l, -EFBIG, "damo record: JSON text too long");
		return NULL;
	}
	if (l->text_len + n + 1 <= l->text_cap)
		return l->text + l->text_len;
	while (cap < l->text_len + n + 1)
		cap *= 2;
	if (cap > (size_t)INT_MAX)
		cap = INT_MAX;
	t = realloc(l->text, cap);
	if (!t) {
		damo_fail(l, -ENOMEM, "out of memory");
		return NULL;
	}
	l->text = t;
	l->text_cap = cap;
	return t + l->text_len;
}

/*
 * Count the @n bytes of text just put at the end, before json-c sees any
 * of it: what its tree would cost is bounded (see DAMO_MAX_COST).
 */
static int damo_text_added(struct damo_loader *l, size_t n)
{
	const unsigned char *p = (unsigned char *)l->text + l->text_len;
	size_t i;

	l->cost += n;
	for (i = 0; i < n; i++) {
		if (p[i] == '{')
			l->cost += DAMO_COST_OBJECT;
		else if (p[i] == ',' || p[i] == '[')
			l->cost += DAMO_COST_VALUE;
		if (!damo_is_space(p[i]))
			l->seen_value = true;
	}
	l->text_len += n;
	if (l->cost > damo_max_cost) {
		bool mib = damo_max_cost >= (1 << 20);

		return damo_fail(l, -EFBIG,
				 "damo record: too large to load (over %" PRIu64
				 " %s as a JSON tree)",
				 damo_max_cost >> (mib ? 20 : 10), mib ? "MiB" : "KiB");
	}
	return 0;
}

static int damo_read_plain(struct damo_loader *l)
{
	ssize_t n;
	char *p;

	for (;;) {
		p = damo_text_room(l, BUF_SIZE);
		if (!p)
			return l->ret;
		n = damo_read(l, (unsigned char *)p, BUF_SIZE);
		if (n <= 0)
			return n;
		if (damo_text_added(l, n))
			return l->ret;
	}
}

static int damo_read_zlib(struct damo_loader *l)
{
	bool eof = false;
	size_t n;
	ssize_t k;
	char *p;
	int ret;

	if (inflateInit(&l->zs) != Z_OK)
		return damo_fail(l, -ENOMEM, "out of memory");
	l->zlib = true;
	for (;;) {
		if (!l->zs.avail_in && !eof) {
			k = damo_read(l, l->in, sizeof(l->in));
			if (k < 0)
				return k;
			eof = !k;
			l->zs.next_in = l->in;
			l->zs.avail_in = k;
		}
		p = damo_text_room(l, BUF_SIZE);
		if (!p)
			return l->ret;
		l->zs.next_out = (unsigned char *)p;
		l->zs.avail_out = BUF_SIZE;
		ret = inflate(&l->zs, Z_NO_FLUSH);
		n = BUF_SIZE - l->zs.avail_out;
		if (damo_text_added(l, n))
			return l->ret;
		switch (ret) {
		case Z_STREAM_END:
			break;
		case Z_OK:
			/* all input used and room left: it wants more */
			if (eof && !l->zs.avail_in && l->zs.avail_out)
				return damo_fail(l, -EINVAL, "truncated zlib stream");
			continue;
		case Z_BUF_ERROR:	/* no progress: input needed */
			if (eof)
				return damo_fail(l, -EINVAL, "truncated zlib stream");
			continue;
		case Z_MEM_ERROR:
			return damo_fail(l, -ENOMEM, "out of memory");
		case Z_NEED_DICT:
			return damo_fail(l, -EINVAL,
					 "corrupt zlib stream: needs a dictionary");
		default:
			return damo_fail(l, -EINVAL, "corrupt zlib stream: %s",
					 l->zs.msg ? l->zs.msg : "inflate");
		}
		break;
	}
	if (l->zs.avail_in)
		return damo_fail(l, -EINVAL, "data after the zlib stream");
	k = damo_read(l, l->in, 1);
	if (k < 0)
		return k;
	if (k)
		return damo_fail(l, -EINVAL, "data after the zlib stream");
	return 0;
}

/*
 * The whole text to json-c in one call: fed in pieces, json-c 0.16 takes
 * a number cut between two of them for another ("[0" then "-1]" is [0]).
 * After the value there may be white space only.
 */
static struct json_object *damo_parse_text(struct damo_loader *l)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *top;
	size_t end, i;

	if (!l->seen_value) {
		damo_fail(l, -EINVAL, "not a damo record: no JSON value");
		return NULL;
	}
	tok = json_tokener_new();
	if (!tok) {
		damo_fail(l, -ENOMEM, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
			       JSON_TOKENER_ALLOW_TRAILING_CHARS);
	top = json_tokener_parse_ex(tok, l->text, l->text_len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!top && jerr == json_tokener_continue && end == l->text_len) {
		/* the NUL json-c wants to end a bare number; else it is cut */
		top = json_tokener_parse_ex(tok, "", 1);
		if (!top)
			damo_fail(l, -EINVAL, "damo record: truncated JSON");
		end = l->text_len;
	} else if (!top) {
		/* json-c takes a NUL for the end of the text, at or just
		 * before where it stopped */
		if (end && end <= l->text_len && !l->text[end - 1])
			end--;
		if (end < l->text_len && !l->text[end])
			damo_fail(l, -EINVAL,
				  "damo record: NUL byte in JSON text at byte %zu",
				  end);
		else
			damo_fail(l, -EINVAL,
				  "damo record: invalid JSON at byte %zu: %s", end,
				  json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	for (i = end; top && i < l->text_len; i++) {
		if (!damo_is_space(l->text[i])) {
			damo_fail(l, -EINVAL,
				  "damo record: data after the JSON value at byte %zu",
				  i);
			json_object_put(top);
			top = NULL;
		}
	}
	return top;
}

/*
 * damo's numbers: JSON integers, or strings of decimal digits that may
 * carry thousands separators ("4,294,967,296": groups of exactly three
 * after a first one of one to three).  -ENOENT for null, -EINVAL for
 * anything else, -ERANGE for a negative number or one past 64 bits.
 */
static int damo_u64(struct json_object *o, uint64_t *v)
{
	size_t len, i, run = 0;
	bool grouped = false;
	const char *s;
	uint64_t x = 0;

	if (!o)
		return -ENOENT;
	if (json_object_is_type(o, json_type_int)) {
		if (json_object_get_int64(o) < 0)
			return -ERANGE;
		/* json-c saturates what does not fit at UINT64_MAX */
		x = json_object_get_uint64(o);
		if (x == UINT64_MAX)
			return -ERANGE;
		*v = x;
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

/* Member @key of @o, NULL when @o is no object or has no such key. */
static struct json_object *damo_member(struct json_object *o, const char *key)
{
	struct json_object *m;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &m))
		return NULL;
	return m;
}

/* Where a value is, for messages: snapshot and region are 1-based, 0 for
 * not in one. */
struct damo_at {
	size_t snap;
	size_t region;
};

static const char *damo_where(const struct damo_at *at, char *buf, size_t size)
{
	if (at->region)
		snprintf(buf, size, "snapshot %zu region %zu: ", at->snap,
			 at->region);
	else if (at->snap)
		snprintf(buf, size, "snapshot %zu: ", at->snap);
	else
		buf[0] = 0;
	return buf;
}

/*
 * The number at @key (and then @sub, when not NULL) of @o, at most @max;
 * @null_ok leaves *v alone for a missing key or null.
 */
static int damo_num(struct damo_loader *l, struct json_object *o,
		    const struct damo_at *at, const char *key, const char *sub,
		    uint64_t max, bool null_ok, uint64_t *v)
{
	struct json_object *m = NULL;
	char where[64], name[64];
	bool has;
	uint64_t x;
	int err;

	snprintf(name, sizeof(name), "%s%s%s", key, sub ? "." : "",
		 sub ? sub : "");
	/* json-c's null is a NULL object: there, but no value */
	has = json_object_object_get_ex(o, key, &m);
	if (has && sub) {
		if (!json_object_is_type(m, json_type_object))
			return damo_fail(l, -EINVAL,
					 "damo record: %s'%s' is not an object",
					 damo_where(at, where, sizeof(where)), key);
		has = json_object_object_get_ex(m, sub, &m);
	}
	if (null_ok && !m)
		return 0;
	if (!has)
		return damo_fail(l, -EINVAL, "damo record: %s'%s' is missing",
				 damo_where(at, where, sizeof(where)), name);
	err = damo_u64(m, &x);
	if (!err && x > max)
		err = -ERANGE;
	if (err == -ERANGE)
		return damo_fail(l, -EINVAL, "damo record: %s'%s' is out of range",
				 damo_where(at, where, sizeof(where)), name);
	if (err)
		return damo_fail(l, -EINVAL, "damo record: %s'%s' is not a number",
				 damo_where(at, where, sizeof(where)), name);
	*v = x;
	return 0;
}

/* What damo calls the target, from whichever indices are integers. */
static void damo_describe(struct json_object *jt, size_t idx, size_t nr,
			  struct record_header *h)
{
	static const char *const keys[] = { "kdamond_idx", "context_idx",
					    "target_id" };
	static const char *const names[] = { "kdamond", "context", "target" };
	size_t used, i;

	used = snprintf(h->target, sizeof(h->target), "damo record");
	for (i = 0; i < 3; i++) {
		struct json_object *m = damo_member(jt, keys[i]);

		/* three short numbers always fit */
		if (json_object_is_type(m, json_type_int))
			used += snprintf(h->target + used,
					 sizeof(h->target) - used,
					 ", %s %" PRId64, names[i],
					 json_object_get_int64(m));
	}
	if (nr > 1)
		snprintf(h->target + used, sizeof(h->target) - used,
			 " (record %zu of %zu)", idx + 1, nr);
}

static int damo_region(struct damo_loader *l, struct json_object *jr,
		       const struct damo_at *at, uint64_t prev_end,
		       struct region *r)
{
	uint64_t acc, age;
	char where[64];

	if (!json_object_is_type(jr, json_type_object))
		return damo_fail(l, -EINVAL, "damo record: %snot an object",
				 damo_where(at, where, sizeof(where)));
	if (damo_num(l, jr, at, "start", NULL, UINT64_MAX, false, &r->start) ||
	    damo_num(l, jr, at, "end", NULL, UINT64_MAX, false, &r->end) ||
	    damo_num(l, jr, at, "nr_accesses", "samples", UINT32_MAX, false,
		     &acc) ||
	    damo_num(l, jr, at, "age", "aggr_intervals", UINT32_MAX, false,
		     &age))
		return l->ret;
	if (r->end <= r->start)
		return damo_fail(l, -EINVAL, "damo record: %sempty region",
				 damo_where(at, where, sizeof(where)));
	if (at->region > 1 && r->start < prev_end)
		return damo_fail(l, -EINVAL,
				 "damo record: %sregions unsorted or overlapping",
				 damo_where(at, where, sizeof(where)));
	r->nr_accesses = acc;
	r->age = age;
	return 0;
}

/* Snapshot @idx into @s (whose regions are sized); *start gets its start. */
static int damo_snapshot(struct damo_loader *l, struct json_object *js,
			 size_t idx, uint64_t sample_us, uint64_t aggr_us,
			 uint64_t *prev_end, uint64_t *startp, struct snapshot *s)
{
	struct damo_at at = { .snap = idx + 1 };
	struct json_object *jregs = damo_member(js, "regions");
	uint64_t start, end, us = sample_us;
	char where[64];
	size_t i;

	if (damo_num(l, js, &at, "start_time", NULL, DAMO_MAX_TIME, false,
		     &start) ||
	    damo_num(l, js, &at, "end_time", NULL, DAMO_MAX_TIME, false, &end) ||
	    damo_num(l, js, &at, "sample_interval_us", NULL, UINT64_MAX / 1000,
		     true, &us))
		return l->ret;
	damo_where(&at, where, sizeof(where));
	if (!us)
		return damo_fail(l, -EINVAL,
				 "damo record: %s'sample_interval_us' is zero", where);
	if (end < start)
		return damo_fail(l, -EINVAL,
				 "damo record: %sends before it starts", where);
	if (idx && start < *prev_end)
		return damo_fail(l, -EINVAL,
				 "damo record: %sstarts before the previous one ends",
				 where);
	*prev_end = end;
	*startp = start;
	s->time_ns = end;
	s->sample_ns = us * 1000;
	s->aggr_ns = aggr_us * 1000;
	for (i = 0; i < s->nr_regions; i++) {
		at.region = i + 1;
		if (damo_region(l, json_object_array_get_idx(jregs, i), &at,
				i ? s->regions[i - 1].end : 0, &s->regions[i]))
			return l->ret;
	}
	return 0;
}

/* A record whose "snapshots" is a list, or NULL. */
static struct json_object *damo_snapshots(struct json_object *jt)
{
	struct json_object *m = damo_member(jt, "snapshots");

	return json_object_is_type(m, json_type_array) ? m : NULL;
}

static int damo_parse(struct damo_loader *l, struct json_object *top,
		      struct recording *rec)
{
	struct json_object *jt, *jsnaps, *jint;
	uint64_t sample_us, aggr_us, update_us = 0, total = 0, prev_end = 0;
	uint64_t start = 0, start0 = 0;
	struct damo_at at = { 0 };
	size_t nr, pick, n, i, k;
	char where[64];

	if (!json_object_is_type(top, json_type_array))
		return damo_fail(l, -EINVAL,
				 "not a damo record: not a list of target records");
	nr = json_object_array_length(top);
	if (!nr)
		return damo_fail(l, -EINVAL, "not a damo record: no target records");
	for (i = 0, pick = nr; i < nr; i++) {
		jt = json_object_array_get_idx(top, i);
		if (!json_object_is_type(jt, json_type_object))
			return damo_fail(l, -EINVAL,
					 "not a damo record: record %zu is not an object",
					 i + 1);
		jsnaps = damo_snapshots(jt);
		if (!jsnaps)
			return damo_fail(l, -EINVAL,
					 "not a damo record: record %zu has no 'snapshots' list",
					 i + 1);
		if (pick == nr && json_object_array_length(jsnaps))
			pick = i;
	}
	if (pick == nr)
		pick = 0;
	jt = json_object_array_get_idx(top, pick);
	jsnaps = damo_snapshots(jt);

	jint = damo_member(jt, "intervals");
	if (!json_object_is_type(jint, json_type_object))
		return damo_fail(l, -EINVAL, "damo record: no 'intervals' object");
	if (damo_num(l, jint, &at, "sample_us", NULL, UINT64_MAX / 1000, false,
		     &sample_us) ||
	    damo_num(l, jint, &at, "aggr_us", NULL, UINT64_MAX / 1000, false,
		     &aggr_us) ||
	    damo_num(l, jint, &at, "ops_update_us", NULL, UINT64_MAX / 1000,
		     true, &update_us))
		return l->ret;
	if (!sample_us || !aggr_us)
		return damo_fail(l, -EINVAL, "damo record: 'intervals' has a zero %s",
				 sample_us ? "aggr_us" : "sample_us");

	/* Count first, so that one exact allocation holds every region. */
	n = json_object_array_length(jsnaps);
	if (n > RECORD_MAX_SNAPSHOTS)
		return damo_fail(l, -EFBIG, "damo record: too many snapshots (%zu)",
				 n);
	for (i = 0; i < n; i++) {
		struct json_object *js = json_object_array_get_idx(jsnaps, i);
		struct json_object *jregs = damo_member(js, "regions");

		at.snap = i + 1;
		if (!json_object_is_type(js, json_type_object))
			return damo_fail(l, -EINVAL,
					 "damo record: snapshot %zu is not an object",
					 i + 1);
		if (!json_object_is_type(jregs, json_type_array))
			return damo_fail(l, -EINVAL, "damo record: %s'regions' is %s",
					 damo_where(&at, where, sizeof(where)),
					 jregs ? "not a list" : "missing");
		k = json_object_array_length(jregs);
		if (k > RECORD_MAX_REGIONS)
			return damo_fail(l, -EFBIG,
					 "damo record: %stoo many regions (%zu)",
					 damo_where(&at, where, sizeof(where)), k);
		total += k;
	}
	if (total > RECORD_MAX_TOTAL_REGIONS)
		return damo_fail(l, -EFBIG, "damo record: too many regions in all");
	if (n) {
		rec->snaps = calloc(n, sizeof(*rec->snaps));
		if (!rec->snaps)
			return damo_fail(l, -ENOMEM, "out of memory");
	}
	if (total) {
		rec->region_store = malloc(total * sizeof(*rec->region_store));
		if (!rec->region_store)
			return damo_fail(l, -ENOMEM, "out of memory");
	}
	for (i = 0, total = 0; i < n; i++) {
		struct json_object *js = json_object_array_get_idx(jsnaps, i);
		struct snapshot *s = &rec->snaps[i];

		s->nr_regions = json_object_array_length(damo_member(js, "regions"));
		s->regions = s->nr_regions ? rec->region_store + total : NULL;
		total += s->nr_regions;
		if (damo_snapshot(l, js, i, sample_us, aggr_us, &prev_end,
				  &start, s))
			return l->ret;
		if (!i)
			start0 = start;
		rec->nr_snaps = i + 1;
	}

	snprintf(rec->hdr.tool, sizeof(rec->hdr.tool), "damo");
	snprintf(rec->hdr.source, sizeof(rec->hdr.source), "damo");
	damo_describe(jt, pick, nr, &rec->hdr);
	rec->hdr.pid = -1;
	rec->hdr.sample_ns = sample_us * 1000;
	rec->hdr.aggr_ns = aggr_us * 1000;
	rec->hdr.update_ns = update_us * 1000;
	rec->hdr.start_mono_ns = start0;
	return 0;
}

static int damo_load(struct damo_loader *l, struct recording *rec)
{
	struct json_object *top;
	unsigned char *sniff;
	ssize_t k;
	int err;

	/* two bytes tell a zlib header; they are the text or the stream */
	sniff = (unsigned char *)damo_text_room(l, 2);
	if (!sniff)
		return l->ret;
	while (l->text_len < 2) {
		k = damo_read(l, sniff + l->text_len, 2 - l->text_len);
		if (k < 0)
			return k;
		if (!k)
			break;
		l->text_len += k;
	}
	if (!l->text_len)
		return damo_fail(l, -EINVAL, "not a damo record: empty file");
	if (!damo_sniff(sniff, l->text_len))
		return damo_fail(l, -EINVAL,
				 "not a damo record: neither JSON nor zlib data");
	if (sniff[0] == '[' || sniff[0] == '{' || damo_is_space(sniff[0])) {
		k = l->text_len;
		l->text_len = 0;
		err = damo_text_added(l, k) ?: damo_read_plain(l);
	} else {
		memcpy(l->in, sniff, l->text_len);
		l->zs.next_in = l->in;
		l->zs.avail_in = l->text_len;
		l->text_len = 0;
		err = damo_read_zlib(l);
	}
	if (err)
		return err;
	l->text[l->text_len] = 0;
	top = damo_parse_text(l);
	if (!top)
		return l->ret;
	/* the text is in the tree now: give it back before converting */
	free(l->text);
	l->text = NULL;
	err = damo_parse(l, top, rec);
	json_object_put(top);
	return err;
}

int damo_load_fd(int fd, const void *head, size_t head_len,
		 struct recording *rec, char *err, size_t errlen)
{
	struct damo_loader *l;
	int ret;

	if (err && errlen)
		err[0] = 0;
	memset(rec, 0, sizeof(*rec));
	l = calloc(1, sizeof(*l));
	if (!l) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->src = (struct bytesrc){ .fd = fd, .head = head, .head_len = head ? head_len : 0 };
	l->err = err;
	l->errlen = errlen;
	ret = damo_load(l, rec);
	if (l->zlib)
		inflateEnd(&l->zs);
	free(l->text);
	free(l);
	if (ret)
		recording_free(rec);
	return ret;
}

int damo_load_buf(const void *data, size_t len, struct recording *rec,
		  char *err, size_t errlen)
{
	return damo_load_fd(-1, data, len, rec, err, errlen);
}

/* ---- writer ------------------------------------------------------------ */

struct damo_writer {
	int fd;
	int err;			/* first error; sticks */
	z_stream zs;
	bool started;			/* the record's head is written */
	uint64_t nr_snaps;
	uint64_t start_ns;		/* the first snapshot's start, if known */
	uint64_t prev_end;
	uint64_t sample_us, aggr_us, update_us;
	size_t len;			/* text staged in buf */
	char buf[BUF_SIZE];
	unsigned char out[BUF_SIZE];
};

/* Compress what is staged and write out what zlib gives for @flush. */
static int damo_push(struct damo_writer *w, int flush)
{
	int ret, err;

	if (w->err)
		return w->err;
	w->zs.next_in = (unsigned char *)w->buf;
	w->zs.avail_in = w->len;
	do {
		w->zs.next_out = w->out;
		w->zs.avail_out = sizeof(w->out);
		ret = deflate(&w->zs, flush);
		if (ret == Z_STREAM_ERROR) {
			w->err = -EIO;
			return w->err;
		}
		err = outfile_write_all(w->fd, w->out,
				     sizeof(w->out) - w->zs.avail_out);
		if (err) {
			w->err = err;
			return err;
		}
	} while (w->zs.avail_out == 0);
	w->len = 0;
	return 0;
}

/* Stage a piece of text (each well under BUF_SIZE). */
__attribute__((format(printf, 2, 3)))
static int damo_put(struct damo_writer *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (w->err)
			return w->err;
		va_start(ap, fmt);
		n = vsnprintf(w->buf + w->len, sizeof(w->buf) - w->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			w->err = -EINVAL;
			return w->err;
		}
		if ((size_t)n < sizeof(w->buf) - w->len) {
			w->len += n;
			return 0;
		}
		if (!w->len) {		/* never fits */
			w->err = -EINVAL;
			return w->err;
		}
		damo_push(w, Z_NO_FLUSH);
	}
}

/* @v with thousands separators, as damo's format_nr() writes it. */
static const char *damo_fmt_nr(char *buf, size_t size, uint64_t v)
{
	char digits[24];
	size_t n, i, o = 0;

	n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
	for (i = 0; i < n && o + 2 < size; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = 0;
	return buf;
}

struct damo_writer *damo_writer_open(int fd, const struct record_header *h)
{
	struct damo_writer *w;

	if (fd < 0 || !h) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	if (deflateInit(&w->zs, DAMO_ZLEVEL) != Z_OK) {
		free(w);
		errno = ENOMEM;
		return NULL;
	}
	w->fd = fd;
	w->start_ns = h->start_mono_ns;
	w->sample_us = h->sample_ns / 1000;
	w->aggr_us = h->aggr_ns / 1000;
	w->update_us = h->update_ns ? h->update_ns / 1000 : DAMO_DEFAULT_UPDATE_US;
	return w;
}

/* Everything before the snapshots list, as damo's DamonRecord has it. */
static int damo_put_head(struct damo_writer *w)
{
	w->started = true;
	return damo_put(w,
		"[\n"
		"    {\n"
		"        \"kdamond_idx\": null,\n"
		"        \"context_idx\": null,\n"
		"        \"intervals\": {\n"
		"            \"sample_us\": \"%" PRIu64 "\",\n"
		"            \"aggr_us\": \"%" PRIu64 "\",\n"
		"            \"ops_update_us\": \"%" PRIu64 "\",\n"
		"            \"intervals_goal\": {\n"
		"                \"access_bp\": \"0.000000\",\n"
		"                \"aggrs\": \"0\",\n"
		"                \"min_sample_us\": \"0\",\n"
		"                \"max_sample_us\": \"0\"\n"
		"            }\n"
		"        },\n"
		"        \"scheme_idx\": null,\n"
		"        \"target_id\": 0,\n"
		"        \"scheme_filters\": [],\n"
		"        \"snapshots\": ",
		w->sample_us, w->aggr_us, w->update_us);
}

static int damo_put_region(struct damo_writer *w, const struct region *r,
			   bool first)
{
	char start[32], end[32], age[32];

	return damo_put(w,
		"%s"
		"                    {\n"
		"                        \"start\": \"%s\",\n"
		"                        \"end\": \"%s\",\n"
		"                        \"nr_accesses\": {\n"
		"                            \"samples\": %" PRIu32 ",\n"
		"                            \"percent\": null\n"
		"                        },\n"
		"                        \"age\": {\n"
		"                            \"usec\": null,\n"
		"                            \"aggr_intervals\": \"%s\"\n"
		"                        },\n"
		"                        \"probe_hits\": [],\n"
		"                        \"sz_filter_passed\": \"0 B\"\n"
		"                    }",
		first ? "" : ",\n",
		damo_fmt_nr(start, sizeof(start), r->start),
		damo_fmt_nr(end, sizeof(end), r->end), r->nr_accesses,
		damo_fmt_nr(age, sizeof(age), r->age));
}

int damo_writer_snapshot(struct damo_writer *w, const struct snapshot *s)
{
	uint64_t start, total = 0, sample_us = s->sample_ns / 1000 ?: 1;
	char sample[32];
	uint32_t i;
	int err;

	if (w->err)
		return w->err;
	if (w->nr_snaps && s->time_ns < w->prev_end)
		return -EINVAL;
	if (!w->started) {
		/* the intervals in force are the first snapshot's, in whole
		 * microseconds, never 0 (which no reader could use) */
		w->sample_us = sample_us;
		w->aggr_us = s->aggr_ns / 1000 ?: 1;
		damo_put_head(w);
		start = w->start_ns;
		if (!start || start > s->time_ns)
			start = s->time_ns > s->aggr_ns ?
				s->time_ns - s->aggr_ns : 0;
	} else {
		start = w->prev_end;
	}
	for (i = 0; i < s->nr_regions; i++)
		if (__builtin_add_overflow(total, s->regions[i].end -
					   s->regions[i].start, &total))
			total = UINT64_MAX;
	if (sample_us == w->sample_us)
		snprintf(sample, sizeof(sample), "null");
	else
		snprintf(sample, sizeof(sample), "%" PRIu64, sample_us);

	damo_put(w,
		"%s"
		"            {\n"
		"                \"start_time\": \"%" PRIu64 "\",\n"
		"                \"end_time\": \"%" PRIu64 "\",\n"
		"                \"regions\": %s",
		w->nr_snaps ? ",\n" : "[\n", start, s->time_ns,
		s->nr_regions ? "[\n" : "[]");
	for (i = 0; i < s->nr_regions; i++)
		damo_put_region(w, &s->regions[i], !i);
	damo_put(w,
		"%s,\n"
		"                \"total_bytes\": \"%" PRIu64 "\",\n"
		"                \"damos_stats\": null,\n"
		"                \"sample_interval_us\": %s\n"
		"            }",
		s->nr_regions ? "\n                ]" : "", total, sample);
	/* a reader (or a crash) finds every snapshot so far in the file */
	err = damo_push(w, Z_SYNC_FLUSH);
	if (err)
		return err;
	w->nr_snaps++;
	w->prev_end = s->time_ns;
	return 0;
}

int damo_writer_close(struct damo_writer *w)
{
	int err;

	if (!w)
		return -EINVAL;
	if (!w->started) {
		w->sample_us = w->sample_us ?: 1;
		w->aggr_us = w->aggr_us ?: 1;
		damo_put_head(w);
	}
	damo_put(w,
		"%s,\n"
		"        \"data_source\": \"unknown\"\n"
		"    }\n"
		"]",
		w->nr_snaps ? "\n        ]" : "[]");
	err = damo_push(w, Z_FINISH);
	if (close(w->fd) && !err)
		err = -errno;
	deflateEnd(&w->zs);
	free(w);
	return err;
}
