# Host side of tests/35-damontop-rates.sh: each source's heatmap reads
# accessgen's rates in Hz (tools/rates_check, after the first 2 s, given
# 1 / the record's shortest sampling interval as the most heat can read:
# tests/integ/damontop_rates.t says why it matters), every region judged.  The kernel DAMON
# source is judged where the guest's kernel has DAMON vaddr
# (tests/vm/features); elsewhere the guest said why it skipped.
. "$KSCOPE_TOP/tests/vm/guest/lib.sh"
f=$KSCOPE_FILES
sources=$(damon_sources)
echo "1..$(echo $sources | wc -w)"
for src in $sources; do
	if [ ! -s "$f/$src.rates.agen" ] || [ ! -s "$f/$src.rates.tsv" ] ||
	   [ ! -s "$f/$src.rates.sample" ]; then
		echo "not ok - the heatmap reads the rates ($src): no accessgen output, TSV or sampling interval from the guest"
		continue
	fi
	max_hz=$(awk '$1 > 0 { printf "%g", 1e9 / $1 }' "$f/$src.rates.sample")
	out=$("$KSCOPE_TOP/tools/rates_check" "$f/$src.rates.agen" "$f/$src.rates.tsv" 2 "${max_hz:-0}" 2>&1)
	# and every region judged: a sampling too slow to show the rates
	# leaves them unjudged, which must not pass
	[ $? = 0 ] && grep -q ' 0 not judged;' <<<"$(tail -1 <<<"$out")"
	ok $? "the heatmap reads the rates in Hz, every region judged ($src, at most ${max_hz:-?}: $(tail -1 <<<"$out"))"
	sed 's/^/# /' <<<"$out"
	sed 's/^/# /' "$f/$src.rates.err"
done
