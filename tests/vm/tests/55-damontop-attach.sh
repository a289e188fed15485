# damontop and a kdamond that someone else started: this test writes one
# through DAMON's sysfs interface (vaddr, on an accessgen), as a user's
# own tooling or damo would.  damontop --attach-kdamond watches it
# read-only (--json, and record in its format and damo's, then reported);
# --source auto beside it takes the pte source and says why, without
# touching it; whatever damontop did, every file under DAMON's sysfs
# directory reads byte for byte as before and the kdamond still runs,
# until this test stops it.  Then damontop's own vaddr kdamond
# (--source damon), ended by SIGTERM: none of ours left.  Where the
# kernel has no DAMON vaddr (tests/vm/features): a skip.
# kscope-timeout: 150
. /kscope/lib.sh
damon=/sys/kernel/mm/damon/admin
kd=$damon/kdamonds

if ! expects damon_vaddr; then
	skip "damontop --attach-kdamond on a kdamond started through sysfs" \
		"$KSCOPE_GUEST has no DAMON vaddr (tests/vm/features)"
	exit 0
fi

# dump: every readable file under DAMON's sysfs directory, with its bytes
dump() { find $damon -type f | sort | while read -r f; do echo "$f: $(cat "$f" 2>&1)"; done; }

accessgen random --regions 2 --size 8M --duration 120 >agen.out 2>&1 &
agen=$!
wait_for agen.out '^region' 100
# a kdamond of somebody else's: DAMON's defaults but for the target
echo 1 >$kd/nr_kdamonds &&
	echo 1 >$kd/0/contexts/nr_contexts &&
	echo vaddr >$kd/0/contexts/0/operations &&
	echo 1 >$kd/0/contexts/0/targets/nr_targets &&
	echo $agen >$kd/0/contexts/0/targets/0/pid_target &&
	echo on >$kd/0/state
ok $? "a kdamond started through sysfs on accessgen (pid $agen): state $(cat $kd/0/state), pid $(cat $kd/0/pid)"
kpid=$(cat $kd/0/pid)
sleep 1
dump >before

damontop --attach-kdamond 0 --json 0.5 4 >watch.out 2>watch.err
rc=$?
n=$(grep -c '"nr_regions":[1-9]' watch.out)
k=$(grep -c '"clear":"kdamond"' watch.out)
wss=$(grep -c '"wss_bytes":[1-9]' watch.out)
[ $rc = 0 ] && [ "$n" = 4 ] && [ "$k" = 4 ] && [ "$wss" -ge 1 ]
ok $? "--attach-kdamond 0 --json 0.5 4: exit $rc, $n snapshots with regions, $k from the kdamond, $wss with a working set"
[ $rc = 0 ] || diag "$(cat watch.err)"
damontop --attach-kdamond 0 --batch 0.5 1 >watch.txt 2>&1
grep -q "source damon vaddr, kdamond 0 pid $kpid (watched)" watch.txt
ok $? "the header says it watches kdamond 0 (pid $kpid): $(head -1 watch.txt)"

# record, in damontop's format and damo's, and report both
damontop record --attach-kdamond 0 -d 2 -o k.rec >rec.out 2>rec.err
rc=$?
damontop report wss k.rec --json >k.wss 2>&1
rc2=$?
[ $rc = 0 ] && [ $rc2 = 0 ] && grep -q '"50":[1-9]' k.wss
ok $? "record --attach-kdamond -d 2, report wss: exit $rc, $rc2: $(cut -c1-120 k.wss)"
damontop record --attach-kdamond 0 -d 2 --format damo -o k.data >rec.out 2>rec.err
rc=$?
damontop report heatmap k.data --format tsv -o k.tsv 2>report.err
rc2=$?
cells=$(grep -vc '^#' k.tsv)
[ $rc = 0 ] && [ $rc2 = 0 ] && [ "$cells" -gt 0 ]
ok $? "record --format damo, report heatmap of it: exit $rc, $rc2, $cells cells $(head -1 report.err)"

# auto beside it: the kernel starts no second kdamond through sysfs while
# one runs, so pte, saying why (--budget 100: at the default 2% the pte
# planner under TCG once took 22 s an aggregation, and batch prints its
# header with the first one)
damontop --budget 100 --batch 0.5 2 -c 'accessgen random --regions 1 --size 4M --duration 20' >auto.out 2>auto.err
rc=$?
[ $rc = 0 ] && grep -q "^# damontop: .*, source pte (auto: kdamond 0 .*is running" auto.out
ok $? "--source auto beside it takes pte and says why: exit $rc, $(grep '^# damontop' auto.out)"
[ $rc = 0 ] || diag "$(cat auto.err)"
grep -q "source pte (auto:" auto.out || diag "$(cat auto.out auto.err)"

dump >after
cmp -s before after
ok $? "after all that the kdamond's sysfs state is byte for byte as before ($(wc -l <before) files)"
diff before after | head -10 | sed 's/^/# /'
[ "$(cat $kd/0/state)" = on ] && [ "$(cat $kd/0/pid)" = "$kpid" ] && [ -d /proc/$kpid ]
ok $? "the kdamond still runs (state $(cat $kd/0/state), pid $(cat $kd/0/pid))"
nothing_left "after the watchers" damon_aggr
echo off >$kd/0/state && echo 0 >$kd/nr_kdamonds
ok $? "this test stops its kdamond (nr_kdamonds $(cat $kd/nr_kdamonds))"
kill $agen
wait $agen 2>/dev/null

# damontop's own vaddr kdamond, ended by SIGTERM
damontop --source damon --json -c 'accessgen random --regions 1 --size 4M --duration 60' \
	>own.out 2>own.err &
own=$!
wait_for own.out '^{' 300
nr=$(cat $kd/nr_kdamonds)
kill -TERM $own
wait $own
rc=$?
left=$(cat $kd/nr_kdamonds)
[ "$nr" = 1 ] && [ $rc = 0 ] && [ "$left" = 0 ]
ok $? "--source damon, SIGTERM: its kdamond ran (nr_kdamonds $nr), exit $rc, none left ($left)"
[ $rc = 0 ] || diag "$(cat own.err)"
nothing_left "after SIGTERM" damon_aggr
exit 0
