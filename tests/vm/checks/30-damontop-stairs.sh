# Host side of tests/30-damontop-stairs.sh: the guest's heatmap shows the
# stairs (the second round judged: phases 6 to 11, one allowed to miss as
# on the host: tests/integ/damontop_stairs.t says why).
f=$KSCOPE_FILES
if [ ! -s "$f/stairs.agen" ] || [ ! -s "$f/stairs.tsv" ]; then
	echo "not ok - the heatmap shows the stairs: no accessgen output or TSV from the guest"
	exit 0
fi
out=$("$KSCOPE_TOP/tools/stairs_check" "$f/stairs.agen" "$f/stairs.tsv" 0.8 6 1 2>&1)
rc=$?
[ $rc = 0 ] && echo "ok - the heatmap shows the stairs ($(tail -1 <<<"$out"))" ||
	echo "not ok - the heatmap shows the stairs ($(tail -1 <<<"$out"))"
sed 's/^/# /' <<<"$out"
sed 's/^/# /' "$f/stairs.err"
