// SPDX-License-Identifier: GPL-2.0
/*
 * A record's parts read back as lanes (lanes.h): each part's session file,
 * line by line as its tool's --replay reads it (jsonl_read), its counters
 * turned into one figure per refresh and lane.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "grow.h"
#include "jsonfields.h"
#include "lanes.h"
#include "../lib/record.h"	/* not kscope record's */
#include "../damontop/cli.h"
#include "../damontop/model.h"

/* What a lane shows of its counter: a rate, or a share of the time; or
 * marks, events at their times; or a size, at each time; or a heatmap. */
enum { PER_SECOND, SHARE, MARKS, SIZE, HEAT };

struct part {
	struct lanes *ls;
	const char *tool;
	uint64_t prev_ns;		/* the part's previous refresh, 0: none yet */
};

static struct lane *lane_get(struct part *p, const char *name, const char *what, int per)
{
	struct lanes *ls = p->ls;
	struct lane *l;

	for (size_t i = 0; i < ls->nr; i++) {
		l = &ls->lane[i];
		if (!strcmp(l->tool, p->tool) && !strcmp(l->name, name) && !strcmp(l->what, what))
			return l;
	}
	if (ls->nr == LANES_MAX) {
		ls->left_out++;
		return NULL;
	}
	if (!ls->lane && !(ls->lane = calloc(LANES_MAX, sizeof(*ls->lane))))
		return NULL;
	l = &ls->lane[ls->nr++];
	snprintf(l->tool, sizeof(l->tool), "%s", p->tool);
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->what = what;
	l->unit = per == SHARE ? "%" : per == MARKS ? "IOs" : per == SIZE ? "MiB" :
		  per == HEAT ? "Hz" : "/s";
	l->total_unit = per == SHARE ? "s" : per == MARKS ? "IOs" : per == SIZE ? "MiB at most" :
			per == HEAT ? "Hz at most" : what;
	l->scale = per == SHARE ? 1e-9 : 1;
	/* a lane seen first now began at 0 at the part's previous refresh */
	l->last_ns = p->prev_ns;
	return l;
}

static int lane_point(struct lane *l, uint64_t from_ns, uint64_t to_ns, double value)
{
	struct lane_point *pts = grow(l->pts, &l->alloc, l->nr + 1, sizeof(*pts), 64);

	if (!pts)
		return -ENOMEM;
	l->pts = pts;
	l->pts[l->nr++] = (struct lane_point){ from_ns, to_ns, value };
	return 0;
}

/* A cumulative counter's value at the refresh @now: the point of the
 * interval since the lane's previous one, and the total so far */
static int lane_feed(struct part *p, const char *name, const char *what, int per,
		     uint64_t now, uint64_t count)
{
	struct lane *l = lane_get(p, name, what, per);

	if (!l)
		return p->ls->nr == LANES_MAX ? 0 : -ENOMEM;
	if (l->last_ns && now > l->last_ns && count >= l->last &&
	    lane_point(l, l->last_ns, now,
		       (count - l->last) * (per == SHARE ? 100 : 1e9) / (now - l->last_ns)))
		return -ENOMEM;
	l->total = count * l->scale;	/* the tool counts from its start */
	l->last = count;
	l->last_ns = now;
	return 0;
}

static void seen(struct part *p, uint64_t now)
{
	struct lanes *ls = p->ls;

	if (!ls->start_ns || now < ls->start_ns)
		ls->start_ns = now;
	if (now > ls->end_ns)
		ls->end_ns = now;
	p->prev_ns = now;
}

static void add_mode(struct lanes *ls, const char *tool, const char *mode)
{
	size_t n = strlen(ls->modes);

	snprintf(ls->modes + n, sizeof(ls->modes) - n, "%s%s %s", n ? ", " : "", tool, mode);
}

static int napitop_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct part *p = ctx;
	const char *time = json_get_string(o, "softirq_time");
	uint64_t v;

	if (!json_get_u64(o, "napitop", &v)) {
		snprintf(err, errlen, "not a napitop session");
		return -EINVAL;
	}
	add_mode(p->ls, "napitop", time ? time : "-");
	return 0;
}

/* napitop: each instance's packets and polls (and its thread's CPU when it
 * has one), each CPU's softirq time where the kernel counts it */
static int napitop_refresh(struct json_object *o, void *ctx)
{
	struct json_object *napis = json_get_array(o, "napis"), *cpus = json_get_array(o, "cpus");
	struct part *p = ctx;
	uint64_t now;
	char name[sizeof(((struct lane *)0)->name)];
	int ret = 0;

	if (!json_get_u64(o, "time_ns", &now) || !napis || !cpus)
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(napis) && !ret; i++) {
		struct json_object *n = json_object_array_get_idx(napis, i);
		const char *dev = json_get_string(n, "dev");
		uint64_t id, packets, polls, pid, kthread;

		if (!dev || !json_get_u64(n, "napi_id", &id) || !json_get_u64(n, "packets", &packets) ||
		    !json_get_u64(n, "polls", &polls) || !json_get_u64(n, "thread_pid", &pid) ||
		    !json_get_u64(n, "kthread_ns", &kthread))
			return -EINVAL;
		snprintf(name, sizeof(name), "%s napi %llu", dev, (unsigned long long)id);
		ret = lane_feed(p, name, "packets", PER_SECOND, now, packets) ?:
		      lane_feed(p, name, "polls", PER_SECOND, now, polls) ?:
		      (pid ? lane_feed(p, name, "kthread CPU", SHARE, now, kthread) : 0);
	}
	for (size_t i = 0; i < json_object_array_length(cpus) && !ret; i++) {
		struct json_object *c = json_object_array_get_idx(cpus, i);
		uint64_t cpu, ns;

		if (!json_get_u64(c, "cpu", &cpu))
			return -EINVAL;
		if (!json_get_u64(c, "softirq_ns", &ns))
			continue;	/* the kernel does not count it */
		snprintf(name, sizeof(name), "cpu%llu", (unsigned long long)cpu);
		ret = lane_feed(p, name, "softirq", SHARE, now, ns);
	}
	seen(p, now);
	return ret;
}

static int coretop_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct part *p = ctx;
	const char *mode = json_get_string(o, "mode");
	uint64_t v;

	if (!json_get_u64(o, "coretop", &v) || !mode) {
		snprintf(err, errlen, "not a coretop session");
		return -EINVAL;
	}
	add_mode(p->ls, "coretop", mode);
	return 0;
}

/* coretop: a lane per SMT sibling, its forced idle and its conflict */
static int coretop_refresh(struct json_object *o, void *ctx)
{
	struct json_object *cores = json_get_array(o, "cores");
	struct part *p = ctx;
	uint64_t now;
	char name[sizeof(((struct lane *)0)->name)];
	int ret = 0;

	if (!json_get_u64(o, "time_ns", &now) || !cores)
		return -EINVAL;
	for (size_t i = 0; i < json_object_array_length(cores) && !ret; i++) {
		struct json_object *c = json_object_array_get_idx(cores, i);
		struct json_object *sibs = json_get_array(c, "siblings");
		uint64_t core;

		if (!json_get_u64(c, "core", &core) || !sibs)
			return -EINVAL;
		for (size_t j = 0; j < json_object_array_length(sibs) && !ret; j++) {
			struct json_object *s = json_object_array_get_idx(sibs, j);
			uint64_t cpu, forced, conflict;

			if (!json_get_u64(s, "cpu", &cpu) || !json_get_u64(s, "forced_idle_ns", &forced) ||
			    !json_get_u64(s, "conflict_ns", &conflict))
				return -EINVAL;
			snprintf(name, sizeof(name), "cpu%llu (core %llu)", (unsigned long long)cpu,
				 (unsigned long long)core);
			ret = lane_feed(p, name, "forced idle", SHARE, now, forced) ?:
			      lane_feed(p, name, "conflict", SHARE, now, conflict);
		}
	}
	seen(p, now);
	return ret;
}

static int iofilter_header(struct json_object *o, void *ctx, char *err, size_t errlen)
{
	struct json_object *rules = json_get_array(o, "rules");
	struct part *p = ctx;
	char name[sizeof(((struct lane *)0)->name)];
	uint64_t v;

	if (!json_get_u64(o, "iofilter", &v) || !rules) {
		snprintf(err, errlen, "not an iofilter session");
		return -EINVAL;
	}
	/* a lane a rule, in order, even if it saw nothing */
	for (size_t i = 0; i < json_object_array_length(rules); i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);
		const char *text = json_get_string(r, "text");
		const char *action = json_get_string(r, "action");

		if (!text || !action) {
			snprintf(err, errlen, "rule %zu without its text or action", i + 1);
			return -EINVAL;
		}
		snprintf(name, sizeof(name), "rule %zu: %s", i + 1, text);
		if (!lane_get(p, name, strcmp(action, "deny") ? "audit" : "deny", MARKS) &&
		    p->ls->nr < LANES_MAX) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	add_mode(p->ls, "iofilter", "verdicts");
	return 0;
}

/* The lane of rule @idx (0-based): the part's lanes are its rules, in order */
static struct lane *rule_lane(struct part *p, uint64_t idx)
{
	size_t n = 0;

	for (size_t i = 0; i < p->ls->nr; i++)
		if (!strcmp(p->ls->lane[i].tool, p->tool) && n++ == idx)
			return &p->ls->lane[i];
	return NULL;
}

/* iofilter: a verdict, a mark on its rule's lane; the counts at the end,
 * each rule's total */
static int iofilter_refresh(struct json_object *o, void *ctx)
{
	struct json_object *counts = json_get_array(o, "counts"), *denied;
	const char *op = json_get_string(o, "op"), *comm = json_get_string(o, "comm");
	struct part *p = ctx;
	struct lane_mark *m;
	struct lane *l;
	uint64_t ts, rule;
	size_t nr = 0;

	if (counts) {
		/* [hits, denied, sectors] per rule and tier, rule by rule; a
		 * rule's IOs as iofilter counts them: each tier that saw one
		 * counted it, a tier that refused one counted that */
		size_t tiers = p->ls->nr ? json_object_array_length(counts) : 0;

		for (size_t i = 0; i < p->ls->nr; i++)
			nr += !strcmp(p->ls->lane[i].tool, p->tool);
		if (!nr || tiers % nr)
			return nr ? -EINVAL : 0;
		tiers /= nr;
		for (size_t r = 0; r < nr; r++) {
			l = rule_lane(p, r);
			l->total = 0;
			l->denied = 0;
			for (size_t t = 0; t < tiers; t++) {
				struct json_object *c = json_object_array_get_idx(counts, r * tiers + t);

				if (!json_object_is_type(c, json_type_array) ||
				    json_object_array_length(c) != 3)
					return -EINVAL;
				uint64_t hits = json_object_get_uint64(json_object_array_get_idx(c, 0));

				if (hits > l->total)
					l->total = hits;
				l->denied += json_object_get_uint64(json_object_array_get_idx(c, 1));
			}
		}
		return 0;
	}
	if (!json_get_u64(o, "ts_ns", &ts) || !op || !comm ||
	    !json_object_object_get_ex(o, "denied", &denied) ||
	    !json_object_is_type(denied, json_type_boolean))
		return -EINVAL;
	if (!json_get_u64(o, "rule", &rule) || !(l = rule_lane(p, rule)))
		return 0;	/* no rule's (-1) */
	m = grow(l->marks, &l->alloc_marks, l->nr_marks + 1, sizeof(*m), 64);
	if (!m)
		return -ENOMEM;
	l->marks = m;
	l->marks[l->nr_marks] = (struct lane_mark){ .time_ns = ts,
						    .denied = json_object_get_boolean(denied) };
	snprintf(l->marks[l->nr_marks++].what, sizeof(l->marks[0].what), "%s by %s", op, comm);
	seen(p, ts);
	return 0;
}

/* damontop: its working set at each aggregation, and its heatmap as
 * `damontop report heatmap` computes it, over the record's time */
static int damontop_lanes(struct part *p, const char *file, char *err, size_t errlen)
{
	struct damontop_opts o = { .resol_addr = LANES_HEAT_ROWS, .draw_range = DRAW_ALL };
	struct recording rec;
	struct lane *wss, *heat;
	uint64_t start, prev;
	int ret = record_load(file, &rec, err, errlen);

	if (ret)
		return ret;
	if (!rec.nr_snaps) {
		recording_free(&rec);
		return 0;	/* no aggregation: no lane */
	}
	start = rec.hdr.start_mono_ns;
	if (!start || start > rec.snaps[0].time_ns)
		start = heatgrid_first_start(rec.snaps, rec.nr_snaps);
	wss = lane_get(p, rec.hdr.target, "working set", SIZE);
	heat = lane_get(p, rec.hdr.target, "heat", HEAT);
	if (!wss || !heat) {
		recording_free(&rec);
		return p->ls->nr == LANES_MAX ? 0 : -ENOMEM;	/* counted, not drawn */
	}
	prev = start;
	for (size_t i = 0; i < rec.nr_snaps && !ret; prev = rec.snaps[i++].time_ns) {
		double mib = snapshot_wss(&rec.snaps[i]) / 1048576.0;

		ret = lane_point(wss, prev, rec.snaps[i].time_ns, mib);
		if (mib > wss->total)
			wss->total = mib;
	}
	/* a time cell an aggregation, up to LANES_HEAT_COLS */
	o.time_range[0] = start;
	o.time_range[1] = rec.snaps[rec.nr_snaps - 1].time_ns;
	o.resol_time = rec.nr_snaps < LANES_HEAT_COLS ? rec.nr_snaps : LANES_HEAT_COLS;
	if (!ret && (!(heat->heat = calloc(1, sizeof(*heat->heat))) ||
		     !(heat->heat_names = calloc(MODEL_MAX_SPANS, sizeof(*heat->heat_names)))))
		ret = -ENOMEM;
	if (!ret && (ret = report_heatgrid(&o, &rec, heat->heat, heat->heat_names))) {
		free(heat->heat);
		heat->heat = NULL;
		ret = ret == -ENODATA ? 0 : ret;	/* no region: nothing to draw */
	}
	if (!ret) {
		heat->total = heat->heat ? heatgrid_max(heat->heat) : 0;
		add_mode(p->ls, "damontop", rec.hdr.source);
		seen(p, start);
		seen(p, o.time_range[1]);
	} else {
		snprintf(err, errlen, "%s", strerror(-ret));
	}
	recording_free(&rec);
	return ret;
}

/* Each tool's part: its session file read line by line (jsonl_read), or
 * damontop's record loaded whole */
static const struct {
	const char *tool;
	jsonl_header_fn header;
	jsonl_refresh_fn refresh;
	int (*load)(struct part *p, const char *file, char *err, size_t errlen);
} readers[] = {
	{ "damontop", .load = damontop_lanes },
	{ "napitop", napitop_header, napitop_refresh, NULL },
	{ "coretop", coretop_header, coretop_refresh, NULL },
	{ "iofilter", iofilter_header, iofilter_refresh, NULL },
};

int lanes_load(const char *path, struct lanes *ls, char *err, size_t errlen)
{
	struct bundle_part *parts;
	char file[32], why[256];
	size_t nr;
	int ret;

	*ls = (struct lanes){};
	ret = bundle_index(path, &parts, &nr, err, errlen);
	if (ret)
		return ret;
	for (size_t i = 0; i < nr && !ret; i++) {
		for (size_t r = 0; r < sizeof(readers) / sizeof(readers[0]) && !ret; r++) {
			struct part p = { .ls = ls, .tool = readers[r].tool };
			int fd;

			if (strcmp(parts[i].tool, p.tool))
				continue;
			fd = bundle_open_part(path, p.tool, err, errlen);
			if (fd < 0) {
				ret = fd;
				break;
			}
			snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
			ret = readers[r].load ? readers[r].load(&p, file, why, sizeof(why)) :
			      jsonl_read(file, p.tool, readers[r].header, readers[r].refresh, &p,
					 why, sizeof(why));
			close(fd);
			if (ret == -ENODATA)
				ret = 0;	/* a part that recorded no refresh: no lane */
			else if (ret)
				snprintf(err, errlen, "%s's part: %s", p.tool, why);
		}
	}
	free(parts);
	if (ret)
		lanes_free(ls);
	return ret;
}

void lanes_free(struct lanes *ls)
{
	for (size_t i = 0; i < ls->nr; i++) {
		free(ls->lane[i].pts);
		free(ls->lane[i].marks);
		if (ls->lane[i].heat)
			heatgrid_free(ls->lane[i].heat);
		free(ls->lane[i].heat);
		free(ls->lane[i].heat_names);
	}
	free(ls->lane);
	*ls = (struct lanes){};
}

static void put_string(FILE *out, const char *s)
{
	struct json_object *o = json_object_new_string(s);

	fputs(json_object_to_json_string(o), out);
	json_object_put(o);
}

/* "heat": its address spans [START, END, MAPPING] low first, its time
 * cells each [FROM, TO, [HEAT of each address cell, low first]] */
static void heat_json(FILE *out, const struct lane *l, uint64_t start_ns)
{
	const struct heatgrid *g = l->heat;

	fprintf(out, ",\"heat\":{\"rows\":%u,\"row_bytes\":%llu,\"spans\":[", g->na,
		(unsigned long long)g->a_unit);
	for (size_t i = 0; i < g->nr_spans; i++) {
		fprintf(out, "%s[%llu,%llu,", i ? "," : "", (unsigned long long)g->spans[i].start,
			(unsigned long long)g->spans[i].end);
		put_string(out, l->heat_names[i]);
		fputc(']', out);
	}
	fputs("],\"cells\":[", out);
	for (unsigned int t = 0; t < g->nt; t++) {
		uint64_t from = heatgrid_cell_time(g, t);

		fprintf(out, "%s[%.6f,%.6f,[", t ? "," : "", ((double)from - start_ns) / 1e9,
			((double)from + g->t_unit - start_ns) / 1e9);
		for (unsigned int a = 0; a < g->na; a++) {
			double h = g->heat[(size_t)t * g->na + a];

			fprintf(out, isnan(h) ? "%snull" : "%s%.4g", a ? "," : "", h);
		}
		fputs("]]", out);
	}
	fputs("]}", out);
}

void lanes_json(FILE *out, const struct lanes *ls, const char *record)
{
	fputs("{\"kscope_report\":1,\"record\":", out);
	put_string(out, record);
	fprintf(out, ",\"start_ns\":%llu,\"duration_s\":%.6f,\"modes\":",
		(unsigned long long)ls->start_ns, (ls->end_ns - ls->start_ns) / 1e9);
	put_string(out, ls->modes);
	fprintf(out, ",\"lanes_left_out\":%zu,\"lanes\":[", ls->left_out);
	for (size_t i = 0; i < ls->nr; i++) {
		const struct lane *l = &ls->lane[i];

		fprintf(out, "%s\n{\"tool\":", i ? "," : "");
		put_string(out, l->tool);
		fputs(",\"name\":", out);
		put_string(out, l->name);
		fprintf(out, ",\"what\":\"%s\",\"unit\":\"%s\",\"total\":%.9g,\"total_unit\":\"%s\","
			"\"points\":[", l->what, l->unit, l->total, l->total_unit);
		for (size_t j = 0; j < l->nr; j++)
			fprintf(out, "%s[%.6f,%.6f,%.6g]", j ? "," : "",
				(l->pts[j].from_ns - ls->start_ns) / 1e9,
				(l->pts[j].to_ns - ls->start_ns) / 1e9, l->pts[j].value);
		fputc(']', out);
		if (!strcmp(l->unit, "IOs")) {
			fprintf(out, ",\"denied\":%llu,\"marks\":[", (unsigned long long)l->denied);
			for (size_t j = 0; j < l->nr_marks; j++) {
				fprintf(out, "%s[%.6f,%d,", j ? "," : "",
					((double)l->marks[j].time_ns - ls->start_ns) / 1e9,
					l->marks[j].denied);
				put_string(out, l->marks[j].what);
				fputc(']', out);
			}
			fputc(']', out);
		}
		if (l->heat)
			heat_json(out, l, ls->start_ns);
		fputc('}', out);
	}
	fputs("]}\n", out);
}
