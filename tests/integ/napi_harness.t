#!/bin/bash
# The veth NAPI harness itself (napi_lib.sh and tools/udpflood), without
# napitop: the namespaces come up in every mode; a flood of 200000 64-byte
# datagrams arrives (datagrams the receiving socket read vs those sendmmsg
# took, within 2%); and the packets really go through vb's NAPI, shown by
# the kernel's own accounts: veth's per-queue count of packets its NAPI
# polls took off the ring (ethtool -S vb, rx_queue_0_xdp_packets) covers
# every datagram received, the receiving socket saw vb's NAPI id
# (SO_INCOMING_NAPI_ID), and with threaded NAPI on the kernel thread
# napi/vb-<id> appears and burns CPU while the flood lasts, not while idle.
# Mode plain (veth without NAPI) is the negative control: the same checks
# say no.  Then a signal in the middle of a flood, and that nothing is
# left: namespaces, processes, kthreads (the device is gone), XDP programs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
napi_need gro
napi_need xdp
command -v bpftool >/dev/null || skip_all "bpftool not installed"
plan 27

COUNT=200000
MS=1000000

# bad_args DESC PATTERN ARGS...: exit 2, one stderr line matching PATTERN,
# nothing on stdout
bad_args() {
	local desc=$1 pat=$2 rc
	shift 2
	"$UDPFLOOD" "$@" >"$TMP/o" 2>"$TMP/e"
	rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && grep -q -- "$pat" "$TMP/e" && [ ! -s "$TMP/o" ]
	ok $? "udpflood $desc: exit $rc, '$(head -n 1 "$TMP/e")'"
}

# flood DESC: COUNT datagrams of 64 bytes; sets P (packets vb's NAPI
# polled meanwhile) and KT_NS (CPU time of the kthreads in $KT meanwhile)
flood() {
	local p0 p1 c0 rc

	p0=$(napi_polled)
	c0=$(napi_kthread_ns $KT)
	napi_traffic $COUNT 64
	rc=$?
	p1=$(napi_polled)
	KT_NS=$(($(napi_kthread_ns $KT) - c0))
	P=$((p1 - p0))
	[ $rc = 0 ] && [ "$SENT" = $COUNT ] && [ "$RECEIVED" -le "$SENT" ] &&
		[ $((RECEIVED * 100)) -ge $((SENT * 98)) ]
	ok $? "$1: received $RECEIVED of $SENT datagrams sent, $((SENT * 1000000 / (SEND_NS + 1))) k/s (socket drops ${RECV_DROPS:-?}, veth drops $(napi_veth_drops))"
}

# polled_all DESC: vb's NAPI took every datagram received off its ring (and
# not many more: a few ARP and IPv6 packets), and the socket saw its id
polled_all() {
	[ "$P" -ge "$RECEIVED" ] && [ "$P" -le $((SENT + 100)) ] &&
		[ "$NAPI_ID" != 0 ] && [ "$RECV_NAPI_ID" = "$NAPI_ID" ]
	ok $? "$1: vb's NAPI polled $P packets for $RECEIVED datagrams received; the socket saw napi id $RECV_NAPI_ID (vb's: $NAPI_ID)"
}

# kthread_on DESC: threaded on makes exactly vb's kthread; sets KT
kthread_on() {
	local comm

	napi_threaded on
	KT=$(napi_kthreads)
	comm=$(cat "/proc/$KT/comm" 2>/dev/null)
	[ -n "$KT" ] && [ "$(wc -w <<<"$KT")" = 1 ] && [ "$comm" = "napi/vb-$NAPI_ID" ]
	ok $? "$1: threaded on makes kthread $comm (pid $KT)"
}

# kthread_busy DESC: the kthread ran while the flood lasted, not while idle
kthread_busy() {
	local c0 idle

	c0=$(napi_kthread_ns $KT)
	sleep 1
	idle=$(($(napi_kthread_ns $KT) - c0))
	flood "$1" >"$TMP/flood"
	cat "$TMP/flood"
	[ "$KT_NS" -ge $((20 * MS)) ] && [ "$idle" -lt $((KT_NS / 10)) ] &&
		[ "$P" -ge "$RECEIVED" ] && [ "$RECV_NAPI_ID" = "$NAPI_ID" ]
	ok $? "$1: napi/vb-$NAPI_ID ran $((KT_NS / MS)) ms during the flood ($((KT_NS * 100 / (SEND_NS + 1)))% of its time), $((idle / 1000)) us in 1 s idle; NAPI polled $P packets"
}

# gone_kthread PID: true once PID is no more (a kthread stops a little later)
gone_kthread() {
	for _ in $(seq 100); do
		[ -z "$1" ] || [ ! -e "/proc/$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# alive PID: PID runs (a zombie does not)
alive() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null)
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

# nothing_left_napi DESC: napi_teardown removed the namespaces, every
# process in them (a receiver is left running there, as by a test that
# failed half-way), and the devices: vb's kthread (threaded on before) and
# XDP programs exist only while the device does.
nothing_left_napi() {
	local ns="$NA $NB" kt prog progs='' linger

	napi_threaded on 2>/dev/null
	kt=$(napi_kthreads)
	ip netns exec "$NB" "$UDPFLOOD" recv --port 9997 --timeout 600 >/dev/null 2>&1 &
	linger=$!
	for _ in $(seq 50); do
		ip netns pids "$NB" | grep -qx "$linger" && break
		sleep 0.1
	done
	napi_teardown
	for _ in $(seq 30); do
		alive "$linger" || break
		sleep 0.1
	done
	if alive "$linger"; then
		kill "$linger"
		linger="$linger (left running)"
	fi
	wait "${linger%% *}" 2>/dev/null
	gone_kthread "$kt"
	ok_kt=$?
	for prog in $NAPI_XDP_IDS; do
		for _ in $(seq 100); do
			bpftool prog show id "$prog" >/dev/null 2>&1 || break
			sleep 0.1
		done
		bpftool prog show id "$prog" >/dev/null 2>&1 && progs="$progs $prog"
	done
	! ip netns list | grep -qwE "${ns// /|}" && [ $ok_kt = 0 ] && [ -n "$kt" ] &&
		[ -z "$progs" ] && [ "${linger#* }" = "$linger" ]
	ok $? "$1: no namespace, receiver $linger stopped, kthread $kt gone with vb${NAPI_XDP_IDS:+, XDP programs $NAPI_XDP_IDS unloaded}${progs:+ (left:$progs)}"
}

# --- udpflood's arguments --------------------------------------------------
bad_args "without a mode" "no mode"
bad_args "send without ADDR" "no ADDR" send --count 5
bad_args "send --size 70000" "bad size '70000'" send --size 70000 10.199.0.2
bad_args "recv --count" "'--count' is not for recv" recv --count 5

# --- gro: TSO off on va, GRO on on vb ----------------------------------------
napi_setup gro
rc=$?
gro=$(ip netns exec "$NB" ethtool -k vb 2>/dev/null | awk '/^generic-receive-offload:/ {print $2}')
tso=$(ip netns exec "$NA" ethtool -k va 2>/dev/null | awk '/^tcp-segmentation-offload:/ {print $2}')
[ $rc = 0 ] && [ "$gro" = on ] && [ "$tso" = off ] && [ "$NAPI_ID" != 0 ] &&
	ip -n "$NB" link show vb | grep -q 'state UP' && ip -n "$NA" link show va | grep -q 'state UP'
ok $? "setup gro: $NA/va and $NB/vb up, vb GRO $gro, va TSO $tso, vb's NAPI id $NAPI_ID"
[ -z "$(napi_kthreads)" ] && [ "$(ip netns exec "$NB" cat /sys/class/net/vb/threaded)" = 0 ]
ok $? "gro: threaded off, no napi/vb-$NAPI_ID kthread: polls run in softirq"
KT=
flood "gro, softirq NAPI"
polled_all "gro, softirq NAPI"
kthread_on "gro"
kthread_busy "gro, threaded NAPI"
napi_threaded off
gone_kthread "$KT"
ok $? "gro: threaded off stops napi/vb-$NAPI_ID (pid $KT)"

# recv's own end: --timeout with nothing sent, in vb's namespace
t0=$(date +%s%N)
out=$(ip netns exec "$NB" "$UDPFLOOD" recv --port 9998 --timeout 0.3 2>&1)
t=$((($(date +%s%N) - t0) / MS))
[ "$out" = "ready
received 0 bytes 0 drops 0 napi 0" ] && [ $t -ge 300 ] && [ $t -lt 2000 ]
ok $? "udpflood recv --timeout 0.3 with no sender: ends after $t ms with '$(tail -n 1 <<<"$out")'"
nothing_left_napi "gro teardown"

# --- xdp: XDP_PASS on both ends, GRO left off ----------------------------------
napi_setup xdp
rc=$?
gro=$(ip netns exec "$NB" ethtool -k vb 2>/dev/null | awk '/^generic-receive-offload:/ {print $2}')
progs=0
for id in $NAPI_XDP_IDS; do
	bpftool prog show id "$id" 2>/dev/null | grep -q 'xdp  *name kscope_xdp_pass' && progs=$((progs + 1))
done
[ $rc = 0 ] && [ "$progs" = 2 ] && [ "$gro" = off ] && [ "$NAPI_ID" != 0 ]
ok $? "setup xdp: $progs kscope_xdp_pass programs (ids $NAPI_XDP_IDS) on va and vb, vb GRO $gro, vb's NAPI id $NAPI_ID"
KT=
flood "xdp, softirq NAPI"
polled_all "xdp, softirq NAPI"
kthread_on "xdp"
kthread_busy "xdp, threaded NAPI"
nothing_left_napi "xdp teardown"

# --- plain: veth as created, all through the backlog: the checks say no -------
napi_setup plain
ok $? "setup plain: vb has no NAPI; datagrams arrive all the same"
KT=
flood "plain, backlog"
napi_threaded on 2>/dev/null
thr=$?
[ "$P" = 0 ] && [ "$RECV_NAPI_ID" = 0 ] && [ $thr != 0 ]
ok $? "plain: NAPI polled $P packets, socket napi id $RECV_NAPI_ID, threaded refused: the checks above tell NAPI from the backlog"
napi_teardown
! ip netns list | grep -qwE "$NA|$NB"
ok $? "plain teardown: no namespace left"

# --- a signal in the middle of a flood ----------------------------------------
# A harness in its own session (process group), as under a terminal's ^C:
# the whole group gets SIGTERM while a paced flood runs.
DIR=$(cd "$(dirname "$0")" && pwd)
setsid bash -c '
	echo $$ >"$2/child.pid"
	. "$1/lib.sh"; . "$1/napi_lib.sh"
	napi_setup gro || exit 1
	napi_threaded on
	echo "$NA $NB $(napi_kthreads)" >"$2/child.ns"
	NAPI_RATE=50000 napi_traffic 100000000 64
' _ "$DIR" "$TMP" >/dev/null 2>"$TMP/child.err" &
child=$!
for _ in $(seq 200); do
	[ -s "$TMP/child.ns" ] && break
	sleep 0.1
done
sleep 1
read -r cna cnb ckt <"$TMP/child.ns" 2>/dev/null
cpg=$(cat "$TMP/child.pid" 2>/dev/null)
running=$(ip netns pids "$cnb" 2>/dev/null | wc -l)
[ -n "$cpg" ] && kill -TERM -- "-$cpg" 2>/dev/null
wait "$child" 2>/dev/null
gone_kthread "$ckt"
ok_kt=$?
left=$(ps -e -o pgid= | grep -cw "${cpg:-none}")
[ -n "$cna" ] && [ "$running" -ge 1 ] && ! ip netns list | grep -qwE "$cna|$cnb" &&
	[ -n "$ckt" ] && [ $ok_kt = 0 ] && [ "$left" = 0 ]
ok $? "SIGTERM to a harness during a flood ($running receiver in $cnb): its namespaces and kthread $ckt gone, $left of its processes left"
# should the child have failed, its namespaces go here (they are ours)
for ns in $cna $cnb; do ip netns del "$ns" 2>/dev/null; done

# --- nothing left -------------------------------------------------------------
others=$(ip netns list | awk '/^kscope-napi-/ {print $1}' | paste -sd ' ')
! ip netns list | grep -qE "^kscope-napi-[ab]-${$}( |\$)" && ! ip -o link show | grep -qE '^[0-9]+: (va|vb)[@:]'
ok $? "no kscope-napi-*-$$ namespace, no va or vb here${others:+ (other runs still have $others)}"

done_testing
