# TAP helpers for kscope's integration tests (sourced, bash).
# KSCOPE_BUILD points at the build directory (make test sets it).

BUILD=${KSCOPE_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build}
BIN=$BUILD/bin
TOOLS=$BUILD/tools
SRC_TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tools" && pwd)
TESTNUM=0
FAILED=0
TMP=$(mktemp -d /tmp/kscope-test.XXXXXX)
trap 'cleanup_test' EXIT

cleanup_test() {
	[ -n "${CLEANUP:-}" ] && eval "$CLEANUP"
	rm -rf "$TMP"
}

plan() { echo "1..$1"; }

ok() {	# ok CONDITION-STATUS DESCRIPTION
	TESTNUM=$((TESTNUM + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TESTNUM - $2"
	else
		echo "not ok $TESTNUM - $2"
		# a TODO test (a stated gap) may fail without failing the run
		[[ $2 == *"# TODO"* ]] || FAILED=$((FAILED + 1))
	fi
}

check() {	# check DESCRIPTION COMMAND...
	local desc=$1
	shift
	"$@"
	ok $? "$desc"
}

# diag goes to stderr, where prove shows it without -v (Test::More's habit);
# note is for what only a verbose run needs.
diag() { sed 's/^/# /' <<<"$*" >&2; }
note() { sed 's/^/# /' <<<"$*"; }

# one_line_error DESC PATTERN CMD...: bad input gets a non-zero exit, its
# first stderr line matching PATTERN, and nothing on stdout.
one_line_error() {
	local desc=$1 pat=$2 rc first
	shift 2
	"$@" >"$TMP/o" 2>"$TMP/e"
	rc=$?
	first=$(head -1 "$TMP/e")
	[ $rc -ne 0 ] && grep -q -- "$pat" <<<"$first" && [ ! -s "$TMP/o" ]
	ok $? "$desc: exit $rc, '$first'"
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

# Root and a kernel that loads our iterator; skip with the reason otherwise.
need_bpf() {
	[ "$(id -u)" = 0 ] || skip_all "needs root"
	[ -r /sys/kernel/btf/vmlinux ] || skip_all "kernel has no BTF"
	command -v bpftool >/dev/null || skip_all "bpftool not installed"
}

# Our BPF programs still loaded (by name), for the nothing-left-behind check.
OUR_PROGS='walk_task|damon_aggr|iof_[a-z_]*|ct_[a-z_]*|nt_[a-z_]*|kscope_xdp_pass'
our_progs() {
	bpftool prog show 2>/dev/null | grep -cE " name ($OUR_PROGS)( |\$)" || true
}

our_links() {
	local ids
	ids=$(bpftool prog show 2>/dev/null |
		awk -v re=" name ($OUR_PROGS)( |\$)" '$0 ~ re {sub(":", "", $1); print $1}')
	[ -z "$ids" ] && { echo 0; return; }
	bpftool link show 2>/dev/null | grep -cE "prog ($(echo $ids | tr ' ' '|'))\b" || true
}

nothing_left() {	# nothing_left DESCRIPTION
	local p l i
	# the kernel frees a program after its last reference, a little later
	for i in $(seq 20); do
		p=$(our_progs)
		l=$(our_links)
		[ "$p" = 0 ] && [ "$l" = 0 ] && break
		sleep 0.1
	done
	[ "$p" = 0 ] && [ "$l" = 0 ]
	ok $? "$1: bpftool shows none of ours (progs $p, links $l)"
}

done_testing() { exit $((FAILED > 0)); }
