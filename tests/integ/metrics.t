#!/bin/bash
# The metrics endpoint every tool shares (src/lib/metrics_serve.c), seen
# through napitop, the quickest to start: bad addresses, a port in use, a
# textfile that cannot be written and --headless alone each get one line
# and leave nothing loaded; clients that connect and never send, or send
# and never read, neither stall the tool's event loop (its --json lines
# keep coming, its CPU time stays low) nor keep others from being served
# once they time out; the static build (the guests') says it has no HTTP
# server.  The figures themselves: tests/integ/*_metrics.t, prometheus.t.
. "$(dirname "$0")/lib.sh"
need_bpf
command -v curl >/dev/null || skip_all "curl not installed (Debian: curl)"
plan 18

NT=$BIN/napitop

# port_of ERRFILE: the port of "napitop: metrics at http://...:PORT/metrics"
port_of() {
	local i
	for i in $(seq 50); do
		grep -q 'metrics at http' "$1" 2>/dev/null && break
		sleep 0.1
	done
	sed -n 's|.*metrics at http://[^ ]*:\([0-9]*\)/metrics$|\1|p' "$1"
}

# cpu_ticks PID: its user + system time in clock ticks
cpu_ticks() {
	local -a f
	read -r -a f <<<"$(sed 's/.*) //' "/proc/$1/stat")"
	echo $((f[11] + f[12]))
}

# --- bad input -----------------------------------------------------------------
one_line_error "--metrics with a port out of range" "--metrics 127.0.0.1:99999: the port is not a number" \
	"$NT" --headless --metrics 127.0.0.1:99999 -d 1
one_line_error "--metrics with a name, not an address" "--metrics nothere:9100: not \[ADDR:\]PORT" \
	"$NT" --headless --metrics nothere:9100 -d 1
# a port taken by another listener
perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 5,
				      ReuseAddr => 1) or die;
	print $s->sockport, "\n"; STDOUT->flush; sleep 30' >"$TMP/taken" &
TAKER=$!
CLEANUP="kill $TAKER 2>/dev/null; ${CLEANUP:-}"
for i in $(seq 50); do [ -s "$TMP/taken" ] && break; sleep 0.1; done
taken=$(cat "$TMP/taken")
one_line_error "--metrics on a port in use ($taken)" "--metrics 127.0.0.1:$taken: Address already in use" \
	"$NT" --headless --metrics "127.0.0.1:$taken" -d 1
kill $TAKER 2>/dev/null
one_line_error "--metrics-textfile in a directory that does not exist" \
	"--metrics-textfile $TMP/nodir/n.prom: No such file or directory" \
	"$NT" --headless --metrics-textfile "$TMP/nodir/n.prom" -d 1
one_line_error "--headless without --metrics" "--headless needs --metrics or --metrics-textfile" \
	"$NT" --headless -d 1
echo '{}' >"$TMP/session"
one_line_error "--metrics with --replay" "not --replay" \
	"$NT" --replay "$TMP/session" --batch --metrics 127.0.0.1:0
if [ -x "$BUILD/static/napitop" ]; then
	one_line_error "the static build refuses --metrics" "static build, without an HTTP server" \
		"$BUILD/static/napitop" --headless --metrics 127.0.0.1:0 -d 1
else
	ok 0 "the static build refuses --metrics # SKIP no $BUILD/static/napitop (make static)"
fi
nothing_left "after the refusals" "$NAPITOP_PROGS"

# --- clients that hold on ---------------------------------------------------------
"$NT" --json -i 0.2 -d 12 --metrics 127.0.0.1:0 >"$TMP/run.json" 2>"$TMP/run.err" &
NTPID=$!
CLEANUP="kill $NTPID 2>/dev/null; ${CLEANUP:-}"
port=$(port_of "$TMP/run.err")
[ -n "$port" ] && curl -sf "http://127.0.0.1:$port/metrics" -o "$TMP/first.txt"
ok $? "napitop serves /metrics on the port it was given (0: $port, $(wc -l <"$TMP/first.txt" 2>/dev/null) lines)"
loaded_now "while it serves" "$NAPITOP_PROGS"

# 4 connections that never send, 4 that ask and never read (a 1-byte receive
# buffer), held for 4 s; meanwhile: scrapes, refreshes, CPU time.
perl -MIO::Socket::INET -MSocket -e '
	my ($port, $n) = @ARGV; my @s;
	for (1 .. $n) {
		my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die "connect: $!";
		push @s, $c;
		my $r = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port) or die;
		setsockopt($r, SOL_SOCKET, SO_RCVBUF, 1);
		print $r "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
		push @s, $r;
	}
	print "held\n"; STDOUT->flush; sleep 4' "$port" 4 >"$TMP/hold4" 2>&1 &
HOLDER=$!
for i in $(seq 50); do grep -q held "$TMP/hold4" && break; sleep 0.1; done
lines0=$(wc -l <"$TMP/run.json")
ticks0=$(cpu_ticks $NTPID)
curl -sf -m 2 "http://127.0.0.1:$port/metrics" -o /dev/null
ok $? "while 8 clients hold connections, a scrape is served at once"
sleep 3
lines1=$(wc -l <"$TMP/run.json")
ticks1=$(cpu_ticks $NTPID)
[ $((lines1 - lines0)) -ge 10 ]
ok $? "and the refreshes go on: $((lines1 - lines0)) --json lines in 3 s at -i 0.2"
hz=$(getconf CLK_TCK)
[ $((ticks1 - ticks0)) -le $((hz / 2)) ]
ok $? "without spinning: napitop took $((ticks1 - ticks0)) ticks of CPU in those 3 s (at most $((hz / 2)))"
wait $HOLDER

# 40 idle connections, more than the 16 it serves at once (the rest wait
# in the listen backlog): the refreshes go on, and once the client goes
# scrapes are served again.
perl -MIO::Socket::INET -e '
	my ($port, $n) = @ARGV; my @s;
	for (1 .. $n) { my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => $port); push @s, $c if $c; }
	print "held ", scalar @s, "\n"; STDOUT->flush; sleep 30' "$port" 40 >"$TMP/hold40" 2>&1 &
HOLDER=$!
CLEANUP="kill $HOLDER 2>/dev/null; ${CLEANUP:-}"
for i in $(seq 50); do grep -q held "$TMP/hold40" && break; sleep 0.1; done
lines0=$(wc -l <"$TMP/run.json")
sleep 2
lines1=$(wc -l <"$TMP/run.json")
[ $((lines1 - lines0)) -ge 6 ]
ok $? "$(sed "s/^held //" "$TMP/hold40") connections held: the refreshes go on ($((lines1 - lines0)) lines in 2 s)"
kill $HOLDER 2>/dev/null
wait $HOLDER 2>/dev/null
curl -sf -m 2 "http://127.0.0.1:$port/metrics" -o /dev/null
ok $? "once that client is gone, a scrape is served at once"
kill -INT $NTPID
wait $NTPID
ok $? "napitop ends on SIGINT with exit 0"
# the port is closed with it
! curl -s -m 1 "http://127.0.0.1:$port/metrics" -o /dev/null
ok $? "and its port is closed"
nothing_left "after the run" "$NAPITOP_PROGS"
done_testing
