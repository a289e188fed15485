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
		[[ $2 == *"# TODO"* ]] && return
		FAILED=$((FAILED + 1))
		# why, where a quiet prove (make test, CI) shows it: on stderr,
		# and in the list make test prints last
		echo "# failed: ${0##*/} $TESTNUM - $2" >&2
		[ -z "${KSCOPE_FAILURES:-}" ] ||
			echo "${0##*/} $TESTNUM - $2" >>"$KSCOPE_FAILURES"
	fi
}

skip() {	# skip REASON: one test not run here, and why
	TESTNUM=$((TESTNUM + 1))
	echo "ok $TESTNUM # skip $*"
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
# wait_for FILE PATTERN [TENTHS]: until a line of FILE matches (default 5 s)
wait_for() {
	local i
	for i in $(seq "${3:-50}"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
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

# Our BPF programs, by name (bpftool shows the first 15 characters), for
# the nothing-left-behind check.  A test passes its own tool's pattern, so
# that another tool's test running at the same time cannot fail it.
DAMONTOP_PROGS='walk_task|damon_aggr'
IOFILTER_PROGS='iof_[a-z_]*'
CORETOP_PROGS='ct_[a-z_]*'
NAPITOP_PROGS='nt_[a-z_]*'
OUR_PROGS="$DAMONTOP_PROGS|$IOFILTER_PROGS|$CORETOP_PROGS|$NAPITOP_PROGS|kscope_xdp_pass"

# bpftool_show OBJ: `bpftool OBJ show`; when it fails, why in $TMP/bpftool.why
# and status 1, so that a failing bpftool never reads as "none loaded"
bpftool_show() {
	local out rc
	out=$(bpftool "$1" show 2>"$TMP/bpftool.err")
	rc=$?
	if [ $rc != 0 ]; then
		echo "bpftool $1 show exits $rc: $(head -1 "$TMP/bpftool.err")" >"$TMP/bpftool.why"
		return 1
	fi
	printf '%s\n' "$out"
}

# our_progs [PATTERN]: how many of our programs (PATTERN: names, an ERE;
# all of ours by default) are loaded; prints nothing and fails when
# bpftool does
our_progs() {
	local progs
	progs=$(bpftool_show prog) || return 1
	grep -cE " name (${1:-$OUR_PROGS})( |\$)" <<<"$progs"
	return 0
}

our_links() {	# our_links [PATTERN]: the links to those programs, as our_progs
	local progs links ids
	progs=$(bpftool_show prog) || return 1
	ids=$(awk -v re=" name (${1:-$OUR_PROGS})( |\$)" \
		'$0 ~ re {sub(":", "", $1); print $1}' <<<"$progs")
	[ -z "$ids" ] && { echo 0; return 0; }
	links=$(bpftool_show link) || return 1
	grep -cE "prog ($(echo $ids | tr ' ' '|'))\b" <<<"$links"
	return 0
}

# nothing_left DESCRIPTION [PATTERN]: none of our programs (PATTERN, as
# our_progs) and none of their links are left; not ok when bpftool fails
nothing_left() {
	local p l i
	# the kernel frees a program after its last reference, a little later
	for i in $(seq 20); do
		if ! p=$(our_progs "${2:-}") || ! l=$(our_links "${2:-}"); then
			ok 1 "$1: cannot tell what is loaded: $(cat "$TMP/bpftool.why")"
			return
		fi
		[ "$p" = 0 ] && [ "$l" = 0 ] && break
		sleep 0.1
	done
	[ "$p" = 0 ] && [ "$l" = 0 ]
	ok $? "$1: bpftool shows none of ours (progs $p, links $l)"
}

# loaded_now DESCRIPTION PATTERN: nothing_left's positive control: while
# the tool runs, the same count sees its programs (up to 2 s into its start)
loaded_now() {
	local p i why=
	for i in $(seq 20); do
		if ! p=$(our_progs "$2"); then
			p=0 why=": $(cat "$TMP/bpftool.why")"
			break
		fi
		[ "$p" -ge 1 ] && break
		sleep 0.1
	done
	[ "$p" -ge 1 ]
	ok $? "$1: bpftool shows $p of its programs loaded$why"
}

# accessgen_start_after SECONDS OUTPUT: an accessgen started with --wait
# (its stdout in OUTPUT) starts its phases SECONDS after it has said its
# pid: once a monitor has seen its mappings and its regions have settled
# (DAMON needs a few aggregations), as when attaching to a running process
accessgen_start_after() {
	local pid i
	for i in $(seq 50); do
		pid=$(awk '/^pid/ {print $2}' "$2")
		[ -n "$pid" ] && break
		sleep 0.1
	done
	sleep "$1"
	kill -USR1 "$pid"
}

# mono: CLOCK_MONOTONIC now, ns (the clock of the tools' records)
mono() { perl -MTime::HiRes=clock_gettime,CLOCK_MONOTONIC -e 'printf "%d\n", clock_gettime(CLOCK_MONOTONIC) * 1e9'; }

done_testing() { exit $((FAILED > 0)); }
