// SPDX-License-Identifier: GPL-2.0
/*
 * cpuburn: keep CPUs busy for a while, for coretop's tests and demo.
 *
 *   cpuburn [--cpu N] [--duty PCT] [--threads N] SECONDS
 *
 * runs N threads (1 by default; the main thread is one of them) that spin
 * for PCT% (100 by default) of every 10 ms period and sleep for the rest,
 * for SECONDS (a decimal number), then exits 0.  With --cpu, every thread
 * is pinned to that CPU before the others start (they inherit the mask),
 * so a test knows where the load is.  Nothing is printed; a test finds the
 * threads in /proc/PID/task.  Bad arguments: one line on stderr, exit 2.
 * Single file, libc only.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CB_PERIOD_NS	10000000ull	/* 10 ms */
#define CB_MAX_THREADS	1024
#define CB_MAX_SECONDS	1000000.0

struct cb_opts {
	int cpu;		/* -1: not pinned */
	unsigned int duty;	/* percent of each period spent spinning */
	unsigned int threads;
	uint64_t end_ns;	/* CLOCK_MONOTONIC */
};

__attribute__((noreturn, format(printf, 1, 2)))
static void cb_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("cpuburn: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static uint64_t cb_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void cb_sleep_until(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ull),
		.tv_nsec = (long)(ns % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A decimal integer in [min, max], nothing around it. */
static int cb_parse_uint(const char *s, unsigned long min, unsigned long max,
			 unsigned long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		return -1;
	return 0;
}

static void cb_burn(const struct cb_opts *o)
{
	uint64_t spin_ns = CB_PERIOD_NS * o->duty / 100;
	uint64_t start = cb_now(), now, busy_end;
	volatile uint64_t x = 0;
	unsigned int i;

	while ((now = cb_now()) < o->end_ns) {
		/* behind schedule (preempted): start the next period now */
		if (now >= start + CB_PERIOD_NS)
			start = now;
		busy_end = start + spin_ns;
		if (busy_end > o->end_ns)
			busy_end = o->end_ns;
		while (cb_now() < busy_end)
			for (i = 0; i < 256; i++)
				x += i;
		if (o->duty < 100) {
			start += CB_PERIOD_NS;
			cb_sleep_until(start < o->end_ns ? start : o->end_ns);
		}
	}
}

static void *cb_thread(void *arg)
{
	cb_burn(arg);
	return NULL;
}

static void cb_usage(void)
{
	fputs("usage: cpuburn [--cpu N] [--duty PCT] [--threads N] SECONDS\n"
	      "Spin N threads (1) for PCT% (100) of every 10 ms for SECONDS, then exit 0.\n"
	      "  -c, --cpu N       pin every thread to CPU N\n"
	      "  -u, --duty PCT    percent of each 10 ms period spent spinning, 0-100\n"
	      "  -t, --threads N   threads, the main one included, 1-1024\n"
	      "  -h, --help        this text\n", stdout);
}

static void cb_parse_args(int argc, char **argv, struct cb_opts *o)
{
	static const struct option longopts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "duty", required_argument, NULL, 'u' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	double secs;
	char *end;
	int opt;

	o->cpu = -1;
	o->duty = 100;
	o->threads = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:u:t:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (cb_parse_uint(optarg, 0, CPU_SETSIZE - 1, &v))
				cb_bad("bad cpu '%s'", optarg);
			o->cpu = (int)v;
			break;
		case 'u':
			if (cb_parse_uint(optarg, 0, 100, &v))
				cb_bad("bad duty '%s' (0-100)", optarg);
			o->duty = (unsigned int)v;
			break;
		case 't':
			if (cb_parse_uint(optarg, 1, CB_MAX_THREADS, &v))
				cb_bad("bad thread count '%s' (1-%d)", optarg, CB_MAX_THREADS);
			o->threads = (unsigned int)v;
			break;
		case 'h':
			cb_usage();
			exit(0);
		case ':':
			cb_bad("option '%s' needs a value", argv[optind - 1]);
		default:
			cb_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		cb_bad("no SECONDS (-h for help)");
	if (optind + 1 < argc)
		cb_bad("unexpected argument '%s'", argv[optind + 1]);
	errno = 0;
	secs = strtod(argv[optind], &end);
	if (errno || end == argv[optind] || *end || !isfinite(secs) ||
	    secs <= 0 || secs > CB_MAX_SECONDS || (*argv[optind] < '0' || *argv[optind] > '9'))
		cb_bad("bad duration '%s' (seconds, more than 0)", argv[optind]);
	o->end_ns = cb_now() + (uint64_t)(secs * 1e9);
}

static void cb_pin(int cpu)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		cb_bad("cannot read the CPU mask: %s", strerror(errno));
	if (!CPU_ISSET(cpu, &set))
		cb_bad("cpu %d is not one this process may run on", cpu);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "cpuburn: cannot pin to cpu %d: %s\n", cpu, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct cb_opts o;
	pthread_t *tids;
	unsigned int i;
	int err;

	cb_parse_args(argc, argv, &o);
	if (o.cpu >= 0)
		cb_pin(o.cpu);
	tids = calloc(o.threads, sizeof(*tids));
	if (!tids) {
		fputs("cpuburn: out of memory\n", stderr);
		return 1;
	}
	for (i = 1; i < o.threads; i++) {
		err = pthread_create(&tids[i], NULL, cb_thread, &o);
		if (err) {
			fprintf(stderr, "cpuburn: cannot start thread %u: %s\n", i, strerror(err));
			return 1;
		}
	}
	cb_burn(&o);
	for (i = 1; i < o.threads; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return 0;
}
