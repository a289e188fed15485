#!/bin/bash
# napitop beside each NAPI's configuration and queue counters (the netdev
# netlink family, this machine's kernel), and --set: on the veth pair of
# tests/integ/napi_lib.sh (vb's NAPI: GRO on), napitop --json carries what
# napi-get says of vb's instance; --set vb changes defer-hard-irqs and
# gro-flush-timeout, read back through napitop's own netlink path and
# through sysfs, --set NAPI_ID irq-suspend-timeout through napi-set; the
# test restores what it found.  Bad input changes nothing, nor does a set
# the kernel refuses part way.  Queue counters
# (qstats-get) need a driver that keeps them (veth does not): this
# machine's eth0, against the kernel's own counters in sysfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/napi_lib.sh"
need_bpf
napi_need gro
plan 20

NT=$BIN/napitop
nsx() { ip netns exec "$NB" "$@"; }

napi_setup gro || { echo "Bail out! cannot set up the veth namespaces"; exit 1; }
id=$NAPI_ID

# vb_json: napitop --json beside some traffic; the last line's vb instance
# as "defer gro suspend from threaded queues qstats" (- where missing) in
# $TMP/vb
vb_json() {
	ip netns exec "$NB" "$NT" --json --dev vb -i 0.5 --metrics-textfile "$TMP/vb.prom" \
		>"$TMP/j" 2>"$TMP/j.err" &
	local pid=$!
	wait_for "$TMP/j.err" watching
	napi_traffic 2000 64
	sleep 0.6
	kill -INT $pid
	wait $pid
	perl -MJSON::PP -e '
		my @l = <STDIN>; my $j = decode_json($l[-1]);
		my ($vb) = grep { $_->{dev} eq "vb" && $_->{napi_id} } @{$j->{napis}};
		my $c = $vb->{config} // {};
		print join(" ", map({ $c->{$_} // "-" } qw(defer_hard_irqs gro_flush_timeout_ns
			irq_suspend_timeout_ns from threaded)), $vb->{queues} // "-",
			$vb->{qstats} ? "qstats" : "-"), "\n";
	' <"$TMP/j" >"$TMP/vb"
}

vb_json; read -r d0 g0 s0 from0 t0 q0 qs0 <"$TMP/vb"
[ "$from0" = napi ] && [ "$d0" = "$(nsx cat /sys/class/net/vb/napi_defer_hard_irqs)" ] &&
	[ "$g0" = "$(nsx cat /sys/class/net/vb/gro_flush_timeout)" ] && [ "$s0" != - ]
ok $? "--json: vb's configuration from napi-get: defer-hard-irqs $d0, gro-flush-timeout $g0 ns, irq-suspend-timeout $s0 ns, threaded $t0 (sysfs agrees)"
# veth links no queue to its NAPI and keeps no queue counters
[ "$q0" = - ] && [ "$qs0" = - ]
ok $? "veth: no queues and no queue counters shown (queues $q0, $qs0), not made up"

# --set by device: sysfs, which every NAPI of the device takes
nsx "$NT" --set vb defer-hard-irqs=$((d0 + 2)) gro-flush-timeout=250us >"$TMP/set.out" 2>"$TMP/set.err"
rc=$?
[ $rc = 0 ] && grep -qx "vb napi $id: defer-hard-irqs $d0 -> $((d0 + 2))" "$TMP/set.out" &&
	grep -q "^vb napi $id: gro-flush-timeout .* -> 250 us$" "$TMP/set.out" &&
	grep -q 'stay after napitop exits' "$TMP/set.err"
ok $? "--set vb defer-hard-irqs=$((d0 + 2)) gro-flush-timeout=250us: exit $rc, before and after: $(tr '\n' ';' <"$TMP/set.out")"
[ "$(nsx cat /sys/class/net/vb/napi_defer_hard_irqs)" = $((d0 + 2)) ] &&
	[ "$(nsx cat /sys/class/net/vb/gro_flush_timeout)" = 250000 ]
ok $? "sysfs reads them back"
vb_json; read -r d1 g1 s1 _ <"$TMP/vb"
[ "$d1" = $((d0 + 2)) ] && [ "$g1" = 250000 ]
ok $? "napitop --json reads them back through napi-get ($d1, $g1 ns)"
prom() { awk -v n="$1" 'index($1, n "{device=\"vb\"") == 1 { print $2 }' "$TMP/vb.prom"; }
[ "$(prom kscope_napitop_defer_hard_irqs)" = $((d0 + 2)) ] &&
	[ "$(prom kscope_napitop_gro_flush_timeout_seconds)" = 0.00025 ]
ok $? "and the metrics: defer_hard_irqs $(prom kscope_napitop_defer_hard_irqs), gro_flush_timeout_seconds $(prom kscope_napitop_gro_flush_timeout_seconds)"

# --set by NAPI id: napi-set
nsx "$NT" --set "$id" irq-suspend-timeout=1ms >"$TMP/set2.out" 2>"$TMP/set2.err"
rc=$?
vb_json; read -r _ _ s2 _ <"$TMP/vb"
[ $rc = 0 ] && [ "$s2" = 1000000 ]
ok $? "--set $id irq-suspend-timeout=1ms: exit $rc, napi-get reads $s2 ns: $(head -1 "$TMP/set2.out")"

# bad input: one line, non-zero exit, nothing changed
state() { nsx cat /sys/class/net/vb/napi_defer_hard_irqs /sys/class/net/vb/gro_flush_timeout | paste -sd' '; }
before=$(state)
one_line_error "--set: an unknown attribute" "unknown attribute 'defer'" \
	ip netns exec "$NB" "$NT" --set vb defer=1
one_line_error "--set: a value out of range" "from 0 to 2147483647" \
	ip netns exec "$NB" "$NT" --set vb defer-hard-irqs=2147483648 gro-flush-timeout=1us
one_line_error "--set: a NAPI id that is not there" "no NAPI with id 4000000000" \
	ip netns exec "$NB" "$NT" --set 4000000000 defer-hard-irqs=1
one_line_error "--set: a device of another namespace" "no network device 'vb' in this network namespace" \
	"$NT" --set vb defer-hard-irqs=1
one_line_error "--set: nothing to set" "what to set" \
	ip netns exec "$NB" "$NT" --set vb
one_line_error "--set: a NAPI id past 32 bits" "not a NAPI id" \
	ip netns exec "$NB" "$NT" --set 4294975489 defer-hard-irqs=1
[ "$(state)" = "$before" ]
ok $? "nothing changed by them (sysfs: $(state))"
# a write the kernel refuses after one it took (va has no NAPI, so no
# threaded mode): the one it took is undone
va_defer() { ip netns exec "$NA" cat /sys/class/net/va/napi_defer_hard_irqs; }
va0=$(va_defer)
one_line_error "--set: threaded refused after defer-hard-irqs was written" "the values before are back" \
	ip netns exec "$NA" "$NT" --set va defer-hard-irqs=$((va0 + 3)) threaded=on
[ "$(va_defer)" = "$va0" ]
ok $? "va's defer-hard-irqs as it was: $(va_defer)"

# the test puts back what it found
nsx "$NT" --set vb defer-hard-irqs="$d0" gro-flush-timeout="$g0" >/dev/null 2>&1 &&
	nsx "$NT" --set "$id" irq-suspend-timeout="$s0" >/dev/null 2>&1
vb_json; read -r d3 g3 s3 _ <"$TMP/vb"
[ "$d3 $g3 $s3" = "$d0 $g0 $s0" ]
ok $? "restored: $d3 $g3 $s3 as found"
nothing_left "after the runs" "$NAPITOP_PROGS"

# queue counters where a driver keeps them (veth does not): this
# machine's way out (virtio-net keeps them), with 20 TCP connects to its
# gateway as the traffic (each answered, SYN-ACK or RST); the counts since
# napitop started agree with the packets its polls took, and are within
# the kernel's own count (sysfs) around the run
eth=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* dev \([^ ]*\).*/\1/p')
gw=$(ip -o route get 1.1.1.1 2>/dev/null | sed -n 's/.* via \([^ ]*\).*/\1/p')
if [ -z "$eth" ] || [ -z "$gw" ]; then
	skip "queue counters: no device with a route out"
	skip "queue counters: no device with a route out"
else
	r0=$(cat /sys/class/net/$eth/statistics/rx_packets)
	"$NT" --json --dev "$eth" -i 0.5 >"$TMP/e.json" 2>"$TMP/e.err" &
	pid=$!
	wait_for "$TMP/e.err" watching
	for _ in $(seq 20); do timeout 1 bash -c "echo >/dev/tcp/$gw/9" 2>/dev/null; done
	sleep 0.6
	kill -INT $pid
	wait $pid
	r1=$(cat /sys/class/net/$eth/statistics/rx_packets)
	read -r queues q p <<<"$(perl -MJSON::PP -e '
		my @l = <STDIN>; my $j = decode_json($l[-1]);
		for (@{$j->{napis}}) { next unless $_->{queues} && $_->{qstats};
			print "$_->{queues} ", $_->{qstats}{"rx-packets"} // -1, " $_->{packets}\n"; exit }
		print "- -1 -1\n"' <"$TMP/e.json")"
	if [ "$queues" = - ]; then
		skip "queue counters: $eth's driver ($(basename "$(readlink /sys/class/net/$eth/device/driver 2>/dev/null)")) keeps none, or links no queue to its NAPIs"
		skip "queue counters: as above"
	else
		[ "$q" -ge 20 ] && [ "$q" -le $((r1 - r0)) ]
		ok $? "$eth's NAPI serves $queues: rx-packets since the start $q, at least the gateway's 20 answers, within the kernel's $((r1 - r0)) around the run"
		[ "$q" = "$p" ]
		ok $? "and the packets its polls took: $p"
	fi
fi
done_testing
