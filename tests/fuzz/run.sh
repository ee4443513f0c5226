#!/bin/sh
# run.sh [--smoke] SECONDS [TARGET...] - build and run the libFuzzer targets.
#
#   tests/fuzz/run.sh 60                  every target for 60 seconds
#   tests/fuzz/run.sh 600 message reply   two targets for ten minutes each
#   tests/fuzz/run.sh --smoke             every target over its seeds and
#   tests/fuzz/run.sh 0                   its saved regressions, once
#
# Targets: message reply rules config blocks literal (tests/fuzz/fuzz_<name>.c).
# Run from anywhere; everything happens under <repo>/build/fuzz:
#   obj/           common/*.c built with the fuzzer and sanitizers
#   fuzz_<name>    the target binaries
#   seeds/<name>/  seed inputs, assembled afresh each run from the
#                  repository's fixtures and the Sisimai corpus (not kept
#                  in git: the corpus is read where it lies)
#   corpus/<name>/ what libFuzzer learned; kept between runs
#   artifacts/<name>/  crash, leak, timeout and OOM inputs
#   logs/<name>.log    libFuzzer's output
# tests/fuzz/regressions/<name>/ holds minimised inputs of past findings;
# every run (the smoke run too) replays them.
#
# Environment: FUZZ_CC (clang), FUZZ_NICE (10), SISIMAI_DIR (the Sisimai
# maildir/bsd directory; skipped when absent), FUZZ_FLAGS (extra libFuzzer
# flags), FUZZ_LENIENT (names of invariants to skip while their finding
# is open, so that a long run looks past it; see fuzz_util.h; none is
# open now). Exit status: 0 when no target found anything, 1 when one did,
# 2 on a build or usage error.
set -u

usage() {
	echo "usage: $0 [--smoke] SECONDS [message|reply|rules|config|blocks|literal ...]" >&2
	exit 2
}

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/fuzz
out=$top/build/fuzz
cc=${FUZZ_CC:-clang}
nice=${FUZZ_NICE:-10}
sisimai=${SISIMAI_DIR:-/work/shared/corpus/sisimai/maildir/bsd}
all_targets="message reply rules config blocks literal"

smoke=0
if [ "${1:-}" = "--smoke" ]; then
	smoke=1
	shift
	seconds=0
else
	[ $# -ge 1 ] || usage
	seconds=$1
	shift
fi
case $seconds in
'' | *[!0-9]*) usage ;;
esac
[ "$seconds" -eq 0 ] && smoke=1
targets=${*:-$all_targets}
for t in $targets; do
	case " $all_targets " in
	*" $t "*) ;;
	*) usage ;;
	esac
done

# Longest input per target: a bounce is rarely above 100 KiB, a reply
# above a few KiB; rules and config files are configuration.
max_len() {
	case $1 in
	message) echo 262144 ;;
	blocks) echo 65536 ;;
	reply) echo 16384 ;;
	rules) echo 16384 ;;
	config) echo 8192 ;;
	literal) echo 4096 ;;
	esac
}

WARN="-Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
-Wpointer-arith -Wvla"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -pthread $WARN -I$top/common"

# newer OUT FILE...: is OUT missing or older than one of the files?
newer() {
	o=$1
	shift
	[ -e "$o" ] || return 0
	[ -n "$(find "$@" -newer "$o" 2>/dev/null | head -n 1)" ]
}

build() {
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "run.sh: $cc not found: libFuzzer needs clang (set FUZZ_CC)" >&2
		exit 2
	fi
	mkdir -p "$out/obj" || exit 2
	objs=
	for src in "$top"/common/*.c; do
		obj=$out/obj/$(basename "$src" .c).o
		objs="$objs $obj"
		if newer "$obj" "$src" "$top"/common/*.h; then
			echo "CC   $obj"
			# shellcheck disable=SC2086
			$cc $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" "$src" || exit 2
		fi
	done
	for t in $targets; do
		bin=$out/fuzz_$t
		src=$here/fuzz_$t.c
		# shellcheck disable=SC2086
		if newer "$bin" "$src" "$here/fuzz_util.h" "$top"/common/*.h $objs; then
			echo "LINK $bin"
			# shellcheck disable=SC2086
			$cc $CFLAGS $SAN -fsanitize=fuzzer -DRULES_CONF="\"$top/conf/rules.conf\"" \
				-o "$bin" "$src" $objs -lpcre2-8 -lsqlite3 -lpthread || exit 2
		fi
	done
}

# put FILE...: copy each into $dir under a name made from its path.
put() {
	for f in "$@"; do
		[ -f "$f" ] || continue
		cp "$f" "$dir/$(echo "${f#"$top"/}" | tr '/' '_')"
	done
}

# lines NAME: one file per distinct non-empty line of standard input.
lines() {
	sort -u | awk -v dir="$dir" -v name="$1" 'length($0) > 0 {
		f = sprintf("%s/%s-%05d", dir, name, NR); printf "%s", $0 > f; close(f) }'
}

# Every .eml file a seed set is made from.
emls() {
	find "$top/tests/fixtures" -name '*.eml' -type f | sort
	[ -d "$sisimai" ] && find "$sisimai" -name '*.eml' -type f | sort
}

# Unfolded Diagnostic-Code values of every .eml file.
diagnostic_codes() {
	emls | while read -r f; do
		awk '
		     { sub(/\r$/, "") }
		     in_dc && /^[ \t]/ { v = v " " $0; next }
		     in_dc { print v; in_dc = 0 }
		     tolower($0) ~ /^diagnostic-code:/ { v = $0; sub(/^[^:]*:[ \t]*/, "", v); in_dc = 1 }
		     END { if (in_dc) print v }' "$f"
	done
}

# The body of every message/delivery-status part, one file per message.
status_bodies() {
	emls | while read -r f; do
		awk 'BEGIN { state = 0 }
		     { sub(/\r$/, "") }
		     state == 0 && tolower($0) ~ /^content-type:[ \t]*message\/(global-)?delivery-status/ { state = 1; next }
		     state == 1 && $0 == "" { state = 2; next }
		     state == 2 && /^--/ { exit }
		     state == 2 { print }' "$f" >"$dir/status-$(basename "$f")"
		[ -s "$dir/status-$(basename "$f")" ] || rm -f "$dir/status-$(basename "$f")"
	done
}

# Each [rule] of a rules file as a file of its own: small seeds mutate fast.
split_rules() {
	awk -v dir="$dir" '/^\[/ { n++ } n > 0 { f = sprintf("%s/rule-%04d", dir, n); print > f }' "$@"
}

# "pattern NUL example" for every rule of a rules file, and all its
# patterns at once (one per line) with each example as the text.
pattern_seeds() {
	pairs=$out/pairs.tmp
	awk '/^\[/ { if (p != "") print p "\t" e; p = e = "" }
	     /^[ \t]*pattern[ \t]*=/ { sub(/^[^=]*=[ \t]*/, ""); p = $0 }
	     /^[ \t]*example[ \t]*=/ && e == "" { sub(/^[^=]*=[ \t]*/, ""); e = $0 }
	     END { if (p != "") print p "\t" e }' "$@" >"$pairs"
	first=$(cut -f 1 "$pairs" | head -n 16)
	i=0
	while IFS='	' read -r pat ex; do
		i=$((i + 1))
		printf '%s\000%s' "$pat" "$ex" >"$dir/pattern-$i"
		# every eighth: the first 16 patterns together (the sieve's case)
		[ $((i % 8)) -ne 0 ] || printf '%s\000%s' "$first" "$ex" >"$dir/patterns-$i"
	done <"$pairs"
	rm -f "$pairs"
}

seeds() {
	dir=$out/seeds/$1
	rm -rf "$dir"
	mkdir -p "$dir" || exit 2
	case $1 in
	message)
		# shellcheck disable=SC2046
		put $(emls)
		;;
	reply)
		{
			sed -n 's/^[ \t]*example[ \t]*=[ \t]*//p' "$top/conf/rules.conf" \
				"$top"/tests/fixtures/rules/*.conf
			diagnostic_codes
			[ -f "$sisimai/../../sisimai_labels.tsv" ] &&
				awk -F '\t' 'NR > 1 { print $NF }' "$sisimai/../../sisimai_labels.tsv"
		} | lines reply
		;;
	rules)
		put "$top/conf/rules.conf" "$top"/tests/fixtures/rules/*
		split_rules "$top/conf/rules.conf"
		;;
	config)
		put "$top"/conf/*.conf "$top"/tests/fixtures/config/*
		grep -v '^[ \t]*#' "$top/conf/bouncetag.conf" | lines key
		;;
	blocks)
		put "$top"/tests/fixtures/dsn/*.eml
		status_bodies
		;;
	literal)
		pattern_seeds "$top/conf/rules.conf"
		;;
	esac
	# past findings are seeds too, so that they run every time
	[ -d "$here/regressions/$1" ] && cp "$here/regressions/$1"/* "$dir"/ 2>/dev/null
	find "$dir" -type f | wc -l
}

# final_stat NAME LOG: a number from libFuzzer's final statistics.
final_stat() {
	sed -n "s/^stat::$1: *//p" "$2" | tail -n 1
}

# The last "cov: N ft: M" libFuzzer printed.
coverage() {
	grep -o 'cov: [0-9]* ft: [0-9]*' "$1" | tail -n 1
}

build
mkdir -p "$out/logs" || exit 2
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
found=0
for t in $targets; do
	nseeds=$(seeds "$t")
	art=$out/artifacts/$t
	corpus=$out/corpus/$t
	log=$out/logs/$t.log
	mkdir -p "$art" "$corpus" || exit 2
	dict=
	[ -f "$here/$t.dict" ] && dict="-dict=$here/$t.dict"
	if [ "$smoke" -eq 1 ]; then
		# every seed once; nothing is written to the corpus
		dirs="$out/seeds/$t"
		mode="-runs=0"
	else
		dirs="$corpus $out/seeds/$t"
		mode="-max_total_time=$seconds"
	fi
	start=$(date +%s)
	# shellcheck disable=SC2086
	nice -n "$nice" "$out/fuzz_$t" $mode -max_len="$(max_len "$t")" -rss_limit_mb=2048 \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$art/" $dict \
		${FUZZ_FLAGS:-} $dirs >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(final_stat number_of_executed_units "$log")
	rate=$(final_stat average_exec_per_sec "$log")
	cov=$(coverage "$log")
	if [ $rc -eq 0 ]; then
		verdict="nothing found"
	else
		found=1
		crash=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
		what=$(grep -m 1 -E '^==[0-9]+==ERROR|runtime error|invariant violated|ERROR: libFuzzer' "$log")
		verdict="FOUND (exit $rc): ${what:-see log} ${crash:+-> $crash}"
	fi
	printf 'fuzz_%-8s %s seeds, %ss, %s execs (%s/s), %s: %s\n' "$t" "$nseeds" "$secs" \
		"${execs:-?}" "${rate:-?}" "${cov:-cov: ?}" "$verdict"
	[ $rc -eq 0 ] || echo "    log: $log"
done
exit $found
