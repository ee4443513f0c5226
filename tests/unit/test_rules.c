/*
 * test_rules - the classifier: the shipped rules.conf, the status and
 * reply code fallback, rule file diagnostics, the lint, the limits that
 * keep hostile text from hanging a thread, and the rule sieve, which must
 * never change a verdict (corpus replies, rule examples and variants of
 * both, classified with and without it).
 */
#include <ctype.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "testutil.h"

#include "class.h"
#include "rules.h"

/*
 * Split "550-5.7.1 text" the way the reply parser presents a reply:
 * leading code, leading status, the rest as text. Test-local on purpose:
 * the rule tests must not depend on another module's parser.
 */
struct reply_parts {
	int code;
	char status[16];
	const char *text;
};

static void split_reply(const char *s, struct reply_parts *p)
{
	p->code = 0;
	p->status[0] = 0;
	if (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && (s[3] == ' ' || s[3] == '-')) {
		p->code = atoi(s);
		s += 4;
	}
	if ((s[0] == '4' || s[0] == '5') && s[1] == '.') {
		size_t n = strcspn(s, " ");
		if (n < sizeof(p->status)) {
			memcpy(p->status, s, n);
			p->status[n] = 0;
			s += n;
			while (*s == ' ')
				s++;
		}
	}
	p->text = s;
}

static void classify_reply(const struct rules *rs, const char *reply, struct verdict *v)
{
	struct reply_parts p;
	struct classify_input in = {0};

	split_reply(reply, &p);
	in.reply_code = p.code;
	in.status = p.status;
	in.text = p.text;
	rules_classify(rs, &in, v);
}

static struct rules *load_shipped(void)
{
	struct rules *rs = NULL;
	char err[512];

	if (rules_load(RULES_CONF, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	return rs;
}

static int setup_shipped(void **state)
{
	*state = load_shipped();
	return *state == NULL ? -1 : 0;
}

static int teardown_shipped(void **state)
{
	rules_release(*state);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The shipped rule set. */

static void print_problem(void *ctx, const char *file, int line, const char *message)
{
	(*(int *)ctx)++;
	print_message("%s:%d: %s\n", file, line, message);
}

static void test_shipped_rules_have_at_least_100_rules(void **state)
{
	assert_true(rules_count(*state) >= 100);
}

static void test_shipped_rules_lint_clean(void **state)
{
	int reported = 0;
	int problems = rules_lint(*state, print_problem, &reported);

	assert_int_equal(problems, 0);
	assert_int_equal(reported, 0);
}

struct expect {
	const char *reply;
	enum bt_class cls;
};

#define RP BT_CLASS_RECIPIENT_POLICY
#define SI BT_CLASS_SENDER_ISSUE
#define RI BT_CLASS_RECIPIENT_INVALID
#define RT BT_CLASS_RECIPIENT_TRANSIENT
#define TR BT_CLASS_TRANSIENT
#define UC BT_CLASS_UNCLASSIFIED

/*
 * Real-world provider replies, written here as variants of what providers
 * send (other addresses, IPs, hosts and wording) rather than copies of the
 * examples in rules.conf, so that they test the patterns, not the lint.
 */
static const struct expect real_replies[] = {
    /* Microsoft 365 / Exchange */
    {"550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; "
     "Delivery restriction check failed because the sender was not authenticated when "
     "sending to this group [BL0PR02MB4321.namprd02.prod.outlook.com]",
     RP},
    {"550 5.7.134 RESOLVER.RST.SenderNotAuthenticatedForMailbox; authentication required "
     "[DM6PR11MB2345.namprd11.prod.outlook.com 2024-03-02T10:11:12.000Z]",
     RP},
    {"550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission; not authorized to send "
     "[VI1PR08MB1234.eurprd08.prod.outlook.com]",
     RP},
    {"550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized [Stage: CreateMessage] "
     "[LO2P265MB0001.GBRP265.PROD.OUTLOOK.COM]",
     RP},
    {"550 5.7.1 RESOLVER.RST.AuthRequired; authentication required [Stage: CreateMessage]"
     " [SA1PR12MB9999.namprd12.prod.outlook.com]",
     RP},
    {"550 5.7.513 Service unavailable, Client host [203.0.113.14] blocked by northwind.example "
     "using Customer Block list (AS16012607)",
     RP},
    {"550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[AM4PEPF00012345.eurprd04.prod.outlook.com]",
     RI},
    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient bob@contoso.example not found by "
     "SMTP address lookup",
     RI},
    {"550 5.7.606 Access denied, banned sending IP [203.0.113.14]. To request removal from this "
     "list please visit https://sender.office.com/ AS(1430)",
     SI},
    {"550 5.7.509 Access denied, sending domain [MAIL.SHOP.EXAMPLE] does not pass DMARC "
     "verification and has a DMARC policy of reject.",
     SI},
    {"451 4.7.650 The mail server [203.0.113.14] has been temporarily rate limited due to IP "
     "reputation. For e-mail delivery information, see https://postmaster.live.com (S843)",
     SI},
    {"550 5.7.1 Unfortunately, messages from [203.0.113.14] weren't sent. Please contact your "
     "Internet service provider since part of their network is on our block list (S3150).",
     SI},
    {"550 5.7.1 Delivery not authorized, message refused", RP},
    {"554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException", RT},
    /* Gmail / Google Workspace */
    {"550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
     "requires all senders to authenticate with either SPF or DKIM.",
     SI},
    {"550-5.7.1 [203.0.113.14 19] Our system has detected that this message is likely "
     "unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been "
     "blocked. Please visit https://support.google.com/mail/?p=UnsolicitedMessageError",
     SI},
    {"421-4.7.28 [203.0.113.14 15] Our system has detected an unusual rate of unsolicited "
     "mail originating from your IP address. To protect our users from spam, mail sent from "
     "your IP address has been temporarily rate limited.",
     SI},
    {"550-5.1.1 The email account that you tried to reach does not exist. Please try "
     "double-checking the recipient's email address for typos or unnecessary spaces. "
     "x9si123456qtb.88 - gsmtp",
     RI},
    {"452-4.2.2 The recipient's inbox is out of storage space. Please direct the recipient to "
     "https://support.google.com/mail/?p=OverQuotaTemp",
     RT},
    {"550-5.7.25 [2001:db8::14] The IP address sending this message does not have a PTR record "
     "setup, or the corresponding forward DNS entry does not point to the sending IP.",
     SI},
    {"550 5.7.1 This message violates acme.example email policy. - gcdp "
     "k7si2233445wmb.12 - gsmtp",
     RP},
    /* Yahoo / AOL */
    {"421 4.7.0 [TSS04] Messages from 203.0.113.14 temporarily deferred due to unexpected "
     "volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
     SI},
    {"553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.14, because the ip is "
     "in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
     SI},
    {"554 5.7.9 Message not accepted for policy reasons.  See "
     "https://postmaster.yahooinc.com/error-codes",
     SI},
    {"554 delivery error: dd This user doesn't have a yahoo.co.uk account "
     "(mary.major@yahoo.co.uk) [0] - mta1041.mail.ir2.yahoo.com",
     RI},
    {"554 delivery error: dd Sorry your message to pat@aol.com cannot be delivered. This "
     "mailbox is disabled (554.30). - mta4052.aol.mail.bf1.yahoo.com",
     RI},
    /* Apple iCloud */
    {"554 5.7.1 [CS01] Message rejected due to local policy. Please visit "
     "https://support.apple.com/en-us/HT204137",
     SI},
    {"550 5.1.1 <lee@me.com>: inactive email address", RI},
    /* Proofpoint */
    {"554 Blocked - see https://ipcheck.proofpoint.com/?ip=203.0.113.14", SI},
    {"550 5.7.1 Rejected due to recipient's Sender Allow/Block list (blocked sender)", RP},
    /* Mimecast */
    {"550 Envelope blocked - User Entry - https://community.mimecast.com/docs/DOC-1369#550 "
     "[QwErTy123456.uk47]",
     RP},
    {"550 Rejected by header based manually Blocked Senders: news@shop.example - "
     "https://community.mimecast.com/docs/DOC-1369#550",
     RP},
    {"550 Rejected by header based Anti-Spoofing policy: ceo@acme.example - "
     "https://community.mimecast.com/docs/DOC-1369#550",
     SI},
    {"550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550", RI},
    /* Barracuda, Cisco IronPort, Spamhaus and friends */
    {"554 Service unavailable; Client host [203.0.113.14] blocked using Barracuda Reputation; "
     "https://www.barracudanetworks.com/reputation/?pr=1&ip=203.0.113.14",
     SI},
    {"554 5.7.1 Your access to this mail system has been rejected due to the sending MTA's "
     "poor reputation.",
     SI},
    {"550 5.7.1 Client host [203.0.113.14] blocked using bl.spamcop.net; Blocked - see "
     "https://www.spamcop.net/bl.shtml?203.0.113.14",
     SI},
    {"554 5.7.1 Service unavailable; Client host [203.0.113.14] blocked using "
     "dnsbl-2.uceprotect.net; IP 203.0.113.14 is UCEPROTECT-Level 2 listed.",
     SI},
    {"550 5.7.1 Rejected: 203.0.113.14 is listed at psbl.surriel.com", SI},
    /* Postfix */
    {"550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in virtual "
     "mailbox table",
     RI},
    {"554 5.7.1 <ann@example.org>: Relay access denied", SI},
    {"450 4.7.1 Client host rejected: cannot find your reverse hostname, [203.0.113.14]", SI},
    {"501 5.5.2 <mail>: Helo command rejected: need fully-qualified hostname", SI},
    {"450 4.1.8 <bounce@bulk.example>: Sender address rejected: Domain not found", SI},
    {"552 5.3.4 Message size exceeds fixed limit", SI},
    {"450 4.2.0 <ann@example.org>: Recipient address rejected: Greylisted, see "
     "https://postgrey.schweikert.ch/help/example.org.html",
     TR},
    {"452 4.2.2 <ann@example.org>: Recipient address rejected: Over quota", RT},
    /* Exim */
    {"550 Unrouteable address", RI},
    {"550-Verification failed for <bounce@bulk.example> 550-Unrouteable address 550 Sender "
     "verify failed",
     SI},
    {"retry time not reached for any host for 'example.org' after a long failure period", TR},
    {"all relevant MX records point to non-existent hosts or (invalidly) to IP addresses", RI},
    {"message has lines too long for transport", SI},
    /* Sendmail */
    {"550 5.1.1 <ann@example.org>... User unknown", RI},
    {"550 5.7.1 <ann@example.org>... Relaying denied", SI},
    {"550 5.1.2 <ann@nowhere.example>... Host unknown (Name server: nowhere.example: host not "
     "found)",
     RI},
    {"Cannot send message for 4 days", TR},
    /* qmail */
    {"550 sorry, no mailbox here by that name. (#5.1.1)", RI},
    {"Sorry, I couldn't find any host named mail.nowhere.example. (#5.1.2)", RI},
    {"user is over quota", RT},
    {"Connected to 192.0.2.9 but connection died. (#4.4.2) I'm not going to try again; this "
     "message has been in the queue too long.",
     TR},
    /* Recipient policy, the product's core */
    {"554 5.7.1 <ann@bank.example>: Sender not on approved senders list", RP},
    {"550 5.5.5 Message not delivered to user without prior approval", RP},
    {"550 5.7.1 Recipient requires pre-approval of all external senders", RP},
    {"554 5.7.1 Your domain is not whitelisted by this recipient", RP},
    {"550 5.7.1 This address only accepts mail from whitelisted senders", RP},
    {"550 5.7.1 Mailbox restricted to internal senders only", RP},
    {"550 5.7.1 This distribution list does not accept external mail", RP},
    {"554 5.7.1 Message blocked by recipient", RP},
    {"554 5.7.1 Please verify your email address to complete delivery (challenge-response)", RP},
    /* Transient and rate limits */
    {"421 4.7.0 Too many connections from 203.0.113.14, try again later", SI},
    {"530 5.7.0 Must issue a STARTTLS command first", SI},
    {"421 4.3.2 Service not available, closing transmission channel", TR},
    {"connect to mx.example.org[192.0.2.10]:25: Connection refused", TR},
};

static void test_real_provider_replies_get_their_class(void **state)
{
	size_t n = sizeof(real_replies) / sizeof(real_replies[0]);
	int wrong = 0;

	assert_true(n >= 60);
	for (size_t i = 0; i < n; i++) {
		struct verdict v;
		classify_reply(*state, real_replies[i].reply, &v);
		if (v.cls != real_replies[i].cls) {
			print_message("want %s, got %s (%s, rule %s): %s\n",
			              class_name(real_replies[i].cls), class_name(v.cls), v.reason,
			              v.rule ? v.rule : "none", real_replies[i].reply);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
}

/* The same code carries opposite meanings; only the text decides. */
static void test_same_code_recipient_policy_and_sender_issue_texts_differ(void **state)
{
	static const struct {
		const char *policy;
		const char *sender;
	} pairs[] = {
	    {"554 5.7.1 <ann@fund.example>: sender not on approved sender list",
	     "554 5.7.1 Service unavailable; Client host [203.0.113.14] blocked using "
	     "zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.14"},
	    {"550 5.7.1 This mailbox is for internal use only",
	     "550 5.7.1 Message rejected as spam by Content Filtering."},
	    {"550 5.7.1 Sender is not whitelisted",
	     "550 5.7.1 203.0.113.14 listed at dnsbl.example.net; request to be whitelisted at "
	     "https://dnsbl.example.net/removal"},
	    {"550 5.7.1 Sender is on the recipient's blocked senders list",
	     "550 5.7.1 Sender IP 203.0.113.14 is on our blocklist"},
	    {"550 5.7.1 RESOLVER.RST.AuthRequired; authentication required",
	     "550 5.7.1 Email rejected: SPF authentication failed for shop.example"},
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct verdict p, s;
		classify_reply(*state, pairs[i].policy, &p);
		classify_reply(*state, pairs[i].sender, &s);
		if (p.cls != BT_CLASS_RECIPIENT_POLICY || s.cls != BT_CLASS_SENDER_ISSUE)
			fail_msg("pair %zu: policy text -> %s (%s), sender text -> %s (%s)", i,
			         class_name(p.cls), p.rule ? p.rule : "none", class_name(s.cls),
			         s.rule ? s.rule : "none");
	}
}

static void test_verdict_names_the_rule_and_its_reason(void **state)
{
	struct verdict v;

	classify_reply(*state, "550 5.7.129 RESOLVER.RST.RestrictedToRecipientsPermission", &v);
	assert_int_equal(v.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_non_null(v.rule);
	assert_string_equal(v.rule, "ms.restricted-to-recipients");
	assert_string_equal(v.reason, "restricted-recipient");
}

static void test_text_matching_no_rule_falls_back_to_status(void **state)
{
	struct verdict v;
	struct classify_input in = {.reply_code = 550, .status = "5.1.1", .text = "zzz qqq"};

	rules_classify(*state, &in, &v);
	assert_null(v.rule);
	assert_int_equal(v.cls, BT_CLASS_RECIPIENT_INVALID);
	assert_string_equal(v.reason, "status-5.1.1");
}

static void test_folded_white_space_and_case_do_not_matter(void **state)
{
	struct verdict v;
	struct classify_input in = {.reply_code = 554,
	                            .status = "5.7.1",
	                            .text = "SENDER NOT ON\r\n\t  APPROVED    sender LIST"};

	rules_classify(*state, &in, &v);
	assert_int_equal(v.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_string_equal(v.reason, "requires-whitelist");
}

static void test_invalid_utf8_text_is_matched_as_bytes(void **state)
{
	struct verdict v;
	struct classify_input in = {.reply_code = 554,
	                            .status = "5.7.1",
	                            .text = "\xff\xfe\xc3 Client host [203.0.113.14] blocked using "
	                                    "zen.spamhaus.org \xe2\x28\xa1"};

	rules_classify(*state, &in, &v);
	assert_int_equal(v.cls, BT_CLASS_SENDER_ISSUE);
	assert_string_equal(v.rule, "dnsbl.spamhaus");
}

static void test_null_text_and_null_status_are_accepted(void **state)
{
	struct verdict v;
	struct classify_input in = {.reply_code = 421};

	rules_classify(*state, &in, &v);
	assert_int_equal(v.cls, BT_CLASS_TRANSIENT);
	assert_string_equal(v.reason, "reply-421");
}

/* ------------------------------------------------------------------ */
/* Fallback tables. */

static void test_fallback_by_enhanced_status_code(void **state)
{
	static const struct {
		const char *status;
		enum bt_class cls;
		const char *reason;
	} t[] = {
	    {"5.1.1", RI, "status-5.1.1"},
	    {"5.1.10", RI, "status-5.1.10"},
	    {"5.2.1", RI, "status-5.2.1"},
	    {"5.4.1", RI, "status-5.4.1"},
	    {"5.1.0", RI, "status-5.1.0"},
	    {"4.2.2", RT, "status-4.2.2"},
	    {"5.2.2", RT, "status-5.2.2"},
	    {"5.2.3", SI, "status-5.2.3"},
	    {"5.3.4", SI, "status-5.3.4"},
	    {"5.7.26", SI, "status-5.7.x-auth"},
	    {"5.7.23", SI, "status-5.7.x-auth"},
	    {"5.7.8", SI, "status-5.7.x-security"},
	    {"5.7.129", RP, "status-5.7.129"},
	    {"5.7.124", RP, "status-5.7.124"},
	    {"5.7.12", RP, "status-5.7.12"},
	    {"5.7.133", RP, "status-5.7.13x"},
	    {"5.7.136", RP, "status-5.7.13x"},
	    {"5.7.507", RP, "status-5.7.507"},
	    {"5.7.513", RP, "status-5.7.513"},
	    {"5.7.509", SI, "status-5.7.5xx"},
	    {"5.7.606", SI, "status-5.7.6xx"},
	    {"5.7.649", SI, "status-5.7.6xx"},
	    {"5.7.705", SI, "status-5.7.7xx"},
	    {"4.7.28", SI, "status-4.7.x-auth-rate"},
	    {"4.7.650", SI, "status-4.7.x-throttled"},
	    {"4.4.1", TR, "status-4.x.x"},
	    {"4.7.1", TR, "status-4.x.x"},
	    {"5.4.7", TR, "status-5.4.x"},
	    {"5.7.1", UC, "status-5.7.1"},
	    {"5.7.0", UC, "status-5.7.0"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;
		rules_fallback(550, t[i].status, &v);
		if (v.cls != t[i].cls || strcmp(v.reason, t[i].reason) != 0)
			fail_msg("%s: want %s/%s, got %s/%s", t[i].status, class_name(t[i].cls),
			         t[i].reason, class_name(v.cls), v.reason);
		assert_null(v.rule);
	}
	(void)state;
}

static void test_fallback_by_reply_code_when_status_is_absent_or_unknown(void **state)
{
	static const struct {
		int code;
		const char *status;
		enum bt_class cls;
		const char *reason;
	} t[] = {
	    {421, NULL, TR, "reply-421"},
	    {450, "", TR, "reply-450"},
	    {451, NULL, TR, "reply-451"},
	    {452, NULL, TR, "reply-452"},
	    {550, NULL, UC, "reply-550"},
	    {551, NULL, UC, "reply-551"},
	    {552, NULL, UC, "reply-552"},
	    {553, "", UC, "reply-553"},
	    {554, NULL, UC, "reply-554"},
	    {521, NULL, RI, "reply-521"},
	    {530, NULL, SI, "reply-530"},
	    {447, NULL, TR, "reply-4xx"},
	    {571, NULL, UC, "reply-5xx"},
	    {0, NULL, UC, "no-code"},
	    /* An unknown or malformed status gives way to the reply code. */
	    {550, "5.9.9", UC, "reply-550"},
	    {421, "4.x.1", TR, "reply-421"},
	    {550, "5.1.1junk", UC, "reply-550"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct verdict v;
		rules_fallback(t[i].code, t[i].status, &v);
		if (v.cls != t[i].cls || strcmp(v.reason, t[i].reason) != 0)
			fail_msg("%d %s: want %s/%s, got %s/%s", t[i].code,
			         t[i].status ? t[i].status : "(null)", class_name(t[i].cls),
			         t[i].reason, class_name(v.cls), v.reason);
		assert_null(v.rule);
	}
	(void)state;
}

static void test_5_7_1_alone_is_never_guessed(void **state)
{
	struct verdict v;
	struct classify_input in = {.reply_code = 554, .status = "5.7.1", .text = "Rejected"};

	rules_classify(*state, &in, &v);
	assert_int_equal(v.cls, BT_CLASS_UNCLASSIFIED);
	assert_string_equal(v.reason, "status-5.7.1");
	assert_null(v.rule);
}

/* ------------------------------------------------------------------ */
/* Rule file diagnostics. */

static void expect_load_error(const char *fixture, const char *message)
{
	char path[4096];
	char want[4600];
	char err[512];
	static char sentinel;
	struct rules *rs = (struct rules *)&sentinel; /* must come back NULL */

	snprintf(path, sizeof(path), "%s/rules/%s", FIXTURES, fixture);
	snprintf(want, sizeof(want), "%s:%s", path, message);
	assert_int_equal(rules_load(path, &rs, err, sizeof(err)), -1);
	assert_null(rs);
	assert_string_equal(err, want);
}

static void test_unknown_class_names_file_and_line(void **state)
{
	expect_load_error("unknown-class.conf", "3: unknown class 'recipent-policy'");
	(void)state;
}

static void test_missing_fields_name_the_rule_header_line(void **state)
{
	expect_load_error("missing-class.conf", "7: rule 'no.class' has no class");
	expect_load_error("missing-reason.conf", "1: rule 'no.reason' has no reason");
	expect_load_error("missing-pattern.conf", "1: rule 'no.pattern' has no pattern");
	expect_load_error("missing-example.conf", "1: rule 'no.example' has no example");
	(void)state;
}

static void test_duplicate_id_names_both_lines(void **state)
{
	expect_load_error("duplicate-id.conf",
	                  "7: duplicate rule id 'same.id' (first defined at line 1)");
	(void)state;
}

static void test_unknown_field_is_an_error(void **state)
{
	expect_load_error("unknown-field.conf",
	                  "4: unknown field 'patern' (expected class, reason, pattern or example)");
	(void)state;
}

static void test_bad_pattern_reports_pcre2_message_and_offset(void **state)
{
	expect_load_error("bad-pattern.conf", "4: pattern of rule 'bad.pattern' does not compile: "
	                                      "missing closing parenthesis at offset 33");
	(void)state;
}

static void test_text_outside_a_rule_is_an_error(void **state)
{
	expect_load_error("text-outside-rule.conf",
	                  "2: text outside a rule (a rule starts with '[rule-id]')");
	(void)state;
}

static void test_invalid_id_and_reason_are_errors(void **state)
{
	expect_load_error("invalid-id.conf",
	                  "1: invalid rule id 'Policy Whitelist' (use 1 to 64 of a-z 0-9 . _ -)");
	expect_load_error("invalid-reason.conf",
	                  "3: invalid reason 'Requires Whitelist' (use a short kebab-case tag such "
	                  "as requires-whitelist)");
	(void)state;
}

static void test_missing_file_names_the_path(void **state)
{
	struct rules *rs;
	char err[512];
	const char *path = FIXTURES "/rules/no-such-file.conf";

	assert_int_equal(rules_load(path, &rs, err, sizeof(err)), -1);
	assert_null(rs);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot open"));
	(void)state;
}

static void test_buffer_errors_use_the_given_name(void **state)
{
	static const char buf[] = "[a]\nclass = sender-issue\nreason = x\npattern = (\n";
	struct rules *rs;
	char err[512];

	assert_int_equal(rules_load_buf("inline", buf, sizeof(buf) - 1, &rs, err, sizeof(err)), -1);
	assert_null(rs);
	assert_true(strncmp(err, "inline:4: pattern of rule 'a' does not compile: ", 48) == 0);
	(void)state;
}

static void test_comments_blanks_and_field_case_are_accepted(void **state)
{
	char path[4096];
	char err[512];
	struct rules *rs;
	struct verdict v;
	struct classify_input in = {.reply_code = 554, .status = "5.7.1", .text = "only-here"};

	snprintf(path, sizeof(path), "%s/rules/good.conf", FIXTURES);
	if (rules_load(path, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(rules_count(rs), 2);
	assert_int_equal(rules_lint(rs, NULL, NULL), 0);
	/* The subject is "<code> <status> <text>": the anchored rule sees all three. */
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "subject.anchored");
	/* Without the reply code the subject no longer starts with "554 ". */
	in.reply_code = 0;
	rules_classify(rs, &in, &v);
	assert_null(v.rule);
	rules_release(rs);
	(void)state;
}

/* ------------------------------------------------------------------ */
/* Lint. */

struct collected {
	int n;
	char msg[4][600];
};

static void collect(void *ctx, const char *file, int line, const char *message)
{
	struct collected *c = ctx;

	if (c->n < 4)
		snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s:%d: %s", file, line, message);
	c->n++;
}

static void test_lint_reports_a_shadowed_rule_and_a_dead_example(void **state)
{
	char path[4096];
	char want[4700];
	char err[512];
	struct rules *rs;
	struct collected c = {0};

	snprintf(path, sizeof(path), "%s/rules/shadowed.conf", FIXTURES);
	if (rules_load(path, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(rules_lint(rs, collect, &c), 2);
	assert_int_equal(c.n, 2);
	snprintf(want, sizeof(want),
	         "%s:13: example of rule 'policy.approved-list' is taken by earlier rule "
	         "'catch-all-5.7.1'",
	         path);
	assert_string_equal(c.msg[0], want);
	snprintf(want, sizeof(want),
	         "%s:20: example of rule 'broken.example' is not matched by its own rule "
	         "(fallback reason status-5.1.1)",
	         path);
	assert_string_equal(c.msg[1], want);
	rules_release(rs);
	(void)state;
}

/* ------------------------------------------------------------------ */
/*
 * The rule sieve: rules_classify() runs PCRE2 only on the rules whose
 * literals occur in the subject; rules_classify_unfiltered() runs every
 * rule in file order. Their verdicts must be the same for every input.
 */

static void assert_same_verdict(const struct rules *rs, const struct classify_input *in,
                                size_t *ruled)
{
	struct verdict sieved;
	struct verdict plain;

	rules_classify(rs, in, &sieved);
	rules_classify_unfiltered(rs, in, &plain);
	if (sieved.rule != plain.rule || sieved.cls != plain.cls ||
	    strcmp(sieved.reason, plain.reason) != 0)
		fail_msg("verdicts differ on %d %s '%s': sieve %s, every rule in order %s",
		         in->reply_code, in->status ? in->status : "-", in->text ? in->text : "",
		         sieved.rule ? sieved.rule : sieved.reason,
		         plain.rule ? plain.rule : plain.reason);
	*ruled += plain.rule != NULL;
}

static unsigned long long rng_state = 0x853c49e6748fea9bULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/*
 * Variants of a text that land near rule boundaries: capitals, halves, a
 * span cut out, noise (non-ASCII too) put in, a word doubled.
 */
static void variant(const char *text, int kind, char *out, size_t cap)
{
	size_t n = strlen(text);
	size_t a = n ? rnd((unsigned)n) : 0;
	size_t b = a + (n - a ? rnd((unsigned)(n - a)) : 0);

	assert_true(3 * n + 16 < cap);
	switch (kind) {
	case 0:
		for (size_t i = 0; i <= n; i++)
			out[i] = (char)toupper((unsigned char)text[i]);
		break;
	case 1:
		snprintf(out, cap, "%.*s", (int)(n / 2), text);
		break;
	case 2:
		snprintf(out, cap, "%s", text + n / 2);
		break;
	case 3:
		snprintf(out, cap, "%.*s%s", (int)a, text, text + b);
		break;
	case 4:
		snprintf(out, cap, "%.*s\xe9 %c\t%s", (int)a, text, "xyz.-5"[rnd(6)], text + a);
		break;
	default:
		snprintf(out, cap, "%.*s%.*s", (int)b, text, (int)(n - a), text + a);
		break;
	}
}

/* Each input as given, without code or status, and in six variants. */
static void check_reply(const struct rules *rs, int code, const char *status, const char *text,
                        size_t *inputs, size_t *ruled)
{
	struct classify_input in = {.reply_code = code, .status = status, .text = text};
	char *buf = malloc(3 * strlen(text) + 32);

	assert_non_null(buf);
	assert_same_verdict(rs, &in, ruled);
	in.reply_code = 0;
	in.status = NULL;
	assert_same_verdict(rs, &in, ruled);
	in.reply_code = code;
	in.status = status;
	in.text = buf;
	for (int k = 0; k < 6; k++) {
		variant(text, k, buf, 3 * strlen(text) + 32);
		assert_same_verdict(rs, &in, ruled);
	}
	*inputs += 8;
	free(buf);
}

static void test_sieve_and_plain_loop_agree_on_corpus_replies(void **state)
{
	char *buf = fixture_read("rules/corpus-replies.txt", NULL);
	size_t lines = 0;
	size_t inputs = 0;
	size_t ruled = 0;

	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *status;
		char *text;

		if (line[0] == '#')
			continue;
		status = strchr(line, '\t');
		assert_non_null(status);
		*status++ = 0;
		text = strchr(status, '\t');
		assert_non_null(text);
		*text++ = 0;
		check_reply(*state, atoi(line), strcmp(status, "-") ? status : NULL, text, &inputs,
		            &ruled);
		lines++;
	}
	free(buf);
	print_message("%zu corpus replies, %zu inputs, %zu classified by a rule\n", lines, inputs,
	              ruled);
	assert_true(lines >= 1000);
	assert_true(ruled >= inputs / 4); /* rules decided often: not a vacuous check */
}

static void test_sieve_and_plain_loop_agree_on_every_rule_example(void **state)
{
	size_t len;
	char *buf;
	size_t examples = 0;
	size_t inputs = 0;
	size_t ruled = 0;
	FILE *fp = fopen(RULES_CONF, "rb");

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = (size_t)ftell(fp);
	rewind(fp);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len, fp), len);
	buf[len] = 0;
	fclose(fp);
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		struct reply_parts p;
		char *v = line;

		while (*v == ' ' || *v == '\t')
			v++;
		if (strncasecmp(v, "example", 7) != 0 || (v = strchr(v, '=')) == NULL)
			continue;
		for (v++; *v == ' ' || *v == '\t'; v++)
			;
		split_reply(v, &p);
		check_reply(*state, p.code, p.status, p.text, &inputs, &ruled);
		examples++;
	}
	free(buf);
	assert_true(examples >= 300);
	assert_true(ruled >= inputs / 2);
}

static void test_rules_without_literals_still_run_in_file_order(void **state)
{
	/* (?i) and a backreference: the sieve cannot index them, they always run */
	static const char buf[] = "[first]\nclass = sender-issue\nreason = first\n"
	                          "pattern = (?i)blocked\\d\nexample = 550 blocked9\n"
	                          "[second]\nclass = recipient-policy\nreason = second\n"
	                          "pattern = blocked\nexample = 550 blocked\n"
	                          "[third]\nclass = transient\nreason = third\n"
	                          "pattern = (x)\\1y\nexample = 450 xxy\n";
	struct rules *rs;
	char err[512];
	struct verdict v;
	struct classify_input in = {.reply_code = 550, .text = "BLOCKED7"};
	size_t ruled = 0;
	size_t inputs = 0;

	(void)state;
	if (rules_load_buf("inline", buf, sizeof(buf) - 1, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(rules_lint(rs, NULL, NULL), 0);
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "first");
	in.text = "blocked";
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "second");
	in.text = "XXY";
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "third");
	check_reply(rs, 550, "5.7.1", "a blocked1 xxy", &inputs, &ruled);
	check_reply(rs, 550, "5.7.1", "xxxy blocked", &inputs, &ruled);
	rules_release(rs);
}

static void test_more_rules_than_the_stack_holds_classify_the_same(void **state)
{
	enum { NRULES = 1100 };
	size_t cap = NRULES * 128;
	char *buf = malloc(cap);
	size_t n = 0;
	struct rules *rs;
	char err[512];
	struct verdict v;
	struct classify_input in = {.reply_code = 550, .text = "see token1099, token0500 too"};
	size_t ruled = 0;
	size_t inputs = 0;

	(void)state;
	assert_non_null(buf);
	for (int i = 0; i < NRULES; i++)
		n += (size_t)snprintf(buf + n, cap - n,
		                      "[r%04d]\nclass = sender-issue\nreason = r%04d\n"
		                      "pattern = \\btoken%04d\\b\nexample = 550 token%04d\n",
		                      i, i, i, i);
	if (rules_load_buf("many", buf, n, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	free(buf);
	assert_int_equal(rules_count(rs), NRULES);
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "r0500"); /* first in file order, not first in the text */
	in.text = "token1099";
	rules_classify(rs, &in, &v);
	assert_string_equal(v.rule, "r1099");
	in.text = "token10990";
	rules_classify(rs, &in, &v);
	assert_null(v.rule);
	check_reply(rs, 550, NULL, "token0000 token1023 token1024 token1099", &inputs, &ruled);
	assert_true(ruled > 0);
	rules_release(rs);
}

/* ------------------------------------------------------------------ */
/* Limits, lifetime, threads. */

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_catastrophic_pattern_hits_the_match_limit_and_returns(void **state)
{
	/*
	 * (a|aa)+ before an end that never comes backtracks through every
	 * way of splitting the a's: fib(60) paths, centuries of work. The
	 * match limit stops it; the rule counts as not matching and the
	 * next rule decides.
	 */
	static const char buf[] = "[evil]\nclass = sender-issue\nreason = evil\n"
	                          "pattern = ^[0-9 .]*(a|aa)+$\nexample = 550 5.7.1 aaa\n"
	                          "[next]\nclass = recipient-policy\nreason = requires-whitelist\n"
	                          "pattern = a!$\nexample = 550 5.7.1 a!\n";
	char text[62];
	struct rules *rs;
	char err[512];
	struct classify_input in = {.reply_code = 550, .status = "5.7.1", .text = text};
	struct verdict v;
	double t0;

	memset(text, 'a', 60);
	memcpy(text + 60, "!", 2);
	if (rules_load_buf("evil", buf, sizeof(buf) - 1, &rs, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	t0 = now_seconds();
	rules_classify(rs, &in, &v);
	assert_true(now_seconds() - t0 < 5.0);
	assert_non_null(v.rule);
	assert_string_equal(v.rule, "next");
	rules_release(rs);
	(void)state;
}

static void test_only_the_first_16_kib_of_a_text_are_matched(void **state)
{
	char *text = malloc(20001);
	struct classify_input in = {.reply_code = 554, .status = "5.7.1"};
	struct verdict v;
	static const char tail[] = " blocked using zen.spamhaus.org";

	assert_non_null(text);
	memset(text, 'x', 20000);
	memcpy(text + 20000 - sizeof(tail), tail, sizeof(tail)); /* ends at text[19999] */
	in.text = text;
	rules_classify(*state, &in, &v);
	assert_null(v.rule);
	assert_string_equal(v.reason, "status-5.7.1");
	/* The same words within the bound are seen. */
	memcpy(text + 100, tail, sizeof(tail));
	rules_classify(*state, &in, &v);
	assert_string_equal(v.rule, "dnsbl.spamhaus");
	free(text);
}

static void test_retained_rule_set_outlives_the_first_release(void **state)
{
	struct rules *rs = load_shipped();
	struct verdict v;

	rules_retain(rs);
	rules_release(rs); /* the "reload" drops its reference */
	classify_reply(rs, "550 5.5.5 Message not delivered to user without prior approval", &v);
	assert_int_equal(v.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_string_equal(v.reason, "requires-whitelist"); /* owned by the live set */
	rules_release(rs);                                   /* last reference: freed */
	rules_release(NULL);
	(void)state;
}

struct worker {
	const struct rules *rs;
	int wrong;
};

static void *classify_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 200; i++) {
		struct verdict a, b;
		classify_reply(w->rs, "554 5.7.1 sender not on approved sender list", &a);
		classify_reply(w->rs, "554 5.7.1 blocked using zen.spamhaus.org", &b);
		if (a.cls != BT_CLASS_RECIPIENT_POLICY || b.cls != BT_CLASS_SENDER_ISSUE)
			w->wrong++;
	}
	return NULL;
}

static void test_threads_share_one_rule_set(void **state)
{
	pthread_t t[4];
	struct worker w[4];

	for (int i = 0; i < 4; i++) {
		w[i].rs = *state;
		w[i].wrong = 0;
		assert_int_equal(pthread_create(&t[i], NULL, classify_many, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].wrong, 0);
	}
}

int main(void)
{
	const struct CMUnitTest shipped[] = {
	    cmocka_unit_test(test_shipped_rules_have_at_least_100_rules),
	    cmocka_unit_test(test_shipped_rules_lint_clean),
	    cmocka_unit_test(test_real_provider_replies_get_their_class),
	    cmocka_unit_test(test_same_code_recipient_policy_and_sender_issue_texts_differ),
	    cmocka_unit_test(test_verdict_names_the_rule_and_its_reason),
	    cmocka_unit_test(test_text_matching_no_rule_falls_back_to_status),
	    cmocka_unit_test(test_folded_white_space_and_case_do_not_matter),
	    cmocka_unit_test(test_invalid_utf8_text_is_matched_as_bytes),
	    cmocka_unit_test(test_null_text_and_null_status_are_accepted),
	    cmocka_unit_test(test_5_7_1_alone_is_never_guessed),
	    cmocka_unit_test(test_only_the_first_16_kib_of_a_text_are_matched),
	    cmocka_unit_test(test_threads_share_one_rule_set),
	    cmocka_unit_test(test_sieve_and_plain_loop_agree_on_corpus_replies),
	    cmocka_unit_test(test_sieve_and_plain_loop_agree_on_every_rule_example),
	};
	const struct CMUnitTest standalone[] = {
	    cmocka_unit_test(test_fallback_by_enhanced_status_code),
	    cmocka_unit_test(test_fallback_by_reply_code_when_status_is_absent_or_unknown),
	    cmocka_unit_test(test_unknown_class_names_file_and_line),
	    cmocka_unit_test(test_missing_fields_name_the_rule_header_line),
	    cmocka_unit_test(test_duplicate_id_names_both_lines),
	    cmocka_unit_test(test_unknown_field_is_an_error),
	    cmocka_unit_test(test_bad_pattern_reports_pcre2_message_and_offset),
	    cmocka_unit_test(test_text_outside_a_rule_is_an_error),
	    cmocka_unit_test(test_invalid_id_and_reason_are_errors),
	    cmocka_unit_test(test_missing_file_names_the_path),
	    cmocka_unit_test(test_buffer_errors_use_the_given_name),
	    cmocka_unit_test(test_comments_blanks_and_field_case_are_accepted),
	    cmocka_unit_test(test_lint_reports_a_shadowed_rule_and_a_dead_example),
	    cmocka_unit_test(test_catastrophic_pattern_hits_the_match_limit_and_returns),
	    cmocka_unit_test(test_retained_rule_set_outlives_the_first_release),
	    cmocka_unit_test(test_rules_without_literals_still_run_in_file_order),
	    cmocka_unit_test(test_more_rules_than_the_stack_holds_classify_the_same),
	};
	int failed = cmocka_run_group_tests_name("rules (shipped rules.conf)", shipped,
	                                         setup_shipped, teardown_shipped);

	failed += cmocka_run_group_tests_name("rules (fallback, diagnostics, limits)", standalone,
	                                      NULL, NULL);
	return failed;
}
