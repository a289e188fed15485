// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's Prometheus metrics: one refresh of a session as families and
 * samples, every core and CPU, and the top CT_SESSION_METRICS_TOP groups
 * and pairs by the mode's figure; see coretop(8), METRICS.
 */
#include <math.h>
#include <string.h>

#include "metrics.h"
#include "session.h"

/* A counter of struct ct_core or struct ct_sib_acct, by offset. */
struct metric_field {
	const char *name, *help;
	size_t offset;
	double scale;			/* ns to seconds, or 1 for a count */
	bool measured;			/* forced idle: there only in measured mode */
};

static const struct metric_field core_metrics[] = {
	{ "kscope_coretop_core_busy_seconds", "Time some sibling of the core ran a task",
	  offsetof(struct ct_core, busy_ns), 1e-9, false },
	{ "kscope_coretop_core_conflict_seconds",
	  "Time two siblings of the core ran tasks of different groups at once",
	  offsetof(struct ct_core, conflict_ns), 1e-9, false },
	{ "kscope_coretop_core_forced_idle_seconds", "Time some sibling of the core was forced idle",
	  offsetof(struct ct_core, forced_ns), 1e-9, true },
	{ "kscope_coretop_core_mismatches",
	  "Switches that put a task beside a sibling running another group",
	  offsetof(struct ct_core, mismatches), 1, false },
}, cpu_metrics[] = {
	{ "kscope_coretop_cpu_run_seconds", "Time the CPU ran a task",
	  offsetof(struct ct_sib_acct, run_ns), 1e-9, false },
	{ "kscope_coretop_cpu_corun_seconds",
	  "Time the CPU ran a task beside a sibling running the same group",
	  offsetof(struct ct_sib_acct, corun_ns), 1e-9, false },
	{ "kscope_coretop_cpu_conflict_seconds",
	  "Time the CPU ran a task beside a sibling running another group",
	  offsetof(struct ct_sib_acct, conflict_ns), 1e-9, false },
	{ "kscope_coretop_cpu_forced_idle_seconds", "Time the CPU was forced idle",
	  offsetof(struct ct_sib_acct, forced_ns), 1e-9, true },
	{ "kscope_coretop_cpu_idle_seconds", "Time the CPU was idle with nothing waiting",
	  offsetof(struct ct_sib_acct, idle_ns), 1e-9, false },
};

static double field_value(const void *base, const struct metric_field *f)
{
	uint64_t v;

	memcpy(&v, (const char *)base + f->offset, sizeof(v));
	return v * f->scale;
}

/* Every core and CPU: bounded by the machine. */
static void metrics_cores(const struct ct_session *s, struct metrics *m)
{
	char core[12], cpu[12];

	for (size_t f = 0; f < sizeof(core_metrics) / sizeof(core_metrics[0]); f++) {
		if (core_metrics[f].measured && !s->measured)
			continue;
		metrics_family(m, core_metrics[f].name, METRIC_COUNTER, core_metrics[f].help);
		for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
			snprintf(core, sizeof(core), "%u", c);
			metrics_sample(m, field_value(&s->cur.cores[c], &core_metrics[f]),
				       "core", core, NULL);
		}
	}
	for (size_t f = 0; f < sizeof(cpu_metrics) / sizeof(cpu_metrics[0]); f++) {
		if (cpu_metrics[f].measured && !s->measured)
			continue;
		metrics_family(m, cpu_metrics[f].name, METRIC_COUNTER, cpu_metrics[f].help);
		for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
			const struct ct_core *k = &s->cur.cores[c];

			snprintf(core, sizeof(core), "%u", c);
			for (unsigned int i = 0; i < k->nr && i < CT_MAX_SMT; i++) {
				snprintf(cpu, sizeof(cpu), "%u", s->topo.cores[c].cpu[i]);
				metrics_sample(m, field_value(&k->sib[i], &cpu_metrics[f]),
					       "core", core, "cpu", cpu, NULL);
			}
		}
	}
}

/* A group or pair ranked by the mode's figure, ties by id. */
struct ranked {
	uint64_t figure, id_a, id_b;
	size_t i;
};

static bool ranks_above(const struct ranked *x, const struct ranked *y)
{
	if (x->figure != y->figure)
		return x->figure > y->figure;
	if (x->id_a != y->id_a)
		return x->id_a < y->id_a;
	return x->id_b < y->id_b;
}

/* @c into @top (@n of CT_SESSION_METRICS_TOP, best first) if it ranks. */
static void rank(struct ranked *top, size_t *n, struct ranked c)
{
	size_t i = *n < CT_SESSION_METRICS_TOP ? (*n)++ : CT_SESSION_METRICS_TOP;

	if (i == CT_SESSION_METRICS_TOP) {
		if (!ranks_above(&c, &top[i - 1]))
			return;
		i--;
	}
	for (; i && ranks_above(&c, &top[i - 1]); i--)
		top[i] = top[i - 1];
	top[i] = c;
}

#define CT_STR(x) #x
#define CT_XSTR(x) CT_STR(x)
#define CT_TOP_HELP "; series for the top " CT_XSTR(CT_SESSION_METRICS_TOP) " only"

/*
 * The top groups: by conflict in what-if, by their part in forced idle
 * (caused plus suffered) when measured.  The name as the views show it;
 * two groups of one name (--group a=1 --group a=2) make one series, the
 * first one's.
 */
static void metrics_groups(const struct ct_session *s, struct metrics *m, const char *mode)
{
	static const struct {
		const char *name, *help;
		size_t offset;
		bool measured;
	} fams[] = {
		{ "kscope_coretop_group_conflict_seconds",
		  "Time the group's tasks ran beside a sibling running another group",
		  offsetof(struct ct_session_group, conflict_ns), false },
		{ "kscope_coretop_group_forced_idle_caused_seconds",
		  "Time the group's tasks ran while a sibling was forced idle",
		  offsetof(struct ct_session_group, caused_ns), true },
		{ "kscope_coretop_group_forced_idle_suffered_seconds",
		  "Time the group's tasks waited on a forced-idle sibling",
		  offsetof(struct ct_session_group, suffered_ns), true },
	};
	struct ranked r[CT_SESSION_METRICS_TOP];
	char name[CT_SESSION_NAME];
	size_t n = 0;

	metrics_family(m, "kscope_coretop_groups", METRIC_GAUGE, "Groups seen" CT_TOP_HELP);
	metrics_sample(m, s->nr_groups, NULL);
	for (size_t i = 0; i < s->nr_groups; i++) {
		const struct ct_session_group *g = &s->groups[i];

		rank(r, &n, (struct ranked){ .id_a = g->id, .i = i, .figure = s->measured ?
					     g->caused_ns + g->suffered_ns : g->conflict_ns });
	}
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		if (fams[f].measured && !s->measured)
			continue;
		metrics_family(m, fams[f].name, METRIC_COUNTER, fams[f].help);
		for (size_t i = 0; i < n; i++) {
			const struct ct_session_group *g = &s->groups[r[i].i];
			uint64_t ns;

			memcpy(&ns, (const char *)g + fams[f].offset, sizeof(ns));
			metrics_sample(m, ns / 1e9, "group",
				       ct_session_group_name(s, g->id, name, sizeof(name)),
				       "mode", mode, NULL);
		}
	}
}

/*
 * The top pairs by time: in what-if two groups in conflict (a < b, the
 * pair is unordered); measured, the first forced idle beside the second.
 */
static void metrics_pairs(const struct ct_session *s, struct metrics *m, const char *mode)
{
	struct ranked r[CT_SESSION_METRICS_TOP];
	char a[CT_SESSION_NAME], b[CT_SESSION_NAME];
	size_t n = 0;

	metrics_family(m, "kscope_coretop_pairs", METRIC_GAUGE, "Pairs of groups seen" CT_TOP_HELP);
	metrics_sample(m, s->cur.nr_pairs, NULL);
	for (size_t i = 0; i < s->cur.nr_pairs; i++) {
		const struct ct_pair_row *p = &s->cur.pairs[i];

		rank(r, &n, (struct ranked){ .figure = p->v.ns, .id_a = p->key.a,
					     .id_b = p->key.b, .i = i });
	}
	if (s->measured)
		metrics_family(m, "kscope_coretop_pair_forced_idle_seconds", METRIC_COUNTER,
			       "Time a sibling waiting with a task of idle_group was forced "
			       "idle beside running_group");
	else
		metrics_family(m, "kscope_coretop_pair_conflict_seconds", METRIC_COUNTER,
			       "Time two siblings ran tasks of group_a and group_b at once");
	for (size_t i = 0; i < n; i++) {
		const struct ct_pair_row *p = &s->cur.pairs[r[i].i];

		metrics_sample(m, p->v.ns / 1e9,
			       s->measured ? "idle_group" : "group_a",
			       ct_session_group_name(s, p->key.a, a, sizeof(a)),
			       s->measured ? "running_group" : "group_b",
			       ct_session_group_name(s, p->key.b, b, sizeof(b)),
			       "mode", mode, NULL);
	}
}

void ct_session_metrics(const struct ct_session *s, struct metrics *m)
{
	const char *mode = s->measured ? "measured" : "what-if";
	double cost = ct_session_cost(s);

	metrics_family(m, "kscope_coretop_info", METRIC_GAUGE,
		       "1, labelled with the mode (measured or what-if), the grouping and "
		       "whether --smt-pairs declared the cores");
	metrics_sample(m, 1, "mode", mode, "group_by", ct_session_group_by_name(s->by),
		       "declared", s->topo.declared ? "true" : "false", NULL);
	if (!isnan(cost)) {
		metrics_family(m, "kscope_coretop_cost_ratio", METRIC_GAUGE,
			       s->measured ? "Share of the siblings' time forced idle since the start" :
			       "Share of the tasks' CPU time core scheduling would have idled "
			       "since the start (conflict over run time)");
		metrics_sample(m, cost, NULL);
	}
	metrics_cores(s, m);
	metrics_groups(s, m, mode);
	metrics_pairs(s, m, mode);
	if (!isnan(s->kernel_fi_s)) {
		metrics_family(m, "kscope_coretop_kernel_forced_idle_seconds", METRIC_COUNTER,
			       "The kernel's own forced idle since the start: the root cgroup's "
			       "cpu.stat core_sched.force_idle_usec (schedstats on)");
		metrics_sample(m, s->kernel_fi_s, NULL);
	}
	metrics_family(m, "kscope_coretop_lost_entries", METRIC_COUNTER,
		       "Entries the kernel side's maps had no room for, by map");
	metrics_sample(m, s->cur.lost_tasks, "map", "tasks", NULL);
	metrics_sample(m, s->cur.lost_pairs, "map", "pairs", NULL);
	metrics_sample(m, s->cur.lost_cookies, "map", "cookies", NULL);
}
