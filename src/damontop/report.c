// SPDX-License-Identifier: GPL-2.0
/*
 * damontop report: heatmap, working-set-size and region reports on a
 * record file (ours or damo's), computed the way damo's reports are, and
 * conversion between the two formats.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "cli.h"
#include "export.h"
#include "heatgrid.h"
#include "model.h"
#include "outfile.h"
#include "record.h"
#include "units.h"

/*
 * The address axis: @hot (damo's hottest contiguous range) for
 * --draw-range hottest, --address-range as given, else every mapped span
 * with the big gaps left out, as the live view lays it out (the last
 * snapshot's regions where the record has no mappings, as damo's).
 */
static size_t report_spans(const struct damontop_opts *o, const struct recording *rec,
			   struct heat_span hot, struct heat_span *spans,
			   char (*names)[sizeof(((struct mapping *)0)->name)])
{
	struct damon_model m;
	size_t n = 0;

	if (o->addr_range[1]) {
		spans[0] = (struct heat_span){ o->addr_range[0], o->addr_range[1] };
		return 1;
	}
	if (o->draw_range == DRAW_ALL && !model_init(&m, 1)) {
		if (!model_set_mappings(&m, rec->maps, rec->nr_maps) &&
		    !model_add_snapshot(&m, &rec->snaps[rec->nr_snaps - 1]))
			n = model_spans(&m, spans, MODEL_MAX_SPANS);
		for (size_t i = 0; i < n; i++) {
			const char *name = model_mapping_name(&m, spans[i].start);

			snprintf(names[i], sizeof(names[i]), "%s", strcmp(name, "-") ? name : "");
		}
		model_free(&m);
	}
	if (!n)
		spans[n++] = hot;
	return n;
}

int report_heatgrid(const struct damontop_opts *o, const struct recording *rec,
		    struct heatgrid *g, char (*names)[sizeof(((struct mapping *)0)->name)])
{
	uint64_t start = rec->hdr.start_mono_ns, t0, t1;
	struct heat_span hot, spans[MODEL_MAX_SPANS];
	size_t nr_spans;
	int err;

	if (!start || (rec->nr_snaps && start > rec->snaps[0].time_ns))
		start = heatgrid_first_start(rec->snaps, rec->nr_snaps);
	err = heatgrid_default_range(rec->snaps, rec->nr_snaps, start, &t0, &t1,
				     &hot.start, &hot.end);
	if (err)
		return -ENODATA;
	if (o->time_range[1]) {
		t0 = o->time_range[0];
		t1 = o->time_range[1];
	}
	nr_spans = report_spans(o, rec, hot, spans, names);
	err = heatgrid_init(g, o->resol_time, o->resol_addr, t0, t1, spans, nr_spans);
	if (err)
		return err;
	g->model = o->heat_model;
	heatgrid_fill(g, rec->snaps, rec->nr_snaps, start);
	return 0;
}

static int report_heatmap(const struct damontop_opts *o, const struct recording *rec)
{
	struct export_opts eo = {
		.abs_time = o->abs_time, .abs_addr = o->abs_addr, .force = o->out.force,
		.title = rec->hdr.target,
	};
	char names[MODEL_MAX_SPANS][sizeof(rec->maps->name)] = {};
	const char *name_ptrs[MODEL_MAX_SPANS];
	struct heatgrid g;
	int err;

	err = report_heatgrid(o, rec, &g, names);
	if (err == -ENODATA)
		return tool_error("%s has no snapshot to draw", o->input);
	if (err)
		return tool_error("cannot make a %ux%u heatmap: %s", o->resol_time,
				      o->resol_addr, strerror(-err));
	for (size_t i = 0; i < g.nr_spans; i++)
		name_ptrs[i] = names[i];
	eo.span_names = name_ptrs;
	switch (o->format) {
	case FORMAT_PNG:
		err = export_png(&g, o->out.output, &eo);
		break;
	case FORMAT_SVG:
		err = export_svg(&g, o->out.output, &eo);
		break;
	default:
		err = export_tsv(&g, o->out.output ? o->out.output : "-", &eo);
		break;
	}
	heatgrid_free(&g);
	if (err)
		return tool_error("cannot write %s: %s", o->out.output ? o->out.output : "stdout",
				      strerror(-err));
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* damo's percentile: the value p% of the way into the sorted list (the
 * last for 100), not the lower of the two around it, so that the report
 * is damo's for every number of snapshots */
static size_t pct_index(size_t n, int p)
{
	size_t i = n * p / 100;

	return i < n ? i : n - 1;
}

static int report_wss(const struct damontop_opts *o, const struct recording *rec, FILE *out)
{
	static const int pct[] = { 0, 1, 25, 50, 75, 99, 100 };
	uint64_t *wss, sum = 0;
	char b[16];
	size_t n = rec->nr_snaps;

	if (!n)
		return tool_error("%s has no snapshot", o->input);
	wss = malloc(n * sizeof(*wss));
	if (!wss)
		return tool_error("out of memory");
	for (size_t i = 0; i < n; i++) {
		wss[i] = snapshot_wss(&rec->snaps[i]);
		sum += wss[i];
	}
	qsort(wss, n, sizeof(*wss), cmp_u64);
	if (o->out.json) {
		fprintf(out, "{\"snapshots\":%zu,\"avg_bytes\":%llu,\"percentiles\":{", n,
		       (unsigned long long)(sum / n));
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			fprintf(out, "%s\"%d\":%llu", i ? "," : "", pct[i],
			       (unsigned long long)wss[pct_index(n, pct[i])]);
		fprintf(out, "}}\n");
	} else {
		fprintf(out, "# working set size of %s, %zu snapshots\n", rec->hdr.target, n);
		fprintf(out, "# avg %s\n", units_bytes(b, sizeof(b), sum / n));
		fprintf(out, "%10s %12s\n", "PERCENTILE", "WSS");
		for (size_t i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
			fprintf(out, "%10d %12s\n", pct[i],
			       units_bytes(b, sizeof(b), wss[pct_index(n, pct[i])]));
	}
	free(wss);
	return 0;
}

static int report_regions(const struct recording *rec, FILE *out)
{
	uint64_t t0 = rec->nr_snaps ? rec->snaps[0].time_ns : 0;
	char b[16], age[16];

	for (size_t i = 0; i < rec->nr_snaps; i++) {
		const struct snapshot *s = &rec->snaps[i];

		fprintf(out, "# snapshot %zu at %.3f s: %u regions, WSS %s\n", i,
		       (s->time_ns - t0) / 1e9, s->nr_regions,
		       units_bytes(b, sizeof(b), snapshot_wss(s)));
		for (uint32_t j = 0; j < s->nr_regions; j++) {
			const struct region *r = &s->regions[j];

			fprintf(out, "%3u %012llx-%012llx %10s %4u %10s\n", j,
			       (unsigned long long)r->start, (unsigned long long)r->end,
			       units_bytes(b, sizeof(b), r->end - r->start), r->nr_accesses,
			       units_ns(age, sizeof(age), r->age * s->aggr_ns));
		}
	}
	return 0;
}

/* The whole session again, in our format or damo's. */
static int report_convert(const struct damontop_opts *o, const struct recording *rec)
{
	struct record_writer *w = o->damo_format ?
		record_create_damo(o->out.output, o->out.force, &rec->hdr) :
		record_create(o->out.output, o->out.force, &rec->hdr);
	int err = 0;

	if (!w)
		return tool_error("cannot create %s: %s", o->out.output, strerror(errno));
	if (rec->nr_maps)
		err = record_write_mappings(w, rec->maps_time_ns, rec->maps, rec->nr_maps);
	for (size_t i = 0; i < rec->nr_snaps && !err; i++)
		err = record_write_snapshot(w, &rec->snaps[i]);
	err = record_close(w) ?: err;
	if (err) {
		unlink(o->out.output);
		return tool_error("cannot write %s: %s", o->out.output, strerror(-err));
	}
	return 0;
}

int report_run(const struct damontop_opts *o)
{
	struct recording rec;
	FILE *out = stdout;
	char err[256], part[64];
	const char *path;
	int rc, fd;

	/* a kscope record: its damontop part */
	path = bundle_tool_file(o->input, "damontop", &fd, part, sizeof(part), err, sizeof(err));
	rc = path ? record_load(path, &rec, err, sizeof(err)) : -EINVAL;
	if (fd >= 0)
		close(fd);
	if (rc)
		return tool_error("cannot read %s: %s", o->input, err);
	if (o->report == REPORT_CONVERT) {
		rc = report_convert(o, &rec);
		goto done;
	}
	if (o->report != REPORT_HEATMAP && o->out.output) {
		out = outfile_fopen(o->out.output, o->out.force);
		if (!out) {
			rc = tool_error("cannot create %s: %s", o->out.output, strerror(errno));
			goto done;
		}
	}
	switch (o->report) {
	case REPORT_HEATMAP:
		rc = report_heatmap(o, &rec);
		break;
	case REPORT_WSS:
		rc = report_wss(o, &rec, out);
		break;
	default:
		rc = report_regions(&rec, out);
		break;
	}
	if (out != stdout && fclose(out) && !rc)
		rc = tool_error("cannot write %s: %s", o->out.output, strerror(errno));
done:
	recording_free(&rec);
	return rc;
}
