# coretop's measured mode against the kernel's own core scheduling
# (kscope-6.1-full: CONFIG_SCHED_CORE, CPUs 0 and 1 are one core's two
# threads).  Two cpuburns pinned to CPUs 0 and 1: with different cookies
# the core forces one sibling idle while the other runs; with one shared
# cookie it does not.  coretop --json runs beside each pair with
# --schedstats (the kernel's own count, for the cross-check); the figures
# are judged on the host (checks/75-coretop-measured.sh).  Elsewhere: a
# skip with the reason.
# kscope-timeout: 150
. /kscope/lib.sh

if ! coretop cookie get $$ >/dev/null 2>&1; then
	skip "coretop measured mode" "$(coretop cookie get $$ 2>&1 | head -1 | sed 's/^coretop: //')"
	exit 0
fi
# the kernel's forced-idle count per cgroup (cpu.stat) needs cgroup2
grep -q ' cgroup2 ' /proc/self/mountinfo ||
	{ mkdir -p /sys/fs/cgroup && mount -t cgroup2 none /sys/fs/cgroup; }
knob=/proc/sys/kernel/sched_schedstats
echo 0 >$knob

# run NAME new|shared: cpuburn on CPU 0 with a cookie of its own, one on
# CPU 1 with another ("new") or the same ("shared"), coretop beside
run() {
	coretop cookie create -- cpuburn --cpu 0 10 2>/dev/null & p1=$!
	sleep 0.3
	if [ "$2" = new ]; then
		coretop cookie create -- cpuburn --cpu 1 10 2>/dev/null & p2=$!
	else
		coretop cookie share-from $p1 -- cpuburn --cpu 1 10 2>/dev/null & p2=$!
	fi
	sleep 0.5
	coretop --schedstats --json -d 5 >"$1.json" 2>"$1.err"
	rc=$?
	ok $rc "coretop measured, $2 cookies: --schedstats --json -d 5 runs ($(head -1 "$1.err"))"
	[ $rc = 0 ] || diag "$(cat "$1.err")"
	kill $p1 $p2 2>/dev/null
	wait $p1 $p2 2>/dev/null
	ship "$1.json" "coretop.$1.json"
}

run apart new
grep -q '^coretop: measured: the kernel' apart.err
ok $? "coretop measured: it says it measures the kernel's core scheduling"
grep -q 'sched_schedstats on for this session' apart.err && [ "$(cat $knob)" = 0 ]
ok $? "coretop measured: schedstats on for the session, back off after ($(cat $knob))"
run together shared
nothing_left "after coretop measured" 'ct_[a-z_]*'
exit 0
