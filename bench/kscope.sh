#!/bin/bash
# kscope record's cost against the tools it hosts, each run alone, side by
# side in one run (shared, noisy machines: only ratios of the same run mean
# anything).
#
# The workload runs the whole time: paced UDP into vb, a veth NAPI in a
# namespace of its own (tests/integ/napi_lib.sh), two cpuburns at half duty
# on CPUs 0 and 1 (declared SMT siblings), accessgen sweeping 64 MiB 20
# times a second, and a write a 10 ms into an audited range of a loop
# device, so that every view has events to count.  Each round has five
# windows in a rotating order, each a process run for SECONDS with -d:
#
#   kscope    kscope record --mem -p AGEN --napi --dev vb --cores
#             --smt-pairs 0-1 --io 'dev=LOOP sectors=4096-4103 action=audit' -i 1
#   damontop  damontop record -p AGEN -o FILE
#   napitop   napitop --dev vb --json -i 1 -o FILE
#   coretop   coretop --what-if --smt-pairs 0-1 --json -i 1 -o FILE
#   iofilter  iofilter --rule 'dev=LOOP sectors=4096-4103 action=audit' --json -o FILE
#
# and gives each process's CPU time (user + system, from wait4: start-up,
# attach, the refreshes, the record, the exit) and its start-up (from exec
# to its "attached" line on stderr, `ip netns exec` included; damontop
# record says nothing at its start: none).  The kernel side is the same
# programs on the same hooks either way, so it is not measured here
# (bench/napitop.sh, bench/coretop.sh and the others do).  Per round:
# kscope's CPU over the four tools'.  Then, the workload stopped, ROUNDS
# start-ups of each on the quiet machine (no --dev, no namespace: a user's
# first run; the mem view of this script's shell): kscope's against
# napitop's, coretop's and iofilter's.  The medians are printed last.
#
# usage: bench/kscope.sh [SECONDS [ROUNDS [RATE]]]   defaults: 5 5 20000
#        (needs root, ip, ethtool, python3; make bench)
set -u
. "$(dirname "$0")/../tests/integ/lib.sh"
. "$(dirname "$0")/../tests/integ/napi_lib.sh"
. "$(dirname "$0")/../tests/integ/iofilter_lib.sh"

W=${1:-5}
ROUNDS=${2:-5}
RATE=${3:-20000}
[[ $W =~ ^[0-9]*\.?[0-9]+$ ]] && [[ $ROUNDS =~ ^[1-9][0-9]*$ ]] && [[ $RATE =~ ^[1-9][0-9]*$ ]] ||
	{ echo "usage: bench/kscope.sh [SECONDS [ROUNDS [RATE]]]" >&2; exit 2; }

skip_all() { echo "kscope bench: skipped, $*"; exit 0; }
[ -x "$BIN/kscope" ] || skip_all "$BIN/kscope is not built (make all)"
command -v python3 >/dev/null || skip_all "python3 not installed"
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
napi_need gro
napi_setup gro || skip_all "cannot set up the veth namespaces"
loop_setup 8
RULE="dev=$LOOP_DEV sectors=4096-4103 action=audit"

PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; wait $PIDS 2>/dev/null; '${CLEANUP:-}
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns exec "$NB" "$UDPFLOOD" recv --port "$NAPI_PORT" --timeout 100000 --idle 100000 \
	>/dev/null 2>&1 & PIDS="$!"
ip netns exec "$NA" "$UDPFLOOD" send --port "$NAPI_PORT" --rate "$RATE" \
	--count $((RATE * (ROUNDS * 5 * (${W%.*} + 3) + 30))) "$NAPI_ADDR_B" >/dev/null 2>&1 &
PIDS="$PIDS $!"
secs=$((ROUNDS * 5 * (${W%.*} + 3) + 30))
"$TOOLS/cpuburn" --cpu 0 --duty 50 "$secs" & PIDS="$PIDS $!"
"$TOOLS/cpuburn" --cpu 1 --duty 50 "$secs" & PIDS="$PIDS $!"
"$TOOLS/accessgen" rates --rates 20 --size 64M --duration "$secs" >"$TMP/agen.out" &
agen=$!
PIDS="$PIDS $agen"
(while :; do "$BLKWRITE" pwrite "$LOOP_DEV" 4096 1 >/dev/null 2>&1; sleep 0.01; done) &
PIDS="$PIDS $!"
wait_for "$TMP/agen.out" '^region'
sleep 1

# run MARKER CMD...: "CPU_S STARTUP_MS EXIT" of CMD, run to its end
run() {
	python3 -c '
import os, subprocess, sys, time
t0 = time.monotonic()
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
up = -1.0
for line in p.stderr:
    if up < 0 and sys.argv[1].encode() in line:
        up = (time.monotonic() - t0) * 1000
_, status, ru = os.wait4(p.pid, 0)
print("%.6f %.1f %d" % (ru.ru_utime + ru.ru_stime, up, os.waitstatus_to_exitcode(status)))
' "$@"
}

window() {
	case $1 in
	kscope) run recording ip netns exec "$NB" "$BIN/kscope" record -o "$TMP/k.kscope" --force \
		-d "$W" -i 1 --mem -p "$agen" --napi --dev vb --cores --smt-pairs 0-1 --io "$RULE" ;;
	damontop) run no-start-line "$BIN/damontop" record -p "$agen" -d "$W" -o "$TMP/d.rec" --force ;;
	napitop) run watching ip netns exec "$NB" "$BIN/napitop" --dev vb --json -i 1 -d "$W" \
		-o "$TMP/n.jsonl" --force ;;
	coretop) run what-if "$BIN/coretop" --what-if --smt-pairs 0-1 --json -i 1 -d "$W" \
		-o "$TMP/c.jsonl" --force ;;
	iofilter) run enforcing "$BIN/iofilter" --rule "$RULE" --json -d "$W" -o "$TMP/i.jsonl" \
		--force ;;
	esac
}

echo "kscope bench: $ROUNDS rounds of five ${W} s windows, $RATE packets/s into vb, two cpuburns at 50%," \
	"accessgen on 64 MiB, a write every 10 ms under an audit rule"
printf '%-6s %10s %10s %10s %10s %10s %7s %13s\n' round "kscope ms" "damontop" "napitop" \
	"coretop" "iofilter" ratio "kscope up ms"
ratios=() ups=()
order=(kscope damontop napitop coretop iofilter)
for r in $(seq "$ROUNDS"); do
	declare -A cpu=() up=()
	for t in "${order[@]}"; do
		read -r c u rc < <(window "$t")
		[ "$rc" = 0 ] || { echo "kscope bench: $t exited $rc" >&2; exit 1; }
		cpu[$t]=$c up[$t]=$u
	done
	order=("${order[@]:1}" "${order[0]}")
	ratio=$(perl -e 'printf "%.3f", $ARGV[0] / ($ARGV[1] + $ARGV[2] + $ARGV[3] + $ARGV[4])' \
		"${cpu[kscope]}" "${cpu[damontop]}" "${cpu[napitop]}" "${cpu[coretop]}" "${cpu[iofilter]}")
	ratios+=("$ratio") ups+=("${up[kscope]}")
	perl -e 'printf "%-6d %10.1f %10.1f %10.1f %10.1f %10.1f %7s %13.1f\n", $ARGV[0],
		map({ $_ * 1e3 } @ARGV[1 .. 5]), $ARGV[6], $ARGV[7]' "$r" "${cpu[kscope]}" \
		"${cpu[damontop]}" "${cpu[napitop]}" "${cpu[coretop]}" "${cpu[iofilter]}" "$ratio" "${up[kscope]}"
	unset cpu up
done

# start-up on the quiet machine
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
PIDS=
quiet=()
for r in $(seq "$ROUNDS"); do
	read -r _ k _ < <(run recording "$BIN/kscope" record -o "$TMP/k.kscope" --force -d 0.2 \
		--mem -p $$ --napi --cores --smt-pairs 0-1 --io "$RULE")
	read -r _ n _ < <(run watching "$BIN/napitop" --json -d 0.2 -o "$TMP/n.jsonl" --force)
	read -r _ c _ < <(run what-if "$BIN/coretop" --what-if --smt-pairs 0-1 --json -d 0.2 \
		-o "$TMP/c.jsonl" --force)
	read -r _ i _ < <(run enforcing "$BIN/iofilter" --rule "$RULE" --json -d 0.2 \
		-o "$TMP/i.jsonl" --force)
	quiet+=("$k,$n,$c,$i")
done
perl -e 'sub med { my @v = sort { $a <=> $b } @_; $v[$#v / 2] }
	my @r = split / /, $ARGV[0]; my @u = split / /, $ARGV[1];
	my @q = map { [split /,/] } split / /, $ARGV[2];
	my ($k, $n, $c, $i) = map { my $x = $_; med(map { $_->[$x] } @q) } 0 .. 3;
	printf "median: kscope'"'"'s CPU %.3f of the four tools'"'"' alone; start-up under the workload %.0f ms (worst %.0f)\n",
		med(@r), med(@u), (sort { $a <=> $b } @u)[-1];
	printf "quiet start-up, the four views: kscope %.0f ms; napitop %.0f + coretop %.0f + iofilter %.0f ms alone: %.3f of their sum\n",
		$k, $n, $c, $i, $k / ($n + $c + $i)' "${ratios[*]}" "${ups[*]}" "${quiet[*]}"
