#!/bin/bash
# damontop at its defaults (no --budget, -s or -a: what users run), judged
# from its record against workloads whose truth is known:
#  - every aggregation counts at least 10 samples (aggr_ns / sample_ns);
#  - the record says what set its intervals (the plan note, read back by
#    --replay);
#  - accessgen stairs (10 regions of 10 MiB, one active at a time, 3 s
#    each): the working set of an aggregation is within 2x of the active
#    region in at least 90% of the aggregations that lie inside one phase
#    (one that spans a phase change has no one active region).  DAMON's
#    regions take a few aggregations to fit each new stair, whatever the
#    phase: with 2 s phases 89% to 100% passed here, with 3 s 95% to 100%;
#  - accessgen rates (10 MiB regions whose every page is touched 100, 20
#    and 2 times a second): the regions' mean nr_accesses per aggregation
#    rise with the true rates.
# Heat values from `report heatmap` are not judged here: the record's own
# counts are (--replay --json gives every snapshot with its regions, each
# with its nr_accesses and heat_hz).
. "$(dirname "$0")/lib.sh"
need_bpf
command -v perl >/dev/null && perl -MJSON::PP -e1 2>/dev/null || skip_all "perl JSON::PP not installed"
plan 9

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
"$dt" record -o "$TMP/stairs.rec" -d 50 \
	-c "$TOOLS/accessgen stairs --wait --regions 10 --size 10M --phase 3s --rounds 1" \
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
	-c "$TOOLS/accessgen rates --rates 100,20,2 --size 10M --duration 30" \
	>"$TMP/rates.agen" 2>"$TMP/rates.err"
ok $? "record the rates at defaults: $(tail -1 "$TMP/rates.err")"
nothing_left "after the rates" "$DAMONTOP_PROGS"

read -r min n <<<"$(samples "$TMP/rates.rec")"
perl -e 'exit !($ARGV[0] >= 10 && $ARGV[1] >= 10)' "$min" "$n"
ok $? "rates: every aggregation has at least 10 samples (fewest $min, $n aggregations)"

# per accessgen region: the byte-weighted mean nr_accesses of the regions
# covering it, per aggregation, averaged over the run after the first 2 s
# (DAMON's regions take a few aggregations to fit the target)
"$dt" --replay "$TMP/rates.rec" --json 2>/dev/null >"$TMP/rates.json"
means=$(perl -MJSON::PP -e '
	my ($agen, $json) = @ARGV;
	my @reg;
	open(my $a, "<", $agen) or die;
	while (<$a>) { push @reg, [hex($2), hex($3)] if /^region (\d+) (0x\w+) (0x\w+)/ }
	open(my $j, "<", $json) or die;
	my ($t0, @sum, @hz, $n);
	while (<$j>) {
		next unless /^\{/;
		my $s = decode_json($_);
		$t0 //= $s->{time_ns};
		next if $s->{time_ns} - $t0 < 2e9;
		$n++;
		for my $i (0 .. $#reg) {
			my ($lo, $hi) = @{$reg[$i]};
			my ($acc, $heat, $bytes) = (0, 0, 0);
			for my $r (@{$s->{regions}}) {
				my ($a0, $a1) = ($r->{start} > $lo ? $r->{start} : $lo,
						 $r->{end} < $hi ? $r->{end} : $hi);
				next if $a1 <= $a0;
				$acc += $r->{nr_accesses} * ($a1 - $a0);
				$heat += $r->{heat_hz} * ($a1 - $a0);
				$bytes += $a1 - $a0;
			}
			$sum[$i] += $bytes ? $acc / $bytes : 0;
			$hz[$i] += $bytes ? $heat / $bytes : 0;
		}
	}
	printf "%d", $n;
	printf " %.2f/%.1fHz", $sum[$_] / $n, $hz[$_] / $n for 0 .. $#reg;
	print "\n";
' "$TMP/rates.agen" "$TMP/rates.json")
read -r n m100 m20 m2 <<<"$means"
perl -e 'my @m = map { (split m{/})[0] } @ARGV[1..3];
	exit !($ARGV[0] >= 5 && $m[0] > $m[1] && $m[1] > $m[2])' "$n" "$m100" "$m20" "$m2"
ok $? "rates: mean nr_accesses per aggregation (and as Hz) 100 Hz $m100 > 20 Hz $m20 > 2 Hz $m2 over $n aggregations"
[ $FAILED = 0 ] || diag "$(cat "$TMP/rates.err" "$TMP/stairs.err")"
done_testing
