#!/bin/bash
# tests/vm/run.sh: boot each test kernel under qemu with a tiny root of
# busybox-static and kscope's static tools (make static), run the guest
# tests in it, and print one TAP stream on stdout.
#
#   tests/vm/run.sh [-g GUEST]... [-t TEST]...     (default: all of them)
#
# Guests (guest_* below): kscope-6.1-full, ../shared/kernels' Linux 6.1
# with everything the development machines lack; debian-6.1-cloud and
# debian-6.12-cloud, Debian's stock cloud kernels (Debian 12's and 13's),
# fetched with apt-get download into build/vm/ once.
# A guest whose kernel is not available is a skip with the reason; a guest
# that does not finish within KSCOPE_VM_TIMEOUT seconds (default 480, a
# hang guard: a guest takes 4 to 6 minutes under TCG) is killed, with
# what its vCPUs were doing kept, and is a failure.  qemu runs its vCPUs
# in one thread (tcg,thread=single): with a thread per vCPU, qemu 7.2
# lets a vCPU go on executing an int3 that the kernel's text patching
# has already removed, forever (tests/vm/README.md: the wedge).
#
# Guest tests are tests/vm/tests/*.sh (busybox ash, helpers in
# tests/vm/guest/lib.sh), run in every guest in name order, each printing
# unnumbered TAP lines; this script numbers them and prefixes the guest's
# name.  Files a test ships (lib.sh's ship) land in build/vm/out/GUEST/;
# tests/vm/checks/NAME.sh, when present, judges those of test NAME on the
# host (bash, same TAP lines, $KSCOPE_FILES is the directory).  The
# console log of each guest is kept as build/vm/out/GUEST.log.
#
# Environment: KSCOPE_BUILD (build/), KSCOPE_VM_KERNELS (../shared/kernels),
# KSCOPE_VM_TIMEOUT, KSCOPE_VM_TEST_TIMEOUT (a test's default limit in the
# guest, 150 s), KSCOPE_VM_APPEND (more kernel parameters, for
# experiments), QEMU (qemu-system-x86_64).
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VMDIR=$TOP/tests/vm
BUILD=${KSCOPE_BUILD:-$TOP/build}
VM=$BUILD/vm
KERNELS=${KSCOPE_VM_KERNELS:-$TOP/../shared/kernels}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST_TIMEOUT=${KSCOPE_VM_TIMEOUT:-480}
TEST_TIMEOUT=${KSCOPE_VM_TEST_TIMEOUT:-150}
ALL_GUESTS="kscope-6.1-full debian-6.1-cloud debian-6.12-cloud"

# --- guests: guest_NAME sets KERNEL, EXTRA (a directory whose contents
# go into that guest's initramfs too, or empty) and NIC (qemu's model of
# its network card; empty: the machine's default, an e1000e), or sets
# WHY_NOT and fails

guest_kscope_6_1_full() {
	KERNEL=$KERNELS/kscope-6.1-full/bzImage
	EXTRA=
	[ -r "$KERNEL" ] && return
	KERNEL=$VM/kscope-6.1-full/bzImage	# make vm-kernel
	[ -r "$KERNEL" ] && return
	WHY_NOT="no kernel: neither $KERNELS/kscope-6.1-full/bzImage nor $KERNEL (make vm-kernel)"
	return 1
}

# Debian's stock kernels, downloaded once into build/vm/NAME/ with apt.
# debian_guest NAME PACKAGE MODULE...: the newest package whose name
# matches PACKAGE (an extended regular expression for apt-cache); each
# MODULE (loop, veth, a NIC's driver: modules there, xz-compressed since
# 6.12) goes uncompressed into the guest's /kscope/modules, where tests
# insmod what they need.  BOOT_MODULES (set by the caller, in load order)
# are inserted by the guest's /init before the tests.
debian_guest() {
	local name=$1 pattern=$2 dir=$VM/$1 pkg m f
	shift 2
	KERNEL=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | tail -1)
	if [ -z "$KERNEL" ]; then
		command -v apt-get >/dev/null || { WHY_NOT="no apt-get to fetch Debian's kernel"; return 1; }
		pkg=$(debian_kernel_pkg "$pattern")
		if [ -z "$pkg" ]; then
			apt-get update -qq >/dev/null 2>&1
			pkg=$(debian_kernel_pkg "$pattern")
		fi
		[ -n "$pkg" ] || { WHY_NOT="apt knows no package $pattern"; return 1; }
		rm -rf "$dir"
		mkdir -p "$dir/root"
		if ! (cd "$dir" && apt-get download -q -o APT::Sandbox::User=root "$pkg") \
			>"$dir/download.log" 2>&1; then
			WHY_NOT="cannot download $pkg: $(grep -E '^(E|W):' "$dir/download.log" | head -1)"
			return 1
		fi
		dpkg-deb -x "$dir"/*.deb "$dir/root" && rm -f "$dir"/*.deb
		KERNEL=$(ls "$dir"/root/boot/vmlinuz-* 2>/dev/null | tail -1)
		[ -n "$KERNEL" ] || { WHY_NOT="no vmlinuz in $pkg"; return 1; }
	fi
	EXTRA=$dir/extra
	rm -rf "$EXTRA"
	mkdir -p "$EXTRA/kscope/modules"
	for m in "$@"; do
		f=$(find "$dir/root/lib/modules" \( -name "$m.ko" -o -name "$m.ko.xz" \) | head -1)
		[ -n "$f" ] || { WHY_NOT="no module $m in $dir/root/lib/modules"; return 1; }
		case $f in
		*.xz) "$BUSYBOX" xzcat "$f" >"$EXTRA/kscope/modules/$m.ko" ;;
		*) cp "$f" "$EXTRA/kscope/modules/" ;;
		esac || { WHY_NOT="cannot unpack $f"; return 1; }
	done
	printf '%s\n' ${BOOT_MODULES:-} >"$EXTRA/kscope/modules/boot"
}

debian_kernel_pkg() {	# debian_kernel_pkg PATTERN: the newest package of that name
	apt-cache search --names-only "$1" 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -1
}

# Debian 12's kernel: loop and veth are modules.
guest_debian_6_1_cloud() {
	BOOT_MODULES=
	debian_guest debian-6.1-cloud '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' loop veth
}

# Debian 13's kernel (in Debian 12's backports and security updates).
# The cloud flavour has no driver for qemu's default NIC (e1000e) but has
# virtio-net, which is what cloud machines run on, so the guest gets a
# virtio NIC, its driver inserted at boot; its DAMON, BPF LSM and netdev
# netlink are the stock kernel's (no SCHED_CORE, no error injection).
guest_debian_6_12_cloud() {
	NIC=virtio-net-pci
	BOOT_MODULES="failover net_failover virtio_net"
	debian_guest debian-6.12-cloud '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-cloud-amd64-unsigned$' \
		loop veth $BOOT_MODULES
}

# --- the initramfs: busybox and its applets, the static tools, /init, the
# guest tests; a guest's EXTRA is a second archive appended to it (the
# kernel unpacks concatenated archives in order)

cpio_of() {	# cpio_of DIR OUT: a gzipped newc archive of DIR, owned by root
	(cd "$1" && find . | sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) |
		gzip -1 >"$2"
}

make_initramfs() {	# make_initramfs OUT
	local root=$VM/root app
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,kscope/bin,kscope/tests}
	cp "$BUSYBOX" "$root/bin/busybox"
	for app in $("$BUSYBOX" --list-full); do
		[ -e "$root/$app" ] || ln -s /bin/busybox "$root/$app"
	done
	cp "$BUILD"/static/* "$root/kscope/bin/"
	cp "$VMDIR/guest/init" "$root/init"
	cp "$VMDIR/guest/lib.sh" "$VMDIR/features" "$root/kscope/"
	cp "$VMDIR"/tests/*.sh "$root/kscope/tests/"
	chmod 755 "$root/init"
	cpio_of "$root" "$1"
}

# --- running a guest and reading its console ------------------------------

# boot GUEST LOG: the guest's console into LOG; qemu's status (124: killed).
# Each guest has a monitor socket; one that has not finished 10 s before
# its limit gets what its vCPUs are doing written to LOG.vcpus first.
boot() {
	local extra=$VM/initramfs.gz mon=$VM/$1.monitor dog status
	if [ -n "$EXTRA" ]; then
		cpio_of "$EXTRA" "$VM/extra.gz"
		extra=$VM/initramfs-$1.gz
		cat "$VM/initramfs.gz" "$VM/extra.gz" >"$extra"
	fi
	rm -f "$mon" "$2.vcpus"
	(sleep $((GUEST_TIMEOUT - 10)) && vcpus "$mon" >"$2.vcpus" 2>&1) </dev/null >/dev/null 2>&1 &
	dog=$!
	timeout -k 5 "$GUEST_TIMEOUT" "$QEMU" -machine q35 -cpu qemu64,vendor=GenuineIntel \
		-accel tcg,thread=single -smp 4,sockets=1,cores=2,threads=2 \
		-m 1G -nographic -no-reboot \
		-monitor "unix:$mon,server=on,wait=off" \
		-serial stdio -serial "file:$2.kmsg" \
		${NIC:+-nic user,model=$NIC} \
		-kernel "$KERNEL" -initrd "$extra" \
		-append "console=ttyS1 loglevel=5 panic=-1 kscope.guest=$1 kscope.timeout=$TEST_TIMEOUT kscope.tests=$(IFS=,; echo "${TESTS[*]}") ${KSCOPE_VM_APPEND:-}" \
		</dev/null >"$2" 2>&1
	status=$?
	kill $dog 2>/dev/null
	rm -f "$mon"
	return $status
}

# vcpus MONITOR: what every vCPU is doing: its registers, the top of its
# stack and its local APIC, then the registers twice more 2 s apart, to
# tell a spinning guest from a sleeping one (symbols: a nokaslr boot's
# /proc/kallsyms; the guest writes its _text to its kernel log)
vcpus() {
	local cmds=("info cpus") i
	for i in 0 1 2 3; do
		cmds+=("cpu $i" "info registers" "x/48gx \$rsp" "info lapic")
	done
	cmds+=("info irq" "sleep 2" "info registers -a" "sleep 2" "info registers -a")
	"$VMDIR/monitor" "$1" "${cmds[@]}"
}

# collect GUEST LOG STATUS SECONDS: the guest's TAP lines (unnumbered) from
# its console log, its shipped files into build/vm/out/GUEST/, then the
# host-side checks of them
collect() {
	local g=$1 log=$2 status=$3 secs=$4 files=$VM/out/$1
	rm -rf "$files"
	mkdir -p "$files"
	# \r from the tty, terminal escapes from the firmware
	tr -d '\r' <"$log" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b.//g' |
		awk -v g="$g" -v files="$files" -v status="$status" \
		-v secs="$secs" -v limit="$GUEST_TIMEOUT" '
	# the last 15 lines that were not TAP, for a guest that went wrong
	function keep(line) { n++; last[n] = line; if (n > 15) delete last[n - 15] }
	function tail_diag(   i) {
		for (i = (n > 15 ? n - 14 : 1); i <= n; i++)
			print "#   " last[i]
	}
	infile {
		if ($0 == "KSCOPE-FILE-END") { close(out); infile = 0; next }
		print > out
		next
	}
	# the firmware leaves terminal escapes on the line before it
	/KSCOPE-BEGIN / { sub(/^.*KSCOPE-BEGIN/, ""); begun = 1; kernel = $1; cpus = $2; next }
	/^KSCOPE-FILE / {
		out = files "/" $2; infile = 1; printf "" > out; next
	}
	/^KSCOPE-TEST / { test = $2; ran[test] = 0; failed[test] = 0; next }
	/^KSCOPE-TEST-END / {
		rc = $3
		if (rc == 137)
			printf "not ok - %s: %s finished within its time limit (killed after %.0f s)\n",
				g, test, $5 - $4
		else if (rc != 0 && !failed[test])
			printf "not ok - %s: %s exited %d\n", g, test, rc
		else if (!ran[test])
			printf "not ok - %s: %s printed no test line\n", g, test
		printf "# %s: %s took %.1f s\n", g, test, $5 - $4
		print test > (files "/.tests")
		test = ""
		next
	}
	/^KSCOPE-END$/ { ended = 1; next }
	!begun { keep($0); next }
	/^(not )?ok / {
		ran[test]++
		if ($0 ~ /^not ok/) failed[test]++
		sub(/^ok( -)? */, "ok - " g ": ")
		sub(/^not ok( -)? */, "not ok - " g ": ")
		print
		next
	}
	{ keep($0); if (test != "") print (/^#/ ? "" : "# ") $0 }
	END {
		if (!begun) {
			printf "not ok - %s: boots to /init (qemu status %d after %d s)\n", g, status, secs
			tail_diag()
			exit
		}
		if (ended && status == 0) {
			printf "ok - %s: %s (%s cpus) boots, runs its tests, powers off (%d s)\n",
				g, kernel, cpus, secs
			exit
		}
		if (status == 124)
			printf "not ok - %s: finishes within %d s (killed%s)\n", g, limit,
				test != "" ? " in " test : ""
		else
			printf "not ok - %s: powers off cleanly (qemu status %d after %d s%s)\n",
				g, status, secs, ended ? "" : ", no end marker"
		tail_diag()
	}'
	# a guest killed at its limit: what its vCPUs and its kernel said
	if [ "$status" = 124 ]; then
		grep -h 'RIP=' "$log.vcpus" 2>/dev/null | head -4 | sed 's/^/#   vCPU: /'
		tail -n 10 "$log.kmsg" 2>/dev/null | sed 's/^/#   kernel: /'
		echo "#   (all of it: ${log#$TOP/}.vcpus and .kmsg)"
	fi
	# shipped files must be whole: the guest sent their md5
	tr -d '\r' <"$log" | sed -n 's/^KSCOPE-FILE \([^ ]*\) \([0-9a-f]*\)$/\2  \1/p' >"$files/.md5"
	if [ -s "$files/.md5" ] && ! (cd "$files" && md5sum -c --quiet .md5 >/dev/null 2>&1); then
		echo "not ok - $g: shipped files arrive intact"
		(cd "$files" && md5sum -c .md5 2>&1 | grep -v ': OK$' | sed 's/^/#   /')
	fi
	host_checks "$g" "$files"
}

# host_checks GUEST FILES: tests/vm/checks/NAME.sh for each guest test that
# ran to its end, and the kernel log's check when the guest got that far.
# A check prints its plan (1..N) first, then N test lines: one that exits
# non-zero, has no plan or prints another number of lines fails, so a
# check cannot vanish without a word.
host_checks() {
	local g=$1 files=$2 t c out rc plan n
	for t in $(cat "$files/.tests" 2>/dev/null) $([ -e "$files/dmesg.txt" ] && echo dmesg); do
		c=$VMDIR/checks/$t.sh
		[ -r "$c" ] || continue
		out=$(KSCOPE_FILES=$files KSCOPE_GUEST=$g KSCOPE_TOP=$TOP \
			KSCOPE_FEATURES=$VMDIR/features bash "$c" 2>&1)
		rc=$?
		plan=$(sed -n '1s/^1\.\.\([0-9]\+\).*/\1/p' <<<"$out")
		n=$(grep -cE '^(not )?ok' <<<"$out")
		sed -e "1s/^1\.\.0 *# *SKIP */# $g: check $t skipped: /" -e '1{/^1\.\./d}' \
			-e "s/^ok\( -\)\? */ok - $g: /" \
			-e "s/^not ok\( -\)\? */not ok - $g: /" \
			-e '/^\(not \)\?ok /!{/^#/!s/^/# /}' <<<"$out"
		if [ $rc != 0 ]; then
			echo "not ok - $g: check $t exits 0 (exit $rc)"
		elif [ -z "$plan" ]; then
			echo "not ok - $g: check $t declares its checks first (1..N)"
		elif [ "$n" != "$plan" ]; then
			echo "not ok - $g: check $t prints the $plan checks it declared (printed $n)"
		fi
	done
}

# number: number the test lines and put the plan at the end
number() {
	awk '/^(not )?ok / { n++; sub(/ok -/, "ok " n " -") }
		{ print; fflush() }
		END { print "1.." n }'
}

# --- main ---------------------------------------------------------------

GUESTS=()
TESTS=()
while getopts g:t:h opt; do
	case $opt in
	g) GUESTS+=("$OPTARG") ;;
	t) TESTS+=("$OPTARG") ;;
	*) sed -n '2,/^set -u/p' "$0" | sed -e '$d' -e 's/^# \?//'; exit 2 ;;
	esac
done
[ ${#GUESTS[@]} -gt 0 ] || GUESTS=($ALL_GUESTS)

command -v "$QEMU" >/dev/null || { echo "1..0 # SKIP $QEMU not installed"; exit 0; }
BUSYBOX=${BUSYBOX:-$(command -v busybox)}
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "1..0 # SKIP no static busybox (Debian: busybox-static)"
	exit 0
fi
for f in "$BUILD"/static/{damontop,iofilter,coretop,napitop,accessgen,blkwrite,bpfls,cpuburn,udpflood}; do
	[ -x "$f" ] || { echo "Bail out! no $f: run make static"; exit 1; }
done
mkdir -p "$VM/out"

# which guests can run, before booting any: none at all is a skip
declare -A KERNEL_OF EXTRA_OF NIC_OF WHY
avail=0
for g in "${GUESTS[@]}"; do
	fn=guest_${g//[-.]/_}
	if ! declare -F "$fn" >/dev/null; then
		echo "Bail out! no guest $g (guests: $ALL_GUESTS)"
		exit 1
	fi
	NIC=
	if $fn; then
		KERNEL_OF[$g]=$KERNEL
		EXTRA_OF[$g]=$EXTRA
		NIC_OF[$g]=$NIC
		avail=$((avail + 1))
	else
		WHY[$g]=$WHY_NOT
	fi
done
if [ $avail = 0 ]; then
	why=$(for g in "${GUESTS[@]}"; do printf '%s: %s; ' "$g" "${WHY[$g]}"; done)
	echo "1..0 # SKIP no guest kernel: ${why%; }"
	exit 0
fi
make_initramfs "$VM/initramfs.gz" || { echo "Bail out! cannot build the initramfs"; exit 1; }

for g in "${GUESTS[@]}"; do
	if [ -z "${KERNEL_OF[$g]:-}" ]; then
		echo "ok - $g # SKIP ${WHY[$g]}"
		continue
	fi
	KERNEL=${KERNEL_OF[$g]}
	EXTRA=${EXTRA_OF[$g]}
	NIC=${NIC_OF[$g]}
	echo "# $g: booting ${KERNEL#$TOP/}"
	t0=$SECONDS
	boot "$g" "$VM/out/$g.log"
	status=$?
	collect "$g" "$VM/out/$g.log" $status $((SECONDS - t0))
done | number
