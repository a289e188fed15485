# damontop record of accessgen's stairs with each source, the pte sampler
# and kernel DAMON (a kdamond of our own on the process's virtual
# addresses, where the kernel has DAMON vaddr), and their heatmaps as TSV,
# shipped to the host, where checks/30-damontop-stairs.sh runs
# tools/stairs_check.  Here: each source's median WSS is one 8 MiB region
# (0.8 to 1.25 of it, as on the host), and after exit no kdamond of ours
# remains.  (The two sources were once checked to agree within 10% of
# each other; but the pte source's aggregations under TCG are ~0.9 s, the
# kernel's 250 ms, and a longer aggregation holds more phase changes and
# adapting regions: 9.9 MB against 8.4 MB in one 6.12 run, both right.)
# Smaller and slower than on the host (tests/integ/damontop_stairs.t):
# under TCG everything costs more, so 6 regions of 8 MiB, 6 s phases, two
# rounds (the second is judged), a few seconds of warm-up before the
# stairs start, and for pte a budget of half a CPU (the guest has four).
# Under TCG the costs the pte planner measures swing from run to run: on
# Debian's kernel (only MADV_COLD is exact there) one run planned 100 ms
# aggregations, the next 760 ms, which blurred 4 s phases.
# kscope-timeout: 330
. /kscope/lib.sh
damon=/sys/kernel/mm/damon/admin

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
	rc=$?
	if [ $src = damon ] && [ $rc != 0 ] && one_line damon.err; then
		refused damon_vaddr "damontop record --source damon of the stairs" "$(cat damon.err)"
		break
	fi
	[ $rc = 0 ] && grep -q 'exited after' $src.err
	ok $? "damontop record --source $src of the stairs: exit $rc, $(tail -1 $src.err)"
	prog=walk_task; [ $src = damon ] && prog=damon_aggr
	nothing_left "after record --source $src" $prog
	# the regions' span, absolute, from accessgen's own report
	lo=$(awk '/^region/ { print $3; exit }' $src.agen)
	hi=$(awk '/^region/ { e = $4 } END { print e }' $src.agen)
	damontop report heatmap $src.rec --format tsv --abs-time --abs-addr \
		--address-range $((lo)),$((hi)) --resol 180,60 -o $src.tsv 2>report.err
	rc=$?
	cells=$(grep -vc '^#' $src.tsv)	# the first line says the unit
	[ $rc = 0 ] && [ "$cells" = $((180 * 60)) ]
	ok $? "report heatmap --format tsv ($src): exit $rc, $cells cells $(head -1 report.err)"
	m=$(median_wss $src)
	[ -n "$m" ] && [ "$m" -ge $(((8 << 20) * 4 / 5)) ] && [ "$m" -le $(((8 << 20) * 5 / 4)) ]
	ok $? "median WSS ($src) is one 8 MiB region, 0.8 to 1.25 of it: $m bytes"
	ship $src.agen $src.stairs.agen
	ship $src.tsv $src.stairs.tsv
	ship $src.err $src.stairs.err
done

if [ -s damon.rec ]; then
	nr=$(cat $damon/kdamonds/nr_kdamonds)
	[ "$nr" = 0 ]
	ok $? "no kdamond of ours remains (nr_kdamonds $nr)"
fi
exit 0
