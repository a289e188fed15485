#!/bin/bash
# damontop's heat against the truth, and its cost, by target size: damontop
# calibrate (its own workload touched 97.3, 48.7 and 1.9 times a second, the rest
# of the size resident and untouched) at defaults, RUNS runs per size.  The
# slowdown is a ratio against the same workload unmonitored, in the same
# run (calibrate's first second); the table in damontop(8) OVERHEAD is this
# output.
# usage: bench/damontop_calibrate.sh [RUNS [SIZE...]]   (needs root; make bench)
set -u
BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
runs=${1:-2}
shift
sizes=${*:-33M 1G 4G}

printf '%-6s %-16s %-22s %-12s %-5s %-6s %s\n' size "sample x N" "heat 97/49/1.9 Hz" \
	"hot prec/rec" WSS CPU slowdown
for size in $sizes; do
	for _ in $(seq "$runs"); do
		"$BUILD/bin/damontop" calibrate --size "$size" --json 2>/dev/null ||
			echo "{\"failed\":\"$size\"}"
	done
done | perl -MJSON::PP -ne '
	my $j = decode_json($_);
	if ($j->{failed}) { print "$j->{failed}: calibrate failed\n"; next }
	printf "%-6s %-16s %-22s %-12s %-5s %-6s %+.1f%%\n",
		sprintf("%.0fM", $j->{size_bytes} / 1048576),
		sprintf("%.1f ms x %d", $j->{sample_ns} / 1e6, $j->{aggr_ns} / $j->{sample_ns}),
		join("/", map { sprintf "%.1f", $_->{heat_hz} } @{$j->{rates}}),
		sprintf("%.2f/%.2f", $j->{hot_precision}, $j->{hot_recall}),
		sprintf("%.0f%%", 100 * $j->{wss_median_error}),
		sprintf("%.2f%%", $j->{cpu_pct}), $j->{target_slowdown_pct}'
