/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A coretop session: its model (model.h) and what reads it out: JSON and
 * text lines (view_batch.c), Prometheus metrics (view_metrics.c) and the
 * session file (-o, --replay; sessionfile.c): JSON lines, a header, then
 * each refresh as --json prints it.
 */
#ifndef KSCOPE_CORETOP_SESSION_H
#define KSCOPE_CORETOP_SESSION_H

#include <stddef.h>
#include <stdio.h>

#include "model.h"

/* Prometheus: groups and pairs exported, the top ones by the mode's figure */
#define CT_SESSION_METRICS_TOP	20

struct metrics;

/* One refresh as a JSON object line (--json, the session file). */
void ct_session_json(FILE *out, const struct ct_session *s);
/* One refresh as text lines (--batch). */
void ct_session_text(FILE *out, const struct ct_session *s, size_t top);
/*
 * One refresh's families and samples for Prometheus, between the caller's
 * metrics_begin() and metrics_end(): the figures of ct_session_json() in
 * seconds, per core and CPU, and for the top CT_SESSION_METRICS_TOP groups
 * and pairs (coretop(8), METRICS).
 */
void ct_session_metrics(const struct ct_session *s, struct metrics *m);

void ct_session_write_header(FILE *out, const struct ct_session *s);
/* A session file back into @s, every refresh replayed; -errno with a
 * one-line reason. */
int ct_session_load(const char *path, struct ct_session *s, char *err, size_t errlen);

#endif
