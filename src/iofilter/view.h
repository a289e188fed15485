/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's live terminal view of a session.
 */
#ifndef KSCOPE_IOFILTER_VIEW_H
#define KSCOPE_IOFILTER_VIEW_H

#include <stdbool.h>

#include "live.h"
#include "session.h"

struct view;

/* The view of @s (kept, with @tiers_line: which tiers this kernel has, and
 * @devices_line: the rules' disks and their IO rates, "" in a replay), or
 * NULL and errno; then driven by the live driver through view_live. */
struct view *view_open(const struct session *s, const char *tiers_line,
		       const char *devices_line, bool no_color);
extern const struct live_view view_live;

#endif
