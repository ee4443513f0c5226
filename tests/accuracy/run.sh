#!/bin/sh
# run.sh - classification accuracy of "bouncetag classify" against the
# Sisimai corpus (real bounces from ~60 MTAs, labelled by Sisimai).
#
# Usage: tests/accuracy/run.sh BUILD [--check]
#
#   BUILD     the build directory holding the bouncetag binary (build)
#   --check   regression mode for "make check": print only the summary
#             and exit non-zero when a figure falls below its target
#
# The corpus is found at $SISIMAI_CORPUS, else ../shared/corpus/sisimai
# beside the repository. The full report goes to BUILD/accuracy/REPORT.md
# (and to standard output without --check); tests/accuracy/RESULTS.md is
# the committed copy of the latest figures (copy it by hand after a change
# that moves them: cp BUILD/accuracy/REPORT.md tests/accuracy/RESULTS.md).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:?usage: run.sh BUILD [--check]}
shift
case $build in
/*) ;;
*) build=$top/$build ;;
esac
corpus=${SISIMAI_CORPUS:-$top/../shared/corpus/sisimai}

if [ ! -f "$corpus/sisimai_labels.tsv" ]; then
	echo "run.sh: no Sisimai corpus at $corpus (set SISIMAI_CORPUS)" >&2
	# Outside CI (a clone without shared/ beside it) say so and skip; in CI
	# the corpus is always there, so its absence is a failure, not a skip.
	if [ "${CI:-}" != true ] && [ "${1:-}" = --check ]; then
		echo "SKIP accuracy check: no corpus (CI=true makes this a failure)"
		exit 0
	fi
	exit 2
fi
if [ ! -x "$build/bouncetag" ]; then
	echo "run.sh: $build/bouncetag is missing; run make first" >&2
	exit 2
fi
mkdir -p "$build/accuracy"
# A private config: only the rules matter to classify, and the shipped
# bouncetag.conf names system paths.
printf 'Database %s/accuracy/unused.db\nRulesFile %s/conf/rules.conf\n' "$build" "$top" \
	>"$build/accuracy/bouncetag.conf"
cd "$top"
exec python3 "$here/accuracy.py" --bin "$build/bouncetag" --config "$build/accuracy/bouncetag.conf" \
	--corpus "$corpus" --disagreements "$here/disagreements.tsv" \
	--report "$build/accuracy/REPORT.md" "$@"
