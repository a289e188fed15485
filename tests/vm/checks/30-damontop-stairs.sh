# Host side of tests/30-damontop-stairs.sh: each source's heatmap shows the
# stairs (the second round judged: phases 6 to 11, one allowed to miss as
# on the host: tests/integ/damontop_stairs.t says why).  The kernel DAMON
# source is judged where the guest's kernel has DAMON vaddr
# (tests/vm/features); elsewhere the guest said why it skipped.
. "$KSCOPE_TOP/tests/vm/guest/lib.sh"
f=$KSCOPE_FILES
sources=$(damon_sources)
echo "1..$(echo $sources | wc -w)"
for src in $sources; do
	if [ ! -s "$f/$src.stairs.agen" ] || [ ! -s "$f/$src.stairs.tsv" ]; then
		echo "not ok - the heatmap shows the stairs ($src): no accessgen output or TSV from the guest"
		continue
	fi
	out=$("$KSCOPE_TOP/tools/stairs_check" "$f/$src.stairs.agen" "$f/$src.stairs.tsv" 0.8 6 1 2>&1)
	ok $? "the heatmap shows the stairs ($src: $(tail -1 <<<"$out"))"
	sed 's/^/# /' <<<"$out"
	sed 's/^/# /' "$f/$src.stairs.err"
done
