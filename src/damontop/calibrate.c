// SPDX-License-Identifier: GPL-2.0
/*
 * damontop calibrate: how far the heatmap is from the truth on this
 * machine, under the settings given (source, intervals, budget).
 *
 * A child of ours touches memory at known rates, as accessgen's rates
 * pattern does: three 10 MiB regions whose every page is touched 97.3,
 * 48.7 and 1.9 times a second (the tests' rates: not multiples of the 5 ms
 * tick, whose sweeps would keep landing in the same part of it), and the
 * rest of --size resident and never touched.
 * We record it as `damontop record -p` would, then judge the record with
 * the heat grid every report draws from: each rate's heat against the rate
 * the child achieved, hot-cell precision and recall, each aggregation's
 * working set against the regions touched in it, and what it cost us and
 * the child.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "errmsg.h"
#include "heatgrid.h"
#include "record.h"
#include "units.h"

#define NR_RATES	3
static const double rates_hz[NR_RATES] = { 97.3, 48.7, 1.9 };
#define RATE_BYTES	(10ull << 20)
#define GAP_BYTES	(2ull << 20)	/* unmapped, between the regions */
#define CALIB_MIN_SIZE	(NR_RATES * RATE_BYTES)
/* DAMON's regions take a few aggregations to fit the regions: judged
 * from this long after the start, as tests/integ/damontop_rates.t does */
#define SETTLE_NS	2000000000ull
#define BASELINE_NS	1000000000ull	/* the child's touches, unmonitored, */
					/* before and after */
#define READY_NS	30000000000ull	/* faulting in 4 GiB takes seconds */
#define CELLS		32		/* address cells per region */

/* What the child shares with us (one MAP_SHARED page). */
struct workload {
	uint64_t start[NR_RATES + 1];	/* the rate regions, then the cold one */
	uint64_t end[NR_RATES + 1];
	uint64_t sweeps[NR_RATES];	/* whole-region sweeps done */
	uint64_t touch_ns;		/* time spent sweeping */
	uint64_t touches;		/* pages touched */
	int ready;			/* 1, or -errno if it could not start */
};

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void add(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, *p + v, __ATOMIC_RELAXED);	/* one writer */
}

static void *map_at(char *at, uint64_t len)
{
	void *p = mmap(at, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* 4 KiB pages: every page's Accessed bit is its own */
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 1, len);	/* resident from the start */
	return p;
}

/* The child: never returns. */
static void workload_run(struct workload *w, uint64_t cold_bytes)
{
	uint64_t step = RATE_BYTES + GAP_BYTES, next[NR_RATES], now, soonest;
	long page = sysconf(_SC_PAGESIZE);
	char *base, *p;

	base = mmap(NULL, NR_RATES * step + cold_bytes, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		goto fail;
	for (int i = 0; i <= NR_RATES; i++) {
		uint64_t len = i < NR_RATES ? RATE_BYTES : cold_bytes;

		if (!len)
			continue;
		p = map_at(base + i * step, len);
		if (!p)
			goto fail;
		w->start[i] = (uintptr_t)p;
		w->end[i] = (uintptr_t)p + len;
	}
	now = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < NR_RATES; i++)
		next[i] = now;
	__atomic_store_n(&w->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		soonest = UINT64_MAX;
		for (int i = 0; i < NR_RATES; i++) {
			uint64_t period = 1e9 / rates_hz[i], t0 = clock_ns(CLOCK_MONOTONIC);

			if (t0 >= next[i]) {
				volatile char *r = (volatile char *)(uintptr_t)w->start[i];

				for (uint64_t off = 0; off < RATE_BYTES; off += page)
					r[off]++;
				now = clock_ns(CLOCK_MONOTONIC);
				add(&w->touch_ns, now - t0);
				add(&w->touches, RATE_BYTES / page);
				add(&w->sweeps[i], 1);
				/* behind (a slow machine): no burst to catch up */
				next[i] = next[i] + period > now ? next[i] + period : now + period;
			}
			if (next[i] < soonest)
				soonest = next[i];
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
				&(struct timespec){ soonest / 1000000000, soonest % 1000000000 },
				NULL);
	}
fail:
	__atomic_store_n(&w->ready, -errno, __ATOMIC_RELEASE);
	_exit(1);
}

/* Start the child and wait until its memory is in place; its pid, or -1
 * with a message. */
static pid_t workload_start(struct workload *w, uint64_t cold_bytes)
{
	pid_t parent = getpid(), pid = fork();
	int status;

	if (pid < 0) {
		tool_error("cannot start the calibration workload: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		prctl(PR_SET_NAME, "calibrate");	/* the target's name in our lines */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		workload_run(w, cold_bytes);
	}
	for (uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	     !__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE);) {
		if (waitpid(pid, &status, WNOHANG) == pid ||
		    clock_ns(CLOCK_MONOTONIC) - t0 > READY_NS)
			break;
		usleep(10000);
	}
	if (__atomic_load_n(&w->ready, __ATOMIC_ACQUIRE) == 1)
		return pid;
	tool_error("cannot start the calibration workload: %s",
		   w->ready < 0 ? strerror(-w->ready) : "it did not get its memory in time");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

/* What the child did over a window. */
struct workload_counts {
	uint64_t time_ns, sweeps[NR_RATES], touch_ns, touches;
};

static void workload_read(const struct workload *w, struct workload_counts *c)
{
	c->time_ns = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < NR_RATES; i++)
		c->sweeps[i] = load(&w->sweeps[i]);
	c->touch_ns = load(&w->touch_ns);
	c->touches = load(&w->touches);
}

static double ns_per_touch(const struct workload_counts *a, const struct workload_counts *b)
{
	return b->touches > a->touches ?
	       (double)(b->touch_ns - a->touch_ns) / (b->touches - a->touches) : NAN;
}

/* The child's cost per page touch in two windows together. */
static double ns_per_touch2(const struct workload_counts *a0, const struct workload_counts *a1,
			    const struct workload_counts *b0, const struct workload_counts *b1)
{
	uint64_t n = (a1->touches - a0->touches) + (b1->touches - b0->touches);

	return n ? (double)(a1->touch_ns - a0->touch_ns + b1->touch_ns - b0->touch_ns) / n : NAN;
}

struct verdict {
	double achieved_hz[NR_RATES];
	double heat_hz[NR_RATES + 1];		/* and the cold region's */
	double precision, recall;		/* hot cells, by bytes */
	double wss_error;			/* median |measured - truth| / truth */
	uint64_t wss_truth;			/* the rate regions a mean aggregation touches */
	unsigned int nr_aggrs;			/* judged */
	uint64_t sample_ns, aggr_ns;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The bytes of @s's accessed regions inside [lo, hi). */
static uint64_t accessed_in(const struct snapshot *s, uint64_t lo, uint64_t hi)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];
		uint64_t a = r->start > lo ? r->start : lo, b = r->end < hi ? r->end : hi;

		if (r->nr_accesses && b > a)
			sum += b - a;
	}
	return sum;
}

/*
 * The rate under which DAMON's merge rule blends a region with unaccessed
 * neighbours: regions merge when their counts differ by a tenth of the
 * target's busiest region's, and in a process something (its stack) is
 * found accessed at every sample, so that is a tenth of 1 / sampling
 * interval (20 Hz at 5 ms).  Also the hot cells' threshold.
 */
static double blend_floor(const struct verdict *v)
{
	return v->sample_ns ? 1e9 / v->sample_ns / 10 : 0;
}

static int judge(const struct recording *rec, const struct workload *w,
		 struct verdict *v)
{
	uint64_t start = rec->hdr.start_mono_ns, from = start + SETTLE_NS, to;
	double floor, hot_bytes = 0, hot_true = 0, hot_both = 0;
	const struct snapshot *last;
	double *errors;
	unsigned int n = 0;

	if (!rec->nr_snaps)
		return -ENODATA;
	last = &rec->snaps[rec->nr_snaps - 1];
	to = last->time_ns;
	v->sample_ns = last->sample_ns;
	v->aggr_ns = last->aggr_ns;
	errors = calloc(rec->nr_snaps, sizeof(*errors));
	if (!errors)
		return -ENOMEM;
	/* the working set: per aggregation after the settling time, the rate
	 * regions swept at least once in it against what the snapshot found
	 * accessed there */
	for (size_t i = 0; i < rec->nr_snaps; i++) {
		const struct snapshot *s = &rec->snaps[i];
		uint64_t truth = 0, found = 0;

		if (s->time_ns < s->aggr_ns || s->time_ns - s->aggr_ns < from)
			continue;
		for (int r = 0; r < NR_RATES; r++) {
			/* swept in every aggregation: the sweeps are periodic
			 * (the plan's aggregation is whole ticks, a hair
			 * under -a: 2 Hz is in a 500 ms one) */
			if (1e9 / rates_hz[r] <= s->aggr_ns * 1.01)
				truth += w->end[r] - w->start[r];
			found += accessed_in(s, w->start[r], w->end[r]);
		}
		found += accessed_in(s, w->start[NR_RATES], w->end[NR_RATES]);
		if (truth) {
			errors[n++] = fabs((double)found - truth) / truth;
			v->wss_truth = truth;
		}
	}
	v->nr_aggrs = n;
	if (n < 3 || to <= from) {
		free(errors);
		return -ENODATA;
	}
	qsort(errors, n, sizeof(*errors), cmp_double);
	v->wss_error = n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
	free(errors);

	/* heat: each region on a grid of its own, one time cell per
	 * aggregation judged, the cells' mean */
	floor = blend_floor(v);
	for (int r = 0; r <= NR_RATES; r++) {
		struct heat_span span = { w->start[r], w->end[r] };
		bool hot = r < NR_RATES && v->achieved_hz[r] >= floor;
		double sum = 0, cell_bytes;
		unsigned int cells = 0;
		struct heatgrid g;
		int err;

		v->heat_hz[r] = NAN;
		if (span.end <= span.start)
			continue;
		err = heatgrid_init(&g, n, CELLS, from, to, &span, 1);
		if (err)
			return err;
		heatgrid_fill(&g, rec->snaps, rec->nr_snaps, start);
		cell_bytes = g.a_unit;
		for (size_t c = 0; c < (size_t)g.nt * g.na; c++) {
			double h = g.heat[c];

			if (isnan(h))
				continue;
			sum += h;
			cells++;
			if (h >= floor)
				hot_bytes += cell_bytes;
			if (hot)
				hot_true += cell_bytes;
			if (hot && h >= floor)
				hot_both += cell_bytes;
		}
		heatgrid_free(&g);
		if (cells)
			v->heat_hz[r] = sum / cells;
	}
	v->precision = hot_bytes ? hot_both / hot_bytes : NAN;
	v->recall = hot_true ? hot_both / hot_true : NAN;
	return 0;
}

static double pct_error(double got, double want)
{
	return want > 0 ? 100 * (got - want) / want : NAN;
}

static void print_text(const struct recording *rec, const struct verdict *v,
		       uint64_t size, double cpu_pct, double slowdown_pct, double secs)
{
	char sample[16], aggr[16], bytes[16];
	double bound = v->sample_ns ? 1e9 / v->sample_ns : INFINITY, floor = blend_floor(v);

	printf("damontop calibrate: %s source, sample %s x %llu = aggr %s, %.1f s on a %s "
	       "target\n", rec->hdr.source, units_ns(sample, sizeof(sample), v->sample_ns),
	       (unsigned long long)(v->sample_ns ? v->aggr_ns / v->sample_ns : 0),
	       units_ns(aggr, sizeof(aggr), v->aggr_ns), secs,
	       units_bytes(bytes, sizeof(bytes), size));
	if (rec->nr_notes)
		printf("plan: %s\n", rec->notes[rec->nr_notes - 1].text);
	printf("%-8s %10s %10s %7s\n", "RATE", "ACHIEVED", "HEAT", "ERROR");
	for (int r = 0; r < NR_RATES; r++) {
		double a = v->achieved_hz[r];
		char rate[16];

		snprintf(rate, sizeof(rate), "%g Hz", rates_hz[r]);
		printf("%-8s %7.1f Hz %7.1f Hz %+6.0f%%", rate, a, v->heat_hz[r],
		       pct_error(v->heat_hz[r], fmin(a, bound)));
		if (a > bound)
			printf("  above 1 / sampling interval: %.0f Hz at most", bound);
		else if (a < floor)
			printf("  under a tenth of 1 / sampling interval: blended (damontop(8) HEAT)");
		putchar('\n');
	}
	if (!isnan(v->heat_hz[NR_RATES]))	/* none at --size 30M */
		printf("%-8s %7.1f Hz %7.1f Hz\n", "cold", 0.0, v->heat_hz[NR_RATES]);
	printf("hot cells (heat >= %.1f Hz, a tenth of 1 / sampling interval): precision %.0f%%, "
	       "recall %.0f%%\n", floor, 100 * v->precision, 100 * v->recall);
	printf("WSS: median error %.0f%% over %u aggregations (truth %s)\n",
	       100 * v->wss_error, v->nr_aggrs,
	       units_bytes(bytes, sizeof(bytes), v->wss_truth));
	printf("cost: damontop %.2f%% of one CPU (start-up included); the target's page "
	       "touches %+.1f%% slower than unmonitored\n", cpu_pct, slowdown_pct);
}

/* A figure for JSON: null where there is none (no cold region at --size
 * 30M, no hot-reading cell), since JSON has no NaN. */
static const char *json_num(char buf[32], const char *fmt, double v)
{
	if (isnan(v))
		return "null";
	snprintf(buf, 32, fmt, v);
	return buf;
}

static void print_json(const struct recording *rec, const struct verdict *v,
		       uint64_t size, double cpu_pct, double slowdown_pct, double secs)
{
	printf("{\"source\":\"%s\",\"sample_ns\":%llu,\"aggr_ns\":%llu,\"duration_s\":%.3f,"
	       "\"size_bytes\":%llu,\"rates\":[", rec->hdr.source,
	       (unsigned long long)v->sample_ns, (unsigned long long)v->aggr_ns, secs,
	       (unsigned long long)size);
	char a[32], b[32], c[32], d[32];

	for (int r = 0; r < NR_RATES; r++)
		printf("%s{\"rate_hz\":%g,\"achieved_hz\":%.3f,\"heat_hz\":%s}", r ? "," : "",
		       rates_hz[r], v->achieved_hz[r], json_num(a, "%.3f", v->heat_hz[r]));
	printf("],\"cold_heat_hz\":%s,\"hot_precision\":%s,\"hot_recall\":%s,"
	       "\"wss_median_error\":%.4f,\"wss_truth_bytes\":%llu,\"aggregations\":%u,"
	       "\"cpu_pct\":%.3f,\"target_slowdown_pct\":%s}\n",
	       json_num(a, "%.3f", v->heat_hz[NR_RATES]), json_num(b, "%.4f", v->precision),
	       json_num(c, "%.4f", v->recall), v->wss_error, (unsigned long long)v->wss_truth,
	       v->nr_aggrs, cpu_pct, json_num(d, "%.2f", slowdown_pct));
}

int calibrate_run(const struct damontop_opts *o)
{
	uint64_t size = o->calibrate_size, cpu0, cpu, wall;
	struct workload_counts base0, base1, end, after;
	char path[] = "/tmp/damontop-calibrate.XXXXXX", err[256] = "";
	struct damontop_opts co = *o;
	struct recording rec = {};
	struct verdict v = {};
	struct workload *w;
	int fd, rc = 1, ret;
	pid_t pid;

	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED)
		return tool_error("out of memory");
	pid = workload_start(w, size - CALIB_MIN_SIZE);
	if (pid < 0) {
		munmap(w, sizeof(*w));
		return 1;
	}
	/* the child's cost per page touch, alone, to weigh ours against: a
	 * second before the session and one after (drift on a busy machine
	 * goes both ways) */
	workload_read(w, &base0);
	usleep(BASELINE_NS / 1000);
	workload_read(w, &base1);
	/* made last, so that an interrupt before the session (whose handlers
	 * end it cleanly) leaves no file behind */
	fd = mkstemp(path);
	if (fd < 0) {
		tool_error("cannot create %s: %s", path, strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		munmap(w, sizeof(*w));
		return 1;
	}
	close(fd);

	co.pid = pid;
	co.record = true;
	co.out.output = path;
	co.out.force = true;
	co.out.json = co.out.batch = false;
	co.out.metrics.headless = true;
	cpu0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	ret = damontop_run(&co);
	cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	workload_read(w, &end);
	wall = end.time_ns - base1.time_ns;
	if (!ret) {
		usleep(BASELINE_NS / 1000);
		workload_read(w, &after);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (ret)
		goto out;
	if (record_load(path, &rec, err, sizeof(err))) {
		tool_error("cannot read the calibration record: %s", err);
		goto out;
	}
	for (int r = 0; r < NR_RATES; r++)
		v.achieved_hz[r] = (end.sweeps[r] - base1.sweeps[r]) * 1e9 / wall;
	ret = judge(&rec, w, &v);
	if (ret == -ENODATA) {
		tool_error("too short to judge: %u aggregation(s) after the first %.0f s, "
			   "3 needed (give a longer -d)", v.nr_aggrs, SETTLE_NS / 1e9);
		goto out;
	}
	if (ret) {
		tool_error("cannot judge the record: %s", strerror(-ret));
		goto out;
	}
	(o->out.json ? print_json : print_text)(&rec, &v, size, 100.0 * cpu / wall,
		100 * (ns_per_touch(&base1, &end) /
		       ns_per_touch2(&base0, &base1, &end, &after) - 1),
		wall / 1e9);
	rc = 0;
out:
	recording_free(&rec);
	unlink(path);
	munmap(w, sizeof(*w));
	return rc;
}
