/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A napitop session: its model (model.h) and what reads it out: JSON and
 * text lines (view_batch.c), Prometheus metrics (view_metrics.c) and the
 * session file (-o, --replay; sessionfile.c): JSON lines, a header, then
 * each refresh as --json prints it.
 */
#ifndef KSCOPE_NAPITOP_SESSION_H
#define KSCOPE_NAPITOP_SESSION_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

void nt_session_json(FILE *out, const struct nt_session *s, const struct nt_dev *devs,
		     size_t nr_devs);
void nt_session_text(FILE *out, const struct nt_session *s, const struct nt_dev *devs,
		     size_t nr_devs);

/*
 * A refresh's metrics (metrics_begin and _end are the caller's): the
 * instances present in the latest snapshot, at most NT_METRICS_INSTANCES
 * (the first seen), per CPU figures, the NAPI threads.
 */
#define NT_METRICS_INSTANCES	256
struct metrics;
void nt_session_metrics(struct metrics *m, const struct nt_session *s,
			const struct nt_dev *devs, size_t nr_devs);

void nt_session_write_header(FILE *out, const struct nt_session *s);
int nt_session_load(const char *path, struct nt_session *s, char *err, size_t errlen);

#endif
