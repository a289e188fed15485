// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's part of the live session (live.h does the rest): the kernel
 * side started; at every refresh a snapshot of it, softnet_stat and the
 * netdev family's inventory (IRQs) into the session, and what a refresh
 * is as a line, a session-file record and metrics; everything taken down
 * on every exit path.  And --threaded, which configures and exits.
 */
#include <errno.h>
#include <net/if.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "live.h"
#include "netdev.h"
#include "outfile.h"
#include "session.h"
#include "softnet.h"
#include "threaded.h"
#include "trace.h"
#include "view.h"

struct live {
	const struct napitop_opts *o;
	struct live_session lv;
	struct nt_dev *devs;		/* --dev, resolved here */
	struct nt_tracer *tracer;
	struct nt_session s;
	FILE *out;
	char status[128];
	bool inventory;			/* the netdev family answers napi-get */
};

/* IRQs and kthreads from the netdev family, by napi_id (this namespace's
 * devices). */
static void inventory(struct live *l)
{
	struct netdev_napi *napis;
	size_t nr;

	if (!l->inventory || netdev_napi_list(&napis, &nr, NULL, 0))
		return;
	for (size_t i = 0; i < nr; i++)
		nt_session_set_inventory(&l->s, napis[i].napi_id, napis[i].irq, napis[i].pid);
	free(napis);
}

/* The kernel's figures into the session (live_ops.refresh). */
static int refresh(void *ctx)
{
	struct live *l = ctx;
	struct softnet_cpu *sn = NULL;
	struct nt_snapshot snap;
	size_t nr_sn = 0;
	int ret = nt_trace_read(l->tracer, &snap);

	if (ret)
		return ret;
	softnet_read(SOFTNET_STAT, &sn, &nr_sn, NULL, 0);
	nt_session_update(&l->s, &snap, sn, nr_sn);
	free(sn);
	inventory(l);
	return 0;
}

static void print(void *ctx, FILE *f, bool json)
{
	struct live *l = ctx;

	if (json)
		nt_session_json(f, &l->s, l->devs, l->o->nr_devs);
	else
		nt_session_text(f, &l->s, l->devs, l->o->nr_devs);
}

static int record(void *ctx)
{
	struct live *l = ctx;

	nt_session_json(l->out, &l->s, NULL, 0);
	return ferror(l->out) ? -EIO : 0;
}

static void metrics(void *ctx, struct metrics *m)
{
	struct live *l = ctx;

	nt_session_metrics(m, &l->s, l->devs, l->o->nr_devs);
}

static void *open_view(void *ctx, bool no_color)
{
	struct live *l = ctx;

	return view_open(&l->s, l->status, l->devs, l->o->nr_devs, l->o->sort, no_color);
}

/* --replay */
static int load(void *ctx, const char *path, char *err, size_t errlen)
{
	struct live *l = ctx;

	snprintf(l->status, sizeof(l->status), "[replay of %s]", path);
	return nt_session_load(path, &l->s, err, errlen);
}

static const struct live_ops ops = {
	.tool = "napitop", .refresh = refresh, .print = print, .record = record, .load = load,
	.metrics = metrics, .view_open = open_view, .view = &view_live,
};

/* --dev: by name, and live in this network namespace: its ifindex there
 * (a name may be taken in every namespace). */
static int resolve_devs(struct live *l, bool here)
{
	const struct napitop_opts *o = l->o;
	struct stat ns = {};

	l->devs = calloc(o->nr_devs + 1, sizeof(*l->devs));
	if (!l->devs)
		return tool_error("out of memory");
	if (here && stat("/proc/self/ns/net", &ns))
		return tool_error("cannot tell this network namespace: %s", strerror(errno));
	for (size_t i = 0; i < o->nr_devs; i++) {
		l->devs[i].name = o->devs[i];
		if (!here)
			continue;
		l->devs[i].ifindex = if_nametoindex(o->devs[i]);
		l->devs[i].netns = ns.st_ino;
		if (!l->devs[i].ifindex)
			return tool_error("--dev %s: no such network device here", o->devs[i]);
	}
	return 0;
}

int napitop_run(const struct napitop_opts *o)
{
	struct live l = { .o = o };
	struct netdev_napi *napis = NULL;
	char err[256];
	size_t nr;
	int rc = 1, ret;

	l.lv.doing = "reading the kernel's counts";
	if (live_begin(&l.lv, &ops, &l, &o->out, NULL) || resolve_devs(&l, !o->out.replay))
		goto out;
	if (o->out.replay) {
		rc = live_replay(&l.lv);
		goto out;
	}
	ret = netdev_napi_list(&napis, &nr, err, sizeof(err));
	l.inventory = !ret;
	free(napis);
	if (ret && o->out.verbose)
		fprintf(stderr, "napitop: no NAPI inventory from netlink: %s\n", err);
	ret = nt_trace_start(&l.tracer, err, sizeof(err));
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	if (nt_session_init(&l.s, libbpf_num_possible_cpus(), nt_trace_kind(l.tracer))) {
		tool_error("out of memory");
		goto out;
	}
	snprintf(l.status, sizeof(l.status), "[%s%s]", nt_trace_kind(l.tracer),
		 l.inventory ? ", netdev netlink" : "");
	if (o->out.output && !(l.out = outfile_fopen(o->out.output, o->out.force))) {
		tool_error("cannot create %s: %s", o->out.output, strerror(errno));
		goto out;
	}
	if (l.out)
		nt_session_write_header(l.out, &l.s);
	fprintf(stderr, "napitop: watching napi:napi_poll %s\n", l.status);
	rc = live_run(&l.lv);
out:
	nt_trace_stop(l.tracer);
	live_end(&l.lv);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	nt_session_free(&l.s);
	free(l.devs);
	return rc;
}

int napitop_threaded(const char *dev, const char *word)
{
	enum threaded_mode before, mode, after;
	char err[256];

	if (threaded_parse(word, &mode))
		return tool_error("--threaded %s: bad mode '%s' (on, off or busy-poll)", dev, word);
	if (threaded_get(THREADED_SYSFS_NET, dev, &before, err, sizeof(err)) ||
	    threaded_set(THREADED_SYSFS_NET, dev, mode, err, sizeof(err)) ||
	    threaded_get(THREADED_SYSFS_NET, dev, &after, err, sizeof(err)))
		return tool_error("%s", err);
	printf("%s: threaded %s -> %s\n", dev, threaded_name(before), threaded_name(after));
	fprintf(stderr, "napitop: %s stays %s after napitop exits\n", dev, threaded_name(after));
	return 0;
}
