#!/bin/bash
# damontop's edges: bad input gets one clear line and a non-zero exit; a
# target that exits, a signal and -d all end with nothing left attached.
. "$(dirname "$0")/lib.sh"
need_bpf
plan 26

dt=$BIN/damontop
agen=$TOOLS/accessgen

one_line_error "missing pid" "cannot attach to pid 999999" "$dt" --batch -p 999999
one_line_error "no target" "give one of" "$dt" --batch
one_line_error "bad budget" "bad budget" "$dt" --batch --budget 0 -p 1
one_line_error "bad regions" "bad regions" "$dt" --batch -n 5,2 -p 1
one_line_error "bad interval" "bad sampling interval" "$dt" --batch -s 5q -p 1
one_line_error "command not found" "cannot run" "$dt" --batch -c /nonexistent/cmd
one_line_error "report of a missing file" "cannot read" "$dt" report wss "$TMP/none"
head -c 3000 /dev/urandom >"$TMP/garbage"
one_line_error "report of garbage" "cannot read" "$dt" report wss "$TMP/garbage"

# a real record, then damaged copies of it
"$dt" record --budget 5 -o "$TMP/r.rec" -d 2.5 -c "$agen random --regions 2 --size 4M --duration 4" >/dev/null 2>&1
ok $? "record -d 2.5 of a longer-running target exits 0"
nothing_left "after record -d" "$DAMONTOP_PROGS"
size=$(stat -c %s "$TMP/r.rec")
head -c $((size - 7)) "$TMP/r.rec" >"$TMP/trunc.rec"
one_line_error "truncated record" "truncated" "$dt" report wss "$TMP/trunc.rec"
cp "$TMP/r.rec" "$TMP/flip.rec"
perl -e 'open(my $f, "+<", $ARGV[0]) or die; seek($f, $ARGV[1], 0); read($f, my $b, 1);
	seek($f, $ARGV[1], 0); print $f chr(ord($b) ^ 0xff)' "$TMP/flip.rec" $((size / 2))
one_line_error "corrupt record" "cannot read" "$dt" report wss "$TMP/flip.rec"
n=$("$dt" report regions "$TMP/r.rec" | grep -c '^# snapshot')
"$dt" --replay "$TMP/r.rec" --batch >"$TMP/replay.out" 2>&1
[ $? = 0 ] && [ "$(grep -cE '^ +[0-9.]+s ' "$TMP/replay.out")" = "$n" ] && [ "$n" -ge 5 ]
ok $? "--replay --batch prints every recorded snapshot ($n)"
one_line_error "replay of a truncated record" "truncated" "$dt" --replay "$TMP/trunc.rec" --batch
# heat in Hz, each piece of time once: never above 1 / sampling interval
"$dt" report heatmap "$TMP/r.rec" --resol 40,20 >"$TMP/heat.tsv"
min_sample=$("$dt" --replay "$TMP/r.rec" --json | perl -MJSON::PP -ne '
	my $s = decode_json($_)->{sample_ns}; $m = $s if !defined $m || $s < $m; END { print $m }')
max=$(awk -F'\t' '!/^#/ && $3 != "NaN" && $3 + 0 > m { m = $3 + 0 } END { print m + 0 }' "$TMP/heat.tsv")
head -1 "$TMP/heat.tsv" | grep -q '^# .*heat in Hz' &&
	perl -e 'exit !($ARGV[0] > 0 && $ARGV[0] <= 1e9 / $ARGV[1] * (1 + 1e-9))' "$max" "$min_sample"
ok $? "report heatmap: the unit first (Hz), the hottest cell $max Hz within 1 / sampling interval ($((1000000000 / min_sample)) Hz)"
"$dt" report heatmap "$TMP/r.rec" --resol 40,20 --heat-model damo-3.3 >"$TMP/heat-damo.tsv"
[ $? = 0 ] && ! grep -q '^#' "$TMP/heat-damo.tsv" && [ "$(wc -l <"$TMP/heat-damo.tsv")" = 800 ]
ok $? "--heat-model damo-3.3: damo's three columns, nothing else ($(wc -l <"$TMP/heat-damo.tsv") cells)"
one_line_error "bad heat model" "bad heat model 'damo'" "$dt" report heatmap "$TMP/r.rec" --heat-model damo
sum=$(md5sum <"$TMP/r.rec")
one_line_error "record over an existing file" "File exists" \
	"$dt" record -o "$TMP/r.rec" -d 1 -c "$agen random --regions 1 --size 1M --duration 2"
[ "$(md5sum <"$TMP/r.rec")" = "$sum" ]
ok $? "the existing file is unchanged"

# the target exits under a running monitor: summary, exit 0
"$agen" random --regions 2 --size 4M --duration 2 >/dev/null &
apid=$!
"$dt" --batch --budget 5 -p $apid >"$TMP/b.out" 2>"$TMP/b.err"
rc=$?
wait $apid
lines=$(grep -cE '^ +[0-9.]+s ' "$TMP/b.out")
[ $rc = 0 ] && grep -q "exited after" "$TMP/b.err" && [ "$lines" -ge 1 ]
ok $? "-p target exits: exit $rc, $lines lines, $(cat "$TMP/b.err")"
nothing_left "after the target exited" "$DAMONTOP_PROGS"

# SIGTERM to the monitor: it stops its -c child and leaves nothing behind
"$dt" --batch -c "$agen random --regions 2 --size 4M --duration 60" >"$TMP/t.out" 2>&1 &
dpid=$!
sleep 1.5
loaded_now "the running monitor" "$DAMONTOP_PROGS"
kill -TERM $dpid
wait $dpid
rc=$?
[ $rc = 0 ] && ! pgrep -f "accessgen random --regions 2 --size 4M --duration 60" >/dev/null
ok $? "SIGTERM: exit $rc and the -c command is gone"
nothing_left "after SIGTERM" "$DAMONTOP_PROGS"

# --json lines are JSON with the fields a script needs, under names that
# say their units; each region an object, its heat_hz nr_accesses per
# second of aggr_ns
"$dt" --json --budget 5 -d 2.5 -c "$agen random --regions 2 --size 8M --duration 5" >"$TMP/j.out" 2>/dev/null
why=$(perl -MJSON::PP -ne 'BEGIN { $n = $hot = 0 } next unless /^\{/; $j = decode_json($_);
	exists $j->{$_} or die "no $_\n" for qw(time_ns sample_ns aggr_ns nr_regions wss_bytes
		rss_bytes cost_ppm drops clear regions);
	@{$j->{regions}} == $j->{nr_regions} or die "nr_regions $j->{nr_regions}\n";
	for my $r (@{$j->{regions}}) {
		my $k = join(" ", sort keys %$r);
		$k eq "age_aggrs end heat_hz nr_accesses start" or die "region keys: $k\n";
		my $hz = $r->{nr_accesses} * 1e9 / $j->{aggr_ns};
		abs($r->{heat_hz} - $hz) <= 1e-12 * $hz or die "heat_hz $r->{heat_hz}, not $hz\n";
		$hot++ if $r->{heat_hz} > 0;
	}
	$n++; END { print "$n objects, $hot regions with heat_hz > 0\n"; $? ||= !($n >= 3 && $hot) }' \
	"$TMP/j.out" 2>&1)
ok $? "--json: time_ns ... regions of {start, end, nr_accesses, heat_hz, age_aggrs}: $why"

# positional interval and count, libbpf-tools style
"$dt" -c "$agen random --regions 2 --size 4M --duration 30" 0.3 4 >"$TMP/p.out" 2>/dev/null
[ "$(grep -cE '^ +[0-9.]+s ' "$TMP/p.out")" = 4 ]
ok $? "'interval count' prints exactly count lines ($(grep -cE '^ +[0-9.]+s ' "$TMP/p.out"))"
done_testing
