/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's live terminal view of a session.
 */
#ifndef KSCOPE_IOFILTER_VIEW_H
#define KSCOPE_IOFILTER_VIEW_H

#include <stdbool.h>

#include "session.h"

struct view;

int view_open(struct view **out, bool no_color);
void view_close(struct view *v);
void view_resize(struct view *v);
/* Pending keys; 1 to quit. */
int view_keys(struct view *v);
/* @tiers_line: which tiers this kernel has; @devices_line: the rules'
 * disks and their IO rates ("" in a replay). */
void view_draw(struct view *v, const struct session *s, const char *tiers_line,
	       const char *devices_line);

#endif
