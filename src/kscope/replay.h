/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kscope replay: a record's lanes (lanes.h) in the terminal, stacked on one
 * time axis that plays the session back, with the memory heatmap above
 * them; Enter opens the selected lane's tool on its part as it stood at
 * the time shown.
 */
#ifndef KSCOPE_REPLAY_H
#define KSCOPE_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

/* The view until q or a signal: 0, or 1 (said). */
int kscope_replay(const char *path, bool no_color);

#endif
