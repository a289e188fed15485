// SPDX-License-Identifier: GPL-2.0
/* damontop's batch views: one text line or JSON object per aggregation. */
#include <math.h>
#include <string.h>

#include "export.h"
#include "heatgrid.h"
#include "tui.h"
#include "units.h"
#include "view.h"

#define MAX_SPANS 8

/* The latest snapshot as one row of heat characters, low address first. */
static void view_heat_row(const struct damon_model *m, char *buf, unsigned int width)
{
	const struct snapshot *s = model_latest(m);
	struct heat_span spans[MAX_SPANS];
	struct heatgrid g;
	size_t nr_spans = model_spans(m, spans, MAX_SPANS);
	unsigned int a;
	int level;

	memset(buf, ' ', width);
	buf[width] = 0;
	if (!s || !nr_spans || heatgrid_init(&g, 1, width, s->time_ns - s->aggr_ns,
					     s->time_ns, spans, nr_spans))
		return;
	heatgrid_fill(&g, s, 1, s->time_ns - s->aggr_ns);
	for (a = 0; a < width; a++) {
		/* heat is in samples hit per second; blank where unmonitored */
		level = tui_heat_level(g.heat[a], 1e9 / s->sample_ns,
				       sizeof(TUI_HEAT_CHARS) - 1);
		if (level >= 0)
			buf[a] = TUI_HEAT_CHARS[level];
	}
	heatgrid_free(&g);
}

void view_batch_header(FILE *out, const struct view_status *vs)
{
	fprintf(out, "# damontop: %s, source %s%s%s%s\n", vs->target, vs->source,
		vs->source_why && *vs->source_why ? " (" : "",
		vs->source_why ? vs->source_why : "",
		vs->source_why && *vs->source_why ? ")" : "");
	if (vs->plan && *vs->plan)
		fprintf(out, "# plan: %s\n", vs->plan);
	fprintf(out, "%8s %9s %5s %6s %5s %5s  %s\n", "TIME", "WSS", "REGS",
		"AGGR", "COST", "DROPS", "HEAT (low address -> high)");
}

void view_batch_line(FILE *out, const struct damon_model *m,
		     const struct view_status *vs, uint64_t t0_ns)
{
	const struct snapshot *s = model_latest(m);
	char wss[16], aggr[16], heat[35];

	if (!s)
		return;
	view_heat_row(m, heat, 34);
	fprintf(out, "%7.2fs %9s %5u %6s %4.1f%% %5llu |%s|\n",
		(s->time_ns - t0_ns) / 1e9, units_bytes(wss, sizeof(wss), snapshot_wss(s)),
		s->nr_regions, units_ns(aggr, sizeof(aggr), s->aggr_ns),
		vs->live ? vs->self_cost * 100 : 0.0,
		(unsigned long long)(vs->drops + vs->st.drops), heat);
	fflush(out);
}

/*
 * A region's heat in Hz, as heatgrid.h defines it: nr_accesses per second
 * of its aggregation interval.  An integer where it is whole, else the
 * fewest digits that read back as heatgrid's double (the pte source's
 * intervals are samples x a sampling interval of any ns: 93 x 5.376344 ms
 * is 499999992 ns); null where the interval is unknown (0).
 */
static const char *view_json_hz(char buf[EXPORT_PYFLOAT_LEN], uint32_t nr_accesses,
				uint64_t aggr_ns)
{
	uint64_t scaled = (uint64_t)nr_accesses * 1000000000ull;

	if (!aggr_ns)
		return "null";
	if (scaled % aggr_ns == 0) {
		snprintf(buf, EXPORT_PYFLOAT_LEN, "%llu",
			 (unsigned long long)(scaled / aggr_ns));
		return buf;
	}
	return export_pyfloat((double)scaled / (double)aggr_ns, buf);
}

/*
 * heat_hz by nr_accesses, worked out once per line: a snapshot's counts
 * are few distinct small numbers (at most aggr / sample), and the shortest
 * digits of a fraction cost more than the rest of a region: a line of 1000
 * regions at 141 ms aggregations took 1.6 ms without this, 0.3 ms with it
 * (0.2 ms as arrays of four integers).
 */
#define VIEW_JSON_HZ_MEMO 256

/* Every name carries its unit: _ns, _bytes, _ppm (of one CPU), _hz,
 * _aggrs (aggregation intervals); nr_ and drops are counts. */
void view_json_line(FILE *out, const struct damon_model *m,
		    const struct view_status *vs)
{
	const struct snapshot *s = model_latest(m);
	const char *memo[VIEW_JSON_HZ_MEMO] = { NULL };
	char hz[VIEW_JSON_HZ_MEMO][EXPORT_PYFLOAT_LEN], other[EXPORT_PYFLOAT_LEN];
	const char *h;

	if (!s)
		return;
	fprintf(out, "{\"time_ns\":%llu,\"sample_ns\":%llu,\"aggr_ns\":%llu,"
		"\"nr_regions\":%u,\"wss_bytes\":%llu,\"rss_bytes\":%llu,"
		"\"cost_ppm\":%.0f,\"drops\":%llu,\"clear\":\"%s\",",
		(unsigned long long)s->time_ns, (unsigned long long)s->sample_ns,
		(unsigned long long)s->aggr_ns, s->nr_regions,
		(unsigned long long)snapshot_wss(s),
		(unsigned long long)vs->st.rss_bytes, vs->self_cost * 1e6,
		(unsigned long long)(vs->drops + vs->st.drops),
		vs->damon ? "kdamond" : vs->live ? plan_method_name(vs->st.method) : "none");
	if (vs->live && vs->damon && !isnan(vs->kdamond_cost))
		fprintf(out, "\"kdamond_cost_ppm\":%.0f,", vs->kdamond_cost * 1e6);
	fputs("\"regions\":[", out);
	for (uint32_t i = 0; i < s->nr_regions; i++) {
		const struct region *r = &s->regions[i];
		uint32_t n = r->nr_accesses;

		if (n >= VIEW_JSON_HZ_MEMO)
			h = view_json_hz(other, n, s->aggr_ns);
		else if (!(h = memo[n]))
			h = memo[n] = view_json_hz(hz[n], n, s->aggr_ns);
		fprintf(out, "%s{\"start\":%llu,\"end\":%llu,\"nr_accesses\":%u,"
			"\"heat_hz\":%s,\"age_aggrs\":%u}", i ? "," : "",
			(unsigned long long)r->start, (unsigned long long)r->end,
			n, h, r->age);
	}
	fputs("]}\n", out);
	fflush(out);
}
