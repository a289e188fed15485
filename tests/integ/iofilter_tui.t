#!/bin/bash
# iofilter's live view as a person sees it: a deny rule on a loop device's
# GPT and an audit rule on a free range that a writer keeps hitting,
# iofilter in tmux; the rules table counts, l shows the log of verdicts
# and back, every shared key works (keys_lib.sh), q quits; nothing is
# left and the protected sectors are unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofilter_lib.sh"
. "$(dirname "$0")/keys_lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
plan $((8 + KEYS_TESTS))

loop_setup 8
sock=kscope-test-$$
CLEANUP="tmux -L $sock kill-server 2>/dev/null; $CLEANUP"
screen() { tmux -L $sock capture-pane -p -t t; }
key() { tmux -L $sock send-keys -t t "$1"; sleep 0.8; screen >"$TMP/$2"; }

drop_caches "$LOOP_DEV"
gpt=$(sectors_sum "$LOOP_DEV" 0 34)
tmux -L $sock new-session -d -s t -x 140 -y 40 \
	"TERM=xterm-256color $BIN/iofilter --no-color --rule 'dev=$LOOP_DEV sectors=0-33' --rule 'dev=$LOOP_DEV sectors=8192-8199 action=audit'; echo EXITED \$?; sleep 30"
for i in $(seq 40); do
	sleep 0.25
	screen >"$TMP/s1"
	grep -qE '^ +2 +audit ' "$TMP/s1" && break
done
# a writer: the audited range every 50 ms (the figures move at every
# refresh), the GPT once
(for i in $(seq 1500); do "$BLKWRITE" odirect "$LOOP_DEV" 8192 8 >/dev/null 2>&1; sleep 0.05; done) &
writer=$!
CLEANUP="kill $writer 2>/dev/null; $CLEANUP"
{ "$BLKWRITE" pwrite "$LOOP_DEV" 1 8 >/dev/null; } 2>/dev/null	# killed (tier kill): no job notice
sleep 1.5
screen >"$TMP/s1"
grep -qE '^iofilter  2 rules  tiers: ' "$TMP/s1"
ok $? "the header: the rules and the tiers this kernel has"
grep -qE '^ +1 +deny +[a-z,]+ +[1-9][0-9]* +[1-9][0-9]* +dev=' "$TMP/s1" &&
	grep -qE '^ +2 +audit +audit +[1-9][0-9]* +0 +dev=' "$TMP/s1"
ok $? "the rules table: the refused write counted on rule 1, the audited ones on rule 2"
loaded_now "while it runs" "$IOFILTER_PROGS"
key l s2
grep -qE 'TIME.? +VERDICT +TIER +RULE +SECTOR' "$TMP/s2" && grep -qE ' AUDIT +audit +2 +8192\+8 ' "$TMP/s2" &&
	grep -qE '^refused: pid [0-9]+ \(blkwrite\) x1 ' "$TMP/s2"
ok $? "l: the log of verdicts, newest first (the audits), the refused writer above"
key l s3
grep -qE 'ACTION +TIERS +MATCHED' "$TMP/s3"
ok $? "l again: back to the rules"
keys_check iofilter
key q s4
sleep 1
screen >"$TMP/s4"
grep -q 'EXITED 0' "$TMP/s4"
ok $? "q quits with status 0"
kill $writer 2>/dev/null
wait $writer 2>/dev/null
nothing_left "after q" "$IOFILTER_PROGS"
drop_caches "$LOOP_DEV"
[ "$(sectors_sum "$LOOP_DEV" 0 34)" = "$gpt" ]
ok $? "the protected sectors are unchanged"
[ $FAILED = 0 ] || for s in s1 s2 s3 s4; do diag "== $s"; diag "$(cat "$TMP/$s")"; done
done_testing
