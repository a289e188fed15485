#!/bin/bash
# damontop calibrate at its defaults, as a user runs it before trusting a
# map: it runs its own known-rates workload (97.3, 48.7 and 1.9 Hz over
# 10 MiB each, the rest of 64 MiB never touched) and reports how far the
# heat is from the truth.  Judged here:
#  - the workload really ran at its rates (what calibrate says it achieved,
#    within 10% of the rates it was built with);
#  - at defaults the two rates over a tenth of 1 / sampling interval read
#    within 50% (tests/integ/damontop_rates.t checks the same from a
#    record of accessgen's, with tools/rates_check, not calibrate's
#    arithmetic), and 1.9 Hz, under that tenth, is blended and says so
#    (damontop(8) HEAT: DAMON's merge threshold);
#  - hot cells found and WSS within bounds, a cost reported;
#  - nothing left: no program, no child, no temporary record, also after
#    SIGINT mid-run; bad input is one line.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v perl >/dev/null && perl -MJSON::PP -e1 2>/dev/null || skip_all "perl JSON::PP not installed"
plan 14

dt=$BIN/damontop
tmp_records() { ls /tmp/damontop-calibrate.* 2>/dev/null | wc -l; }
before=$(tmp_records)

"$dt" calibrate --json >"$TMP/c.json" 2>"$TMP/c.err"
ok $? "damontop calibrate --json at defaults: $(tail -1 "$TMP/c.err")"
nothing_left "after calibrate" "$DAMONTOP_PROGS"
! pgrep -x calibrate >/dev/null && [ "$(tmp_records)" = "$before" ]
ok $? "no workload process and no temporary record left"

judge() {	# judge PERL-EXPR DESC: PERL-EXPR on $j (the report) and $r (rates)
	perl -MJSON::PP -e '
		my $j = decode_json(<STDIN>); my @r = @{$j->{rates}};
		my $ok = eval $ARGV[0]; die $@ if $@; exit !$ok' "$1" <"$TMP/c.json"
	ok $? "$2"
}
field() { perl -MJSON::PP -e 'my $j = decode_json(<STDIN>); print eval $ARGV[0]' "$1" <"$TMP/c.json"; }
rates=$(field 'join " ", map { sprintf "%g Hz: achieved %.1f, heat %.1f;", $_->{rate_hz}, $_->{achieved_hz}, $_->{heat_hz} } @{$j->{rates}}')

judge '!grep { abs($_->{achieved_hz} - $_->{rate_hz}) > 0.1 * $_->{rate_hz} } @r' \
	"the workload ran at its rates ($rates)"
# (heat cannot exceed 1 / sampling interval: a rate above it reads that)
judge 'my $b = 1e9 / $j->{sample_ns};
	!grep { my $t = $_->{achieved_hz} < $b ? $_->{achieved_hz} : $b;
		$_->{rate_hz} >= 10 && abs($_->{heat_hz} - $t) > 0.5 * $t } @r' \
	"97.3 and 48.7 Hz read within 50% at defaults (of 1 / sampling interval where lower)"
judge '$r[2]{heat_hz} < 10 && $j->{cold_heat_hz} < 10' \
	"1.9 Hz and the cold memory read under 10 Hz ($(field '$j->{rates}[2]{heat_hz}'), $(field '$j->{cold_heat_hz}') Hz)"
judge '$j->{hot_precision} >= 0.7 && $j->{hot_recall} >= 0.7 && $j->{wss_median_error} <= 0.5' \
	"hot cells precision $(field '$j->{hot_precision}'), recall $(field '$j->{hot_recall}'), WSS median error $(field '$j->{wss_median_error}')"
judge '$j->{cpu_pct} > 0 && $j->{cpu_pct} < 20 && $j->{aggregations} >= 10' \
	"cost $(field '$j->{cpu_pct}')% of one CPU over $(field '$j->{aggregations}') aggregations judged"

# the text a person reads: every rate's line, the blended one marked
"$dt" calibrate -d 5 >"$TMP/c.txt" 2>/dev/null
grep -qE '^48.7 Hz +[0-9.]+ Hz +[0-9.]+ Hz' "$TMP/c.txt" &&
	grep -qE '^1.9 Hz .*under a tenth of 1 / sampling interval' "$TMP/c.txt" &&
	grep -q '^cost: ' "$TMP/c.txt"
ok $? "the text report: a line per rate, 1.9 Hz marked blended, the cost"
note "$(cat "$TMP/c.txt")"

# the smallest size has no untouched region: JSON says null, never NaN
"$dt" calibrate --size 30M -d 5 --json 2>/dev/null |
	perl -MJSON::PP -ne 'my $j = decode_json($_); exit(defined $j->{cold_heat_hz})'
ok $? "--size 30M: valid JSON, no cold region (cold_heat_hz null)"

# SIGINT mid-run ends the session cleanly: one line why, nothing left
# (at 2.5 s: its first second is the workload alone, and what the first
# 2 s of the recording show is not judged, so there is too little)
"$dt" calibrate -d 20 >/dev/null 2>"$TMP/int.err" &
pid=$!
sleep 2.5
kill -INT $pid
wait $pid
rc=$?
sleep 0.2
[ $rc != 0 ] && ! pgrep -x calibrate >/dev/null && [ "$(tmp_records)" = "$before" ]
ok $? "SIGINT at 2.5 s: exit $rc, '$(grep -v '^damontop: pid' "$TMP/int.err" | head -1)', no workload or record left"
nothing_left "after SIGINT" "$DAMONTOP_PROGS"

one_line_error "calibrate with a target" "runs its own target" "$dt" calibrate -p 1
one_line_error "calibrate that cannot start its workload" "cannot start the calibration workload" \
	bash -c "ulimit -v 400000; exec '$dt' calibrate --size 1G"
done_testing
