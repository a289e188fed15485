/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iofilter's enforcer: the kernel side (bpf/iofilter.bpf.c) loaded with a
 * set of rules, each deny rule refused at the strongest tier this kernel
 * allows, every bio audited, verdicts to a sink through the event loop.
 *
 * Tiers, strongest first (enum iof_tier):
 *   bio     fmod_ret on should_fail_bio: a denied bio fails with EIO before
 *           it reaches the driver, whoever issued it (writeback included).
 *           Buffered writes still succeed into the page cache; passthrough
 *           requests (SG_IO, NVMe) are not bios and are not seen.
 *   lsm     BPF LSM: write, fallocate, BLK{,SEC}DISCARD/BLKZEROOUT,
 *           shared writable mappings, passthrough (SG_IO, NVMe) and
 *           io_uring commands fail with EPERM in the syscall.
 *   device  cgroup/dev: processes in a cgroup cannot open the device for
 *           writing (whole-device deny rules only).
 *   kill    sys_enter and io_uring submissions: the writer gets SIGKILL as
 *           its call starts.  Best effort.
 *   audit   block_bio_queue: every bio counted and logged; enforces nothing.
 *
 * Matching (every hook): rules in order; a deny rule takes any IO that
 * overlaps it, an allow or audit rule only an IO it covers whole (so an
 * exception never lets through the part of an IO outside it).  A hook
 * refuses an IO when a deny rule its tier enforces takes it before an
 * allow or audit rule covers it; the IO is counted and logged under that
 * rule, else under the first deny rule that takes it, else the first
 * audit rule it overlaps, else the first allow rule.  An IO whose range a
 * hook cannot know (a mapping made with mmap, a passthrough command, a
 * write open) is judged as the whole device.  Process matches (pid, uid,
 * comm, cgroup and below) are of the task the hook runs in: the writer
 * at the syscall, the submitter of a bio (for writeback, the flusher).
 *
 * Files: tiers.c probes the tiers and assigns them (iof_probe_tiers,
 * iof_assign_tiers, iof_rule_gaps); enforce.c owns the skeleton
 * (iof_start to iof_stop); pin.c pins and unpins.
 */
#ifndef KSCOPE_IOFILTER_ENFORCE_H
#define KSCOPE_IOFILTER_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "iofilter.h"

struct evloop;
struct iof_enforcer;

#define IOF_WHY_LEN	128

/* What this kernel allows; @why: the reason a tier is unavailable. */
struct iof_probe {
	bool can[IOF_NR_TIERS];
	char why[IOF_NR_TIERS][IOF_WHY_LEN];
};

/*
 * Trial loads and attaches of minimal programs, one per hook kind (tens of
 * milliseconds; nothing left loaded or attached).  The device tier's
 * attach needs a cgroup: only its load is tried here.
 */
void iof_probe_tiers(struct iof_probe *p);

/*
 * Sets r[i].tiers: for a deny rule the bio tier where available, else
 * lsm, else kill; plus device for whole-device deny rules ([0,
 * IOF_SECTOR_MAX], a modifying op) when a cgroup is given.  Other rules
 * get 0.  A deny rule no tier can enforce keeps tiers 0: audited only.
 */
void iof_assign_tiers(struct iof_rule *r, size_t nr, const struct iof_probe *p,
		      bool have_cgroup);

/*
 * One line saying what rule @r, its tiers assigned, leaves uncovered
 * ("" when nothing, or when it is not a deny rule); returns @buf.
 */
const char *iof_rule_gaps(const struct iof_rule *r, char *buf, size_t len);

struct iof_sink {
	void *ctx;
	void (*event)(void *ctx, const struct iof_event *e);
};

/*
 * Loads the programs the rules' tiers need (plus the audit), attaches them
 * and hands every event to @sink from @loop.  @cgroup_dir: a cgroup v2
 * directory for the device tier (NULL: none).  A program that fails to
 * load or attach is left out and the others go on: iof_active() says
 * which tiers really run.  Fails (-errno, one line in @err) on bad rules,
 * or when the audit program itself cannot run.
 */
int iof_start(struct iof_enforcer **out, struct evloop *loop,
	      const struct iof_rule *rules, size_t nr, const char *cgroup_dir,
	      const struct iof_sink *sink, char *err, size_t errlen);

/*
 * The tiers that run (1 << enum iof_tier); for each tier some rule needs
 * that does not run, or runs without one of its optional programs (the
 * 32-bit ioctl hook, io_uring), the reason in @why (may be NULL).
 */
uint32_t iof_active(const struct iof_enforcer *e, char why[IOF_NR_TIERS][IOF_WHY_LEN]);

/* @out: nr * IOF_NR_TIERS, [rule * IOF_NR_TIERS + tier], summed over CPUs;
 * @drops: events lost to a full ring buffer.  0 or -errno. */
int iof_counts(const struct iof_enforcer *e, struct iof_count *out, uint64_t *drops);

/* Detaches and unloads everything (not what iof_pin() pinned). */
void iof_stop(struct iof_enforcer *e);

/*
 * Keep enforcing after exit: every attached program's link, and the
 * counts, pinned under @dir (created, on a bpf filesystem, 0700).  The
 * ring buffer has no reader then: events are dropped.  0 or -errno.
 */
int iof_pin(struct iof_enforcer *e, const char *dir, char *err, size_t errlen);

/* Removes what iof_pin() put under @dir, and @dir: enforcement ends. */
int iof_unpin(const char *dir, char *err, size_t errlen);

#endif
