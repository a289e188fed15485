# damontop starts, attaches, shows data and leaves nothing behind.  The
# pte source needs only a BPF task iterator, which every guest's kernel
# has: a refusal here is a failure, never a skip.  A budget of a whole CPU (of
# the guest's four): under TCG clearing Accessed bits costs 10-100 times
# what it does on hardware (MADV_COLD of another process ~0.1-3 ms a
# page) and the costs damontop measures swing from run to run, so at
# smaller budgets it stretched its intervals to seconds, past what -d 3
# can show (at 10% and at 30% Debian's kernel sometimes gave a single
# aggregation with accesses).  This test is about running, not budgets.
. /kscope/lib.sh

damontop --source pte --budget 100 --json -d 3 -c 'accessgen random --regions 2 --size 8M --duration 20' \
	>json.out 2>json.err
rc=$?
n=$(grep -c '^{' json.out)
wss=$(grep -c '"wss_bytes":[1-9]' json.out)
[ $rc = 0 ] && [ "$n" -ge 3 ] && [ "$wss" -ge $((n / 2)) ]
ok $? "damontop --budget 100 --json -d 3: exit $rc, $n objects, $wss with wss_bytes > 0 $(head -1 json.err)"
diag "$(cat json.err)"
diag "$(grep '^{' json.out | tail -1 | cut -c1-200)"
nothing_left "after --json -d 3" walk_task

damontop --source pte --budget 100 --batch -c 'accessgen random --regions 2 --size 8M --duration 20' 0.5 4 \
	>batch.out 2>batch.err
rc=$?
lines=$(grep -cE '^ +[0-9.]+s ' batch.out)
[ $rc = 0 ] && [ "$lines" = 4 ]
ok $? "damontop --budget 100 --batch 0.5 4: exit $rc, $lines lines"
diag "$(grep -v '^[a-z]' batch.out)"
nothing_left "after --batch" walk_task

# --source auto (the default) says which source it took: kernel DAMON's
# vaddr where the features table says the kernel has it, else pte and why
damontop --budget 100 --batch 0.5 2 -c 'accessgen random --regions 1 --size 4M --duration 20' \
	>auto.out 2>auto.err
rc=$?
head=$(grep '^# damontop:' auto.out)
if expects damon_vaddr; then
	echo "$head" | grep -q ', source damon vaddr, kdamond [0-9]* pid [0-9]*$'
else
	echo "$head" | grep -q ', source pte (auto: .*)$'
fi
[ $? = 0 ] && [ $rc = 0 ]
ok $? "--source auto says which it took: exit $rc, $head"
[ $rc = 0 ] || diag "$(cat auto.err)"

# the target exits first: a summary, exit 0 (the default source: kernel
# DAMON where the kernel has vaddr, else pte)
damontop --json -c 'accessgen random --regions 1 --size 4M --duration 2' >exit.out 2>exit.err
rc=$?
[ $rc = 0 ] && grep -q 'after' exit.err
ok $? "the target exits first: exit $rc, $(head -1 exit.err)"
nothing_left "after the target exited" walk_task
nothing_left "after the target exited" damon_aggr
exit 0
