// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/softnet_stat in any of the kernels' layouts (see softnet.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "softnet.h"

/* errmsg, then the error code: "return fail(...)" */
#define fail(err, errlen, code, ...) (errmsg(err, errlen, __VA_ARGS__), (code))

enum {
	COL_PROCESSED,
	COL_DROPPED,
	COL_TIME_SQUEEZE,
	COL_RECEIVED_RPS = 9,
	COL_FLOW_LIMIT,
	COL_BACKLOG,
	COL_CPU,
	MIN_COLS = COL_RECEIVED_RPS + 1,
	MAX_COLS = 64,		/* room for kernels to come */
};

/* A line's hex columns into @col: how many, or -EINVAL with the bad word
 * in @bad. */
static int split_hex(const char *line, uint64_t *col, const char **bad)
{
	const char *p = line;
	int n = 0;

	for (;;) {
		uint64_t v = 0;
		int digits = 0;

		p += strspn(p, " \t");
		if (!*p || *p == '\n')
			return n;
		*bad = p;
		for (; *p && !strchr(" \t\n", *p); p++, digits++) {
			int d;

			if (*p >= '0' && *p <= '9')
				d = *p - '0';
			else if (*p >= 'a' && *p <= 'f')
				d = *p - 'a' + 10;
			else if (*p >= 'A' && *p <= 'F')
				d = *p - 'A' + 10;
			else
				return -EINVAL;
			if (digits == 16)
				return -EINVAL;
			v = v << 4 | d;
		}
		if (n == MAX_COLS)
			return -E2BIG;
		col[n++] = v;
	}
}

static int parse(FILE *f, const char *path, struct softnet_cpu **out, size_t *nr,
		 char *err, size_t errlen)
{
	struct softnet_cpu *cpus = NULL;
	size_t cap = 0, n = 0, linecap = 0;
	int ncols = -1, ret = 0;
	char *line = NULL;
	ssize_t len;

	errno = 0;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		uint64_t col[MAX_COLS];
		const char *bad = line;
		struct softnet_cpu *c;
		int k;

		if ((size_t)len != strlen(line)) {
			ret = fail(err, errlen, -EINVAL, "%s:%zu: a NUL byte in the line",
				   path, n + 1);
			goto out;
		}
		k = split_hex(line, col, &bad);
		if (k == -EINVAL) {
			int w = strcspn(bad, " \t\n");

			ret = fail(err, errlen, -EINVAL, "%s:%zu: '%.*s' is not a hex count",
				   path, n + 1, w > 20 ? 20 : w, bad);
			goto out;
		}
		if (k == -E2BIG) {
			ret = fail(err, errlen, -EINVAL, "%s:%zu: more than %d columns",
				   path, n + 1, MAX_COLS);
			goto out;
		}
		/* 12 columns would be a backlog length without the CPU number:
		 * no kernel printed that */
		if (k < MIN_COLS || k == COL_CPU) {
			ret = fail(err, errlen, -EINVAL,
				   "%s:%zu: %d columns, not a softnet_stat layout (10, 11, 13 or more)",
				   path, n + 1, k);
			goto out;
		}
		if (ncols >= 0 && k != ncols) {
			ret = fail(err, errlen, -EINVAL, "%s:%zu: %d columns, line 1 has %d",
				   path, n + 1, k, ncols);
			goto out;
		}
		ncols = k;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			struct softnet_cpu *grown = realloc(cpus, ncap * sizeof(*grown));

			if (!grown) {
				ret = fail(err, errlen, -ENOMEM, "out of memory");
				goto out;
			}
			cpus = grown;
			cap = ncap;
		}
		c = &cpus[n];
		c->cpu = n;
		if (k > COL_CPU) {
			if (col[COL_CPU] > 0xffffffu ||
			    (n && col[COL_CPU] <= cpus[n - 1].cpu)) {
				ret = fail(err, errlen, -EINVAL,
					   "%s:%zu: CPU %#llx out of order or out of range",
					   path, n + 1, (unsigned long long)col[COL_CPU]);
				goto out;
			}
			c->cpu = col[COL_CPU];
		}
		c->processed = col[COL_PROCESSED];
		c->dropped = col[COL_DROPPED];
		c->time_squeeze = col[COL_TIME_SQUEEZE];
		c->received_rps = col[COL_RECEIVED_RPS];
		c->flow_limit = k > COL_FLOW_LIMIT ? col[COL_FLOW_LIMIT] : 0;
		n++;
		errno = 0;
	}
	if (errno) {
		int e = errno;

		ret = fail(err, errlen, -e, "cannot read %s: %s", path, strerror(e));
		goto out;
	}
	if (!n)
		ret = fail(err, errlen, -EINVAL, "%s: no CPU lines", path);
out:
	free(line);
	if (ret) {
		free(cpus);
		cpus = NULL;
		n = 0;
	}
	*out = cpus;
	*nr = n;
	return ret;
}

int softnet_read(const char *path, struct softnet_cpu **out, size_t *nr, char *err,
		 size_t errlen)
{
	FILE *f;
	int ret;

	*out = NULL;
	*nr = 0;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		return fail(err, errlen, ret, "cannot open %s: %s", path, strerror(-ret));
	}
	ret = parse(f, path, out, nr, err, errlen);
	fclose(f);
	return ret;
}
