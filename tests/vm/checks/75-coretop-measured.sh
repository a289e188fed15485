# Host side of tests/75-coretop-measured.sh: coretop's figures of core 0
# (CPUs 0 and 1) while two cpuburns ran there: forced idle with two
# cookies, agreeing with the kernel's own count and blamed on the pair;
# none with one shared cookie.
f=$KSCOPE_FILES
[ -s "$f/coretop.apart.json" ] || exit 0	# the guest said why it skipped
perl -MJSON::PP -e '
	sub last_line { open my $h, "<", $_[0] or return; my @l = <$h>; decode_json($l[-1]) }
	sub say_ok { printf "%s - coretop measured: %s\n", $_[0] ? "ok" : "not ok", $_[1] }
	# (not $a and $b: sort owns those)
	my ($apart, $one) = map { last_line("$ARGV[0]/coretop.$_.json") } qw(apart together);
	my $win = $apart->{elapsed_s} * 1e9;
	my $c = $apart->{cores}[0];
	my $fi = $c->{forced_idle_ns} / $win;
	say_ok($fi > 0.4, sprintf "two cookies on one core: a sibling forced idle %.0f%% of the window", 100 * $fi);
	my $ours = 0;
	$ours += $_->{forced_idle_ns} for map { @{$_->{siblings}} } @{$apart->{cores}};
	my $kern = ($apart->{kernel_forced_idle_s} // -1) * 1e9;
	say_ok($ours > 0 && $kern > 0.8 * $ours && $kern < 1.2 * $ours,
	       sprintf "the kernel counts the same forced idle (cpu.stat %.3f s, ours %.3f s)", $kern / 1e9, $ours / 1e9);
	my %cpuburn = map { $_->{group} => 1 } grep { $_->{comm} eq "cpuburn" } @{$apart->{tasks}};
	my ($pair) = sort { $b->{ns} <=> $a->{ns} } @{$apart->{pairs}};
	say_ok(keys(%cpuburn) == 2 && $pair && $cpuburn{$pair->{a}} && $cpuburn{$pair->{b}},
	       "the top pair is the two cpuburns\x27 cookies");
	my @burn = grep { $_->{comm} eq "cpuburn" } @{$apart->{tasks}};
	say_ok(@burn == 2 && !grep({ !$_->{caused_ns} || !$_->{suffered_ns} } @burn),
	       "each cpuburn caused and suffered forced idle");
	if ($one) {
		my $fi1 = $one->{cores}[0]{forced_idle_ns} / ($one->{elapsed_s} * 1e9);
		say_ok($fi1 < 0.05, sprintf "one shared cookie: forced idle %.1f%% of the window", 100 * $fi1);
	} else {
		say_ok(0, "one shared cookie: no figures from the guest");
	}
' "$f"
