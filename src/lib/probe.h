/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the running kernel and process can do, asked of the kernel itself
 * (BTF, trial loads, capabilities), never inferred from version numbers.
 */
#ifndef KSCOPE_PROBE_H
#define KSCOPE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* The kernel exposes its BTF, so CO-RE programs can be relocated. */
bool probe_kernel_btf(void);

/* Names the first missing capability needed to load and attach tracing BPF
 * programs (CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN on older kernels) plus
 * the extra ones listed (zero-terminated CAP_ numbers); NULL when all held. */
const char *probe_missing_capability(const int *extra);

/*
 * The kernel's BTF, parsed at the first call (tens of ms: five parses were
 * half of kscope record's start-up) and kept for every probe until
 * probe_btf_release(), which live_run() and kscope record call once
 * attached (it is megabytes).  NULL when the kernel has none; never freed
 * by the caller.
 */
struct btf;
struct btf *probe_vmlinux_btf(void);
void probe_btf_release(void);

/* The kernel has function @name (BTF lists static functions too): how to
 * ask whether an optional part is built in, e.g. DAMON's vaddr operations.
 * From probe_vmlinux_btf(), so ask only when the answer matters. */
bool probe_kernel_func(const char *name);

/* Struct @type has member @member in the kernel's BTF: how to ask whether
 * a config option is built in (task_struct.core_cookie: SCHED_CORE).
 * From probe_vmlinux_btf(), like probe_kernel_func(). */
bool probe_kernel_member(const char *type, const char *member);

/* The value of enumerator @name in any enum of the kernel's BTF, named or
 * not (napi_struct's state bits are an anonymous enum): 0, or -ENOENT. */
int probe_kernel_enum_value(const char *name, long long *value);

/*
 * Make tracefs reachable where libbpf looks for tracepoint ids
 * (/sys/kernel/tracing), for classic tracepoint programs.  Where it is not
 * mounted, mount it in a mount namespace of this process's own, so the
 * system's mounts stay as they were, even if we are killed.  0 or -errno
 * with a one-line reason in @err.
 */
int probe_tracefs(char *err, size_t errlen);

/* Silences libbpf unless verbose; libbpf's own lines go to stderr. */
void probe_libbpf_verbose(bool verbose);

#endif
