#!/bin/bash
# damontop records accessgen's stairs (8 regions of 10 MiB, 2 s each, two
# rounds) with the pte source at default intervals and a 10% budget (a
# margin for loaded machines; damontop_rates.t judges the default budget
# and bench/ measures it), and the report shows the stairs: the hot band visits the
# regions in order, at least 80% of each phase's hot cells in the active
# region, one phase of eight allowed to miss (a DAMON region straddling two
# of accessgen's can take a phase to split; 1 run in 6 showed one here).
# The first round is where DAMON's regions, merged over the idle target,
# adapt to the workload (a few aggregations per change); every phase of
# the second is judged (one the recording misses counts as a miss).  Then
# the working set: one region at a time, and exact through --scan.
. "$(dirname "$0")/lib.sh"
need_bpf
plan 10

rec=$TMP/stairs.rec
"$BIN/damontop" record --budget 10 -d 60 -o "$rec" -c "$TOOLS/accessgen stairs --wait --regions 8 --size 10M --phase 2s --rounds 2" \
	>"$TMP/agen.out" 2>"$TMP/err" &
dpid=$!
accessgen_start_after 3 "$TMP/agen.out"
loaded_now "while it records" "$DAMONTOP_PROGS"
wait $dpid
ok $? "record exits 0 when the target exits"
grep -q 'exited after' "$TMP/err"
ok $? "record prints a summary: $(head -c 200 "$TMP/err")"
nothing_left "after record" "$DAMONTOP_PROGS"

# the regions' span, absolute, from accessgen's own report
lo=$(awk '/^region/ {print $3; exit}' "$TMP/agen.out")
hi=$(awk '/^region/ {e=$4} END {print e}' "$TMP/agen.out")
"$BIN/damontop" report heatmap "$rec" --format tsv --abs-time --abs-addr \
	--address-range $((lo)),$((hi)) --resol 400,100 -o "$TMP/heat.tsv"
ok $? "report heatmap --format tsv"
out=$("$SRC_TOOLS/stairs_check" "$TMP/agen.out" "$TMP/heat.tsv" 0.8 8 1 2>&1)
rc=$?
ok $rc "the heatmap shows the stairs (pte, default intervals): $(tail -1 <<<"$out")"
[ $rc = 0 ] && note "$out" || diag "$out
$(cat "$TMP/err")"

"$BIN/damontop" report heatmap "$rec" --address-range $((lo)),$((hi)) -o "$TMP/heat.png"
file "$TMP/heat.png" 2>/dev/null | grep -q 'PNG image data' || head -c 8 "$TMP/heat.png" | grep -q PNG
ok $? "report heatmap writes a PNG"

wss=$("$BIN/damontop" report wss "$rec" --json)
# one 10 MiB region is active at a time: the median WSS is that region,
# 0.8 to 1.25 of it (runs here give 1.005), never two regions' 20 MiB
med=$(sed -n 's/.*"50":\([0-9]*\).*/\1/p' <<<"$wss")
[ -n "$med" ] && [ "$med" -ge $((8 << 20)) ] && [ "$med" -le $(((10 << 20) * 5 / 4)) ]
ok $? "report wss: median $med bytes is one region (10 MiB), 0.8 to 1.25 of it"

# --scan: the exact working set of every interval (clearing the whole
# process costs the target every page it touches again: a bigger budget)
"$BIN/damontop" record --scan -a 200ms --budget 10 -o "$TMP/scan.rec" \
	-c "$TOOLS/accessgen stairs --regions 4 --size 10M --phase 1s --rounds 1" \
	>"$TMP/agen2.out" 2>"$TMP/err2"
ok $? "record --scan exits 0"
"$BIN/damontop" report wss "$TMP/scan.rec" --json >"$TMP/scanwss"
med=$(sed -n 's/.*"50":\([0-9]*\).*/\1/p' "$TMP/scanwss")
# one 10 MiB region plus the program's own few pages
[ -n "$med" ] && [ "$med" -ge $((10 << 20)) ] && [ "$med" -le $((12 << 20)) ]
ok $? "--scan: median WSS $med bytes is one region, to the page"
done_testing
