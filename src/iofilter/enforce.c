// SPDX-License-Identifier: GPL-2.0
/*
 * iofilter's enforcer: owns the one skeleton of bpf/iofilter.bpf.c: rules
 * in its read-only data, the programs of the tiers in use loaded (one that
 * cannot load or attach is left out, the others go on), the ring buffer on
 * the event loop, the counts read back, everything undone at the end.
 * Which tiers the kernel allows: tiers.c; the links pinned: pin.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cgroupfs.h"
#include "enforce_priv.h"
#include "evloop.h"
#include "iofilter.skel.h"
#include "probe.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KDEV(maj, min)	((__u32)(maj) << 20 | (__u32)(min))
#define LOG_BYTES	(1u << 20)	/* verifier log of a program that failed */

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

_Static_assert(ARRAY_SIZE(progs) + ARRAY_SIZE(fallbacks) <= IOF_MAX_PROGS,
	       "struct iof_enforcer has room for every program");

/* ---- small helpers --------------------------------------------------------- */

static int read_u64(const char *path, __u64 *v)
{
	char buf[32], *end;
	int ret = iof_read_text(path, buf, sizeof(buf));

	if (ret)
		return ret;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return errno || end == buf ? -EINVAL : 0;
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
		if (iof_read_text(path, txt, sizeof(txt)) ||
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
		if (d->btf && !iof_btf_has(btf, d->btf, d->kind)) {
			d = d->fallback ? def_by_name(d->fallback) : NULL;
			if (!d || (d->btf && !iof_btf_has(btf, d->btf, d->kind))) {
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
			iof_last_line(log, line, sizeof(line));
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
		if (cgroupfs_mount("/proc/self/mountinfo", NULL, root, sizeof(root)))
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
	long long bit;
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

	btf = probe_vmlinux_btf();
	if (!btf) {
		ret = -ENOENT;
		snprintf(err, errlen, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
		goto fail;
	}
	if (!probe_kernel_enum_value("BIO_REMAPPED", &bit))
		remapped = bit;
	choose(e, btf);

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
	for (i = 0; i < IOF_MAX_PROGS; i++)
		bpf_link__destroy(e->links[i]);
	iofilter_bpf__destroy(e->skel);
	if (e->cg_fd >= 0)
		close(e->cg_fd);
	free(e->parts);
	free(e->rules);
	free(e);
}
