#!/bin/bash
# coretop's what-if estimate on this host (no SMT, no core scheduling):
# two CPU-bound cpuburns pinned to CPUs 0 and 1, declared siblings with
# --smt-pairs.  In different groups, the conflict time coretop measures
# must match their overlap computed from their own run times in /proc
# (two independent loads overlap r1*r2/T of a window T); in one group it
# must nearly vanish.  Then the outputs, the session file, signals, bad
# input, and that nothing is left behind.
. "$(dirname "$0")/lib.sh"
need_bpf
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan 32

CT=$BIN/coretop
BURN=$TOOLS/cpuburn
PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null'
knob=/proc/sys/kernel/sched_schedstats
knob_before=$(cat $knob 2>/dev/null)

run_ns() { cut -d' ' -f1 "/proc/$1/schedstat"; }

# overlap R1 R2 T: the share of a window T that two independent loads
# running R1 and R2 of it overlap (r1*r2/T), from their run times in /proc
overlap() { perl -e 'printf "%.4f\n", $ARGV[0] * $ARGV[1] / ($ARGV[2] * $ARGV[2])' "$@"; }
# Other work on the CPUs makes the burners take turns instead: only a quiet
# machine can tell, and only /proc says so, never coretop's own figures.
quiet() { perl -e 'exit !($ARGV[0] >= 0.8)' "$1"; }

# burn_pair SECONDS: P1 on CPU 0, P2 on CPU 1, above the machine's other
# work so that their run times, not the machine's load, make the overlap
burn_pair() {
	nice -n -5 $BURN --cpu 0 "$1" & P1=$!
	nice -n -5 $BURN --cpu 1 "$1" & P2=$!
	PIDS="$P1 $P2"
	sleep 0.3
}

burn_pair 6
a1=$(run_ns $P1) a2=$(run_ns $P2) t0=$(date +%s%N)
$CT --what-if --smt-pairs 0-1 --json -d 4 --group a=$P1 --group b=$P2 -o "$TMP/rec" \
	>"$TMP/apart.json" 2>"$TMP/apart.err"
rc=$?
b1=$(run_ns $P1) b2=$(run_ns $P2) t1=$(date +%s%N)
wait $P1 $P2
PIDS=
ok $rc "--what-if --smt-pairs 0-1 --json -d 4 runs: $(head -1 "$TMP/apart.err")"
overlap=$(overlap $((b1 - a1)) $((b2 - a2)) $((t1 - t0)))
# coretop's own figures, before any busy-machine judgement: a window or a
# conflict that is missing or 0 is coretop's failure (the burners overlap)
perl -MJSON::PP -e '
	my @l = <STDIN>; my $j = eval { decode_json($l[-1] // "") } or exit 1;
	my $w = ($j->{elapsed_s} // 0) * 1e9;
	my ($pair) = grep { $_->{a} == 1 && $_->{b} == 2 } @{$j->{pairs} // []};
	exit 1 unless $w > 0 && $pair && ($pair->{ns} // 0) > 0 &&
		($j->{cores}[0]{conflict_ns} // 0) > 0;
	printf "%.4f\n", $pair->{ns} / $w;
' <"$TMP/apart.json" >"$TMP/apart.fig"
ok $? "its last line is JSON: elapsed_s > 0, the pair a-b and core 0 with a conflict"
read -r pair <"$TMP/apart.fig"
if quiet "$overlap"; then
	perl -e 'exit !($ARGV[1] > 0.8 * $ARGV[0] && $ARGV[1] < 1.2 * $ARGV[0])' "$overlap" "${pair:-0}"
	ok $? "groups a and b: conflict ${pair} of the window, within 20% of their overlap ${overlap} (run times in /proc)"
else
	ok 0 "groups a and b's conflict against their overlap # SKIP the machine is busy: the burners overlapped only ${overlap} of the window"
fi
[ "$(wc -l <"$TMP/apart.json")" -ge 3 ]
ok $? "a JSON object every refresh ($(wc -l <"$TMP/apart.json") lines)"
grep -q 'what-if (--what-if), groups by list, 1 core declared' "$TMP/apart.err"
ok $? "the start line says what-if, why, and the declared core"
perl -MJSON::PP -e '
	my @l = <STDIN>; my $j = decode_json($l[-1]); my %n;
	$n{$_->{group}} = $_->{name} for @{$j->{groups}};
	my @t = grep { $_->{comm} eq "cpuburn" && $_->{conflict_ns} > 1e9 } @{$j->{tasks}};
	exit !(@t == 2 && $n{1} eq "a" && $n{2} eq "b" &&
	       join(",", sort map { $_->{group} } @t) eq "1,2");
' <"$TMP/apart.json"
ok $? "both cpuburns listed with over 1 s of conflict each, in groups named a and b"
perl -MJSON::PP -e '
	my @l = <STDIN>; my $j = decode_json($l[-1]); my $c = $j->{cores}[0];
	my @s = @{$c->{siblings}};
	exit !(@s == 2 && $s[0]{cpu} == 0 && $s[1]{cpu} == 1 && $s[0]{run_ns} > 1e9 &&
	       $c->{busy_ns} >= $s[0]{run_ns} && $j->{cost_pct} > 10);
' <"$TMP/apart.json"
ok $? "core 0 has CPUs 0 and 1, their run times, and an estimated cost"

burn_pair 6
a1=$(run_ns $P1) a2=$(run_ns $P2) t0=$(date +%s%N)
$CT --what-if --smt-pairs 0-1 --json -d 4 --group both=$P1,$P2 >"$TMP/one.json" 2>"$TMP/one.err"
rc=$?
b1=$(run_ns $P1) b2=$(run_ns $P2) t1=$(date +%s%N)
wait $P1 $P2
PIDS=
ok $rc "--group both=P1,P2 runs: $(head -1 "$TMP/one.err")"
overlap1=$(overlap $((b1 - a1)) $((b2 - a2)) $((t1 - t0)))
# coretop's figures as shares of its window (the conflict may be 0 here);
# the burners' own shares of theirs, from /proc, beside them
perl -MJSON::PP -e '
	my ($r1, $r2, $T) = @ARGV;
	my @l = <STDIN>; my $j = eval { decode_json($l[-1] // "") } or exit 1;
	my $w = ($j->{elapsed_s} // 0) * 1e9;
	my $c = $j->{cores}[0] // {};
	my @s = @{$c->{siblings} // []};
	exit 1 unless $w > 0 && @s == 2 && defined $c->{conflict_ns} && defined $c->{busy_ns} &&
		!grep { !$_->{run_ns} || !defined $_->{corun_ns} } @s;
	printf "%.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", $c->{conflict_ns} / $w, $c->{busy_ns} / $w,
		$s[0]{run_ns} / $w, $s[1]{run_ns} / $w, $s[0]{corun_ns} / $s[0]{run_ns},
		$r1 / $T, $r2 / $T;
' $((b1 - a1)) $((b2 - a2)) $((t1 - t0)) <"$TMP/one.json" >"$TMP/one.fig"
ok $? "its last line is JSON: elapsed_s > 0, core 0's conflict and busy time, both siblings' run times"
read -r core1 busy1 run0 run1 corun0 burn0 burn1 <"$TMP/one.fig"
# a CPU runs at least what its burner ran there, busy machine or not: a
# coretop that sees nothing cannot pass the conflict check below
perl -e 'exit !($ARGV[0] >= 0.8 * $ARGV[2] && $ARGV[1] >= 0.8 * $ARGV[3])' \
	"${run0:-0}" "${run1:-0}" "${burn0:-1}" "${burn1:-1}"
ok $? "one group: CPUs 0 and 1 ran ${run0:-?} and ${run1:-?} of the window, their burners ${burn0:-?} and ${burn1:-?} (/proc)"
# Other work on CPUs 0 and 1 conflicts with the burners for real (it is
# untagged): only a quiet machine gives a clean figure, and the conflict
# there is at most the time each CPU did not run its burner (/proc), with
# 2% for the window's edges.  The burners in one group conflicting would
# be most of the window.  (A bound of 5% of the overlap failed in the CI
# of c29935b: burners at 0.94 of the window each, 0.114 conflict.)
others=$(perl -MJSON::PP -e 'my @l = <STDIN>; my $j = decode_json($l[-1]);
	my @o = sort { $b->{conflict_ns} <=> $a->{conflict_ns} } grep { $_->{group} != 1 } @{$j->{tasks}};
	print join(", ", map { sprintf "%s %.3f s", $_->{comm}, $_->{conflict_ns} / 1e9 } @o[0 .. ($#o < 2 ? $#o : 2)])' \
	<"$TMP/one.json" 2>/dev/null)
if quiet "$overlap1"; then
	perl -e 'exit !($ARGV[2] >= 0.8 && $ARGV[1] <= (1 - $ARGV[3]) + (1 - $ARGV[4]) + 0.02)' \
		"$overlap1" "${core1:-1}" "${busy1:-0}" "${burn0:-0}" "${burn1:-0}"
	ok $? "one group: the core's conflict ${core1:-?} is at most the others' time on its CPUs (burners ${burn0:-?} and ${burn1:-?} of the window; others: ${others:-none}), the core busy ${busy1:-?}"
else
	ok 0 "one group's conflict # SKIP the machine is busy: the burners overlapped only ${overlap1} of the window"
fi
if quiet "$overlap1"; then
	perl -e 'exit !($ARGV[0] > 0.5)' "${corun0:-0}"
	ok $? "one group: most of the siblings' run time is compatible co-running (${corun0:-?} of CPU 0's)"
else
	ok 0 "one group's co-running # SKIP the machine is busy: the burners overlapped only ${overlap1} of the window"
fi
[ $FAILED = 0 ] || diag "$(tail -1 "$TMP/apart.json" | cut -c1-1500)"
nothing_left "after the --json runs" "$CORETOP_PROGS"
[ "$(cat $knob 2>/dev/null)" = "$knob_before" ]
ok $? "kernel.sched_schedstats untouched ($knob_before)"

# the session file: the same last refresh comes back
[ -s "$TMP/rec" ] && head -1 "$TMP/rec" | grep -q '"coretop":1'
ok $? "-o writes a session file with its header"
$CT --replay "$TMP/rec" --json >"$TMP/replay.json" 2>"$TMP/replay.err"
ok $? "--replay --json reads it back"
perl -MJSON::PP -e '
	open my $r, "<", $ARGV[0]; my @r = <$r>; my $a = decode_json($r[-1]);
	open my $p, "<", $ARGV[1]; my @p = <$p>; my $b = decode_json($p[-1]);
	my $k = sub { join ";", map { "$_->{a}-$_->{b}:$_->{ns}" } sort { $a->{a} <=> $b->{a} || $a->{b} <=> $b->{b} } @{$_[0]{pairs}} };
	exit !($k->($a) eq $k->($b) && $a->{cores}[0]{conflict_ns} == $b->{cores}[0]{conflict_ns}
	       && @{$a->{tasks}} == @{$b->{tasks}});
' "$TMP/rec" "$TMP/replay.json"
ok $? "the replay's figures are the recording's last refresh"
$CT --replay "$TMP/rec" --batch >"$TMP/replay.txt" 2>&1
grep -qE '^ +a vs b: [0-9.]+s' "$TMP/replay.txt"
ok $? "--replay --batch names the pair a vs b"

# other groupings name their groups
$BURN --cpu 0 3 & PIDS=$!
$CT --what-if --smt-pairs 0-1 --group-by uid --json -d 1.5 >"$TMP/uid.json" 2>/dev/null
grep -q '"name":"uid 0 (root)"' "$TMP/uid.json"
ok $? "--group-by uid names uid 0 (root)"
$CT --what-if --smt-pairs 0-1 --group-by cgroup --json -d 1.5 >"$TMP/cg.json" 2>/dev/null
perl -MJSON::PP -e 'my @l = <STDIN>; my $j = decode_json($l[-1]);
	exit !grep { $_->{name} =~ m{^/} } @{$j->{groups}}' <"$TMP/cg.json"
ok $? "--group-by cgroup names groups by cgroup path"
$CT --what-if --smt-pairs 0-1 --batch -d 1.5 >"$TMP/tgid.txt" 2>/dev/null
grep -qE '^[0-9.]+s what-if \(groups by tgid\): cost [0-9.]+%' "$TMP/tgid.txt" &&
	grep -qE '^  core 0 cpus 0,1: busy [0-9.]+%' "$TMP/tgid.txt"
ok $? "--batch: a text block every refresh (tgid groups by default)"
wait
PIDS=

# signals end a run cleanly
$CT --what-if --smt-pairs 0-1 --batch >/dev/null 2>"$TMP/sig.err" & pid=$!
sleep 1.5
loaded_now "while it runs" "$CORETOP_PROGS"
kill -INT $pid
wait $pid
rc=$?
[ $rc = 0 ] && grep -q 'coretop: [0-9.]* s, what-if: estimated cost' "$TMP/sig.err"
ok $? "SIGINT: exit $rc with the summary line"
nothing_left "after SIGINT" "$CORETOP_PROGS"

# bad input: one line, non-zero
one_line_error "no SMT here and none declared" 'no SMT siblings.*--smt-pairs' $CT --batch -d 1
one_line_error "bad --smt-pairs" "bad core" $CT --what-if --smt-pairs 0-x --batch -d 1
one_line_error "--smt-pairs with a CPU twice" "given twice" $CT --what-if --smt-pairs 0-1,1-0 --batch -d 1
one_line_error "--group of a missing process" "no process" $CT --what-if --smt-pairs 0-1 --group a=999999999 --batch -d 1
one_line_error "--group-by cookie without core scheduling" "CONFIG_SCHED_CORE" $CT --what-if --smt-pairs 0-1 --group-by cookie --batch -d 1
one_line_error "--schedstats in what-if mode" "measured mode" $CT --what-if --smt-pairs 0-1 --schedstats --batch -d 1
printf 'nonsense\n' >"$TMP/bad"
one_line_error "--replay of a file that is not a session" "cannot replay" $CT --replay "$TMP/bad" --batch
nothing_left "after the refusals" "$CORETOP_PROGS"
done_testing
