#!/bin/bash
# Nothing left behind by a tool killed with SIGKILL: each tool (and kscope
# record, which hosts three of them) is killed
# 20 times at a random moment (during start-up and attach, with a few
# kills in its first 30 ms, or while it runs and records with -o), and
# after each: no program or link of that tool, no BPF map created during
# the run, no reaper of it still running, and the kernel state a tool may
# set for its own use as it was (sched_schedstats, the kdamonds, tracefs
# mounts, the cgroup tree).  On this kernel no tool sets a knob (the boot
# kdamond keeps damontop's own off, coretop has no measured mode), so the
# reapers' undo is proven in the guests (tests/vm/tests/85-sigkill.sh) and
# by tests/unit/test_reaper.c; here the kills prove that BPF objects die
# with the tool and that nothing else is touched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofilter_lib.sh"
need_bpf
KILLS=20
plan $((5 * (KILLS + 1)))

loop_setup 8

# kernel_state: what a tool could leave changed, one line each
kernel_state() {
	local k=/sys/kernel/mm/damon/admin/kdamonds d
	echo "schedstats $(cat /proc/sys/kernel/sched_schedstats 2>&1)"
	echo "kdamonds $(cat $k/nr_kdamonds 2>&1)"
	for d in $k/[0-9]*; do
		[ -d "$d" ] && echo "$d $(cat "$d/state" "$d/pid" 2>&1 | tr '\n' ' ')"
	done
	echo "tracefs mounts $(grep -c ' - tracefs ' /proc/self/mountinfo)"
	find /sys/fs/cgroup -type d 2>/dev/null | sort | md5sum | sed 's/^/cgroups /'
}

# in comm's order (sorted as text: "10" before "9"; a numeric sort made
# comm warn and could have it miss a map left or see one that was not)
map_ids() { bpftool map show 2>/dev/null | sed -n 's/^\([0-9]*\): .*/\1/p' | LC_ALL=C sort; }

# kill_at TOOL PATTERN DELAY CMD...: CMD started, SIGKILLed after DELAY
# seconds, and one test line on what it left
kill_at() {
	local tool=$1 pat=$2 delay=$3 pid maps_before state_before left= new i
	shift 3
	maps_before=$(map_ids)
	state_before=$(kernel_state)
	# a group of its own (setsid does not fork here: $! is the tool), so
	# that its -c command goes with it, and nobody else's
	setsid "$@" >"$TMP/out" 2>"$TMP/err" &
	pid=$!
	sleep "$delay"
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	kill -KILL -- -$pid 2>/dev/null
	# a reaper (src/lib/reaper.c) undoes and exits right after its tool
	for i in $(seq 50); do
		pgrep -x "${tool:0:8}-reaper" >/dev/null || break
		sleep 0.1
	done
	pgrep -x "${tool:0:8}-reaper" >/dev/null && left="$left a reaper still running;"
	for i in $(seq 20); do
		p=$(our_progs "$pat") && l=$(our_links "$pat") || { p=? l=?; break; }
		new=$(LC_ALL=C comm -13 <(echo "$maps_before") <(map_ids) | tr '\n' ' ')
		[ "$p$l" = 00 ] && [ -z "$new" ] && break
		sleep 0.1
	done
	[ "$p$l" = 00 ] || left="$left progs $p links $l;"
	[ -z "$new" ] || left="$left maps $new;"
	[ "$(kernel_state)" = "$state_before" ] ||
		left="$left kernel state: $(diff <(echo "$state_before") <(kernel_state) | grep '^[<>]' | tr '\n' ' ');"
	[ -z "$left" ]
	ok $? "$tool killed after ${delay} s: nothing left${left:+ but:$left}"
}

# delays: every fifth kill in the first 30 ms (start-up), the others
# anywhere in the first 1.5 s (attach, first refreshes, recording)
delay() {
	if [ $(($1 % 5)) = 0 ]; then
		printf '0.%03d' $((RANDOM % 30))
	else
		printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000))
	fi
}

# run_kills TOOL PATTERN CMD...: a positive control (the same count sees
# the tool's programs while it runs), then KILLS kills
run_kills() {
	local tool=$1 pat=$2 n
	shift 2
	setsid "$@" >"$TMP/out" 2>"$TMP/err" &
	loaded_now "$tool runs" "$pat"
	kill -KILL $! 2>/dev/null
	wait $! 2>/dev/null
	kill -KILL -- -$! 2>/dev/null
	for n in $(seq $KILLS); do
		kill_at "$tool" "$pat" "$(delay $n)" "$@"
	done
	[ $FAILED = 0 ] || diag "$tool's stderr at the last kill: $(head -3 "$TMP/err")"
}

run_kills damontop "$DAMONTOP_PROGS" $BIN/damontop record -o "$TMP/d.rec" --force \
	-c "$TOOLS/accessgen random --regions 1 --size 4M --duration 5"
run_kills iofilter "$IOFILTER_PROGS" $BIN/iofilter --rule "dev=$LOOP_DEV sectors=0-33" \
	--json -o "$TMP/i.jsonl" --force
run_kills coretop "$CORETOP_PROGS" $BIN/coretop --what-if --smt-pairs 0-1 --json \
	-o "$TMP/c.jsonl" --force
run_kills napitop "$NAPITOP_PROGS" $BIN/napitop --json -i 0.2 -o "$TMP/n.jsonl" --force
# kscope record hosts damontop's, napitop's, coretop's and iofilter's parts in
# one process (the mem view on its command, which dies with it)
run_kills kscope "$DAMONTOP_PROGS|$NAPITOP_PROGS|$CORETOP_PROGS|$IOFILTER_PROGS" $BIN/kscope record \
	-o "$TMP/k.kscope" --force -i 0.2 --mem --napi --cores --smt-pairs 0-1 \
	--io "dev=$LOOP_DEV sectors=0-33" -- "$TOOLS/accessgen" random --regions 1 --size 4M --duration 5
done_testing
