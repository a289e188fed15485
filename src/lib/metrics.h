/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tool's figures for Prometheus: each refresh, the tool declares its
 * metric families and their samples; the refresh then becomes what is
 * rendered, in the text exposition format 0.0.4 (what node_exporter's
 * textfile collector reads) or OpenMetrics 1.0.  Counters are cumulative
 * since the tool started and never go down from one refresh to the next:
 * a sample lower than the one before keeps the one before.
 */
#ifndef KSCOPE_METRICS_H
#define KSCOPE_METRICS_H

#include <stdbool.h>
#include <stddef.h>

enum metric_type { METRIC_COUNTER, METRIC_GAUGE };

struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* Starts a refresh; the previous one stays what is rendered until the end. */
void metrics_begin(struct metrics *m);
/*
 * The family later samples belong to: @name in base units without the
 * counter's "_total" (kscope_napitop_packets), declared again to add to
 * it.  @help is one line.
 */
void metrics_family(struct metrics *m, const char *name, enum metric_type type,
		    const char *help);
/*
 * A sample of the current family: @value, then its labels as name, value
 * string pairs ending with NULL.  A series given twice in a refresh keeps
 * its first value.
 */
void metrics_sample(struct metrics *m, double value, ...) __attribute__((sentinel));
/* Ends the refresh: 0, or -ENOMEM (the previous refresh stays). */
int metrics_end(struct metrics *m);

/* The last refresh rendered: a malloc'd string, NULL when out of memory. */
char *metrics_render(const struct metrics *m, bool openmetrics, size_t *len);
/*
 * The last refresh (text format) to @path through a temporary file beside
 * it and a rename, so that a reader sees the whole of one refresh or of
 * the one before; mode 0644 for node_exporter.  0 or -errno.
 */
int metrics_write_textfile(const struct metrics *m, const char *path);

#define METRICS_TEXT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_OPENMETRICS_TYPE \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

#endif
