# damontop's own kdamond on physical memory (--paddr), and a second
# damontop watching it read-only (--attach-kdamond) through the 6.1
# tracepoint layout; whatever ends damontop (-d, SIGTERM), the kdamond it
# started is gone after, and the watcher changed nothing.
# kscope-timeout: 120
. /kscope/lib.sh
damon=/sys/kernel/mm/damon/admin

damontop --paddr -a 200ms --json -d 3 >paddr.out 2>paddr.err
rc=$?
if [ $rc != 0 ] && one_line paddr.err; then
	refused damon_paddr "damontop --paddr" "$(cat paddr.err)"
	exit 0
fi
n=$(grep -c '"nr_regions":[1-9]' paddr.out)
[ $rc = 0 ] && [ "$n" -ge 5 ]
ok $? "damontop --paddr -a 200ms --json -d 3: exit $rc, $n snapshots with regions"
diag "$(cat paddr.err)"
nr=$(cat $damon/kdamonds/nr_kdamonds)
[ "$nr" = 0 ]
ok $? "after -d: no kdamond of ours remains (nr_kdamonds $nr)"
nothing_left "after --paddr -d" damon_aggr

damontop --paddr -a 200ms --batch >own.out 2>own.err &
own=$!
wait_for own.out 'REGS' 100
sleep 1
kd=$(cat $damon/kdamonds/nr_kdamonds)
find $damon -type f | sort | while read -r f; do echo "$f: $(cat "$f" 2>&1)"; done >before
damontop --attach-kdamond 0 --json 0.1 3 >watch.out 2>watch.err
rc=$?
find $damon -type f | sort | while read -r f; do echo "$f: $(cat "$f" 2>&1)"; done >after
n=$(grep -c '"nr_regions":[1-9]' watch.out)
[ "$kd" = 1 ] && [ $rc = 0 ] && [ "$n" = 3 ]
ok $? "--attach-kdamond 0 watches our --paddr kdamond: exit $rc, $n snapshots $(head -1 watch.err)"
cmp -s before after
ok $? "the watcher left the kdamond's sysfs state as it was ($(wc -l <before) files)"
kill -TERM $own
wait $own
rc=$?
nr=$(cat $damon/kdamonds/nr_kdamonds)
[ $rc = 0 ] && [ "$nr" = 0 ]
ok $? "SIGTERM: exit $rc, no kdamond of ours remains (nr_kdamonds $nr)"
nothing_left "after SIGTERM" damon_aggr
exit 0
