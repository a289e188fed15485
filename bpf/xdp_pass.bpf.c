// SPDX-License-Identifier: GPL-2.0
/* XDP_PASS on a veth end, so that veth runs its NAPI for every packet
 * (tests/integ/napi_lib.sh, mode xdp); the name is unique for the
 * nothing-left-behind checks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int kscope_xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
