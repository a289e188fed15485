#!/bin/bash
# coretop's Prometheus metrics on a real workload: two cpuburns pinned to
# CPUs 0 and 1, declared siblings with --smt-pairs, in groups a and b
# (what-if: this host has no core scheduling), so that their conflict
# grows every second.  Scraped twice while it runs (counters never lower),
# in both formats; the textfile passes promtool and holds the last --json
# line's figures, to the nanosecond; --headless prints nothing and writes
# the file; --replay refuses the metrics; nothing is left behind.
. "$(dirname "$0")/lib.sh"
need_bpf
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
command -v curl >/dev/null || skip_all "curl not installed"
command -v promtool >/dev/null || skip_all "promtool not installed (Debian: prometheus)"
plan 18

CT=$BIN/coretop
BURN=$TOOLS/cpuburn
PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null'
OM='application/openmetrics-text; version=1.0.0'

# nothing_left of coretop's programs, naming them when it fails
left() {
	local before=$FAILED
	nothing_left "$1" "$CORETOP_PROGS"
	[ $FAILED = $before ] || diag "loaded:$(bpftool prog show 2>/dev/null |
		grep -oE " name ($CORETOP_PROGS)( |\$)" | tr -d '\n')"
}

# long enough for both runs; killed when done
nice -n -5 $BURN --cpu 0 30 & P1=$!
nice -n -5 $BURN --cpu 1 30 & P2=$!
PIDS="$P1 $P2"
sleep 0.3

$CT --what-if --smt-pairs 0-1 --group a=$P1 --group b=$P2 --json -d 5 -o "$TMP/rec" \
	--metrics 127.0.0.1:0 --metrics-textfile "$TMP/ct.prom" >"$TMP/ct.json" 2>"$TMP/ct.err" &
ct=$!
for i in $(seq 50); do
	grep -q 'metrics at' "$TMP/ct.err" && break
	sleep 0.1
done
url=$(sed -n 's/^coretop: metrics at \(http:.*\)$/\1/p' "$TMP/ct.err")
[[ $url =~ ^http://127\.0\.0\.1:[0-9]+/metrics$ ]]
ok $? "the start-up line says where the metrics are: '$url'"
loaded_now "while it runs" "$CORETOP_PROGS"

# past the first refresh, then a second scrape more than a refresh later
sleep 1.3
curl -s -m 5 -D "$TMP/h1" "$url" >"$TMP/s1"
curl -s -m 5 -D "$TMP/hom" -H "Accept: $OM" "$url" >"$TMP/om"
sleep 1.2
curl -s -m 5 "$url" >"$TMP/s2"
wait $ct
rc=$?
ok $rc "--json --metrics 127.0.0.1:0 --metrics-textfile -o -d 5 runs (exit $rc)"

grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/h1" &&
	grep -qE '^kscope_coretop_core_conflict_seconds_total\{core="0"\} [0-9.e+-]+$' "$TMP/s1"
ok $? "a scrape: text format 0.0.4 with the core's conflict seconds"
# every counter of the first scrape is in the second, not lower; the
# conflict of a and b has grown
perl -e '
	sub load { my %v; open my $f, "<", $_[0] or die;
		while (<$f>) { $v{$1} = $2 if /^(\S+_total(?:\{.*\})?) (\S+)$/ } %v }
	my %a = load($ARGV[0]); my %b = load($ARGV[1]); my $bad = 0;
	for (keys %a) { $bad++, print "# $_: $a{$_} then ", $b{$_} // "gone", "\n"
		unless defined $b{$_} && $b{$_} >= $a{$_} }
	my $k = q{kscope_coretop_pair_conflict_seconds_total{group_a="a",group_b="b",mode="what-if"}};
	exit !(keys %a >= 10 && !$bad && defined $b{$k} && $b{$k} > ($a{$k} // 0));
' "$TMP/s1" "$TMP/s2"
rc=$? n=$(grep -c '^kscope.*_total' "$TMP/s2")
ok $rc "the second scrape's counters are none lower ($n series), and a vs b's conflict grew"
grep -qi '^content-type: application/openmetrics-text' "$TMP/hom" &&
	[ "$(tail -1 "$TMP/om")" = "# EOF" ] &&
	grep -q '^# TYPE kscope_coretop_core_conflict_seconds counter' "$TMP/om"
rc=$?
ok $rc "Accept: OpenMetrics gets application/openmetrics-text ending in # EOF"
[ $rc = 0 ] || diag "$(cat "$TMP/hom"; tail -2 "$TMP/om")"

promtool check metrics <"$TMP/ct.prom" >"$TMP/promtool" 2>&1
ok $? "promtool check metrics passes on the textfile $(head -c 300 "$TMP/promtool")"
# the textfile is the last refresh, the same one as the last --json line
perl -MJSON::PP -e '
	open my $f, "<", $ARGV[0] or die; my %v;
	while (<$f>) { $v{$1} = $2 if /^(\S+) (\S+)$/ }
	open my $j, "<", $ARGV[1] or die; my @l = <$j>; my $o = decode_json($l[-1]);
	my (%g, @bad); $g{$_->{group}} = $_ for @{$o->{groups}};
	my ($p) = grep { $_->{a} == 1 && $_->{b} == 2 } @{$o->{pairs}};
	my $c = $o->{cores}[0];
	my %want = (
		q{kscope_coretop_core_conflict_seconds_total{core="0"}} => $c->{conflict_ns},
		q{kscope_coretop_core_busy_seconds_total{core="0"}} => $c->{busy_ns},
		q{kscope_coretop_cpu_run_seconds_total{core="0",cpu="1"}} => $c->{siblings}[1]{run_ns},
		q{kscope_coretop_group_conflict_seconds_total{group="a",mode="what-if"}} => $g{1}{conflict_ns},
		q{kscope_coretop_pair_conflict_seconds_total{group_a="a",group_b="b",mode="what-if"}} => $p->{ns},
	);
	for (sort keys %want) {
		push @bad, "$_ $v{$_} vs $want{$_} ns" unless defined $v{$_} &&
			abs($v{$_} * 1e9 - $want{$_}) < 1;
	}
	push @bad, "cost" unless abs($v{kscope_coretop_cost_ratio} * 100 - $o->{cost_pct}) < 0.006;
	print "# $_\n" for @bad;
	exit !(!@bad && $c->{conflict_ns} > 1e9);
' "$TMP/ct.prom" "$TMP/ct.json"
ok $? "the textfile's conflict, busy, run, group and pair seconds are the last --json line's (1 ns)"
cmp -s <(tail -1 "$TMP/ct.json") <(tail -1 "$TMP/rec")
ok $? "the last --json line is the session file's last word"
grep -q '^kscope_coretop_info{mode="what-if",group_by="list",declared="true"} 1$' "$TMP/ct.prom" &&
	! grep -q forced_idle "$TMP/ct.prom"
ok $? "the info gauge says what-if by list on declared cores; no forced-idle series"
grep -q '^kscope_coretop_lost_entries_total{map="tasks"} [0-9]' "$TMP/ct.prom"
ok $? "the maps' losses are counters"
[ "$(grep -c '^kscope_coretop_group_conflict_seconds_total{' "$TMP/ct.prom")" -le 20 ] &&
	! grep -qiE '0x[0-9a-f]{8}' "$TMP/ct.prom"
ok $? "at most 20 group series, no pointer-like values"
left "after the metrics run"

# --headless: no view, no lines on stdout, the textfile written
$CT --what-if --smt-pairs 0-1 --headless --metrics-textfile "$TMP/h.prom" -d 2 \
	>"$TMP/h.out" 2>"$TMP/h.err" </dev/null
rc=$?
ok $rc "--headless --metrics-textfile -d 2 runs without a terminal (exit $rc)"
[ ! -s "$TMP/h.out" ] &&
	grep -qE '^kscope_coretop_core_conflict_seconds_total\{core="0"\} [0-9]' "$TMP/h.prom" &&
	promtool check metrics <"$TMP/h.prom" >/dev/null 2>&1
ok $? "--headless: nothing on stdout ($(wc -c <"$TMP/h.out") bytes), a textfile promtool accepts"

one_line_error "--replay refuses --metrics-textfile" "not --replay" \
	$CT --replay "$TMP/rec" --json --metrics-textfile "$TMP/r.prom"
left "after the headless run"

kill $P1 $P2 2>/dev/null
wait $P1 $P2 2>/dev/null
PIDS=
! kill -0 $P1 2>/dev/null && ! kill -0 $P2 2>/dev/null
ok $? "the burners are gone"
done_testing
