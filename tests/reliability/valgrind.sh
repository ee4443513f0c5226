#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# valgrind.sh BUILD - the milter under valgrind (memcheck):
#   1. every miltertest scenario of tests/milter/run.sh, unchanged: run.sh
#      gets a BUILD directory whose bouncetag-milter is a wrapper that
#      execs valgrind on the real one (the CLI is the real one);
#   2. a short miltload burst (20 connections, learn and enforce) on a
#      milter under valgrind, for the threads and the handle pool.
# valgrind runs with --leak-check=full --errors-for-leak-kinds=definite
# --error-exitcode=1: a memory error or a definite leak makes the milter
# exit 1 at its stop, which run.sh reports as "did not exit cleanly"; each
# process's valgrind log is read here for the error and leak summaries.
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init valgrind "${1:?usage: $0 BUILD}"
if ! command -v valgrind > /dev/null; then
	skip valgrind "valgrind is not installed"
	rel_done
fi

vgbuild=$tmp/vgbuild
mkdir -p "$vgbuild" "$tmp/vglogs"
chmod 0755 "$vgbuild"
chmod 0777 "$tmp/vglogs" # the milter may write its log after dropping to nobody
vgopts="--leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
--show-leak-kinds=definite --num-callers=30 --log-file=$tmp/vglogs/vg.%p.log"
cat > "$vgbuild/bouncetag-milter" <<EOF
#!/bin/sh
exec valgrind $vgopts "$build/bouncetag-milter" "\$@"
EOF
chmod 0755 "$vgbuild/bouncetag-milter"
ln -s "$build/bouncetag" "$vgbuild/bouncetag"

# 1. the scenarios
"$top/tests/milter/run.sh" "$vgbuild" > "$tmp/scenarios.txt" 2>&1
summary=$(tail -1 "$tmp/scenarios.txt")
# Two checks of run.sh are timed for a native milter and can lose their
# race with one under valgrind, which is many times slower: run.sh reads
# the privileged milter's owner as soon as its socket exists (valgrind's
# milter switches to nobody a little later), and 12-reload-reload waits
# 0.5 s for the "reloaded" log line (recompiling the rules under valgrind
# takes longer). Those two are reported, not counted; memory errors and
# leaks are counted from the valgrind logs below.
grep '^FAIL' "$tmp/scenarios.txt" > "$tmp/scen-fail.txt"
grep -A1 '^FAIL 12-reload-reload' "$tmp/scenarios.txt" | grep -q "no 'reloaded' log line" &&
	reload_slow=1 || reload_slow=0
others=$(grep -v "^FAIL privileges-dropped: process runs as 'root'" "$tmp/scen-fail.txt" |
	{ if [ "$reload_slow" = 1 ]; then grep -v '^FAIL 12-reload-reload$'; else cat; fi; })
if [ -z "$others" ]; then
	pass scenarios-under-valgrind "tests/milter/run.sh: $summary$([ -s "$tmp/scen-fail.txt" ] &&
		echo "; timing only, not counted: $(tr '\n' ' ' < "$tmp/scen-fail.txt")")"
else
	fail scenarios-under-valgrind "tests/milter/run.sh: $summary"
	grep -A12 '^FAIL' "$tmp/scenarios.txt" | head -40
fi

# 2. a burst of load
rel_mkdir "$tmp/store"
rel_conf m "$tmp/store/bt.db"
rel_start m valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=1 \
	--show-leak-kinds=definite --num-callers=30 "--log-file=$tmp/vglogs/burst.%p.log" || exit 1
$miltload -s "unix:$tmp/m.sock" -c 20 -d 8 -k 3 -m enforce=3,learn=1 -u 0 -l 20 \
	-f "$fixtures/dsn/postfix-failed-5.7.1.eml" -P vg -q > "$tmp/burst.txt" 2> "$tmp/burst.err"
lrc=$?
if rel_stop "$pid_m" && [ $lrc -eq 0 ]; then
	pass burst-under-valgrind "$(rel_kv "$tmp/burst.txt" rcpt) RCPT decisions, $(rel_kv "$tmp/burst.txt" learned) DSNs learned on 20 connections, clean exit"
else
	fail burst-under-valgrind "miltload exit $lrc ($(head -2 "$tmp/burst.err" | tr '\n' ' ')), or the milter exited non-zero (valgrind errors)"
fi

# the valgrind logs: errors and leaks of every milter process
nlogs=0
for l in "$tmp"/vglogs/*.log; do
	[ -e "$l" ] || continue
	nlogs=$((nlogs + 1))
	errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$l" | tail -1)
	def=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$l" | tail -1)
	ind=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$l" | tail -1)
	poss=$(sed -n 's/.*possibly lost: \([0-9,]*\) bytes.*/\1/p' "$l" | tail -1)
	echo "  valgrind: $(basename "$l"): errors ${errs:-?}, definitely lost ${def:-0}, indirectly ${ind:-0}, possibly ${poss:-0} bytes"
	if [ "${errs:-1}" != 0 ] || { [ -n "$def" ] && [ "$def" != 0 ]; }; then
		fail "clean-$(basename "$l" .log)" "see below"
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|Source|  (at|by) |[0-9,]+ bytes in .* definitely)' "$l" | head -40
	fi
done
if [ $nlogs -gt 0 ]; then
	pass valgrind-logs-read "$nlogs milter processes ran under valgrind"
else
	fail valgrind-logs-read "no valgrind log was written"
fi
rel_done
