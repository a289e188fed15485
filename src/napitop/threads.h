/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CPU time of the threads that poll NAPI, napi/DEV-ID kthreads and
 * ksoftirqd/N, from the kernel's own accounting (/proc/PID/schedstat: run
 * time in ns and the times it ran), read at each refresh: what a program
 * at every context switch used to measure, for nothing on the hot path.
 * The threads there at the start are found in /proc; a kthread that
 * starts later is added when napitop sees it poll.  Counts are since
 * napitop started (all of a thread's that started after it).
 */
#ifndef KSCOPE_NAPITOP_THREADS_H
#define KSCOPE_NAPITOP_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

struct nt_threads;

/* The polling threads of @proc (normally "/proc"); NULL without memory. */
struct nt_threads *nt_threads_new(const char *proc);
/* @pid, a kthread seen polling, watched from now on (if not yet, and if
 * its name is a polling thread's). */
void nt_threads_watch(struct nt_threads *t, uint32_t pid);
/* Every thread watched, with its CPU time and runs since the start; a
 * thread gone keeps its last figures.  0 or -ENOMEM; *@rows malloc'ed. */
int nt_threads_read(struct nt_threads *t, struct nt_thread_row **rows, size_t *nr);
/* ksoftirqd/@cpu's pid, 0 when not found. */
uint32_t nt_threads_ksoftirqd(const struct nt_threads *t, unsigned int cpu);
/* Polling threads not watched: more than it keeps. */
uint64_t nt_threads_lost(const struct nt_threads *t);
void nt_threads_free(struct nt_threads *t);

#endif
