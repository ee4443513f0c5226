#!/bin/sh
# run.sh BUILD [quick|soak|valgrind] [TEST...] - issue 6's reliability tests.
#
#   quick     every test, short load and crash rounds (make check-reliability,
#             about two minutes on 2 cores)
#   soak      the same with several minutes of load and more crash rounds
#   valgrind  the milter scenarios and a load burst under valgrind
# TEST names a script (01-store-outage, 02-crash, 03-load, 04-hostile,
# 05-hostile-address, valgrind) to run only those. Each script prints PASS,
# FAIL and SKIP lines; this prints them and a final "N passed, M failed".
# The figures in tests/RELIABILITY.md come from these lines.
# Exit status: 0 when nothing failed.
set -u
build=${1:?usage: $0 BUILD [quick|soak|valgrind] [TEST...]}
mode=${2:-quick}
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 2 ] && shift 2 || shift $#
case $mode in
quick | soak) tests=${*:-"01-store-outage 02-crash 03-load 04-hostile 05-hostile-address"} ;;
valgrind) tests=${*:-valgrind} ;;
*)
	echo "usage: $0 BUILD [quick|soak|valgrind] [TEST...]" >&2
	exit 2
	;;
esac

out=$(mktemp /tmp/bouncetag-reliability.XXXXXX)
trap 'rm -f "$out"' EXIT
trap 'exit 1' INT TERM
passed=0
failed=0
for t in $tests; do
	echo "== $t ($mode)"
	start=$(date +%s)
	"$here/$t.sh" "$build" "$mode" > "$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^PASS' "$out")
	f=$(grep -c '^FAIL' "$out")
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL $t: exited $rc without a FAIL line"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "   ($t: $(($(date +%s) - start)) s)"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
