// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's driver for a live target or a replayed record: wires the
 * target, the sampler, the model, the record writer and a view into the
 * one event loop, and takes everything down again on every exit path.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <sys/resource.h>

#include "cgroupfs.h"
#include "cli.h"
#include "clock.h"
#include "evloop.h"
#include "kdamond.h"
#include "metrics_serve.h"
#include "model.h"
#include "phys.h"
#include "probe.h"
#include "record.h"
#include "target.h"
#include "units.h"
#include "view.h"

#define HISTORY 4096	/* snapshots the live view keeps */

struct live {
	const struct damontop_opts *o;
	struct evloop *loop;
	struct target target;
	struct sampler *sampler;		/* the pte source, or */
	struct kdamond_source *kdamond;	/* the damon source */
	char source[160];		/* what the header says of it */
	char source_why[200];		/* auto: why that source */
	char ops[16];			/* vaddr, paddr */
	struct damon_model model;
	struct record_writer *rec;
	struct view_tui *tui;
	struct view_status vs;
	struct metrics_pub *pub;	/* NULL: no metrics wanted */
	char pub_err[256];		/* why publishing failed */
	int refresh_fd;
	uint64_t refresh_ns;		/* changed with + and - */
	uint64_t t0_ns, printed, next_print_ns;
	int rec_err;
	/* the process's own CPU use over the last refresh, and since the
	 * sampler started (start-up apart) */
	uint64_t cpu_prev_ns, wall_prev_ns;
	uint64_t cpu_start_ns, wall_start_ns;
};



static void update_status(struct live *l)
{
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID), wall = clock_ns(CLOCK_MONOTONIC);

	if (l->sampler)
		sampler_get_stats(l->sampler, &l->vs.st);
	else if (l->kdamond)
		kdamond_get_stats(l->kdamond, &l->vs.st);
	l->vs.cpu_ns = cpu;
	if (wall - l->wall_prev_ns >= 250000000ULL) {
		l->vs.self_cost = (double)(cpu - l->cpu_prev_ns) / (wall - l->wall_prev_ns);
		l->cpu_prev_ns = cpu;
		l->wall_prev_ns = wall;
	}
}

/* One refresh of the metrics from the model and the status, as the
 * --json line has them (update_status first); a textfile that cannot be
 * written ends the run. */
static int publish_metrics(struct live *l)
{
	if (!l->pub)
		return 0;
	view_metrics(metrics_pub_begin(l->pub), &l->model, &l->vs);
	return metrics_pub_end(l->pub, l->pub_err, sizeof(l->pub_err));
}

static void on_snapshot(void *ctx, const struct snapshot *s)
{
	struct live *l = ctx;
	int ret;

	if (model_add_snapshot(&l->model, s))
		l->vs.drops++;
	if (l->rec) {
		l->rec_err = record_write_snapshot(l->rec, s);
		if (l->rec_err) {
			evloop_stop(l->loop, l->rec_err);
			return;
		}
	}
	update_status(l);
	ret = publish_metrics(l);
	if (ret) {
		evloop_stop(l->loop, ret);
		return;
	}
	if (!l->o->batch || l->o->metrics.headless)
		return;
	/* positional interval: at most one line per interval, no drift */
	if (l->next_print_ns && s->time_ns < l->next_print_ns)
		return;
	l->next_print_ns = (l->next_print_ns ? l->next_print_ns : s->time_ns) +
			   l->o->print_ns;
	if (l->o->json)
		view_json_line(stdout, &l->model, &l->vs);
	else
		view_batch_line(stdout, &l->model, &l->vs, l->t0_ns);
	if (ferror(stdout))	/* a closed pipe: nobody reads us any more */
		evloop_stop(l->loop, -EPIPE);
	else if (l->o->count && ++l->printed >= l->o->count)
		evloop_stop(l->loop, 1);
}

static void on_mappings(void *ctx, uint64_t time_ns, const struct mapping *maps,
			size_t nr)
{
	struct live *l = ctx;

	if (model_set_mappings(&l->model, maps, nr))
		l->vs.drops++;
	if (l->rec && !l->rec_err) {
		l->rec_err = record_write_mappings(l->rec, time_ns, maps, nr);
		if (l->rec_err)
			evloop_stop(l->loop, l->rec_err);
	}
}

static int on_signal(void *ctx, int signo)
{
	struct live *l = ctx;

	if (signo == SIGWINCH) {
		view_tui_resize(l->tui);
		view_tui_draw(l->tui, &l->model, &l->vs);
		return 0;
	}
	return 1;
}

static int on_target_exit(void *ctx, int fd, uint32_t events)
{
	(void)ctx, (void)fd, (void)events;
	return SAMPLER_TARGET_GONE;
}

static int on_refresh(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;
	double speed;

	(void)fd, (void)events;
	speed = view_tui_take_speed(l->tui);
	if (speed != 1) {
		l->refresh_ns *= speed;
		if (l->refresh_ns < 50000000)
			l->refresh_ns = 50000000;	/* 20 frames a second at most */
		if (l->refresh_ns > 60000000000ULL)
			l->refresh_ns = 60000000000ULL;
		evloop_set_timer(l->refresh_fd, l->refresh_ns);
	}
	update_status(l);
	if (!view_tui_paused(l->tui))
		view_tui_draw(l->tui, &l->model, &l->vs);
	return 0;
}

static int on_key(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (view_tui_keys(l->tui, &l->model, &l->vs))
		return 1;
	view_tui_draw(l->tui, &l->model, &l->vs);
	return 0;
}

static int open_record(struct live *l)
{
	struct record_header h = {
		.pid = l->target.pid ? l->target.pid : -1,
		.start_mono_ns = clock_ns(CLOCK_MONOTONIC),
		.sample_ns = l->o->sampler.sample_ns,
		.aggr_ns = l->o->sampler.aggr_ns,
		.update_ns = l->o->sampler.update_ns,
		.min_nr_regions = l->o->sampler.min_nr_regions,
		.max_nr_regions = l->o->sampler.max_nr_regions,
	};
	h.start_realtime_ns = clock_ns(CLOCK_REALTIME);
	snprintf(h.tool, sizeof(h.tool), "damontop");
	if (l->kdamond) {
		struct kdamond_status st;

		kdamond_get_status(l->kdamond, &st);
		snprintf(h.source, sizeof(h.source), "damon-%.9s", st.ops);
		h.sample_ns = st.attrs.sample_us * 1000;
		h.aggr_ns = st.attrs.aggr_us * 1000;
		h.update_ns = st.attrs.update_us * 1000;
		h.min_nr_regions = st.attrs.min_nr_regions;
		h.max_nr_regions = st.attrs.max_nr_regions;
	} else {
		snprintf(h.source, sizeof(h.source), "%s",
			 l->o->sampler.scan ? "pte-scan" : "pte");
	}
	snprintf(h.target, sizeof(h.target), "%s", l->target.desc);
	l->rec = l->o->damo_format ? record_create_damo(l->o->output, l->o->force, &h) :
				     record_create(l->o->output, l->o->force, &h);
	if (!l->rec)
		return tool_error("cannot create %s: %s", l->o->output, strerror(errno));
	/* the mappings the sampler found before the file existed */
	if (l->model.nr_maps &&
	    record_write_mappings(l->rec, h.start_mono_ns, l->model.maps, l->model.nr_maps))
		return tool_error("cannot write %s: %s", l->o->output, strerror(errno));
	return 0;
}

static int start_view(struct live *l)
{
	int err;

	if (l->o->metrics.headless)
		return 0;
	if (l->o->batch || l->o->record) {
		if (l->o->batch && !l->o->json)
			view_batch_header(stdout, &l->vs);
		return 0;
	}
	err = view_tui_open(&l->tui, l->o->no_color);
	if (err)
		return err == -ENOTTY ? tool_error("the live view needs a terminal; use --batch") :
			tool_error("cannot start the terminal view: %s", strerror(-err));
	err = evloop_add_fd(l->loop, STDIN_FILENO, on_key, l);
	l->refresh_ns = l->o->refresh_ns;
	l->refresh_fd = err ? err : evloop_add_timer(l->loop, l->refresh_ns, on_refresh, l);
	if (l->refresh_fd < 0)
		return tool_error("cannot read the terminal: %s", strerror(-l->refresh_fd));
	return 0;
}

static void summary(struct live *l, int why)
{
	bool target_gone = why == SAMPLER_TARGET_GONE;
	const struct snapshot *s = model_latest(&l->model);
	char wss[16], peak[16], sample[16], aggr[16];

	update_status(l);
	fprintf(stderr, "damontop: %s %s after %.1f s: %llu aggregations, WSS %s "
		"(peak %s), sample %s, aggr %s, monitor cost %.2f%% of one CPU "
		"(start-up %.0f ms)\n",
		l->target.desc, target_gone ? "exited" : why == KDAMOND_GONE ?
		"stopped" : "ended",
		(clock_ns(CLOCK_MONOTONIC) - l->t0_ns) / 1e9,
		(unsigned long long)l->model.total_snaps,
		units_bytes(wss, sizeof(wss), s ? snapshot_wss(s) : 0),
		units_bytes(peak, sizeof(peak), l->model.peak_wss),
		units_ns(sample, sizeof(sample), l->vs.st.sample_ns),
		units_ns(aggr, sizeof(aggr), l->vs.st.aggr_ns),
		100.0 * (clock_ns(CLOCK_PROCESS_CPUTIME_ID) - l->cpu_start_ns) /
			(double)(clock_ns(CLOCK_MONOTONIC) - l->wall_start_ns + 1),
		l->cpu_start_ns / 1e6);
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
	ret = kdamond_start(&l->kdamond, l->loop, &ko, &sink, err, errlen);
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
				     .mappings = on_mappings };

	snprintf(l->source + strlen(l->source), sizeof(l->source) - strlen(l->source),
		 "pte%s", l->o->sampler.scan ? " (scan)" : "");
	l->vs.kind = "pte";
	snprintf(l->ops, sizeof(l->ops), "vaddr");
	return sampler_start(&l->sampler, l->loop, l->target.pid, &l->o->sampler, &sink,
			     err, errlen);
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

static int replay_run(const struct damontop_opts *o);

int live_run(const struct damontop_opts *o)
{
	static const int needed[] = { CAP_SYS_PTRACE, CAP_SYS_NICE, 0 };
	static const int tui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	static const int batch_signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	bool tui = !o->batch && !o->record && !o->metrics.headless;
	bool process = o->pid || o->cmd;
	struct live l = { .o = o, .refresh_fd = -1, .target.pidfd = -1 };
	char err[256] = "";
	const char *cap;
	int rc = 1, ret;

	if (o->replay)
		return replay_run(o);
	cap = probe_missing_capability(needed);
	if (cap)
		return tool_error("needs %s (run as root)", cap);
	if (!probe_kernel_btf())
		return tool_error("the kernel has no BTF (/sys/kernel/btf/vmlinux): "
				      "CO-RE programs cannot load");
	if (tui && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return tool_error("the live view needs a terminal; use --batch");
	/* refuse an existing output file before starting anything; the
	 * exclusive create later still decides */
	if (o->output && !o->force && !access(o->output, F_OK))
		return tool_error("cannot create %s: %s", o->output, strerror(EEXIST));
	probe_libbpf_verbose(o->verbose);
	signal(SIGPIPE, SIG_IGN);
	l.vs.source = l.source;
	l.vs.source_why = l.source_why;
	l.vs.live = true;
	l.vs.budget = o->sampler.budget;
	l.vs.ops = l.ops;
	l.loop = evloop_new();
	if (!l.loop || model_init(&l.model, HISTORY)) {
		tool_error("out of memory");
		goto out;
	}
	/* from here on a signal ends the loop, not the process: the cleanup
	 * below always runs, and a -c command never outlives us */
	ret = evloop_add_signals(l.loop, tui ? tui_signals : batch_signals, on_signal, &l);
	if (ret) {
		tool_error("cannot take signals: %s", strerror(-ret));
		goto out;
	}
	/* a port in use or a textfile nowhere to go fails here, before a
	 * command is started or anything is loaded */
	ret = metrics_pub_start(&l.pub, &o->metrics, l.loop, err, sizeof(err));
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	ret = !process ? 0 : o->cmd ? target_spawn(&l.target, o->cmd, tui, err, sizeof(err))
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
		rc = publish_metrics(&l) ? tool_error("%s", l.pub_err) : 0;
		goto out;
	}
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	l.vs.damon = l.kdamond;
	update_status(&l);
	/* the source and target are known: a scrape before the first
	 * aggregation finds them */
	if (publish_metrics(&l)) {
		tool_error("%s", l.pub_err);
		goto out;
	}
	if (l.sampler && (o->sampler.scan || o->sampler.method == CLEAR_REFS) &&
	    !l.vs.st.refs_exact)
		fprintf(stderr, "damontop: hint: this kernel tracks soft-dirty pages, so "
			"clear_refs cannot flush the TLB: pages the target keeps in its "
			"TLB may read idle (use --clear cold)\n");
	if (o->output && open_record(&l))
		goto out;
	if ((process && evloop_add_fd(l.loop, l.target.pidfd, on_target_exit, &l)) ||
	    (o->duration_ns && evloop_add_deadline(l.loop, o->duration_ns) < 0)) {
		tool_error("cannot watch the target: %s", strerror(errno));
		goto out;
	}
	if (start_view(&l))
		goto out;
	/* the cost shown is the running cost: start-up is reported apart */
	l.cpu_start_ns = l.cpu_prev_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	l.wall_start_ns = l.wall_prev_ns = clock_ns(CLOCK_MONOTONIC);

	ret = evloop_run(l.loop);
	view_tui_close(l.tui);
	l.tui = NULL;
	if (l.pub_err[0]) {
		tool_error("%s", l.pub_err);
		goto out;
	}
	/* the last word: the final textfile has the last line's figures */
	update_status(&l);
	if (publish_metrics(&l)) {
		tool_error("%s", l.pub_err);
		goto out;
	}
	if (ret == -EPIPE) {
		rc = 0;		/* the reader went away: done, quietly */
		goto out;
	}
	if (l.rec_err) {
		tool_error("cannot write %s: %s", o->output, strerror(-l.rec_err));
		goto out;
	}
	if (ret < 0) {
		tool_error("monitoring %s failed: %s", l.target.desc, strerror(-ret));
		goto out;
	}
	if (ret == SAMPLER_TARGET_GONE)
		target_reap(&l.target);
	summary(&l, ret);
	rc = 0;
out:
	view_tui_close(l.tui);
	sampler_stop(l.sampler);
	kdamond_stop(l.kdamond);
	phys_cgroups_free(l.vs.memcg);
	if (l.rec && record_close(l.rec) && !rc)
		rc = tool_error("cannot complete %s", o->output);
	if (rc && l.rec && !l.model.total_snaps)
		unlink(o->output);	/* ours, and holding nothing */
	target_close(&l.target);
	metrics_pub_stop(l.pub);
	evloop_free(l.loop);
	model_free(&l.model);
	return rc;
}

/* --replay: the record's snapshots through the same model and views. */
static int replay_run(const struct damontop_opts *o)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	struct live l = { .o = o, .refresh_fd = -1 };
	struct recording rec;
	char err[256], source[300];
	int rc = 1;

	if (record_load(o->replay, &rec, err, sizeof(err)))
		return tool_error("cannot replay %s: %s", o->replay, err);
	snprintf(source, sizeof(source), "%s, replay of %s", rec.hdr.source, o->replay);
	l.vs.target = rec.hdr.target;
	l.vs.source = source;
	l.t0_ns = rec.nr_snaps ? rec.snaps[0].time_ns - rec.snaps[0].aggr_ns : 0;
	if (model_init(&l.model, rec.nr_snaps ? rec.nr_snaps : 1) ||
	    model_set_mappings(&l.model, rec.maps, rec.nr_maps)) {
		tool_error("out of memory");
		goto out;
	}
	if (o->batch && !o->json)
		view_batch_header(stdout, &l.vs);
	for (size_t i = 0; i < rec.nr_snaps; i++) {
		model_add_snapshot(&l.model, &rec.snaps[i]);
		if (o->json)
			view_json_line(stdout, &l.model, &l.vs);
		else if (o->batch)
			view_batch_line(stdout, &l.model, &l.vs, l.t0_ns);
	}
	rc = 0;
	if (o->batch)
		goto out;
	l.loop = evloop_new();
	if (!l.loop || view_tui_open(&l.tui, o->no_color)) {
		rc = tool_error("cannot start the terminal view (use --batch)");
		goto out;
	}
	if (evloop_add_signals(l.loop, signals, on_signal, &l) ||
	    evloop_add_fd(l.loop, STDIN_FILENO, on_key, &l)) {
		rc = tool_error("cannot read the terminal: %s", strerror(errno));
		goto out;
	}
	view_tui_draw(l.tui, &l.model, &l.vs);
	evloop_run(l.loop);
out:
	view_tui_close(l.tui);
	evloop_free(l.loop);
	model_free(&l.model);
	recording_free(&rec);
	return rc;
}
