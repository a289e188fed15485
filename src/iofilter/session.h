/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an iofilter session knows, whichever way it runs (live or
 * replayed): the rules with the tier enforcing each, the counts per rule
 * and tier, a ring of the last verdicts, and the processes refused; and
 * the session file (-o, --replay): JSON lines, a header with the rules,
 * then one line per verdict and the counts at the end.  The same verdict
 * line is --json's output; --batch and --log print the text line.  And
 * the same figures as Prometheus metrics (--metrics).
 */
#ifndef KSCOPE_IOFILTER_SESSION_H
#define KSCOPE_IOFILTER_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "iofilter.h"

#define SESSION_LOG	1024	/* verdicts kept for the live view */
#define SESSION_PROCS	64	/* refused processes kept */
#define SESSION_METRICS_COMMS	10	/* process names exported, most refused first */

struct metrics;

struct session_rule {
	struct iof_rule r;
	char text[256];		/* as given */
	char dev_name[32];	/* the disk, "loop0" */
	char why[160];		/* what its tier does not cover, or "" */
};

struct session_proc {
	uint32_t tgid;
	char comm[16];
	uint64_t denied;
	uint32_t last_tier;
};

struct session {
	struct session_rule *rules;
	size_t nr_rules;
	struct iof_count *counts;	/* nr_rules * IOF_NR_TIERS */
	uint64_t drops;			/* verdicts the ring buffer had no room for */
	uint64_t events;		/* verdicts seen */
	struct iof_event log[SESSION_LOG];	/* ring, oldest overwritten */
	size_t log_next;
	struct session_proc procs[SESSION_PROCS];
	size_t nr_procs;
	uint64_t start_ns;
	uint32_t active_tiers;		/* 1 << tier of the tiers that run (live; 0 replayed) */
};

/* A rule's disk: IO completed since iofilter started, from the kernel's
 * block stats (/sys/class/block/NAME/stat); [0] reads, [1] writes. */
struct session_disk {
	const char *name;		/* "loop0" */
	uint64_t ios[2], bytes[2];
};

int session_init(struct session *s, const struct session_rule *rules, size_t nr);
void session_free(struct session *s);
void session_add_event(struct session *s, const struct iof_event *e);
/* The i-th newest verdict (0 = newest), NULL past the end. */
const struct iof_event *session_event(const struct session *s, size_t i);
/* Totals over a rule's tiers. */
void session_rule_totals(const struct session *s, size_t rule, uint64_t *hits, uint64_t *denied);

const char *session_tier_name(uint32_t tier);
/* "bio", "kill", "kill,device": the tiers in a mask */
const char *session_tiers_text(uint32_t mask, char *buf, size_t len);
const char *session_action_name(uint32_t action);

/* One verdict as a text line (no newline) and as a JSON object line. */
void session_event_text(const struct session *s, const struct iof_event *e,
			char *buf, size_t len);
void session_event_json(FILE *out, const struct session *s, const struct iof_event *e);

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
