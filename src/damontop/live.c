// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's part of the live session (live.h does the rest), for a live
 * target or a replayed record: the target, the source (kernel DAMON or the
 * page-table sampler) pushing each aggregation into the model, the record
 * writer and the summary; everything taken down again on every exit path.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <stdbool.h>

#include "cgroupfs.h"
#include "cli.h"
#include "clock.h"
#include "errmsg.h"
#include "evloop.h"
#include "kdamond.h"
#include "live.h"
#include "model.h"
#include "phys.h"
#include "probe.h"
#include "record.h"
#include "record_ring.h"
#include "target.h"
#include "units.h"
#include "view.h"

#define HISTORY 4096	/* snapshots the live view keeps */

struct live {
	const struct damontop_opts *o;
	struct live_session lv;
	struct target target;
	struct sampler *sampler;		/* the pte source, or */
	struct kdamond_source *kdamond;	/* the damon source */
	char source[300];		/* what the header says of it */
	char source_why[200];		/* auto: why that source */
	char ops[16];			/* vaddr, paddr */
	char doing[300];		/* "monitoring pid 12 (x)": a failure's line */
	struct damon_model model;
	struct recording replayed;	/* --replay: the file */
	struct record_writer *rec;	/* what is recorded goes here, or */
	struct record_ring *ring;	/* a host's --ring: only the last of it */
	bool part;			/* a part of a host's session: no live_session */
	int part_err;			/* its first failed write */
	struct view_status vs;
	uint64_t t0_ns;
	/* the process's own CPU use over the last refresh, and since the
	 * sampler started (start-up apart) */
	uint64_t cpu_prev_ns, wall_prev_ns;
	uint64_t cpu_start_ns, wall_start_ns;
	/* kernel DAMON: the kdamond's CPU clock (a kernel thread's reads like
	 * any process's), since the same start, and its last reading */
	clockid_t kd_clock;
	bool kd_clocked;
	uint64_t kd_start_ns, kd_prev_ns, kd_last_ns;
};

/* The kdamond's CPU time now, or its last reading once it is gone. */
static uint64_t kdamond_cpu_ns(struct live *l)
{
	struct timespec ts;

	if (l->kd_clocked && !clock_gettime(l->kd_clock, &ts))
		l->kd_last_ns = ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	return l->kd_last_ns;
}

/* Our CPU time and the kdamond's, now: clocks, read at every write of the
 * metrics too, so that the last textfile has them up to the exit. */
static void read_costs(struct live *l)
{
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall = clock_ns(CLOCK_MONOTONIC);
	uint64_t kd = kdamond_cpu_ns(l);

	l->vs.cpu_ns = cpu;
	l->vs.kdamond_cpu_ns = kd - l->kd_start_ns;
	if (wall - l->wall_prev_ns >= 250000000ULL) {
		l->vs.self_cost = (double)(cpu - l->cpu_prev_ns) / (wall - l->wall_prev_ns);
		if (l->kd_clocked)
			l->vs.kdamond_cost = (double)(kd - l->kd_prev_ns) / (wall - l->wall_prev_ns);
		l->cpu_prev_ns = cpu;
		l->kd_prev_ns = kd;
		l->wall_prev_ns = wall;
	}
}

/* The source's stats, read once an update (on_snapshot): the --json line
 * and the textfile of an update say the same drops (read twice, they
 * disagreed when a sample was lost in between). */
static void read_stats(struct live *l)
{
	if (l->sampler)
		sampler_get_stats(l->sampler, &l->vs.st);
	else if (l->kdamond)
		kdamond_get_stats(l->kdamond, &l->vs.st);
}

static void update_status(struct live *l)
{
	read_stats(l);
	read_costs(l);
}

/* A write of the record failed (-errno @ret): the session ends, or a
 * host's part fails at its next refresh; true when it did */
static bool record_failed(struct live *l, int ret)
{
	if (!ret)
		return false;
	if (l->part)
		l->part_err = l->part_err ?: ret;
	else
		live_fail(&l->lv, "cannot write %s: %s", l->o->out.output, strerror(-ret));
	return true;
}

/* What the record keeps: the file, the ring, or nothing without -o */
static int keep_snapshot(struct live *l, const struct snapshot *s)
{
	return l->rec ? record_write_snapshot(l->rec, s) :
	       l->ring ? record_ring_snapshot(l->ring, s) : 0;
}

static int keep_mappings(struct live *l, uint64_t time_ns, const struct mapping *maps,
			 size_t nr)
{
	return l->rec ? record_write_mappings(l->rec, time_ns, maps, nr) :
	       l->ring ? record_ring_mappings(l->ring, time_ns, maps, nr) : 0;
}

static int keep_note(struct live *l, uint64_t time_ns, const char *text)
{
	return l->rec ? record_write_note(l->rec, time_ns, text) :
	       l->ring ? record_ring_note(l->ring, time_ns, text) : 0;
}

static void on_snapshot(void *ctx, const struct snapshot *s)
{
	struct live *l = ctx;

	if (model_add_snapshot(&l->model, s))
		l->vs.drops++;
	update_status(l);
	if (!record_failed(l, keep_snapshot(l, s)) && !l->part)
		live_update(&l->lv, s->time_ns);
}

static void on_mappings(void *ctx, uint64_t time_ns, const struct mapping *maps,
			size_t nr)
{
	struct live *l = ctx;

	if (model_set_mappings(&l->model, maps, nr))
		l->vs.drops++;
	record_failed(l, keep_mappings(l, time_ns, maps, nr));
}

/* The pte source's plan: the header reads it from the stats, the record
 * keeps every change. */
static void on_plan(void *ctx, uint64_t time_ns, const char *line)
{
	record_failed(ctx, keep_note(ctx, time_ns, line));
}

static int on_target_exit(void *ctx, int fd, uint32_t events)
{
	(void)ctx, (void)fd, (void)events;
	return SAMPLER_TARGET_GONE;
}

static void print_header(void *ctx, FILE *f)
{
	struct live *l = ctx;

	view_batch_header(f, &l->vs);
}

static void print(void *ctx, FILE *f, bool json)
{
	struct live *l = ctx;

	if (json)
		view_json_line(f, &l->model, &l->vs);
	else
		view_batch_line(f, &l->model, &l->vs, l->t0_ns);
}

static void metrics(void *ctx, struct metrics *m)
{
	struct live *l = ctx;

	read_costs(l);
	view_metrics(m, &l->model, &l->vs);
}

static void *open_view(void *ctx, bool no_color)
{
	struct live *l = ctx;

	return view_tui_open(&l->model, &l->vs, no_color);
}

/* --replay: the record's snapshots through the same model and outputs,
 * an update each */
static int load(void *ctx, const char *path, char *err, size_t errlen)
{
	struct live *l = ctx;
	struct recording *rec = &l->replayed;
	int ret = record_load(path, rec, err, errlen);

	if (ret)
		return ret;
	snprintf(l->source, sizeof(l->source), "%s, replay of %s", rec->hdr.source, l->o->out.replay);
	l->vs.target = rec->hdr.target;
	l->vs.source = l->source;
	l->vs.plan = rec->nr_notes ? rec->notes[rec->nr_notes - 1].text : NULL;
	l->t0_ns = rec->nr_snaps ? rec->snaps[0].time_ns - rec->snaps[0].aggr_ns : 0;
	if (model_init(&l->model, rec->nr_snaps ? rec->nr_snaps : 1) ||
	    model_set_mappings(&l->model, rec->maps, rec->nr_maps)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < rec->nr_snaps; i++) {
		model_add_snapshot(&l->model, &rec->snaps[i]);
		live_update(&l->lv, rec->snaps[i].time_ns);
	}
	return 0;
}

/* The source pushes: an update per aggregation (live_update). */
static const struct live_ops ops = {
	.tool = "damontop", .print = print, .print_header = print_header, .load = load,
	.metrics = metrics, .view_open = open_view, .view = &view_tui_live,
};

/* The record's header, as the source stands now */
static void record_header_of(struct live *l, struct record_header *h)
{
	*h = (struct record_header){
		.pid = l->target.pid ? l->target.pid : -1,
		.start_mono_ns = clock_ns(CLOCK_MONOTONIC),
		.sample_ns = l->o->sampler.sample_ns,
		.aggr_ns = l->o->sampler.aggr_ns,
		.update_ns = l->o->sampler.update_ns,
		.min_nr_regions = l->o->sampler.min_nr_regions,
		.max_nr_regions = l->o->sampler.max_nr_regions,
	};
	h->start_realtime_ns = clock_ns(CLOCK_REALTIME);
	snprintf(h->tool, sizeof(h->tool), "damontop");
	if (l->kdamond) {
		struct kdamond_status st;

		kdamond_get_status(l->kdamond, &st);
		snprintf(h->source, sizeof(h->source), "damon-%.9s", st.ops);
		h->sample_ns = st.attrs.sample_us * 1000;
		h->aggr_ns = st.attrs.aggr_us * 1000;
		h->update_ns = st.attrs.update_us * 1000;
		h->min_nr_regions = st.attrs.min_nr_regions;
		h->max_nr_regions = st.attrs.max_nr_regions;
	} else {
		snprintf(h->source, sizeof(h->source), "%s",
			 l->o->sampler.scan ? "pte-scan" : "pte");
	}
	snprintf(h->target, sizeof(h->target), "%s", l->target.desc);
}

/* The mappings and the plan the source had before the record began: 0 or
 * -errno */
static int record_begin(struct live *l, uint64_t start_ns)
{
	int ret = 0;

	if (l->model.nr_maps)
		ret = keep_mappings(l, start_ns, l->model.maps, l->model.nr_maps);
	if (!ret && l->vs.plan)
		ret = keep_note(l, start_ns, l->vs.plan);
	return ret;
}

static int open_record(struct live *l)
{
	struct record_header h;
	int ret;

	record_header_of(l, &h);
	l->rec = l->o->damo_format ? record_create_damo(l->o->out.output, l->o->out.force, &h) :
				     record_create(l->o->out.output, l->o->out.force, &h);
	if (!l->rec)
		return tool_error("cannot create %s: %s", l->o->out.output, strerror(errno));
	if ((ret = record_begin(l, h.start_mono_ns)))
		return tool_error("cannot write %s: %s", l->o->out.output, strerror(-ret));
	return 0;
}

/* The cost shown is the running cost: start-up is reported apart. */
static void costs_from_now(struct live *l)
{
	l->cpu_start_ns = l->cpu_prev_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	l->kd_start_ns = l->kd_prev_ns = kdamond_cpu_ns(l);
	l->wall_start_ns = l->wall_prev_ns = clock_ns(CLOCK_MONOTONIC);
}

static void summary(struct live *l, int why)
{
	bool target_gone = why == SAMPLER_TARGET_GONE;
	const struct snapshot *s = model_latest(&l->model);
	char wss[16], peak[16], sample[16], aggr[16], kd[48] = "";
	double wall;

	update_status(l);
	wall = clock_ns(CLOCK_MONOTONIC) - l->wall_start_ns + 1;
	if (l->kd_clocked)
		snprintf(kd, sizeof(kd), ", the kdamond's %.2f%%",
			 100.0 * l->vs.kdamond_cpu_ns / wall);
	fprintf(stderr, "damontop: %s %s after %.1f s: %llu aggregations, WSS %s "
		"(peak %s), sample %s, aggr %s (%llu samples), monitor cost %.2f%% of "
		"one CPU (start-up %.0f ms)%s\n",
		l->target.desc, target_gone ? "exited" : why == KDAMOND_GONE ?
		"stopped" : "ended",
		(clock_ns(CLOCK_MONOTONIC) - l->t0_ns) / 1e9,
		(unsigned long long)l->model.total_snaps,
		units_bytes(wss, sizeof(wss), s ? snapshot_wss(s) : 0),
		units_bytes(peak, sizeof(peak), l->model.peak_wss),
		units_ns(sample, sizeof(sample), l->vs.st.sample_ns),
		units_ns(aggr, sizeof(aggr), l->vs.st.aggr_ns),
		(unsigned long long)(l->vs.st.sample_ns ? l->vs.st.aggr_ns / l->vs.st.sample_ns : 0),
		100.0 * (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - l->cpu_start_ns) / wall,
		l->cpu_start_ns / 1e6, kd);
	if (!l->model.total_snaps && l->sampler)
		fprintf(stderr, "hint: no aggregation completed in that time; within the "
			"budget one takes %s here (give a longer -d or a larger --budget)\n",
			aggr);
}

/* Kernel DAMON for this run: ours on a process or on physical memory, or
 * a running kdamond watched read-only. */
static int start_kdamond(struct live *l, char *err, size_t errlen)
{
	const struct damontop_opts *o = l->o;
	struct sampler_sink sink = { .ctx = l, .snapshot = on_snapshot,
				     .mappings = on_mappings };
	struct kdamond_opts ko = {
		.attach = o->attach_kdamond,
		.ops = o->paddr ? "paddr" : "vaddr",
		.pid = l->target.pid,
		.ranges = o->paddr_ranges,
		.nr_ranges = o->nr_paddr_ranges,
		.attrs = {
			.sample_us = o->sampler.sample_ns / 1000,
			.aggr_us = o->sampler.aggr_ns / 1000,
			.update_us = o->sampler.update_ns / 1000,
			.min_nr_regions = o->sampler.min_nr_regions,
			.max_nr_regions = o->sampler.max_nr_regions,
		},
	};
	struct damon_range *ram = NULL;
	struct mapping *maps = NULL;
	struct kdamond_status st;
	size_t nr = 0;
	int ret;

	if (o->paddr && !o->paddr_ranges) {
		ret = phys_ram_ranges("/proc/iomem", &maps, &nr, err, errlen);
		if (ret)
			return ret;
		ram = calloc(nr, sizeof(*ram));
		for (size_t i = 0; ram && i < nr; i++)
			ram[i] = (struct damon_range){ maps[i].start, maps[i].end };
		free(maps);
		if (!ram)
			return -ENOMEM;
		ko.ranges = ram;
		ko.nr_ranges = nr;
	}
	ret = kdamond_start(&l->kdamond, l->lv.loop, &ko, &sink, err, errlen);
	free(ram);
	if (ret)
		return ret;
	kdamond_get_status(l->kdamond, &st);
	if (!st.ours)
		snprintf(l->target.desc, sizeof(l->target.desc), "kdamond %d (%s)",
			 st.index, st.ops);
	else if (o->paddr)
		snprintf(l->target.desc, sizeof(l->target.desc), "physical memory");
	snprintf(l->source + strlen(l->source), sizeof(l->source) - strlen(l->source),
		 "damon %s, kdamond %d pid %d%s", st.ops, st.index, (int)st.pid,
		 st.ours ? "" : " (watched)");
	snprintf(l->ops, sizeof(l->ops), "%s", st.ops);
	l->vs.kind = st.ours ? "damon" : "kdamond";
	l->kd_clocked = !clock_getcpuclockid(st.pid, &l->kd_clock);
	if (st.nr_targets > 1)
		snprintf(l->source + strlen(l->source), sizeof(l->source) - strlen(l->source),
			 ", target 0 of %zu", st.nr_targets);
	/* physical memory: the views name the memory cgroups owning it (none
	 * where the kernel has no kpagecgroup or no memory cgroups) */
	if (!strcmp(st.ops, "paddr")) {
		char root[256];

		if (!cgroupfs_mount("/proc/self/mountinfo", "memory", root,
				    sizeof(root)))
			l->vs.memcg = phys_cgroups_new("/proc/kpagecgroup", root);
	}
	return 0;
}

static int start_pte(struct live *l, char *err, size_t errlen)
{
	struct sampler_sink sink = { .ctx = l, .snapshot = on_snapshot,
				     .mappings = on_mappings, .plan = on_plan };
	int ret;

	snprintf(l->source + strlen(l->source), sizeof(l->source) - strlen(l->source),
		 "pte%s", l->o->sampler.scan ? " (scan)" : "");
	l->vs.kind = "pte";
	snprintf(l->ops, sizeof(l->ops), "vaddr");
	ret = sampler_start(&l->sampler, l->lv.loop, l->target.pid, &l->o->sampler, &sink,
			    err, errlen);
	if (!ret) {
		read_stats(l);
		l->vs.plan = l->vs.st.plan_line;
	}
	return ret;
}

/* -p/-c: kernel DAMON's vaddr where the kernel has it and lets us start a
 * kdamond, else the pte source; auto says which and why. */
static int start_source(struct live *l, char *err, size_t errlen)
{
	const struct damontop_opts *o = l->o;
	char why[200] = "";
	int ret;

	if (o->paddr || o->attach_kdamond >= 0) {
		ret = start_kdamond(l, err, errlen);
		if (ret == -EBUSY)
			snprintf(err + strlen(err), errlen - strlen(err),
				 "; use --attach-kdamond N to watch it");
		return ret;
	}
	if (o->source == SOURCE_PTE || (o->source == SOURCE_AUTO && o->sampler.scan))
		return start_pte(l, err, errlen);
	if (access(DAMON_SYSFS_ROOT, F_OK))
		snprintf(why, sizeof(why), "the kernel has no DAMON sysfs interface");
	else if (!probe_kernel_func("damon_va_check_accesses"))
		snprintf(why, sizeof(why), "the kernel's DAMON has no vaddr operations");
	else if (!(ret = start_kdamond(l, why, sizeof(why))))
		return 0;
	if (o->source == SOURCE_DAMON) {
		snprintf(err, errlen, "%s; use --source pte%s", why,
			 strstr(why, "is running") ? ", or --attach-kdamond N to watch it" : "");
		return -EBUSY;
	}
	snprintf(l->source_why, sizeof(l->source_why), "auto: %s", why);
	return start_pte(l, err, errlen);
}

int damontop_run(const struct damontop_opts *o)
{
	static const int needed[] = { CAP_SYS_PTRACE, CAP_SYS_NICE, 0 };
	bool process = o->pid || o->cmd;
	struct live l = { .o = o, .target.pidfd = -1, .vs.kdamond_cost = NAN };
	char err[256] = "";
	int rc = 1, ret;

	if (live_begin(&l.lv, &ops, &l, &o->out, needed))
		goto out;
	if (o->out.replay) {
		rc = live_replay(&l.lv);
		goto out;
	}
	l.vs.source = l.source;
	l.vs.source_why = l.source_why;
	l.vs.live = true;
	l.vs.budget = o->sampler.budget;
	l.vs.ops = l.ops;
	if (model_init(&l.model, HISTORY)) {
		tool_error("out of memory");
		goto out;
	}
	ret = !process ? 0 : o->cmd ? target_spawn(&l.target, o->cmd, l.lv.with_view, err, sizeof(err))
				    : target_attach(&l.target, o->pid, err, sizeof(err));
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	l.vs.target = l.target.desc;
	l.t0_ns = clock_ns(CLOCK_MONOTONIC);
	ret = start_source(&l, err, sizeof(err));
	if (ret == -ESRCH && l.target.child) {
		/* the command was done before we were attached */
		target_reap(&l.target);
		summary(&l, SAMPLER_TARGET_GONE);
		rc = 0;
		goto out;
	}
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	l.vs.damon = l.kdamond;
	read_stats(&l);	/* refs_exact for the hint below; the costs count from
			 * the start, set below */
	snprintf(l.doing, sizeof(l.doing), "monitoring %s", l.target.desc);
	l.lv.doing = l.doing;
	if (l.sampler && (o->sampler.scan || o->sampler.method == CLEAR_REFS) &&
	    !l.vs.st.refs_exact)
		fprintf(stderr, "damontop: hint: this kernel tracks soft-dirty pages, so "
			"clear_refs cannot flush the TLB: pages the target keeps in its "
			"TLB may read idle (use --clear cold)\n");
	if (o->out.output && open_record(&l))
		goto out;
	if (process && evloop_add_fd(l.lv.loop, l.target.pidfd, on_target_exit, &l)) {
		tool_error("cannot watch the target: %s", strerror(errno));
		goto out;
	}
	costs_from_now(&l);
	rc = live_run(&l.lv);
	if (rc)
		goto out;
	if (l.lv.stop == SAMPLER_TARGET_GONE)
		target_reap(&l.target);
	if (l.lv.stop != LIVE_STOP_PIPE)
		summary(&l, l.lv.stop);
out:
	/* the sources first: they are watched by the loop */
	sampler_stop(l.sampler);
	kdamond_stop(l.kdamond);
	live_end(&l.lv);
	phys_cgroups_free(l.vs.memcg);
	if (l.rec && record_close(l.rec) && !rc)
		rc = tool_error("cannot complete %s", o->out.output);
	if (rc && l.rec && !l.model.total_snaps)
		unlink(o->out.output);	/* ours, and holding nothing */
	target_close(&l.target);
	model_free(&l.model);
	recording_free(&l.replayed);
	return rc;
}

/* --- damontop as a part of a host's session (kscope record) --------------- */

struct damontop_part {
	struct live l;
	struct record_header h;		/* the ring's records begin with it */
};

struct damontop_part *damontop_part_start(const struct damontop_opts *o, struct evloop *loop,
					  uint64_t ring_ns, char *err, size_t errlen)
{
	struct damontop_part *p = calloc(1, sizeof(*p));
	struct live *l = p ? &p->l : NULL;
	FILE *tmp = NULL;
	int ret;

	if (!p) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*l = (struct live){ .o = o, .part = true, .target.pidfd = -1, .vs.kdamond_cost = NAN };
	/* the latest aggregation (the working set) and mappings only */
	if (model_init(&l->model, 1)) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->lv.loop = loop;	/* the sources watch their files in the host's loop */
	l->vs.source = l->source;
	ret = o->pid ? target_attach(&l->target, o->pid, err, errlen) : 0;
	if (!ret)
		ret = start_source(l, err, errlen);
	if (!ret && o->pid && evloop_add_fd(loop, l->target.pidfd, on_target_exit, l)) {
		ret = -errno;
		errmsg(err, errlen, "cannot watch pid %d: %s", o->pid, strerror(-ret));
	}
	if (!ret) {
		read_stats(l);
		l->vs.plan = l->sampler ? l->vs.st.plan_line : NULL;
		record_header_of(l, &p->h);
		if (ring_ns) {
			l->ring = record_ring_new(ring_ns);
		} else if ((tmp = tmpfile())) {
			/* read back by record_copy(): a file of its own */
			l->rec = record_create_fd(dup(fileno(tmp)), &p->h);
			fclose(tmp);
		}
		ret = l->ring || l->rec ? record_begin(l, p->h.start_mono_ns) : -errno;
		if (ret)
			errmsg(err, errlen, "cannot keep its record: %s", strerror(-ret));
	}
	if (ret) {
		damontop_part_stop(p);
		return NULL;
	}
	costs_from_now(l);
	return p;
}

int damontop_part_refresh(struct damontop_part *p)
{
	return p->l.part_err;
}

uint64_t damontop_part_wss(const struct damontop_part *p)
{
	const struct snapshot *s = model_latest(&p->l.model);

	return s ? snapshot_wss(s) : 0;
}

int damontop_part_write(struct damontop_part *p, int fd)
{
	return p->l.ring ? record_ring_write(p->l.ring, fd, &p->h) : record_copy(p->l.rec, fd);
}

void damontop_part_stop(struct damontop_part *p)
{
	if (!p)
		return;
	/* the sources first: they are watched by the loop */
	sampler_stop(p->l.sampler);
	kdamond_stop(p->l.kdamond);
	phys_cgroups_free(p->l.vs.memcg);
	if (p->l.target.pidfd >= 0)
		evloop_del_fd(p->l.lv.loop, p->l.target.pidfd);
	target_close(&p->l.target);
	record_close(p->l.rec);
	record_ring_free(p->l.ring);
	model_free(&p->l.model);
	free(p);
}
