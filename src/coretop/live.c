// SPDX-License-Identifier: GPL-2.0
/*
 * coretop's driver: the mode chosen (measured where the kernel schedules
 * by cookie on SMT cores, else the what-if estimate), the kernel side
 * started, snapshots read every refresh into the session and out to the
 * views, the session file and the metrics (--metrics, --metrics-textfile);
 * kernel.sched_schedstats restored if we set it; everything taken down on
 * every exit path.
 */
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroupfs.h"
#include "cli.h"
#include "clock.h"
#include "evloop.h"
#include "kstat.h"
#include "metrics_serve.h"
#include "outfile.h"
#include "probe.h"
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
	struct evloop *loop;
	struct ct_tracer *tracer;
	struct ct_session s;
	struct view *view;
	struct metrics_pub *metrics;	/* --metrics, --metrics-textfile */
	FILE *out;
	char status[192];
	char **list_names;		/* --group NAMEs, group i + 1 */
	size_t nr_list_names;
	char cgroup_root[256];		/* cgroup2 mount, "" if none */
	struct cgroupfs_index *cgroups;
	double kernel_fi_base;		/* cpu.stat at start; NaN: no count */
	int read_error;
	struct ct_core *sample;		/* the cores as last sampled */
};

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

static int refresh(struct live *l)
{
	struct ct_snapshot snap;
	int ret = ct_trace_read(l->tracer, &snap);

	if (ret) {
		l->read_error = ret;
		return ret;
	}
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

/* The refresh to the metrics and the textfile; 0, or 1 (said). */
static int publish(struct live *l)
{
	char err[256];

	if (!l->metrics)
		return 0;
	ct_session_metrics(&l->s, metrics_pub_begin(l->metrics));
	return metrics_pub_end(l->metrics, err, sizeof(err)) ? tool_error("%s", err) : 0;
}

/* A refresh out: stdout (never with --headless), the session file, the
 * view, the metrics; 0, or 1 when publishing failed (said). */
static int outputs(struct live *l)
{
	const struct cliout *o = &l->o->out;

	if (o->json && !o->metrics.headless) {
		ct_session_json(stdout, &l->s);
		fflush(stdout);
	} else if (o->batch && !o->metrics.headless) {
		ct_session_text(stdout, &l->s, TOP_ROWS);
		fflush(stdout);
	}
	if (l->out)
		ct_session_json(l->out, &l->s);
	if (l->view)
		view_draw(l->view, &l->s, l->status);
	return publish(l);
}

static int on_refresh(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (refresh(l))
		return l->read_error;
	return outputs(l) ? -ECANCELED : 0;
}

static int on_sample(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (!ct_trace_read_cores(l->tracer, l->sample))
		ct_session_sample(&l->s, l->sample, getpid());
	return 0;
}

static int on_key(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (view_keys(l->view))
		return 1;
	view_draw(l->view, &l->s, l->status);
	return 0;
}

static int on_signal(void *ctx, int signo)
{
	struct live *l = ctx;

	if (signo == SIGWINCH) {
		view_resize(l->view);
		view_draw(l->view, &l->s, l->status);
		return 0;
	}
	return 1;
}

/* --group NAME=PID[,PID...]: group i + 1 for the i-th. */
static int parse_groups(struct live *l, uint32_t **tgid, uint64_t **group, size_t *nr)
{
	const struct coretop_opts *o = l->o;

	*nr = 0;
	l->list_names = calloc(o->nr_groups, sizeof(*l->list_names));
	if (!l->list_names)
		return tool_error("out of memory");
	for (size_t g = 0; g < o->nr_groups; g++) {
		const char *eq = strchr(o->groups[g], '='), *p;
		char *end;

		if (!eq || eq == o->groups[g] || !eq[1])
			return tool_error("bad --group '%s' (want NAME=PID[,PID...])",
					     o->groups[g]);
		l->list_names[g] = strndup(o->groups[g], eq - o->groups[g]);
		if (!l->list_names[g])
			return tool_error("out of memory");
		l->nr_list_names++;
		for (p = eq + 1; *p; p = *end ? end + 1 : end) {
			unsigned long pid = strtoul(p, &end, 10);
			uint32_t *t;
			uint64_t *gr;

			if (end == p || (*end && *end != ',') || !pid || pid > 0x3fffffff)
				return tool_error("bad pid in --group '%s'", o->groups[g]);
			if (kill(pid, 0) && errno == ESRCH)
				return tool_error("--group %s: no process %lu", l->list_names[g],
						     pid);
			t = realloc(*tgid, (*nr + 1) * sizeof(**tgid));
			if (t)
				*tgid = t;
			gr = realloc(*group, (*nr + 1) * sizeof(**group));
			if (gr)
				*group = gr;
			if (!t || !gr)
				return tool_error("out of memory");
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
			return tool_error("%s", err);
	} else if (topo_read(topo, "/sys/devices/system/cpu", err, sizeof(err))) {
		return tool_error("%s", err);
	} else if (!topo->nr_cores) {
		return tool_error("this machine has no SMT siblings (each CPU is its own "
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
		return tool_error("--group lists and --group-by %s exclude each other",
				     ct_session_group_by_name((enum ct_group_by)*by));
	if (*measured && *by != GROUP_BY_COOKIE)
		return tool_error("measured mode groups by the kernel's cookies: add "
				     "--what-if to estimate by %s",
				     ct_session_group_by_name((enum ct_group_by)*by));
	if (!*measured && *by == GROUP_BY_COOKIE && !core_sched)
		return tool_error("--group-by cookie: this kernel has no core-scheduling "
				     "cookies (CONFIG_SCHED_CORE); use cgroup, uid, tgid or --group");
	if (o->schedstats && !*measured)
		return tool_error("--schedstats is for measured mode (the kernel counts "
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

static int replay(const struct coretop_opts *o);

/* In the reaper (reaper.h): coretop died with schedstats on for it. */
static void schedstats_reap(const void *data, size_t len)
{
	(void)data;
	(void)len;
	if (!kstat_set_schedstats(KSTAT_SCHEDSTATS, 0))
		fprintf(stderr, "coretop: kernel.sched_schedstats back off "
			"(coretop ended without turning it off)\n");
}

int coretop_run(const struct coretop_opts *o)
{
	static const int tui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	static const int batch_signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	static const int needed[] = { 0 };
	struct live l = { .o = o, .kernel_fi_base = NAN };
	struct ct_trace_opts topts = {};
	struct topo topo = {};
	uint32_t *tgids = NULL;
	uint64_t *groups = NULL;
	bool tui = !cliout_no_view(&o->out), measured = false, schedstats_on = false;
	int by = 0, rc = 1, ret, schedstats_was = -1, schedstats_reaper = 0;
	char err[256];
	const char *cap;

	if (o->out.replay)
		return metrics_wanted(&o->out.metrics) ?
			tool_error("--metrics and --metrics-textfile are for live sessions, "
				   "not --replay") : replay(o);
	cap = probe_missing_capability(needed);
	if (cap)
		return tool_error("needs %s (run as root)", cap);
	if (!probe_kernel_btf())
		return tool_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
				     "CO-RE programs cannot load");
	if (tui && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return tool_error("the live view needs a terminal; use --batch or --headless");
	if (choose_mode(&l, &topo, &measured, &by) ||
	    parse_groups(&l, &tgids, &groups, &topts.nr_list))
		goto out;
	probe_libbpf_verbose(o->out.verbose);
	signal(SIGPIPE, SIG_IGN);

	/* the metrics' address taken before anything is loaded or set: a
	 * port in use fails here, leaving nothing behind */
	l.loop = evloop_new();
	if (!l.loop) {
		tool_error("out of memory");
		goto out;
	}
	if (metrics_pub_start(&l.metrics, &o->out.metrics, l.loop, err, sizeof(err))) {
		tool_error("%s", err);
		goto out;
	}

	if (cgroupfs_mount("/proc/self/mountinfo", NULL, l.cgroup_root, sizeof(l.cgroup_root)))
		l.cgroup_root[0] = 0;
	if (by == GROUP_BY_CGROUP && l.cgroup_root[0])
		l.cgroups = cgroupfs_index_new(l.cgroup_root);
	if (measured) {
		int on = kstat_schedstats(KSTAT_SCHEDSTATS);

		if (o->schedstats && on == 0) {
			/* the reaper first, to turn it back off even if coretop
			 * is killed */
			ret = reaper_start();
			if (ret) {
				tool_error("cannot start the process that turns "
					      "kernel.sched_schedstats back off if coretop "
					      "is killed: %s", strerror(-ret));
				goto out;
			}
			ret = kstat_set_schedstats(KSTAT_SCHEDSTATS, 1);
			if (ret) {
				tool_error("cannot turn kernel.sched_schedstats on: %s",
					      strerror(-ret));
				goto out;
			}
			schedstats_was = 0;
			on = 1;
			schedstats_reaper = reaper_arm(schedstats_reap, NULL, 0);
			if (schedstats_reaper < 0) {
				tool_error("cannot arm turning kernel.sched_schedstats "
					      "back off if coretop is killed: %s",
					      strerror(-schedstats_reaper));
				goto out;
			}
			fprintf(stderr, "coretop: kernel.sched_schedstats on for this session "
				"(back off at exit)\n");
		} else if (on == 0) {
			fprintf(stderr, "coretop: kernel.sched_schedstats is off: the kernel does "
				"not count forced idle itself, so there is no cross-check "
				"(--schedstats turns it on for the session)\n");
		}
		schedstats_on = on == 1;
	}

	topts.measured = measured;
	topts.by = (enum ct_group_by)by;
	topts.topo = &topo;
	topts.list_tgid = tgids;
	topts.list_group = groups;
	ret = ct_trace_start(&l.tracer, &topts, err, sizeof(err));
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	if (ct_session_init(&l.s, measured, (enum ct_group_by)by, &topo)) {
		tool_error("out of memory");
		goto out;
	}
	if (o->out.output && !(l.out = outfile_fopen(o->out.output, o->out.force))) {
		tool_error("cannot create %s: %s", o->out.output, strerror(errno));
		goto out;
	}
	if (l.out)
		ct_session_write_header(l.out, &l.s);
	/* the first snapshot: the rates of the first refresh start here */
	if (refresh(&l)) {
		tool_error("cannot read the kernel's counts: %s", strerror(-l.read_error));
		goto out;
	}
	/* the kernel's count from here, like ours (and past the first tick
	 * after schedstats came on, which may charge a stale start) */
	if (schedstats_on && l.cgroup_root[0])
		l.kernel_fi_base = kstat_cgroup_forceidle(l.cgroup_root);
	if (publish(&l))
		goto out;

	ret = evloop_add_signals(l.loop, tui ? tui_signals : batch_signals, on_signal, &l);
	if (ret) {
		tool_error("cannot take signals: %s", strerror(-ret));
		goto out;
	}
	if (tui) {
		ret = view_open(&l.view, o->out.no_color);
		if (ret) {
			tool_error("cannot start the terminal view: %s", strerror(-ret));
			goto out;
		}
		if (evloop_add_fd(l.loop, STDIN_FILENO, on_key, &l)) {
			tool_error("cannot read the terminal");
			goto out;
		}
	}
	l.sample = calloc(topo.nr_cores, sizeof(*l.sample));
	if (!l.sample) {
		tool_error("out of memory");
		goto out;
	}
	if (evloop_add_timer(l.loop, o->out.refresh_ns, on_refresh, &l) < 0 ||
	    (l.view && evloop_add_timer(l.loop, SAMPLE_NS, on_sample, &l) < 0) ||
	    (o->out.duration_ns && evloop_add_deadline(l.loop, o->out.duration_ns) < 0)) {
		tool_error("cannot start timers: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "coretop: %s\n", l.status);
	if (l.view)
		view_draw(l.view, &l.s, l.status);

	ret = evloop_run(l.loop);
	view_close(l.view);
	l.view = NULL;
	if (ret == -ECANCELED)		/* publishing failed, and said so */
		goto out;
	if (ret < 0 && ret != -EPIPE) {
		tool_error("reading the kernel's counts failed: %s", strerror(-ret));
		goto out;
	}
	/* the last word: the figures up to the end, on stdout too, so that
	 * the last --json line, the session file's and the metrics agree */
	if (!refresh(&l) && outputs(&l))
		goto out;
	rc = 0;
	fprintf(stderr, "coretop: %.1f s, %s: %s %.1f%%\n",
		(l.s.cur.time_ns - l.s.start_ns) / 1e9, measured ? "measured" : "what-if",
		measured ? "forced idle" : "estimated cost", 100 * ct_session_cost(&l.s));
out:
	view_close(l.view);
	metrics_pub_stop(l.metrics);
	ct_trace_stop(l.tracer);
	if (schedstats_was == 0 && (ret = kstat_set_schedstats(KSTAT_SCHEDSTATS, 0)))
		rc = tool_error("cannot turn kernel.sched_schedstats back off: %s",
				   strerror(-ret));
	else
		reaper_disarm(schedstats_reaper);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	evloop_free(l.loop);
	ct_session_free(&l.s);
	free(l.sample);
	cgroupfs_index_free(l.cgroups);
	for (size_t i = 0; i < l.nr_list_names; i++)
		free(l.list_names[i]);
	free(l.list_names);
	free(tgids);
	free(groups);
	topo_free(&topo);
	return rc;
}

/* --replay: the session file through the same views. */
static int replay(const struct coretop_opts *o)
{
	struct live l = { .o = o };
	char err[256];
	int rc = 0;

	if (ct_session_load(o->out.replay, &l.s, err, sizeof(err)))
		return tool_error("cannot replay %s: %s", o->out.replay, err);
	snprintf(l.status, sizeof(l.status), "replay of %s (%s, groups by %s)", o->out.replay,
		 l.s.measured ? "measured" : "what-if", ct_session_group_by_name(l.s.by));
	if (o->out.json) {
		ct_session_json(stdout, &l.s);
		goto out;
	}
	if (o->out.batch) {
		ct_session_text(stdout, &l.s, TOP_ROWS);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || view_open(&l.view, o->out.no_color)) {
		rc = tool_error("cannot start the terminal view (use --batch)");
		goto out;
	}
	l.loop = evloop_new();
	if (!l.loop || evloop_add_fd(l.loop, STDIN_FILENO, on_key, &l)) {
		rc = tool_error("cannot read the terminal");
		goto out;
	}
	view_draw(l.view, &l.s, l.status);
	evloop_run(l.loop);
out:
	view_close(l.view);
	evloop_free(l.loop);
	ct_session_free(&l.s);
	return rc;
}
