// SPDX-License-Identifier: GPL-2.0
/*
 * damontop's "pte" source: the BPF task iterator in bpf/damontop.bpf.c
 * reads the target's page-table entries; this file owns its skeleton and
 * the two ways of clearing Accessed bits from user space.  Which one to use
 * and how often is the sampler's decision (sampler.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <limits.h>
#include <sys/uio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "pte.h"
#include "damontop.skel.h"

#define HUGE_2M (1ULL << 21)

struct pte_source {
	struct damontop_bpf *skel;
	struct bpf_link *link;
	pid_t pid;
	int pidfd;
	int clear_refs_fd;
	bool refs_flush;	/* clear_refs can flush the TLB without side effects */
};

/* One iterator pass in the current mode. */
static int run_pass(struct pte_source *pte, enum pte_mode mode)
{
	char buf[8];
	int fd, n;

	pte->skel->bss->mode = mode;
	pte->skel->bss->status = PTE_ERR_NOT_RUN;
	fd = bpf_iter_create(bpf_link__fd(pte->link));
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	if (n < 0)
		return -errno;
	switch (pte->skel->bss->status) {
	case PTE_OK:
		return 0;
	case PTE_ERR_NO_BASE:
		return -ENOTSUP;
	default:
		return -ESRCH;	/* gone, or exited and lost its mm */
	}
}

/*
 * Writing 4 (soft-dirty) to clear_refs ends with a TLB flush of the whole
 * process.  Without CONFIG_MEM_SOFT_DIRTY that flush is all it does; with
 * it, it would also reset the soft-dirty state other tools (CRIU) rely on
 * and write-protect the target's pages, so it is not ours to use.  A page
 * we just wrote shows soft-dirty (pagemap bit 55) only when configured.
 */
static bool kernel_has_soft_dirty(void)
{
	long psize = sysconf(_SC_PAGESIZE);
	uint64_t entry = 0;
	volatile char *p;
	int fd;

	p = mmap(NULL, psize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return true;
	p[0] = 1;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, &entry, sizeof(entry),
			    (uintptr_t)p / psize * sizeof(entry)) != sizeof(entry))
		entry = 1ULL << 55;	/* unknown: assume the worst */
	if (fd >= 0)
		close(fd);
	munmap((void *)p, psize);
	return entry & (1ULL << 55);
}

int pte_open(struct pte_source **out, pid_t pid, char *err, size_t errlen)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo = {};
	struct pte_source *pte;
	char path[64];
	int rc;

#ifndef __x86_64__
	snprintf(err, errlen, "the pte source walks x86-64 page tables only");
	return -ENOTSUP;
#endif
	pte = calloc(1, sizeof(*pte));
	if (!pte) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pte->pid = pid;
	pte->pidfd = -1;
	pte->clear_refs_fd = -1;

	pte->skel = damontop_bpf__open();
	if (!pte->skel) {
		rc = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(-rc));
		goto fail;
	}
	pte->skel->rodata->target_tgid = pid;
	rc = damontop_bpf__load(pte->skel);
	if (rc) {
		snprintf(err, errlen, "cannot load the page-table walker (iter/task): %s",
			 strerror(-rc));
		goto fail;
	}
	/* The kernel filters by pid where it can; the program checks too. */
	linfo.task.pid = pid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	pte->link = bpf_program__attach_iter(pte->skel->progs.walk_task, &opts);
	if (!pte->link) {
		opts.link_info = NULL;
		opts.link_info_len = 0;
		pte->link = bpf_program__attach_iter(pte->skel->progs.walk_task, &opts);
	}
	if (!pte->link) {
		rc = -errno;
		snprintf(err, errlen, "cannot attach the task iterator: %s", strerror(-rc));
		goto fail;
	}
	rc = run_pass(pte, PTE_MODE_CALIBRATE);
	if (rc) {
		if (rc == -ESRCH)
			snprintf(err, errlen, "cannot attach to pid %d: No such process", pid);
		else if (rc == -ENOTSUP)
			snprintf(err, errlen, "cannot find the kernel direct map for pid %d's "
				 "page tables", pid);
		else
			snprintf(err, errlen, "cannot run the page-table walker: %s",
				 strerror(-rc));
		goto fail;
	}
	pte->refs_flush = !kernel_has_soft_dirty();
	pte->pidfd = syscall(SYS_pidfd_open, pid, 0);
	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	pte->clear_refs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (pte->pidfd < 0 || pte->clear_refs_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot attach to pid %d: %s", pid, strerror(-rc));
		goto fail;
	}
	*out = pte;
	return 0;
fail:
	pte_close(pte);
	return rc;
}

void pte_close(struct pte_source *pte)
{
	if (!pte)
		return;
	if (pte->clear_refs_fd >= 0)
		close(pte->clear_refs_fd);
	if (pte->pidfd >= 0)
		close(pte->pidfd);
	bpf_link__destroy(pte->link);
	damontop_bpf__destroy(pte->skel);
	free(pte);
}

int pte_lookup(struct pte_source *pte, const uint64_t *addrs, size_t n,
	       uint8_t *level, bool *accessed)
{
	struct damontop_bpf__bss *bss = pte->skel->bss;
	size_t done, k, i;
	int rc;

	for (done = 0; done < n; done += k) {
		k = n - done < PTE_MAX_ADDRS ? n - done : PTE_MAX_ADDRS;
		memcpy(bss->addrs, addrs + done, k * sizeof(*addrs));
		bss->nr = k;
		rc = run_pass(pte, PTE_MODE_LOOKUP);
		if (rc)
			return rc;
		for (i = 0; i < k; i++) {
			uint64_t e = bss->entry[i];

			level[done + i] = (e & X86_PRESENT) ? bss->level[i] : PTE_LEVEL_NONE;
			accessed[done + i] = level[done + i] && (e & X86_ACCESSED);
		}
	}
	return 0;
}

int pte_scan(struct pte_source *pte, uint64_t start, uint64_t end,
	     pte_page_cb cb, void *ctx)
{
	struct damontop_bpf__bss *bss = pte->skel->bss;
	uint64_t chunk, first = start & ~(HUGE_2M - 1);
	uint64_t nr_chunks = (end - first + HUGE_2M - 1) / HUGE_2M;
	uint64_t base, va, lo, hi, e;
	uint32_t c, k;
	int rc;

	for (chunk = 0; chunk < nr_chunks; chunk += k) {
		k = nr_chunks - chunk < PTE_MAX_CHUNKS ? nr_chunks - chunk : PTE_MAX_CHUNKS;
		bss->scan_start = first + chunk * HUGE_2M;
		bss->nr = k;
		rc = run_pass(pte, PTE_MODE_SCAN);
		if (rc)
			return rc;
		for (c = 0; c < k; c++) {
			base = bss->scan_start + c * HUGE_2M;
			lo = base < start ? start : base;
			hi = base + HUGE_2M > end ? end : base + HUGE_2M;
			if (!(bss->pmd_entry[c] & X86_PRESENT))
				continue;
			for (va = lo; va < hi; va += 4096) {
				e = (bss->pmd_entry[c] & X86_PSE) ? bss->pmd_entry[c] :
					bss->pte_page[c][(va >> 12) & 511];
				if (e & X86_PRESENT)
					cb(ctx, va, e & X86_ACCESSED);
			}
		}
	}
	return 0;
}

static int write_clear_refs(struct pte_source *pte, const char *what)
{
	if (pwrite(pte->clear_refs_fd, what, 1, 0) != 1)
		return -errno;
	return 0;
}

int pte_clear_refs(struct pte_source *pte)
{
	/* "1" clears the Accessed bits but flushes no TLB: a page the target
	 * keeps in its TLB would stay "not accessed".  "4" flushes. */
	return write_clear_refs(pte, "1") ?:
	       (pte->refs_flush ? write_clear_refs(pte, "4") : 0);
}

bool pte_refs_exact(const struct pte_source *pte)
{
	return pte->refs_flush;
}


static uint64_t read_pages(const volatile char *buf, size_t pages)
{
	uint64_t t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	unsigned int sum = 0;

	for (size_t i = 0; i < pages; i++)
		sum += buf[i * 4096];
	(void)sum;
	return clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/* What a cleared Accessed bit costs the process that touches the page
 * next: a TLB miss, a page walk and the bit's update, which hypervisors
 * without hardware-assisted Accessed bits turn into a trap.  Measured on
 * our own pages: reads after a clear and flush vs reads after none. */
double pte_reaccess_ns(void)
{
	const size_t pages = 1024;
	double best = -1;
	char *buf;
	int fd;

	buf = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	if (buf == MAP_FAILED || fd < 0)
		goto out;
	madvise(buf, pages * 4096, MADV_NOHUGEPAGE);
	for (int round = 0; round < 3; round++) {
		uint64_t warm, cold;

		read_pages(buf, pages);
		warm = read_pages(buf, pages);
		/* "4" only flushes here; our own soft-dirty state is ours */
		if (pwrite(fd, "1", 1, 0) != 1 || pwrite(fd, "4", 1, 0) != 1)
			break;
		cold = read_pages(buf, pages);
		if (best < 0 || (double)(cold - warm) / pages < best)
			best = cold > warm ? (double)(cold - warm) / pages : 0;
	}
out:
	if (fd >= 0)
		close(fd);
	if (buf != MAP_FAILED)
		munmap(buf, pages * 4096);
	return best < 0 ? 1000 : best;	/* unmeasurable: a cautious 1 us */
}

int pte_clear_cold(struct pte_source *pte, const uint64_t *addrs,
		   const uint8_t *level, size_t n, bool *cleared)
{
	struct iovec iov[512];
	size_t owner[512], i = 0, k, j, done = 0;
	ssize_t r;

	while (i < n) {
		/* absent pages have nothing to clear; 1 GiB entries are
		 * hugetlb, which MADV_COLD refuses */
		for (k = 0; i < n && k < 512; i++) {
			cleared[i] = level[i] == PTE_LEVEL_NONE;
			if (level[i] != PTE_LEVEL_4K && level[i] != PTE_LEVEL_2M)
				continue;
			iov[k].iov_len = level[i] == PTE_LEVEL_2M ? HUGE_2M : 4096;
			iov[k].iov_base = (void *)(addrs[i] & ~(iov[k].iov_len - 1));
			owner[k++] = i;
		}
		/* The call stops at the first range it cannot advise (locked,
		 * unmapped since the lookup): mark that one, go on after it. */
		for (j = 0; j < k; ) {
			r = syscall(SYS_process_madvise, pte->pidfd, iov + j,
				    k - j < IOV_MAX ? k - j : IOV_MAX, MADV_COLD, 0);
			if (r < 0 && errno != ENOMEM && errno != EINVAL && errno != EPERM)
				return errno == ESRCH ? -ESRCH : -errno;
			for (; r > 0 && j < k; j++) {
				r -= iov[j].iov_len;
				cleared[owner[j]] = true;
				done++;
			}
			j++;	/* the one that failed, or past the end */
		}
	}
	return done;
}
