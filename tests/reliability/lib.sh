# shellcheck shell=sh disable=SC2034 # it sets variables for the scripts that source it
# lib.sh - helpers shared by the reliability tests (sourced, not run).
#
# A test script does:
#	. "$(dirname "$0")/lib.sh"
#	rel_init NAME "$1"          # BUILD directory; makes $tmp, sets traps
#	rel_conf a "$tmp/store/bt.db" "StoreFailMode tempfail"
#	rel_start a                 # the milter, pid in $rel_pid
#	pass what "figures"; fail what "why"; skip what "why"
#	rel_done                    # prints "N passed, M failed", exit status
#
# Every process started here is remembered by pid and stopped by the EXIT
# trap, also when a test fails half-way; a tmpfs mounted for a test is
# unmounted. Nothing listens anywhere but on unix sockets under $tmp.
#
# As root the milter drops to "nobody" (User) and the database directory
# belongs to nobody, so that chmod makes a file really unwritable for it
# (root ignores permission bits); every command that opens the database
# (the CLI, sqlite3) runs as that same user through rel_as_owner, so that
# no root-owned -wal or -shm file is ever left for the milter to trip on.
# REL_KEEP=1 keeps $tmp (configs, logs, databases) for a look afterwards.

set -u
rel_here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$rel_here/../.." && pwd)
fixtures=$top/tests/fixtures
rel_passed=0
rel_failed=0
rel_pids=""
rel_mounts=""
rel_pid=""

rel_init() {
	rel_name=$1
	build=$2
	case $build in /*) ;; *) build=$top/$build ;; esac
	tmp=$(mktemp -d "/tmp/bouncetag-rel-$1.XXXXXX")
	chmod 0711 "$tmp"
	trap rel_cleanup EXIT
	trap 'exit 1' INT TERM
	if [ "$(id -u)" = 0 ]; then
		rel_owner=nobody
		rel_group=nogroup
	else
		rel_owner=""
		rel_group=""
	fi
	miltc="python3 $rel_here/miltc.py"
	miltload=$(rel_miltload) || exit 1
}

rel_cleanup() {
	for rel_p in $rel_pids; do kill "$rel_p" 2>/dev/null; done
	for rel_p in $rel_pids; do
		rel_i=0
		while kill -0 "$rel_p" 2>/dev/null && [ $rel_i -lt 50 ]; do
			sleep 0.1
			rel_i=$((rel_i + 1))
		done
		kill -9 "$rel_p" 2>/dev/null
		wait "$rel_p" 2>/dev/null
	done
	for rel_m in $rel_mounts; do umount "$rel_m" 2>/dev/null || umount -l "$rel_m" 2>/dev/null; done
	if [ -n "${REL_KEEP:-}" ]; then
		echo "kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

pass() {
	echo "PASS $rel_name/$1${2:+: $2}"
	rel_passed=$((rel_passed + 1))
}

fail() {
	echo "FAIL $rel_name/$1${2:+: $2}"
	rel_failed=$((rel_failed + 1))
}

skip() {
	echo "SKIP $rel_name/$1${2:+: $2}"
}

# check NAME [DETAIL]: pass or fail on the exit status of the command just before
check() {
	rel_st=$?
	if [ $rel_st -eq 0 ]; then pass "$1" "${2:-}"; else fail "$1" "${2:-}"; fi
}

note() {
	echo "  $rel_name: $*"
}

rel_done() {
	echo "$rel_name: $rel_passed passed, $rel_failed failed"
	[ "$rel_failed" -eq 0 ]
	exit $?
}

# The miltload client (bench/miltload.c): BUILD/bench/miltload when it is
# current, else compiled into BUILD/reliability/.
rel_miltload() {
	rel_src=$top/bench/miltload.c
	for rel_b in "$build/bench/miltload" "$build/reliability/miltload"; do
		if [ -x "$rel_b" ] && [ -z "$(find "$rel_src" -newer "$rel_b")" ]; then
			echo "$rel_b"
			return 0
		fi
	done
	mkdir -p "$build/reliability"
	${CC:-cc} -std=c11 -D_GNU_SOURCE -pthread -O2 -g -o "$build/reliability/miltload.$$" "$rel_src" \
		-lpthread >&2 || return 1
	mv "$build/reliability/miltload.$$" "$build/reliability/miltload"
	echo "$build/reliability/miltload"
}

# rel_as_owner CMD...: run as the user the milter runs as.
rel_as_owner() {
	if [ -n "$rel_owner" ]; then
		setpriv --reuid="$rel_owner" --regid="$rel_group" --clear-groups -- "$@"
	else
		"$@"
	fi
}

# rel_mkdir DIR: a directory the milter's user can write.
rel_mkdir() {
	mkdir -p "$1"
	[ -n "$rel_owner" ] && chown "$rel_owner:$rel_group" "$1"
	return 0
}

# rel_conf NAME DATABASE [EXTRA-LINES]: $tmp/NAME.conf for a private milter.
rel_conf() {
	{
		echo "Socket                unix:$tmp/$1.sock"
		echo "SocketMode            0600"
		echo "Database              $2"
		echo "RulesFile             $top/conf/rules.conf"
		[ -n "$rel_owner" ] && echo "User                  $rel_owner"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
	} > "$tmp/$1.conf"
	chmod 0644 "$tmp/$1.conf"
}

# rel_start NAME [WRAPPER...]: start the milter of $tmp/NAME.conf (its log
# appends to $tmp/NAME.log), wait until it is up; pid in $rel_pid and in
# the variable pid_NAME.
rel_start() {
	rel_inst=$1
	shift
	rm -f "$tmp/$rel_inst.sock"
	rel_started=$(grep -c ': started: ' "$tmp/$rel_inst.log" 2> /dev/null)
	"$@" "$build/bouncetag-milter" -f -c "$tmp/$rel_inst.conf" 2>> "$tmp/$rel_inst.log" &
	rel_pid=$!
	rel_pids="$rel_pids $rel_pid"
	eval "pid_$rel_inst=$rel_pid"
	rel_i=0
	# the socket, then "started" (logged once the store has been opened,
	# and so created, at start: a test may write to it from then on)
	while [ ! -S "$tmp/$rel_inst.sock" ] ||
		[ "$(grep -c ': started: ' "$tmp/$rel_inst.log")" -le "${rel_started:-0}" ]; do
		rel_i=$((rel_i + 1))
		if [ $rel_i -gt 300 ] || ! kill -0 "$rel_pid" 2>/dev/null; then
			echo "milter $rel_inst did not start:" >&2
			tail -20 "$tmp/$rel_inst.log" >&2
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# rel_stop PID: SIGTERM, wait for the exit; returns its exit status.
rel_stop() {
	kill "$1" 2>/dev/null
	wait "$1"
	rel_rc=$?
	rel_forget "$1"
	return $rel_rc
}

# rel_kill9 PID: the hard way.
rel_kill9() {
	kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	rel_forget "$1"
}

rel_forget() {
	rel_keep=""
	for rel_p in $rel_pids; do [ "$rel_p" = "$1" ] || rel_keep="$rel_keep $rel_p"; done
	rel_pids=$rel_keep
}

# rel_alive PID
rel_alive() {
	kill -0 "$1" 2>/dev/null
}

# rel_vm PID KEY: VmRSS, VmHWM... of a process in kB ("?" when gone)
rel_vm() {
	awk -v k="$2:" '$1 == k { print $2; found = 1 } END { if (!found) print "?" }' \
		"/proc/$1/status" 2>/dev/null || echo "?"
}

# rel_dsn RCPT OUT [QUEUE-ID]: the whitelist DSN fixture (554 5.7.1 not on
# approved sender list: recipient-policy, suppressed) for another recipient
# and, when given, another Postfix queue ID (the dedup key includes it).
rel_dsn() {
	sed -e "s/ceo@policy\.example/$1/g" \
		${3:+-e "s/4Xq2C70dQKz9vK/$3/g"} "$fixtures/milter/whitelist.eml" > "$2"
}

# rel_cli NAME ARGS...: the bouncetag command on milter NAME's config.
rel_cli() {
	rel_n=$1
	shift
	rel_as_owner "$build/bouncetag" --config "$tmp/$rel_n.conf" "$@"
}

# rel_sql DB SQL: a read-only query as the owner (for counts the CLI does not print).
rel_sql() {
	rel_as_owner sqlite3 -readonly -cmd '.timeout 10000' "$1" "$2"
}

# rel_export_counts NAME OUT: "recipient hits" for every suppression (CLI export).
rel_export_counts() {
	rel_cli "$1" export --json | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print(o["recipient"], o["hits"])' > "$2"
}

# rel_once NAME DB FILE: every address in FILE is suppressed exactly once
# (export: one row, hits 1) and has exactly one event. Prints the missing
# and the doubled ones (at most 10 each) and returns non-zero when any.
rel_once() {
	rel_export_counts "$1" "$tmp/export.$$" || return 2
	rel_sql "$2" "SELECT recipient, count(*) FROM events GROUP BY recipient" |
		tr '|' ' ' > "$tmp/events.$$" || return 2
	python3 - "$3" "$tmp/export.$$" "$tmp/events.$$" <<'PY'
import sys
want = [l.strip() for l in open(sys.argv[1]) if l.strip()]
hits = dict(l.split() for l in open(sys.argv[2]) if l.strip())
events = dict(l.split() for l in open(sys.argv[3]) if l.strip())
missing = [a for a in want if a not in hits]
doubled = [a for a in want if a in hits and (hits[a] != "1" or events.get(a) != "1")]
for a in missing[:10]:
    print("    missing from the store:", a)
for a in doubled[:10]:
    print("    not exactly once:", a, "hits", hits[a], "events", events.get(a))
print("    %d expected, %d missing, %d not exactly once" % (len(want), len(missing), len(doubled)))
sys.exit(1 if missing or doubled else 0)
PY
	rel_rc=$?
	rm -f "$tmp/export.$$" "$tmp/events.$$"
	return $rel_rc
}

# rel_kv FILE KEY: a value from the MILTLOAD summary line
rel_kv() {
	sed -n 's/^MILTLOAD //p' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1
}
