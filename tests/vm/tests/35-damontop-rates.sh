# damontop record of accessgen rates (every page of a region touched a
# known number of times a second) with each source, the pte sampler and
# kernel DAMON (a kdamond of our own on the process's virtual addresses,
# where the kernel has DAMON vaddr), and their heatmaps as TSV over the
# regions, shipped to the host with the record's shortest sampling
# interval, where checks/35-damontop-rates.sh runs tools/rates_check: heat
# in Hz reads the rates (man damontop, HEAT).  Here: accessgen kept its
# rates within 2% (its done line against its regions' pages times their
# rates; a region behind its rate skips what it missed, so the total falls
# short: 0.3% once here, a stall of the guest), and after exit nothing of
# ours remains.
# The rates are those of tests/integ/damontop_rates.t, which says why they
# are 97.3, 48.7 and 1.9 Hz; under TCG accessgen keeps them.  Smaller than
# on the host: 4 MiB regions, 15 s, and for pte a budget of half a CPU
# (the guest has four), as in 30-damontop-stairs.sh: heat cannot read more
# than 1 / sampling interval, and at the default 2% the costs the planner
# measures under TCG bought 148 ms (at most 6.8 Hz; 97.3 Hz read 5 Hz).
# With 10 MiB regions even half a CPU bought only 29 ms on kscope-6.1-full
# (clear_refs costs per resident page), and 97.3 Hz read 35 Hz.
. /kscope/lib.sh

rates() {	# rates SOURCE OPTION...: SOURCE.rec, SOURCE.agen, SOURCE.err
	src=$1
	shift
	damontop record --source $src "$@" -d 15 -o $src.rec \
		-c 'accessgen rates --rates 97.3,48.7,1.9 --size 4M --duration 60' \
		>$src.agen 2>$src.err
}

# kept SOURCE: "ACHIEVED STATED", accesses a second
kept() {
	grep '^region' $1.agen | while read -r _ i s e; do
		echo "$i $(((e - s) / 4096))"
	done >$1.pages
	awk 'NR == FNR { pages[$1] = $2; next }
		/^phase/ { n = split($4, l, ",")
			for (i = 1; i <= n; i++) { split(l[i], r, "@"); hz[r[1]] = r[2] } }
		/^done/ { got = $4 }
		END { for (i in hz) want += hz[i] * pages[i]; printf "%d %d\n", got, want }' \
		$1.pages $1.agen
}

for src in pte damon; do
	opt=; [ $src = pte ] && opt="--budget 50"
	rates $src $opt
	record_judged $src "the rates" $? ended || break
	set -- $(kept $src)
	[ -n "$1" ] && [ $(($1 * 100)) -ge $(($2 * 98)) ]
	ok $? "accessgen kept its rates ($src): $1 accesses/s of the $2 its rates make"
	damontop --replay $src.rec --json 2>/dev/null |
		grep -o '"sample_ns":[0-9]*' | cut -d: -f2 | sort -n | head -1 >$src.sample
	agen_heatmap $src 150 64
	ship $src.agen $src.rates.agen
	ship $src.tsv $src.rates.tsv
	ship $src.sample $src.rates.sample
	ship $src.err $src.rates.err
done

[ -s damon.rec ] && no_kdamond_left
exit 0
