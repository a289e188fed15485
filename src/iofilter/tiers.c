// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's tiers: which this kernel allows (trial loads and attaches of
 * minimal programs, the active LSMs), which each rule gets, and what a
 * rule's tiers leave uncovered; and the small kernel-reading helpers the
 * enforcer shares (enforce_priv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "enforce_priv.h"
#include "probe.h"

/* ---- small helpers --------------------------------------------------------- */

int iof_read_text(const char *path, char *buf, size_t len)
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

void iof_last_line(const char *log, char *out, size_t len)
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

bool iof_btf_has(const struct btf *btf, const char *name, int kind)
{
	return btf && name && btf__find_by_name_kind(btf, name, kind) > 0;
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
		iof_last_line(log, line, sizeof(line));
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

	ret = iof_read_text(path, buf, len);
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
			  NULL) || iof_read_text(path, buf, len))
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
	struct btf *btf = probe_vmlinux_btf();
	int t;

	memset(p, 0, sizeof(*p));
	if (!btf) {
		for (t = 0; t < IOF_NR_TIERS; t++)
			snprintf(p->why[t], IOF_WHY_LEN,
				 "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		return;
	}
	if (!iof_btf_has(btf, "bio", BTF_KIND_STRUCT)) {
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
