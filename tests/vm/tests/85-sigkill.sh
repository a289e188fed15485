# Kernel state a tool sets for its own use is undone even when the tool is
# killed with SIGKILL: its reaper (src/lib/reaper.c) removes damontop's
# own kdamond (--paddr) and turns coretop's --schedstats back off.  Each
# tool is killed 20 times at a random moment (a few in its first 50 ms,
# the others while it attaches, starts the kdamond or runs); after each,
# no reaper is left running, no kdamond of ours, sched_schedstats as
# before, no program or link of the tool loaded, no map made during the
# run.  Where the kernel has no
# DAMON paddr or no core scheduling (tests/vm/features) the tool sets no
# state: damontop's pte source and coretop's what-if mode are killed the
# same way, for their BPF objects.  kscope record, hosting coretop's part
# with --schedstats, is killed the same way where the kernel has it.
# kscope-timeout: 300
. /kscope/lib.sh
KILLS=20
damon=/sys/kernel/mm/damon/admin/kdamonds
knob=/proc/sys/kernel/sched_schedstats
echo 0 >$knob

# delay N: every fifth kill in the first 50 ms, the others in the first 2.5 s
delay() {
	r=$(awk -v s="$1$$" 'BEGIN { srand(s); print int(rand() * 1000) }')
	if [ $(($1 % 5)) = 0 ]; then
		printf '0.%03d' $((r % 50))
	else
		printf '%d.%03d' $((r % 3)) $((r * 7 % 1000))
	fi
}

# kill_at TOOL PATTERN DELAY CMD...: CMD SIGKILLed after DELAY s; one line
kill_at() {
	tool=$1 pat=$2 d=$3
	shift 3
	maps_before=$(bpfls map | awk '{ print $2 }')
	# a group of its own ($! leads it), so that its -c command goes too
	setsid "$@" >/dev/null 2>kill.err &
	pid=$!
	sleep "$d"
	# what the tool had set when it died: the reaper's work
	[ -d $damon ] && [ "$(cat $damon/nr_kdamonds)" != 0 ] && set_kdamond=$((set_kdamond + 1))
	[ "$(cat $knob)" = 1 ] && set_knob=$((set_knob + 1))
	running "$tool-reaper" && reapers=$((reapers + 1))
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	kill -KILL -$pid 2>/dev/null
	i=0
	while running "$tool-reaper" && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	left=
	running "$tool-reaper" && left="$left a reaper still running;"
	[ -d $damon ] && [ "$(cat $damon/nr_kdamonds)" != 0 ] && left="$left nr_kdamonds $(cat $damon/nr_kdamonds);"
	[ "$(cat $knob)" = 0 ] || left="$left sched_schedstats $(cat $knob);"
	bpf=$(our_bpf "$pat")
	[ "$bpf" = "progs 0 links 0" ] || left="$left $bpf;"
	# maps made during the run (the kernel frees them a little after)
	i=0
	while new_maps=$(bpfls map | awk '{ print $2 }' | grep -vxF "$maps_before") &&
		[ -n "$new_maps" ] && [ $i -lt 20 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	[ -z "$new_maps" ] || left="$left maps $(echo $new_maps);"
	[ -z "$left" ]
	ok $? "$tool killed after $d s: nothing left${left:+ but:$left}"
	[ -z "$left" ] || diag "$(cat kill.err)"
}

if expects damon_paddr; then
	set -- damontop --paddr -a 200ms --json
else
	set -- damontop --source pte --json -c 'accessgen random --regions 1 --size 4M --duration 10'
fi
set_kdamond=0 set_knob=0 reapers=0
for n in $(seq $KILLS); do
	kill_at damontop 'walk_task|damon_aggr' "$(delay $n)" "$@"
done
# the positive control: enough kills came with a kdamond of ours to undo
if expects damon_paddr; then
	[ $set_kdamond -ge 5 ] && [ $reapers -ge 5 ]
	ok $? "damontop had started its kdamond at $set_kdamond of $KILLS kills, its reaper ran at $reapers"
fi
reapers=0

if expects sched_core; then
	set -- coretop --schedstats --json
else
	set -- coretop --what-if --smt-pairs 0-1 --json
fi
for n in $(seq $KILLS); do
	kill_at coretop 'ct_[a-z_]*' "$(delay $n)" "$@"
done
if expects sched_core; then
	[ $set_knob -ge 5 ] && [ $reapers -ge 5 ]
	ok $? "coretop had turned sched_schedstats on at $set_knob of $KILLS kills, its reaper ran at $reapers"
fi

# kscope record hosts coretop's part (and napitop's): the same undo
if expects sched_core; then
	set_knob=0 reapers=0
	for n in $(seq $KILLS); do
		kill_at kscope 'nt_[a-z_]*|ct_[a-z_]*' "$(delay $n)" \
			kscope record -o k.kscope --force --schedstats
	done
	[ $set_knob -ge 5 ] && [ $reapers -ge 5 ]
	ok $? "kscope record had turned sched_schedstats on at $set_knob of $KILLS kills, its reaper ran at $reapers"
fi
exit 0
