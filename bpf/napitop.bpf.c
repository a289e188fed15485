// SPDX-License-Identifier: GPL-2.0
/*
 * napitop, kernel side: every napi:napi_poll aggregated per NAPI instance
 * and CPU (where it polled, how much work, whether the budget ran out, in
 * which context), the CPU time of NAPI kthreads and ksoftirqd from
 * sched_switch, and NET_RX softirq time from softirq_entry/exit.
 *
 * tp_btf, or raw_tp where tp_btf does not load: the bodies read through
 * CO-RE probe reads, valid in both.  napi_struct differs across kernels
 * (6.1 has no irq or index; its state bits are an anonymous enum): the
 * bits are resolved from BTF by user space, fields guarded here.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "napitop.h"

char LICENSE[] SEC("license") = "GPL";

#define PF_KTHREAD	0x00200000
#define NET_RX_SOFTIRQ	3

/* Set by user space: state bit numbers from BTF, NT_NO_BIT if absent. */
const volatile __u32 bit_busy_poll = NT_NO_BIT;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nt_key);
	__type(value, struct nt_stat);
} napis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct nt_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_cpu);
} cpus SEC(".maps");

/* Out: instances and threads the maps had no room for. */
__u64 lost_napis, lost_threads;

/* "napi/..." or "ksoftirqd/...": the threads whose CPU time we keep */
static __always_inline bool polling_thread(const char *comm)
{
	return (comm[0] == 'n' && comm[1] == 'a' && comm[2] == 'p' && comm[3] == 'i' &&
		comm[4] == '/') ||
	       (comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f' &&
		comm[4] == 't' && comm[5] == 'i' && comm[6] == 'r' && comm[7] == 'q');
}

static __always_inline int on_poll(struct napi_struct *napi, int work, int budget)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct net_device *dev = BPF_CORE_READ(napi, dev);
	struct task_struct *thread = NULL;
	struct nt_key key = {};
	struct nt_stat *s;
	unsigned int bucket;
	char comm[16];
	__u64 state;

	key.napi_id = BPF_CORE_READ(napi, napi_id);
	if (!key.napi_id && dev) {
		key.ifindex = BPF_CORE_READ(dev, ifindex);
		key.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
	}
	s = bpf_map_lookup_elem(&napis, &key);
	if (!s) {
		struct nt_stat fresh = {};

		if (dev) {
			bpf_probe_read_kernel_str(fresh.dev, sizeof(fresh.dev), dev->name);
			fresh.ifindex = BPF_CORE_READ(dev, ifindex);
			fresh.netns = BPF_CORE_READ(dev, nd_net.net, ns.inum);
		}
		fresh.weight = BPF_CORE_READ(napi, weight);
		if (bpf_map_update_elem(&napis, &key, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&napis, &key)) {
			__sync_fetch_and_add(&lost_napis, 1);
			return 0;
		}
		s = bpf_map_lookup_elem(&napis, &key);
		if (!s)
			return 0;
	}
	if (bpf_core_field_exists(napi->thread))
		thread = BPF_CORE_READ(napi, thread);
	state = BPF_CORE_READ(napi, state);
	s->polls++;
	s->packets += work > 0 ? work : 0;
	if (budget > 0 && work >= budget)
		s->full++;
	bucket = nt_bucket(work);
	if (bucket < NT_HIST)
		s->hist[bucket]++;
	s->last_ns = bpf_ktime_get_ns();
	s->state = state;
	s->thread_pid = thread ? BPF_CORE_READ(thread, pid) : 0;
	if (thread && thread == cur) {
		s->modes[NT_MODE_THREADED]++;
	} else if (bit_busy_poll < 64 && (state >> bit_busy_poll & 1)) {
		s->modes[NT_MODE_BUSY_POLL]++;
	} else {
		BPF_CORE_READ_STR_INTO(&comm, cur, comm);
		if (comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f')
			s->modes[NT_MODE_KSOFTIRQD]++;
		else
			s->modes[NT_MODE_SOFTIRQ]++;
	}
	return 0;
}

/* The CPU time of the thread leaving, if it polls for NAPI. */
static __always_inline int on_switch(struct task_struct *prev)
{
	__u64 now = bpf_ktime_get_ns(), ran;
	struct nt_thread *t;
	struct nt_cpu *c;
	__u32 zero = 0, pid;
	char comm[16];

	c = bpf_map_lookup_elem(&cpus, &zero);
	if (!c)
		return 0;
	ran = c->last_switch_ns ? now - c->last_switch_ns : 0;
	c->last_switch_ns = now;
	if (!ran || !(BPF_CORE_READ(prev, flags) & PF_KTHREAD))
		return 0;
	BPF_CORE_READ_STR_INTO(&comm, prev, comm);
	if (!polling_thread(comm))
		return 0;
	pid = BPF_CORE_READ(prev, pid);
	t = bpf_map_lookup_elem(&threads, &pid);
	if (!t) {
		struct nt_thread fresh = {};

		__builtin_memcpy(fresh.comm, comm, sizeof(comm));
		if (bpf_map_update_elem(&threads, &pid, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&threads, &pid)) {
			__sync_fetch_and_add(&lost_threads, 1);
			return 0;
		}
		t = bpf_map_lookup_elem(&threads, &pid);
		if (!t)
			return 0;
	}
	/* a thread runs on one CPU at a time, but a reader may look */
	__sync_fetch_and_add(&t->run_ns, ran);
	__sync_fetch_and_add(&t->switches, 1);
	return 0;
}

static __always_inline int on_softirq(unsigned int vec, bool entry)
{
	struct nt_cpu *c;
	__u32 zero = 0;

	if (vec != NET_RX_SOFTIRQ)
		return 0;
	c = bpf_map_lookup_elem(&cpus, &zero);
	if (!c)
		return 0;
	if (entry) {
		c->entry_ns = bpf_ktime_get_ns();
	} else if (c->entry_ns) {
		c->netrx_ns += bpf_ktime_get_ns() - c->entry_ns;
		c->netrx_count++;
		c->entry_ns = 0;
	}
	return 0;
}

/* Each program twice: tp_btf, and raw_tp where that does not load. */
#define NT_PROGRAMS(kind, sfx)							\
SEC(kind "/napi_poll")								\
int BPF_PROG(nt_poll_##sfx, struct napi_struct *napi, int work, int budget)	\
{										\
	return on_poll(napi, work, budget);					\
}										\
SEC(kind "/sched_switch")							\
int BPF_PROG(nt_switch_##sfx, bool preempt, struct task_struct *prev)		\
{										\
	return on_switch(prev);							\
}										\
SEC(kind "/softirq_entry")							\
int BPF_PROG(nt_sirq_in_##sfx, unsigned int vec)				\
{										\
	return on_softirq(vec, true);						\
}										\
SEC(kind "/softirq_exit")							\
int BPF_PROG(nt_sirq_out_##sfx, unsigned int vec)				\
{										\
	return on_softirq(vec, false);						\
}

NT_PROGRAMS("tp_btf", btf)
NT_PROGRAMS("raw_tp", raw)
