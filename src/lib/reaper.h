/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Undo kernel state a tool set for its own use (a sysctl it turned on, a
 * kdamond it started) even when the tool cannot: SIGKILL, a crash, the
 * OOM killer.  BPF links and maps die with their file descriptors; a
 * sysfs or procfs write does not.
 *
 * reaper_start(), or the first reaper_arm(), forks a reaper: a child in a
 * session of its own (so a terminal's ^C or a kill of the tool's process
 * group does not reach it) that keeps only a socket from the tool and
 * stderr open.  Start it before setting the state, so that it is out of
 * the tool's process group by the time there is something to undo.  Each
 * arm sends it an undo (a function of the tool's own code, which the
 * forked child shares, and a copy of its argument); each disarm withdraws
 * one.  When the pipe reaches end of file, because the tool exited or was
 * killed, the reaper runs the undos still armed, newest first, and exits.
 * A tool that undoes its state itself disarms first, so the reaper never
 * touches state the tool no longer owns.
 *
 * Arm right after the state is set, before BPF objects are loaded where
 * the tool can: the reaper holds what the tool had mapped at fork time
 * until it exits.  Undo functions must be idempotent: the tool may have
 * undone part of the state before it died.
 */
#ifndef KSCOPE_REAPER_H
#define KSCOPE_REAPER_H

#include <stddef.h>

/* The largest argument an undo takes (a message is one atomic pipe write) */
#define REAPER_MAX_DATA 1024

typedef void (*reaper_undo_fn)(const void *data, size_t len);

/* Starts the reaper (once; later calls return 0) and returns when it is
 * in a session of its own; 0 or -errno. */
int reaper_start(void);

/* Arms @fn(@data, @len) to run if this process dies with it armed,
 * starting the reaper if need be.  Returns an id > 0 for reaper_disarm(),
 * or -errno (no reaper could be started, or @len is too large). */
int reaper_arm(reaper_undo_fn fn, const void *data, size_t len);

/* Withdraws the undo @id (the tool undid the state itself).  Ids <= 0
 * are ignored, so a failed arm needs no special case. */
void reaper_disarm(int id);

#endif
