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

#include "session.h"

struct view;

/* @sort: the column sorted by first (a --sort key's column, -1: polls/s). */
int view_open(struct view **out, bool no_color, int sort);
void view_close(struct view *v);
void view_resize(struct view *v);
/* Pending keys; 1 to quit. */
int view_keys(struct view *v);
void view_draw(struct view *v, const struct nt_session *s, const char *status,
	       const struct nt_dev *devs, size_t nr_devs);

/* --sort KEY: the table column, -1 when unknown. */
int view_sort_column(const char *key);

#endif
