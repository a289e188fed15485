# The keys every live view shares (src/lib/live.c, src/lib/tui.c), used
# as a person would: read the tool's own help screen, press each key the
# frame lists, and check what the screen shows.  Sourced by the tools'
# *_tui.t after lib.sh; the tool runs in tmux session t on socket $sock
# with --no-color, at the default size (120 columns or more, 40 lines).
#
#   keys_check TOOL     the checks below, KEYS_TESTS lines of TAP
#
# Needs a view whose figures change at every refresh (a workload runs)
# and a table with rows.

KEYS_TESTS=10

keys_screen() { tmux -L "$sock" capture-pane -p -t t; }
keys_send() { tmux -L "$sock" send-keys -t t "$@"; }

# The refresh interval the header shows, in seconds ("refresh 0.5 s").
keys_refresh() { keys_screen | head -4 | grep -oE 'refresh [0-9.]+ s' | awk '{ print $2 }'; }

# The time of the figures in screen file $1, at the status bar's end.
keys_when() { tail -1 "$1" | grep -oE ' [0-9]{2}:[0-9]{2}:[0-9]{2}$' | cut -c2-; }

# Screens that differ from the one before, sampled every 0.1 s for 3 s.
keys_changes() {
	local prev= cur n=0 i
	for i in $(seq 30); do
		cur=$(keys_screen | md5sum)
		[ -n "$prev" ] && [ "$cur" != "$prev" ] && n=$((n + 1))
		prev=$cur
		sleep 0.1
	done
	echo $n
}

# The table's rows as the screen shows them, judged by its sorted column
# (marked ▼, or * without UTF-8): "ok COLUMN N" when the N rows are in
# order by it (numbers either way, with their units; text A to Z), else
# "bad COLUMN ..." with the values.
keys_sorted() {
	perl -CSD -e '
		my @l = <STDIN>; chomp @l;
		my ($h) = grep { $l[$_] =~ /[\x{25bc}*]/ && $l[$_] =~ /[A-Z]{3}/ &&
				 $l[$_] !~ /[a-rt-z]/ } 1 .. $#l - 1;
		defined $h or do { print "bad none: no sorted column\n"; exit };
		my $line = $l[$h];
		# a title is a word in capitals, with its unit ("CONFLICT s", "RUN %")
		$line =~ /(\S+(?: [s%])?)[\x{25bc}*]/ or do { print "bad none\n"; exit };
		my ($title, $start, $end) = ($1, $-[1], $+[0]);	# $end: past the mark
		my %u = (B => 1, KiB => 2**10, MiB => 2**20, GiB => 2**30, TiB => 2**40,
			 ns => 1e-9, us => 1e-6, ms => 1e-3, s => 1, "%" => 1);
		my $unit = qr/B|[KMGT]iB|[num]?s|%/;
		my (@right, @left);
		for my $r ($h + 1 .. $#l - 1) {
			my $row = $l[$r];
			last if $row =~ /^\s*$/;
			# right-aligned (numbers): the value ends where the title ends
			push @right, substr($row, 0, $end) =~ /(\S+(?: $unit)?)$/ ? $1 : "";
			# left-aligned (text): the first word from where the title starts
			push @left, length($row) > $start && substr($row, $start) =~ /^(\S+)/ ? $1 : "";
		}
		my @n = map {
			/^-$/ ? -1e300 :
			/^([0-9.]+) ?($unit)?$/ ? $1 * ($2 ? $u{$2} : 1) :
			/^[0-9a-f]{6,}$/ ? hex($_) : undef } @right;
		my $num = @n && !grep { !defined } @n;
		my @v = $num ? @right : @left;
		my ($up, $down) = (1, !!$num);
		for my $i (1 .. $#v) {
			if ($num) {
				$up = 0 if $n[$i] < $n[$i - 1];
				$down = 0 if $n[$i] > $n[$i - 1];
			} else {
				$up = 0 if $v[$i] lt $v[$i - 1];
			}
		}
		printf "%s %s %d%s\n", ($up || $down) ? "ok" : "bad", $title, scalar @v,
			($up || $down) ? "" : ": @v";'
}

# The table's head line: the sort mark, capitals, no lower case but the
# unit s (the lanes and the canvas have lower-case labels).
KEYS_THEAD='(/[\x{25bc}*]/ && /[A-Z]{3}/ && !/[a-rt-z]/)'

# The selected row (reverse video, from capture-pane -e, below the
# table's head line, which is reverse too): its line number and text.  tmux writes an
# attribute where it changes, so the state is carried across lines.
keys_selected() {
	tmux -L "$sock" capture-pane -p -e -t t | perl -CSD -ne '
		my ($plain, $first) = ("", undef);
		for my $t (split /(\e\[[0-9;]*m)/) {
			if ($t =~ /^\e\[([0-9;]*)m$/) {
				for my $p (split /;/, $1 eq "" ? "0" : $1) {
					$rev = 1 if $p eq "7";
					$rev = 0 if $p eq "0" || $p eq "27";
				}
				next;
			}
			$first //= $rev if $t ne "";
			$plain .= $t;
		}
		if (!$h) { $h = 1 if do { local $_ = $plain; '"$KEYS_THEAD"' }; next }
		if ($first && $plain =~ /\S/) { $plain =~ s/\s+$//; print "$. $plain\n"; exit }'
}

# keys_filter TEXT: / then TEXT (what was typed before erased) and Enter;
# the screen, held still, in $TMP/keys-f
keys_filter() {
	keys_send /
	keys_send BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace 		BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace BSpace
	[ -z "$1" ] || keys_send -l "$1"
	keys_send Enter
	sleep 0.6
	keys_send Space
	sleep 0.3
	keys_screen >"$TMP/keys-f"
	keys_send Space
}

# keys_rows TEXT: "ROWS WITHOUT" of the table in $TMP/keys-f: its rows,
# and how many of them lack TEXT
keys_rows() {
	perl -CSD -e 'my $w = shift; my ($h, $n, $bad) = (0, 0, 0);
		my @l = <STDIN>; pop @l;	# the status bar
		for (@l) {
			if ($h && /\S/) { $n++; $bad++ if index($_, $w) < 0 }
			$h = 1 if '"$KEYS_THEAD"' }
		print "$n $bad"' "$1" <"$TMP/keys-f"
}

keys_check() {	# keys_check TOOL [FILTER-TEXT]: the first row's first word if none
	local tool=$1 word=$2 r0 r1 r2 fast slow a b out sel1 sel2 rows
	local help="$TMP/keys-help"

	# h: the help box lists the shared keys; any key closes it
	keys_send h
	sleep 0.6
	keys_screen >"$help"
	grep -q " $tool keys " "$help" && perl -e '
		my %want = ("q" => "quit", "h ?" => "this help", "space" => "pause",
			    "+ -" => "refresh faster", "s" => "next sort column", "/" => "filter",
			    "arrows" => "move the selection", "PgUp PgDn" => "page up",
			    "Home End" => "first / last row");
		local $/; my $s = <STDIN>; my $bad = 0;
		for my $k (sort keys %want) {
			next if $s =~ /\Q$k\E +\Q$want{$k}\E/;
			print "# help lacks $k ($want{$k})\n"; $bad++ }
		exit($bad > 0)' <"$help"
	ok $? "h: $tool's help lists q, h ?, space, + -, s, /, arrows, PgUp PgDn, Home End"
	keys_send x
	sleep 0.6
	! keys_screen | grep -q " $tool keys "
	ok $? "any key closes the help"

	# + and -: the header's refresh halves and doubles, and the screen
	# changes with it
	r0=$(keys_refresh)
	keys_send +
	keys_send +
	sleep 0.5
	r1=$(keys_refresh)
	fast=$(keys_changes)
	keys_send -
	keys_send -
	keys_send -
	keys_send -
	sleep 0.5
	r2=$(keys_refresh)
	slow=$(keys_changes)
	keys_send +
	keys_send +
	sleep 0.3
	[ -n "$r0" ] && perl -e 'exit !(abs($ARGV[1] - $ARGV[0] / 4) < 0.01 && abs($ARGV[2] - $ARGV[0] * 4) < 0.01)' \
		"$r0" "$r1" "$r2" && [ "$fast" -gt "$slow" ]
	ok $? "+ + and - - - -: refresh ${r0:-?} s -> ${r1:-?} s -> ${r2:-?} s in the header; the screen changed $fast then $slow times in 3 s"

	# space: the picture stays still, PAUSED says so; space again catches
	# up.  Judged by the time of the figures on the status bar, not by the
	# figures: a steady workload can show the same ones twice (CI of
	# 83eafe5: napitop at a paced 20000 packets a second)
	keys_send Space
	sleep 0.5
	keys_screen >"$TMP/keys-p1"
	sleep 3
	keys_screen >"$TMP/keys-p2"
	a=$(keys_when "$TMP/keys-p1")
	grep -q 'PAUSED' "$TMP/keys-p1" && cmp -s "$TMP/keys-p1" "$TMP/keys-p2" && [ -n "$a" ]
	ok $? "space: PAUSED, and the screen is the same 3 s later, figures of ${a:-?}"
	keys_send Space
	sleep 0.5
	keys_screen >"$TMP/keys-p3"
	sleep 3
	keys_screen >"$TMP/keys-p4"
	b=$(keys_when "$TMP/keys-p3")
	out=$(keys_when "$TMP/keys-p4")
	! grep -q 'PAUSED' "$TMP/keys-p3" && [ -n "$b" ] && [ "$b" != "$a" ] &&
		[ -n "$out" ] && [ "$out" != "$b" ]
	ok $? "space again: PAUSED $(grep -q PAUSED "$TMP/keys-p3" && echo stays || echo gone), caught up at once and moving on: figures of ${a:-?}, ${b:-?} 0.5 s after, ${out:-?} 3 s later"

	# s: another column sorted, the rows in its order
	a=$(keys_screen | keys_sorted)
	keys_send s
	sleep 0.6
	keys_send Space		# held still while judged
	sleep 0.3
	b=$(keys_screen | keys_sorted)
	keys_send Space
	[ "${a% *}" != "${b% *}" ] && [ "${b%% *}" = ok ] && [ "$(awk '{ print $NF }' <<<"${b%%:*}")" -ge 1 ]
	ok $? "s: sorted by another column, rows in its order (before: $a; after: $b)"

	# arrows: the selection moves down and back
	sel1=$(keys_selected)
	keys_send Down
	sleep 0.4
	sel2=$(keys_selected)
	keys_send End
	keys_send Home
	keys_send PageDown
	keys_send PageUp
	keys_send Up
	sleep 0.4
	rows=$(keys_screen | perl -CSD -ne '$h = 1, next if '"$KEYS_THEAD"'; $n++ if $h && /\S/; END { print $n - 1 }')
	if [ "${rows:-0}" -ge 2 ]; then
		[ -n "$sel1" ] && [ "${sel2%% *}" = $((${sel1%% *} + 1)) ] &&
			[ "$(keys_selected | cut -d' ' -f1)" = "${sel1%% *}" ]
		ok $? "Down moves the selection a row down, Up (after End Home PgDn PgUp) back: lines ${sel1%% *} -> ${sel2%% *}"
	else
		[ -n "$sel1" ]
		ok $? "the selection is shown (one row: nothing to move to): line ${sel1%% *}"
	fi

	# /: only the rows with the text stay, and the status says so
	[ -n "$word" ] || word=$(keys_screen | perl -CSD -ne 'if ($h && /\S/) { /^\s*(\S+)/; print $1; exit } $h = 1 if '"$KEYS_THEAD")
	keys_filter "$word"
	out=$(keys_rows "$word")
	grep -q "filter: $word" "$TMP/keys-f" && [ "${out% *}" -ge 1 ] && [ "${out#* }" = 0 ]
	ok $? "/ $word Enter: 'filter: $word' shown, ${out% *} rows, each with it"
	keys_filter zzqx
	a=$(keys_rows zzqx)
	keys_filter ""
	b=$(keys_rows "")
	[ "$a" = "0 0" ] && [ "${b% *}" -ge 1 ] && ! grep -q 'filter:' "$TMP/keys-f"
	ok $? "/ zzqx: no row has it, none shown ($a); / with the text erased: the filter is gone, ${b% *} rows back"

	# resize: redrawn at the new size
	tmux -L "$sock" resize-window -t t -x 100 -y 30 2>/dev/null
	sleep 0.8
	keys_screen >"$TMP/keys-r"
	[ "$(wc -l <"$TMP/keys-r")" = 30 ] &&
		perl -CSD -ne '$ok = 1 if /refresh [0-9.]+ s$/ && length($_) == 101; $bad = 1 if length($_) > 101;
			END { exit !($ok && !$bad) }' "$TMP/keys-r" &&
		tail -1 "$TMP/keys-r" | grep -qE 'q quit'
	ok $? "resize to 100x30: the refresh ends a header line at column 100, the status bar on line 30"
}
