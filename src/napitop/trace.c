// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's kernel side: tp_btf, else raw_tp; the state bits it needs
 * resolved from BTF; per-CPU maps read whole every refresh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "errmsg.h"
#include "probe.h"
#include "trace.h"
#include "napitop.skel.h"

struct nt_tracer {
	struct napitop_bpf *skel;
	const char *kind;
	unsigned int ncpu;
};

const char *nt_trace_kind(const struct nt_tracer *t)
{
	return t->kind;
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
	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		size_t n = strlen(name);

		bpf_program__set_autoload(prog, n > 4 && !strcmp(name + n - 4, sfx));
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

int nt_trace_start(struct nt_tracer **out, char *err, size_t errlen)
{
	struct nt_tracer *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	t->ncpu = libbpf_num_possible_cpus();
	ret = open_load(t, "_btf");
	if (ret)
		ret = open_load(t, "_raw");
	if (ret) {
		errmsg(err, errlen, "cannot attach to napi:napi_poll, sched_switch and "
		       "softirq_entry/exit: %s", strerror(-ret));
		free(t);
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

static int read_threads(struct nt_tracer *t, struct nt_snapshot *s)
{
	int fd = bpf_map__fd(t->skel->maps.threads);
	uint32_t key, next, *prev = NULL;
	size_t cap = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct nt_thread_row *r;

		key = next;
		prev = &key;
		if (s->nr_threads == cap) {
			cap = cap ? 2 * cap : 16;
			r = realloc(s->threads, cap * sizeof(*r));
			if (!r)
				return -ENOMEM;
			s->threads = r;
		}
		r = &s->threads[s->nr_threads];
		r->pid = key;
		if (!bpf_map_lookup_elem(fd, &key, &r->t))
			s->nr_threads++;
	}
	return 0;
}

int nt_trace_read(struct nt_tracer *t, struct nt_snapshot *s)
{
	uint32_t zero = 0;
	int ret;

	memset(s, 0, sizeof(*s));
	s->ncpu = t->ncpu;
	s->time_ns = clock_ns(CLOCK_MONOTONIC);
	s->cpus = calloc(t->ncpu, sizeof(*s->cpus));
	ret = s->cpus ? 0 : -ENOMEM;
	if (!ret && bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.cpus), &zero, s->cpus))
		ret = -errno;
	if (!ret)
		ret = read_napis(t, s);
	if (!ret)
		ret = read_threads(t, s);
	if (ret) {
		nt_snapshot_free(s);
		return ret;
	}
	s->lost_napis = t->skel->bss->lost_napis;
	s->lost_threads = t->skel->bss->lost_threads;
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

void nt_trace_stop(struct nt_tracer *t)
{
	if (!t)
		return;
	napitop_bpf__destroy(t->skel);
	free(t);
}
