#!/bin/bash
# tests/vm/kernel.sh OUTDIR [config]: build the guests' full kernel
# (kscope-6.1-full, as in ../shared/kernels) from Debian's linux-source-6.1
# with tests/vm/kscope-6.1-full.config, into OUTDIR/bzImage and
# OUTDIR/config ("config": stop after the configuration, a minute).
# `make vm-kernel` installs the packages first.  About 30 minutes on two
# cores; the unpacked tree stays in OUTDIR/src for a rebuild.
set -euo pipefail
out=$1
only_config=${2:-}
frag=$(cd "$(dirname "$0")" && pwd)/kscope-6.1-full.config
tarball=${KSCOPE_LINUX_SOURCE:-/usr/src/linux-source-6.1.tar.xz}

[ -r "$tarball" ] || { echo "kernel.sh: no $tarball (apt-get install linux-source-6.1)" >&2; exit 1; }
command -v pahole >/dev/null || { echo "kernel.sh: no pahole for BTF (apt-get install dwarves)" >&2; exit 1; }
mkdir -p "$out/src"
out=$(cd "$out" && pwd)
if [ ! -e "$out/src/Makefile" ]; then
	echo "unpacking $tarball"
	tar -xaf "$tarball" -C "$out/src" --strip-components=1
fi
cd "$out/src"
make defconfig
make kvm_guest.config
scripts/kconfig/merge_config.sh -m .config "$frag"
make olddefconfig
# what the fragment asks for but Kconfig dropped (an unmet dependency):
# said, not fatal, as the published kernel was built the same way
while IFS= read -r line; do
	case $line in CONFIG_*=n) continue ;; CONFIG_*) ;; *) continue ;; esac
	grep -qxF "$line" .config || echo "kernel.sh: note: $line did not take (unmet dependency)" >&2
done <"$frag"
cp .config "$out/config"
[ "$only_config" = config ] && { echo "configured $out/config"; exit 0; }
make -j"$(nproc)" bzImage
cp arch/x86/boot/bzImage "$out/bzImage"
echo "built $out/bzImage"
