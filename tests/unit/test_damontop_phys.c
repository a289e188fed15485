// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of damontop's physical-address helpers: System RAM from
 * iomem texts (nested entries, holes, adjacent ranges, the zeros a
 * non-root reader sees), memory cgroups of a range from a fake
 * kpagecgroup over a directory tree, processes of a range from a fake
 * proc tree; then, as root, all of it against this very process's pages
 * on the real machine.  The cgroup mount and index: test_cgroupfs.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "../../src/damontop/phys.h"
#include "cgroupfs.h"

#define TMPDIR_NAME "phys"
#include "tmpdir.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_SWAPPED	(1ULL << 62)

static uint64_t ps;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Put u64 @v at index @i of the (sparse) file @fd. */
static void put_u64(int fd, uint64_t i, uint64_t v)
{
	assert_int_equal(pwrite(fd, &v, 8, i * 8), 8);
}

/* The same for a file by name, made if need be. */
static void put_at(const char *path, uint64_t i, uint64_t v)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0600);

	assert_true(fd >= 0);
	put_u64(fd, i, v);
	assert_int_equal(close(fd), 0);
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* --- iomem ------------------------------------------------------------ */

static const char iomem_text[] =
"00000000-00000fff : Reserved\n"
"00001000-0009fbff : System RAM\n"
"0009fc00-000fffff : Reserved\n"
"  000f0000-000fffff : System ROM\n"
"00100000-bfffffff : System RAM\n"
"  01000000-02276507 : Kernel code\n"
"  02400000-02e0cfff : Kernel rodata\n"
"  03b32000-03c55fff : Kernel bss\n"
"c0001000-eebfffff : PCI Bus 0000:00\n"
"  e0000000-e0ffffff : System RAM\n"	/* nested: not a top-level entry */
"fec00000-fec003ff : IOAPIC 0\n"
"100000000-13fffffff : System RAM\n"
"140000000-23fffffff : System RAM\n"	/* adjacent: merged */
"240000000-24fffffff : Persistent Memory (legacy)\n"
"250000000-27fffffff : System RAM\n"
"4000000000-7fffffffff : PCI Bus 0000:00\n"
"  4000000000-400007ffff : 0000:00:01.0\n";

static void test_iomem(void **state)
{
	struct mapping *m;
	char err[128];
	size_t nr, i;

	(void)state;
	write_file(test_path("iomem"), iomem_text);
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(nr, 4);
	assert_int_equal(m[0].start, 0x1000);
	assert_int_equal(m[0].end, 0x9fc00);
	assert_int_equal(m[1].start, 0x100000);
	assert_int_equal(m[1].end, 0xc0000000ULL);
	assert_int_equal(m[2].start, 0x100000000ULL);
	assert_int_equal(m[2].end, 0x240000000ULL);
	assert_int_equal(m[3].start, 0x250000000ULL);
	assert_int_equal(m[3].end, 0x280000000ULL);
	for (i = 0; i < nr; i++)
		assert_string_equal(m[i].name, "System RAM");
	free(m);

	/* out of order in the file: sorted, and merged when they touch */
	write_file(test_path("iomem"),
		   "200000-2fffff : System RAM\n"
		   "100000-1fffff : System RAM\n"
		   "0-fff : Reserved\n");
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(m[0].start, 0x100000);
	assert_int_equal(m[0].end, 0x300000);
	free(m);
}

static void test_iomem_refused(void **state)
{
	struct mapping *m = (void *)1;
	char err[128];
	size_t nr = 1;

	(void)state;
	/* what a reader without CAP_SYS_ADMIN sees */
	write_file(test_path("iomem"),
		   "00000000-00000000 : Reserved\n"
		   "00000000-00000000 : System RAM\n"
		   "  00000000-00000000 : Kernel code\n"
		   "00000000-00000000 : System RAM\n");
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), -EPERM);
	assert_null(m);
	assert_int_equal(nr, 0);
	assert_non_null(strstr(err, "CAP_SYS_ADMIN"));

	write_file(test_path("iomem"), "00000000-00000fff : Reserved\n");
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no System RAM"));

	write_file(test_path("iomem"), "00001000-0009fbff : System RAM\n"
		   "00100000 : System RAM\n");
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: "));
	assert_null(m);

	write_file(test_path("iomem"), "2000-1fff : System RAM\n");
	assert_int_equal(phys_ram_ranges(test_path("iomem"), &m, &nr, err,
					 sizeof(err)), -EINVAL);

	assert_int_equal(phys_ram_ranges(test_path("no-iomem"), &m, &nr, err,
					 sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
}

/* --- memory cgroups of a range ----------------------------------------- */

static const struct phys_owner *find_owner(const struct phys_owner *o,
					   size_t nr, const char *name)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(o[i].name, name))
			return &o[i];
	return NULL;
}

static void test_cgroups(void **state)
{
	uint64_t a, x, b, root, pfn;
	struct phys_cgroups *c;
	struct phys_owner *o;
	size_t nr;
	int fd;

	(void)state;
	assert_int_equal(mkdir(test_path("cg"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/a"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/a/x"), 0755), 0);
	assert_int_equal(mkdir(test_path("cg/b"), 0755), 0);
	write_file(test_path("cg/a/memory.current"), "0\n");
	root = ino_of(test_path("cg"));
	a = ino_of(test_path("cg/a"));
	x = ino_of(test_path("cg/a/x"));
	b = ino_of(test_path("cg/b"));

	/* PFNs 1000..1200: a 100, a/x 50, none 10, b 40; 1200 the root */
	fd = open(test_path("kpagecgroup"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (pfn = 1000; pfn < 1100; pfn++)
		put_u64(fd, pfn, a);
	for (; pfn < 1150; pfn++)
		put_u64(fd, pfn, x);
	for (; pfn < 1160; pfn++)
		put_u64(fd, pfn, 0);
	for (; pfn < 1200; pfn++)
		put_u64(fd, pfn, b);
	put_u64(fd, 1200, root);
	assert_int_equal(close(fd), 0);

	c = phys_cgroups_new(test_path("kpagecgroup"), test_path("cg"));
	assert_non_null(c);
	assert_int_equal(phys_cgroups_of(c, 1000 * ps, 1200 * ps, 4096, &o,
					 &nr), 0);
	assert_int_equal(nr, 4);
	assert_string_equal(o[0].name, "/a");
	assert_int_equal(o[0].pages, 100);
	assert_true(o[0].share == 0.5);
	assert_string_equal(o[1].name, "/a/x");
	assert_int_equal(o[1].pages, 50);
	assert_string_equal(o[2].name, "/b");
	assert_int_equal(o[2].pages, 40);
	assert_true(o[2].share == 0.2);
	assert_string_equal(o[3].name, "(no memcg)");
	assert_int_equal(o[3].pages, 10);
	free(o);

	/* unaligned ends take the pages they touch; the root is "/" */
	assert_int_equal(phys_cgroups_of(c, 1199 * ps + 10, 1200 * ps + 1,
					 4096, &o, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(o[0].name, "/");	/* ties: by name */
	assert_string_equal(o[1].name, "/b");
	free(o);

	/* past the end of the file: nothing, half past: what there is */
	assert_int_equal(phys_cgroups_of(c, 5000 * ps, 6000 * ps, 4096, &o,
					 &nr), 0);
	assert_int_equal(nr, 0);
	assert_null(o);
	assert_int_equal(phys_cgroups_of(c, 1190 * ps, 1300 * ps, 4096, &o,
					 &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(o[0].pages, 10);
	assert_int_equal(o[1].pages, 1);
	free(o);

	assert_int_equal(phys_cgroups_of(c, 2 * ps, 2 * ps, 4096, &o, &nr),
			 -EINVAL);
	assert_int_equal(phys_cgroups_of(c, 0, ps, 0, &o, &nr), -EINVAL);
	phys_cgroups_free(c);

	errno = 0;
	assert_null(phys_cgroups_new(test_path("no-kpagecgroup"),
				     test_path("cg")));
	assert_int_equal(errno, ENOENT);
	assert_null(phys_cgroups_new(test_path("kpagecgroup"),
				     test_path("kpagecgroup")));
	assert_int_equal(errno, ENOTDIR);
}

static void test_cgroups_sampled(void **state)
{
	struct phys_cgroups *c;
	uint64_t a, b, pfn, sum;
	const uint64_t n = 1000000;
	uint64_t *buf;
	struct phys_owner *o;
	size_t nr, i;
	int fd;

	(void)state;
	assert_int_equal(mkdir(test_path("cgs"), 0755), 0);
	assert_int_equal(mkdir(test_path("cgs/a"), 0755), 0);
	assert_int_equal(mkdir(test_path("cgs/b"), 0755), 0);
	a = ino_of(test_path("cgs/a"));
	b = ino_of(test_path("cgs/b"));
	/* a million PFNs: the first half a's, the second b's */
	buf = malloc(n * 8);
	assert_non_null(buf);
	for (pfn = 0; pfn < n; pfn++)
		buf[pfn] = pfn < n / 2 ? a : b;
	fd = open(test_path("kpagecgroup2"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, n * 8), (ssize_t)(n * 8));
	assert_int_equal(close(fd), 0);
	free(buf);

	c = phys_cgroups_new(test_path("kpagecgroup2"), test_path("cgs"));
	assert_non_null(c);
	/* 4 runs of 64, at 0, n/4, n/2, 3n/4: an even split */
	assert_int_equal(phys_cgroups_of(c, 0, n * ps, 256, &o, &nr), 0);
	assert_int_equal(nr, 2);
	assert_int_equal(o[0].pages, 128);
	assert_int_equal(o[1].pages, 128);
	assert_true(o[0].share == 0.5);
	free(o);

	/* fewer samples than a run: one run, from the start */
	assert_int_equal(phys_cgroups_of(c, 0, n * ps, 10, &o, &nr), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(o[0].name, "/a");
	assert_int_equal(o[0].pages, 10);
	free(o);

	/* never more than asked, and not much less */
	assert_int_equal(phys_cgroups_of(c, 0, n * ps, 1000, &o, &nr), 0);
	for (i = 0, sum = 0; i < nr; i++)
		sum += o[i].pages;
	assert_true(sum <= 1000 && sum >= 900);
	assert_true(o[0].pages - o[1].pages <= 66);
	free(o);

	/* a range of just max_pages PFNs is read whole */
	assert_int_equal(phys_cgroups_of(c, (n / 2 - 100) * ps,
					  (n / 2 + 300) * ps, 400, &o, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(o[0].name, "/b");
	assert_int_equal(o[0].pages, 300);
	assert_int_equal(o[1].pages, 100);
	free(o);
	phys_cgroups_free(c);
}

static void test_cgroups_changed(void **state)
{
	struct phys_cgroups *c;
	struct phys_owner *o;
	char gone[64], name[121], path[160];
	uint64_t a, b, d;
	size_t nr;
	int fd;

	(void)state;
	assert_int_equal(mkdir(test_path("cgc"), 0755), 0);
	assert_int_equal(mkdir(test_path("cgc/a"), 0755), 0);
	assert_int_equal(mkdir(test_path("cgc/b"), 0755), 0);
	a = ino_of(test_path("cgc/a"));
	b = ino_of(test_path("cgc/b"));
	fd = open(test_path("kpagecgroup3"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	put_u64(fd, 0, a);
	put_u64(fd, 1, b);

	c = phys_cgroups_new(test_path("kpagecgroup3"), test_path("cgc"));
	assert_non_null(c);
	assert_int_equal(phys_cgroups_of(c, 0, 2 * ps, 16, &o, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(o[0].name, "/a");
	assert_string_equal(o[1].name, "/b");
	free(o);

	/*
	 * After caching: a cgroup made (found by walking again) and one
	 * removed (made first, so that its inode is not reused for it).
	 */
	assert_int_equal(mkdir(test_path("cgc/a/d"), 0755), 0);
	d = ino_of(test_path("cgc/a/d"));
	assert_int_equal(rmdir(test_path("cgc/b")), 0);
	put_u64(fd, 2, d);
	put_u64(fd, 3, d);
	assert_int_equal(close(fd), 0);
	assert_int_equal(phys_cgroups_of(c, 0, 4 * ps, 16, &o, &nr), 0);
	assert_int_equal(nr, 3);
	assert_string_equal(o[0].name, "/a/d");
	assert_int_equal(o[0].pages, 2);
	snprintf(gone, sizeof(gone), "memcg ino %llu (gone)",
		 (unsigned long long)b);
	assert_non_null(find_owner(o, nr, gone));
	assert_non_null(find_owner(o, nr, "/a"));
	free(o);

	/* a path too long to show whole keeps its end */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name + sizeof(name) - 5, "tail", 4);
	snprintf(path, sizeof(path), "cgc/a/%s", name);
	assert_int_equal(mkdir(test_path(path), 0755), 0);
	put_at(test_path("kpagecgroup3"), 4, ino_of(test_path(path)));
	assert_int_equal(phys_cgroups_of(c, 4 * ps, 5 * ps, 16, &o, &nr), 0);
	assert_int_equal(nr, 1);
	assert_int_equal(strlen(o[0].name), 95);
	assert_memory_equal(o[0].name, "...nnn", 6);
	assert_string_equal(o[0].name + 91, "tail");
	free(o);
	phys_cgroups_free(c);
}

/* A walk that fails (the root removed) fails the call, names nothing. */
static void test_cgroups_root_gone(void **state)
{
	struct phys_cgroups *c;
	struct phys_owner *o;
	size_t nr;

	(void)state;
	assert_int_equal(mkdir(test_path("cgr"), 0755), 0);
	assert_int_equal(mkdir(test_path("cgr/a"), 0755), 0);
	put_at(test_path("kpagecgroup4"), 0, ino_of(test_path("cgr/a")));
	c = phys_cgroups_new(test_path("kpagecgroup4"), test_path("cgr"));
	assert_non_null(c);
	assert_int_equal(phys_cgroups_of(c, 0, ps, 16, &o, &nr), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(o[0].name, "/a");
	free(o);

	/* an inode new to the index walks the tree again: no root now */
	assert_int_equal(rmdir(test_path("cgr/a")), 0);
	assert_int_equal(rmdir(test_path("cgr")), 0);
	put_at(test_path("kpagecgroup4"), 1,
	       ino_of(test_path("kpagecgroup4")));
	assert_int_equal(phys_cgroups_of(c, 0, 2 * ps, 16, &o, &nr), -ENOENT);
	assert_null(o);
	assert_int_equal(nr, 0);
	phys_cgroups_free(c);
}

/* --- processes of a range ---------------------------------------------- */

/* A fake /proc/PID: comm, maps and pagemap of @n entries at @vpn. */
static void fake_pid(const char *pid, const char *comm, const char *maps,
		     const uint64_t *pm, size_t n, uint64_t vpn, uint64_t size)
{
	char path[64], text[64];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "proc/%s", pid);
	assert_int_equal(mkdir(test_path(path), 0755), 0);
	if (comm) {
		snprintf(path, sizeof(path), "proc/%s/comm", pid);
		snprintf(text, sizeof(text), "%s\n", comm);
		write_file(test_path(path), text);
	}
	if (maps) {
		snprintf(path, sizeof(path), "proc/%s/maps", pid);
		write_file(test_path(path), maps);
	}
	if (!pm)
		return;
	snprintf(path, sizeof(path), "proc/%s/pagemap", pid);
	fd = open(test_path(path), O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	/* sparse: every page no entry is written for reads as absent */
	assert_int_equal(ftruncate(fd, size * 8), 0);
	for (i = 0; i < n; i++)
		put_u64(fd, vpn + i, pm[i]);
	assert_int_equal(close(fd), 0);
}

static void test_processes(void **state)
{
	uint64_t pm1[16], pm2[8];
	struct phys_owner *o;
	char maps[256];
	size_t nr, i;
	uint64_t sum;

	(void)state;
	assert_int_equal(mkdir(test_path("proc"), 0755), 0);
	assert_int_equal(mkdir(test_path("proc/sys"), 0755), 0);
	write_file(test_path("proc/meminfo"), "MemTotal: 1 kB\n");

	/* pid 100: 16 pages on PFNs 5000..5015; 2 pages absent, swapped */
	for (i = 0; i < 16; i++)
		pm1[i] = PM_PRESENT | (5000 + i);
	snprintf(maps, sizeof(maps),
		 "%llx-%llx rw-p 00000000 00:00 0 [heap]\n"
		 "%llx-%llx rw-p 00000000 00:00 0\n",
		 (unsigned long long)(16 * ps), (unsigned long long)(32 * ps),
		 (unsigned long long)(1024 * ps),
		 (unsigned long long)(1026 * ps));
	fake_pid("100", "alpha", maps, pm1, 16, 16, 1026);
	put_at(test_path("proc/100/pagemap"), 1024, 0);
	put_at(test_path("proc/100/pagemap"), 1025, PM_SWAPPED | 5008);

	/* pid 200: 4 pages shared with 100 (5010..5013), 4 elsewhere */
	for (i = 0; i < 8; i++)
		pm2[i] = PM_PRESENT | (i < 4 ? 5010 + i : 9000 + i);
	snprintf(maps, sizeof(maps), "%llx-%llx r--p 00000000 08:02 42 "
		 "/usr/bin/beta prog\n",
		 (unsigned long long)(64 * ps), (unsigned long long)(72 * ps));
	fake_pid("200", "beta prog", maps, pm2, 8, 64, 72);

	/* gone mid-walk: no maps; maps but no pagemap; no comm; kthread */
	fake_pid("300", "gamma", NULL, NULL, 0, 0, 0);
	fake_pid("301", "delta", maps, NULL, 0, 0, 0);
	fake_pid("302", NULL, maps, pm2, 8, 64, 72);
	fake_pid("2", "kthreadd", "", NULL, 0, 0, 0);

	assert_int_equal(phys_processes_of(test_path("proc"), 5008 * ps,
					   5016 * ps, 1000, &o, &nr), 0);
	assert_int_equal(nr, 2);
	assert_string_equal(o[0].name, "pid 100 (alpha)");
	assert_int_equal(o[0].pages, 8);
	assert_true(o[0].share == 1.0);
	assert_string_equal(o[1].name, "pid 200 (beta prog)");
	assert_int_equal(o[1].pages, 4);
	assert_true(o[1].share == 0.5);
	free(o);

	/* a range nobody maps; a range of one page */
	assert_int_equal(phys_processes_of(test_path("proc"), 6000 * ps,
					   7000 * ps, 1000, &o, &nr), 0);
	assert_int_equal(nr, 0);
	assert_int_equal(phys_processes_of(test_path("proc"), 9007 * ps,
					   9007 * ps + 1, 1000, &o, &nr), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(o[0].name, "pid 200 (beta prog)");
	assert_int_equal(o[0].pages, 1);
	free(o);

	/* 16 + 2 + 8 entries: enough with one to spare, else partial */
	assert_int_equal(phys_processes_of(test_path("proc"), 5000 * ps,
					   5016 * ps, 27, &o, &nr), 0);
	assert_int_equal(nr, 2);
	free(o);
	assert_int_equal(phys_processes_of(test_path("proc"), 5000 * ps,
					   5016 * ps, 10, &o, &nr),
			 PHYS_PARTIAL);
	for (i = 0, sum = 0; i < nr; i++)
		sum += o[i].pages;
	assert_true(nr >= 1 && sum <= 10);
	free(o);

	assert_int_equal(phys_processes_of(test_path("no-proc"), 0, ps, 10,
					   &o, &nr), -ENOENT);
	assert_int_equal(phys_processes_of(test_path("proc"), ps, ps, 10,
					   &o, &nr), -EINVAL);
}

static void test_processes_hidden(void **state)
{
	uint64_t pm[4] = { PM_PRESENT, PM_PRESENT, 0, PM_PRESENT };
	struct phys_owner *o = (void *)1;
	char maps[128];
	size_t nr = 1;
	int i;

	(void)state;
	/* PFNs read as zero without CAP_SYS_ADMIN */
	assert_int_equal(mkdir(test_path("proc2"), 0755), 0);
	snprintf(maps, sizeof(maps), "%llx-%llx rw-p 00000000 00:00 0\n",
		 (unsigned long long)ps, (unsigned long long)(5 * ps));
	assert_int_equal(mkdir(test_path("proc2/7"), 0755), 0);
	write_file(test_path("proc2/7/comm"), "seven\n");
	write_file(test_path("proc2/7/maps"), maps);
	for (i = 0; i < 4; i++)
		put_at(test_path("proc2/7/pagemap"), 1 + i, pm[i]);
	assert_int_equal(phys_processes_of(test_path("proc2"), 0, 1ULL << 40,
					   1000, &o, &nr), -EPERM);
	assert_null(o);
	assert_int_equal(nr, 0);
}

/* --- this process on the real machine ------------------------------------ */

#define REAL_SIZE	(8UL << 20)

static const char *real_skip;

/* Our memory cgroup as /proc/self/cgroup names it under @root's kind. */
static bool own_memcg(const char *root, char *buf, size_t len)
{
	char line[512], mnt[300], *ctl, *path;
	bool v1 = false, found = false;
	FILE *f;

	/* v1 when the memory root is a v1 mount (cgroupfs_mount's rule) */
	f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return false;
	snprintf(mnt, sizeof(mnt), " %s ", root);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, mnt) && strstr(line, " - cgroup "))
			v1 = true;
	fclose(f);
	f = fopen("/proc/self/cgroup", "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		ctl = strchr(line, ':');
		path = ctl ? strchr(ctl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		ctl++;
		if (v1 ? strstr(ctl, "memory") != NULL : !strcmp(ctl, "")) {
			snprintf(buf, len, "%s", path);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static void test_real(void **state)
{
	uint64_t *pfns, best = 0, best_len = 0, run, start, end, pfn;
	char root[256], memcg[256], comm[32], me[64];
	struct phys_owner *o;
	struct phys_cgroups *c;
	struct mapping *m;
	char err[128];
	size_t nr, i, n = REAL_SIZE / ps;
	uint8_t *buf;
	int fd, ret;

	(void)state;
	if (real_skip)
		return;
	buf = mmap(NULL, REAL_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(buf != MAP_FAILED);
	/* huge pages where allowed: long runs of physical pages */
	madvise(buf, REAL_SIZE, MADV_HUGEPAGE);
	memset(buf, 0x5a, REAL_SIZE);

	pfns = malloc(n * 8);
	assert_non_null(pfns);
	fd = open("/proc/self/pagemap", O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, pfns, n * 8, (uintptr_t)buf / ps * 8),
			 (ssize_t)(n * 8));
	close(fd);
	for (i = 0; i < n; i++) {
		assert_true(pfns[i] & PM_PRESENT);
		pfns[i] &= (1ULL << 55) - 1;
		assert_true(pfns[i] != 0);
	}
	/* the longest run of physically consecutive pages */
	for (i = 0, run = 1; i < n; i++, run++) {
		if (i + 1 < n && pfns[i + 1] == pfns[i] + 1)
			continue;
		if (run > best_len) {
			best_len = run;
			best = pfns[i + 1 - run];
		}
		run = 0;
	}
	free(pfns);
	start = best * ps;
	end = (best + best_len) * ps;
	print_message("# our 8 MiB: longest physical run %llu pages at %#llx\n",
		      (unsigned long long)best_len, (unsigned long long)start);

	/* it is System RAM */
	assert_int_equal(phys_ram_ranges("/proc/iomem", &m, &nr, err,
					 sizeof(err)), 0);
	for (i = 0; i < nr; i++)
		if (start >= m[i].start && end <= m[i].end)
			break;
	assert_true(i < nr);
	free(m);

	/* we map every page of it, nobody else any */
	fd = open("/proc/self/comm", O_RDONLY);
	assert_true(fd >= 0);
	ret = read(fd, comm, sizeof(comm) - 1);
	assert_true(ret > 0);
	close(fd);
	comm[ret] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	snprintf(me, sizeof(me), "pid %d (%s)", (int)getpid(), comm);
	assert_int_equal(phys_processes_of("/proc", start, end,
					   PHYS_PROCESS_PAGES, &o, &nr), 0);
	assert_int_equal(nr, 1);
	assert_string_equal(o[0].name, me);
	assert_int_equal(o[0].pages, best_len);
	assert_true(o[0].share == 1.0);
	free(o);

	/* and our memory cgroup is charged for all of it */
	assert_int_equal(cgroupfs_mount("/proc/self/mountinfo", "memory", root,
					sizeof(root)), 0);
	assert_true(own_memcg(root, memcg, sizeof(memcg)));
	c = phys_cgroups_new("/proc/kpagecgroup", root);
	assert_non_null(c);
	assert_int_equal(phys_cgroups_of(c, start, end, PHYS_CGROUP_SAMPLES,
					 &o, &nr), 0);
	print_message("# memcg root %s, ours %s, owner %s\n", root, memcg,
		      nr ? o[0].name : "none");
	assert_int_equal(nr, 1);
	assert_string_equal(o[0].name, memcg);
	pfn = o[0].pages;
	assert_int_equal(pfn, best_len < PHYS_CGROUP_SAMPLES ?
			 best_len : PHYS_CGROUP_SAMPLES);
	free(o);
	phys_cgroups_free(c);
	munmap(buf, REAL_SIZE);
}

/* Why test_real cannot run here, or NULL. */
static const char *real_why_not(void)
{
	uint64_t e = 0;
	int fd;

	if (geteuid())
		return "not root";
	if (access("/proc/kpagecgroup", R_OK))
		return "no /proc/kpagecgroup (kernel without CONFIG_MEMCG?)";
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0)
		return "no /proc/self/pagemap";
	if (pread(fd, &e, 8, (uintptr_t)&e / sysconf(_SC_PAGESIZE) * 8) != 8)
		e = 0;
	close(fd);
	if (!(e & ((1ULL << 55) - 1)))
		return "PFNs read as zero: no CAP_SYS_ADMIN";
	return NULL;
}

int main(void)
{
	static char real_name[128] = "test_real";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iomem),
		cmocka_unit_test(test_iomem_refused),
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_cgroups_sampled),
		cmocka_unit_test(test_cgroups_changed),
		cmocka_unit_test(test_cgroups_root_gone),
		cmocka_unit_test(test_processes),
		cmocka_unit_test(test_processes_hidden),
		{ .name = real_name,
		  .test_func = test_real },
	};

	ps = sysconf(_SC_PAGESIZE);
	real_skip = real_why_not();
	/* a TAP skip with any cmocka (see test_damo_fixture.c) */
	if (real_skip)
		snprintf(real_name, sizeof(real_name), "test_real # SKIP %s",
			 real_skip);
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
