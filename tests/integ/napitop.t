#!/bin/bash
# napitop on real veth NAPI: two network namespaces joined by a veth pair
# whose receiving end (vb) runs its NAPI (GRO on; tests/integ/napi_lib.sh),
# tools/udpflood sending a known number of datagrams.  napitop, run in the
# receiver's namespace, must show vb's instance with the id the socket saw,
# packets within a few % of those received, polls, its mode; softirq first,
# then threaded after `napitop --threaded vb on`: the kthread's CPU time,
# and NET_RX softirq runs falling; the kernel's softirq runs and time by
# default, NET_RX's own time with --netrx-time (two programs more, none
# without); -v, the kernel timing its programs.  Then
# the session file, bad input, and that nothing is left: no program, no
# namespace.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
need_bpf
napi_need gro
plan 34

NT=$BIN/napitop
COUNT=200000

# run NAME [OPTION...]: napitop --json beside COUNT datagrams; the last
# JSON line's figures of vb's instance in NAME.vb, with the CPUs' NET_RX
# runs, softirq time, NET_RX time ("none": no CPU has it) and how many
# CPUs have a softirq time
run() {
	local name=$1 pid
	shift
	ip netns exec "$NB" "$NT" --json --dev vb -i 0.5 --metrics-textfile "$TMP/$name.prom" "$@" \
		>"$TMP/$name.json" 2>"$TMP/$name.err" &
	pid=$!
	wait_for "$TMP/$name.err" watching
	napi_traffic $COUNT 64
	sleep 1
	kill -INT $pid
	wait $pid
	echo $? >"$TMP/$name.rc"
	perl -MJSON::PP -e '
		my @l = <STDIN>; my $j = decode_json($l[-1]);
		my ($vb) = grep { $_->{dev} eq "vb" } @{$j->{napis}};
		my ($runs, $sirq, $netrx, $timed) = (0, 0, 0, 0);
		for (@{$j->{cpus}}) {
			$runs += $_->{netrx_count} // 0;
			$sirq += $_->{softirq_ns} // 0;
			$timed++ if exists $_->{softirq_ns};
			$netrx = ($netrx || 0) + $_->{netrx_ns} if exists $_->{netrx_ns};
		}
		my %m; @m{qw(softirq ksoftirqd threaded busy_poll)} = @{$vb->{modes} // [0,0,0,0]};
		printf "%d %d %d %s %d %d %d %d %d %d %s %d %s %d\n", $vb->{napi_id} // 0,
			$vb->{packets} // 0, $vb->{polls} // 0, $vb->{mode} // "none",
			$vb->{thread_pid} // 0, $vb->{kthread_ns} // 0, $runs, $m{softirq} + $m{ksoftirqd},
			$m{threaded}, scalar @l, $vb->{kthread_pid} // "none", $sirq,
			$netrx || "none", $timed;
	' <"$TMP/$name.json" >"$TMP/$name.vb"
}

within() {	# within A B PCT: |A - B| <= PCT% of B
	perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) <= $ARGV[2] / 100 * $ARGV[1])' "$@"
}

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
ip netns exec "$NB" "$NT" --threaded vb off >/dev/null 2>&1

# --- softirq ------------------------------------------------------------------
run softirq
read -r id packets polls mode tpid kns runs_sirq by_sirq by_thr lines nlpid sirq_ns netrx_ns ncpus \
	<"$TMP/softirq.vb"
ok "$(cat "$TMP/softirq.rc")" "napitop --json in vb's namespace runs and ends on SIGINT ($lines lines)"
grep -q '^napitop: watching napi:napi_poll \[tp_btf' "$TMP/softirq.err"
ok $? "it says what it watches: $(head -1 "$TMP/softirq.err")"
[ "$id" != 0 ] && [ "$id" = "$RECV_NAPI_ID" ]
ok $? "vb's instance has the napi_id the receiving socket saw ($id, socket $RECV_NAPI_ID)"
[ "$RECEIVED" -ge $((COUNT * 95 / 100)) ] && within "$packets" "$RECEIVED" 3
ok $? "packets counted within 3% of those received: $packets vs $RECEIVED (sent $SENT)"
[ "$polls" -gt 0 ] && [ "$polls" -le "$packets" ]
ok $? "polls counted, at most one per packet ($polls)"
[ "$mode" = softirq ] || [ "$mode" = ksoftirqd ]
ok $? "mode: NET_RX softirq ($mode; softirq polls $by_sirq, threaded $by_thr)"
[ "$tpid" = 0 ] && [ "$runs_sirq" -gt 0 ]
ok $? "no kthread; NET_RX softirq runs counted ($runs_sirq)"
# the kernel's softirq time for every CPU, NET_RX's own only when asked
[ "$ncpus" = "$(getconf _NPROCESSORS_ONLN)" ] && [ "$sirq_ns" -gt 0 ] && [ "$netrx_ns" = none ]
ok $? "the kernel's softirq time on each of the $ncpus CPUs ($sirq_ns ns); no NET_RX time ($netrx_ns) without --netrx-time"
perl -MJSON::PP -e 'my @l = <STDIN>; my $j = decode_json($l[-1]);
	my ($vb) = grep { $_->{dev} eq "vb" } @{$j->{napis}}; my $h = 0; $h += $_ for @{$vb->{hist}};
	exit !($h == $vb->{polls} && @{$vb->{cpus}} >= 1)' <"$TMP/softirq.json"
ok $? "the work-per-poll histogram holds every poll, and the CPUs it polled on are listed"
# the last word at exit: the last --json line and the textfile agree
prom=$(awk '/^kscope_napitop_packets_total\{device="vb"/ { n += $2 } END { print n + 0 }' "$TMP/softirq.prom")
[ "$prom" = "$packets" ]
ok $? "the textfile's vb packets are the last --json line's: $prom = $packets"
nothing_left "after the softirq run" "$NAPITOP_PROGS"
# --netrx-time: NET_RX's own time, by two programs more; -v: the kernel
# times each of them while it runs (BPF stats, as bpftop shows them)
run netrx --netrx-time -v
read -r _ _ _ _ _ _ runs_t _ _ _ _ _ netrx_t _ <"$TMP/netrx.vb"
grep -q '^napitop: watching napi:napi_poll \[tp_btf, NET_RX timed' "$TMP/netrx.err" &&
	[ "$netrx_t" != none ] && [ "$netrx_t" -gt 0 ]
ok $? "--netrx-time: NET_RX softirq time counted (${netrx_t} ns in $runs_t runs): $(grep -m1 watching "$TMP/netrx.err")"
for p in nt_poll nt_sirq_in nt_sirq_out; do
	grep -qE "^napitop: ${p}_(btf|raw): [1-9][0-9]* runs, [0-9.]+ ns a run\$" "$TMP/netrx.err" ||
		echo "$p"
done >"$TMP/untimed"
[ ! -s "$TMP/untimed" ]
ok $? "-v: each program timed by the kernel$(sed -n 's/^napitop: \(nt_[a-z_]*\): /; \1 /p' "$TMP/netrx.err" | tr -d '\n')"
# by default napi_poll's program alone, and once -v is gone the kernel
# times nothing (bpftool shows no run count)
ip netns exec "$NB" "$NT" --batch --dev vb 0.5 >/dev/null 2>"$TMP/nv.err" &
pid=$!
wait_for "$TMP/nv.err" watching
napi_traffic 2000 64
# "POLL SOFTIRQ RUNS": napitop's programs loaded by kind, their timed runs
read -r progs sirqs runs < <(bpftool prog show --json | perl -MJSON::PP -e '
	my $all = decode_json(<STDIN>);
	my @p = grep { $_->{name} =~ /^nt_poll_/ } @$all;
	my @s = grep { $_->{name} =~ /^nt_sirq_/ } @$all;
	my $n = 0; $n += $_->{run_cnt} // 0 for @p;
	print scalar(@p), " ", scalar(@s), " $n\n"')
kill -INT $pid
wait $pid
[ "$progs" = 1 ] && [ "$sirqs" = 0 ]
ok $? "by default one program, napi_poll's ($progs), none at softirqs ($sirqs)"
if [ "$(cat /proc/sys/kernel/bpf_stats_enabled)" = 1 ]; then
	skip "kernel.bpf_stats_enabled is 1 here: somebody else has the kernel time every program"
else
	[ "$runs" = 0 ]
	ok $? "-v: once it is gone the kernel times nothing (napitop without -v: $runs runs timed)"
fi
# --- threaded -----------------------------------------------------------------
ip netns exec "$NB" "$NT" --threaded vb on >"$TMP/thr.out" 2>"$TMP/thr.err"
rc=$?
[ $rc = 0 ] && grep -q '^vb: threaded off -> on$' "$TMP/thr.out" && grep -q 'stays on' "$TMP/thr.err"
ok $? "--threaded vb on: before and after ($(cat "$TMP/thr.out")), and that it persists"
kt=$(napi_kthreads)
[ -n "$kt" ]
ok $? "the kernel made vb's NAPI kthread (pid $kt)"
run threaded
read -r id2 packets2 polls2 mode2 tpid2 kns2 runs_thr by_sirq2 by_thr2 lines2 nlpid2 _ <"$TMP/threaded.vb"
[ "$mode2" = threaded ] && [ "$tpid2" = "$kt" ]
ok $? "mode threaded, polled by pid $tpid2 (the kthread: $kt; threaded polls $by_thr2)"
# the netdev family's napi-get (this kernel has it) names the same kthread,
# and none in softirq mode
[ "$nlpid2" = "$kt" ] && [ "$nlpid" = none ]
ok $? "napi-get's kthread pid: $nlpid2 threaded, $nlpid in softirq"
within "$packets2" "$RECEIVED" 3
ok $? "threaded: packets within 3% of those received: $packets2 vs $RECEIVED"
[ "$kns2" -gt 0 ]
ok $? "the kthread's CPU time is counted (${kns2} ns)"
[ "$runs_thr" -lt $((runs_sirq / 2)) ]
ok $? "NET_RX softirq runs fall: $runs_thr threaded vs $runs_sirq in softirq"
# the text view: the kthread's pid in vb's row
ip netns exec "$NB" "$NT" --batch --dev vb -d 3 >"$TMP/thr.txt" 2>"$TMP/thr.err" &
pid=$!
wait_for "$TMP/thr.err" watching
napi_traffic 2000 64
wait $pid
awk -v kt="$kt" '$1 == "vb" && $3 == "threaded" && $9 == kt { f = 1 } END { exit !f }' "$TMP/thr.txt"
ok $? "--batch: vb's row says threaded, PID $kt$(grep -m1 '^ *vb ' "$TMP/thr.txt" | tr -s ' ' | sed 's/^/: /')"
ip netns exec "$NB" "$NT" --threaded vb off >"$TMP/off.out" 2>&1
grep -q '^vb: threaded on -> off$' "$TMP/off.out"
ok $? "--threaded vb off switches it back ($(head -1 "$TMP/off.out"))"
nothing_left "after the threaded run" "$NAPITOP_PROGS"

# --- the session file -----------------------------------------------------------
ip netns exec "$NB" "$NT" --batch -d 2 -o "$TMP/rec" >/dev/null 2>&1 &
pid=$!
sleep 0.5
loaded_now "while it records" "$NAPITOP_PROGS"
napi_traffic 20000 64
wait $pid
ok $? "-o records a session"
"$NT" --replay "$TMP/rec" --json --dev vb >"$TMP/replay.json" 2>"$TMP/replay.err"
perl -MJSON::PP -e '
	open my $r, "<", $ARGV[0]; my @r = <$r>; my $rec = decode_json($r[-1]);
	my $rep = decode_json(<STDIN>);
	my %x = map { ("$_->{napi_id}/$_->{ifindex}/$_->{netns}" => $_) } grep { $_->{dev} eq "vb" } @{$rec->{napis}};
	my @y = @{$rep->{napis}};
	exit 1 if !@y || grep { $_->{dev} ne "vb" } @y;
	for my $y (@y) {
		my $x = $x{"$y->{napi_id}/$y->{ifindex}/$y->{netns}"} or exit 1;
		exit 1 if $x->{packets} != $y->{packets} || $x->{polls} != $y->{polls} ||
			join(",", @{$x->{hist}}) ne join(",", @{$y->{hist}});
	}
	exit 0;
' "$TMP/rec" <"$TMP/replay.json"
ok $? "--replay --json --dev vb gives the recording's last figures of the vb instances only"
"$NT" --replay "$TMP/rec" --batch >"$TMP/replay.txt" 2>&1
grep -qE '^ +vb +[0-9]+ ' "$TMP/replay.txt"
ok $? "--replay --batch shows vb's row"

# --- bad input ------------------------------------------------------------------
one_line_error "--dev of a device that does not exist" "no such network device" "$NT" --dev nosuch0 --batch -d 1
one_line_error "--threaded of a device that does not exist" "nosuch0" "$NT" --threaded nosuch0 on
one_line_error "--threaded with a bad mode" "bad mode 'sideways'" ip netns exec "$NB" "$NT" --threaded vb sideways
printf '{"napitop":1,"ncpu":2}\n{"time_ns":1}\n' >"$TMP/bad"
one_line_error "--replay of a broken session" "not a napitop refresh" "$NT" --replay "$TMP/bad" --batch

ns="$NA $NB"
napi_teardown
! ip netns list | grep -qE "^(${ns// /|})( |\$)"
ok $? "the namespaces are gone ($ns)"
done_testing
