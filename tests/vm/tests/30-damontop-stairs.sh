# damontop record of accessgen's stairs with each source, the pte sampler
# and kernel DAMON (a kdamond of our own on the process's virtual
# addresses, where the kernel has DAMON vaddr), and their heatmaps as TSV,
# shipped to the host, where checks/30-damontop-stairs.sh runs
# tools/stairs_check.  Here: kernel DAMON's median WSS is one 8 MiB region
# (0.8 to 1.25 of it, as on the host), and after exit no kdamond of ours
# remains.  The pte source's median is shown, not judged: its plan here
# follows emulated costs (aggregations of 0.25 s to 0.9 s from run to
# run, where the kernel's are 250 ms), and a longer aggregation holds
# more phase changes and adapting regions (on debian-6.12-cloud 8.4 to
# 11.2 MB in runs whose heatmaps all showed the stairs).  It used to be
# checked against kernel DAMON's within 10%, which failed there for the
# same reason; the host judges pte's WSS (tests/integ/damontop_stairs.t,
# damontop_rates.t).
# Smaller and slower than on the host (tests/integ/damontop_stairs.t):
# under TCG everything costs more, so 6 regions of 8 MiB, 6 s phases, two
# rounds (the second is judged), a few seconds of warm-up before the
# stairs start, and for pte a budget of half a CPU (the guest has four).
# Under TCG the costs the pte planner measures swing from run to run: on
# Debian's kernel (only MADV_COLD is exact there) one run planned 100 ms
# aggregations, the next 760 ms, which blurred 4 s phases.
# kscope-timeout: 330
. /kscope/lib.sh

stairs() {	# stairs SOURCE: SOURCE.rec, SOURCE.agen, SOURCE.err
	damontop record --source $1 --budget 50 -d 120 -o $1.rec \
		-c 'accessgen stairs --wait --regions 6 --size 8M --phase 6s --rounds 2' \
		>$1.agen 2>$1.err &
	rec=$!
	if wait_for $1.agen '^pid' 300; then
		sleep 5
		kill -USR1 "$(awk '/^pid/ { print $2 }' $1.agen)"
	fi
	wait $rec
}

median_wss() { damontop report wss $1.rec --json | sed -n 's/.*"50":\([0-9]*\).*/\1/p'; }

for src in pte damon; do
	stairs $src
	record_judged $src "the stairs" $? exited || break
	agen_heatmap $src 180 60
	m=$(median_wss $src)
	if [ $src = damon ]; then
		[ -n "$m" ] && [ "$m" -ge $(((8 << 20) * 4 / 5)) ] && [ "$m" -le $(((8 << 20) * 5 / 4)) ]
		ok $? "median WSS ($src) is one 8 MiB region, 0.8 to 1.25 of it: $m bytes"
	else
		diag "median WSS ($src): $m bytes"
	fi
	ship $src.agen $src.stairs.agen
	ship $src.tsv $src.stairs.tsv
	ship $src.err $src.stairs.err
done

[ -s damon.rec ] && no_kdamond_left
exit 0
