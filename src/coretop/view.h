/* SPDX-License-Identifier: GPL-2.0 */
/*
 * coretop's live terminal view of a session: a lane per sibling (time
 * left to right, the heat the share of each interval it was forced idle
 * or in conflict, the letter the group it ran), and one table: tasks,
 * groups, pairs or cores.
 */
#ifndef KSCOPE_CORETOP_VIEW_H
#define KSCOPE_CORETOP_VIEW_H

#include <stdbool.h>

#include "session.h"

struct view;

int view_open(struct view **out, bool no_color);
void view_close(struct view *v);
void view_resize(struct view *v);
/* Pending keys; 1 to quit. */
int view_keys(struct view *v);
/* @status: what runs and how ("what-if: ...", "replay of FILE"). */
void view_draw(struct view *v, const struct ct_session *s, const char *status);

#endif
