#!/bin/sh
# shellcheck disable=SC2154 # pid_NAME variables are set by rel_start through eval
# 02-crash.sh BUILD [quick|soak] - claim 2: crash safety.
#
# miltload learns DSNs with distinct recipients on 50 connections (and
# checks enforcement on them: a learned recipient must get 550 from then
# on, across restarts too) while the milter is killed with SIGKILL twice
# per round and restarted at once. miltload writes every recipient whose
# DSN was acknowledged (continue) to a file. After each round:
#   - PRAGMA integrity_check answers ok;
#   - every acknowledged recipient is in the store exactly once (CLI
#     export: one row, hits 1; one event);
#   - no DSN was rejected or discarded and no RCPT answered wrongly
#     (connections cut by the kill are expected and not counted).
# quick: 2 rounds of 8 s; soak: 5 rounds of 20 s.
# shellcheck source=tests/reliability/lib.sh
. "$(dirname "$0")/lib.sh"
rel_init crash "${1:?usage: $0 BUILD [quick|soak]}"
case ${2:-quick} in
soak) rounds=5 secs=20 ;;
*) rounds=2 secs=8 ;;
esac

rel_mkdir "$tmp/store"
db=$tmp/store/bt.db
rel_conf m "$db"
rel_start m || exit 1

round=1
total=0
while [ $round -le $rounds ]; do
	out=$tmp/round$round
	# (SIGPIPE ignored: miltload writes to connections the kill cuts)
	(
		trap '' PIPE
		exec $miltload -s "unix:$tmp/m.sock" -c 50 -d "$secs" -k 2 -m enforce=1,learn=3 -u 0 \
			-l 20 -f "$fixtures/dsn/postfix-failed-5.7.1.eml" -P "crash$round" \
			-o "$out.learned" > "$out.txt" 2> "$out.err"
	) &
	load=$!
	rel_pids="$rel_pids $load"
	kills=""
	for _ in 1 2; do
		sleep "$(awk -v s="$secs" 'BEGIN { printf "%.1f", s / 3 }')"
		before=$(rel_sql "$db" "SELECT count(*) FROM events" 2> /dev/null)
		rel_kill9 "$pid_m"
		kills="$kills ${before:-?}"
		rel_start m || { fail "round$round-restart" "$(tail -5 "$tmp/m.log")"; break; }
	done
	wait "$load"
	lrc=$?
	rel_forget "$load"
	if ! grep -q '^MILTLOAD ' "$out.txt"; then
		fail "round$round-load" "miltload ended without its summary (exit $lrc)"
		round=$((round + 1))
		continue
	fi
	learned=$(wc -l < "$out.learned")
	total=$((total + learned))
	# miltload counts a DSN cut by the kill (EOF) as learn_wrong: take those out
	eofs=$(grep -c 'answered EOF' "$out.err")
	others=$(grep 'DSN for .* answered' "$out.err" | grep -vc 'answered EOF')
	unexplained=$(($(rel_kv "$out.txt" learn_wrong) - eofs))
	[ $unexplained -lt 0 ] && unexplained=0
	wrong=$((unexplained + others + $(rel_kv "$out.txt" rcpt_wrong)))
	ic=$(rel_as_owner sqlite3 "$db" 'PRAGMA integrity_check' 2>&1 | tr '\n' ' ')
	if [ "$ic" = "ok " ]; then
		pass "round$round-integrity" "integrity_check ok after 2 kills (events at the kills:$kills)"
	else
		fail "round$round-integrity" "integrity_check: $ic"
	fi
	if rel_once m "$db" "$out.learned" > "$out.once"; then
		pass "round$round-acknowledged-stored" "$learned acknowledged DSNs, all in the store once; $(rel_kv "$out.txt" learn_tempfail) tempfailed, $(rel_kv "$out.txt" proto_errors) connections cut, $(rel_kv "$out.txt" rcpt) RCPT decisions"
	else
		fail "round$round-acknowledged-stored" "$(tail -1 "$out.once")"
		sed -n 1,10p "$out.once"
	fi
	if [ "$wrong" -eq 0 ] && [ "$learned" -gt 0 ]; then
		pass "round$round-no-wrong-answer" "rcpt_wrong=0; DSNs answered other than continue: $eofs, all cut by the kill (EOF)"
	else
		fail "round$round-no-wrong-answer" "$wrong wrong answers, $learned learned; $(head -3 "$out.err" | tr '\n' ' ')"
	fi
	round=$((round + 1))
done
note "$rounds rounds, $((rounds * 2)) kills, $total acknowledged DSNs"
if rel_stop "$pid_m"; then
	pass clean-stop-after-crashes
else
	fail clean-stop-after-crashes "exit status $?"
fi
rel_done
