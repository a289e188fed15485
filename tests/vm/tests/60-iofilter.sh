# iofilter's strongest tiers where the guest kernel has them: bio
# (fmod_ret on should_fail_bio: function error injection) and lsm (BPF
# LSM in the active list), each against every write method of blkwrite on
# a loop device, judged by the protected bytes read back from the device;
# writes elsewhere still land; and tier bio refuses filesystem writeback
# (a file written on a mounted ext2 never reaches the device); an audit
# rule blocks nothing and logs every attempt; --pin keeps a rule after
# iofilter exits, until --unpin (each at the strongest tier the kernel
# has, iofilter's default).  A tier
# this kernel lacks (tests/vm/features: bio needs error_injection, lsm
# needs bpf_lsm) is a skip with iofilter's own reason; a tier it has must
# enforce.
# kscope-timeout: 300
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

# sectors SECTOR COUNT: their checksum on the device
sectors() {
	blockdev --flushbufs "$dev"
	dd if="$dev" bs=512 skip="$1" count="$2" 2>/dev/null | md5sum | cut -d' ' -f1
}

# audit: every write lands and each attempt is a line of the log
iofilter --json --log audit.log --rule "dev=$dev sectors=100-107 action=audit" \
	>audit.json 2>audit.err &
pid=$!
wait_for audit.err 'enforcing\|auditing\|cannot\|not available' 300
landed=0 pattern=0x50
for m in pwrite odirect blkzeroout; do
	before=$(sectors 100 8)
	pattern=$((pattern + 1))
	blkwrite $m "$dev" 100 8 $pattern >/dev/null 2>&1
	[ "$(sectors 100 8)" != "$before" ] && landed=$((landed + 1))
done
sleep 1
kill -INT $pid
wait $pid
rc=$?
logged=$(grep -c AUDIT audit.log 2>/dev/null)
[ $rc = 0 ] && [ $landed = 3 ] && [ "${logged:-0}" -ge 3 ] && ! grep -q '"denied":true' audit.json
ok $? "audit: exit $rc, $landed of 3 writes land, $logged attempts logged, none denied"
nothing_left "after audit" 'iof_.*'

# --pin: the rule holds after iofilter exits, until --unpin
# (guest/init mounted the bpf filesystem)
iofilter --batch --pin /sys/fs/bpf/iof --rule "dev=$dev sectors=200-207" -d 1 \
	>/dev/null 2>pin.err
rc=$?
[ $rc = 0 ] && grep -q pinned pin.err
ok $? "--pin: exit $rc, and it says the rule stays: $(tail -1 pin.err)"
before=$(sectors 200 8)
blkwrite pwrite "$dev" 200 8 0x61 >/dev/null 2>&1
[ "$(sectors 200 8)" = "$before" ]
ok $? "--pin: after iofilter exited, a write to the pinned range is refused (bytes unchanged)"
iofilter --unpin /sys/fs/bpf/iof 2>unpin.err
rc=$?
blkwrite pwrite "$dev" 200 8 0x62 >/dev/null 2>&1
after=$(sectors 200 8)
[ $rc = 0 ] && [ "$after" != "$before" ]
ok $? "--unpin: exit $rc, and the range is writable again $(head -1 unpin.err)"
nothing_left "after --unpin" 'iof_.*'
exit 0
