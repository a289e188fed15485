/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What an iofilter session knows, whichever way it runs (live or
 * replayed): the rules with the tier enforcing each, the counts per rule
 * and tier, a ring of the last verdicts, and the processes refused; and
 * the names of tiers, actions and operations as every view and the
 * session file spell them.  Pure C, no I/O (model.c).
 */
#ifndef KSCOPE_IOFILTER_MODEL_H
#define KSCOPE_IOFILTER_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "iofilter.h"

#define SESSION_LOG	1024	/* verdicts kept for the live view */
#define SESSION_PROCS	64	/* refused processes kept */

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
/* "write": the name of an event's one operation bit, "?" for none */
const char *session_op_name(uint32_t op);
/* Back from a name: the tier, or the operation's bit number (op 1 << it);
 * UINT32_MAX for a name that is none (or NULL). */
uint32_t session_tier_index(const char *name);
uint32_t session_op_index(const char *name);

#endif
