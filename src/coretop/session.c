// SPDX-License-Identifier: GPL-2.0
/*
 * A coretop session: snapshots in, figures, lanes, JSON and text out, and
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

#define MAX(a, b) ((a) > (b) ? (a) : (b))

static const char *const group_by_names[] = {
	[CT_BY_COOKIE] = "cookie", [CT_BY_CGROUP] = "cgroup", [CT_BY_UID] = "uid",
	[CT_BY_TGID] = "tgid", [CT_BY_LIST] = "list",
};

static const char *const state_names[] = {
	[CT_IDLE] = "idle", [CT_RUN] = "run", [CT_FORCED] = "forced",
};

/* Lane letters, in the order groups are first seen. */
static const char group_keys[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

const char *ct_session_group_by_name(enum ct_group_by by)
{
	return by <= CT_BY_LIST ? group_by_names[by] : "?";
}

int ct_session_init(struct ct_session *s, bool measured, enum ct_group_by by,
		 const struct topo *topo)
{
	memset(s, 0, sizeof(*s));
	s->measured = measured;
	s->by = by;
	s->kernel_fi_s = NAN;
	s->topo.nr_cores = topo->nr_cores;
	s->topo.declared = topo->declared;
	s->topo.cores = calloc(topo->nr_cores ? topo->nr_cores : 1, sizeof(*s->topo.cores));
	if (!s->topo.cores)
		return -ENOMEM;
	memcpy(s->topo.cores, topo->cores, topo->nr_cores * sizeof(*topo->cores));
	for (unsigned int c = 0; c < topo->nr_cores; c++)
		s->nr_sibs += topo->cores[c].nr;
	s->lane_heat = malloc(CT_SESSION_HISTORY * (size_t)s->nr_sibs * sizeof(*s->lane_heat));
	s->lane_mark = malloc(CT_SESSION_HISTORY * (size_t)s->nr_sibs);
	s->tally = calloc((size_t)s->nr_sibs * CT_SESSION_TALLY, sizeof(*s->tally));
	s->now = calloc(s->nr_sibs, sizeof(*s->now));
	if (!s->lane_heat || !s->lane_mark || !s->tally || !s->now) {
		ct_session_free(s);
		return -ENOMEM;
	}
	return 0;
}

void ct_session_free(struct ct_session *s)
{
	topo_free(&s->topo);
	ct_snapshot_free(&s->cur);
	ct_snapshot_free(&s->prev);
	free(s->lane_heat);
	free(s->lane_mark);
	free(s->tally);
	free(s->now);
	free(s->tasks);
	free(s->groups);
	memset(s, 0, sizeof(*s));
}

struct ct_session_group *ct_session_group(struct ct_session *s, uint64_t id)
{
	struct ct_session_group *grown;
	size_t i;

	for (i = 0; i < s->nr_groups; i++)
		if (s->groups[i].id == id)
			return &s->groups[i];
	grown = realloc(s->groups, (s->nr_groups + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->groups = grown;
	memset(&grown[i], 0, sizeof(*grown));
	grown[i].id = id;
	grown[i].key = '-';
	if (id) {
		/* --group lists: A for the first; else tagged groups as seen */
		size_t n = s->by == CT_BY_LIST ? id - 1 : 0;

		for (size_t j = 0; j < i && s->by != CT_BY_LIST; j++)
			n += grown[j].id != 0;
		grown[i].key = n < sizeof(group_keys) - 1 ? group_keys[n] : '*';
	}
	s->nr_groups++;
	return &grown[i];
}

void ct_session_name_group(struct ct_session *s, uint64_t id, const char *name)
{
	struct ct_session_group *g = ct_session_group(s, id);

	if (g)
		snprintf(g->name, sizeof(g->name), "%s", name);
}

const char *ct_session_group_name(const struct ct_session *s, uint64_t id, char *buf, size_t len)
{
	for (size_t i = 0; i < s->nr_groups; i++)
		if (s->groups[i].id == id && s->groups[i].name[0])
			return s->groups[i].name;
	if (id == 0)
		snprintf(buf, len, "%s", s->by == CT_BY_COOKIE || s->by == CT_BY_LIST ?
			 "untagged" : "kernel threads");
	else if (id == ~0ull)
		snprintf(buf, len, "unknown");
	else if (s->by == CT_BY_UID)
		snprintf(buf, len, "uid %llu", (unsigned long long)id - 1);
	else
		snprintf(buf, len, "%s %llu", s->by == CT_BY_TGID ? "pid" : group_by_names[s->by],
			 (unsigned long long)id);
	return buf;
}

uint64_t ct_session_task_total(const struct ct_session_task *t, size_t field)
{
	uint64_t a, b;

	memcpy(&a, (const char *)&t->base + field, sizeof(a));
	memcpy(&b, (const char *)&t->last + field, sizeof(b));
	return a + b;
}

static struct ct_session_task *task_find(struct ct_session *s, uint32_t pid)
{
	struct ct_session_task *grown;

	for (size_t i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == pid)
			return &s->tasks[i];
	grown = realloc(s->tasks, (s->nr_tasks + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	s->tasks = grown;
	memset(&grown[s->nr_tasks], 0, sizeof(*grown));
	grown[s->nr_tasks].pid = pid;
	grown[s->nr_tasks].kernel_fi_s = NAN;
	return &grown[s->nr_tasks++];
}

static void add_task_values(struct ct_task *to, const struct ct_task *from)
{
	to->conflict_ns += from->conflict_ns;
	to->caused_ns += from->caused_ns;
	to->suffered_ns += from->suffered_ns;
	to->mismatches += from->mismatches;
}

static void merge_tasks(struct ct_session *s)
{
	for (size_t i = 0; i < s->cur.nr_tasks; i++) {
		const struct ct_task_row *r = &s->cur.tasks[i];
		struct ct_session_task *t = task_find(s, r->pid);

		struct ct_task was;

		if (!t)
			continue;
		if (t->exited) {
			/* the pid is back: another task; or time charged to the
			 * old one after its entry was let go: either way new */
			add_task_values(&t->base, &t->last);
			memset(&t->last, 0, sizeof(t->last));
			if (!r->exited)
				t->comm[0] = 0;
		}
		/*
		 * A read that raced the kernel writing a sibling's pending time
		 * to the task (the task map read before, the core after) misses
		 * that time until the next read: never go back meanwhile.
		 */
		was = t->last;
		t->last = r->t;
		t->last.conflict_ns = MAX(was.conflict_ns, r->t.conflict_ns);
		t->last.caused_ns = MAX(was.caused_ns, r->t.caused_ns);
		t->last.suffered_ns = MAX(was.suffered_ns, r->t.suffered_ns);
		t->last.mismatches = MAX(was.mismatches, r->t.mismatches);
		t->exited = r->exited;
		t->group = r->t.group;
		if (r->t.comm[0])
			memcpy(t->comm, r->t.comm, sizeof(t->comm));
		if (r->t.tgid)
			t->tgid = r->t.tgid;
	}
}

static int pair_cmp(const void *a, const void *b)
{
	const struct ct_pair_row *x = a, *y = b;

	if (x->key.a != y->key.a)
		return x->key.a < y->key.a ? -1 : 1;
	return x->key.b < y->key.b ? -1 : x->key.b > y->key.b;
}

/*
 * The pairs, sorted, none lower than the snapshot before nor gone: a read
 * that raced the kernel writing a core's pending pair to the map misses
 * that time until the next (as merge_tasks).
 */
static void merge_pairs(struct ct_session *s)
{
	const struct ct_pair_row *was = s->prev.pairs;
	size_t nw = s->prev.nr_pairs, nc = s->cur.nr_pairs, i = 0, j = 0, n = 0;
	struct ct_pair_row *cur = s->cur.pairs, *all;

	if (nc)
		qsort(cur, nc, sizeof(*cur), pair_cmp);
	if (!nw)
		return;
	all = malloc((nw + nc) * sizeof(*all));
	if (!all)
		return;
	while (i < nw || j < nc) {
		int d = i == nw ? 1 : j == nc ? -1 : pair_cmp(&was[i], &cur[j]);

		if (d < 0) {
			all[n++] = was[i++];
			continue;
		}
		all[n] = cur[j++];
		if (d == 0) {
			all[n].v.ns = MAX(all[n].v.ns, was[i].v.ns);
			all[n].v.events = MAX(all[n].v.events, was[i].v.events);
			i++;
		}
		n++;
	}
	free(s->cur.pairs);
	s->cur.pairs = all;
	s->cur.nr_pairs = n;
}

static void sum_groups(struct ct_session *s)
{
	for (size_t i = 0; i < s->nr_groups; i++)
		s->groups[i].conflict_ns = s->groups[i].caused_ns = s->groups[i].suffered_ns = 0;
	for (size_t i = 0; i < s->nr_tasks; i++) {
		struct ct_session_task *t = &s->tasks[i];
		struct ct_session_group *g = ct_session_group(s, t->group);

		if (!g)
			continue;
		g->conflict_ns += ct_session_task_total(t, CT_SESSION_CONFLICT);
		g->caused_ns += ct_session_task_total(t, CT_SESSION_CAUSED);
		g->suffered_ns += ct_session_task_total(t, CT_SESSION_SUFFERED);
	}
	/* groups seen only running, or only in pairs, get their letter too */
	for (size_t i = 0; i < s->cur.nr_pairs; i++) {
		ct_session_group(s, s->cur.pairs[i].key.a);
		ct_session_group(s, s->cur.pairs[i].key.b);
	}
	for (unsigned int c = 0; c < s->cur.nr_cores; c++)
		for (unsigned int i = 0; i < s->cur.cores[c].nr && i < CT_MAX_SMT; i++)
			if (s->cur.cores[c].slot[i].state == CT_RUN)
				ct_session_group(s, s->cur.cores[c].slot[i].group);
}

static uint64_t delta(uint64_t now, uint64_t before)
{
	return now > before ? now - before : 0;
}

static double interval_ns(const struct ct_session *s)
{
	return s->prev.time_ns && s->cur.time_ns > s->prev.time_ns ?
	       (double)(s->cur.time_ns - s->prev.time_ns) : NAN;
}

void ct_session_sample(struct ct_session *s, const struct ct_core *cores, uint32_t self)
{
	unsigned int lane = 0;

	for (unsigned int c = 0; c < s->topo.nr_cores; c++)
		for (unsigned int i = 0; i < s->topo.cores[c].nr; i++, lane++) {
			struct ct_slot sl = cores[c].slot[i];
			struct ct_session_tally *t = &s->tally[lane * CT_SESSION_TALLY];
			unsigned int k, least = 0;

			/* the sampler itself: what it displaced, back right after */
			if (sl.state == CT_RUN && sl.pid == self) {
				if (sl.prev_pid == self)
					continue;
				sl.pid = sl.prev_pid;
				sl.state = sl.prev_state;
				sl.group = sl.prev_group;
			}
			s->now[lane] = sl;
			for (k = 0; k < CT_SESSION_TALLY; k++) {
				if (t[k].count && t[k].group == sl.group && t[k].state == sl.state)
					break;
				if (t[k].count < t[least].count)
					least = k;
			}
			if (k == CT_SESSION_TALLY) {
				/* a new state: it takes the rarest one's place */
				k = least;
				t[k] = (struct ct_session_tally){ .group = sl.group,
								  .state = sl.state };
			}
			t[k].count++;
		}
}

/* A lane's letter: the state sampled most since the last refresh, or the
 * one at the refresh when there were no samples (a replay). */
static char lane_mark(struct ct_session *s, unsigned int lane, const struct ct_slot *sl)
{
	struct ct_session_tally *t = &s->tally[lane * CT_SESSION_TALLY], *most = t;
	uint64_t group = sl->group;
	uint32_t state = sl->state;
	struct ct_session_group *g;

	for (unsigned int k = 1; k < CT_SESSION_TALLY; k++)
		if (t[k].count > most->count)
			most = &t[k];
	if (most->count) {
		group = most->group;
		state = most->state;
	}
	memset(t, 0, CT_SESSION_TALLY * sizeof(*t));
	if (state == CT_FORCED)
		return '!';
	g = state == CT_RUN ? ct_session_group(s, group) : NULL;
	return g ? g->key : ' ';
}

static void push_lanes(struct ct_session *s)
{
	double dt = interval_ns(s);
	unsigned int lane = 0, col = s->hist_next;

	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		const struct ct_core *now = &s->cur.cores[c];
		const struct ct_core *was = s->prev.time_ns ? &s->prev.cores[c] : NULL;

		for (unsigned int i = 0; i < now->nr && i < CT_MAX_SMT; i++, lane++) {
			double v = NAN;

			if (was)
				v = (s->measured ? delta(now->sib[i].forced_ns, was->sib[i].forced_ns)
						 : delta(now->sib[i].conflict_ns,
							 was->sib[i].conflict_ns)) / dt;
			s->lane_heat[(size_t)col * s->nr_sibs + lane] = v > 1 ? 1 : v;
			s->lane_mark[(size_t)col * s->nr_sibs + lane] =
				lane_mark(s, lane, &now->slot[i]);
		}
	}
	s->hist_next = (s->hist_next + 1) % CT_SESSION_HISTORY;
	if (s->hist_len < CT_SESSION_HISTORY)
		s->hist_len++;
}

void ct_session_update(struct ct_session *s, struct ct_snapshot *snap)
{
	if (snap->nr_cores != s->topo.nr_cores) {
		ct_snapshot_free(snap);
		return;
	}
	ct_snapshot_free(&s->prev);
	s->prev = s->cur;
	s->cur = *snap;
	memset(snap, 0, sizeof(*snap));
	if (!s->start_ns)
		s->start_ns = s->cur.time_ns;
	s->refreshes++;
	merge_tasks(s);
	merge_pairs(s);
	sum_groups(s);
	push_lanes(s);
}

static double core_delta(const struct ct_session *s, unsigned int core, size_t field)
{
	uint64_t a, b;

	if (!s->prev.time_ns || core >= s->cur.nr_cores)
		return NAN;
	memcpy(&a, (const char *)&s->cur.cores[core] + field, sizeof(a));
	memcpy(&b, (const char *)&s->prev.cores[core] + field, sizeof(b));
	return delta(a, b) / interval_ns(s);
}

double ct_session_core_busy(const struct ct_session *s, unsigned int core)
{
	return core_delta(s, core, offsetof(struct ct_core, busy_ns));
}

double ct_session_core_conflict(const struct ct_session *s, unsigned int core)
{
	return core_delta(s, core, offsetof(struct ct_core, conflict_ns));
}

double ct_session_core_forced(const struct ct_session *s, unsigned int core)
{
	return core_delta(s, core, offsetof(struct ct_core, forced_ns));
}

double ct_session_core_mismatch_rate(const struct ct_session *s, unsigned int core)
{
	return core_delta(s, core, offsetof(struct ct_core, mismatches)) * 1e9;
}

double ct_session_sib_run(const struct ct_session *s, unsigned int core, unsigned int sib)
{
	if (!s->prev.time_ns || core >= s->cur.nr_cores || sib >= CT_MAX_SMT)
		return NAN;
	return delta(s->cur.cores[core].sib[sib].run_ns, s->prev.cores[core].sib[sib].run_ns) /
	       interval_ns(s);
}

double ct_session_cost(const struct ct_session *s)
{
	uint64_t num = 0, den = 0;

	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		const struct ct_core *k = &s->cur.cores[c];

		for (unsigned int i = 0; i < k->nr && i < CT_MAX_SMT; i++) {
			den += s->measured ? k->sib[i].run_ns + k->sib[i].forced_ns +
					     k->sib[i].idle_ns : k->sib[i].run_ns;
			num += s->measured ? k->sib[i].forced_ns : 0;
		}
		/* one of two conflicting siblings would have idled */
		if (!s->measured)
			num += k->conflict_ns;
	}
	return den ? (double)num / den : NAN;
}

/* --- JSON ---------------------------------------------------------------- */

/* The counters of the session file, by name. */
static const struct json_field core_fields[] = {
	{ "busy_ns", offsetof(struct ct_core, busy_ns) },
	{ "conflict_ns", offsetof(struct ct_core, conflict_ns) },
	{ "forced_idle_ns", offsetof(struct ct_core, forced_ns) },
	{ "mismatches", offsetof(struct ct_core, mismatches) },
}, sib_fields[] = {
	{ "run_ns", offsetof(struct ct_sib_acct, run_ns) },
	{ "corun_ns", offsetof(struct ct_sib_acct, corun_ns) },
	{ "conflict_ns", offsetof(struct ct_sib_acct, conflict_ns) },
	{ "forced_idle_ns", offsetof(struct ct_sib_acct, forced_ns) },
	{ "idle_ns", offsetof(struct ct_sib_acct, idle_ns) },
}, task_fields[] = {
	{ "conflict_ns", offsetof(struct ct_task, conflict_ns) },
	{ "caused_ns", offsetof(struct ct_task, caused_ns) },
	{ "suffered_ns", offsetof(struct ct_task, suffered_ns) },
	{ "mismatches", offsetof(struct ct_task, mismatches) },
	{ "group", offsetof(struct ct_task, group) },
}, pair_fields[] = {
	{ "a", offsetof(struct ct_pair_row, key.a) },
	{ "b", offsetof(struct ct_pair_row, key.b) },
	{ "ns", offsetof(struct ct_pair_row, v.ns) },
	{ "mismatches", offsetof(struct ct_pair_row, v.events) },
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

/* --- Prometheus ---------------------------------------------------------- */

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

/* --- the session file ---------------------------------------------------- */

void ct_session_write_header(FILE *out, const struct ct_session *s)
{
	struct json_object *o = json_object_new_object(), *cores = json_object_new_array();

	json_put_u64(o, "coretop", 1);
	json_object_object_add(o, "mode", json_object_new_string(s->measured ? "measured"
									      : "what-if"));
	json_object_object_add(o, "group_by", json_object_new_string(
		ct_session_group_by_name(s->by)));
	json_object_object_add(o, "declared", json_object_new_boolean(s->topo.declared));
	for (unsigned int c = 0; c < s->topo.nr_cores; c++) {
		struct json_object *cpus = json_object_new_array();

		for (unsigned int i = 0; i < s->topo.cores[c].nr; i++)
			json_object_array_add(cpus, json_object_new_int(s->topo.cores[c].cpu[i]));
		json_object_array_add(cores, cpus);
	}
	json_object_object_add(o, "cores", cores);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

static int load_header(struct json_object *h, struct ct_session *s, char *err, size_t errlen)
{
	struct json_object *f, *cores = json_get_array(h, "cores");
	struct topo topo = {};
	const char *mode = "", *by = "";
	uint64_t version;
	int by_i = -1, ret;

	if (!json_get_u64(h, "coretop", &version) || version != 1 || !cores) {
		errmsg(err, errlen, "not a coretop session file (no header)");
		return -EINVAL;
	}
	if (json_object_object_get_ex(h, "mode", &f))
		mode = json_object_get_string(f);
	if (json_object_object_get_ex(h, "group_by", &f))
		by = json_object_get_string(f);
	for (int i = 0; i <= CT_BY_LIST; i++)
		if (by && !strcmp(by, group_by_names[i]))
			by_i = i;
	topo.nr_cores = json_object_array_length(cores);
	if (by_i < 0 || !mode || (strcmp(mode, "measured") && strcmp(mode, "what-if")) ||
	    !topo.nr_cores || topo.nr_cores > CT_MAX_CPUS) {
		errmsg(err, errlen, "bad header (mode, group_by or cores)");
		return -EINVAL;
	}
	topo.cores = calloc(topo.nr_cores, sizeof(*topo.cores));
	if (!topo.cores)
		return -ENOMEM;
	topo.declared = json_object_object_get_ex(h, "declared", &f) && json_object_get_boolean(f);
	for (unsigned int c = 0; c < topo.nr_cores; c++) {
		struct json_object *cpus = json_object_array_get_idx(cores, c);
		size_t n = json_object_is_type(cpus, json_type_array) ?
			   json_object_array_length(cpus) : 0;

		if (n < 2 || n > CT_MAX_SMT) {
			topo_free(&topo);
			errmsg(err, errlen, "bad header: core %u has %zu CPUs", c, n);
			return -EINVAL;
		}
		topo.cores[c].nr = n;
		for (size_t i = 0; i < n; i++)
			topo.cores[c].cpu[i] = json_object_get_int(json_object_array_get_idx(cpus, i));
	}
	ret = ct_session_init(s, !strcmp(mode, "measured"), by_i, &topo);
	topo_free(&topo);
	return ret;
}



static int load_cores(struct json_object *line, struct ct_session *s, struct ct_snapshot *snap)
{
	struct json_object *cores = json_get_array(line, "cores");

	if (!cores || json_object_array_length(cores) != s->topo.nr_cores)
		return -EINVAL;
	for (unsigned int c = 0; c < s->topo.nr_cores; c++) {
		struct json_object *co = json_object_array_get_idx(cores, c);
		struct json_object *sibs = json_get_array(co, "siblings");
		struct ct_core *k = &snap->cores[c];

		k->nr = s->topo.cores[c].nr;
		if (!json_get_fields(co, k, core_fields, JSON_FIELDS(core_fields)) || !sibs ||
		    json_object_array_length(sibs) != k->nr)
			return -EINVAL;
		for (unsigned int i = 0; i < k->nr; i++) {
			struct json_object *so = json_object_array_get_idx(sibs, i), *st;
			uint64_t pid = 0, group = 0;
			const char *state;

			if (!json_get_fields(so, &k->sib[i], sib_fields, JSON_FIELDS(sib_fields)) ||
			    !json_get_u64(so, "pid", &pid) || !json_get_u64(so, "group", &group) ||
			    !json_object_object_get_ex(so, "state", &st))
				return -EINVAL;
			state = json_object_get_string(st);
			k->slot[i].pid = pid;
			k->slot[i].group = group;
			k->slot[i].state = !strcmp(state, "run") ? CT_RUN :
					   !strcmp(state, "forced") ? CT_FORCED : CT_IDLE;
		}
	}
	return 0;
}

static int load_line(struct json_object *line, struct ct_session *s)
{
	struct ct_snapshot snap = {};
	struct json_object *a, *f, *lost;
	int ret = -EINVAL;

	snap.nr_cores = s->topo.nr_cores;
	snap.cores = calloc(snap.nr_cores, sizeof(*snap.cores));
	if (!snap.cores)
		return -ENOMEM;
	if (!json_get_u64(line, "time_ns", &snap.time_ns) || load_cores(line, s, &snap))
		goto out;
	a = json_get_array(line, "pairs");
	snap.nr_pairs = a ? json_object_array_length(a) : 0;
	snap.pairs = calloc(snap.nr_pairs + 1, sizeof(*snap.pairs));
	for (size_t i = 0; snap.pairs && i < snap.nr_pairs; i++) {
		if (!json_get_fields(json_object_array_get_idx(a, i), &snap.pairs[i], pair_fields,
				JSON_FIELDS(pair_fields)))
			goto out;
	}
	a = json_get_array(line, "tasks");
	snap.nr_tasks = a ? json_object_array_length(a) : 0;
	snap.tasks = calloc(snap.nr_tasks + 1, sizeof(*snap.tasks));
	if (!snap.pairs || !snap.tasks) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < snap.nr_tasks; i++) {
		struct json_object *t = json_object_array_get_idx(a, i);
		struct ct_task_row *r = &snap.tasks[i];
		uint64_t pid, tgid = 0;

		if (!json_get_u64(t, "pid", &pid) || !json_get_fields(t, &r->t, task_fields,
							   JSON_FIELDS(task_fields)))
			goto out;
		r->pid = pid;
		json_get_u64(t, "tgid", &tgid);
		r->t.tgid = tgid;
		if (json_object_object_get_ex(t, "comm", &f))
			snprintf(r->t.comm, sizeof(r->t.comm), "%s", json_object_get_string(f));
		if (json_object_object_get_ex(t, "exited", &f))
			r->exited = json_object_get_boolean(f);
	}
	if (json_object_object_get_ex(line, "lost", &lost)) {
		json_get_u64(lost, "tasks", &snap.lost_tasks);
		json_get_u64(lost, "pairs", &snap.lost_pairs);
		json_get_u64(lost, "cookies", &snap.lost_cookies);
	}
	a = json_get_array(line, "groups");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		struct json_object *g = json_object_array_get_idx(a, i);
		uint64_t id;

		if (json_get_u64(g, "group", &id) && json_object_object_get_ex(g, "name", &f))
			ct_session_name_group(s, id, json_object_get_string(f));
	}
	s->kernel_fi_s = json_object_object_get_ex(line, "kernel_forced_idle_s", &f) ?
			 json_object_get_double(f) : NAN;
	ct_session_update(s, &snap);
	ret = 0;
out:
	ct_snapshot_free(&snap);
	return ret;
}

/* jsonl_read's callbacks */
static int read_header(struct json_object *o, void *s, char *err, size_t errlen)
{
	return load_header(o, s, err, errlen);
}

static int read_refresh(struct json_object *o, void *s)
{
	return load_line(o, s);
}

int ct_session_load(const char *path, struct ct_session *s, char *err, size_t errlen)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = jsonl_read(path, "coretop", read_header, read_refresh, s, err, errlen);
	if (ret)
		ct_session_free(s);
	return ret;
}
