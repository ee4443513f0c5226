#!/bin/sh
# run.sh BUILD - the milter scenarios: start the real bouncetag-milter from
# BUILD on a private socket and database, drive it with miltertest (one Lua
# script per scenario, tests/milter/NN-*.lua), check the store through the
# bouncetag command, stop the milter. Scenarios named *-outage.lua run
# against a second milter whose database directory is missing at first;
# *-priv.lua against a third that dropped root for nobody (root only);
# *-reload.lua against one with its own rules file, to reload with SIGUSR1;
# *-noinbound.lua against one with LearnInbound no.
set -u
build=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
tmp=$(mktemp -d /tmp/bouncetag-milter-test.XXXXXX)
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# write_conf NAME DATABASE [EXTRA-LINES]
write_conf() {
	cat > "$tmp/$1.conf" <<CONF
${3:-}
Socket                unix:$tmp/$1.sock
SocketMode            0600
Database              $2
RulesFile             $top/conf/rules.conf
TransientThreshold    2
TrustWindow           5s
CONF
}

start_milter() {
	"$build/bouncetag-milter" -f -c "$tmp/$1.conf" 2> "$tmp/$1.log" &
	pids="$pids $!"
	i=0
	while [ ! -S "$tmp/$1.sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			echo "milter $1 did not start:"; cat "$tmp/$1.log"; exit 1
		fi
		sleep 0.1
	done
}

write_conf main "$tmp/main.db"
write_conf outage "$tmp/outage-store/bt.db"
cp "$top/conf/rules.conf" "$tmp/reload-rules.conf"
write_conf reload "$tmp/reload.db"
sed -i "s|^RulesFile .*|RulesFile $tmp/reload-rules.conf|" "$tmp/reload.conf"
write_conf noinbound "$tmp/noinbound.db" "LearnInbound no"
start_milter main
start_milter outage
start_milter noinbound
start_milter reload
reload_pid=${pids##* }

# As root (CI): a third milter binds its socket, gives it to nobody:nogroup
# mode 0660, and runs as nobody; *-priv.lua scenarios drive it.
priv=no
passed=0
failed=0

# The sent-mail writer runs 10 nice steps below the threads that answer the
# MTA (milter/sent.c), so that its flushes do not add to RCPT latency.
main_pid=$(echo $pids | cut -d' ' -f1)
base_nice=$(sed 's/.*) //' "/proc/$main_pid/stat" | cut -d' ' -f17)
nices=$(for f in /proc/"$main_pid"/task/*/stat; do sed 's/.*) //' "$f" | cut -d' ' -f17; done |
	sort -n | tr '\n' ' ')
case " $nices" in
*" $((base_nice + 10)) "*)
	echo "PASS sent-writer-niced (thread nice values: $nices)"
	passed=$((passed + 1)) ;;
*)
	echo "FAIL sent-writer-niced: no thread at nice $((base_nice + 10)) (thread nice values: $nices)"
	failed=$((failed + 1)) ;;
esac
if [ "$(id -u)" = 0 ] && getent passwd nobody > /dev/null && getent group nogroup > /dev/null; then
	priv=yes
	chmod 0711 "$tmp"
	mkdir "$tmp/priv-store" && chown nobody:nogroup "$tmp/priv-store"
	write_conf priv "$tmp/priv-store/bt.db" "User nobody
SocketGroup nogroup"
	sed -i 's/^SocketMode .*/SocketMode 0660/' "$tmp/priv.conf"
	start_milter priv
	ppid=${pids##* }
	# the socket appears before it is given away and the user switched: poll
	i=0
	while :; do
		who=$(ps -o user= -p "$ppid" | tr -d ' ')
		sock=$(stat -c '%U:%G %a' "$tmp/priv.sock")
		[ "$who" = nobody ] && [ "$sock" = "nobody:nogroup 660" ] && break
		i=$((i + 1))
		[ $i -gt 100 ] && break
		sleep 0.1
	done
	if [ "$who" = nobody ] && [ "$sock" = "nobody:nogroup 660" ]; then
		echo "PASS privileges-dropped (process $who, socket $sock)"
		passed=$((passed + 1))
	else
		echo "FAIL privileges-dropped: process runs as '$who', socket is '$sock'"
		failed=$((failed + 1))
	fi
	# a User that does not exist stops the milter at start, naming it
	write_conf nouser "$tmp/nouser.db" "User no-such-user-bt"
	if "$build/bouncetag-milter" -f -c "$tmp/nouser.conf" 2> "$tmp/nouser.log"; then
		echo "FAIL unknown-user-refused: the milter started"
		failed=$((failed + 1))
	elif grep -q "User no-such-user-bt: no such user" "$tmp/nouser.log"; then
		echo "PASS unknown-user-refused"
		passed=$((passed + 1))
	else
		echo "FAIL unknown-user-refused: $(cat "$tmp/nouser.log")"
		failed=$((failed + 1))
	fi
else
	echo "SKIP privileges (not root, or no nobody/nogroup)"
fi

# A second instance started on the same socket and PidFile takes them over
# (libmilter replaces the socket file); when the first one stops it must not
# remove what is now the second one's, and the second one, stopping, removes
# both.
write_conf twin "$tmp/twin.db" "PidFile $tmp/twin.pid"
"$build/bouncetag-milter" -f -c "$tmp/twin.conf" 2> "$tmp/twin1.log" &
twin1=$!
i=0
while [ ! -s "$tmp/twin.pid" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
ino1=$(stat -c %i "$tmp/twin.sock" 2>/dev/null)
"$build/bouncetag-milter" -f -c "$tmp/twin.conf" 2> "$tmp/twin2.log" &
twin2=$!
i=0
while [ "$(cat "$tmp/twin.pid" 2>/dev/null)" != "$twin2" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.1
done
ino2=$(stat -c %i "$tmp/twin.sock" 2>/dev/null)
kill "$twin1"
wait "$twin1"
ino_after=$(stat -c %i "$tmp/twin.sock" 2>/dev/null)
pid_after=$(cat "$tmp/twin.pid" 2>/dev/null)
kill "$twin2"
wait "$twin2"
if [ -n "$ino1" ] && [ "$ino2" != "$ino1" ] && [ "$ino_after" = "$ino2" ] &&
	[ "$pid_after" = "$twin2" ] && [ ! -e "$tmp/twin.sock" ] && [ ! -e "$tmp/twin.pid" ]; then
	echo "PASS second-instance-socket-kept"
	passed=$((passed + 1))
else
	echo "FAIL second-instance-socket-kept: socket inode $ino1 -> $ino2 -> after the first stopped '$ino_after'; PidFile '$pid_after' (second is $twin2); left after both: $(ls "$tmp"/twin.sock "$tmp"/twin.pid 2>/dev/null)"
	failed=$((failed + 1))
fi

# Under systemd (standard error is the journal, named in JOURNAL_STREAM)
# lines go to syslog only, which the journal also receives: not twice.
# Here there is no syslog daemon, so the lines go nowhere; the first twin
# above, with a plain file as standard error, is the control.
: > "$tmp/journal.log"
JOURNAL_STREAM=$(stat -c '%d:%i' "$tmp/journal.log") \
	"$build/bouncetag-milter" -f -c "$tmp/twin.conf" 2>> "$tmp/journal.log" &
jpid=$!
i=0
while [ ! -S "$tmp/twin.sock" ] && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
kill "$jpid"
wait "$jpid"
if grep -q "started:" "$tmp/twin1.log" && [ ! -s "$tmp/journal.log" ]; then
	echo "PASS journal-not-logged-twice"
	passed=$((passed + 1))
else
	echo "FAIL journal-not-logged-twice: standard error had: $(head -3 "$tmp/journal.log")"
	failed=$((failed + 1))
fi

for script in "$top"/tests/milter/[0-9]*.lua; do
	name=$(basename "$script" .lua)
	case $name in
	*-outage) inst=outage ;;
	*-priv) inst=priv ;;
	*-reload) inst=reload ;;
	*-noinbound) inst=noinbound ;;
	*) inst=main ;;
	esac
	if [ $inst = priv ] && [ $priv = no ]; then
		echo "SKIP $name (needs root)"
		continue
	fi
	db=$(sed -n 's/^Database *//p' "$tmp/$inst.conf")
	if miltertest -s "$script" -D LIB="$top/tests/milter/lib.lua" -D FIX="$top/tests/fixtures" \
		-D SOCK="unix:$tmp/$inst.sock" -D CLI="$build/bouncetag --config $tmp/$inst.conf" \
		-D MKSTORE="mkdir -p $tmp/outage-store" -D TMP="$tmp" -D PID="$reload_pid" -D DB="$db" \
		-D RULES="$tmp/reload-rules.conf" -D LOG="$tmp/reload.log" > "$tmp/$name.out" 2>&1; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$tmp/$name.out"
		failed=$((failed + 1))
	fi
done

# The milters must still be alive (no crash), and stop cleanly on SIGTERM.
for p in $pids; do
	if ! kill -0 "$p" 2>/dev/null; then
		echo "FAIL milter process $p died during the scenarios"
		failed=$((failed + 1))
	fi
	kill "$p" 2>/dev/null
	if ! wait "$p"; then
		echo "FAIL milter process $p did not exit cleanly"
		failed=$((failed + 1))
	fi
done
pids=""
if [ -S "$tmp/main.sock" ]; then
	echo "FAIL the milter left its socket behind after a clean stop"
	failed=$((failed + 1))
fi
if [ $failed -ne 0 ]; then
	for l in "$tmp"/*.log; do echo "== $l"; tail -40 "$l"; done
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
