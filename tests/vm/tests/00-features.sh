# The features table (tests/vm/features) tells the truth about this
# guest's kernel: every row, asked of the kernel without kscope's tools,
# agrees with what the table says.  The other tests skip a part only
# where the table says the kernel lacks it, so a wrong "no" here would
# hide a broken tool, and a wrong "yes" would fail a working one.
. /kscope/lib.sh

# yes_no STATUS: 0 yes, 1 no, anything else: the table or probe is missing
yes_no() { case $1 in 0) echo yes ;; 1) echo no ;; *) echo "unknown ($1)" ;; esac; }

for f in $(features); do
	expects $f
	want=$(yes_no $?)
	kernel_has $f
	got=$(yes_no $?)
	[ "$want" = "$got" ] && { [ "$want" = yes ] || [ "$want" = no ]; }
	ok $? "$KSCOPE_GUEST has $f: table $want, kernel $got"
done
exit 0
