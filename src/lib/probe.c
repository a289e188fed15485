// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "probe.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif


bool probe_kernel_btf(void)
{
	/* libbpf reads the same file for CO-RE; parsing it here would cost
	 * tens of milliseconds of start-up for nothing. */
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

static struct btf *vmlinux_btf;

struct btf *probe_vmlinux_btf(void)
{
	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux_btf))
			vmlinux_btf = NULL;
	}
	return vmlinux_btf;
}

void probe_btf_release(void)
{
	btf__free(vmlinux_btf);
	vmlinux_btf = NULL;
}

bool probe_kernel_func(const char *name)
{
	struct btf *vmlinux = probe_vmlinux_btf();

	return vmlinux && btf__find_by_name_kind(vmlinux, name, BTF_KIND_FUNC) > 0;
}

bool probe_kernel_member(const char *type, const char *member)
{
	struct btf *vmlinux = probe_vmlinux_btf();
	const struct btf_member *m;
	const struct btf_type *t;
	bool found = false;
	int id;

	if (!vmlinux)
		return false;
	id = btf__find_by_name_kind(vmlinux, type, BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	m = t ? btf_members(t) : NULL;
	for (int i = 0; t && i < btf_vlen(t) && !found; i++)
		found = !strcmp(btf__name_by_offset(vmlinux, m[i].name_off), member);
	return found;
}

int probe_kernel_enum_value(const char *name, long long *value)
{
	struct btf *vmlinux = probe_vmlinux_btf();
	int ret = -ENOENT;

	if (!vmlinux)
		return -ENOENT;
	for (unsigned int id = 1; id < btf__type_cnt(vmlinux) && ret; id++) {
		const struct btf_type *t = btf__type_by_id(vmlinux, id);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++)
			if (!strcmp(btf__name_by_offset(vmlinux, e[i].name_off), name)) {
				*value = e[i].val;
				ret = 0;
				break;
			}
	}
	return ret;
}

int probe_tracefs(char *err, size_t errlen)
{
	static const char dir[] = "/sys/kernel/tracing";

	/* libbpf takes debugfs's tracing/ when it exists, else this one */
	if (!access("/sys/kernel/debug/tracing/events", F_OK) ||
	    !access("/sys/kernel/tracing/events", F_OK))
		return 0;
	/* private, and slave so that nothing mounted here propagates out */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    mount("tracefs", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) {
		int e = errno;

		snprintf(err, errlen, "tracefs is not mounted and cannot be (%s): "
			 "mount it on %s", strerror(e), dir);
		return -e;
	}
	return 0;
}

static const char *cap_name(int cap)
{
	switch (cap) {
	case CAP_SYS_ADMIN: return "CAP_SYS_ADMIN";
	case CAP_BPF: return "CAP_BPF";
	case CAP_PERFMON: return "CAP_PERFMON";
	case CAP_SYS_PTRACE: return "CAP_SYS_PTRACE";
	case CAP_SYS_NICE: return "CAP_SYS_NICE";
	case CAP_DAC_OVERRIDE: return "CAP_DAC_OVERRIDE";
	case CAP_SYS_RESOURCE: return "CAP_SYS_RESOURCE";
	default: return "a required capability";
	}
}

static bool have_cap(const struct __user_cap_data_struct *d, int cap)
{
	return d[cap / 32].effective & (1U << (cap % 32));
}

const char *probe_missing_capability(const int *extra)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return "CAP_SYS_ADMIN";
	if (!have_cap(data, CAP_SYS_ADMIN)) {
		if (!have_cap(data, CAP_BPF))
			return cap_name(CAP_BPF);
		if (!have_cap(data, CAP_PERFMON))
			return cap_name(CAP_PERFMON);
	}
	for (; extra && *extra; extra++)
		if (!have_cap(data, *extra))
			return cap_name(*extra);
	return NULL;
}

static int print_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

static int print_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return vfprintf(stderr, fmt, ap);
}

void probe_libbpf_verbose(bool verbose)
{
	libbpf_set_print(verbose ? print_verbose : print_quiet);
}
