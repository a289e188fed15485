#!/bin/bash
# [interval [count]] as libbpf-tools take them, in every tool: --batch
# 0.5 4 prints exactly four refreshes half a second apart and exits 0,
# --json 0.5 4 exactly four JSON lines; a bad count is refused in one
# line; -i 0.5 -d 2 gives four refreshes; nothing is left loaded.  Each tool watches what it
# watches by default (damontop a command it starts, iofilter a rule on a
# loop device, coretop a declared SMT pair), with nothing else running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofilter_lib.sh"
need_bpf
plan 19

loop_setup 8
ACCESSGEN="$TOOLS/accessgen random --regions 1 --size 4M --duration 20"

# refreshes TOOL ARGS...: "RC LINES SECONDS" of TOOL's --batch or --json
# run, LINES the refreshes on stdout (per tool: the line each starts with)
refreshes() {
	local tool=$1 t0 t1 rc
	shift
	t0=$(date +%s.%N)
	"$BIN/$tool" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	rc=$?
	t1=$(date +%s.%N)
	case "$tool $*" in
	*--json*) n=$(perl -MJSON::PP -ne 'eval { decode_json($_); 1 } && $n++; END { print $n + 0 }' "$TMP/out") ;;
	damontop*) n=$(grep -cE '^ +[0-9.]+s +[0-9.]+ ' "$TMP/out") ;;
	coretop*) n=$(grep -cE '^[0-9.]+s what-if' "$TMP/out") ;;
	napitop*) n=$(grep -cE '^[0-9.]+s +DEV' "$TMP/out") ;;
	iofilter*) n=$(grep -cE '^[0-9.]+s counts:' "$TMP/out") ;;
	esac
	echo "$rc $n $(perl -e 'printf "%.1f", $ARGV[1] - $ARGV[0]' "$t0" "$t1")"
}

for tool in damontop coretop napitop iofilter; do
	case $tool in
	damontop) args=(-c "$ACCESSGEN") ;;
	coretop) args=(--what-if --smt-pairs 0-1) ;;
	napitop) args=() ;;
	iofilter) args=(--rule "dev=$LOOP_DEV sectors=0-33") ;;
	esac
	for mode in --batch --json; do
		read -r rc n secs <<<"$(refreshes $tool "${args[@]}" $mode 0.5 4)"
		# four refreshes half a second apart (damontop: the first
		# after the first aggregation, within its budget)
		[ "$rc" = 0 ] && [ "$n" = 4 ] && perl -e 'exit !($ARGV[0] >= 1.5 && $ARGV[0] < 15)' "$secs"
		ok $? "$tool $mode 0.5 4: exit $rc, $n refreshes in $secs s"
		[ $FAILED = 0 ] || diag "$(head -5 "$TMP/err")"
	done
	# -d a whole number of refreshes: the refresh due at its end is the
	# last line, not followed by one more over the microseconds between
	# the two timers (damontop prints per aggregation, not per refresh)
	if [ $tool != damontop ]; then
		read -r rc n secs <<<"$(refreshes $tool "${args[@]}" --batch -i 0.5 -d 2)"
		[ "$rc" = 0 ] && [ "$n" = 4 ]
		ok $? "$tool --batch -i 0.5 -d 2: exit $rc, $n refreshes in $secs s"
	fi
	one_line_error "$tool: a bad count" "bad count '0'" "$BIN/$tool" "${args[@]}" --batch 0.5 0
	nothing_left "after $tool's runs" "$(eval echo "\$${tool^^}_PROGS")"
done
done_testing
