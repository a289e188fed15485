// SPDX-License-Identifier: GPL-2.0
/*
 * Yardsticks for bench/coretop.sh: what coretop's sched_switch work is
 * compared with.  tools/schedbench loads one set, chosen with
 * bpf_program__set_autoload:
 *
 *   empty    sched_switch that does nothing: the price of the hook alone
 *   runqlat  run-queue latency as libbpf-tools' runqlat measures it (no
 *            filters, one histogram): wakeups store a timestamp per pid,
 *            sched_switch turns next's into a log2 histogram slot, and
 *            stores prev's when prev is preempted while still runnable
 *
 * The runqlat set reads tasks directly, as tp_btf allows, rather than
 * with probe reads as runqlat does: the cheaper way, and so the stricter
 * yardstick.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

#define TASK_RUNNING	0
#define HIST_SLOTS	32	/* log2(us): 2^31 us and more share the last */

/* pid -> when it became runnable (ns); the size runqlat uses */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, u32);
	__type(value, u64);
} start SEC(".maps");

/* log2 slot -> how many run-queue latencies (us, as runqlat) fell in it */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIST_SLOTS);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

/* before 5.14 the field was "long state" */
struct task_struct___pre_5_14 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return BPF_CORE_READ((struct task_struct___pre_5_14 *)t, state);
}

static __always_inline u32 log2_u64(u64 v)
{
	u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	return r | (u32)(v >> 1);
}

static __always_inline void enqueued(u32 pid)
{
	u64 ts;

	if (!pid)
		return;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &pid, &ts, BPF_ANY);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sb_empty, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sb_rq_wakeup, struct task_struct *p)
{
	enqueued(p->pid);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sb_rq_wake_new, struct task_struct *p)
{
	enqueued(p->pid);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sb_rq_switch, bool preempt, struct task_struct *prev,
	     struct task_struct *next)
{
	u32 pid = next->pid, slot;
	u64 *tsp, *cnt;
	s64 delta;

	if (task_state(prev) == TASK_RUNNING)
		enqueued(prev->pid);

	tsp = bpf_map_lookup_elem(&start, &pid);
	if (!tsp)
		return 0;
	delta = bpf_ktime_get_ns() - *tsp;
	if (delta >= 0) {
		slot = log2_u64(delta / 1000);
		if (slot >= HIST_SLOTS)
			slot = HIST_SLOTS - 1;
		cnt = bpf_map_lookup_elem(&hist, &slot);
		if (cnt)
			__sync_fetch_and_add(cnt, 1);
	}
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
