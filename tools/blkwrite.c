// SPDX-License-Identifier: GPL-2.0
/*
 * blkwrite: write a range of a block device by one of the ways user space
 * has to change a block device's bytes, for iofilter's tests.  A test runs
 * every method against a protected range and checks two things: what the
 * writer was told, and whether the bytes on the device changed.
 *
 *   blkwrite METHOD DEV SECTOR COUNT [PATTERN_BYTE]
 *   blkwrite --list
 *
 * writes COUNT 512-byte sectors at SECTOR of DEV (a block device, or a
 * regular file) and prints one line on stdout:
 *
 *   METHOD rc=0            exit 0
 *   METHOD errno=EPERM     exit 1; stderr says which call failed
 *
 * Usage errors exit 2 and print nothing on stdout.  A writer killed by a
 * signal (iofilter's kill tier) prints nothing either: the caller sees the
 * signal in the exit status.  No signal is caught.
 *
 * Data methods write PATTERN_BYTE (0xa5 by default).  The discard, zero
 * and fallocate methods carry no data: they leave zeros, so check them
 * against a non-zero background.  Buffered methods do not sync: their
 * bios are issued at writeback (the last close of the device, or
 * `blockdev --flushbufs`), so a refused bio shows in the bytes, not in
 * the writer's status; fsync-after-write, sync_file_range, pwritev2
 * (RWF_DSYNC) and mmap (msync) wait for the device and report it.
 *
 * io_uring and aio go through the raw system calls so that the static
 * build for the test guests needs nothing but libc.  Single file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/aio_abi.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <scsi/sg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#define BW_SECTOR	512ull
#define BW_ALIGN	4096		/* buffers: enough for any O_DIRECT */
#define BW_MAX_COUNT	(1ull << 21)	/* sectors: 1 GiB */
#define BW_SG_CHUNK	128u		/* SG_IO: blocks per WRITE(10) */

/* newer than the uapi headers of the build machine (Debian 12: 6.1) */
#ifndef FALLOC_FL_WRITE_ZEROES
#define FALLOC_FL_WRITE_ZEROES	0x80
#endif
#ifndef BLOCK_URING_CMD_DISCARD
#define BLOCK_URING_CMD_DISCARD	_IO(0x12, 0)
#endif

struct bw_ctx {
	const char *method;
	const char *dev;
	uint64_t off;		/* bytes */
	size_t len;		/* bytes */
	unsigned char *buf;	/* len bytes of the pattern, BW_ALIGN aligned */
	const char *step;	/* the call that failed */
};

struct bw_method {
	const char *name;
	int (*run)(struct bw_ctx *c);
	const char *help;
};

__attribute__((noreturn, format(printf, 1, 2)))
static void bw_bad(const char *fmt, ...)
{
	va_list ap;

	fputs("blkwrite: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* Record the failing call and return -errno: `return bw_err(c, "fsync");` */
static int bw_err(struct bw_ctx *c, const char *step)
{
	int err = errno;

	c->step = step;
	return -err;
}

/*
 * Open the device for one method.  The range is checked here, on the
 * method's own descriptor, so that each run opens the device exactly once
 * and a range past the end is a usage error rather than a SIGBUS (mmap)
 * or a short write that looks like a refusal.
 */
static int bw_open(struct bw_ctx *c, int flags)
{
	uint64_t size;
	struct stat st;
	int fd;

	fd = open(c->dev, flags | O_CLOEXEC);
	if (fd < 0)
		return bw_err(c, "open");
	if (fstat(fd, &st) == 0 && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) == 0 &&
		    c->off + c->len > size)
			bw_bad("%s: sectors %llu..%llu are past the end (%llu sectors)",
			       c->dev, (unsigned long long)(c->off / BW_SECTOR),
			       (unsigned long long)((c->off + c->len) / BW_SECTOR - 1),
			       (unsigned long long)(size / BW_SECTOR));
	}
	return fd;
}

static void bw_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- write(2) family ---------------------------------------------------- */

enum bw_call { BW_WRITE, BW_PWRITE, BW_WRITEV, BW_PWRITEV, BW_PWRITEV2 };

/*
 * One call of @how over the rest of the buffer, the vectored ones with
 * the rest split in two iovecs so the kernel really walks a vector.
 */
static ssize_t bw_call_once(enum bw_call how, int fd, unsigned char *p,
			    size_t n, off_t off)
{
	struct iovec iov[2] = {
		{ .iov_base = p, .iov_len = n / 2 },
		{ .iov_base = p + n / 2, .iov_len = n - n / 2 },
	};
	int nr = n / 2 ? 2 : 1;
	struct iovec *v = n / 2 ? iov : iov + 1;

	switch (how) {
	case BW_WRITE:
		return write(fd, p, n);
	case BW_PWRITE:
		return pwrite(fd, p, n, off);
	case BW_WRITEV:
		return writev(fd, v, nr);
	case BW_PWRITEV:
		return pwritev(fd, v, nr, off);
	case BW_PWRITEV2:
		return pwritev2(fd, v, nr, off, RWF_DSYNC);
	}
	errno = EINVAL;
	return -1;
}

/* Write the whole buffer at c->off through @how, resuming short writes. */
static int bw_write_all(struct bw_ctx *c, int fd, enum bw_call how,
			const char *step)
{
	size_t done = 0;
	ssize_t r;

	if ((how == BW_WRITE || how == BW_WRITEV) &&
	    lseek(fd, c->off, SEEK_SET) < 0)
		return bw_err(c, "lseek");
	while (done < c->len) {
		r = bw_call_once(how, fd, c->buf + done, c->len - done,
				 c->off + done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return bw_err(c, step);
		}
		if (r == 0) {
			/* the kernel took nothing and said nothing */
			errno = EIO;
			return bw_err(c, step);
		}
		done += r;
	}
	return 0;
}

static int bw_simple(struct bw_ctx *c, int flags, enum bw_call how,
		     const char *step)
{
	int fd, err;

	fd = bw_open(c, O_RDWR | flags);
	if (fd < 0)
		return fd;
	err = bw_write_all(c, fd, how, step);
	close(fd);
	return err;
}

static int bw_write(struct bw_ctx *c)
{
	return bw_simple(c, 0, BW_WRITE, "write");
}

static int bw_pwrite(struct bw_ctx *c)
{
	return bw_simple(c, 0, BW_PWRITE, "pwrite");
}

static int bw_writev(struct bw_ctx *c)
{
	return bw_simple(c, 0, BW_WRITEV, "writev");
}

static int bw_pwritev(struct bw_ctx *c)
{
	return bw_simple(c, 0, BW_PWRITEV, "pwritev");
}

static int bw_pwritev2(struct bw_ctx *c)
{
	return bw_simple(c, 0, BW_PWRITEV2, "pwritev2");
}

static int bw_odirect(struct bw_ctx *c)
{
	return bw_simple(c, O_DIRECT, BW_PWRITE, "pwrite");
}

static int bw_osync(struct bw_ctx *c)
{
	return bw_simple(c, O_SYNC, BW_PWRITE, "pwrite");
}

static int bw_fsync_after_write(struct bw_ctx *c)
{
	int fd, err;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	err = bw_write_all(c, fd, BW_PWRITE, "pwrite");
	if (!err && fsync(fd))
		err = bw_err(c, "fsync");
	close(fd);
	return err;
}

static int bw_sync_file_range(struct bw_ctx *c)
{
	int fd, err;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	err = bw_write_all(c, fd, BW_PWRITE, "pwrite");
	if (!err && sync_file_range(fd, c->off, c->len,
				    SYNC_FILE_RANGE_WAIT_BEFORE |
				    SYNC_FILE_RANGE_WRITE |
				    SYNC_FILE_RANGE_WAIT_AFTER))
		err = bw_err(c, "sync_file_range");
	close(fd);
	return err;
}

/* ---- mappings ----------------------------------------------------------- */

/*
 * A shared mapping of the pages around the range, the range filled with
 * the pattern through it, then msync(MS_SYNC).  With @mprotect the map is
 * made read-only first and upgraded, the path a file_mprotect hook sees.
 */
static int bw_map(struct bw_ctx *c, bool upgrade)
{
	size_t pg = sysconf(_SC_PAGESIZE);
	uint64_t moff = c->off & ~(uint64_t)(pg - 1);
	size_t mlen = c->off - moff + c->len;
	unsigned char *m;
	int fd, err = 0;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	m = mmap(NULL, mlen, upgrade ? PROT_READ : PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, moff);
	if (m == MAP_FAILED) {
		err = bw_err(c, "mmap");
		goto out_close;
	}
	if (upgrade && mprotect(m, mlen, PROT_READ | PROT_WRITE)) {
		err = bw_err(c, "mprotect");
		goto out_unmap;
	}
	memset(m + (c->off - moff), c->buf[0], c->len);
	if (msync(m, mlen, MS_SYNC))
		err = bw_err(c, "msync");
out_unmap:
	munmap(m, mlen);
out_close:
	close(fd);
	return err;
}

static int bw_mmap(struct bw_ctx *c)
{
	return bw_map(c, false);
}

static int bw_mmap_mprotect(struct bw_ctx *c)
{
	return bw_map(c, true);
}

/* ---- from another file: sendfile, splice, copy_file_range --------------- */

/* An unlinked file in $TMPDIR (or /tmp) holding the pattern. */
static int bw_source_file(struct bw_ctx *c)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	size_t done = 0;
	ssize_t r;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/blkwrite.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return bw_err(c, "source file");
		unlink(path);
	}
	while (done < c->len) {
		r = write(fd, c->buf + done, c->len - done);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (!r)
				errno = EIO;
			r = bw_err(c, "source file");
			close(fd);
			return r;
		}
		done += r;
	}
	return fd;
}

static int bw_sendfile(struct bw_ctx *c)
{
	int in, fd, err = 0;
	off_t in_off = 0;
	ssize_t r;

	in = bw_source_file(c);
	if (in < 0)
		return in;
	fd = bw_open(c, O_RDWR);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	/* sendfile writes at the output's file position */
	if (lseek(fd, c->off, SEEK_SET) < 0) {
		err = bw_err(c, "lseek");
		goto out;
	}
	while ((size_t)in_off < c->len) {
		r = sendfile(fd, in, &in_off, c->len - in_off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			err = bw_err(c, "sendfile");
			goto out;
		}
	}
out:
	bw_close(fd);
	close(in);
	return err;
}

static int bw_copy_file_range(struct bw_ctx *c)
{
	loff_t in_off = 0, out_off = c->off;
	int in, fd, err = 0;
	ssize_t r;

	in = bw_source_file(c);
	if (in < 0)
		return in;
	fd = bw_open(c, O_RDWR);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	while ((size_t)in_off < c->len) {
		r = copy_file_range(in, &in_off, fd, &out_off,
				    c->len - in_off, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			err = bw_err(c, "copy_file_range");
			goto out;
		}
	}
out:
	bw_close(fd);
	close(in);
	return err;
}

/* The pattern into a pipe with write(2), out of it into the device. */
static int bw_splice(struct bw_ctx *c)
{
	size_t done = 0, chunk, moved;
	loff_t out_off = c->off;
	int p[2], fd, err = 0;
	ssize_t r;
	long psz;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	if (pipe2(p, O_CLOEXEC)) {
		err = bw_err(c, "pipe");
		close(fd);
		return err;
	}
	psz = fcntl(p[1], F_GETPIPE_SZ);
	if (psz <= 0)
		psz = 65536;
	while (done < c->len) {
		chunk = c->len - done;
		if (chunk > (size_t)psz)
			chunk = psz;
		r = write(p[1], c->buf + done, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			err = bw_err(c, "write to pipe");
			goto out;
		}
		chunk = r;
		for (moved = 0; moved < chunk; moved += r) {
			r = splice(p[0], NULL, fd, &out_off, chunk - moved, 0);
			if (r < 0 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0) {
				if (!r)
					errno = EIO;
				err = bw_err(c, "splice");
				goto out;
			}
		}
		done += chunk;
	}
out:
	close(p[0]);
	close(p[1]);
	close(fd);
	return err;
}

/* ---- no data: fallocate and the block ioctls ---------------------------- */

static int bw_falloc(struct bw_ctx *c, int mode)
{
	int fd, err = 0;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	if (fallocate(fd, mode, c->off, c->len))
		err = bw_err(c, "fallocate");
	close(fd);
	return err;
}

static int bw_fallocate_punch(struct bw_ctx *c)
{
	return bw_falloc(c, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
}

static int bw_fallocate_zero(struct bw_ctx *c)
{
	return bw_falloc(c, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);
}

static int bw_fallocate_writezeroes(struct bw_ctx *c)
{
	return bw_falloc(c, FALLOC_FL_WRITE_ZEROES);
}

static int bw_range_ioctl(struct bw_ctx *c, unsigned long req,
			  const char *step)
{
	uint64_t range[2] = { c->off, c->len };
	int fd, err = 0;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	if (ioctl(fd, req, range))
		err = bw_err(c, step);
	close(fd);
	return err;
}

static int bw_blkdiscard(struct bw_ctx *c)
{
	return bw_range_ioctl(c, BLKDISCARD, "ioctl BLKDISCARD");
}

static int bw_blkzeroout(struct bw_ctx *c)
{
	return bw_range_ioctl(c, BLKZEROOUT, "ioctl BLKZEROOUT");
}

static int bw_blksecdiscard(struct bw_ctx *c)
{
	return bw_range_ioctl(c, BLKSECDISCARD, "ioctl BLKSECDISCARD");
}

/* ---- SCSI passthrough: SG_IO WRITE(10) ---------------------------------- */

static int bw_sg_io_write(struct bw_ctx *c)
{
	unsigned char cdb[10], sense[32];
	struct sg_io_hdr h;
	uint64_t lba, nr, done = 0;
	unsigned int n;
	int fd, bsz, err = 0;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	/* WRITE(10) counts logical blocks, which may be larger than 512 */
	if (ioctl(fd, BLKSSZGET, &bsz))
		bsz = BW_SECTOR;
	if (bsz <= 0 || c->off % bsz || c->len % bsz ||
	    (c->off + c->len) / bsz > 0xffffffffull) {
		errno = EINVAL;
		err = bw_err(c, "SG_IO WRITE(10) range");
		goto out;
	}
	lba = c->off / bsz;
	nr = c->len / bsz;
	while (done < nr) {
		n = nr - done > BW_SG_CHUNK ? BW_SG_CHUNK : nr - done;
		memset(cdb, 0, sizeof(cdb));
		cdb[0] = 0x2a;		/* WRITE(10) */
		cdb[2] = (lba + done) >> 24;
		cdb[3] = (lba + done) >> 16;
		cdb[4] = (lba + done) >> 8;
		cdb[5] = lba + done;
		cdb[7] = n >> 8;
		cdb[8] = n;
		memset(&h, 0, sizeof(h));
		h.interface_id = 'S';
		h.dxfer_direction = SG_DXFER_TO_DEV;
		h.cmd_len = sizeof(cdb);
		h.cmdp = cdb;
		h.dxfer_len = n * bsz;
		h.dxferp = c->buf + done * bsz;
		h.mx_sb_len = sizeof(sense);
		h.sbp = sense;
		h.timeout = 20000;	/* ms */
		if (ioctl(fd, SG_IO, &h)) {
			err = bw_err(c, "ioctl SG_IO");
			goto out;
		}
		if ((h.info & SG_INFO_OK_MASK) != SG_INFO_OK) {
			fprintf(stderr,
				"blkwrite: SG_IO WRITE(10): status 0x%x host 0x%x driver 0x%x sense key 0x%x\n",
				h.status, h.host_status, h.driver_status,
				h.sb_len_wr > 2 ? sense[2] & 0xf : 0);
			errno = EIO;
			err = bw_err(c, "ioctl SG_IO");
			goto out;
		}
		done += n;
	}
out:
	close(fd);
	return err;
}

/* ---- io_uring, by the raw system calls ----------------------------------- */

struct bw_ring {
	int fd;
	void *sq, *cq;
	size_t sq_len, cq_len;
	struct io_uring_sqe *sqes;
	size_t sqes_len;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_cqe *cqes;
};

static void bw_ring_exit(struct bw_ring *r)
{
	if (r->sqes && r->sqes != MAP_FAILED)
		munmap(r->sqes, r->sqes_len);
	if (r->cq && r->cq != MAP_FAILED && r->cq != r->sq)
		munmap(r->cq, r->cq_len);
	if (r->sq && r->sq != MAP_FAILED)
		munmap(r->sq, r->sq_len);
	if (r->fd >= 0)
		close(r->fd);
}

static int bw_ring_init(struct bw_ctx *c, struct bw_ring *r)
{
	struct io_uring_params p;
	int err;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	r->fd = syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return bw_err(c, "io_uring_setup");
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		if (r->cq_len > r->sq_len)
			r->sq_len = r->cq_len;
		r->cq_len = r->sq_len;
	}
	r->sq = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq == MAP_FAILED)
		goto fail;
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		r->cq = r->sq;
	} else {
		r->cq = mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_POPULATE, r->fd,
			     IORING_OFF_CQ_RING);
		if (r->cq == MAP_FAILED)
			goto fail;
	}
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;
	r->sq_tail = (unsigned int *)((char *)r->sq + p.sq_off.tail);
	r->sq_mask = (unsigned int *)((char *)r->sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned int *)((char *)r->sq + p.sq_off.array);
	r->cq_head = (unsigned int *)((char *)r->cq + p.cq_off.head);
	r->cq_tail = (unsigned int *)((char *)r->cq + p.cq_off.tail);
	r->cq_mask = (unsigned int *)((char *)r->cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)r->cq + p.cq_off.cqes);
	return 0;
fail:
	err = bw_err(c, "io_uring mmap");
	bw_ring_exit(r);
	return err;
}

/* Submit @sqe, wait for its completion, return cqe->res. */
static int bw_ring_run(struct bw_ctx *c, struct bw_ring *r,
		       const struct io_uring_sqe *sqe, int *res)
{
	unsigned int tail = *r->sq_tail, head, idx;
	long ret;

	idx = tail & *r->sq_mask;
	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	ret = syscall(__NR_io_uring_enter, r->fd, 1, 1,
		      IORING_ENTER_GETEVENTS, NULL, 0);
	while (ret < 0 && errno == EINTR)
		ret = syscall(__NR_io_uring_enter, r->fd, 0, 1,
			      IORING_ENTER_GETEVENTS, NULL, 0);
	if (ret < 0)
		return bw_err(c, "io_uring_enter");
	head = *r->cq_head;
	while (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE)) {
		ret = syscall(__NR_io_uring_enter, r->fd, 0, 1,
			      IORING_ENTER_GETEVENTS, NULL, 0);
		if (ret < 0 && errno != EINTR)
			return bw_err(c, "io_uring_enter");
	}
	*res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

static int bw_uring_write(struct bw_ctx *c, int flags)
{
	struct io_uring_sqe sqe;
	struct bw_ring r;
	size_t done = 0;
	int fd, err, res;

	fd = bw_open(c, O_RDWR | flags);
	if (fd < 0)
		return fd;
	err = bw_ring_init(c, &r);
	if (err)
		goto out_close;
	while (done < c->len) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_WRITE;
		sqe.fd = fd;
		sqe.addr = (uintptr_t)(c->buf + done);
		sqe.len = c->len - done;
		sqe.off = c->off + done;
		err = bw_ring_run(c, &r, &sqe, &res);
		if (err)
			break;
		if (res <= 0) {
			errno = res ? -res : EIO;
			err = bw_err(c, "io_uring IORING_OP_WRITE");
			break;
		}
		done += res;
	}
	bw_ring_exit(&r);
out_close:
	close(fd);
	return err;
}

static int bw_io_uring_write(struct bw_ctx *c)
{
	return bw_uring_write(c, 0);
}

static int bw_io_uring_direct(struct bw_ctx *c)
{
	return bw_uring_write(c, O_DIRECT);
}

/* The block layer's own uring command: a discard that is not an ioctl. */
static int bw_io_uring_discard(struct bw_ctx *c)
{
	struct io_uring_sqe sqe;
	struct bw_ring r;
	int fd, err, res;

	fd = bw_open(c, O_RDWR);
	if (fd < 0)
		return fd;
	err = bw_ring_init(c, &r);
	if (err)
		goto out_close;
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = IORING_OP_URING_CMD;
	sqe.fd = fd;
	sqe.cmd_op = BLOCK_URING_CMD_DISCARD;
	sqe.addr = c->off;
	sqe.addr3 = c->len;
	err = bw_ring_run(c, &r, &sqe, &res);
	if (!err && res < 0) {
		errno = -res;
		err = bw_err(c, "io_uring BLOCK_URING_CMD_DISCARD");
	}
	bw_ring_exit(&r);
out_close:
	close(fd);
	return err;
}

/* ---- Linux native aio, by the raw system calls --------------------------- */

static int bw_aio(struct bw_ctx *c)
{
	struct iocb cb, *cbs[1] = { &cb };
	aio_context_t ctx = 0;
	struct io_event ev;
	size_t done = 0;
	int fd, err = 0;
	long ret;

	fd = bw_open(c, O_RDWR | O_DIRECT);
	if (fd < 0)
		return fd;
	if (syscall(__NR_io_setup, 1, &ctx)) {
		err = bw_err(c, "io_setup");
		goto out_close;
	}
	while (done < c->len) {
		memset(&cb, 0, sizeof(cb));
		cb.aio_lio_opcode = IOCB_CMD_PWRITE;
		cb.aio_fildes = fd;
		cb.aio_buf = (uintptr_t)(c->buf + done);
		cb.aio_nbytes = c->len - done;
		cb.aio_offset = c->off + done;
		ret = syscall(__NR_io_submit, ctx, 1, cbs);
		if (ret != 1) {
			if (!ret)
				errno = EAGAIN;
			err = bw_err(c, "io_submit");
			break;
		}
		do
			ret = syscall(__NR_io_getevents, ctx, 1, 1, &ev, NULL);
		while (ret < 0 && errno == EINTR);
		if (ret != 1) {
			err = bw_err(c, "io_getevents");
			break;
		}
		if ((int64_t)ev.res <= 0) {
			errno = ev.res ? -(int64_t)ev.res : EIO;
			err = bw_err(c, "aio IOCB_CMD_PWRITE");
			break;
		}
		done += ev.res;
	}
	syscall(__NR_io_destroy, ctx);
out_close:
	close(fd);
	return err;
}

/* ---- the table ------------------------------------------------------------ */

static const struct bw_method bw_methods[] = {
	{ "write", bw_write, "write() at the file position, buffered" },
	{ "pwrite", bw_pwrite, "pwrite(), buffered" },
	{ "writev", bw_writev, "writev() of two iovecs, buffered" },
	{ "pwritev", bw_pwritev, "pwritev() of two iovecs, buffered" },
	{ "pwritev2", bw_pwritev2, "pwritev2(RWF_DSYNC): waits for the device" },
	{ "odirect", bw_odirect, "pwrite() on O_DIRECT, aligned buffer" },
	{ "osync", bw_osync, "pwrite() on O_SYNC: waits for the device" },
	{ "fsync-after-write", bw_fsync_after_write,
	  "buffered pwrite(), then fsync(): errors show at fsync" },
	{ "sync_file_range", bw_sync_file_range,
	  "buffered pwrite(), then sync_file_range(WAIT|WRITE|WAIT)" },
	{ "mmap", bw_mmap, "MAP_SHARED PROT_WRITE, memset, msync(MS_SYNC)" },
	{ "mmap-mprotect", bw_mmap_mprotect,
	  "MAP_SHARED PROT_READ, mprotect(PROT_WRITE), memset, msync" },
	{ "sendfile", bw_sendfile, "sendfile() from an unlinked temp file" },
	{ "splice", bw_splice, "write() into a pipe, splice() to the device" },
	{ "copy_file_range", bw_copy_file_range,
	  "copy_file_range() from a temp file (often EINVAL/EXDEV)" },
	{ "fallocate-punch", bw_fallocate_punch,
	  "fallocate(PUNCH_HOLE|KEEP_SIZE): zeros, no data" },
	{ "fallocate-zero", bw_fallocate_zero,
	  "fallocate(ZERO_RANGE|KEEP_SIZE): zeros, no data" },
	{ "fallocate-writezeroes", bw_fallocate_writezeroes,
	  "fallocate(WRITE_ZEROES): zeros, no data (Linux 6.17+)" },
	{ "blkdiscard", bw_blkdiscard, "ioctl(BLKDISCARD): no data" },
	{ "blkzeroout", bw_blkzeroout, "ioctl(BLKZEROOUT): zeros, no data" },
	{ "blksecdiscard", bw_blksecdiscard, "ioctl(BLKSECDISCARD): no data" },
	{ "io_uring-write", bw_io_uring_write, "io_uring IORING_OP_WRITE, buffered" },
	{ "io_uring-direct", bw_io_uring_direct,
	  "io_uring IORING_OP_WRITE on O_DIRECT" },
	{ "io_uring-discard", bw_io_uring_discard,
	  "io_uring BLOCK_URING_CMD_DISCARD (Linux 6.12+): no data" },
	{ "aio", bw_aio, "io_submit(IOCB_CMD_PWRITE) on O_DIRECT" },
	{ "sg_io-write", bw_sg_io_write,
	  "ioctl(SG_IO) SCSI WRITE(10) (not on loop devices)" },
};

#define BW_NR_METHODS (sizeof(bw_methods) / sizeof(bw_methods[0]))

static void bw_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: blkwrite METHOD DEV SECTOR COUNT [PATTERN_BYTE]\n"
		"       blkwrite --list\n"
		"Write COUNT 512-byte sectors at SECTOR of DEV by METHOD, print\n"
		"\"METHOD rc=0\" (exit 0) or \"METHOD errno=NAME\" (exit 1).\n"
		"PATTERN_BYTE: 0..255, 0x.. for hex; 0xa5 by default.\n"
		"Methods:\n");
	for (i = 0; i < BW_NR_METHODS; i++)
		fprintf(f, "  %-22s %s\n", bw_methods[i].name,
			bw_methods[i].help);
}

static uint64_t bw_parse(const char *s, const char *what, int base,
			 uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, base);
	if (!*s || *s == '-' || *end || errno || v > max)
		bw_bad("bad %s '%s' (0..%llu)", what, s,
		       (unsigned long long)max);
	return v;
}

int main(int argc, char **argv)
{
	const struct bw_method *m = NULL;
	struct bw_ctx c = { 0 };
	uint64_t sector, count;
	const char *name;
	int pat = 0xa5;
	size_t i;
	void *buf;
	int err;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (i = 0; i < BW_NR_METHODS; i++)
			puts(bw_methods[i].name);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		bw_usage(stdout);
		return 0;
	}
	if (argc != 5 && argc != 6) {
		bw_usage(stderr);
		return 2;
	}
	for (i = 0; i < BW_NR_METHODS; i++)
		if (!strcmp(argv[1], bw_methods[i].name))
			m = &bw_methods[i];
	if (!m)
		bw_bad("unknown method '%s' (blkwrite --list)", argv[1]);
	sector = bw_parse(argv[3], "SECTOR", 10, UINT64_MAX / BW_SECTOR);
	count = bw_parse(argv[4], "COUNT", 10, BW_MAX_COUNT);
	if (!count)
		bw_bad("bad COUNT '0' (1..%llu)", BW_MAX_COUNT);
	if (sector > (UINT64_MAX / BW_SECTOR) - count ||
	    (sector + count) * BW_SECTOR > (uint64_t)INT64_MAX)
		bw_bad("sectors %s + %s are past any device", argv[3], argv[4]);
	if (argc == 6)
		pat = bw_parse(argv[5], "PATTERN_BYTE", 0, 255);

	c.method = m->name;
	c.dev = argv[2];
	c.off = sector * BW_SECTOR;
	c.len = count * BW_SECTOR;
	if (posix_memalign(&buf, BW_ALIGN, c.len)) {
		fprintf(stderr, "blkwrite: cannot allocate %zu bytes\n", c.len);
		return 2;
	}
	c.buf = buf;
	memset(c.buf, pat, c.len);

	err = m->run(&c);
	free(buf);
	if (!err) {
		printf("%s rc=0\n", m->name);
		return 0;
	}
	name = strerrorname_np(-err);
	if (name)
		printf("%s errno=%s\n", m->name, name);
	else
		printf("%s errno=%d\n", m->name, -err);
	fprintf(stderr, "blkwrite: %s: %s: %s\n", m->name,
		c.step ? c.step : "?", strerror(-err));
	return 1;
}
