#!/bin/bash
# napitop's live view as a person sees it: veth traffic into vb (see
# napi_lib.sh), napitop in tmux in vb's namespace; the row appears with
# its rates, s sorts, Enter shows the instance, Backspace goes back,
# every shared key works (keys_lib.sh), q quits; nothing is left.  It
# serves its metrics meanwhile (--metrics, in vb's namespace, where port
# 9102 is free) and writes the textfile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
. "$(dirname "$0")/keys_lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
napi_need gro
plan $((12 + KEYS_TESTS))

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
sock=kscope-test-$$
CLEANUP="tmux -L $sock kill-server 2>/dev/null; $CLEANUP"
screen() { tmux -L $sock capture-pane -p -t t; }
key() { tmux -L $sock send-keys -t t "$1"; sleep 0.8; screen >"$TMP/$2"; }

# a steady stream for the whole test
ip netns exec "$NB" "$UDPFLOOD" recv --timeout 120 --idle 30 >/dev/null 2>&1 &
ip netns exec "$NA" "$UDPFLOOD" send --count 2000000 --rate 20000 "$NAPI_ADDR_B" >/dev/null 2>&1 &
sender=$!
CLEANUP="kill $sender 2>/dev/null; $CLEANUP"

tmux -L $sock new-session -d -s t -x 140 -y 40 \
	"TERM=xterm-256color ip netns exec $NB $BIN/napitop --dev vb -i 0.5 --no-color --metrics 9102 --metrics-textfile $TMP/tui.prom; echo EXITED \$?; sleep 30"
row='^vb +[0-9]+ +softirq +[0-9]+ +[0-9]+ '
for i in $(seq 40); do
	sleep 0.5
	screen >"$TMP/s1"
	grep -qE "$row" "$TMP/s1" && [ $i -ge 4 ] && break
done
grep -qE '^napitop  \[tp_btf' "$TMP/s1"
ok $? "the header says what it watches"
grep -qE "$row" "$TMP/s1" && [ "$(grep -E "$row" "$TMP/s1" | awk '{ print $4 }')" -gt 1000 ]
ok $? "vb's row with its polls and packets a second: $(grep -E "$row" "$TMP/s1" | tr -s ' ')"
grep -qE 'NET_RX softirq: cpu0 [0-9.]+%' "$TMP/s1"
ok $? "NET_RX softirq time per CPU in the header"
loaded_now "while it runs" "$NAPITOP_PROGS"
vb_packets() { awk '/^kscope_napitop_packets_total\{device="vb"/ { print $2 }'; }
scraped=$(ip netns exec "$NB" curl -sf -m 2 http://127.0.0.1:9102/metrics | vb_packets)
[ -n "$scraped" ] && [ "$scraped" -gt 0 ]
ok $? "beside the live view, /metrics serves vb's packets ($scraped)"
written=$(vb_packets <"$TMP/tui.prom")
[ -n "$written" ] && [ "$written" -gt 0 ]
ok $? "and the textfile has them too ($written)"
hdr() { grep -E 'DEV +NAPI' "$1"; }
key s s2
[ "$(hdr "$TMP/s1")" != "$(hdr "$TMP/s2")" ]
ok $? "s moves the sort column"
tmux -L $sock send-keys -t t Home
key Enter s3
grep -qE 'WORK/POLL +POLLS +SHARE' "$TMP/s3" && grep -qE '^polls/s ' "$TMP/s3" &&
	grep -qE '^ +1 +[0-9]+ +[0-9.]+% #' "$TMP/s3"
ok $? "Enter: the instance's work-per-poll histogram and its history"
grep -qE '^napitop .* vb napi [0-9]+: [0-9]+ polls' "$TMP/s3"
ok $? "... with its totals in the header"
key BSpace s4
grep -qE "$row" "$TMP/s4"
ok $? "Backspace: back to the table"
keys_check napitop
key q s5
sleep 1
screen >"$TMP/s5"
grep -q 'EXITED 0' "$TMP/s5"
ok $? "q quits with status 0"
nothing_left "after q" "$NAPITOP_PROGS"
[ $FAILED = 0 ] || for s in s1 s2 s3 s4 s5; do diag "== $s"; diag "$(cat "$TMP/$s")"; done
done_testing
