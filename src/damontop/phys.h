/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What damontop's physical-memory view knows of physical addresses: the
 * System RAM ranges (its labels and default monitoring ranges), and who
 * owns the pages of a range: memory cgroups (sampled, cheap) and
 * processes (every mapped page, costly, on request).  Pure user space;
 * every /proc and /sys path is a parameter so that tests use files.
 */
#ifndef KSCOPE_DAMONTOP_PHYS_H
#define KSCOPE_DAMONTOP_PHYS_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* One owner of pages of a physical range. */
struct phys_owner {
	char name[96];	/* "/system.slice/x.service", "pid 123 (comm)" */
	uint64_t pages;
	double share;	/* of the sampled pages, or of the range's pages */
};

/* phys_processes_of() stopped at its page budget: a partial answer. */
#define PHYS_PARTIAL		1

/* Default budgets: ~0.3 ms and at most ~60 ms a call (see phys.c). */
#define PHYS_CGROUP_SAMPLES	4096U
#define PHYS_PROCESS_PAGES	(16ULL << 20)

/*
 * The top-level "System RAM" entries of @iomem (/proc/iomem), adjacent
 * ones merged, as a malloc()ed array sorted by start, each named
 * "System RAM", with exclusive ends.  Returns 0, or a negative errno
 * with the reason in @err: -EPERM when the file shows zero addresses
 * (read without CAP_SYS_ADMIN), -ENOENT when it has no System RAM,
 * -EINVAL on a malformed line, -ENOMEM, or an open or read error.
 */
int phys_ram_ranges(const char *iomem, struct mapping **out, size_t *nr,
		    char *err, size_t errlen);

/* /proc/kpagecgroup and an index of the memory cgroup tree. */
struct phys_cgroups;

/*
 * Opens @kpagecgroup (root only: NULL with errno EACCES otherwise) and
 * indexes @cgroup_root, the hierarchy holding the memory controller
 * (cgroupfs_mount(mountinfo, "memory", ...)): /proc/kpagecgroup's inode
 * numbers are those of its directories.  NULL with errno set on error.
 */
struct phys_cgroups *phys_cgroups_new(const char *kpagecgroup,
				      const char *cgroup_root);

/*
 * Memory cgroups of the pages of [@start, @end): up to @max_pages pages
 * sampled evenly (every page of a smaller range), owners in a malloc()ed
 * array sorted by pages, share of the sampled pages.  Names are cgroup
 * paths relative to the root ("/" for the root itself), "(no memcg)"
 * for pages charged to none, "memcg ino N (gone)" for a cgroup removed
 * since.  Returns 0 (no owners for a range beyond the last PFN),
 * -EINVAL, -ENOMEM or a read error.
 */
int phys_cgroups_of(struct phys_cgroups *c, uint64_t start, uint64_t end,
		    unsigned int max_pages, struct phys_owner **out,
		    size_t *nr);
void phys_cgroups_free(struct phys_cgroups *c);

/*
 * Processes mapping pages of [@start, @end), from every @proc_root/PID
 * maps and pagemap: owners "pid 123 (comm)" in a malloc()ed array
 * sorted by pages, share of the range's pages (a page mapped by two
 * processes counts for both).  At most @max_pages pagemap entries are
 * read per call; where the kernel has PAGEMAP_SCAN (6.7) only present
 * pages are read, else every page of every mapping.  Processes that go
 * away meanwhile are left out.  Returns 0, PHYS_PARTIAL when the budget
 * ran out (owners so far), -EPERM when PFNs read as zero (no
 * CAP_SYS_ADMIN), -EINVAL, -ENOMEM or an error opening @proc_root.
 */
int phys_processes_of(const char *proc_root, uint64_t start, uint64_t end,
		      uint64_t max_pages, struct phys_owner **out,
		      size_t *nr);

#endif
