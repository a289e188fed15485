// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's part of the live session (live.h does the rest): the mode
 * chosen (measured where the kernel schedules by cookie on SMT cores, else
 * the what-if estimate), the kernel side started, its snapshots read into
 * the session at every refresh, the groups named, and what a refresh is as
 * a line, a session-file record and metrics; kernel.sched_schedstats
 * restored if we set it; everything taken down on every exit path.
 */
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "cli.h"
#include "evloop.h"
#include "kstat.h"
#include "live.h"
#include "outfile.h"
#include "reaper.h"
#include "session.h"
#include "topo.h"
#include "trace.h"
#include "view.h"

#define TOP_ROWS	10	/* --batch: pairs shown */
#define SAMPLE_NS	50000000	/* the lanes' samples of what runs: 20 a second */
#define KERNEL_ROWS	64	/* tasks whose /proc/PID/sched is read each refresh */

struct live {
	const struct coretop_opts *o;
	struct live_session lv;
	struct ct_tracer *tracer;
	struct ct_session s;
	FILE *out;
	char status[192];
	char **list_names;		/* --group NAMEs, group i + 1 */
	size_t nr_list_names;
	char cgroup_root[256];		/* cgroup2 mount, "" if none */
	struct cgroupfs_index *cgroups;
	double kernel_fi_base;		/* cpu.stat at start; NaN: no count */
	bool schedstats_on;		/* the kernel counts forced idle */
	bool schedstats_set;		/* we turned it on: off again at exit */
	int schedstats_reaper;
	struct ct_core *sample;		/* the cores as last sampled */
	uint32_t *tgids;		/* --group's pids, */
	uint64_t *groups;		/* ... and their groups */
	char err[256];			/* why it cannot start (refuse()) */
};

/* Why coretop cannot start (or put kernel.sched_schedstats back), in
 * @l->err for its caller to say; returns 1. */
static int refuse(struct live *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l->err, sizeof(l->err), fmt, ap);
	va_end(ap);
	return 1;
}

/* /proc/PID/FILE's first line, newline cut. */
static bool proc_line(uint32_t pid, const char *file, char *buf, size_t len)
{
	char path[64];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, file);
	f = fopen(path, "r");
	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok;
}

static uint32_t proc_tgid(uint32_t pid)
{
	char path[64], line[128];
	unsigned int tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %u", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* Names the kernel side could not give: tasks it saw only from afar. */
static void fill_tasks(struct live *l, struct ct_snapshot *snap)
{
	for (size_t i = 0; i < snap->nr_tasks; i++) {
		struct ct_task *t = &snap->tasks[i].t;
		uint32_t pid = snap->tasks[i].pid;

		if (t->comm[0])
			continue;
		for (size_t j = 0; j < l->s.nr_tasks; j++)
			if (l->s.tasks[j].pid == pid && l->s.tasks[j].comm[0] &&
			    !l->s.tasks[j].exited) {
				memcpy(t->comm, l->s.tasks[j].comm, sizeof(t->comm));
				t->tgid = l->s.tasks[j].tgid;
			}
		if (!t->comm[0] && proc_line(pid, "comm", t->comm, sizeof(t->comm)))
			t->tgid = proc_tgid(pid);
	}
}

static void name_group(struct live *l, struct ct_session_group *g)
{
	char name[CT_SESSION_NAME], comm[16] = "?";
	const char *path;
	struct passwd *pw;

	if (g->name[0] || g->id == 0 || g->id == ~0ull)
		return;
	switch (l->s.by) {
	case CT_BY_TGID:
		/* the process's main thread as the kernel side saw it, or /proc */
		for (size_t i = 0; i < l->s.nr_tasks; i++)
			if (l->s.tasks[i].pid == g->id && l->s.tasks[i].comm[0])
				memcpy(comm, l->s.tasks[i].comm, sizeof(comm));
		if (comm[0] == '?')
			proc_line(g->id, "comm", comm, sizeof(comm));
		snprintf(name, sizeof(name), "pid %llu (%s)", (unsigned long long)g->id, comm);
		break;
	case CT_BY_UID:
		pw = getpwuid(g->id - 1);
		snprintf(name, sizeof(name), "uid %llu (%s)", (unsigned long long)g->id - 1,
			 pw ? pw->pw_name : "?");
		break;
	case CT_BY_CGROUP:
		path = l->cgroups ? cgroupfs_index_path(l->cgroups, g->id) : NULL;
		if (path)
			snprintf(name, sizeof(name), "%s", path);
		else
			snprintf(name, sizeof(name), "cgroup %llu", (unsigned long long)g->id);
		break;
	case CT_BY_LIST:
		if (g->id > l->nr_list_names)
			return;
		snprintf(name, sizeof(name), "%s", l->list_names[g->id - 1]);
		break;
	default:
		snprintf(name, sizeof(name), "cookie %llu", (unsigned long long)g->id);
		break;
	}
	snprintf(g->name, sizeof(g->name), "%s", name);
}

/* The kernel's own count: schedstats on, cpu.stat and /proc/PID/sched. */
static void kernel_counts(struct live *l)
{
	size_t shown = 0;

	if (!isnan(l->kernel_fi_base))
		l->s.kernel_fi_s = kstat_cgroup_forceidle(l->cgroup_root) - l->kernel_fi_base;
	for (size_t i = 0; i < l->s.nr_tasks && shown < KERNEL_ROWS; i++) {
		struct ct_session_task *t = &l->s.tasks[i];

		if (t->exited || !ct_session_task_total(t, CT_SESSION_CAUSED))
			continue;
		t->kernel_fi_s = kstat_task_forceidle("/proc", t->pid);
		shown++;
	}
}

/* The kernel's figures into the session (live_ops.refresh). */
static int refresh(void *ctx)
{
	struct live *l = ctx;
	struct ct_snapshot snap;
	int ret = ct_trace_read(l->tracer, &snap);

	if (ret)
		return ret;
	fill_tasks(l, &snap);
	ct_session_update(&l->s, &snap);
	if (l->cgroups)
		cgroupfs_index_expire(l->cgroups);
	for (size_t i = 0; i < l->s.nr_groups; i++)
		name_group(l, &l->s.groups[i]);
	if (l->s.measured)
		kernel_counts(l);
	return 0;
}

static void print(void *ctx, FILE *f, bool json)
{
	struct live *l = ctx;

	if (json)
		ct_session_json(f, &l->s);
	else
		ct_session_text(f, &l->s, TOP_ROWS);
}

static int record(void *ctx)
{
	struct live *l = ctx;

	ct_session_json(l->out, &l->s);
	return ferror(l->out) ? -EIO : 0;
}

static void metrics(void *ctx, struct metrics *m)
{
	struct live *l = ctx;

	ct_session_metrics(&l->s, m);
}

static void *open_view(void *ctx, bool no_color)
{
	struct live *l = ctx;

	return view_open(&l->s, l->status, no_color);
}

/* --replay */
static int load(void *ctx, const char *path, char *err, size_t errlen)
{
	struct live *l = ctx;
	int ret = ct_session_load(path, &l->s, err, errlen);

	snprintf(l->status, sizeof(l->status), "replay of %s (%s, groups by %s)", l->o->out.replay,
		 l->s.measured ? "measured" : "what-if", ct_session_group_by_name(l->s.by));
	return ret;
}

static const struct live_ops ops = {
	.tool = "coretop", .refresh = refresh, .print = print, .record = record, .load = load,
	.metrics = metrics, .view_open = open_view, .view = &view_live,
};

/* The lanes: what runs on each sibling, 20 times a second. */
static int on_sample(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (!ct_trace_read_cores(l->tracer, l->sample))
		ct_session_sample(&l->s, l->sample, getpid());
	return 0;
}

/* --group NAME=PID[,PID...]: group i + 1 for the i-th. */
static int parse_groups(struct live *l, uint32_t **tgid, uint64_t **group, size_t *nr)
{
	const struct coretop_opts *o = l->o;

	*nr = 0;
	l->list_names = calloc(o->nr_groups, sizeof(*l->list_names));
	if (!l->list_names)
		return refuse(l, "out of memory");
	for (size_t g = 0; g < o->nr_groups; g++) {
		const char *eq = strchr(o->groups[g], '='), *p;
		char *end;

		if (!eq || eq == o->groups[g] || !eq[1])
			return refuse(l, "bad --group '%s' (want NAME=PID[,PID...])",
				      o->groups[g]);
		l->list_names[g] = strndup(o->groups[g], eq - o->groups[g]);
		if (!l->list_names[g])
			return refuse(l, "out of memory");
		l->nr_list_names++;
		for (p = eq + 1; *p; p = *end ? end + 1 : end) {
			unsigned long pid = strtoul(p, &end, 10);
			uint32_t *t;
			uint64_t *gr;

			if (end == p || (*end && *end != ',') || !pid || pid > 0x3fffffff)
				return refuse(l, "bad pid in --group '%s'", o->groups[g]);
			if (kill(pid, 0) && errno == ESRCH)
				return refuse(l, "--group %s: no process %lu", l->list_names[g],
					      pid);
			t = realloc(*tgid, (*nr + 1) * sizeof(**tgid));
			if (t)
				*tgid = t;
			gr = realloc(*group, (*nr + 1) * sizeof(**group));
			if (gr)
				*group = gr;
			if (!t || !gr)
				return refuse(l, "out of memory");
			(*tgid)[*nr] = pid;
			(*group)[(*nr)++] = g + 1;
		}
	}
	return 0;
}

/* Measured where the kernel can, else what-if; says why in @l->status. */
static int choose_mode(struct live *l, struct topo *topo, bool *measured, int *by)
{
	const struct coretop_opts *o = l->o;
	bool core_sched;
	char err[256];
	const char *why;
	int ncpu = sysconf(_SC_NPROCESSORS_CONF);

	if (o->smt_pairs) {
		if (topo_parse(topo, o->smt_pairs, ncpu > 0 ? ncpu : 1, err, sizeof(err)))
			return refuse(l, "%s", err);
	} else if (topo_read(topo, "/sys/devices/system/cpu", err, sizeof(err))) {
		return refuse(l, "%s", err);
	} else if (!topo->nr_cores) {
		return refuse(l, "this machine has no SMT siblings (each CPU is its own "
			      "core): declare some with --smt-pairs 0-1,2-3 to estimate");
	}
	/* BTF parsing costs tens of ms: only once there are cores to watch */
	core_sched = ct_kernel_has_core_sched();
	*measured = core_sched && !o->what_if && !topo->declared;
	why = o->what_if ? "--what-if" : topo->declared ? "--smt-pairs declared the cores" :
	      "no core scheduling in this kernel (CONFIG_SCHED_CORE)";
	*by = o->group_by >= 0 ? o->group_by : o->nr_groups ? GROUP_BY_LIST :
	      *measured ? GROUP_BY_COOKIE : GROUP_BY_TGID;
	if (o->nr_groups && *by != GROUP_BY_LIST)
		return refuse(l, "--group lists and --group-by %s exclude each other",
			      ct_session_group_by_name((enum ct_group_by)*by));
	if (*measured && *by != GROUP_BY_COOKIE)
		return refuse(l, "measured mode groups by the kernel's cookies: add "
			      "--what-if to estimate by %s",
			      ct_session_group_by_name((enum ct_group_by)*by));
	if (!*measured && *by == GROUP_BY_COOKIE && !core_sched)
		return refuse(l, "--group-by cookie: this kernel has no core-scheduling "
			      "cookies (CONFIG_SCHED_CORE); use cgroup, uid, tgid or --group");
	if (o->schedstats && !*measured)
		return refuse(l, "--schedstats is for measured mode (the kernel counts "
			      "forced idle only where it schedules by cookie)");
	if (*measured)
		snprintf(l->status, sizeof(l->status), "measured: the kernel's core scheduling, "
			 "%u core%s", topo->nr_cores, topo->nr_cores == 1 ? "" : "s");
	else
		snprintf(l->status, sizeof(l->status), "what-if (%s), groups by %s, %u core%s%s",
			 why, ct_session_group_by_name((enum ct_group_by)*by), topo->nr_cores,
			 topo->nr_cores == 1 ? "" : "s", topo->declared ? " declared" : "");
	return 0;
}

/* In the reaper (reaper.h): coretop died with schedstats on for it. */
static void schedstats_reap(const void *data, size_t len)
{
	(void)data;
	(void)len;
	if (!kstat_set_schedstats(KSTAT_SCHEDSTATS, 0))
		fprintf(stderr, "coretop: kernel.sched_schedstats back off "
			"(coretop ended without turning it off)\n");
}

/* kernel.sched_schedstats on for the session, if asked and off: armed in
 * the reaper first, to go back off even if coretop is killed; 0, or 1
 * with the reason in @l->err. */
static int schedstats_start(struct live *l)
{
	int on = kstat_schedstats(KSTAT_SCHEDSTATS), ret;

	if (!l->o->schedstats || on != 0) {
		if (on == 0)
			fprintf(stderr, "coretop: kernel.sched_schedstats is off: the kernel "
				"does not count forced idle itself, so there is no cross-check "
				"(--schedstats turns it on for the session)\n");
		l->schedstats_on = on == 1;
		return 0;
	}
	/* armed before the write: a kill between the two would leave it on
	 * (1 of 20 kills in the 6.1 guest's 85-sigkill); off when it was off
	 * already changes nothing */
	l->schedstats_reaper = reaper_arm(schedstats_reap, NULL, 0);
	if (l->schedstats_reaper < 0)
		return refuse(l, "cannot arm turning kernel.sched_schedstats back off if "
			      "coretop is killed: %s", strerror(-l->schedstats_reaper));
	ret = kstat_set_schedstats(KSTAT_SCHEDSTATS, 1);
	if (ret) {
		reaper_disarm(l->schedstats_reaper);
		return refuse(l, "cannot turn kernel.sched_schedstats on: %s", strerror(-ret));
	}
	l->schedstats_set = true;
	l->schedstats_on = true;
	fprintf(stderr, "coretop: kernel.sched_schedstats on for this session "
		"(back off at exit)\n");
	return 0;
}

/* Back as it was: 0, or 1 with the reason in @l->err. */
static int schedstats_stop(struct live *l)
{
	int ret;

	if (!l->schedstats_set)
		return 0;
	ret = kstat_set_schedstats(KSTAT_SCHEDSTATS, 0);
	if (ret)
		return refuse(l, "cannot turn kernel.sched_schedstats back off: %s",
			      strerror(-ret));
	reaper_disarm(l->schedstats_reaper);
	return 0;
}

/* The mode chosen, the kernel side started, the session made: 0, or 1
 * with the reason in @l->err (the caller stops what started). */
static int start(struct live *l)
{
	struct ct_trace_opts topts = {};
	struct topo topo = {};
	bool measured = false;
	int by = 0, ret, rc = 1;

	if (choose_mode(l, &topo, &measured, &by) ||
	    parse_groups(l, &l->tgids, &l->groups, &topts.nr_list))
		goto out;
	if (cgroupfs_mount("/proc/self/mountinfo", NULL, l->cgroup_root, sizeof(l->cgroup_root)))
		l->cgroup_root[0] = 0;
	if (by == GROUP_BY_CGROUP && l->cgroup_root[0])
		l->cgroups = cgroupfs_index_new(l->cgroup_root);
	if (measured && schedstats_start(l))
		goto out;
	topts.measured = measured;
	topts.by = (enum ct_group_by)by;
	topts.topo = &topo;
	topts.list_tgid = l->tgids;
	topts.list_group = l->groups;
	ret = ct_trace_start(&l->tracer, &topts, l->err, sizeof(l->err));
	if (ret)
		goto out;
	l->sample = calloc(topo.nr_cores, sizeof(*l->sample));
	if (!l->sample || ct_session_init(&l->s, measured, (enum ct_group_by)by, &topo)) {
		refuse(l, "out of memory");
		goto out;
	}
	/* the kernel's count from the first snapshot on, like ours (and past
	 * the first tick after schedstats came on, which may charge a stale
	 * start) */
	if (l->schedstats_on && l->cgroup_root[0])
		l->kernel_fi_base = kstat_cgroup_forceidle(l->cgroup_root);
	rc = 0;
out:
	topo_free(&topo);
	return rc;
}

/* What start() made, given back, kernel.sched_schedstats off again if we
 * turned it on: 0, or 1 with the reason in @l->err. */
static int stop(struct live *l)
{
	int rc;

	ct_trace_stop(l->tracer);
	l->tracer = NULL;
	rc = schedstats_stop(l);
	ct_session_free(&l->s);
	free(l->sample);
	cgroupfs_index_free(l->cgroups);
	for (size_t i = 0; i < l->nr_list_names; i++)
		free(l->list_names[i]);
	free(l->list_names);
	free(l->tgids);
	free(l->groups);
	return rc;
}

int coretop_run(const struct coretop_opts *o)
{
	struct live l = { .o = o, .kernel_fi_base = NAN };
	int rc = 1;

	l.lv.doing = "reading the kernel's counts";
	if (live_begin(&l.lv, &ops, &l, &o->out, NULL))
		goto out;
	if (o->out.replay) {
		rc = live_replay(&l.lv);
		goto out;
	}
	if (start(&l)) {
		tool_error("%s", l.err);
		goto out;
	}
	if (o->out.output && !(l.out = outfile_fopen(o->out.output, o->out.force))) {
		tool_error("cannot create %s: %s", o->out.output, strerror(errno));
		goto out;
	}
	if (l.out)
		ct_session_write_header(l.out, &l.s);
	if (l.lv.with_view && evloop_add_timer(l.lv.loop, SAMPLE_NS, on_sample, &l) < 0) {
		tool_error("cannot start timers: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "coretop: %s\n", l.status);
	rc = live_run(&l.lv);
	if (!rc)
		fprintf(stderr, "coretop: %.1f s, %s: %s %.1f%%\n",
			(l.s.cur.time_ns - l.s.start_ns) / 1e9, l.s.measured ? "measured" : "what-if",
			l.s.measured ? "forced idle" : "estimated cost", 100 * ct_session_cost(&l.s));
out:
	if (stop(&l))
		rc = tool_error("%s", l.err);
	live_end(&l.lv);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	return rc;
}

/* --- coretop as a part of a host's session (kscope record) ---------------- */

struct coretop_part {
	struct live l;
};

struct coretop_part *coretop_part_start(const struct coretop_opts *o, FILE *rec, char *err,
					size_t errlen)
{
	struct coretop_part *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->l.o = o;
	p->l.kernel_fi_base = NAN;
	if (start(&p->l)) {
		snprintf(err, errlen, "%s", p->l.err);
		stop(&p->l);
		free(p);
		return NULL;
	}
	p->l.out = rec;
	ct_session_write_header(rec, &p->l.s);
	return p;
}

const char *coretop_part_status(const struct coretop_part *p)
{
	return p->l.status;
}

int coretop_part_refresh(struct coretop_part *p)
{
	int ret = refresh(&p->l);

	return ret ? ret : record(&p->l);
}

double coretop_part_forced(const struct coretop_part *p, unsigned int *core, bool *measured)
{
	const struct ct_session *s = &p->l.s;
	double most = NAN;

	*measured = s->measured;
	for (unsigned int c = 0; c < s->cur.nr_cores; c++) {
		/* what-if: the conflict, the time one sibling would have idled */
		double v = s->measured ? ct_session_core_forced(s, c) : ct_session_core_conflict(s, c);

		if (!isnan(v) && (isnan(most) || v > most)) {
			most = v;
			*core = c;
		}
	}
	return most;
}

void coretop_part_stop(struct coretop_part *p)
{
	if (!p)
		return;
	if (stop(&p->l))
		fprintf(stderr, "coretop: %s\n", p->l.err);
	free(p);
}
