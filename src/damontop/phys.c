// SPDX-License-Identifier: GPL-2.0
/*
 * Physical addresses for damontop's paddr view: System RAM from
 * /proc/iomem, memory cgroups of a range from /proc/kpagecgroup (one u64
 * cgroup inode per PFN) named from the cgroup tree (src/lib/cgroupfs),
 * processes of a range from every /proc/PID/pagemap.
 *
 * Costs for a 1 GiB range, measured on the development VM (2 vCPUs,
 * 24 GiB, Linux 6.18, ~90 processes): phys_cgroups_of() with 4096
 * samples ~0.3 ms (its first call walks the cgroup tree too: ~1-5 ms),
 * every PFN of it (262144) 30-40 ms, about 120 ns a PFN in the kernel
 * whatever the run length.  phys_processes_of() costs what the system's
 * present pages cost, not what the range does: 11-20 ms with
 * PAGEMAP_SCAN; without it every pagemap entry of every mapping is read
 * (~3.5 ns each), and one ASan process (tens of TiB of shadow mappings)
 * uses the whole default budget of 16M entries in ~55 ms.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#include "cgroupfs.h"
#include "phys.h"
#include "procmaps.h"

/* Linux 6.7 uapi, missing from older headers (Debian 12 has 6.1's). */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PRESENT		(1 << 3)

struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#endif

#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)

/* PFNs read by one pread of kpagecgroup while sampling */
#define CG_RUN			64
/* pagemap entries read by one pread */
#define PM_CHUNK		1024
/* present-page ranges returned by one PAGEMAP_SCAN */
#define PM_VEC			128

static uint64_t phys_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (uint64_t)ps : 4096;
}

/* [pfn0, pfn1): the pages that [start, end) touches. */
static void phys_pfns(uint64_t start, uint64_t end, uint64_t *pfn0,
		      uint64_t *pfn1)
{
	uint64_t ps = phys_page_size();

	*pfn0 = start / ps;
	*pfn1 = (end - 1) / ps + 1;
}

static ssize_t phys_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, (off_t)off);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Copy @s to @name; when too long keep its end, the distinctive part. */
static void phys_set_name(char name[96], const char *s)
{
	const size_t max = 95;
	size_t len = strlen(s);

	memset(name, 0, 96);
	if (len <= max) {
		memcpy(name, s, len);
		return;
	}
	s += len - (max - 3);
	while (((unsigned char)*s & 0xc0) == 0x80)
		s++;
	memcpy(name, "...", 3);
	memcpy(name + 3, s, strlen(s));
}

static int phys_owner_cmp(const void *a, const void *b)
{
	const struct phys_owner *x = a, *y = b;

	if (x->pages != y->pages)
		return x->pages > y->pages ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int phys_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* --- /proc/iomem ------------------------------------------------------ */

/* "  start-end : name", start and end inclusive hex; depth = indent. */
static int phys_iomem_line(const char *line, size_t *depth, uint64_t *start,
			   uint64_t *end, const char **name)
{
	const char *p = line;
	char *e;

	while (*p == ' ')
		p++;
	*depth = p - line;
	if (!isxdigit((unsigned char)*p))
		return -EINVAL;
	errno = 0;
	*start = strtoull(p, &e, 16);
	if (errno || *e != '-' || !isxdigit((unsigned char)e[1]))
		return -EINVAL;
	*end = strtoull(e + 1, &e, 16);
	if (errno || strncmp(e, " : ", 3) || *end < *start)
		return -EINVAL;
	*name = e + 3;
	return 0;
}

static int phys_mapping_cmp(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

int phys_ram_ranges(const char *iomem, struct mapping **out, size_t *nr,
		    char *err, size_t errlen)
{
	struct mapping *m = NULL, *tmp;
	size_t n = 0, cap = 0, linecap = 0, lineno = 0, depth, i, j;
	uint64_t start, end;
	bool any_address = false;
	const char *name;
	char *line = NULL;
	ssize_t len;
	FILE *f;
	int ret = 0;

	*out = NULL;
	*nr = 0;
	if (errlen)
		err[0] = '\0';
	f = fopen(iomem, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open %s: %s", iomem,
			 strerror(errno));
		return ret;
	}
	errno = 0;
	while ((len = getline(&line, &linecap, f)) >= 0) {
		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len)
			continue;
		if (phys_iomem_line(line, &depth, &start, &end, &name)) {
			snprintf(err, errlen, "%s:%zu: not an iomem line",
				 iomem, lineno);
			ret = -EINVAL;
			goto cleanup;
		}
		if (end)
			any_address = true;
		/* children ("Kernel code", ...) lie inside their parent */
		if (depth || strcmp(name, "System RAM"))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(m, cap * sizeof(*m));
			if (!tmp) {
				snprintf(err, errlen, "out of memory");
				ret = -ENOMEM;
				goto cleanup;
			}
			m = tmp;
		}
		memset(&m[n], 0, sizeof(m[n]));
		m[n].start = start;
		m[n].end = end == UINT64_MAX ? end : end + 1;
		strcpy(m[n].name, "System RAM");
		n++;
	}
	if (ferror(f)) {
		ret = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot read %s: %s", iomem,
			 strerror(-ret));
		goto cleanup;
	}
	/* the kernel prints zeros to readers without CAP_SYS_ADMIN */
	if (lineno && !any_address) {
		snprintf(err, errlen, "%s shows no addresses: reading them "
			 "needs CAP_SYS_ADMIN", iomem);
		ret = -EPERM;
		goto cleanup;
	}
	if (!n) {
		snprintf(err, errlen, "%s has no System RAM", iomem);
		ret = -ENOENT;
		goto cleanup;
	}
	qsort(m, n, sizeof(*m), phys_mapping_cmp);
	for (i = 0, j = 1; j < n; j++) {
		if (m[j].start <= m[i].end) {
			if (m[j].end > m[i].end)
				m[i].end = m[j].end;
		} else {
			m[++i] = m[j];
		}
	}
	*out = m;
	*nr = i + 1;
	m = NULL;
cleanup:
	free(line);
	free(m);
	fclose(f);
	return ret;
}

/* --- memory cgroups -------------------------------------------------- */

struct phys_cgroups {
	int fd;			/* /proc/kpagecgroup */
	struct cgroupfs_index *index;
};

struct phys_cgroups *phys_cgroups_new(const char *kpagecgroup,
				      const char *cgroup_root)
{
	struct phys_cgroups *c;
	int err;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->index = cgroupfs_index_new(cgroup_root);
	if (!c->index) {
		err = errno;
		free(c);
		errno = err;
		return NULL;
	}
	c->fd = open(kpagecgroup, O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		err = errno;
		cgroupfs_index_free(c->index);
		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void phys_cgroups_free(struct phys_cgroups *c)
{
	if (!c)
		return;
	cgroupfs_index_free(c->index);
	close(c->fd);
	free(c);
}

/*
 * Read the cgroup inodes of @len PFNs from @pfn into @inos; stops early
 * past the last PFN.  Returns the count read or -errno.
 */
static ssize_t phys_cg_read(struct phys_cgroups *c, uint64_t pfn,
			    uint64_t len, uint64_t *inos)
{
	ssize_t n;

	n = phys_pread(c->fd, inos, len * sizeof(*inos),
		       pfn * sizeof(*inos));
	return n < 0 ? -errno : n / (ssize_t)sizeof(*inos);
}

static void phys_set_gone(char name[96], uint64_t ino)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "memcg ino %llu (gone)",
		 (unsigned long long)ino);
	phys_set_name(name, buf);
}

/*
 * Name the owners of the sorted inodes @inos; @out has room for each.
 * Every inode is looked up before any is named: one new to the index has
 * it rebuilt first (once a call), so that cgroups removed since are all
 * seen to be gone; the first pass's gone ones are not looked up again.
 */
static int phys_cg_name(struct phys_cgroups *c, const uint64_t *inos,
			size_t n, struct phys_owner *out, size_t *nr)
{
	const char *path;
	size_t i, j, k;

	cgroupfs_index_expire(c->index);
	for (i = 0, k = 0; i < n; i = j, k++) {
		for (j = i + 1; j < n && inos[j] == inos[i]; j++)
			;
		out[k].pages = j - i;
		out[k].share = (double)(j - i) / n;
		out[k].name[0] = '\0';
		if (!inos[i]) {
			phys_set_name(out[k].name, "(no memcg)");
			continue;
		}
		if (cgroupfs_index_path(c->index, inos[i]))
			continue;
		if (errno)
			return -errno;
		phys_set_gone(out[k].name, inos[i]);
	}
	*nr = k;
	/* then the others, from the index as it is now */
	for (i = 0, k = 0; i < n; i = j, k++) {
		for (j = i + 1; j < n && inos[j] == inos[i]; j++)
			;
		if (out[k].name[0])
			continue;
		path = cgroupfs_index_path(c->index, inos[i]);
		if (path)
			phys_set_name(out[k].name, path);
		else if (errno)
			return -errno;
		else
			phys_set_gone(out[k].name, inos[i]);
	}
	return 0;
}

int phys_cgroups_of(struct phys_cgroups *c, uint64_t start, uint64_t end,
		    unsigned int max_pages, struct phys_owner **out,
		    size_t *nr)
{
	uint64_t pfn0, pfn1, n, want, got = 0, runs, i, pfn, owners;
	struct phys_owner *o = NULL;
	uint64_t *inos;
	ssize_t r;
	int ret;

	*out = NULL;
	*nr = 0;
	if (!c || start >= end || !max_pages)
		return -EINVAL;
	phys_pfns(start, end, &pfn0, &pfn1);
	n = pfn1 - pfn0;
	want = n < max_pages ? n : max_pages;
	inos = malloc(want * sizeof(*inos));
	if (!inos)
		return -ENOMEM;

	if (n <= max_pages) {
		r = phys_cg_read(c, pfn0, n, inos);
		if (r < 0) {
			ret = r;
			goto cleanup;
		}
		got = r;
	} else {
		/*
		 * Runs of CG_RUN PFNs spread evenly, not single PFNs: a
		 * pread costs what ~10 PFNs do.  Neighbours often share an
		 * owner, so a run counts for less than 64 independent
		 * samples; shares still came within 1.5% of reading every
		 * PFN of 1 GiB here.
		 */
		runs = max_pages < CG_RUN ? 1 : max_pages / CG_RUN;
		for (i = 0; i < runs; i++) {
			pfn = pfn0 + (uint64_t)((unsigned __int128)i * n / runs);
			r = phys_cg_read(c, pfn, want / runs, inos + got);
			if (r < 0) {
				ret = r;
				goto cleanup;
			}
			got += r;
			if ((uint64_t)r < want / runs)
				break;	/* past the last PFN */
		}
	}
	if (!got) {
		ret = 0;
		goto cleanup;
	}
	qsort(inos, got, sizeof(*inos), phys_u64_cmp);
	for (i = 1, owners = 1; i < got; i++)
		owners += inos[i] != inos[i - 1];
	o = calloc(owners, sizeof(*o));
	if (!o) {
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = phys_cg_name(c, inos, got, o, nr);
	if (ret) {
		*nr = 0;
		goto cleanup;
	}
	qsort(o, *nr, sizeof(*o), phys_owner_cmp);
	*out = o;
	o = NULL;
cleanup:
	free(o);
	free(inos);
	return ret;
}

/* --- processes ------------------------------------------------------- */

struct phys_scan {
	uint64_t pfn0, pfn1;	/* the range's PFNs */
	uint64_t budget;	/* pagemap entries still to be read */
	uint64_t shown;		/* present pages with a PFN */
	uint64_t hidden;	/* present pages with PFN 0: not allowed */
	bool no_ioctl;		/* no PAGEMAP_SCAN (old kernel, test file) */
	uint64_t buf[PM_CHUNK];
	struct page_region vec[PM_VEC];
};

/*
 * Count the pages of [@addr, @addr + @npages pages) that lie in the
 * range, within the budget.  -ESRCH when the process is gone.
 */
static int64_t phys_pm_count(struct phys_scan *s, int fd, uint64_t addr,
			     uint64_t npages)
{
	uint64_t vpn = addr / phys_page_size(), len, i, e, pfn;
	int64_t hits = 0;
	ssize_t n;

	while (npages && s->budget) {
		len = npages < PM_CHUNK ? npages : PM_CHUNK;
		if (len > s->budget)
			len = s->budget;
		n = phys_pread(fd, s->buf, len * 8, vpn * 8);
		/* an exited process reads as EOF, or fails */
		if (n < 8)
			return -ESRCH;
		len = n / 8;
		for (i = 0; i < len; i++) {
			e = s->buf[i];
			if (!(e & PM_PRESENT))
				continue;
			pfn = e & PM_PFN_MASK;
			if (!pfn) {
				s->hidden++;
				continue;
			}
			s->shown++;
			hits += pfn >= s->pfn0 && pfn < s->pfn1;
		}
		s->budget -= len;
		npages -= len;
		vpn += len;
	}
	return hits;
}

/* Pages of one mapping in the range: present ones only, if we can. */
static int64_t phys_pm_mapping(struct phys_scan *s, int fd,
			       const struct mapping *m)
{
	uint64_t ps = phys_page_size();
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.start = m->start,
		.end = m->end,
		.vec = (uintptr_t)s->vec,
		.vec_len = PM_VEC,
		.category_mask = PAGE_IS_PRESENT,
		.return_mask = PAGE_IS_PRESENT,
	};
	int64_t hits = 0, h;
	int i, n;

	while (!s->no_ioctl && a.start < m->end && s->budget) {
		a.max_pages = s->budget;
		n = ioctl(fd, PAGEMAP_SCAN, &a);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTTY)
				s->no_ioctl = true;
			/* read the rest the plain way */
			break;
		}
		for (i = 0; i < n; i++) {
			h = phys_pm_count(s, fd, s->vec[i].start,
					  (s->vec[i].end - s->vec[i].start) / ps);
			if (h < 0)
				return h;
			hits += h;
		}
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
		if (a.start >= m->end)
			return hits;
	}
	if (!s->budget)
		return hits;
	h = phys_pm_count(s, fd, a.start, (m->end - a.start) / ps);
	return h < 0 ? h : hits + h;
}

/* Pages of process @pid in the range; -ESRCH when it cannot be read. */
static int64_t phys_pm_process(struct phys_scan *s, const char *proc_root,
			       const char *pid)
{
	struct mapping *maps = NULL;
	int64_t hits = 0, h;
	char path[PATH_MAX];
	size_t nr, i;
	FILE *f;
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s/maps", proc_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	ret = procmaps_parse(f, &maps, &nr);
	fclose(f);
	if (ret)
		return ret == -ENOMEM ? ret : -ESRCH;
	snprintf(path, sizeof(path), "%s/%s/pagemap", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(maps);
		return -ESRCH;
	}
	for (i = 0; i < nr && s->budget; i++) {
		h = phys_pm_mapping(s, fd, &maps[i]);
		if (h < 0) {
			hits = h;
			break;
		}
		hits += h;
	}
	close(fd);
	free(maps);
	return hits;
}

/* The process's name, without comm's newline; false when it is gone. */
static bool phys_comm(const char *proc_root, const char *pid, char *comm,
		      size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/comm", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, comm, len - 1);
	close(fd);
	if (n < 0)
		return false;
	comm[n] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	return true;
}

static bool phys_is_pid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int phys_processes_of(const char *proc_root, uint64_t start, uint64_t end,
		      uint64_t max_pages, struct phys_owner **out,
		      size_t *nr)
{
	struct phys_owner *o = NULL, *tmp;
	struct phys_scan *s;
	size_t n = 0, cap = 0;
	char comm[64], name[128];
	struct dirent *de;
	DIR *d = NULL;
	int64_t hits;
	int ret = 0;

	*out = NULL;
	*nr = 0;
	if (start >= end || !max_pages)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	phys_pfns(start, end, &s->pfn0, &s->pfn1);
	s->budget = max_pages;
	d = opendir(proc_root);
	if (!d) {
		ret = -errno;
		goto cleanup;
	}
	while (s->budget && (de = readdir(d))) {
		if (!phys_is_pid(de->d_name))
			continue;
		if (!phys_comm(proc_root, de->d_name, comm, sizeof(comm)))
			continue;
		hits = phys_pm_process(s, proc_root, de->d_name);
		if (hits == -ENOMEM) {
			ret = -ENOMEM;
			goto cleanup;
		}
		/* gone meanwhile, or nothing in the range */
		if (hits <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			tmp = realloc(o, cap * sizeof(*o));
			if (!tmp) {
				ret = -ENOMEM;
				goto cleanup;
			}
			o = tmp;
		}
		snprintf(name, sizeof(name), "pid %.20s (%s)", de->d_name, comm);
		phys_set_name(o[n].name, name);
		o[n].pages = hits;
		o[n].share = (double)hits / (s->pfn1 - s->pfn0);
		n++;
	}
	if (s->hidden && !s->shown) {
		ret = -EPERM;
		goto cleanup;
	}
	/* conservative: the last page of the budget may have been the last */
	if (!s->budget)
		ret = PHYS_PARTIAL;
	if (n)
		qsort(o, n, sizeof(*o), phys_owner_cmp);
	*out = o;
	*nr = n;
	o = NULL;
cleanup:
	if (d)
		closedir(d);
	free(o);
	free(s);
	return ret;
}
