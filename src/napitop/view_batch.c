// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's batch views of a session: one refresh as a JSON object line
 * (--json, and the session file's lines) or as text lines (--batch).
 */
#include <math.h>
#include <string.h>

#include "jsonline.h"
#include "session.h"
#include "threaded.h"

static struct json_object *u64_array(const __u64 *v, size_t n)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_uint64(v[i]));
	return a;
}

/* what the netdev family says: irq, kthread_pid, config, queues, qstats */
static void info_json(struct json_object *o, const struct nt_instance *in)
{
	const struct nt_napi_info *info = &in->info;
	struct json_object *c = json_object_new_object(), *q = json_object_new_object();

	if (info->irq >= 0)
		json_put_u64(o, "irq", info->irq);
	if (info->kthread_pid)
		json_put_u64(o, "kthread_pid", info->kthread_pid);
	for (int a = 0; a < TUNE_NR; a++) {
		int64_t v = tune_get(&info->conf, a);

		if (v < 0)
			continue;
		if (a == TUNE_THREADED)
			json_object_object_add(c, config_keys[a],
					       json_object_new_string(threaded_name(v)));
		else
			json_put_u64(c, config_keys[a], v);
	}
	if (json_object_object_length(c)) {
		json_object_object_add(c, "from",
				       json_object_new_string(info->conf_device ? "device" : "napi"));
		json_object_object_add(o, "config", c);
	} else {
		json_object_put(c);
	}
	if (info->queues[0])
		json_object_object_add(o, "queues", json_object_new_string(info->queues));
	for (int k = 0; k < NETDEV_QSTAT_NR; k++)
		if (info->qstats[k] != UINT64_MAX)
			json_put_u64(q, netdev_qstat_names[k], info->qstats[k]);
	if (json_object_object_length(q))
		json_object_object_add(o, "qstats", q);
	else
		json_object_put(q);
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
	info_json(o, in);
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
		if (!isnan(in->rxq_rate))
			json_object_object_add(o, "rxq_packets_per_s",
					       json_object_new_double(round(in->rxq_rate)));
		json_object_object_add(o, "polled_on", json_object_new_string(
			nt_cpu_list(s, in, buf, sizeof(buf))));
	}
	return o;
}

/* a per-CPU count, absent where there is none (NT_UNKNOWN) */
static void put_known(struct json_object *o, const char *key, uint64_t v)
{
	if (v != NT_UNKNOWN)
		json_put_u64(o, key, v);
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
		put_known(co, "netrx_ns", f->netrx_ns);
		put_known(co, "netrx_count", f->netrx_count);
		json_put_pct(co, "netrx_pct", f->netrx_share);
		put_known(co, "softirq_ns", f->softirq_ns);
		json_put_pct(co, "softirq_pct", f->softirq_share);
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
	char cpus[128], id[16], a[24], b[24], c[24], d[24], e[24], pid[16], irq[16];

	fprintf(out, "%.1fs  %-12s %8s %-9s %10s %10s %8s %6s %8s %7s %5s  %s\n",
		(s->time_ns - s->start_ns) / 1e9, "DEV", "NAPI", "MODE", "POLLS/s", "PKTS/s",
		"PKT/POLL", "FULL%", "KTHREAD%", "PID", "IRQ", "CPUS");
	for (size_t i = 0; i < s->nr_inst; i++) {
		const struct nt_instance *in = &s->inst[i];

		if (!nt_instance_matches(in, devs, nr_devs))
			continue;
		snprintf(pid, sizeof(pid), nt_kthread_pid(in) ? "%u" : "-", nt_kthread_pid(in));
		snprintf(irq, sizeof(irq), in->info.irq >= 0 ? "%d" : "-", in->info.irq);
		fprintf(out, "      %-12s %8s %-9s %s %s %s %s %s %7s %5s  %s\n", in->dev,
			nt_instance_name(in, id, sizeof(id)), nt_mode_name(nt_main_mode(in)),
			num(a, sizeof(a), 10, 0, nt_rate(s, in->last.polls)),
			num(b, sizeof(b), 10, 0, nt_rate(s, in->last.packets)),
			num(c, sizeof(c), 8, 1, nt_per_poll(&in->last)),
			num(d, sizeof(d), 6, 1, 100 * nt_full_share(&in->last)),
			num(e, sizeof(e), 8, 1, in->thread_pid ? 100 * in->kthread_cpu : NAN),
			pid, irq, nt_cpu_list(s, in, cpus, sizeof(cpus)));
	}
	for (unsigned int c = 0; c < s->ncpu; c++) {
		const struct nt_cpu_figures *f = &s->cpu[c];

		if ((!f->netrx_count || f->netrx_count == NT_UNKNOWN) && !f->softnet.processed)
			continue;
		fprintf(out, "      cpu %u: softirq %s%%", c, num(a, sizeof(a), 0, 1,
								100 * f->softirq_share));
		if (f->netrx_ns != NT_UNKNOWN)
			fprintf(out, " (NET_RX %s%%)", num(a, sizeof(a), 0, 1,
							    100 * f->netrx_share));
		fprintf(out, ", NET_RX %s/s, time_squeeze +%llu, dropped +%llu\n",
			num(a, sizeof(a), 0, 0, f->netrx_rate),
			(unsigned long long)f->squeeze_last, (unsigned long long)f->dropped_last);
	}
	if (s->lost_napis || s->lost_threads)
		fprintf(out, "      lost: %llu instances, %llu threads (maps full)\n",
			(unsigned long long)s->lost_napis, (unsigned long long)s->lost_threads);
}
