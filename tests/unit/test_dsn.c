/*
 * test_dsn - RFC 3464 / RFC 6533 report reading (common/dsn.c) on real
 * Postfix 3.7 DSNs, real bounces from Sisimai's set-of-emails, and
 * hand-made reports for the layouts MTAs get wrong.
 */
#include "testutil.h"

#include <string.h>

#include "dsn.h"
#include "mail.h"

static const char approved_diag[] =
    "550-5.7.1 <approved-only@remote.example>: Recipient address rejected: 550-5.7.1 this "
    "mailbox only accepts mail from senders on its approved 550 5.7.1 list. Ask the "
    "recipient to add you to their safe senders list";

static int report_from(const char *data, size_t len, struct dsn_report *rep)
{
	struct mail *m = NULL;
	char err[256];
	int n;

	assert_int_equal(mail_parse(data, len, NULL, &m, err, sizeof(err)), 0);
	n = dsn_parse(m, rep);
	mail_free(m); /* the report owns copies */
	return n;
}

static int report_of(const char *fixture, struct dsn_report *rep)
{
	size_t len;
	char *buf = fixture_read(fixture, &len);
	int n = report_from(buf, len, rep);

	free(buf);
	return n;
}

/* NULL-safe string comparison for report fields. */
static void assert_same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_same_report(const struct dsn_report *a, const struct dsn_report *b)
{
	assert_same_str(a->reporting_mta, b->reporting_mta);
	assert_same_str(a->arrival_date, b->arrival_date);
	assert_same_str(a->envelope_id, b->envelope_id);
	assert_same_str(a->queue_id, b->queue_id);
	assert_same_str(a->sender, b->sender);
	assert_same_str(a->orig_message_id, b->orig_message_id);
	assert_same_str(a->orig_from, b->orig_from);
	assert_same_str(a->orig_subject, b->orig_subject);
	assert_int_equal(a->nrcpts, b->nrcpts);
	for (size_t i = 0; i < a->nrcpts; i++) {
		const struct dsn_rcpt *x = &a->rcpts[i], *y = &b->rcpts[i];

		assert_same_str(x->final_recipient, y->final_recipient);
		assert_same_str(x->original_recipient, y->original_recipient);
		assert_same_str(x->action, y->action);
		assert_same_str(x->status, y->status);
		assert_same_str(x->remote_mta, y->remote_mta);
		assert_same_str(x->diagnostic_type, y->diagnostic_type);
		assert_same_str(x->diagnostic, y->diagnostic);
		assert_same_str(x->last_attempt, y->last_attempt);
	}
}

static void test_postfix_failed_dsn_gives_per_message_and_recipient_fields(void **state)
{
	(void)state;
	struct dsn_report rep;
	const struct dsn_rcpt *r;

	assert_int_equal(report_of("dsn/postfix-failed-5.7.1.eml", &rep), 1);
	assert_string_equal(rep.reporting_mta, "mta.bouncetag.test");
	assert_string_equal(rep.envelope_id, "bt-fixture-0001");
	assert_string_equal(rep.queue_id, "93610A7201B");
	assert_string_equal(rep.sender, "alice@capture.test");
	assert_string_equal(rep.arrival_date, "Mon, 23 Nov 2026 01:54:45 +0000 (UTC)");
	r = &rep.rcpts[0];
	assert_string_equal(r->final_recipient, "approved-only@remote.example");
	assert_string_equal(r->original_recipient, "approved-only@remote.example");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.7.1");
	assert_string_equal(r->remote_mta, "127.0.0.1");
	assert_string_equal(r->diagnostic_type, "smtp");
	assert_null(r->last_attempt);
	dsn_free(&rep);
	assert_null(rep.rcpts);
}

static void test_folded_diagnostic_code_is_unfolded(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/postfix-failed-5.7.1.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].diagnostic, approved_diag);
	dsn_free(&rep);
}

static void test_lf_crlf_and_cr_line_ends_give_identical_reports(void **state)
{
	(void)state;
	static const char *const sets[][3] = {
	    {"dsn/postfix-failed-5.7.1.eml", "dsn/postfix-failed-5.7.1.crlf.eml",
	     "dsn/postfix-failed-5.7.1.cr.eml"},
	    {"dsn/postfix-multi-rcpt.eml", "dsn/postfix-multi-rcpt.crlf.eml",
	     "dsn/postfix-multi-rcpt.cr.eml"},
	};

	for (size_t i = 0; i < 2; i++) {
		struct dsn_report lf, crlf, cr;

		assert_true(report_of(sets[i][0], &lf) > 0);
		assert_int_equal(report_of(sets[i][1], &crlf), (int)lf.nrcpts);
		assert_int_equal(report_of(sets[i][2], &cr), (int)lf.nrcpts);
		assert_same_report(&lf, &crlf);
		assert_same_report(&lf, &cr);
		dsn_free(&lf);
		dsn_free(&crlf);
		dsn_free(&cr);
	}
}

static void test_multi_recipient_dsn_yields_one_result_per_recipient(void **state)
{
	(void)state;
	static const struct {
		const char *rcpt, *status, *diag;
	} want[] = {
	    {"approved-only@remote.example", "5.7.1", approved_diag},
	    {"full@remote.example", "5.2.2",
	     "552 5.2.2 <full@remote.example>: Recipient address rejected: mailbox full"},
	    {"internal@remote.example", "5.7.129",
	     "550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to "
	     "send to this recipient"},
	    {"nouser@remote.example", "5.1.1",
	     "550 5.1.1 <nouser@remote.example>: Recipient address rejected: User unknown in "
	     "virtual mailbox table"},
	};
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/postfix-multi-rcpt.eml", &rep), 4);
	assert_string_equal(rep.queue_id, "C3711A7201F");
	assert_null(rep.envelope_id);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(rep.rcpts[i].final_recipient, want[i].rcpt);
		assert_string_equal(rep.rcpts[i].original_recipient, want[i].rcpt);
		assert_string_equal(rep.rcpts[i].action, "failed");
		assert_string_equal(rep.rcpts[i].status, want[i].status);
		assert_string_equal(rep.rcpts[i].diagnostic, want[i].diag);
	}
	assert_string_equal(rep.orig_subject, "Invitation: partner day");
	dsn_free(&rep);
}

static void test_delay_dsn_has_action_delayed(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/postfix-delayed.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "grey@remote.example");
	assert_string_equal(rep.rcpts[0].action, "delayed");
	assert_string_equal(rep.rcpts[0].status, "4.7.1");
	assert_string_equal(rep.rcpts[0].diagnostic,
	                    "450 4.7.1 <grey@remote.example>: Recipient address rejected: "
	                    "Greylisted, see http://postgrey.example/help/remote.example.html");
	dsn_free(&rep);
}

static void test_returned_message_rfc822_gives_message_id_from_and_subject(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/postfix-failed-5.7.1.eml", &rep), 1);
	assert_string_equal(rep.orig_message_id, "<fixture-1.20261123@capture.test>");
	assert_string_equal(rep.orig_from, "Alice Example <alice@capture.test>");
	assert_string_equal(rep.orig_subject, "Quarterly catalogue");
	dsn_free(&rep);
}

static void test_returned_text_rfc822_headers_give_message_id_from_and_subject(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/postfix-failed-ret-hdrs.eml", &rep), 1);
	assert_string_equal(rep.envelope_id, "bt-fixture-0004");
	assert_string_equal(rep.orig_message_id, "<fixture-4.20261123@capture.test>");
	assert_string_equal(rep.orig_from, "Alice Example <alice@capture.test>");
	assert_string_equal(rep.orig_subject, "Delivery receipt requested");
	assert_string_equal(rep.rcpts[0].final_recipient, "nouser@remote.example");
	dsn_free(&rep);

	assert_int_equal(report_of("dsn/postfix-delayed.eml", &rep), 1);
	assert_string_equal(rep.orig_message_id, "<fixture-3.20261123@capture.test>");
	assert_string_equal(rep.orig_subject, "Meeting notes");
	dsn_free(&rep);
}

static void test_postmaster_copy_carries_the_same_report_as_the_sender_bounce(void **state)
{
	(void)state;
	struct dsn_report sender, pm;

	assert_int_equal(report_of("dsn/postfix-failed-5.7.1.eml", &sender), 1);
	assert_int_equal(report_of("dsn/postfix-postmaster-copy.eml", &pm), 1);
	/* headers-only returned message there, full message here: same values */
	assert_same_report(&sender, &pm);
	dsn_free(&sender);
	dsn_free(&pm);
}

static void test_base64_encoded_report_part_reads_like_the_plain_one(void **state)
{
	(void)state;
	struct dsn_report plain, b64;

	assert_int_equal(report_of("dsn/postfix-failed-5.7.1.eml", &plain), 1);
	assert_int_equal(report_of("dsn/postfix-base64-report.eml", &b64), 1);
	assert_same_report(&plain, &b64);
	dsn_free(&plain);
	dsn_free(&b64);
}

static void test_blocks_run_together_are_split_into_recipients(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/merged-blocks.eml", &rep), 3);
	assert_string_equal(rep.reporting_mta, "gw.example.net");
	assert_string_equal(rep.arrival_date, "Mon, 23 Nov 2026 02:09:58 +0000");
	/* prefixes and brackets go, case stays: normalising is addr.h's job */
	assert_string_equal(rep.rcpts[0].final_recipient, "Bob@Partner.example");
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].remote_mta, "mx1.partner.example");
	assert_string_equal(rep.rcpts[0].diagnostic_type, "smtp");
	assert_string_equal(rep.rcpts[0].diagnostic, "550 5.7.1 Sender not on the approved "
	                                             "senders list");
	assert_string_equal(rep.rcpts[1].final_recipient, "carol@partner.example");
	assert_string_equal(rep.rcpts[1].status, "5.1.1");
	assert_null(rep.rcpts[1].remote_mta);
	assert_string_equal(rep.rcpts[2].final_recipient, "dave@partner.example");
	assert_string_equal(rep.rcpts[2].action, "delayed");
	assert_string_equal(rep.rcpts[2].diagnostic_type, "x-unix");
	assert_string_equal(rep.rcpts[2].diagnostic, "connection timed out");
	assert_string_equal(rep.orig_message_id, "<merged-original@capture.test>");
	dsn_free(&rep);
}

static void test_report_without_per_message_block_still_gives_its_recipient(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/no-per-message-block.eml", &rep), 1);
	assert_null(rep.reporting_mta);
	assert_string_equal(rep.rcpts[0].original_recipient, "erin@relay.example.org");
	assert_string_equal(rep.rcpts[0].final_recipient, "erin@relay.example.org");
	assert_string_equal(rep.rcpts[0].diagnostic, "552 5.2.2 Mailbox full");
	assert_string_equal(rep.rcpts[0].last_attempt, "Mon, 23 Nov 2026 02:10:59 +0000");
	assert_string_equal(rep.orig_subject, "Status update");
	dsn_free(&rep);
}

static void test_global_delivery_status_with_utf8_is_read(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("dsn/global-dsn-utf8.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient,
	                    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example");
	assert_string_equal(rep.rcpts[0].remote_mta, "mx.\xe4\xbe\x8b\xe5\xad\x90.example");
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "550 5.1.1 mailbox unavailable"));
	assert_string_equal(rep.orig_subject, "\xe4\xbd\xa0\xe5\xa5\xbd");
	assert_string_equal(rep.orig_message_id, "<global-1@capture.test>");
	dsn_free(&rep);
}

static void test_message_without_report_part_gives_zero(void **state)
{
	(void)state;
	static const char *const names[] = {"dsn/not-a-bounce.eml", "sisimai/lhost-qmail-01.eml",
	                                    "sisimai/lhost-exim-01.crlf.eml"};

	for (size_t i = 0; i < 3; i++) {
		struct dsn_report rep;

		assert_int_equal(report_of(names[i], &rep), 0);
		assert_int_equal(rep.nrcpts, 0);
		assert_null(rep.rcpts);
		assert_null(rep.reporting_mta);
	}
}

static void test_report_part_without_recipient_gives_zero(void **state)
{
	(void)state;
	static const char msg[] = "Content-Type: multipart/report; boundary=r\n\n--r\n"
	                          "Content-Type: message/delivery-status\n\n"
	                          "Reporting-MTA: dns; a.example\n\nAction: failed\nStatus: 5.0.0\n"
	                          "--r--\n";
	struct dsn_report rep;

	assert_int_equal(report_from(msg, sizeof(msg) - 1, &rep), 0);
	assert_null(rep.reporting_mta); /* nothing to free */
}

static void test_empty_recipient_field_names_no_one(void **state)
{
	(void)state;
	static const char msg[] = "Content-Type: message/delivery-status\n\n"
	                          "Final-Recipient: rfc822;\nOriginal-Recipient: rfc822; <>\n"
	                          "Action: failed\n\n"
	                          "Final-Recipient: rfc822; <real@y.example>\nAction: failed\n";
	struct dsn_report rep;

	assert_int_equal(report_from(msg, sizeof(msg) - 1, &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "real@y.example");
	dsn_free(&rep);
}

static void test_status_comment_and_missing_diagnostic_type_are_handled(void **state)
{
	(void)state;
	static const char msg[] = "Content-Type: message/delivery-status\n\n"
	                          "Final-Recipient: <x@y.example>\n"
	                          "Action: FAILED\n"
	                          "Status: 5.0.0 (permanent failure)\n"
	                          "Diagnostic-Code: 550   no\ttype here\n";
	struct dsn_report rep;

	assert_int_equal(report_from(msg, sizeof(msg) - 1, &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "x@y.example");
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].status, "5.0.0");
	assert_null(rep.rcpts[0].diagnostic_type);
	assert_string_equal(rep.rcpts[0].diagnostic, "550 no type here");
	assert_null(rep.orig_subject);
	dsn_free(&rep);
}

/* Real bounces from other MTAs (Sisimai set-of-emails). */

static void test_postfix_local_delivery_failure_keeps_x_unix_type(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/lhost-postfix-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "r@p351355.pool.example.ne.jp");
	assert_string_equal(rep.rcpts[0].original_recipient, "kijitora@example.org");
	assert_string_equal(rep.rcpts[0].diagnostic_type, "x-unix");
	assert_string_equal(rep.rcpts[0].diagnostic,
	                    "procmail: Couldn't create \"/var/spool/mail/neko\" id: "
	                    "r.example.org: No such user");
	assert_null(rep.orig_subject); /* the returned message part is empty */
	dsn_free(&rep);
}

static void test_gmail_rejection_relayed_by_postfix_is_one_recipient(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/rhost-google-03.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@google.example.com");
	assert_string_equal(rep.rcpts[0].original_recipient, "neko@example.co.jp");
	assert_string_equal(rep.rcpts[0].status, "5.7.26");
	assert_string_equal(rep.rcpts[0].remote_mta, "gmail-smtp-in.l.google.com");
	assert_string_equal(rep.queue_id, "Lms5yfCw0Vz5CRp3");
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "hard fail policy (-all) but it fails"));
	dsn_free(&rep);
}

static void test_action_before_recipient_fields_is_one_recipient(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/lhost-receivingses-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "userunknown@neko.example.jp");
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].status, "5.1.1");
	dsn_free(&rep);
}

static void test_sendmail_two_recipient_report_gives_two_results(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/lhost-sendmail-02.eml", &rep), 2);
	assert_string_equal(rep.rcpts[0].final_recipient, "userunknown@example.org");
	assert_string_equal(rep.rcpts[0].remote_mta, "mx.example.org");
	assert_string_equal(rep.rcpts[0].last_attempt, "Wed, 26 Feb 2014 06:05:48 -0500");
	assert_string_equal(rep.rcpts[1].final_recipient, "filtered@example.com");
	assert_string_equal(rep.rcpts[1].status, "5.2.1");
	dsn_free(&rep);
}

static void test_original_recipient_alone_names_a_recipient(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/lhost-mcafee-01.eml", &rep), 1);
	assert_null(rep.rcpts[0].final_recipient);
	assert_string_equal(rep.rcpts[0].original_recipient, "kijitora@example.co.jp");
	assert_string_equal(rep.rcpts[0].remote_mta, "192.0.2.192");
	dsn_free(&rep);
}

static void test_microsoft_banned_ip_report_with_headers_returned(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(report_of("sisimai/rhost-microsoft-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].status, "5.7.606");
	assert_string_equal(rep.rcpts[0].remote_mta, "example.com.mail.protection.outlook.com");
	assert_string_equal(rep.orig_subject, "Nyaan");
	assert_string_equal(rep.orig_from, "Shironeko <shironeko@example.org>");
	assert_string_equal(rep.orig_message_id,
	                    "<00000000000000000000000000000000000000000000000@example.net>");
	dsn_free(&rep);
}

static void test_dsn_parse_of_no_message_gives_zero(void **state)
{
	(void)state;
	struct dsn_report rep;

	assert_int_equal(dsn_parse(NULL, &rep), 0);
	assert_int_equal(rep.nrcpts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_postfix_failed_dsn_gives_per_message_and_recipient_fields),
	    cmocka_unit_test(test_folded_diagnostic_code_is_unfolded),
	    cmocka_unit_test(test_lf_crlf_and_cr_line_ends_give_identical_reports),
	    cmocka_unit_test(test_multi_recipient_dsn_yields_one_result_per_recipient),
	    cmocka_unit_test(test_delay_dsn_has_action_delayed),
	    cmocka_unit_test(test_returned_message_rfc822_gives_message_id_from_and_subject),
	    cmocka_unit_test(test_returned_text_rfc822_headers_give_message_id_from_and_subject),
	    cmocka_unit_test(test_postmaster_copy_carries_the_same_report_as_the_sender_bounce),
	    cmocka_unit_test(test_base64_encoded_report_part_reads_like_the_plain_one),
	    cmocka_unit_test(test_blocks_run_together_are_split_into_recipients),
	    cmocka_unit_test(test_report_without_per_message_block_still_gives_its_recipient),
	    cmocka_unit_test(test_global_delivery_status_with_utf8_is_read),
	    cmocka_unit_test(test_message_without_report_part_gives_zero),
	    cmocka_unit_test(test_report_part_without_recipient_gives_zero),
	    cmocka_unit_test(test_empty_recipient_field_names_no_one),
	    cmocka_unit_test(test_status_comment_and_missing_diagnostic_type_are_handled),
	    cmocka_unit_test(test_postfix_local_delivery_failure_keeps_x_unix_type),
	    cmocka_unit_test(test_gmail_rejection_relayed_by_postfix_is_one_recipient),
	    cmocka_unit_test(test_action_before_recipient_fields_is_one_recipient),
	    cmocka_unit_test(test_sendmail_two_recipient_report_gives_two_results),
	    cmocka_unit_test(test_original_recipient_alone_names_a_recipient),
	    cmocka_unit_test(test_microsoft_banned_ip_report_with_headers_returned),
	    cmocka_unit_test(test_dsn_parse_of_no_message_gives_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
