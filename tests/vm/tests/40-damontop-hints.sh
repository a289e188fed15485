# damontop says in one line what this kernel cannot do for it: with
# soft-dirty tracking configured (VmFlags "sd" in smaps, as on Debian's
# kernels) clear_refs cannot flush the TLB for it, so --clear refs and
# --scan print a hint; on a kernel without it they print none.
. /kscope/lib.sh

if grep -q '^VmFlags:.* sd' /proc/self/smaps; then
	soft_dirty=1 want="one hint line"
else
	soft_dirty=0 want="no hint"
fi
for mode in "--clear refs" "--scan"; do
	damontop --source pte $mode --json -d 1.5 -c 'accessgen random --regions 1 --size 4M --duration 10' \
		>hint.out 2>hint.err
	rc=$?
	hints=$(grep -c 'hint:.*soft-dirty' hint.err)
	if [ $soft_dirty = 1 ]; then
		[ $rc = 0 ] && [ "$hints" = 1 ]
	else
		[ $rc = 0 ] && [ "$hints" = 0 ]
	fi
	ok $? "damontop $mode, soft-dirty $soft_dirty: $want (exit $rc, $hints)"
	diag "$(grep -v '^damontop: .* after ' hint.err)"
done
nothing_left "after the hints" walk_task
exit 0
