/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "pte" source's kernel interface: load and attach the page-table
 * walker for one process, read the Accessed bit of chosen addresses or of
 * whole PTE pages, and clear Accessed bits from user space.
 */
#ifndef KSCOPE_DAMONTOP_PTE_H
#define KSCOPE_DAMONTOP_PTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "damontop.h"

struct pte_source;

/* Opens, loads, attaches and calibrates; -errno with a message in err. */
int pte_open(struct pte_source **out, pid_t pid, char *err, size_t errlen);
void pte_close(struct pte_source *pte);

/* Leaf lookups: level[i] is enum pte_level, accessed[i] the Accessed bit of
 * a present entry.  Any number of addresses (passes of PTE_MAX_ADDRS). */
int pte_lookup(struct pte_source *pte, const uint64_t *addrs, size_t n,
	       uint8_t *level, bool *accessed);

/* Exact scan of [start, end): calls cb for every present 4 KiB page with
 * its Accessed bit (huge entries count as their 4 KiB pages). */
typedef void (*pte_page_cb)(void *ctx, uint64_t addr, bool accessed);
int pte_scan(struct pte_source *pte, uint64_t start, uint64_t end,
	     pte_page_cb cb, void *ctx);

/* Clear the Accessed bit of the whole process (/proc/PID/clear_refs) and
 * flush its TLB where that is free of side effects. */
int pte_clear_refs(struct pte_source *pte);
/* Whether pte_clear_refs() flushes the TLB: if not, pages that stay in the
 * target's TLB look idle after a clear. */
bool pte_refs_exact(const struct pte_source *pte);

/* Clear the Accessed bit of the pages holding addrs, by MADV_COLD; a page
 * inside a huge entry is cleared as the whole 2 MiB (a 4 KiB range would
 * split the THP).  cleared[i] tells whether addrs[i] now reads true
 * accesses (absent pages: yes; locked or hugetlb memory: no).  Returns
 * the number of ranges cleared or -errno. */
int pte_clear_cold(struct pte_source *pte, const uint64_t *addrs,
		   const uint8_t *level, size_t n, bool *cleared);

/* ns a cleared Accessed bit costs the process touching the page next. */
double pte_reaccess_ns(void);

#endif
