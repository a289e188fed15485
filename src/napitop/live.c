// SPDX-License-Identifier: GPL-2.0
/*
 * napitop's driver: the kernel side started, every refresh a snapshot of
 * it, softnet_stat and the netdev family's inventory (IRQs) into the
 * session and out to the views and the session file; everything taken
 * down on every exit path.  And --threaded, which configures and exits.
 */
#include <errno.h>
#include <net/if.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "evloop.h"
#include "metrics_serve.h"
#include "netdev.h"
#include "outfile.h"
#include "probe.h"
#include "session.h"
#include "softnet.h"
#include "threaded.h"
#include "trace.h"
#include "view.h"

struct live {
	const struct napitop_opts *o;
	struct nt_dev *devs;		/* --dev, resolved here */
	struct evloop *loop;
	struct nt_tracer *tracer;
	struct nt_session s;
	struct view *view;
	struct metrics_pub *metrics;	/* --metrics, --metrics-textfile */
	FILE *out;
	char status[128];
	bool inventory;			/* the netdev family answers napi-get */
	int read_error;
};

/* IRQs from the netdev family, by napi_id (this namespace's devices). */
static void inventory(struct live *l)
{
	struct netdev_napi *napis;
	size_t nr;

	if (!l->inventory || netdev_napi_list(&napis, &nr, NULL, 0))
		return;
	for (size_t i = 0; i < nr; i++)
		for (size_t j = 0; j < l->s.nr_inst; j++)
			if (napis[i].napi_id && l->s.inst[j].key.napi_id == napis[i].napi_id)
				l->s.inst[j].irq = napis[i].irq;
	free(napis);
}

static int refresh(struct live *l)
{
	struct softnet_cpu *sn = NULL;
	struct nt_snapshot snap;
	size_t nr_sn = 0;
	int ret = nt_trace_read(l->tracer, &snap);

	if (ret) {
		l->read_error = ret;
		return ret;
	}
	softnet_read(SOFTNET_STAT, &sn, &nr_sn, NULL, 0);
	nt_session_update(&l->s, &snap, sn, nr_sn);
	free(sn);
	inventory(l);
	return 0;
}

/* The refresh to the metrics registry and the textfile; 0 or 1 (said). */
static int publish(struct live *l)
{
	char err[256];

	if (!l->metrics)
		return 0;
	nt_session_metrics(metrics_pub_begin(l->metrics), &l->s, l->devs, l->o->nr_devs);
	return metrics_pub_end(l->metrics, err, sizeof(err)) ? tool_error("%s", err) : 0;
}

static int outputs(struct live *l)
{
	const struct napitop_opts *o = l->o;

	if (o->out.json)
		nt_session_json(stdout, &l->s, l->devs, o->nr_devs);
	else if (o->out.batch)
		nt_session_text(stdout, &l->s, l->devs, o->nr_devs);
	if (o->out.batch)
		fflush(stdout);
	if (l->out)
		nt_session_json(l->out, &l->s, NULL, 0);
	if (l->view)
		view_draw(l->view, &l->s, l->status, l->devs, o->nr_devs);
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

static int on_key(void *ctx, int fd, uint32_t events)
{
	struct live *l = ctx;

	(void)fd, (void)events;
	if (view_keys(l->view))
		return 1;
	view_draw(l->view, &l->s, l->status, l->devs, l->o->nr_devs);
	return 0;
}

static int on_signal(void *ctx, int signo)
{
	struct live *l = ctx;

	if (signo == SIGWINCH) {
		view_resize(l->view);
		view_draw(l->view, &l->s, l->status, l->devs, l->o->nr_devs);
		return 0;
	}
	return 1;
}

static int replay(const struct napitop_opts *o);

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
	static const int tui_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH, 0 };
	static const int batch_signals[] = { SIGINT, SIGTERM, SIGHUP, 0 };
	static const int needed[] = { 0 };
	struct live l = { .o = o };
	struct netdev_napi *napis = NULL;
	bool tui = !cliout_no_view(&o->out);
	char err[256];
	const char *cap;
	size_t nr;
	int rc = 1, ret;

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
	if (resolve_devs(&l, true))
		return 1;
	if (tui && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		return tool_error("the live view needs a terminal; use --batch");
	probe_libbpf_verbose(o->out.verbose);
	signal(SIGPIPE, SIG_IGN);

	l.loop = evloop_new();
	if (!l.loop) {
		tool_error("out of memory");
		goto out;
	}
	if (metrics_pub_start(&l.metrics, &o->out.metrics, l.loop, err, sizeof(err))) {
		tool_error("%s", err);
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
	if (refresh(&l)) {
		tool_error("cannot read the kernel's counts: %s", strerror(-l.read_error));
		goto out;
	}
	if (publish(&l))
		goto out;

	ret = evloop_add_signals(l.loop, tui ? tui_signals : batch_signals, on_signal, &l);
	if (ret) {
		tool_error("cannot take signals: %s", strerror(-ret));
		goto out;
	}
	if (tui) {
		ret = view_open(&l.view, o->out.no_color, o->sort);
		if (ret) {
			tool_error("cannot start the terminal view: %s", strerror(-ret));
			goto out;
		}
		if (evloop_add_fd(l.loop, STDIN_FILENO, on_key, &l)) {
			tool_error("cannot read the terminal");
			goto out;
		}
	}
	if (evloop_add_timer(l.loop, o->out.refresh_ns, on_refresh, &l) < 0 ||
	    (o->out.duration_ns && evloop_add_deadline(l.loop, o->out.duration_ns) < 0)) {
		tool_error("cannot start timers: %s", strerror(errno));
		goto out;
	}
	fprintf(stderr, "napitop: watching napi:napi_poll %s\n", l.status);
	if (l.view)
		view_draw(l.view, &l.s, l.status, l.devs, o->nr_devs);

	ret = evloop_run(l.loop);
	view_close(l.view);
	l.view = NULL;
	if (ret == -ECANCELED)		/* publishing failed, and said so */
		goto out;
	if (ret < 0 && ret != -EPIPE) {
		tool_error("reading the kernel's counts failed: %s", strerror(-ret));
		goto out;
	}
	/* the last word: the counts up to the end */
	if (!refresh(&l)) {
		if (l.out)
			nt_session_json(l.out, &l.s, NULL, 0);
		if (publish(&l))
			goto out;
	}
	rc = 0;
out:
	view_close(l.view);
	metrics_pub_stop(l.metrics);
	nt_trace_stop(l.tracer);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	evloop_free(l.loop);
	nt_session_free(&l.s);
	free(l.devs);
	return rc;
}

/* --replay: the session file through the same views. */
static int replay(const struct napitop_opts *o)
{
	struct live l = { .o = o };
	char err[256];
	int rc = 0;

	if (resolve_devs(&l, false))
		return 1;
	if (nt_session_load(o->out.replay, &l.s, err, sizeof(err))) {
		free(l.devs);
		return tool_error("cannot replay %s: %s", o->out.replay, err);
	}
	snprintf(l.status, sizeof(l.status), "[replay of %s]", o->out.replay);
	if (o->out.json) {
		nt_session_json(stdout, &l.s, l.devs, o->nr_devs);
		goto out;
	}
	if (o->out.batch) {
		nt_session_text(stdout, &l.s, l.devs, o->nr_devs);
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    view_open(&l.view, o->out.no_color, o->sort)) {
		rc = tool_error("cannot start the terminal view (use --batch)");
		goto out;
	}
	l.loop = evloop_new();
	if (!l.loop || evloop_add_fd(l.loop, STDIN_FILENO, on_key, &l)) {
		rc = tool_error("cannot read the terminal");
		goto out;
	}
	view_draw(l.view, &l.s, l.status, l.devs, o->nr_devs);
	evloop_run(l.loop);
out:
	view_close(l.view);
	evloop_free(l.loop);
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
