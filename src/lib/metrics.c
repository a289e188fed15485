// SPDX-License-Identifier: GPL-2.0
/*
 * The exposition formats, and the refresh kept as families and samples:
 * a sample's labels are stored rendered and escaped (a="b",c="d"), its
 * series key is "family{labels}", by which the counters of the refresh
 * before are found (sorted, bsearch).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "outfile.h"
#include "units.h"

struct family {
	char *name, *help;
	enum metric_type type;
};

struct sample {
	size_t family;
	char *labels;			/* rendered, escaped; "" for none */
	double value;
};

struct refresh {
	struct family *fam;
	size_t nr_fam, cap_fam;
	struct sample *smp;
	size_t nr_smp, cap_smp;
};

struct counter {
	char *key;			/* family{labels} */
	double value;
};

struct metrics {
	struct refresh cur, next;
	size_t next_family;		/* of the samples coming, SIZE_MAX: none */
	bool failed;			/* out of memory in this refresh */
	struct counter *counters;	/* the last refresh's, sorted by key */
	size_t nr_counters;
};

/* A growing string; on failure it stays NULL-free but marks itself. */
struct buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* @s with \, newline and (when @quote) " escaped, as both formats want in
 * label values; HELP escapes " only in OpenMetrics. */
static void buf_escaped(struct buf *b, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_str(b, "\\\\");
		else if (*s == '\n')
			buf_str(b, "\\n");
		else if (*s == '"' && quote)
			buf_str(b, "\\\"");
		else
			buf_add(b, s, 1);
	}
}

/*
 * Integers exactly, others in the fewest digits that read back the same,
 * placed as %g places that many ("0.1", "1e-09"): 1/3 is
 * "0.3333333333333333", not %.17g's "0.33333333333333331".
 */
static void buf_value(struct buf *b, double v)
{
	char s[40], d[UNITS_DIGITS_LEN];
	int nd, x;

	if (isnan(v))
		snprintf(s, sizeof(s), "NaN");
	else if (isinf(v))
		snprintf(s, sizeof(s), v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(s, sizeof(s), "%.0f", v);
	else {
		nd = units_shortest(fabs(v), d, &x);
		x--;	/* the exponent of d[0] */
		if (x < -4 || x >= nd)
			snprintf(s, sizeof(s), "%s%c%s%se%c%02d", v < 0 ? "-" : "", d[0],
				 nd > 1 ? "." : "", d + 1, x < 0 ? '-' : '+', abs(x));
		else if (x < 0)
			snprintf(s, sizeof(s), "%s0.%.*s%s", v < 0 ? "-" : "", -x - 1,
				 "000", d);
		else
			snprintf(s, sizeof(s), "%s%.*s%s%s", v < 0 ? "-" : "", x + 1, d,
				 x + 1 < nd ? "." : "", d + x + 1);
	}
	buf_str(b, s);
}

static void refresh_free(struct refresh *r)
{
	for (size_t i = 0; i < r->nr_fam; i++) {
		free(r->fam[i].name);
		free(r->fam[i].help);
	}
	for (size_t i = 0; i < r->nr_smp; i++)
		free(r->smp[i].labels);
	free(r->fam);
	free(r->smp);
	memset(r, 0, sizeof(*r));
}

static void counters_free(struct counter *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].key);
	free(c);
}

struct metrics *metrics_new(void)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (m)
		m->next_family = SIZE_MAX;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	refresh_free(&m->cur);
	refresh_free(&m->next);
	counters_free(m->counters, m->nr_counters);
	free(m);
}

void metrics_begin(struct metrics *m)
{
	refresh_free(&m->next);
	m->next_family = SIZE_MAX;
	m->failed = false;
}

static bool grow(void **p, size_t *cap, size_t nr, size_t size)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *q;

	if (nr < *cap)
		return true;
	q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

void metrics_family(struct metrics *m, const char *name, enum metric_type type,
		    const char *help)
{
	struct refresh *r = &m->next;
	struct family *f;

	for (size_t i = 0; i < r->nr_fam; i++) {
		if (!strcmp(r->fam[i].name, name)) {
			m->next_family = i;
			return;
		}
	}
	m->next_family = SIZE_MAX;
	if (!grow((void **)&r->fam, &r->cap_fam, r->nr_fam, sizeof(*r->fam))) {
		m->failed = true;
		return;
	}
	f = &r->fam[r->nr_fam];
	f->name = strdup(name);
	f->help = strdup(help);
	f->type = type;
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		m->failed = true;
		return;
	}
	m->next_family = r->nr_fam++;
}

void metrics_sample(struct metrics *m, double value, ...)
{
	struct refresh *r = &m->next;
	struct buf labels = {};
	const char *name;
	va_list ap;

	if (m->next_family == SIZE_MAX)
		return;
	buf_str(&labels, "");
	va_start(ap, value);
	while ((name = va_arg(ap, const char *))) {
		const char *val = va_arg(ap, const char *);

		if (labels.len)
			buf_str(&labels, ",");
		buf_str(&labels, name);
		buf_str(&labels, "=\"");
		buf_escaped(&labels, val ? val : "", true);
		buf_str(&labels, "\"");
	}
	va_end(ap);
	/* kept for the refresh: not at the buffer's 4 KiB start */
	if (!labels.failed) {
		char *fit = realloc(labels.p, labels.len + 1);

		if (fit)
			labels.p = fit;
	}
	if (labels.failed ||
	    !grow((void **)&r->smp, &r->cap_smp, r->nr_smp, sizeof(*r->smp))) {
		free(labels.p);
		m->failed = true;
		return;
	}
	r->smp[r->nr_smp++] = (struct sample){
		.family = m->next_family, .labels = labels.p, .value = value,
	};
}

static int counter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct counter *)a)->key, ((const struct counter *)b)->key);
}

/* By key, then by sample index (qsort is not stable): the first comes first. */
static int counter_index_cmp(const void *a, const void *b)
{
	const struct counter *x = a, *y = b;
	int d = strcmp(x->key, y->key);

	return d ? d : (x->value > y->value) - (x->value < y->value);
}

static char *series_key(const struct refresh *r, const struct sample *s)
{
	char *key;

	if (asprintf(&key, "%s{%s", r->fam[s->family].name, s->labels) < 0)
		return NULL;
	return key;
}

/*
 * The refresh's counters, sorted, each at least what it was the refresh
 * before; a series given twice keeps its first sample (the later ones are
 * dropped from the refresh).
 */
static int settle_counters(struct metrics *m, struct counter **out, size_t *nr_out)
{
	struct refresh *r = &m->next;
	struct counter *c = calloc(r->nr_smp + 1, sizeof(*c));
	size_t n = 0, kept = 0;

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < r->nr_smp; i++) {
		if (r->fam[r->smp[i].family].type != METRIC_COUNTER)
			continue;
		c[n].key = series_key(r, &r->smp[i]);
		if (!c[n].key) {
			counters_free(c, n);
			return -ENOMEM;
		}
		/* the sample's index until sorted: values written back below */
		c[n++].value = (double)i;
	}
	qsort(c, n, sizeof(*c), counter_index_cmp);
	for (size_t i = 0; i < n; i++) {
		struct sample *s = &r->smp[(size_t)c[i].value];
		struct counter *prev;

		if (kept && !strcmp(c[kept - 1].key, c[i].key)) {
			s->family = SIZE_MAX;	/* a repeat: dropped */
			free(c[i].key);
			continue;
		}
		prev = m->nr_counters ? bsearch(&c[i], m->counters, m->nr_counters,
						sizeof(*c), counter_cmp) : NULL;
		if (prev && !isnan(prev->value) && !(s->value >= prev->value))
			s->value = prev->value;
		c[kept] = (struct counter){ .key = c[i].key, .value = s->value };
		kept++;
	}
	*out = c;
	*nr_out = kept;
	return 0;
}

/* Gauges repeated in a refresh: all but the first dropped too. */
static void drop_repeated_gauges(struct refresh *r)
{
	for (size_t i = 0; i < r->nr_smp; i++) {
		struct sample *s = &r->smp[i];

		if (s->family == SIZE_MAX || r->fam[s->family].type != METRIC_GAUGE)
			continue;
		for (size_t j = 0; j < i; j++)
			if (r->smp[j].family == s->family &&
			    !strcmp(r->smp[j].labels, s->labels)) {
				s->family = SIZE_MAX;
				break;
			}
	}
}

int metrics_end(struct metrics *m)
{
	struct counter *c;
	size_t n;

	if (m->failed || settle_counters(m, &c, &n)) {
		refresh_free(&m->next);
		return -ENOMEM;
	}
	drop_repeated_gauges(&m->next);
	counters_free(m->counters, m->nr_counters);
	m->counters = c;
	m->nr_counters = n;
	refresh_free(&m->cur);
	m->cur = m->next;
	memset(&m->next, 0, sizeof(m->next));
	m->next_family = SIZE_MAX;
	return 0;
}

char *metrics_render(const struct metrics *m, bool openmetrics, size_t *len)
{
	const struct refresh *r = &m->cur;
	struct buf b = {};

	buf_str(&b, "");
	for (size_t f = 0; f < r->nr_fam; f++) {
		const struct family *fam = &r->fam[f];
		bool counter = fam->type == METRIC_COUNTER;
		/* 0.0.4 names the family by its samples' name, OpenMetrics not */
		const char *suffix = counter ? "_total" : "";
		const char *fsuffix = openmetrics ? "" : suffix;

		buf_str(&b, "# HELP ");
		buf_str(&b, fam->name);
		buf_str(&b, fsuffix);
		buf_str(&b, " ");
		buf_escaped(&b, fam->help, openmetrics);
		buf_str(&b, "\n# TYPE ");
		buf_str(&b, fam->name);
		buf_str(&b, fsuffix);
		buf_str(&b, counter ? " counter\n" : " gauge\n");
		for (size_t i = 0; i < r->nr_smp; i++) {
			const struct sample *s = &r->smp[i];

			if (s->family != f)
				continue;
			buf_str(&b, fam->name);
			buf_str(&b, suffix);
			if (*s->labels) {
				buf_str(&b, "{");
				buf_str(&b, s->labels);
				buf_str(&b, "}");
			}
			buf_str(&b, " ");
			buf_value(&b, s->value);
			buf_str(&b, "\n");
		}
	}
	if (openmetrics)
		buf_str(&b, "# EOF\n");
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}

int metrics_write_textfile(const struct metrics *m, const char *path)
{
	char *dir_copy = strdup(path), *tmp = NULL, *text = NULL;
	size_t len;
	int fd = -1, ret;

	if (!dir_copy || asprintf(&tmp, "%s/.%s.XXXXXX", dirname(dir_copy),
				  strrchr(path, '/') ? strrchr(path, '/') + 1 : path) < 0) {
		tmp = NULL;
		ret = -ENOMEM;
		goto out;
	}
	text = metrics_render(m, false, &len);
	if (!text) {
		ret = -ENOMEM;
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = outfile_write_all(fd, text, len);
	if (!ret && fchmod(fd, 0644))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	free(text);
	free(tmp);
	free(dir_copy);
	return ret;
}
