#!/bin/bash
# A real program's heatmap at defaults, as the README tells a user to make
# it: a Python program builds a 1.5 M-entry dict, looks up a hot subset of
# it for 3 s, then sorts 2 M floats; `damontop record -c` and `damontop
# report heatmap` with no option.  The picture must show the memory: nine
# address rows in ten monitored at some time (the big unmapped gaps left
# out: the grey page of issue 15 had 99% of its rows never monitored; a
# mapping made after the last region update is never monitored, rightly
# grey), the heat in
# the program's anonymous memory and heap (its /proc/PID/maps, written by
# the program itself after it built the table and again after the sort: the
# sort's arenas are mapped late, and on a busy machine the sort is much of
# the run), and the PNG made.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v python3 >/dev/null || skip_all "python3 not installed"
# the interpreter itself: python3 on PATH may be a launcher (pyenv's shim is
# a bash script, 0.3 s here and longer on a loaded machine), and damontop
# would rightly draw bash's memory for that time, at addresses that are
# not Python's (CI of 83eafe5: 68% of the cells grey, 22% of the heat
# outside Python's heap)
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))') && [ -x "$py" ] ||
	skip_all "python3 does not say where its interpreter is"
plan 5

cat >"$TMP/table.py" <<'EOF'
import random, sys, time
table = {i: str(i) for i in range(1500000)}
with open(sys.argv[1], "w") as out:
    out.write(open("/proc/self/maps").read())
hot = list(range(0, 1500000, 50))
t = time.time()
while time.time() - t < 3:
    n = sum(len(table[k]) for k in hot)
floats = [random.random() for _ in range(2000000)]
floats.sort()
with open(sys.argv[1], "a") as out:
    out.write(open("/proc/self/maps").read())
EOF

"$BIN/damontop" record -o "$TMP/py.rec" -c "$py $TMP/table.py $TMP/maps" \
	>"$TMP/rec.out" 2>"$TMP/rec.err"
ok $? "record -c 'python3 table.py' at defaults: $(tail -1 "$TMP/rec.err" | cut -c1-120)"

"$BIN/damontop" report heatmap "$TMP/py.rec" --abs-addr -o "$TMP/py.tsv" 2>"$TMP/rep.err" &&
	"$BIN/damontop" report heatmap "$TMP/py.rec" -o "$TMP/py.png" 2>>"$TMP/rep.err" &&
	[ "$(head -c 8 "$TMP/py.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]
ok $? "report heatmap with no option: a TSV and a PNG $(head -1 "$TMP/rep.err")"

# cells and the rows never monitored; the heat (Hz x cells) that lies in
# the maps' anonymous memory and heap, of all the picture shows.  Not the
# share of grey cells: memory mapped during the run is grey until DAMON's
# next region update (a second) finds it, so that share follows how the
# program's memory grows against the run's length (18-35% here, 62% once
# in CI with the same program), not the axis
read -r cells nan rows never share <<<"$(perl -e '
	my ($tsv, $maps) = @ARGV;
	my @m;
	open(my $f, "<", $maps) or die "$maps: $!";
	while (<$f>) {
		my ($lo, $hi, $perm, $name) = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/ or next;
		push @m, [hex($lo), hex($hi)] if $perm =~ /^rw/ && ($name eq "" || $name eq "[heap]");
	}
	open(my $t, "<", $tsv) or die "$tsv: $!";
	my ($n, $nan, $all, $in, %rows, %seen) = (0, 0, 0, 0);
	while (<$t>) {
		next if /^#/;
		my (undef, $a, $h) = split /\t/;
		chomp $h;
		$n++;
		$rows{$a} = 1;
		if ($h eq "NaN") { $nan++; next }
		$seen{$a} = 1;
		$all += $h;
		$in += $h if grep { $a >= $_->[0] && $a < $_->[1] } @m;
	}
	printf "%d %d %d %d %.3f\n", $n, $nan, scalar(keys %rows),
		scalar(grep { !$seen{$_} } keys %rows), $all ? $in / $all : 0;' "$TMP/py.tsv" "$TMP/maps")"
[ "${rows:-0}" -gt 0 ] && [ $((${never:-1} * 10)) -le "$rows" ]
ok $? "the address rows are monitored at some time: ${never:-?} of ${rows:-?} never ($((cells - nan)) of $cells cells monitored)"
# what to look at when it is not so (CI of 30c7913: 113 of 200 rows never,
# not reproduced here): the session's summary, its plan, and when the
# mappings and the aggregations came
if [ $((${never:-1} * 10)) -gt "${rows:-0}" ]; then
	diag "$(cat "$TMP/rec.err")"
	diag "$("$BIN/damontop" --replay "$TMP/py.rec" --batch 2>&1 | head -3)"
	diag "$("$BIN/damontop" report regions "$TMP/py.rec" 2>&1 | head -5)"
fi
perl -e 'exit !($ARGV[0] >= 0.8)' "${share:-0}"
ok $? "the heat lies in the program's heap and anonymous memory: $share of it"
nothing_left "after record and report" "$DAMONTOP_PROGS"
[ $FAILED = 0 ] || diag "$(cat "$TMP/rec.err" "$TMP/rep.err")"
done_testing
