/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SMT topology: which CPUs share a core.  From the kernel's
 * thread_siblings_list, or declared with --smt-pairs where the machine has
 * no SMT (a VM) so that the what-if estimate can still be made.
 */
#ifndef KSCOPE_CORETOP_TOPO_H
#define KSCOPE_CORETOP_TOPO_H

#include <stdbool.h>
#include <stddef.h>

#include "coretop.h"

struct topo_core {
	unsigned int nr;		/* siblings */
	unsigned int cpu[CT_MAX_SMT];	/* ascending */
};

struct topo {
	struct topo_core *cores;	/* ordered by first CPU */
	unsigned int nr_cores;
	bool declared;			/* from --smt-pairs */
};

/*
 * Cores of two or more siblings from @sysfs (the cpu directory,
 * "/sys/devices/system/cpu"); CPUs alone on their core are left out.
 * 0 (nr_cores may be 0: no SMT) or -errno with a line in @err.
 */
int topo_read(struct topo *t, const char *sysfs, char *err, size_t errlen);

/* --smt-pairs "0-1,2-3" (a group of up to CT_MAX_SMT CPUs may be "0-1-2-3"):
 * each CPU at most once, each below @nr_cpus. */
int topo_parse(struct topo *t, const char *text, unsigned int nr_cpus, char *err,
	       size_t errlen);

/* A kernel CPU list ("0-3,8,10-11") into a bitmap of @nbits. 0 or -EINVAL. */
int topo_parse_cpulist(const char *text, bool *bits, unsigned int nbits);

void topo_free(struct topo *t);

#endif
