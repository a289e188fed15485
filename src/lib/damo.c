// SPDX-License-Identifier: GPL-2.0
/*
 * damo's record files (see damo.h): the loader reads the JSON text as a
 * stream (through zlib when the file is compressed), keeping only the
 * chosen record's snapshots and regions as it meets them; the writer
 * produces, snapshot by snapshot, the very text damo 3.3.0 writes
 * (json.dumps with indent=4) through a zlib stream.
 */
#include <errno.h>
#include <inttypes.h>
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
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))

/* As record.c: a live monitor's speed over the last few percent. */
#define DAMO_ZLEVEL	Z_BEST_SPEED

/* DAMON's default regions-update interval, written when none is known. */
#define DAMO_DEFAULT_UPDATE_US	1000000ull

/* Times beyond this would overflow the heat grid's signed arithmetic. */
#define DAMO_MAX_TIME	((uint64_t)INT64_MAX / 2)

uint64_t damo_max_cost = DAMO_MAX_COST;

static inline bool damo_is_space(unsigned char c)
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

/*
 * The text is read as a stream, 64 KiB at a time, by a small JSON reader
 * that keeps nothing of it but the numbers it is looking for: no
 * document and no tree of it is ever held, so memory is the recording
 * itself (24 bytes a region) and two buffers.
 *
 * Not json-c, as elsewhere in kscope, because json-c has no streaming
 * interface (its tokener can be fed pieces, but it returns only the
 * whole value, tree and all) and is too slow for this even fed region by
 * region.  Measured on the damo fixture (11.5 MB of text, 21,245
 * regions): json-c over the whole text 85 ms and 80 MB; json-c on each
 * region object, found by a scan, 45-75 ms (it allocates three objects,
 * three hash tables and ten strings a region); inflating alone 8.5 ms;
 * this reader 10 ms on the plain text, 15.5 ms inflate included, keeping
 * 0.5 MB of regions.  damo 3.3.0 takes 0.6-1.0 s for a report of it, and
 * the goal was a twentieth of that, start-up and output included.
 *
 * The reader is strict RFC 8259 JSON, with json-c's messages where it
 * refuses something (json-c in its strict mode also took NaN, "1." and
 * "-01"; this does not), json-c's nesting limit, and json-c's meaning of
 * a key given twice (the last one counts).
 *
 * Which error a bad file gets does not depend on where in the stream the
 * reader met it: an I/O or zlib error, then the first JSON syntax error,
 * then the first error of each class below, in this order (which is the
 * order in which the loader before it checked a whole tree).
 */
enum damo_class {
	DC_SYNTAX,	/* no JSON value, invalid, cut short, data after it */
	DC_TOP,		/* not a list of target records with 'snapshots' lists */
	DC_INTERVALS,	/* the chosen record's 'intervals' */
	DC_SHAPE,	/* its snapshots: objects, 'regions' lists, counts */
	DC_FIELDS,	/* their fields and their regions' */
	DC_NR,
};

#define DAMO_MSG	256

struct damo_err {
	int code;		/* 0, or the negative errno to return */
	char msg[DAMO_MSG];
};

/* json-c's nesting limit (JSON_TOKENER_DEFAULT_DEPTH), and so ours. */
#define DAMO_MAX_DEPTH	32

/* A short string's text, enough for every key and number damo writes. */
#define DAMO_KEY	48

/* What a value was, for fields that want a number or an object. */
enum damo_st {
	DN_ABSENT,	/* no such key */
	DN_NULL,
	DN_OK,		/* a number, in v */
	DN_NAN,		/* anything else: not a number */
	DN_RANGE,	/* a negative number, or one past 64 bits */
	DN_NOTOBJ,	/* a field with sub-fields that is not an object */
	DN_NOTLIST,	/* a field that wants a list and is something else */
	DN_LIST,
};

struct damo_num {
	enum damo_st st;
	uint64_t v;
};

/* The value types of JSON, as json-c tells integers from doubles. */
enum damo_type {
	DT_NULL, DT_BOOL, DT_INT, DT_DOUBLE, DT_STRING, DT_ARRAY, DT_OBJECT,
};

/*
 * A scalar just read: for an integer its magnitude (saturated) and sign;
 * for a string, whether it is one of damo's numbers ("4,096") and which.
 */
struct damo_scalar {
	enum damo_type type;
	bool neg;
	uint64_t u;		/* DT_INT: |value|, UINT64_MAX when past it */
	int snum;		/* DT_STRING: 0 a number in u, else -EINVAL/-ERANGE */
	/* the string's text up to DAMO_KEY bytes, cut at a NUL as json-c
	 * cuts a key there; len is the whole length */
	char s[DAMO_KEY];
	size_t len;
};

/* What the loader keeps of one target record while it reads it. */
struct damo_rec {
	struct damo_err err[DC_NR];	/* DC_INTERVALS and later */
	enum damo_st snaps_st;		/* DN_ABSENT, DN_NOTLIST or DN_LIST */
	size_t nr_snaps;		/* elements of its snapshots list */
	enum damo_st intervals_st;	/* DN_ABSENT, DN_NOTOBJ or DN_OK */
	struct damo_num sample_us, aggr_us, update_us;
	/* kdamond_idx, context_idx and target_id when integers */
	bool has_id[3];
	int64_t id[3];
};

struct damo_loader {
	struct bytesrc src;		/* what was read to sniff it, then the file */
	bool zlib, zend, src_eof;
	z_stream zs;
	/* the text: buf[0, len) holds bytes off.. of it, p the next one */
	const unsigned char *p, *end;
	uint64_t off;
	int ret;			/* the fatal error (read, zlib, memory) */
	char *err;
	size_t errlen;
	struct damo_err top[2];		/* DC_SYNTAX and DC_TOP */

	size_t nr_records;
	bool picked;			/* a record with snapshots was read */
	struct damo_rec cur, chosen;	/* chosen: the one to load */
	size_t chosen_idx;

	/* the snapshots of the record being read, while none is picked */
	bool storing;
	struct snapshot *snaps;		/* sample_ns: its own, in us, 0 for none */
	size_t nr_snaps, snaps_cap;
	struct region *store;
	size_t nr_store, store_cap;
	uint64_t start0;		/* the first snapshot's start_time */
	uint64_t prev_end;		/* the previous snapshot's end_time */

	unsigned char in[BUF_SIZE];
	unsigned char buf[BUF_SIZE];
};

/* The first fatal error wins, described in the caller's buffer. */
#define damo_fail(l, code, ...) \
	errmsg_first(&(l)->ret, (l)->err, (l)->errlen, code, __VA_ARGS__)

__attribute__((format(printf, 3, 4)))
static void damo_err_set(struct damo_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e->code)
		return;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* Up to @n bytes of the file into @p; 0 at its end, -errno on error. */
static ssize_t damo_read(struct damo_loader *l, unsigned char *p, size_t n)
{
	ssize_t k = bytesrc_read(&l->src, p, n);

	return k < 0 ? damo_fail(l, k, "read: %s", strerror(-k)) : k;
}

/* More text into buf: the number of bytes, 0 at its end, -errno. */
static ssize_t damo_inflate(struct damo_loader *l)
{
	ssize_t k;
	size_t n;
	int ret;

	while (!l->zend && !l->ret) {
		if (!l->zs.avail_in && !l->src_eof) {
			k = damo_read(l, l->in, sizeof(l->in));
			if (k < 0)
				return 0;
			l->src_eof = !k;
			l->zs.next_in = l->in;
			l->zs.avail_in = k;
		}
		l->zs.next_out = l->buf;
		l->zs.avail_out = sizeof(l->buf);
		ret = inflate(&l->zs, Z_NO_FLUSH);
		n = sizeof(l->buf) - l->zs.avail_out;
		switch (ret) {
		case Z_STREAM_END:
			l->zend = true;
			if (l->zs.avail_in)
				return damo_fail(l, -EINVAL, "data after the zlib stream");
			k = damo_read(l, l->in, 1);
			if (k > 0)
				return damo_fail(l, -EINVAL, "data after the zlib stream");
			return k < 0 ? 0 : n;
		case Z_OK:
			/* all input used and room left: it wants more */
			if (l->src_eof && !l->zs.avail_in && l->zs.avail_out)
				return damo_fail(l, -EINVAL, "truncated zlib stream");
			break;
		case Z_BUF_ERROR:	/* no progress: input needed */
			if (l->src_eof)
				return damo_fail(l, -EINVAL, "truncated zlib stream");
			break;
		case Z_MEM_ERROR:
			return damo_fail(l, -ENOMEM, "out of memory");
		case Z_NEED_DICT:
			return damo_fail(l, -EINVAL,
					 "corrupt zlib stream: needs a dictionary");
		default:
			return damo_fail(l, -EINVAL, "corrupt zlib stream: %s",
					 l->zs.msg ? l->zs.msg : "inflate");
		}
		if (n)
			return n;
	}
	return 0;
}

/* The next piece of text into buf; false at its end or on an error. */
static bool damo_fill(struct damo_loader *l)
{
	ssize_t n;

	if (l->ret)
		return false;
	l->off += l->end - l->buf;
	n = l->zlib ? damo_inflate(l) : damo_read(l, l->buf, sizeof(l->buf));
	if (n < 0)
		n = 0;
	l->p = l->buf;
	l->end = l->buf + n;
	return n > 0;
}

/* The next byte of text, not consumed; -1 at its end. */
static inline int damo_peek(struct damo_loader *l)
{
	if (l->p == l->end && !damo_fill(l))
		return -1;
	return *l->p;
}

static inline size_t damo_pos(const struct damo_loader *l)
{
	return l->off + (l->p - l->buf);
}

/* Past white space; the next byte, not consumed, or -1 at the end. */
static inline int damo_ws(struct damo_loader *l)
{
	uint64_t w;

	for (;;) {
		while (l->p < l->end) {
			/* damo indents by 4 to 28 spaces: eight at a time */
			if (l->end - l->p >= 8 &&
			    (memcpy(&w, l->p, 8), w == 0x2020202020202020ull)) {
				l->p += 8;
				continue;
			}
			if (!damo_is_space(*l->p))
				return *l->p;
			l->p++;
		}
		if (!damo_fill(l))
			return -1;
	}
}

/*
 * The text is not JSON at the next byte (@c, -1 at the end): json-c's
 * @desc for it, a NUL said as such (json-c took one for the end).
 */
static int damo_syntax(struct damo_loader *l, int c, const char *desc)
{
	size_t at = damo_pos(l);

	if (l->ret)		/* the input's own error says more */
		return -1;
	if (c < 0)
		damo_err_set(&l->top[DC_SYNTAX], -EINVAL,
			     "damo record: truncated JSON");
	else if (!c)
		damo_err_set(&l->top[DC_SYNTAX], -EINVAL,
			     "damo record: NUL byte in JSON text at byte %zu", at);
	else
		damo_err_set(&l->top[DC_SYNTAX], -EINVAL,
			     "damo record: invalid JSON at byte %zu: %s", at, desc);
	return -1;
}

/*
 * One of damo's numbers written as a string, a byte at a time: decimal
 * digits, maybe with thousands separators ("4,294,967,296": groups of
 * exactly three after a first one of one to three).  The first fault
 * decides, as a scan of the whole string would find it.
 */
struct damo_snum {
	uint64_t x;
	size_t run;
	bool grouped;
	int err;
};

static inline void damo_snum_add(struct damo_snum *n, unsigned char c)
{
	if (n->err)
		return;
	if (c == ',') {
		if (!n->run || n->run > 3 || (n->grouped && n->run != 3))
			n->err = -EINVAL;
		n->grouped = true;
		n->run = 0;
		return;
	}
	if (c < '0' || c > '9') {
		n->err = -EINVAL;
		return;
	}
	if (__builtin_mul_overflow(n->x, 10, &n->x) ||
	    __builtin_add_overflow(n->x, (uint64_t)(c - '0'), &n->x)) {
		n->err = -ERANGE;
		return;
	}
	n->run++;
}

static int damo_snum_end(const struct damo_snum *n)
{
	if (n->err)
		return n->err;
	return !n->run || (n->grouped && n->run != 3) ? -EINVAL : 0;
}

static int damo_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decoded bytes of a string into @v's text and number. */
static inline void damo_str_add(struct damo_scalar *v, struct damo_snum *n,
				bool *cut, const unsigned char *p, size_t k)
{
	size_t i;

	if (!*cut && k == 1 && !*p)
		*cut = true;
	if (!*cut) {
		if (v->len < sizeof(v->s) - 1)
			memcpy(v->s + v->len, p,
			       MIN(k, sizeof(v->s) - 1 - v->len));
		v->len += k;
	}
	for (i = 0; n && i < k && !n->err; i++)
		damo_snum_add(n, p[i]);
}

/*
 * A string, its opening quote consumed; -1 on an error.  A @key's is not
 * looked at as a number.
 */
static int damo_string(struct damo_loader *l, struct damo_scalar *v, bool key)
{
	struct damo_snum num = { 0 }, *n = key ? NULL : &num;
	const unsigned char *q;
	unsigned char b;
	bool cut = false;
	unsigned int u;
	int c, i, h;

	v->type = DT_STRING;
	v->len = 0;
	for (;;) {
		/* the plain run, straight from the buffer (a NUL in it
		 * comes only from \u0000, which cuts the text) */
		for (q = l->p; q < l->end && *q != '"' && *q != '\\' && *q; q++)
			;
		damo_str_add(v, n, &cut, l->p, q - l->p);
		l->p = q;
		c = damo_peek(l);
		if (c < 0 || !c)
			return damo_syntax(l, c, "");
		if (c != '"' && c != '\\')
			continue;	/* the buffer was refilled */
		l->p++;
		if (c == '"')
			break;
		c = damo_peek(l);
		switch (c) {
		case '"': case '\\': case '/':
			break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			l->p++;
			for (i = 0, u = 0; i < 4; i++) {
				c = damo_peek(l);
				h = c < 0 ? -1 : damo_hex(c);
				if (h < 0)
					return damo_syntax(l, c, "invalid string sequence");
				u = u << 4 | h;
				l->p++;
			}
			/* what is not ASCII matches no key and is no digit */
			b = u < 0x80 ? u : 0x80;
			damo_str_add(v, n, &cut, &b, 1);
			continue;
		default:
			return damo_syntax(l, c, "invalid string sequence");
		}
		l->p++;
		b = c;
		damo_str_add(v, n, &cut, &b, 1);
	}
	if (v->len < sizeof(v->s))
		v->s[v->len] = 0;
	else
		v->s[sizeof(v->s) - 1] = 0;
	v->snum = damo_snum_end(&num);
	v->u = num.x;
	return 0;
}

/*
 * A number (RFC 8259) at @depth, its first byte next.  json-c's message
 * and place for a bad one: the byte that cannot continue it, or the end
 * of a run of number bytes that is not a number (as "-", "1e" and "01"
 * are), or in a list or an object a byte that cannot follow it.  A
 * number alone ends where it cannot go on (what follows is data after
 * the value).
 */
static int damo_number(struct damo_loader *l, int depth, struct damo_scalar *v)
{
	enum { N_SIGN, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP } st;
	bool lead_zero = false;
	int c, d;

	v->type = DT_INT;
	v->neg = false;
	v->u = 0;
	st = N_SIGN;
	if (*l->p == '-') {
		v->neg = true;
		l->p++;
	}
	for (;;) {
		c = damo_peek(l);
		if (c >= '0' && c <= '9') {
			d = c - '0';
			switch (st) {
			case N_SIGN:
				st = d ? N_INT : N_ZERO;
				v->u = d;
				break;
			case N_ZERO:
				lead_zero = true;	/* json-c says so at the end */
				break;
			case N_INT:
				if (v->u != UINT64_MAX &&
				    (__builtin_mul_overflow(v->u, 10, &v->u) ||
				     __builtin_add_overflow(v->u, (uint64_t)d, &v->u)))
					v->u = UINT64_MAX;
				break;
			case N_DOT:
				st = N_FRAC;
				break;
			case N_E:
			case N_ESIGN:
				st = N_EXP;
				break;
			default:
				break;
			}
		} else if (c == '.' && (st == N_ZERO || st == N_INT) && !lead_zero) {
			st = N_DOT;
			v->type = DT_DOUBLE;
		} else if ((c == 'e' || c == 'E') &&
			   (st == N_ZERO || st == N_INT || st == N_FRAC) && !lead_zero) {
			st = N_E;
			v->type = DT_DOUBLE;
		} else if ((c == '+' || c == '-') && st == N_E) {
			st = N_ESIGN;
		} else if (depth && (c == '.' || c == 'e' || c == 'E' ||
				     c == '+' || c == '-')) {
			return damo_syntax(l, c, "number expected");
		} else {
			break;
		}
		l->p++;
	}
	/* "01" alone is whole, but no number: not cut short at the end */
	if (lead_zero)
		return damo_syntax(l, c < 0 && !depth ? ' ' : c, "number expected");
	if (st == N_SIGN || st == N_DOT || st == N_E || st == N_ESIGN)
		return damo_syntax(l, c, "number expected");
	if (depth && c >= 0 && !damo_is_space(c) && c != ',' && c != ']' &&
	    c != '}' && c != '/')
		return damo_syntax(l, c, "number expected");
	return 0;
}

/* The rest of the literal @word, its first byte next. */
static int damo_literal(struct damo_loader *l, const char *word, const char *desc)
{
	int c;

	for (; *word; word++) {
		c = damo_peek(l);
		if (c != *word)
			return damo_syntax(l, c, desc);
		l->p++;
	}
	return 0;
}

/*
 * The start of a value at @depth (the containers open around it): a
 * scalar whole, into @v; of an array or an object only its bracket.
 */
static int damo_value(struct damo_loader *l, int depth, struct damo_scalar *v)
{
	int c = damo_ws(l);

	/* json-c counts a value of any kind as a level */
	if (depth >= DAMO_MAX_DEPTH && c >= 0)
		return damo_syntax(l, c, "nesting too deep");
	switch (c) {
	case '[':
	case '{':
		l->p++;
		v->type = c == '[' ? DT_ARRAY : DT_OBJECT;
		return 0;
	case '"':
		l->p++;
		return damo_string(l, v, false);
	case '-':
	case '0' ... '9':
		return damo_number(l, depth, v);
	case 't':
	case 'T':
		v->type = DT_BOOL;
		return damo_literal(l, "true", "boolean expected");
	case 'f':
	case 'F':
		v->type = DT_BOOL;
		return damo_literal(l, "false", "boolean expected");
	case 'n':
	case 'N':
		v->type = DT_NULL;
		return damo_literal(l, "null", "null expected");
	}
	return damo_syntax(l, c, "unexpected character");
}

/*
 * The next element of an array or member of an object (@close, ']' or
 * '}') whose opening (@first) or previous one was just read: 1 when one
 * follows (its ',' consumed), 0 at the @close (consumed), -1.
 */
static int damo_next(struct damo_loader *l, bool first, int close,
		     const char *want_sep)
{
	int c = damo_ws(l);

	if (c == close) {
		l->p++;
		return 0;
	}
	if (first)
		return c < 0 ? damo_syntax(l, c, "") : 1;
	if (c != ',')
		return damo_syntax(l, c, want_sep);
	l->p++;
	c = damo_ws(l);
	if (c == close)	/* json-c's word for a trailing comma */
		return damo_syntax(l, c, "unexpected character");
	return 1;
}

static int damo_array_next(struct damo_loader *l, bool first)
{
	return damo_next(l, first, ']', "array value separator ',' expected");
}

/* The same for an object: 1 with the member's key in @key and its ':'
 * consumed. */
static int damo_object_next(struct damo_loader *l, bool first,
			    struct damo_scalar *key)
{
	int c, more;

	more = damo_next(l, first, '}', "object value separator ',' expected");
	if (more <= 0)
		return more;
	c = damo_ws(l);
	if (c != '"')
		return damo_syntax(l, c, "quoted object property name expected");
	l->p++;
	if (damo_string(l, key, true))
		return -1;
	c = damo_ws(l);
	if (c != ':')
		return damo_syntax(l, c, "object property name separator ':' expected");
	l->p++;
	return 1;
}

static int damo_skip_rest(struct damo_loader *l, int depth, enum damo_type t);

/* A whole value at @depth, checked and passed over. */
static int damo_skip(struct damo_loader *l, int depth)
{
	struct damo_scalar v;

	if (damo_value(l, depth, &v))
		return -1;
	return damo_skip_rest(l, depth, v.type);
}

/* The rest of a value whose start damo_value() read. */
static int damo_skip_rest(struct damo_loader *l, int depth, enum damo_type t)
{
	struct damo_scalar key;
	bool first = true;
	int more;

	if (t != DT_ARRAY && t != DT_OBJECT)
		return 0;
	for (;;) {
		more = t == DT_ARRAY ? damo_array_next(l, first) :
				       damo_object_next(l, first, &key);
		if (more <= 0)
			return more;
		first = false;
		if (damo_skip(l, depth + 1))
			return -1;
	}
}

/* A number field's value, for checking once its object is read. */
static int damo_num_value(struct damo_loader *l, int depth, struct damo_num *n)
{
	struct damo_scalar v;

	if (damo_value(l, depth, &v))
		return -1;
	switch (v.type) {
	case DT_NULL:
		n->st = DN_NULL;
		break;
	case DT_INT:
		/* json-c: a negative integer is no u64; what does not fit
		 * saturates at UINT64_MAX, which is refused as well */
		n->st = (v.neg && v.u) || v.u == UINT64_MAX ? DN_RANGE : DN_OK;
		n->v = v.neg ? 0 : v.u;
		break;
	case DT_STRING:
		n->st = !v.snum ? DN_OK : v.snum == -ERANGE ? DN_RANGE : DN_NAN;
		n->v = v.u;
		break;
	default:
		n->st = DN_NAN;
		break;
	}
	return damo_skip_rest(l, depth, v.type);
}

/*
 * A number field of an object: @key's value, or the value of @sub in the
 * object at @key (damo's "nr_accesses": {"samples": 3}) when @sub is set.
 */
struct damo_field {
	const char *key;
	const char *sub;
	struct damo_num *n;
};

static int damo_sub_value(struct damo_loader *l, int depth, const char *sub,
			  struct damo_num *n);

/* The object's (at @depth, '{' read) fields @f into their damo_nums. */
static int damo_fields(struct damo_loader *l, int depth,
		       const struct damo_field *f, size_t nr)
{
	struct damo_scalar key;
	bool first = true;
	int more, err;
	size_t i;

	for (i = 0; i < nr; i++)
		f[i].n->st = DN_ABSENT;
	while ((more = damo_object_next(l, first, &key)) > 0) {
		first = false;
		for (i = 0; i < nr && (key.s[0] != f[i].key[0] ||
				       strcmp(key.s, f[i].key)); i++)
			;
		if (i == nr)
			err = damo_skip(l, depth + 1);
		else if (f[i].sub)
			err = damo_sub_value(l, depth + 1, f[i].sub, f[i].n);
		else
			err = damo_num_value(l, depth + 1, f[i].n);
		if (err)
			return -1;
	}
	return more;
}

/* The value of @sub in an object at @depth, not read yet. */
static int damo_sub_value(struct damo_loader *l, int depth, const char *sub,
			  struct damo_num *n)
{
	const struct damo_field f = { sub, NULL, n };
	struct damo_scalar v;

	if (damo_value(l, depth, &v))
		return -1;
	if (v.type != DT_OBJECT) {
		n->st = DN_NOTOBJ;
		return damo_skip_rest(l, depth, v.type);
	}
	return damo_fields(l, depth, &f, 1);
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
 * The field @key (and then @sub) read as @n, at most @max, into *v; into
 * @e why not.  @null_ok leaves *v alone for a missing key or null.
 */
static int damo_check(struct damo_err *e, const struct damo_at *at,
		      const char *key, const char *sub, const struct damo_num *n,
		      uint64_t max, bool null_ok, uint64_t *v)
{
	char where[64];
	const char *why;

	if (null_ok && (n->st == DN_ABSENT || n->st == DN_NULL))
		return 0;
	switch (n->st) {
	case DN_OK:
		if (n->v <= max) {
			*v = n->v;
			return 0;
		}
		why = "is out of range";
		break;
	case DN_ABSENT:
		why = "is missing";
		break;
	case DN_RANGE:
		why = "is out of range";
		break;
	case DN_NOTOBJ:
		damo_err_set(e, -EINVAL, "damo record: %s'%s' is not an object",
			     damo_where(at, where, sizeof(where)), key);
		return -1;
	default:
		why = "is not a number";
		break;
	}
	damo_err_set(e, -EINVAL, "damo record: %s'%s%s%s' %s",
		     damo_where(at, where, sizeof(where)), key, sub ? "." : "",
		     sub ? sub : "", why);
	return -1;
}

/* Room for element @n of @size at *@arr, within the limit. */
static int damo_grow(struct damo_loader *l, void **arr, size_t *cap, size_t n,
		     size_t size)
{
	size_t c = *cap ? *cap : 64;
	uint64_t all;
	void *a;

	if (n < *cap)
		return 0;
	while (c <= n)
		c *= 2;
	all = (uint64_t)l->store_cap * sizeof(*l->store) +
	      (uint64_t)l->snaps_cap * sizeof(*l->snaps) +
	      (uint64_t)(c - *cap) * size;
	if (all > damo_max_cost) {
		bool mib = damo_max_cost >= (1 << 20);

		return damo_fail(l, -EFBIG,
				 "damo record: too large to load (over %" PRIu64
				 " %s in memory)",
				 damo_max_cost >> (mib ? 20 : 10), mib ? "MiB" : "KiB");
	}
	a = realloc(*arr, c * size);
	if (!a)
		return damo_fail(l, -ENOMEM, "out of memory");
	*arr = a;
	*cap = c;
	return 0;
}

/*
 * A snapshot's regions list, its '[' read: each one stored (to the
 * limit), the first fault of one in @e; *@nr counts them all.
 */
static int damo_regions(struct damo_loader *l, int depth, size_t snap,
			struct damo_err *e, size_t *nr)
{
	struct damo_at at = { .snap = snap };
	struct damo_num start, end, acc, age;
	const struct damo_field fields[] = {
		{ "start", NULL, &start }, { "end", NULL, &end },
		{ "nr_accesses", "samples", &acc },
		{ "age", "aggr_intervals", &age },
	};
	struct damo_scalar v;
	uint64_t prev_end = 0;
	struct region r;
	char where[64];
	bool first = true;
	int more;

	*nr = 0;
	while ((more = damo_array_next(l, first)) > 0) {
		first = false;
		at.region = ++*nr;
		if (damo_value(l, depth + 1, &v))
			return -1;
		if (v.type != DT_OBJECT) {
			damo_err_set(e, -EINVAL, "damo record: %snot an object",
				     damo_where(&at, where, sizeof(where)));
			if (damo_skip_rest(l, depth + 1, v.type))
				return -1;
			continue;
		}
		if (damo_fields(l, depth + 1, fields, ARRAY_SIZE(fields)))
			return -1;
		if (e->code || *nr > RECORD_MAX_REGIONS)
			continue;	/* refused anyway: nothing more to keep */
		if (damo_check(e, &at, "start", NULL, &start, UINT64_MAX,
			       false, &r.start) ||
		    damo_check(e, &at, "end", NULL, &end, UINT64_MAX, false,
			       &r.end) ||
		    damo_check(e, &at, "nr_accesses", "samples", &acc,
			       UINT32_MAX, false, &acc.v) ||
		    damo_check(e, &at, "age", "aggr_intervals", &age,
			       UINT32_MAX, false, &age.v))
			continue;
		if (r.end <= r.start) {
			damo_err_set(e, -EINVAL, "damo record: %sempty region",
				     damo_where(&at, where, sizeof(where)));
			continue;
		}
		if (*nr > 1 && r.start < prev_end) {
			damo_err_set(e, -EINVAL,
				     "damo record: %sregions unsorted or overlapping",
				     damo_where(&at, where, sizeof(where)));
			continue;
		}
		r.nr_accesses = acc.v;
		r.age = age.v;
		if (damo_grow(l, (void **)&l->store, &l->store_cap, l->nr_store,
			      sizeof(*l->store)))
			return -1;
		l->store[l->nr_store++] = r;
		prev_end = r.end;
	}
	return more;
}

/* Snapshot @idx (0-based) of the record being read, its '{' read. */
static int damo_snapshot(struct damo_loader *l, int depth, size_t idx)
{
	struct damo_rec *rec = &l->cur;
	struct damo_at at = { .snap = idx + 1 };
	struct damo_num start = { 0 }, end = { 0 }, us = { 0 };
	enum damo_st regions_st = DN_ABSENT;
	struct damo_err rerr = { 0 };
	size_t base = l->nr_store, nr = 0;
	struct damo_scalar key, v;
	struct snapshot *s;
	uint64_t t0 = 0, t1 = 0, sample_us = 0;
	char where[64];
	bool first = true;
	int more, err;

	while ((more = damo_object_next(l, first, &key)) > 0) {
		first = false;
		if (!strcmp(key.s, "start_time")) {
			err = damo_num_value(l, depth + 1, &start);
		} else if (!strcmp(key.s, "end_time")) {
			err = damo_num_value(l, depth + 1, &end);
		} else if (!strcmp(key.s, "sample_interval_us")) {
			err = damo_num_value(l, depth + 1, &us);
		} else if (!strcmp(key.s, "regions")) {
			/* a second one replaces the first, as in json-c */
			l->nr_store = base;
			rerr.code = 0;
			err = damo_value(l, depth + 1, &v);
			if (err)
				break;
			if (v.type == DT_ARRAY) {
				regions_st = DN_LIST;
				err = damo_regions(l, depth + 1, idx + 1, &rerr, &nr);
			} else {
				regions_st = v.type == DT_NULL ? DN_ABSENT : DN_NOTLIST;
				nr = 0;
				err = damo_skip_rest(l, depth + 1, v.type);
			}
		} else {
			err = damo_skip(l, depth + 1);
		}
		if (err)
			return -1;
	}
	if (more < 0)
		return -1;

	damo_where(&at, where, sizeof(where));
	if (regions_st != DN_LIST)
		damo_err_set(&rec->err[DC_SHAPE], -EINVAL,
			     "damo record: %s'regions' is %s", where,
			     regions_st == DN_ABSENT ? "missing" : "not a list");
	else if (nr > RECORD_MAX_REGIONS)
		damo_err_set(&rec->err[DC_SHAPE], -EFBIG,
			     "damo record: %stoo many regions (%zu)", where, nr);
	if (damo_check(&rec->err[DC_FIELDS], &at, "start_time", NULL, &start,
		       DAMO_MAX_TIME, false, &t0) ||
	    damo_check(&rec->err[DC_FIELDS], &at, "end_time", NULL, &end,
		       DAMO_MAX_TIME, false, &t1) ||
	    damo_check(&rec->err[DC_FIELDS], &at, "sample_interval_us", NULL,
		       &us, UINT64_MAX / 1000, true, &sample_us))
		return 0;
	if (us.st == DN_OK && !sample_us)
		damo_err_set(&rec->err[DC_FIELDS], -EINVAL,
			     "damo record: %s'sample_interval_us' is zero", where);
	else if (t1 < t0)
		damo_err_set(&rec->err[DC_FIELDS], -EINVAL,
			     "damo record: %sends before it starts", where);
	else if (idx && t0 < l->prev_end)
		damo_err_set(&rec->err[DC_FIELDS], -EINVAL,
			     "damo record: %sstarts before the previous one ends",
			     where);
	else if (rerr.code)
		damo_err_set(&rec->err[DC_FIELDS], rerr.code, "%s", rerr.msg);
	if (rec->err[DC_FIELDS].code || rec->err[DC_SHAPE].code)
		return 0;
	l->prev_end = t1;
	if (!idx)
		l->start0 = t0;
	s = &l->snaps[idx];
	s->time_ns = t1;
	s->nr_regions = nr;
	s->sample_ns = sample_us;	/* in us until the record's are known */
	return 0;
}

/* A record's snapshots list, its '[' read: stored while none is picked. */
static int damo_snapshots(struct damo_loader *l, int depth)
{
	struct damo_rec *rec = &l->cur;
	struct damo_scalar v;
	bool first = true;
	int more;

	/* a second list replaces the first, as in json-c */
	rec->nr_snaps = 0;
	rec->err[DC_SHAPE].code = 0;
	rec->err[DC_FIELDS].code = 0;
	if (l->storing) {
		l->nr_snaps = 0;
		l->nr_store = 0;
		l->prev_end = 0;
		l->start0 = 0;
	}
	while ((more = damo_array_next(l, first)) > 0) {
		size_t idx = rec->nr_snaps++;

		first = false;
		/* past the limit the record is refused: nothing to keep */
		if (!l->storing || idx >= RECORD_MAX_SNAPSHOTS) {
			if (damo_skip(l, depth + 1))
				return -1;
			continue;
		}
		if (damo_value(l, depth + 1, &v))
			return -1;
		if (v.type != DT_OBJECT) {
			damo_err_set(&rec->err[DC_SHAPE], -EINVAL,
				     "damo record: snapshot %zu is not an object",
				     idx + 1);
			if (damo_skip_rest(l, depth + 1, v.type))
				return -1;
			continue;
		}
		if (damo_grow(l, (void **)&l->snaps, &l->snaps_cap, idx,
			      sizeof(*l->snaps)))
			return -1;
		/* and those that were no objects, left empty */
		memset(l->snaps + l->nr_snaps, 0,
		       (idx + 1 - l->nr_snaps) * sizeof(*l->snaps));
		l->nr_snaps = idx + 1;
		if (damo_snapshot(l, depth + 1, idx))
			return -1;
	}
	return more;
}

/* What the chosen record's intervals are, or why they are none. */
static void damo_check_intervals(struct damo_rec *rec, uint64_t *sample_us,
				 uint64_t *aggr_us, uint64_t *update_us)
{
	struct damo_err *e = &rec->err[DC_INTERVALS];
	struct damo_at at = { 0 };

	*sample_us = *aggr_us = *update_us = 0;
	if (rec->intervals_st != DN_OK) {
		damo_err_set(e, -EINVAL, "damo record: no 'intervals' object");
		return;
	}
	if (damo_check(e, &at, "sample_us", NULL, &rec->sample_us,
		       UINT64_MAX / 1000, false, sample_us) ||
	    damo_check(e, &at, "aggr_us", NULL, &rec->aggr_us,
		       UINT64_MAX / 1000, false, aggr_us) ||
	    damo_check(e, &at, "ops_update_us", NULL, &rec->update_us,
		       UINT64_MAX / 1000, true, update_us))
		return;
	if (!*sample_us || !*aggr_us)
		damo_err_set(e, -EINVAL, "damo record: 'intervals' has a zero %s",
			     *sample_us ? "aggr_us" : "sample_us");
}

/* Target record @idx, its '{' read. */
static int damo_record(struct damo_loader *l, int depth, size_t idx)
{
	static const char *const ids[] = { "kdamond_idx", "context_idx",
					   "target_id" };
	struct damo_rec *rec = &l->cur;
	struct damo_scalar key, v;
	bool first = true;
	int more, err, i;

	memset(rec, 0, sizeof(*rec));
	while ((more = damo_object_next(l, first, &key)) > 0) {
		first = false;
		for (i = 0; i < 3 && strcmp(key.s, ids[i]); i++)
			;
		if (i < 3 || !strcmp(key.s, "snapshots") ||
		    !strcmp(key.s, "intervals")) {
			if (damo_value(l, depth + 1, &v))
				return -1;
		} else {
			if (damo_skip(l, depth + 1))
				return -1;
			continue;
		}
		if (i < 3) {
			/* json-c's int64 of an integer, saturated */
			rec->has_id[i] = v.type == DT_INT;
			if (v.type == DT_INT)
				rec->id[i] = !v.neg ? (v.u > INT64_MAX ? INT64_MAX : (int64_t)v.u) :
					v.u > INT64_MAX ? INT64_MIN : -(int64_t)v.u;
			err = damo_skip_rest(l, depth + 1, v.type);
		} else if (!strcmp(key.s, "snapshots")) {
			rec->snaps_st = v.type == DT_ARRAY ? DN_LIST : DN_NOTLIST;
			rec->nr_snaps = 0;
			err = v.type == DT_ARRAY ? damo_snapshots(l, depth + 1) :
				damo_skip_rest(l, depth + 1, v.type);
		} else {
			const struct damo_field f[] = {
				{ "sample_us", NULL, &rec->sample_us },
				{ "aggr_us", NULL, &rec->aggr_us },
				{ "ops_update_us", NULL, &rec->update_us },
			};

			rec->intervals_st = v.type == DT_OBJECT ? DN_OK : DN_NOTOBJ;
			err = v.type == DT_OBJECT ?
				damo_fields(l, depth + 1, f, ARRAY_SIZE(f)) :
				damo_skip_rest(l, depth + 1, v.type);
		}
		if (err)
			return -1;
	}
	if (more < 0)
		return -1;
	if (rec->snaps_st != DN_LIST) {
		damo_err_set(&l->top[DC_TOP], -EINVAL,
			     "not a damo record: record %zu has no 'snapshots' list",
			     idx + 1);
		rec->nr_snaps = 0;
	}
	/* the first record with snapshots, else the first one */
	if (l->picked || (idx && !rec->nr_snaps))
		return 0;
	if (rec->nr_snaps > RECORD_MAX_SNAPSHOTS) {
		rec->err[DC_SHAPE].code = 0;
		damo_err_set(&rec->err[DC_SHAPE], -EFBIG,
			     "damo record: too many snapshots (%zu)", rec->nr_snaps);
	}
	l->chosen = *rec;
	l->chosen_idx = idx;
	if (rec->nr_snaps) {
		l->picked = true;
		l->storing = false;
	}
	return 0;
}

/* The whole text: one list of target records, then white space only. */
static void damo_document(struct damo_loader *l)
{
	struct damo_scalar v;
	bool first = true;
	int more, c;

	if (damo_ws(l) < 0) {
		if (!l->ret)
			damo_err_set(&l->top[DC_SYNTAX], -EINVAL,
				     "not a damo record: no JSON value");
		return;
	}
	if (damo_value(l, 0, &v))
		return;
	if (v.type != DT_ARRAY) {
		damo_err_set(&l->top[DC_TOP], -EINVAL,
			     "not a damo record: not a list of target records");
		if (damo_skip_rest(l, 0, v.type))
			return;
	} else {
		while ((more = damo_array_next(l, first)) > 0) {
			size_t idx = l->nr_records++;

			first = false;
			if (damo_value(l, 1, &v))
				return;
			if (v.type == DT_OBJECT) {
				if (damo_record(l, 1, idx))
					return;
				continue;
			}
			damo_err_set(&l->top[DC_TOP], -EINVAL,
				     "not a damo record: record %zu is not an object",
				     idx + 1);
			if (damo_skip_rest(l, 1, v.type))
				return;
		}
		if (more < 0)
			return;
		if (!l->nr_records)
			damo_err_set(&l->top[DC_TOP], -EINVAL,
				     "not a damo record: no target records");
	}
	c = damo_ws(l);
	if (c >= 0)
		damo_err_set(&l->top[DC_SYNTAX], -EINVAL,
			     "damo record: data after the JSON value at byte %zu",
			     damo_pos(l));
}

/* What damo calls the target, from whichever indices are integers. */
static void damo_describe(const struct damo_rec *rec, size_t idx, size_t nr,
			  struct record_header *h)
{
	static const char *const names[] = { "kdamond", "context", "target" };
	size_t used, i;

	used = snprintf(h->target, sizeof(h->target), "damo record");
	for (i = 0; i < 3; i++)
		/* three short numbers always fit */
		if (rec->has_id[i])
			used += snprintf(h->target + used,
					 sizeof(h->target) - used,
					 ", %s %" PRId64, names[i], rec->id[i]);
	if (nr > 1)
		snprintf(h->target + used, sizeof(h->target) - used,
			 " (record %zu of %zu)", idx + 1, nr);
}

/* The loaded record into @rec, or the error that refuses it. */
static int damo_finish(struct damo_loader *l, struct recording *rec)
{
	struct damo_rec *ch = &l->chosen;
	const struct damo_err *e = NULL;
	uint64_t sample_us, aggr_us, update_us, total = 0;
	size_t i;
	int c;

	if (l->ret)
		return l->ret;
	for (c = DC_SYNTAX; c <= DC_TOP && !e; c++)
		if (l->top[c].code)
			e = &l->top[c];
	if (!e) {
		damo_check_intervals(ch, &sample_us, &aggr_us, &update_us);
		for (i = 0; i < l->nr_snaps; i++)
			total += l->snaps[i].nr_regions;
		if (total > RECORD_MAX_TOTAL_REGIONS)
			damo_err_set(&ch->err[DC_SHAPE], -EFBIG,
				     "damo record: too many regions in all");
		for (c = DC_INTERVALS; c < DC_NR && !e; c++)
			if (ch->err[c].code)
				e = &ch->err[c];
	}
	if (e) {
		if (l->err && l->errlen)
			snprintf(l->err, l->errlen, "%s", e->msg);
		return e->code;
	}

	rec->snaps = l->snaps;
	rec->nr_snaps = l->nr_snaps;
	rec->region_store = l->store;
	l->snaps = NULL;
	l->store = NULL;
	for (i = 0, total = 0; i < rec->nr_snaps; i++) {
		struct snapshot *s = &rec->snaps[i];

		s->regions = s->nr_regions ? rec->region_store + total : NULL;
		total += s->nr_regions;
		s->sample_ns = (s->sample_ns ?: sample_us) * 1000;
		s->aggr_ns = aggr_us * 1000;
	}
	snprintf(rec->hdr.tool, sizeof(rec->hdr.tool), "damo");
	snprintf(rec->hdr.source, sizeof(rec->hdr.source), "damo");
	damo_describe(ch, l->chosen_idx, l->nr_records, &rec->hdr);
	rec->hdr.pid = -1;
	rec->hdr.sample_ns = sample_us * 1000;
	rec->hdr.aggr_ns = aggr_us * 1000;
	rec->hdr.update_ns = update_us * 1000;
	rec->hdr.start_mono_ns = l->start0;
	return 0;
}

static int damo_load(struct damo_loader *l, struct recording *rec)
{
	unsigned char head[2];
	size_t n = 0;
	ssize_t k;

	/* two bytes tell a zlib header; they are the text or the stream */
	while (n < 2) {
		k = damo_read(l, head + n, 2 - n);
		if (k < 0)
			return k;
		if (!k)
			break;
		n += k;
	}
	if (!n)
		return damo_fail(l, -EINVAL, "not a damo record: empty file");
	if (!damo_sniff(head, n))
		return damo_fail(l, -EINVAL,
				 "not a damo record: neither JSON nor zlib data");
	if (head[0] == '[' || head[0] == '{' || damo_is_space(head[0])) {
		memcpy(l->buf, head, n);
	} else {
		if (inflateInit(&l->zs) != Z_OK)
			return damo_fail(l, -ENOMEM, "out of memory");
		l->zlib = true;
		memcpy(l->in, head, n);
		l->zs.next_in = l->in;
		l->zs.avail_in = n;
		n = 0;
	}
	l->p = l->buf;
	l->end = l->buf + n;
	l->storing = true;
	damo_document(l);
	/* the rest of the input, for an error of its own (a zlib stream
	 * that is cut or corrupt says more than the JSON in it) */
	while (!l->ret && damo_fill(l))
		;
	return damo_finish(l, rec);
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
	free(l->snaps);
	free(l->store);
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
