// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's "damon" source, kernel side: every damon:damon_aggregated
 * event of one kdamond into a ring buffer, one record per region, so that
 * user space rebuilds each aggregation's snapshot without polling sysfs.
 *
 * The classic tracepoint, read with CO-RE: its BTF arguments changed
 * between kernels (6.1 passes the context first, 6.18 does not) while the
 * trace record kept its field names.  The record names no kdamond: the
 * current task is the kdamond, so its pid is the filter.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "damon.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);	/* user space sizes it before load */
} events SEC(".maps");

/* Set by user space: the watched kdamond's pid (0: none yet, drop all) and
 * the one target index shown. */
__u32 kdamond_pid;
__u32 target_index;

/* Out: regions the ring buffer had no room for. */
__u64 dropped;

SEC("tracepoint/damon/damon_aggregated")
int damon_aggr(struct trace_event_raw_damon_aggregated *ctx)
{
	struct damon_event *e;
	__u32 target = BPF_CORE_READ(ctx, target_id);

	if (!kdamond_pid || bpf_get_current_pid_tgid() >> 32 != kdamond_pid ||
	    target != target_index)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return 0;
	}
	e->ts = bpf_ktime_get_ns();
	e->target_id = target;
	e->nr_regions = BPF_CORE_READ(ctx, nr_regions);
	e->start = BPF_CORE_READ(ctx, start);
	e->end = BPF_CORE_READ(ctx, end);
	e->nr_accesses = BPF_CORE_READ(ctx, nr_accesses);
	e->age = BPF_CORE_READ(ctx, age);
	bpf_ringbuf_submit(e, 0);
	return 0;
}
