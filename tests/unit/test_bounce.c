/*
 * test_bounce - the shared pipeline: raw message -> report -> reply ->
 * classifier, on real Postfix 3.7 DSNs and the shipped rules.
 */
#include <string.h>

#include "bounce.h"
#include "testutil.h"

static struct rules *rs;

static int setup(void **state)
{
	char err[1024];

	(void)state;
	if (rules_load(RULES_CONF, &rs, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rules_release(rs);
	return 0;
}

static int analyse(const char *fixture, struct bounce *b)
{
	size_t len;
	char *buf = fixture_read(fixture, &len);
	char err[512];
	int n = bounce_analyse(buf, len, rs, NULL, b, err, sizeof(err));

	free(buf);
	if (n < 0)
		fail_msg("%s: %s", fixture, err);
	return n;
}

static const struct bounce_result *find(const struct bounce *b, const char *rcpt)
{
	for (size_t i = 0; i < b->nresults; i++)
		if (b->results[i].recipient && strcmp(b->results[i].recipient, rcpt) == 0)
			return &b->results[i];
	fail_msg("no result for %s", rcpt);
	return NULL;
}

static void test_a_whitelist_bounce_is_one_recipient_policy_result(void **state)
{
	struct bounce b;
	const struct bounce_result *r;

	(void)state;
	assert_int_equal(analyse("dsn/postfix-failed-5.7.1.eml", &b), 1);
	r = &b.results[0];
	assert_string_equal(r->recipient, "approved-only@remote.example");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.7.1");
	assert_int_equal(r->reply_code, 550);
	assert_int_equal(r->verdict.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_non_null(r->verdict.rule);
	/* the folded Diagnostic-Code arrives unfolded, as one line */
	assert_null(strchr(r->diagnostic, '\n'));
	assert_non_null(strstr(r->diagnostic, "approved"));
	assert_string_equal(b.queue_id, "93610A7201B");
	assert_true(b.is_report);
	bounce_free(&b);
}

static void test_the_postmaster_copy_has_the_same_dedup_keys(void **state)
{
	struct bounce a, p;
	char *ka, *kp;

	(void)state;
	assert_int_equal(analyse("dsn/postfix-failed-5.7.1.eml", &a), 1);
	assert_int_equal(analyse("dsn/postfix-postmaster-copy.eml", &p), 1);
	ka = bounce_dedup_key(&a, &a.results[0]);
	kp = bounce_dedup_key(&p, &p.results[0]);
	assert_non_null(ka);
	assert_non_null(kp);
	assert_string_equal(ka, kp);
	assert_int_equal(a.results[0].verdict.cls, p.results[0].verdict.cls);
	free(ka);
	free(kp);
	bounce_free(&a);
	bounce_free(&p);
}

static void test_a_delay_and_a_failure_for_one_recipient_have_different_keys(void **state)
{
	struct bounce b;
	struct bounce_result other;
	char *k1, *k2;

	(void)state;
	assert_int_equal(analyse("dsn/postfix-failed-5.7.1.eml", &b), 1);
	k1 = bounce_dedup_key(&b, &b.results[0]);
	other = b.results[0];
	other.action = "delayed";
	k2 = bounce_dedup_key(&b, &other);
	assert_string_not_equal(k1, k2);
	free(k1);
	free(k2);
	bounce_free(&b);
}

static void test_a_greylisting_delay_is_transient(void **state)
{
	struct bounce b;

	(void)state;
	assert_int_equal(analyse("dsn/postfix-delayed.eml", &b), 1);
	assert_string_equal(b.results[0].action, "delayed");
	assert_int_equal(b.results[0].reply_code, 450);
	assert_int_equal(b.results[0].verdict.cls, BT_CLASS_TRANSIENT);
	bounce_free(&b);
}

static void test_a_multi_recipient_report_gives_one_result_each(void **state)
{
	struct bounce b;

	(void)state;
	assert_int_equal(analyse("dsn/postfix-multi-rcpt.eml", &b), 4);
	for (size_t i = 0; i < b.nresults; i++)
		assert_string_equal(b.results[i].action, "failed");
	assert_int_equal(find(&b, "approved-only@remote.example")->verdict.cls,
	                 BT_CLASS_RECIPIENT_POLICY);
	assert_int_equal(find(&b, "full@remote.example")->verdict.cls,
	                 BT_CLASS_RECIPIENT_TRANSIENT);
	assert_int_equal(find(&b, "internal@remote.example")->verdict.cls,
	                 BT_CLASS_RECIPIENT_POLICY);
	assert_int_equal(find(&b, "nouser@remote.example")->verdict.cls,
	                 BT_CLASS_RECIPIENT_INVALID);
	bounce_free(&b);
}

static void test_line_ends_do_not_change_results(void **state)
{
	static const char *const variants[][3] = {
	    {"dsn/postfix-failed-5.7.1.eml", "dsn/postfix-failed-5.7.1.crlf.eml",
	     "dsn/postfix-failed-5.7.1.cr.eml"},
	    {"dsn/postfix-multi-rcpt.eml", "dsn/postfix-multi-rcpt.crlf.eml",
	     "dsn/postfix-multi-rcpt.cr.eml"},
	};

	(void)state;
	for (size_t v = 0; v < 2; v++) {
		struct bounce b[3];

		for (int i = 0; i < 3; i++)
			analyse(variants[v][i], &b[i]);
		for (int i = 1; i < 3; i++) {
			assert_int_equal(b[i].nresults, b[0].nresults);
			for (size_t k = 0; k < b[0].nresults; k++) {
				const struct bounce_result *x = &b[0].results[k],
				                           *y = &b[i].results[k];

				assert_string_equal(x->recipient, y->recipient);
				assert_string_equal(x->status, y->status);
				assert_string_equal(x->diagnostic, y->diagnostic);
				assert_int_equal(x->verdict.cls, y->verdict.cls);
				assert_string_equal(x->verdict.reason, y->verdict.reason);
			}
		}
		for (int i = 0; i < 3; i++)
			bounce_free(&b[i]);
	}
}

static void test_a_message_that_is_not_a_bounce_gives_nothing(void **state)
{
	struct bounce b;

	(void)state;
	assert_int_equal(analyse("dsn/not-a-bounce.eml", &b), 0);
	assert_int_equal(b.nresults, 0);
	bounce_free(&b);
}

static void test_one_reply_line_is_classified_without_a_recipient(void **state)
{
	struct bounce_result r;

	(void)state;
	assert_int_equal(
	    bounce_classify_line(
	        rs, "550-5.7.1 first line 550 5.7.1 sender not on approved sender list", &r),
	    0);
	assert_null(r.recipient);
	assert_int_equal(r.reply_code, 550);
	assert_string_equal(r.status, "5.7.1");
	assert_int_equal(r.verdict.cls, BT_CLASS_RECIPIENT_POLICY);
	bounce_result_free(&r);
	assert_int_equal(bounce_classify_line(rs,
	                                      "554 5.7.1 Service unavailable; Client host "
	                                      "[192.0.2.1] blocked using zen.spamhaus.org",
	                                      &r),
	                 0);
	assert_int_equal(r.verdict.cls, BT_CLASS_SENDER_ISSUE);
	bounce_result_free(&r);
}

static void test_a_qmail_bounce_without_report_is_classified_from_its_text(void **state)
{
	struct bounce b;
	const struct bounce_result *r;

	(void)state;
	assert_int_equal(analyse("sisimai/lhost-qmail-01.eml", &b), 1);
	assert_false(b.is_report);
	assert_true(b.scanned);
	r = find(&b, "kijitora@example.ne.jp");
	assert_string_equal(r->action, "failed");
	assert_string_equal(r->status, "5.5.0");
	assert_int_equal(r->reply_code, 550);
	assert_int_equal(r->verdict.cls, BT_CLASS_RECIPIENT_INVALID);
	/* the quoted original gives the report an identity for dedup */
	assert_non_null(b.orig_message_id);
	bounce_free(&b);
}

static void test_a_scanned_reply_without_status_gets_one_derived_from_the_verdict(void **state)
{
	struct bounce b;
	const struct bounce_result *r;

	(void)state;
	/* Exchange 2003: "The recipient name is not recognized", no code at all */
	assert_int_equal(analyse("sisimai/lhost-exchange2003-01.eml", &b), 1);
	r = find(&b, "kijitora@example.jp");
	assert_int_equal(r->reply_code, 0);
	assert_int_equal(r->verdict.cls, BT_CLASS_RECIPIENT_INVALID);
	assert_string_equal(r->status, "5.1.1");
	bounce_free(&b);
}

static void test_an_auto_reply_gives_no_result(void **state)
{
	struct bounce b;

	(void)state;
	assert_int_equal(analyse("sisimai/rfc3834-02.eml", &b), 0);
	assert_int_equal(b.nresults, 0);
	bounce_free(&b);
}

static void test_an_arf_feedback_report_gives_no_result(void **state)
{
	struct bounce b;

	(void)state;
	assert_int_equal(analyse("sisimai/arf-01.eml", &b), 0);
	bounce_free(&b);
}

static void test_a_final_recipient_that_is_a_pipe_takes_the_failed_address(void **state)
{
	struct bounce b;
	const struct bounce_result *r;

	(void)state;
	assert_int_equal(analyse("sisimai/lhost-exim-44.eml", &b), 1);
	assert_true(b.is_report);
	r = find(&b, "kijitora@example.com");
	assert_int_equal(r->verdict.cls, BT_CLASS_TRANSIENT);
	assert_string_equal(r->verdict.rule, "local.mailer-error");
	bounce_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_whitelist_bounce_is_one_recipient_policy_result),
	    cmocka_unit_test(test_the_postmaster_copy_has_the_same_dedup_keys),
	    cmocka_unit_test(test_a_delay_and_a_failure_for_one_recipient_have_different_keys),
	    cmocka_unit_test(test_a_greylisting_delay_is_transient),
	    cmocka_unit_test(test_a_multi_recipient_report_gives_one_result_each),
	    cmocka_unit_test(test_line_ends_do_not_change_results),
	    cmocka_unit_test(test_a_message_that_is_not_a_bounce_gives_nothing),
	    cmocka_unit_test(test_one_reply_line_is_classified_without_a_recipient),
	    cmocka_unit_test(test_a_qmail_bounce_without_report_is_classified_from_its_text),
	    cmocka_unit_test(test_a_scanned_reply_without_status_gets_one_derived_from_the_verdict),
	    cmocka_unit_test(test_an_auto_reply_gives_no_result),
	    cmocka_unit_test(test_an_arf_feedback_report_gives_no_result),
	    cmocka_unit_test(test_a_final_recipient_that_is_a_pipe_takes_the_failed_address),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
