#!/bin/bash
# coretop's live view as a person sees it: two cpuburns in groups a and b
# on a declared SMT pair, coretop in tmux; read the lanes and the tables,
# switch tables, sort, help, every shared key (keys_lib.sh), quit, and
# check nothing is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys_lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan $((12 + KEYS_TESTS))

$TOOLS/cpuburn --cpu 0 90 & P1=$!
$TOOLS/cpuburn --cpu 1 90 & P2=$!
sock=kscope-test-$$
CLEANUP="tmux -L $sock kill-server 2>/dev/null; kill $P1 $P2 2>/dev/null"
screen() { tmux -L $sock capture-pane -p -t t; }
key() { tmux -L $sock send-keys -t t "$1"; sleep 0.7; screen >"$TMP/$2"; }

tmux -L $sock new-session -d -s t -x 120 -y 40 \
	"TERM=xterm-256color $BIN/coretop --what-if --smt-pairs 0-1 --group a=$P1 --group b=$P2 --no-color -i 0.5; echo EXITED \$?; sleep 30"
for i in $(seq 40); do
	sleep 0.5
	screen >"$TMP/s1"
	[ "$(grep -c 'cpuburn' "$TMP/s1")" -ge 2 ] && [ $i -ge 8 ] && break
done
grep -q 'coretop  what-if (--what-if), groups by list, 1 core declared  \[tasks\]' "$TMP/s1"
ok $? "the header says what-if, why, the grouping and the table"
# the lanes: a row per sibling, the running group's letter along it
letters() { grep -E "^c0 cpu$1 " "$TMP/s1" | tr -cd "$2" | wc -c; }
[ "$(letters 0 A)" -ge 2 ] && [ "$(letters 1 B)" -ge 2 ]
ok $? "a lane per sibling with the letters of the groups running there (A $(letters 0 A), B $(letters 1 B))"
grep -qE 'estimated cost: core scheduling would idle [0-9.]+% ' "$TMP/s1"
ok $? "the estimated cost"
[ "$(grep -cE '^ *[0-9]+ +cpuburn +[AB] [ab] +[0-9]+\.[0-9]{3}' "$TMP/s1")" = 2 ]
ok $? "the tasks table: both cpuburns with their group and conflict time"
loaded_now "while it runs" "$CORETOP_PROGS"

key g s2
grep -qE 'KEY +GROUP +CONFLICT s' "$TMP/s2" && grep -qE '^A +a +[0-9.]+' "$TMP/s2" &&
	grep -qE '^B +b +[0-9.]+' "$TMP/s2"
ok $? "g: the groups table, a and b with their keys"
key p s3
grep -qE '^A a +B b +[0-9.]+ +[0-9]+' "$TMP/s3"
ok $? "p: the pairs table has a against b"
key c s4
# (what runs now is a sample: on a busy machine, anything)
now='(pid [0-9]+ +. .+|idle|forced idle)$'
grep -qE 'CORE[^ ]* +CPU[^ ]* +RUN % +CORUN % +CONFLICT %' "$TMP/s4" &&
	grep -qE "^ +0 +0 +[0-9.]+ +[0-9.]+ +[0-9.]+ .*$now" "$TMP/s4" &&
	grep -qE "^ +0 +1 +[0-9.]+ +[0-9.]+ +[0-9.]+ .*$now" "$TMP/s4"
ok $? "c: the cores table, CPUs 0 and 1 of core 0 with their shares and what runs now"
hdr() { grep -E 'CORE[^ ]* +CPU' "$1"; }
key s s5
[ "$(hdr "$TMP/s4")" != "$(hdr "$TMP/s5")" ]
ok $? "s moves the sort column"
key h s6
grep -q 'coretop keys' "$TMP/s6" && grep -q 'table: group pairs' "$TMP/s6"
ok $? "h shows the help box with coretop's keys"
tmux -L $sock send-keys -t t x
key t s6
keys_check coretop
key q s7
sleep 1
screen >"$TMP/s7"
grep -q 'EXITED 0' "$TMP/s7"
ok $? "q quits with status 0"
nothing_left "after q" "$CORETOP_PROGS"
[ $FAILED = 0 ] || for s in s1 s2 s3 s4 s5 s6 s7; do diag "== $s"; diag "$(cat "$TMP/$s")"; done
done_testing
