#!/bin/bash
# coretop cookie on this machine's kernel.  Every bad argument, scope or
# pid gets exactly one line naming it and a non-zero exit, before the
# kernel is asked; a process that does not exist is "no process PID".
# What the kernel answers is probed here independently (perl's prctl):
# a kernel without CONFIG_SCHED_CORE (these machines) or without SMT
# siblings gets its exact line from every subcommand, and a command to
# run with a cookie is not run without it.  What needs working core
# scheduling runs where the kernel has it, and is a skip here otherwise
# (tests/vm/tests/70-coretop-cookie.sh runs it in the kscope-6.1-full
# guest).  And cpuburn, the load the cookie tests use: bad arguments,
# threads, pinning and duty.
. "$(dirname "$0")/lib.sh"
plan 51

ct=$BIN/coretop
burn=$TOOLS/cpuburn
[ -x "$ct" ] && [ -x "$burn" ] || { echo "Bail out! no $ct or $burn: run make"; exit 1; }

NOT_BUILT="coretop: core scheduling is not built into this kernel (CONFIG_SCHED_CORE)"
NO_SMT="coretop: this machine has no SMT siblings: core scheduling has nothing to isolate"

# error_is DESC LINE CMD...: a non-zero exit, stderr exactly LINE, no stdout
error_is() {
	local desc=$1 want=$2 rc n
	shift 2
	"$@" >"$TMP/o" 2>"$TMP/e"
	rc=$?
	n=$(wc -l <"$TMP/e")
	[ $rc -ne 0 ] && [ "$n" = 1 ] && [ "$(cat "$TMP/e")" = "$want" ] && [ ! -s "$TMP/o" ]
	ok $? "$desc: exit $rc, $n line: '$(head -1 "$TMP/e")'"
}

# PR_SCHED_CORE_GET of ourselves: 0 (works), or the errno (EINVAL: not
# built; ENODEV: built, no SMT)
kernel=$(perl -e 'require "syscall.ph"; my $id = "\0" x 8;
	print syscall(&SYS_prctl, 62, 0, 0, 0, $id) == 0 ? 0 : $! + 0' 2>/dev/null)
case $kernel in
0) why="" ;;
22) why="this kernel has no CONFIG_SCHED_CORE" ;;
19) why="this machine has no SMT siblings" ;;
*) echo "Bail out! cannot ask the kernel about PR_SCHED_CORE (perl: '$kernel')"; exit 1 ;;
esac
note "the kernel's answer to PR_SCHED_CORE_GET: ${why:-core scheduling works}"

# --- bad input, on any kernel (18 + 1) ----------------------------------
c() { "$ct" cookie "$@"; }
error_is "no subcommand" "coretop: cookie: no subcommand: get, create, share-to or share-from" c
error_is "unknown subcommand" \
	"coretop: cookie: unknown subcommand 'list' (get, create, share-to or share-from)" c list
error_is "get without a pid" "coretop: cookie get: no PID" c get
error_is "a pid that is not a number" "coretop: cookie get: bad pid 'abc'" c get abc
error_is "pid 0" "coretop: cookie get: bad pid '0'" c get 0
error_is "a negative pid" "coretop: cookie get: bad pid '-5'" c get -5
error_is "a pid past int" "coretop: cookie get: bad pid '4294967297'" c get 4294967297
error_is "two pids" "coretop: cookie get: unexpected argument '2'" c get 1 2
error_is "get with a scope" \
	"coretop: cookie get takes no --scope: the kernel reads one task's cookie" c get --scope tgid 1
error_is "an unknown option" "coretop: cookie create: unknown option '--all'" c create --all 1
error_is "a bad scope" "coretop: cookie create: bad scope 'process' (thread, tgid or pgid)" \
	c create --scope process 1
error_is "a scope without value" "coretop: cookie create: option '--scope' needs a value" \
	c create --scope
error_is "create with a command but no --" \
	"coretop: cookie create: bad pid 'ls' (a COMMAND goes after --)" c create ls
error_is "create with a pid and a command" \
	"coretop: cookie create: give a PID or -- COMMAND, not both" c create 1 -- true
error_is "create with nothing after --" "coretop: cookie create: no COMMAND after --" c create --
error_is "share-to without --from" "coretop: cookie share-to: no --from SRC" c share-to 1
error_is "share-to with a bad --from" "coretop: cookie share-to: bad pid 'x' for --from" \
	c share-to --from x 1
error_is "share-from without a command" \
	"coretop: cookie share-from: no -- COMMAND (for a PID: share-to --from SRC PID)" c share-from 1
c --help >"$TMP/o" 2>"$TMP/e"
rc=$?
[ $rc = 0 ] && [ ! -s "$TMP/e" ] && head -1 "$TMP/o" | grep -q '^Usage: coretop cookie get PID$' &&
	grep -q -- '--scope SCOPE' "$TMP/o"
ok $? "cookie --help: exit $rc, the usage on stdout, nothing on stderr"

# --- a process that does not exist, before the kernel's answer (6) ------
true &
dead=$!
wait $dead
sleep 600 &
live=$!
# a process of two threads: a thread's id is a pid for the kernel
"$burn" --threads 2 --duty 1 600 &
mt=$!
CLEANUP="kill $live $mt 2>/dev/null"
for i in $(seq 100); do
	[ "$(ls /proc/$mt/task 2>/dev/null | wc -l)" = 2 ] && break
	sleep 0.02
done
tid=$(ls /proc/$mt/task | grep -vx $mt)
error_is "get of a missing pid" "coretop: no process $dead" c get $dead
error_is "create for a missing pid" "coretop: no process $dead" c create $dead
error_is "create --scope pgid for a missing pid" "coretop: no process $dead" \
	c create --scope pgid $dead
error_is "share-to a missing pid" "coretop: no process $dead" c share-to --from $live $dead
error_is "share-to from a missing pid" "coretop: no process $dead" c share-to --from $dead $live
error_is "share-from a missing pid" "coretop: no process $dead" c share-from $dead -- touch "$TMP/ran"

# --- the kernel's answer where core scheduling does not work (9) --------
if [ -n "$why" ]; then
	want=$NOT_BUILT
	[ "$kernel" = 19 ] && want=$NO_SMT
	error_is "get ($why)" "$want" c get $live
	error_is "get of a thread, not the process ($tid of $mt)" "$want" c get "$tid"
	error_is "create" "$want" c create $live
	error_is "create --scope=thread of a thread" "$want" c create --scope=thread "$tid"
	error_is "create --scope pgid" "$want" c create --scope pgid $live
	error_is "share-to" "$want" c share-to --scope thread --from $$ $live
	error_is "create -- COMMAND" "$want" c create -- touch "$TMP/ran"
	error_is "share-from SRC -- COMMAND" "$want" c share-from $live -- touch "$TMP/ran"
	[ ! -e "$TMP/ran" ]
	ok $? "no COMMAND ran without its cookie"
else
	for i in $(seq 9); do
		echo "ok $((TESTNUM + i)) # SKIP core scheduling works here: see the tests below"
	done
	TESTNUM=$((TESTNUM + 9))
fi

# --- where core scheduling works (10) -----------------------------------
get() { "$ct" cookie get "$1" 2>/dev/null | awk '$1 == "pid" && $3 == "cookie" { print $4 }'; }
if [ -z "$why" ]; then
	sleep 600 &
	a=$!
	sleep 600 &
	b=$!
	CLEANUP="kill $live $mt $a $b 2>/dev/null"
	[ "$(get $a)" = 0x0 ]
	ok $? "a fresh task has no cookie: $(get $a)"
	"$ct" cookie create $a >"$TMP/o" 2>"$TMP/e"
	rc=$?
	ca=$(get $a)
	[ $rc = 0 ] && [ "$(cat "$TMP/o")" = "pid $a cookie $ca" ] && [ "$ca" != 0x0 ]
	ok $? "create PID: exit $rc, '$(cat "$TMP/o")', get says $ca"
	[ "$(cat "$TMP/e")" = "coretop: note: cookies persist: every thread of pid $a's process keeps this cookie after coretop exits" ]
	ok $? "create says once that the cookie stays: $(cat "$TMP/e")"
	"$ct" cookie create $b >/dev/null 2>&1
	cb=$(get $b)
	[ "$cb" != 0x0 ] && [ "$cb" != "$ca" ]
	ok $? "two creates, two cookies: $ca, $cb"
	"$ct" cookie share-to --from $a $b >"$TMP/o" 2>/dev/null
	rc=$?
	[ $rc = 0 ] && [ "$(get $b)" = "$ca" ] && [ "$(cat "$TMP/o")" = "pid $b cookie $ca" ]
	ok $? "share-to --from A B: exit $rc, B has A's cookie ($(get $b))"
	[ "$(get $$)" = 0x0 ] && [ "$(get $live)" = 0x0 ]
	ok $? "nothing else got a cookie (this shell, another task)"
	# the command is a shell, to know its own pid
	cc=$("$ct" cookie create -- sh -c "exec $ct cookie get \$\$" 2>/dev/null | awk '{ print $4 }')
	[ -n "$cc" ] && [ "$cc" != 0x0 ] && [ "$cc" != "$ca" ] && [ "$cc" != "$cb" ]
	ok $? "create -- COMMAND runs it with a new cookie: $cc"
	cs=$("$ct" cookie share-from $a -- sh -c "exec $ct cookie get \$\$" 2>/dev/null | awk '{ print $4 }')
	[ "$cs" = "$ca" ]
	ok $? "share-from A -- COMMAND runs it with A's cookie: $cs"
	"$ct" cookie create --scope thread $a >/dev/null 2>&1
	[ "$(get $a)" != "$ca" ] && [ "$(get $a)" != 0x0 ] && [ "$(get $b)" = "$ca" ]
	ok $? "a new cookie for A leaves B's alone: A $(get $a), B $(get $b)"
	error_is "a command that does not exist" \
		"coretop: cannot run '$TMP/none': No such file or directory" c create -- "$TMP/none"
else
	for i in $(seq 10); do
		echo "ok $((TESTNUM + i)) # SKIP $why: tests/vm/tests/70-coretop-cookie.sh checks this in the kscope-6.1-full guest"
	done
	TESTNUM=$((TESTNUM + 10))
fi

# --- cpuburn (7) --------------------------------------------------------
error_is "cpuburn without SECONDS" "cpuburn: no SECONDS (-h for help)" "$burn"
error_is "cpuburn with a bad duty" "cpuburn: bad duty '150' (0-100)" "$burn" --duty 150 1
error_is "cpuburn on a cpu it may not use" "cpuburn: cpu 1023 is not one this process may run on" \
	"$burn" --cpu 1023 1
cpu=$(awk '/^Cpus_allowed_list/ { split($2, a, "[-,]"); print a[1] }' /proc/self/status)
t0=$(date +%s%N)
"$burn" --cpu "$cpu" --threads 3 --duty 10 1 &
bp=$!
for i in $(seq 50); do
	[ "$(ls /proc/$bp/task 2>/dev/null | wc -l)" = 3 ] && break
	sleep 0.02
done
nt=$(ls /proc/$bp/task 2>/dev/null | wc -l)
pins=$(cat /proc/$bp/task/*/status 2>/dev/null | awk '/^Cpus_allowed_list/ { print $2 }' | sort -u)
wait $bp
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc = 0 ] && [ "$nt" = 3 ] && [ "$pins" = "$cpu" ]
ok $? "cpuburn --cpu $cpu --threads 3: exit $rc, $nt threads, all on cpu $pins"
[ $ms -ge 1000 ] && [ $ms -lt 3000 ]
ok $? "cpuburn ... 1 runs for 1 s: $ms ms"
# CPU time of a run, in ms (bash's time: user + system of the child)
burn_ms() {
	local TIMEFORMAT='%3U %3S'
	{ time "$burn" "$@" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%d", ($1 + $2) * 1000 }'
}
# (a lower bound only as strict as a busy machine allows)
full=$(burn_ms --duty 100 1)
[ "$full" -ge 300 ] && [ "$full" -le 1100 ]
ok $? "cpuburn --duty 100 1 uses up to a CPU second: $full ms"
part=$(burn_ms --duty 20 1)
[ "$part" -ge 50 ] && [ "$part" -le 400 ] && [ "$part" -lt "$full" ]
ok $? "cpuburn --duty 20 1 uses about a fifth of that: $part ms"
done_testing
