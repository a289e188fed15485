# Each tool's --metrics-textfile on this guest's kernel (the static tools
# have no HTTP server: the textfile is how they publish), each beside a
# workload it must count: damontop on an accessgen (the source auto takes
# here), coretop's what-if with --smt-pairs, iofilter with a deny rule
# that blkwrite runs into, napitop with loopback pings.  The files are
# shipped for the host, where checks/90-metrics-textfile.sh runs promtool
# check metrics on them and reads the figures.
# kscope-timeout: 120
. /kscope/lib.sh

# textfile TOOL DESC CMD...: CMD (the tool, --headless -d) writes TOOL.prom,
# and prints no line of its own on stdout (a -c command's may be there)
textfile() {
	tool=$1 desc=$2
	shift 2
	"$@" --headless --metrics-textfile $tool.prom >$tool.out 2>$tool.err
	textfile_judge $tool "$desc" $?
}

# textfile_judge TOOL DESC RC: the checks on TOOL's exit and files
textfile_judge() {
	[ $3 = 0 ] && [ -s $1.prom ] && ! grep -q '^[#{ ]' $1.out
	ok $? "$1 --headless --metrics-textfile ($2): exit $3, $(wc -l <$1.prom 2>/dev/null) lines"
	[ $3 = 0 ] || diag "$(cat $1.err)"
	ship $1.prom $1.prom
}

# textfile_around TOOL DESC READY WORKLOAD CMD...: CMD (the tool, --headless,
# no -d) in the background; once its stderr says READY (attached: under TCG
# that may take seconds) WORKLOAD runs, then SIGINT ends the tool, so the
# whole workload is inside its window
textfile_around() {
	tool=$1 desc=$2 ready=$3 workload=$4
	shift 4
	"$@" --headless --metrics-textfile $tool.prom >$tool.out 2>$tool.err &
	pid=$!
	wait_for $tool.err "$ready" 600 || diag "$tool did not say \"$ready\" in 60 s"
	sh -c "$workload" >/dev/null 2>&1
	kill -INT $pid
	wait $pid
	textfile_judge $tool "$desc" $?
}

# --budget 100 for the pte source (where auto takes it): under TCG at the
# default 2% its first aggregation may take longer than -d 3 (as in
# 20-damontop-runs); kernel DAMON ignores it
textfile damontop "accessgen" damontop --budget 100 -d 3 -c 'accessgen random --regions 2 --size 8M --duration 20'

textfile_around coretop "what-if, cpuburn" '^coretop: what-if' \
	'cpuburn --cpu 0 2 & cpuburn --cpu 1 2; wait' coretop --what-if --smt-pairs 0-1

[ -e /dev/loop-control ] || insmod /kscope/modules/loop.ko 2>/dev/null
dd if=/dev/zero of=/tmp/m.img bs=1M count=4 2>/dev/null
dev=$(losetup -f) && losetup "$dev" /tmp/m.img
if [ -n "$dev" ]; then
	iofilter --rule "dev=$dev sectors=0-33" --headless --metrics-textfile iofilter.prom \
		>iofilter.out 2>iofilter.err &
	iof=$!
	wait_for iofilter.err 'enforcing\|cannot' 300
	blkwrite pwrite "$dev" 8 8 0x5a >/dev/null 2>&1
	blkwrite pwrite "$dev" 8 8 0x5a >/dev/null 2>&1
	sleep 1.5	# a refresh past the refusals
	kill -INT $iof
	wait $iof
	rc=$?
	[ $rc = 0 ] && [ -s iofilter.prom ] && [ ! -s iofilter.out ]
	ok $? "iofilter --headless --metrics-textfile (a deny rule, blkwrite): exit $rc, $(wc -l <iofilter.prom 2>/dev/null) lines, $(grep 'rule 1' iofilter.err)"
	[ $rc = 0 ] || diag "$(cat iofilter.err)"
	ship iofilter.prom iofilter.prom
	losetup -d "$dev"
else
	refused loop "iofilter --metrics-textfile" "no loop device in this guest"
fi

ip link set lo up 2>/dev/null
textfile_around napitop "loopback pings" '^napitop: watching' \
	'ping -c 20 -i 0.05 127.0.0.1' napitop
nothing_left "after the textfiles" 'walk_task|damon_aggr|ct_[a-z_]*|iof_.*|nt_[a-z_]*'
exit 0
