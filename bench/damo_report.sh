#!/bin/bash
# `report heatmap` on damo's own record (../shared/fixtures/damo: 13
# snapshots of ~1,600 regions, 11.5 MB of JSON in a zlib stream), measured
# side by side in one run: damontop vs damo 3.3.0 itself (the baseline; see
# tools/damo_lib.sh) on the same file, at 40x80 and 500x500 cells, both
# writing damo's raw text (time, address, heat a line) to /dev/null; the
# best of a few alternating runs of each; and the most memory each took.
# Then damontop on the same data in its own format, for scale.
#
# usage: bench/damo_report.sh [RUNS]   (make bench; damo needs root here,
# for its sysinfo file: without it only damontop's figures are printed)
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KSCOPE_BUILD:-$TOP/build}
DT=$BUILD/bin/damontop
FIXTURE=${KSCOPE_FIXTURES:-$TOP/../shared/fixtures}/damo/paddr-kdamond.damon.data
RUNS=${1:-5}
TMP=$(mktemp -d /tmp/kscope-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
. "$TOP/tools/damo_lib.sh"

[ -r "$FIXTURE" ] || { echo "damo report: skipped, no damo fixture at $FIXTURE"; exit 0; }
[ -x /usr/bin/time ] || { echo "damo report: needs GNU time (/usr/bin/time)" >&2; exit 1; }
have_damo=1
damo_setup "$TMP" || { have_damo=; echo "# damo 3.3.0 cannot run: $DAMO_WHY"; }
nsnaps=$("$DT" report wss --json "$FIXTURE" | sed 's/.*"snapshots":\([0-9]*\).*/\1/')
echo "# damo report bench: $(nproc) CPUs, $RUNS runs each, $(basename "$FIXTURE")" \
	"($nsnaps snapshots, $(stat -c %s "$FIXTURE") bytes)"

# run NAME CMD...: one run's wall ms and max RSS (KiB) appended to $TMP/NAME
run() {
	local name=$1 t0 t1
	shift
	t0=$(date +%s%N)
	/usr/bin/time -o "$TMP/t" -f '%M' "$@" >/dev/null 2>"$TMP/err" ||
		{ echo "$name failed: $(head -1 "$TMP/err")" >&2; exit 1; }
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(cat "$TMP/t")" >>"$TMP/$name"
}
best() { sort -n "$TMP/$1" | head -1 | cut -d' ' -f1; }	# fastest ms
rss() { sort -n -k2 "$TMP/$1" | tail -1 | awk '{ printf "%.1f MB", $2 / 1024 }'; }

"$DT" report convert "$FIXTURE" -o "$TMP/ours.rec" || exit 1
for cells in "40 80" "500 500"; do
	t=${cells% *} a=${cells#* }
	name=${t}x$a
	for i in $(seq "$RUNS"); do
		run "ours-$name" "$DT" report heatmap "$FIXTURE" --format tsv --resol "$t" "$a"
		run "own-$name" "$DT" report heatmap "$TMP/ours.rec" --format tsv --resol "$t" "$a"
		# damo is slow and steady: fewer runs of it
		[ -n "$have_damo" ] && [ "$i" -le 3 ] &&
			run "damo-$name" "${DAMO_CMD[@]}" report heatmap --input "$FIXTURE" \
				--output raw --resol "$t" "$a"
	done
	ours=$(best "ours-$name") own=$(best "own-$name")
	if [ -n "$have_damo" ]; then
		base=$(best "damo-$name")
		echo "report heatmap $name (damo's record): ours $ours ms, baseline damo 3.3.0 $base ms, ratio $(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%.3f (%.1fx faster)", a / b, b / (a ? a : 1) }')"
		echo "report heatmap $name max RSS: ours $(rss "ours-$name"), baseline damo 3.3.0 $(rss "damo-$name")"
	else
		echo "report heatmap $name (damo's record): ours $ours ms, max RSS $(rss "ours-$name"); baseline damo 3.3.0: cannot run"
	fi
	echo "report heatmap $name (our format): ours $own ms, baseline ours on damo's record $ours ms, ratio $(awk -v a="$own" -v b="$ours" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')"
done
