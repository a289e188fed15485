/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process's memory mappings from /proc/PID/maps, as struct mapping:
 * what the region model monitors (through regions_three_ranges()) and
 * what views use to put a name on an address.
 */
#ifndef KSCOPE_DAMONTOP_PROCMAPS_H
#define KSCOPE_DAMONTOP_PROCMAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "snapshot.h"

/*
 * Parse maps text into a malloc()ed array, in file order (sorted), that
 * the caller free()s.  Names: the file's basename ("libc.so.6",
 * "data.bin (deleted)"), the kernel's pseudo names as they are
 * ("[heap]", "[stack]", "[vdso]", "[anon:name]"), "anon" for nameless
 * mappings.  [vsyscall] is left out: it is no VMA of the process and
 * DAMON never sees it.  Returns 0, -EINVAL on a malformed line (nothing
 * returned), -ENOMEM, or -errno of a read error.
 */
int procmaps_parse(FILE *f, struct mapping **maps, size_t *nr);
int procmaps_parse_text(const char *text, struct mapping **maps, size_t *nr);

/*
 * The same for a live process: -ESRCH when it is gone, -EACCES when not
 * allowed.  A process without an address space (kernel thread, zombie)
 * gives 0 mappings.
 */
int procmaps_read(pid_t pid, struct mapping **maps, size_t *nr);

/* Same mappings, same names (arrays from procmaps, zero-padded names). */
bool procmaps_equal(const struct mapping *a, size_t na,
		    const struct mapping *b, size_t nb);

/* The mapping holding @addr, or NULL (binary search). */
const struct mapping *procmaps_find(const struct mapping *maps, size_t nr,
				    uint64_t addr);

#endif
