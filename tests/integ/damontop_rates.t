#!/bin/bash
# damontop at its defaults (no --budget, -s or -a: what users run), judged
# from its record against workloads whose truth is known:
#  - every aggregation counts at least 10 samples (aggr_ns / sample_ns);
#  - the record says what set its intervals (the plan note, read back by
#    --replay);
#  - accessgen stairs (10 regions of 10 MiB, one active at a time, 6 s
#    each): the working set of an aggregation is within 2x of the active
#    region in at least 90% of the aggregations that lie inside one phase
#    (one that spans a phase change has no one active region).  DAMON's
#    regions take one to three aggregations to fit each new stair (they
#    split once per aggregation), so the phase is counted in aggregations:
#    at DAMON's 100 ms, 3 s phases (30 aggregations) gave 95% to 100%; at
#    the default 250 ms 3 s phases (12) gave 88% to 100% in 5 runs, so 6 s
#    (24), about the share of adapting aggregations of 3 s at 100 ms;
#  - accessgen rates (10 MiB regions whose every page is touched 61.3,
#    30.7 and 1.9 times a second): the heatmap over the regions (`report
#    heatmap --format tsv`, in Hz) reads the rates as man damontop (HEAT)
#    says heat resolves them, judged by tools/rates_check after the first
#    2 s: 61.3 and 30.7 Hz each within 50% and their ratio within 2x of 2;
#    1.9 Hz blended with its unaccessed neighbours, under a tenth of the
#    hottest reading.  Here they read 54-58, 30.4 and 0.1-0.7 Hz (2 runs).  The
#    top rate was 97.3 Hz, which needs a sampling interval of 10.3 ms at
#    most: the plan at defaults samples at 5 to 15 ms here, by load, and
#    in CI once at 10.4 ms (then 97.3 Hz is above 1 / sampling interval,
#    which heat cannot read, and rates_check rightly leaves it unjudged,
#    failing "every region judged"); 61.3 Hz is below it up to 16 ms.
#    DAMON merges neighbours whose counts differ by at most a tenth of the
#    busiest region's, and the busiest is accessgen's own stack, which
#    reads 1 / sampling interval (200 Hz at 5 ms): a rate up to a tenth of
#    that is within the threshold of unaccessed memory whatever the
#    hottest region's rate, and may be blended when the pte plan samples
#    near 5 ms.  So 20 Hz of 100, 20 and 2 read 13.3-18.8 Hz (10 runs;
#    7.1-20.4 Hz, under 10 Hz in 5 of 29, at 500 ms and 10 regions), the
#    middle rate here is above it, and rates_check is given 1 / the
#    record's shortest interval.  The rates are not multiples of the
#    sampling tick, so that no sweep keeps falling inside a tick's own
#    work, where an access is cleared before it is read: in the Debian
#    guest, where that work takes 1-2 ms of 5, 100, 40 and 2 Hz read 100
#    Hz as 17.6 and 56.6 Hz in 2 of 7 runs, rates like 97.3, 48.7 and 1.9
#    never (11 runs).
. "$(dirname "$0")/lib.sh"
need_bpf
command -v perl >/dev/null && perl -MJSON::PP -e1 2>/dev/null || skip_all "perl JSON::PP not installed"
plan 10

dt=$BIN/damontop

# samples REC: "MIN N" - the fewest samples of an aggregation, of N
samples() {
	"$dt" --replay "$1" --json 2>/dev/null | perl -MJSON::PP -ne '
		next unless /^\{/; my $j = decode_json($_); $n++;
		my $s = $j->{aggr_ns} / $j->{sample_ns};
		$min = $s if !defined $min || $s < $min;
		END { printf "%s %d\n", defined $min ? $min : 0, $n }'
}

# --- stairs ---------------------------------------------------------------
"$dt" record -o "$TMP/stairs.rec" -d 80 \
	-c "$TOOLS/accessgen stairs --wait --regions 10 --size 10M --phase 6s --rounds 1" \
	>"$TMP/stairs.agen" 2>"$TMP/stairs.err" &
dpid=$!
accessgen_start_after 3 "$TMP/stairs.agen"
wait $dpid
ok $? "record the stairs at defaults: $(tail -1 "$TMP/stairs.err")"
nothing_left "after the stairs" "$DAMONTOP_PROGS"

read -r min n <<<"$(samples "$TMP/stairs.rec")"
perl -e 'exit !($ARGV[0] >= 10 && $ARGV[1] >= 20)' "$min" "$n"
ok $? "stairs: every aggregation has at least 10 samples (fewest $min, $n aggregations)"

"$dt" --replay "$TMP/stairs.rec" --batch >"$TMP/replay.out" 2>&1
plan_line=$(grep -m1 '^# plan: ' "$TMP/replay.out")
grep -qE '^# plan: sample .* x [0-9]+ = aggr .*; (as asked|limit: budget|over budget)' <<<"$plan_line"
ok $? "the record says what set its intervals: '${plan_line#\# plan: }'"

# per aggregation inside one phase: WSS against the active region's size
"$dt" --replay "$TMP/stairs.rec" --json 2>/dev/null >"$TMP/stairs.json"
out=$(perl -MJSON::PP -e '
	my ($agen, $json) = @ARGV;
	my (%size, @ph, $end);
	open(my $a, "<", $agen) or die;
	while (<$a>) {
		$size{$1} = hex($3) - hex($2) if /^region (\d+) (0x\w+) (0x\w+)/;
		push @ph, [$1, $2] if /^phase \d+ (\d+) (\d+)$/;
		$end = $1 if /^end (\d+)/;
	}
	push @ph, [$end, -1];
	open(my $j, "<", $json) or die;
	my ($n, $good, @bad) = (0, 0);
	while (<$j>) {
		next unless /^\{/;
		my $s = decode_json($_);
		my ($t1, $t0) = ($s->{time_ns}, $s->{time_ns} - $s->{aggr_ns});
		for my $i (0 .. $#ph - 1) {
			next unless $t0 >= $ph[$i][0] && $t1 <= $ph[$i + 1][0];
			my $want = $size{$ph[$i][1]};
			my $w = $s->{wss_bytes};
			$n++;
			if ($w >= $want / 2 && $w <= 2 * $want) { $good++ }
			else { push @bad, sprintf("%.1f MiB", $w / 1048576) }
		}
	}
	printf "%d %d %s\n", $good, $n, join(", ", @bad[0 .. ($#bad < 7 ? $#bad : 7)]);
' "$TMP/stairs.agen" "$TMP/stairs.json")
read -r good n bad <<<"$out"
perl -e 'exit !($ARGV[1] >= 20 && $ARGV[0] >= 0.9 * $ARGV[1])' "$good" "$n"
ok $? "stairs: WSS within 2x of the active 10 MiB region in $good of $n aggregations inside a phase (90% wanted; off: ${bad:-none})"

# --- known rates ----------------------------------------------------------
"$dt" record -o "$TMP/rates.rec" -d 12 \
	-c "$TOOLS/accessgen rates --rates 61.3,30.7,1.9 --size 10M --duration 30" \
	>"$TMP/rates.agen" 2>"$TMP/rates.err"
ok $? "record the rates at defaults: $(tail -1 "$TMP/rates.err")"
nothing_left "after the rates" "$DAMONTOP_PROGS"

read -r min n <<<"$(samples "$TMP/rates.rec")"
perl -e 'exit !($ARGV[0] >= 10 && $ARGV[1] >= 10)' "$min" "$n"
ok $? "rates: every aggregation has at least 10 samples (fewest $min, $n aggregations)"

# the heatmap over the regions' span, in Hz, judged by tools/rates_check
# against the rates accessgen states (the first 2 s left out: DAMON's
# regions take a few aggregations to fit the target), given the most heat
# can read, 1 / the record's shortest sampling interval, which is also
# what accessgen's own stack reads, and so what sets DAMON's merge threshold
min_ns=$("$dt" --replay "$TMP/rates.rec" --json 2>/dev/null |
	grep -o '"sample_ns":[0-9]*' | cut -d: -f2 | sort -n | head -1)
max_hz=$(perl -e 'printf "%g", $ARGV[0] ? 1e9 / $ARGV[0] : 0' "${min_ns:-0}")
lo=$(awk '/^region/ { print $3; exit }' "$TMP/rates.agen")
hi=$(awk '/^region/ { e = $4 } END { print e }' "$TMP/rates.agen")
"$dt" report heatmap "$TMP/rates.rec" --format tsv --abs-time --abs-addr \
	--address-range $((lo)),$((hi)) --resol 120,60 -o "$TMP/rates.tsv" \
	2>"$TMP/report.err"
rc=$?
cells=$(grep -vc '^#' "$TMP/rates.tsv")	# the first line says the unit
[ $rc = 0 ] && [ "$cells" = $((120 * 60)) ]
ok $? "rates: report heatmap --format tsv over the regions: exit $rc, $cells cells $(head -1 "$TMP/report.err")"

out=$("$SRC_TOOLS/rates_check" "$TMP/rates.agen" "$TMP/rates.tsv" 2 "$max_hz" 2>&1)
rc=$?
# every region judged: a plan too slow to show the rates must not pass
[ $rc = 0 ] && grep -q ' 0 not judged;' <<<"$(tail -1 <<<"$out")"
rc=$?
ok $rc "rates: the heatmap reads accessgen's rates in Hz, every region judged, at most $max_hz ($(tail -1 <<<"$out"))"
if [ $rc = 0 ]; then note "$out"; else diag "$out"; fi
[ $FAILED = 0 ] || diag "$(cat "$TMP/rates.err" "$TMP/stairs.err")"
done_testing
