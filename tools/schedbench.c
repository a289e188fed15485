// SPDX-License-Identifier: GPL-2.0
/*
 * schedbench: the workload and the yardsticks of bench/coretop.sh, which
 * measures what a BPF program on the scheduler's hot path adds to each
 * context switch.
 *
 *   schedbench [-v] pingpong [--cpus A[,B]] ROUNDS
 *	Two processes bounce one byte over two pipes ROUNDS times: the
 *	parent on CPU A, the child on CPU B (both on A when B is not
 *	given; by default both on the first CPU we may use).  Each round
 *	blocks each process once in read(), so a round is two context
 *	switches away from our processes: on one CPU each goes straight to
 *	the other process; on two CPUs each goes to that CPU's idle task
 *	(and a wakeup brings it back).  Prints wall time / (2 x ROUNDS) as
 *	ns/switch, and the switches getrusage() counted per round as a
 *	check of that definition.
 *
 *   schedbench [-v] attach empty|runqlat SECONDS
 *	Loads and attaches the chosen programs of bpf/schedbench.bpf.c,
 *	prints one "attached" line on stdout, and holds them for SECONDS
 *	or until SIGINT, SIGTERM or SIGHUP; then detaches and unloads
 *	everything, on every way out.
 *
 * Needs root (CAP_BPF and CAP_PERFMON) for attach only.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "schedbench.skel.h"

#define USAGE "usage: schedbench [-v] pingpong [--cpus A[,B]] ROUNDS | " \
	"schedbench [-v] attach empty|runqlat SECONDS"
#define WARMUP_ROUNDS	1000
#define MAX_ROUNDS	1000000000L
#define MAX_SECONDS	86400.0

static bool verbose;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("schedbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* "A" or "A,B" */
static bool parse_cpus(const char *s, int *a, int *b)
{
	char *end;
	long x, y;

	errno = 0;
	x = strtol(s, &end, 10);
	if (errno || end == s || x < 0 || x >= CPU_SETSIZE)
		return false;
	y = x;
	if (*end == ',') {
		s = end + 1;
		y = strtol(s, &end, 10);
		if (errno || end == s || y < 0 || y >= CPU_SETSIZE)
			return false;
	}
	if (*end)
		return false;
	*a = x;
	*b = y;
	return true;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

static int first_cpu(void)
{
	cpu_set_t set;
	int i;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	for (i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			return i;
	return 0;
}

static long switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static bool write_all(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = write(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

static bool read_all(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

/*
 * The child echoes every byte.  The first 'r' (a timed round) starts its
 * count of switches; end of file ends it, and the count goes back to the
 * parent.
 */
static void echo_child(int in, int out)
{
	long base = -1, n;
	char c;

	for (;;) {
		if (!read_all(in, &c, 1))
			break;
		if (c == 'r' && base < 0)
			base = switches();
		if (!write_all(out, &c, 1))
			_exit(1);
	}
	n = base < 0 ? 0 : switches() - base;
	_exit(write_all(out, &n, sizeof(n)) ? 0 : 1);
}

static bool bounce(int out, int in, char c, long rounds)
{
	long i;

	for (i = 0; i < rounds; i++)
		if (!write_all(out, &c, 1) || !read_all(in, &c, 1))
			return false;
	return true;
}

static int cmd_pingpong(int argc, char **argv)
{
	int a = -1, b = -1, err, to_child[2] = { -1, -1 }, to_parent[2] = { -1, -1 };
	long rounds, sw_parent, sw_child = 0;
	const char *arg = NULL;
	double t0, t1;
	pid_t pid = -1;
	int ret = 1, i, status;

	for (i = 0; i < argc; i++) {
		const char *v;

		if (!strcmp(argv[i], "--cpus") && i + 1 < argc) {
			v = argv[++i];
		} else if (!strncmp(argv[i], "--cpus=", 7)) {
			v = argv[i] + 7;
		} else if (!strncmp(argv[i], "--", 2)) {
			return fail("pingpong: unknown option or missing value '%s'", argv[i]);
		} else if (arg) {
			return fail("pingpong: one ROUNDS only, not '%s' and '%s'", arg, argv[i]);
		} else {
			arg = argv[i];
			continue;
		}
		if (!parse_cpus(v, &a, &b))
			return fail("pingpong: --cpus wants A or A,B (CPU numbers), not '%s'", v);
	}
	if (!arg)
		return fail("pingpong: missing ROUNDS; " USAGE);
	if (!parse_long(arg, 1, MAX_ROUNDS, &rounds))
		return fail("pingpong: ROUNDS must be a whole number from 1 to %ld, not '%s'",
			    MAX_ROUNDS, arg);
	if (a < 0)
		a = b = first_cpu();

	signal(SIGPIPE, SIG_IGN);
	if (pipe(to_child) || pipe(to_parent)) {
		fail("pingpong: cannot make pipes: %s", strerror(errno));
		goto cleanup;
	}
	/* the child inherits CPU B, then the parent moves to A */
	err = pin(b);
	if (err) {
		fail("pingpong: cannot run on CPU %d: %s", b, strerror(-err));
		goto cleanup;
	}
	pid = fork();
	if (pid < 0) {
		fail("pingpong: cannot fork: %s", strerror(errno));
		goto cleanup;
	}
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		echo_child(to_child[0], to_parent[1]);
	}
	close(to_child[0]);
	close(to_parent[1]);
	to_child[0] = to_parent[1] = -1;
	err = pin(a);
	if (err) {
		fail("pingpong: cannot run on CPU %d: %s", a, strerror(-err));
		goto cleanup;
	}

	if (!bounce(to_child[1], to_parent[0], 'w', WARMUP_ROUNDS)) {
		fail("pingpong: the echo process went away");
		goto cleanup;
	}
	sw_parent = switches();
	t0 = now_ns();
	if (!bounce(to_child[1], to_parent[0], 'r', rounds)) {
		fail("pingpong: the echo process went away");
		goto cleanup;
	}
	t1 = now_ns();
	sw_parent = switches() - sw_parent;
	close(to_child[1]);
	to_child[1] = -1;
	if (!read_all(to_parent[0], &sw_child, sizeof(sw_child))) {
		fail("pingpong: no switch count from the echo process");
		goto cleanup;
	}

	printf("pingpong: CPUs %d,%d, %ld rounds: %.1f ns/switch "
	       "(wall / 2 per round; %.2f switches per round counted)\n",
	       a, b, rounds, (t1 - t0) / (2.0 * rounds),
	       (double)(sw_parent + sw_child) / rounds);
	ret = 0;
cleanup:
	for (i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (to_parent[i] >= 0)
			close(to_parent[i]);
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (!ret && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
			ret = fail("pingpong: the echo process failed");
	}
	return ret;
}

static long hist_total(struct schedbench_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.hist);
	__u32 slot, nr = bpf_map__max_entries(skel->maps.hist);
	long total = 0;
	__u64 v;

	for (slot = 0; slot < nr; slot++)
		if (!bpf_map_lookup_elem(fd, &slot, &v))
			total += v;
	return total;
}

static int cmd_attach(int argc, char **argv)
{
	struct schedbench_bpf *skel = NULL;
	const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct timespec ts;
	const char *kind;
	sigset_t mask;
	double secs;
	char *end;
	bool runqlat;
	int err, ret = 1;
	size_t i;

	if (argc != 2)
		return fail("attach: wants empty|runqlat SECONDS; " USAGE);
	kind = argv[0];
	if (strcmp(kind, "empty") && strcmp(kind, "runqlat"))
		return fail("attach: unknown program set '%s' (empty or runqlat)", kind);
	runqlat = !strcmp(kind, "runqlat");
	errno = 0;
	secs = strtod(argv[1], &end);
	if (errno || end == argv[1] || *end || !(secs > 0 && secs <= MAX_SECONDS))
		return fail("attach: SECONDS must be a number above 0 and at most %.0f, not '%s'",
			    MAX_SECONDS, argv[1]);

	/*
	 * Signals wait, blocked, for sigtimedwait() below: one that comes
	 * during load or attach still ends in the cleanup path.  Blocked
	 * signals are queued even where the shell that started us in the
	 * background set them ignored; the default action is restored
	 * anyway, for the time after we unblock.
	 */
	sigemptyset(&mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&mask, sigs[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], SIG_DFL);

	libbpf_set_print(libbpf_print);
	skel = schedbench_bpf__open();
	if (!skel) {
		fail("attach: cannot open the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	bpf_program__set_autoload(skel->progs.sb_empty, !runqlat);
	bpf_program__set_autoload(skel->progs.sb_rq_wakeup, runqlat);
	bpf_program__set_autoload(skel->progs.sb_rq_wake_new, runqlat);
	bpf_program__set_autoload(skel->progs.sb_rq_switch, runqlat);
	err = schedbench_bpf__load(skel);
	if (err) {
		fail("attach: cannot load the %s programs: %s%s", kind, strerror(-err),
		     err == -EPERM ? " (needs CAP_BPF and CAP_PERFMON)" : "");
		goto cleanup;
	}
	err = schedbench_bpf__attach(skel);
	if (err) {
		fail("attach: cannot attach the %s programs: %s", kind, strerror(-err));
		goto cleanup;
	}
	printf("schedbench: %s attached (%d program%s)\n", kind, runqlat ? 3 : 1,
	       runqlat ? "s" : "");
	fflush(stdout);

	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - floor(secs)) * 1e9);
	while (sigtimedwait(&mask, NULL, &ts) < 0 && errno == EINTR)
		;	/* a stop and continue: the wait starts again, no harm */
	if (runqlat)
		printf("schedbench: runqlat recorded %ld run-queue latencies\n",
		       hist_total(skel));
	ret = 0;
cleanup:
	schedbench_bpf__destroy(skel);
	return ret;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (i < argc && !strcmp(argv[i], "-v")) {
		verbose = true;
		i++;
	}
	if (i >= argc)
		return fail("missing command; " USAGE);
	if (!strcmp(argv[i], "pingpong"))
		return cmd_pingpong(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "attach"))
		return cmd_attach(argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
		puts(USAGE);
		return 0;
	}
	return fail("unknown command '%s'; " USAGE, argv[i]);
}
