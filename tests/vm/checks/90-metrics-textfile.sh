# Host side of tests/90-metrics-textfile.sh: each tool's textfile from the
# guest passes promtool check metrics (Debian: prometheus) and counts the
# workload it ran beside: damontop a working set, from kernel DAMON where
# the guest's kernel has DAMON vaddr (tests/vm/features: the source auto
# takes) and the pte source elsewhere; coretop CPU time run on core 0;
# iofilter refusals of rule 1; napitop packets on the backlog (loopback).
# A missing or empty file fails both of its checks.
. "$KSCOPE_TOP/tests/vm/guest/lib.sh"
f=$KSCOPE_FILES
if ! command -v promtool >/dev/null; then
	echo "1..0 # SKIP promtool not installed (Debian: prometheus)"
	exit 0
fi
echo "1..8"

# sum FILE NAME [LABEL-MATCH]: the sum of NAME's samples (whose labels
# contain LABEL-MATCH), 0 when none
sum() {
	awk -v n="$2" -v m="${3:-}" '$1 !~ /^#/ {
		name = $1; sub(/\{.*/, "", name)
		if (name == n && index($1, m)) { s += $NF; seen = 1 }
	} END { printf "%g\n", seen ? s : 0 }' "$1" 2>/dev/null || echo 0
}

for t in damontop coretop iofilter napitop; do
	if [ -s "$f/$t.prom" ]; then
		out=$(promtool check metrics <"$f/$t.prom" 2>&1)
		ok $? "promtool check metrics accepts $t's textfile${out:+: $(head -3 <<<"$out" | tr '\n' ' ')}"
	else
		echo "not ok - promtool check metrics accepts $t's textfile: none from the guest"
	fi
done

src=pte
expects damon_vaddr && src=damon
wss=$(sum "$f/damontop.prom" kscope_damontop_peak_wss_bytes)
info=$(sum "$f/damontop.prom" kscope_damontop_info "source=\"$src\"")
[ "$info" = 1 ] && awk -v w="$wss" 'BEGIN { exit !(w > 0) }'
ok $? "damontop: source $src (info $info), peak working set $wss bytes"

run=$(sum "$f/coretop.prom" kscope_coretop_cpu_run_seconds_total 'core="0"')
# the cpuburns run inside coretop's window (tests/90-metrics-textfile.sh
# waits for it to attach): 4 s, less what the guest's other work took
awk -v r="$run" 'BEGIN { exit !(r >= 3) }'
ok $? "coretop: core 0's CPUs ran $run s of two cpuburns' 2 s each (at least 3 s)"

denied=$(sum "$f/iofilter.prom" kscope_iofilter_ios_denied_total 'rule="1"')
awk -v d="$denied" 'BEGIN { exit !(d >= 2) }'
ok $? "iofilter: $denied IOs of rule 1 denied (two blkwrites into it)"

pk=$(sum "$f/napitop.prom" kscope_napitop_packets_total 'device="backlog"')
awk -v p="$pk" 'BEGIN { exit !(p >= 40) }'
ok $? "napitop: $pk packets on the backlog (20 loopback pings and replies)"
