# Host side of tests/75-coretop-measured.sh: coretop's figures of core 0
# (CPUs 0 and 1) while two cpuburns ran there: forced idle with two
# cookies, at the rate the kernel's own count (read by the guest test
# around the run) gives, and blamed on the pair; none with one shared
# cookie.  Where the guest's kernel has no core scheduling
# (tests/vm/features) there is nothing to judge: the guest said why.
. "$KSCOPE_TOP/tests/vm/guest/lib.sh"
if ! expects sched_core; then
	echo "1..0 # SKIP $KSCOPE_GUEST has no core scheduling"
	exit 0
fi
echo "1..6"
perl -MJSON::PP -e '
	my $dir = shift;
	sub say_ok { printf "%s - coretop measured: %s\n", $_[0] ? "ok" : "not ok", $_[1] }
	sub lines { open my $h, "<", "$dir/$_[0]" or return (); <$h> }
	# the last refresh of a run, or undef (and why) when there is none
	sub last_refresh {
		my @l = lines("coretop.$_[0].json");
		return (undef, "no file or an empty one") unless @l;
		my $j = eval { decode_json($l[-1]) };
		return (undef, "its last line is not JSON") unless $j;
		return (undef, "no elapsed_s") unless ($j->{elapsed_s} // 0) > 0;
		return (undef, "no core 0") unless $j->{cores} && $j->{cores}[0];
		($j, "");
	}
	# (not $a and $b: sort owns those)
	my ($apart, $why) = last_refresh("apart");
	say_ok($apart, "the run with two cookies left figures" . ($apart ? "" : ": $why"));
	my ($one, $why1) = last_refresh("together");
	say_ok($one, "the run with one shared cookie left figures" . ($one ? "" : ": $why1"));
	$apart //= { elapsed_s => 1, cores => [{}] };
	my $win = $apart->{elapsed_s} * 1e9;
	my $c = $apart->{cores}[0];
	my $fi = ($c->{forced_idle_ns} // 0) / $win;
	say_ok($fi > 0.4, sprintf "two cookies on one core: a sibling forced idle %.0f%% of the window", 100 * $fi);
	# the kernel count, as a rate over the window the guest test read it in
	my $ours = 0;
	$ours += $_->{forced_idle_ns} // 0 for map { @{$_->{siblings} // []} } @{$apart->{cores}};
	my ($k0, $k1) = map { [split] } lines("coretop.apart.kernel");
	my ($krate, $orate) = (-1, $ours / $win);
	$krate = ($k1->[1] - $k0->[1]) * 1e3 / (($k1->[0] - $k0->[0]) * 1e9)
		if $k0 && $k1 && defined $k0->[1] && defined $k1->[1] && $k1->[0] > $k0->[0];
	say_ok($orate > 0 && $krate > 0.8 * $orate && $krate < 1.2 * $orate,
	       sprintf "the kernel counts the same forced idle (cpu.stat %.3f s/s, ours %.3f s/s)", $krate, $orate);
	my %cpuburn = map { $_->{group} => 1 } grep { $_->{comm} eq "cpuburn" } @{$apart->{tasks} // []};
	my ($pair) = sort { $b->{ns} <=> $a->{ns} } @{$apart->{pairs} // []};
	my @burn = grep { $_->{comm} eq "cpuburn" } @{$apart->{tasks} // []};
	say_ok(keys(%cpuburn) == 2 && $pair && $cpuburn{$pair->{a}} && $cpuburn{$pair->{b}} &&
	       @burn == 2 && !grep({ !$_->{caused_ns} || !$_->{suffered_ns} } @burn),
	       "the top pair is the two cpuburns\x27 cookies, and each caused and suffered forced idle");
	# a shared cookie: the siblings ran together, none forced idle
	my $c1 = $one ? $one->{cores}[0] : {};
	my $w1 = ($one ? $one->{elapsed_s} : 1) * 1e9;
	my ($fi1, $busy1) = (($c1->{forced_idle_ns} // 1e18) / $w1, ($c1->{busy_ns} // 0) / $w1);
	say_ok($fi1 < 0.05 && $busy1 > 0.5,
	       sprintf "one shared cookie: forced idle %.1f%% of the window, the core busy %.0f%%", 100 * $fi1, 100 * $busy1);
' "$KSCOPE_FILES"
