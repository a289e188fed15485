// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's enforcer: probes which tiers this kernel allows, assigns them
 * to the rules, and owns the one skeleton of bpf/iofilter.bpf.c: rules in
 * its read-only data, the programs of the tiers in use loaded (one that
 * cannot load or attach is left out, the others go on), the ring buffer on
 * the event loop, the links pinned on request.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce.h"
#include "evloop.h"
#include "iofilter.skel.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KDEV(maj, min)	((__u32)(maj) << 20 | (__u32)(min))
#define LOG_BYTES	(1u << 20)	/* verifier log of a program that failed */
#define PIN_PREFIX	"iof_"

/* A program of the skeleton, the tier it serves and what it needs. */
struct prog_def {
	const char *name;
	enum iof_tier tier;
	bool core;		/* without it the tier does not run */
	const char *btf;	/* a kernel type it attaches to (NULL: none) */
	int kind;		/* BTF_KIND_ of @btf */
	const char *fallback;	/* the program to use instead */
};

#define PROG(n, t, c, b, k, f) \
	{ .name = n, .tier = t, .core = c, .btf = b, .kind = k, .fallback = f }
#define FUNC	BTF_KIND_FUNC
#define TP	BTF_KIND_TYPEDEF

static const struct prog_def progs[] = {
	PROG("iof_audit", IOF_TIER_AUDIT, true, "btf_trace_block_bio_queue", TP,
	     "iof_audit_raw"),
	PROG("iof_bio", IOF_TIER_BIO, true, "should_fail_bio", FUNC, NULL),
	PROG("iof_rw_verify_area", IOF_TIER_LSM, true, "rw_verify_area", FUNC, NULL),
	PROG("iof_vfs_fallocate", IOF_TIER_LSM, false, "vfs_fallocate", FUNC, NULL),
	PROG("iof_lsm_file_permission", IOF_TIER_LSM, true, "bpf_lsm_file_permission",
	     FUNC, NULL),
	PROG("iof_lsm_file_ioctl", IOF_TIER_LSM, true, "bpf_lsm_file_ioctl", FUNC, NULL),
	PROG("iof_lsm_file_ioctl_compat", IOF_TIER_LSM, false, "bpf_lsm_file_ioctl_compat",
	     FUNC, NULL),
	PROG("iof_lsm_mmap_file", IOF_TIER_LSM, true, "bpf_lsm_mmap_file", FUNC, NULL),
	PROG("iof_lsm_file_mprotect", IOF_TIER_LSM, true, "bpf_lsm_file_mprotect", FUNC,
	     NULL),
	PROG("iof_lsm_uring_cmd", IOF_TIER_LSM, false, "bpf_lsm_uring_cmd", FUNC, NULL),
	PROG("iof_device", IOF_TIER_DEVICE, true, NULL, 0, NULL),
	PROG("iof_kill_sys", IOF_TIER_KILL, true, "btf_trace_sys_enter", TP,
	     "iof_kill_sys_raw"),
	PROG("iof_kill_uring", IOF_TIER_KILL, false, "btf_trace_io_uring_submit_req", TP,
	     "iof_kill_uring_sqe"),
};

/* Fallbacks: loaded only in place of the program naming them. */
static const struct prog_def fallbacks[] = {
	PROG("iof_audit_raw", IOF_TIER_AUDIT, true, NULL, 0, NULL),
	PROG("iof_kill_sys_raw", IOF_TIER_KILL, true, NULL, 0, NULL),
	/* 6.1 */
	PROG("iof_kill_uring_sqe", IOF_TIER_KILL, false, "btf_trace_io_uring_submit_sqe",
	     TP, NULL),
};

#define NR_PROGS	(ARRAY_SIZE(progs) + ARRAY_SIZE(fallbacks))

struct iof_enforcer {
	struct iofilter_bpf *skel;
	struct ring_buffer *rb;
	struct evloop *loop;
	struct iof_sink sink;
	struct iof_rule *rules;
	size_t nr;
	int cg_fd;
	uint32_t asked;		/* tiers the rules name, and audit */
	uint32_t needed;	/* of those, the ones to load */
	uint32_t broken;	/* tiers a core program of which is missing */
	uint32_t active;
	char why[IOF_NR_TIERS][IOF_WHY_LEN];	/* what is missing of a tier */
	struct part {
		__u32 dev;
		struct iof_part p;
	} *parts;			/* of the rules' disks */
	size_t nr_parts;
	const struct prog_def *use[NR_PROGS];	/* chosen, in load order */
	struct bpf_link *links[NR_PROGS];
	size_t nr_use;
};

/* ---- small helpers --------------------------------------------------------- */

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int read_u64(const char *path, __u64 *v)
{
	char buf[32], *end;
	int ret = read_text(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
}

/* The last line of a verifier log that says something. */
static void last_line(const char *log, char *out, size_t len)
{
	const char *end = log + strlen(log), *s;

	while (end > log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (s = end; s > log && s[-1] != '\n'; s--)
		;
	/* "processed N insns" closes a successful walk: the line before says why */
	if (!strncmp(s, "processed ", 10) && s > log) {
		end = s - 1;
		for (s = end; s > log && s[-1] != '\n'; s--)
			;
	}
	snprintf(out, len, "%.*s", (int)(end - s), s);
}

static bool btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && name && btf__find_by_name_kind(btf, name, kind) > 0;
}

/* The value of an enumerator that may sit in an anonymous enum. */
static int btf_enum_value(const struct btf *btf, const char *name, long *value)
{
	__u32 i, n = btf__type_cnt(btf);

	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_enum *e;
		__u16 j;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(btf, e[j].name_off), name)) {
				*value = e[j].val;
				return 0;
			}
	}
	return -ENOENT;
}

/* ---- probing ------------------------------------------------------------------ */

#define INSN(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define MOV_IMM(r, v)	INSN(BPF_ALU64 | BPF_MOV | BPF_K, r, 0, 0, v)
#define CALL(f)		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, f)
#define EXIT		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/*
 * Load a program returning @ret (calling bpf_send_signal(0) first when
 * @signal) for @type at BTF object @target, attach it for a moment when
 * @attach.  0, or -errno with the reason in @why.
 */
static int trial(const struct btf *btf, enum bpf_prog_type type,
		 enum bpf_attach_type at, const char *target, int kind, int ret,
		 bool signal, bool attach, char *why, size_t len)
{
	struct bpf_insn insns[4];
	char log[4096] = "", line[IOF_WHY_LEN];
	int n = 0, fd, link, err;
	int id = 0;

	if (target) {
		id = btf ? btf__find_by_name_kind(btf, target, kind) : -ENOENT;
		if (id <= 0) {
			snprintf(why, len, "the kernel has no %s", target);
			return -ENOENT;
		}
	}
	if (signal) {
		insns[n++] = MOV_IMM(BPF_REG_1, 0);
		insns[n++] = CALL(BPF_FUNC_send_signal);
	}
	insns[n++] = MOV_IMM(BPF_REG_0, ret);
	insns[n++] = EXIT;

	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = at,
		    .attach_btf_id = id);
	fd = bpf_prog_load(type, "iof_probe", "GPL", insns, n, &opts);
	if (fd < 0 && errno != EPERM) {
		/* again with the verifier's log, for the reason */
		opts.log_buf = log;
		opts.log_size = sizeof(log);
		opts.log_level = 1;
		fd = bpf_prog_load(type, "iof_probe", "GPL", insns, n, &opts);
	}
	if (fd < 0) {
		err = -errno;
		last_line(log, line, sizeof(line));
		snprintf(why, len, "%s%s", line[0] ? line : "refused at load: ",
			 line[0] ? "" : strerror(-err));
		return err;
	}
	if (!attach) {
		close(fd);
		return 0;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	err = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	if (err)
		snprintf(why, len, "refused at attach: %s", strerror(-err));
	return err;
}

/*
 * The active LSMs, from securityfs; where it is not mounted, a child
 * mounts it in a mount namespace of its own, which dies with it.
 */
static int lsm_list(char *buf, size_t len)
{
	static const char dir[] = "/sys/kernel/security", path[] = "/sys/kernel/security/lsm";
	int pfd[2], status, ret;
	ssize_t n, got = 0;
	pid_t pid;

	ret = read_text(path, buf, len);
	if (ret != -ENOENT)
		return ret;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return ret;
	}
	if (!pid) {
		close(pfd[0]);
		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
		    mount("securityfs", dir, "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) || read_text(path, buf, len))
			_exit(1);
		n = write(pfd[1], buf, strlen(buf));
		_exit(n < 0);
	}
	close(pfd[1]);
	while (got < (ssize_t)len - 1 && (n = read(pfd[0], buf + got, len - 1 - got)) > 0)
		got += n;
	buf[got] = '\0';
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -ENOENT;
	return 0;
}

static bool in_list(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *s;

	for (s = list; (s = strstr(s, word)); s += n)
		if ((s == list || s[-1] == ',') && (s[n] == ',' || !s[n]))
			return true;
	return false;
}

static void probe_bio(const struct btf *btf, struct iof_probe *p)
{
	char *why = p->why[IOF_TIER_BIO];
	int ret;

	ret = trial(btf, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, "should_fail_bio",
		    BTF_KIND_FUNC, 0, false, true, why, IOF_WHY_LEN);
	if (ret == -EPERM && !strncmp(why, "refused at load", 15))
		snprintf(why, IOF_WHY_LEN, "fmod_ret programs are refused here (%s)",
			 strerror(EPERM));
	else if (ret == -EINVAL && strstr(why, "not modifiable"))
		snprintf(why, IOF_WHY_LEN, "should_fail_bio cannot be overridden "
			 "(no CONFIG_FUNCTION_ERROR_INJECTION)");
	p->can[IOF_TIER_BIO] = !ret;
}

static void probe_lsm(const struct btf *btf, struct iof_probe *p)
{
	char *why = p->why[IOF_TIER_LSM], list[256];
	int ret;

	ret = lsm_list(list, sizeof(list));
	if (ret) {
		snprintf(why, IOF_WHY_LEN, "cannot read the active LSMs "
			 "(/sys/kernel/security/lsm): %s", strerror(-ret));
		return;
	}
	if (!in_list(list, "bpf")) {
		snprintf(why, IOF_WHY_LEN, "BPF LSM not active (lsm: %.60s): add bpf to "
			 "the kernel's lsm= parameter", list);
		return;
	}
	ret = trial(btf, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_permission",
		    BTF_KIND_FUNC, 0, false, true, why, IOF_WHY_LEN);
	if (ret == -EPERM && !strncmp(why, "refused at load", 15))
		snprintf(why, IOF_WHY_LEN, "LSM programs are refused here (%s)", strerror(EPERM));
	if (ret)
		return;
	/* the ranges of reads and writes come from fentry */
	ret = trial(btf, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "rw_verify_area",
		    BTF_KIND_FUNC, 0, false, true, why, IOF_WHY_LEN);
	if (ret) {
		char r[IOF_WHY_LEN];

		snprintf(r, sizeof(r), "%s", why);
		snprintf(why, IOF_WHY_LEN, "fentry on rw_verify_area: %.100s", r);
		return;
	}
	p->can[IOF_TIER_LSM] = true;
}

static void probe_kill(const struct btf *btf, struct iof_probe *p)
{
	char *why = p->why[IOF_TIER_KILL];

#if defined(__x86_64__)
	if (trial(btf, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, "btf_trace_sys_enter",
		  BTF_KIND_TYPEDEF, 0, false, true, why, IOF_WHY_LEN) &&
	    trial(btf, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, NULL, 0, 0, false, false, why,
		  IOF_WHY_LEN))
		return;
	if (trial(btf, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, NULL, 0, 0, true, false, why,
		  IOF_WHY_LEN)) {
		char r[IOF_WHY_LEN];

		snprintf(r, sizeof(r), "%s", why);
		snprintf(why, IOF_WHY_LEN, "bpf_send_signal: %.100s", r);
		return;
	}
	p->can[IOF_TIER_KILL] = true;
#else
	(void)btf;
	snprintf(why, IOF_WHY_LEN, "system call numbers known for x86-64 (and ia32) only");
#endif
}

void iof_probe_tiers(struct iof_probe *p)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int t;

	memset(p, 0, sizeof(*p));
	if (libbpf_get_error(btf)) {
		for (t = 0; t < IOF_NR_TIERS; t++)
			snprintf(p->why[t], IOF_WHY_LEN,
				 "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return;
	}
	if (!btf_has(btf, "bio", BTF_KIND_STRUCT)) {
		snprintf(p->why[IOF_TIER_AUDIT], IOF_WHY_LEN, "the kernel's BTF has no struct bio");
	} else if (!trial(btf, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
			  "btf_trace_block_bio_queue", BTF_KIND_TYPEDEF, 0, false, true,
			  p->why[IOF_TIER_AUDIT], IOF_WHY_LEN) ||
		   !trial(btf, BPF_PROG_TYPE_RAW_TRACEPOINT, 0, NULL, 0, 0, false, false,
			  p->why[IOF_TIER_AUDIT], IOF_WHY_LEN)) {
		p->can[IOF_TIER_AUDIT] = true;
	}
	probe_bio(btf, p);
	probe_lsm(btf, p);
	if (!trial(btf, BPF_PROG_TYPE_CGROUP_DEVICE, 0, NULL, 0, 1, false, false,
		   p->why[IOF_TIER_DEVICE], IOF_WHY_LEN))
		p->can[IOF_TIER_DEVICE] = true;
	probe_kill(btf, p);
	for (t = 0; t < IOF_NR_TIERS; t++)
		if (p->can[t])
			p->why[t][0] = '\0';
	btf__free(btf);
}

/* ---- tiers for rules ------------------------------------------------------------ */

static bool whole_device(const struct iof_rule *r)
{
	return r->start == 0 && r->end == IOF_SECTOR_MAX && (r->ops & IOF_OP_MODIFY);
}

void iof_assign_tiers(struct iof_rule *r, size_t nr, const struct iof_probe *p,
		      bool have_cgroup)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		r[i].tiers = 0;
		if (r[i].action != IOF_DENY)
			continue;
		if (p->can[IOF_TIER_BIO])
			r[i].tiers = 1u << IOF_TIER_BIO;
		else if (p->can[IOF_TIER_LSM])
			r[i].tiers = 1u << IOF_TIER_LSM;
		else if (p->can[IOF_TIER_KILL] && (r[i].ops & IOF_OP_MODIFY))
			r[i].tiers = 1u << IOF_TIER_KILL;
		if (have_cgroup && p->can[IOF_TIER_DEVICE] && whole_device(&r[i]))
			r[i].tiers |= 1u << IOF_TIER_DEVICE;
	}
}

const char *iof_rule_gaps(const struct iof_rule *r, char *buf, size_t len)
{
	bool who = r->pid || r->uid != IOF_ANY_UID || r->comm[0] || r->cgroup;
	bool reads = r->ops & IOF_OP_READ;

	buf[0] = '\0';
	if (r->action != IOF_DENY)
		return buf;
	if (r->tiers & (1u << IOF_TIER_BIO))
		snprintf(buf, len, "%s; passthrough (SG_IO, NVMe) is not bios", who ?
			 "process matches see the bio's submitter (writeback: the flusher)" :
			 "buffered writes land in the page cache and fail at writeback");
	else if (r->tiers & (1u << IOF_TIER_LSM))
		snprintf(buf, len, "not seen: writes the kernel issues itself (stacked loop "
			 "or dm, swap, filesystems), stores to mappings made before start");
	else if (r->tiers & (1u << IOF_TIER_KILL))
		snprintf(buf, len, "best effort: O_DIRECT, aio, io_uring, fallocate and "
			 "discard may reach the device before the kill; %s",
			 reads ? "reads and kernel writers not seen" : "kernel writers not seen");
	else if (r->tiers & (1u << IOF_TIER_DEVICE))
		snprintf(buf, len, "only write opens by processes in the cgroup: "
			 "descriptors opened before are not seen");
	else
		snprintf(buf, len, "no tier can enforce it here: audited only");
	return buf;
}

/* ---- starting ------------------------------------------------------------------- */

static int check_rules(const struct iof_rule *r, size_t nr, char *err, size_t errlen)
{
	size_t i;

	if (nr > IOF_MAX_RULES) {
		snprintf(err, errlen, "%zu rules, at most %d", nr, IOF_MAX_RULES);
		return -E2BIG;
	}
	for (i = 0; i < nr; i++) {
		if (r[i].start > r[i].end || r[i].action > IOF_DENY || !r[i].dev ||
		    !r[i].ops || r[i].tiers >> IOF_NR_TIERS) {
			snprintf(err, errlen, "rule %zu is malformed (sectors %llu-%llu, "
				 "action %u, ops 0x%x)", i + 1, (unsigned long long)r[i].start,
				 (unsigned long long)r[i].end, r[i].action, r[i].ops);
			return -EINVAL;
		}
	}
	return 0;
}

static bool rules_use_disk(const struct iof_enforcer *e, __u32 dev)
{
	size_t i;

	for (i = 0; i < e->nr; i++)
		if (e->rules[i].dev == dev)
			return true;
	return false;
}

/* Partitions of the rules' disks, from /sys/dev/block. */
static int scan_parts(struct iof_enforcer *e)
{
	DIR *d = opendir("/sys/dev/block");
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[512], txt[32];
		unsigned int maj, min, pmaj, pmin;
		struct iof_part p = { 0 };
		struct part *grown;

		if (sscanf(de->d_name, "%u:%u", &maj, &min) != 2)
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/partition", de->d_name);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/../dev", de->d_name);
		if (read_text(path, txt, sizeof(txt)) ||
		    sscanf(txt, "%u:%u", &pmaj, &pmin) != 2)
			continue;
		p.disk = KDEV(pmaj, pmin);
		if (!rules_use_disk(e, p.disk))
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/start", de->d_name);
		if (read_u64(path, &p.start))
			continue;
		snprintf(path, sizeof(path), "/sys/dev/block/%s/size", de->d_name);
		if (read_u64(path, &p.nr))
			continue;
		grown = realloc(e->parts, (e->nr_parts + 1) * sizeof(*e->parts));
		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		e->parts = grown;
		e->parts[e->nr_parts++] = (struct part){ .dev = KDEV(maj, min), .p = p };
	}
	closedir(d);
	return ret;
}

static int fill_parts(const struct iof_enforcer *e)
{
	int fd = bpf_map__fd(e->skel->maps.parts);
	size_t i;

	for (i = 0; i < e->nr_parts; i++)
		if (bpf_map_update_elem(fd, &e->parts[i].dev, &e->parts[i].p, BPF_ANY))
			return -errno;
	return 0;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct iof_enforcer *e = ctx;

	if (size >= sizeof(struct iof_event) && e->sink.event)
		e->sink.event(e->sink.ctx, data);
	return 0;
}

static const struct prog_def *def_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(progs); i++)
		if (!strcmp(progs[i].name, name))
			return &progs[i];
	for (i = 0; i < ARRAY_SIZE(fallbacks); i++)
		if (!strcmp(fallbacks[i].name, name))
			return &fallbacks[i];
	return NULL;
}

/* Choose the programs of the needed tiers that this kernel can attach. */
static void choose(struct iof_enforcer *e, const struct btf *btf)
{
	size_t i;

	e->nr_use = 0;
	for (i = 0; i < ARRAY_SIZE(progs); i++) {
		const struct prog_def *d = &progs[i];

		if (!(e->needed & (1u << d->tier)))
			continue;
		if (d->btf && !btf_has(btf, d->btf, d->kind)) {
			d = d->fallback ? def_by_name(d->fallback) : NULL;
			if (!d || (d->btf && !btf_has(btf, d->btf, d->kind))) {
				if (!(e->broken & (1u << progs[i].tier)))
					snprintf(e->why[progs[i].tier], IOF_WHY_LEN,
						 "the kernel has no %s", progs[i].btf);
				if (progs[i].core)
					e->broken |= 1u << progs[i].tier;
				continue;
			}
		}
		e->use[e->nr_use++] = d;
	}
}

static struct iofilter_bpf *open_skel(struct iof_enforcer *e, const long remapped,
				      const struct prog_def *only, char *log)
{
	struct iofilter_bpf *skel = iofilter_bpf__open();
	struct bpf_program *prog;
	size_t i;

	if (!skel)
		return NULL;
	skel->rodata->nr_rules = e->nr;
	memcpy((void *)skel->rodata->rules, e->rules, e->nr * sizeof(*e->rules));
	skel->rodata->bio_remapped_bit = remapped;
	bpf_map__set_max_entries(skel->maps.parts, e->nr_parts ? e->nr_parts : 1);
	bpf_object__for_each_program(prog, skel->obj) {
		bool on = false;

		for (i = 0; i < e->nr_use; i++)
			if (!strcmp(bpf_program__name(prog), e->use[i]->name) &&
			    (!only || only == e->use[i]))
				on = true;
		bpf_program__set_autoload(prog, on);
		if (on && log)
			bpf_program__set_log_buf(prog, log, LOG_BYTES);
	}
	return skel;
}

/* Leave out program @i; before load, put its fallback (if any) at the end. */
static void drop_use(struct iof_enforcer *e, size_t i, bool loaded, const char *reason)
{
	const struct prog_def *d = e->use[i];
	const struct prog_def *fb = !loaded && d->fallback ? def_by_name(d->fallback) : NULL;
	const char *what = loaded ? "cannot attach" : "cannot load";

	/* the first reason a tier does not run is the one to tell */
	if (!(e->broken & (1u << d->tier)))
		snprintf(e->why[d->tier], IOF_WHY_LEN, "%s %s: %.90s", d->name, what, reason);
	if (d->core && !fb)
		e->broken |= 1u << d->tier;
	memmove(&e->use[i], &e->use[i + 1], (e->nr_use - i - 1) * sizeof(e->use[0]));
	e->nr_use--;
	if (fb)
		e->use[e->nr_use++] = fb;
}

/*
 * Load the chosen programs.  When the lot fails, each is loaded alone to
 * find the ones that cannot load; those are left out (a fallback put in
 * their place) and the rest loaded again.
 */
static int load(struct iof_enforcer *e, long remapped, char *err, size_t errlen)
{
	char *log = NULL, line[IOF_WHY_LEN];
	size_t i;
	int ret, tries;

	for (tries = 0; tries < 3; tries++) {
		e->skel = open_skel(e, remapped, NULL, NULL);
		if (!e->skel) {
			ret = -errno;
			snprintf(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
			return ret;
		}
		ret = iofilter_bpf__load(e->skel);
		if (!ret)
			break;
		iofilter_bpf__destroy(e->skel);
		e->skel = NULL;
		if (!log && !(log = malloc(LOG_BYTES))) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		for (i = 0; i < e->nr_use;) {
			const struct prog_def *d = e->use[i];
			struct iofilter_bpf *one;
			int r;

			log[0] = '\0';
			one = open_skel(e, remapped, d, log);
			r = one ? iofilter_bpf__load(one) : -errno;
			iofilter_bpf__destroy(one);
			if (!r) {
				i++;
				continue;
			}
			last_line(log, line, sizeof(line));
			/* a fallback goes to the end, tried in its turn */
			drop_use(e, i, false, line[0] ? line : strerror(-r));
		}
	}
	free(log);
	if (ret)
		snprintf(err, errlen, "cannot load the BPF programs: %s", strerror(-ret));
	return ret;
}

static int open_cgroup(const char *dir, char *err, size_t errlen)
{
	struct statfs st;
	char root[256];
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open cgroup %s: %s", dir, strerror(-ret));
		return ret;
	}
	if (fstatfs(fd, &st) || st.f_type != CGROUP2_SUPER_MAGIC) {
		if (iof_cgroup2_root(root, sizeof(root)))
			snprintf(root, sizeof(root), "not mounted");
		snprintf(err, errlen, "%s is not a cgroup v2 directory (cgroup v2: %s)", dir,
			 root);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* Attach what loaded; a program that cannot attach is left out. */
static void attach(struct iof_enforcer *e)
{
	size_t i;

	for (i = 0; i < e->nr_use;) {
		const struct prog_def *d = e->use[i];
		struct bpf_program *prog =
			bpf_object__find_program_by_name(e->skel->obj, d->name);
		struct bpf_link *link;

		if (!prog) {
			drop_use(e, i, true, "not in the BPF object");
			continue;
		}
		if (d->tier == IOF_TIER_DEVICE)
			link = bpf_program__attach_cgroup(prog, e->cg_fd);
		else
			link = bpf_program__attach(prog);
		if (!link) {
			int ret = -errno;

			drop_use(e, i, true, strerror(-ret));
			continue;
		}
		e->links[i++] = link;
	}
}

int iof_start(struct iof_enforcer **out, struct evloop *loop,
	      const struct iof_rule *rules, size_t nr, const char *cgroup_dir,
	      const struct iof_sink *sink, char *err, size_t errlen)
{
	struct iof_enforcer *e;
	struct btf *btf = NULL;
	long remapped = 0xff;
	size_t i;
	int ret;

	*out = NULL;
	ret = check_rules(rules, nr, err, errlen);
	if (ret)
		return ret;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->rules = calloc(nr ? nr : 1, sizeof(*rules)))) {
		free(e);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(e->rules, rules, nr * sizeof(*rules));
	e->nr = nr;
	e->loop = loop;
	e->sink = *sink;
	e->cg_fd = -1;
	e->asked = 1u << IOF_TIER_AUDIT;
	for (i = 0; i < nr; i++)
		if (rules[i].action == IOF_DENY)
			e->asked |= rules[i].tiers;
	e->needed = e->asked;
	if ((e->needed & (1u << IOF_TIER_DEVICE)) && !cgroup_dir) {
		e->needed &= ~(1u << IOF_TIER_DEVICE);
		snprintf(e->why[IOF_TIER_DEVICE], IOF_WHY_LEN, "no cgroup given");
	}
	if (e->needed & (1u << IOF_TIER_DEVICE)) {
		e->cg_fd = open_cgroup(cgroup_dir, err, errlen);
		if (e->cg_fd < 0) {
			ret = e->cg_fd;
			goto fail;
		}
	}

	btf = btf__load_vmlinux_btf();
	if (libbpf_get_error(btf)) {
		btf = NULL;
		ret = -ENOENT;
		snprintf(err, errlen, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		goto fail;
	}
	btf_enum_value(btf, "BIO_REMAPPED", &remapped);
	choose(e, btf);
	btf__free(btf);
	btf = NULL;

	ret = scan_parts(e);
	if (ret) {
		snprintf(err, errlen, "cannot read partitions from /sys/dev/block: %s",
			 strerror(-ret));
		goto fail;
	}
	ret = load(e, remapped, err, errlen);
	if (ret)
		goto fail;
	ret = fill_parts(e);
	if (ret) {
		snprintf(err, errlen, "cannot fill the partition map: %s", strerror(-ret));
		goto fail;
	}
	attach(e);
	/* a tier runs when every core program of it does */
	for (i = 0; i < e->nr_use; i++)
		e->active |= 1u << e->use[i]->tier;
	e->active &= ~e->broken;
	if (!(e->active & (1u << IOF_TIER_AUDIT))) {
		ret = -ENOTSUP;
		snprintf(err, errlen, "cannot audit block IO: %s", e->why[IOF_TIER_AUDIT]);
		goto fail;
	}

	e->rb = ring_buffer__new(bpf_map__fd(e->skel->maps.events), on_ringbuf, e, NULL);
	if (!e->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot read the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	ret = evloop_add_ringbuf(loop, e->rb);
	if (ret) {
		ring_buffer__free(e->rb);
		e->rb = NULL;
		snprintf(err, errlen, "cannot watch the ring buffer: %s", strerror(-ret));
		goto fail;
	}
	*out = e;
	return 0;
fail:
	iof_stop(e);
	return ret;
}

uint32_t iof_active(const struct iof_enforcer *e, char why[IOF_NR_TIERS][IOF_WHY_LEN])
{
	int t;

	if (why)
		for (t = 0; t < IOF_NR_TIERS; t++)
			snprintf(why[t], IOF_WHY_LEN, "%s",
				 e->asked & (1u << t) ? e->why[t] : "");
	return e->active;
}

int iof_counts(const struct iof_enforcer *e, struct iof_count *out, uint64_t *drops)
{
	int ncpu = libbpf_num_possible_cpus(), fd, c, ret = 0;
	struct iof_count *v;
	__u32 key, n = e->nr * IOF_NR_TIERS;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fd = bpf_map__fd(e->skel->maps.counts);
	for (key = 0; key < n; key++) {
		if (bpf_map_lookup_elem(fd, &key, v)) {
			ret = -errno;
			break;
		}
		out[key] = (struct iof_count){ 0 };
		for (c = 0; c < ncpu; c++) {
			out[key].hits += v[c].hits;
			out[key].denied += v[c].denied;
			out[key].sectors += v[c].sectors;
		}
	}
	free(v);
	if (drops)
		*drops = e->skel->bss->dropped;
	return ret;
}

void iof_stop(struct iof_enforcer *e)
{
	size_t i;

	if (!e)
		return;
	if (e->rb) {
		evloop_del_fd(e->loop, ring_buffer__epoll_fd(e->rb));
		ring_buffer__free(e->rb);
	}
	/* a pinned link stays attached: its pin holds it */
	for (i = 0; i < NR_PROGS; i++)
		bpf_link__destroy(e->links[i]);
	iofilter_bpf__destroy(e->skel);
	if (e->cg_fd >= 0)
		close(e->cg_fd);
	free(e->parts);
	free(e->rules);
	free(e);
}

/* ---- pinning ---------------------------------------------------------------- */

static int on_bpffs(const char *dir, char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(dir, &st)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	if (st.f_type != BPF_FS_MAGIC) {
		snprintf(err, errlen, "%s is not on a bpf filesystem (mount -t bpf bpf "
			 "/sys/fs/bpf)", dir);
		return -EINVAL;
	}
	return 0;
}

int iof_pin(struct iof_enforcer *e, const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	size_t i;
	int ret;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-ret));
		return ret;
	}
	ret = on_bpffs(dir, err, errlen);
	if (ret)
		return ret;
	for (i = 0; i < e->nr_use; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, e->use[i]->name);
		ret = bpf_link__pin(e->links[i], path);
		if (ret)
			goto undo;
	}
	snprintf(path, sizeof(path), "%s/" PIN_PREFIX "counts", dir);
	ret = bpf_map__pin(e->skel->maps.counts, path);
	if (!ret)
		return 0;
undo:
	snprintf(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
	while (i-- > 0)
		bpf_link__unpin(e->links[i]);
	rmdir(dir);
	return ret;
}

int iof_unpin(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret, n = 0;
	DIR *d;

	ret = on_bpffs(dir, err, errlen);
	if (ret)
		return ret;
	d = opendir(dir);
	if (!d) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(-ret));
		return ret;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PIN_PREFIX, strlen(PIN_PREFIX)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path)) {
			ret = -errno;
			snprintf(err, errlen, "cannot remove %s: %s", path, strerror(-ret));
			closedir(d);
			return ret;
		}
		n++;
	}
	closedir(d);
	if (rmdir(dir)) {
		ret = -errno;
		snprintf(err, errlen, "%s%s: %s", n ? "" : "nothing of iofilter's in ", dir,
			 strerror(-ret));
		return ret;
	}
	return 0;
}

int iof_cgroup2_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[1024], fstype[64], *sep = strstr(line, " - ");
		size_t i, j;

		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") ||
		    sscanf(line, "%*s %*s %*s %*s %1023s", mnt) != 1)
			continue;
		/* mountinfo escapes space, tab, newline and backslash as \ooo */
		for (i = j = 0; mnt[i] && j + 1 < len; j++) {
			if (mnt[i] == '\\' && mnt[i + 1] && mnt[i + 2] && mnt[i + 3]) {
				buf[j] = (mnt[i + 1] - '0') * 64 + (mnt[i + 2] - '0') * 8 +
					 (mnt[i + 3] - '0');
				i += 4;
			} else {
				buf[j] = mnt[i++];
			}
		}
		buf[j] = '\0';
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}
