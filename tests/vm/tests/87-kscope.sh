# kscope record on each guest's kernel: its default, every view there is,
# in one process while loopback datagrams pass the backlog NAPI and two
# cpuburns run on CPUs 0 and 1 (one core's two threads in every guest).
# Where the kernel schedules by cookie (kscope-6.1-full) the burners get
# cookies of their own and the cores view measures, --schedstats on for
# the session and off again after; elsewhere it estimates (what-if).
# Then each tool's --replay opens its part, and nothing is left.
# kscope-timeout: 150
. /kscope/lib.sh

COUNT=5000
PORT=9877
knob=/proc/sys/kernel/sched_schedstats
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
schedstats=
if expects sched_core; then
	echo 0 >$knob
	coretop cookie create -- cpuburn --cpu 0 20 2>/dev/null & p1=$!
	coretop cookie create -- cpuburn --cpu 1 20 2>/dev/null & p2=$!
	schedstats=--schedstats
else
	cpuburn --cpu 0 20 & p1=$!
	cpuburn --cpu 1 20 & p2=$!
fi
udpflood recv --port $PORT --expect $COUNT --idle 2 --timeout 60 >recv.out 2>&1 &
rv=$!
wait_for recv.out '^ready$' 100
kscope record -o r.kscope -i 0.5 $schedstats -- \
	udpflood send --port $PORT --count $COUNT --rate 2500 127.0.0.1 >rec.out 2>rec.err
rc=$?
wait $rv
kill $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
grep -q '^kscope: recording napi cores to r.kscope$' rec.err && [ $rc = 0 ] &&
	grep -q 'the command ended' rec.err
ok $? "kscope record -- udpflood send: both views, ended with the command (exit $rc): $(tr '\n' ' ' <rec.err)"
[ $rc = 0 ] || diag "$(cat rec.err)"
if expects sched_core; then
	[ "$(cat $knob)" = 0 ]
	ok $? "--schedstats: kernel.sched_schedstats back off after the session ($(cat $knob))"
fi
nothing_left "after kscope record" 'nt_[a-z_]*|ct_[a-z_]*'

kscope report r.kscope >parts 2>&1
[ "$(awk '{ print $1 }' parts | tr '\n' ' ')" = "napitop coretop " ]
ok $? "kscope report: its parts $(awk '{ print $1 "=" $2 $3 }' parts | tr '\n' ' ')"
napitop --replay r.kscope --json >napi.json 2>napi.err
rc=$?
# the backlog instance (lo's datagrams), its packets
packets=$(sed -n 's/.*"dev":"backlog","napi_id":0,[^}]*"packets":\([0-9]*\).*/\1/p' napi.json | head -1)
[ $rc = 0 ] && [ "${packets:-0}" -ge $COUNT ]
ok $? "napitop --replay of the record: the backlog's packets ${packets:-none} for $COUNT sent (exit $rc)"
[ $rc = 0 ] || diag "$(cat napi.err)"
coretop --replay r.kscope --json >cores.json 2>cores.err
rc=$?
mode=$(sed -n 's/.*"mode":"\([a-z-]*\)".*/\1/p' cores.json | head -1)
# measured: the kernel forced a sibling idle; what-if: the burners conflict
if expects sched_core; then want=measured fig=forced_idle_ns; else want=what-if fig=conflict_ns; fi
[ $rc = 0 ] && [ "$mode" = $want ] && grep -q "\"$fig\":[1-9]" cores.json
ok $? "coretop --replay of the record: mode ${mode:-none} (the kernel's core scheduling: $want), $fig on a core: $(grep -o "\"$fig\":[0-9]*" cores.json | head -1)"
[ $rc = 0 ] || diag "$(cat cores.err)"
# --what-if: the estimate even where the kernel measures
if expects sched_core; then
	kscope record -o w.kscope -d 1 --cores --what-if >/dev/null 2>w.err
	rc=$?
	coretop --replay w.kscope --json >w.json 2>&1
	[ $rc = 0 ] && grep -q '"mode":"what-if"' w.json
	ok $? "--cores --what-if: coretop's part estimates ($(grep -o '"mode":"[a-z-]*"' w.json | head -1), exit $rc)"
	[ $rc = 0 ] || diag "$(cat w.err)"
fi
exit 0
