#!/bin/bash
# napitop's live view as a person sees it: veth traffic into vb (see
# napi_lib.sh), napitop in tmux in vb's namespace; the row appears with
# its rates, s sorts, Enter shows the instance, Backspace goes back, c
# swaps in the configuration columns (and Enter there shows it whole),
# every shared key works (keys_lib.sh), q quits; nothing is left.  It
# serves its metrics meanwhile (--metrics, in vb's namespace, where port
# 9102 is free) and writes the textfile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
. "$(dirname "$0")/keys_lib.sh"
need_bpf
command -v tmux >/dev/null || skip_all "tmux not installed"
napi_need gro
plan $((16 + KEYS_TESTS))

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
# the kernel's softirq time (this kernel samples it at ticks) and NET_RX
# runs per CPU, without the programs of --netrx-time
grep -qE 'softirq( \(ticks\))?: cpu0 [0-9.]+% NET_RX [0-9]+/s ' "$TMP/s1"
ok $? "softirq time and NET_RX runs per CPU in the header: $(grep -oE 'softirq[^:]*: cpu0 [^ ]+ NET_RX [^ ]+' "$TMP/s1")"
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
# c: the configuration columns, napi-get's values as sysfs has them (this
# kernel has per-NAPI configuration, 6.13+), and back
defer=$(ip netns exec "$NB" cat /sys/class/net/vb/napi_defer_hard_irqs)
key c s6
grep -qE 'DEV +NAPI +MODE +POLLS/s.* +DEFER +GRO-FLUSH +IRQ-SUSP +RXQ-PKT/s +QUEUES' "$TMP/s6" &&
	grep -qE "^vb +[0-9]+ +softirq +[0-9]+ +$defer +[0-9.]+ [mun]?s " "$TMP/s6"
ok $? "c: the configuration columns, vb's defer-hard-irqs $defer: $(grep -E '^vb ' "$TMP/s6" | tr -s ' ')"
key Enter s7
grep -qE "^config \(napi-get\): defer-hard-irqs $defer gro-flush-timeout" "$TMP/s7" &&
	grep -qE '^queues - \(qstats\): none kept' "$TMP/s7" &&
	grep -qE '^no configuration change seen' "$TMP/s7"
ok $? "Enter there: the configuration, queue counters (veth keeps none) and changes in the header"
# a change from elsewhere (napitop --set): its effect, before and since
ip netns exec "$NB" "$BIN/napitop" --set vb defer-hard-irqs=$((defer + 1)) >/dev/null 2>&1
sleep 1.5
screen >"$TMP/s7b"
ip netns exec "$NB" "$BIN/napitop" --set vb defer-hard-irqs="$defer" >/dev/null 2>&1
grep -qE "defer-hard-irqs $((defer + 1)) " "$TMP/s7b" &&
	grep -qE '^before the change at [0-9.]+ s: [0-9.]+ packets/poll, [0-9]+ polls/s; since: [0-9.]+ packets/poll, [0-9]+ polls/s' "$TMP/s7b"
ok $? "a change made meanwhile shows, with the polling before and since: $(grep -E '^before the change' "$TMP/s7b")"
key BSpace s8
key c s9
grep -qE 'KTHREAD%' "$TMP/s9" && grep -qE "$row" "$TMP/s9"
ok $? "c again: back to the polling columns"
keys_check napitop
key q s5
sleep 1
screen >"$TMP/s5"
grep -q 'EXITED 0' "$TMP/s5"
ok $? "q quits with status 0"
nothing_left "after q" "$NAPITOP_PROGS"
[ $FAILED = 0 ] || for s in s1 s2 s3 s4 s5; do diag "== $s"; diag "$(cat "$TMP/$s")"; done
done_testing
