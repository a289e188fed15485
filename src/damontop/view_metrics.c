// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's Prometheus metrics: the model and the status block as one
 * refresh of a metrics registry, the figures the --json line carries (the
 * latest aggregation, drops, cost) plus the heat over a fixed number of
 * address buckets.  Every series is bounded: one per family but for the
 * buckets, VIEW_METRICS_BUCKETS of them; see damontop(8), METRICS.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "view.h"

#define P "kscope_damontop_"

static void one(struct metrics *out, const char *name, enum metric_type type,
		const char *help, double value)
{
	metrics_family(out, name, type, help);
	metrics_sample(out, value, NULL);
}

static void buckets(struct metrics *out, const struct damon_model *m)
{
	struct heat_bucket b[VIEW_METRICS_BUCKETS];
	char idx[VIEW_METRICS_BUCKETS][24];
	size_t n = model_buckets(m, b, VIEW_METRICS_BUCKETS), i;

	if (!n)
		return;
	/* by index only: addresses would churn series as the axis moves and
	 * tell any reader the layout address randomization hides */
	for (i = 0; i < n; i++)
		snprintf(idx[i], sizeof(idx[i]), "%zu", i);
	metrics_family(out, P "bucket_bytes", METRIC_GAUGE,
		       "Bytes of the address bucket covered by the latest aggregation's regions");
	for (i = 0; i < n; i++)
		metrics_sample(out, b[i].bytes, "bucket", idx[i], NULL);
	metrics_family(out, P "bucket_wss_bytes", METRIC_GAUGE,
		       "Bytes of the address bucket in regions accessed in the latest aggregation");
	for (i = 0; i < n; i++)
		metrics_sample(out, b[i].wss_bytes, "bucket", idx[i], NULL);
	metrics_family(out, P "bucket_access_ratio", METRIC_GAUGE,
		       "Samples that saw an access, out of those taken, in the latest "
		       "aggregation, mean over the address bucket's bytes");
	for (i = 0; i < n; i++)
		metrics_sample(out, b[i].access_ratio, "bucket", idx[i], NULL);
}

void view_metrics(struct metrics *out, const struct damon_model *m,
		 const struct view_status *vs)
{
	const struct snapshot *s = model_latest(m);
	bool pte = vs->kind && !strcmp(vs->kind, "pte");

	metrics_family(out, P "info", METRIC_GAUGE,
		       "The source (pte, damon: a kdamond of damontop's, kdamond: one "
		       "watched), its operations and the target");
	metrics_sample(out, 1, "source", vs->kind ? vs->kind : "none",
		       "ops", vs->ops ? vs->ops : "none",
		       "target", vs->target ? vs->target : "", NULL);
	one(out, P "aggregations", METRIC_COUNTER, "Aggregations received",
	    m->total_snaps);
	one(out, P "cpu_seconds", METRIC_COUNTER,
	    "CPU time of the damontop process (user and system)", vs->cpu_ns / 1e9);
	one(out, P "cost_ratio", METRIC_GAUGE,
	    "CPU used by the damontop process over the last refresh, of one CPU",
	    vs->self_cost);
	if (vs->damon && !isnan(vs->kdamond_cost))
		one(out, P "kdamond_cpu_seconds", METRIC_COUNTER,
		    "CPU time of the kdamond (kernel DAMON) since damontop started "
		    "watching it", vs->kdamond_cpu_ns / 1e9);
	if (pte)
		one(out, P "budget_ratio", METRIC_GAUGE,
		    "The pte source's CPU budget, of one CPU (--budget)", vs->budget);
	one(out, P "ringbuf_drops", METRIC_COUNTER,
	    "Regions the ring buffer had no room for (kernel DAMON; their "
	    "aggregation is dropped whole)", pte ? 0 : vs->st.drops);
	one(out, P "lost_samples", METRIC_COUNTER,
	    "Samples the pte source lost (memory MADV_COLD refuses, pages a --scan "
	    "snapshot could not hold)", pte ? vs->st.drops : 0);
	one(out, P "model_drops", METRIC_COUNTER,
	    "Aggregations or mapping updates damontop could not keep (out of memory)",
	    vs->drops);
	if (pte)
		one(out, P "rss_bytes", METRIC_GAUGE, "Resident memory of the target",
		    vs->st.rss_bytes);
	if (s) {
		uint64_t monitored = 0;

		for (uint32_t i = 0; i < s->nr_regions; i++)
			monitored += s->regions[i].end - s->regions[i].start;
		one(out, P "wss_bytes", METRIC_GAUGE,
		    "Working set: bytes in regions accessed in the latest aggregation",
		    snapshot_wss(s));
		one(out, P "peak_wss_bytes", METRIC_GAUGE,
		    "Largest working set of an aggregation so far", m->peak_wss);
		one(out, P "monitored_bytes", METRIC_GAUGE,
		    "Bytes covered by the latest aggregation's regions", monitored);
		one(out, P "regions", METRIC_GAUGE, "Regions of the latest aggregation",
		    s->nr_regions);
		one(out, P "sample_interval_seconds", METRIC_GAUGE,
		    "Sampling interval in force for the latest aggregation", s->sample_ns / 1e9);
		one(out, P "aggregation_interval_seconds", METRIC_GAUGE,
		    "Aggregation interval in force for the latest aggregation", s->aggr_ns / 1e9);
		buckets(out, m);
	}
}
