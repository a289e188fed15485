#!/bin/bash
# iofilter's Prometheus metrics, as a user would check them: iofilter
# guards the GPT of a loop device and audits a free range while
# tools/blkwrite writes to both a known number of times; /metrics scraped
# twice while it runs (counters never lower, the refusals seen going up),
# OpenMetrics when asked; after exit the textfile passes promtool and
# holds the same figures as the run's own outputs.  --json prints one
# line per verdict (and the counts at each refresh), so its figures are
# the verdict lines counted, and the counts line that closes the session
# file (-o): the textfile must equal both.  --headless prints nothing on stdout and still writes the file;
# --replay refuses the options; nothing of ours stays attached.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/iofilter_lib.sh"
need_bpf
command -v curl >/dev/null || skip_all "curl not installed"
command -v promtool >/dev/null || skip_all "promtool not installed (Debian: prometheus)"
loop_setup 64

IOF=$BIN/iofilter
prot=0-33			# the primary GPT: denied
at=8				# the refused attempts write 8 sectors here
audit_at=16384			# an audited range; O_DIRECT writes land there
attempts1=5 attempts2=3		# refused attempts before each scrape
audits=2
plan 19

# a blkwrite that may be killed, without the shell's "Killed" line
try_write() { { "$BLKWRITE" "$@"; } 2>/dev/null; }

# prom_value FILE SERIES: the value of one series (name{labels} exactly
# as rendered), empty when absent
prom_value() { awk -v s="$2" '$1 == s { print $2; exit }' "$1"; }

# denied FILE: rule 1's refusals, over its tiers
denied() {
	awk '$1 ~ /^kscope_iofilter_ios_denied_total{rule="1",/ { n += $2; s++ }
		END { if (s) print n }' "$1"
}

wait_started() {	# wait_started PID ERRFILE: until iofilter enforces
	for _ in $(seq 100); do
		grep -q 'enforcing' "$2" && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	diag "iofilter did not start: $(cat "$2")"
	return 1
}

# --- --json with --metrics and --metrics-textfile ------------------------
prom=$TMP/iofilter.prom
"$IOF" --rule "dev=$LOOP_DEV sectors=$prot" \
	--rule "dev=$LOOP_DEV sectors=$audit_at-$((audit_at + 7)) action=audit" \
	--json -o "$TMP/run.session" --metrics 127.0.0.1:0 --metrics-textfile "$prom" \
	-d 7 >"$TMP/run.json" 2>"$TMP/run.err" &
pid=$!
# expanded at cleanup: the run's pid until it is waited for
# shellcheck disable=SC2016
CLEANUP='[ -z "$pid" ] || kill $pid 2>/dev/null; '${CLEANUP:-}
wait_started $pid "$TMP/run.err"
url=$(sed -n 's/^iofilter: metrics at \(http:.*\)$/\1/p' "$TMP/run.err")
[[ $url == http://127.0.0.1:[1-9]*/metrics ]]
ok $? "the start-up line says where the metrics are: $url"
loaded_now "while it enforces" "$IOFILTER_PROGS"
# the tiers that enforce rule 1, as the start-up line states them: the
# refusals expected below depend on it, so a line that states none fails
tiers=$(sed -n "s/^iofilter: rule 1 '.*': deny at \([a-z,]*\).*/\1/p" "$TMP/run.err")

for _ in $(seq $attempts1); do try_write pwrite "$LOOP_DEV" $at 8 >/dev/null; done
for _ in $(seq $audits); do
	"$BLKWRITE" odirect "$LOOP_DEV" $audit_at 8 >/dev/null 2>&1 ||
		diag "an audited O_DIRECT write failed"
done
sleep 1.3			# a refresh (-i 1) has the writes
curl -sS --max-time 5 -D "$TMP/h1" -o "$TMP/s1" "$url"
rc=$?
d1=$(denied "$TMP/s1")
n=$(grep -c '^kscope' "$TMP/s1")
[ $rc = 0 ] && grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/h1" &&
	grep -q '^kscope_iofilter_rule_info{rule="1",action="deny"' "$TMP/s1" &&
	[ "$(grep -c '^kscope_iofilter_tier_active{' "$TMP/s1")" = 5 ]
ok $? "first scrape: curl exit $rc, text format 0.0.4, the rules and the 5 tiers ($n series)"

for _ in $(seq $attempts2); do try_write pwrite "$LOOP_DEV" $at 8 >/dev/null; done
sleep 1.3
curl -sS --max-time 5 -o "$TMP/s2" "$url"
rc=$?
# every counter of the first scrape is in the second, not lower
lower=$(awk '$1 ~ /^kscope_iofilter_[a-z_]*_total({|$)/ {
		if (FILENAME == ARGV[1]) v[$1] = $2
		else if ($1 in v) { seen++; if ($2 + 0 < v[$1] + 0) { bad++; print "#", $1, v[$1], "->", $2 } }
	} END { print bad + 0, seen + 0 }' "$TMP/s1" "$TMP/s2")
d2=$(denied "$TMP/s2")
read -r bad n <<<"$(tail -1 <<<"$lower")"
[ $rc = 0 ] && [ "$bad" = 0 ] && [ "$n" -gt 10 ]
ok $? "second scrape: no counter lower than in the first (of $n counters)"
[ -n "$d1" ] && [ -n "$d2" ] && [ "$d2" -gt "$d1" ] && [ "$d1" -gt 0 ]
ok $? "the refusals of rule 1 go up between the scrapes: $d1 -> $d2"

curl -sS --max-time 5 -D "$TMP/h3" -o "$TMP/s3" \
	-H 'Accept: application/openmetrics-text; version=1.0.0' "$url"
rc=$?
[ $rc = 0 ] && grep -qi '^content-type: application/openmetrics-text' "$TMP/h3" &&
	[ "$(tail -1 "$TMP/s3")" = '# EOF' ] && grep -q '^# TYPE kscope_iofilter_ios_denied counter' "$TMP/s3"
ok $? "OpenMetrics when asked: $(grep -i '^content-type' "$TMP/h3" | tr -d '\r'), '# EOF' last"

wait $pid
rc=$?
pid=
ok $rc "-d 7: iofilter exits 0 ($(tail -1 "$TMP/run.err"))"
out=$(promtool check metrics <"$prom" 2>&1)
ok $? "promtool check metrics accepts the textfile${out:+: $out}"

# the refusals: textfile = --json's verdict lines = the attempts (tier kill,
# this kind of kernel's: one refusal each; the bio and lsm tiers are the
# guests', tests/vm/tests/60-iofilter.sh)
denied_json=$(grep -c '"denied":true' "$TMP/run.json")
denied_prom=$(denied "$prom")
want=$((attempts1 + attempts2))
case $tiers in
kill) [ "$denied_prom" = $want ] ;;
'') false ;;
*) [ "$denied_prom" -gt 0 ] ;;	# how many refusals an attempt makes there: not stated
esac &&
	[ "$denied_prom" = "$denied_json" ]
ok $? "refusals of rule 1 at tier ${tiers:-(none stated: $(grep -m1 'rule 1' "$TMP/run.err"))}: textfile $denied_prom, --json $denied_json, attempts $want"
verdicts=$(prom_value "$prom" kscope_iofilter_verdicts_total)
comm=$(prom_value "$prom" 'kscope_iofilter_comm_ios_denied_total{comm="blkwrite"}')
lines=$(grep -c '"ts_ns"' "$TMP/run.json")	# the counts lines apart
[ "$verdicts" = "$lines" ] && [ "$comm" = "$denied_json" ] &&
	[ "$(prom_value "$prom" kscope_iofilter_ringbuf_drops_total)" = 0 ]
ok $? "verdicts: textfile $verdicts, --json lines $lines; refusals of blkwrite $comm; 0 drops"

# every (rule, tier) series against the counts line closing the session
# file: [hits, denied, sectors] at rule * 5 + tier
cmp=$(perl -MJSON::PP -e '
	my ($prom, $sess) = @ARGV;
	my %tier = (bio => 0, lsm => 1, device => 2, kill => 3, audit => 4);
	my %fig = (ios_matched_total => [0, 1], ios_denied_total => [1, 1],
		   matched_bytes_total => [2, 512]);
	open(my $s, "<", $sess) or die "$sess: $!";
	my $last; $last = $_ while <$s>;
	my $c = decode_json($last);
	open(my $p, "<", $prom) or die "$prom: $!";
	my ($n, $bad) = (0, 0);
	while (<$p>) {
		next unless /^kscope_iofilter_(\w+)\{rule="(\d+)",action="\w+",tier="(\w+)"\} (\S+)$/;
		my $f = $fig{$1} or next;
		my $want = $c->{counts}[($2 - 1) * 5 + $tier{$3}][$f->[0]] * $f->[1];
		$n++;
		if ($4 != $want) { $bad++; print "# $1 rule $2 tier $3: $4, session $want\n" }
	}
	print "$bad $n\n";' "$prom" "$TMP/run.session")
read -r bad n <<<"$(tail -1 <<<"$cmp")"
[ "$bad" = 0 ] && [ "$n" -ge 6 ]
ok $? "every rule and tier series equals the session file's final counts ($n series)"
[ "$(tail -1 "$TMP/run.json")" = "$(tail -1 "$TMP/run.session")" ]
ok $? "--json ends with the same counts line as the session file: $(tail -1 "$TMP/run.json" | cut -c1-80)"
[ $FAILED = 0 ] || diag "$cmp"

seen=$(prom_value "$prom" 'kscope_iofilter_ios_matched_total{rule="2",action="audit",tier="audit"}')
bytes=$(prom_value "$prom" 'kscope_iofilter_matched_bytes_total{rule="2",action="audit",tier="audit"}')
wrote=$(prom_value "$prom" "kscope_iofilter_device_ios_total{device=\"${LOOP_DEV##*/}\",op=\"write\"}")
[ "${seen:-0}" -ge $audits ] && [ "${bytes:-0}" -ge $((audits * 4096)) ] && [ "${wrote:-0}" -ge $audits ]
ok $? "the audited range: $seen bios seen, $bytes bytes; ${LOOP_DEV##*/} wrote $wrote IOs since start"
nothing_left "after the --json run" "$IOFILTER_PROGS"

# --- --headless: the textfile and nothing else ----------------------------
# -i 60: no refresh in the run, so the refusal can reach the file only by
# the last word at exit
"$IOF" --rule "dev=$LOOP_DEV sectors=$prot" --headless --metrics-textfile "$TMP/h.prom" \
	-i 60 -d 2 >"$TMP/h.out" 2>"$TMP/h.err" </dev/null &
pid=$!
wait_started $pid "$TMP/h.err"
try_write pwrite "$LOOP_DEV" $at 8 >/dev/null
wait $pid
rc=$?
pid=
hd=$(denied "$TMP/h.prom" 2>/dev/null)
n=$(wc -c <"$TMP/h.out")
[ $rc = 0 ] && [ "$n" = 0 ] && [ "$hd" = 1 ] && ! grep -q 'metrics at' "$TMP/h.err"
ok $? "--headless -d 2 without a terminal: exit $rc, stdout $n bytes, the refusal in the file ($hd)"
out=$(promtool check metrics <"$TMP/h.prom" 2>&1)
ok $? "promtool check metrics accepts --headless's textfile${out:+: $out}"

one_line_error "--replay refuses --metrics" "for live sessions" \
	"$IOF" --replay "$TMP/run.session" --json --metrics-textfile "$TMP/r.prom"
nothing_left "after --headless" "$IOFILTER_PROGS"

# the loop device goes (CLEANUP would do it too: this checks it can)
losetup -d "$LOOP_DEV" 2>/dev/null
for _ in $(seq 20); do [ -z "$(losetup -j "$LOOP_IMG")" ] && break; sleep 0.1; done
[ -z "$(losetup -j "$LOOP_IMG")" ]
ok $? "the loop device is detached: nothing of ours holds it"
done_testing
