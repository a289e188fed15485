# kscope record on each guest's kernel: its default with a command, the
# command's memory (kernel DAMON where the kernel has it), NAPI and the
# cores, in one process while the command's loopback datagrams pass the
# backlog NAPI and two cpuburns run on CPUs 0 and 1 (one core's two
# threads in every guest).
# Where the kernel schedules by cookie (kscope-6.1-full) the burners get
# cookies of their own and the cores view measures, --schedstats on for
# the session and off again after; elsewhere it estimates (what-if).
# Then each tool's --replay opens its part, and nothing is left (no
# kdamond of ours either).  Last,
# the io view on this kernel's strongest tier: a deny rule on a loop
# device's first 34 sectors for a session lasting one write into them;
# the bytes stay, iofilter's replay of the part and kscope report's lanes
# have the refusal.
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
damon=/sys/kernel/mm/damon/admin
kd_before=$(cat $damon/kdamonds/nr_kdamonds 2>/dev/null)
wait_for recv.out '^ready$' 100
kscope record -o r.kscope -i 0.5 $schedstats -- \
	udpflood send --port $PORT --count $COUNT --rate 2500 127.0.0.1 >rec.out 2>rec.err
rc=$?
wait $rv
kill $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
grep -q '^kscope: recording mem napi cores to r.kscope$' rec.err && [ $rc = 0 ] &&
	grep -q 'the command ended' rec.err
ok $? "kscope record -- udpflood send: the three views, ended with the command (exit $rc): $(tr '\n' ' ' <rec.err)"
[ $rc = 0 ] || diag "$(cat rec.err)"
if expects sched_core; then
	[ "$(cat $knob)" = 0 ]
	ok $? "--schedstats: kernel.sched_schedstats back off after the session ($(cat $knob))"
fi
nothing_left "after kscope record" 'nt_[a-z_]*|ct_[a-z_]*|walk_task|damon_aggr'
[ "$(cat $damon/kdamonds/nr_kdamonds 2>/dev/null)" = "$kd_before" ]
ok $? "no kdamond of ours remains (nr_kdamonds ${kd_before:-none}, after: $(cat $damon/kdamonds/nr_kdamonds 2>/dev/null || echo none))"

kscope report r.kscope >parts 2>&1
[ "$(awk '{ print $1 }' parts | tr '\n' ' ')" = "damontop napitop coretop " ]
ok $? "kscope report: its parts $(awk '{ print $1 "=" $2 $3 }' parts | tr '\n' ' ')"
# the mem view: the command's aggregations, from the source damontop
# takes on this kernel
damontop report wss r.kscope >wss.out 2>wss.err
rc=$?
src=$(damontop --replay r.kscope --batch 2>/dev/null | grep -o 'source [a-z-]*' | head -1)
[ $rc = 0 ] && grep -q '^# working set size of pid [0-9]* (udpflood), [1-9][0-9]* snapshots' wss.out
ok $? "damontop report of the record: $(head -1 wss.out) (${src:-source ?})"
[ $rc = 0 ] || diag "$(cat wss.err)"
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

# --- the io view ---------------------------------------------------------------
[ -e /dev/loop-control ] || insmod /kscope/modules/loop.ko 2>/dev/null
dd if=/dev/zero of=/tmp/io.img bs=1M count=8 2>/dev/null
dev=$(losetup -f) && losetup "$dev" /tmp/io.img || dev=
if [ -z "$dev" ]; then
	refused loop "kscope record --io on a loop device" "no loop device in this guest"
	exit 0
fi
prot_sum() {
	blockdev --flushbufs "$dev"
	dd if="$dev" bs=512 count=34 2>/dev/null | md5sum | cut -d' ' -f1
}
before=$(prot_sum)
kscope record -o io.kscope -i 0.5 --io "dev=$dev sectors=0-33" -- \
	blkwrite pwrite "$dev" 8 1 0x5a >io.out 2>io.err
rc=$?
after=$(prot_sum)
tier=$(sed -n "s/^iofilter: rule 1 .*: deny at \([a-z, ]*\).*/\1/p" io.err | cut -d' ' -f1)
[ $rc = 0 ] && [ "$before" = "$after" ] && grep -q '^kscope: recording io to io.kscope$' io.err
ok $? "kscope record --io 'dev=$dev sectors=0-33' -- blkwrite into them: the bytes stay (tier ${tier:-?}; exit $rc)"
[ $rc = 0 ] || diag "$(cat io.err)"
iofilter --replay io.kscope --json >io.json 2>&1
kscope report io.kscope --format json >io.lanes 2>&1
grep -q '"denied":true' io.json && grep -q '"tool":"iofilter".*"denied":[1-9].*"marks":\[\[[0-9.]*,1,' io.lanes
ok $? "its part: iofilter's replay has the refusal, kscope report's lane marks it ($(grep -o '"denied":[0-9]*' io.lanes | head -1))"
losetup -d "$dev"
nothing_left "after the io view" 'iof_[a-z_]*'
exit 0
