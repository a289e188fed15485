# Host side of tests/30-damontop-stairs.sh: each source's heatmap shows the
# stairs (the second round judged: phases 6 to 11, one allowed to miss as
# on the host: tests/integ/damontop_stairs.t says why).
f=$KSCOPE_FILES
for src in pte damon; do
	if [ ! -s "$f/$src.stairs.agen" ] || [ ! -s "$f/$src.stairs.tsv" ]; then
		# the guest said why (a skip) when its kernel has no DAMON vaddr
		[ $src = damon ] && continue
		echo "not ok - the heatmap shows the stairs ($src): no accessgen output or TSV from the guest"
		continue
	fi
	out=$("$KSCOPE_TOP/tools/stairs_check" "$f/$src.stairs.agen" "$f/$src.stairs.tsv" 0.8 6 1 2>&1)
	rc=$?
	[ $rc = 0 ] && echo "ok - the heatmap shows the stairs ($src: $(tail -1 <<<"$out"))" ||
		echo "not ok - the heatmap shows the stairs ($src: $(tail -1 <<<"$out"))"
	sed 's/^/# /' <<<"$out"
	sed 's/^/# /' "$f/$src.stairs.err"
done
