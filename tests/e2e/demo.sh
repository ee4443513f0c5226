#!/bin/bash
# demo.sh BUILD - the whole bouncetag story in under a minute (make demo).
#
# Starts a throwaway Postfix wired to bouncetag-milter, the milter and a
# scripted "internet" (one SMTP server on loopback answering like real
# providers), sends a message that bounces for several reasons, shows what
# bouncetag learned and how the submission port refuses the retry, releases
# one recipient, and cleans up. Same set-up as the end-to-end test
# (tests/e2e/lib.sh); needs root, Postfix and python3, no network.
set -u
. "$(dirname "$0")/lib.sh"

CEO=ceo@approved-only.test
CFO=cfo@restricted.test
BUYER=buyer@blocklist.test
NOBODY=nobody@invalid.test
FRIEND=friend@ok.test

if [ -t 1 ]; then
	B=$(printf '\033[1m') N=$(printf '\033[0m')
else
	B='' N=''
fi

step() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*" | fold -s -w 78; }
# Show a bouncetag command, then run it.
run_bt() {
	local a shown=

	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9@._=-]*) shown="$shown '$a'" ;;
		*) shown="$shown $a" ;;
		esac
	done
	printf '$ bouncetag%s\n' "$shown"
	e2e_bt "$@" | sed 's/^/  /'
}
die() {
	say "demo: $*"
	exit 1
}

e2e_init "${1:-build}"

step "1. Start a private Postfix, bouncetag-milter and a scripted remote"
e2e_start || die "the set-up failed (see above)"
say "Postfix listens on 127.0.0.1:$E2E_SUBMISSION_PORT (submission, with the milter) and \
relays everything to a fake \"internet\" on 127.0.0.1:$E2E_REMOTE_PORT; nothing touches \
port 25 or the network. Its DSNs pass through a dedicated cleanup, so the milter sees \
them with {daemon_name} bouncetag-dsn (see README.md, \"Wiring into Postfix\")."

step "2. alice@sender.test sends one message to five recipients"
say "The remote will answer each recipient the way real providers do:"
for r in "$CEO|$E2E_REPLY_WHITELIST" "$CFO|$E2E_REPLY_EXCHANGE" "$BUYER|$E2E_REPLY_SPAMHAUS" \
	"$NOBODY|$E2E_REPLY_UNKNOWN" "$FRIEND|$E2E_REPLY_OK"; do
	printf '  %s\n' "${r%%|*}"
	printf '%s\n' "${r#*|}" | fold -s -w 70 | sed 's/^/      /'
done
e2e_submit "$E2E_TMP/first.out" "Quarterly offer" $CEO $CFO $BUYER $NOBODY $FRIEND
grep -q '^DATA 250' "$E2E_TMP/first.out" || die "submission did not take the message"
e2e_wait 20 e2e_remote_has "$E2E_SENDER" 1 "Quarterly offer" ||
	die "the bounce never came back"
say "Postfix delivered to $FRIEND and bounced the other four (its log, shortened):"
grep -v "to=<[^>]*@sender.test>" "$E2E_LOG" |
	sed -n 's/.*: to=<\([^>]*\)>.*status=\([a-z]*\) (\(host [^ ]* said: \)\{0,1\}\([0-9]\{3\} [0-9.]*\).*/  \1: \2 (\4)/p'

step "3. What bouncetag learned from the bounce"
say "Postfix wrote one bounce (a DSN) to alice; before accepting it, cleanup handed it to \
the milter, which classified every failed recipient and stored the result. The bounce \
itself went on to alice unchanged. Recipients whose own policy refuses us, and invalid \
ones, are suppressed with a tag:"
run_bt list
say "The Spamhaus listing is our fault, not $BUYER's: it is recorded, nobody is suppressed."
run_bt show $BUYER
run_bt stats

step "4. alice tries again: the submission port refuses the suppressed recipients"
e2e_submit "$E2E_TMP/retry.out" "Quarterly offer, second try" $CEO $CFO $BUYER $NOBODY $FRIEND
sed -n 's/^RCPT /  RCPT TO:/p; s/^DATA /  DATA -> /p' "$E2E_TMP/retry.out"
say "Refused at RCPT with 550 5.7.1 naming the tag and date: the mail never leaves, so it \
cannot hurt our reputation. $BUYER and $FRIEND are accepted."

step "5. The CEO's office whitelists us: release the recipient"
run_bt release $CEO --why "whitelisted us, ticket 4711"
e2e_remote_reply $CEO "$E2E_REPLY_OK"
e2e_submit "$E2E_TMP/released.out" "Quarterly offer, welcome" $CEO
sed -n 's/^RCPT /  RCPT TO:/p' "$E2E_TMP/released.out"
e2e_wait 20 e2e_remote_has $CEO 1 "Quarterly offer, welcome" || die "the released mail never arrived"
say "Delivered. The release is recorded (who, when, why); nothing was deleted:"
run_bt show $CEO

step "6. Clean up"
if e2e_teardown; then
	say "Postfix, the milter and the remote are stopped; nothing is left running."
else
	die "processes were still running and have been killed: $E2E_LEFTOVERS"
fi
