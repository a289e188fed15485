# coretop's measured mode against the kernel's own core scheduling
# (kscope-6.1-full: CONFIG_SCHED_CORE, CPUs 0 and 1 are one core's two
# threads).  Two cpuburns pinned to CPUs 0 and 1: with different cookies
# the core forces one sibling idle while the other runs; with one shared
# cookie it does not.  coretop --json runs beside each pair with
# --schedstats; the kernel's own count of forced idle (the root cgroup's
# cpu.stat) is read here around each run, for the cross-check; the figures
# are judged on the host (checks/75-coretop-measured.sh).  Where the
# kernel has no core scheduling (tests/vm/features): a skip with the reason.
# kscope-timeout: 150
. /kscope/lib.sh

if ! coretop cookie get $$ >/dev/null 2>&1; then
	refused sched_core "coretop measured mode" "$(coretop cookie get $$ 2>&1 | head -1 | sed 's/^coretop: //')"
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
	coretop cookie create -- cpuburn --cpu 0 30 2>/dev/null & p1=$!
	sleep 0.3
	if [ "$2" = new ]; then
		coretop cookie create -- cpuburn --cpu 1 30 2>/dev/null & p2=$!
	else
		coretop cookie share-from $p1 -- cpuburn --cpu 1 30 2>/dev/null & p2=$!
	fi
	sleep 0.5
	coretop --schedstats --json -d 5 >"$1.json" 2>"$1.err" &
	ct=$!
	# the kernel's count from coretop's start line (it is attached then)
	# to its exit, for checks/75 to compare as a rate with coretop's own
	wait_for "$1.err" '^coretop: \(measured\|what-if\)' 300
	kernel_forced_idle >"$1.kernel"
	wait $ct
	rc=$?
	kernel_forced_idle >>"$1.kernel"
	[ $rc = 0 ] && [ -s "$1.json" ]
	ok $? "coretop measured, $2 cookies: --schedstats --json -d 5 runs: exit $rc, $(wc -l <"$1.json") lines ($(head -1 "$1.err"))"
	[ $rc = 0 ] || diag "$(cat "$1.err")"
	kill $p1 $p2 2>/dev/null
	wait $p1 $p2 2>/dev/null
	ship "$1.json" "coretop.$1.json"
	ship "$1.kernel" "coretop.$1.kernel"
}

# kernel_forced_idle: "UPTIME USEC", the root cgroup's forced-idle count
# (cpu.stat's core_sched.force_idle_usec, counted while schedstats are on)
kernel_forced_idle() {
	echo "$(cut -d' ' -f1 /proc/uptime) $(awk '$1 == "core_sched.force_idle_usec" { print $2 }' /sys/fs/cgroup/cpu.stat)"
}

run apart new
grep -q '^coretop: measured: the kernel' apart.err
ok $? "coretop measured: it says it measures the kernel's core scheduling"
grep -q 'sched_schedstats on for this session' apart.err && [ "$(cat $knob)" = 0 ]
ok $? "coretop measured: schedstats on for the session, back off after ($(cat $knob))"
run together shared
nothing_left "after coretop measured" 'ct_[a-z_]*'
exit 0
