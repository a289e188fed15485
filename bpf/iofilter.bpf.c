// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's kernel side: block IO matched against the rules of
 * iofilter.h, audited at block_bio_queue and refused at the strongest
 * hook the kernel allows.  User space (src/iofilter/enforce.c) loads
 * only the programs of the tiers some rule needs:
 *
 *   bio     fmod_ret/should_fail_bio: a denied bio fails with -EIO
 *   lsm     BPF LSM: the syscall that would write fails with -EPERM
 *           (ranges from fentry on rw_verify_area and vfs_fallocate)
 *   device  cgroup/dev: write opens of a denied device fail
 *   kill    sys_enter and io_uring submissions: the writer gets SIGKILL
 *   audit   block_bio_queue: every bio, counted and logged
 *
 * Every hook turns what it sees into one struct io: the whole disk and
 * disk sectors, whatever partition it came through (bdev_disk()).
 * Rules are read-only data fixed at load, so the verifier walks exactly
 * the rules there are.  Nothing here leaves a kernel pointer in an event
 * or a map user space reads.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "iofilter.h"

char LICENSE[] SEC("license") = "GPL";

#define EPERM		1
#define EIO		5
#define SIGKILL		9

#define S_IFMT		00170000
#define S_IFBLK		0060000
#define MAY_WRITE	0x2
#define MAY_READ	0x4
#define FMODE_WRITE	0x2
#define PROT_WRITE	0x2
#define MAP_SHARED	0x01
#define MAP_ANONYMOUS	0x20
#define VM_SHARED	0x8
#define PAGE_SHIFT	12
#define SECTOR_SHIFT	9
#define TS_COMPAT	0x0002		/* x86 thread_info.status: an ia32 syscall */
#define MKDEV(ma, mi)	((__u32)(ma) << 20 | (__u32)(mi))

#define DEVCG_DEV_BLOCK	1
#define DEVCG_ACC_WRITE	4

#define FALLOC_FL_NO_HIDE_STALE	0x04

/* ioctls that change a device's bytes */
#define BLKDISCARD	0x1277
#define BLKSECDISCARD	0x127d
#define BLKZEROOUT	0x127f
#define SG_IO		0x2285
#define SCSI_IOCTL_SEND_COMMAND	1
#define BLOCK_URING_CMD_DISCARD	0x1200

/* io_uring opcodes (uapi) and its request flag for registered files */
#define IORING_WRITEV		2
#define IORING_WRITE_FIXED	5
#define IORING_FALLOCATE	17
#define IORING_WRITE		23
#define IORING_SPLICE		30
#define IORING_URING_CMD	46
#define IORING_WRITEV_FIXED	61
#define REQ_FIXED_FILE		1

#define IOCB_CMD_PWRITE		1
#define IOCB_CMD_PWRITEV	8

#define MAX_IOV		1024	/* UIO_MAXIOV: more and the call fails */
#define MAX_IOCB	8	/* io_submit: iocbs checked per call */
#define CGROUP_DEPTH	32

/* Fixed at load by user space. */
const volatile __u32 nr_rules;
const volatile struct iof_rule rules[IOF_MAX_RULES];
/* BIO_REMAPPED is in an anonymous enum whose values moved (11 in 6.1, 10
 * in 6.18): user space reads it from the kernel's BTF. */
const volatile __u32 bio_remapped_bit = 0xff;

/* Out: events the ring buffer had no room for. */
__u64 dropped;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IOF_MAX_RULES * IOF_NR_TIERS);
	__type(key, __u32);
	__type(value, struct iof_count);
} counts SEC(".maps");

/* Partitions of the rules' disks, by their own dev_t: the device tier
 * sees only major:minor. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct iof_part);
} parts SEC(".maps");

/* lsm tier: the range of the read or write a thread is about to have
 * checked by security_file_permission(), recorded just before by
 * rw_verify_area() or vfs_fallocate(), used once. */
struct pending {
	__u64 pos, count;	/* bytes */
	__u32 rdev;		/* of the file: a stale record is not used */
	__u32 op;		/* one enum iof_op bit */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);	/* thread id */
	__type(value, struct pending);
} pending SEC(".maps");

/* One IO as the rules see it. */
struct io {
	__u64 sector;		/* disk sector */
	__u64 nr;		/* sectors, 0: unknown, to the end of the disk */
	__u32 dev;		/* whole disk */
	__u32 ops;		/* rule ops it concerns */
	__u32 op;		/* the one bit events show */
};

/* Flavours of older kernels' layouts, for CO-RE. */
struct io_fixed_file___v61 {
	unsigned long file_ptr;
};

struct io_file_table___v61 {
	struct io_fixed_file___v61 *files;
};

struct io_ring_ctx___v61 {
	struct io_file_table___v61 file_table;
	unsigned int nr_user_files;
};

struct io_uring_cmd___v618 {
	const struct io_uring_sqe *sqe;
	u32 cmd_op;
};

/* ---- who ----------------------------------------------------------------- */

static __always_inline bool comm_is(const volatile char *want)
{
	char comm[16];
	int i;

	if (bpf_get_current_comm(comm, sizeof(comm)))
		return false;
	for (i = 0; i < 16; i++) {
		if (comm[i] != want[i])
			return false;
		if (!want[i])
			break;
	}
	return true;
}

/* In cgroup @id (v2) or below it. */
static __always_inline bool in_cgroup(__u64 id)
{
	int l;

	for (l = 0; l < CGROUP_DEPTH; l++) {
		__u64 a = bpf_get_current_ancestor_cgroup_id(l);

		if (!a)
			return false;
		if (a == id)
			return true;
	}
	return false;
}

static __always_inline bool who_matches(const volatile struct iof_rule *r)
{
	if (r->pid && r->pid != bpf_get_current_pid_tgid() >> 32)
		return false;
	if (r->uid != IOF_ANY_UID && r->uid != (__u32)bpf_get_current_uid_gid())
		return false;
	if (r->comm[0] && !comm_is(r->comm))
		return false;
	if (r->cgroup && !in_cgroup(r->cgroup))
		return false;
	return true;
}

/* ---- matching -------------------------------------------------------------- */

/*
 * The rule an IO falls under at @tier, or -1.  Rules are taken in order;
 * a deny rule takes any IO that overlaps it, an allow or audit rule only
 * an IO it covers whole, so that an exception never lets through the part
 * of an IO outside it.  The first deny rule @tier enforces wins, else the
 * first deny rule (another tier refuses the IO), else the first audit
 * rule the IO overlaps, else the first allow rule.  A global function:
 * verified once per program, not at every call.
 */
__noinline int iof_match(__u32 dev, __u64 sector, __u64 nr, __u32 ops, __u32 tier)
{
	__u64 last = nr ? sector + nr - 1 : IOF_SECTOR_MAX;
	int i, any = -1, audit = -1, deny = -1;

	if (last < sector)
		last = IOF_SECTOR_MAX;
	for (i = 0; i < IOF_MAX_RULES; i++) {
		const volatile struct iof_rule *r = &rules[i];

		if (i >= nr_rules)
			break;
		if (r->dev != dev || !(r->ops & ops) || r->end < sector ||
		    r->start > last || !who_matches(r))
			continue;
		if (r->action == IOF_DENY) {
			if (r->tiers & (1u << tier))
				return i;
			if (deny < 0)
				deny = i;
			continue;
		}
		if (any < 0)
			any = i;
		if (r->action == IOF_AUDIT && audit < 0)
			audit = i;
		if (r->start <= sector && r->end >= last)
			break;
	}
	return deny >= 0 ? deny : audit >= 0 ? audit : any;
}

static __always_inline int match(const struct io *io, __u32 tier)
{
	int rule = iof_match(io->dev, io->sector, io->nr, io->ops, tier);

	return rule >= 0 && rule < IOF_MAX_RULES ? rule : -1;
}

/* Rule @i of a match.  The mask is for the verifier: clang drops the
 * bounds match() checked from the register it indexes with. */
static __always_inline const volatile struct iof_rule *rule_at(int i)
{
	barrier_var(i);
	return &rules[i & (IOF_MAX_RULES - 1)];
}

/* The matched rule refuses this IO at @tier. */
static __always_inline bool denies(int rule, __u32 tier)
{
	return rule_at(rule)->action == IOF_DENY && (rule_at(rule)->tiers & (1u << tier));
}

static __always_inline void count(int rule, __u32 tier, const struct io *io, bool denied)
{
	__u32 key = (rule & (IOF_MAX_RULES - 1)) * IOF_NR_TIERS + tier;
	struct iof_count *c = bpf_map_lookup_elem(&counts, &key);

	if (!c)
		return;
	c->hits++;
	if (tier != IOF_TIER_DEVICE)	/* an open, not sectors */
		c->sectors += io->nr;
	if (denied)
		c->denied++;
}

static __always_inline void emit(const struct io *io, int rule, __u32 tier, bool denied)
{
	struct iof_event *e;
	__u64 id;

	if (rule < 0 || rule >= IOF_MAX_RULES)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped, 1);
		return;
	}
	id = bpf_get_current_pid_tgid();
	e->ts = bpf_ktime_get_ns();
	e->sector = io->sector;
	e->cgroup = bpf_get_current_cgroup_id();
	e->nr_sectors = tier == IOF_TIER_DEVICE ? 0 : io->nr > 0xffffffffull ? 0xffffffffu : io->nr;
	e->dev = io->dev;
	e->op = io->op;
	e->rule = rule;
	e->action = rule_at(rule)->action;
	e->tier = tier;
	e->denied = denied;
	e->pid = (__u32)id;
	e->tgid = id >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* Count, log, and say whether @tier refuses the IO. */
static __always_inline bool judge(const struct io *io, __u32 tier)
{
	int rule = match(io, tier);
	bool deny;

	if (rule < 0)
		return false;
	deny = denies(rule, tier);
	count(rule, tier, io, deny);
	if (deny)
		emit(io, rule, tier, true);
	return deny;
}

/* ---- where: partitions to disks -------------------------------------------- */

/*
 * The whole disk of @bdev, a disk or a partition, and in @start the
 * partition's first disk sector.  The one place that knows how kernels
 * lay this out; every hook goes through it.
 */
static __always_inline __u32 bdev_disk(struct block_device *bdev, __u64 *start)
{
	struct gendisk *disk = BPF_CORE_READ(bdev, bd_disk);
	__u32 dev = 0;

	*start = 0;
	if (bpf_core_field_exists(bdev->bd_start_sect))
		*start = BPF_CORE_READ(bdev, bd_start_sect);
	if (!disk)
		return BPF_CORE_READ(bdev, bd_dev);
	if (bpf_core_field_exists(disk->part0))
		dev = BPF_CORE_READ(disk, part0, bd_dev);
	if (!dev)
		dev = MKDEV(BPF_CORE_READ(disk, major), BPF_CORE_READ(disk, first_minor));
	return dev;
}

static __always_inline bool bio_op(__u32 opf, __u32 size, struct io *io)
{
	switch (opf & 0xff) {
	case REQ_OP_READ:
		io->op = IOF_OP_READ;
		break;
	case REQ_OP_WRITE:
	case REQ_OP_ZONE_APPEND:
		if (!size)
			return false;	/* an empty flush */
		io->op = IOF_OP_WRITE;
		break;
	case REQ_OP_FLUSH:
		return false;
	case REQ_OP_DISCARD:
	case REQ_OP_SECURE_ERASE:
		io->op = IOF_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		io->op = IOF_OP_ZEROOUT;
		break;
	default:
		io->op = IOF_OP_OTHER;
		break;
	}
	io->ops = io->op == IOF_OP_OTHER ? IOF_OP_MODIFY : io->op;
	return true;
}

/* A bio as an IO.  Before the partition remap (should_fail_bio) its
 * sector counts from the partition's start; BIO_REMAPPED says it was
 * done (block_bio_queue, or a bio split and resubmitted). */
static __always_inline bool bio_io(struct bio *bio, struct io *io)
{
	struct block_device *bdev;
	__u32 size, opf, remapped = bio_remapped_bit;
	__u64 start;

	if (!bpf_core_field_exists(bio->bi_bdev))
		return false;
	bdev = BPF_CORE_READ(bio, bi_bdev);
	if (!bdev)
		return false;
	size = BPF_CORE_READ(bio, bi_iter.bi_size);
	opf = BPF_CORE_READ(bio, bi_opf);
	if (!bio_op(opf, size, io))
		return false;
	io->dev = bdev_disk(bdev, &start);
	io->sector = BPF_CORE_READ(bio, bi_iter.bi_sector);
	if (remapped > 15 || !(BPF_CORE_READ(bio, bi_flags) & (1u << remapped)))
		io->sector += start;
	io->nr = size >> SECTOR_SHIFT;
	if (!io->nr)
		io->nr = 1;
	return true;
}

/* A block device file's disk and partition start; false for other files. */
static __always_inline bool file_disk(struct file *f, __u32 *dev, __u64 *start)
{
	struct inode *inode, *host;
	struct block_device *bdev;
	struct iof_part *p;
	__u32 rdev;

	if (!f)
		return false;
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFBLK)
		return false;
	rdev = BPF_CORE_READ(inode, i_rdev);
	/* an opened block device's mapping is its bdev inode's */
	host = BPF_CORE_READ(f, f_mapping, host);
	if (host && bpf_core_type_exists(struct bdev_inode)) {
		bdev = (void *)host - bpf_core_field_offset(struct bdev_inode, vfs_inode) +
		       bpf_core_field_offset(struct bdev_inode, bdev);
		if (BPF_CORE_READ(bdev, bd_dev) == rdev) {
			*dev = bdev_disk(bdev, start);
			return true;
		}
	}
	p = bpf_map_lookup_elem(&parts, &rdev);
	*dev = p ? p->disk : rdev;
	*start = p ? p->start : 0;
	return true;
}

/* @len bytes at byte @pos of a file on @dev from @start: sectors. */
static __always_inline bool bytes_io(struct io *io, __u32 dev, __u64 start, __s64 pos,
				     __u64 len)
{
	__u64 first, last;

	if (pos < 0 || !len)
		return false;
	first = (__u64)pos >> SECTOR_SHIFT;
	io->dev = dev;
	io->sector = start + first;
	if (len == IOF_SECTOR_MAX) {
		io->nr = 0;
		return true;
	}
	last = ((__u64)pos + len - 1) >> SECTOR_SHIFT;
	io->nr = last < first ? 0 : last - first + 1;
	return true;
}

static __always_inline void set_op(struct io *io, __u32 op)
{
	io->op = op;
	io->ops = op == IOF_OP_OTHER ? IOF_OP_MODIFY : op;
}

/* ---- audit: every bio ---------------------------------------------------- */

static __always_inline int audit_bio(struct bio *bio)
{
	struct io io;
	int rule;

	if (!nr_rules || !bio_io(bio, &io))
		return 0;
	rule = match(&io, IOF_TIER_AUDIT);
	if (rule < 0)
		return 0;
	count(rule, IOF_TIER_AUDIT, &io, false);
	if (rule_at(rule)->action != IOF_ALLOW)
		emit(&io, rule, IOF_TIER_AUDIT, false);
	return 0;
}

SEC("tp_btf/block_bio_queue")
int BPF_PROG(iof_audit, struct bio *bio)
{
	return audit_bio(bio);
}

SEC("raw_tp/block_bio_queue")
int BPF_PROG(iof_audit_raw, struct bio *bio)
{
	return audit_bio(bio);
}

/* ---- bio: fail denied bios before they reach the driver --------------------- */

SEC("fmod_ret/should_fail_bio")
int BPF_PROG(iof_bio, struct bio *bio, int ret)
{
	struct io io;

	if (ret || !nr_rules || !bio_io(bio, &io))
		return ret;
	return judge(&io, IOF_TIER_BIO) ? -EIO : 0;
}

/* ---- lsm: refuse the syscall ------------------------------------------------ */

static __always_inline void remember(struct file *file, __s64 pos, __u64 count, __u32 op)
{
	struct pending p = { .pos = pos, .count = count, .op = op };
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	if (!inode || (BPF_CORE_READ(inode, i_mode) & S_IFMT) != S_IFBLK)
		return;
	p.rdev = BPF_CORE_READ(inode, i_rdev);
	bpf_map_update_elem(&pending, &tid, &p, BPF_ANY);
}

SEC("fentry/rw_verify_area")
int BPF_PROG(iof_rw_verify_area, int read_write, struct file *file, const loff_t *ppos,
	     size_t count)
{
	__s64 pos = 0;

	if (ppos)
		bpf_probe_read_kernel(&pos, sizeof(pos), ppos);
	else
		pos = BPF_CORE_READ(file, f_pos);
	remember(file, pos, count, read_write ? IOF_OP_WRITE : IOF_OP_READ);
	return 0;
}

SEC("fentry/vfs_fallocate")
int BPF_PROG(iof_vfs_fallocate, struct file *file, int mode, loff_t offset, loff_t len)
{
	remember(file, offset, len,
		 mode & FALLOC_FL_NO_HIDE_STALE ? IOF_OP_DISCARD : IOF_OP_ZEROOUT);
	return 0;
}

/* The whole of @file's device, for what has no range (a mapping, a
 * passthrough command): refused if any of it is. */
static __always_inline bool whole_io(struct file *file, struct io *io, __u32 op)
{
	__u64 start;

	if (!file_disk(file, &io->dev, &start))
		return false;
	io->sector = 0;
	io->nr = 0;
	set_op(io, op);
	return true;
}

SEC("lsm/file_permission")
int BPF_PROG(iof_lsm_file_permission, struct file *file, int mask, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending *p;
	struct io io;
	__u64 start;

	if (ret || !(mask & (MAY_READ | MAY_WRITE)))
		return ret;
	if (!file_disk(file, &io.dev, &start))
		return 0;
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p && p->rdev == BPF_CORE_READ(file, f_inode, i_rdev)) {
		bool empty;

		set_op(&io, p->op);
		empty = !bytes_io(&io, io.dev, start, p->pos, p->count);
		bpf_map_delete_elem(&pending, &tid);
		if (empty)
			return 0;
	} else {
		/* no range known: judged as the whole device */
		set_op(&io, mask & MAY_WRITE ? IOF_OP_WRITE : IOF_OP_READ);
		io.sector = 0;
		io.nr = 0;
	}
	return judge(&io, IOF_TIER_LSM) ? -EPERM : 0;
}

static __always_inline int ioctl_check(struct file *file, unsigned int cmd, unsigned long arg)
{
	__u64 range[2], start;
	struct io io;

	switch (cmd) {
	case BLKDISCARD:
	case BLKSECDISCARD:
	case BLKZEROOUT:
		if (!file_disk(file, &io.dev, &start))
			return 0;
		set_op(&io, cmd == BLKZEROOUT ? IOF_OP_ZEROOUT : IOF_OP_DISCARD);
		if (bpf_probe_read_user(range, sizeof(range), (void *)arg)) {
			io.sector = 0;	/* unreadable here: the whole device */
			io.nr = 0;
		} else if (!bytes_io(&io, io.dev, start, range[0], range[1])) {
			return 0;
		}
		break;
	case SG_IO:
	case SCSI_IOCTL_SEND_COMMAND:
		if (!whole_io(file, &io, IOF_OP_OTHER))
			return 0;
		break;
	default:
		/* NVMe passthrough: 'N' 0x41-0x43 and 0x47-0x49 (64-bit) */
		if (((cmd >> 8) & 0xff) != 'N')
			return 0;
		switch (cmd & 0xff) {
		case 0x41: case 0x42: case 0x43:
		case 0x47: case 0x48: case 0x49:
			break;
		default:
			return 0;
		}
		if (!whole_io(file, &io, IOF_OP_OTHER))
			return 0;
		break;
	}
	return judge(&io, IOF_TIER_LSM) ? -EPERM : 0;
}

SEC("lsm/file_ioctl")
int BPF_PROG(iof_lsm_file_ioctl, struct file *file, unsigned int cmd, unsigned long arg,
	     int ret)
{
	return ret ?: ioctl_check(file, cmd, arg);
}

SEC("lsm/file_ioctl_compat")
int BPF_PROG(iof_lsm_file_ioctl_compat, struct file *file, unsigned int cmd,
	     unsigned long arg, int ret)
{
	return ret ?: ioctl_check(file, cmd, arg);
}

SEC("lsm/mmap_file")
int BPF_PROG(iof_lsm_mmap_file, struct file *file, unsigned long reqprot,
	     unsigned long prot, unsigned long flags, int ret)
{
	struct io io;

	if (ret || !file || !(prot & PROT_WRITE) || !(flags & MAP_SHARED))
		return ret;
	/* the offset is not known here: the whole device */
	if (!whole_io(file, &io, IOF_OP_WRITE))
		return 0;
	return judge(&io, IOF_TIER_LSM) ? -EPERM : 0;
}

SEC("lsm/file_mprotect")
int BPF_PROG(iof_lsm_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot,
	     unsigned long prot, int ret)
{
	struct file *file;
	__u64 start, off, len;
	struct io io;

	if (ret || !(prot & PROT_WRITE) || !(BPF_CORE_READ(vma, vm_flags) & VM_SHARED))
		return ret;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file_disk(file, &io.dev, &start))
		return 0;
	off = BPF_CORE_READ(vma, vm_pgoff) << PAGE_SHIFT;
	len = BPF_CORE_READ(vma, vm_end) - BPF_CORE_READ(vma, vm_start);
	set_op(&io, IOF_OP_WRITE);
	if (!bytes_io(&io, io.dev, start, off, len))
		return 0;
	return judge(&io, IOF_TIER_LSM) ? -EPERM : 0;
}

SEC("lsm/uring_cmd")
int BPF_PROG(iof_lsm_uring_cmd, struct io_uring_cmd *ioucmd, int ret)
{
	struct io_uring_cmd___v618 *c = (void *)ioucmd;
	struct file *file;
	struct io io;
	__u64 start;

	if (ret)
		return ret;
	file = BPF_CORE_READ(ioucmd, file);
	if (!file_disk(file, &io.dev, &start))
		return 0;
	if (bpf_core_field_exists(c->sqe) && BPF_CORE_READ(c, cmd_op) == BLOCK_URING_CMD_DISCARD) {
		const struct io_uring_sqe *sqe = BPF_CORE_READ(c, sqe);

		set_op(&io, IOF_OP_DISCARD);
		if (!bytes_io(&io, io.dev, start, BPF_CORE_READ(sqe, addr),
			      BPF_CORE_READ(sqe, addr3)))
			return 0;
	} else {
		io.sector = 0;
		io.nr = 0;
		set_op(&io, IOF_OP_OTHER);
	}
	return judge(&io, IOF_TIER_LSM) ? -EPERM : 0;
}

/* ---- device: refuse write opens --------------------------------------------- */

SEC("cgroup/dev")
int iof_device(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff, access = ctx->access_type >> 16;
	__u32 dev = MKDEV(ctx->major, ctx->minor);
	struct iof_part *p;
	struct io io;

	if (type != DEVCG_DEV_BLOCK || !(access & DEVCG_ACC_WRITE))
		return 1;
	p = bpf_map_lookup_elem(&parts, &dev);
	io.dev = p ? p->disk : dev;
	io.sector = p ? p->start : 0;
	io.nr = p ? p->nr : 0;
	set_op(&io, IOF_OP_WRITE);
	io.ops = IOF_OP_MODIFY;		/* a write open can do any of them */
	return judge(&io, IOF_TIER_DEVICE) ? 0 : 1;
}

/* ---- kill: SIGKILL the writer as its syscall starts -------------------------- */

static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;

	if (!fdt || fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Bytes of @cnt iovecs at user address @uptr (compat: 32-bit ones);
 * IOF_SECTOR_MAX when they cannot be read. */
__noinline __u64 iof_iov_bytes(__u64 uptr, __u32 cnt, __u32 compat)
{
	__u64 sum = 0;
	__u32 i, v[2];
	__u64 w[2];

	for (i = 0; i < MAX_IOV; i++) {
		if (i >= cnt)
			break;
		if (compat) {
			if (bpf_probe_read_user(v, sizeof(v), (void *)(uptr + i * 8)))
				return IOF_SECTOR_MAX;
			sum += v[1];
		} else {
			if (bpf_probe_read_user(w, sizeof(w), (void *)(uptr + i * 16)))
				return IOF_SECTOR_MAX;
			sum += w[1];
		}
	}
	return sum;
}

/* Kill the writer if @len bytes at @pos of @file fall under a rule the
 * kill tier enforces.  pos -1: the file's position. */
static __always_inline bool kill_check(struct file *file, __s64 pos, __u64 len, __u32 op)
{
	__u64 start;
	struct io io;

	if (!file_disk(file, &io.dev, &start))
		return false;
	if (pos == -1)
		pos = BPF_CORE_READ(file, f_pos);
	set_op(&io, op);
	if (!bytes_io(&io, io.dev, start, pos, len))
		return false;
	if (!judge(&io, IOF_TIER_KILL))
		return false;
	bpf_send_signal(SIGKILL);
	return true;
}

#ifdef __TARGET_ARCH_x86
/* x86-64 and ia32 system calls that write, by kind */
enum sc {
	SC_NONE, SC_WRITE, SC_PWRITE, SC_WRITEV, SC_PWRITEV, SC_PWRITEV2,
	SC_FALLOCATE, SC_IOCTL, SC_SENDFILE, SC_SPLICE, SC_MMAP, SC_MMAP2,
	SC_OLD_MMAP, SC_IO_SUBMIT,
};

static __always_inline int sc_kind(long id, bool compat)
{
	if (!compat) {
		switch (id) {
		case 1: return SC_WRITE;
		case 18: return SC_PWRITE;
		case 20: return SC_WRITEV;
		case 296: return SC_PWRITEV;
		case 328: return SC_PWRITEV2;
		case 285: return SC_FALLOCATE;
		case 16: return SC_IOCTL;
		case 40: return SC_SENDFILE;
		case 275: return SC_SPLICE;
		case 326: return SC_SPLICE;	/* copy_file_range: same arguments */
		case 9: return SC_MMAP;
		case 209: return SC_IO_SUBMIT;
		}
		return SC_NONE;
	}
	switch (id) {
	case 4: return SC_WRITE;
	case 181: return SC_PWRITE;
	case 146: return SC_WRITEV;
	case 334: return SC_PWRITEV;
	case 379: return SC_PWRITEV2;
	case 324: return SC_FALLOCATE;
	case 54: return SC_IOCTL;
	case 187: return SC_SENDFILE;
	case 239: return SC_SENDFILE;
	case 313: return SC_SPLICE;
	case 377: return SC_SPLICE;
	case 192: return SC_MMAP2;
	case 90: return SC_OLD_MMAP;
	case 248: return SC_IO_SUBMIT;
	}
	return SC_NONE;
}

static __always_inline bool maybe_write_syscall(long id)
{
	switch (id) {
	case 1: case 4: case 9: case 16: case 18: case 20: case 40: case 54:
	case 90: case 146: case 181: case 187: case 192: case 209: case 239:
	case 248: case 275: case 285: case 296: case 313: case 324: case 326:
	case 328: case 334: case 377: case 379:
		return true;
	}
	return false;
}

static __always_inline bool task_compat(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	if (!bpf_core_field_exists(t->thread_info.status))
		return false;
	return BPF_CORE_READ(t, thread_info.status) & TS_COMPAT;
}

static __always_inline void mmap_check(int fd, __u64 len, __u64 prot, __u64 flags, __u64 off)
{
	struct file *file;

	if (!(flags & MAP_SHARED) || (flags & MAP_ANONYMOUS))
		return;
	file = fd_file(fd);
	/* read-only but on a writable descriptor: mprotect() could make it
	 * writable later, unseen here */
	if (!(prot & PROT_WRITE) && !(BPF_CORE_READ(file, f_mode) & FMODE_WRITE))
		return;
	kill_check(file, off, len, IOF_OP_WRITE);
}

static __always_inline void io_submit_check(__u64 uptr, long nr, bool compat)
{
	struct iocb cb;
	__u64 p = 0;
	int i;

	for (i = 0; i < MAX_IOCB; i++) {
		struct file *file;
		__u64 len;

		if (i >= nr)
			break;
		if (compat ? bpf_probe_read_user(&p, 4, (void *)(uptr + i * 4)) :
			     bpf_probe_read_user(&p, 8, (void *)(uptr + i * 8)))
			return;
		if (bpf_probe_read_user(&cb, sizeof(cb), (void *)p))
			return;
		if (cb.aio_lio_opcode != IOCB_CMD_PWRITE && cb.aio_lio_opcode != IOCB_CMD_PWRITEV)
			continue;
		file = fd_file(cb.aio_fildes);
		len = cb.aio_lio_opcode == IOCB_CMD_PWRITE ? cb.aio_nbytes :
		      iof_iov_bytes(cb.aio_buf, cb.aio_nbytes, compat);
		if (kill_check(file, cb.aio_offset, len, IOF_OP_WRITE))
			return;
	}
}

static __always_inline int sys_enter(struct pt_regs *regs, long id)
{
	__u64 a0, a1, a2, a3, a4, a5, range[2] = {};
	bool compat;
	__s64 pos;
	int kind;

	if (!nr_rules || !maybe_write_syscall(id))
		return 0;
	compat = task_compat();
	kind = sc_kind(id, compat);
	if (kind == SC_NONE)
		return 0;
	if (compat) {
		a0 = (__u32)BPF_CORE_READ(regs, bx);
		a1 = (__u32)BPF_CORE_READ(regs, cx);
		a2 = (__u32)BPF_CORE_READ(regs, dx);
		a3 = (__u32)BPF_CORE_READ(regs, si);
		a4 = (__u32)BPF_CORE_READ(regs, di);
		a5 = (__u32)BPF_CORE_READ(regs, bp);
	} else {
		a0 = BPF_CORE_READ(regs, di);
		a1 = BPF_CORE_READ(regs, si);
		a2 = BPF_CORE_READ(regs, dx);
		a3 = BPF_CORE_READ(regs, r10);
		a4 = BPF_CORE_READ(regs, r8);
		a5 = BPF_CORE_READ(regs, r9);
	}

	switch (kind) {
	case SC_WRITE:
		kill_check(fd_file(a0), -1, a2, IOF_OP_WRITE);
		break;
	case SC_PWRITE:
		kill_check(fd_file(a0), compat ? a3 | a4 << 32 : a3, a2, IOF_OP_WRITE);
		break;
	case SC_WRITEV:
	case SC_PWRITEV:
	case SC_PWRITEV2: {
		struct file *file = fd_file(a0);
		__u64 start;
		__u32 dev;

		/* the iovecs only for a block device */
		if (!file_disk(file, &dev, &start))
			break;
		pos = kind == SC_WRITEV ? -1 : compat ? (__s64)(a3 | a4 << 32) : (__s64)a3;
		kill_check(file, pos, iof_iov_bytes(a1, a2, compat), IOF_OP_WRITE);
		break;
	}
	case SC_FALLOCATE:
		kill_check(fd_file(a0), compat ? a2 | a3 << 32 : a2, compat ? a4 | a5 << 32 : a3,
			   a1 & FALLOC_FL_NO_HIDE_STALE ? IOF_OP_DISCARD : IOF_OP_ZEROOUT);
		break;
	case SC_IOCTL: {
		__u32 cmd = a1;
		struct file *file;
		struct io io;
		__u64 start;

		if (cmd == BLKDISCARD || cmd == BLKSECDISCARD || cmd == BLKZEROOUT) {
			if (bpf_probe_read_user(range, sizeof(range), (void *)a2))
				break;
			kill_check(fd_file(a0), range[0], range[1],
				   cmd == BLKZEROOUT ? IOF_OP_ZEROOUT : IOF_OP_DISCARD);
			break;
		}
		if (cmd != SG_IO && cmd != SCSI_IOCTL_SEND_COMMAND &&
		    !(((cmd >> 8) & 0xff) == 'N' && ((cmd & 0xff) - 0x41 < 3 ||
						      (cmd & 0xff) - 0x47 < 3)))
			break;
		file = fd_file(a0);
		if (!file_disk(file, &io.dev, &start))
			break;
		io.sector = 0;
		io.nr = 0;
		set_op(&io, IOF_OP_OTHER);
		if (judge(&io, IOF_TIER_KILL))
			bpf_send_signal(SIGKILL);
		break;
	}
	case SC_SENDFILE:
		kill_check(fd_file(a0), -1, a3, IOF_OP_WRITE);
		break;
	case SC_SPLICE: {
		/* splice and copy_file_range: (in, off_in, out, off_out, len) */
		__s64 off = -1;

		if (a3 && bpf_probe_read_user(&off, sizeof(off), (void *)a3))
			break;
		kill_check(fd_file(a2), off, a4, IOF_OP_WRITE);
		break;
	}
	case SC_MMAP:
		mmap_check(a4, a1, a2, a3, a5);
		break;
	case SC_MMAP2:
		mmap_check(a4, a1, a2, a3, a5 << PAGE_SHIFT);
		break;
	case SC_OLD_MMAP: {
		__u32 m[6];	/* addr, len, prot, flags, fd, offset */

		if (bpf_probe_read_user(m, sizeof(m), (void *)a0))
			break;
		mmap_check(m[4], m[1], m[2], m[3], m[5]);
		break;
	}
	case SC_IO_SUBMIT:
		io_submit_check(a2, (long)a1, compat);
		break;
	}
	return 0;
}
#else
/* the system call numbers and registers above are x86's: elsewhere user
 * space does not load the kill tier */
static __always_inline int sys_enter(struct pt_regs *regs, long id)
{
	return 0;
}
#endif

SEC("tp_btf/sys_enter")
int BPF_PROG(iof_kill_sys, struct pt_regs *regs, long id)
{
	return sys_enter(regs, id);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(iof_kill_sys_raw, struct pt_regs *regs, long id)
{
	return sys_enter(regs, id);
}

/* A registered file of the request's ring. */
static __always_inline struct file *uring_fixed_file(struct io_kiocb *req, __u32 idx)
{
	struct io_ring_ctx *ctx = BPF_CORE_READ(req, ctx);
	struct io_ring_ctx___v61 *old = (void *)ctx;
	unsigned long ptr = 0;

	if (bpf_core_field_exists(old->file_table.files)) {
		struct io_fixed_file___v61 *files;

		if (idx >= BPF_CORE_READ(old, nr_user_files))
			return NULL;
		files = BPF_CORE_READ(old, file_table.files);
		bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[idx]);
	} else {
		struct io_rsrc_node **nodes, *node = NULL;

		if (idx >= BPF_CORE_READ(ctx, file_table.data.nr))
			return NULL;
		nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
		bpf_probe_read_kernel(&node, sizeof(node), &nodes[idx]);
		if (!node)
			return NULL;
		ptr = BPF_CORE_READ(node, file_ptr);
	}
	return (struct file *)(ptr & ~7ul);	/* flags in the low bits */
}

static __always_inline int uring_submit(struct io_kiocb *req)
{
	__u8 opcode = BPF_CORE_READ(req, opcode);
	void *cmd = (void *)req + bpf_core_field_offset(struct io_kiocb, cmd);
	struct io_ring_ctx *ctx;
	struct file *file;
	__s64 pos = -1;
	__u64 len = 0;
	__u32 op = IOF_OP_WRITE;
	int fd;

	switch (opcode) {
	case IORING_WRITEV: case IORING_WRITE_FIXED: case IORING_FALLOCATE:
	case IORING_WRITE: case IORING_SPLICE: case IORING_URING_CMD:
	case IORING_WRITEV_FIXED:
		break;
	default:
		return 0;
	}
	if (!nr_rules)
		return 0;
	fd = BPF_CORE_READ(req, cqe.fd);
	if (BPF_CORE_READ_BITFIELD_PROBED(req, flags) & REQ_FIXED_FILE)
		file = uring_fixed_file(req, fd);
	else
		file = fd_file(fd);
	{
		__u64 start;
		__u32 dev;

		if (!file_disk(file, &dev, &start))
			return 0;
	}
	switch (opcode) {
	case IORING_WRITE:
	case IORING_WRITE_FIXED:
		pos = BPF_CORE_READ((struct io_rw *)cmd, kiocb.ki_pos);
		len = BPF_CORE_READ((struct io_rw *)cmd, len);
		break;
	case IORING_WRITEV:
	case IORING_WRITEV_FIXED:
		ctx = BPF_CORE_READ(req, ctx);
		pos = BPF_CORE_READ((struct io_rw *)cmd, kiocb.ki_pos);
		len = iof_iov_bytes(BPF_CORE_READ((struct io_rw *)cmd, addr),
				    BPF_CORE_READ((struct io_rw *)cmd, len),
				    bpf_core_field_exists(ctx->compat) ?
				    BPF_CORE_READ_BITFIELD_PROBED(ctx, compat) : 0);
		break;
	case IORING_FALLOCATE:
		pos = BPF_CORE_READ((struct io_sync *)cmd, off);
		len = BPF_CORE_READ((struct io_sync *)cmd, len);
		op = BPF_CORE_READ((struct io_sync *)cmd, mode) & FALLOC_FL_NO_HIDE_STALE ?
		     IOF_OP_DISCARD : IOF_OP_ZEROOUT;
		break;
	case IORING_SPLICE:
		pos = BPF_CORE_READ((struct io_splice *)cmd, off_out);
		len = BPF_CORE_READ((struct io_splice *)cmd, len);
		break;
	case IORING_URING_CMD: {
		struct io_uring_cmd___v618 *c = cmd;
		const struct io_uring_sqe *sqe;

		if (!bpf_core_field_exists(c->sqe) ||
		    BPF_CORE_READ(c, cmd_op) != BLOCK_URING_CMD_DISCARD)
			return 0;
		sqe = BPF_CORE_READ(c, sqe);
		pos = BPF_CORE_READ(sqe, addr);
		len = BPF_CORE_READ(sqe, addr3);
		op = IOF_OP_DISCARD;
		break;
	}
	}
	kill_check(file, pos, len, op);
	return 0;
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(iof_kill_uring, struct io_kiocb *req)
{
	return uring_submit(req);
}

/* 6.1 calls it io_uring_submit_sqe, with one more argument */
SEC("tp_btf/io_uring_submit_sqe")
int BPF_PROG(iof_kill_uring_sqe, struct io_kiocb *req, bool force_nonblock)
{
	return uring_submit(req);
}
