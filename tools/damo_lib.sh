# damo 3.3.0 (DAMON's user-space tool), run beside kscope by the benches and
# the interop test (sourced, bash).  It is damo's own source, unchanged, in
# ../shared/reference/damo/ beside the repository ($KSCOPE_DAMO when set);
# its README says how it runs here.
#
# damo probes DAMON's sysfs at start and refuses to while a kdamond it did
# not start is on; it reads ~/.damo.sysinfo instead when there is one.
# damo_setup writes that file, once, into a HOME of its own: writing it
# needs tracefs, mounted in a private mount namespace (so root).
#
#   damo_setup DIR || echo "no damo: $DAMO_WHY"
#   damo_run report heatmap --input FILE --output raw --resol 40 80
#   /usr/bin/time "${DAMO_CMD[@]}" report wss --input FILE   (a command)

DAMO_DIR=${KSCOPE_DAMO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/reference/damo}
DAMO_PY=$DAMO_DIR/damo-3.3.0/damo
DAMO_HOME=
DAMO_WHY=
DAMO_CMD=()

# damo_setup DIR: 0 when damo runs (its HOME under DIR); else 1 and
# DAMO_WHY says why not
damo_setup() {
	local v
	if [ ! -r "$DAMO_PY" ]; then
		DAMO_WHY="damo 3.3.0 is not at $DAMO_PY"
		return 1
	fi
	if ! command -v python3 >/dev/null; then
		DAMO_WHY="python3 is not installed"
		return 1
	fi
	DAMO_HOME=$1/damo-home
	DAMO_CMD=(env "HOME=$DAMO_HOME" python3 "$DAMO_PY")
	mkdir -p "$DAMO_HOME" || { DAMO_WHY="cannot make $DAMO_HOME"; return 1; }
	if [ "$(id -u)" = 0 ]; then
		HOME=$DAMO_HOME unshare -m sh -c \
			'mount -t tracefs nodev /sys/kernel/tracing && exec python3 "$0" "$1"' \
			"$DAMO_DIR/sysinfo_gen.py" "$DAMO_DIR/damo-3.3.0/src" \
			>"$DAMO_HOME/sysinfo.log" 2>&1 ||
			{ DAMO_WHY="cannot write damo's sysinfo: $(tail -1 "$DAMO_HOME/sysinfo.log")"; return 1; }
	fi
	v=$(damo_run version 2>&1)
	if [ "$v" != 3.3.0 ]; then
		DAMO_WHY="damo does not start: $(tail -1 <<<"$v")"
		return 1
	fi
}

damo_run() { "${DAMO_CMD[@]}" "$@"; }
