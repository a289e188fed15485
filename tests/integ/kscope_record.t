#!/bin/bash
# kscope record: the four views at once in one process, on one clock, into
# one file.  In vb's namespace (napi_lib.sh) it records accessgen's memory
# (-p), NAPI polling (--dev vb), core scheduling (what-if, CPUs 0 and 1
# declared siblings) and an audit rule on a loop device while udpflood
# sends into vb, two cpuburns run on those CPUs and blkwrite writes under
# the rule; then each tool's --replay of its part shows what it saw (vb's
# packets as received, the burners' conflict), the parts' refreshes are
# the same instants, each lane's total is its tool's own, the markers fall
# in their time cells, and kscope report lists and exports the parts.  -- COMMAND sets the
# session's length; a view the kernel cannot give is left out with its
# reason; bad input and bad files are one line; nothing stays attached.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
. "$(dirname "$0")/iofilter_lib.sh"
need_bpf
napi_need gro
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan 52

KS=$BIN/kscope
PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; '${CLEANUP:-}
COUNT=100000
PROGS="$DAMONTOP_PROGS|$NAPITOP_PROGS|$CORETOP_PROGS|$IOFILTER_PROGS"

"$KS" >"$TMP/o" 2>&1
[ $? = 0 ] && grep -q '^  napitop ' "$TMP/o" && grep -q '^  coretop ' "$TMP/o" &&
	grep -q 'kscope record' "$TMP/o"
ok $? "kscope alone says what it is and lists the tools ($(wc -l <"$TMP/o") lines)"

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
loop_setup 8
rec=$TMP/s.kscope

# --- the four views, stopped with SIGINT ------------------------------------------
# three markers at known times (CLOCK_MONOTONIC, the record's clock): the
# burners start, later the packets are sent, then a write under the audit
# rule; the memory is accessgen's, 8 MiB swept 20 times a second (little
# CPU: the burners' start is the conflict's)
"$TOOLS/accessgen" rates --rates 20 --size 8M --duration 60 >"$TMP/agen.out" &
apid=$!
PIDS=$apid
wait_for "$TMP/agen.out" '^region'
ip netns exec "$NB" "$KS" record -o "$rec" -i 0.5 --mem -p $apid --napi --dev vb \
	--cores --smt-pairs 0-1 --io "dev=$LOOP_DEV sectors=4096-4103 action=audit" \
	>"$TMP/rec.out" 2>"$TMP/rec.err" &
kpid=$!
wait_for "$TMP/rec.err" recording
loaded_now "while it records" "$PROGS"
sleep 1.2
burn_ns=$(mono)
"$TOOLS/cpuburn" --cpu 0 30 & PIDS="$PIDS $!"
"$TOOLS/cpuburn" --cpu 1 30 & PIDS="$PIDS $!"
sleep 1.5
send0_ns=$(mono)
napi_traffic $COUNT 64
send1_ns=$(mono)
sleep 0.3
write_ns=$(mono)
{ "$BLKWRITE" pwrite "$LOOP_DEV" 4096 1; } >/dev/null 2>&1
# SIGUSR1: the record so far, and the session goes on
kill -USR1 $kpid
wait_for "$TMP/rec.err" SIGUSR1
"$KS" report "$rec" >"$TMP/parts1" 2>&1
[ "$(awk '{ print $1 }' "$TMP/parts1" | paste -sd,)" = damontop,napitop,coretop,iofilter ] && kill -0 $kpid
ok $? "SIGUSR1 writes the record so far, the session goes on: $(grep SIGUSR1 "$TMP/rec.err")"
sleep 1
kill -INT $kpid
wait $kpid
rc=$?
kill $PIDS 2>/dev/null
wait $PIDS 2>/dev/null
PIDS=
[ $rc = 0 ] && grep -q '^kscope: recording mem napi cores io to ' "$TMP/rec.err" &&
	grep -q 'stopped by a signal' "$TMP/rec.err" && [ ! -s "$TMP/rec.out" ]
ok $? "record --mem --napi --cores --io ends on SIGINT (exit $rc): $(tr '\n' ' ' <"$TMP/rec.err")"
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
[ $rc = 0 ] && [ "$(awk '{ print $1 }' "$TMP/parts" | paste -sd,)" = damontop,napitop,coretop,iofilter ]
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

# --- kscope report: the lanes on one time axis ------------------------------------
"$KS" report "$rec" --format json >"$TMP/lanes.json" 2>"$TMP/lanes.err"
rc=$?
# LANE: "name|what": its total, and its points' sum over time (the counts
# between the first refresh and the last; a share's in seconds)
lane() {
	perl -MJSON::PP -e 'my ($name, $what) = split /\|/, $ARGV[0];
		local $/; my $j = decode_json(<STDIN>);
		my ($l) = grep { $_->{name} eq $name && $_->{what} eq $what } @{$j->{lanes}};
		$l or exit 1;
		my $sum = 0; $sum += $_->[2] * ($_->[1] - $_->[0]) for @{$l->{points}};
		$sum /= 100 if $l->{unit} eq "%";
		printf "%s %s\n", $l->{total}, $sum' "$1" <"$TMP/lanes.json"
}
vb_id=$(perl -MJSON::PP -e 'my $j = decode_json(<STDIN>); print $_->{napi_id} for grep { $_->{dev} eq "vb" } @{$j->{napis}}' <"$TMP/napi.json" | head -1)
read -r ptotal psum < <(lane "vb napi $vb_id|packets")
[ $rc = 0 ] && [ "${ptotal:-x}" = "$packets" ] &&
	perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) <= 0.001 * $ARGV[1] + 1)' "${psum:-0}" "$ptotal"
ok $? "report --format json: vb napi $vb_id's packets lane totals $ptotal, as napitop's replay ($packets); its points add up to $psum"
read -r ctotal csum < <(lane "cpu0 (core 0)|conflict")
# (the total as JSON writes it: 9 significant digits)
perl -e 'exit !(abs($ARGV[0] - $ARGV[1] / 1e9) <= 1e-8 * $ARGV[0] && $ARGV[2] > 0)' \
	"${ctotal:-0}" "${conflict:-0}" "${csum:-0}"
ok $? "... cpu0's conflict lane totals $ctotal s, as coretop's replay (core 0: $conflict ns); over time $csum s"
# the markers in the lanes' time cells: the burners' start in cpu0's
# conflict (none before; in the cell holding it, over the cell before, the
# share of the cell after the start, give or take 10 points, that is 50
# ms: the test's own tasks conflict a few % before, 7% here once; most of
# the next), vb's packets within the send
perl -MJSON::PP -e '
	my ($burn, $s0, $s1, $id) = @ARGV;
	local $/; my $j = decode_json(<STDIN>);
	my %l = map { ("$_->{name}|$_->{what}" => $_) } @{$j->{lanes}};
	my $t0 = $j->{start_ns};
	$burn = ($burn - $t0) / 1e9; $s0 = ($s0 - $t0) / 1e9; $s1 = ($s1 - $t0) / 1e9;
	my ($bad, $cell, $next, $in, $all, $prev) = (0, undef, undef, 0, 0, 0);
	for my $p (@{$l{"cpu0 (core 0)|conflict"}{points}}) {
		my ($from, $to, $v) = @$p;
		$bad++, print "# conflict $v% in $from..$to, before the burners at $burn\n"
			if $to <= $burn && $v > 20;
		if ($from < $burn && $burn <= $to) {
			my $after = 100 * ($to - $burn) / ($to - $from);
			my $want = $after * (1 - $prev / 100);
			$cell = sprintf "%.3f..%.3f: %.0f%% over %.0f%% before it, %.0f%% of it after %.3f",
				$from, $to, $v - $prev, $prev, $after, $burn;
			$bad++ if abs($v - $prev - $want) > 10;
		}
		$prev = $v;
		$next //= sprintf("%.0f%%", $v), $bad += $v < 50 if $from >= $burn;
	}
	for my $p (@{$l{"vb napi $id|packets"}{points}}) {
		my ($from, $to, $v) = @$p;
		my $n = $v * ($to - $from);
		$all += $n;
		$in += $n if $to > $s0 && $from < $s1;
	}
	$bad++ unless defined $cell && defined $next && $all > 0 && $in >= 0.99 * $all;
	printf "conflict cell %s, the next %s; packets %.0f of %.0f in the cells of the send %.3f..%.3f\n",
		$cell // "none", $next // "none", $in // 0, $all // 0, $s0, $s1;
	exit($bad > 0)' "$burn_ns" "$send0_ns" "$send1_ns" "$vb_id" <"$TMP/lanes.json" >"$TMP/marks" 2>&1
ok $? "the markers in their time cells: $(tail -1 "$TMP/marks")"
[ $FAILED = 0 ] || diag "$(cat "$TMP/marks")"
# the other two views of the session: the working-set lane is damontop's
# own report of its part (its most, to the byte), the audited write a mark
# on its rule's lane at the write's time, counted once
"$BIN/damontop" report wss --json "$rec" >"$TMP/wss.json" 2>&1
perl -MJSON::PP -e '
	my ($json, $wss, $write) = @ARGV;
	open my $f, "<", $json or die; local $/; my $j = decode_json(<$f>);
	open my $g, "<", $wss or die; my $w = decode_json(<$g>);
	my ($m) = grep { $_->{what} eq "working set" } @{$j->{lanes}};
	my ($h) = grep { $_->{heat} } @{$j->{lanes}};
	my ($a) = grep { $_->{what} eq "audit" } @{$j->{lanes}};
	my @marks = @{$a->{marks} // []};
	my $off = @marks ? ($j->{start_ns} + $marks[0][0] * 1e9 - $write) / 1e6 : 1e9;
	printf "working set at most %.0f bytes (damontop report wss: %d), a %d x %d heatmap; %d mark %.1f ms after the write, total %s
",
		$m->{total} * 1048576, $w->{percentiles}{100}, scalar @{$h->{heat}{cells}}, $h->{heat}{rows},
		scalar @marks, $off, $a->{total};
	exit !(sprintf("%.0f", $m->{total} * 1048576) == $w->{percentiles}{100} && @{$h->{heat}{cells}} &&
	       @marks == 1 && $off >= 0 && $off < 50 && $a->{total} == 1)' \
	"$TMP/lanes.json" "$TMP/wss.json" "$write_ns" >"$TMP/memio" 2>&1
ok $? "the mem and io lanes: $(tail -1 "$TMP/memio")"

# the page: self-contained, its data the JSON's; in a browser, the lanes
# drawn, zoomed and read at a time from its address (#zoom=FROM,TO&at=T)
"$KS" report "$rec" -o "$TMP/report.html" 2>"$TMP/html.err"
rc=$?
perl -e 'local $/; my $h = <STDIN>;
	$h =~ m{<script id="data" type="application/json">\n(.*?)\n</script>}s or exit 1;
	print $1' <"$TMP/report.html" >"$TMP/embedded.json"
fetches=$(grep -oE '(src|href)=|url\(|@import|fetch\(|XMLHttpRequest|https?://[a-z./0-9]*' "$TMP/report.html" |
	grep -vx 'http://www.w3.org/2000/svg' | sort -u | tr '\n' ' ')
[ $rc = 0 ] && cmp -s "$TMP/embedded.json" "$TMP/lanes.json" && [ -z "$fetches" ]
ok $? "report -o report.html (exit $rc): one page, the JSON's lanes inside, nothing fetched${fetches:+: $fetches}"
if command -v chromium >/dev/null; then
	# chromium's log, the page's console among it (its errors, anything it logs)
	browse() { timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1400,900 \
		--enable-logging=stderr --v=0 "$@" 2>>"$TMP/chromium.err"; }
	at=$(perl -e 'printf "%.3f", (($ARGV[0] + $ARGV[1]) / 2 - $ARGV[2]) / 1e9' "$send0_ns" "$send1_ns" \
		"$(perl -MJSON::PP -e 'local $/; print decode_json(<STDIN>)->{start_ns}' <"$TMP/lanes.json")")
	from=$(perl -e 'printf "%.3f", $ARGV[0] > 1 ? $ARGV[0] - 1 : 0' "$at")
	to=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>)->{duration_s};
		printf "%.3f", $ARGV[0] + 1 < $d ? $ARGV[0] + 1 : $d' "$at" <"$TMP/lanes.json")
	browse --dump-dom "file://$TMP/report.html#zoom=$from,$to&at=$at" >"$TMP/dom.html"
	# what the page shows (the axis's range, the lanes drawn, the
	# readout's time) and what the JSON says of them, a line each, then
	# the packets lane's value at $at as the page shows it and as the
	# JSON has it
	perl -MJSON::PP -e '
		my ($json, $dom, $id, $at) = @ARGV;
		open my $f, "<", $json or die; local $/; my $j = decode_json(<$f>);
		open my $g, "<", $dom or die; my $d = <$g>;
		my ($from, $to) = $d =~ /id="axis"[^>]*data-from="([0-9.]+)" data-to="([0-9.]+)"/;
		my $plots = () = $d =~ /<svg class="plot"/g;
		my @v = $d =~ /<div class="v">([^<]*)</g;
		my ($i) = grep { $j->{lanes}[$_]{name} eq "vb napi $id" && $j->{lanes}[$_]{what} eq "packets" } 0 .. $#{$j->{lanes}};
		my ($p) = grep { $at > $_->[0] && $at <= $_->[1] } @{$j->{lanes}[$i]{points}};
		my $x = $p ? $p->[2] : -1; my $a = abs $x;
		my $want = $a >= 1e6 ? sprintf("%.2f M", $x / 1e6) : $a >= 1e4 ? sprintf("%.1f k", $x / 1e3) :
			   $a >= 100 ? sprintf("%.0f", $x) : $a >= 1 ? sprintf("%.2f", $x) : sprintf("%.3f", $x);
		my ($readout) = $d =~ /id="readout">at ([0-9.]+) s/;
		printf "%s %s %d %s\n%s %s %d %s\n%s\n%s\n", $from // "-", $to // "-", $plots, $readout // "-",
			$ARGV[4], $ARGV[5], scalar @{$j->{lanes}}, $at, $v[$i] // "-", "$want /s"' \
		"$TMP/lanes.json" "$TMP/dom.html" "$vb_id" "$at" "$from" "$to" >"$TMP/page"
	grep ':CONSOLE' "$TMP/chromium.err" >"$TMP/console"
	[ "$(sed -n 1p "$TMP/page")" = "$(sed -n 2p "$TMP/page")" ] &&
		[ "$(sed -n 3p "$TMP/page")" = "$(sed -n 4p "$TMP/page")" ] && [ ! -s "$TMP/console" ]
	ok $? "in chromium, #zoom=$from,$to&at=$at: no console message$(head -1 "$TMP/console" | sed 's/^/ but: /'); axis, lanes drawn, time read ($(sed -n 1p "$TMP/page"); the JSON: $(sed -n 2p "$TMP/page")), vb's packets there $(sed -n 3p "$TMP/page") (the JSON: $(sed -n 4p "$TMP/page"))"
	browse --screenshot="$TMP/report.png" "file://$TMP/report.html" >/dev/null
	[ "$(head -c 8 "$TMP/report.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] &&
		[ "$(stat -c %s "$TMP/report.png")" -gt 20000 ]
	ok $? "and a screenshot of it ($(stat -c %s "$TMP/report.png" 2>/dev/null) bytes)"
else
	skip "chromium is not installed: the page is not opened"
	skip "chromium is not installed: no screenshot"
fi
one_line_error "report -o with an unknown suffix" "what goes to" "$KS" report "$rec" -o "$TMP/r.txt"
one_line_error "report --format and --tool" "no --format" "$KS" report "$rec" --tool napitop --format json

# --- the io view: rules enforced for the session, their verdicts recorded -------
# a deny rule on the GPT (0-33) and an audit rule further on; one write at
# each, at known times (the deny's writer is killed: tier kill here)
"$KS" record -o "$TMP/io.kscope" -i 0.5 --io "dev=$LOOP_DEV sectors=0-33" \
	--io "dev=$LOOP_DEV sectors=2048-2055 action=audit" >/dev/null 2>"$TMP/io.err" &
kpid=$!
wait_for "$TMP/io.err" recording 100
drop_caches "$LOOP_DEV"
before=$(sectors_sum "$LOOP_DEV" 0 34)
sleep 0.5
deny_ns=$(mono)
{ "$BLKWRITE" pwrite "$LOOP_DEV" 8 1; } >/dev/null 2>&1
sleep 1
audit_ns=$(mono)
{ "$BLKWRITE" pwrite "$LOOP_DEV" 2048 1; } >/dev/null 2>&1
sleep 1
kill -INT $kpid
wait $kpid
rc=$?
drop_caches "$LOOP_DEV"
after=$(sectors_sum "$LOOP_DEV" 0 34)
[ $rc = 0 ] && grep -q "^iofilter: rule 1 'dev=$LOOP_DEV sectors=0-33': deny at " "$TMP/io.err" &&
	grep -q '^kscope: recording io to ' "$TMP/io.err"
ok $? "record --io RULE --io RULE (exit $rc): $(grep -E '^(iofilter: rule|kscope: recording)' "$TMP/io.err" | tr '\n' ' ')"
[ -n "$before" ] && [ "$before" = "$after" ]
ok $? "the deny rule held for the session: the GPT's sectors unchanged"
nothing_left "after the io view" "$PROGS"
"$BIN/iofilter" --replay "$TMP/io.kscope" --json >"$TMP/io.json" 2>"$TMP/io.replay"
rc=$?
[ $rc = 0 ] && grep -q '"rule":0,"action":"deny".*"denied":true' "$TMP/io.json" &&
	grep -q '"rule":1,"action":"audit".*"denied":false' "$TMP/io.json"
ok $? "iofilter --replay of its part: the refused write and the audited one ($(wc -l <"$TMP/io.json") verdicts)"
# the lanes: each rule's verdicts as marks at the writes' times, the
# totals as iofilter said them at the session's end ("N IOs matched, M
# denied")
"$KS" report "$TMP/io.kscope" --format json >"$TMP/io.lanes" 2>&1
perl -MJSON::PP -e '
	my ($lanes, $said, $deny, $audit) = @ARGV;
	local $/;
	open my $f, "<", $lanes or die; my $j = decode_json(<$f>);
	my ($hits, $denied) = $said =~ /(\d+) IOs matched, (\d+) denied/ or exit 1;
	my @l = grep { $_->{tool} eq "iofilter" } @{$j->{lanes}};
	my ($bad, $h, $d, @say) = (@l != 2, 0, 0);
	for my $r (0 .. $#l) {
		my $at = (($r ? $audit : $deny) - $j->{start_ns}) / 1e9;
		my @m = grep { $_->[0] >= $at && $_->[0] < $at + 0.5 } @{$l[$r]{marks}};
		$bad++ unless @m && $m[0][1] == ($r ? 0 : 1) && $l[$r]{total} >= 1;
		$h += $l[$r]{total};
		$d += $l[$r]{denied};
		push @say, sprintf("%s: %s at %+.0f ms of the write, %d IOs, %d denied", $l[$r]{name},
			@m ? ($m[0][1] ? "refused" : "allowed") : "no mark",
			@m ? ($m[0][0] - $at) * 1e3 : 0, $l[$r]{total}, $l[$r]{denied});
	}
	$bad++ unless $h == $hits && $d == $denied;
	printf "%s; in all %d IOs, %d denied (iofilter said %d, %d)\n", join("; ", @say), $h, $d, $hits, $denied;
	exit($bad > 0)' "$TMP/io.lanes" "$(grep 'IOs matched' "$TMP/io.err")" "$deny_ns" "$audit_ns" \
	>"$TMP/io.marks" 2>&1
ok $? "the io lanes: $(cat "$TMP/io.marks")"

# --- --trigger: the flight recorder writes at an incident --------------------------
# trigger_start FILE ERR SECONDS ARGS...: kscope record -o FILE ARGS... in
# vb's namespace ($kpid), SECONDS of it; $early: 0 if FILE was there by then
trigger_start() {
	local out=$1 err=$2 secs=$3
	shift 3
	ip netns exec "$NB" "$KS" record -o "$out" "$@" >/dev/null 2>"$err" &
	kpid=$!
	wait_for "$err" recording 100
	sleep "$secs"
	[ -e "$out" ]
	early=$?
}
# trigger_end ERR: once the trigger said so, the session ended (SIGINT), $?
trigger_end() {
	wait_for "$1" trigger 30
	kill -INT $kpid
	wait $kpid
}
# a refused IO: nothing written before it; at it, the last 2 s
trigger_start "$TMP/trig.kscope" "$TMP/trig.err" 3 --ring 2 -i 0.2 --napi --dev vb \
	--io "dev=$LOOP_DEV sectors=0-33" --trigger deny
deny_ns=$(mono)
{ "$BLKWRITE" pwrite "$LOOP_DEV" 8 1; } >/dev/null 2>&1
wait_for "$TMP/trig.err" trigger 30
cp "$TMP/trig.kscope" "$TMP/trig1.kscope" 2>/dev/null
trigger_end "$TMP/trig.err"
rc=$?
[ $rc = 0 ] && [ $early = 1 ] &&
	grep -q "^kscope: trigger: 1 IO refused: the record so far written to $TMP/trig.kscope\$" "$TMP/trig.err"
ok $? "--trigger deny: no file before the incident, written at it (exit $rc): $(grep trigger "$TMP/trig.err")"
"$KS" report "$TMP/trig1.kscope" --format json >"$TMP/trig.lanes" 2>&1
perl -MJSON::PP -e '
	my ($deny) = @ARGV; local $/; my $j = decode_json(<STDIN>);
	my ($io) = grep { $_->{tool} eq "iofilter" } @{$j->{lanes}};
	my ($napi) = grep { $_->{tool} eq "napitop" } @{$j->{lanes}};
	my @m = grep { $_->[1] } @{$io->{marks}};
	my $at = ($deny - $j->{start_ns}) / 1e9;
	my $span = $napi && @{$napi->{points}} ? $napi->{points}[-1][1] - $napi->{points}[0][0] : -1;
	printf "the refused write marked at %+.0f ms of it; %s points over %.2f s\n",
		@m ? ($m[0][0] - $at) * 1e3 : 0, $napi ? scalar @{$napi->{points}} : 0, $span;
	exit !(@m == 1 && abs($m[0][0] - $at) < 0.3 && $span > 1 && $span <= 2.2)' \
	"$deny_ns" <"$TMP/trig.lanes" >"$TMP/trig.out" 2>&1
ok $? "the record the trigger wrote: $(cat "$TMP/trig.out")"
# a core's conflict (what-if: the forced idle core scheduling would have
# caused) over 50% of a refresh: when the burners start
trigger_start "$TMP/fi.kscope" "$TMP/fi.err" 1 -i 0.2 --cores --smt-pairs 0-1 \
	--trigger forced-idle=50
t0=$(mono)
"$TOOLS/cpuburn" --cpu 0 3 & PIDS="$!"
"$TOOLS/cpuburn" --cpu 1 3 & PIDS="$PIDS $!"
wait_for "$TMP/fi.err" trigger 30
t1=$(mono)
trigger_end "$TMP/fi.err"
rc=$?
wait $PIDS 2>/dev/null
PIDS=
[ $rc = 0 ] && [ $early = 1 ] &&
	grep -qE '^kscope: trigger: core 0 in conflict ([5-9][0-9]|100)% of the last 0.2 s: the record so far written' "$TMP/fi.err" &&
	[ $((t1 - t0)) -lt 2000000000 ]
ok $? "--trigger forced-idle=50: written $(( (t1 - t0) / 1000000 )) ms after the burners started (exit $rc): $(grep trigger "$TMP/fi.err")"
nothing_left "after the triggers" "$PROGS"

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

# SIGKILL: no file before the first write (nothing half-made in its place),
# the record as SIGUSR1 wrote it after
ip netns exec "$NB" "$KS" record -o "$TMP/kill.kscope" -i 0.1 --napi >/dev/null 2>"$TMP/kill.err" &
kpid=$!
wait_for "$TMP/kill.err" recording
sleep 0.5
kill -KILL $kpid
wait $kpid 2>/dev/null
left=$(ls "$TMP" | grep '^kill\.kscope' | tr '\n' ' ')
[ -z "$left" ]
ok $? "killed (SIGKILL) before any write: no file left${left:+: $left}"
ip netns exec "$NB" "$KS" record -o "$TMP/kill.kscope" -i 0.1 --napi >/dev/null 2>"$TMP/kill.err" &
kpid=$!
wait_for "$TMP/kill.err" recording
sleep 0.5
kill -USR1 $kpid
wait_for "$TMP/kill.err" SIGUSR1
sleep 0.3
kill -KILL $kpid
wait $kpid 2>/dev/null
"$KS" report "$TMP/kill.kscope" >"$TMP/kill.parts" 2>&1 &&
	[ "$(ls "$TMP" | grep -c '^kill\.kscope')" = 1 ]
ok $? "killed after SIGUSR1: the record SIGUSR1 wrote, whole ($(awk '{ print $1 }' "$TMP/kill.parts"))"
nothing_left "after the kills" "$PROGS"

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
one_line_error "--trigger deny without the io view" "add --io RULE" "$KS" record -o "$TMP/t.kscope" --napi --trigger deny
one_line_error "a bad trigger" "forced-idle=PCT, PCT in 0-100" "$KS" record -o "$TMP/t.kscope" --trigger forced-idle=150
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
