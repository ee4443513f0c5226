#!/bin/sh
# postfix_bench.sh SOCKET MESSAGES ROUNDS OUT [SESSIONS] - messages per second through a
# real, throwaway Postfix, with and without bouncetag-milter, in one run.
#
# A private Postfix instance (postfix -c DIR) under a temporary directory:
# its own queue, data directory and maillog_file, no chroot, listening on
# 127.0.0.1 only and never on port 25. Two submission smtpd services, the
# same except that one has smtpd_milters=unix:SOCKET (the running milter,
# started by the caller) and {daemon_name}=submission:
#	127.0.0.1:40587  no milter
#	127.0.0.1:40588  with the milter
# Everything is relayed to smtp-sink on 127.0.0.1:40525. smtp-source sends
# MESSAGES messages (SESSIONS in parallel, default 20; 2 recipients each, 2 KB) to
# one service, then to the other, ROUNDS times, alternating, so that both
# see the same machine load. A round ends when the maillog shows every
# recipient delivered (status=sent); its rate is messages / that time.
#
# With FLOOR_SOCKET set (the socket of bench/nullmilter, a libmilter filter
# that asks for the same protocol steps and does nothing), a third service
# on 127.0.0.1:40589 uses that one, and each round sends to it as well: the
# cost of attaching any libmilter filter, measured beside bouncetag's.
#
# Writes "POSTFIX key=value ..." lines to OUT (one per round, then a
# summary with the ratio of the medians) and stops everything it started:
# the Postfix instance, smtp-sink and the temporary directory.
set -u
sock=$1
msgs=$2
rounds=$3
out=$4
sink_port=40525
plain_port=40587
milter_port=40588
floor_port=40589
floor=${FLOOR_SOCKET:-}
rcpts=2
sessions=${5:-20}

tmp=$(mktemp -d /tmp/bouncetag-bench-postfix.XXXXXX)
chmod 755 "$tmp"
etc=$tmp/etc
sink_pid=""
started=0

cleanup() {
	if [ $started -eq 1 ]; then
		postfix -c "$etc" stop >/dev/null 2>&1
		# master exits after its children; wait for it so nothing is left running
		i=0
		while [ -f "$tmp/queue/pid/master.pid" ] &&
			kill -0 "$(tr -d ' ' < "$tmp/queue/pid/master.pid")" 2>/dev/null; do
			i=$((i + 1))
			[ $i -gt 100 ] && break
			sleep 0.1
		done
	fi
	[ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
	rm -rf "$tmp"
}
[ -n "${KEEP:-}" ] || trap cleanup EXIT INT TERM

for p in $sink_port $plain_port $milter_port $floor_port; do
	if ss -ltn 2>/dev/null | grep -q "127.0.0.1:$p "; then
		echo "postfix_bench: port $p is in use" >&2
		exit 1
	fi
done

mkdir -p "$etc" "$tmp/queue" "$tmp/data"
chown postfix "$tmp/data"
cat > "$etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $tmp/queue
data_directory = $tmp/data
maillog_file = $tmp/maillog
maillog_file_prefixes = $tmp
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mta.bench.example
mydomain = bench.example
myorigin = \$myhostname
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
smtp_tls_security_level = none
smtpd_tls_security_level = none
default_destination_concurrency_limit = 20
initial_destination_concurrency = 20
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
anvil_rate_time_unit = 60s
milter_default_action = tempfail
biff = no
append_dot_mydomain = no
EOF
# No chroot anywhere; only the services this test needs.
cat > "$etc/master.cf" <<EOF
127.0.0.1:$plain_port inet n - n - - smtpd -o syslog_name=postfix/plain
127.0.0.1:$milter_port inet n - n - - smtpd -o syslog_name=postfix/milter -o smtpd_milters=unix:$sock -o milter_macro_daemon_name=submission
EOF
[ -n "$floor" ] && cat >> "$etc/master.cf" <<EOF
127.0.0.1:$floor_port inet n - n - - smtpd -o syslog_name=postfix/floor -o smtpd_milters=unix:$floor -o milter_macro_daemon_name=submission
EOF
cat >> "$etc/master.cf" <<EOF
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

sink_user=""
[ "$(id -u)" -eq 0 ] && sink_user="-u postfix" # smtp-sink refuses to run as root
# shellcheck disable=SC2086
smtp-sink $sink_user 127.0.0.1:$sink_port 256 >"$tmp/sink.log" 2>&1 &
sink_pid=$!
sleep 0.2
if ! kill -0 $sink_pid 2>/dev/null; then
	echo "postfix_bench: smtp-sink did not start:" >&2
	cat "$tmp/sink.log" >&2
	sink_pid=""
	exit 1
fi
if ! postfix -c "$etc" check >"$tmp/check.log" 2>&1 || ! postfix -c "$etc" start >>"$tmp/check.log" 2>&1; then
	echo "postfix_bench: cannot start the Postfix instance:" >&2
	cat "$tmp/check.log" >&2
	exit 1
fi
started=1
i=0
while ! ss -ltn 2>/dev/null | grep -q "127.0.0.1:$milter_port "; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		echo "postfix_bench: smtpd did not start" >&2
		exit 1
	fi
	sleep 0.1
done

now() { date +%s.%N; }

sent_count() {
	n=$(grep -c 'status=sent' "$tmp/maillog" 2>/dev/null)
	echo "${n:-0}"
}

# round NAME PORT: send, wait for delivery, print the round's line
round() {
	before=$(sent_count)
	want=$((before + msgs * rcpts))
	t0=$(now)
	if ! smtp-source -4 -s "$sessions" -m "$msgs" -r $rcpts -N -l 2048 -f sender@bench.example \
		-t rcpt@bench.example "127.0.0.1:$2" >"$tmp/source.log" 2>&1; then
		echo "postfix_bench: smtp-source failed on $1:" >&2
		tail -5 "$tmp/source.log" >&2
		exit 1
	fi
	t1=$(now)
	i=0
	last=0
	while [ "$(sent_count)" -lt $want ]; do
		# give up after 30 s without progress
		n=$(sent_count)
		[ "$n" -ne "$last" ] && i=0
		last=$n
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "postfix_bench: $1: only $(($(sent_count) - before)) of $((msgs * rcpts)) delivered" >&2
			grep -E 'reject|warning|fatal|error' "$tmp/maillog" | tail -5 >&2
			exit 1
		fi
		sleep 0.05
	done
	t2=$(now)
	echo "$1 $t0 $t1 $t2" | awk -v m="$msgs" '{
		acc = $3 - $2; tot = $4 - $2;
		printf "POSTFIX round=%s messages=%d accept_s=%.3f total_s=%.3f accept_msg_per_s=%.1f msg_per_s=%.1f\n",
		       $1, m, acc, tot, m / acc, m / tot }'
}

: > "$out"
# A warm-up round each (process start-up, first milter connections).
msgs_saved=$msgs
msgs=$((msgs / 5 > 50 ? msgs / 5 : 50))
round warmup-plain $plain_port >/dev/null
round warmup-milter $milter_port >/dev/null
[ -n "$floor" ] && round warmup-floor $floor_port >/dev/null
msgs=$msgs_saved
r=1
while [ $r -le "$rounds" ]; do
	round plain $plain_port >> "$out"
	[ -n "$floor" ] && round floor $floor_port >> "$out"
	round milter $milter_port >> "$out"
	r=$((r + 1))
done
rejects=$(grep -c 'milter-reject\|reject:' "$tmp/maillog" 2>/dev/null)
rejects=${rejects:-0}
summary=$(awk -v rej="$rejects" '
	/round=plain/  { for (i = 1; i <= NF; i++) if ($i ~ /^msg_per_s=/) { split($i, a, "="); p[np++] = a[2] } }
	/round=milter/ { for (i = 1; i <= NF; i++) if ($i ~ /^msg_per_s=/) { split($i, a, "="); m[nm++] = a[2] } }
	/round=floor/  { for (i = 1; i <= NF; i++) if ($i ~ /^msg_per_s=/) { split($i, a, "="); f[nf++] = a[2] } }
	function median(v, n,    i, j, t) {
		for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
		return n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
	}
	END {
		mp = median(p, np); mm = median(m, nm); mf = nf ? median(f, nf) : 0
		printf "POSTFIX summary rounds=%d plain_msg_per_s=%.1f milter_msg_per_s=%.1f ratio=%.3f rejects=%d",
		       np, mp, mm, (mp > 0 ? mm / mp : 0), rej
		if (nf)
			printf " floor_msg_per_s=%.1f floor_ratio=%.3f milter_vs_floor=%.3f",
			       mf, (mp > 0 ? mf / mp : 0), (mf > 0 ? mm / mf : 0)
		printf "\n"
	}' "$out")
echo "$summary" >> "$out"
cat "$out"
