/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's own forced-idle accounting, for the cross-check: per task
 * core_forceidle_sum in /proc/PID/sched, per cgroup core_sched.force_idle_usec
 * in cpu.stat.  The kernel accounts it only while schedstats are on
 * (kernel.sched_schedstats), which coretop --schedstats turns on for the
 * session and back off at exit.
 */
#ifndef KSCOPE_CORETOP_KSTAT_H
#define KSCOPE_CORETOP_KSTAT_H

#include <stdint.h>

#define KSTAT_SCHEDSTATS "/proc/sys/kernel/sched_schedstats"

/* 0 or 1, or -errno. */
int kstat_schedstats(const char *path);
int kstat_set_schedstats(const char *path, int on);

/* core_forceidle_sum from @proc_root/PID/sched, seconds; NaN without. */
double kstat_task_forceidle(const char *proc_root, uint32_t pid);
/* core_sched.force_idle_usec from @cgroup_dir/cpu.stat, seconds; NaN without. */
double kstat_cgroup_forceidle(const char *cgroup_dir);

#endif
