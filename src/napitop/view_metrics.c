// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's Prometheus metrics: one refresh of a session as families and
 * samples, the instances present (at most NT_METRICS_INSTANCES), per CPU
 * figures and the NAPI threads.
 */
#include <stdio.h>

#include "metrics.h"
#include "session.h"
#include "tune.h"

/* An instance exported: its labels device, napi_id and netns (as text). */
struct inst_series {
	const struct nt_instance *in;
	char id[16], netns[16];
};

#define INST_SAMPLE(m, v, is, ...) metrics_sample(m, v, "device", (is)->in->dev,	\
	"napi_id", (is)->id, "netns", (is)->netns, ##__VA_ARGS__, NULL)

/* The netdev family's word, where it says: the configuration, and a few
 * queue counters (summed over the instance's queues) by "stat". */
static void config_metrics(struct metrics *m, const struct inst_series *is, size_t nr)
{
	static const struct {
		enum tune_attr a;
		const char *name, *help;
		double scale;
	} conf[] = {
		{ TUNE_DEFER_HARD_IRQS, "kscope_napitop_defer_hard_irqs",
		  "Polls that keep the interrupt masked after one that found no work", 1 },
		{ TUNE_GRO_FLUSH_TIMEOUT, "kscope_napitop_gro_flush_timeout_seconds",
		  "How long a poll may hold GRO packets with the interrupt off", 1e-9 },
		{ TUNE_IRQ_SUSPEND_TIMEOUT, "kscope_napitop_irq_suspend_timeout_seconds",
		  "How long busy polling may suspend the interrupt", 1e-9 },
	};
	static const enum netdev_qstat stats[] = {
		NETDEV_QSTAT_RX_PACKETS, NETDEV_QSTAT_RX_BYTES, NETDEV_QSTAT_TX_PACKETS,
		NETDEV_QSTAT_TX_BYTES, NETDEV_QSTAT_RX_ALLOC_FAIL, NETDEV_QSTAT_RX_HW_DROPS,
	};

	for (size_t c = 0; c < sizeof(conf) / sizeof(conf[0]); c++) {
		metrics_family(m, conf[c].name, METRIC_GAUGE, conf[c].help);
		for (size_t i = 0; i < nr; i++) {
			int64_t v = tune_get(&is[i].in->info.conf, conf[c].a);

			if (v >= 0)
				INST_SAMPLE(m, v * conf[c].scale, &is[i]);
		}
	}
	metrics_family(m, "kscope_napitop_queue_stats", METRIC_COUNTER,
		       "The driver's counters of the instance's queues (qstats), by stat");
	for (size_t i = 0; i < nr; i++)
		for (size_t k = 0; k < sizeof(stats) / sizeof(stats[0]); k++)
			if (is[i].in->info.qstats[stats[k]] != UINT64_MAX)
				INST_SAMPLE(m, is[i].in->info.qstats[stats[k]], &is[i], "stat",
					    netdev_qstat_names[stats[k]]);
}

static void instance_metrics(struct metrics *m, const struct nt_session *s,
			     const struct nt_dev *devs, size_t nr_devs)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "kscope_napitop_polls", "NAPI polls", offsetof(struct nt_stat, polls) },
		{ "kscope_napitop_packets", "Packets (work) handled by the polls",
		  offsetof(struct nt_stat, packets) },
		{ "kscope_napitop_budget_exhausted",
		  "Polls that used their whole budget (the instance is polled again)",
		  offsetof(struct nt_stat, full) },
	};
	struct inst_series is[NT_METRICS_INSTANCES];
	size_t nr = 0;

	for (size_t i = 0; i < s->nr_inst && nr < NT_METRICS_INSTANCES; i++) {
		const struct nt_instance *in = &s->inst[i];

		if (!in->present || !nt_instance_matches(in, devs, nr_devs))
			continue;
		is[nr].in = in;
		snprintf(is[nr].id, sizeof(is[nr].id), "%u", in->key.napi_id);
		snprintf(is[nr].netns, sizeof(is[nr].netns), "%u", in->netns);
		nr++;
	}
	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		metrics_family(m, counters[c].name, METRIC_COUNTER, counters[c].help);
		for (size_t i = 0; i < nr; i++)
			INST_SAMPLE(m, *(const uint64_t *)((const char *)&is[i].in->total +
							   counters[c].off), &is[i]);
	}
	metrics_family(m, "kscope_napitop_polls_by_context", METRIC_COUNTER,
		       "Polls by where they ran: softirq, ksoftirqd, threaded, busy-poll");
	for (size_t i = 0; i < nr; i++)
		for (unsigned int md = 0; md < NT_NR_MODES; md++)
			INST_SAMPLE(m, is[i].in->total.modes[md], &is[i],
				    "context", nt_mode_name(md));
	metrics_family(m, "kscope_napitop_kthread_cpu_seconds", METRIC_COUNTER,
		       "CPU time of the instance's napi/ kthread (threaded NAPI)");
	for (size_t i = 0; i < nr; i++)
		if (is[i].in->thread_pid)
			INST_SAMPLE(m, is[i].in->kthread_ns / 1e9, &is[i]);
	metrics_family(m, "kscope_napitop_budget", METRIC_GAUGE,
		       "The budget (weight) a poll of the instance gets");
	for (size_t i = 0; i < nr; i++)
		INST_SAMPLE(m, is[i].in->total.weight, &is[i]);
	config_metrics(m, is, nr);
}

void nt_session_metrics(struct metrics *m, const struct nt_session *s,
			const struct nt_dev *devs, size_t nr_devs)
{
	static const struct {
		const char *name, *help;
		double unit;		/* of the count: ns to seconds */
	} cpu_families[] = {
		{ "kscope_napitop_netrx_softirq_seconds",
		  "Time in the NET_RX softirq (napitop --netrx-time)", 1e9 },
		{ "kscope_napitop_netrx_softirqs", "NET_RX softirq runs (/proc/softirqs)", 1 },
		{ "kscope_napitop_softirq_seconds", "Time in softirqs, every vector (/proc/stat; "
		  "sampled at ticks unless the kernel accounts IRQ time)", 1e9 },
		{ "kscope_napitop_softnet_processed", "Packets processed (softnet_stat)", 1 },
		{ "kscope_napitop_softnet_dropped",
		  "Packets dropped, backlog full (softnet_stat)", 1 },
		{ "kscope_napitop_softnet_time_squeeze",
		  "NET_RX runs out of budget or time (softnet_stat)", 1 },
	};
	bool timed = nt_netrx_timed(s);
	char cpu[16];

	instance_metrics(m, s, devs, nr_devs);
	for (size_t f = timed ? 0 : 1; f < sizeof(cpu_families) / sizeof(cpu_families[0]); f++) {
		metrics_family(m, cpu_families[f].name, METRIC_COUNTER, cpu_families[f].help);
		for (unsigned int c = 0; c < s->ncpu; c++) {
			const struct nt_cpu_figures *fg = &s->cpu[c];
			const uint64_t v[] = { fg->netrx_ns, fg->netrx_count, fg->softirq_ns,
					       fg->softnet.processed, fg->softnet.dropped,
					       fg->softnet.time_squeeze };

			if (v[f] == NT_UNKNOWN)
				continue;
			snprintf(cpu, sizeof(cpu), "%u", c);
			metrics_sample(m, v[f] / cpu_families[f].unit, "cpu", cpu, NULL);
		}
	}
	metrics_family(m, "kscope_napitop_thread_cpu_seconds", METRIC_COUNTER,
		       "CPU time of NAPI kthreads and ksoftirqd, by name");
	for (size_t i = 0; i < s->nr_threads; i++) {
		char comm[17];

		snprintf(comm, sizeof(comm), "%.16s", s->threads[i].t.comm);
		metrics_sample(m, s->threads[i].t.run_ns / 1e9, "comm", comm, NULL);
	}
	metrics_family(m, "kscope_napitop_lost_entries", METRIC_COUNTER,
		       "Instances or threads not counted: the kernel-side map was full");
	metrics_sample(m, s->lost_napis, "map", "napis", NULL);
	metrics_sample(m, s->lost_threads, "map", "threads", NULL);
}
