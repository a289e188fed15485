# coretop cookie against the guest's kernel.  Where core scheduling works
# (kscope-6.1-full: CONFIG_SCHED_CORE, 2 cores x 2 threads): a fresh task
# has no cookie; create gives one, a different one per create; share-to
# makes two equal; the tgid scope covers every thread of a multi-threaded
# cpuburn (each thread read with get TID), the thread scope one thread,
# the pgid scope every process of a group; create -- COMMAND and
# share-from SRC -- COMMAND run the command (and its children) with the
# cookie; a missing pid, a command that does not exist, a task of
# another user and SMT turned off get their one line.  Where it does not (debian-6.1-cloud:
# SMT siblings but no CONFIG_SCHED_CORE), every subcommand gets the exact
# line that applies and no command runs.
# kscope-timeout: 150
. /kscope/lib.sh

NOT_BUILT="coretop: core scheduling is not built into this kernel (CONFIG_SCHED_CORE)"
NO_SMT="coretop: this machine has no SMT siblings: core scheduling has nothing to isolate"

# error_is DESC LINE CMD...: a non-zero exit, stderr exactly LINE, no stdout
error_is() {
	desc=$1
	want=$2
	shift 2
	"$@" >err.out 2>err.err
	rc=$?
	n=$(wc -l <err.err)
	[ $rc != 0 ] && [ "$n" = 1 ] && [ "$(cat err.err)" = "$want" ] && [ ! -s err.out ]
	ok $? "$desc: exit $rc, $n line: '$(head -1 err.err)'"
}

# get PID: PID's cookie as coretop prints it (0x0: none)
get() { coretop cookie get "$1" 2>/dev/null | awk '$1 == "pid" && $3 == "cookie" { print $4 }'; }

# each PID...: "pid=cookie ..." for the messages
each() { for p in "$@"; do printf '%s=%s ' "$p" "$(get "$p")"; done; }

# tasks PID N: PID's thread ids, once it has N threads (5 s at most)
tasks() {
	i=0
	while [ "$(ls /proc/$1/task 2>/dev/null | wc -l)" != "$2" ]; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	ls /proc/$1/task
}

# SMT as the kernel's topology says: a core with more than one thread
smt=no
for f in /sys/devices/system/cpu/cpu*/topology/thread_siblings_list; do
	case $(cat "$f") in *[-,]*) smt=yes ;; esac
done
diag "$KSCOPE_GUEST: $(nproc) cpus, SMT siblings: $smt (cpu0: $(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list))"

true &
dead=$!
wait $dead
sleep 120 &
a=$!

coretop cookie get $a >probe.out 2>probe.err
probe=$?

# --- a kernel that refuses: the exact line, from every subcommand ---------
if [ $probe != 0 ]; then
	if [ "$smt" = yes ]; then
		want=$NOT_BUILT		# ENODEV is for no SMT: this has SMT
	elif expects sched_core; then
		want=$NO_SMT		# built in: only SMT can be missing
	else
		want=$(grep -x -e "$NOT_BUILT" -e "$NO_SMT" probe.err)
		[ -n "$want" ] || want=$NOT_BUILT
	fi
	! expects sched_core || [ "$smt" = no ]
	ok $? "core scheduling refused only where the kernel lacks it (SMT $smt): $(cat probe.err)"
	error_is "get" "$want" coretop cookie get $a
	error_is "create" "$want" coretop cookie create $a
	error_is "create --scope thread" "$want" coretop cookie create --scope thread $a
	error_is "create --scope pgid" "$want" coretop cookie create --scope pgid $a
	error_is "share-to" "$want" coretop cookie share-to --from $$ $a
	error_is "create -- COMMAND" "$want" coretop cookie create -- touch ran
	error_is "share-from SRC -- COMMAND" "$want" coretop cookie share-from $a -- touch ran
	[ ! -e ran ]
	ok $? "no COMMAND ran without its cookie"
	error_is "a missing pid, before the kernel's answer" "coretop: no process $dead" \
		coretop cookie create $dead
	skip "cookies created, shared and inherited" "$(sed 's/^coretop: //' probe.err)"
	kill $a
	exit 0
fi

# --- a kernel that does core scheduling ----------------------------------
[ "$smt" = yes ]
ok $? "core scheduling works where the topology has SMT siblings (SMT $smt)"
[ "$(cat probe.out)" = "pid $a cookie 0x0" ] && [ ! -s probe.err ]
ok $? "get of a fresh task: '$(cat probe.out)'"

coretop cookie create $a >create.out 2>create.err
rc=$?
ca=$(get $a)
[ $rc = 0 ] && [ -n "$ca" ] && [ "$ca" != 0x0 ] && [ "$(cat create.out)" = "pid $a cookie $ca" ]
ok $? "create PID: exit $rc, '$(cat create.out)', get says $ca"
[ "$(cat create.err)" = "coretop: note: cookies persist: every thread of pid $a's process keeps this cookie after coretop exits" ]
ok $? "create says once that the cookie stays: '$(cat create.err)'"

sleep 120 &
b=$!
b0=$(get $b)		# now that cookies read as set: none
coretop cookie create $b >/dev/null 2>&1
cb=$(get $b)
[ "$b0" = 0x0 ] && [ -n "$cb" ] && [ "$cb" != 0x0 ] && [ "$cb" != "$ca" ]
ok $? "two tasks created separately have different cookies: $ca, $b0 then $cb"

coretop cookie share-to --from $a $b >share.out 2>share.err
rc=$?
[ $rc = 0 ] && [ "$(get $b)" = "$ca" ] && [ "$(get $a)" = "$ca" ] &&
	[ "$(cat share.out)" = "pid $b cookie $ca" ]
ok $? "share-to --from A B: exit $rc, B has A's cookie ($(get $b)), A kept it"
[ "$(get $$)" = 0x0 ] && [ "$(get 1)" = 0x0 ]
ok $? "nobody else got a cookie: this shell $(get $$), init $(get 1)"

# the tgid scope: every thread of a 3-thread cpuburn
cpuburn --threads 3 --duty 5 120 &
m1=$!
t1=$(tasks $m1 3)
coretop cookie create --scope tgid $m1 >/dev/null 2>&1
rc=$?
c1=$(get $m1)
all=1
for t in $t1; do [ "$(get $t)" = "$c1" ] || all=0; done
[ $rc = 0 ] && [ "$c1" != 0x0 ] && [ $all = 1 ] && [ "$(echo $t1 | wc -w)" = 3 ]
ok $? "create --scope tgid: every thread has the cookie: $(each $t1)"

# the thread scope: one thread of another, the others keep none
cpuburn --threads 3 --duty 5 120 &
m2=$!
t2=$(tasks $m2 3)
one=$(echo "$t2" | grep -vx $m2 | head -1)
coretop cookie create --scope thread $one >one.out 2>one.err
rc=$?
c2=$(get $one)
rest=0
for t in $t2; do [ $t = "$one" ] || [ "$(get $t)" = 0x0 ] || rest=1; done
[ $rc = 0 ] && [ -n "$one" ] && [ "$c2" != 0x0 ] && [ "$c2" != "$c1" ] && [ $rest = 0 ]
ok $? "create --scope thread TID: only thread $one: $(each $t2)"
grep -q "pid $one (that thread only) keeps" one.err
ok $? "the note names the thread: '$(cat one.err)'"

# tgid is the default scope
coretop cookie create $m2 >/dev/null 2>&1
c3=$(get $m2)
all=1
for t in $t2; do [ "$(get $t)" = "$c3" ] || all=0; done
[ "$c3" != 0x0 ] && [ "$c3" != "$c2" ] && [ $all = 1 ]
ok $? "create PID without --scope covers the whole process: $(each $t2)"

# the pgid scope: a shell and its two sleeps in a group of their own
# (in the background of this shell setsid does not fork: $! leads it)
setsid sh -c 'sleep 120 & sleep 120 & wait' &
g=$!
i=0
while :; do
	members=$(awk -v g="$g" '$5 == g { print $1 }' /proc/[0-9]*/stat 2>/dev/null)
	[ "$(echo $members | wc -w)" = 3 ] && break
	i=$((i + 1))
	[ $i -gt 50 ] && break
	sleep 0.1
done
coretop cookie create --scope pgid $g >/dev/null 2>&1
rc=$?
cg=$(get $g)
all=1
for p in $members; do [ "$(get $p)" = "$cg" ] || all=0; done
[ $rc = 0 ] && [ "$cg" != 0x0 ] && [ $all = 1 ] && [ "$(echo $members | wc -w)" = 3 ] &&
	[ "$(get $$)" = 0x0 ] && [ "$(get $a)" = "$ca" ]
ok $? "create --scope pgid: every process of group $g: $(each $members), not this shell's group"

# a command run with a cookie, and its children with it
coretop cookie create -- sh -c 'coretop cookie get $$; sleep 5 & coretop cookie get $!; kill $!' \
	>cmd.out 2>cmd.err
rc=$?
cc=$(awk 'NR == 1 { print $4 }' cmd.out)
ck=$(awk 'NR == 2 { print $4 }' cmd.out)
[ $rc = 0 ] && [ -n "$cc" ] && [ "$cc" != 0x0 ] && [ "$cc" != "$ca" ] && [ "$ck" = "$cc" ] &&
	[ ! -s cmd.err ]
ok $? "create -- COMMAND: exit $rc, COMMAND has a new cookie $cc, its child $ck"
coretop cookie create --scope thread -- sh -c 'exit 3'
rc=$?
[ $rc = 3 ]
ok $? "create -- COMMAND exits with COMMAND's status: $rc"
coretop cookie share-from $a -- sh -c 'coretop cookie get $$' >from.out 2>from.err
rc=$?
cs=$(awk '{ print $4 }' from.out)
[ $rc = 0 ] && [ "$cs" = "$ca" ] && [ ! -s from.err ]
ok $? "share-from A -- COMMAND: exit $rc, COMMAND has A's cookie ($cs)"
[ "$(get $$)" = 0x0 ]
ok $? "running commands left this shell without a cookie ($(get $$))"

error_is "a missing pid" "coretop: no process $dead" coretop cookie get $dead
error_is "share-to a missing pid" "coretop: no process $dead" coretop cookie share-to --from $a $dead
error_is "a command that does not exist" "coretop: cannot run '/nonexistent': No such file or directory" \
	coretop cookie create -- /nonexistent
[ $rc = 127 ]
ok $? "exit 127 for a command not found: $rc"

# a task of another user: needs ptrace access (su needs a passwd entry)
made=
if [ ! -e /etc/passwd ]; then
	made=1
	mkdir -p /etc
	echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >/etc/passwd
fi
if su -s /bin/sh nobody -c 'id -u' 2>/dev/null | grep -qx 65534; then
	error_is "another user's task" "coretop: permission denied on pid $a: core scheduling needs ptrace access to every thread of its process (same user, or CAP_SYS_PTRACE)" \
		su -s /bin/sh nobody -c "exec coretop cookie create $a"
	[ "$(get $a)" = "$ca" ]
	ok $? "the refused create changed nothing ($(get $a))"
else
	skip "another user's task gets the permission line" \
		"cannot become nobody: $(su -s /bin/sh nobody -c 'id -u' 2>&1 | head -1)"
fi
[ -n "$made" ] && rm -f /etc/passwd

# without SMT siblings (turned off for a moment): the kernel's ENODEV
smtctl=/sys/devices/system/cpu/smt/control
if [ -w $smtctl ] && echo off >$smtctl 2>/dev/null; then
	error_is "get with SMT turned off" "$NO_SMT" coretop cookie get $a
	error_is "create -- COMMAND with SMT turned off" "$NO_SMT" coretop cookie create -- touch ran
	[ ! -e ran ]
	ok $? "no COMMAND ran with SMT off"
	echo on >$smtctl
	[ "$(nproc)" = 4 ] && [ "$(get $a)" = "$ca" ]
	ok $? "SMT on again: $(nproc) cpus, A kept its cookie ($(get $a))"
else
	refused smt "the line for a machine without SMT siblings" "cannot turn SMT off ($smtctl: $(cat $smtctl 2>&1))"
fi

kill $a $b $m1 $m2 2>/dev/null
kill -- -$g 2>/dev/null
exit 0
