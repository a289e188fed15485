#!/bin/bash
# iofilter's cost on IO, measured side by side in one run: fio 4 KiB
# random writes (O_DIRECT, psync: every write is a syscall that tier kill
# checks and a bio that the audit sees) on a loop device over
# tmpfs, alternating windows without and with iofilter enforcing a deny
# rule on the first 34 sectors (which fio never touches, so every IO is
# checked and let through).  Target: at most 5% fewer IOPS.
# usage: bench/iofilter.sh [SECONDS_PER_WINDOW]   (needs root, fio; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
IOF=$BUILD/bin/iofilter
W=${1:-10}
command -v fio >/dev/null || { echo "iofilter: skipped, fio not installed"; exit 0; }
TMP=$(mktemp -d /dev/shm/kscope-bench.XXXXXX)
truncate -s 256M "$TMP/disk.img"
DEV=$(losetup -f --show "$TMP/disk.img") || { echo "iofilter: skipped, no loop device"; exit 0; }
trap 'kill $ipid 2>/dev/null; wait 2>/dev/null; losetup -d $DEV; rm -rf "$TMP"' EXIT
ipid=

iops() {	# one window of fio: IOPS
	fio --name=w --filename="$DEV" --rw=randwrite --bs=4k --direct=1 \
		--ioengine=psync --offset=1M --size=200M --time_based --runtime="$W" \
		--output-format=terse --terse-version=3 2>/dev/null |
		awk -F';' '{ print $49 }'
}

base=() ours=()
for round in 1 2 3; do
	base+=("$(iops)")
	"$IOF" --batch --rule "dev=$DEV sectors=0-33" >/dev/null 2>"$TMP/err" &
	ipid=$!
	for _ in $(seq 50); do grep -q enforcing "$TMP/err" && break; sleep 0.1; done
	ours+=("$(iops)")
	kill -INT $ipid; wait $ipid; ipid=
done
base+=("$(iops)")
printf '%s\n' "${base[@]}" | sort -n >"$TMP/b"
printf '%s\n' "${ours[@]}" | sort -n >"$TMP/o"
mb=$(sed -n 2p "$TMP/b") mo=$(sed -n 2p "$TMP/o")
echo "iofilter fio randwrite 4k (median of windows, $(head -1 "$TMP/err" | sed 's/^iofilter: //; s/ (.*//')): ours $mo IOPS, baseline $mb IOPS, ratio $(awk -v a="$mo" -v b="$mb" 'BEGIN { printf "%.3f", b ? a / b : 0 }')"
