#!/bin/bash
# kscope record: two views at once in one process, on one clock, into one
# file.  In vb's namespace (napi_lib.sh) it records NAPI polling (--dev vb)
# and core scheduling (what-if, CPUs 0 and 1 declared siblings) while
# udpflood sends into vb and two cpuburns run on those CPUs; then each
# tool's --replay of its part shows what it saw (vb's packets as received,
# the burners' conflict), the two parts' refreshes are the same instants,
# and kscope report lists and exports the parts.  -- COMMAND sets the
# session's length; a view the kernel cannot give is left out with its
# reason; bad input and bad files are one line; nothing stays attached.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
need_bpf
napi_need gro
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan 29

KS=$BIN/kscope
PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; '${CLEANUP:-}
COUNT=100000
PROGS="$NAPITOP_PROGS|$CORETOP_PROGS"

"$KS" >"$TMP/o" 2>&1
[ $? = 0 ] && grep -q '^  napitop ' "$TMP/o" && grep -q '^  coretop ' "$TMP/o" &&
	grep -q 'kscope record' "$TMP/o"
ok $? "kscope alone says what it is and lists the tools ($(wc -l <"$TMP/o") lines)"

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
rec=$TMP/s.kscope

# --- two views, stopped with SIGINT ---------------------------------------------
"$TOOLS/cpuburn" --cpu 0 30 & PIDS="$!"
"$TOOLS/cpuburn" --cpu 1 30 & PIDS="$PIDS $!"
ip netns exec "$NB" "$KS" record -o "$rec" -i 0.5 --napi --dev vb --cores --smt-pairs 0-1 \
	>"$TMP/rec.out" 2>"$TMP/rec.err" &
kpid=$!
wait_for "$TMP/rec.err" recording
loaded_now "while it records" "$PROGS"
napi_traffic $COUNT 64
# SIGUSR1: the record so far, and the session goes on
kill -USR1 $kpid
wait_for "$TMP/rec.err" SIGUSR1
"$KS" report "$rec" >"$TMP/parts1" 2>&1
[ "$(awk '{ print $1 }' "$TMP/parts1" | paste -sd,)" = napitop,coretop ] && kill -0 $kpid
ok $? "SIGUSR1 writes the record so far, the session goes on: $(grep SIGUSR1 "$TMP/rec.err")"
sleep 1
kill -INT $kpid
wait $kpid
rc=$?
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
PIDS=
[ $rc = 0 ] && grep -q '^kscope: recording napi cores to ' "$TMP/rec.err" &&
	grep -q 'stopped by a signal' "$TMP/rec.err" && [ ! -s "$TMP/rec.out" ]
ok $? "record --napi --cores ends on SIGINT (exit $rc): $(tr '\n' ' ' <"$TMP/rec.err")"
nothing_left "after the record" "$PROGS"
[ "$(stat -c %a "$rec")" = 600 ] && [ "$(head -1 "$rec")" = "kscope-record 1" ]
ok $? "the record: one file, mode $(stat -c %a "$rec"), $(head -1 "$rec")"

# each tool opens its part
"$BIN/napitop" --replay "$rec" --json --dev vb >"$TMP/napi.json" 2>"$TMP/napi.err"
rc=$?
packets=$(perl -MJSON::PP -e 'my $j = decode_json(<STDIN>);
	my $n = 0; $n += $_->{packets} for grep { $_->{dev} eq "vb" } @{$j->{napis}}; print $n' \
	<"$TMP/napi.json" 2>/dev/null)
[ $rc = 0 ] && [ "$RECEIVED" -ge $((COUNT * 95 / 100)) ] &&
	perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) <= 0.03 * $ARGV[1])' "${packets:-0}" "$RECEIVED"
ok $? "napitop --replay of the record: vb's packets $packets, $RECEIVED received"
"$BIN/coretop" --replay "$rec" --json >"$TMP/cores.json" 2>"$TMP/cores.err"
rc=$?
conflict=$(perl -MJSON::PP -e 'my $j = decode_json(<STDIN>); print $j->{cores}[0]{conflict_ns} // 0' \
	<"$TMP/cores.json" 2>/dev/null)
[ $rc = 0 ] && [ "${conflict:-0}" -gt 0 ]
ok $? "coretop --replay of the record: the burners' conflict on core 0, ${conflict} ns"

# kscope report: the parts, and each byte for byte as its tool records
"$KS" report "$rec" >"$TMP/parts" 2>&1
rc=$?
[ $rc = 0 ] && [ "$(awk '{ print $1 }' "$TMP/parts" | paste -sd,)" = napitop,coretop ]
ok $? "kscope report lists the parts: $(tr -s ' ' <"$TMP/parts" | tr '\n' ';')"
"$KS" report "$rec" --tool napitop -o "$TMP/napi.jsonl"
"$KS" report "$rec" --tool coretop >"$TMP/cores.jsonl"
head -1 "$TMP/napi.jsonl" | grep -q '^{"napitop":1' && head -1 "$TMP/cores.jsonl" | grep -q '^{"coretop":1'
ok $? "--tool exports each part in its tool's format: $(head -c 40 "$TMP/napi.jsonl"); $(head -c 40 "$TMP/cores.jsonl")"
"$BIN/napitop" --replay "$TMP/napi.jsonl" --json --dev vb >"$TMP/napi2.json" 2>&1
cmp -s "$TMP/napi.json" "$TMP/napi2.json"
ok $? "the exported part replays to the same figures as the record"
"$KS" report "$rec" --tool coretop -o "$TMP/napi.jsonl" 2>"$TMP/again.err"
rc1=$?
"$KS" report "$rec" --tool coretop -o "$TMP/napi.jsonl" --force
rc2=$?
[ $rc1 = 1 ] && grep -q 'File exists' "$TMP/again.err" && [ $rc2 = 0 ] &&
	cmp -s "$TMP/napi.jsonl" "$TMP/cores.jsonl"
ok $? "-o over a file: refused ($(cat "$TMP/again.err")), replaced with --force"

# one clock: the parts' refreshes are the same instants (one timer), a
# refresh of each every 0.5 s
perl -MJSON::PP -e '
	sub stamps { open my $h, "<", $_[0] or return (); <$h>;
		map { decode_json($_)->{time_ns} } <$h> }
	my @a = stamps($ARGV[0]); my @b = stamps($ARGV[1]);
	my $worst = 0;
	for my $i (0 .. $#a) { my $d = abs($a[$i] - ($b[$i] // 0)); $worst = $d if $d > $worst }
	printf "%d %d %.3f\n", scalar @a, scalar @b, $worst / 1e6;
	exit !(@a >= 4 && @a == @b && $worst < 50e6);
' "$TMP/napi.jsonl" "$TMP/cores.jsonl" >"$TMP/times"
ok $? "the parts refreshed together: $(awk '{ printf "%d and %d refreshes, %s ms apart at most", $1, $2, $3 }' "$TMP/times")"

# --- -- COMMAND: the session lasts as long as the command ------------------------
ip netns exec "$NB" "$KS" record -o "$TMP/cmd.kscope" --napi -- sleep 1.5 \
	>/dev/null 2>"$TMP/cmd.err"
rc=$?
[ $rc = 0 ] && grep -q 'the command ended' "$TMP/cmd.err" &&
	grep -qE 'kscope: 1\.[4-9] s recorded' "$TMP/cmd.err"
ok $? "-- sleep 1.5: the session ends with the command (exit $rc): $(tail -1 "$TMP/cmd.err")"
ip netns exec "$NB" "$KS" record -o "$TMP/exit3.kscope" --napi -- sh -c 'exit 3' \
	>/dev/null 2>"$TMP/exit3.err"
rc=$?
[ $rc = 0 ] && grep -q '^kscope: sh exited 3$' "$TMP/exit3.err"
ok $? "a command's failure is said, the record kept (exit $rc): $(tail -1 "$TMP/exit3.err")"
nothing_left "after the command runs" "$PROGS"

# --ring: a flight recorder, the last second only, written at SIGUSR1
# (the session goes on) and at the end
ip netns exec "$NB" "$KS" record -o "$TMP/ring.kscope" --ring 1 -i 0.1 --napi \
	>/dev/null 2>"$TMP/ring.err" &
kpid=$!
wait_for "$TMP/ring.err" recording
sleep 2.5
kill -USR1 $kpid
wait_for "$TMP/ring.err" SIGUSR1
cp "$TMP/ring.kscope" "$TMP/ring1.kscope"
sleep 1
kill -INT $kpid
wait $kpid
rc=$?
# each file's refreshes: how many, their span, and the first one's time
span() {
	"$KS" report "$1" --tool napitop | perl -MJSON::PP -e '<STDIN>;
		my @t = map { decode_json($_)->{time_ns} } <STDIN>;
		printf "%d %.3f %d\n", scalar @t, ($t[-1] - $t[0]) / 1e9, $t[0]'
}
read -r n1 s1 f1 < <(span "$TMP/ring1.kscope")
read -r n2 s2 f2 < <(span "$TMP/ring.kscope")
[ $rc = 0 ] && [ "${n1:-0}" -ge 8 ] && [ "${n1:-99}" -le 12 ] &&
	perl -e 'exit !($ARGV[0] <= 1.0 && $ARGV[1] <= 1.0 && $ARGV[2] > $ARGV[3])' "$s1" "$s2" "$f2" "$f1"
ok $? "--ring 1 -i 0.1: at SIGUSR1 $n1 refreshes over $s1 s, at the end $n2 over $s2 s, later ones (exit $rc)"
"$BIN/napitop" --replay "$TMP/ring1.kscope" --json >"$TMP/ring.json" 2>"$TMP/ring.replay"
rc=$?
[ $rc = 0 ] && [ -s "$TMP/ring.json" ]
ok $? "the ring's record replays (exit $rc)$(head -1 "$TMP/ring.replay" | sed 's/^/: /')"

# -v: libbpf's messages
ip netns exec "$NB" "$KS" record -o "$TMP/v.kscope" --napi -v -d 0.5 >/dev/null 2>"$TMP/v.err"
rc=$?
[ $rc = 0 ] && grep -q '^libbpf: ' "$TMP/v.err"
ok $? "-v: libbpf's messages on stderr (exit $rc, $(grep -c '^libbpf: ' "$TMP/v.err") lines)"

# --- a view left out ----------------------------------------------------------
# coretop without --smt-pairs needs SMT siblings: where there are none, the
# cores view is left out with its reason and napi records alone
if grep -q . /sys/devices/system/cpu/cpu0/topology/thread_siblings_list &&
	[ "$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)" = 0 ]; then
	ip netns exec "$NB" "$KS" record -o "$TMP/out.kscope" -d 1 >/dev/null 2>"$TMP/out.err"
	rc=$?
	[ $rc = 0 ] && grep -q '^kscope: cores left out: this machine has no SMT siblings' \
		"$TMP/out.err" && grep -q '^kscope: recording napi to' "$TMP/out.err" &&
		[ "$("$KS" report "$TMP/out.kscope" | awk '{ print $1 }')" = napitop ]
	ok $? "no view named: each tried, cores left out with its reason: $(head -1 "$TMP/out.err")"
	one_line_error "coretop --replay of a record without its part" "no coretop part: this session had napitop" \
		"$BIN/coretop" --replay "$TMP/out.kscope" --json
else
	skip "this machine has SMT siblings: the cores view is not left out"
	skip "this machine has SMT siblings: every record has a cores part"
fi

# --- bad input ----------------------------------------------------------------------
one_line_error "record without -o" "where to" "$KS" record -d 1
one_line_error "a view's option without the view" "--dev is the napi view's" \
	"$KS" record -o "$TMP/y.kscope" --cores --dev vb
one_line_error "a command that does not exist" "cannot run nosuchcmd" "$KS" record -o "$TMP/x.kscope" --napi -- nosuchcmd
[ ! -e "$TMP/x.kscope" ]
ok $? "... and no file left for it"
one_line_error "over an existing file" "File exists" "$KS" record -o "$rec" -d 1
size=$(stat -c %s "$rec")
head -c $((size - 20)) "$rec" >"$TMP/trunc.kscope"
one_line_error "a truncated record" "cannot replay .*: truncated" "$BIN/napitop" --replay "$TMP/trunc.kscope" --json
# a byte of napitop's part changed
perl -e 'local $/; my $d = <STDIN>; my $i = index($d, "\"time_ns\"", 200); substr($d, $i + 1, 1) = "T"; print $d' \
	<"$rec" >"$TMP/flip.kscope"
one_line_error "a record with a part changed" "fails its CRC" "$KS" report "$TMP/flip.kscope"
nothing_left "after the bad input" "$PROGS"

napi_teardown
done_testing
