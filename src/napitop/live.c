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
#include "tune.h"
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
	unsigned int netns;		/* ours: where device names mean our devices */
};

/* @n's queues ("rx0 tx0") and the sums of their counters into @info */
static void queues_of(const struct netdev_inventory *inv, unsigned int napi_id,
		      struct nt_napi_info *info)
{
	size_t used = 0;

	for (size_t i = 0; i < inv->nr_queues; i++) {
		const struct netdev_queue *q = &inv->queues[i];

		if (q->napi_id != napi_id)
			continue;
		if (used < sizeof(info->queues))
			used += snprintf(info->queues + used, sizeof(info->queues) - used, "%s%s%u",
					 used ? " " : "", q->type == NETDEV_QUEUE_TX ? "tx" : "rx",
					 q->id);
		for (int k = 0; inv->have_qstats && k < NETDEV_QSTAT_NR; k++) {
			if (q->stats[k] == UINT64_MAX)
				continue;
			if (info->qstats[k] == UINT64_MAX)
				info->qstats[k] = 0;
			info->qstats[k] += q->stats[k];
		}
	}
}

/* What the netdev family says of each instance of this namespace's
 * devices (napi-get, queue-get, qstats-get); where it gives no
 * configuration (before 6.13, or no napi-get), the device's sysfs values,
 * which each of its NAPIs takes. */
static void inventory(struct live *l)
{
	struct netdev_inventory inv = {};
	struct nt_napi_info info;

	if (l->inventory && netdev_inventory_read(&inv, NULL, 0))
		memset(&inv, 0, sizeof(inv));
	for (size_t i = 0; i < inv.nr_napis; i++) {
		const struct netdev_napi *n = &inv.napis[i];

		nt_napi_info_init(&info);
		info.irq = n->irq;
		info.kthread_pid = n->pid;
		info.conf = n->conf;
		queues_of(&inv, n->napi_id, &info);
		if (n->conf.defer_hard_irqs < 0)
			info.conf_device = !tune_device_read(THREADED_SYSFS_NET, n->ifname,
							     &info.conf);
		nt_session_set_info(&l->s, n->napi_id, &info, false);
	}
	if (!l->inventory)
		for (size_t i = 0; i < l->s.nr_inst; i++) {
			const struct nt_instance *in = &l->s.inst[i];

			if (!in->key.napi_id || in->netns != l->netns)
				continue;
			nt_napi_info_init(&info);
			info.conf_device = !tune_device_read(THREADED_SYSFS_NET, in->dev,
							     &info.conf);
			nt_session_set_info(&l->s, in->key.napi_id, &info, false);
		}
	netdev_inventory_free(&inv);
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

	snprintf(l->status, sizeof(l->status), "[replay of %s]", l->o->out.replay);
	return nt_session_load(path, &l->s, err, errlen);
}

static const struct live_ops ops = {
	.tool = "napitop", .refresh = refresh, .print = print, .record = record, .load = load,
	.metrics = metrics, .view_open = open_view, .view = &view_live,
};

/* --dev: by name, and live in this network namespace: its ifindex there
 * (a name may be taken in every namespace).  0, or -errno with @err. */
static int resolve_devs(struct live *l, bool here, char *err, size_t errlen)
{
	const struct napitop_opts *o = l->o;
	struct stat ns = {};

	l->devs = calloc(o->nr_devs + 1, sizeof(*l->devs));
	if (!l->devs)
		return errmsg(err, errlen, "out of memory"), -ENOMEM;
	if (here && stat("/proc/self/ns/net", &ns)) {
		int e = errno;

		errmsg(err, errlen, "cannot tell this network namespace: %s", strerror(e));
		return -e;
	}
	l->netns = ns.st_ino;
	for (size_t i = 0; i < o->nr_devs; i++) {
		l->devs[i].name = o->devs[i];
		if (!here)
			continue;
		l->devs[i].ifindex = if_nametoindex(o->devs[i]);
		l->devs[i].netns = ns.st_ino;
		if (!l->devs[i].ifindex)
			return errmsg(err, errlen, "--dev %s: no such network device here",
				      o->devs[i]), -ENODEV;
	}
	return 0;
}

/* The kernel side started and the session made: 0, or -errno with @err
 * (the caller stops what started). */
static int start(struct live *l, char *err, size_t errlen)
{
	const struct napitop_opts *o = l->o;
	struct netdev_napi *napis = NULL;
	size_t nr;
	int ret = resolve_devs(l, true, err, errlen);

	if (ret)
		return ret;
	ret = netdev_napi_list(&napis, &nr, err, errlen);
	l->inventory = !ret;
	free(napis);
	if (ret && o->out.verbose)
		fprintf(stderr, "napitop: no NAPI inventory from netlink: %s\n", err);
	ret = nt_trace_start(&l->tracer, &(struct nt_trace_opts){ .netrx_time = o->netrx_time,
				.time_programs = o->out.verbose }, err, errlen);
	if (ret)
		return ret;
	if (nt_session_init(&l->s, libbpf_num_possible_cpus(), nt_trace_kind(l->tracer)))
		return errmsg(err, errlen, "out of memory"), -ENOMEM;
	snprintf(l->s.softirq_time, sizeof(l->s.softirq_time), "%s",
		 nt_trace_softirq_time(l->tracer));
	snprintf(l->status, sizeof(l->status), "[%s%s%s]", nt_trace_kind(l->tracer),
		 o->netrx_time ? ", NET_RX timed" : "", l->inventory ? ", netdev netlink" : "");
	return 0;
}

/* What start() made, given back (the record file is the caller's). */
static void stop(struct live *l)
{
	nt_trace_stop(l->tracer);
	l->tracer = NULL;
	nt_session_free(&l->s);
	free(l->devs);
	l->devs = NULL;
}

int napitop_run(const struct napitop_opts *o)
{
	struct live l = { .o = o };
	char err[256];
	int rc = 1, ret;

	l.lv.doing = "reading the kernel's counts";
	if (live_begin(&l.lv, &ops, &l, &o->out, NULL))
		goto out;
	if (o->out.replay) {
		if (resolve_devs(&l, false, err, sizeof(err)))
			tool_error("%s", err);
		else
			rc = live_replay(&l.lv);
		goto out;
	}
	ret = start(&l, err, sizeof(err));
	if (ret) {
		tool_error("%s", err);
		goto out;
	}
	if (o->out.output && !(l.out = outfile_fopen(o->out.output, o->out.force))) {
		tool_error("cannot create %s: %s", o->out.output, strerror(errno));
		goto out;
	}
	if (l.out)
		nt_session_write_header(l.out, &l.s);
	fprintf(stderr, "napitop: watching napi:napi_poll %s\n", l.status);
	rc = live_run(&l.lv);
	if (o->out.verbose)
		nt_trace_print_programs(l.tracer, stderr);
out:
	stop(&l);
	live_end(&l.lv);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	return rc;
}

/* --- napitop as a part of a host's session (kscope record) ---------------- */

struct napitop_part {
	struct live l;
};

struct napitop_part *napitop_part_start(const struct napitop_opts *o, FILE *rec, char *err,
					size_t errlen)
{
	struct napitop_part *p = calloc(1, sizeof(*p));

	if (!p) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	p->l.o = o;
	if (start(&p->l, err, errlen)) {
		stop(&p->l);
		free(p);
		return NULL;
	}
	p->l.out = rec;
	nt_session_write_header(rec, &p->l.s);
	return p;
}

const char *napitop_part_status(const struct napitop_part *p)
{
	return p->l.status;
}

int napitop_part_refresh(struct napitop_part *p)
{
	int ret = refresh(&p->l);

	return ret ? ret : record(&p->l);
}

void napitop_part_stop(struct napitop_part *p)
{
	if (!p)
		return;
	stop(&p->l);
	free(p);
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

/* The configuration of each NAPI of @ifindex (all NAPIs: 0), as napi-get
 * gives it; where it gives none (before 6.13, or no napi-get), one entry
 * with the device's sysfs values and napi_id 0.  Its number, or -errno. */
static int conf_of(unsigned int ifindex, const char *dev, struct netdev_napi **out, char *err,
		   size_t errlen)
{
	struct netdev_napi *napis = NULL;
	size_t nr = 0, kept = 0;

	if (netdev_napi_list(&napis, &nr, err, errlen))
		nr = 0;
	for (size_t i = 0; i < nr; i++)
		if ((!ifindex || napis[i].ifindex == ifindex) && napis[i].conf.defer_hard_irqs >= 0)
			napis[kept++] = napis[i];
	if (!kept && dev) {
		free(napis);
		napis = calloc(1, sizeof(*napis));
		if (!napis)
			return -ENOMEM;
		if (tune_device_read(THREADED_SYSFS_NET, dev, &napis[0].conf)) {
			free(napis);
			errmsg(err, errlen, "'%s' has no NAPI settings here (napi-get or sysfs)", dev);
			return -EOPNOTSUPP;
		}
		kept = 1;
	}
	*out = napis;
	return kept;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* What puts back @dev's sysfs values that @want changes, as they are now:
 * a write that fails part way leaves nothing changed */
static struct netdev_napi_conf device_undo(const char *dev, const struct netdev_napi_conf *want)
{
	struct netdev_napi_conf was = NETDEV_NAPI_CONF_NONE, undo = NETDEV_NAPI_CONF_NONE;

	tune_device_read(THREADED_SYSFS_NET, dev, &was);
	for (int a = 0; a < TUNE_NR; a++)
		if (tune_get(want, a) >= 0)
			tune_set(&undo, a, tune_get(&was, a));
	return undo;
}

int napitop_set(const char *target, const char *const *assignments, size_t nr)
{
	struct netdev_napi_conf want = NETDEV_NAPI_CONF_NONE, per_napi = NETDEV_NAPI_CONF_NONE;
	struct netdev_napi_conf undo = NETDEV_NAPI_CONF_NONE;
	struct netdev_napi *before = NULL, *after = NULL;
	unsigned int ifindex = 0, napi_id = 0;
	bool by_id = all_digits(target);
	int nb, na, rc = 1;
	char err[256], a[24], b[24];

	for (size_t i = 0; i < nr; i++)
		if (tune_parse(assignments[i], &want, err, sizeof(err)))
			return tool_error("--set %s: %s", target, err);
	if (by_id) {
		unsigned long long id;

		errno = 0;
		id = strtoull(target, NULL, 10);
		if (errno || !id || id > UINT32_MAX)
			return tool_error("--set %s: not a NAPI id (1 to %u)", target, UINT32_MAX);
		napi_id = id;
		per_napi = want;
	} else if (!(ifindex = if_nametoindex(target))) {
		return tool_error("--set %s: no network device '%s' in this network namespace",
				  target, target);
	} else {
		/* only irq-suspend-timeout has no device file: napi-set it */
		per_napi.irq_suspend_timeout_ns = want.irq_suspend_timeout_ns;
	}
	nb = conf_of(ifindex, by_id ? NULL : target, &before, err, sizeof(err));
	if (nb < 0) {
		tool_error("--set %s: %s", target, err);
		goto out;
	}
	if (by_id) {
		int i = 0;

		while (i < nb && before[i].napi_id != napi_id)
			i++;
		if (i == nb) {
			/* napi-set of nothing says why: no such NAPI, or no napi-set */
			struct netdev_napi_conf none = NETDEV_NAPI_CONF_NONE;
			int ret = netdev_napi_set(napi_id, &none, err, sizeof(err));

			if (!ret)
				tool_error("--set %s: napi-get does not show NAPI %u's settings",
					   target, napi_id);
			else if (ret == -EOPNOTSUPP)
				tool_error("--set %s: one NAPI is set through napi-set (6.13+): %s "
					   "(--set DEV sets a device's NAPIs)", target, err);
			else
				tool_error("--set %s: %s", target, err);
			goto out;
		}
		before[0] = before[i];
		nb = 1;
	}
	/* everything checked before anything changes: napi-set is there and
	 * takes this NAPI (an empty set changes nothing) */
	if (tune_get(&per_napi, TUNE_IRQ_SUSPEND_TIMEOUT) >= 0 || by_id)
		for (int i = 0; i < nb; i++) {
			struct netdev_napi_conf none = NETDEV_NAPI_CONF_NONE;

			if (!before[i].napi_id || netdev_napi_set(before[i].napi_id, &none, err,
								   sizeof(err))) {
				tool_error("--set %s: %s", target, before[i].napi_id ? err :
					   "irq-suspend-timeout needs napi-set (6.13+)");
				goto out;
			}
		}
	if (!by_id)
		undo = device_undo(target, &want);
	if (!by_id && tune_device_write(THREADED_SYSFS_NET, target, &want, err, sizeof(err))) {
		tune_device_write(THREADED_SYSFS_NET, target, &undo, NULL, 0);
		tool_error("--set %s: %s (the values before are back)", target, err);
		goto out;
	}
	for (int i = 0; i < nb; i++)
		if (before[i].napi_id && (by_id || per_napi.irq_suspend_timeout_ns >= 0) &&
		    netdev_napi_set(before[i].napi_id, &per_napi, err, sizeof(err))) {
			if (!by_id)
				tune_device_write(THREADED_SYSFS_NET, target, &undo, NULL, 0);
			tool_error("--set %s: %s", target, err);
			goto out;
		}
	na = conf_of(ifindex, by_id ? NULL : target, &after, err, sizeof(err));
	for (int i = 0; i < nb; i++) {
		const struct netdev_napi_conf *now = NULL;

		for (int j = 0; j < na; j++)
			if (after[j].napi_id == before[i].napi_id)
				now = &after[j].conf;
		for (int t = 0; t < TUNE_NR; t++) {
			if (tune_get(&want, t) < 0)
				continue;
			if (before[i].napi_id)
				printf("%s napi %u: ", before[i].ifname[0] ? before[i].ifname : target,
				       before[i].napi_id);
			else
				printf("%s (device): ", target);
			printf("%s %s -> %s\n", tune_attr_name(t),
			       tune_format(t, tune_get(&before[i].conf, t), b, sizeof(b)),
			       tune_format(t, now ? tune_get(now, t) : -1, a, sizeof(a)));
		}
	}
	fprintf(stderr, "napitop: the settings stay after napitop exits (until changed, or %s "
		"goes)\n", by_id ? "the NAPI" : "the device");
	rc = 0;
out:
	free(before);
	free(after);
	return rc;
}
