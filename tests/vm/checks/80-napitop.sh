# Host side of tests/80-napitop.sh: napitop's last refresh after each run
# of traffic in the guest.
#   backlog        COUNT datagrams to 127.0.0.1: every one passed through
#                  the per-CPU backlog NAPI, the instance "backlog" (napi_id
#                  0, no device): at least that many packets (and not many
#                  more: nothing else uses lo there), polls each doing some
#                  of that work, all in its histogram, in NET_RX softirq,
#                  whose runs and (all softirqs') time the kernel counted
#   nic            pings answered by qemu through eth0's NAPI: a receive
#                  instance with a napi_id, its device and namespace, at
#                  least the replies as packets, polled in softirq (beside
#                  it virtio-net has a transmit NAPI per queue, no napi_id,
#                  no packets: it polls for completions)
#   nic-threaded   the same after napitop --threaded eth0 on: polled by
#                  its kthread, whose CPU time napitop measured
# Where the kernel answers napi-get (netdev netlink, 6.8+), the instance's
# kthread pid from it: none in softirq, the polling kthread's when
# threaded; and its IRQ, shown (virtio-net, the 6.12 guest's NIC, does not
# link its NAPIs to IRQs: napi-get names none there, nor on this host's
# 6.18).
# A run whose file is missing, empty or not JSON fails each of its checks.
# The NIC's runs are judged where the guest has a NIC (tests/vm/features).
. "$KSCOPE_TOP/tests/vm/guest/lib.sh"
nic=0 napi_get=0
expects nic && nic=1
expects napi_get && napi_get=1
echo "1..$((6 + nic * (10 + 2 * napi_get)))"
perl -MJSON::PP -e '
	my ($dir, $nic, $napi_get) = @ARGV;
	sub say_ok { printf "%s - napitop %s\n", $_[0] ? "ok" : "not ok", $_[1] }
	sub slurp { open my $h, "<", "$dir/$_[0]" or return ""; local $/; <$h> }
	# the last refresh of a run; {} (every check of it fails) when none
	sub last_json {
		my $j = eval { decode_json(slurp("napitop.$_[0].json")) };
		print "# $_[0]: no last refresh from the guest (missing, empty or not JSON)\n" unless $j;
		$j // {};
	}
	sub sum { my $s = 0; $s += $_ // 0 for @_; $s }

	{
		my $j = last_json("backlog");
		my ($sent) = slurp("napitop.backlog.traffic") =~ /^sent (\d+)/m;
		$sent //= 0;
		my @bl = grep { $_->{dev} eq "backlog" } @{$j->{napis}};
		my $b = $bl[0] // {};
		say_ok(@bl == 1 && defined $b->{napi_id} && $b->{napi_id} == 0 && $b->{ifindex} == 0,
		       sprintf "on the backlog: one instance, napi_id %s, no device", $b->{napi_id} // "none");
		my $pk = $b->{packets} // 0;
		say_ok($sent > 0 && $pk >= $sent && $pk <= $sent * 1.02 + 20,
		       sprintf "on the backlog: packets %d for %d datagrams sent (softnet drops %d)",
		       $pk, $sent, sum(map { $_->{dropped} } @{$j->{cpus}}));
		my $polls = $b->{polls} // 0;
		my $hist = sum(@{$b->{hist} // []});
		say_ok($polls > 0 && $polls <= $pk && $hist == $polls,
		       sprintf "on the backlog: polls %d, at most one per packet, all %d in the histogram (%.1f packets a poll)",
		       $polls, $hist, $polls ? $pk / $polls : 0);
		my ($s, $k, $t, $bp) = @{$b->{modes} // [0, 0, 0, 0]};
		say_ok($polls && $s + $k == $polls && ($b->{mode} // "") =~ /^(softirq|ksoftirqd)$/,
		       "on the backlog: mode " . ($b->{mode} // "none") .
		       ": polls in softirq $s, ksoftirqd $k, threaded $t, busy poll $bp");
		my @sirq = grep { exists $_->{softirq_ns} } @{$j->{cpus} // []};
		my $n = sum(map { $_->{netrx_count} } @{$j->{cpus}});
		my $timed = grep { exists $_->{netrx_ns} } @{$j->{cpus} // []};
		say_ok($n > 0 && @sirq && !$timed,
		       sprintf "NET_RX softirq runs counted: %d; the kernel%ss softirq time on %d CPUs " .
		       "(%.3f ms); no NET_RX time on %d without --netrx-time", $n, chr(39), scalar @sirq,
		       sum(map { $_->{softirq_ns} } @sirq) / 1e6, $timed);
		say_ok(defined $j->{lost}{napis} && defined $j->{lost}{threads} &&
		       !$j->{lost}{napis} && !$j->{lost}{threads},
		       "nothing lost (napis " . ($j->{lost}{napis} // "?") . ", threads " . ($j->{lost}{threads} // "?") . ")");
	}

	for my $run ($nic ? qw(nic nic-threaded) : ()) {
		my $j = last_json($run);
		my ($got) = slurp("napitop.$run.traffic") =~ /(\d+) packets received/;
		$got //= 0;
		# the receive instance has a napi_id (hashed for busy poll); a
		# transmit-only one (virtio-net has them) has none, receives nothing
		my @e = grep { $_->{dev} eq "eth0" && $_->{napi_id} } @{$j->{napis}};
		my @tx = grep { $_->{dev} eq "eth0" && !$_->{napi_id} } @{$j->{napis}};
		my $e = $e[0] // {};
		say_ok(@e == 1 && $e->{ifindex} > 0 && $e->{netns} > 0 && !grep({ $_->{packets} } @tx),
		       sprintf "%s: eth0 has one receive instance, napi_id %d, ifindex %d, netns %d (and %d transmit-only, no packets)",
		       $run, $e->{napi_id} // 0, $e->{ifindex} // 0, $e->{netns} // 0, scalar @tx);
		my ($pk, $polls) = ($e->{packets} // 0, $e->{polls} // 0);
		say_ok($got > 0 && $pk >= $got && $pk <= $got + 100,
		       "$run: packets $pk for $got ping replies");
		say_ok($polls > 0 && sum(@{$e->{hist} // []}) == $polls,
		       "$run: polls $polls, all in the histogram");
		my ($s, $k, $t) = @{$e->{modes} // [0, 0, 0]};
		# the configuration: per NAPI from 6.13, none here: the device
		# sysfs values, as the guest read them
		if ($run eq "nic") {
			my ($defer, $gro) = split /\s+/, slurp("napitop.nic.sysfs");
			my $c = $e->{config} // {};
			say_ok(defined $defer && ($c->{from} // "") eq "device" &&
			       ($c->{defer_hard_irqs} // -1) == $defer &&
			       ($c->{gro_flush_timeout_ns} // -1) == $gro && !defined $c->{irq_suspend_timeout_ns},
			       sprintf "nic: config from the device: defer-hard-irqs %s, gro-flush-timeout %s ns (sysfs %s %s), no irq-suspend-timeout",
			       $c->{defer_hard_irqs} // "none", $c->{gro_flush_timeout_ns} // "none",
			       $defer // "?", $gro // "?");
		}
		# napi-get: a kthread only when threaded, the one that polled
		my $kp = $e->{kthread_pid};
		say_ok($run eq "nic" ? !defined $kp : $kp && $kp == ($e->{thread_pid} // 0),
		       sprintf "%s: napi-get names kthread pid %s (polled by %s), irq %s", $run,
		       $e->{kthread_pid} // "none", $e->{thread_pid} || "no kthread", $e->{irq} // "none")
			if $napi_get;
		if ($run eq "nic") {
			say_ok($polls > 0 && $s + $k == $polls && defined $e->{thread_pid} && $e->{thread_pid} == 0,
			       "$run: polled in NET_RX softirq ($s, ksoftirqd $k, threaded $t), no kthread");
			next;
		}
		my ($th) = grep { $_->{pid} == ($e->{thread_pid} // -1) } @{$j->{threads} // []};
		say_ok(($e->{mode} // "") eq "threaded" && $t == $polls && $th && $th->{comm} eq "napi/eth0-$e->{napi_id}",
		       sprintf "%s: all %d polls by its kthread (pid %d, %s)", $run, $t,
		       $e->{thread_pid} // 0, $th ? $th->{comm} : "not among the threads");
		say_ok(($e->{kthread_ns} // 0) > 0 && $th && $th->{run_ns} > 0,
		       sprintf "%s: the kthread\x27s CPU time counted (%.3f ms)", $run, ($e->{kthread_ns} // 0) / 1e6);
	}
' "$KSCOPE_FILES" $nic $napi_get
