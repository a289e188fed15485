#!/bin/bash
# damo 3.3.0 itself (../shared/reference/damo, tools/damo_lib.sh) reads the
# files damontop writes in damo's format, and reports what damontop reports
# of them: the damo fixture converted to our format and back (`report
# convert --format damo`), and a live `record --format damo` of accessgen
# (that part needs root and BPF).  The same wss percentiles and average,
# and the same heatmap cell for cell, as damontop's of the same file; the
# heatmaps at damo's spelling `--resol T A`, which damontop takes too (and
# that is checked first, without damo).
. "$(dirname "$0")/lib.sh"
. "$SRC_TOOLS/damo_lib.sh"

TOP=${KSCOPE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=${KSCOPE_FIXTURES:-$TOP/../shared/fixtures}/damo/paddr-kdamond.damon.data
dt=$BIN/damontop
agen=$TOOLS/accessgen

[ -r "$FIXTURE" ] || skip_all "no damo fixture at $FIXTURE"
plan 14

# damo's spelling of --resol is ours too, and the same thing
"$dt" report heatmap "$FIXTURE" --resol 30,50 >"$TMP/comma.tsv" &&
	"$dt" report heatmap "$FIXTURE" --resol 30 50 >"$TMP/space.tsv" &&
	"$dt" report --resol 30 50 heatmap "$FIXTURE" >"$TMP/first.tsv" &&
	cmp -s "$TMP/comma.tsv" "$TMP/space.tsv" && cmp -s "$TMP/comma.tsv" "$TMP/first.tsv" &&
	[ "$(grep -vc '^#' "$TMP/comma.tsv")" = 1500 ]
ok $? "--resol 30 50 (damo's) is --resol 30,50, before or after the report's name"
one_line_error "--resol with one number" "bad resolution '30'" \
	"$dt" report heatmap "$FIXTURE" --resol 30
one_line_error "--resol T and a word" "bad resolution '30 x'" \
	"$dt" report heatmap "$FIXTURE" --resol 30 x

if ! damo_setup "$TMP"; then
	for i in $(seq 11); do skip "damo 3.3.0 cannot run: $DAMO_WHY"; done
	done_testing
fi

# damo's heat model and address axis where damontop offers others (its
# defaults: heat counted once, every mapped span)
heat_model=(--heat-model damo-3.3 --draw-range hottest)

# wss_agree NAME FILE: damo's wss percentiles (0, 25, ..., 100) and
# average of FILE are damontop's
wss_agree() {
	local d o
	d=$(damo_run report wss --input "$2" --exclude_samples 0 --raw_number \
		--range 0 101 25 2>"$TMP/damo.err" |
		awk '/^# avr:/ { a = $3 } /^ *[0-9]+ +[0-9]+ / { p = p " " $2 }
			END { print a p }')
	o=$("$dt" report wss --json "$2" | perl -MJSON::PP -ne '$j = decode_json($_);
		print join(" ", $j->{avg_bytes}, map { $j->{percentiles}{$_} } 0, 25, 50, 75, 100)')
	[ -n "$d" ] && [ "$d" = "$o" ]
	ok $? "$1: damo's wss (avg, percentiles) '$d' is damontop's '$o'$(
		[ -s "$TMP/damo.err" ] && echo "; damo: $(tail -1 "$TMP/damo.err")")"
}

# heat_agree NAME FILE T A: damo's raw heatmap of FILE at T x A cells is
# damontop's (--resol T A, damo's spelling), cell for cell
heat_agree() {
	damo_run report heatmap --input "$2" --output raw --resol "$3" "$4" \
		>"$TMP/damo.tsv" 2>"$TMP/damo.err"
	"$dt" report heatmap "$2" --resol "$3" "$4" "${heat_model[@]}" \
		>"$TMP/ours.tsv" 2>"$TMP/ours.err"
	perl -e '
		open(my $d, "<", $ARGV[0]) or die; open(my $o, "<", $ARGV[1]) or die;
		my @d = grep { !/^#/ } <$d>; my @o = grep { !/^#/ } <$o>;
		my ($n, $heat, $bad) = (scalar @d, 0, 0);
		$bad++ if $n != $ARGV[2] || @o != $n;
		for my $i (0 .. $#d) {
			my @x = split /\s+/, $d[$i]; my @y = split /\s+/, $o[$i] // "";
			if ($x[0] != $y[0] || $x[1] != $y[1]) { $bad++; next }
			if ($x[2] eq "NaN" || $y[2] eq "NaN") { $bad++ if $x[2] ne $y[2]; next }
			$heat++ if $x[2] > 0;
			$bad++ if abs($x[2] - $y[2]) > 1e-9 * (abs($x[2]) + 1e-300);
		}
		print "$n cells, $heat with heat, $bad differ\n";
		exit !($bad == 0 && $heat > 0)' "$TMP/damo.tsv" "$TMP/ours.tsv" $(($3 * $4)) \
		>"$TMP/cmp" 2>&1
	ok $? "$1: damo's heatmap at $3x$4 is damontop's: $(cat "$TMP/cmp")$(
		[ -s "$TMP/damo.err" ] && echo "; damo: $(tail -1 "$TMP/damo.err")")"
}

# the fixture to our format and back to damo's: damo reads our writer's text
"$dt" report convert "$FIXTURE" -o "$TMP/fx.rec" &&
	"$dt" report convert "$TMP/fx.rec" --format damo -o "$TMP/fx.damon.data"
ok $? "report convert: damo's record to ours and back to damo's format"
wss_agree "damo's record" "$FIXTURE"
wss_agree "converted back" "$TMP/fx.damon.data"
heat_agree "damo's record" "$FIXTURE" 40 80
heat_agree "converted back" "$TMP/fx.damon.data" 40 80
heat_agree "converted back" "$TMP/fx.damon.data" 500 500

# a live record in damo's format, read by damo
why=
[ "$(id -u)" = 0 ] || why="needs root"
[ -z "$why" ] && [ ! -r /sys/kernel/btf/vmlinux ] && why="kernel has no BTF"
[ -z "$why" ] && ! command -v bpftool >/dev/null && why="bpftool not installed"
if [ -n "$why" ]; then
	for i in 1 2 3 4 5; do skip "record --format damo: $why"; done
	done_testing
fi
"$dt" record --format damo --budget 5 -o "$TMP/live.damon.data" -d 3 \
	-c "$agen stairs --regions 4 --size 4M --phase 1s --duration 6" >/dev/null 2>"$TMP/rec.err"
rc=$?
n=$("$dt" report wss --json "$TMP/live.damon.data" 2>/dev/null | sed -n 's/.*"snapshots":\([0-9]*\).*/\1/p')
[ $rc = 0 ] && [ "${n:-0}" -ge 5 ]
ok $? "record --format damo: exit $rc, ${n:-no} snapshots$([ $rc != 0 ] && echo ": $(tail -1 "$TMP/rec.err")")"
nothing_left "after record --format damo" "$DAMONTOP_PROGS"
d=$(damo_run report wss --input "$TMP/live.damon.data" --exclude_samples 0 \
	--raw_number --all_wss --sortby time 2>&1 | grep -cE '^[0-9]+ [0-9]+$')
[ "$d" = "$n" ]
ok $? "damo reads every snapshot of it ($d of $n)"
wss_agree "live record" "$TMP/live.damon.data"
heat_agree "live record" "$TMP/live.damon.data" 40 80
done_testing
