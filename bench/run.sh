#!/bin/sh
# run.sh BUILD [quick|full] - bouncetag's benchmarks; figures in bench/RESULTS.md.
#
# Run from the repository root after "make" (make bench does both):
#   make bench                 quick: about three minutes on 2 cores
#   make bench BENCH=full      longer runs, and the store at 10 million rows
#
# Sections (each writes machine-readable lines that the report is made of):
#   1. parse + classify, single thread, warm, in process: bench/parse_bench
#      over the Sisimai corpus beside Sisimai and BounceParser (Perl), in the
#      same run, plus a callgrind profile of ours and the rules analysis;
#   2. the store: SQLite filled with 1M (full: also 10M) suppressions, look-up
#      latency, learned-result insert rate, size, cost of a handle;
#   3. the milter: bench/miltload against the real daemon (private config and
#      socket) with 1, 4, 16 and 200 connections: RCPT decisions and DSNs learned
#      per second with latency percentiles, resident memory, CPU per decision;
#      the same client against bench/nullmilter (libmilter doing nothing) as
#      the floor;
#   4. a throwaway Postfix (bench/postfix_bench.sh) without a milter, with
#      nullmilter and with bouncetag-milter.
#
# Filled databases are cached in build/bench-cache/ (rebuilt when missing or
# made by another filler version); rows the bench writes into them (learned
# l..., recorded r..., sent mail) are deleted again. Everything started is stopped.
#
# Needs the Debian packages that "./bootstrap bench" installs; says which are
# missing before it starts.
#
# Environment: BENCH_CORPUS (default ../shared/corpus/sisimai/maildir/bsd beside
# the repository, as for tests/accuracy),
# CC (default cc), BENCH_KEEP=1 keeps the temporary directory with every raw output.
set -u
build=${1:-build}
mode=${2:-quick}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

case $mode in
report)
	# bench/run.sh BUILD report DIR: rewrite RESULTS.md from a run kept with BENCH_KEEP=1
	tmp=${3:?usage: bench/run.sh BUILD report DIR}
	# shellcheck source=/dev/null # written by an earlier run
	. "$tmp/env.sh" || exit 1
	. bench/lib.sh
	. bench/report.sh > "$tmp/RESULTS.md" && mv "$tmp/RESULTS.md" bench/RESULTS.md
	exit $? ;;
quick)
	t_parse=2 t_perl=3 t_store=2 t_milt=3 pf_msgs=1000 pf_rounds=3 sizes="1000000" ;;
full)
	t_parse=8 t_perl=10 t_store=8 t_milt=15 pf_msgs=2000 pf_rounds=5 sizes="1000000 10000000" ;;
*)
	echo "usage: bench/run.sh BUILD [quick|full]" >&2
	exit 2 ;;
esac

corpus=${BENCH_CORPUS:-$top/../shared/corpus/sisimai/maildir/bsd}

# What the runs below need; say all of it at once rather than fail halfway.
missing=""
[ -d "$corpus" ] || missing="$missing corpus:$corpus(set BENCH_CORPUS)"
perl -MSisimai -e 1 2>/dev/null || missing="$missing libsisimai-perl"
perl -MMail::DeliveryStatus::BounceParser -e 1 2>/dev/null ||
	missing="$missing libmail-deliverystatus-bounceparser-perl"
for c in sqlite3 postfix smtp-source smtp-sink ss; do
	command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
if [ -n "$missing" ]; then
	echo "bench: missing:$missing (./bootstrap bench installs the packages)" >&2
	exit 2
fi
dsn_fixture=tests/fixtures/dsn/postfix-failed-5.7.1.eml
bin=$build/bench
cache=$top/build/bench-cache
results=bench/RESULTS.md
fill_version="store_bench-1" # bump when store_bench.c fills differently
CC=${CC:-cc}
CFLAGS_BENCH="-std=c11 -D_GNU_SOURCE -pthread -Wall -Wextra -Werror -Wshadow -Wformat=2 \
-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla -O2 -g -Icommon"
LIBS_BENCH="$(pkg-config --libs libpcre2-8 sqlite3 2>/dev/null || echo -lpcre2-8 -lsqlite3) -lpthread"

tmp=$(mktemp -d /tmp/bouncetag-bench.XXXXXX)
chmod 755 "$tmp" # Postfix's smtpd (user postfix) must reach the milter socket
cmds=$tmp/commands.txt
milter_pid=""
null_pid=""

stop_milter() {
	if [ -n "$milter_pid" ]; then
		kill "$milter_pid" 2>/dev/null
		wait "$milter_pid" 2>/dev/null
		milter_pid=""
	fi
}
cleanup() {
	stop_milter
	[ -n "$null_pid" ] && kill "$null_pid" 2>/dev/null && wait "$null_pid" 2>/dev/null
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. bench/lib.sh

say "building the bench programs in $bin"
mkdir -p "$bin" "$cache"
# shellcheck disable=SC2086
run $CC $CFLAGS_BENCH -o "$bin/parse_bench" bench/parse_bench.c "$build/libbouncetag.a" \
	$LIBS_BENCH || exit 1
# shellcheck disable=SC2086
run $CC $CFLAGS_BENCH -o "$bin/store_bench" bench/store_bench.c "$build/libbouncetag.a" \
	$LIBS_BENCH || exit 1
# shellcheck disable=SC2086
run $CC $CFLAGS_BENCH -o "$bin/miltload" bench/miltload.c -lpthread || exit 1
run $CC $CFLAGS_BENCH -o "$bin/nullmilter" bench/nullmilter.c -lmilter -lpthread || exit 1

# --- machine --------------------------------------------------------------
started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cores=$(nproc)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
kernel=$(uname -sr)
commit=$(git rev-parse --short HEAD 2>/dev/null)
git diff --quiet HEAD -- common milter conf 2>/dev/null || commit="$commit (with uncommitted changes in common/, milter/ or conf/)"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
busy_start=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s%s %s%%", sep, $2, $1; sep = ", " }' | head -c 300)
cpu_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $6 + $7 + $8, $5 }' /proc/stat; }
ticks_start=$(cpu_ticks)

# --- 1. parse + classify --------------------------------------------------
say "parse: ours, Sisimai, BounceParser, ours again (${t_parse}s / ${t_perl}s each)"
run "$bin/parse_bench" -r conf/rules.conf -t "$t_parse" "$corpus" > "$tmp/parse1.txt" || exit 1
run perl bench/perl_bench.pl sisimai "$t_perl" "$corpus" > "$tmp/sisimai.txt" || exit 1
run perl bench/perl_bench.pl bounceparser "$t_perl" "$corpus" > "$tmp/bounceparser.txt" || exit 1
run "$bin/parse_bench" -r conf/rules.conf -t "$t_parse" -p full "$corpus" > "$tmp/parse2.txt" || exit 1

say "parse: callgrind profile (bounce_analyse() only: the warm-up pass and two more)"
have_callgrind=0
if command -v valgrind >/dev/null 2>&1 &&
	run valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" --toggle-collect=bounce_analyse \
		"$bin/parse_bench" -r conf/rules.conf -n 2 -p full "$corpus" > /dev/null 2>&1; then
	have_callgrind=1
	callgrind_annotate --inclusive=yes "$tmp/cg.out" > "$tmp/cg_incl.txt" 2>/dev/null
	callgrind_annotate "$tmp/cg.out" > "$tmp/cg_self.txt" 2>/dev/null
fi

# --- 2. store ---------------------------------------------------------------
# db_for N: the cached database with N suppressions (1M: with one event each)
db_for() {
	db=$cache/supp-$1.db
	events=1
	[ "$1" -gt 1000000 ] && events=0
	stamp="$fill_version rows=$1 events=$events schema=$(grep -c 'PRAGMA user_version = ' common/store_sqlite.c)"
	if [ ! -f "$db.ok" ] || [ "$(cat "$db.ok")" != "$stamp" ]; then
		say "store: filling $db with $1 rows (cached for later runs)"
		rm -f "$db" "$db-wal" "$db-shm" "$db.ok" "$db.fill" "$db.objects"
		run "$bin/store_bench" fill "$db" "$1" "$events" > "$db.fill" || exit 1
		echo "$stamp" > "$db.ok"
	fi
	if [ ! -s "$db.objects" ]; then
		# bytes per table and index (dbstat), for the size per million rows
		sqlite3 "$db" "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC" \
			> "$db.objects" 2>/dev/null
	fi
	# rows an interrupted earlier run may have left (sent: all of it is the bench's)
	sqlite3 "$db" "DELETE FROM sent" > /dev/null 2>&1
	sqlite3 "$db" "DELETE FROM suppressions WHERE recipient >= 'l' AND recipient < 'm' OR
		recipient >= 'r' AND recipient < 's'; DELETE FROM events WHERE recipient >= 'l' AND
		recipient < 'm' OR recipient >= 'r' AND recipient < 's'; PRAGMA wal_checkpoint(TRUNCATE);" \
		> /dev/null 2>&1
	echo "$db"
}

for n in $sizes; do
	db=$(db_for "$n") || exit 1
	say "store: $n rows: look-ups, learned-result inserts"
	# in the OS page cache, as the file of a store in use is
	cat "$db" > /dev/null
	run "$bin/store_bench" lookup "$db" "$n" "$t_store" > "$tmp/lookup-$n.txt" || exit 1
	run "$bin/store_bench" record "$db" 1 "$t_store" > "$tmp/record1-$n.txt" || exit 1
	run "$bin/store_bench" record "$db" 100 "$t_store" > "$tmp/record100-$n.txt" || exit 1
	sqlite3 "$db" "DELETE FROM suppressions WHERE recipient >= 'r' AND recipient < 's';
		DELETE FROM events WHERE recipient >= 'r' AND recipient < 's';" > /dev/null 2>&1
done
db1=$(db_for 1000000) || exit 1
run "$bin/store_bench" handles "$db1" 1000000 32 > "$tmp/handles.txt" || exit 1

# --- 3. milter ---------------------------------------------------------------
# wait_socket SOCKET PID LOG NAME: until the daemon PID has made SOCKET (10 s)
wait_socket() {
	i=0
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$2" 2>/dev/null; then
			echo "bench: $4 did not start:" >&2
			cat "$3" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# start_milter DB [RecordSent]
start_milter() {
	cat > "$tmp/milter.conf" <<EOF
Socket                unix:$tmp/milter.sock
SocketMode            0666
Database              $1
RulesFile             $top/conf/rules.conf
RecordSent            ${2:-yes}
EOF
	printf '# milter.conf: %s\n' "$(tr '\n' ';' < "$tmp/milter.conf" | tr -s ' ')" >> "$cmds"
	rm -f "$tmp/milter.sock"
	printf '%s\n' "$build/bouncetag-milter -f -c $tmp/milter.conf" >> "$cmds"
	"$build/bouncetag-milter" -f -c "$tmp/milter.conf" 2>> "$tmp/milter.log" &
	milter_pid=$!
	wait_socket "$tmp/milter.sock" "$milter_pid" "$tmp/milter.log" "the milter"
}
# nullmilter on $tmp/null.sock, open to Postfix's smtpd like the milter's socket
start_null() {
	printf '%s\n' "$bin/nullmilter unix:$tmp/null.sock" >> "$cmds"
	"$bin/nullmilter" "unix:$tmp/null.sock" 2> "$tmp/null.log" &
	null_pid=$!
	wait_socket "$tmp/null.sock" "$null_pid" "$tmp/null.log" nullmilter
	chmod 666 "$tmp/null.sock"
}
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$milter_pid/status"; }
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # clock ticks
milter_cpu() { proc_cpu "$milter_pid"; }
have_perf=0
command -v perf > /dev/null 2>&1 && perf stat -e context-switches true > /dev/null 2>&1 && have_perf=1
hz=$(getconf CLK_TCK)
# load NAME ARGS...: one miltload run, its summary line in $tmp/milt-NAME.txt
load() {
	name=$1
	shift
	run "$bin/miltload" -s "unix:$tmp/milter.sock" -q "$@" > "$tmp/milt-$name.txt" 2> "$tmp/milt-$name.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		say "miltload $name reported errors (exit $rc):"
		head -5 "$tmp/milt-$name.err" >&2
	fi
}

for n in $sizes; do
	db=$(db_for "$n") || exit 1
	say "milter: $n-row database: enforce with 1, 16, 200 connections (${t_milt}s each)"
	start_milter "$db"
	rss VmRSS > "$tmp/rss-start-$n.txt"
	load "warm-$n" -c 4 -d 1 -N "$n"
	c0=$(milter_cpu)
	load "e1-$n" -c 1 -d "$t_milt" -N "$n"
	c1=$(milter_cpu)
	load "e16-$n" -c 16 -d "$t_milt" -N "$n"
	c2=$(milter_cpu)
	load "e4-$n" -c 4 -d "$t_milt" -N "$n"
	# one connection again: its tail swings from run to run on a VM (see the report)
	load "e1b-$n" -c 1 -d "$t_milt" -N "$n"
	load "e1c-$n" -c 1 -d "$t_milt" -N "$n"
	load "e200-$n" -c 200 -d "$t_milt" -N "$n"
	echo "$(rss VmRSS) $(rss VmHWM)" > "$tmp/rss-e200-$n.txt"
	load "p200-$n" -c 200 -d "$t_milt" -N "$n" -R 20000
	# latency under a load the machine sustains: half the 16-connection maximum
	half=$(calc "$(kv "$tmp/milt-e16-$n.txt" MILTLOAD rcpt_per_s) / 2" 0)
	[ "$half" = "?" ] && half=5000
	load "h16-$n" -c 16 -d "$t_milt" -N "$n" -R "$half"
	load "h200-$n" -c 200 -d "$t_milt" -N "$n" -R "$half"
	# decisions alone: the client aborts each message after its RCPTs
	load "a16-$n" -c 16 -d "$t_milt" -N "$n" -A
	echo "$c0 $c1 $c2" > "$tmp/cpu-$n.txt"
	if [ "$n" -eq 1000000 ]; then
		say "milter: learning DSNs with 1, 16, 200 connections; a 200-connection mix"
		prefix=lbench$$
		load l1 -c 1 -d "$t_milt" -m enforce=0,learn=1 -k 1 -f "$dsn_fixture" -P "${prefix}a" -N "$n"
		load l16 -c 16 -d "$t_milt" -m enforce=0,learn=1 -k 1 -f "$dsn_fixture" -P "${prefix}b" -N "$n"
		load l200 -c 200 -d "$t_milt" -m enforce=0,learn=1 -k 1 -f "$dsn_fixture" -P "${prefix}c" -N "$n"
		load mix -c 200 -d "$t_milt" -m enforce=9,learn=1 -l 10 -f "$dsn_fixture" -P "${prefix}d" -N "$n"
		echo "$(rss VmRSS) $(rss VmHWM)" > "$tmp/rss-l200.txt"
		sqlite3 "$db" "SELECT count(*) FROM suppressions WHERE recipient LIKE '$prefix%'" \
			> "$tmp/learned-in-db.txt" 2>/dev/null
		if [ "$have_perf" = 1 ] && perf record -e cpu-clock -o /dev/null true > /dev/null 2>&1; then
			say "milter: CPU profile (perf, 16 connections, 3 s)"
			perf record -a -e cpu-clock -F 999 -o "$tmp/perf.data" -- sleep 3 > /dev/null 2>&1 &
			perf_pid=$!
			load perf -c 16 -d 3 -N "$n"
			wait $perf_pid
			# (--comm with --sort dso drops some rows in this perf: filter by hand)
			perf report -i "$tmp/perf.data" --no-children --sort comm,dso -g none 2>/dev/null |
				awk '$2 == "bouncetag-milte" { print $1, $3 }' > "$tmp/perf-dso.txt"
			perf report -i "$tmp/perf.data" --no-children --sort comm,sym -g none 2>/dev/null |
				awk '$2 == "bouncetag-milte" { $2 = ""; print }' | head -12 > "$tmp/perf-sym.txt"
			perf report -i "$tmp/perf.data" --no-children --sort comm -g none 2>/dev/null |
				grep '%' | grep -v '^#' | head -8 > "$tmp/perf-comm.txt"
		fi
		say "milter: the floor, nullmilter, with 1, 4 and 16 connections"
		start_null
		nload() { # nload NAME ARGS...: miltload against nullmilter (no recipient suppressed)
			nname=$1
			shift
			run "$bin/miltload" -s "unix:$tmp/null.sock" -q -u 0 "$@" > "$tmp/milt-$nname.txt" \
				2> "$tmp/milt-$nname.err" || say "miltload $nname (nullmilter) reported errors"
		}
		nload f1 -c 1 -d "$t_milt"
		nload f1b -c 1 -d "$t_milt"
		nload f1c -c 1 -d "$t_milt"
		nload f4 -c 4 -d "$t_milt"
		nload f16 -c 16 -d "$t_milt"
		nload fh16 -c 16 -d "$t_milt" -R "$half"
		say "postfix: $pf_rounds rounds of $pf_msgs messages: no milter, nullmilter, bouncetag"
		c0=$(milter_cpu)
		n0=$(proc_cpu "$null_pid")
		# context switches of each filter (every thread, new ones too) while Postfix runs
		cs_pids=""
		if [ "$have_perf" = 1 ]; then
			for who in milter:$milter_pid null:$null_pid; do
				perf stat -x, -e context-switches -p "${who#*:}" -o "$tmp/cs-${who%%:*}.txt" \
					> /dev/null 2>&1 &
				cs_pids="$cs_pids $!"
			done
		fi
		FLOOR_SOCKET=$tmp/null.sock
		export FLOOR_SOCKET
		printf '# FLOOR_SOCKET=%s for the next command\n' "$FLOOR_SOCKET" >> "$cmds"
		run bench/postfix_bench.sh "$tmp/milter.sock" "$pf_msgs" "$pf_rounds" "$tmp/postfix.txt" \
			> /dev/null || say "postfix bench failed"
		unset FLOOR_SOCKET
		for p in $cs_pids; do kill -INT "$p" 2>/dev/null; done
		for p in $cs_pids; do wait "$p" 2>/dev/null; done
		echo "$c0 $(milter_cpu)" > "$tmp/cpu-postfix.txt"
		echo "$n0 $(proc_cpu "$null_pid")" > "$tmp/cpu-postfix-null.txt"
		kill "$null_pid" 2>/dev/null
		wait "$null_pid" 2>/dev/null
		null_pid=""
	fi
	stop_milter
	if [ "$n" -eq 1000000 ]; then
		say "milter: the same with RecordSent no (no write per submitted message)"
		start_milter "$db" no
		load s16 -c 16 -d "$t_milt" -N "$n"
		if [ "$mode" = full ]; then
			c0=$(milter_cpu)
			run bench/postfix_bench.sh "$tmp/milter.sock" "$pf_msgs" "$pf_rounds" \
				"$tmp/postfix-nosent.txt" > /dev/null || say "postfix bench failed"
			echo "$c0 $(milter_cpu)" > "$tmp/cpu-postfix-nosent.txt"
		fi
		stop_milter
	fi
	sqlite3 "$db" "DELETE FROM sent" > /dev/null 2>&1
	sqlite3 "$db" "DELETE FROM suppressions WHERE recipient >= 'l' AND recipient < 'm';
		DELETE FROM events WHERE recipient >= 'l' AND recipient < 'm';
		PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null 2>&1
done

load_end=$(cut -d' ' -f1-3 /proc/loadavg)
busy_end=$(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s%s %s%%", sep, $2, $1; sep = ", " }' | head -c 300)
ticks_end=$(cpu_ticks)
finished=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
busy_pct=$(echo "$ticks_start $ticks_end" | awk '{ b = $3 - $1; i = $4 - $2; printf "%.0f", 100 * b / (b + i) }')

# --- report ------------------------------------------------------------------
# what the report needs, so that "bench/run.sh BUILD report DIR" can redo it
save_var() {
	val=""
	eval "val=\${$1}"
	printf "%s='%s'\n" "$1" "$(printf '%s' "$val" | sed "s/'/'\\\\''/g")"
}
for v in build mode sizes t_parse t_perl t_store t_milt pf_msgs pf_rounds corpus cache \
	dsn_fixture started finished cpu_model cores mem kernel commit load_start load_end \
	busy_pct busy_start busy_end have_callgrind hz CC cmds; do
	save_var $v
done > "$tmp/env.sh"
say "writing $results"
. bench/report.sh > "$tmp/RESULTS.md" && mv "$tmp/RESULTS.md" "$results"
cat "$results"
