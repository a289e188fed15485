# Block device fixtures for iofilter's integration tests (sourced, bash,
# after lib.sh: uses TMP, TOOLS, CLEANUP, diag and skip_all).
#
#   loop_setup SIZE_MB          a GPT-partitioned loop device: sets
#                               LOOP_DEV, LOOP_PART, LOOP_IMG
#   drop_caches DEV             push and drop the page cache of DEV and of
#                               its partitions
#   sectors_sum DEV START COUNT md5 of sectors [START, START+COUNT) read
#                               with O_DIRECT
#   baseline_methods DEV SECTOR [COUNT]
#                               every blkwrite method once on an
#                               unprotected range: METHOD changed|unchanged|
#                               errno=X|signal=X|timeout|unreadable
#
# Sectors are 512 bytes, relative to DEV (a partition's own sectors when
# DEV is a partition).

BLKWRITE=${BLKWRITE:-$TOOLS/blkwrite}

# loop_setup SIZE_MB: a zeroed SIZE_MB file in $TMP on a loop device, with
# a GPT holding one partition at sectors 2048..4095 (sgdisk -o -n
# 1:2048:+1M), the device detached by the test's CLEANUP.  Sets LOOP_DEV
# (/dev/loopN), LOOP_IMG (the file) and LOOP_PART (/dev/loopNp1, or empty
# if the kernel cannot have partitions on it).  Skips the whole test, with
# the reason, when it cannot be done.  Call it in the test's own shell,
# not in $(...): the skip and the cleanup must reach the test.
# shellcheck disable=SC2034  # LOOP_* are for the caller
loop_setup() {
	local mb=$1 img dev err

	LOOP_DEV='' LOOP_PART='' LOOP_IMG=''
	case $mb in
	'' | *[!0-9]*) skip_all "loop_setup: bad size '$mb' (MiB)" ;;
	esac
	# the partition ends at 2 MiB; the backup GPT takes the last 33 sectors
	[ "$mb" -ge 3 ] || skip_all "loop_setup: $mb MiB is too small for the GPT (3 MiB at least)"
	[ "$(id -u)" = 0 ] || skip_all "needs root for loop devices"
	command -v losetup >/dev/null || skip_all "losetup not installed (util-linux)"
	command -v sgdisk >/dev/null || skip_all "sgdisk not installed (Debian: gdisk)"
	[ -e /dev/loop-control ] || modprobe loop 2>/dev/null
	[ -e /dev/loop-control ] || skip_all "kernel has no loop devices"

	img=$(mktemp "$TMP/loop.XXXXXX.img") || skip_all "cannot create a file in $TMP"
	truncate -s "${mb}M" "$img" || skip_all "cannot size $img to $mb MiB"
	# -P: the kernel takes partitions on this device (BLKPG, rescans)
	dev=$(losetup -f --show -P "$img" 2>"$TMP/losetup.err") ||
		skip_all "cannot set up a loop device: $(head -n 1 "$TMP/losetup.err")"
	CLEANUP="losetup -d $dev 2>/dev/null; ${CLEANUP:-}"
	LOOP_DEV=$dev
	LOOP_IMG=$img

	if ! err=$(sgdisk -o -n 1:2048:+1M "$dev" 2>&1); then
		skip_all "sgdisk cannot partition $dev: $(tail -n 1 <<<"$err")"
	fi
	# A kernel without a GPT parser (CONFIG_EFI_PARTITION unset, like
	# this project's development kernel) finds nothing on the rescan:
	# partx reads the table itself and adds the partition by BLKPG.
	[ -b "${dev}p1" ] || partx -a "$dev" 2>/dev/null
	for _ in $(seq 50); do
		[ -b "${dev}p1" ] && break
		sleep 0.1
	done
	if [ -b "${dev}p1" ]; then
		LOOP_PART=${dev}p1
	else
		diag "loop_setup: no partition device for $dev; LOOP_PART is empty"
	fi
	return 0
}

# drop_caches DEV: write back DEV's dirty pages and drop its clean ones
# (BLKFLSBUF), and the same for its partitions, whose page caches are
# their own: a write through /dev/loopNp1 is invisible to a flush of
# /dev/loopN.  A write refused at writeback leaves nothing behind.
drop_caches() {
	local dev=$1 name part rc=0

	blockdev --flushbufs "$dev" 2>/dev/null || rc=1
	name=$(basename "$(readlink -f "$dev")")
	for part in /sys/class/block/"$name"/"$name"*/partition; do
		[ -e "$part" ] || continue
		part=$(basename "$(dirname "$part")")
		[ -b "/dev/$part" ] && { blockdev --flushbufs "/dev/$part" 2>/dev/null || rc=1; }
	done
	return $rc
}

# sectors_sum DEV START COUNT: the md5 of COUNT sectors at START, read
# with O_DIRECT so the page cache cannot hide a lost write (an O_DIRECT
# read writes back DEV's own dirty pages of the range first; a partition's
# or the whole disk's are another cache: drop_caches before).  Prints the
# hex digest; prints nothing and returns 1 on a read error or short read.
sectors_sum() {
	local dev=$1 start=$2 count=$3 f size

	f=$(mktemp "$TMP/sectors.XXXXXX") || return 1
	if ! dd if="$dev" of="$f" bs=64K iflag=direct,skip_bytes,count_bytes \
		skip=$((start * 512)) count=$((count * 512)) status=none; then
		rm -f "$f"
		return 1
	fi
	size=$(stat -c %s "$f")
	if [ "$size" != $((count * 512)) ]; then
		diag "sectors_sum: read $size of $((count * 512)) bytes at sector $start of $dev"
		rm -f "$f"
		return 1
	fi
	md5sum <"$f" | cut -d' ' -f1
	rm -f "$f"
}

# baseline_methods DEV SECTOR [COUNT]: runs every method of blkwrite once
# on COUNT sectors (8 by default: a page, for the mmap and discard
# methods' sake keep SECTOR a multiple of 8) at SECTOR, which nothing
# protects, and prints one line per method:
#
#   METHOD changed            the device's bytes changed
#   METHOD changed errno=X    changed although the call failed
#   METHOD unchanged          reported success, bytes unchanged
#   METHOD errno=X            failed, bytes unchanged
#   METHOD signal=X           the writer died of signal X
#   METHOD timeout            still running after 60 s (killed)
#   METHOD unreadable         the range could not be read back
#
# Only the "changed" methods modify a device on this kernel; the others
# are N/A for a test that checks a protected range.  Before each method
# the range gets a random background (O_DIRECT), so the discard and zero
# methods, which leave zeros, show as changes too.  The range is left as
# the last method wrote it.
baseline_methods() {
	local dev=$1 sector=$2 count=${3:-8} bg m out st before after res

	[ -x "$BLKWRITE" ] || { diag "baseline_methods: no $BLKWRITE"; return 1; }
	bg=$(mktemp "$TMP/background.XXXXXX") || return 1
	head -c $((count * 512)) /dev/urandom >"$bg"
	for m in $("$BLKWRITE" --list); do
		if ! dd if="$bg" of="$dev" bs=$((count * 512)) count=1 \
			seek=$((sector * 512)) oflag=direct,seek_bytes \
			conv=notrunc status=none; then
			diag "baseline_methods: cannot restore the background of $dev"
			rm -f "$bg"
			return 1
		fi
		drop_caches "$dev"
		before=$(sectors_sum "$dev" "$sector" "$count")
		out=$(timeout 60 "$BLKWRITE" "$m" "$dev" "$sector" "$count" 2>/dev/null)
		st=$?
		drop_caches "$dev"
		after=$(sectors_sum "$dev" "$sector" "$count")
		if [ "$st" = 124 ]; then
			res=timeout
		elif [ "$st" -gt 128 ]; then
			res=signal=$(kill -l $((st - 128)) 2>/dev/null || echo $((st - 128)))
		elif [ -z "$before" ] || [ -z "$after" ]; then
			res=unreadable
		elif [ "$before" != "$after" ]; then
			res=changed
			[ "$st" = 1 ] && res="changed ${out#"$m "}"
		elif [ "$st" = 1 ]; then
			res=${out#"$m "}
		elif [ "$st" = 0 ]; then
			res=unchanged
		else
			res="exit=$st"
		fi
		echo "$m $res"
	done
	rm -f "$bg"
}
