/*
 * test_notice - notice_kind() on small made-up messages: where the words
 * that make a bounce or an auto-reply may stand, in which case, and how
 * far into the body they are looked for.
 */
#include <string.h>

#include "mail.h"
#include "notice.h"
#include "testutil.h"

static enum notice_kind kind_of(const char *msg)
{
	struct mail *m;
	char err[256];
	enum notice_kind k;

	if (mail_parse(msg, strlen(msg), NULL, &m, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	k = notice_kind(m);
	mail_free(m);
	return k;
}

static void test_bounce_sender_is_found_in_any_case_anywhere_in_from(void **state)
{
	(void)state;
	assert_int_equal(kind_of("From: \"The MAILER-Daemon\" <x@example.org>\n\nhello\n"),
	                 NOTICE_BOUNCE);
	assert_int_equal(kind_of("From: NDR@example.org\n\nhello\n"), NOTICE_BOUNCE);
	assert_int_equal(kind_of("From: <>\n\nhello\n"), NOTICE_BOUNCE);
	assert_int_equal(kind_of("From: mailer@example.org\n\nhello\n"), NOTICE_OTHER);
}

static void test_bounce_subject_beats_an_auto_submitted_header(void **state)
{
	(void)state;
	/* Exim marks its bounces Auto-Submitted: the subject decides first */
	assert_int_equal(kind_of("Subject: Mail delivery FAILED: returning message\n"
	                         "Auto-Submitted: auto-replied\n\nx\n"),
	                 NOTICE_BOUNCE);
	assert_int_equal(kind_of("Subject: Re: lunch\nAuto-Submitted: auto-replied\n\nx\n"),
	                 NOTICE_AUTOREPLY);
	assert_int_equal(kind_of("Subject: Automatic reply: lunch\n\nx\n"), NOTICE_AUTOREPLY);
	assert_int_equal(kind_of("Subject: Out of the Office\n\nx\n"), NOTICE_AUTOREPLY);
}

static void test_body_phrase_counts_only_in_the_first_4_kib(void **state)
{
	static char msg[8192];
	size_t n;

	(void)state;
	n = (size_t)snprintf(msg, sizeof(msg), "Subject: news\n\n");
	memset(msg + n, 'x', 4078);
	n += 4078;
	/* the phrase ends at byte 4095 of the body: it counts */
	memcpy(msg + n, " Unable To Deliver", 18);
	msg[n + 18] = 0;
	assert_int_equal(kind_of(msg), NOTICE_BOUNCE);
	/* moved one byte on, it ends past the first 4 KiB: it does not */
	memcpy(msg + n, "x Unable To Deliver", 19);
	msg[n + 19] = 0;
	assert_int_equal(kind_of(msg), NOTICE_OTHER);
}

static void test_ses_notification_type_says_bounce_or_complaint(void **state)
{
	(void)state;
	assert_int_equal(
	    kind_of("Subject: AWS Notification\n\n{\"notificationType\":\"Bounce\"}\n"),
	    NOTICE_BOUNCE);
	assert_int_equal(
	    kind_of("Subject: AWS Notification\n\n{\\\"notificationType\\\":\\\"Complaint\\\"}\n"),
	    NOTICE_FEEDBACK);
	/* the key is case-sensitive JSON */
	assert_int_equal(
	    kind_of("Subject: AWS Notification\n\n{\"notificationtype\":\"Bounce\"}\n"),
	    NOTICE_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounce_sender_is_found_in_any_case_anywhere_in_from),
	    cmocka_unit_test(test_bounce_subject_beats_an_auto_submitted_header),
	    cmocka_unit_test(test_body_phrase_counts_only_in_the_first_4_kib),
	    cmocka_unit_test(test_ses_notification_type_says_bounce_or_complaint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
