# damontop record of accessgen's stairs, and its heatmap as TSV, shipped
# to the host, where checks/30-damontop-stairs.sh runs tools/stairs_check.
# Smaller and slower than on the host (tests/integ/damontop_stairs.t):
# under TCG everything costs more, so 6 regions of 8 MiB, 3 s phases, two
# rounds (the second is judged), a few seconds of warm-up before the
# stairs start, and a budget of 20% of a CPU.
# kscope-timeout: 150
. /kscope/lib.sh

damontop record --budget 20 -d 90 -o stairs.rec \
	-c 'accessgen stairs --wait --regions 6 --size 8M --phase 3s --rounds 2' \
	>agen.out 2>record.err &
rec=$!
if wait_for agen.out '^pid' 300; then
	sleep 5
	kill -USR1 "$(awk '/^pid/ { print $2 }' agen.out)"
fi
wait $rec
rc=$?
[ $rc = 0 ] && grep -q 'exited after' record.err
ok $? "damontop record of the stairs: exit $rc, $(tail -1 record.err)"
nothing_left "after record" walk_task

# the regions' span, absolute, from accessgen's own report
lo=$(awk '/^region/ { print $3; exit }' agen.out)
hi=$(awk '/^region/ { e = $4 } END { print e }' agen.out)
damontop report heatmap stairs.rec --format tsv --abs-time --abs-addr \
	--address-range $((lo)),$((hi)) --resol 180,60 -o heat.tsv 2>report.err
rc=$?
cells=$(grep -c . heat.tsv)
[ $rc = 0 ] && [ "$cells" = $((180 * 60)) ]
ok $? "report heatmap --format tsv: exit $rc, $cells cells $(head -1 report.err)"
damontop report wss stairs.rec >wss.txt 2>&1
ship agen.out stairs.agen
ship heat.tsv stairs.tsv
ship record.err stairs.err
ship wss.txt stairs.wss
exit 0
