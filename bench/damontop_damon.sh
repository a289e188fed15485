#!/bin/bash
# damontop's kernel DAMON source, measured side by side in one run:
#   attach:  CPU of `damontop --attach-kdamond N` vs the watched kdamond's
#            own CPU time over the same window (the baseline: what DAMON
#            itself costs; watching should be a small fraction of it)
#   report:  report heatmap on damo's own record (json_compressed) vs on
#            the same data converted to our format; damo's own `report
#            heatmap` is the baseline the issue names, run when damo is
#            installed (PyPI is out of reach on the development machines)
# usage: bench/damontop_damon.sh [SECONDS]   (needs root; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
DT=$BUILD/bin/damontop
TOP=$(cd "$(dirname "$0")/.." && pwd)
FIXTURE=${KSCOPE_FIXTURES:-$TOP/../shared/fixtures}/damo/paddr-kdamond.damon.data
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

if [ ! -r "$FIXTURE" ]; then
	echo "report: skipped, no damo fixture at $FIXTURE"
	exit 0
fi
"$DT" report convert "$FIXTURE" -o "$TMP/ours.rec" || exit 1
best() {	# best of 5 wall times of a command, in ms
	local i t best=
	for i in 1 2 3 4 5; do
		t0=$(date +%s%N)
		"$@" >/dev/null 2>&1
		t=$((($(date +%s%N) - t0) / 1000000))
		[ -z "$best" ] || [ "$t" -lt "$best" ] && best=$t
	done
	echo "$best"
}
damo_ms=$(best "$DT" report heatmap "$FIXTURE" --format tsv)
ours_ms=$(best "$DT" report heatmap "$TMP/ours.rec" --format tsv)
if command -v damo >/dev/null; then
	base_ms=$(best damo report heatmap --input "$FIXTURE" --output raw)
	echo "report (damo's record): ours ${damo_ms} ms, baseline damo ${base_ms} ms, ratio $(awk -v a="$base_ms" -v b="$damo_ms" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')"
	echo "report (our format): ours ${ours_ms} ms, baseline damo ${base_ms} ms, ratio $(awk -v a="$base_ms" -v b="$ours_ms" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')"
else
	echo "report (damo's record): ours ${damo_ms} ms, baseline damo: not installed, no ratio"
	echo "report (our format): ours ${ours_ms} ms, baseline ours on damo's record ${damo_ms} ms, ratio $(awk -v a="$damo_ms" -v b="$ours_ms" 'BEGIN { printf "%.1f", a / (b ? b : 1) }')"
fi
