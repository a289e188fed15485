#!/bin/bash
# coretop's cost per context switch, measured side by side in one run
# (shared, noisy machines: only differences against a baseline of the
# same run mean anything).
#
# The workload is tools/schedbench's pipe ping-pong: two processes bounce
# a byte, so every round is two context switches, each with a wakeup, and
# ns/switch is the wall time over twice the rounds.  It runs once on one
# CPU (0,0: each switch goes straight to the other process) and once
# across CPUs 0 and 1 (each switch is to and from idle, on the two CPUs
# coretop is told are SMT siblings, so both update one core's state).
# Each round has one window per variant, in an order rotated per round so
# that no variant always follows another, and a window with nothing
# attached between any two, so that every variant window has a "none" on
# either side (the machine drifts: other work, the host):
#
#   none     nothing attached
#   empty    an empty tp_btf sched_switch program (the hook's own price)
#   runqlat  a runqlat-like set: tp_btf sched_wakeup, sched_wakeup_new and
#            sched_switch with a pid hash map and a log2 histogram
#   coretop  coretop --what-if --smt-pairs 0-1 --group-by tgid --batch
#
# A window is three ping-pongs, its figure the fastest of them.  A variant's
# added cost is the median over rounds of (its ns/switch minus the mean
# of the "none" windows either side).  Target: coretop adds no more than
# runqlat-like.
#
# usage: bench/coretop.sh [SECONDS_PER_WINDOW [ROUNDS]]  (needs root; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
SB=$BUILD/tools/schedbench
CT=$BUILD/bin/coretop
W=${1:-1}
ROUNDS=${2:-9}
[[ $W =~ ^[0-9]*\.?[0-9]+$ ]] && [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: bench/coretop.sh [SECONDS_PER_WINDOW [ROUNDS]]" >&2; exit 2; }
HOLD=$((${W%.*} + 60))	# a cap on each attacher's life, should we die

[ "$(id -u)" = 0 ] || { echo "bench needs root" >&2; exit 1; }
[ -x "$SB" ] || { echo "coretop bench: $SB is not built (make all)" >&2; exit 1; }
TMP=$(mktemp -d /tmp/kscope-bench.XXXXXX)
apid=
trap '[ -n "$apid" ] && kill -INT $apid 2>/dev/null && wait $apid; rm -rf "$TMP"' EXIT

VARIANTS="none empty runqlat"
if [ -x "$CT" ]; then
	VARIANTS="$VARIANTS coretop"
else
	echo "coretop: row skipped, $CT is not built: only the yardsticks are measured"
fi

start() {	# start VARIANT: attach it; 0 once it is in place, else 1 and $why
	local v=$1 ready i
	apid= why=
	case $v in
	none)	return 0 ;;
	empty|runqlat)
		"$SB" attach "$v" "$HOLD" >"$TMP/$v.out" 2>"$TMP/$v.err" &
		ready='grep -q attached "$TMP/$v.out"' ;;
	coretop)
		# its start-up line (the mode it chose) comes once it is attached
		"$CT" --what-if --smt-pairs 0-1 --group-by tgid --batch -d "$HOLD" \
			>"$TMP/$v.out" 2>"$TMP/$v.err" &
		ready='grep -q "^coretop: what-if" "$TMP/$v.err"' ;;
	esac
	apid=$!
	for i in $(seq 200); do
		eval "$ready" && return 0
		if ! kill -0 $apid 2>/dev/null; then
			wait $apid
			why="exit $?: $(head -1 "$TMP/$v.err" | grep . || echo "no message")"
			apid=
			return 1
		fi
		sleep 0.05
	done
	why="not attached after 10 s: $(head -1 "$TMP/$v.err" | grep . || echo "no message")"
	stop
	return 1
}

stop() {	# stop: end the attacher as a user would (SIGINT) and reap it;
	# one that outlives 5 s of that is killed, and that is a failure
	local i
	[ -n "$apid" ] || return 0
	kill -INT $apid 2>/dev/null
	for i in $(seq 100); do
		kill -0 $apid 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 $apid 2>/dev/null; then
		echo "warning: pid $apid ignored SIGINT for 5 s, killed" >&2
		kill -KILL $apid
		wait $apid
		apid= stop_rc=137
		return 1
	fi
	wait $apid
	stop_rc=$?
	apid=
	return $stop_rc
}

ns_per_switch() {	# ns_per_switch CPUS ROUNDS
	"$SB" pingpong --cpus "$1" "$2" | sed -n 's/.*: \([0-9.]*\) ns\/switch.*/\1/p'
}

# quantile Q FILE: the Q-quantile (0..1) of the numbers in FILE, by
# linear interpolation between the two nearest
quantile() {
	sort -g "$2" | awk -v q="$1" '{v[NR] = $1}
		END {if (!NR) {print "nan"; exit}
			p = 1 + q * (NR - 1); i = int(p)
			printf "%.1f", v[i] + (p - i) * (v[i + 1 < NR ? i + 1 : NR] - v[i])}'
}

window() {	# window CPUS ROUNDS: the fastest of three ping-pongs (other
	# work on the machine only ever slows one down)
	local i
	for i in 1 2 3; do ns_per_switch "$1" "$2"; done | sort -g | head -1
}

bench_cpus() {	# bench_cpus A,B: all variants, ROUNDS rounds, one line each
	local cpus=$1 n r j v x prev next ct_failed=
	local -a vs
	read -ra vs <<<"${VARIANTS#none }"
	local k=${#vs[@]}

	# rounds of ping-pong for W / 3 seconds, from short runs
	ns_per_switch "$cpus" 10000 >/dev/null
	x=$(window "$cpus" 10000)
	n=$(awk -v w="$W" -v x="$x" 'BEGIN {printf "%d", w * 1e9 / (3 * 2 * x)}')
	echo "# CPUs $cpus: windows of 3 x $n rounds (~$W s), each variant between two of none; $ROUNDS rounds of $VARIANTS"
	for v in $VARIANTS; do : >"$TMP/$v.$cpus.v"; : >"$TMP/$v.$cpus.d"; done
	prev=$(window "$cpus" "$n")
	echo "$prev" >>"$TMP/none.$cpus.v"
	for r in $(seq 0 $((ROUNDS - 1))); do
		for j in $(seq 0 $((k - 1))); do
			v=${vs[$(((r + j) % k))]}
			[ "$v" = coretop ] && [ -n "$ct_failed" ] && continue
			if ! start "$v"; then
				echo "$v: could not attach ($why)"
				[ "$v" = coretop ] && ct_failed=1 && continue
				return 1
			fi
			x=$(window "$cpus" "$n")
			if ! stop; then
				echo "$v: ended badly (exit $stop_rc): $(head -1 "$TMP/$v.err" | grep . || echo "no message")"
				[ "$v" = coretop ] && ct_failed=1 && continue
				return 1
			fi
			[ -n "$x" ] || { echo "ping-pong failed"; return 1; }
			echo "$x" >>"$TMP/$v.$cpus.v"
			# paired: against the mean of the "none" windows either side
			next=$(window "$cpus" "$n")
			echo "$next" >>"$TMP/none.$cpus.v"
			awk -v x="$x" -v a="$prev" -v b="$next" \
				'BEGIN {printf "%.1f\n", x - (a + b) / 2}' >>"$TMP/$v.$cpus.d"
			prev=$next
		done
	done

	printf '%-8s %10s  %s\n' variant ns/switch "added ns/switch: paired median (p25 .. p75), rounds"
	for v in $VARIANTS; do
		[ -s "$TMP/$v.$cpus.v" ] || { printf '%-8s %10s\n' "$v" "-"; continue; }
		if [ "$v" = none ]; then
			printf '%-8s %10s  (windows p25 .. p75: %.1f .. %.1f), %d\n' "$v" \
				"$(quantile 0.5 "$TMP/$v.$cpus.v")" \
				"$(quantile 0.25 "$TMP/$v.$cpus.v")" \
				"$(quantile 0.75 "$TMP/$v.$cpus.v")" \
				"$(wc -l <"$TMP/$v.$cpus.v")"
		else
			printf '%-8s %10s  %+.1f (%+.1f .. %+.1f), %d\n' "$v" \
				"$(quantile 0.5 "$TMP/$v.$cpus.v")" \
				"$(quantile 0.5 "$TMP/$v.$cpus.d")" \
				"$(quantile 0.25 "$TMP/$v.$cpus.d")" \
				"$(quantile 0.75 "$TMP/$v.$cpus.d")" \
				"$(wc -l <"$TMP/$v.$cpus.d")"
		fi
	done

	# the machine's own swing, for judging everything above
	awk -v lo="$(quantile 0.25 "$TMP/none.$cpus.v")" \
		-v hi="$(quantile 0.75 "$TMP/none.$cpus.v")" 'BEGIN {
		if (lo > 0 && hi / lo > 1.05)
			printf "note: the \"none\" windows differ by %.0f%% (p25 .. p75): " \
				"a busy or noisy machine, take the figures with care\n",
				100 * (hi / lo - 1)
	}'

	local e q c
	e=$(quantile 0.5 "$TMP/empty.$cpus.d")
	q=$(quantile 0.5 "$TMP/runqlat.$cpus.d")
	echo "runqlat-like added per switch (CPUs $cpus): ours $q ns, baseline empty tp_btf $e ns, ratio $(awk -v a="$q" -v b="$e" 'BEGIN {printf (b > 0 ? "%.2f" : "n/a"), a / (b > 0 ? b : 1)}')"
	if ! [ -s "$TMP/coretop.$cpus.d" ]; then
		echo "verdict (CPUs $cpus): no coretop figures, target not checked"
		return 0
	fi
	c=$(quantile 0.5 "$TMP/coretop.$cpus.d")
	echo "coretop added per switch (CPUs $cpus): ours $c ns, baseline empty tp_btf $e ns, ratio $(awk -v a="$c" -v b="$e" 'BEGIN {printf (b > 0 ? "%.2f" : "n/a"), a / (b > 0 ? b : 1)}')"
	echo "coretop added per switch (CPUs $cpus): ours $c ns, baseline runqlat-like $q ns, ratio $(awk -v a="$c" -v b="$q" 'BEGIN {printf (b > 0 ? "%.2f" : "n/a"), a / (b > 0 ? b : 1)}')"
	# the round by round difference says whether the verdict is more
	# than this run's noise
	paste "$TMP/coretop.$cpus.d" "$TMP/runqlat.$cpus.d" |
		awk 'NF == 2 {print $1 - $2}' >"$TMP/cq.$cpus.d"
	awk -v c="$c" -v q="$q" -v cpus="$cpus" \
		-v lo="$(quantile 0.25 "$TMP/cq.$cpus.d")" \
		-v hi="$(quantile 0.75 "$TMP/cq.$cpus.d")" 'BEGIN {
		noise = lo <= 0 && hi >= 0 ? ", within the noise of this run" : ""
		printf "verdict (CPUs %s): %s, coretop adds %.1f ns %s runqlat-like %.1f ns " \
			"(coretop minus runqlat-like by round: p25 %+.1f, p75 %+.1f%s)\n",
			cpus, c <= q ? "met" : "MISSED", c, c <= q ? "<=" : ">", q,
			lo, hi, noise
	}'
}

echo "# coretop bench: cost per context switch, $W s windows, $ROUNDS rounds, $(nproc) CPUs, $(uname -r)"
bench_cpus 0,0 || exit 1
if [ "$(nproc)" -ge 2 ]; then
	bench_cpus 0,1 || exit 1
else
	echo "# CPUs 0,1: skipped, one CPU only"
fi

# nothing of ours left behind
command -v bpftool >/dev/null || exit 0
sleep 0.5
left=$(bpftool prog show 2>/dev/null | grep -cE " name sb_[a-z_]*( |\$)" || true)
[ "$left" = 0 ] || echo "warning: $left schedbench programs still loaded"
