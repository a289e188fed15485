/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by damontop's page-table walker (damontop.bpf.c) and its
 * user-space source (src/damontop/pte.c).  Plain fixed-width data.
 */
#ifndef KSCOPE_DAMONTOP_H
#define KSCOPE_DAMONTOP_H

#define PTE_MAX_ADDRS	4096	/* addresses looked up per iterator pass */
#define PTE_MAX_CHUNKS	256	/* 2 MiB chunks copied per scan pass (512 MiB) */

enum pte_mode {
	PTE_MODE_CALIBRATE = 0,	/* find the direct-map base */
	PTE_MODE_LOOKUP = 1,	/* leaf entry of each of addrs[0..nr) */
	PTE_MODE_SCAN = 2,	/* whole PTE pages of nr chunks from scan_start */
};

/* Walk levels reported per address. */
enum pte_level {
	PTE_LEVEL_NONE = 0,	/* not mapped */
	PTE_LEVEL_4K = 1,
	PTE_LEVEL_2M = 2,
	PTE_LEVEL_1G = 3,
};

enum pte_status {
	PTE_OK = 0,
	PTE_ERR_NO_BASE = -2,	/* direct-map base not found */
	PTE_ERR_NOT_RUN = -3,	/* no thread of the target with an address space */
};

/* x86-64 page-table entry bits */
#define X86_PFN_MASK	0x000ffffffffff000ULL
#define X86_PRESENT	(1ULL << 0)
#define X86_ACCESSED	(1ULL << 5)
#define X86_PSE		(1ULL << 7)

#endif
