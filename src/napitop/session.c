// SPDX-License-Identifier: GPL-2.0
/*
 * A napitop session: snapshots in; rates, histories, JSON and text out;
 * the session file read back.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "jsonfields.h"
#include "metrics.h"
#include "session.h"

static const char *const mode_names[NT_NR_MODES] = {
	[NT_MODE_SOFTIRQ] = "softirq", [NT_MODE_KSOFTIRQD] = "ksoftirqd",
	[NT_MODE_THREADED] = "threaded", [NT_MODE_BUSY_POLL] = "busy-poll",
};

/* An nt_stat's counters by name (the session file, --json). */
static const struct json_field stat_fields[] = {
	{ "polls", offsetof(struct nt_stat, polls) },
	{ "packets", offsetof(struct nt_stat, packets) },
	{ "full", offsetof(struct nt_stat, full) },
};

const char *nt_mode_name(enum nt_mode m)
{
	return m < NT_NR_MODES ? mode_names[m] : "?";
}

int nt_session_init(struct nt_session *s, unsigned int ncpu, const char *kind)
{
	memset(s, 0, sizeof(*s));
	s->ncpu = ncpu;
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->cpu = calloc(ncpu ? ncpu : 1, sizeof(*s->cpu));
	return s->cpu ? 0 : -ENOMEM;
}

void nt_session_free(struct nt_session *s)
{
	for (size_t i = 0; i < s->nr_inst; i++) {
		free(s->inst[i].cpu_polls);
		free(s->inst[i].cpu_last);
	}
	free(s->inst);
	free(s->cpu);
	free(s->threads);
	memset(s, 0, sizeof(*s));
}

static struct nt_instance *instance(struct nt_session *s, const struct nt_key *key)
{
	struct nt_instance *grown, *in;

	for (size_t i = 0; i < s->nr_inst; i++)
		if (!memcmp(&s->inst[i].key, key, sizeof(*key)))
			return &s->inst[i];
	grown = realloc(s->inst, (s->nr_inst + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->inst = grown;
	in = &grown[s->nr_inst];
	memset(in, 0, sizeof(*in));
	in->key = *key;
	in->irq = -1;
	in->cpu_polls = calloc(s->ncpu, sizeof(*in->cpu_polls));
	in->cpu_last = calloc(s->ncpu, sizeof(*in->cpu_last));
	if (!in->cpu_polls || !in->cpu_last) {
		free(in->cpu_polls);
		free(in->cpu_last);
		return NULL;
	}
	s->nr_inst++;
	return in;
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

/* @to = @now - @before, counter by counter (a reset counts from zero). */
static void stat_delta(struct nt_stat *to, const struct nt_stat *now, const struct nt_stat *before)
{
	to->polls = delta(now->polls, before->polls);
	to->packets = delta(now->packets, before->packets);
	to->full = delta(now->full, before->full);
	for (int i = 0; i < NT_HIST; i++)
		to->hist[i] = delta(now->hist[i], before->hist[i]);
	for (int i = 0; i < NT_NR_MODES; i++)
		to->modes[i] = delta(now->modes[i], before->modes[i]);
}

static void add_stat(struct nt_stat *to, const struct nt_stat *from)
{
	to->polls += from->polls;
	to->packets += from->packets;
	to->full += from->full;
	for (int i = 0; i < NT_HIST; i++)
		to->hist[i] += from->hist[i];
	for (int i = 0; i < NT_NR_MODES; i++)
		to->modes[i] += from->modes[i];
	/* the newest CPU's view of the instance */
	if (from->last_ns >= to->last_ns) {
		to->last_ns = from->last_ns;
		to->state = from->state;
		to->thread_pid = from->thread_pid;
	}
	if (from->weight)
		to->weight = from->weight;
	if (from->dev[0])
		memcpy(to->dev, from->dev, sizeof(to->dev));
	if (from->ifindex) {
		to->ifindex = from->ifindex;
		to->netns = from->netns;
	}
}

static uint64_t thread_ns(const struct nt_snapshot *snap, uint32_t pid)
{
	for (size_t i = 0; pid && i < snap->nr_threads; i++)
		if (snap->threads[i].pid == pid)
			return snap->threads[i].t.run_ns;
	return 0;
}

static void update_instances(struct nt_session *s, const struct nt_snapshot *snap, double dt)
{
	for (size_t i = 0; i < s->nr_inst; i++)
		s->inst[i].present = false;
	for (size_t i = 0; i < snap->nr_napis; i++) {
		const struct nt_napi_row *r = &snap->napis[i];
		struct nt_instance *in = instance(s, &r->key);
		struct nt_stat sum = {};
		uint64_t kns;

		if (!in)
			continue;
		for (unsigned int c = 0; c < snap->ncpu && c < s->ncpu; c++) {
			add_stat(&sum, &r->cpu[c]);
			in->cpu_last[c] = delta(r->cpu[c].polls, in->cpu_polls[c]);
			in->cpu_polls[c] = r->cpu[c].polls;
		}
		stat_delta(&in->last, &sum, &in->total);
		in->total = sum;
		in->state = sum.state;
		in->thread_pid = sum.thread_pid;
		if (sum.ifindex) {
			in->ifindex = sum.ifindex;
			in->netns = sum.netns;
		}
		in->present = true;
		if (sum.dev[0])
			snprintf(in->dev, sizeof(in->dev), "%s", sum.dev);
		else if (!r->key.napi_id && !r->key.ifindex)
			snprintf(in->dev, sizeof(in->dev), "backlog");
		kns = thread_ns(snap, in->thread_pid);
		in->kthread_cpu = dt > 0 && kns >= in->kthread_ns ? (kns - in->kthread_ns) / dt : 0;
		in->kthread_ns = kns;
	}
	for (size_t i = 0; i < s->nr_inst; i++) {
		struct nt_instance *in = &s->inst[i];

		if (!in->present) {
			memset(&in->last, 0, sizeof(in->last));
			memset(in->cpu_last, 0, s->ncpu * sizeof(*in->cpu_last));
			in->kthread_cpu = 0;
		}
		in->polls_hist[s->hist_next] = dt > 0 ? in->last.polls * 1e9 / dt : NAN;
		in->packets_hist[s->hist_next] = dt > 0 ? in->last.packets * 1e9 / dt : NAN;
	}
}

static void update_cpus(struct nt_session *s, const struct nt_snapshot *snap,
			const struct softnet_cpu *sn, size_t nr_sn, double dt)
{
	for (unsigned int c = 0; c < snap->ncpu && c < s->ncpu; c++) {
		struct nt_cpu_figures *f = &s->cpu[c];
		uint64_t ns = snap->cpus[c].netrx_ns;

		f->netrx_share = dt > 0 ? delta(ns, f->netrx_ns) / dt : NAN;
		f->netrx_ns = ns;
		f->netrx_count = snap->cpus[c].netrx_count;
	}
	for (size_t i = 0; sn && i < nr_sn; i++) {
		struct nt_cpu_figures *f;

		if (sn[i].cpu >= s->ncpu)
			continue;
		f = &s->cpu[sn[i].cpu];
		f->squeeze_last = s->refreshes ? delta(sn[i].time_squeeze, f->softnet.time_squeeze) : 0;
		f->dropped_last = s->refreshes ? delta(sn[i].dropped, f->softnet.dropped) : 0;
		f->softnet = sn[i];
	}
}

void nt_session_update(struct nt_session *s, struct nt_snapshot *snap,
		       const struct softnet_cpu *sn, size_t nr_sn)
{
	double dt = s->time_ns && snap->time_ns > s->time_ns ? snap->time_ns - s->time_ns : 0;

	if (!s->start_ns)
		s->start_ns = snap->time_ns;
	s->interval_ns = dt;
	s->time_ns = snap->time_ns;
	update_instances(s, snap, dt);
	update_cpus(s, snap, sn, nr_sn, dt);
	s->hist_next = (s->hist_next + 1) % NT_HISTORY;
	if (s->hist_len < NT_HISTORY)
		s->hist_len++;
	free(s->threads);
	s->threads = snap->threads;
	s->nr_threads = snap->nr_threads;
	snap->threads = NULL;
	snap->nr_threads = 0;
	s->lost_napis = snap->lost_napis;
	s->lost_threads = snap->lost_threads;
	s->refreshes++;
	nt_snapshot_free(snap);
}

double nt_rate(const struct nt_session *s, uint64_t count)
{
	return s->interval_ns ? count * 1e9 / s->interval_ns : NAN;
}

double nt_per_poll(const struct nt_stat *st)
{
	return st->polls ? (double)st->packets / st->polls : NAN;
}

double nt_full_share(const struct nt_stat *st)
{
	return st->polls ? (double)st->full / st->polls : NAN;
}

enum nt_mode nt_main_mode(const struct nt_instance *in)
{
	const struct nt_stat *st = in->last.polls ? &in->last : &in->total;
	enum nt_mode best = NT_MODE_SOFTIRQ;

	for (int m = 1; m < NT_NR_MODES; m++)
		if (st->modes[m] > st->modes[best])
			best = m;
	return best;
}

const char *nt_cpu_list(const struct nt_session *s, const struct nt_instance *in, char *buf,
			size_t len)
{
	const uint64_t *polls = in->last.polls ? in->cpu_last : in->cpu_polls;
	size_t n = 0;

	buf[0] = 0;
	for (unsigned int c = 0; c < s->ncpu && n < len; c++) {
		unsigned int e = c;

		if (!polls[c])
			continue;
		while (e + 1 < s->ncpu && polls[e + 1])
			e++;
		n += snprintf(buf + n, len - n, n ? ",%u" : "%u", c);
		if (e > c && n < len)
			n += snprintf(buf + n, len - n, "-%u", e);
		c = e;
	}
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

const char *nt_instance_name(const struct nt_instance *in, char *buf, size_t len)
{
	if (in->key.napi_id)
		snprintf(buf, len, "%u", in->key.napi_id);
	else
		snprintf(buf, len, "-");
	return buf;
}

bool nt_instance_matches(const struct nt_instance *in, const struct nt_dev *devs, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(in->dev, devs[i].name) &&
		    (!devs[i].ifindex || devs[i].ifindex == in->ifindex) &&
		    (!devs[i].netns || devs[i].netns == in->netns))
			return true;
	return nr == 0;
}

/* --- JSON ---------------------------------------------------------------- */

static struct json_object *u64_array(const __u64 *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

static struct json_object *instance_json(const struct nt_session *s, const struct nt_instance *in)
{
	struct json_object *o = json_object_new_object(), *cpus = json_object_new_array();
	char buf[256];

	json_object_object_add(o, "dev", json_object_new_string(in->dev));
	json_put_u64(o, "napi_id", in->key.napi_id);
	json_put_u64(o, "ifindex", in->ifindex);
	json_put_u64(o, "netns", in->netns);
	json_object_object_add(o, "mode", json_object_new_string(nt_mode_name(nt_main_mode(in))));
	json_put_u64(o, "thread_pid", in->thread_pid);
	json_put_u64(o, "state", in->state);
	json_put_u64(o, "weight", in->total.weight);
	if (in->irq >= 0)
		json_put_u64(o, "irq", in->irq);
	json_put_fields(o, &in->total, stat_fields, JSON_FIELDS(stat_fields));
	json_object_object_add(o, "hist", u64_array(in->total.hist, NT_HIST));
	json_object_object_add(o, "modes", u64_array(in->total.modes, NT_NR_MODES));
	json_put_u64(o, "kthread_ns", in->kthread_ns);
	for (unsigned int c = 0; c < s->ncpu; c++) {
		struct json_object *co;

		if (!in->cpu_polls[c])
			continue;
		co = json_object_new_object();
		json_put_u64(co, "cpu", c);
		json_put_u64(co, "polls", in->cpu_polls[c]);
		json_object_array_add(cpus, co);
	}
	json_object_object_add(o, "cpus", cpus);
	/* the last interval */
	if (s->interval_ns) {
		json_object_object_add(o, "polls_per_s",
				       json_object_new_double(round(nt_rate(s, in->last.polls))));
		json_object_object_add(o, "packets_per_s",
				       json_object_new_double(round(nt_rate(s, in->last.packets))));
		json_put_pct(o, "full_pct", nt_full_share(&in->last));
		json_put_pct(o, "kthread_cpu_pct", in->kthread_cpu);
		json_object_object_add(o, "polled_on", json_object_new_string(
			nt_cpu_list(s, in, buf, sizeof(buf))));
	}
	return o;
}

void nt_session_json(FILE *out, const struct nt_session *s, const struct nt_dev *devs,
		     size_t nr_devs)
{
	struct json_object *o = json_object_new_object(), *a, *lost;

	json_put_u64(o, "time_ns", s->time_ns);
	json_object_object_add(o, "elapsed_s", json_object_new_double(
		(s->time_ns - s->start_ns) / 1e9));
	a = json_object_new_array();
	for (size_t i = 0; i < s->nr_inst; i++)
		if (nt_instance_matches(&s->inst[i], devs, nr_devs))
			json_object_array_add(a, instance_json(s, &s->inst[i]));
	json_object_object_add(o, "napis", a);
	a = json_object_new_array();
	for (size_t i = 0; i < s->nr_threads; i++) {
		struct json_object *t = json_object_new_object();

		json_put_u64(t, "pid", s->threads[i].pid);
		json_object_object_add(t, "comm", json_object_new_string_len(
			s->threads[i].t.comm, strnlen(s->threads[i].t.comm, 16)));
		json_put_u64(t, "run_ns", s->threads[i].t.run_ns);
		json_put_u64(t, "switches", s->threads[i].t.switches);
		json_object_array_add(a, t);
	}
	json_object_object_add(o, "threads", a);
	a = json_object_new_array();
	for (unsigned int c = 0; c < s->ncpu; c++) {
		const struct nt_cpu_figures *f = &s->cpu[c];
		struct json_object *co = json_object_new_object();

		json_put_u64(co, "cpu", c);
		json_put_u64(co, "netrx_ns", f->netrx_ns);
		json_put_u64(co, "netrx_count", f->netrx_count);
		json_put_pct(co, "netrx_pct", f->netrx_share);
		json_put_u64(co, "processed", f->softnet.processed);
		json_put_u64(co, "dropped", f->softnet.dropped);
		json_put_u64(co, "time_squeeze", f->softnet.time_squeeze);
		json_object_array_add(a, co);
	}
	json_object_object_add(o, "cpus", a);
	lost = json_object_new_object();
	json_put_u64(lost, "napis", s->lost_napis);
	json_put_u64(lost, "threads", s->lost_threads);
	json_object_object_add(o, "lost", lost);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* --- metrics ------------------------------------------------------------- */

/* An instance exported: its labels device, napi_id and netns (as text). */
struct inst_series {
	const struct nt_instance *in;
	char id[16], netns[16];
};

#define INST_SAMPLE(m, v, is, ...) metrics_sample(m, v, "device", (is)->in->dev,	\
	"napi_id", (is)->id, "netns", (is)->netns, ##__VA_ARGS__, NULL)

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
}

void nt_session_metrics(struct metrics *m, const struct nt_session *s,
			const struct nt_dev *devs, size_t nr_devs)
{
	static const struct {
		const char *name, *help;
	} cpu_families[] = {
		{ "kscope_napitop_netrx_softirq_seconds", "Time in the NET_RX softirq" },
		{ "kscope_napitop_netrx_softirqs", "NET_RX softirq runs" },
		{ "kscope_napitop_softnet_processed", "Packets processed (softnet_stat)" },
		{ "kscope_napitop_softnet_dropped",
		  "Packets dropped, backlog full (softnet_stat)" },
		{ "kscope_napitop_softnet_time_squeeze",
		  "NET_RX runs out of budget or time (softnet_stat)" },
	};
	char cpu[16];

	instance_metrics(m, s, devs, nr_devs);
	for (size_t f = 0; f < sizeof(cpu_families) / sizeof(cpu_families[0]); f++) {
		metrics_family(m, cpu_families[f].name, METRIC_COUNTER, cpu_families[f].help);
		for (unsigned int c = 0; c < s->ncpu; c++) {
			const struct nt_cpu_figures *fg = &s->cpu[c];
			const double v[] = { fg->netrx_ns / 1e9, fg->netrx_count,
					     fg->softnet.processed, fg->softnet.dropped,
					     fg->softnet.time_squeeze };

			snprintf(cpu, sizeof(cpu), "%u", c);
			metrics_sample(m, v[f], "cpu", cpu, NULL);
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

/* --- text ---------------------------------------------------------------- */

/* A figure in @width columns, "-" when there is none. */
static const char *num(char *buf, size_t len, int width, int prec, double v)
{
	if (isnan(v) || v < 0)
		snprintf(buf, len, "%*s", width, "-");
	else
		snprintf(buf, len, "%*.*f", width, prec, v);
	return buf;
}

void nt_session_text(FILE *out, const struct nt_session *s, const struct nt_dev *devs,
		     size_t nr_devs)
{
	char cpus[128], id[16], a[24], b[24], c[24], d[24], e[24];

	fprintf(out, "%.1fs  %-12s %8s %-9s %10s %10s %8s %6s %8s  %s\n",
		(s->time_ns - s->start_ns) / 1e9, "DEV", "NAPI", "MODE", "POLLS/s", "PKTS/s",
		"PKT/POLL", "FULL%", "KTHREAD%", "CPUS");
	for (size_t i = 0; i < s->nr_inst; i++) {
		const struct nt_instance *in = &s->inst[i];

		if (!nt_instance_matches(in, devs, nr_devs))
			continue;
		fprintf(out, "      %-12s %8s %-9s %s %s %s %s %s  %s\n", in->dev,
			nt_instance_name(in, id, sizeof(id)), nt_mode_name(nt_main_mode(in)),
			num(a, sizeof(a), 10, 0, nt_rate(s, in->last.polls)),
			num(b, sizeof(b), 10, 0, nt_rate(s, in->last.packets)),
			num(c, sizeof(c), 8, 1, nt_per_poll(&in->last)),
			num(d, sizeof(d), 6, 1, 100 * nt_full_share(&in->last)),
			num(e, sizeof(e), 8, 1, in->thread_pid ? 100 * in->kthread_cpu : NAN),
			nt_cpu_list(s, in, cpus, sizeof(cpus)));
	}
	for (unsigned int c = 0; c < s->ncpu; c++)
		if (s->cpu[c].netrx_count || s->cpu[c].softnet.processed)
			fprintf(out, "      cpu %u: NET_RX softirq %.1f%%, time_squeeze +%llu, "
				"dropped +%llu\n", c, 100 * s->cpu[c].netrx_share,
				(unsigned long long)s->cpu[c].squeeze_last,
				(unsigned long long)s->cpu[c].dropped_last);
	if (s->lost_napis || s->lost_threads)
		fprintf(out, "      lost: %llu instances, %llu threads (maps full)\n",
			(unsigned long long)s->lost_napis, (unsigned long long)s->lost_threads);
}

/* --- the session file ---------------------------------------------------- */

void nt_session_write_header(FILE *out, const struct nt_session *s)
{
	struct json_object *o = json_object_new_object();

	json_put_u64(o, "napitop", 1);
	json_put_u64(o, "ncpu", s->ncpu);
	json_object_object_add(o, "kind", json_object_new_string(s->kind));
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static bool get_u64s(struct json_object *o, const char *key, __u64 *v, size_t n)
{
	struct json_object *a = json_get_array(o, key);

	if (!a || json_object_array_length(a) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_int))
			return false;
		v[i] = json_object_get_uint64(e);
	}
	return true;
}

/* One recorded instance back into a snapshot row: its per-CPU polls on
 * each CPU, the rest of its counters on the first of them. */
static int load_instance(struct json_object *o, unsigned int ncpu, struct nt_napi_row *r)
{
	struct json_object *cpus = json_get_array(o, "cpus"), *f;
	uint64_t id, ifindex, netns, pid = 0, state = 0, weight = 0;
	struct nt_stat total = {};
	unsigned int first = 0;
	bool have = false;

	if (!json_get_u64(o, "napi_id", &id) || !json_get_u64(o, "ifindex", &ifindex) ||
	    !json_get_u64(o, "netns", &netns) || !cpus ||
	    !json_get_fields(o, &total, stat_fields, JSON_FIELDS(stat_fields)) ||
	    !get_u64s(o, "hist", total.hist, NT_HIST) ||
	    !get_u64s(o, "modes", total.modes, NT_NR_MODES))
		return -EINVAL;
	json_get_u64(o, "thread_pid", &pid);
	json_get_u64(o, "state", &state);
	json_get_u64(o, "weight", &weight);
	r->key = (struct nt_key){ .napi_id = id };
	if (!id) {
		r->key.ifindex = ifindex;
		r->key.netns = netns;
	}
	r->cpu = calloc(ncpu, sizeof(*r->cpu));
	if (!r->cpu)
		return -ENOMEM;
	for (size_t i = 0; i < json_object_array_length(cpus); i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		uint64_t cpu, polls;

		if (!json_get_u64(c, "cpu", &cpu) || !json_get_u64(c, "polls", &polls) ||
		    cpu >= ncpu)
			return -EINVAL;
		r->cpu[cpu].polls = polls;
		if (!have)
			first = cpu;
		have = true;
	}
	/* the other counters whole on one CPU: the sums come out the same */
	total.polls = r->cpu[first].polls;
	r->cpu[first] = total;
	r->cpu[first].thread_pid = pid;
	r->cpu[first].state = state;
	r->cpu[first].weight = weight;
	r->cpu[first].last_ns = 1;
	r->cpu[first].ifindex = ifindex;
	r->cpu[first].netns = netns;
	if (json_object_object_get_ex(o, "dev", &f))
		snprintf(r->cpu[first].dev, sizeof(r->cpu[first].dev), "%s",
			 json_object_get_string(f));
	return 0;
}

static int load_line(struct json_object *line, struct nt_session *s)
{
	struct json_object *napis = json_get_array(line, "napis");
	struct json_object *threads = json_get_array(line, "threads");
	struct json_object *cpus = json_get_array(line, "cpus"), *lost;
	struct nt_snapshot snap = { .ncpu = s->ncpu };
	struct softnet_cpu *sn = NULL;
	int ret = -EINVAL;

	if (!napis || !threads || !cpus || !json_get_u64(line, "time_ns", &snap.time_ns))
		return -EINVAL;
	snap.cpus = calloc(s->ncpu, sizeof(*snap.cpus));
	snap.napis = calloc(json_object_array_length(napis) + 1, sizeof(*snap.napis));
	snap.threads = calloc(json_object_array_length(threads) + 1, sizeof(*snap.threads));
	sn = calloc(s->ncpu, sizeof(*sn));
	if (!snap.cpus || !snap.napis || !snap.threads || !sn) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(napis); i++) {
		ret = load_instance(json_object_array_get_idx(napis, i), s->ncpu,
				    &snap.napis[snap.nr_napis]);
		if (snap.napis[snap.nr_napis].cpu)
			snap.nr_napis++;
		if (ret)
			goto out;
	}
	ret = -EINVAL;
	for (size_t i = 0; i < json_object_array_length(threads); i++) {
		struct json_object *t = json_object_array_get_idx(threads, i), *f;
		struct nt_thread_row *r = &snap.threads[snap.nr_threads++];
		uint64_t pid, run_ns, switches;

		if (!json_get_u64(t, "pid", &pid) || !json_get_u64(t, "run_ns", &run_ns) ||
		    !json_get_u64(t, "switches", &switches))
			goto out;
		r->pid = pid;
		r->t.run_ns = run_ns;
		r->t.switches = switches;
		if (json_object_object_get_ex(t, "comm", &f))
			snprintf(r->t.comm, sizeof(r->t.comm), "%s", json_object_get_string(f));
	}
	for (size_t i = 0; i < json_object_array_length(cpus) && i < s->ncpu; i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		uint64_t ns, count;

		if (!json_get_u64(c, "netrx_ns", &ns) || !json_get_u64(c, "netrx_count", &count) ||
		    !json_get_u64(c, "processed", &sn[i].processed) ||
		    !json_get_u64(c, "dropped", &sn[i].dropped) ||
		    !json_get_u64(c, "time_squeeze", &sn[i].time_squeeze))
			goto out;
		snap.cpus[i].netrx_ns = ns;
		snap.cpus[i].netrx_count = count;
		sn[i].cpu = i;
	}
	if (json_object_object_get_ex(line, "lost", &lost)) {
		json_get_u64(lost, "napis", &snap.lost_napis);
		json_get_u64(lost, "threads", &snap.lost_threads);
	}
	nt_session_update(s, &snap, sn, s->ncpu);
	ret = 0;
out:
	nt_snapshot_free(&snap);
	free(sn);
	return ret;
}

/* jsonl_read's callbacks */
static int read_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct nt_session *s = ctx;
	uint64_t version, ncpu;
	struct json_object *f;

	if (!json_get_u64(o, "napitop", &version) || version != 1 ||
	    !json_get_u64(o, "ncpu", &ncpu) || !ncpu || ncpu > 65536) {
		errmsg(err, errlen, "not a napitop session file (no header)");
		return -EINVAL;
	}
	return nt_session_init(s, ncpu, json_object_object_get_ex(o, "kind", &f) ?
			       json_object_get_string(f) : "");
}

static int read_refresh(struct json_object *o, void *s)
{
	return load_line(o, s);
}

int nt_session_load(const char *path, struct nt_session *s, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = jsonl_read(path, "napitop", read_header, read_refresh, s, err, errlen);
	if (ret)
		nt_session_free(s);
	return ret;
}
