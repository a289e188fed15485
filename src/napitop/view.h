/* SPDX-License-Identifier: GPL-2.0 */
/*
 * napitop's live terminal view: a row per NAPI instance (and the per-CPU
 * backlog), NET_RX softirq time and softnet_stat per CPU, the polling
 * threads' CPU time; Enter shows one instance: its work-per-poll
 * histogram and a history of polls/s and packets/s.
 */
#ifndef KSCOPE_NAPITOP_VIEW_H
#define KSCOPE_NAPITOP_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "live.h"
#include "session.h"

struct view;

/* The view of @s (kept, with @status and the --dev devices), sorted by
 * @sort first (a --sort key's column, -1: polls/s), or NULL and errno;
 * then driven by the live driver through view_live. */
struct view *view_open(const struct nt_session *s, const char *status,
		       const struct nt_dev *devs, size_t nr_devs, int sort, bool no_color);
extern const struct live_view view_live;

/* --sort KEY: the table column, -1 when unknown. */
int view_sort_column(const char *key);

#endif
