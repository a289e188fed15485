#!/bin/bash
# kscope replay as a person uses it: a record of the mem and cores views
# (accessgen's stairs; two burners on CPUs 0 and 1 from 3 s on) played in
# tmux; the lanes and the heatmap drawn, the time read moving while it
# plays and still when paused, + and - its speed, the arrows a column,
# z and Z the window, s and / the lanes, h the keys; Enter opens the
# selected lane's tool on its part as it stood at the time read (the same
# cut as kscope report --tool --until), q there comes back, q quits.
# Without a terminal, or with a bad file: one line.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan 17

KS=$BIN/kscope
rec=$TMP/r.kscope
sock=kscope-test-$$
CLEANUP="tmux -L $sock kill-server 2>/dev/null; ${CLEANUP:-}"
screen() { tmux -L $sock capture-pane -p -t t; }
key() { tmux -L $sock send-keys -t t "$1"; sleep 0.5; screen >"$TMP/$2"; }
# the header's figures: "at 1.234 s   window 0.000 to 8.000 s   paused x1"
at() { grep -oE '^at [0-9.]+ s' "$TMP/$1" | awk '{ print $2 }'; }
window() { grep -oE 'window [0-9.]+ to [0-9.]+ s' "$TMP/$1" | awk '{ print $2, $4 }'; }

(sleep 3; "$TOOLS/cpuburn" --cpu 0 3 & "$TOOLS/cpuburn" --cpu 1 3 & wait) &
"$KS" record -o "$rec" --mem --cores --smt-pairs 0-1 -i 0.25 -- \
	"$TOOLS/accessgen" stairs --regions 6 --size 10M --phase 1s --rounds 1 >/dev/null 2>"$TMP/rec.err"
rc=$?
wait
ok $rc "the record: $(tail -1 "$TMP/rec.err")"

one_line_error "kscope replay without a terminal" "needs a terminal" "$KS" replay "$rec"
printf 'kscope-record 1\npart coretop 99' >"$TMP/bad.kscope"
one_line_error "kscope replay of a truncated record" "cannot read" "$KS" replay "$TMP/bad.kscope"

tmux -L $sock new-session -d -s t -x 130 -y 40 \
	"TERM=xterm-256color $KS replay --no-color $rec; echo EXITED \$?; sleep 30"
sleep 1
screen >"$TMP/s1"
grep -q "^kscope replay $rec: .*, 6 lanes (damontop pte, coretop what-if)" "$TMP/s1" &&
	grep -qE '^pid [0-9]+ \(accessgen\) heat +[0-9.]+ Hz' "$TMP/s1" &&
	grep -qE '^cpu1 \(core 0\) conflict ' "$TMP/s1" && grep -q 'Hz  *<- 0.000 s' "$TMP/s1"
ok $? "the lanes and the heatmap drawn: $(head -1 "$TMP/s1")"
# playing: the time read moves with the clock
a1=$(at s1)
sleep 1
screen >"$TMP/s2"
a2=$(at s2)
perl -e 'exit !($ARGV[1] - $ARGV[0] >= 0.7 && $ARGV[1] - $ARGV[0] <= 1.6)' "$a1" "$a2" &&
	grep -q 'playing x1$' "$TMP/s2"
ok $? "it plays: the time read from $a1 s to $a2 s in a second"
key ' ' s3
sleep 1
screen >"$TMP/s4"
[ "$(at s3)" = "$(at s4)" ] && grep -q 'paused x1$' "$TMP/s4"
ok $? "space pauses: $(at s3) s, a second later $(at s4) s"
key + s5
key - s6
key - s7
grep -q 'x2$' "$TMP/s5" && grep -q 'x1$' "$TMP/s6" && grep -q 'x0.5$' "$TMP/s7"
ok $? "+ and -: playing x$(grep -oE 'x[0-9.]+$' "$TMP/s5" | cut -c2-), x$(grep -oE 'x[0-9.]+$' "$TMP/s6" | cut -c2-), x$(grep -oE 'x[0-9.]+$' "$TMP/s7" | cut -c2-)"
# a column of the lanes: the window over their width (130 - 34 - 18 - 2)
key Right s8
key Left s9
col=$(perl -e 'printf "%.3f", ($ARGV[1] - $ARGV[0]) / 76' $(window s8))
perl -e 'exit !(abs($ARGV[1] - $ARGV[0] - $ARGV[3]) < 0.002 && $ARGV[2] == $ARGV[0])' \
	"$(at s7)" "$(at s8)" "$(at s9)" "$col"
ok $? "right and left: the time read a column on ($(at s7) s, $(at s8) s) and back ($(at s9) s)"
key z s10
key Z s11
read -r f0 t0 < <(window s9)
read -r f1 t1 < <(window s10)
read -r f2 t2 < <(window s11)
perl -e 'my ($f0, $t0, $f1, $t1, $f2, $t2, $at) = @ARGV;
	exit !(abs(($t1 - $f1) - ($t0 - $f0) / 2) < 0.002 && $f1 <= $at && $at <= $t1 &&
	       $f2 == $f0 && $t2 == $t0)' $f0 $t0 $f1 $t1 $f2 $t2 "$(at s10)"
ok $? "z zooms in on the time read (window $f1 to $t1 s of $f0 to $t0 s), Z back out ($f2 to $t2 s)"
# the burners' time: the conflict lanes read their most there; among the
# CPUs' lanes (/cpu) s puts them first (each lane against its own most:
# their units differ), the forced idle ones (none) after
tmux -L $sock send-keys -t t End
key Right s12
for i in $(seq 30); do
	perl -e 'exit !($ARGV[0] >= 4.5)' "$(at s12)" && break
	key Right s12
done
tmux -L $sock send-keys -t t / c p u Enter
key s s13
[ "$(sed -n '/^lane /,/^q quit/p' "$TMP/s13" | grep -cE '^cpu')" = 4 ] && grep -A2 -E 'at the time read(\*|▼)' "$TMP/s13" | tail -2 | grep -c 'conflict' >"$TMP/n"
[ "$(cat "$TMP/n")" = 2 ]
ok $? "s: the lanes by their level at $(at s13) s, the two conflicting siblings first: $(grep -A1 -E 'at the time read(\*|▼)' "$TMP/s13" | tail -1 | tr -s ' ')"
key s s14
tmux -L $sock send-keys -t t / BSpace BSpace BSpace c o n f
key Enter s15
shown=$(sed -n '/^lane /,/^q quit/p' "$TMP/s15" | grep -cE '^(pid|cpu)')
[ "$shown" = 2 ] && grep -qE '^cpu0 \(core 0\) conflict' "$TMP/s15"
ok $? "/conf: the conflict lanes only ($shown shown)"
# Enter: coretop's own view of its part as it stood at the time read,
# the same cut as kscope report --tool coretop --until
at=$(at s15)
key Enter s16
sleep 1
screen >"$TMP/s16"
"$KS" report "$rec" --tool coretop --until "$at" -o "$TMP/cut.jsonl"
# the last interval's mismatches a second: the one core's, as the cut's
# replay says them
"$BIN/coretop" --replay "$TMP/cut.jsonl" --batch 2>&1 | grep -oE 'mismatches [0-9]+/s' | head -1 >"$TMP/want"
grep -q "^coretop  replay of /tmp/r.kscope@${at}s-" "$TMP/s16" &&
	[ -s "$TMP/want" ] && grep -qE "^last interval: .*$(cat "$TMP/want")" "$TMP/s16"
ok $? "Enter: coretop's view of its part at $at s: $(head -1 "$TMP/s16" | tr -s ' '); its last interval's $(cat "$TMP/want") as the cut's replay"
last=$(tail -1 "$TMP/cut.jsonl" | grep -oE '"time_ns":[0-9]+' | cut -d: -f2)
start=$("$KS" report "$rec" --format json | grep -oE '"start_ns":[0-9]+' | cut -d: -f2)
perl -e 'exit !($ARGV[0] <= $ARGV[1] + $ARGV[2] * 1e9 && $ARGV[0] > $ARGV[1] + ($ARGV[2] - 0.25) * 1e9 - 1e6)' \
	"$last" "$start" "$at"
ok $? "--until $at: the part's refreshes up to then, the last $(perl -e 'printf "%.3f", ($ARGV[0] - $ARGV[1]) / 1e9' "$last" "$start") s in"
key q s17
grep -q "^kscope replay $rec" "$TMP/s17" && grep -q "^at $at s" "$TMP/s17"
ok $? "q in coretop: back to kscope replay at $at s"
key h s18
grep -q 'Enter  *the selected lane' "$TMP/s18" && grep -q 'space  *play / pause' "$TMP/s18"
ok $? "h: the keys, its own among them"
key x s19
key q s20
sleep 0.5
screen >"$TMP/s20"
grep -q 'EXITED 0' "$TMP/s20"
ok $? "q quits with status 0"
one_line_error "--until without --tool" "add --tool" "$KS" report "$rec" --until 1
done_testing
