/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A napitop refresh as one JSON line, as --json prints it and the session
 * file holds it: an nt_stat's counters by name, for the writer
 * (view_batch.c) and the reader (sessionfile.c).  Static so that
 * JSON_FIELDS() counts them in both; private to those two files.
 */
#ifndef KSCOPE_NAPITOP_JSONLINE_H
#define KSCOPE_NAPITOP_JSONLINE_H

#include <stddef.h>

#include "jsonfields.h"
#include "trace.h"
#include "tune.h"

/* An nt_stat's counters by name (the session file, --json). */
static const struct json_field stat_fields[] = {
	{ "polls", offsetof(struct nt_stat, polls) },
	{ "packets", offsetof(struct nt_stat, packets) },
	{ "full", offsetof(struct nt_stat, full) },
};

/* An instance's "config" object: its keys by tune_attr (threaded as its
 * name), and "from": "napi" (napi-get) or "device" (sysfs) */
static const char *const config_keys[TUNE_NR] = {
	[TUNE_DEFER_HARD_IRQS] = "defer_hard_irqs",
	[TUNE_GRO_FLUSH_TIMEOUT] = "gro_flush_timeout_ns",
	[TUNE_IRQ_SUSPEND_TIMEOUT] = "irq_suspend_timeout_ns",
	[TUNE_THREADED] = "threaded",
};

#endif
