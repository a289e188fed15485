// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's model: a session updated from snapshots and softnet_stat (every
 * NAPI instance's totals, last interval and history; NET_RX time and
 * softnet figures per CPU) and the figures the views show of it.  Pure C,
 * no I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static const char *const mode_names[NT_NR_MODES] = {
	[NT_MODE_SOFTIRQ] = "softirq", [NT_MODE_KSOFTIRQD] = "ksoftirqd",
	[NT_MODE_THREADED] = "threaded", [NT_MODE_BUSY_POLL] = "busy-poll",
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
	free(s->qbase);
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
	nt_napi_info_init(&in->info);
	in->rxq_rate = NAN;
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

void nt_napi_info_init(struct nt_napi_info *info)
{
	memset(info, 0, sizeof(*info));
	info->irq = -1;
	info->conf = (struct netdev_napi_conf)NETDEV_NAPI_CONF_NONE;
	memset(info->qstats, 0xff, sizeof(info->qstats));
}

static bool conf_known(const struct netdev_napi_conf *c)
{
	return c->defer_hard_irqs >= 0 || c->gro_flush_timeout_ns >= 0 ||
	       c->irq_suspend_timeout_ns >= 0 || c->threaded >= 0;
}

/* field by field: the struct's tail padding is nobody's value */
static bool conf_differs(const struct netdev_napi_conf *a, const struct netdev_napi_conf *b)
{
	return a->defer_hard_irqs != b->defer_hard_irqs ||
	       a->gro_flush_timeout_ns != b->gro_flush_timeout_ns ||
	       a->irq_suspend_timeout_ns != b->irq_suspend_timeout_ns || a->threaded != b->threaded;
}

/* @napi_id's base counts, those of @info when first seen (0s for counts
 * already since the start); NULL without memory */
static uint64_t *qstats_base(struct nt_session *s, uint32_t napi_id,
			     const struct nt_napi_info *info, bool since_start)
{
	struct nt_qstats_base *grown;

	for (size_t i = 0; i < s->nr_qbase; i++)
		if (s->qbase[i].napi_id == napi_id)
			return s->qbase[i].v;
	grown = realloc(s->qbase, (s->nr_qbase + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->qbase = grown;
	grown[s->nr_qbase].napi_id = napi_id;
	for (int k = 0; k < NETDEV_QSTAT_NR; k++)
		grown[s->nr_qbase].v[k] = since_start ? 0 : info->qstats[k];
	return grown[s->nr_qbase++].v;
}

void nt_session_set_info(struct nt_session *s, uint32_t napi_id,
			 const struct nt_napi_info *info, bool since_start)
{
	uint64_t *base = napi_id ? qstats_base(s, napi_id, info, since_start) : NULL;

	for (size_t i = 0; napi_id && i < s->nr_inst; i++) {
		struct nt_instance *in = &s->inst[i];
		uint64_t was = in->info.qstats[NETDEV_QSTAT_RX_PACKETS], now;

		if (in->key.napi_id != napi_id)
			continue;
		if (conf_known(&in->info.conf) && conf_known(&info->conf) &&
		    conf_differs(&in->info.conf, &info->conf)) {
			in->conf_change_ns = s->time_ns;
			in->at_change = in->total;
		}
		in->info = *info;
		for (int k = 0; k < NETDEV_QSTAT_NR; k++) {
			uint64_t *q = &in->info.qstats[k];

			if (*q == UINT64_MAX)
				continue;
			if (!base) {
				*q = UINT64_MAX;	/* no base to count from */
				continue;
			}
			/* first reported later, or a driver that reset its
			 * counters: counted from there */
			if (base[k] == UINT64_MAX || *q < base[k])
				base[k] = since_start ? 0 : *q;
			*q -= base[k];
		}
		now = in->info.qstats[NETDEV_QSTAT_RX_PACKETS];
		in->rxq_rate = was != UINT64_MAX && now != UINT64_MAX && now >= was ?
			       nt_rate(s, now - was) : NAN;
	}
}

uint32_t nt_kthread_pid(const struct nt_instance *in)
{
	return in->info.kthread_pid ?: in->thread_pid;
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
	if (from->last_tick >= to->last_tick) {
		to->last_tick = from->last_tick;
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

/* The share of a CPU that @ns - @prev_ns is over @dt (or of @dt, a count):
 * NaN at the first refresh (no @dt) or where either is unknown */
static double share(uint64_t ns, uint64_t prev_ns, double dt)
{
	if (dt <= 0 || ns == NT_UNKNOWN || prev_ns == NT_UNKNOWN)
		return NAN;
	return delta(ns, prev_ns) / dt;
}

static void update_cpus(struct nt_session *s, const struct nt_snapshot *snap,
			const struct softnet_cpu *sn, size_t nr_sn, double dt)
{
	for (unsigned int c = 0; c < snap->ncpu && c < s->ncpu; c++) {
		struct nt_cpu_figures *f = &s->cpu[c];
		const struct nt_cpu_counts *k = &snap->cpus[c];

		f->netrx_share = share(k->netrx_ns, f->netrx_ns, dt);
		f->softirq_share = share(k->softirq_ns, f->softirq_ns, dt);
		f->netrx_rate = 1e9 * share(k->netrx_count, f->netrx_count, dt);
		f->netrx_ns = k->netrx_ns;
		f->softirq_ns = k->softirq_ns;
		f->netrx_count = k->netrx_count;
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

bool nt_netrx_timed(const struct nt_session *s)
{
	return s->ncpu && s->cpu[0].netrx_ns != NT_UNKNOWN;
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
