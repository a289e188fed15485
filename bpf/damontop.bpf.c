// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's "pte" source, kernel side: an x86-64 page-table walker for one
 * process, run as a pid-filtered task iterator (one read() of the iterator
 * fd is one pass).  It only reads kernel memory (bpf_probe_read_kernel):
 * clearing Accessed bits is user space's job (clear_refs, MADV_COLD).
 *
 * The direct-map base is found by a self-validating walk because data
 * __ksyms (page_offset_base) do not resolve without CONFIG_KALLSYMS_ALL.
 * 4 vs 5 levels comes from mm->task_size.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "damontop.h"

char LICENSE[] SEC("license") = "GPL";

/* Set before load: the target's tgid, for kernels whose task iterator
 * cannot filter by pid itself. */
const volatile __u32 target_tgid;

/* In, written by user space through the mmapped .bss. */
__u32 mode;
__u32 nr;
__u64 direct_map;		/* direct-map base, found by CALIBRATE */
__u64 scan_start;		/* 2 MiB aligned */
__u64 addrs[PTE_MAX_ADDRS];

/* Out. */
__u64 entry[PTE_MAX_ADDRS];
__u8 level[PTE_MAX_ADDRS];
__u64 pmd_entry[PTE_MAX_CHUNKS];
__u64 pte_page[PTE_MAX_CHUNKS][512];
__s32 status;

/* Per-pass walk parameters, kept together for the bpf_loop callbacks. */
struct walk {
	__u64 pgd;
	__u64 base;
	__u64 check[2];		/* CALIBRATE: more direct-map addresses */
	int la57;
};

static __always_inline int read_entry(__u64 *e, __u64 table, __u64 idx)
{
	if (bpf_probe_read_kernel(e, sizeof(*e), (const void *)(table + idx * 8)))
		return -1;
	return (*e & X86_PRESENT) ? 0 : -1;
}

/* Entry of the PMD level for va, or of the PUD level for a 1 GiB page. */
static __always_inline __u64 walk_pmd(const struct walk *w, __u64 base,
				      __u64 va, int *lvl)
{
	__u64 e;

	*lvl = PTE_LEVEL_NONE;
	if (w->la57) {
		if (read_entry(&e, w->pgd, (va >> 48) & 511) ||
		    read_entry(&e, base + (e & X86_PFN_MASK), (va >> 39) & 511))
			return 0;
	} else if (read_entry(&e, w->pgd, (va >> 39) & 511)) {
		return 0;
	}
	if (read_entry(&e, base + (e & X86_PFN_MASK), (va >> 30) & 511))
		return 0;
	if (e & X86_PSE) {
		*lvl = PTE_LEVEL_1G;
		return e;
	}
	if (read_entry(&e, base + (e & X86_PFN_MASK), (va >> 21) & 511))
		return 0;
	*lvl = (e & X86_PSE) ? PTE_LEVEL_2M : PTE_LEVEL_4K;
	return e;
}

static __always_inline __u64 walk_leaf(const struct walk *w, __u64 base,
				       __u64 va, int *lvl)
{
	__u64 e = walk_pmd(w, base, va, lvl);

	if (*lvl != PTE_LEVEL_4K)
		return e;
	if (bpf_probe_read_kernel(&e, sizeof(e), (const void *)(base +
			(e & X86_PFN_MASK) + ((va >> 12) & 511) * 8))) {
		*lvl = PTE_LEVEL_NONE;
		return 0;
	}
	return e;
}

/* Whether @va, a direct-map address, walks to @base + its physical
 * address when @base is the direct-map base. */
static __always_inline bool translates(const struct walk *w, __u64 base, __u64 va)
{
	__u64 e, pa;
	int lvl;

	e = walk_leaf(w, base, va, &lvl);
	if (lvl == PTE_LEVEL_NONE || !(e & X86_PRESENT))
		return false;
	if (lvl == PTE_LEVEL_1G)
		pa = (e & X86_PFN_MASK & ~((1ULL << 30) - 1)) | (va & ((1ULL << 30) - 1));
	else if (lvl == PTE_LEVEL_2M)
		pa = (e & X86_PFN_MASK & ~((1ULL << 21) - 1)) | (va & ((1ULL << 21) - 1));
	else
		pa = (e & X86_PFN_MASK) | (va & 4095);
	return base + pa == va;
}

/* Candidate base k GiB below the pgd's own address: right when walking the
 * pgd's virtual address through itself lands on the pgd again, and the
 * addresses of the task's leader and mm on themselves too.  With a wrong
 * base the walk reads other memory as tables, and the pgd alone came back
 * on itself by chance in about one start in four on the development VM
 * (5 GiB above the base; every sample then read as absent). */
static long calibrate_cb(__u32 k, void *ctx)
{
	struct walk *w = ctx;
	__u64 base = (w->pgd & ~((1ULL << 30) - 1)) - (__u64)k * (1ULL << 30);

	if (!translates(w, base, w->pgd) || !translates(w, base, w->check[0]) ||
	    !translates(w, base, w->check[1]))
		return 0;
	direct_map = base;
	return 1;
}

static long lookup_cb(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	int lvl;

	if (i >= PTE_MAX_ADDRS)
		return 1;
	entry[i] = walk_leaf(w, w->base, addrs[i], &lvl);
	level[i] = lvl;
	return 0;
}

static long scan_cb(__u32 c, void *ctx)
{
	struct walk *w = ctx;
	__u64 e;
	int lvl;

	if (c >= PTE_MAX_CHUNKS)
		return 1;
	e = walk_pmd(w, w->base, scan_start + ((__u64)c << 21), &lvl);
	pmd_entry[c] = lvl == PTE_LEVEL_NONE ? 0 : e;
	if (lvl == PTE_LEVEL_4K &&
	    bpf_probe_read_kernel(&pte_page[c][0], 4096,
				  (const void *)(w->base + (e & X86_PFN_MASK))))
		pmd_entry[c] = 0;
	return 0;
}

SEC("iter/task")
int walk_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct walk w = {};
	__u64 task_size;

	/* One walk per pass, by the first thread of the target that still
	 * has the address space (the main thread may have exited alone). */
	if (!task || task->tgid != target_tgid || status != PTE_ERR_NOT_RUN)
		return 0;
	w.pgd = (__u64)BPF_CORE_READ(task, mm, pgd);
	if (!w.pgd)
		return 0;
	/* TASK_SIZE_MAX is 2^56 - 4 KiB with 5-level paging. */
	task_size = BPF_CORE_READ(task, mm, task_size);
	w.la57 = task_size > (1ULL << 47);
	w.base = direct_map;

	switch (mode) {
	case PTE_MODE_CALIBRATE:
		/* slab objects: in the direct map (read, not the task
		 * pointer itself: the verifier keeps that one a pointer) */
		w.check[0] = (__u64)BPF_CORE_READ(task, group_leader);
		w.check[1] = (__u64)BPF_CORE_READ(task, mm);
		direct_map = 0;
		bpf_loop(4096, calibrate_cb, &w, 0);	/* up to 4 TiB of RAM */
		status = direct_map ? PTE_OK : PTE_ERR_NO_BASE;
		break;
	case PTE_MODE_LOOKUP:
		bpf_loop(nr < PTE_MAX_ADDRS ? nr : PTE_MAX_ADDRS, lookup_cb, &w, 0);
		status = PTE_OK;
		break;
	case PTE_MODE_SCAN:
		bpf_loop(nr < PTE_MAX_CHUNKS ? nr : PTE_MAX_CHUNKS, scan_cb, &w, 0);
		status = PTE_OK;
		break;
	}
	return 0;
}
