# Accessed bits under an emulated CPU (qemu TCG), which is what damontop's
# pte source reads: accessgen touches region 0 of two all the time; after
# clear_refs the busy region's Referenced (smaps) drops and rises again
# while accessgen runs, and the idle region's stays down.
. /kscope/lib.sh

accessgen stairs --regions 2 --size 4M --phase 30s >agen.out 2>&1 &
agen=$!
if ! wait_for agen.out '^phase'; then
	ok 1 "accessgen starts: $(head -3 agen.out)"
	exit 0
fi

# referenced IDX: region IDX's Referenced in smaps, in kB (of 4096)
referenced() {
	start=$(awk -v i="$1" '$1 == "region" && $2 == i { sub(/^0x/, "", $3); print $3 }' agen.out)
	awk -v start="$start" '$1 ~ /^[0-9a-f]+-[0-9a-f]+$/ { split($1, r, "-"); in_r = r[1] == start }
		in_r && $1 == "Referenced:" { print $2 }' /proc/$agen/smaps
}

sleep 1
kill -STOP $agen
echo 1 >/proc/$agen/clear_refs
busy=$(referenced 0)
idle=$(referenced 1)
[ "$busy" -le 512 ] && [ "$idle" -le 512 ]
ok $? "clear_refs drops Referenced (stopped target: busy region $busy kB, idle $idle kB of 4096)"

kill -CONT $agen
sleep 1
busy=$(referenced 0)
idle=$(referenced 1)
[ "$busy" -ge 3584 ] && [ "$idle" -le 512 ]
ok $? "Referenced rises again in the busy region only (busy $busy kB, idle $idle kB)"

# the target keeps running across the clear: no context switch to flush
# the emulated TLB, so this is the case clear_refs' "1" leaves to it
echo 1 >/proc/$agen/clear_refs
sleep 1
busy=$(referenced 0)
idle=$(referenced 1)
[ "$busy" -ge 3584 ] && [ "$idle" -le 512 ]
ok $? "the same after a clear while it runs (busy $busy kB, idle $idle kB)"
kill $agen
wait $agen 2>/dev/null
exit 0
