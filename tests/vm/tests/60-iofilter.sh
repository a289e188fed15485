# iofilter's strongest tiers where the guest kernel has them: bio
# (fmod_ret on should_fail_bio: function error injection) and lsm (BPF
# LSM in the active list), each against every write method of blkwrite on
# a loop device, judged by the protected bytes read back from the device;
# writes elsewhere still land; and tier bio refuses filesystem writeback
# (a file written on a mounted ext2 never reaches the device).  A tier
# this kernel lacks (tests/vm/features: bio needs error_injection, lsm
# needs bpf_lsm) is a skip with iofilter's own reason; a tier it has must
# enforce.
# kscope-timeout: 240
. /kscope/lib.sh

[ -e /dev/loop-control ] || insmod /kscope/modules/loop.ko 2>/dev/null
newloop() {	# newloop FILE MB: prints the loop device
	dd if=/dev/zero of="$1" bs=1M count="$2" 2>/dev/null
	d=$(losetup -f) && losetup "$d" "$1" && echo "$d"
}
dev=$(newloop /tmp/disk.img 16)
if [ -z "$dev" ]; then
	refused loop "iofilter on a loop device" "no loop device in this guest"
	exit 0
fi
# a known background in and around the protected range
blkwrite pwrite "$dev" 0 64 0x3c >/dev/null
prot_sum() {
	blockdev --flushbufs "$dev"
	dd if="$dev" bs=512 count=34 2>/dev/null | md5sum | cut -d' ' -f1
}

pattern=0x70
for tier in bio lsm; do
	pattern=$((pattern + 1))
	feature=error_injection
	[ $tier = lsm ] && feature=bpf_lsm
	iofilter --tier $tier --json --rule "dev=$dev sectors=0-33" >$tier.json 2>$tier.err &
	pid=$!
	wait_for $tier.err 'enforcing\|cannot\|not available' 300
	if ! grep -q enforcing $tier.err; then
		wait $pid
		refused $feature "iofilter --tier $tier" "$(grep -v "^iofilter: rule" $tier.err | head -1)"
		continue
	fi
	grep -q "deny at $tier" $tier.err
	ok $? "tier $tier: the start-up line names it: $(grep 'rule 1' $tier.err)"
	changed='' tried=0
	for m in $(blkwrite --list); do
		before=$(prot_sum)
		blkwrite "$m" "$dev" 8 8 >>$tier.methods 2>&1
		[ "$(prot_sum)" = "$before" ] || changed="$changed $m"
		tried=$((tried + 1))
	done
	[ -z "$changed" ]
	ok $? "tier $tier: $tried write methods, protected bytes unchanged${changed:+ (changed by:$changed)}"
	diag "$(sort -u $tier.methods | tr '\n' ' ')"
	before=$(dd if="$dev" bs=512 skip=4096 count=8 2>/dev/null | md5sum)
	blkwrite pwrite "$dev" 4096 8 $pattern >/dev/null && blockdev --flushbufs "$dev"
	[ "$(dd if="$dev" bs=512 skip=4096 count=8 2>/dev/null | md5sum)" != "$before" ]
	ok $? "tier $tier: a write outside the rule lands"
	kill -INT $pid
	wait $pid
	rc=$?
	denied=$(grep -c '"denied":true' $tier.json)
	[ $rc = 0 ] && [ "$denied" -gt 0 ]
	ok $? "tier $tier: exit $rc, $denied refusals reported"
	nothing_left "after --tier $tier" 'iof_.*'
done

# filesystem writeback, refused at tier bio: the device never sees the file
fsdev=$(newloop /tmp/fs.img 8)
if ! expects error_injection; then
	skip "tier bio refuses filesystem writeback" "$KSCOPE_GUEST has no function error injection (tests/vm/features)"
elif [ -n "$fsdev" ] && mke2fs -q "$fsdev" >/dev/null 2>&1 && mkdir -p /mnt/t &&
   mount -t ext2 "$fsdev" /mnt/t 2>/dev/null; then
	iofilter --tier bio --json --rule "dev=$fsdev" >fs.json 2>fs.err &
	pid=$!
	wait_for fs.err 'enforcing\|cannot\|not available' 300
	if grep -q enforcing fs.err; then
		printf 'KSCOPE-WRITEBACK-%s\n' $(seq 2000) >/mnt/t/file
		sync
		sync
		blockdev --flushbufs "$fsdev"
		found=$(grep -c 'KSCOPE-WRITEBACK' "$fsdev")
		kill -INT $pid
		wait $pid
		denied=$(grep -c '"denied":true' fs.json)
		[ "$found" = 0 ] && [ "$denied" -gt 0 ]
		ok $? "tier bio: filesystem writeback refused: the file's bytes are not on the device ($found lines found, $denied bios refused)"
	else
		wait $pid
		refused error_injection "tier bio refuses filesystem writeback" "$(grep -v '^iofilter: rule' fs.err | head -1)"
	fi
	umount /mnt/t 2>/dev/null
else
	refused ext2 "tier bio refuses filesystem writeback" "no ext2 on a loop device in this guest"
fi
nothing_left "after the writeback test" 'iof_.*'
exit 0
