// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's model: a session updated from snapshots (tasks merged across
 * their exits, pairs, groups and their letters, the lanes) and the figures
 * of the last interval and of the whole session.  Pure C, no I/O.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

static const char *const group_by_names[] = {
	[CT_BY_COOKIE] = "cookie", [CT_BY_CGROUP] = "cgroup", [CT_BY_UID] = "uid",
	[CT_BY_TGID] = "tgid", [CT_BY_LIST] = "list",
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
