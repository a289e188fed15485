// SPDX-License-Identifier: GPL-2.0
/*
 * The polling threads' CPU time from /proc/PID/schedstat.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "threads.h"

#define MAX_THREADS 4096

struct watched {
	uint32_t pid;
	uint64_t start;			/* its start (ticks): a reused pid is not it */
	char comm[16];
	uint64_t base_ns, base_runs;	/* at the start, or 0 for one started since */
	uint64_t run_ns, runs;		/* the last reading */
};

struct nt_threads {
	char proc[64];
	uint64_t start_ticks;		/* napitop's start, in clock ticks since boot */
	struct watched *w;
	size_t nr;
	uint64_t lost;			/* threads past MAX_THREADS, not watched */
};

/* A small file of @pid under @proc into @buf: its length, or -1. */
static ssize_t read_small(const struct nt_threads *t, uint32_t pid, const char *name,
			  char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", t->proc, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* "napi/..." or "ksoftirqd/...": the threads that poll NAPI */
static bool polling_comm(const char *comm)
{
	return !strncmp(comm, "napi/", 5) || !strncmp(comm, "ksoftirqd/", 10);
}

/* /proc/PID/stat after its ")": @fields numbers from its 3rd field on
 * (the state skipped): their count, 0 when it cannot be read */
static int stat_fields(const struct nt_threads *t, uint32_t pid, unsigned long long *v,
		       int fields)
{
	char buf[1024], *p;
	int n = 0;

	if (read_small(t, pid, "stat", buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')))
		return 0;
	p = strchr(p + 2, ' ');		/* past the state */
	while (p && n < fields) {
		char *end;

		v[n] = strtoull(p, &end, 10);
		if (end == p)
			break;
		n++;
		p = end;
	}
	return n;
}

/* Its run time (ns) and runs so far: 0, or -1 when it is gone.  Without
 * schedstat (CONFIG_SCHED_INFO) its user and system ticks, and no count
 * of runs. */
static int schedstat(const struct nt_threads *t, uint32_t pid, uint64_t *ns, uint64_t *runs)
{
	unsigned long long run, wait, count, v[13];
	long hz = sysconf(_SC_CLK_TCK);
	char buf[96];

	if (read_small(t, pid, "schedstat", buf, sizeof(buf)) >= 0 &&
	    sscanf(buf, "%llu %llu %llu", &run, &wait, &count) == 3) {
		*ns = run;
		*runs = count;
		return 0;
	}
	/* fields 4 to 15: ppid ... utime (14), stime (15) */
	if (stat_fields(t, pid, v, 12) != 12)
		return -1;
	*ns = (v[10] + v[11]) * (1000000000ull / (hz > 0 ? hz : 100));
	*runs = 0;
	return 0;
}

/* Its start, in clock ticks since boot (/proc/PID/stat's 22nd field). */
static uint64_t start_ticks(const struct nt_threads *t, uint32_t pid)
{
	unsigned long long v[19];

	return stat_fields(t, pid, v, 19) == 19 ? v[18] : 0;
}

/* @pid watched if it is a polling thread, its figures counted from now,
 * or from 0 when it started after napitop (@scan: found at the start,
 * counted from now) */
static void add(struct nt_threads *t, uint32_t pid, bool scan)
{
	struct watched *grown, *w;
	char comm[32];
	ssize_t n;

	n = read_small(t, pid, "comm", comm, sizeof(comm));
	if (n <= 0)
		return;
	comm[strcspn(comm, "\n")] = '\0';
	if (!polling_comm(comm))
		return;
	if (t->nr >= MAX_THREADS) {
		t->lost++;
		return;
	}
	grown = realloc(t->w, (t->nr + 1) * sizeof(*grown));
	if (!grown)
		return;
	t->w = grown;
	w = &grown[t->nr];
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	snprintf(w->comm, sizeof(w->comm), "%.15s", comm);
	w->start = start_ticks(t, pid);
	if (schedstat(t, pid, &w->run_ns, &w->runs))
		return;
	if (scan || w->start <= t->start_ticks) {
		w->base_ns = w->run_ns;
		w->base_runs = w->runs;
	}
	t->nr++;
}

struct nt_threads *nt_threads_new(const char *proc)
{
	struct nt_threads *t = calloc(1, sizeof(*t));
	long hz = sysconf(_SC_CLK_TCK);
	struct dirent *d;
	DIR *dir;

	if (!t)
		return NULL;
	snprintf(t->proc, sizeof(t->proc), "%s", proc);
	t->start_ticks = clock_ns(CLOCK_BOOTTIME) / (1000000000ull / (hz > 0 ? hz : 100));
	dir = opendir(proc);
	while (dir && (d = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (*end || !pid || pid > UINT32_MAX)
			continue;
		add(t, pid, true);
	}
	if (dir)
		closedir(dir);
	return t;
}

void nt_threads_watch(struct nt_threads *t, uint32_t pid)
{
	for (size_t i = 0; i < t->nr; i++)
		if (t->w[i].pid == pid)
			return;
	add(t, pid, false);
}

uint32_t nt_threads_ksoftirqd(const struct nt_threads *t, unsigned int cpu)
{
	char comm[16];

	snprintf(comm, sizeof(comm), "ksoftirqd/%u", cpu);
	for (size_t i = 0; i < t->nr; i++)
		if (!strcmp(t->w[i].comm, comm))
			return t->w[i].pid;
	return 0;
}

uint64_t nt_threads_lost(const struct nt_threads *t)
{
	return t->lost;
}

int nt_threads_read(struct nt_threads *t, struct nt_thread_row **rows, size_t *nr)
{
	struct nt_thread_row *r = calloc(t->nr + 1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < t->nr; i++) {
		struct watched *w = &t->w[i];
		uint64_t ns, runs;

		/* gone, or its pid another's now: its last figures stay */
		if (start_ticks(t, w->pid) == w->start && !schedstat(t, w->pid, &ns, &runs) &&
		    ns >= w->run_ns) {
			w->run_ns = ns;
			w->runs = runs;
		}
		r[i].pid = w->pid;
		r[i].t.run_ns = w->run_ns - w->base_ns;
		r[i].t.switches = w->runs - w->base_runs;
		memcpy(r[i].t.comm, w->comm, sizeof(r[i].t.comm));
	}
	*rows = r;
	*nr = t->nr;
	return 0;
}

void nt_threads_free(struct nt_threads *t)
{
	if (!t)
		return;
	free(t->w);
	free(t);
}
