#!/bin/bash
# The kernel matrix: every guest of tests/vm/run.sh (other kernels under
# qemu, with what this machine's kernel refuses), as one TAP stream.  Skips
# with the reason when qemu is missing, or when no guest kernel is
# available; a guest that hangs is a failure.  `make test-vm` runs it alone.
command -v "${QEMU:-qemu-system-x86_64}" >/dev/null ||
	{ echo "1..0 # SKIP ${QEMU:-qemu-system-x86_64} not installed"; exit 0; }
exec "$(dirname "$0")/../vm/run.sh"
