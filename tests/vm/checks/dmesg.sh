# Host side of every guest: the kernel log has no oops, BUG or WARNING
# (init ships it after the tests; printk is kept off the console).
f=$KSCOPE_FILES/dmesg.txt
echo "1..1"
if [ ! -s "$f" ]; then
	echo "not ok - the kernel log arrives"
	exit 0
fi
bad=$(grep -E 'BUG:|WARNING:|Oops|general protection|Call Trace:|BPF: .* invalid|segfault' "$f")
if [ -z "$bad" ]; then
	echo "ok - the kernel log shows no oops, BUG or WARNING"
else
	echo "not ok - the kernel log shows no oops, BUG or WARNING"
	head -20 <<<"$bad" | sed 's/^/#   /'
fi
