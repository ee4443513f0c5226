# lib.sh - set-up shared by the end-to-end test (run.sh) and the demo
# (demo.sh): a throwaway Postfix instance wired to bouncetag-milter exactly
# as README.md ("Wiring into Postfix") tells operators, a scripted remote
# SMTP server (remote.py) that Postfix delivers everything to, and helpers
# to send mail, wait for results and look at the store, the log and what
# the remote received. Source it from bash; call e2e_init BUILD first and
# e2e_teardown at the end (e2e_init installs it as the EXIT trap too).
#
# Nothing here listens on port 25 or needs the network: Postfix listens on
# two loopback high ports (submission, with the milter; "inbound", the port
# 25 stand-in, without it), never looks anything up in DNS, and relays every
# message to the remote on another loopback port. Everything lives under
# one temporary directory, which is removed afterwards (E2E_KEEP=1 keeps it).
#
# E2E_NO_MILTER=1 leaves the milter lines out of main.cf and master.cf: the
# negative control. The tests must fail then.

# Variables set here are used by the scripts that source this file.
# shellcheck disable=SC2034

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_TOP=$(cd "$E2E_LIB_DIR/../.." && pwd)
E2E_PY=${PYTHON:-python3}

# Addresses used by the tests and the demo. Our side is sender.test; every
# other domain is "the internet", i.e. the remote.
E2E_SENDER=alice@sender.test
E2E_POSTMASTER=postmaster@sender.test

# Replies exactly as the providers send them (real texts, local addresses).
E2E_REPLY_WHITELIST='554 5.7.1 <ceo@approved-only.test>: Sender address rejected: not on approved sender list'
E2E_REPLY_EXCHANGE="550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to send to recipient because the sender isn't on the recipient's list of senders who are allowed to send"
E2E_REPLY_SPAMHAUS='554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1'
E2E_REPLY_GMAIL='550-5.7.26 This mail is unauthenticated, which poses a security risk to the
550-5.7.26 sender and Gmail users, and has been blocked. The sender must
550-5.7.26 authenticate with at least one of SPF or DKIM. For this message,
550-5.7.26 DKIM checks did not pass and SPF check for [sender.test] did not
550-5.7.26 pass with ip: [127.0.0.1]. To best protect our users from spam, the
550-5.7.26 message has been blocked. Please visit
550-5.7.26  https://support.google.com/mail/answer/81126#authentication for more
550 5.7.26 information. d75a77b69052e-4a1b2c3d4e5sor1234567qtb.12 - gsmtp'
E2E_REPLY_UNKNOWN='550 5.1.1 <nobody@invalid.test>: Recipient address rejected: User unknown in virtual mailbox table'
E2E_REPLY_FULL='452 4.2.2 <full@quota.test>: Recipient address rejected: Mailbox full'
E2E_REPLY_GREY='450 4.7.1 <grey@greylist.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/greylist.test.html'
E2E_REPLY_OK='250 2.1.5 Ok'

e2e_say() { printf '%s\n' "$*" >&2; }

# e2e_init BUILD: check the host, create the instance directory, write
# the milter's configuration and the remote's table. Nothing is started yet.
e2e_init() {
	local build=$1 t

	case $build in
	/*) E2E_BUILD=$build ;;
	*) E2E_BUILD=$E2E_TOP/$build ;;
	esac
	if [ "$(id -u)" != 0 ]; then
		e2e_say "e2e: must run as root (Postfix's master and set-gid helpers need it)"
		exit 2
	fi
	PATH=$PATH:/usr/sbin:/sbin
	for t in postfix postconf postqueue sendmail "$E2E_PY"; do
		if ! command -v "$t" > /dev/null; then
			e2e_say "e2e: $t not found (apt-get install postfix python3)"
			exit 2
		fi
	done
	for t in bouncetag-milter bouncetag; do
		if [ ! -x "$E2E_BUILD/$t" ]; then
			e2e_say "e2e: $E2E_BUILD/$t is missing (run make first)"
			exit 2
		fi
	done
	E2E_TMP=$(mktemp -d /tmp/bouncetag-e2e.XXXXXX) || exit 2
	# Postfix's daemons run as the postfix user: they must reach the milter
	# socket and the instance's directories.
	chmod 0755 "$E2E_TMP"
	E2E_CONF=$E2E_TMP/postfix
	E2E_SPOOL=$E2E_TMP/spool
	E2E_DATA=$E2E_TMP/data
	E2E_LOG=$E2E_TMP/maillog
	E2E_BTDIR=$E2E_TMP/bouncetag
	E2E_BTCONF=$E2E_BTDIR/bouncetag.conf
	E2E_SOCK=$E2E_BTDIR/bouncetag.sock
	E2E_MILTER_LOG=$E2E_TMP/milter.log
	E2E_REMOTE=$E2E_TMP/remote
	E2E_TABLE=$E2E_REMOTE/table.json
	E2E_MILTER_PID=
	E2E_REMOTE_PID=
	E2E_MASTER_PID=
	E2E_TORN_DOWN=
	mkdir -p "$E2E_CONF" "$E2E_SPOOL" "$E2E_DATA" "$E2E_BTDIR" "$E2E_REMOTE"
	chmod 0755 "$E2E_BTDIR"
	: > "$E2E_REMOTE/rcpt.jsonl"
	: > "$E2E_REMOTE/messages.jsonl"
	chown postfix "$E2E_DATA"
	trap 'e2e_teardown' EXIT
	trap 'exit 130' INT TERM
	e2e_write_table
	e2e_write_bouncetag_conf
}

# Two loopback TCP ports nobody listens on now, for the two smtpd
# services (both bound at once, so they differ; called once the remote
# listens, so neither is the remote's).
e2e_free_ports() {
	"$E2E_PY" -c 'import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0))
b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'
}

# The remote's initial reply table: one recipient per kind of result;
# anyone else (our own sender.test addresses included) gets 250.
e2e_write_table() {
	echo '{}' > "$E2E_TABLE"
	e2e_remote_reply ceo@approved-only.test "$E2E_REPLY_WHITELIST"
	e2e_remote_reply cfo@restricted.test "$E2E_REPLY_EXCHANGE"
	e2e_remote_reply buyer@blocklist.test "$E2E_REPLY_SPAMHAUS"
	e2e_remote_reply user@gmail.test "$E2E_REPLY_GMAIL"
	e2e_remote_reply nobody@invalid.test "$E2E_REPLY_UNKNOWN"
	e2e_remote_reply full@quota.test "$E2E_REPLY_FULL"
	e2e_remote_reply grey@greylist.test "$E2E_REPLY_GREY"
}

# e2e_remote_reply ADDR REPLY: change the remote's mind about ADDR.
e2e_remote_reply() {
	"$E2E_PY" - "$E2E_TABLE" "$1" "$2" <<'PY'
import json, os, sys
path, addr, reply = sys.argv[1:4]
with open(path) as f:
    table = json.load(f)
table[addr.lower()] = reply
with open(path + ".tmp", "w") as f:
    json.dump(table, f, indent=1)
os.rename(path + ".tmp", path)
PY
}

e2e_write_bouncetag_conf() {
	cat > "$E2E_BTCONF" <<CONF
# bouncetag.conf for the end-to-end test instance.
Socket                unix:$E2E_SOCK
# Postfix's cleanup and smtpd run as the postfix user.
SocketMode            0666
Database              $E2E_BTDIR/bouncetag.db
RulesFile             $E2E_TOP/conf/rules.conf
DsnDaemonName         bouncetag-dsn
SubmissionDaemonName  submission
LocalDaemonName       bouncetag-local
# Two mailbox-full results suppress (the default is 3).
TransientThreshold    2
TransientWindow       7d
Verbose               yes
CONF
}

# main.cf and master.cf of the instance. The milter lines are the ones
# conf/postfix-main.cf and conf/postfix-master.cf give operators; the rest
# keeps the instance private, fast and off the network.
e2e_write_postfix_conf() {
	local milter_main="" milter_sub=""

	if [ "${E2E_NO_MILTER:-0}" != 1 ]; then
		milter_main="internal_mail_filter_classes = bounce
non_smtpd_milters = unix:$E2E_SOCK
milter_default_action = tempfail
milter_connect_macros = j {daemon_name} {daemon_addr} v _"
		milter_sub="  -o smtpd_milters=unix:$E2E_SOCK"
	fi
	cat > "$E2E_CONF/main.cf" <<CF
# Throwaway Postfix instance for the bouncetag end-to-end tests.
compatibility_level = 3.6
queue_directory = $E2E_SPOOL
data_directory = $E2E_DATA
maillog_file = $E2E_LOG
maillog_file_prefixes = $E2E_TMP
mail_owner = postfix
setgid_group = postdrop

myhostname = mta.sender.test
mydomain = sender.test
myorigin = \$mydomain
# Nothing is delivered locally: every address, ours included, goes to the
# remote, which records what it accepted.
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
biff = no

inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
# Not even /etc/hosts: a client is "unknown[127.0.0.1]".
smtpd_peername_lookup = no
smtpd_tls_security_level = none

# Everything goes to the scripted remote; no DNS at all.
relayhost = [127.0.0.1]:$E2E_REMOTE_PORT
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtp_tls_security_level = none

# Fast retries and an immediate delay notice, so 4xx results produce a
# delay DSN within seconds.
delay_warning_time = 1s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s

# The stock delay notice speaks in hours, which a 1s delay_warning_time
# turns into "0" and a warning per notice.
bounce_template_file = $E2E_CONF/bounce.cf

# Postmaster copies of bounces (they must not count twice).
notify_classes = resource, software, bounce

$milter_main
CF
	cat > "$E2E_CONF/bounce.cf" <<'CF'
delay_template = <<EOF
Charset: us-ascii
From: Mail Delivery System <MAILER-DAEMON>
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than $delay_warning_time_seconds second(s).
It will be retried until it is $maximal_queue_lifetime_days day(s) old.

                   The mail system
EOF
CF
	cat > "$E2E_CONF/master.cf" <<CF
# service type  private unpriv  chroot  wakeup  maxproc command + args
# Submission (the enforce path): {daemon_name} "submission".
127.0.0.1:$E2E_SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o milter_macro_daemon_name=submission
$milter_sub
# The port 25 stand-in: relaying for mynetworks, no milter.
127.0.0.1:$E2E_INBOUND_PORT inet n - n - - smtpd
  -o syslog_name=postfix/inbound
# Postfix's own DSNs through a dedicated cleanup ({daemon_name} bouncetag-dsn).
bounce    unix  -       -       n       -       0       bounce
  -o cleanup_service_name=bcleanup
defer     unix  -       -       n       -       0       bounce
  -o cleanup_service_name=bcleanup
trace     unix  -       -       n       -       0       bounce
  -o cleanup_service_name=bcleanup
bcleanup  unix  n       -       n       -       0       cleanup
  -o syslog_name=postfix/bcleanup
  -o milter_macro_daemon_name=bouncetag-dsn
# sendmail(1) through pickup ({daemon_name} bouncetag-local).
pickup    unix  n       -       n       60      1       pickup
  -o cleanup_service_name=pcleanup
pcleanup  unix  n       -       n       -       0       cleanup
  -o syslog_name=postfix/pcleanup
  -o milter_macro_daemon_name=bouncetag-local
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
}

# e2e_wait SECONDS CMD...: run CMD every 0.2 s until it succeeds; fail
# when SECONDS pass first.
e2e_wait() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@" > /dev/null 2>&1; do
		if [ $SECONDS -ge $deadline ]; then
			return 1
		fi
		sleep 0.2
	done
}

e2e_start_remote() {
	"$E2E_PY" "$E2E_LIB_DIR/remote.py" --listen 127.0.0.1:0 --table "$E2E_TABLE" \
		--record "$E2E_REMOTE" 2> "$E2E_REMOTE/stderr" &
	E2E_REMOTE_PID=$!
	if ! e2e_wait 10 test -s "$E2E_REMOTE/port"; then
		e2e_say "e2e: the remote did not start:"
		cat "$E2E_REMOTE/stderr" >&2
		return 1
	fi
	E2E_REMOTE_PORT=$(cat "$E2E_REMOTE/port")
}

# Start the milter and wait until its socket accepts connections (a socket
# file left by an earlier run refuses them).
e2e_start_milter() {
	"$E2E_BUILD/bouncetag-milter" -f -c "$E2E_BTCONF" 2>> "$E2E_MILTER_LOG" &
	E2E_MILTER_PID=$!
	if ! e2e_wait 10 e2e_socket_open "$E2E_SOCK"; then
		e2e_say "e2e: the milter did not start:"
		tail -20 "$E2E_MILTER_LOG" >&2
		return 1
	fi
}

# Stop the milter with SIGTERM; fail if it does not exit cleanly.
e2e_stop_milter() {
	local pid=$E2E_MILTER_PID rc=0

	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2> /dev/null
	wait "$pid" || rc=$?
	E2E_MILTER_PID=
	return $rc
}

e2e_postfix() {
	postfix -c "$E2E_CONF" "$@"
}

e2e_start_postfix() {
	read -r E2E_SUBMISSION_PORT E2E_INBOUND_PORT < <(e2e_free_ports)
	e2e_write_postfix_conf
	if ! e2e_postfix check || ! e2e_postfix start; then
		# Errors before logging is set up go to syslog or a terminal only;
		# postconf shows configuration errors on stderr.
		e2e_say "e2e: Postfix did not start:"
		postconf -c "$E2E_CONF" -n > /dev/null
		tail -20 "$E2E_LOG" >&2
		return 1
	fi
	E2E_MASTER_PID=$(tr -dc 0-9 < "$E2E_SPOOL/pid/master.pid")
	# Wait until both ports answer with our smtpd's banner: a port taken
	# by someone else in the meantime must not pass for ours.
	if ! e2e_wait 10 e2e_port_is_ours "$E2E_SUBMISSION_PORT" ||
		! e2e_wait 10 e2e_port_is_ours "$E2E_INBOUND_PORT"; then
		e2e_say "e2e: Postfix's smtpd does not answer on ports $E2E_SUBMISSION_PORT and $E2E_INBOUND_PORT:"
		tail -20 "$E2E_LOG" >&2
		return 1
	fi
}

e2e_socket_open() {
	"$E2E_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.close()' "$1"
}

e2e_port_is_ours() {
	"$E2E_PY" -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
banner = s.makefile("rb").readline()
s.sendall(b"QUIT\r\n")
s.close()
sys.exit(not banner.startswith(b"220 mta.sender.test "))' "$1"
}

# Stop Postfix and make sure its master and every child are gone.
e2e_stop_postfix() {
	local pid=$E2E_MASTER_PID kids

	[ -n "$pid" ] || return 0
	kids=$("$E2E_PY" "$E2E_LIB_DIR/procs.py" children "$pid")
	e2e_postfix stop > /dev/null 2>&1
	# $kids is a list of PIDs: split it.
	# shellcheck disable=SC2086
	if ! e2e_wait 20 e2e_all_gone $pid $kids; then
		e2e_say "e2e: Postfix master $pid did not stop; killing it"
		kill -KILL $pid $kids 2> /dev/null
	fi
	E2E_MASTER_PID=
}

e2e_all_gone() {
	local p

	for p in "$@"; do
		if kill -0 "$p" 2> /dev/null; then
			return 1
		fi
	done
	return 0
}

# PIDs of processes this run started that are still alive: anything with
# the instance directory on its command line or the instance's MAIL_CONFIG
# in its environment (Postfix passes it to every daemon and helper).
e2e_leftovers() {
	[ -n "${E2E_TMP:-}" ] || return 0
	"$E2E_PY" "$E2E_LIB_DIR/procs.py" leftovers "$E2E_TMP" "$E2E_CONF"
}

# e2e_teardown: stop Postfix, the milter and the remote; then check that
# nothing the run started is still alive (killing stragglers by PID) and
# remove the instance directory. Fails if there were stragglers, and
# leaves their description in E2E_LEFTOVERS.
e2e_teardown() {
	local left

	[ -z "$E2E_TORN_DOWN" ] || return 0
	E2E_TORN_DOWN=1
	E2E_LEFTOVERS=
	e2e_stop_postfix
	e2e_stop_milter > /dev/null 2>&1
	if [ -n "$E2E_REMOTE_PID" ]; then
		kill -TERM "$E2E_REMOTE_PID" 2> /dev/null
		wait "$E2E_REMOTE_PID" 2> /dev/null
		E2E_REMOTE_PID=
	fi
	e2e_wait 5 test -z "$(e2e_leftovers)"
	left=$(e2e_leftovers)
	if [ -n "$left" ]; then
		# shellcheck disable=SC2086 # a list of PIDs
		E2E_LEFTOVERS=$("$E2E_PY" "$E2E_LIB_DIR/procs.py" describe $left | tr '\n' ';')
		# shellcheck disable=SC2086
		kill -KILL $left 2> /dev/null
	fi
	if [ "${E2E_KEEP:-0}" = 1 ]; then
		e2e_say "e2e: kept $E2E_TMP"
	else
		rm -rf "$E2E_TMP"
	fi
	[ -z "$left" ]
}

# e2e_start: everything, in dependency order (the remote picks its port,
# which goes into main.cf).
e2e_start() {
	e2e_start_remote && e2e_start_milter && e2e_start_postfix
}

# ---------------------------------------------------------------------
# Sending mail

# e2e_submit OUT SUBJECT RCPT...: send over the submission port; the
# replies (submit.py's lines) go to OUT.
e2e_submit() {
	local out=$1 subject=$2

	shift 2
	"$E2E_PY" "$E2E_LIB_DIR/submit.py" --port "$E2E_SUBMISSION_PORT" --from "$E2E_SENDER" \
		--subject "$subject" "$@" > "$out"
}

# e2e_submit_inbound OUT SUBJECT RCPT...: the same over the port without
# the milter.
e2e_submit_inbound() {
	local out=$1 subject=$2

	shift 2
	"$E2E_PY" "$E2E_LIB_DIR/submit.py" --port "$E2E_INBOUND_PORT" --from "$E2E_SENDER" \
		--subject "$subject" "$@" > "$out"
}

# e2e_sendmail SUBJECT RCPT...: submit with sendmail(1) (postdrop, pickup).
e2e_sendmail() {
	local subject=$1 r to=""

	shift
	for r in "$@"; do to="$to${to:+, }$r"; done
	printf 'From: %s\nTo: %s\nSubject: %s\n\nHello from sendmail(1).\n' \
		"$E2E_SENDER" "$to" "$subject" |
		sendmail -C "$E2E_CONF" -f "$E2E_SENDER" -- "$@"
}

e2e_flush() {
	postqueue -c "$E2E_CONF" -f
}

# Queue IDs of every queued message (postqueue -j), one a line.
e2e_queue_ids() {
	postqueue -c "$E2E_CONF" -j | "$E2E_PY" "$E2E_LIB_DIR/jsonq.py" '[l["queue_id"] for l in lines]'
}

e2e_queue_empty() {
	[ -z "$(postqueue -c "$E2E_CONF" -j)" ]
}

# ---------------------------------------------------------------------
# Looking at the results

e2e_bt() {
	"$E2E_BUILD/bouncetag" --config "$E2E_BTCONF" "$@"
}

e2e_jq() {
	"$E2E_PY" "$E2E_LIB_DIR/jsonq.py" "$@"
}

# e2e_show ADDR EXPR: evaluate EXPR over "bouncetag show --json ADDR".
e2e_show() {
	e2e_bt show --json "$1" | e2e_jq "$2"
}

# How many RCPT TO ADDR the remote was asked (whatever it answered).
e2e_remote_rcpt_count() {
	e2e_jq "sum(1 for l in lines if l['rcpt'].lower() == '$1')" "$E2E_REMOTE/rcpt.jsonl"
}

# e2e_remote_received ADDR [TEXT]: how many messages the remote accepted
# for ADDR (whose text contains TEXT).
e2e_remote_received() {
	e2e_jq "sum(1 for l in lines if '$1' in [r.lower() for r in l['rcpts']] and '''${2:-}''' in l['data'])" \
		"$E2E_REMOTE/messages.jsonl"
}

# e2e_remote_msgs COND: how many messages the remote accepted for which
# the Python expression COND holds (l: mail_from, rcpts, data).
e2e_remote_msgs() {
	e2e_jq "sum(1 for l in lines if ($1))" "$E2E_REMOTE/messages.jsonl"
}

# e2e_remote_has ADDR N [TEXT]: true once the remote accepted N messages.
e2e_remote_has() {
	[ "$(e2e_remote_received "$1" "${3:-}")" -ge "$2" ]
}
