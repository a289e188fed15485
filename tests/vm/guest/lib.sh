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

# nothing_left DESC NAME: a test line that no NAME program or link remains
nothing_left() {
	left=$(our_bpf "$2")
	[ "$left" = "progs 0 links 0" ]
	ok $? "$1: bpfls shows none of ours ($left)"
}

# one_line FILE: FILE holds exactly one line
one_line() { [ "$(wc -l <"$1")" = 1 ]; }
