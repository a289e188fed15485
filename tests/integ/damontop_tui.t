#!/bin/bash
# The live view as a person sees it: run damontop in tmux on accessgen's
# stairs, read the screen, use its own keys and every shared one
# (keys_lib.sh), quit, and check nothing is left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/keys_lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
plan $((16 + KEYS_TESTS))

sock=kscope-test-$$
CLEANUP="tmux -L $sock kill-server 2>/dev/null"
screen() { tmux -L $sock capture-pane -p -t t; }

tmux -L $sock new-session -d -s t -x 120 -y 40 \
	"cd $TMP && TERM=xterm-256color $BIN/damontop --no-color -c '$TOOLS/accessgen stairs --regions 4 --size 16M --phase 1s --rounds 25'; echo EXITED \$?; sleep 30"
# the first aggregations take a moment within the budget: wait for heat
heat_rows() { grep -cE '^ *~?[0-9a-f]{6,} .*[%@#]{3}' "$TMP/s1"; }
for i in $(seq 30); do
	sleep 0.5
	screen >"$TMP/s1"
	[ "$(heat_rows)" -ge 2 ] && [ $i -ge 6 ] && break
done
grep -q 'damontop .*source pte' "$TMP/s1"
ok $? "header names the target and the source"
grep -qE 'regions [0-9]+ +WSS [0-9.]+ ([KMGT]i)?B' "$TMP/s1"
ok $? "header shows regions and a WSS with its unit"
# the heat canvas: rows of heat characters in the grid, a legend below
[ "$(heat_rows)" -ge 2 ]
ok $? "heat canvas has hot cells ($(heat_rows) rows)"
grep -qE '\] [0-9.]+ Hz' "$TMP/s1"
ok $? "legend with its unit (Hz)"
grep -qE 'START +END +SIZE +ACCESS' "$TMP/s1" &&
	grep -qE '^ +[0-9a-f]{6,} +[0-9a-f]{6,} +[0-9.]+ [KMG]?i?B +[0-9]+% ' "$TMP/s1"
ok $? "hottest-regions table with rows"

# the nothing-left check below must be able to see our program at all
loaded_now "while it runs" "$DAMONTOP_PROGS"

tmux -L $sock send-keys -t t h
sleep 0.5
screen | grep -q 'damontop keys'
ok $? "h shows the help box"
tmux -L $sock send-keys -t t x
tmux -L $sock send-keys -t t e
sleep 1
png=$(ls "$TMP"/damontop-*.png 2>/dev/null | head -1)
[ -n "$png" ] && [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
ok $? "e exports the heatmap on screen to a PNG (${png##*/})"
screen | grep -q "exported damontop-"
ok $? "the status line says where it went"
# its own keys: zoom in and out, look back and forward, who owns a region
tmux -L $sock send-keys -t t Home z
sleep 0.8
screen | grep -q 'access heatmap (zoomed, Z to zoom out)'
ok $? "z: the canvas zooms into the selected region"
tmux -L $sock send-keys -t t Z
sleep 0.8
screen | grep -q 'access heatmap: '
ok $? "Z: back to every monitored range"
tmux -L $sock send-keys -t t Left Left
sleep 0.8
screen | grep -q '(looking back) ->'
ok $? "Left: the canvas looks back in time"
tmux -L $sock send-keys -t t Right Right o
sleep 0.8
screen >"$TMP/s3"
! grep -q '(looking back)' "$TMP/s3" && grep -q 'o: only for physical memory' "$TMP/s3"
ok $? "Right: back to now; o on a process says it is for physical memory"
keys_check damontop anon
tmux -L $sock send-keys -t t q
sleep 2
screen >"$TMP/s2"
grep -q 'EXITED 0' "$TMP/s2"
ok $? "q quits with status 0"
! pgrep -f "^$TOOLS/accessgen stairs --regions 4 --size 16M" >/dev/null
ok $? "the -c command is stopped"
nothing_left "after q" "$DAMONTOP_PROGS"
[ $FAILED = 0 ] || { diag "$(cat "$TMP/s1")"; diag "$(cat "$TMP/s2")"; }
done_testing
