#!/bin/bash
# The kernel matrix: every guest of tests/vm/run.sh (other kernels under
# qemu, with what this machine's kernel refuses), as one TAP stream.  Skips
# with the reason when qemu is missing, or when no guest kernel is
# available; a guest that hangs is a failure.  `make test-vm` runs it alone.
command -v "${QEMU:-qemu-system-x86_64}" >/dev/null ||
	{ echo "1..0 # SKIP ${QEMU:-qemu-system-x86_64} not installed"; exit 0; }
# A failure and the comments after it go to stderr too, where prove shows
# them without -v (CI logs keep only that), and to make test's list.
"$(dirname "$0")/../vm/run.sh" | awk -v list="${KSCOPE_FAILURES:-}" '
	/^not ok/ { bad = 1; print > "/dev/stderr" }
	/^not ok/ && !/# TODO/ && list != "" { print "vm.t: " $0 >> list }
	/^ok/ { bad = 0 }
	/^#/ && bad { print > "/dev/stderr" }
	{ print; fflush() }'
exit "${PIPESTATUS[0]}"
