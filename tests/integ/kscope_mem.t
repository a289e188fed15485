#!/bin/bash
# kscope record --mem: damontop's view in the session.  It follows the
# command (accessgen's stairs) beside the cores view; damontop's own
# --replay and reports open its part, the stairs are in damontop's heatmap
# of it and in the report's heat lane, the working-set lane is damontop's
# own report of the part, and the page draws the heatmap cell by cell.
# --ring keeps only the last aggregations; --trigger wss writes when the
# working set jumps; -p follows a running process until it exits.  Bad
# input is one line; nothing stays attached.
. "$(dirname "$0")/lib.sh"
need_bpf
[ "$(nproc)" -ge 2 ] || skip_all "needs two CPUs"
plan 19

KS=$BIN/kscope
PIDS=
CLEANUP='[ -n "$PIDS" ] && kill $PIDS 2>/dev/null; '${CLEANUP:-}
PROGS="$DAMONTOP_PROGS|$CORETOP_PROGS"
rec=$TMP/m.kscope

# --- the mem view follows the command ---------------------------------------------
# six regions of 10 MiB, 1.5 s each; the session ends with it
"$KS" record -o "$rec" --mem --cores --smt-pairs 0-1 -i 0.5 -- \
	"$TOOLS/accessgen" stairs --regions 6 --size 10M --phase 1.5s --rounds 1 \
	>"$TMP/agen.out" 2>"$TMP/rec.err"
rc=$?
[ $rc = 0 ] && grep -q '^kscope: recording mem cores to' "$TMP/rec.err" &&
	grep -q '(the command ended)$' "$TMP/rec.err"
ok $? "record --mem --cores -- accessgen (exit $rc): $(tr '\n' ' ' <"$TMP/rec.err")"
agen_pid=$(awk '/^pid/ {print $2}' "$TMP/agen.out")

"$BIN/damontop" --replay "$rec" --json >"$TMP/replay.json" 2>"$TMP/replay.err"
rc=$?
snaps=$(wc -l <"$TMP/replay.json")
target=$("$BIN/damontop" report wss "$rec" 2>&1 | head -1)
[ $rc = 0 ] && [ "$snaps" -ge 10 ] && [ "$target" = "# working set size of pid $agen_pid (accessgen), $snaps snapshots" ]
ok $? "damontop --replay of the record: $snaps aggregations (exit $rc); its report: $target"

# the stairs: the first phase is not judged (the monitor starts on the
# command as it starts, and its regions need a few aggregations to
# settle); one of the others may miss, as in damontop_stairs.t
"$BIN/damontop" report heatmap --format tsv --abs-time --abs-addr "$rec" >"$TMP/heat.tsv" 2>"$TMP/heat.err"
out=$("$SRC_TOOLS/stairs_check" "$TMP/agen.out" "$TMP/heat.tsv" 0.8 1 1 2>&1)
ok $? "damontop report heatmap of the record shows the stairs: $(tail -1 <<<"$out")"

"$KS" report "$rec" --tool damontop -o "$TMP/mem.rec" 2>"$TMP/export.err" &&
	"$BIN/damontop" report wss --json "$TMP/mem.rec" >"$TMP/wss.export" &&
	"$BIN/damontop" report wss --json "$rec" >"$TMP/wss.json" &&
	cmp -s "$TMP/wss.export" "$TMP/wss.json" && [ "$(head -c 8 "$TMP/mem.rec")" = KSCOPREC ]
ok $? "--tool damontop exports its record, damontop's reports of it as of the record: $(cat "$TMP/wss.json")"

# --- the lanes: the working set and the heatmap -----------------------------------
"$KS" report "$rec" --format json >"$TMP/lanes.json" 2>"$TMP/lanes.err"
ok $? "report --format json: $(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>);
	print join ", ", map { "$_->{name} $_->{what}" } @{$d->{lanes}}' <"$TMP/lanes.json")"
# the working-set lane: a point an aggregation, its largest damontop's
# own largest working set of the part, to the byte
perl -MJSON::PP -e '
	local $/; open my $f, "<", $ARGV[0] or die; my $d = decode_json(<$f>);
	open my $g, "<", $ARGV[1] or die; my $w = decode_json(<$g>);
	my ($l) = grep { $_->{what} eq "working set" } @{$d->{lanes}};
	my $max = $l->{total} * 1048576;
	printf "%d points, %d aggregations; the most %.0f bytes, damontop report wss: %d\n",
		scalar @{$l->{points}}, $w->{snapshots}, $max, $w->{percentiles}{100};
	exit !(@{$l->{points}} == $w->{snapshots} && sprintf("%.0f", $max) == $w->{percentiles}{100})' \
	"$TMP/lanes.json" "$TMP/wss.json" >"$TMP/wss.out"
ok $? "the working-set lane is damontop's report of the part: $(cat "$TMP/wss.out")"
# the heat lane as damontop's TSV (each time cell's start, each address
# cell's start, its heat), judged by the same stairs_check
perl -MJSON::PP -e '
	local $/; my $d = decode_json(<STDIN>);
	my ($l) = grep { $_->{heat} } @{$d->{lanes}} or exit 1;
	my $h = $l->{heat};
	for my $c (@{$h->{cells}}) {
		my $t = sprintf "%.0f", $d->{start_ns} + $c->[0] * 1e9;
		for my $i (0 .. $#{$c->[2]}) {
			my ($off, $addr) = ($i * $h->{row_bytes});
			for my $s (@{$h->{spans}}) {
				if ($off < $s->[1] - $s->[0]) { $addr = $s->[0] + $off; last }
				$off -= $s->[1] - $s->[0];
			}
			printf "%s\t%s\t%s\n", $t, $addr, $c->[2][$i] // "nan";
		}
	}' <"$TMP/lanes.json" >"$TMP/lane.tsv"
cells=$(perl -MJSON::PP -e 'local $/; my $d = decode_json(<STDIN>); my ($l) = grep { $_->{heat} } @{$d->{lanes}};
	printf "%d x %d", scalar @{$l->{heat}{cells}}, $l->{heat}{rows}' <"$TMP/lanes.json")
out=$("$SRC_TOOLS/stairs_check" "$TMP/agen.out" "$TMP/lane.tsv" 0.8 1 1 2>&1)
ok $? "the heat lane ($cells cells) shows the stairs: $(tail -1 <<<"$out")"

"$KS" report "$rec" -o "$TMP/report.html" 2>"$TMP/html.err"
rc=$?
if command -v chromium >/dev/null; then
	timeout 120 chromium --headless --no-sandbox --disable-gpu --window-size=1400,900 \
		--enable-logging=stderr --v=0 --dump-dom "file://$TMP/report.html" \
		>"$TMP/dom.html" 2>"$TMP/chromium.err"
	grep ':CONSOLE' "$TMP/chromium.err" >"$TMP/console"
	drawn=$(grep -o '<rect [^>]*class="cell"' "$TMP/dom.html" | wc -l)
	want=$(perl -e '$_ = shift; my ($t, $a) = /(\d+) x (\d+)/; print $t * $a' "$cells")
	[ $rc = 0 ] && [ "$drawn" = "$want" ] && grep -q 'data-lane="pid [0-9]* (accessgen) heat"' "$TMP/dom.html" &&
		[ ! -s "$TMP/console" ]
	ok $? "the page in chromium draws the heat lane cell by cell: $drawn of $want ($cells); no console message$(head -1 "$TMP/console" | sed 's/^/ but: /')"
else
	skip "chromium is not installed: the page is not opened"
fi

# --- --ring: the last aggregations only ------------------------------------------
# 5 s of random accesses, a 2 s ring: the part holds its last 2 s
"$KS" record -o "$TMP/ring.kscope" --mem --ring 2 -i 0.2 -- \
	"$TOOLS/accessgen" random --regions 1 --size 8M --duration 5 >/dev/null 2>"$TMP/ring.err"
rc=$?
"$BIN/damontop" --replay "$TMP/ring.kscope" --json >"$TMP/ring.json" 2>&1
perl -MJSON::PP -e '
	my @t = map { decode_json($_)->{time_ns} } <STDIN>;
	my $span = ($t[-1] - $t[0]) / 1e9;
	printf "%d aggregations over %.2f s\n", scalar @t, $span;
	exit !(@t >= 4 && $span <= 2.0 && $span >= 1.0)' <"$TMP/ring.json" >"$TMP/ring.out"
[ $rc = 0 ] && [ -s "$TMP/ring.json" ]
ok $? "--ring 2: the part holds the last 2 s of a 5 s session (exit $rc): $(cat "$TMP/ring.out")"

# --- --trigger wss: the working set jumps -------------------------------------------
# 3 s on 8 MiB, then 3 s on 72: the record is written once the jump is seen
cat >"$TMP/jump.cfg" <<EOF
small, 8M
large, 64M

small
3s
small, 0, 4096, 1

both
3s
small, 0, 4096, 1
large, 0, 4096, 1
EOF
trig=$TMP/trig.kscope
"$KS" record -o "$trig" --mem --ring 10 --trigger wss=200 -i 0.25 -- \
	"$TOOLS/accessgen" -f "$TMP/jump.cfg" >"$TMP/jump.out" 2>"$TMP/trig.err" &
kpid=$!
PIDS=$kpid
seen_ns=
while kill -0 $kpid 2>/dev/null; do
	[ -z "$seen_ns" ] && [ -e "$trig" ] && seen_ns=$(mono)
	sleep 0.05
done
wait $kpid
rc=$?
PIDS=
jump_ns=$(awk '$1 == "phase" && $2 == 1 {print $3}' "$TMP/jump.out")
after=$(( (${seen_ns:-0} - ${jump_ns:-0}) / 1000000 ))
[ $rc = 0 ] && [ -n "$seen_ns" ] && [ -n "$jump_ns" ] && [ $after -ge 0 ] && [ $after -le 2500 ] &&
	grep -q 'trigger: the working set grew from' "$TMP/trig.err"
ok $? "--trigger wss=200: written $after ms after the jump (exit $rc): $(grep trigger "$TMP/trig.err")"

# --- -p: a running process, until it exits ----------------------------------------
"$TOOLS/accessgen" random --regions 1 --size 8M --duration 3 >"$TMP/p.out" &
apid=$!
PIDS=$apid
wait_for "$TMP/p.out" '^region'
"$KS" record -o "$TMP/p.kscope" --mem -p $apid -i 0.5 -d 30 2>"$TMP/p.err"
rc=$?
wait $apid
PIDS=
target=$("$BIN/damontop" report wss "$TMP/p.kscope" 2>&1 | head -1)
[ $rc = 0 ] && grep -q "(the mem view's process ended)" "$TMP/p.err" &&
	grep -q "^# working set size of pid $apid (accessgen), [1-9]" <<<"$target"
ok $? "--mem -p PID ends when it exits (exit $rc): $(tail -1 "$TMP/p.err"); $target"

# --- bad input: one line ----------------------------------------------------------
one_line_error "--mem of nothing" "--mem of what" "$KS" record -o "$TMP/x" --mem
one_line_error "-p without --mem" "mem view's" "$KS" record -o "$TMP/x" -p 1
one_line_error "a bad pid" "bad pid" "$KS" record -o "$TMP/x" --mem -p 12x
one_line_error "a bad wss trigger" "bad trigger" "$KS" record -o "$TMP/x" --mem -p 1 --trigger wss=x
one_line_error "--trigger wss without the mem view" "add --mem" "$KS" record -o "$TMP/x" --cores \
	--trigger wss=50
dead=$(sh -c 'echo $$')
one_line_error "--mem -p of a process that is gone" "mem left out: cannot attach to pid $dead" \
	"$KS" record -o "$TMP/x" --mem -p "$dead" -d 1
[ ! -e "$TMP/x" ]
ok $? "and no file left by any of them"
nothing_left "after every session" "$PROGS"
done_testing
