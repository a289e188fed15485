/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An iofilter session, whichever way it runs (live or replayed): its
 * model (model.h: rules, counts, the last verdicts, the processes
 * refused) and what is made of it.  One verdict as a text line (--batch,
 * --log) or a JSON line (--json; the session file's verdict lines), and
 * the counts of a refresh as a text line: view_batch.c.  The session file (-o, --replay): JSON lines, a header
 * with the rules, then one line per verdict and the counts at the end:
 * sessionfile.c.  The same figures as Prometheus metrics (--metrics):
 * view_metrics.c.
 */
#ifndef KSCOPE_IOFILTER_SESSION_H
#define KSCOPE_IOFILTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "iofilter.h"
#include "model.h"

#define SESSION_METRICS_COMMS	10	/* process names exported, most refused first */

struct metrics;

/* A rule's disk: IO completed since iofilter started, from the kernel's
 * block stats (/sys/class/block/NAME/stat); [0] reads, [1] writes. */
struct session_disk {
	const char *name;		/* "loop0" */
	uint64_t ios[2], bytes[2];
};

/* One verdict as a text line (no newline) and as a JSON object line. */
void session_event_text(const struct session *s, const struct iof_event *e,
			char *buf, size_t len);
void session_event_json(FILE *out, const struct session *s, const struct iof_event *e);
/* A refresh of --batch: each rule's counts so far, at @now_ns
 * (CLOCK_MONOTONIC), one line.  --json's is session_write_counts(). */
void session_counts_text(FILE *out, const struct session *s, uint64_t now_ns);

/* The session file: header, verdicts, counts at the end. */
void session_write_header(FILE *out, const struct session *s);
void session_write_counts(FILE *out, const struct session *s);
/* Read a session file back; -errno with a one-line reason. */
int session_load(const char *path, struct session *s, char *err, size_t errlen);

/*
 * The session's figures as Prometheus families, into a refresh the
 * caller began (metrics_begin) and ends: the counts per rule and tier,
 * the tiers that run, verdicts, drops, processes refused and @disks' IO
 * (see iofilter(8), METRICS).  At most 64 rules x 5 tiers per family,
 * SESSION_METRICS_COMMS names, the rules' disks.
 */
void session_metrics(const struct session *s, const struct session_disk *disks,
		     size_t nr_disks, struct metrics *m);

#endif
