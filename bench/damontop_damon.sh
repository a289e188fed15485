#!/bin/bash
# damontop's kernel DAMON source, measured side by side in one run:
#   attach:  CPU of `damontop --attach-kdamond N` vs the watched kdamond's
#            own CPU time over the same window (the baseline: what DAMON
#            itself costs; watching should be a small fraction of it)
# Reports of damo's own records, against damo itself: bench/damo_report.sh.
# usage: bench/damontop_damon.sh [SECONDS]   (needs root; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
DT=$BUILD/bin/damontop
W=${1:-60}
TMP=$(mktemp -d /tmp/kscope-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
ROOT=/sys/kernel/mm/damon/admin

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }	# utime + stime
hz=$(getconf CLK_TCK)

kd=
for d in "$ROOT"/kdamonds/[0-9]*; do
	[ "$(cat "$d/state" 2>/dev/null)" = on ] && { kd=${d##*/}; break; }
done
if [ -z "$kd" ]; then
	echo "attach: skipped, no kdamond runs here"
else
	kpid=$(cat "$ROOT/kdamonds/$kd/pid")
	k0=$(ticks "$kpid")
	"$DT" --attach-kdamond "$kd" --batch -d "$W" >/dev/null 2>"$TMP/err"
	k1=$(ticks "$kpid")
	# the running cost, start-up apart (damontop's summary)
	ours=$(sed -n 's/.*monitor cost \([0-9.]*\)%.*/\1/p' "$TMP/err")
	awk -v ours="$ours" -v k=$((k1 - k0)) -v hz="$hz" -v w="$W" -v kd="$kd" 'BEGIN {
		base = 100 * k / hz / w
		printf "attach (kdamond %d, %d s): ours %.3f%% of a CPU, baseline kdamond %.3f%%, ratio %.2f\n",
			kd, w, ours, base, (base > 0 ? ours / base : 0) }'
	grep -o 'start-up [0-9]* ms' "$TMP/err" | sed 's/^/attach: /'
fi
