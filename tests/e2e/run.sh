#!/bin/bash
# run.sh BUILD - bouncetag end to end against a real Postfix (make e2e).
#
# Starts a throwaway Postfix instance wired to bouncetag-milter as README.md
# tells operators, a scripted remote SMTP server that answers per recipient
# with real provider replies, and drives mail through it: bounces, delays,
# refused retries on the submission port, withheld recipients on the
# sendmail(1) path, a milter outage, a release. Every check looks at what
# really happened: the store (bouncetag --json), Postfix's log, the queue
# and what the remote received. One line per scenario, PASS or FAIL (why),
# then "N passed, M failed"; the exit status is non-zero on any failure.
#
# Needs root, Postfix and python3; no network, no port 25.
#   E2E_NO_MILTER=1  leave the milter out of Postfix: everything must fail
#   E2E_KEEP=1       keep the instance directory (logs, queue, store)
#   E2E_TIMEOUT=N    seconds each wait may take (default 20)
set -u
. "$(dirname "$0")/lib.sh"

T=${E2E_TIMEOUT:-20}
passed=0
failed=0
WHY=

CEO=ceo@approved-only.test
CFO=cfo@restricted.test
FRIEND=friend@ok.test
BUYER=buyer@blocklist.test
GMAIL=user@gmail.test
NOBODY=nobody@invalid.test
FULL=full@quota.test
GREY=grey@greylist.test
BOSS=boss@approved-only.test

# need WHY CMD...: run CMD; on failure remember WHY and fail.
need() {
	local why=$1

	shift
	if ! "$@" > /dev/null 2>&1; then
		WHY=$why
		return 1
	fi
}

# need_wait WHY CMD...: the same, polling CMD until the deadline.
need_wait() {
	local why=$1

	shift
	if ! e2e_wait "$T" "$@"; then
		WHY="$why (waited ${T}s)"
		return 1
	fi
}

# not CMD...: negation, for need.
not() { ! "$@"; }

# Submission output checks: rcpt_reply OUT ADDR CODE [TEXT]: submit.py's
# line for ADDR starts with "RCPT ADDR CODE TEXT" (TEXT taken literally).
rcpt_reply() {
	local line

	while IFS= read -r line; do
		case $line in
		"RCPT $2 $3 ${4:-}"*) return 0 ;;
		esac
	done < "$1"
	return 1
}

data_ok() { grep -q '^DATA 250 ' "$1"; }
queued_id() { sed -n 's/^DATA 250 .*queued as \([0-9A-Za-z]*\).*/\1/p' "$1"; }

suppressed() { e2e_bt check "$1"; }
not_suppressed() { ! e2e_bt check "$1" && e2e_show "$1" 'j["suppression"] is None'; }

# events ADDR [COND]: how many history events of ADDR satisfy COND (e).
events() {
	e2e_show "$1" "sum(1 for e in j['events'] if (${2:-True}))"
}

# A DSN that reached the sender (null envelope sender) and names SUBJECT
# and RCPT: KIND is "failed" (a bounce) or "delayed" (a delay notice).
dsn_to_sender() {
	e2e_remote_msgs "l['mail_from'] == '' and '$E2E_SENDER' in l['rcpts'] and '$1' in l['data'] \
and 'Final-Recipient: rfc822; $2' in l['data'] and 'Action: $3' in l['data']"
}

has_dsn() { [ "$(dsn_to_sender "$@")" -ge 1 ]; }

# Postmaster copies: from double-bounce, to postmaster, naming SUBJECT.
pm_copies() {
	e2e_remote_msgs "l['mail_from'].startswith('double-bounce@') and \
'$E2E_POSTMASTER' in l['rcpts'] and '$1' in l['data']"
}

has_pm_copy() { [ "$(pm_copies "$1")" -ge 1 ]; }

active_list() { e2e_bt list --json | e2e_jq 'sorted(l["recipient"] for l in lines)'; }
queued() { e2e_queue_ids | grep -qx "$1"; }
log_has() { grep -qE "$1" "$E2E_LOG"; }
milter_log_has() { grep -qE "$1" "$E2E_MILTER_LOG"; }
count_is() { [ "$("${@:2}")" = "$1" ]; }
# sent_rows WHERE: rows of the milter's sent-mail table matching WHERE
sent_rows() { sqlite3 "$E2E_BTDIR/bouncetag.db" "SELECT count(*) FROM sent WHERE $1"; }

# ---------------------------------------------------------------------

# 1. Mail to whitelist-type recipients bounces; the DSN passes through the
# milter (it is learned before Postfix accepts it, so the store has it by
# the time the bounce reaches the sender), the recipients are suppressed
# with their tags, and the sender still gets the bounce.
s_whitelist_bounce_learned() {
	local out=$E2E_TMP/s1.out subj="e2e-1 whitelist"

	e2e_submit "$out" "$subj" $CEO $CFO
	need "submission did not accept the first message: $(tr '\n' ' ' < "$out")" \
		rcpt_reply "$out" $CEO 250 || return 1
	need "no DATA 250" data_ok "$out" || return 1
	need_wait "the bounce for $CEO never reached the sender" \
		has_dsn "$subj" $CEO failed || return 1
	need "the bounce does not name $CFO" has_dsn "$subj" $CFO failed || return 1
	need "Postfix did not log status=bounced for $CEO" \
		log_has "to=<$CEO>.*status=bounced \(.*not on approved sender list" || return 1
	need "$CEO is not suppressed" suppressed $CEO || return 1
	need "$CFO is not suppressed" suppressed $CFO || return 1
	need "$CEO: tag is not requires-whitelist" \
		e2e_show $CEO 'j["suppression"]["tag"] == "requires-whitelist"' || return 1
	need "$CEO: class is not recipient-policy" \
		e2e_show $CEO 'j["suppression"]["class"] == "recipient-policy"' || return 1
	need "$CFO: not recipient-policy/restricted-recipient" \
		e2e_show $CFO 'j["suppression"]["class"] == "recipient-policy" and
			j["suppression"]["tag"] == "restricted-recipient"' || return 1
	need "$CEO: the event is not a trusted failed 5.7.1 from the DSN" \
		count_is 1 events $CEO 'e["action"] == "failed" and e["status"] == "5.7.1" and
			e["trusted"] and e["source"] == "dsn" and e["reply_code"] == 554' || return 1
	need "$CFO: the event is not a trusted failed 5.7.129" \
		count_is 1 events $CFO 'e["action"] == "failed" and e["status"] == "5.7.129" and
			e["trusted"]' || return 1
	need "the remote saw $CEO more than once" count_is 1 e2e_remote_rcpt_count $CEO
}

# 6. notify_classes = bounce sends postmaster a copy of the same DSN; it
# passes through the milter too and is recognised, not counted again.
s_postmaster_copy_not_double_counted() {
	local subj="e2e-1 whitelist"

	need_wait "no postmaster copy of the bounce reached the remote" has_pm_copy "$subj" || return 1
	need "the milter did not see the postmaster copy as a duplicate" \
		milter_log_has ": dsn $CEO .*duplicate, ignored" || return 1
	need "$CEO: hits is not 1" e2e_show $CEO 'j["suppression"]["hits"] == 1' || return 1
	need "$CFO: hits is not 1" e2e_show $CFO 'j["suppression"]["hits"] == 1' || return 1
	need "$CEO: not exactly one event" count_is 1 events $CEO || return 1
	need "$CFO: not exactly one event" count_is 1 events $CFO
}

# 2. The retry over the submission port: suppressed recipients refused at
# RCPT with 550 5.7.1, never reaching the remote; the others delivered.
s_submission_refuses_suppressed() {
	local out=$E2E_TMP/s2.out subj="e2e-2 retry" qid

	e2e_submit "$out" "$subj" $CEO $CFO $FRIEND
	need "RCPT $CEO not refused with 550 5.7.1 naming the tag: $(grep "RCPT $CEO" "$out")" \
		rcpt_reply "$out" $CEO 550 "5.7.1 recipient suppressed by bouncetag (requires-whitelist since" ||
		return 1
	need "RCPT $CFO not refused with 550 5.7.1" \
		rcpt_reply "$out" $CFO 550 "5.7.1 recipient suppressed by bouncetag (restricted-recipient" ||
		return 1
	need "RCPT $FRIEND not accepted" rcpt_reply "$out" $FRIEND 250 || return 1
	need "no DATA 250" data_ok "$out" || return 1
	need_wait "$FRIEND never received the message" e2e_remote_has $FRIEND 1 "$subj" || return 1
	need "Postfix did not log the milter-reject" \
		log_has "milter-reject: RCPT from .*: 550 5.7.1 recipient suppressed.*to=<$CEO>" || return 1
	need "$CEO reached the remote again" count_is 1 e2e_remote_rcpt_count $CEO || return 1
	need "$CFO reached the remote again" count_is 1 e2e_remote_rcpt_count $CFO || return 1
	# remembered as sent (at end of headers) under Postfix's queue ID and the
	# message's Message-ID, for the recipient that was not refused only
	qid=$(queued_id "$out")
	need_wait "no sent row for $FRIEND with queue ID $qid" \
		count_is 1 sent_rows "recipient = '$FRIEND' AND queue_id = '$qid' AND
			message_id LIKE '<%@sender.test>' AND source = 'submission'" || return 1
	need "a refused recipient was recorded as sent" \
		count_is 0 sent_rows "recipient IN ('$CEO', '$CFO') AND queue_id = '$qid'"
}

# 2b. sendmail(1): Postfix cannot refuse one recipient there; the milter
# removes the suppressed one and records it as withheld, the others are
# delivered.
s_sendmail_withholds_suppressed() {
	local subj="e2e-3 sendmail"

	need "sendmail failed" e2e_sendmail "$subj" $CEO $FRIEND || return 1
	need_wait "$FRIEND never received the sendmail message" e2e_remote_has $FRIEND 1 "$subj" ||
		return 1
	need "$CEO reached the remote" count_is 1 e2e_remote_rcpt_count $CEO || return 1
	need "no withheld event for $CEO" \
		count_is 1 events $CEO 'e["action"] == "withheld"' || return 1
	need "the milter did not log the withheld recipient" \
		milter_log_has ": withheld $CEO: recipient is suppressed"
}

# 2c. sendmail(1) with every recipient suppressed. Removing them all would
# make Postfix drop the message without a word (no status= line, no DSN):
# instead the milter refuses the message, and pickup's cleanup bounces it
# to the sender with the milter's 550 5.7.1 text. That bounce comes back
# through the DSN cleanup; the milter must not learn it (it is our own
# refusal), or every refused message would renew the suppression.
s_sendmail_all_withheld_bounced() {
	local subj="e2e-4 all-withheld" hits_ceo hits_cfo

	hits_ceo=$(e2e_show $CEO 'j["suppression"]["hits"]')
	hits_cfo=$(e2e_show $CFO 'j["suppression"]["hits"]')
	need "sendmail failed" e2e_sendmail "$subj" $CEO $CFO || return 1
	need_wait "the sender never got a bounce naming $CEO" has_dsn "$subj" $CEO failed || return 1
	need "the bounce does not name $CFO" has_dsn "$subj" $CFO failed || return 1
	need "the bounce does not give bouncetag's reason" \
		count_is 1 e2e_remote_msgs "l['mail_from'] == '' and '$subj' in l['data'] \
and 'suppressed by bouncetag' in l['data']" || return 1
	need "no withheld event for $CFO" \
		count_is 1 events $CFO 'e["action"] == "withheld"' || return 1
	need "not two withheld events for $CEO" \
		count_is 2 events $CEO 'e["action"] == "withheld"' || return 1
	need "the milter learned its own refusal" \
		milter_log_has ": $CEO: our own refusal reported back, not learned" || return 1
	need "$CEO's suppression was renewed by our own refusal" \
		count_is "$hits_ceo" e2e_show $CEO 'j["suppression"]["hits"]' || return 1
	need "$CFO's suppression was renewed by our own refusal" \
		count_is "$hits_cfo" e2e_show $CFO 'j["suppression"]["hits"]' || return 1
	need "something of it reached $CEO or $CFO" \
		count_is 0 e2e_remote_msgs "'$subj' in l['data'] and ('$CEO' in l['rcpts'] or '$CFO' in l['rcpts'])"
}

# 3. Sender-issue rejections (our IP blocklisted, our mail unauthenticated)
# are recorded as events and suppress nobody: once fixed, mail goes out.
s_sender_issue_recorded_not_suppressed() {
	local out=$E2E_TMP/s5.out out2=$E2E_TMP/s5b.out subj="e2e-5 sender-issue"

	e2e_submit "$out" "$subj" $BUYER $GMAIL
	need "submission did not accept $BUYER" rcpt_reply "$out" $BUYER 250 || return 1
	need_wait "the bounce for $GMAIL never reached the sender" has_dsn "$subj" $GMAIL failed ||
		return 1
	need "the bounce does not name $BUYER" has_dsn "$subj" $BUYER failed || return 1
	need "$BUYER: no sender-issue/blocklisted event" \
		count_is 1 events $BUYER 'e["class"] == "sender-issue" and e["reason"] == "blocklisted"
			and e["status"] == "5.7.1" and e["trusted"]' || return 1
	need "$GMAIL: no sender-issue 5.7.26 event with the whole multi-line text" \
		count_is 1 events $GMAIL 'e["class"] == "sender-issue" and e["status"] == "5.7.26"
			and "This mail is unauthenticated" in e["diagnostic"] and "gsmtp" in e["diagnostic"]' ||
		return 1
	need "$BUYER is suppressed" not_suppressed $BUYER || return 1
	need "$GMAIL is suppressed" not_suppressed $GMAIL || return 1
	# We fix our IP and DKIM: the remote now takes the mail.
	e2e_remote_reply $BUYER "$E2E_REPLY_OK"
	e2e_remote_reply $GMAIL "$E2E_REPLY_OK"
	e2e_submit "$out2" "e2e-5b fixed" $BUYER $GMAIL
	need "the later message to $BUYER was refused" rcpt_reply "$out2" $BUYER 250 || return 1
	need "the later message to $GMAIL was refused" rcpt_reply "$out2" $GMAIL 250 || return 1
	need_wait "$BUYER never received the later message" e2e_remote_has $BUYER 1 "e2e-5b fixed" ||
		return 1
	need_wait "$GMAIL never received the later message" e2e_remote_has $GMAIL 1 "e2e-5b fixed"
}

# 4a. User unknown: suppressed at once as recipient-invalid.
s_user_unknown_suppressed() {
	local out=$E2E_TMP/s6.out out2=$E2E_TMP/s6b.out subj="e2e-6 unknown"

	e2e_submit "$out" "$subj" $NOBODY
	need_wait "the bounce for $NOBODY never reached the sender" has_dsn "$subj" $NOBODY failed ||
		return 1
	need "$NOBODY is not suppressed" suppressed $NOBODY || return 1
	need "$NOBODY: not recipient-invalid/user-unknown" \
		e2e_show $NOBODY 'j["suppression"]["class"] == "recipient-invalid" and
			j["suppression"]["tag"] == "user-unknown"' || return 1
	e2e_submit "$out2" "e2e-6b retry" $NOBODY
	need "the retry to $NOBODY was not refused" rcpt_reply "$out2" $NOBODY 550 5.7.1 || return 1
	need "$NOBODY reached the remote again" count_is 1 e2e_remote_rcpt_count $NOBODY
}

# 4b. Mailbox full (452 4.2.2, deferred; Postfix sends a delay notice):
# suppressed only when TransientThreshold (2 here) results arrived.
s_mailbox_full_after_threshold() {
	local out=$E2E_TMP/s7.out out2=$E2E_TMP/s7b.out out3=$E2E_TMP/s7c.out

	e2e_submit "$out" "e2e-7 full one" $FULL
	need_wait "no delay notice for the first message to $FULL" \
		has_dsn "e2e-7 full one" $FULL delayed || return 1
	need "$FULL: no delayed recipient-transient event" \
		count_is 1 events $FULL 'e["action"] == "delayed" and e["class"] == "recipient-transient"
			and e["reason"] == "mailbox-full"' || return 1
	need "$FULL suppressed after one result (threshold is 2)" not_suppressed $FULL || return 1
	e2e_submit "$out2" "e2e-7 full two" $FULL
	need "the second message to $FULL was refused before the threshold" \
		rcpt_reply "$out2" $FULL 250 || return 1
	need_wait "no delay notice for the second message to $FULL" \
		has_dsn "e2e-7 full two" $FULL delayed || return 1
	need "$FULL: not two delayed events" count_is 2 events $FULL 'e["action"] == "delayed"' ||
		return 1
	need "$FULL not suppressed after two results" suppressed $FULL || return 1
	need "$FULL: not recipient-transient/mailbox-full" \
		e2e_show $FULL 'j["suppression"]["class"] == "recipient-transient" and
			j["suppression"]["tag"] == "mailbox-full"' || return 1
	e2e_submit "$out3" "e2e-7 full three" $FULL
	need "the third message to $FULL was not refused" rcpt_reply "$out3" $FULL 550 5.7.1 || return 1
	# The mailbox is emptied: the two queued messages are delivered.
	e2e_remote_reply $FULL "$E2E_REPLY_OK"
	e2e_flush
	need_wait "the queued messages to $FULL were not delivered" e2e_remote_has $FULL 2 "e2e-7 full"
}

# 5. Greylisting (450 4.7.1): the delay notice is recorded as transient
# and suppresses nothing; the mail goes out once the remote lets it in.
s_greylist_delay_transient() {
	local out=$E2E_TMP/s8.out subj="e2e-8 greylist"

	e2e_submit "$out" "$subj" $GREY
	need_wait "no delay notice for $GREY reached the sender" has_dsn "$subj" $GREY delayed ||
		return 1
	need "$GREY: no delayed transient/greylisted event" \
		count_is 1 events $GREY 'e["action"] == "delayed" and e["class"] == "transient"
			and e["reason"] == "greylisted" and e["status"] == "4.7.1"' || return 1
	need "$GREY is suppressed" not_suppressed $GREY || return 1
	e2e_remote_reply $GREY "$E2E_REPLY_OK"
	e2e_flush
	need_wait "the greylisted message was not delivered on retry" e2e_remote_has $GREY 1 "$subj"
}

# 7. Milter down: the DSN cannot pass cleanup (milter_default_action =
# tempfail), so Postfix keeps the bounced message and retries the DSN;
# once the milter is back the result is learned exactly once.
s_milter_outage_dsn_kept() {
	local out=$E2E_TMP/s9.out subj="e2e-9 outage" qid

	e2e_remote_reply $BOSS "554 5.7.1 <$BOSS>: Sender address rejected: not on approved sender list"
	need "the milter did not stop cleanly" e2e_stop_milter || return 1
	# The port 25 stand-in has no milter, so mail still comes in.
	e2e_submit_inbound "$out" "$subj" $BOSS
	qid=$(queued_id "$out")
	need "the inbound port did not queue the message: $(tr '\n' ' ' < "$out")" test -n "$qid" ||
		return 1
	need_wait "Postfix did not keep $qid after the DSN failed" \
		log_has "qmgr\[[0-9]+\]: $qid: status=deferred \(bounce failed\)" || return 1
	need "no milter failure in Postfix's log" \
		log_has "bcleanup/cleanup\[[0-9]+\]: warning: connect to Milter service unix:$E2E_SOCK" ||
		return 1
	need "$qid is not in the queue" queued "$qid" || return 1
	need "$BOSS learned while the milter was down?" count_is 0 events $BOSS || return 1
	need "a bounce for $BOSS got out without the milter" not has_dsn "$subj" $BOSS failed || return 1
	need "the milter did not start again" e2e_start_milter || return 1
	e2e_flush
	need_wait "the bounce for $BOSS never reached the sender after the restart" \
		has_dsn "$subj" $BOSS failed || return 1
	need "$BOSS is not suppressed" suppressed $BOSS || return 1
	need_wait "$qid is still queued" log_has "qmgr\[[0-9]+\]: $qid: removed" || return 1
	need_wait "no postmaster copy after the restart" has_pm_copy "$subj" || return 1
	need "$BOSS: not exactly one event" count_is 1 events $BOSS || return 1
	need "$BOSS: hits is not 1" e2e_show $BOSS 'j["suppression"]["hits"] == 1' || return 1
	need "the sender got more than one bounce" count_is 1 dsn_to_sender "$subj" $BOSS failed ||
		return 1
	need "Postfix delivered to $BOSS again" count_is 1 e2e_remote_rcpt_count $BOSS
}

# 8. bouncetag release: the recipient whitelisted us; the next message
# goes through.
s_release_lets_next_through() {
	local out=$E2E_TMP/s10.out subj="e2e-10 released"

	need "release failed" e2e_bt release $CEO --why "whitelisted us, ticket 4711" || return 1
	need "$CEO is still suppressed" not e2e_bt check $CEO || return 1
	need "$CEO: release not recorded" \
		e2e_show $CEO 'j["suppression"]["state"] == "released" and
			j["suppression"]["release_why"] == "whitelisted us, ticket 4711"' || return 1
	e2e_remote_reply $CEO "$E2E_REPLY_OK"
	e2e_submit "$out" "$subj" $CEO
	need "RCPT $CEO refused after the release: $(grep "RCPT $CEO" "$out")" \
		rcpt_reply "$out" $CEO 250 || return 1
	need_wait "$CEO never received the message" e2e_remote_has $CEO 1 "$subj"
}

# The whole run, as "bouncetag stats" and "bouncetag list" sum it up:
# every result counted once, the withheld recipients, the release.
s_stats_add_up() {
	local st

	st=$(e2e_bt stats --json) || {
		WHY="bouncetag stats failed"
		return 1
	}
	need "active suppressions per class are wrong: $st" e2e_jq 'j["active"] == {
		"unclassified": 0, "recipient-policy": 2, "sender-issue": 0,
		"recipient-invalid": 1, "recipient-transient": 1, "transient": 0}' <<< "$st" || return 1
	need "events per class are wrong: $st" e2e_jq 'j["events"] == {
		"unclassified": 0, "recipient-policy": 3, "sender-issue": 2,
		"recipient-invalid": 1, "recipient-transient": 2, "transient": 1}' <<< "$st" || return 1
	need "withheld/released/untrusted counts are wrong: $st" \
		e2e_jq 'j["withheld"] == 3 and j["released"] == 1 and j["untrusted_events"] == 0' \
		<<< "$st" || return 1
	need "the sender-issue domains are wrong: $st" \
		e2e_jq 'sorted((d["domain"], d["events"]) for d in j["sender_issue_domains"]) ==
			[("blocklist.test", 1), ("gmail.test", 1)]' <<< "$st" || return 1
	need "bouncetag list does not show exactly the four active suppressions: $(active_list)" \
		count_is "$(printf '%s\n' $BOSS $CFO $FULL $NOBODY)" active_list
}

# Nothing stuck in the queue, nothing fatal in the logs.
s_queue_drained_logs_clean() {
	e2e_flush
	need_wait "the queue is not empty: $(e2e_queue_ids | tr '\n' ' ')" e2e_queue_empty || return 1
	need "Postfix logged a fatal error or panic: $(grep -E 'fatal:|panic:' "$E2E_LOG" | head -1)" \
		not log_has 'fatal:|panic:' || return 1
	need "Postfix warned: $(grep 'warning:' "$E2E_LOG" | grep -v 'connect to Milter service' | head -1)" \
		test -z "$(grep 'warning:' "$E2E_LOG" | grep -v 'connect to Milter service')" || return 1
	need "the milter logged an error: $(grep -E 'error|fatal|panic' "$E2E_MILTER_LOG" | head -1)" \
		not milter_log_has 'error|fatal|panic' || return 1
	need "the milter died" kill -0 "$E2E_MILTER_PID"
}

scenario() {
	local name=$1

	WHY=
	if "s_${name//-/_}"; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (${WHY:-failed})"
		failed=$((failed + 1))
	fi
}

e2e_init "${1:-build}"
[ "${E2E_NO_MILTER:-0}" = 1 ] && echo "E2E_NO_MILTER=1: Postfix runs without the milter"
if ! e2e_start; then
	echo "FAIL setup (Postfix, the milter or the remote did not start)"
	echo "0 passed, 1 failed"
	exit 1
fi
scenario whitelist-bounce-learned
scenario postmaster-copy-not-double-counted
scenario submission-refuses-suppressed
scenario sendmail-withholds-suppressed
scenario sendmail-all-withheld-bounced
scenario sender-issue-recorded-not-suppressed
scenario user-unknown-suppressed
scenario mailbox-full-after-threshold
scenario greylist-delay-transient
scenario milter-outage-dsn-kept
scenario release-lets-next-through
scenario stats-add-up
scenario queue-drained-logs-clean

if [ $failed -ne 0 ]; then
	echo "--- Postfix log (last 30 lines)"
	tail -30 "$E2E_LOG"
	echo "--- milter log (last 15 lines)"
	tail -15 "$E2E_MILTER_LOG"
fi
# Stop everything; nothing this run started may still be alive.
if e2e_teardown; then
	echo "PASS nothing-left-running"
	passed=$((passed + 1))
else
	echo "FAIL nothing-left-running (still alive, killed: $E2E_LEFTOVERS)"
	failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
