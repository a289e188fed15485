// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's kernel side: tp_btf, else raw_tp; the state bits it needs
 * resolved from BTF; per-CPU maps read whole every refresh, and with them
 * the kernel's own accounting: the polling threads' CPU time (threads.c),
 * softirq runs and time (softirqs.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "errmsg.h"
#include "probe.h"
#include "threads.h"
#include "trace.h"
#include "napitop.skel.h"

struct nt_tracer {
	struct napitop_bpf *skel;
	const char *kind;
	unsigned int ncpu;
	struct nt_threads *threads;
	struct nt_softirqs *softirqs;
	bool netrx_time;		/* the softirq programs are attached */
	bool softirq_exact;		/* the kernel accounts IRQ time */
	int stats_fd;			/* -v: the kernel times our programs */
};

const char *nt_trace_kind(const struct nt_tracer *t)
{
	return t->kind;
}

const char *nt_trace_softirq_time(const struct nt_tracer *t)
{
	return t->softirq_exact ? "exact" : "ticks";
}

/* "nt_sirq_in_btf": a program of --netrx-time's */
static bool is_netrx_program(const char *name)
{
	return !strncmp(name, "nt_sirq_", 8);
}

/* The programs of one attach kind: names end in "_btf" or "_raw". */
static int open_load(struct nt_tracer *t, const char *sfx)
{
	struct napitop_bpf *skel = napitop_bpf__open();
	struct bpf_program *prog;
	long long bit;

	if (!skel)
		return -errno;
	/* a per-CPU hash is allocated whole, entries x CPUs x ~180 bytes:
	 * 1024 instances, fewer on machines with more than 64 CPUs */
	bpf_map__set_max_entries(skel->maps.napis, t->ncpu > 1024 ? 64 :
				 t->ncpu > 64 ? 65536 / t->ncpu : 1024);
	if (!probe_kernel_enum_value("NAPI_STATE_IN_BUSY_POLL", &bit) && bit >= 0 && bit < 64)
		skel->rodata->bit_busy_poll = bit;
	for (unsigned int c = 0; c < t->ncpu && c < NT_MAX_CPUS; c++)
		skel->rodata->ksoftirqd_pid[c] = nt_threads_ksoftirqd(t->threads, c);
	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		size_t n = strlen(name);

		bpf_program__set_autoload(prog, n > 4 && !strcmp(name + n - 4, sfx) &&
					  (t->netrx_time || !is_netrx_program(name)));
	}
	if (napitop_bpf__load(skel) || napitop_bpf__attach(skel)) {
		int ret = -errno;

		napitop_bpf__destroy(skel);
		return ret;
	}
	t->skel = skel;
	t->kind = !strcmp(sfx, "_btf") ? "tp_btf" : "raw_tp";
	return 0;
}

int nt_trace_start(struct nt_tracer **out, const struct nt_trace_opts *o, char *err,
		   size_t errlen)
{
	struct nt_tracer *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->stats_fd = -1;
	t->ncpu = libbpf_num_possible_cpus();
	t->netrx_time = o->netrx_time;
	t->softirq_exact = probe_kernel_func("irqtime_account_irq");
	t->threads = nt_threads_new("/proc");
	t->softirqs = nt_softirqs_new("/proc", t->ncpu);
	if (!t->threads || !t->softirqs) {
		nt_trace_stop(t);
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the kernel counts while this fd is open, and stops when it closes,
	 * however napitop ends: nothing to restore */
	t->stats_fd = o->time_programs ? bpf_enable_stats(BPF_STATS_RUN_TIME) : -1;
	if (o->time_programs && t->stats_fd < 0) {
		ret = -errno;
		errmsg(err, errlen, "cannot have the kernel time our programs: %s", strerror(-ret));
		nt_trace_stop(t);
		return ret;
	}
	ret = open_load(t, "_btf");
	if (ret)
		ret = open_load(t, "_raw");
	if (ret) {
		errmsg(err, errlen, "cannot attach to napi:napi_poll%s: %s",
		       t->netrx_time ? " and softirq_entry/exit" : "", strerror(-ret));
		nt_trace_stop(t);
		return ret;
	}
	*out = t;
	return 0;
}

static int read_napis(struct nt_tracer *t, struct nt_snapshot *s)
{
	int fd = bpf_map__fd(t->skel->maps.napis);
	struct nt_key key, next, *prev = NULL;
	size_t cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct nt_napi_row *r;

		key = next;
		prev = &key;
		if (s->nr_napis == cap) {
			cap = cap ? 2 * cap : 16;
			r = realloc(s->napis, cap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			s->napis = r;
		}
		r = &s->napis[s->nr_napis];
		r->key = key;
		r->cpu = calloc(t->ncpu, sizeof(*r->cpu));
		if (!r->cpu)
			return -ENOMEM;
		if (bpf_map_lookup_elem(fd, &key, r->cpu)) {
			free(r->cpu);	/* gone meanwhile */
			continue;
		}
		s->nr_napis++;
	}
	return 0;
}

/* The polling threads: those seen polling watched too */
static int read_threads(struct nt_tracer *t, struct nt_snapshot *s)
{
	for (size_t i = 0; i < s->nr_napis; i++)
		for (unsigned int c = 0; c < t->ncpu; c++)
			if (s->napis[i].cpu[c].thread_pid)
				nt_threads_watch(t->threads, s->napis[i].cpu[c].thread_pid);
	return nt_threads_read(t->threads, &s->threads, &s->nr_threads);
}

/* Each CPU's softirq runs and time, and NET_RX's where timed */
static int read_cpus(struct nt_tracer *t, struct nt_snapshot *s)
{
	struct nt_softirqs_cpu *k = calloc(t->ncpu, sizeof(*k));
	struct nt_cpu *timed = calloc(t->ncpu, sizeof(*timed));
	uint32_t zero = 0;
	int ret = 0;

	s->cpus = calloc(t->ncpu, sizeof(*s->cpus));
	if (!s->cpus || !k || !timed) {
		ret = -ENOMEM;
		goto out;
	}
	if (t->netrx_time &&
	    bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.cpus), &zero, timed)) {
		ret = -errno;
		goto out;
	}
	nt_softirqs_read(t->softirqs, k);
	for (unsigned int c = 0; c < t->ncpu; c++) {
		s->cpus[c].netrx_ns = t->netrx_time ? timed[c].netrx_ns : NT_UNKNOWN;
		s->cpus[c].netrx_count = k[c].netrx_count;
		s->cpus[c].softirq_ns = k[c].softirq_ns;
	}
out:
	free(k);
	free(timed);
	return ret;
}

int nt_trace_read(struct nt_tracer *t, struct nt_snapshot *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->ncpu = t->ncpu;
	s->time_ns = clock_ns(CLOCK_MONOTONIC);
	ret = read_cpus(t, s);
	if (!ret)
		ret = read_napis(t, s);
	if (!ret)
		ret = read_threads(t, s);
	if (ret) {
		nt_snapshot_free(s);
		return ret;
	}
	s->lost_napis = t->skel->bss->lost_napis;
	s->lost_threads = nt_threads_lost(t->threads);
	return 0;
}

void nt_snapshot_free(struct nt_snapshot *s)
{
	for (size_t i = 0; i < s->nr_napis; i++)
		free(s->napis[i].cpu);
	free(s->napis);
	free(s->threads);
	free(s->cpus);
	memset(s, 0, sizeof(*s));
}

void nt_trace_print_programs(const struct nt_tracer *t, FILE *f)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, t->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) ||
		    bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		fprintf(f, "napitop: %s: %llu runs, %.1f ns a run\n", bpf_program__name(prog),
			(unsigned long long)info.run_cnt,
			info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
	}
}

void nt_trace_stop(struct nt_tracer *t)
{
	if (!t)
		return;
	if (t->stats_fd >= 0)
		close(t->stats_fd);
	napitop_bpf__destroy(t->skel);
	nt_threads_free(t->threads);
	nt_softirqs_free(t->softirqs);
	free(t);
}
