/*
 * test_scan - failed recipients and replies read from the text of real
 * bounces that have no delivery-status part (Sisimai's set-of-emails),
 * and notice_kind() telling bounces from auto-replies and ARF reports.
 */
#include <string.h>

#include "mail.h"
#include "notice.h"
#include "scan.h"
#include "testutil.h"

static struct mail *load(const char *fixture)
{
	size_t len;
	char *buf = fixture_read(fixture, &len);
	char err[256];
	struct mail *m;

	if (mail_parse(buf, len, NULL, &m, err, sizeof(err)) < 0)
		fail_msg("%s: %s", fixture, err);
	free(buf);
	return m;
}

/* scan_parse() on a fixture that must be a bounce; returns the count. */
static int scan(const char *fixture, struct dsn_report *rep)
{
	struct mail *m = load(fixture);
	int n;

	assert_int_equal(notice_kind(m), NOTICE_BOUNCE);
	n = scan_parse(m, rep);
	mail_free(m);
	return n;
}

static void test_qmail_recipient_comes_with_the_remote_reply_and_its_hash_status(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-qmail-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@example.ne.jp");
	assert_string_equal(rep.rcpts[0].action, "failed");
	/* qmail writes the status as "(#5.5.0)" after the reply */
	assert_string_equal(rep.rcpts[0].status, "5.5.0");
	assert_true(strncmp(rep.rcpts[0].diagnostic, "550 Unknown user", 16) == 0);
	/* the returned message, quoted in the text, gives the original identity */
	assert_non_null(rep.orig_message_id);
	dsn_free(&rep);
}

static void test_exim_sender_after_mail_from_is_not_taken_for_a_recipient(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-exim-01.crlf.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@example.ed.jp");
	assert_string_equal(
	    rep.rcpts[0].diagnostic,
	    "550 5.7.0 <shironeko@example.jp>... Please use the smtp server of your "
	    "ISP.");
	assert_string_equal(rep.rcpts[0].status, "5.7.0");
	dsn_free(&rep);
}

static void test_sendmail_v5_transcript_gives_the_reply_for_the_recipient(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-v5sendmail-03.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@example.org");
	assert_true(strncmp(rep.rcpts[0].diagnostic, "550 <kijitora@example.org>", 26) == 0);
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "User unknown"));
	dsn_free(&rep);
}

static void test_exchange_2003_lists_recipients_after_the_quoted_headers(void **state)
{
	struct dsn_report rep;

	(void)state;
	/* "Your message To: shironeko@..." quotes the original headers first */
	assert_int_equal(scan("sisimai/lhost-exchange2003-02.eml", &rep), 2);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@example.co.jp");
	assert_string_equal(rep.rcpts[1].final_recipient, "mikeneko@example.co.jp");
	assert_non_null(strstr(rep.rcpts[1].diagnostic, "The recipient name is not recognized"));
	dsn_free(&rep);
}

static void test_japanese_carrier_mailbox_full_is_read_from_its_english_lines(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-kddi-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@x0000000000000.dion.ne.jp");
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "As their mailbox is full."));
	dsn_free(&rep);
}

static void test_an_inline_report_in_the_text_is_read_like_a_delivery_status_part(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-amazonworkmail-01.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "kijitora@example.jp");
	assert_string_equal(rep.rcpts[0].status, "5.1.1");
	assert_string_equal(rep.rcpts[0].diagnostic,
	                    "550 5.1.1 <kijitora@example.jp>... User Unknown");
	dsn_free(&rep);
}

static void test_an_ses_json_notification_gives_each_bounced_recipient(void **state)
{
	struct dsn_report rep;

	(void)state;
	assert_int_equal(scan("sisimai/lhost-amazonses-09.eml", &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "bounce@simulator.amazonses.com");
	assert_string_equal(rep.rcpts[0].action, "failed");
	assert_string_equal(rep.rcpts[0].status, "5.1.1");
	assert_string_equal(rep.rcpts[0].diagnostic, "smtp; 550 5.1.1 user unknown");
	dsn_free(&rep);
}

static void test_an_out_of_office_reply_is_an_auto_reply_and_not_scanned(void **state)
{
	struct mail *m = load("sisimai/rfc3834-02.eml");

	(void)state;
	assert_int_equal(notice_kind(m), NOTICE_AUTOREPLY);
	mail_free(m);
}

static void test_an_arf_report_is_feedback_not_a_bounce(void **state)
{
	struct mail *m = load("sisimai/arf-01.eml");

	(void)state;
	assert_int_equal(notice_kind(m), NOTICE_FEEDBACK);
	assert_string_equal(notice_name(NOTICE_FEEDBACK), "feedback-report");
	mail_free(m);
}

static void test_an_exim_bounce_marked_auto_submitted_is_still_a_bounce(void **state)
{
	struct mail *m = load("sisimai/lhost-exim-01.crlf.eml");

	(void)state;
	assert_non_null(mail_part_header(m->root, "Auto-Submitted"));
	assert_int_equal(notice_kind(m), NOTICE_BOUNCE);
	mail_free(m);
}

static void test_a_plain_message_is_no_notice(void **state)
{
	struct mail *m = load("dsn/not-a-bounce.eml");

	(void)state;
	assert_int_equal(notice_kind(m), NOTICE_OTHER);
	mail_free(m);
}

static void test_a_delivery_status_block_without_diagnostic_is_filled_from_the_text(void **state)
{
	struct mail *m = load("sisimai/lhost-exim-44.eml");
	struct dsn_report rep;

	(void)state;
	/* the report names a pipe; X-Failed-Recipients names the address */
	assert_int_equal(dsn_parse(m, &rep), 1);
	assert_null(rep.rcpts[0].diagnostic);
	assert_int_equal(scan_fill(m, &rep), 0);
	assert_string_equal(rep.rcpts[0].original_recipient, "kijitora@example.com");
	assert_non_null(rep.rcpts[0].diagnostic);
	assert_non_null(strstr(rep.rcpts[0].diagnostic, "pipe to |"));
	dsn_free(&rep);
	mail_free(m);
}

/* Fuzz finding: an SES status with a line end before it is still one word. */
static void test_ses_status_is_its_first_word_whatever_white_space_surrounds_it(void **state)
{
	static const char msg[] =
	    "From: MAILER-DAEMON@email-bounces.amazonses.com\n"
	    "Subject: AWS Notification Message\n\n"
	    "{\"notificationType\":\"Bounce\",\"bounce\":{\"bouncedRecipients\":"
	    "[{\"emailAddress\":\"a@b.example\",\"status\":\"\n\t5.1.1 (x)\","
	    "\"action\":\"failed\"}]}}\n";
	struct dsn_report rep;
	struct mail *m;
	char err[256];

	(void)state;
	assert_int_equal(mail_parse(msg, sizeof(msg) - 1, NULL, &m, err, sizeof(err)), 0);
	assert_int_equal(scan_parse(m, &rep), 1);
	assert_string_equal(rep.rcpts[0].final_recipient, "a@b.example");
	assert_string_equal(rep.rcpts[0].status, "5.1.1");
	dsn_free(&rep);
	mail_free(m);
}

/*
 * An address ends in a label of 2 to 63 letters after a dot of its domain;
 * dots and hyphens trailing it are punctuation. Each recipient here keeps
 * its own line's reply, in text order.
 */
static void test_an_address_needs_a_last_label_of_letters(void **state)
{
	static const char msg[] = "From: MAILER-DAEMON@mx.example.org\n"
	                          "Subject: Undelivered Mail\n\n"
	                          "a@nodot: 550 one\n"
	                          "b@host.c: 550 two\n"
	                          "c@host.c0m: 550 three\n"
	                          "d@10.0.0.1: 550 four\n"
	                          "e@mx.example.jp.: 550 five\n"
	                          "f@.example.org-: 550 six\n"
	                          "g@example.museum: 550 seven\n";
	static const char *const want[][2] = {
	    {"e@mx.example.jp", "550 five"},
	    {"f@.example.org", "550 six"},
	    {"g@example.museum", "550 seven"},
	};
	struct dsn_report rep;
	struct mail *m;
	char err[256];

	(void)state;
	assert_int_equal(mail_parse(msg, sizeof(msg) - 1, NULL, &m, err, sizeof(err)), 0);
	assert_int_equal(scan_parse(m, &rep), 3);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(rep.rcpts[i].final_recipient, want[i][0]);
		assert_string_equal(rep.rcpts[i].diagnostic, want[i][1]);
	}
	dsn_free(&rep);
	mail_free(m);
}

/* A hostile bounce naming thousands of addresses keeps at most the limit. */
static void test_recipients_are_bounded_on_hostile_input(void **state)
{
	const char *head = "From: MAILER-DAEMON@mx.example.org\nSubject: Undelivered Mail\n\n";
	size_t cap = 400000, n = strlen(head);
	char *buf = malloc(cap), err[256];
	struct mail *m;
	struct dsn_report rep;
	int got;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, head, n);
	for (int i = 0; n + 64 < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "user%d@example.com: 550 no\n", i);
	assert_int_equal(mail_parse(buf, n, NULL, &m, err, sizeof(err)), 0);
	got = scan_parse(m, &rep);
	assert_true(got > 0 && got <= SCAN_RCPTS_MAX);
	for (int i = 0; i < got; i++)
		assert_true(strlen(rep.rcpts[i].diagnostic) < SCAN_DIAG_MAX);
	dsn_free(&rep);
	mail_free(m);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qmail_recipient_comes_with_the_remote_reply_and_its_hash_status),
	    cmocka_unit_test(test_exim_sender_after_mail_from_is_not_taken_for_a_recipient),
	    cmocka_unit_test(test_sendmail_v5_transcript_gives_the_reply_for_the_recipient),
	    cmocka_unit_test(test_exchange_2003_lists_recipients_after_the_quoted_headers),
	    cmocka_unit_test(test_japanese_carrier_mailbox_full_is_read_from_its_english_lines),
	    cmocka_unit_test(test_an_inline_report_in_the_text_is_read_like_a_delivery_status_part),
	    cmocka_unit_test(test_an_ses_json_notification_gives_each_bounced_recipient),
	    cmocka_unit_test(test_ses_status_is_its_first_word_whatever_white_space_surrounds_it),
	    cmocka_unit_test(test_an_out_of_office_reply_is_an_auto_reply_and_not_scanned),
	    cmocka_unit_test(test_an_arf_report_is_feedback_not_a_bounce),
	    cmocka_unit_test(test_an_exim_bounce_marked_auto_submitted_is_still_a_bounce),
	    cmocka_unit_test(test_a_plain_message_is_no_notice),
	    cmocka_unit_test(
	        test_a_delivery_status_block_without_diagnostic_is_filled_from_the_text),
	    cmocka_unit_test(test_an_address_needs_a_last_label_of_letters),
	    cmocka_unit_test(test_recipients_are_bounded_on_hostile_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
