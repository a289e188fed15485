// SPDX-License-Identifier: GPL-2.0
/*
 * accessgen: a memory access pattern generator in the spirit of DAMON's
 * masim, for kscope's tests, demo and benchmarks.  It maps a few anonymous
 * regions, touches them in timed phases, and says on stdout exactly where
 * the regions are and when each phase began, so that a test can check a
 * measured heatmap against what really happened:
 *
 *   pid <pid>
 *   region <idx> <0xstart> <0xend>          one per region, after pre-faulting
 *   phase <n> <t_mono_ns> <list>           list: 0,3,4:1.5,5@20 ("-" if none)
 *   rate <t_mono_ns> <accesses/s>          with --rate-every, or on SIGUSR1
 *   end <t_mono_ns>
 *   done <total-accesses> <seconds> <accesses/s>
 *
 * An entry "idx" in a phase list is touched all the time; "idx:P" during
 * a random P% of the time slices (--slice, 5 ms by default, DAMON's
 * default sampling interval), so DAMON should see it in about P% of its
 * samples; "idx@F" is swept whole F times a second (each page touched at
 * F Hz, the rest of the time left alone).  One access is one byte
 * written; the sweep writes one byte per stride (a 4 KiB page by default)
 * over the active regions, continuously but for the F Hz ones.
 *
 * Each region is its own mapping, 2 MiB aligned, with PROT_NONE guards
 * between regions so neighbours never merge into one VMA.  Single file,
 * libc only.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

#define AG_PAGE		4096ull
#define AG_HUGE		(2ull << 20)
#define AG_GUARD	AG_HUGE
#define AG_MAX_REGIONS	1024
#define AG_MAX_PHASES	65536
#define AG_MAX_TOTAL	(1ull << 40)
/* touches between clock reads: a few microseconds of work */
#define AG_TURN		512

struct ag_region {
	char name[64];
	uint64_t size;		/* bytes, page multiple */
	char *addr;
};

struct ag_access {
	unsigned int region;
	bool random;		/* random slots instead of a sweep */
	uint64_t stride;	/* bytes between touched bytes */
	double weight;		/* as written */
	double prob;		/* weight / the phase's heaviest, 0..1 */
	double hz;		/* > 0: swept whole this many times a second */
	uint64_t next_ns;	/* hz: when the next sweep is due */
	uint64_t nr_slots;	/* size / stride */
	uint64_t cursor;	/* next slot of the sweep */
	uint64_t turn;		/* touches per turn in the current slice */
	bool active;		/* in the current slice */
};

struct ag_phase {
	char name[64];
	uint64_t dur_ns;	/* 0: until the run ends */
	unsigned int nr_acc;
	struct ag_access *acc;
};

struct ag_config {
	struct ag_region *regions;
	unsigned int nr_regions;
	struct ag_phase *phases;
	unsigned int nr_phases;
};

enum ag_pattern { AG_NONE, AG_STAIRS, AG_RANDOM, AG_HOTCOLD, AG_RATES };

struct ag_opts {
	enum ag_pattern pattern;
	const char *config;
	const char *size_arg;
	unsigned int nr_regions;
	uint64_t size;
	uint64_t phase_ns;
	uint64_t rounds;	/* 0: until --duration or a signal */
	uint64_t duration_ns;	/* 0: none */
	uint64_t rate_ns;	/* 0: no periodic rate lines */
	uint64_t slice_ns;
	uint64_t stride;
	double hot;
	double cold;
	double *rates;		/* rates: Hz of each region */
	uint64_t seed;
	bool thp;
	bool wait;
};

/* run state */
static volatile sig_atomic_t ag_stop, ag_usr1;
static uint64_t ag_rng;
static uint64_t ag_total;		/* accesses made */
static uint64_t ag_rate_t, ag_rate_total;	/* last rate line */

__attribute__((noreturn, format(printf, 1, 2)))
static void ag_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("accessgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

__attribute__((noreturn, format(printf, 1, 2)))
static void ag_die(const char *fmt, ...)
{
	va_list ap;

	fputs("accessgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t ag_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* splitmix64: tiny, fast and good enough to scatter page touches */
static uint64_t ag_rand(void)
{
	uint64_t z = (ag_rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t ag_rand_below(uint64_t n)
{
	return (unsigned __int128)ag_rand() * n >> 64;
}

static double ag_rand01(void)
{
	return (ag_rand() >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- parsing ------------------------------------------------------------ */

/* "10M", "64MiB", "4k", "1G", "4096" -> bytes; false on junk or zero. */
static bool ag_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return false;
	switch (tolower((unsigned char)*end)) {
	case 'k':
		mult = 1ull << 10;
		break;
	case 'm':
		mult = 1ull << 20;
		break;
	case 'g':
		mult = 1ull << 30;
		break;
	case 't':
		mult = 1ull << 40;
		break;
	}
	if (mult > 1)
		end++;
	if (mult > 1 && !strcmp(end, "iB"))
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || !v || v > AG_MAX_TOTAL / mult)
		return false;
	*out = v * mult;
	return true;
}

/* "1.5s", "500ms", "100us", "2" (in @unit_ns) -> ns; false on junk or 0. */
static bool ag_parse_dur(const char *s, uint64_t unit_ns, uint64_t *out)
{
	double v;
	char *end;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s)
		return false;
	if (!*end)
		v *= unit_ns;
	else if (!strcmp(end, "ns"))
		;
	else if (!strcmp(end, "us"))
		v *= 1e3;
	else if (!strcmp(end, "ms"))
		v *= 1e6;
	else if (!strcmp(end, "s"))
		v *= 1e9;
	else if (!strcmp(end, "m") || !strcmp(end, "min"))
		v *= 60e9;
	else
		return false;
	if (!(v >= 1) || v > 1e18)
		return false;
	*out = (uint64_t)v;
	return true;
}

static bool ag_parse_u64(const char *s, uint64_t min, uint64_t max,
			 uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool ag_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

/* ---- configuration: built-in patterns and masim-style files ------------- */

static struct ag_region *ag_add_region(struct ag_config *c, const char *name,
				       uint64_t size)
{
	struct ag_region *r;

	c->regions = realloc(c->regions, (c->nr_regions + 1) * sizeof(*r));
	if (!c->regions)
		ag_die("out of memory");
	r = &c->regions[c->nr_regions++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->size = (size + AG_PAGE - 1) & ~(AG_PAGE - 1);
	return r;
}

static struct ag_phase *ag_add_phase(struct ag_config *c, const char *name,
				     uint64_t dur_ns)
{
	struct ag_phase *p;

	c->phases = realloc(c->phases, (c->nr_phases + 1) * sizeof(*p));
	if (!c->phases)
		ag_die("out of memory");
	p = &c->phases[c->nr_phases++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->dur_ns = dur_ns;
	return p;
}

static void ag_add_access(struct ag_phase *p, unsigned int region, bool random,
			  uint64_t stride, double weight, double hz)
{
	struct ag_access *a;

	p->acc = realloc(p->acc, (p->nr_acc + 1) * sizeof(*a));
	if (!p->acc)
		ag_die("out of memory");
	a = &p->acc[p->nr_acc++];
	memset(a, 0, sizeof(*a));
	a->region = region;
	a->random = random;
	a->stride = stride;
	a->weight = hz > 0 ? 0 : weight;	/* a rate is not a probability */
	a->hz = hz;
}

static void ag_builtin(struct ag_config *c, const struct ag_opts *o)
{
	unsigned int i, nr_hot;
	struct ag_phase *p;
	char name[32];

	for (i = 0; i < o->nr_regions; i++) {
		snprintf(name, sizeof(name), "r%u", i);
		ag_add_region(c, name, o->size);
	}
	switch (o->pattern) {
	case AG_STAIRS:
		for (i = 0; i < o->nr_regions; i++) {
			snprintf(name, sizeof(name), "stair %u", i);
			p = ag_add_phase(c, name, o->phase_ns);
			ag_add_access(p, i, false, o->stride, 100, 0);
		}
		break;
	case AG_RANDOM:
		p = ag_add_phase(c, "random", 0);
		for (i = 0; i < o->nr_regions; i++)
			ag_add_access(p, i, true, o->stride, 100, 0);
		break;
	case AG_HOTCOLD:
		nr_hot = lround(o->hot * o->nr_regions);
		if (nr_hot < 1)
			nr_hot = 1;
		p = ag_add_phase(c, "hotcold", 0);
		for (i = 0; i < o->nr_regions; i++)
			ag_add_access(p, i, false, o->stride,
				      i < nr_hot ? 100 : o->cold, 0);
		break;
	case AG_RATES:
		p = ag_add_phase(c, "rates", 0);
		for (i = 0; i < o->nr_regions; i++)
			ag_add_access(p, i, false, o->stride, 0, o->rates[i]);
		break;
	case AG_NONE:
		break;
	}
}

static char *ag_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* Split "a, b, c" in place into at most @max trimmed fields. */
static int ag_split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *comma = strchr(s, ',');

		if (n == max)
			return max + 1;
		if (comma)
			*comma = 0;
		f[n++] = ag_trim(s);
		if (!comma)
			return n;
		s = comma + 1;
	}
}

static int ag_find_region(const struct ag_config *c, const char *name)
{
	unsigned int i;

	for (i = 0; i < c->nr_regions; i++)
		if (!strcmp(c->regions[i].name, name))
			return i;
	return -1;
}

/* "20Hz", "0.5hz" -> Hz; false if not a rate (or out of range). */
static bool ag_parse_hz(const char *s, double *out)
{
	size_t n = strlen(s);
	char num[64];

	if (n < 3 || n - 2 >= sizeof(num) || strcasecmp(s + n - 2, "hz"))
		return false;
	memcpy(num, s, n - 2);
	num[n - 2] = 0;
	return ag_parse_double(num, 1e-3, 1e5, out) && *out > 0;
}

/*
 * masim's format: a block of "name, size" region lines, then blocks
 * separated by blank lines, one per phase: its name, its duration (ms
 * unless a unit is given), then "region, randomness, stride, probability"
 * lines (or just "region, probability").  '#' starts a comment.  Ours
 * too: a probability written as a rate ("20Hz") sweeps the region whole
 * that many times a second.
 */
static void ag_load_config(struct ag_config *c, const char *path)
{
	enum { IN_REGIONS, PHASE_NAME, PHASE_TIME, PHASE_BODY } st = IN_REGIONS;
	char line[1024], phase_name[64] = "", *f[5], *s;
	struct ag_phase *p = NULL;
	uint64_t total = 0, v;
	unsigned int lineno = 0;
	bool blank_seen = false;
	FILE *in;
	int n, r;

	in = fopen(path, "r");
	if (!in)
		ag_bad("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(in))
			ag_bad("%s:%u: line too long", path, lineno);
		s = strchr(line, '#');
		if (s) {
			*s = 0;
			if (!*ag_trim(line))
				continue;	/* a comment line separates nothing */
		}
		s = ag_trim(line);
		if (!*s) {
			blank_seen = true;
			continue;
		}
		if (blank_seen && (st != IN_REGIONS || c->nr_regions)) {
			if (st == PHASE_TIME)
				ag_bad("%s:%u: phase '%s' has no duration",
				       path, lineno, phase_name);
			st = PHASE_NAME;
		}
		blank_seen = false;

		switch (st) {
		case IN_REGIONS:
			if (ag_split(s, f, 2) != 2)
				ag_bad("%s:%u: want 'name, size'", path, lineno);
			if (!*f[0] || strlen(f[0]) >= sizeof(c->regions->name))
				ag_bad("%s:%u: bad region name '%s'", path, lineno, f[0]);
			if (ag_find_region(c, f[0]) >= 0)
				ag_bad("%s:%u: region '%s' defined twice", path,
				       lineno, f[0]);
			if (!ag_parse_size(f[1], &v))
				ag_bad("%s:%u: bad size '%s'", path, lineno, f[1]);
			if (c->nr_regions >= AG_MAX_REGIONS)
				ag_bad("%s:%u: more than %d regions", path, lineno,
				       AG_MAX_REGIONS);
			total += ag_add_region(c, f[0], v)->size;
			if (total > AG_MAX_TOTAL)
				ag_bad("%s:%u: regions larger than 1 TiB in all",
				       path, lineno);
			break;
		case PHASE_NAME:
			snprintf(phase_name, sizeof(phase_name), "%s", s);
			st = PHASE_TIME;
			break;
		case PHASE_TIME:
			if (!ag_parse_dur(s, 1000000, &v))
				ag_bad("%s:%u: bad phase duration '%s'", path,
				       lineno, s);
			if (c->nr_phases >= AG_MAX_PHASES)
				ag_bad("%s:%u: too many phases", path, lineno);
			p = ag_add_phase(c, phase_name, v);
			st = PHASE_BODY;
			break;
		case PHASE_BODY:
			n = ag_split(s, f, 4);
			if (n != 2 && n != 4)
				ag_bad("%s:%u: want 'region, randomness, stride, probability'",
				       path, lineno);
			r = ag_find_region(c, f[0]);
			if (r < 0)
				ag_bad("%s:%u: no region '%s'", path, lineno, f[0]);
			if (p->nr_acc >= AG_MAX_REGIONS)
				ag_bad("%s:%u: too many accesses in a phase", path,
				       lineno);
			{
				uint64_t rnd = 0, stride = AG_PAGE;
				double w = 0, hz = 0;

				if (n == 4 && !ag_parse_u64(f[1], 0, 1, &rnd))
					ag_bad("%s:%u: bad randomness '%s' (0 or 1)",
					       path, lineno, f[1]);
				if (n == 4 && !ag_parse_size(f[2], &stride))
					ag_bad("%s:%u: bad stride '%s'", path,
					       lineno, f[2]);
				if (!ag_parse_hz(f[n - 1], &hz) &&
				    !ag_parse_double(f[n - 1], 0, 1e9, &w))
					ag_bad("%s:%u: bad probability '%s' (or a rate such as '20Hz', "
					       "0.001 to 100000)", path, lineno, f[n - 1]);
				ag_add_access(p, r, rnd, stride, w, hz);
			}
			break;
		}
	}
	if (ferror(in))
		ag_bad("cannot read '%s': %s", path, strerror(errno));
	fclose(in);
	if (!c->nr_regions)
		ag_bad("%s: no regions", path);
	if (st == PHASE_TIME)
		ag_bad("%s: phase '%s' has no duration", path, phase_name);
	if (!c->nr_phases)
		ag_bad("%s: no phases", path);
}

/* Probabilities relative to each phase's heaviest access; strides checked. */
static void ag_finish_config(struct ag_config *c)
{
	unsigned int i, j;

	for (i = 0; i < c->nr_phases; i++) {
		struct ag_phase *p = &c->phases[i];
		double max = 0;

		for (j = 0; j < p->nr_acc; j++)
			if (p->acc[j].weight > max)
				max = p->acc[j].weight;
		for (j = 0; j < p->nr_acc; j++) {
			struct ag_access *a = &p->acc[j];
			uint64_t size = c->regions[a->region].size;

			a->prob = max > 0 ? a->weight / max : 0;
			if (a->stride > size)
				a->stride = size;
			a->nr_slots = size / a->stride;
		}
	}
}

/* ---- memory --------------------------------------------------------------- */

static void ag_map(struct ag_config *c, bool thp)
{
	uint64_t total = AG_HUGE, start;
	unsigned int i;
	char *base;

	for (i = 0; i < c->nr_regions; i++)
		total += AG_GUARD + ((c->regions[i].size + AG_HUGE - 1) & ~(AG_HUGE - 1));
	total += AG_GUARD;
	/* One reservation keeps the regions in order with guards between. */
	base = mmap(NULL, total, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		ag_die("cannot reserve %llu MiB of address space: %s",
		       (unsigned long long)(total >> 20), strerror(errno));
	start = ((uintptr_t)base + AG_GUARD + AG_HUGE - 1) & ~(AG_HUGE - 1);
	for (i = 0; i < c->nr_regions; i++) {
		struct ag_region *r = &c->regions[i];
		char *p;

		p = mmap((void *)(uintptr_t)start, r->size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			ag_die("cannot map region %u (%llu bytes): %s", i,
			       (unsigned long long)r->size, strerror(errno));
		/* 4 KiB pages unless asked: page-level behaviour is then exact */
		if (madvise(p, r->size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) &&
		    thp && i == 0)
			fprintf(stderr, "accessgen: no THP (%s), using 4 KiB pages\n",
				strerror(errno));
		r->addr = p;
		start += AG_GUARD + ((r->size + AG_HUGE - 1) & ~(AG_HUGE - 1));
	}
	/* Pre-fault, so the resident set is the whole thing from the start. */
	for (i = 0; i < c->nr_regions; i++) {
		volatile char *p = c->regions[i].addr;
		uint64_t off;

		for (off = 0; off < c->regions[i].size; off += AG_PAGE)
			p[off] = 1;
	}
}

/* ---- running ------------------------------------------------------------- */

static void ag_on_signal(int sig)
{
	if (sig == SIGUSR1)
		ag_usr1 = 1;
	else
		ag_stop = 1;
}

static void ag_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ag_on_signal;	/* no SA_RESTART: sleeps end early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
}

/* --wait: until SIGUSR1 or a newline on stdin (EOF does not count). */
static void ag_wait(void)
{
	sigset_t block, orig;
	bool use_stdin = true;
	char buf[256];

	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	while (!ag_usr1 && !ag_stop) {
		struct pollfd pfd = { use_stdin ? 0 : -1, POLLIN, 0 };
		ssize_t n;

		/* signals are let in only while blocked in ppoll: no race */
		if (ppoll(&pfd, 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			ag_die("waiting: %s", strerror(errno));
		}
		if (!pfd.revents)
			continue;
		n = read(0, buf, sizeof(buf));
		if (n <= 0 && !(n < 0 && errno == EINTR))
			use_stdin = false;
		else if (n > 0 && memchr(buf, '\n', n))
			break;
	}
	ag_usr1 = 0;
	sigprocmask(SIG_SETMASK, &orig, NULL);
}

static void ag_print_rate(uint64_t t)
{
	double secs = (t - ag_rate_t) / 1e9;

	if (secs <= 0)
		return;
	printf("rate %llu %.0f\n", (unsigned long long)t,
	       (ag_total - ag_rate_total) / secs);
	ag_rate_t = t;
	ag_rate_total = ag_total;
}

static void ag_print_phase(unsigned long long n, uint64_t t,
			   const struct ag_phase *p)
{
	unsigned int i, shown = 0;

	printf("phase %llu %llu ", n, (unsigned long long)t);
	for (i = 0; i < p->nr_acc; i++) {
		const struct ag_access *a = &p->acc[i];

		if (a->prob <= 0 && a->hz <= 0)
			continue;
		if (shown++)
			putchar(',');
		if (a->hz > 0)
			printf("%u@%g", a->region, a->hz);
		else if (a->prob >= 1)
			printf("%u", a->region);
		else
			printf("%u:%.3g", a->region, a->prob * 100);
	}
	puts(shown ? "" : "-");
}

/*
 * Draw which accesses are on for this slice and size their turns in
 * proportion to their regions, so all active pages are hit at one rate.
 * Returns the touches per turn over all of them, 0 if none is on.
 */
static uint64_t ag_draw_slice(struct ag_phase *p)
{
	uint64_t slots = 0, turn = 0;
	unsigned int i, shift = 0;

	for (i = 0; i < p->nr_acc; i++) {
		struct ag_access *a = &p->acc[i];

		/* the rate ones keep their own time (ag_sweep_due) */
		a->active = a->hz <= 0 &&
			    (a->prob >= 1 || (a->prob > 0 && ag_rand01() < a->prob));
		if (a->active)
			slots += a->nr_slots;
	}
	while ((slots >> shift) > AG_TURN)
		shift++;
	for (i = 0; i < p->nr_acc; i++) {
		struct ag_access *a = &p->acc[i];

		if (!a->active)
			continue;
		a->turn = a->nr_slots >> shift;
		if (!a->turn)
			a->turn = 1;
		turn += a->turn;
	}
	return turn;
}

static void ag_touch(struct ag_access *a, char *base)
{
	volatile char *p = base;
	uint64_t i, c = a->cursor, n = a->turn;

	if (a->random) {
		for (i = 0; i < n; i++)
			p[ag_rand_below(a->nr_slots) * a->stride] = (char)i;
	} else {
		for (i = 0; i < n; i++) {
			p[c * a->stride] = (char)i;
			if (++c == a->nr_slots)
				c = 0;
		}
		a->cursor = c;
	}
	ag_total += n;
}

/* Sweep the rate regions that are due, each slot once, and say when the
 * next one is.  One that fell behind skips what it missed: never faster
 * than its rate. */
static uint64_t ag_sweep_due(struct ag_config *c, struct ag_phase *p, uint64_t t)
{
	uint64_t next = UINT64_MAX, period, i, k;

	for (i = 0; i < p->nr_acc; i++) {
		struct ag_access *a = &p->acc[i];

		if (a->hz <= 0)
			continue;
		if (a->next_ns <= t) {
			period = 1e9 / a->hz;
			for (k = 0; k < a->nr_slots; k += a->turn) {
				a->turn = a->nr_slots - k < AG_TURN ? a->nr_slots - k : AG_TURN;
				ag_touch(a, c->regions[a->region].addr);
			}
			a->next_ns += period;
			if (a->next_ns <= t)
				a->next_ns = t + period;
		}
		if (a->next_ns < next)
			next = a->next_ns;
	}
	return next;
}

/* Runs one phase until @end; false when the run must stop. */
static bool ag_run_phase(struct ag_config *c, struct ag_phase *p, uint64_t end,
			 uint64_t slice_ns, uint64_t rate_ns)
{
	uint64_t t = ag_now(), slice_end, turn, reps, k, due;
	unsigned int i;

	for (i = 0; i < p->nr_acc; i++)
		p->acc[i].next_ns = t;
	while (!ag_stop && t < end) {
		slice_end = t + slice_ns < end ? t + slice_ns : end;
		turn = ag_draw_slice(p);
		/* tiny regions: several turns per clock read */
		reps = turn ? (AG_TURN + turn - 1) / turn : 0;
		while (!ag_stop && t < slice_end) {
			due = ag_sweep_due(c, p, t);
			if (turn) {
				for (k = 0; k < reps; k++)
					for (i = 0; i < p->nr_acc; i++)
						if (p->acc[i].active)
							ag_touch(&p->acc[i],
								 c->regions[p->acc[i].region].addr);
			} else {
				uint64_t until = slice_end < due ? slice_end : due;
				struct timespec ts;

				if (rate_ns && ag_rate_t + rate_ns < until)
					until = ag_rate_t + rate_ns;
				ts.tv_sec = until / 1000000000ull;
				ts.tv_nsec = until % 1000000000ull;
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL);
			}
			t = ag_now();
			if (ag_usr1 || (rate_ns && t >= ag_rate_t + rate_ns)) {
				ag_usr1 = 0;
				ag_print_rate(t);
			}
		}
	}
	return !ag_stop;
}

static void ag_run(struct ag_config *c, const struct ag_opts *o)
{
	uint64_t start, deadline, end, round;
	unsigned long long n = 0;
	unsigned int i;
	double secs;

	start = ag_now();
	ag_rate_t = start;
	deadline = o->duration_ns ? start + o->duration_ns : UINT64_MAX;
	for (round = 0; !o->rounds || round < o->rounds; round++) {
		for (i = 0; i < c->nr_phases; i++) {
			struct ag_phase *p = &c->phases[i];
			uint64_t t = ag_now();

			if (ag_stop || t >= deadline)
				goto out;
			end = p->dur_ns && t + p->dur_ns < deadline ?
				t + p->dur_ns : deadline;
			ag_print_phase(n++, t, p);
			if (!ag_run_phase(c, p, end, o->slice_ns, o->rate_ns))
				goto out;
		}
	}
out:
	end = ag_now();
	secs = (end - start) / 1e9;
	printf("end %llu\n", (unsigned long long)end);
	printf("done %llu %.3f %.0f\n", (unsigned long long)ag_total, secs,
	       secs > 0 ? ag_total / secs : 0);
}

/* ---- command line ------------------------------------------------------- */

static void ag_usage(void)
{
	printf(
"usage: accessgen stairs|random|hotcold|rates [options]\n"
"       accessgen -f CONFIG [options]\n"
"\n"
"Touches anonymous memory regions in timed phases and reports where they\n"
"are and when each phase began, for checking memory access monitors.\n"
"\n"
"patterns:\n"
"  stairs    regions touched one after another, one phase each\n"
"  random    uniformly random pages over all regions\n"
"  hotcold   the first --hot fraction touched always, the rest in --cold %%\n"
"            of the time slices\n"
"  rates     one region per --rates entry, every page of it touched that\n"
"            many times a second (a sweep of the region, then nothing until\n"
"            the next): known access frequencies\n"
"  -f CONFIG masim-style file: a block of 'name, size' region lines, then\n"
"            blank-line separated phases: a name line, a duration line (ms\n"
"            unless a unit is given), and 'region, randomness (0/1),\n"
"            stride, probability' lines; probabilities are relative to\n"
"            the phase's largest, which is touched all the time; a\n"
"            probability written as a rate ('20Hz') sweeps the region\n"
"            that many times a second instead\n"
"\n"
"options:\n"
"  -r, --regions N      number of regions (stairs 10, random 4, hotcold 10)\n"
"  -s, --size SIZE      size of each region (10M; random 64M)\n"
"      --rates HZ,...   rates: each region's touch rate (100,20,2)\n"
"  -p, --phase DUR      stairs: duration of each phase (1s)\n"
"  -n, --rounds N       repeat the phases N times (1; endless with -d)\n"
"  -d, --duration DUR   stop after DUR (seconds unless a unit is given)\n"
"      --hot FRAC       hotcold: fraction of regions that are hot (0.2)\n"
"      --cold PCT       hotcold: %% of time slices a cold region is on (1)\n"
"      --slice DUR      time slice for partial probabilities (5ms)\n"
"      --stride SIZE    bytes between touched bytes (4096)\n"
"      --seed N         random seed (1)\n"
"      --thp            use transparent huge pages (default: 4 KiB pages)\n"
"  -w, --wait           start the phases on SIGUSR1 or a newline on stdin\n"
"      --rate-every DUR print 'rate' lines every DUR\n"
"  -h, --help           this text\n"
"\n"
"output (stdout, line-buffered):\n"
"  pid PID\n"
"  region IDX 0xSTART 0xEND\n"
"  phase N T_MONO_NS LIST          LIST: IDX[:PCT|@HZ],... or '-'\n"
"  rate T_MONO_NS ACCESSES_PER_S   (--rate-every, SIGUSR1)\n"
"  end T_MONO_NS\n"
"  done TOTAL_ACCESSES SECONDS ACCESSES_PER_S\n");
}

enum {
	OPT_HOT = 256, OPT_COLD, OPT_SLICE, OPT_STRIDE, OPT_SEED, OPT_THP,
	OPT_RATE, OPT_RATES,
};

/* options that only some patterns use, to refuse them elsewhere */
#define SET_REGIONS	(1 << 0)
#define SET_SIZE	(1 << 1)
#define SET_PHASE	(1 << 2)
#define SET_HOTCOLD	(1 << 3)
#define SET_ROUNDS	(1 << 4)
#define SET_STRIDE	(1 << 5)
#define SET_RATES	(1 << 6)

/* "100,20,2" -> rates in Hz, at most AG_MAX_REGIONS; false on junk. */
static bool ag_parse_rates(const char *arg, double **out, unsigned int *nr)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	double *r = calloc(AG_MAX_REGIONS, sizeof(*r));
	unsigned int n = 0;
	bool ok = copy && r && *arg;

	for (tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok;
	     tok = strtok_r(NULL, ",", &save))
		ok = n < AG_MAX_REGIONS && ag_parse_double(tok, 1e-3, 1e5, &r[n++]);
	free(copy);
	if (!ok || !n) {
		free(r);
		return false;
	}
	*out = r;
	*nr = n;
	return true;
}

static void ag_parse_args(int argc, char **argv, struct ag_opts *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "regions", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "phase", required_argument, NULL, 'p' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "duration", required_argument, NULL, 'd' },
		{ "wait", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ "hot", required_argument, NULL, OPT_HOT },
		{ "cold", required_argument, NULL, OPT_COLD },
		{ "slice", required_argument, NULL, OPT_SLICE },
		{ "stride", required_argument, NULL, OPT_STRIDE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "thp", no_argument, NULL, OPT_THP },
		{ "rate-every", required_argument, NULL, OPT_RATE },
		{ "rates", required_argument, NULL, OPT_RATES },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int set = 0;
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->slice_ns = 5000000;
	o->phase_ns = 1000000000;
	o->stride = AG_PAGE;
	o->hot = 0.2;
	o->cold = 1;
	o->seed = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":f:r:s:p:n:d:wh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'f':
			o->config = optarg;
			break;
		case 'r':
			if (!ag_parse_u64(optarg, 1, AG_MAX_REGIONS, &v))
				ag_bad("bad region count '%s' (1-%d)", optarg,
				       AG_MAX_REGIONS);
			o->nr_regions = v;
			set |= SET_REGIONS;
			break;
		case 's':
			if (!ag_parse_size(optarg, &o->size))
				ag_bad("bad size '%s'", optarg);
			o->size_arg = optarg;
			set |= SET_SIZE;
			break;
		case 'p':
			if (!ag_parse_dur(optarg, 1000000000, &o->phase_ns))
				ag_bad("bad phase duration '%s'", optarg);
			set |= SET_PHASE;
			break;
		case 'n':
			if (!ag_parse_u64(optarg, 1, UINT32_MAX, &o->rounds))
				ag_bad("bad round count '%s'", optarg);
			set |= SET_ROUNDS;
			break;
		case 'd':
			if (!ag_parse_dur(optarg, 1000000000, &o->duration_ns))
				ag_bad("bad duration '%s'", optarg);
			break;
		case 'w':
			o->wait = true;
			break;
		case 'h':
			ag_usage();
			exit(0);
		case OPT_HOT:
			if (!ag_parse_double(optarg, 0, 1, &o->hot))
				ag_bad("bad hot fraction '%s' (0-1)", optarg);
			set |= SET_HOTCOLD;
			break;
		case OPT_COLD:
			if (!ag_parse_double(optarg, 0, 100, &o->cold))
				ag_bad("bad cold percentage '%s' (0-100)", optarg);
			set |= SET_HOTCOLD;
			break;
		case OPT_SLICE:
			if (!ag_parse_dur(optarg, 1000000000, &o->slice_ns))
				ag_bad("bad slice '%s'", optarg);
			break;
		case OPT_STRIDE:
			if (!ag_parse_size(optarg, &o->stride))
				ag_bad("bad stride '%s'", optarg);
			set |= SET_STRIDE;
			break;
		case OPT_SEED:
			if (!ag_parse_u64(optarg, 0, UINT64_MAX, &o->seed))
				ag_bad("bad seed '%s'", optarg);
			break;
		case OPT_THP:
			o->thp = true;
			break;
		case OPT_RATE:
			if (!ag_parse_dur(optarg, 1000000000, &o->rate_ns))
				ag_bad("bad rate interval '%s'", optarg);
			break;
		case OPT_RATES:
			free(o->rates);
			if (!ag_parse_rates(optarg, &o->rates, &o->nr_regions))
				ag_bad("bad rates '%s' (HZ,... from 0.001 to 100000)", optarg);
			set |= SET_RATES;
			break;
		case ':':
			ag_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			ag_bad("unknown option '%s'", argv[optind - 1]);
		}
	}

	if (optind < argc) {
		const char *name = argv[optind++];

		if (!strcmp(name, "stairs"))
			o->pattern = AG_STAIRS;
		else if (!strcmp(name, "random"))
			o->pattern = AG_RANDOM;
		else if (!strcmp(name, "hotcold"))
			o->pattern = AG_HOTCOLD;
		else if (!strcmp(name, "rates"))
			o->pattern = AG_RATES;
		else
			ag_bad("unknown pattern '%s' (stairs, random, hotcold, rates or "
			       "-f CONFIG)", name);
	}
	if (optind < argc)
		ag_bad("unexpected argument '%s'", argv[optind]);
	if (o->config && o->pattern != AG_NONE)
		ag_bad("give a pattern or -f CONFIG, not both");
	if (!o->config && o->pattern == AG_NONE)
		ag_bad("no pattern: stairs, random, hotcold, rates or -f CONFIG (-h for help)");
	if (o->config && (set & (SET_REGIONS | SET_SIZE | SET_STRIDE)))
		ag_bad("--regions, --size and --stride come from the config file with -f");
	if ((set & SET_PHASE) && o->pattern != AG_STAIRS)
		ag_bad("--phase is for the stairs pattern");
	if ((set & SET_HOTCOLD) && o->pattern != AG_HOTCOLD)
		ag_bad("--hot and --cold are for the hotcold pattern");
	if ((set & SET_RATES) && o->pattern != AG_RATES)
		ag_bad("--rates is for the rates pattern");
	if ((set & SET_REGIONS) && o->pattern == AG_RATES)
		ag_bad("--regions is for other patterns: rates has one region per --rates entry");
	if ((set & SET_ROUNDS) &&
	    (o->pattern == AG_RANDOM || o->pattern == AG_HOTCOLD || o->pattern == AG_RATES))
		ag_bad("--rounds has no meaning for %s: it has one endless phase",
		       o->pattern == AG_RANDOM ? "random" :
		       o->pattern == AG_HOTCOLD ? "hotcold" : "rates");
	if (o->pattern == AG_RATES && !o->rates) {
		static const char dflt[] = "100,20,2";

		if (!ag_parse_rates(dflt, &o->rates, &o->nr_regions))
			ag_die("out of memory");
	}

	if (!(set & SET_REGIONS) && o->pattern != AG_RATES)
		o->nr_regions = o->pattern == AG_RANDOM ? 4 : 10;
	if (!(set & SET_SIZE))
		o->size = o->pattern == AG_RANDOM ? 64ull << 20 : 10ull << 20;
	if ((uint64_t)o->nr_regions * o->size > AG_MAX_TOTAL)
		ag_bad("bad size '%s': more than 1 TiB in all", o->size_arg);
	/* phases run once by default; with a duration, until it ends */
	if (!(set & SET_ROUNDS) && !o->duration_ns)
		o->rounds = 1;
}

int main(int argc, char **argv)
{
	struct ag_config c = { 0 };
	struct ag_opts o;
	unsigned int i;

	ag_parse_args(argc, argv, &o);
	if (o.config)
		ag_load_config(&c, o.config);
	else
		ag_builtin(&c, &o);
	ag_finish_config(&c);
	ag_rng = o.seed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ag_signals();
	printf("pid %d\n", (int)getpid());
	ag_map(&c, o.thp);
	for (i = 0; i < c.nr_regions; i++)
		printf("region %u 0x%llx 0x%llx\n", i,
		       (unsigned long long)(uintptr_t)c.regions[i].addr,
		       (unsigned long long)(uintptr_t)(c.regions[i].addr +
						       c.regions[i].size));
	if (o.wait)
		ag_wait();
	ag_run(&c, &o);
	return 0;
}
