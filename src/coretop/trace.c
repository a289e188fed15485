// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's kernel side: loaded in one mode, read as
 * consistent snapshots (each core copied under its spin lock, its open
 * interval charged in user space with the same state machine).
 */
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "errmsg.h"
#include "probe.h"
#include "trace.h"
#include "coretop.skel.h"

struct ct_tracer {
	struct coretop_bpf *skel;
	unsigned int nr_cores;
};

bool ct_kernel_has_core_sched(void)
{
	return probe_kernel_member("task_struct", "core_cookie");
}

/* The programs of one mode: names end in "_w" (what-if) or "_m". */
static void choose(struct coretop_bpf *skel, char mode)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		size_t n = strlen(name);

		bpf_program__set_autoload(prog, n > 2 && name[n - 2] == '_' &&
					  name[n - 1] == mode);
	}
}

static int open_load(struct ct_tracer *t, const struct ct_trace_opts *o)
{
	struct coretop_bpf *skel = coretop_bpf__open();
	unsigned int c, i, cpu;

	if (!skel)
		return -errno;
	t->skel = skel;
	skel->rodata->group_by = o->by;
	for (cpu = 0; cpu < CT_MAX_CPUS; cpu++)
		skel->rodata->cpu_core[cpu] = CT_NO_CORE;
	for (c = 0; c < o->topo->nr_cores; c++)
		for (i = 0; i < o->topo->cores[c].nr; i++) {
			cpu = o->topo->cores[c].cpu[i];
			skel->rodata->cpu_core[cpu] = c;
			skel->rodata->cpu_slot[cpu] = i;
		}
	bpf_map__set_max_entries(skel->maps.cores, o->topo->nr_cores);
	choose(skel, o->measured ? 'm' : 'w');
	return coretop_bpf__load(skel) ? -errno : 0;
}

int ct_trace_start(struct ct_tracer **out, const struct ct_trace_opts *o, char *err,
		   size_t errlen)
{
	struct ct_tracer *t = calloc(1, sizeof(*t));
	int ret, fd;

	if (!t) {
		errmsg(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!o->topo->nr_cores || o->topo->nr_cores > CT_MAX_CPUS) {
		free(t);
		errmsg(err, errlen, "no SMT cores to watch");
		return -EINVAL;
	}
	t->nr_cores = o->topo->nr_cores;
	ret = open_load(t, o);
	if (ret) {
		errmsg(err, errlen, "cannot load the scheduler programs: %s%s", strerror(-ret),
		       o->measured ? " (measured mode reads the runqueues: the kernel must "
				     "resolve the 'runqueues' symbol; try --what-if)" : "");
		ct_trace_stop(t);
		return ret;
	}
	fd = bpf_map__fd(t->skel->maps.cores);
	for (unsigned int c = 0; c < t->nr_cores && !ret; c++) {
		struct ct_core core = { .nr = o->topo->cores[c].nr };

		memcpy(core.cpu, o->topo->cores[c].cpu, sizeof(core.cpu));
		ret = bpf_map_update_elem(fd, &c, &core, BPF_ANY) ? -errno : 0;
	}
	fd = bpf_map__fd(t->skel->maps.tgid_group);
	for (size_t i = 0; i < o->nr_list && !ret; i++)
		ret = bpf_map_update_elem(fd, &o->list_tgid[i], &o->list_group[i], BPF_ANY) ?
		      -errno : 0;
	if (!ret && coretop_bpf__attach(t->skel))
		ret = -errno;
	if (ret) {
		errmsg(err, errlen, "cannot attach to the scheduler: %s", strerror(-ret));
		ct_trace_stop(t);
		return ret;
	}
	*out = t;
	return 0;
}

static struct ct_task_row *task_row(struct ct_snapshot *s, uint32_t pid, uint64_t group)
{
	struct ct_task_row *grown;

	for (size_t i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == pid)
			return &s->tasks[i];
	grown = realloc(s->tasks, (s->nr_tasks + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->tasks = grown;
	memset(&grown[s->nr_tasks], 0, sizeof(*grown));
	grown[s->nr_tasks].pid = pid;
	grown[s->nr_tasks].t.group = group;
	return &grown[s->nr_tasks++];
}

static void pair_add(struct ct_snapshot *s, const struct ct_pair *key, uint64_t ns,
		     uint64_t events)
{
	struct ct_pair_row *grown;
	size_t i;

	for (i = 0; i < s->nr_pairs; i++)
		if (s->pairs[i].key.a == key->a && s->pairs[i].key.b == key->b)
			break;
	if (i == s->nr_pairs) {
		grown = realloc(s->pairs, (s->nr_pairs + 1) * sizeof(*grown));
		if (!grown)
			return;
		s->pairs = grown;
		memset(&grown[i], 0, sizeof(*grown));
		grown[i].key = *key;
		s->nr_pairs++;
	}
	s->pairs[i].v.ns += ns;
	s->pairs[i].v.events += events;
}

void ct_snapshot_close(struct ct_snapshot *s, struct ct_core *c, uint64_t now)
{
	struct ct_out out = {};
	struct ct_task_row *r;

	ct_advance(c, now, &out);
	for (unsigned int i = 0; i < out.nr_pairs; i++)
		pair_add(s, &out.pair[i].key, out.pair[i].ns, out.pair[i].events);
	if (c->pend_pair_ns || c->pend_pair_events)
		pair_add(s, &c->pend_pair, c->pend_pair_ns, c->pend_pair_events);
	for (unsigned int i = 0; i < c->nr && i < CT_MAX_SMT; i++) {
		struct ct_slot *sl = &c->slot[i];

		if (sl->acct_pid && (sl->pend_conflict | sl->pend_caused | sl->pend_mismatches) &&
		    (r = task_row(s, sl->acct_pid, sl->acct_group))) {
			r->t.conflict_ns += sl->pend_conflict;
			r->t.caused_ns += sl->pend_caused;
			r->t.mismatches += sl->pend_mismatches;
		}
		if (sl->waiter && sl->pend_suffered && (r = task_row(s, sl->waiter,
								      sl->waiter_group)))
			r->t.suffered_ns += sl->pend_suffered;
	}
}

/* Every entry of a hash map as rows of @rsize bytes: the @ksize-byte key
 * first, the value at @voff. */
static int read_hash(int fd, size_t ksize, size_t voff, size_t rsize, void **rows, size_t *nr)
{
	size_t cap = 0;
	unsigned char key[64], next[64];
	unsigned char *buf = NULL, *grown;
	void *prev = NULL;

	*nr = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksize);
		prev = key;
		if (*nr == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(buf, cap * rsize);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
		}
		memcpy(buf + *nr * rsize, key, ksize);
		if (!bpf_map_lookup_elem(fd, key, buf + *nr * rsize + voff))
			(*nr)++;
	}
	*rows = buf;
	return 0;
}

int ct_trace_read_cores(struct ct_tracer *t, struct ct_core *cores)
{
	int fd = bpf_map__fd(t->skel->maps.cores);

	for (unsigned int c = 0; c < t->nr_cores; c++)
		if (bpf_map_lookup_elem_flags(fd, &c, &cores[c], BPF_F_LOCK))
			return -errno;
	return 0;
}

int ct_trace_read(struct ct_tracer *t, struct ct_snapshot *s)
{
	int tasks_fd = bpf_map__fd(t->skel->maps.tasks);
	struct task_raw { uint32_t pid; struct ct_task t; } *raw = NULL;
	struct pair_raw { struct ct_pair k; struct ct_pair_acct v; } *praw = NULL;
	size_t nr, i;
	int ret;

	memset(s, 0, sizeof(*s));
	s->cores = calloc(t->nr_cores, sizeof(*s->cores));
	if (!s->cores)
		return -ENOMEM;
	s->nr_cores = t->nr_cores;
	ret = read_hash(tasks_fd, sizeof(uint32_t), offsetof(struct task_raw, t), sizeof(*raw),
			(void **)&raw, &nr);
	if (ret)
		goto fail;
	s->tasks = calloc(nr ? nr : 1, sizeof(*s->tasks));
	if (!s->tasks) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nr; i++) {
		s->tasks[i].pid = raw[i].pid;
		s->tasks[i].t = raw[i].t;
		/* an exited task's totals are final: read once, then let go */
		if (kill(raw[i].pid, 0) && errno == ESRCH) {
			s->tasks[i].exited = true;
			bpf_map_delete_elem(tasks_fd, &raw[i].pid);
		}
	}
	s->nr_tasks = nr;
	ret = read_hash(bpf_map__fd(t->skel->maps.pairs), sizeof(struct ct_pair),
			offsetof(struct pair_raw, v), sizeof(*praw), (void **)&praw, &nr);
	if (ret)
		goto fail;
	for (i = 0; i < nr; i++)
		pair_add(s, &praw[i].k, praw[i].v.ns, praw[i].v.events);
	s->time_ns = clock_ns(CLOCK_MONOTONIC);
	ret = ct_trace_read_cores(t, s->cores);
	if (ret)
		goto fail;
	for (unsigned int c = 0; c < t->nr_cores; c++)
		ct_snapshot_close(s, &s->cores[c], s->time_ns);
	s->lost_tasks = t->skel->bss->lost_tasks;
	s->lost_pairs = t->skel->bss->lost_pairs;
	s->lost_cookies = t->skel->bss->lost_cookies;
	free(raw);
	free(praw);
	return 0;
fail:
	free(raw);
	free(praw);
	ct_snapshot_free(s);
	return ret;
}

void ct_snapshot_free(struct ct_snapshot *s)
{
	free(s->cores);
	free(s->tasks);
	free(s->pairs);
	memset(s, 0, sizeof(*s));
}

void ct_trace_stop(struct ct_tracer *t)
{
	if (!t)
		return;
	coretop_bpf__destroy(t->skel);
	free(t);
}
