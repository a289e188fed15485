// SPDX-License-Identifier: GPL-2.0
/*
 * Softirq runs and time per CPU from /proc/softirqs and /proc/stat (see
 * softirqs.h).
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "softirqs.h"

struct cpu_count {
	bool seen;			/* a figure read: the rest are set */
	uint64_t last;			/* the last figure read */
	uint64_t total;			/* since the start */
};

struct nt_softirqs {
	char proc[64];
	unsigned int ncpu;
	uint64_t ns_per_tick;		/* /proc/stat counts USER_HZ ticks */
	struct cpu_count *runs, *time;	/* [ncpu] each */
	uint64_t *raw;			/* [ncpu]: a file's figures, NT_UNKNOWN unread */
};

/* /proc/softirqs: a header of CPU columns ("CPU0 CPU1 ..."; every possible
 * CPU), then a line a vector; NET_RX's figures by CPU into @raw. */
static void read_softirqs(struct nt_softirqs *s)
{
	unsigned int *col = NULL;
	size_t ncols = 0, cap = 0;
	char path[PATH_MAX], *line = NULL, *p, *end;
	FILE *f;

	snprintf(path, sizeof(path), "%s/softirqs", s->proc);
	f = fopen(path, "re");
	if (!f || getline(&line, &cap, f) < 0)
		goto out;
	/* the header's columns: which CPU each is */
	col = calloc(strlen(line) / 4 + 1, sizeof(*col));
	for (p = line; col && (p = strstr(p, "CPU")); p = end) {
		col[ncols] = strtoul(p + 3, &end, 10);
		if (end == p + 3)
			goto out;
		ncols++;
	}
	while (col && getline(&line, &cap, f) >= 0) {
		p = line + strspn(line, " ");
		if (strncmp(p, "NET_RX:", 7))
			continue;
		p += 7;
		for (size_t i = 0; i < ncols; i++) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			if (col[i] < s->ncpu)
				s->raw[col[i]] = v;
			p = end;
		}
		break;
	}
out:
	if (f)
		fclose(f);
	free(line);
	free(col);
}

/* /proc/stat: "cpuN user nice system idle iowait irq softirq ..." a line
 * an online CPU; the softirq ticks by CPU into @raw. */
static void read_stat(struct nt_softirqs *s)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stat", s->proc);
	f = fopen(path, "re");
	while (f && getline(&line, &cap, f) >= 0) {
		unsigned long long v[7];
		unsigned int cpu;

		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6]) == 8 && cpu < s->ncpu)
			s->raw[cpu] = v[6];
	}
	if (f)
		fclose(f);
	free(line);
}

/* The file's figures into @c, counted from the first one seen; @wrap: a
 * counter the kernel keeps in 32 bits (a NET_RX run count wraps in an hour
 * at a million a second). */
static void count(struct nt_softirqs *s, struct cpu_count *c, bool wrap)
{
	for (unsigned int i = 0; i < s->ncpu; i++) {
		uint64_t v = s->raw[i];

		if (v == NT_UNKNOWN)
			continue;
		if (c[i].seen)
			c[i].total += wrap ? (uint32_t)(v - c[i].last) : v - c[i].last;
		c[i].seen = true;
		c[i].last = v;
	}
}

static void read_all(struct nt_softirqs *s)
{
	memset(s->raw, 0xff, s->ncpu * sizeof(*s->raw));
	read_softirqs(s);
	count(s, s->runs, true);
	memset(s->raw, 0xff, s->ncpu * sizeof(*s->raw));
	read_stat(s);
	count(s, s->time, false);
}

struct nt_softirqs *nt_softirqs_new(const char *proc, unsigned int ncpu)
{
	struct nt_softirqs *s = calloc(1, sizeof(*s));
	long hz = sysconf(_SC_CLK_TCK);

	if (!s)
		return NULL;
	snprintf(s->proc, sizeof(s->proc), "%s", proc);
	s->ncpu = ncpu;
	s->ns_per_tick = 1000000000ULL / (hz > 0 ? hz : 100);
	s->runs = calloc(ncpu, sizeof(*s->runs));
	s->time = calloc(ncpu, sizeof(*s->time));
	s->raw = calloc(ncpu, sizeof(*s->raw));
	if (!s->runs || !s->time || !s->raw) {
		nt_softirqs_free(s);
		return NULL;
	}
	read_all(s);
	return s;
}

void nt_softirqs_read(struct nt_softirqs *s, struct nt_softirqs_cpu *out)
{
	read_all(s);
	for (unsigned int i = 0; i < s->ncpu; i++) {
		out[i].netrx_count = s->runs[i].seen ? s->runs[i].total : NT_UNKNOWN;
		out[i].softirq_ns = s->time[i].seen ? s->time[i].total * s->ns_per_tick
						   : NT_UNKNOWN;
	}
}

void nt_softirqs_free(struct nt_softirqs *s)
{
	if (!s)
		return;
	free(s->runs);
	free(s->time);
	free(s->raw);
	free(s);
}
