// SPDX-License-Identifier: GPL-2.0
/*
 * napitop, kernel side: every napi:napi_poll aggregated per NAPI instance
 * and CPU (where it polled, how much work, whether the budget ran out, in
 * which context); with --netrx-time, NET_RX softirq time from
 * softirq_entry/exit (two programs a softirq, two thirds of the cost at a
 * packet a poll: by default user space reads the kernel's own softirq runs
 * and time).  The
 * CPU time of NAPI kthreads and ksoftirqd is the kernel's own too: a
 * program at every context switch cost more than all else.
 *
 * tp_btf, or raw_tp where tp_btf does not load: napi_poll's body is
 * compiled for each (plain loads in tp_btf, CO-RE probe reads in raw_tp),
 * softirq's reads nothing of the kernel's.  napi_struct differs across
 * kernels (6.1 has no irq or index; its state bits are an anonymous
 * enum): the bits are resolved from BTF by user space, fields guarded.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "napitop.h"

char LICENSE[] SEC("license") = "GPL";

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
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nt_cpu);
} cpus SEC(".maps");

/* Out: instances the map had no room for. */
__u64 lost_napis;

/*
 * A field of @p: a plain load where the program has BTF pointers (tp_btf:
 * no helper call, the cost that matters at every poll), a CO-RE probe read
 * in raw_tp.  @btf is a constant: the other branch is compiled out.
 */
#define RD(btf, p, field) ((btf) ? (p)->field : BPF_CORE_READ(p, field))

/* ksoftirqd's pid on each CPU, from user space ("ksoftirqd/N"): a poll in
 * that thread ran deferred softirq work; 0 where unknown (comm decides) */
const volatile __u32 ksoftirqd_pid[NT_MAX_CPUS];

static __always_inline bool in_ksoftirqd(struct task_struct *cur)
{
	__u32 cpu = bpf_get_smp_processor_id();
	char comm[16];

	if (cpu < NT_MAX_CPUS && ksoftirqd_pid[cpu])
		return (__u32)bpf_get_current_pid_tgid() == ksoftirqd_pid[cpu];
	BPF_CORE_READ_STR_INTO(&comm, cur, comm);
	return comm[0] == 'k' && comm[1] == 's' && comm[2] == 'o' && comm[3] == 'f';
}

static __always_inline int on_poll(struct napi_struct *napi, int work, int budget, bool btf)
{
	struct task_struct *cur = (void *)bpf_get_current_task();
	struct net_device *dev = RD(btf, napi, dev);
	struct task_struct *thread = NULL;
	struct nt_key key = {};
	struct nt_stat *s;
	unsigned int bucket;
	__u64 state;

	key.napi_id = RD(btf, napi, napi_id);
	if (!key.napi_id && dev) {
		key.ifindex = RD(btf, dev, ifindex);
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
		thread = RD(btf, napi, thread);
	state = RD(btf, napi, state);
	s->polls++;
	s->packets += work > 0 ? work : 0;
	if (budget > 0 && work >= budget)
		s->full++;
	bucket = nt_bucket(work);
	if (bucket < NT_HIST)
		s->hist[bucket]++;
	/* jiffies: it only orders the CPUs, and a clock read was 55 of the
	 * 200 ns a run the kernel timed (bench/napitop.sh) */
	s->last_tick = bpf_jiffies64();
	s->state = state;
	s->thread_pid = thread ? RD(btf, thread, pid) : 0;
	if (thread && thread == cur)
		s->modes[NT_MODE_THREADED]++;
	else if (bit_busy_poll < 64 && (state >> bit_busy_poll & 1))
		s->modes[NT_MODE_BUSY_POLL]++;
	else if (in_ksoftirqd(cur))
		s->modes[NT_MODE_KSOFTIRQD]++;
	else
		s->modes[NT_MODE_SOFTIRQ]++;
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
		c->entry_ns = 0;
	}
	return 0;
}

/* Each program twice: tp_btf, and raw_tp where that does not load. */
#define NT_PROGRAMS(kind, sfx, btf)						\
SEC(kind "/napi_poll")								\
int BPF_PROG(nt_poll_##sfx, struct napi_struct *napi, int work, int budget)	\
{										\
	return on_poll(napi, work, budget, btf);				\
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

NT_PROGRAMS("tp_btf", btf, true)
NT_PROGRAMS("raw_tp", raw, false)
