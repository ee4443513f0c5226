#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# 04-hostile.sh BUILD - claim 4: hostile input through the real milter is
# handled in bounded time and memory, what a limit cut is logged, and the
# mail passes. The inputs and checks are in hostile.py; this starts a
# milter with the default limits (MaxMessageSize 4M) and counts its lines.
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init hostile "${1:?usage: $0 BUILD}"

rel_mkdir "$tmp/store"
rel_conf m "$tmp/store/bt.db"
rel_start m || exit 1
python3 "$rel_here/hostile.py" "unix:$tmp/m.sock" "$tmp/m.log" "$pid_m" "$fixtures" \
	"$(command -v setpriv > /dev/null && [ -n "$rel_owner" ] &&
		echo "setpriv --reuid=$rel_owner --regid=$rel_group --clear-groups --") $build/bouncetag --config $tmp/m.conf" \
	> "$tmp/hostile.out" 2>&1
grep -v '^hostile: [0-9]* passed' "$tmp/hostile.out"
rel_passed=$(grep -c '^PASS' "$tmp/hostile.out")
rel_failed=$(grep -c '^FAIL' "$tmp/hostile.out")
if ! grep -q '^hostile: [0-9]* passed' "$tmp/hostile.out"; then
	fail hostile.py "did not finish"
fi
if rel_stop "$pid_m"; then pass clean-stop; else fail clean-stop "exit status $?"; fi
rel_done
