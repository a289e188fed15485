#!/bin/bash
# A short fuzzing run of every file reader (fuzz/*.c, libFuzzer with ASan
# and UBSan): each target starts from its seeds in fuzz/corpus/<target>/
# and must run FUZZ_SECONDS (15) without a crash, a leak or a broken
# invariant.  `make fuzz` is the long run.  The targets are built here
# (make, into $KSCOPE_BUILD/fuzz/) when clang's libFuzzer runtime is there;
# without it the test is skipped with the reason.
. "$(dirname "$0")/lib.sh"

TOP=${KSCOPE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
SECONDS_EACH=${FUZZ_SECONDS:-15}
CLANG=${CLANG:-clang}
targets=$(cd "$TOP/fuzz" && ls -- *.c | sed 's/\.c$//')

command -v "$CLANG" >/dev/null || skip_all "clang not installed"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
	>"$TMP/probe.c"
"$CLANG" -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" 2>"$TMP/probe.err" ||
	skip_all "clang's libFuzzer runtime is missing (Debian:" \
		"libclang-rt-dev): $(head -1 "$TMP/probe.err")"

plan $(($(wc -w <<<"$targets") + 1))

bins=
for t in $targets; do bins="$bins $BUILD/fuzz/$t"; done
make -C "$TOP" -s BUILD="$BUILD" $bins >"$TMP/make.log" 2>&1
rc=$?
[ $rc = 0 ] || diag "$(tail -20 "$TMP/make.log")"
ok $rc "fuzz targets built:$(for t in $targets; do printf ' %s' "$t"; done)"

for t in $targets; do
	corpus=$TMP/corpus-$t
	mkdir -p "$corpus"
	"$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -print_final_stats=1 \
		-dict="$TOP/fuzz/damo.dict" -artifact_prefix="$TMP/$t-" \
		"$corpus" "$TOP/fuzz/corpus/$t" >"$TMP/$t.log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$TMP/$t.log")
	seeds=$(ls "$TOP/fuzz/corpus/$t" | wc -l)
	if [ $rc != 0 ]; then
		diag "$(grep -E -A15 'ERROR|broken|runtime error' "$TMP/$t.log" | head -30)"
		for a in "$TMP/$t-"*; do
			[ -e "$a" ] && diag "input: $(od -An -c "$a" | head -8)"
		done
	fi
	# a target that ran but found nothing to do is no test either
	[ $rc = 0 ] && [ "${runs:-0}" -gt "$seeds" ]
	ok $? "$t: ${runs:-no} runs in ${SECONDS_EACH} s from $seeds seeds, no crash"
done
done_testing
