#!/bin/bash
# kscope in a real Prometheus: Debian's prometheus server scrapes napitop's
# --metrics once a second while tools/udpflood sends a known number of
# datagrams over veth (tests/integ/napi_lib.sh); through Prometheus' HTTP
# API, vb's packets must equal what napitop's own --json says (within 3%)
# and what the receiver got, the target must be up with no scrape error,
# the counters must show no reset, the polls by context must add up.  Both
# run inside the receiver's network namespace, so their ports collide with
# nothing on the machine; both are stopped at the end.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
need_bpf
napi_need gro
PROMETHEUS=$(command -v prometheus) || skip_all "prometheus not installed (Debian: prometheus)"
command -v curl >/dev/null || skip_all "curl not installed (Debian: curl)"
plan 11

NT=$BIN/napitop
COUNT=200000

# promql EXPR: the first value of an instant query, empty if none
promql() {
	ip netns exec "$NB" curl -sf -m 5 http://127.0.0.1:9090/api/v1/query \
		--data-urlencode "query=$1" |
		perl -MJSON::PP -e 'my $j = eval { decode_json(join "", <STDIN>) } or exit 1;
			my $r = $j->{data}{result}; exit 1 unless $j->{status} eq "success" && @$r;
			print $r->[0]{value}[1], "\n"'
}

within() {	# within A B PCT: |A - B| <= PCT% of B
	perl -e 'exit !(abs($ARGV[0] - $ARGV[1]) <= $ARGV[2] / 100 * $ARGV[1])' "$@"
}

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
ip netns exec "$NB" "$NT" --threaded vb off >/dev/null 2>&1

ip netns exec "$NB" "$NT" --json --dev vb -i 0.5 --metrics 127.0.0.1:0 \
	>"$TMP/nt.json" 2>"$TMP/nt.err" &
NTPID=$!
CLEANUP="kill $NTPID 2>/dev/null; ${CLEANUP:-}"
for i in $(seq 50); do
	grep -q 'metrics at http' "$TMP/nt.err" && break
	sleep 0.1
done
port=$(sed -n 's|.*metrics at http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$TMP/nt.err")
[ -n "$port" ]
ok $? "napitop serves its metrics in vb's namespace (port $port)"
loaded_now "while it serves" "$NAPITOP_PROGS"

mkdir -p "$TMP/prom"
cat >"$TMP/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: napitop
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
ip netns exec "$NB" "$PROMETHEUS" --config.file="$TMP/prom/prometheus.yml" \
	--storage.tsdb.path="$TMP/prom/data" --web.listen-address=127.0.0.1:9090 \
	>"$TMP/prom/log" 2>&1 &
PROMPID=$!
CLEANUP="kill $PROMPID 2>/dev/null; wait $PROMPID 2>/dev/null; ${CLEANUP:-}"
up=''
for i in $(seq 120); do
	up=$(promql 'up{job="napitop"}')
	[ "$up" = 1 ] && break
	sleep 0.25
done
[ "$up" = 1 ]
ok $? "Prometheus $("$PROMETHEUS" --version 2>&1 | awk 'NR == 1 {print $3}') scrapes napitop: up == 1 after $((i / 4)) s"
[ "$up" = 1 ] || diag "$(tail -5 "$TMP/prom/log")"

napi_traffic $COUNT 64
# settled: two scrapes after the traffic give the same count
last='' same=0
for i in $(seq 40); do
	v=$(promql 'kscope_napitop_packets_total{device="vb"}')
	if [ -n "$v" ] && [ "$v" = "$last" ]; then
		same=$((same + 1))
		[ $same -ge 4 ] && break
	else
		same=0
	fi
	last=$v
	sleep 0.5
done
prom_packets=${last:-0}
json_packets=$(tail -1 "$TMP/nt.json" | perl -MJSON::PP -e '
	my $j = decode_json(<STDIN>); my ($vb) = grep { $_->{dev} eq "vb" } @{$j->{napis}};
	print $vb->{packets} // 0, "\n"')
[ $same -ge 4 ] && [ "$prom_packets" -gt 0 ] && within "$prom_packets" "$json_packets" 3
ok $? "Prometheus' vb packets equal napitop's --json: $prom_packets vs $json_packets"
[ "$RECEIVED" -ge $((COUNT * 95 / 100)) ] && within "$prom_packets" "$RECEIVED" 3
ok $? "and what the receiver got: $prom_packets vs $RECEIVED (sent $SENT)"

napi_id=$(promql 'kscope_napitop_packets_total{device="vb"}' >/dev/null &&
	ip netns exec "$NB" curl -sf http://127.0.0.1:9090/api/v1/series \
		--data-urlencode 'match[]=kscope_napitop_packets_total{device="vb"}' |
	perl -MJSON::PP -e 'print decode_json(join "", <STDIN>)->{data}[0]{napi_id}')
[ -n "$napi_id" ] && [ "$napi_id" = "$NAPI_ID" ]
ok $? "the series carries vb's napi_id ($napi_id, the socket saw $NAPI_ID)"

polls=$(promql 'kscope_napitop_polls_total{device="vb"}')
by_context=$(promql 'sum(kscope_napitop_polls_by_context_total{device="vb"})')
[ -n "$polls" ] && [ "$polls" -gt 0 ] && [ "$polls" = "$by_context" ]
ok $? "polls by context add up to the polls: $by_context of $polls"

resets=$(promql 'sum(resets(kscope_napitop_packets_total[5m])) + sum(resets(kscope_napitop_polls_total[5m]))')
[ "$resets" = 0 ]
ok $? "no counter went down between scrapes (resets: ${resets:-none})"

ip netns exec "$NB" curl -sf http://127.0.0.1:9090/api/v1/targets |
	perl -MJSON::PP -e 'my $t = decode_json(join "", <STDIN>)->{data}{activeTargets}[0];
		print "$t->{health} [$t->{lastError}]\n"' >"$TMP/target"
grep -qx 'up \[\]' "$TMP/target"
ok $? "the target is healthy, no scrape error: $(cat "$TMP/target")"

kill -TERM $PROMPID
wait $PROMPID
prc=$?
kill -INT $NTPID
wait $NTPID
nrc=$?
[ $nrc = 0 ] && [ $prc = 0 ] && ! kill -0 $PROMPID 2>/dev/null
ok $? "both stopped: napitop exit $nrc, prometheus exit $prc"
nothing_left "after the Prometheus run" "$NAPITOP_PROGS"
done_testing
