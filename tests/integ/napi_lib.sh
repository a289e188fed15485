# veth NAPI fixtures for napitop's integration tests and bench (sourced,
# bash, after lib.sh: uses BUILD, TOOLS, TMP, CLEANUP, diag and skip_all).
#
#   napi_need [MODE]            skip the whole test (skip_all), with the
#                               reason, unless napi_setup MODE can work;
#                               call it before plan
#   napi_setup [MODE]           two namespaces joined by a veth pair whose
#                               receiving end runs its NAPI; sets NA, NB,
#                               NAPI_MODE, NAPI_ID, NAPI_XDP_IDS; returns 1
#                               (diag says why) on failure
#   napi_teardown               removes them; idempotent, also at EXIT
#   napi_traffic COUNT SIZE     COUNT UDP datagrams of SIZE bytes from NA
#                               to NB: sets SENT, RECEIVED, RECV_BYTES,
#                               RECV_DROPS, RECV_NAPI_ID, SEND_NS
#   napi_threaded on|off [DEV]  threaded NAPI on DEV (vb) in its namespace
#   napi_kthreads               pids of vb's napi/vb-ID kernel threads
#   napi_kthread_ns PID...      their CPU time in all, in nanoseconds
#   napi_polled                 packets vb's NAPI has taken off its ring
#   napi_veth_drops             packets veth dropped between va and vb
#
# The namespaces are kscope-napi-a-$$ (NA, device va, 10.199.0.1/24) and
# kscope-napi-b-$$ (NB, device vb, 10.199.0.2/24), one rx and one tx queue
# per device; traffic goes from va to vb.  Nothing is created in the
# caller's namespace: both devices are made inside theirs.
#
# veth hands a packet to the peer's NAPI (a ring the peer's poll drains)
# only when that NAPI exists and the packet is "eligible for GRO"; else it
# goes to the per-CPU backlog, which is not vb's NAPI.  MODE says how:
#
#   gro     (default) GRO on on vb, which gives it a NAPI instance; TSO
#           and GSO off on va, so its UDP packets are eligible (ethtool)
#   xdp     an XDP_PASS program on both ends ($BUILD/bpf/xdp_pass.bpf.o,
#           loaded by ip): XDP needs the NAPI, and takes TSO from the peer
#   plain   veth as created: no NAPI, all through the backlog; a negative
#           control for the tests' checks
#
# veth's ring to the peer's NAPI holds 256 packets.  A sender faster than
# the NAPI (threaded NAPI waits for its kthread to be scheduled) overflows
# it, and veth drops what does not fit (napi_veth_drops): here, half of a
# 200000-datagram flood in threaded mode.  With a queueing discipline on
# va, a kernel whose veth stops the queue while the ring is full (6.18
# does) holds the sender back instead: no drops.  So va gets a pfifo.
#
# Knobs for callers: NAPI_PORT (9999), NAPI_RATE (datagrams/s, empty: as
# fast as possible), NAPI_SEND_CPU and NAPI_RECV_CPU (pin with taskset),
# NAPI_QDISC (va's qdisc, "pfifo limit 10000"; empty: veth's noqueue).

# shellcheck shell=bash
# shellcheck disable=SC2034  # NAPI_* and the results are for the callers
UDPFLOOD=${UDPFLOOD:-$TOOLS/udpflood}
NAPI_XDP_OBJ=${NAPI_XDP_OBJ:-$BUILD/bpf/xdp_pass.bpf.o}
NAPI_PORT=${NAPI_PORT:-9999}
NAPI_RATE=${NAPI_RATE:-}
NAPI_SEND_CPU=${NAPI_SEND_CPU:-}
NAPI_RECV_CPU=${NAPI_RECV_CPU:-}
NAPI_QDISC=${NAPI_QDISC-pfifo limit 10000}
NAPI_DEV_A=va
NAPI_DEV_B=vb
NAPI_ADDR_A=10.199.0.1
NAPI_ADDR_B=10.199.0.2
NA=''
NB=''
NAPI_MODE=''
NAPI_ID=0
NAPI_XDP_IDS=''
NAPI_RECV_PID=''
NAPI_CLEANUP_SET=''

# napi_need [MODE]: root, ip, veth, and what MODE needs; skip_all if not.
napi_need() {
	local mode=${1:-gro}

	case $mode in
	gro | xdp | plain) ;;
	*) skip_all "napi_need: unknown mode '$mode' (gro, xdp or plain)" ;;
	esac
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	command -v ip >/dev/null || skip_all "ip not installed (Debian: iproute2)"
	[ -e /proc/self/ns/net ] || skip_all "kernel has no network namespaces"
	[ -x "$UDPFLOOD" ] || skip_all "no $UDPFLOOD (make)"
	if [ "$mode" = gro ]; then
		command -v ethtool >/dev/null || skip_all "ethtool not installed (Debian: ethtool)"
	fi
	if [ "$mode" = xdp ]; then
		[ -r "$NAPI_XDP_OBJ" ] || skip_all "no $NAPI_XDP_OBJ (make)"
	fi
	return 0
}

# _napi_do DESC CMD...: run CMD; on failure say DESC and CMD's first
# error line, and return 1.
_napi_do() {
	local desc=$1 err

	shift
	if ! err=$("$@" 2>&1 >/dev/null); then
		diag "napi_setup: cannot $desc: $(head -n 1 <<<"$err")"
		return 1
	fi
}

# napi_setup [MODE]: see the top of the file.  On success NA and NB name
# the namespaces, NAPI_ID is vb's NAPI id (0 in mode plain), learnt from
# a first 1000 datagrams, which also prove the path works, and in mode xdp
# NAPI_XDP_IDS the ids of the two XDP programs (bpftool prog show id N).
# Returns 1 after removing what it made on any failure.  Call it in the
# test's own shell, not in $(...): the variables and the cleanup must
# reach the test.
napi_setup() {
	local mode=${1:-gro}

	case $mode in
	gro | xdp | plain) ;;
	*)
		diag "napi_setup: unknown mode '$mode' (gro, xdp or plain)"
		return 1
		;;
	esac
	# Registered before anything exists, so a failure or signal from here
	# on leaves nothing (lib.sh runs CLEANUP at EXIT).
	if [ -z "$NAPI_CLEANUP_SET" ]; then
		CLEANUP="napi_teardown; ${CLEANUP:-}"
		NAPI_CLEANUP_SET=1
	fi
	# the last setup's, or a dead process's that had this pid: both ours
	NA=kscope-napi-a-$$
	NB=kscope-napi-b-$$
	napi_teardown
	NAPI_MODE=$mode
	NAPI_ID=0
	NAPI_XDP_IDS=''
	if ! _napi_setup_links || ! _napi_setup_mode "$mode"; then
		napi_teardown
		return 1
	fi
	napi_traffic 1000 64 || { napi_teardown; return 1; }
	if [ "$RECEIVED" = 0 ]; then
		diag "napi_setup: no datagram of 1000 arrived from $NA to $NB"
		napi_teardown
		return 1
	fi
	NAPI_ID=${RECV_NAPI_ID:-0}
	if [ "$mode" != plain ] && [ "$NAPI_ID" = 0 ]; then
		diag "napi_setup: mode $mode, yet no datagram came through a NAPI with an id"
		napi_teardown
		return 1
	fi
	return 0
}

_napi_setup_links() {
	_napi_do "add namespace $NA" ip netns add "$NA" || return 1
	_napi_do "add namespace $NB" ip netns add "$NB" || return 1
	_napi_do "create the veth pair" ip link add "$NAPI_DEV_A" netns "$NA" \
		numtxqueues 1 numrxqueues 1 type veth peer name "$NAPI_DEV_B" \
		netns "$NB" numtxqueues 1 numrxqueues 1 || return 1
	_napi_do "address $NAPI_DEV_A" \
		ip -n "$NA" addr add "$NAPI_ADDR_A/24" dev "$NAPI_DEV_A" || return 1
	_napi_do "address $NAPI_DEV_B" \
		ip -n "$NB" addr add "$NAPI_ADDR_B/24" dev "$NAPI_DEV_B" || return 1
	_napi_do "bring lo up in $NA" ip -n "$NA" link set lo up || return 1
	_napi_do "bring lo up in $NB" ip -n "$NB" link set lo up || return 1
	_napi_do "bring $NAPI_DEV_A up" ip -n "$NA" link set "$NAPI_DEV_A" up || return 1
	_napi_do "bring $NAPI_DEV_B up" ip -n "$NB" link set "$NAPI_DEV_B" up || return 1
	if [ -n "$NAPI_QDISC" ]; then
		# shellcheck disable=SC2086  # the qdisc and its parameters
		_napi_do "give $NAPI_DEV_A the qdisc $NAPI_QDISC" \
			tc -n "$NA" qdisc replace dev "$NAPI_DEV_A" root $NAPI_QDISC || return 1
	fi
}

_napi_setup_mode() {
	case $1 in
	gro)
		_napi_do "turn TSO and GSO off on $NAPI_DEV_A" ip netns exec "$NA" \
			ethtool -K "$NAPI_DEV_A" tso off gso off || return 1
		_napi_do "turn GRO on on $NAPI_DEV_B" ip netns exec "$NB" \
			ethtool -K "$NAPI_DEV_B" gro on || return 1
		;;
	xdp)
		_napi_do "attach XDP to $NAPI_DEV_B" ip -n "$NB" link set dev "$NAPI_DEV_B" \
			xdp obj "$NAPI_XDP_OBJ" sec xdp || return 1
		_napi_do "attach XDP to $NAPI_DEV_A" ip -n "$NA" link set dev "$NAPI_DEV_A" \
			xdp obj "$NAPI_XDP_OBJ" sec xdp || return 1
		NAPI_XDP_IDS=$( (ip -n "$NA" -d link show dev "$NAPI_DEV_A"
			ip -n "$NB" -d link show dev "$NAPI_DEV_B") |
			sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | paste -sd ' ')
		;;
	esac
	return 0
}

# napi_teardown: stops what runs in the namespaces (only this harness's
# udpflood runs there), deletes them, and with them va and vb and any
# XDP program.  Idempotent; safe in CLEANUP and after a partial setup.
napi_teardown() {
	local ns pids i

	for ns in $NA $NB; do
		[ -e "/run/netns/$ns" ] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill $pids 2>/dev/null
		for i in $(seq 20); do
			[ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
			sleep 0.1
		done
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	NAPI_RECV_PID=''
	return 0
}

# _napi_pin CPU: the command prefix that pins to CPU (nothing if empty);
# bench/napitop.sh uses it too.
_napi_pin() {
	[ -n "$1" ] && echo "taskset -c $1"
}

# napi_traffic COUNT SIZE: a udpflood receiver in NB (waits for its
# "ready"), a sender in NA, then waits for the receiver, which stops at
# COUNT datagrams or 1 s after the last one.  Sets SENT and RECEIVED
# (datagrams), RECV_BYTES (payload), RECV_DROPS (the receiving socket's
# drops, empty if unknown), RECV_NAPI_ID (0: none through a NAPI) and
# SEND_NS (the sender's wall time).  Returns 1 (diag says why) if either
# side failed.
napi_traffic() {
	local count=$1 size=$2 out=$TMP/napi_recv.out err=$TMP/napi_recv.err
	local sout=$TMP/napi_send.out serr=$TMP/napi_send.err i rc t0 t1 tmo
	local -a rate=() f=()

	SENT=0 RECEIVED=0 RECV_BYTES=0 RECV_DROPS='' RECV_NAPI_ID=0 SEND_NS=0
	if [ -z "$NB" ] || [ ! -e "/run/netns/$NB" ]; then
		diag "napi_traffic: no namespaces (napi_setup first)"
		return 1
	fi
	tmo=60
	if [ -n "$NAPI_RATE" ]; then
		rate=(--rate "$NAPI_RATE")
		tmo=$((count / NAPI_RATE + 30))
	fi
	# Gone before the receiver starts: the background job truncates its
	# files only when it gets to run, and a "ready" left by the last run
	# would let the sender start before the socket is bound.
	rm -f "$out" "$err" "$sout" "$serr"
	# shellcheck disable=SC2046
	ip netns exec "$NB" $(_napi_pin "$NAPI_RECV_CPU") "$UDPFLOOD" recv \
		--port "$NAPI_PORT" --expect "$count" --idle 1 --timeout "$tmo" \
		>"$out" 2>"$err" &
	NAPI_RECV_PID=$!
	for i in $(seq 200); do
		grep -qx ready "$out" 2>/dev/null && break
		kill -0 "$NAPI_RECV_PID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -qx ready "$out" 2>/dev/null; then
		if kill -0 "$NAPI_RECV_PID" 2>/dev/null; then
			diag "napi_traffic: the receiver did not say ready within 10 s"
			kill "$NAPI_RECV_PID" 2>/dev/null
		fi
		wait "$NAPI_RECV_PID" 2>/dev/null
		diag "napi_traffic: the receiver did not start (exit $?): $(head -n 1 "$err" 2>/dev/null)"
		NAPI_RECV_PID=''
		return 1
	fi
	t0=$(date +%s%N)
	# shellcheck disable=SC2046
	ip netns exec "$NA" $(_napi_pin "$NAPI_SEND_CPU") "$UDPFLOOD" send \
		--port "$NAPI_PORT" --count "$count" --size "$size" "${rate[@]}" \
		"$NAPI_ADDR_B" >"$sout" 2>"$serr"
	rc=$?
	t1=$(date +%s%N)
	SEND_NS=$((t1 - t0))
	wait "$NAPI_RECV_PID"
	NAPI_RECV_PID=''
	read -r _ SENT _ _ <"$sout"
	# received N bytes B [drops D] [napi ID]
	read -r -a f < <(grep '^received ' "$out")
	RECEIVED=${f[1]:-0}
	RECV_BYTES=${f[3]:-0}
	for ((i = 4; i + 1 < ${#f[@]}; i += 2)); do
		case ${f[i]} in
		drops) RECV_DROPS=${f[i + 1]} ;;
		napi) RECV_NAPI_ID=${f[i + 1]} ;;
		esac
	done
	SENT=${SENT:-0}
	if [ "$rc" != 0 ]; then
		diag "napi_traffic: the sender failed: $(head -n 1 "$serr")"
		return 1
	fi
	if ! grep -q '^received ' "$out"; then
		diag "napi_traffic: the receiver failed: $(head -n 1 "$err")"
		return 1
	fi
	return 0
}

# napi_threaded on|off [DEV]: writes DEV's (vb's) threaded knob inside its
# namespace.  The kernel refuses it (EIO) while DEV has no NAPI (plain).
napi_threaded() {
	local v dev=${2:-$NAPI_DEV_B} ns=$NB err

	case $1 in
	on) v=1 ;;
	off) v=0 ;;
	*)
		diag "napi_threaded: '$1' is not on or off"
		return 1
		;;
	esac
	[ "$dev" = "$NAPI_DEV_A" ] && ns=$NA
	if ! err=$(ip netns exec "$ns" sh -c "echo $v >/sys/class/net/$dev/threaded" 2>&1); then
		diag "napi_threaded: cannot set $dev threaded=$v: ${err##*: }"
		return 1
	fi
}

# napi_kthreads: the pids of vb's threaded-NAPI kernel threads, named
# napi/vb-<napi id>.  Every test namespace's device is called vb, so with
# NAPI_ID known only that one is listed.
napi_kthreads() {
	local pat="napi/$NAPI_DEV_B-[0-9]+"

	[ "${NAPI_ID:-0}" != 0 ] && pat="napi/$NAPI_DEV_B-$NAPI_ID"
	ps -e -o pid=,ppid=,comm= | awk -v re="^$pat\$" '$2 == 2 && $3 ~ re {print $1}'
}

# napi_kthread_ns PID...: their run time in all, in ns (schedstat; the
# utime + stime ticks of /proc/PID/stat where schedstat is missing).
# A thread gone since contributes nothing.
napi_kthread_ns() {
	local pid ns total=0 hz stat
	local -a f

	hz=$(getconf CLK_TCK)
	for pid in "$@"; do
		if read -r ns _ 2>/dev/null <"/proc/$pid/schedstat"; then
			total=$((total + ns))
		elif stat=$(cat "/proc/$pid/stat" 2>/dev/null); then
			# after "pid (comm) ": state, ... utime is the 12th, stime the 13th
			read -r -a f <<<"${stat##*) }"
			total=$((total + (f[11] + f[12]) * 1000000000 / hz))
		fi
	done
	echo "$total"
}

# napi_polled: packets vb's NAPI took off its ring since setup, from
# veth's own counters (ethtool -S vb: rx_queue_N_xdp_packets counts every
# packet a poll handles, XDP program or not).  Prints nothing and returns
# 1 without ethtool.
napi_polled() {
	command -v ethtool >/dev/null || return 1
	ip netns exec "$NB" ethtool -S "$NAPI_DEV_B" 2>/dev/null |
		awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ {n += $2; f = 1}
		     END {if (!f) exit 1; print n}'
}

# napi_veth_drops: packets veth dropped on the way from va to vb since
# setup (va's tx_dropped: vb's ring was full, or vb was down).
napi_veth_drops() {
	ip netns exec "$NA" cat "/sys/class/net/$NAPI_DEV_A/statistics/tx_dropped" 2>/dev/null
}
