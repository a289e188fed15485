#!/bin/bash
# damontop's overhead, measured side by side in one run (shared, noisy
# machines: only ratios against a baseline of the same run mean anything).
#
# For each accessgen stairs target (100 MiB, 1 GiB, 4 GiB):
#   cpu:      damontop's CPU at defaults vs its budget (2% of one CPU), and
#             vs the naive DAMON schedule (5 ms sampling, per-page MADV_COLD,
#             no budget) as the baseline
#   slowdown: the target's work rate with damontop attached vs without,
#             alternating windows (off, on, off, on, off) on the same target
#   stairs:   how many phases the recorded heatmap shows clearly
# and the report speed: report heatmap vs loading the same record (wss).
#
# usage: bench/damontop.sh [SECONDS_PER_WINDOW]   (needs root; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
DT=$BUILD/bin/damontop
AGEN=$BUILD/tools/accessgen
CHECK=$(cd "$(dirname "$0")/.." && pwd)/tools/stairs_check
W=${1:-10}
TMP=$(mktemp -d /tmp/kscope-bench.XXXXXX)
trap 'kill $apid 2>/dev/null; rm -rf "$TMP"' EXIT

mean_rate() {	# mean of accessgen's rate lines between two CLOCK_MONOTONIC ns
	awk -v a="$2" -v b="$3" '$1 == "rate" && $2 >= a && $2 < b {s += $3; n++}
		END {printf "%.0f", n ? s / n : 0}' "$1"
}
mono_ns() { awk '{printf "%.0f", $1 * 1e9}' /proc/uptime; }
cost_of() { sed -n 's/.*monitor cost \([0-9.]*\)%.*/\1/p' "$1"; }

wait_line() {	# wait_line FILE PATTERN: accessgen has got that far
	while ! grep -q "$2" "$1" 2>/dev/null; do sleep 0.2; done
}

rate_between() {	# rate_between OUT T0 T1 T2 T3 ...: mean over windows
	local out=$1 sum=0 n=0 r
	shift
	while [ $# -ge 2 ]; do
		r=$(mean_rate "$out" "$1" "$2")
		sum=$((sum + r)); n=$((n + 1))
		shift 2
	done
	echo $((sum / n))
}

bench_target() {	# bench_target NAME SIZE_PER_REGION PHASE WINDOW
	local name=$1 size=$2 phase=$3 w=$4 out=$TMP/$1.agen
	local t0 t1 t2 t3 t4 t5 off on cost naive lo hi
	"$AGEN" stairs --regions 10 --size "$size" --phase "$phase" --duration 100000 \
		--rate-every 0.5 >"$out" &
	apid=$!
	wait_line "$out" "^phase"	# pre-faulted, running
	# off, on, off, on, off: the target's rate with and without us
	t0=$(mono_ns); sleep "$w"; t1=$(mono_ns)
	"$DT" record -o "$TMP/$name.rec" -p $apid -d "$w" >/dev/null 2>"$TMP/$name.err"
	t2=$(mono_ns); sleep "$w"; t3=$(mono_ns)
	"$DT" --batch -p $apid -d "$w" >/dev/null 2>"$TMP/$name.err2"
	t4=$(mono_ns); sleep "$w"; t5=$(mono_ns)
	"$DT" record -o "$TMP/$name.naive.rec" -p $apid -d "$w" --budget 100 --clear cold \
		>/dev/null 2>"$TMP/$name.naive.err"
	kill $apid; wait $apid 2>/dev/null
	off=$(rate_between "$out" $t0 $t1 $t2 $t3 $t4 $t5)
	on=$(rate_between "$out" $t1 $t2 $t3 $t4)
	cost=$(cost_of "$TMP/$name.err")
	naive=$(cost_of "$TMP/$name.naive.err")
	echo "$name cpu (% of one CPU): ours $cost, baseline naive DAMON schedule $naive, ratio $(awk -v a="$cost" -v b="$naive" 'BEGIN {printf "%.3f", b ? a / b : 0}')"
	echo "$name target rate (pages/s): ours $on, baseline unmonitored $off, ratio $(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", b ? a / b : 0}') (slowdown $(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.1f%%", b ? 100 * (1 - a / b) : 0}'))"
	lo=$(awk '/^region/ {print $3; exit}' "$out")
	hi=$(awk '/^region/ {e=$4} END {print e}' "$out")
	"$DT" report heatmap "$TMP/$name.rec" --format tsv --abs-time --abs-addr \
		--address-range $((lo)),$((hi)) --resol 200,100 -o "$TMP/$name.tsv"
	# stairs_check judges every phase it is given: those the record's
	# window [t1, t2] holds whole, the last one's end as accessgen's end
	awk -v a="$t1" -v b="$t2" '/^region/ { print }
		/^phase/ { if (p != "" && $3 <= b) { print p; e = $3 } p = $3 >= a ? $0 : "" }
		END { if (e) print "end", e }' "$out" >"$TMP/$name.window"
	echo "$name stairs: $("$CHECK" "$TMP/$name.window" "$TMP/$name.tsv" 0.8 | tail -1)"
	echo "$name intervals at the end: $(grep -o "sample [0-9.]* [a-z]*, aggr [0-9.]* [a-z]*" "$TMP/$name.err")"
}

[ "$(id -u)" = 0 ] || { echo "bench needs root" >&2; exit 1; }
echo "# damontop bench, $W s windows, $(nproc) CPUs, $(uname -r)"
bench_target 100MiB 10M 2s "$W"
bench_target 1GiB 100M 2s "$W"
bench_target 4GiB 400M 5s $((2 * W))

# report speed on a long record: 1000 regions, aggregations of 20 ms, for
# 30 s (a generous budget: this only makes data)
"$AGEN" random --regions 8 --size 32M --duration 40 >/dev/null &
apid=$!
sleep 2
rec=$TMP/long.rec
"$DT" record -o "$rec" -p $apid -d 30 -s 1ms -a 20ms -n 1000,1000 --budget 50 \
	>/dev/null 2>&1
kill $apid; wait $apid 2>/dev/null
s=$(date +%s%N); "$DT" report wss "$rec" >/dev/null; m=$(date +%s%N)
"$DT" report heatmap "$rec" --format tsv --resol 1000,500 -o "$TMP/big.tsv"; e=$(date +%s%N)
echo "report heatmap 1000x500 ($("$DT" report wss --json "$rec" | sed 's/.*"snapshots":\([0-9]*\).*/\1/') snapshots, $(stat -c %s "$rec") bytes): ours $(( (e - m) / 1000000 )) ms, baseline load only (report wss) $(( (m - s) / 1000000 )) ms, ratio $(awk -v a=$((e - m)) -v b=$((m - s)) 'BEGIN {printf "%.2f", a / b}')"
