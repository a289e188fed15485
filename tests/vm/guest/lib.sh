# TAP helpers for the guest tests (busybox ash, sourced).  A guest test
# prints unnumbered TAP lines; the host numbers them and prefixes the
# guest's name:
#   ok - DESC   |   not ok - DESC   |   ok - DESC # SKIP REASON   |   # diag
# Tests run in /tmp (a tmpfs) with the static tools on PATH.

ok() {	# ok STATUS DESC
	if [ "$1" = 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

skip() {	# skip DESC REASON
	echo "ok - $1 # SKIP $2"
}

diag() {	# diag TEXT...: each line as a TAP comment, nothing if empty
	[ -n "$*" ] && printf '%s\n' "$*" | sed 's/^/# /'
}

# ship FILE NAME: send FILE to the host over the console, for a host-side
# check (tests/vm/checks/) to read as $KSCOPE_FILES/NAME.  Lines end with
# \n here and \r\n on the wire; the md5 lets the host see a damaged copy.
ship() {
	awk '{ print }' "$1" >/tmp/.ship
	echo "KSCOPE-FILE $2 $(md5sum </tmp/.ship | cut -d' ' -f1)"
	cat /tmp/.ship
	echo "KSCOPE-FILE-END"
	rm -f /tmp/.ship
}

# wait_for FILE PATTERN [TENTHS]: until a line of FILE matches (default 10 s)
wait_for() {
	n=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		n=$((n + 1))
		[ "$n" -gt "${3:-100}" ] && return 1
		sleep 0.1
	done
}

# our_bpf NAME: "progs N links M": loaded programs called NAME (a regular
# expression), and links
# to them (bpfls, the static stand-in for bpftool)
our_bpf() {
	bpfls >/tmp/.bpfls 2>&1 || { echo "bpfls failed: $(head -1 /tmp/.bpfls)"; return; }
	awk -v name="$1" '$1 == "prog" && $4 ~ ("^(" name ")$") { p[$2] = 1; np++ }
		$1 == "link" && ($4 in p) { nl++ }
		END { printf "progs %d links %d\n", np, nl }' /tmp/.bpfls
}

# nothing_left DESC NAME: a test line that no NAME program or link remains.
# A closed link is gone at once; since 6.9 ("bpf: put bpf_link's program
# when link is safe to be deallocated") its program is put one RCU grace
# period later, which under TCG can be a second: the links are judged at
# once, the programs within 5 s (as on the host, tests/integ/lib.sh).
nothing_left() {
	left=$(our_bpf "$2")
	n=0
	while [ "$n" -lt 50 ] && [ "$left" != "progs 0 links 0" ] &&
	      [ "${left#* links }" = 0 ]; do
		sleep 0.1
		n=$((n + 1))
		left=$(our_bpf "$2")
	done
	[ "$left" = "progs 0 links 0" ]
	ok $? "$1: bpfls shows none of ours ($left$([ $n = 0 ] || echo ", waited $n tenths of a second"))"
}

# running COMM: a process called COMM runs (busybox has no pgrep)
running() { grep -qx "$1" /proc/[0-9]*/comm 2>/dev/null; }

# record_judged SRC WHAT RC ENDED: after `damontop record --source SRC` of
# WHAT exited RC (stderr in SRC.err; ENDED: its summary's "exited" or
# "ended"), its ok line and that nothing of ours is left; status 1 where
# kernel DAMON refused in one line (a skip only where tests/vm/features
# says the kernel lacks DAMON vaddr)
record_judged() {
	if [ $1 = damon ] && [ $3 != 0 ] && one_line damon.err; then
		refused damon_vaddr "damontop record --source damon of $2" "$(cat damon.err)"
		return 1
	fi
	# kernel DAMON: the summary gives the kdamond's CPU too
	[ $3 = 0 ] && grep -q "$4 after" $1.err &&
		{ [ $1 != damon ] || grep -q "the kdamond's [0-9.]*%" $1.err; }
	ok $? "damontop record --source $1 of $2: exit $3, $(tail -1 $1.err)"
	prog=walk_task; [ $1 = damon ] && prog=damon_aggr
	nothing_left "after record --source $1" $prog
}

# agen_heatmap SRC T A: SRC.tsv, the heatmap of SRC.rec over the regions
# accessgen reported in SRC.agen, T x A cells, absolute time and address;
# one ok line
agen_heatmap() {
	lo=$(awk '/^region/ { print $3; exit }' $1.agen)
	hi=$(awk '/^region/ { e = $4 } END { print e }' $1.agen)
	damontop report heatmap $1.rec --format tsv --abs-time --abs-addr \
		--address-range $((lo)),$((hi)) --resol $2,$3 -o $1.tsv 2>report.err
	rc=$?
	cells=$(grep -vc '^#' $1.tsv)	# the first line says the unit
	[ $rc = 0 ] && [ "$cells" = $(($2 * $3)) ]
	ok $? "report heatmap --format tsv ($1): exit $rc, $cells cells $(head -1 report.err)"
}

# no_kdamond_left: after a test's own kdamonds, none remains
no_kdamond_left() {
	nr=$(cat /sys/kernel/mm/damon/admin/kdamonds/nr_kdamonds)
	[ "$nr" = 0 ]
	ok $? "no kdamond of ours remains (nr_kdamonds $nr)"
}

# damon_sources: the damontop sources a host check judges here: pte, and
# kernel DAMON where tests/vm/features says the guest has DAMON vaddr
damon_sources() {
	if expects damon_vaddr; then echo "pte damon"; else echo pte; fi
}

# one_line FILE: FILE holds exactly one line
one_line() { [ "$(wc -l <"$1")" = 1 ]; }

# --- what this guest's kernel has (tests/vm/features) ----------------------

FEATURES=${KSCOPE_FEATURES:-/kscope/features}

# expects FEATURE: the table says this guest's kernel has FEATURE (status 1
# when it says not; 2, with a line on stderr, when it names no such guest
# or feature)
expects() {
	awk -v g="$KSCOPE_GUEST" -v f="$1" '
		/^#/ || NF == 0 { next }
		$1 == "feature" { for (i = 2; i <= NF; i++) if ($i == g) col = i; next }
		$1 == f { found = 1; yes = col && $col == "yes"; exit }
		END {
			if (!col || !found) {
				print "features: no guest " g " or feature " f | "cat 1>&2"
				exit 2
			}
			exit !yes
		}' "$FEATURES"
}

# features: every feature the table names
features() { awk '/^#/ || NF == 0 || $1 == "feature" { next } { print $1 }' "$FEATURES"; }

# kernel_has FEATURE: the running kernel has FEATURE (status 0; 1 when
# not; 3 for a feature with no probe), asked without kscope's tools (the
# table's last column says how)
kernel_has() {
	kernel_probe "$1"
	case $? in 0) return 0 ;; 3) return 3 ;; *) return 1 ;; esac
}

kernel_probe() {
	case $1 in
	damon_vaddr) [ -d /sys/kernel/mm/damon/admin ] && grep -qw damon_va_check_accesses /proc/kallsyms ;;
	damon_paddr) [ -d /sys/kernel/mm/damon/admin ] && grep -qw damon_pa_check_accesses /proc/kallsyms ;;
	bpf_lsm) grep -q '\(^\|,\)bpf\(,\|$\)' /sys/kernel/security/lsm 2>/dev/null ;;
	error_injection) grep -qw should_fail_bio /sys/kernel/debug/error_injection/list 2>/dev/null ;;
	sched_core) grep -qw sched_core_get /proc/kallsyms ;;
	smt) cat /sys/devices/system/cpu/cpu*/topology/thread_siblings_list 2>/dev/null | grep -q '[-,]' ;;
	nic) [ -e /sys/class/net/eth0 ] ;;
	napi_get) grep -qw netdev_nl_napi_get_doit /proc/kallsyms ;;
	loop) [ -e /dev/loop-control ] || [ -e /kscope/modules/loop.ko ] ;;
	ext2) grep -qw ext2 /proc/filesystems ;;
	*) echo "kernel_has: no probe for $1" >&2; return 3 ;;
	esac
}

# refused FEATURE DESC REASON: a part of a test that the tool refused
# with REASON: a skip where this guest's kernel lacks FEATURE, a failure
# where it has it
refused() {
	if expects "$1"; then
		echo "not ok - $2: refused on a kernel with $1: $3"
	else
		skip "$2" "$3"
	fi
}
