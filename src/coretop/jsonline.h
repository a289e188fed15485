/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A coretop refresh as one JSON line, as --json prints it and the session
 * file holds it: its counters by name, for the writer (view_batch.c) and
 * the reader (sessionfile.c).  Static so that JSON_FIELDS() counts them in
 * both; private to those two files.
 */
#ifndef KSCOPE_CORETOP_JSONLINE_H
#define KSCOPE_CORETOP_JSONLINE_H

#include <stddef.h>

#include "jsonfields.h"
#include "trace.h"

/* The counters of the session file, by name. */
static const struct json_field core_fields[] = {
	{ "busy_ns", offsetof(struct ct_core, busy_ns) },
	{ "conflict_ns", offsetof(struct ct_core, conflict_ns) },
	{ "forced_idle_ns", offsetof(struct ct_core, forced_ns) },
	{ "mismatches", offsetof(struct ct_core, mismatches) },
}, sib_fields[] = {
	{ "run_ns", offsetof(struct ct_sib_acct, run_ns) },
	{ "corun_ns", offsetof(struct ct_sib_acct, corun_ns) },
	{ "conflict_ns", offsetof(struct ct_sib_acct, conflict_ns) },
	{ "forced_idle_ns", offsetof(struct ct_sib_acct, forced_ns) },
	{ "idle_ns", offsetof(struct ct_sib_acct, idle_ns) },
}, task_fields[] = {
	{ "conflict_ns", offsetof(struct ct_task, conflict_ns) },
	{ "caused_ns", offsetof(struct ct_task, caused_ns) },
	{ "suffered_ns", offsetof(struct ct_task, suffered_ns) },
	{ "mismatches", offsetof(struct ct_task, mismatches) },
	{ "group", offsetof(struct ct_task, group) },
}, pair_fields[] = {
	{ "a", offsetof(struct ct_pair_row, key.a) },
	{ "b", offsetof(struct ct_pair_row, key.b) },
	{ "ns", offsetof(struct ct_pair_row, v.ns) },
	{ "mismatches", offsetof(struct ct_pair_row, v.events) },
};

#endif
