// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's Prometheus metrics: the session's counts per rule and tier,
 * the tiers that run, verdicts, drops, processes refused and the rules'
 * disks' IO, as one refresh of a metrics registry (see session.h and
 * iofilter(8), METRICS).
 */
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "session.h"

/*
 * A rule's series at a tier: every tier that runs (its zeros say "seen
 * nothing"), and any other that counted something.
 */
static bool rule_tier_shown(const struct session *s, size_t rule, uint32_t tier)
{
	const struct iof_count *c = &s->counts[rule * IOF_NR_TIERS + tier];

	return (s->active_tiers & (1u << tier)) || c->hits || c->denied || c->sectors;
}

/* What one (rule, tier) series carries: hits, denied, or bytes. */
enum rule_figure { FIG_MATCHED, FIG_DENIED, FIG_BYTES };

static void rule_family(const struct session *s, struct metrics *m, const char *name,
			const char *help, enum rule_figure fig)
{
	char rule[24];

	metrics_family(m, name, METRIC_COUNTER, help);
	for (size_t i = 0; i < s->nr_rules; i++) {
		snprintf(rule, sizeof(rule), "%zu", i + 1);
		for (uint32_t t = 0; t < IOF_NR_TIERS; t++) {
			const struct iof_count *c = &s->counts[i * IOF_NR_TIERS + t];

			/* a device-tier hit is an open: it has no bytes; the
			 * audit tier refuses nothing */
			if (!rule_tier_shown(s, i, t) ||
			    (fig == FIG_BYTES && t == IOF_TIER_DEVICE) ||
			    (fig == FIG_DENIED && t == IOF_TIER_AUDIT))
				continue;
			metrics_sample(m, fig == FIG_MATCHED ? (double)c->hits :
				       fig == FIG_DENIED ? (double)c->denied :
				       (double)c->sectors * 512,
				       "rule", rule,
				       "action", session_action_name(s->rules[i].r.action),
				       "tier", session_tier_name(t), NULL);
		}
	}
}

/*
 * @in as a label value: a process names itself with any bytes, and a
 * label value that is not UTF-8 makes the whole scrape fail; printable
 * ASCII is kept, anything else becomes '?'.
 */
static const char *label_text(const char *in, size_t max, char *buf, size_t len)
{
	size_t n = 0;

	for (; n < max && in[n] && n + 1 < len; n++)
		buf[n] = in[n] >= 0x20 && in[n] < 0x7f ? in[n] : '?';
	buf[n] = '\0';
	return buf;
}

struct comm_total {
	char comm[16];
	uint64_t denied;
};

static int comm_total_cmp(const void *a, const void *b)
{
	const struct comm_total *x = a, *y = b;

	if (x->denied != y->denied)
		return x->denied < y->denied ? 1 : -1;
	return strcmp(x->comm, y->comm);
}

/* Refusals per process name, most first, of the processes kept. */
static size_t comm_totals(const struct session *s, struct comm_total *out)
{
	size_t n = 0, j;

	for (size_t i = 0; i < s->nr_procs; i++) {
		char comm[sizeof(out->comm)];

		label_text(s->procs[i].comm, sizeof(s->procs[i].comm), comm, sizeof(comm));
		for (j = 0; j < n; j++)
			if (!strcmp(out[j].comm, comm))
				break;
		if (j == n) {
			memcpy(out[n].comm, comm, sizeof(out[n].comm));
			out[n++].denied = 0;
		}
		out[j].denied += s->procs[i].denied;
	}
	qsort(out, n, sizeof(*out), comm_total_cmp);
	return n;
}

void session_metrics(const struct session *s, const struct session_disk *disks,
		     size_t nr_disks, struct metrics *m)
{
	static const char *const op_label[2] = { "read", "write" };
	struct comm_total comms[SESSION_PROCS];
	char rule[24], tiers[64], text[sizeof(s->rules->text)];
	size_t nr_comms;

	metrics_family(m, "kscope_iofilter_rule_info", METRIC_GAUGE,
		       "A rule (numbered as on the start-up line): its action, disk, "
		       "enforcing tiers and text; always 1");
	for (size_t i = 0; i < s->nr_rules; i++) {
		const struct session_rule *r = &s->rules[i];

		snprintf(rule, sizeof(rule), "%zu", i + 1);
		metrics_sample(m, 1, "rule", rule, "action", session_action_name(r->r.action),
			       "device", r->dev_name,
			       "tiers", session_tiers_text(r->r.tiers, tiers, sizeof(tiers)),
			       "text", label_text(r->text, sizeof(r->text), text, sizeof(text)),
			       NULL);
	}
	metrics_family(m, "kscope_iofilter_tier_active", METRIC_GAUGE,
		       "1 when the tier's programs run, 0 when not");
	for (uint32_t t = 0; t < IOF_NR_TIERS; t++)
		metrics_sample(m, s->active_tiers & (1u << t) ? 1 : 0,
			       "tier", session_tier_name(t), NULL);
	rule_family(s, m, "kscope_iofilter_ios_matched",
		    "IOs the rule decided at the tier: bios (bio, audit), write calls "
		    "(lsm, kill), write opens (device)", FIG_MATCHED);
	rule_family(s, m, "kscope_iofilter_ios_denied",
		    "IOs the rule refused at the tier", FIG_DENIED);
	rule_family(s, m, "kscope_iofilter_matched_bytes",
		    "Bytes of the IOs the rule decided at the tier (0 for an IO of unknown "
		    "size)", FIG_BYTES);
	metrics_family(m, "kscope_iofilter_verdicts", METRIC_COUNTER,
		       "Verdicts received from the kernel (one --json line each)");
	metrics_sample(m, (double)s->events, NULL);
	metrics_family(m, "kscope_iofilter_ringbuf_drops", METRIC_COUNTER,
		       "Verdicts lost: the ring buffer had no room (the counts still have them)");
	metrics_sample(m, (double)s->drops, NULL);
	metrics_family(m, "kscope_iofilter_processes_refused", METRIC_GAUGE,
		       "Processes refused at least once (counted up to 64)");
	metrics_sample(m, (double)s->nr_procs, NULL);
	nr_comms = comm_totals(s, comms);
	metrics_family(m, "kscope_iofilter_comm_ios_denied", METRIC_COUNTER,
		       "Refusals by process name, the 10 names most refused (of the first "
		       "64 processes refused)");
	for (size_t i = 0; i < nr_comms && i < SESSION_METRICS_COMMS; i++)
		metrics_sample(m, (double)comms[i].denied, "comm", comms[i].comm, NULL);
	metrics_family(m, "kscope_iofilter_device_ios", METRIC_COUNTER,
		       "IOs a rule's disk completed since iofilter started (kernel block stats)");
	for (size_t i = 0; i < nr_disks; i++)
		for (int d = 0; d < 2; d++)
			metrics_sample(m, (double)disks[i].ios[d], "device", disks[i].name,
				       "op", op_label[d], NULL);
	metrics_family(m, "kscope_iofilter_device_bytes", METRIC_COUNTER,
		       "Bytes a rule's disk read or wrote since iofilter started (kernel "
		       "block stats)");
	for (size_t i = 0; i < nr_disks; i++)
		for (int d = 0; d < 2; d++)
			metrics_sample(m, (double)disks[i].bytes[d], "device", disks[i].name,
				       "op", op_label[d], NULL);
}
