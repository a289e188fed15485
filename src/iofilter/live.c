// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's part of the live session (live.h does the rest): rules in,
 * tiers probed and assigned, the enforcer started, each verdict out to
 * stdout, the log and the session file as it comes, the counts and the
 * disks' rates at every refresh, and everything taken down again on every
 * exit path (the rules hold only while iofilter runs, unless --pin keeps
 * them).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "errmsg.h"
#include "enforce.h"
#include "live.h"
#include "outfile.h"
#include "rules.h"
#include "session.h"
#include "units.h"
#include "view.h"

/* A rule's disk and its IO rates, from the kernel's own block stats. */
struct device {
	char name[32];
	uint64_t ios[2], sectors[2];	/* reads, writes completed; their sectors */
	uint64_t first_ios[2], first_sectors[2];	/* at the first read: the metrics' zero */
	uint64_t time_ns;
	double iops[2], bps[2];
};

struct live {
	const struct iofilter_opts *o;
	struct live_session lv;
	struct iof_enforcer *enf;
	struct iof_sink sink;
	struct iof_rule *rules;		/* the enforcer's */
	struct session_rule *srules;	/* the session's */
	struct session s;
	FILE *log, *out;
	char tiers_line[128];
	struct device devs[IOF_MAX_RULES];
	size_t nr_devs;
	char devices_line[256];
};

static void add_device(struct live *l, const char *name)
{
	for (size_t i = 0; i < l->nr_devs; i++)
		if (!strcmp(l->devs[i].name, name))
			return;
	if (l->nr_devs < IOF_MAX_RULES)
		snprintf(l->devs[l->nr_devs++].name, sizeof(l->devs[0].name), "%s", name);
}

/* /sys/class/block/NAME/stat: fields 1, 3, 5 and 7 are reads completed,
 * sectors read, writes completed, sectors written. */
static void update_devices(struct live *l)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	size_t n = snprintf(l->devices_line, sizeof(l->devices_line), "devices:");

	for (size_t i = 0; i < l->nr_devs; i++) {
		struct device *d = &l->devs[i];
		unsigned long long f[7];
		char path[96], b[2][16];
		FILE *st;
		int got;

		snprintf(path, sizeof(path), "/sys/class/block/%s/stat", d->name);
		st = fopen(path, "r");
		got = st ? fscanf(st, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2],
				  &f[3], &f[4], &f[5], &f[6]) : 0;
		if (st)
			fclose(st);
		if (got != 7)
			continue;
		if (!d->time_ns) {
			d->first_ios[0] = f[0], d->first_ios[1] = f[4];
			d->first_sectors[0] = f[2], d->first_sectors[1] = f[6];
		}
		if (d->time_ns && now > d->time_ns) {
			double sec = (now - d->time_ns) / 1e9;

			d->iops[0] = (f[0] - d->ios[0]) / sec;
			d->iops[1] = (f[4] - d->ios[1]) / sec;
			d->bps[0] = (f[2] - d->sectors[0]) * 512 / sec;
			d->bps[1] = (f[6] - d->sectors[1]) * 512 / sec;
		}
		d->ios[0] = f[0], d->ios[1] = f[4];
		d->sectors[0] = f[2], d->sectors[1] = f[6];
		d->time_ns = now;
		if (n < sizeof(l->devices_line))
			n += snprintf(l->devices_line + n, sizeof(l->devices_line) - n,
				      "  %s read %.0f/s %s/s write %.0f/s %s/s", d->name,
				      d->iops[0], units_bytes(b[0], sizeof(b[0]), d->bps[0]),
				      d->iops[1], units_bytes(b[1], sizeof(b[1]), d->bps[1]));
	}
}

/* The rules of --rule, -f and --protect-gpt, in order: 0, or -errno with
 * @err */
static int collect_rules(const struct iofilter_opts *o, struct iof_rule_spec **out,
			 size_t *nr, char *err, size_t errlen)
{
	struct iof_rule_spec *specs = NULL, *grown;
	size_t n = 0;

	for (size_t i = 0; i < o->nr_rules; i++) {
		grown = realloc(specs, (n + 1) * sizeof(*specs));
		if (!grown)
			goto oom;
		specs = grown;
		if (rules_parse(o->rules[i], n + 1, &specs[n], err, errlen))
			goto bad;
		n++;
	}
	for (size_t i = 0; i < o->nr_rule_files; i++)
		if (rules_load_file(o->rule_files[i], &specs, &n, err, errlen))
			goto bad;
	if (o->protect_gpt) {
		grown = realloc(specs, (n + 2) * sizeof(*specs));
		if (!grown)
			goto oom;
		specs = grown;
		if (rules_protect_gpt(o->protect_gpt, &specs[n], err, errlen))
			goto bad;
		n += 2;
	}
	if (n > IOF_MAX_RULES) {
		snprintf(err, errlen, "%zu rules, at most %d", n, IOF_MAX_RULES);
		goto bad;
	}
	*out = specs;
	*nr = n;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
bad:
	free(specs);
	return -EINVAL;
}

static void on_event(void *ctx, const struct iof_event *e)
{
	struct live *l = ctx;
	bool lines = !l->o->out.metrics.headless;
	char line[256];

	session_add_event(&l->s, e);
	if (lines && l->o->out.json)
		session_event_json(stdout, &l->s, e);
	else if (lines && l->o->out.batch)
		printf("%s\n", (session_event_text(&l->s, e, line, sizeof(line)), line));
	if (l->log) {
		session_event_text(&l->s, e, line, sizeof(line));
		fprintf(l->log, "%s\n", line);
		fflush(l->log);
	}
	if (l->out)
		session_event_json(l->out, &l->s, e);
	if (lines && l->o->out.batch)
		fflush(stdout);
}

/* The kernel's counts and the disks' stats (live_ops.refresh). */
static int refresh(void *ctx)
{
	struct live *l = ctx;

	if (l->enf)
		iof_counts(l->enf, l->s.counts, &l->s.drops);
	update_devices(l);
	return 0;
}

/* A refresh on stdout: the rules' counts so far ({"counts":...} as the
 * session file ends); a replay: the verdicts, oldest first. */
static void print(void *ctx, FILE *f, bool json)
{
	struct live *l = ctx;
	char line[256];

	if (l->lv.replay) {
		for (size_t i = l->s.events < SESSION_LOG ? l->s.events : SESSION_LOG; i-- > 0;) {
			const struct iof_event *e = session_event(&l->s, i);

			if (json) {
				session_event_json(f, &l->s, e);
			} else {
				session_event_text(&l->s, e, line, sizeof(line));
				fprintf(f, "%s\n", line);
			}
		}
		return;
	}
	if (json)
		session_write_counts(f, &l->s);
	else
		session_counts_text(f, &l->s, clock_ns(CLOCK_MONOTONIC));
}

static void metrics(void *ctx, struct metrics *m)
{
	struct live *l = ctx;
	struct session_disk disks[IOF_MAX_RULES];

	for (size_t i = 0; i < l->nr_devs; i++) {
		const struct device *d = &l->devs[i];

		disks[i] = (struct session_disk){ .name = d->name };
		if (!d->time_ns)	/* its stats never read */
			continue;
		for (int k = 0; k < 2; k++) {
			disks[i].ios[k] = d->ios[k] - d->first_ios[k];
			disks[i].bytes[k] = (d->sectors[k] - d->first_sectors[k]) * 512;
		}
	}
	session_metrics(&l->s, disks, l->nr_devs, m);
}

static void *open_view(void *ctx, bool no_color)
{
	struct live *l = ctx;

	return view_open(&l->s, l->tiers_line, l->devices_line, no_color);
}

/* --replay */
static int load(void *ctx, const char *path, char *err, size_t errlen)
{
	struct live *l = ctx;

	snprintf(l->tiers_line, sizeof(l->tiers_line), "replay of %s", l->o->out.replay);
	return session_load(path, &l->s, err, errlen);
}

static const struct live_ops ops = {
	.tool = "iofilter", .refresh = refresh, .print = print, .load = load,
	.metrics = metrics,
	.view_open = open_view, .view = &view_live,
};

/* Which tiers this kernel has, said once at start. */
static void say_tiers(struct live *l, const struct iof_probe *p)
{
	size_t n = snprintf(l->tiers_line, sizeof(l->tiers_line), "tiers:");

	for (uint32_t t = 0; t < IOF_TIER_AUDIT; t++) {
		n += snprintf(l->tiers_line + n, sizeof(l->tiers_line) - n, " %s %s",
			      session_tier_name(t), p->can[t] ? "yes" : "no");
		if (!p->can[t] && l->o->out.verbose)
			fprintf(stderr, "iofilter: tier %s unavailable: %s\n",
				session_tier_name(t), p->why[t]);
	}
}

/*
 * The rules in, the tiers probed and assigned (said on stderr, a line a
 * rule), the enforcer started in @loop, the session file's header to
 * l->out first when there is one: 0, or -errno with @err.  stop() undoes
 * it, also after a failure.
 */
static int start(struct live *l, struct evloop *loop, char *err, size_t errlen)
{
	const struct iofilter_opts *o = l->o;
	struct iof_rule_spec *specs = NULL;
	struct iof_probe probe;
	char tiers[64], why[256];
	size_t nr = 0;
	int ret;

	ret = collect_rules(o, &specs, &nr, err, errlen);
	if (ret)
		return ret;
	l->rules = calloc(nr, sizeof(*l->rules));
	l->srules = calloc(nr, sizeof(*l->srules));
	if (!l->rules || !l->srules) {
		errmsg(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		l->rules[i] = specs[i].r;
		add_device(l, specs[i].dev_name);
	}
	update_devices(l);
	iof_probe_tiers(&probe);
	say_tiers(l, &probe);
	iof_assign_tiers(l->rules, nr, &probe, o->cgroup != NULL);
	if (o->tier >= 0) {
		if (!probe.can[o->tier]) {
			errmsg(err, errlen, "tier %s is not available here: %s",
			       session_tier_name(o->tier), probe.why[o->tier]);
			ret = -EOPNOTSUPP;
			goto out;
		}
		for (size_t i = 0; i < nr; i++)
			if (l->rules[i].action == IOF_DENY)
				l->rules[i].tiers = 1u << o->tier |
						    (l->rules[i].tiers & 1u << IOF_TIER_DEVICE);
	}
	for (size_t i = 0; i < nr; i++) {
		struct session_rule *sr = &l->srules[i];

		sr->r = l->rules[i];
		snprintf(sr->text, sizeof(sr->text), "%s", specs[i].text);
		snprintf(sr->dev_name, sizeof(sr->dev_name), "%s", specs[i].dev_name);
		if (sr->r.action == IOF_DENY)
			iof_rule_gaps(&sr->r, sr->why, sizeof(sr->why));
		fprintf(stderr, "iofilter: rule %zu '%s': %s", i + 1, specs[i].text,
			session_action_name(sr->r.action));
		if (sr->r.action == IOF_DENY)
			fprintf(stderr, " at %s", session_tiers_text(sr->r.tiers, tiers,
								    sizeof(tiers)));
		fprintf(stderr, "%s%s%s\n", sr->why[0] ? " (" : "", sr->why, sr->why[0] ? ")" : "");
	}
	if (session_init(&l->s, l->srules, nr)) {
		errmsg(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	l->s.start_ns = clock_ns(CLOCK_MONOTONIC);
	if (l->out)
		session_write_header(l->out, &l->s);
	l->sink = (struct iof_sink){ .ctx = l, .event = on_event };
	ret = iof_start(&l->enf, loop, l->rules, nr, o->cgroup, &l->sink, err, errlen);
	if (ret)
		goto out;
	l->s.active_tiers = iof_active(l->enf, NULL);
	if (o->pin && (ret = iof_pin(l->enf, o->pin, why, sizeof(why))))
		errmsg(err, errlen, "cannot pin under %s: %s", o->pin, why);
out:
	free(specs);
	return ret;
}

/* The counts to the session file, the summary on stderr, the enforcer
 * stopped (before the loop that watches its ring buffer ends) */
static void stop(struct live *l)
{
	if (l->out)
		session_write_counts(l->out, &l->s);
	if (l->enf) {
		uint64_t hits = 0, denied = 0, h, d;

		for (size_t i = 0; i < l->s.nr_rules; i++) {
			session_rule_totals(&l->s, i, &h, &d);
			hits += h;
			denied += d;
		}
		fprintf(stderr, "iofilter: %zu rule%s, %llu IOs matched, %llu denied, "
			"%llu drops%s\n", l->s.nr_rules, l->s.nr_rules == 1 ? "" : "s",
			(unsigned long long)hits, (unsigned long long)denied,
			(unsigned long long)l->s.drops,
			l->o->pin ? "; still enforced (pinned)" : "; enforcement ended");
	}
	iof_stop(l->enf);
	l->enf = NULL;
	session_free(&l->s);
	free(l->rules);
	free(l->srules);
	l->rules = NULL;
	l->srules = NULL;
}

int iofilter_run(const struct iofilter_opts *o)
{
	struct live l = { .o = o };
	char err[256];
	int rc = 1;

	if (o->unpin)
		return iof_unpin(o->unpin, err, sizeof(err)) ?
			tool_error("cannot unpin %s: %s", o->unpin, err) : 0;
	l.lv.doing = "filtering";
	if (live_begin(&l.lv, &ops, &l, &o->out, NULL))
		goto out;
	if (o->out.replay) {
		rc = live_replay(&l.lv);
		goto out;
	}
	if (o->log && !(l.log = outfile_fopen(o->log, o->out.force))) {
		tool_error("cannot create %s: %s", o->log, strerror(errno));
		goto out;
	}
	if (o->out.output && !(l.out = outfile_fopen(o->out.output, o->out.force))) {
		tool_error("cannot create %s: %s", o->out.output, strerror(errno));
		goto out;
	}
	if (start(&l, l.lv.loop, err, sizeof(err))) {
		tool_error("%s", err);
		goto out;
	}
	fprintf(stderr, "iofilter: enforcing %zu rule%s (%s)%s\n", l.s.nr_rules,
		l.s.nr_rules == 1 ? "" : "s", l.tiers_line,
		o->pin ? "; pinned: the rules stay after exit" : "");
	rc = live_run(&l.lv);
out:
	stop(&l);
	if (l.out && fclose(l.out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
	if (l.log)
		fclose(l.log);
	live_end(&l.lv);
	return rc;
}

/* --- iofilter as a part of a host's session (kscope record) --------------- */

struct iofilter_part {
	struct live l;
};

struct iofilter_part *iofilter_part_start(const struct iofilter_opts *o, struct evloop *loop,
					  FILE *rec, char *err, size_t errlen)
{
	struct iofilter_part *p = calloc(1, sizeof(*p));

	if (!p) {
		errmsg(err, errlen, "out of memory");
		return NULL;
	}
	p->l.o = o;
	p->l.out = rec;
	if (start(&p->l, loop, err, errlen)) {
		p->l.out = NULL;	/* nothing of ours recorded */
		stop(&p->l);
		free(p);
		return NULL;
	}
	return p;
}

uint64_t iofilter_part_denied(const struct iofilter_part *p)
{
	uint64_t denied = 0, h, d;

	for (size_t i = 0; i < p->l.s.nr_rules; i++) {
		session_rule_totals(&p->l.s, i, &h, &d);
		denied += d;
	}
	return denied;
}

int iofilter_part_refresh(struct iofilter_part *p)
{
	/* the verdicts are recorded as they come; the counts at the end */
	return refresh(&p->l);
}

void iofilter_part_stop(struct iofilter_part *p)
{
	if (!p)
		return;
	stop(&p->l);
	free(p);
}
