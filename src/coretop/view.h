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

#include "live.h"
#include "session.h"

struct view;

/* The view of @s (kept, with @status: "what-if: ...", "replay of FILE"),
 * or NULL and errno; then driven by the live driver through view_live. */
struct view *view_open(const struct ct_session *s, const char *status, bool no_color);
extern const struct live_view view_live;

#endif
