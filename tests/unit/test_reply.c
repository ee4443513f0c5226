/*
 * test_reply - the SMTP reply parser (common/reply.c) on replies as real
 * receivers word them: Gmail, Microsoft 365 / Outlook.com, Yahoo, Apple,
 * Postfix, Exim, Sendmail, qmail, and the quirks of how they reach us
 * (Diagnostic-Code type prefixes, joined continuation lines, log texts).
 */
#include "testutil.h"

#include <string.h>

#include "reply.h"

struct reply_case {
	const char *in;
	int code;
	const char *status;
	const char *text;
};

static const struct reply_case cases[] = {
    /* The interface's own example. */
    {"550-5.7.1 first line 550 5.7.1 second line", 550, "5.7.1", "first line second line"},
    /* Gmail, continuation lines on separate lines (as read from a socket). */
    {"550-5.1.1 The email account that you tried to reach does not exist. Please try\r\n"
     "550-5.1.1 double-checking the recipient's email address for typos or\r\n"
     "550-5.1.1 unnecessary spaces. Learn more at\r\n"
     "550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si1234567qkb.100 - gsmtp",
     550, "5.1.1",
     "The email account that you tried to reach does not exist. Please try double-checking "
     "the recipient's email address for typos or unnecessary spaces. Learn more at "
     "https://support.google.com/mail/?p=NoSuchUser a1si1234567qkb.100 - gsmtp"},
    /* Gmail, joined by Postfix into one Diagnostic-Code. */
    {"smtp; 550-5.7.1 [203.0.113.5] Our system has detected that this message is "
     "550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, "
     "550-5.7.1 this message has been blocked. Please visit 550-5.7.1 "
     "https://support.google.com/mail/?p=UnsolicitedMessageError 550 5.7.1 for more "
     "information. d2si5678pfb.300 - gsmtp",
     550, "5.7.1",
     "[203.0.113.5] Our system has detected that this message is likely unsolicited mail. "
     "To reduce the amount of spam sent to Gmail, this message has been blocked. Please "
     "visit https://support.google.com/mail/?p=UnsolicitedMessageError for more "
     "information. d2si5678pfb.300 - gsmtp"},
    {"421-4.7.0 [203.0.113.5 15] Our system has detected an unusual rate of\n"
     "421-4.7.0 unsolicited mail originating from your IP address. To protect our\n"
     "421 4.7.0 users from spam, mail sent from your IP address has been temporarily "
     "rate limited. - gsmtp",
     421, "4.7.0",
     "[203.0.113.5 15] Our system has detected an unusual rate of unsolicited mail "
     "originating from your IP address. To protect our users from spam, mail sent from your "
     "IP address has been temporarily rate limited. - gsmtp"},
    {"550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM.",
     550, "5.7.26",
     "This mail has been blocked because the sender is unauthenticated. Gmail requires all "
     "senders to authenticate with either SPF or DKIM."},
    {"452-4.2.2 The email account that you tried to reach is over quota. Please direct\n"
     "452-4.2.2 the recipient to\n452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp "
     "x12si4711qkb.5 - gsmtp",
     452, "4.2.2",
     "The email account that you tried to reach is over quota. Please direct the recipient "
     "to https://support.google.com/mail/?p=OverQuotaTemp x12si4711qkb.5 - gsmtp"},
    /* Microsoft 365 / Exchange Online / Outlook.com */
    {"550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to send to "
     "recipient because the sender isn't on the recipient's list of senders to accept mail "
     "from",
     550, "5.7.129",
     "RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to send to recipient "
     "because the sender isn't on the recipient's list of senders to accept mail from"},
    {"550 5.7.606 Access denied, banned sending IP [198.51.100.222]. To request removal from "
     "this list please visit https://sender.office.com/ and follow the directions.",
     550, "5.7.606",
     "Access denied, banned sending IP [198.51.100.222]. To request removal from this list "
     "please visit https://sender.office.com/ and follow the directions."},
    {"451 4.7.650 The mail server [203.0.113.9] has been temporarily rate limited due to IP "
     "reputation.",
     451, "4.7.650",
     "The mail server [203.0.113.9] has been temporarily rate limited due to IP reputation."},
    {"SMTP; 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address "
     "lookup",
     550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"},
    {"550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]",
     550, "5.4.1",
     "Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM12FT012.eop-nam12.prod.protection.outlook.com]"},
    {"550 SC-001 (BAY004-MC1F12) Unfortunately, messages from 203.0.113.5 weren't sent.", 550, "",
     "SC-001 (BAY004-MC1F12) Unfortunately, messages from 203.0.113.5 weren't sent."},
    /* Yahoo */
    {"554 5.7.9 Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes",
     554, "5.7.9",
     "Message not accepted for policy reasons. See https://postmaster.yahooinc.com/error-codes"},
    {"421 4.7.0 [TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected "
     "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     421, "4.7.0",
     "[TSS04] Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user "
     "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"},
    {"552 1 Requested mail action aborted, mailbox not found", 552, "",
     "1 Requested mail action aborted, mailbox not found"},
    /* Apple iCloud */
    {"554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137",
     554, "5.7.1",
     "[CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137"},
    /* Postfix: remote replies as Postfix reports them, and its own texts */
    {"host mx.example.com[192.0.2.1] said: 550 5.1.1 <nobody@example.com>: Recipient address "
     "rejected: User unknown in local recipient table (in reply to RCPT TO command)",
     550, "5.1.1",
     "<nobody@example.com>: Recipient address rejected: User unknown in local recipient table "
     "(in reply to RCPT TO command)"},
    {"host mx.example.com[2001:db8::25] said: 450 4.7.1 <a@b.example>: Recipient address "
     "rejected: Greylisted (in reply to RCPT TO command)",
     450, "4.7.1",
     "<a@b.example>: Recipient address rejected: Greylisted (in reply to RCPT TO command)"},
    {"host mx.example.com[192.0.2.1] refused to talk to me: 554 5.7.1 Service unavailable; "
     "Client host [203.0.113.5] blocked using zen.spamhaus.org",
     554, "5.7.1", "Service unavailable; Client host [203.0.113.5] blocked using zen.spamhaus.org"},
    {"5.1.1 user unknown", 0, "5.1.1", "user unknown"},
    {"X-Postfix; unknown user: \"nobody\"", 0, "", "unknown user: \"nobody\""},
    /* Exim */
    {"SMTP error from remote mail server after RCPT TO:<bob@example.org>:\n"
     "    host mx.example.org [192.0.2.2]: 550 5.1.1 <bob@example.org>: Recipient address "
     "rejected: User unknown in virtual mailbox table",
     550, "5.1.1",
     "<bob@example.org>: Recipient address rejected: User unknown in virtual mailbox table"},
    {"550-Verification failed for <alice@example.com>\n550-Unrouteable address\n"
     "550 Sender verify failed",
     550, "",
     "Verification failed for <alice@example.com> Unrouteable address Sender verify failed"},
    {"550 Administrative prohibition", 550, "", "Administrative prohibition"},
    {"retry timeout exceeded", 0, "", "retry timeout exceeded"},
    /* Sendmail */
    {"SMTP; 550 5.1.1 <bob@example.net>... User unknown", 550, "5.1.1",
     "<bob@example.net>... User unknown"},
    {"smtp;554 5.7.1 <bob@example.net>... Relaying denied. IP name lookup failed "
     "[203.0.113.5]",
     554, "5.7.1", "<bob@example.net>... Relaying denied. IP name lookup failed [203.0.113.5]"},
    /* qmail */
    {"Sorry, no mailbox here by that name. (#5.1.1)", 0, "",
     "Sorry, no mailbox here by that name. (#5.1.1)"},
    {"Connected to 192.0.2.3 but sender was rejected.\nRemote host said: 553 sorry, your "
     "envelope sender domain must exist (#5.7.1)",
     553, "", "sorry, your envelope sender domain must exist (#5.7.1)"},
    {"550 sorry, no mailbox here by that name (#5.1.1 - chkuser)", 550, "",
     "sorry, no mailbox here by that name (#5.1.1 - chkuser)"},
    /* Google Workspace, Exchange 5.5: '#' decorates the leading status. */
    {"550 #5.1.0 Address rejected.", 550, "5.1.0", "Address rejected."},
    {"550 #5.7.1 Your access to submit messages to this e-mail system has been rejected.", 550,
     "5.7.1", "Your access to submit messages to this e-mail system has been rejected."},
    /* a '#' with no status after it goes, and so does the space it leaves */
    {"550 # Blocked by policy", 550, "", "Blocked by policy"},
    {"550 # Blocked by policy 550", 550, "", "Blocked by policy 550"},
    {"550 # 550-Blocked", 550, "", "Blocked"},
    /* Others and edge cases */
    {"550 sorry, no mailbox here", 550, "", "sorry, no mailbox here"},
    {"550 5.7.1 Daily limit of 550 messages exceeded", 550, "5.7.1",
     "Daily limit of 550 messages exceeded"},
    {"550 Unknown user; call 550-1234 for help", 550, "", "Unknown user; call 550-1234 for help"},
    {"554 5.7.1 Service unavailable; Client host [192.0.2.99] blocked using "
     "b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.99",
     554, "5.7.1",
     "Service unavailable; Client host [192.0.2.99] blocked using b.barracudacentral.org; "
     "http://www.barracudanetworks.com/reputation/?pr=1&ip=192.0.2.99"},
    {"550 Rejected by header based Blocked Senders - "
     "https://community.mimecast.com/docs/DOC-1369#550 [abc123.uk1]",
     550, "",
     "Rejected by header based Blocked Senders - https://community.mimecast.com/docs/"
     "DOC-1369#550 [abc123.uk1]"},
    {"550 4.2.2 classes disagree: the code wins", 550, "", "classes disagree: the code wins"},
    {"250 2.0.0 Ok: queued as 4F2A1B0C3D", 250, "2.0.0", "Ok: queued as 4F2A1B0C3D"},
    {"550 3.1.1 not a status class", 550, "", "3.1.1 not a status class"},
    {"", 0, "", ""},
    {"   \r\n\t ", 0, "", ""},
};

static void test_real_world_replies_give_code_status_and_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reply r;

		assert_int_equal(reply_parse(cases[i].in, &r), 0);
		if (r.code != cases[i].code || strcmp(r.status, cases[i].status) != 0 ||
		    strcmp(r.text, cases[i].text) != 0)
			fail_msg("case %zu: %s\n got code %d status '%s' text '%s'", i, cases[i].in,
			         r.code, r.status, r.text);
		reply_free(&r);
	}
}

static void test_postfix_joined_reply_from_real_dsn_loses_its_repeated_prefixes(void **state)
{
	(void)state;
	struct reply r;

	/* exactly as in tests/fixtures/dsn/postfix-failed-5.7.1.eml, unfolded */
	assert_int_equal(
	    reply_parse("550-5.7.1 <approved-only@remote.example>: Recipient    address "
	                "rejected: 550-5.7.1 this mailbox only accepts mail from "
	                "senders on\n    its approved 550 5.7.1 list. Ask the "
	                "recipient to add you to their safe\n    senders list",
	                &r),
	    0);
	assert_int_equal(r.code, 550);
	assert_string_equal(r.status, "5.7.1");
	assert_string_equal(r.text,
	                    "<approved-only@remote.example>: Recipient address rejected: "
	                    "this mailbox only accepts mail from senders on its approved "
	                    "list. Ask the recipient to add you to their safe senders list");
	reply_free(&r);
}

static void test_hash_status_inside_text_is_not_the_leading_status(void **state)
{
	(void)state;
	struct reply r;

	assert_int_equal(reply_parse("mailbox unavailable (#5.2.1)", &r), 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.status, "");
	reply_free(&r);
}

static void test_null_input_is_an_empty_reply(void **state)
{
	(void)state;
	struct reply r;

	assert_int_equal(reply_parse(NULL, &r), 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "");
	reply_free(&r);
	assert_null(r.text);
}

struct find_case {
	const char *in;
	const char *status;
};

static const struct find_case finds[] = {
    {"Sorry, no mailbox here by that name. (#5.1.1)", "5.1.1"},
    {"5.2.2 - mailbox full", "5.2.2"},
    {"delivery failed: status=5.7.129 (policy)", "5.7.129"},
    {"451-4.7.650 rate limited", "4.7.650"},
    {"see section 5.1.1.", "5.1.1"},
    {"connection to 1.2.3.4 failed", ""},
    {"relay 10.5.1.1 refused", ""},
    {"Sendmail v5.1.0 said no", ""},
    {"deferred - 4.16.55.1; see postmaster", ""},
    {"code x5.1.1 and 5.1.1234 and 6.1.1 are not statuses", ""},
    {"build 2.0.0-rc1 then (#4.4.1)", "4.4.1"},
    {"", ""},
};

static void test_status_is_found_anywhere_only_at_word_boundaries(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
		char st[REPLY_STATUS_MAX];

		reply_find_status(finds[i].in, st);
		if (strcmp(st, finds[i].status) != 0)
			fail_msg("find %zu: '%s' gave '%s', want '%s'", i, finds[i].in, st,
			         finds[i].status);
	}
}

static void test_find_status_of_null_is_empty(void **state)
{
	(void)state;
	char st[REPLY_STATUS_MAX] = "junk";

	reply_find_status(NULL, st);
	assert_string_equal(st, "");
}

/*
 * A reply already squeezed (as dsn.c and scan.c hand them over) is read
 * where it stands; with any other white space it is squeezed first. Both
 * must read alike.
 */
static void test_white_space_of_any_shape_reads_as_one_space(void **state)
{
	static const char *const shapes[] = {
	    "smtp; 550-5.1.1 no such user 550 5.1.1 here",
	    " smtp; 550-5.1.1 no such user 550 5.1.1 here",
	    "smtp; 550-5.1.1 no such user 550 5.1.1 here ",
	    "smtp;  550-5.1.1 no such user 550 5.1.1 here",
	    "smtp;\t550-5.1.1 no such user\r\n550 5.1.1 here",
	    "smtp; 550-5.1.1 no\vsuch\fuser 550 5.1.1 here\n",
	};
	struct reply r;

	(void)state;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		assert_int_equal(reply_parse(shapes[i], &r), 0);
		assert_int_equal(r.code, 550);
		assert_string_equal(r.status, "5.1.1");
		assert_string_equal(r.text, "no such user here");
		reply_free(&r);
	}
	assert_int_equal(reply_parse(" ", &r), 0);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.text, "");
	reply_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_world_replies_give_code_status_and_text),
	    cmocka_unit_test(test_postfix_joined_reply_from_real_dsn_loses_its_repeated_prefixes),
	    cmocka_unit_test(test_hash_status_inside_text_is_not_the_leading_status),
	    cmocka_unit_test(test_null_input_is_an_empty_reply),
	    cmocka_unit_test(test_status_is_found_anywhere_only_at_word_boundaries),
	    cmocka_unit_test(test_find_status_of_null_is_empty),
	    cmocka_unit_test(test_white_space_of_any_shape_reads_as_one_space),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
