#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# 03-load.sh BUILD [quick|soak] - claim 3: load.
#
# 200 concurrent milter connections (miltload), 9 enforce sessions for
# each learn session; 10,000 recipients are suppressed beforehand (30% of
# the RCPTs name one), 10% of the RCPTs name a recipient learned earlier
# in the run. quick: 30 s; soak: 240 s. Asserts:
#   - miltload saw no error: every RCPT got the right answer, every DSN was
#     learned (no tempfail, no reject), no connection failed (no deadlock:
#     a stalled milter would show as errors or as a run with no progress);
#   - the result count is exact: rows learned in the store == acknowledged
#     DSNs (miltload -o), each exactly once;
#   - the milter's VmRSS, sampled every few seconds, is flat after warm-up:
#     the last third's maximum within 10% of the middle third's;
#   - afterwards the milter answers a probe, its open file descriptors are
#     back near where they were, and it stops cleanly.
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init load "${1:?usage: $0 BUILD [quick|soak]}"
case ${2:-quick} in
soak) secs=240 every=5 ;;
*) secs=30 every=2 ;;
esac

rel_mkdir "$tmp/store"
db=$tmp/store/bt.db
rel_conf m "$db"
rel_start m || exit 1
now=$(date +%s)
rel_as_owner sqlite3 -cmd '.timeout 10000' "$db" "WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n
	WHERE x < 9999) INSERT INTO suppressions (recipient, domain, tag, class, reason,
	first_seen, last_seen, hits, expires) SELECT printf('s%08d@bench.example', x),
	'bench.example', 'requires-whitelist', 'recipient-policy', 'requires-whitelist',
	$now, $now, 1, 0 FROM n" || { fail seed "cannot fill the database"; rel_done; }

# warm up (handles, page cache), then measure from a settled state
$miltload -s "unix:$tmp/m.sock" -c 20 -d 2 -N 10000 -u 30 -q > /dev/null 2>&1
fds0=$(ls "/proc/$pid_m/fd" | wc -l)
threads0=$(awk '/^Threads:/ { print $2 }' "/proc/$pid_m/status")

: > "$tmp/rss.txt"
(
	while kill -0 "$pid_m" 2> /dev/null; do
		rel_vm "$pid_m" VmRSS >> "$tmp/rss.txt"
		sleep "$every"
	done
) &
sampler=$!
rel_pids="$rel_pids $sampler"
$miltload -s "unix:$tmp/m.sock" -c 200 -d "$secs" -m enforce=9,learn=1 -N 10000 -u 30 -l 10 \
	-f "$fixtures/dsn/postfix-failed-5.7.1.eml" -P load -o "$tmp/learned.txt" \
	> "$tmp/load.txt" 2> "$tmp/load.err"
rc=$?
kill "$sampler" 2> /dev/null
wait "$sampler" 2> /dev/null
rel_forget "$sampler"
hwm=$(rel_vm "$pid_m" VmHWM)
sed -n 's/^/    /p' "$tmp/load.txt" | grep -v MILTLOAD

errors=$(rel_kv "$tmp/load.txt" errors)
if [ $rc -eq 0 ] && [ "${errors:-1}" -eq 0 ]; then
	pass no-errors "$(rel_kv "$tmp/load.txt" rcpt) RCPT decisions ($(rel_kv "$tmp/load.txt" rcpt_per_s)/s, p99 $(rel_kv "$tmp/load.txt" rcpt_p99_us) us), $(rel_kv "$tmp/load.txt" learned) DSNs learned, 200 connections, ${secs}s"
else
	fail no-errors "miltload exit $rc, errors=$errors: $(head -3 "$tmp/load.err" | tr '\n' ' ')"
fi

learned=$(wc -l < "$tmp/learned.txt")
rows=$(rel_sql "$db" "SELECT count(*) FROM suppressions WHERE recipient LIKE 'load-%'")
if [ "$learned" -gt 0 ] && [ "$learned" = "$rows" ] &&
	[ "$learned" = "$(rel_kv "$tmp/load.txt" learned)" ] &&
	rel_once m "$db" "$tmp/learned.txt" > "$tmp/once.txt"; then
	pass count-exact "$learned acknowledged = $rows rows learned, each exactly once"
else
	fail count-exact "acknowledged $learned, miltload learned=$(rel_kv "$tmp/load.txt" learned), rows $rows; $(tail -1 "$tmp/once.txt" 2> /dev/null)"
fi

series=$(tr '\n' ' ' < "$tmp/rss.txt")
res=$(python3 - "$tmp/rss.txt" <<'PY'
import sys
s = [int(x) for x in open(sys.argv[1]).read().split() if x.isdigit()]
n = len(s) // 3
if n < 2:
    print("bad too few samples (%d)" % len(s))
    sys.exit()
mid, last = max(s[n:2 * n]), max(s[2 * n:])
ok = last <= mid * 1.10
print("%s warm-up max %d kB, middle third max %d kB, last third max %d kB (%+.1f%%)"
      % ("ok" if ok else "bad", max(s[:n]), mid, last, 100.0 * (last - mid) / mid))
PY
)
case $res in
ok*) pass memory-flat "${res#ok }; VmHWM $hwm kB" ;;
*) fail memory-flat "${res#bad }; VmHWM $hwm kB" ;;
esac
note "VmRSS every ${every}s (kB): $series"

sleep 1
probe=$($miltc "unix:$tmp/m.sock" rcpt s00000042@bench.example u1@bench.example | tr '\n' '|')
fds1=$(ls "/proc/$pid_m/fd" | wc -l)
threads1=$(awk '/^Threads:/ { print $2 }' "/proc/$pid_m/status")
case $probe in
"reply 550 5.7.1 "*"|continue|") pass responsive-after "a suppressed and a clean RCPT answered right" ;;
*) fail responsive-after "probe answered: $probe" ;;
esac
# the pool keeps up to 64 handles open (database, -wal, -shm each)
if [ "$fds1" -le $((fds0 + 3 * 64 + 8)) ]; then
	pass fds-back "open descriptors $fds0 before, $fds1 after; threads $threads0 before, $threads1 after"
else
	fail fds-back "open descriptors $fds0 before, $fds1 after (threads $threads0, $threads1)"
fi
if rel_stop "$pid_m"; then pass clean-stop; else fail clean-stop "exit status $?"; fi
rel_done
