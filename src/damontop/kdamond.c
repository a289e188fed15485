// SPDX-License-Identifier: GPL-2.0
/*
 * The "damon" source: kernel DAMON's snapshots, captured from the
 * damon:damon_aggregated tracepoint (bpf/damon.bpf.c) and rebuilt here one
 * aggregation at a time, for a kdamond of our own or one we only watch.
 *
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "damon.skel.h"
#include "evloop.h"
#include "kdamond.h"
#include "phys.h"
#include "probe.h"
#include "procmaps.h"

#define RB_MIN_BYTES	(1u << 20)
#define RB_EVENT_BYTES	(sizeof(struct damon_event) + 8)	/* + ring header */
#define RB_BURSTS	4	/* whole aggregations the buffer holds */
#define WATCH_NS	1000000000ull	/* how often sysfs and the maps are re-read */

struct kdamond_source {
	struct damon_bpf *skel;
	struct ring_buffer *rb;
	struct evloop *loop;
	struct sampler_sink sink;
	struct damon_own own;		/* ours; zeroed when only watching */
	struct kdamond_status st;
	pid_t target_pid;		/* vaddr: the process, for the labels */
	struct damon_range *ranges;	/* paddr: what is monitored */
	size_t nr_ranges;
	int watch_fd;

	struct kdamond_burst burst;	/* the aggregation being rebuilt */
	uint32_t last_nr_regions;

	struct mapping *maps;
	size_t nr_maps;
};

int kdamond_burst_add(struct kdamond_burst *b, const struct damon_event *e,
		      uint64_t dropped)
{
	/* a region out of order, or lost on the way: the burst is broken */
	if (b->nr && (e->start < b->regions[b->nr - 1].end ||
		      e->nr_regions != b->expect || dropped != b->dropped_seen))
		b->nr = 0;
	if (!b->nr) {
		b->expect = e->nr_regions;
		b->time_ns = e->ts;
		b->dropped_seen = dropped;
	}
	if (b->nr == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct region *r = realloc(b->regions, cap * sizeof(*r));

		if (!r) {
			b->nr = 0;
			return -ENOMEM;
		}
		b->regions = r;
		b->cap = cap;
	}
	b->regions[b->nr++] = (struct region){
		.start = e->start, .end = e->end,
		.nr_accesses = e->nr_accesses, .age = e->age,
	};
	return b->nr == b->expect;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct kdamond_source *k = ctx;
	struct kdamond_burst *b = &k->burst;
	struct snapshot s;

	if (size < sizeof(struct damon_event) ||
	    kdamond_burst_add(b, data, k->skel->bss->dropped) != 1)
		return 0;
	s = (struct snapshot){
		.time_ns = b->time_ns,
		.sample_ns = k->st.attrs.sample_us * 1000,
		.aggr_ns = k->st.attrs.aggr_us * 1000,
		.nr_regions = b->nr,
		.regions = b->regions,
	};
	k->last_nr_regions = b->nr;
	b->nr = 0;
	if (k->sink.snapshot)
		k->sink.snapshot(k->sink.ctx, &s);
	return 0;
}

/* System RAM within the monitored ranges: the heatmap's address axis
 * is the labelled ranges, and RAM nobody monitors would be empty rows. */
static int monitored_ram(struct kdamond_source *k, struct mapping **out, size_t *nr,
			 char *err, size_t errlen)
{
	struct mapping *ram, *m;
	size_t nr_ram, n = 0, i, j;
	int ret = phys_ram_ranges("/proc/iomem", &ram, &nr_ram, err, errlen);

	if (ret)
		return ret;
	m = calloc(nr_ram + k->nr_ranges, sizeof(*m));
	if (!m) {
		free(ram);
		return -ENOMEM;
	}
	/* both sorted and disjoint: at most one piece per pair */
	for (i = 0; i < nr_ram; i++) {
		for (j = 0; j < k->nr_ranges; j++) {
			uint64_t lo = ram[i].start > k->ranges[j].start ? ram[i].start
									: k->ranges[j].start;
			uint64_t hi = ram[i].end < k->ranges[j].end ? ram[i].end
								    : k->ranges[j].end;

			if (lo < hi && n < nr_ram + k->nr_ranges) {
				m[n] = ram[i];
				m[n].start = lo;
				m[n++].end = hi;
			}
		}
	}
	free(ram);
	*out = m;
	*nr = n;
	return 0;
}

/* Labels for the views: the process's mappings, or System RAM. */
static int update_labels(struct kdamond_source *k, char *err, size_t errlen)
{
	struct mapping *maps;
	size_t nr;
	int ret;

	if (k->target_pid > 0) {
		ret = procmaps_read(k->target_pid, &maps, &nr);
		if (ret == -ESRCH)
			return 0;	/* the pidfd tells the driver */
	} else {
		ret = monitored_ram(k, &maps, &nr, err, errlen);
	}
	if (ret) {
		if (!err[0])
			snprintf(err, errlen, "cannot read the target's mappings: %s",
				 strerror(-ret));
		return ret;
	}
	if (procmaps_equal(maps, nr, k->maps, k->nr_maps)) {
		free(maps);
		return 0;
	}
	free(k->maps);
	k->maps = maps;
	k->nr_maps = nr;
	if (k->sink.mappings)
		k->sink.mappings(k->sink.ctx, clock_ns(CLOCK_MONOTONIC), maps, nr);
	return 0;
}

static bool still_running(struct kdamond_source *k)
{
	if (k->st.ours)
		return damon_sysfs_running(&k->own);
	return damon_sysfs_kdamond_pid(DAMON_SYSFS_ROOT, k->st.index) == k->st.pid;
}

static int on_watch(void *ctx, int fd, uint32_t events)
{
	struct kdamond_source *k = ctx;
	char err[256] = "";

	(void)fd, (void)events;
	if (!still_running(k))
		return KDAMOND_GONE;
	if (k->target_pid > 0)
		update_labels(k, err, sizeof(err));
	return 0;
}

/* The watched kdamond's pid, intervals and first target, read-only. */
static int find_kdamond(struct kdamond_source *k, int index, char *err, size_t errlen)
{
	struct kdamond_info info;
	const struct damon_ctx_info *c;
	int ret;

	ret = damon_sysfs_read(DAMON_SYSFS_ROOT, index, &info, err, errlen);
	if (ret)
		return ret;
	if (!info.running || !info.nr_contexts || !info.contexts[0].nr_targets) {
		snprintf(err, errlen, "kdamond %d is %s: nothing to watch", index,
			 info.running ? "monitoring no target" : "off");
		kdamond_info_free(&info);
		return -ENODATA;
	}
	c = &info.contexts[0];
	k->st.pid = info.pid;
	k->st.attrs = c->attrs;
	k->st.nr_targets = c->nr_targets;
	snprintf(k->st.ops, sizeof(k->st.ops), "%s", c->ops);
	if (strcmp(c->ops, "paddr")) {
		k->target_pid = c->targets[0].pid;
	} else {
		/* take the target's regions over: info is freed below */
		k->ranges = c->targets[0].regions;
		k->nr_ranges = c->targets[0].nr_regions;
		c->targets[0].regions = NULL;
		c->targets[0].nr_regions = 0;
	}
	kdamond_info_free(&info);
	return 0;
}

static int open_capture(struct kdamond_source *k, uint32_t max_nr_regions,
			char *err, size_t errlen)
{
	uint64_t bytes = (uint64_t)max_nr_regions * RB_EVENT_BYTES * RB_BURSTS;
	uint32_t rb_size = RB_MIN_BYTES;
	int ret;

	while (rb_size < bytes && rb_size < (1u << 30))
		rb_size <<= 1;
	ret = probe_tracefs(err, errlen);
	if (ret)
		return ret;
	k->skel = damon_bpf__open();
	if (!k->skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the DAMON capture: %s", strerror(-ret));
		return ret;
	}
	bpf_map__set_max_entries(k->skel->maps.events, rb_size);
	ret = damon_bpf__load(k->skel);
	if (ret) {
		snprintf(err, errlen, "cannot load the DAMON capture: %s", strerror(-ret));
		return ret;
	}
	ret = damon_bpf__attach(k->skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach to damon:damon_aggregated: %s%s",
			 strerror(-ret), ret == -ENOENT ?
			 " (the kernel has no DAMON tracepoints)" : "");
		return ret;
	}
	k->rb = ring_buffer__new(bpf_map__fd(k->skel->maps.events), on_event, k, NULL);
	if (!k->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the ring buffer: %s", strerror(-ret));
		return ret;
	}
	return evloop_add_ringbuf(k->loop, k->rb);
}

int kdamond_start(struct kdamond_source **out, struct evloop *loop,
		  const struct kdamond_opts *o, const struct sampler_sink *sink,
		  char *err, size_t errlen)
{
	struct kdamond_source *k = calloc(1, sizeof(*k));
	int ret, nr;

	*out = NULL;
	if (!k) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	k->loop = loop;
	k->sink = *sink;
	k->watch_fd = -1;
	ret = damon_sysfs_count(DAMON_SYSFS_ROOT, &nr, err, errlen);
	if (ret) {
		kdamond_stop(k);
		return ret;
	}
	if (o->attach >= 0) {
		k->st.index = o->attach;
		ret = find_kdamond(k, o->attach, err, errlen);
	} else {
		k->st.ours = true;
		k->st.attrs = o->attrs;
		k->st.nr_targets = 1;
		snprintf(k->st.ops, sizeof(k->st.ops), "%s", o->ops);
		k->target_pid = o->pid;
		ret = 0;
		if (o->nr_ranges) {
			k->ranges = malloc(o->nr_ranges * sizeof(*k->ranges));
			if (!k->ranges) {
				snprintf(err, errlen, "out of memory");
				ret = -ENOMEM;
			} else {
				memcpy(k->ranges, o->ranges, o->nr_ranges * sizeof(*k->ranges));
				k->nr_ranges = o->nr_ranges;
			}
		}
	}
	/* the capture first: our kdamond's first aggregation is not missed */
	ret = ret ?: open_capture(k, k->st.attrs.max_nr_regions, err, errlen);
	if (!ret && k->st.ours) {
		struct damon_request req = {
			.ops = o->ops, .pid = o->pid, .regions = o->ranges,
			.nr_regions = o->nr_ranges, .attrs = o->attrs,
		};

		ret = damon_sysfs_start(DAMON_SYSFS_ROOT, &req, &k->own, err, errlen);
		k->st.index = k->own.index;
		k->st.pid = k->own.pid;
	}
	ret = ret ?: update_labels(k, err, errlen);
	if (!ret) {
		k->skel->bss->kdamond_pid = k->st.pid;
		k->watch_fd = evloop_add_timer(loop, WATCH_NS, on_watch, k);
		if (k->watch_fd < 0) {
			ret = k->watch_fd;
			snprintf(err, errlen, "cannot watch the kdamond: %s", strerror(-ret));
		}
	}
	if (ret) {
		kdamond_stop(k);
		return ret;
	}
	*out = k;
	return 0;
}

void kdamond_stop(struct kdamond_source *k)
{
	if (!k)
		return;
	damon_sysfs_stop(&k->own);	/* only what we created */
	if (k->rb)
		evloop_del_fd(k->loop, ring_buffer__epoll_fd(k->rb));
	ring_buffer__free(k->rb);
	if (k->watch_fd >= 0)
		evloop_del_fd(k->loop, k->watch_fd);
	damon_bpf__destroy(k->skel);
	free(k->burst.regions);
	free(k->ranges);
	free(k->maps);
	free(k);
}

void kdamond_get_status(const struct kdamond_source *k, struct kdamond_status *st)
{
	*st = k->st;
}

void kdamond_get_stats(const struct kdamond_source *k, struct sampler_stats *st)
{
	*st = (struct sampler_stats){
		.sample_ns = k->st.attrs.sample_us * 1000,
		.aggr_ns = k->st.attrs.aggr_us * 1000,
		.nr_regions = k->last_nr_regions,
		.drops = k->skel->bss->dropped,
		.refs_exact = true,
	};
}
