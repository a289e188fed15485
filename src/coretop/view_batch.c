// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's batch views of a session: one refresh as a JSON object line
 * (--json, and the session file's lines) or as text lines (--batch).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonline.h"
#include "session.h"

static const char *const state_names[] = {
	[CT_IDLE] = "idle", [CT_RUN] = "run", [CT_FORCED] = "forced",
};

static struct json_object *core_json(const struct ct_session *s, unsigned int c)
{
	const struct ct_core *k = &s->cur.cores[c];
	struct json_object *o = json_object_new_object(), *cpus = json_object_new_array();
	struct json_object *sibs = json_object_new_array();

	json_put_u64(o, "core", c);
	for (unsigned int i = 0; i < s->topo.cores[c].nr; i++)
		json_object_array_add(cpus, json_object_new_int(s->topo.cores[c].cpu[i]));
	json_object_object_add(o, "cpus", cpus);
	json_put_fields(o, k, core_fields, JSON_FIELDS(core_fields));
	json_put_pct(o, "busy_pct", ct_session_core_busy(s, c));
	json_put_pct(o, "conflict_pct", ct_session_core_conflict(s, c));
	json_put_pct(o, "forced_idle_pct", ct_session_core_forced(s, c));
	for (unsigned int i = 0; i < k->nr && i < CT_MAX_SMT; i++) {
		struct json_object *so = json_object_new_object();

		json_put_u64(so, "cpu", s->topo.cores[c].cpu[i]);
		json_put_fields(so, &k->sib[i], sib_fields, JSON_FIELDS(sib_fields));
		json_object_object_add(so, "state", json_object_new_string(
			state_names[k->slot[i].state <= CT_FORCED ? k->slot[i].state : 0]));
		json_put_u64(so, "pid", k->slot[i].pid);
		json_put_u64(so, "group", k->slot[i].group);
		json_object_array_add(sibs, so);
	}
	json_object_object_add(o, "siblings", sibs);
	return o;
}

void ct_session_json(FILE *out, const struct ct_session *s)
{
	struct json_object *o = json_object_new_object(), *a, *lost;
	char name[CT_SESSION_NAME];

	json_put_u64(o, "time_ns", s->cur.time_ns);
	json_object_object_add(o, "elapsed_s", json_object_new_double(
		(s->cur.time_ns - s->start_ns) / 1e9));
	json_object_object_add(o, "mode", json_object_new_string(s->measured ? "measured"
									      : "what-if"));
	json_object_object_add(o, "group_by", json_object_new_string(
		ct_session_group_by_name(s->by)));
	json_put_pct(o, "cost_pct", ct_session_cost(s));
	if (!isnan(s->kernel_fi_s))
		json_object_object_add(o, "kernel_forced_idle_s",
				       json_object_new_double(s->kernel_fi_s));
	a = json_object_new_array();
	for (unsigned int c = 0; c < s->cur.nr_cores; c++)
		json_object_array_add(a, core_json(s, c));
	json_object_object_add(o, "cores", a);
	a = json_object_new_array();
	for (size_t i = 0; i < s->nr_groups; i++) {
		const struct ct_session_group *g = &s->groups[i];
		struct json_object *go = json_object_new_object();

		json_put_u64(go, "group", g->id);
		json_object_object_add(go, "name", json_object_new_string(
			ct_session_group_name(s, g->id, name, sizeof(name))));
		json_object_object_add(go, "key", json_object_new_string_len(&g->key, 1));
		json_put_u64(go, "conflict_ns", g->conflict_ns);
		json_put_u64(go, "caused_ns", g->caused_ns);
		json_put_u64(go, "suffered_ns", g->suffered_ns);
		json_object_array_add(a, go);
	}
	json_object_object_add(o, "groups", a);
	a = json_object_new_array();
	for (size_t i = 0; i < s->cur.nr_pairs; i++) {
		const struct ct_pair_row *p = &s->cur.pairs[i];
		struct json_object *po = json_object_new_object();

		json_put_fields(po, p, pair_fields, JSON_FIELDS(pair_fields));
		json_object_array_add(a, po);
	}
	json_object_object_add(o, "pairs", a);
	a = json_object_new_array();
	for (size_t i = 0; i < s->nr_tasks; i++) {
		const struct ct_session_task *t = &s->tasks[i];
		struct json_object *to = json_object_new_object();

		json_put_u64(to, "pid", t->pid);
		json_put_u64(to, "tgid", t->tgid);
		json_object_object_add(to, "comm", json_object_new_string(t->comm));
		json_put_u64(to, "group", t->group);
		json_put_u64(to, "conflict_ns", ct_session_task_total(t, CT_SESSION_CONFLICT));
		json_put_u64(to, "caused_ns", ct_session_task_total(t, CT_SESSION_CAUSED));
		json_put_u64(to, "suffered_ns", ct_session_task_total(t, CT_SESSION_SUFFERED));
		json_put_u64(to, "mismatches", ct_session_task_total(t, CT_SESSION_MISMATCHES));
		json_object_object_add(to, "exited", json_object_new_boolean(t->exited));
		if (!isnan(t->kernel_fi_s))
			json_object_object_add(to, "kernel_forced_idle_s",
					       json_object_new_double(t->kernel_fi_s));
		json_object_array_add(a, to);
	}
	json_object_object_add(o, "tasks", a);
	lost = json_object_new_object();
	json_put_u64(lost, "tasks", s->cur.lost_tasks);
	json_put_u64(lost, "pairs", s->cur.lost_pairs);
	json_put_u64(lost, "cookies", s->cur.lost_cookies);
	json_object_object_add(o, "lost", lost);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* --- text ---------------------------------------------------------------- */

static int by_pair_ns(const void *a, const void *b)
{
	const struct ct_pair_row *x = a, *y = b;

	return x->v.ns < y->v.ns ? 1 : x->v.ns > y->v.ns ? -1 : 0;
}

void ct_session_text(FILE *out, const struct ct_session *s, size_t top)
{
	char a[CT_SESSION_NAME], b[CT_SESSION_NAME];
	struct ct_pair_row *sorted;

	fprintf(out, "%.1fs %s (groups by %s): cost %.1f%%\n",
		(s->cur.time_ns - s->start_ns) / 1e9, s->measured ? "measured" : "what-if",
		ct_session_group_by_name(s->by), 100 * ct_session_cost(s));
	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		const struct ct_core *k = &s->cur.cores[c];

		fprintf(out, "  core %u cpus", c);
		for (unsigned int i = 0; i < s->topo.cores[c].nr; i++)
			fprintf(out, "%s%u", i ? "," : " ", s->topo.cores[c].cpu[i]);
		fprintf(out, ": busy %.1f%% conflict %.1f%% forced idle %.1f%% "
			"mismatches %.0f/s  total conflict %.3fs forced idle %.3fs\n",
			100 * ct_session_core_busy(s, c), 100 * ct_session_core_conflict(s, c),
			100 * ct_session_core_forced(s, c), ct_session_core_mismatch_rate(s, c),
			k->conflict_ns / 1e9, k->forced_ns / 1e9);
	}
	sorted = malloc((s->cur.nr_pairs ? s->cur.nr_pairs : 1) * sizeof(*sorted));
	if (!sorted)
		return;
	memcpy(sorted, s->cur.pairs, s->cur.nr_pairs * sizeof(*sorted));
	qsort(sorted, s->cur.nr_pairs, sizeof(*sorted), by_pair_ns);
	for (size_t i = 0; i < s->cur.nr_pairs && i < top && sorted[i].v.ns; i++)
		fprintf(out, "  %s %s %s: %.3fs, %llu mismatches\n",
			ct_session_group_name(s, sorted[i].key.a, a, sizeof(a)),
			s->measured ? "forced idle beside" : "vs",
			ct_session_group_name(s, sorted[i].key.b, b, sizeof(b)), sorted[i].v.ns / 1e9,
			(unsigned long long)sorted[i].v.events);
	free(sorted);
	if (s->cur.lost_tasks || s->cur.lost_pairs || s->cur.lost_cookies)
		fprintf(out, "  lost: %llu tasks, %llu pairs, %llu cookies (maps full)\n",
			(unsigned long long)s->cur.lost_tasks,
			(unsigned long long)s->cur.lost_pairs,
			(unsigned long long)s->cur.lost_cookies);
}
