# napitop on Linux 6.1 (both guests): its CO-RE programs must load where
# napi_struct has no irq or index and its state bits are an anonymous
# enum, and count.  The traffic is COUNT UDP datagrams (udpflood) to
# 127.0.0.1: the loopback device hands every one to the per-CPU backlog
# NAPI (netif_rx), which napitop shows as dev "backlog", napi_id 0.
# Where the guest has a NIC (kscope-6.1-full: qemu's e1000e on its user
# network), pings to qemu's gateway come back through the NIC's own NAPI:
# once in softirq, once threaded (napitop --threaded eth0 on).  napitop
# --json runs beside each and ends on SIGINT; its figures are judged on
# the host (checks/80-napitop.sh).  Then --batch -d, and nothing of
# napitop's may stay loaded.
# kscope-timeout: 150
. /kscope/lib.sh

COUNT=5000
PORT=9876

# run NAME CMD...: napitop --json beside CMD (the traffic); its last
# refresh shipped as napitop.NAME.json, CMD's output as napitop.NAME.traffic
run() {
	name=$1
	shift
	napitop --json -i 1 -d 100 >"$name.json" 2>"$name.err" &
	nt=$!
	if ! wait_for "$name.err" '^napitop: watching' 600; then
		ok 1 "napitop --json attaches ($name): $(head -1 "$name.err")"
		diag "$(cat "$name.err")"
		kill -INT $nt 2>/dev/null
		wait $nt 2>/dev/null
		return 1
	fi
	"$@" >"$name.traffic" 2>&1
	ok $? "$name traffic: $*: $(tail -n 2 "$name.traffic" | tr '\n' ' ')"
	sleep 2	# one refresh of napitop past the last packet
	kill -INT $nt
	wait $nt
	rc=$?
	[ $rc = 0 ] && [ -s "$name.json" ]
	ok $? "napitop --json beside it ends on SIGINT (exit $rc, $(wc -l <"$name.json") refreshes): $(head -1 "$name.err")"
	[ $rc = 0 ] || diag "$(cat "$name.err")"
	ship "$name.traffic" "napitop.$name.traffic"
	tail -n 1 "$name.json" >"$name.last"
	ship "$name.last" "napitop.$name.json"
}

# loopback: udpflood's sender and receiver on 127.0.0.1, the sender paced
# (the backlog holds 1000 packets a CPU, and a sender in TCG can be
# descheduled with its softirq pending)
loopback() {
	udpflood recv --port $PORT --expect $COUNT --idle 2 --timeout 60 >recv.out 2>&1 &
	rv=$!
	wait_for recv.out '^ready$' 100
	udpflood send --port $PORT --count $COUNT --rate 5000 127.0.0.1
	rc=$?
	wait $rv
	grep '^received' recv.out
	return $rc
}

ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
if run backlog loopback; then
	grep -q '^napitop: watching napi:napi_poll \[\(tp_btf\|raw_tp\)' backlog.err
	ok $? "it says which hooks it took"
	# the netdev family (napi-get: IRQs, kthreads) only where the kernel has it
	grep -q 'netdev netlink' backlog.err
	if expects napi_get; then [ $? = 0 ]; else [ $? = 1 ]; fi
	ok $? "netdev netlink's napi-get taken where the kernel has it: $(head -1 backlog.err)"
fi
nothing_left "after napitop --json" 'nt_[a-z_]*'

# the text view, with a few datagrams more: a row for the backlog; and
# --netrx-time, whose programs at softirq_entry/exit time NET_RX
# (a second of datagrams: an interval with NET_RX work in it)
udpflood recv --port $PORT --expect 2000 --idle 2 --timeout 60 >/dev/null 2>&1 &
rv=$!
napitop --batch --netrx-time -d 3 >nt.txt 2>nt.err &
nt=$!
wait_for nt.err '^napitop: watching' 600
udpflood send --port $PORT --count 2000 --rate 2000 127.0.0.1 >/dev/null 2>&1
wait $nt
rc=$?
wait $rv
[ $rc = 0 ] && grep -qE '^ +backlog +- +(softirq|ksoftirqd) ' nt.txt
ok $? "napitop --batch --netrx-time -d 3 ends by itself (exit $rc) with a row for the backlog"
[ $rc = 0 ] || diag "$(cat nt.err)"
grep -qE '^ +backlog +- +(softirq|ksoftirqd) ' nt.txt || diag "$(tail -n 8 nt.txt)"
sirq='^ +cpu [0-9]+: softirq [0-9.]+% \(NET_RX (0\.[1-9]|[1-9][0-9]*\.)[0-9]*%\)'
grep -qE "$sirq" nt.txt
ok $? "--netrx-time: NET_RX's own time beside all softirqs': $(grep -m1 -E "$sirq" nt.txt || grep -m1 -E '^ +cpu [0-9]+: ' nt.txt)"
nothing_left "after napitop --batch" 'nt_[a-z_]*'

# --- a NIC's NAPI: qemu's user network answers pings at 10.0.2.2 ---------
if ! expects nic; then
	skip "napitop on a NIC's NAPI" "this guest has no NIC (tests/vm/features)"
	exit 0
fi
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0
# the link comes up after autonegotiation: seconds, in TCG
wait_for /sys/class/net/eth0/operstate '^up$' 200
# qemu gives every guest its user network: no answer is a failure
ping -c 3 -W 5 10.0.2.2 >ping.out 2>&1
ok $? "qemu's user network answers at 10.0.2.2: $(tail -n 1 ping.out)"
cat /sys/class/net/eth0/napi_defer_hard_irqs /sys/class/net/eth0/gro_flush_timeout \
	>sysfs.conf 2>&1
ship sysfs.conf napitop.nic.sysfs
run nic ping -c 200 -i 0.01 -W 5 10.0.2.2
# --set through the device's sysfs on every kernel; by NAPI id only with
# napi-set (6.13+, none of these guests): refused in one line, unchanged
napitop --set eth0 defer-hard-irqs=3 gro-flush-timeout=50us >set.out 2>set.err
rc=$?
after=$(cat /sys/class/net/eth0/napi_defer_hard_irqs /sys/class/net/eth0/gro_flush_timeout | tr '\n' ' ')
[ $rc = 0 ] && [ "$after" = "3 50000 " ] && grep -q '^eth0.*: defer-hard-irqs 0 -> 3$' set.out
ok $? "napitop --set eth0 defer-hard-irqs=3 gro-flush-timeout=50us: exit $rc, sysfs $after: $(tr '\n' ';' <set.out)"
id=$(awk '/napi_id/' nic.last | sed -n 's/.*"dev":"eth0","napi_id":\([1-9][0-9]*\).*/\1/p' | head -1)
napitop --set "${id:-1}" defer-hard-irqs=1 >set.out 2>set.err
rc=$?
[ $rc != 0 ] && [ "$(wc -l <set.err)" = 1 ] && grep -q 'napi-set (6.13+)' set.err &&
	[ "$(cat /sys/class/net/eth0/napi_defer_hard_irqs)" = 3 ]
ok $? "napitop --set ${id:-?} (a NAPI id) refused in one line without napi-set: $(cat set.err)"
napitop --set eth0 defer-hard-irqs=0 gro-flush-timeout=0 >/dev/null 2>&1
napitop --threaded eth0 on >thr.out 2>thr.err
[ $? = 0 ] && grep -q '^eth0: threaded off -> on$' thr.out
ok $? "napitop --threaded eth0 on: $(cat thr.out thr.err | tr '\n' ' ')"
run nic-threaded ping -c 200 -i 0.01 -W 5 10.0.2.2
napitop --threaded eth0 off >thr.out 2>thr.err
[ $? = 0 ] && grep -q '^eth0: threaded on -> off$' thr.out
ok $? "napitop --threaded eth0 off: $(cat thr.out thr.err | tr '\n' ' ')"
nothing_left "after napitop on eth0" 'nt_[a-z_]*'
exit 0
