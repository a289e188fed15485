#!/bin/bash
# napitop's cost per NAPI poll, measured side by side in one run (shared,
# noisy machines: only differences against a baseline of the same run mean
# anything).
#
# The workload is a fixed packet rate through a real NAPI instance: two
# network namespaces joined by a veth pair whose receiving end (vb) has GRO
# on, and so a NAPI (tests/integ/napi_lib.sh), tools/udpflood sending 64-byte
# UDP datagrams at RATE per second, paced, from CPU 0 to a receiver on CPU 1.
# The rate is below what the machine can do, so it is the same with napitop
# as without, and the probe's price shows as CPU time per packet, not as
# fewer packets.
#
# CPU time is that of the processes doing the work, from
# /proc/PID/schedstat (nanoseconds, and only ours; /proc/stat samples ticks
# and has the rest of the machine in it).  A softirq's time counts to the
# task it ran in, unless the kernel accounts IRQ time apart
# (CONFIG_IRQ_TIME_ACCOUNTING: a note says so, and the softirq mode's
# figures then miss the NET_RX work):
#
#   softirq   vb's NAPI polls in the NET_RX softirq that the sender's own
#             sends raise (veth schedules the peer's NAPI on the sending
#             CPU): sender + receiver, i.e. the whole path, send included
#   threaded  vb's NAPI polls in its kthread (napi/vb-ID): kthread +
#             receiver, i.e. the receive side only
#
# divided by the packets vb received in the window (its rx_packets).  Each
# round has a window with napitop attached (napitop --json -i 1: the
# programs of --batch; loaded before the window starts, stopped with SIGINT
# after it ends) between two windows with nothing attached; a round's added
# cost is its napitop window minus the mean of the two either side, and
# its ratio the one over the other.  Per poll: that times napitop's own
# count of vb's packets per poll in the window.  napitop's user-space
# refreshes run in its own process and are reported apart.  Last, one more
# napitop window, napitop -v, with the kernel timing every run of its
# programs (BPF stats): their own cost per hook, without what calling them
# costs.  About 100 s in all with the defaults.
#
# usage: bench/napitop.sh [SECONDS_PER_WINDOW [ROUNDS [RATE]]]
#        (needs root, ip, ethtool; make bench)   defaults: 1.5 11 60000
# NAPITOP_BENCH_MODES: the modes, in order ("softirq threaded")
# NAPITOP_BENCH_ARGS: napitop's options in its windows ("--netrx-time":
#                     what timing NET_RX costs on top)
set -u
. "$(dirname "$0")/../tests/integ/lib.sh"
. "$(dirname "$0")/../tests/integ/napi_lib.sh"

W=${1:-1.5}
ROUNDS=${2:-11}
RATE=${3:-60000}
MODES=${NAPITOP_BENCH_MODES:-softirq threaded}
read -r -a NT_ARGS <<<"${NAPITOP_BENCH_ARGS:-}"
NT=$BIN/napitop
[[ $W =~ ^[0-9]*\.?[0-9]+$ ]] && [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] &&
	[[ $RATE =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: bench/napitop.sh [SECONDS_PER_WINDOW [ROUNDS [RATE]]]" >&2; exit 2; }
for m in $MODES; do
	case $m in
	softirq | threaded) ;;
	*) echo "napitop bench: NAPITOP_BENCH_MODES: no mode '$m' (softirq, threaded)" >&2; exit 2 ;;
	esac
done

# a bench says why it did not run, in one line, and is not a failure
skip_all() { echo "napitop bench: skipped, $*"; exit 0; }
[ -x "$NT" ] || skip_all "$NT is not built (make all)"
napi_need gro
[ -r /proc/self/schedstat ] || skip_all "no /proc/PID/schedstat (CONFIG_SCHED_INFO)"

spid='' rpid='' npid=''
# stop what we started first, then lib.sh's CLEANUP removes the namespaces
# (napi_teardown) and $TMP; a signal goes the same way, through exit
CLEANUP="bench_stop; ${CLEANUP:-}"
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

bench_stop() {
	napitop_stop
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	[ -n "$rpid" ] && kill "$rpid" 2>/dev/null
	[ -n "$spid$rpid" ] && wait $spid $rpid 2>/dev/null
	spid='' rpid=''
}

# napitop_start [ARG...]: napitop attached and counting; 1 (with $why) if not
napitop_start() {
	"$NT" --json -i 1 "${NT_ARGS[@]}" "$@" >"$TMP/nt.json" 2>"$TMP/nt.err" &
	npid=$!
	for _ in $(seq 200); do
		grep -q '^napitop: watching' "$TMP/nt.err" && return 0
		if ! kill -0 "$npid" 2>/dev/null; then
			wait "$npid"
			why="exit $?: $(head -1 "$TMP/nt.err" | grep . || echo "no message")"
			npid=''
			return 1
		fi
		sleep 0.05
	done
	why="not attached after 10 s: $(head -1 "$TMP/nt.err" | grep . || echo "no message")"
	napitop_stop
	return 1
}

# napitop_stop: as a user would (SIGINT); after 5 s of that, killed
napitop_stop() {
	[ -n "$npid" ] || return 0
	kill -INT "$npid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$npid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$npid" 2>/dev/null; then
		echo "warning: napitop (pid $npid) ignored SIGINT for 5 s, killed" >&2
		kill -KILL "$npid"
	fi
	wait "$npid" 2>/dev/null
	stop_rc=$?
	npid=''
	return $stop_rc
}

# cpu_ns PID...: their run time in all, in ns (a pid gone: nothing)
cpu_ns() {
	local p x total=0

	for p in "$@"; do
		read -r x _ 2>/dev/null <"/proc/$p/schedstat" && total=$((total + x))
	done
	echo "$total"
}

# snap: "TIME_NS CPU_NS RX_PACKETS" now: the workers' CPU time, and vb's
# received packets (seen through the receiver's namespace)
snap() {
	# shellcheck disable=SC2086  # WORKERS is a list of pids
	echo "$(date +%s%N) $(cpu_ns $WORKERS)" \
		"$(awk '$1 == "vb:" {print $3}' "/proc/$rpid/net/dev" 2>/dev/null)"
}

# window: one window of W seconds: "PKT_PER_S CPU_NS_PER_PKT NT_NS_PER_S",
# the last napitop's own CPU time per second (0 without napitop)
window() {
	local t0 c0 p0 t1 c1 p1 n0 n1

	read -r t0 c0 p0 < <(snap)
	n0=$(cpu_ns $npid)
	sleep "$W"
	read -r t1 c1 p1 < <(snap)
	n1=$(cpu_ns $npid)
	if ! kill -0 "$spid" 2>/dev/null || ! kill -0 "$rpid" 2>/dev/null; then
		echo "the sender or the receiver ended early:" \
			"$(cat "$TMP/send.err" "$TMP/recv.err" | head -1)"
		return 1
	fi
	if [ -z "$p1" ] || [ "$p1" -le "${p0:-0}" ]; then
		echo "no packet reached vb in a window"
		return 1
	fi
	awk -v t="$((t1 - t0))" -v c="$((c1 - c0))" -v p="$((p1 - p0))" \
		-v n="$((n1 - n0))" \
		'BEGIN {printf "%.0f %.1f %.0f\n", p * 1e9 / t, c / p, n * 1e9 / t}'
}

# quantile Q FILE: the Q-quantile (0..1) of the numbers in FILE, by
# linear interpolation between the two nearest
quantile() {
	sort -g "$2" | awk -v q="$1" '{v[NR] = $1}
		END {if (!NR) {print "nan"; exit}
			p = 1 + q * (NR - 1); i = int(p)
			printf "%.4f", v[i] + (p - i) * (v[i + 1 < NR ? i + 1 : NR] - v[i])}'
}

# q3 FILE FORMAT: "median (p25 .. p75)" of FILE, each number in FORMAT
q3() {
	# shellcheck disable=SC2059  # the format is the caller's
	printf "$2 ($2 .. $2)" "$(quantile 0.5 "$1")" "$(quantile 0.25 "$1")" \
		"$(quantile 0.75 "$1")"
}

# nt_vb: napitop's counts of vb's instance in its last line, "POLLS PACKETS"
nt_vb() {
	tail -n 1 "$TMP/nt.json" | perl -MJSON::PP -e '
		my $j = eval { decode_json(<STDIN>) } or exit 1;
		my ($vb) = grep { $_->{napi_id} == $ARGV[0] } @{$j->{napis}} or exit 1;
		print "$vb->{polls} $vb->{packets}\n";' "$NAPI_ID"
}

# record FILE-PREFIX "PPS NS NT": a window's figures into $TMP/PREFIX.*
record() {
	local -a v
	read -r -a v <<<"$2"
	echo "${v[0]}" >>"$TMP/$1.pps"
	echo "${v[1]}" >>"$TMP/$1.ns"
	echo "${v[2]}" >>"$TMP/$1.self"
}

# bench_mode softirq|threaded: the rounds, then the figures
bench_mode() {
	local mode=$1 x prev next what kt polls packets f

	rm -f "$TMP"/{none,nt}.{pps,ns,self} "$TMP"/{d,ratio,perpoll,pp}
	if [ "$mode" = threaded ]; then
		napi_threaded on || return 1
		sleep 0.5
		kt=$(napi_kthreads)
		[ -n "$kt" ] || { echo "$mode: the kernel made no napi/vb-$NAPI_ID kthread"; return 1; }
		WORKERS="$kt $rpid"
		what="vb's kthread napi/vb-$NAPI_ID + the receiver (the receive side)"
	else
		napi_threaded off 2>/dev/null
		WORKERS="$spid $rpid"
		what="the sender (its sends run vb's poll in NET_RX softirq) + the receiver"
	fi
	echo "# $mode: CPU time of $what, per packet vb received"
	sleep 0.5	# settled
	x=$(window) || { echo "$x"; return 1; }
	record none "$x"
	prev=$(tail -n 1 "$TMP/none.ns")
	for _ in $(seq "$ROUNDS"); do
		napitop_start || { echo "napitop: could not attach ($why)"; return 1; }
		sleep 0.3	# past its start-up
		x=$(window) || { napitop_stop; echo "$x"; return 1; }
		# its counts come with a refresh, once a second
		for _ in $(seq 30); do
			[ -s "$TMP/nt.json" ] && break
			sleep 0.1
		done
		if ! napitop_stop; then
			echo "napitop: ended badly (exit $stop_rc): $(head -1 "$TMP/nt.err")"
			return 1
		fi
		record nt "$x"
		f=$(nt_vb) || { echo "napitop: no figures of vb (napi $NAPI_ID) in its output"; return 1; }
		read -r polls packets <<<"$f"
		[ "$polls" -gt 0 ] || { echo "napitop counted no poll of vb"; return 1; }
		next=$(window) || { echo "$next"; return 1; }
		record none "$next"
		next=$(tail -n 1 "$TMP/none.ns")
		x=$(tail -n 1 "$TMP/nt.ns")
		# paired: against the mean of the windows either side
		awk -v x="$x" -v a="$prev" -v b="$next" -v pp="$packets" -v po="$polls" \
			-v dir="$TMP" 'BEGIN {
			base = (a + b) / 2
			printf "%.2f\n", x - base >>(dir "/d")
			printf "%.5f\n", x / base >>(dir "/ratio")
			printf "%.2f\n", (x - base) * pp / po >>(dir "/perpoll")
			printf "%.3f\n", pp / po >>(dir "/pp")
		}'
		prev=$next
	done
	report "$mode"
	stats_window "$mode"
}

# stats_window MODE: napitop once more, with -v: the kernel times every
# run of its programs (BPF stats, on while it runs: the kernel counts who
# holds them and stops when napitop is gone) and it says at the end what
# each cost per run
stats_window() {
	local mode=$1

	napitop_start -v || { echo "napitop: could not attach ($why)"; return 1; }
	sleep "$W"
	if ! napitop_stop; then
		echo "napitop -v: ended badly (exit $stop_rc): $(head -1 "$TMP/nt.err")"
		return 1
	fi
	perl -e '
		my (%ns, %n);
		while (<STDIN>) {
			next unless /^napitop: nt_(\w+)_(?:btf|raw): (\d+) runs, ([\d.]+) ns a run$/;
			$n{$1} += $2;
			$ns{$1} += $2 * $3;
		}
		if (!$n{poll}) {
			print "napitop\x27s programs ($ARGV[0]): no timed run of its napi_poll program\n";
			exit;
		}
		my %name = (poll => "napi_poll", sirq_in => "softirq_entry",
			    sirq_out => "softirq_exit");
		my $all = 0;
		$all += $_ for values %ns;
		printf "napitop\x27s programs (%s, timed by the kernel): %s; " .
			"all of them %.0f ns per napi_poll\n", $ARGV[0],
			join(", ", map { sprintf "%s %.0f ns x %d", $name{$_} // $_,
				$ns{$_} / $n{$_}, $n{$_} } grep { $n{$_} } sort keys %n),
			$all / $n{poll};
	' "$mode" <"$TMP/nt.err"
}

# report MODE: the figures of bench_mode's windows
report() {
	local mode=$1 base ours lo hi

	printf '%-8s %9s  %s\n' variant "packets/s" "CPU ns/packet: median (p25 .. p75), windows"
	printf '%-8s %9.0f  %s, %d\n' none "$(quantile 0.5 "$TMP/none.pps")" \
		"$(q3 "$TMP/none.ns" %.1f)" "$(wc -l <"$TMP/none.ns")"
	printf '%-8s %9.0f  %s, %d\n' napitop "$(quantile 0.5 "$TMP/nt.pps")" \
		"$(q3 "$TMP/nt.ns" %.1f)" "$(wc -l <"$TMP/nt.ns")"
	echo "napitop added ($mode): $(q3 "$TMP/d" %+.1f) ns per packet," \
		"$(q3 "$TMP/perpoll" %+.1f) ns per poll" \
		"($(printf %.2f "$(quantile 0.5 "$TMP/pp")") packets per poll), paired medians of $ROUNDS rounds"
	base=$(quantile 0.5 "$TMP/none.ns")
	ours=$(quantile 0.5 "$TMP/nt.ns")
	printf 'napitop CPU per packet (%s): ours %.1f ns, baseline %.1f ns, ratio %.3f (paired, p25 .. p75: %.3f .. %.3f)\n' \
		"$mode" "$ours" "$base" "$(quantile 0.5 "$TMP/ratio")" \
		"$(quantile 0.25 "$TMP/ratio")" "$(quantile 0.75 "$TMP/ratio")"
	printf "napitop's own process (%s): %.1f ms CPU per second (its refreshes; not in the figures above)\n" \
		"$mode" "$(awk '{print $1 / 1e6}' "$TMP/nt.self" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
	# the machine's own swing, and whether the rate held
	lo=$(quantile 0.25 "$TMP/none.ns")
	hi=$(quantile 0.75 "$TMP/none.ns")
	awk -v lo="$lo" -v hi="$hi" -v rate="$RATE" \
		-v pn="$(quantile 0.5 "$TMP/none.pps")" -v pt="$(quantile 0.5 "$TMP/nt.pps")" 'BEGIN {
		if (lo > 0 && hi / lo > 1.05)
			printf "note: the windows without napitop differ by %.0f%% (p25 .. p75): " \
				"a busy or noisy machine, take the figures with care\n",
				100 * (hi / lo - 1)
		# a paced sender that fell behind catches up, so a window may
		# be slow and the next fast; the medians say whether it kept up
		if (pn < 0.98 * rate || pt < 0.98 * rate || (pn - pt) / pn > 0.02)
			printf "note: the rate did not hold (%d/s asked, medians %d/s " \
				"without napitop, %d/s with): lower RATE\n", rate, pn, pt
	}'
}

# --- the flow: a receiver on CPU 1, a paced sender on CPU 0 ---------------
SEND_CPU='' RECV_CPU=''
[ "$(nproc)" -ge 2 ] && SEND_CPU=0 RECV_CPU=1
irqtime=$( (zcat /proc/config.gz 2>/dev/null || cat "/boot/config-$(uname -r)" 2>/dev/null) |
	grep -c '^CONFIG_IRQ_TIME_ACCOUNTING=y')
echo "# napitop bench: per-poll cost at $RATE datagrams/s of 64 bytes, veth with GRO," \
	"$W s windows, $ROUNDS rounds, $(nproc) CPUs, $(uname -r)," \
	"napitop --json -i 1${NT_ARGS[*]:+ ${NT_ARGS[*]}}"
[ "${irqtime:-0}" = 0 ] ||
	echo "note: this kernel accounts IRQ time apart from tasks' (CONFIG_IRQ_TIME_ACCOUNTING): the softirq mode's task times miss the NET_RX work; the threaded mode's do not"
napi_setup gro || { echo "napitop bench: cannot set up the veth namespaces"; exit 1; }
# shellcheck disable=SC2046  # the taskset prefix
ip netns exec "$NB" $(_napi_pin "$RECV_CPU") "$UDPFLOOD" recv --port "$NAPI_PORT" \
	--expect 1000000000000 --idle 100000 --timeout 100000 \
	>"$TMP/recv.out" 2>"$TMP/recv.err" &
rpid=$!
for _ in $(seq 200); do
	grep -qx ready "$TMP/recv.out" 2>/dev/null && break
	kill -0 "$rpid" 2>/dev/null || break
	sleep 0.05
done
grep -qx ready "$TMP/recv.out" ||
	{ echo "napitop bench: the receiver did not start: $(head -1 "$TMP/recv.err")"; exit 1; }
# shellcheck disable=SC2046
ip netns exec "$NA" $(_napi_pin "$SEND_CPU") "$UDPFLOOD" send --port "$NAPI_PORT" \
	--count 1000000000000 --size 64 --rate "$RATE" "$NAPI_ADDR_B" \
	>"$TMP/send.out" 2>"$TMP/send.err" &
spid=$!
sleep 1
# ip netns exec and taskset exec: the pids are udpflood's own
for p in $spid $rpid; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = udpflood ] ||
		{ echo "napitop bench: pid $p is not udpflood: $(cat "$TMP/send.err" "$TMP/recv.err" | head -1)"; exit 1; }
done

rc=0
for m in $MODES; do
	bench_mode "$m" || { rc=1; break; }
done
bench_stop
exit $rc
