/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Types shared by iofilter's kernel side (iofilter.bpf.c) and user space
 * (src/iofilter/).  Plain fixed-width data.  Devices are kernel dev_t
 * values (major << 20 | minor) of the whole disk, sectors are 512-byte
 * disk sectors: every hook normalises a partition and its relative sector
 * to those before matching.
 */
#ifndef KSCOPE_IOFILTER_H
#define KSCOPE_IOFILTER_H

#define IOF_MAX_RULES	64
#define IOF_NO_RULE	0xffffffffu
#define IOF_ANY_UID	0xffffffffu
#define IOF_SECTOR_MAX	0xffffffffffffffffull

/* what a rule does to the IO it matches; the first matching rule wins */
enum iof_action {
	IOF_ALLOW = 0,		/* an exception: let it through, say nothing */
	IOF_AUDIT = 1,		/* let it through, log it */
	IOF_DENY = 2,		/* refuse it at the rule's tier, log it */
};

/* operations, as a mask in rules and one bit in events */
enum iof_op {
	IOF_OP_READ = 1 << 0,
	IOF_OP_WRITE = 1 << 1,
	IOF_OP_DISCARD = 1 << 2,	/* discard and secure erase */
	IOF_OP_ZEROOUT = 1 << 3,	/* write zeroes */
	IOF_OP_OTHER = 1 << 4,		/* anything else that modifies (passthrough) */
};

/* What an IO of unknown kind may do (a write open, a passthrough
 * command): it concerns every rule with any of these. */
#define IOF_OP_MODIFY	(IOF_OP_WRITE | IOF_OP_DISCARD | IOF_OP_ZEROOUT | IOF_OP_OTHER)

/* where a verdict was reached, strongest first */
enum iof_tier {
	IOF_TIER_BIO = 0,	/* fmod_ret should_fail_bio: every bio fails */
	IOF_TIER_LSM = 1,	/* BPF LSM: the syscall fails with EPERM */
	IOF_TIER_DEVICE = 2,	/* cgroup/dev: write opens of the device fail */
	IOF_TIER_KILL = 3,	/* sys_enter / io_uring: the writer gets SIGKILL */
	IOF_TIER_AUDIT = 4,	/* block_bio_queue: seen, not enforced */
	IOF_NR_TIERS = 5,
};

struct iof_rule {
	__u64 start, end;	/* disk sectors, [start, end], end inclusive */
	__u64 cgroup;		/* cgroup id (inode of its directory), 0: any */
	__u32 dev;		/* whole disk */
	__u32 ops;		/* enum iof_op mask */
	__u32 action;		/* enum iof_action */
	__u32 tiers;		/* 1 << enum iof_tier that enforce it (deny) */
	__u32 pid;		/* thread group, 0: any */
	__u32 uid;		/* IOF_ANY_UID: any */
	char comm[16];		/* "": any */
};

/* One verdict: a matched IO (audit or deny) or a refused open. */
struct iof_event {
	__u64 ts;		/* bpf_ktime_get_ns() */
	__u64 sector;		/* disk sector */
	__u64 cgroup;
	__u32 nr_sectors;	/* 0 when unknown (an open, a mapping) */
	__u32 dev;		/* whole disk */
	__u32 op;		/* one enum iof_op bit */
	__u32 rule;		/* index, IOF_NO_RULE */
	__u32 action;		/* what the rule asked */
	__u32 tier;		/* who saw or stopped it */
	__u32 denied;		/* the IO was refused (or its writer killed) */
	__u32 pid, tgid, uid;
	char comm[16];
};

/* Per rule and tier, in a per-CPU array indexed rule * IOF_NR_TIERS + tier. */
struct iof_count {
	__u64 hits;		/* IOs that matched */
	__u64 denied;
	__u64 sectors;
};

/*
 * A partition of a disk some rule names, by the partition's own dev_t:
 * the device tier's program sees nothing but major:minor.  Filled by
 * user space at start; also the fallback of the file hooks where the
 * kernel's layout is not known.
 */
struct iof_part {
	__u64 start;		/* its first disk sector */
	__u64 nr;		/* its sectors */
	__u32 disk;		/* the whole disk */
	__u32 pad;
};

#endif
