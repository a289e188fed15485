/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel DAMON through its sysfs interface: read any kdamond's setup
 * without writing anything (--attach-kdamond), or start a kdamond of our
 * own (one context, one target) and remove exactly that again.  Only the
 * files Linux 6.1 has are required; addr_unit and avail_operations are
 * read where present, and no file newer than 6.1 is ever written.  @root
 * is DAMON_SYSFS_ROOT but in tests.
 *
 * Messages in @err are one line without a program name; @err may be NULL.
 */
#ifndef KSCOPE_DAMONTOP_DAMON_SYSFS_H
#define KSCOPE_DAMONTOP_DAMON_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define DAMON_SYSFS_ROOT "/sys/kernel/mm/damon/admin"

/* monitoring_attrs/: intervals in microseconds, bounds on the region count */
struct damon_attrs {
	uint64_t sample_us, aggr_us, update_us;
	uint32_t min_nr_regions, max_nr_regions;
};

/* [start, end), in units of the context's addr_unit (bytes on 6.1) */
struct damon_range {
	uint64_t start, end;
};

struct damon_target_info {
	int pid;			/* pid_target, 0 for paddr */
	size_t nr_regions;
	struct damon_range *regions;	/* the configured (initial) regions */
};

struct damon_ctx_info {
	char ops[16];			/* "vaddr", "fvaddr", "paddr" */
	uint64_t addr_unit;		/* 1 where the kernel has no addr_unit */
	struct damon_attrs attrs;
	size_t nr_targets;
	struct damon_target_info *targets;
};

struct kdamond_info {
	int index;
	bool running;
	pid_t pid;			/* -1 when off */
	size_t nr_contexts;
	struct damon_ctx_info *contexts;
};

/*
 * 0 and *nr = kdamonds/nr_kdamonds; -ENOENT ("the kernel has no DAMON
 * sysfs interface") when @root is absent, or -errno of the read.
 */
int damon_sysfs_count(const char *root, int *nr, char *err, size_t errlen);

/*
 * Read kdamond @index completely, writing nothing.  -ENOENT for a missing
 * index ("no kdamond 3: the kernel has 1"), -errno of a failed read or
 * -EINVAL for a file with unexpected content (the message names the file).
 * @out is zeroed first and left empty on error.
 */
int damon_sysfs_read(const char *root, int index, struct kdamond_info *out,
		     char *err, size_t errlen);
/* Frees what damon_sysfs_read() allocated; safe on a zeroed struct. */
void kdamond_info_free(struct kdamond_info *k);

/*
 * Whether @ops ("vaddr") is in the avail_operations of kdamond @index's
 * context 0: 1 yes, 0 no, -ENOENT when the kernel has no such file
 * (unknown), other -errno of the read.  @avail gets the list ("vaddr,
 * fvaddr, paddr") when the file was read; it may be NULL.
 */
int damon_sysfs_has_ops(const char *root, int index, const char *ops,
			char *avail, size_t availlen);

/*
 * What to monitor.  vaddr/fvaddr need @pid; paddr needs @regions (sorted,
 * not overlapping).  @regions for vaddr are the initial regions (none:
 * the kernel picks them from the mappings).  A zero field of @attrs keeps
 * the kernel's default.
 */
struct damon_request {
	const char *ops;
	pid_t pid;
	const struct damon_range *regions;
	size_t nr_regions;
	struct damon_attrs attrs;
};

/* What damon_sysfs_start() set up, so that damon_sysfs_stop() undoes it. */
struct damon_own {
	char root[256];
	int index;			/* our kdamond, -1 when none */
	pid_t pid;			/* its kernel thread, -1 when unknown */
	bool created;			/* we set nr_kdamonds: set it back to 0 */
	bool running;			/* we wrote state=on: write off */
	int reaper;			/* its undo if damontop dies (reaper.h) */
};

/*
 * Start a kdamond of our own.  Never touches kdamonds someone else set
 * up: -EBUSY when one runs (the kernel refuses a new one then), -EEXIST
 * when some exist but are off (writing nr_kdamonds would erase them).
 * -EOPNOTSUPP when avail_operations lacks @req->ops, -EINVAL for a bad
 * request, or -errno of the first failed write ("cannot write
 * kdamonds/0/state: Invalid argument"), after undoing everything done.
 */
int damon_sysfs_start(const char *root, const struct damon_request *req,
		      struct damon_own *own, char *err, size_t errlen);

/* The pid of kdamond @index when it runs, else -1: two small reads, for
 * checking often that a watched kdamond is still the same. */
pid_t damon_sysfs_kdamond_pid(const char *root, int index);

/*
 * Whether our kdamond still runs: a vaddr kdamond stops by itself when
 * its target exits.  False when we run none or its state is unreadable.
 */
bool damon_sysfs_running(const struct damon_own *own);

/*
 * Undo damon_sysfs_start(): state=off if we turned it on (a kdamond that
 * already stopped by itself is fine), then nr_kdamonds=0 if we created
 * it.  Idempotent, safe on a zeroed struct.  The _err variant returns
 * -errno and says what could not be undone.  The same undo runs in
 * damontop's reaper if damontop dies before calling this (SIGKILL, a
 * crash): damon_sysfs_start() arms it as soon as it sets nr_kdamonds.
 */
int damon_sysfs_stop_err(struct damon_own *own, char *err, size_t errlen);
void damon_sysfs_stop(struct damon_own *own);

#endif
