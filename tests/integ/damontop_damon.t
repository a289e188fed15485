#!/bin/bash
# damontop's kernel DAMON source on this machine: a running kdamond (here
# one started at boot by someone else) is watched read-only: live snapshots
# from its damon_aggregated events, recorded and reported, and its sysfs
# state byte-for-byte as it was.  Starting a kdamond of our own while it
# runs is refused in one line (the kernel starts no other), and auto falls
# back to the pte source and says why.  Our own kdamond is tested in the
# qemu guests (tests/vm/tests/50-damontop-damon.sh).
. "$(dirname "$0")/lib.sh"
need_bpf
root=/sys/kernel/mm/damon/admin
[ -d $root/kdamonds ] || skip_all "the kernel has no DAMON sysfs interface"
kd=
for d in $root/kdamonds/[0-9]*; do
	[ "$(cat "$d/state" 2>/dev/null)" = on ] && { kd=${d##*/}; break; }
done
[ -n "$kd" ] || skip_all "no kdamond is running here to watch"
plan 21

dt=$BIN/damontop
ctx=$root/kdamonds/$kd/contexts/0
aggr_us=$(cat $ctx/monitoring_attrs/intervals/aggr_us)
ops=$(cat $ctx/operations)
wait_s=$(( (aggr_us * 3 + 999999) / 1000000 + 5 ))

# every readable file of the tree, with its contents
sysfs_state() {
	find $root -type f -readable | sort | while read -r f; do
		printf '%s: %s\n' "${f#$root/}" "$(cat "$f" 2>&1)"
	done
}
sysfs_state >"$TMP/before"
# what changes by itself (scheme stats when refresh_ms is set) is left out
sleep 1
sysfs_state >"$TMP/before2"
moving=$(diff "$TMP/before" "$TMP/before2" | sed -n 's/^< \([^:]*\):.*/\1/p' | paste -sd'|')
# Every watching run is traced: what we opened under DAMON's sysfs for
# writing (nothing, ever) is the proof that a change is not ours; the
# kdamond's owner here rewrites its regions now and then.  Each run ends
# within three aggregation intervals.
traces=0
dt_traced() {
	traces=$((traces + 1))
	strace -f -qq -e trace=open,openat -o "$TMP/trace.$traces" \
		timeout "$wait_s" "$dt" "$@"
}
our_writes() {
	cat "$TMP"/trace.* 2>/dev/null | grep "$root" | grep -cE 'O_(WRONLY|RDWR)'
}
same_sysfs() {
	sysfs_state >"$TMP/after"
	if [ -n "$moving" ]; then
		diff <(grep -vE "^($moving):" "$TMP/before") <(grep -vE "^($moving):" "$TMP/after")
	else
		diff "$TMP/before" "$TMP/after"
	fi >"$TMP/sysfs.diff"
	if [ -s "$TMP/sysfs.diff" ] && [ "$(our_writes)" = 0 ]; then
		ok 0 "$1: kdamond $kd's sysfs state as before # SKIP its owner changed it meanwhile, and we opened nothing there for writing: $(grep -c '^>' "$TMP/sysfs.diff") lines"
		sysfs_state >"$TMP/before"
		return
	fi
	[ ! -s "$TMP/sysfs.diff" ]
	ok $? "$1: kdamond $kd's sysfs state is byte-for-byte as before ($(wc -l <"$TMP/before") files${moving:+, moving by themselves: $moving})"
	[ -s "$TMP/sysfs.diff" ] && diag "$(head -20 "$TMP/sysfs.diff")"
}

# two aggregations of the running kdamond, read from its aggr_us
dt_traced --attach-kdamond "$kd" --json 0.1 2 >"$TMP/j" 2>"$TMP/e"
rc=$?
n=$(grep -c '^{' "$TMP/j")
[ $rc = 0 ] && [ "$n" = 2 ]
ok $? "--attach-kdamond $kd --json: two snapshots within 3 aggregation intervals of $((aggr_us / 1000)) ms (exit $rc, $n lines) $(head -1 "$TMP/e")"
perl -MJSON::PP -ne '
	BEGIN { ($lo, $hi) = (~0, 0); }
	my $j = decode_json($_); my $r = $j->{regions};
	$bad++ unless @$r && $j->{aggr_ns} == '"$aggr_us"' * 1000;
	for (@$r) { $lo = $_->{start} if $_->{start} < $lo; $hi = $_->{end} if $_->{end} > $hi;
		    $bad++ if $_->{start} >= $_->{end}; }
	END { print "$lo $hi ", $bad // 0, "\n" }' "$TMP/j" >"$TMP/span"
read -r lo hi bad <"$TMP/span"
# the kdamond's configured regions bound what it reports
want_lo=$(cat $ctx/targets/0/regions/0/start 2>/dev/null || echo 0)
[ "$bad" = 0 ] && [ "$lo" -ge "$want_lo" ] && [ "$hi" -gt "$lo" ]
ok $? "the snapshots are the kdamond's: regions $lo-$hi, aggr $aggr_us us"
nothing_left "after --attach-kdamond" "$DAMONTOP_PROGS"
same_sysfs "after --attach-kdamond"

# record (both formats) and report
dt_traced record --attach-kdamond "$kd" -o "$TMP/k.rec" -d $(( aggr_us * 2 / 1000000 + 2 )) \
	2>"$TMP/rec.err"
rc=$?
"$dt" report wss "$TMP/k.rec" --json >"$TMP/wss" 2>&1
[ $rc = 0 ] && grep -q '"50":' "$TMP/wss"
ok $? "record --attach-kdamond, then report wss: $(head -c 120 "$TMP/wss")"
"$dt" report heatmap "$TMP/k.rec" -o "$TMP/k.png" 2>&1 && head -c 8 "$TMP/k.png" | grep -q PNG
ok $? "report heatmap of it writes a PNG"
dt_traced record --attach-kdamond "$kd" --format damo -o "$TMP/k.damon.data" \
	-d $(( aggr_us * 2 / 1000000 + 2 )) 2>"$TMP/rec2.err"
rc=$?
printf '\x78' | cmp -s -n 1 - "$TMP/k.damon.data"
zlib=$?
"$dt" report regions "$TMP/k.damon.data" >"$TMP/regions" 2>&1
[ $rc = 0 ] && [ $zlib = 0 ] && grep -q '^# snapshot' "$TMP/regions"
ok $? "record --format damo writes a zlib stream that report reads back ($(grep -c '^# snapshot' "$TMP/regions") snapshots)"

# a signal ends a watch cleanly, too
"$dt" --attach-kdamond "$kd" --batch >/dev/null 2>"$TMP/sig.err" &
pid=$!
sleep 1
loaded_now "the running watch" "$DAMONTOP_PROGS"
kill -INT $pid
wait $pid
ok $? "SIGINT ends --attach-kdamond with exit 0"
nothing_left "after SIGINT" "$DAMONTOP_PROGS"

# the kdamond's CPU time, as damontop counts it (its CPU clock), against
# the kernel's own count in /proc/PID/schedstat around the run: the run's
# window is inside the test's, apart by damontop's start-up and exit (tens
# of ms), so it has at least half of the kdamond's CPU time of the test's
# window unless the kdamond did more than half its work of 4 s in those
# tens of ms; damontop's own CPU clock (about a tenth here) would not pass
kpid=$(cat $root/kdamonds/$kd/pid)
k0=$(cut -d' ' -f1 /proc/$kpid/schedstat)
"$dt" --attach-kdamond "$kd" --headless --metrics-textfile "$TMP/kd.prom" -d 4 2>"$TMP/kd.err"
rc=$?
k1=$(cut -d' ' -f1 /proc/$kpid/schedstat)
ours=$(awk '/^kscope_damontop_kdamond_cpu_seconds_total / { print $2 }' "$TMP/kd.prom")
awk -v o="${ours:-0}" -v k=$((k1 - k0)) 'BEGIN { exit !(o > 0 && o * 1e9 <= k + 1000 && o * 1e9 >= k / 2) }'
ok $? "the kdamond's CPU time: damontop ${ours:-none} s, schedstat $((k1 - k0)) ns around the run (exit $rc)"
grep -q "the kdamond's [0-9.]*%" "$TMP/kd.err"
ok $? "the summary gives the kdamond's share of a CPU: $(grep -o "monitor cost.*" "$TMP/kd.err")"

# the live view of the watched kdamond, as a person sees it
if command -v tmux >/dev/null; then
	sock=kscope-test-$$
	CLEANUP="tmux -L $sock kill-server 2>/dev/null"
	tmux -L $sock new-session -d -s t -x 150 -y 40 \
		"TERM=xterm-256color $dt --no-color --attach-kdamond $kd; echo EXITED \$?; sleep 30"
	# until its regions and its CPU share show: the share is measured
	# over 250 ms at least, at an aggregation's end, so an aggregation
	# ending sooner after the start leaves "kdamond -" until the next
	# (5 s later for this machine's kdamond)
	for i in $(seq $((wait_s * 2))); do
		sleep 0.5
		tmux -L $sock capture-pane -p -t t >"$TMP/s1"
		grep -qE '^ +[0-9a-f]{6,} +[0-9a-f]{6,} ' "$TMP/s1" &&
			grep -qE "kdamond [0-9.]+%" "$TMP/s1" && break
	done
	grep -q "source damon $ops, kdamond $kd pid" "$TMP/s1" &&
		grep -qE "cost [0-9.]+%  kdamond [0-9.]+%" "$TMP/s1" &&
		grep -qE '^ +[0-9a-f]{6,} +[0-9a-f]{6,} +[0-9.]+ [KMG]?i?B +[0-9]+% ' "$TMP/s1"
	ok $? "live view: the header names the watched kdamond and its CPU, the table has its regions: $(sed -n 2p "$TMP/s1" | tr -s ' ')"
	if [ "$ops" = paddr ]; then
		grep -c 'System RAM' "$TMP/s1" | grep -qv '^0$' && grep -qE 'System RAM +memcg [0-9]+% /' "$TMP/s1"
		ok $? "physical memory: rows labelled System RAM, hottest regions with their memory cgroup"
		tmux -L $sock send-keys -t t o
		sleep 3
		tmux -L $sock capture-pane -p -t t >"$TMP/s2"
		grep -qE '^[0-9a-f]+: (pid [0-9]+ \(|no process maps)' "$TMP/s2"
		ok $? "o: the processes with pages in the selected region: $(grep -E '^[0-9a-f]+: ' "$TMP/s2" | cut -c1-80)"
	else
		ok 0 "physical memory rows # SKIP kdamond $kd monitors $ops"
		ok 0 "o lists processes # SKIP kdamond $kd monitors $ops"
	fi
	tmux -L $sock send-keys -t t q
	sleep 1
	tmux -L $sock capture-pane -p -t t | grep -q 'EXITED 0'
	ok $? "q quits with exit 0"
else
	for t in "live view" "physical memory rows" "o lists processes" "q quits"; do
		ok 0 "$t # SKIP tmux not installed"
	done
fi

# our own kdamond: refused in one line, by the kernel (a kdamond runs) or
# because it has no DAMON vaddr (like this machine's)
if grep -q ' damon_va_' /proc/kallsyms; then
	why="kdamond $kd .*is running.*--attach-kdamond"
else
	why="the kernel's DAMON has no vaddr operations; use --source pte"
fi
dt_traced --source damon --batch -c "sleep 3" >"$TMP/o" 2>"$TMP/busy"
rc=$?
[ $rc != 0 ] && [ "$(wc -l <"$TMP/busy")" = 1 ] && grep -q "$why" "$TMP/busy"
ok $? "--source damon: one line, exit $rc: $(cat "$TMP/busy")"
dt_traced --paddr --batch -d 1 >"$TMP/o" 2>"$TMP/pbusy"
rc=$?
[ $rc != 0 ] && [ "$(wc -l <"$TMP/pbusy")" = 1 ] &&
	grep -q "kdamond $kd .*is running.*--attach-kdamond" "$TMP/pbusy"
ok $? "--paddr beside a running kdamond: one line, exit $rc: $(cat "$TMP/pbusy")"
dt_traced --batch -d 1 -c "sleep 3" >"$TMP/auto" 2>&1
grep -q "source pte (auto: ${why%%;*}" "$TMP/auto"
ok $? "auto falls back to pte and says why: $(head -1 "$TMP/auto")"
same_sysfs "after the refused starts"
[ "$(our_writes)" = 0 ] && [ "$traces" -ge 5 ]
ok $? "$traces traced runs opened nothing under $root for writing"
done_testing
