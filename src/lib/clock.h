/* SPDX-License-Identifier: GPL-2.0 */
/* Clocks in ns: wall (CLOCK_MONOTONIC, the kernel's own timestamps) and
 * CPU time of a thread or the process, for measuring our own cost. */
#ifndef KSCOPE_CLOCK_H
#define KSCOPE_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#endif
