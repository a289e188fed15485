// SPDX-License-Identifier: GPL-2.0
/*
 * coretop, kernel side: what each SMT sibling runs, aggregated per core in
 * the kernel (sched_switch can fire a million times a second: no record
 * per switch leaves the kernel).  The state machine is coretop.h's.
 *
 * Two program sets, one chosen at load:
 * - what-if (*_whatif): the siblings' tasks from sched_switch alone, a
 *   "group" per task from --group-by; the conflict time is what core
 *   scheduling would turn into forced idle.  Runs on any kernel.
 * - measured (*_measured): kernels with core scheduling.  At every event
 *   the core's siblings are read from their runqueues (curr, nr_running,
 *   the core's forced-idle count): a sibling is forced idle when it runs
 *   its idle task while tasks wait and the core says it forces idle; the
 *   group is the task's cookie.  Wakeups are events too: a wakeup onto a
 *   forced-idle sibling switches nothing.
 * Both refresh from sched_stat_runtime (throttled): a task that never
 * switches is still seen, and a forced idle that began silently is caught
 * within a tick.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "coretop.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD	0x00200000
#define REFRESH_NS	1000000		/* sched_stat_runtime: at most once a ms */
#define GROUP_LOST	(~0ull)		/* a cookie the id map had no room for */

/* Set by user space before load. */
const volatile __u32 group_by = CT_BY_TGID;
const volatile __u16 cpu_core[CT_MAX_CPUS];	/* CT_NO_CORE: not watched */
const volatile __u8 cpu_slot[CT_MAX_CPUS];

/* Out: what the maps had no room for. */
__u64 lost_tasks, lost_pairs, lost_cookies;
__u64 next_cookie_id;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);		/* user space: the number of cores */
	__type(key, __u32);
	__type(value, struct ct_core);
} cores SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ct_out);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct ct_task);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ct_pair);
	__type(value, struct ct_pair_acct);
} pairs SEC(".maps");

/* cookie (a kernel pointer) -> small id; never read by user space */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} cookie_ids SEC(".maps");

/* --group NAME=PID,...: tgid -> group (1..n) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} tgid_group SEC(".maps");

/* Fields of kernels with core scheduling; absent here and there. */
struct task_struct___sc {
	unsigned long core_cookie;
} __attribute__((preserve_access_index));

struct rq___sc {
	struct rq___sc *core;
	unsigned int core_forceidle_count;	/* 5.18+ */
	bool core_forceidle;			/* 5.14 - 5.17 */
} __attribute__((preserve_access_index));

/* where thread_info is not in task_struct */
struct task_struct___cpu {
	unsigned int cpu;
} __attribute__((preserve_access_index));

extern struct rq runqueues __ksym __weak;

static __always_inline __u32 task_cpu_of(struct task_struct *t)
{
	struct task_struct___cpu *tc = (void *)t;

	if (bpf_core_field_exists(tc->cpu))
		return BPF_CORE_READ(tc, cpu);
	return BPF_CORE_READ(t, thread_info.cpu);
}

static __always_inline __u64 cookie_id(struct task_struct *t)
{
	struct task_struct___sc *sc = (void *)t;
	__u64 cookie, id, *known;

	if (!bpf_core_field_exists(sc->core_cookie))
		return 0;
	cookie = BPF_CORE_READ(sc, core_cookie);
	if (!cookie)
		return 0;
	known = bpf_map_lookup_elem(&cookie_ids, &cookie);
	if (known)
		return *known;
	id = __sync_fetch_and_add(&next_cookie_id, 1) + 1;
	if (!bpf_map_update_elem(&cookie_ids, &cookie, &id, BPF_NOEXIST))
		return id;
	known = bpf_map_lookup_elem(&cookie_ids, &cookie);	/* lost a race? */
	if (known)
		return *known;
	__sync_fetch_and_add(&lost_cookies, 1);
	return GROUP_LOST;
}

/*
 * @t is a BTF pointer (a tp_btf argument, a runqueue's curr): its fields
 * are read directly, CO-RE relocated, without a helper call each; this
 * runs at every context switch.
 */
static __always_inline __u64 group_of(struct task_struct *t)
{
	__u32 tgid;
	__u64 *g;

	if (group_by == CT_BY_COOKIE)
		return cookie_id(t);
	/* kernel threads never get a cookie: untagged */
	if (t->flags & PF_KTHREAD)
		return 0;
	tgid = t->tgid;
	switch (group_by) {
	case CT_BY_CGROUP:
		return t->cgroups->dfl_cgrp->kn->id;
	case CT_BY_UID:
		return (__u64)t->real_cred->uid.val + 1;
	case CT_BY_TGID:
		return tgid;
	default:
		g = bpf_map_lookup_elem(&tgid_group, &tgid);
		return g ? *g : 0;
	}
}

/* A sibling's new state, gathered before the lock (no helper may run
 * under it). */
struct sib_now {
	bool set;
	bool waiting;
	__u32 pid, waiter;
	__u64 group, waiter_group;
};

static __always_inline void add_task(const struct ct_out *out, __u32 i)
{
	struct ct_task *t, fresh = {};
	__u32 pid;

	if (i >= CT_OUT_TASKS)
		return;
	i = CT_INDEX(i, CT_OUT_TASKS);
	pid = out->task[i].pid;
	t = bpf_map_lookup_elem(&tasks, &pid);
	if (!t) {
		fresh.group = out->task[i].group;
		/* the switching task is current: its name is at hand */
		if ((__u32)bpf_get_current_pid_tgid() == pid) {
			fresh.tgid = bpf_get_current_pid_tgid() >> 32;
			bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		}
		if (bpf_map_update_elem(&tasks, &pid, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&tasks, &pid)) {
			__sync_fetch_and_add(&lost_tasks, 1);
			return;
		}
		t = bpf_map_lookup_elem(&tasks, &pid);
		if (!t)
			return;
	}
	t->group = out->task[i].group;
	/* atomics cost: only the ones with something to add */
	if (out->task[i].conflict_ns)
		__sync_fetch_and_add(&t->conflict_ns, out->task[i].conflict_ns);
	if (out->task[i].caused_ns)
		__sync_fetch_and_add(&t->caused_ns, out->task[i].caused_ns);
	if (out->task[i].suffered_ns)
		__sync_fetch_and_add(&t->suffered_ns, out->task[i].suffered_ns);
	if (out->task[i].mismatches)
		__sync_fetch_and_add(&t->mismatches, out->task[i].mismatches);
}

static __always_inline void add_pair(const struct ct_out *out, __u32 i)
{
	struct ct_pair_acct *p, fresh = {};

	if (i >= CT_OUT_PAIRS)
		return;
	i = CT_INDEX(i, CT_OUT_PAIRS);
	p = bpf_map_lookup_elem(&pairs, &out->pair[i].key);
	if (!p) {
		if (bpf_map_update_elem(&pairs, &out->pair[i].key, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&pairs, &out->pair[i].key)) {
			__sync_fetch_and_add(&lost_pairs, 1);
			return;
		}
		p = bpf_map_lookup_elem(&pairs, &out->pair[i].key);
		if (!p)
			return;
	}
	__sync_fetch_and_add(&p->ns, out->pair[i].ns);
	__sync_fetch_and_add(&p->events, out->pair[i].events);
}

/* Measured mode: sibling @cpu as its runqueue says. */
static __always_inline void read_sibling(__u32 cpu, struct sib_now *s)
{
	struct rq *rq = bpf_per_cpu_ptr(&runqueues, cpu);
	struct rq___sc *sc = (void *)rq;
	struct task_struct *curr;
	bool forcing = false;

	if (!rq)
		return;
	curr = rq->curr;
	if (!curr)
		return;
	s->set = true;
	s->pid = curr->pid;
	s->group = s->pid ? group_of(curr) : 0;
	if (bpf_core_field_exists(sc->core_forceidle_count))
		forcing = BPF_CORE_READ(sc, core, core_forceidle_count) > 0;
	else if (bpf_core_field_exists(sc->core_forceidle))
		forcing = BPF_CORE_READ(sc, core, core_forceidle);
	s->waiting = !s->pid && forcing && rq->nr_running > 0;
}

/*
 * One event on @cpu's core.  @next: the task now running there (NULL: a
 * wakeup, nothing switched); @waiter: a task now waiting there (the
 * preempted prev, the woken task).
 */
static __always_inline int on_event(__u32 cpu, struct task_struct *next,
				    struct task_struct *waiter, const bool measured)
{
	struct sib_now now_sib[CT_MAX_SMT] = {};
	__u32 core, slot, i, zero = 0;
	struct ct_core *c;
	struct ct_out *out;
	__u64 now;

	if (cpu >= CT_MAX_CPUS)
		return 0;
	core = cpu_core[cpu];
	slot = cpu_slot[cpu];
	if (core >= CT_MAX_CPUS || slot >= CT_MAX_SMT)	/* CT_NO_CORE included */
		return 0;
	c = bpf_map_lookup_elem(&cores, &core);
	out = bpf_map_lookup_elem(&scratch, &zero);
	if (!c || !out)
		return 0;
	if (measured) {
		for (i = 0; i < CT_MAX_SMT; i++)
			if (i < c->nr)
				read_sibling(c->cpu[i], &now_sib[i]);
	} else if (next) {
		now_sib[slot].set = true;
		now_sib[slot].pid = next->pid;
		now_sib[slot].group = now_sib[slot].pid ? group_of(next) : 0;
	}
	if (waiter && !now_sib[slot].pid) {
		now_sib[slot].waiter = waiter->pid;
		now_sib[slot].waiter_group = group_of(waiter);
	}
	out->nr_tasks = out->nr_pairs = 0;
	now = bpf_ktime_get_ns();

	bpf_spin_lock(&c->lock);
	ct_advance(c, now, out);
	for (i = 0; i < CT_MAX_SMT; i++)
		if (now_sib[i].set)
			ct_set_slot(c, i, now_sib[i].pid, now_sib[i].group, now_sib[i].waiting,
				    now_sib[i].waiter, now_sib[i].waiter_group, out);
	bpf_spin_unlock(&c->lock);

	for (i = 0; i < CT_OUT_TASKS; i++)
		if (i < out->nr_tasks)
			add_task(out, i);
	for (i = 0; i < CT_OUT_PAIRS; i++)
		if (i < out->nr_pairs)
			add_pair(out, i);
	return 0;
}

/* A running task that the core does not know about, or time to refresh. */
static __always_inline int on_runtime(struct task_struct *curr, const bool measured)
{
	__u32 cpu = task_cpu_of(curr), core, slot;
	struct ct_core *c;

	if (cpu >= CT_MAX_CPUS)
		return 0;
	core = cpu_core[cpu];
	slot = cpu_slot[cpu];
	if (core >= CT_MAX_CPUS || slot >= CT_MAX_SMT)
		return 0;
	c = bpf_map_lookup_elem(&cores, &core);
	if (!c)
		return 0;
	/* racy reads: only deciding whether to take the lock */
	if (c->slot[slot].pid == curr->pid &&
	    bpf_ktime_get_ns() - c->last_ns < REFRESH_NS)
		return 0;
	return on_event(cpu, curr, NULL, measured);
}

static __always_inline struct task_struct *preempted(struct task_struct *prev,
						     unsigned int prev_state)
{
	/* TASK_RUNNING: prev was preempted and still waits to run */
	return prev_state == 0 && prev->pid ? prev : NULL;
}

/*
 * tp_btf only: the per-core state needs bpf_spin_lock, which raw_tp and
 * tracepoint programs cannot take ("tracing progs cannot use
 * bpf_spin_lock yet", 6.1).  Names: _w_ what-if, _m_ measured; user space
 * loads one mode.
 */
SEC("tp_btf/sched_switch")
int BPF_PROG(ct_switch_w, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return on_event(bpf_get_smp_processor_id(), next, NULL, false);
}

SEC("tp_btf/sched_stat_runtime")
int BPF_PROG(ct_runtime_w, struct task_struct *curr)
{
	return on_runtime(curr, false);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(ct_switch_m, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	return on_event(bpf_get_smp_processor_id(), next, preempted(prev, prev_state), true);
}

SEC("tp_btf/sched_stat_runtime")
int BPF_PROG(ct_runtime_m, struct task_struct *curr)
{
	return on_runtime(curr, true);
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(ct_wakeup_m, struct task_struct *p)
{
	return on_event(task_cpu_of(p), NULL, p, true);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(ct_wakeup_new_m, struct task_struct *p)
{
	return on_event(task_cpu_of(p), NULL, p, true);
}
