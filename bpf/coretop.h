/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coretop's per-core state machine and the types its kernel side
 * (coretop.bpf.c) shares with user space (src/coretop/).
 *
 * One struct ct_core per SMT core: what each sibling runs now (a task of
 * some group, nothing, or nothing although tasks wait: forced idle), and
 * the time each sibling and the core spent in each state.  Every event
 * first charges the time since the last one to the state the core was in
 * (ct_advance), then sets the siblings' new state (ct_set_slot).  The same
 * code runs in the kernel, under the core's spin lock, and in the unit
 * tests on synthetic switch sequences; user space also runs ct_advance on
 * a copy to charge the interval still open at read time.
 *
 * A "group" is what makes tasks compatible: the core-scheduling cookie
 * (as a small id: cookies are kernel pointers and never leave the
 * kernel), or for the what-if estimate a cgroup, uid, process or a list.
 * Group 0 is "untagged".
 */
#ifndef KSCOPE_CORETOP_H
#define KSCOPE_CORETOP_H

#ifndef __bpf__
#include <linux/bpf.h>
#include <linux/types.h>
#include <stdbool.h>
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#endif

#define CT_MAX_CPUS	1024
#define CT_MAX_SMT	4	/* siblings per core */
#define CT_NO_CORE	0xffff

/* --group-by, as the kernel side sees it */
enum ct_group_by {
	CT_BY_COOKIE = 0,
	CT_BY_CGROUP = 1,
	CT_BY_UID = 2,		/* group = uid + 1: 0 stays "untagged" */
	CT_BY_TGID = 3,
	CT_BY_LIST = 4,		/* the tgid_group map; others untagged */
};

enum ct_state {
	CT_IDLE = 0,
	CT_RUN = 1,
	CT_FORCED = 2,		/* idle although tasks wait: forced idle */
};

/* Time of one sibling, ns. */
struct ct_sib_acct {
	__u64 run_ns;		/* running a task */
	__u64 corun_ns;		/* ... beside a sibling running the same group */
	__u64 conflict_ns;	/* ... beside a sibling running another group */
	__u64 forced_ns;	/* forced idle */
	__u64 idle_ns;		/* idle, nothing waiting */
};

/* Time two groups shared a core: what-if a < b, conflict (symmetric);
 * measured a = the group forced idle, b = the group running beside. */
struct ct_pair {
	__u64 a, b;
};

/*
 * A sibling.  Time is charged to tasks in the kernel's task map only when
 * another task takes the sibling (not each time it idles): a task that
 * keeps to its CPU costs no map update per switch.
 */
struct ct_slot {
	__u32 pid;		/* running task, 0: idle */
	__u32 state;		/* enum ct_state */
	__u64 group;
	/* the task the pending time belongs to: the last one that ran here */
	__u32 acct_pid;
	__u32 waiter;		/* a task waiting here while forced idle (0: unknown) */
	__u64 acct_group;
	__u64 pend_conflict, pend_caused, pend_mismatches;
	__u64 waiter_group;
	__u64 pend_suffered;	/* the waiter's, until it stops waiting */
	/* who ran before: what a sampler that finds itself here displaced */
	__u32 prev_pid, prev_state;
	__u64 prev_group;
};

struct ct_core {
	struct bpf_spin_lock lock;
	__u32 nr;		/* siblings, set by user space before attach */
	__u32 cpu[CT_MAX_SMT];	/* ... and their CPUs */
	__u64 last_ns;		/* last event, bpf_ktime_get_ns() */
	__u64 busy_ns;		/* some sibling ran a task */
	__u64 conflict_ns;	/* two siblings ran tasks of different groups */
	__u64 forced_ns;	/* some sibling was forced idle */
	__u64 mismatches;	/* switches that put a task beside another group */
	struct ct_slot slot[CT_MAX_SMT];
	struct ct_sib_acct sib[CT_MAX_SMT];
	/* a pair's time, written to the pair map when another pair comes */
	struct ct_pair pend_pair;
	__u64 pend_pair_ns, pend_pair_events;
};

/* Per task (pid), written when the task leaves a sibling. */
struct ct_task {
	__u64 group;
	__u32 tgid;
	char comm[16];
	__u64 conflict_ns;	/* ran beside another group */
	__u64 caused_ns;	/* ran while a sibling was forced idle */
	__u64 suffered_ns;	/* waited on a forced-idle sibling */
	__u64 mismatches;
};


struct ct_pair_acct {
	__u64 ns;
	__u64 events;
};

/* What one event leaves to be written outside the lock: at most a task
 * leaving and one waiting per sibling, the one arriving, a pair per
 * sibling.  Powers of two, for CT_INDEX. */
#define CT_OUT_TASKS	8
#define CT_OUT_PAIRS	CT_MAX_SMT

struct ct_out {
	struct {
		__u32 pid;
		__u64 group, conflict_ns, caused_ns, suffered_ns, mismatches;
	} task[CT_OUT_TASKS];
	__u32 nr_tasks;
	struct {
		struct ct_pair key;
		__u64 ns, events;
	} pair[CT_OUT_PAIRS];
	__u32 nr_pairs;
};

/*
 * @i, already checked below the power of two @n, masked so that older
 * verifiers (6.1), which forget a spilled register's bounds, still see
 * it; the empty asm keeps the compiler from dropping the mask.
 */
#define CT_INDEX(i, n) ({ __u32 __i = (i); asm volatile("" : "+r"(__i)); __i & ((n) - 1); })

/* Pair (@a, @b) shared the core @ns more, @events mismatches more: kept
 * pending in the core while the pair stays the same. */
static __always_inline void ct_emit_pair(struct ct_core *c, struct ct_out *out, __u64 a,
					 __u64 b, __u64 ns, __u64 events)
{
	__u32 n = out->nr_pairs;

	if (c->pend_pair.a == a && c->pend_pair.b == b) {
		c->pend_pair_ns += ns;
		c->pend_pair_events += events;
		return;
	}
	if ((c->pend_pair_ns | c->pend_pair_events) && n < CT_OUT_PAIRS) {
		n = CT_INDEX(n, CT_OUT_PAIRS);
		out->pair[n].key = c->pend_pair;
		out->pair[n].ns = c->pend_pair_ns;
		out->pair[n].events = c->pend_pair_events;
		out->nr_pairs = n + 1;
	}
	c->pend_pair.a = a;
	c->pend_pair.b = b;
	c->pend_pair_ns = ns;
	c->pend_pair_events = events;
}

/* Charge the time since the last event to the state the core was in. */
static __always_inline void ct_advance(struct ct_core *c, __u64 now, struct ct_out *out)
{
	bool conflict = false, forced = false, busy = false;
	__u64 d;
	__u32 i, j;

	if (!c->last_ns) {
		c->last_ns = now;	/* the first event: nothing known before */
		return;
	}
	if (now <= c->last_ns)
		return;		/* events race to the lock: the later clock read went first */
	d = now - c->last_ns;
	c->last_ns = now;
	for (i = 0; i < CT_MAX_SMT && i < c->nr; i++)
		if (c->slot[i].state == CT_FORCED)
			forced = true;
	for (i = 0; i < CT_MAX_SMT && i < c->nr; i++) {
		struct ct_slot *s = &c->slot[i];
		bool other = false, same = false;

		if (s->state == CT_IDLE) {
			c->sib[i].idle_ns += d;
			continue;
		}
		if (s->state == CT_FORCED) {
			c->sib[i].forced_ns += d;
			s->pend_suffered += d;
			/* the group it waits for, beside the first running one */
			for (j = 0; j < CT_MAX_SMT && j < c->nr; j++) {
				if (c->slot[j].state != CT_RUN)
					continue;
				ct_emit_pair(c, out, s->waiter_group, c->slot[j].group, d, 0);
				break;
			}
			continue;
		}
		busy = true;
		c->sib[i].run_ns += d;
		if (forced)
			s->pend_caused += d;
		for (j = 0; j < CT_MAX_SMT && j < c->nr; j++) {
			if (j == i || c->slot[j].state != CT_RUN)
				continue;
			if (c->slot[j].group == s->group) {
				same = true;
				continue;
			}
			other = true;
			if (j > i) {
				bool lo = s->group < c->slot[j].group;

				ct_emit_pair(c, out, lo ? s->group : c->slot[j].group,
					     lo ? c->slot[j].group : s->group, d, 0);
			}
		}
		if (other) {
			c->sib[i].conflict_ns += d;
			s->pend_conflict += d;
			conflict = true;
		} else if (same) {
			c->sib[i].corun_ns += d;
		}
	}
	if (busy)
		c->busy_ns += d;
	if (conflict)
		c->conflict_ns += d;
	if (forced)
		c->forced_ns += d;
}

static __always_inline void ct_emit_task(struct ct_out *out, __u32 pid, __u64 group,
					 __u64 conflict, __u64 caused, __u64 suffered,
					 __u64 mismatches)
{
	__u32 n = out->nr_tasks;

	if (!pid || n >= CT_OUT_TASKS || !(conflict | caused | suffered | mismatches))
		return;
	n = CT_INDEX(n, CT_OUT_TASKS);
	out->task[n].pid = pid;
	out->task[n].group = group;
	out->task[n].conflict_ns = conflict;
	out->task[n].caused_ns = caused;
	out->task[n].suffered_ns = suffered;
	out->task[n].mismatches = mismatches;
	out->nr_tasks = n + 1;
}

/*
 * Sibling @i now runs @pid of @group (0: idle; then @waiting says whether
 * tasks wait on it, which makes it forced idle, and @waiter, if known,
 * which).  A task arriving beside another group counts a mismatch; one
 * arriving where another ran last sends that one's pending time out.  A
 * waiter takes its wait with it when the wait ends.  Call after
 * ct_advance().
 */
static __always_inline void ct_set_slot(struct ct_core *c, __u32 i, __u32 pid, __u64 group,
					bool waiting, __u32 waiter, __u64 waiter_group,
					struct ct_out *out)
{
	struct ct_slot *s;
	__u32 j;

	if (i >= CT_MAX_SMT || i >= c->nr)
		return;
	s = &c->slot[i];
	if (s->pid != pid) {
		s->prev_pid = s->pid;
		s->prev_state = s->state;
		s->prev_group = s->group;
	}
	if (pid && (s->pid != pid || s->group != group)) {
		if (s->acct_pid != pid || s->acct_group != group) {
			ct_emit_task(out, s->acct_pid, s->acct_group, s->pend_conflict,
				     s->pend_caused, 0, s->pend_mismatches);
			s->pend_conflict = s->pend_caused = s->pend_mismatches = 0;
			s->acct_pid = pid;
			s->acct_group = group;
		}
		for (j = 0; j < CT_MAX_SMT && j < c->nr; j++) {
			__u64 other = c->slot[j].group;

			if (j == i || c->slot[j].state != CT_RUN || other == group)
				continue;
			/* a mismatch: counted once, against the first sibling */
			c->mismatches++;
			s->pend_mismatches++;
			ct_emit_pair(c, out, group < other ? group : other,
				     group < other ? other : group, 0, 1);
			break;
		}
	}
	s->pid = pid;
	s->group = pid ? group : 0;
	if (pid || !waiting || (waiter && waiter != s->waiter)) {
		/* the wait ended, or another task waits now */
		ct_emit_task(out, s->waiter, s->waiter_group, 0, 0, s->pend_suffered, 0);
		s->pend_suffered = 0;
		s->waiter = 0;
		s->waiter_group = 0;
	}
	if (!pid && waiting && waiter) {
		s->waiter = waiter;
		s->waiter_group = waiter_group;
	}
	s->state = pid ? CT_RUN : waiting ? CT_FORCED : CT_IDLE;
}

#endif
