/*
 * test_store - the suppression store (store.c policy, SQLite backend).
 *
 * Every test gets a fresh database file in a mkdtemp() directory that the
 * group teardown removes. Times are set explicitly (T0 and offsets) so
 * that windows and expiry are exact; only the Postfix lookup query test
 * uses the wall clock, because the query does.
 */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string.h>

#include <sqlite3.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "class.h"
#include "store.h"

#define DAY (24L * 60 * 60)
#define T0 ((time_t)1700000000)

static char tmpdir[PATH_MAX];
static char dbpath[PATH_MAX + 64];
static int dbcount;
static struct store_policy pol;

static int group_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_store.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char path[PATH_MAX + 300];
	struct dirent *d;
	DIR *dir;

	(void)state;
	if ((dir = opendir(tmpdir)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, d->d_name);
		unlink(path);
	}
	closedir(dir);
	return rmdir(tmpdir);
}

/* A fresh database path for each test, and the default policy. */
static int test_setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "%s/t%d.db", tmpdir, ++dbcount);
	store_policy_default(&pol);
	return 0;
}

static struct store *open_rw(void)
{
	char err[512];
	struct store *st = NULL;

	if (store_open(dbpath, 0, &st, err, sizeof(err)) != STORE_OK)
		fail_msg("store_open(%s): %s", dbpath, err);
	return st;
}

/* A trusted Postfix DSN result. */
static struct store_event result(const char *rcpt, const char *action, enum bt_class cls,
                                 time_t when)
{
	struct store_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.when = when;
	ev.recipient = rcpt;
	ev.action = action;
	ev.status = "5.7.1";
	ev.reply_code = 550;
	ev.diagnostic = "550 5.7.1 sender not on the approved senders list";
	ev.remote_mta = "mx.example.com";
	ev.cls = cls;
	ev.reason = "requires-whitelist";
	ev.rule = "policy-approved-list";
	ev.source = "dsn";
	ev.trusted = 1;
	ev.queue_id = "4ABCD1234";
	ev.message_id = "<m1@example.org>";
	return ev;
}

static enum store_outcome record1(struct store *st, const struct store_event *ev)
{
	enum store_outcome oc = (enum store_outcome) - 1;

	if (store_record(st, ev, 1, &pol, &oc) != STORE_OK)
		fail_msg("store_record: %s", store_error(st));
	return oc;
}

static enum store_outcome record_at(struct store *st, const char *rcpt, const char *action,
                                    enum bt_class cls, time_t when)
{
	struct store_event ev = result(rcpt, action, cls, when);

	return record1(st, &ev);
}

static int is_active(struct store *st, const char *addr, time_t now)
{
	struct suppression s;
	int rc = store_lookup(st, addr, now, &s);

	assert_true(rc == STORE_OK || rc == STORE_NOTFOUND);
	if (rc == STORE_OK)
		suppression_free(&s);
	return rc == STORE_OK;
}

/* History collected into a small array. */
struct hist {
	int n;
	time_t last_when;
	int ordered;
	char action[16][16];
	char diag[16][128];
	char source[16][16];
	time_t when[16];
};

static int hist_cb(void *ctx, const struct stored_event *e)
{
	struct hist *h = ctx;

	if (h->n > 0 && e->ev.when < h->last_when)
		h->ordered = 0;
	h->last_when = e->ev.when;
	if (h->n < 16) {
		snprintf(h->action[h->n], sizeof(h->action[0]), "%s", e->ev.action);
		snprintf(h->diag[h->n], sizeof(h->diag[0]), "%s",
		         e->ev.diagnostic ? e->ev.diagnostic : "");
		snprintf(h->source[h->n], sizeof(h->source[0]), "%s",
		         e->ev.source ? e->ev.source : "");
		h->when[h->n] = e->ev.when;
	}
	h->n++;
	return 0;
}

static struct hist history_of(struct store *st, const char *addr)
{
	struct hist h;

	memset(&h, 0, sizeof(h));
	h.ordered = 1;
	assert_int_equal(store_history(st, addr, hist_cb, &h), STORE_OK);
	return h;
}

/* ---- policy: what suppresses ---- */

static void test_trusted_failed_recipient_policy_suppresses_at_once(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	assert_int_equal(record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0),
	                 STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "kiji@example.com", T0 + 1, &s), STORE_OK);
	assert_string_equal(s.recipient, "kiji@example.com");
	assert_string_equal(s.tag, "requires-whitelist"); /* tag = reason */
	assert_string_equal(s.reason, "requires-whitelist");
	assert_int_equal(s.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_string_equal(s.diagnostic, "550 5.7.1 sender not on the approved senders list");
	assert_string_equal(s.rule, "policy-approved-list");
	assert_string_equal(s.remote_mta, "mx.example.com");
	assert_string_equal(s.source, "dsn");
	assert_int_equal(s.first_seen, T0);
	assert_int_equal(s.last_seen, T0);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.expires, T0 + 180 * DAY);
	assert_int_equal(s.released_at, 0);
	assert_null(s.released_by);
	suppression_free(&s);
	store_close(st);
}

static void test_trusted_failed_recipient_invalid_suppresses_for_a_year(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	assert_int_equal(
	    record_at(st, "gone@example.com", "failed", BT_CLASS_RECIPIENT_INVALID, T0),
	    STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "gone@example.com", T0, &s), STORE_OK);
	assert_int_equal(s.cls, BT_CLASS_RECIPIENT_INVALID);
	assert_int_equal(s.expires, T0 + 365 * DAY);
	suppression_free(&s);
	store_close(st);
}

static void test_untrusted_failure_is_recorded_but_never_suppresses(void **state)
{
	struct store *st = open_rw();
	struct store_event ev =
	    result("forged@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	struct hist h;

	(void)state;
	ev.trusted = 0;
	ev.source = "inbound";
	for (int i = 0; i < 5; i++) {
		ev.when = T0 + i;
		assert_int_equal(record1(st, &ev), STORE_EVENT_ONLY);
	}
	assert_false(is_active(st, "forged@example.com", T0 + 10));
	h = history_of(st, "forged@example.com");
	assert_int_equal(h.n, 5);
	assert_string_equal(h.source[0], "inbound");
	store_close(st);
}

static void test_other_classes_are_events_only_however_often_they_repeat(void **state)
{
	static const enum bt_class never[] = {BT_CLASS_SENDER_ISSUE, BT_CLASS_TRANSIENT,
	                                      BT_CLASS_UNCLASSIFIED};
	struct store *st = open_rw();

	(void)state;
	for (size_t c = 0; c < sizeof(never) / sizeof(never[0]); c++) {
		for (int i = 0; i < 6; i++) {
			assert_int_equal(record_at(st, "lead@example.com",
			                           i % 2 ? "failed" : "delayed", never[c], T0 + i),
			                 STORE_EVENT_ONLY);
		}
	}
	assert_false(is_active(st, "lead@example.com", T0 + 10));
	assert_int_equal(history_of(st, "lead@example.com").n, 18);
	store_close(st);
}

static void test_delivered_and_withheld_events_never_suppress(void **state)
{
	struct store *st = open_rw();

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(
		    record_at(st, "x@example.com", "delivered", BT_CLASS_RECIPIENT_POLICY, T0 + i),
		    STORE_EVENT_ONLY);
		assert_int_equal(record_at(st, "x@example.com", "withheld",
		                           BT_CLASS_RECIPIENT_TRANSIENT, T0 + i),
		                 STORE_EVENT_ONLY);
	}
	assert_false(is_active(st, "x@example.com", T0 + 10));
	store_close(st);
}

static void test_a_result_without_a_recipient_is_an_event_only(void **state)
{
	struct store *st = open_rw();
	struct store_event ev = result(NULL, "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	struct store_stats stats;

	(void)state;
	assert_int_equal(record1(st, &ev), STORE_EVENT_ONLY);
	assert_int_equal(store_stats(st, T0, &stats), STORE_OK);
	assert_int_equal(stats.events[BT_CLASS_RECIPIENT_POLICY], 1);
	assert_int_equal(stats.active[BT_CLASS_RECIPIENT_POLICY], 0);
	store_close(st);
}

static void test_another_hit_renews_an_active_suppression_with_the_latest_details(void **state)
{
	struct store *st = open_rw();
	struct store_event ev = result("kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	struct suppression s;

	(void)state;
	assert_int_equal(record1(st, &ev), STORE_SUPPRESSED);
	ev.when = T0 + 10 * DAY;
	ev.diagnostic = "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized";
	ev.rule = "exchange-5.7.129";
	ev.reason = "restricted-group";
	ev.remote_mta = "mx2.example.com";
	assert_int_equal(record1(st, &ev), STORE_RENEWED);
	assert_int_equal(store_lookup(st, "kiji@example.com", T0 + 10 * DAY, &s), STORE_OK);
	assert_int_equal(s.hits, 2);
	assert_int_equal(s.first_seen, T0);
	assert_int_equal(s.last_seen, T0 + 10 * DAY);
	assert_int_equal(s.expires, T0 + 10 * DAY + 180 * DAY);
	assert_string_equal(s.diagnostic, "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized");
	assert_string_equal(s.rule, "exchange-5.7.129");
	assert_string_equal(s.reason, "restricted-group");
	assert_string_equal(s.tag, "restricted-group");
	assert_string_equal(s.remote_mta, "mx2.example.com");
	suppression_free(&s);
	store_close(st);
}

static void test_postmaster_copy_with_the_same_dedup_key_is_a_duplicate(void **state)
{
	struct store *st = open_rw();
	struct store_event evs[2];
	enum store_outcome oc[2];
	struct suppression s;

	(void)state;
	evs[0] = result("kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	evs[0].dedup_key = "4ABCD1234/kiji@example.com";
	evs[1] = evs[0]; /* the postmaster copy, in the same call */
	evs[1].when = T0 + 1;
	assert_int_equal(store_record(st, evs, 2, &pol, oc), STORE_OK);
	assert_int_equal(oc[0], STORE_SUPPRESSED);
	assert_int_equal(oc[1], STORE_DUPLICATE);
	/* and the DSN retried after a tempfail, in a later call */
	evs[0].when = T0 + 60;
	assert_int_equal(record1(st, &evs[0]), STORE_DUPLICATE);
	assert_int_equal(store_lookup(st, "kiji@example.com", T0 + 60, &s), STORE_OK);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.last_seen, T0);
	suppression_free(&s);
	assert_int_equal(history_of(st, "kiji@example.com").n, 1);
	store_close(st);
}

static void test_duplicate_transient_results_do_not_reach_the_threshold(void **state)
{
	struct store *st = open_rw();
	struct store_event ev =
	    result("full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0);

	(void)state;
	ev.dedup_key = "Q1/full@example.com";
	for (int i = 0; i < 5; i++) {
		ev.when = T0 + i;
		assert_int_equal(record1(st, &ev), i == 0 ? STORE_EVENT_ONLY : STORE_DUPLICATE);
	}
	assert_false(is_active(st, "full@example.com", T0 + 10));
	store_close(st);
}

static void test_events_without_dedup_key_are_never_duplicates(void **state)
{
	struct store *st = open_rw();

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    record_at(st, "a@example.com", "failed", BT_CLASS_SENDER_ISSUE, T0),
		    STORE_EVENT_ONLY);
	assert_int_equal(history_of(st, "a@example.com").n, 3);
	store_close(st);
}

/* ---- the transient threshold ---- */

static void test_recipient_transient_suppresses_at_the_threshold_within_the_window(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0),
	    STORE_EVENT_ONLY);
	assert_int_equal(record_at(st, "full@example.com", "delayed", BT_CLASS_RECIPIENT_TRANSIENT,
	                           T0 + 2 * DAY),
	                 STORE_EVENT_ONLY);
	assert_false(is_active(st, "full@example.com", T0 + 2 * DAY));
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 6 * DAY),
	    STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "full@example.com", T0 + 6 * DAY, &s), STORE_OK);
	assert_int_equal(s.cls, BT_CLASS_RECIPIENT_TRANSIENT);
	assert_int_equal(s.hits, 3);
	assert_int_equal(s.expires, T0 + 6 * DAY + 30 * DAY);
	suppression_free(&s);
	store_close(st);
}

static void test_transient_results_older_than_the_window_do_not_count(void **state)
{
	struct store *st = open_rw();

	(void)state;
	record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0);
	record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 1 * DAY);
	/* T0 is exactly one window before this one: out of the window */
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 7 * DAY),
	    STORE_EVENT_ONLY);
	assert_false(is_active(st, "full@example.com", T0 + 7 * DAY));
	/* three within the window again: T0+1d, T0+7d, T0+7d+1h */
	assert_int_equal(record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT,
	                           T0 + 7 * DAY + 3600),
	                 STORE_SUPPRESSED);
	store_close(st);
}

static void test_threshold_and_window_come_from_the_policy(void **state)
{
	struct store *st = open_rw();

	(void)state;
	pol.transient_threshold = 2;
	pol.transient_window = 3600;
	record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0);
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 3600),
	    STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 3601),
	    STORE_SUPPRESSED);
	store_close(st);
}

static void test_untrusted_transient_results_do_not_count_toward_the_threshold(void **state)
{
	struct store *st = open_rw();
	struct store_event ev =
	    result("full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0);

	(void)state;
	ev.trusted = 0;
	for (int i = 0; i < 4; i++) {
		ev.when = T0 + i;
		assert_int_equal(record1(st, &ev), STORE_EVENT_ONLY);
	}
	ev.trusted = 1;
	ev.when = T0 + 5;
	assert_int_equal(record1(st, &ev), STORE_EVENT_ONLY);
	assert_false(is_active(st, "full@example.com", T0 + 6));
	store_close(st);
}

static void test_delayed_recipient_policy_counts_and_suppresses_with_its_own_class(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	assert_int_equal(record_at(st, "wl@example.com", "delayed", BT_CLASS_RECIPIENT_POLICY, T0),
	                 STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "wl@example.com", "delayed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 60),
	    STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "wl@example.com", "delayed", BT_CLASS_RECIPIENT_POLICY, T0 + 120),
	    STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "wl@example.com", T0 + 120, &s), STORE_OK);
	assert_int_equal(s.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_int_equal(s.expires, T0 + 120 + 180 * DAY);
	suppression_free(&s);
	store_close(st);
}

static void test_delayed_recipient_invalid_alone_does_not_suppress_at_once(void **state)
{
	struct store *st = open_rw();

	(void)state;
	assert_int_equal(
	    record_at(st, "gone@example.com", "delayed", BT_CLASS_RECIPIENT_INVALID, T0),
	    STORE_EVENT_ONLY);
	assert_false(is_active(st, "gone@example.com", T0));
	store_close(st);
}

static void test_a_release_starts_the_transient_count_afresh(void **state)
{
	struct store *st = open_rw();

	(void)state;
	for (int i = 0; i < 3; i++)
		record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + i);
	assert_true(is_active(st, "full@example.com", T0 + 3));
	assert_int_equal(store_release(st, "full@example.com", "alice", "mailbox emptied", T0 + 10),
	                 STORE_OK);
	/* the three failures before the release are still in the window, but do not count */
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 20),
	    STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 30),
	    STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "full@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 40),
	    STORE_SUPPRESSED);
	store_close(st);
}

static void test_a_hard_failure_does_not_count_toward_the_transient_threshold(void **state)
{
	struct store *st = open_rw();

	(void)state;
	pol.lifetime[BT_CLASS_RECIPIENT_POLICY] = 60;
	assert_int_equal(record_at(st, "wl@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0),
	                 STORE_SUPPRESSED);
	/* expired after a minute; two transient failures are not three */
	assert_int_equal(
	    record_at(st, "wl@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 100),
	    STORE_EVENT_ONLY);
	assert_int_equal(
	    record_at(st, "wl@example.com", "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + 200),
	    STORE_EVENT_ONLY);
	assert_false(is_active(st, "wl@example.com", T0 + 200));
	store_close(st);
}

static void test_counting_is_per_recipient(void **state)
{
	struct store *st = open_rw();
	char rcpt[64];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@example.com", i % 3);
		assert_int_equal(
		    record_at(st, rcpt, "failed", BT_CLASS_RECIPIENT_TRANSIENT, T0 + i),
		    STORE_EVENT_ONLY);
	}
	store_close(st);
}

/* ---- expiry ---- */

static void test_an_expired_suppression_is_missed_by_lookup_but_kept(void **state)
{
	struct store *st = open_rw();
	struct suppression s;
	time_t exp = T0 + 180 * DAY;

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_true(is_active(st, "kiji@example.com", exp - 1));
	assert_false(is_active(st, "kiji@example.com", exp));
	assert_false(is_active(st, "kiji@example.com", exp + DAY));
	assert_int_equal(store_get(st, "kiji@example.com", &s), STORE_OK);
	assert_int_equal(s.expires, exp);
	suppression_free(&s);
	store_close(st);
}

static void test_a_failure_after_expiry_starts_a_new_suppression(void **state)
{
	struct store *st = open_rw();
	struct suppression s;
	time_t later = T0 + 200 * DAY;

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_int_equal(
	    record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, later),
	    STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "kiji@example.com", later, &s), STORE_OK);
	assert_int_equal(s.first_seen, later);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.expires, later + 180 * DAY);
	suppression_free(&s);
	store_close(st);
}

static void test_a_class_with_lifetime_zero_never_expires(void **state)
{
	struct store *st = open_rw();

	(void)state;
	pol.lifetime[BT_CLASS_RECIPIENT_INVALID] = 0;
	record_at(st, "gone@example.com", "failed", BT_CLASS_RECIPIENT_INVALID, T0);
	assert_true(is_active(st, "gone@example.com", T0 + 3650 * DAY));
	store_close(st);
}

/* ---- release and manual additions ---- */

static void test_release_records_who_why_and_when_and_lookup_misses(void **state)
{
	struct store *st = open_rw();
	struct suppression s;
	struct hist h;

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_int_equal(store_release(st, "kiji@example.com", "alice",
	                               "they whitelisted us (ticket 42)", T0 + DAY),
	                 STORE_OK);
	assert_false(is_active(st, "kiji@example.com", T0 + DAY));
	assert_int_equal(store_get(st, "kiji@example.com", &s), STORE_OK);
	assert_int_equal(s.released_at, T0 + DAY);
	assert_string_equal(s.released_by, "alice");
	assert_string_equal(s.release_why, "they whitelisted us (ticket 42)");
	assert_string_equal(s.tag, "requires-whitelist"); /* the record stays */
	suppression_free(&s);
	h = history_of(st, "kiji@example.com");
	assert_int_equal(h.n, 2);
	assert_string_equal(h.action[1], "released");
	assert_string_equal(h.source[1], "cli");
	assert_int_equal(h.when[1], T0 + DAY);
	assert_non_null(strstr(h.diag[1], "alice"));
	assert_non_null(strstr(h.diag[1], "ticket 42"));
	store_close(st);
}

static void test_release_of_an_address_without_active_suppression_is_notfound(void **state)
{
	struct store *st = open_rw();

	(void)state;
	assert_int_equal(store_release(st, "nobody@example.com", "alice", "x", T0), STORE_NOTFOUND);
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_int_equal(store_release(st, "kiji@example.com", "alice", "x", T0 + 1), STORE_OK);
	assert_int_equal(store_release(st, "kiji@example.com", "bob", "again", T0 + 2),
	                 STORE_NOTFOUND);
	/* expired is not active either */
	record_at(st, "old@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_int_equal(store_release(st, "old@example.com", "bob", "x", T0 + 181 * DAY),
	                 STORE_NOTFOUND);
	assert_int_equal(history_of(st, "nobody@example.com").n, 0);
	assert_int_equal(history_of(st, "kiji@example.com").n, 2);
	store_close(st);
}

static void test_a_trusted_failure_after_release_suppresses_again(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	store_release(st, "kiji@example.com", "alice", "whitelisted", T0 + DAY);
	assert_int_equal(
	    record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0 + 2 * DAY),
	    STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "kiji@example.com", T0 + 2 * DAY, &s), STORE_OK);
	assert_int_equal(s.released_at, 0);
	assert_null(s.released_by);
	assert_null(s.release_why);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.first_seen, T0 + 2 * DAY);
	suppression_free(&s);
	assert_int_equal(history_of(st, "kiji@example.com").n, 3);
	store_close(st);
}

static void test_an_untrusted_failure_after_release_does_not_suppress_again(void **state)
{
	struct store *st = open_rw();
	struct store_event ev = result("kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);

	(void)state;
	record1(st, &ev);
	store_release(st, "kiji@example.com", "alice", "whitelisted", T0 + DAY);
	ev.trusted = 0;
	ev.when = T0 + 2 * DAY;
	assert_int_equal(record1(st, &ev), STORE_EVENT_ONLY);
	assert_false(is_active(st, "kiji@example.com", T0 + 2 * DAY));
	store_close(st);
}

static void test_manual_add_suppresses_and_logs_an_added_event(void **state)
{
	struct store *st = open_rw();
	struct suppression s;
	struct hist h;

	(void)state;
	assert_int_equal(store_add(st, "ceo@example.net", "asked-not-to-mail",
	                           BT_CLASS_RECIPIENT_POLICY, "opt-out by phone", "alice", 0, T0),
	                 STORE_OK);
	assert_int_equal(store_lookup(st, "ceo@example.net", T0 + 3650 * DAY, &s), STORE_OK);
	assert_string_equal(s.tag, "asked-not-to-mail");
	assert_string_equal(s.reason, "opt-out by phone");
	assert_string_equal(s.source, "cli");
	assert_int_equal(s.cls, BT_CLASS_RECIPIENT_POLICY);
	assert_int_equal(s.expires, 0);
	assert_int_equal(s.first_seen, T0);
	suppression_free(&s);
	h = history_of(st, "ceo@example.net");
	assert_int_equal(h.n, 1);
	assert_string_equal(h.action[0], "added");
	assert_string_equal(h.source[0], "cli");
	assert_non_null(strstr(h.diag[0], "alice"));
	store_close(st);
}

static void test_manual_add_with_an_expiry_expires(void **state)
{
	struct store *st = open_rw();

	(void)state;
	assert_int_equal(store_add(st, "tmp@example.net", "holiday", BT_CLASS_RECIPIENT_TRANSIENT,
	                           NULL, "bob", T0 + DAY, T0),
	                 STORE_OK);
	assert_true(is_active(st, "tmp@example.net", T0 + DAY - 1));
	assert_false(is_active(st, "tmp@example.net", T0 + DAY));
	store_close(st);
}

static void test_a_learned_hit_keeps_the_operator_tag_of_a_manual_suppression(void **state)
{
	struct store *st = open_rw();
	struct suppression s;

	(void)state;
	store_add(st, "ceo@example.net", "vip-do-not-mail", BT_CLASS_RECIPIENT_POLICY, NULL,
	          "alice", 0, T0);
	assert_int_equal(
	    record_at(st, "ceo@example.net", "failed", BT_CLASS_RECIPIENT_POLICY, T0 + DAY),
	    STORE_RENEWED);
	assert_int_equal(store_lookup(st, "ceo@example.net", T0 + 1000 * DAY, &s), STORE_OK);
	assert_string_equal(s.tag, "vip-do-not-mail");
	assert_string_equal(s.source, "cli");
	assert_int_equal(s.expires, 0); /* "never" is not shortened */
	assert_int_equal(s.hits, 2);
	assert_string_equal(s.reason, "requires-whitelist");
	suppression_free(&s);
	store_close(st);
}

/* ---- atomicity ---- */

static void test_record_writes_a_batch_all_or_nothing(void **state)
{
	struct store *st = open_rw();
	struct store_event evs[3];
	enum store_outcome oc[3];

	(void)state;
	evs[0] = result("a@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	evs[1] = result("b@example.com", "failed", BT_CLASS_SENDER_ISSUE, T0);
	evs[2] = result("c@example.com", "failed", BT_CLASS_RECIPIENT_INVALID, T0);
	evs[1].action = NULL; /* an invalid event makes the whole call fail */
	assert_int_equal(store_record(st, evs, 3, &pol, oc), STORE_ERR);
	assert_non_null(strstr(store_error(st), dbpath));
	assert_false(is_active(st, "a@example.com", T0));
	assert_int_equal(history_of(st, "a@example.com").n, 0);

	evs[1].action = "failed";
	assert_int_equal(store_record(st, evs, 3, &pol, oc), STORE_OK);
	assert_int_equal(oc[0], STORE_SUPPRESSED);
	assert_int_equal(oc[1], STORE_EVENT_ONLY);
	assert_int_equal(oc[2], STORE_SUPPRESSED);
	assert_true(is_active(st, "a@example.com", T0));
	assert_true(is_active(st, "c@example.com", T0));
	store_close(st);
}

static void test_a_recorded_result_survives_closing_and_reopening(void **state)
{
	struct store *st = open_rw();

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	store_close(st);
	st = open_rw();
	assert_true(is_active(st, "kiji@example.com", T0));
	assert_int_equal(history_of(st, "kiji@example.com").n, 1);
	store_close(st);
}

static void test_history_is_oldest_first(void **state)
{
	struct store *st = open_rw();
	struct hist h;

	(void)state;
	record_at(st, "a@example.com", "delayed", BT_CLASS_TRANSIENT, T0 + 300);
	record_at(st, "a@example.com", "delayed", BT_CLASS_TRANSIENT, T0 + 100);
	record_at(st, "a@example.com", "failed", BT_CLASS_TRANSIENT, T0 + 200);
	h = history_of(st, "a@example.com");
	assert_int_equal(h.n, 3);
	assert_true(h.ordered);
	assert_int_equal(h.when[0], T0 + 100);
	assert_int_equal(h.when[2], T0 + 300);
	store_close(st);
}

/* ---- hostile input ---- */

static void test_hostile_addresses_are_stored_and_found_exactly(void **state)
{
	char longaddr[301], junk[256], near[320];
	const char *addrs[] = {
	    "o'brien@example.com",
	    "\"quoted;local\"@example.com",
	    "'; DROP TABLE suppressions; --",
	    "x'); DELETE FROM events; --@example.com",
	    "%s%n%%_*?@example.com",
	    longaddr,
	    junk,
	};
	size_t n = sizeof(addrs) / sizeof(addrs[0]);
	struct store *st = open_rw();
	struct suppression s;
	struct store_stats stats;

	(void)state;
	memset(longaddr, 'a', 288);
	memcpy(longaddr + 288, "@example.com", 13);
	assert_int_equal(strlen(longaddr), 300);
	for (int i = 0; i < 255; i++)
		junk[i] = (char)(i + 1); /* every byte but NUL */
	junk[255] = 0;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(record_at(st, addrs[i], "failed", BT_CLASS_RECIPIENT_POLICY, T0),
		                 STORE_SUPPRESSED);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(store_lookup(st, addrs[i], T0, &s), STORE_OK);
		assert_int_equal(strlen(s.recipient), strlen(addrs[i]));
		assert_memory_equal(s.recipient, addrs[i], strlen(addrs[i]));
		suppression_free(&s);
		assert_int_equal(history_of(st, addrs[i]).n, 1);
		/* one byte different is another address */
		snprintf(near, sizeof(near), "%s", addrs[i]);
		near[0] = near[0] == 'z' ? 'y' : 'z';
		assert_false(is_active(st, near, T0));
	}
	assert_int_equal(store_stats(st, T0, &stats), STORE_OK);
	assert_int_equal(stats.active[BT_CLASS_RECIPIENT_POLICY], (long)n);
	assert_int_equal(stats.events[BT_CLASS_RECIPIENT_POLICY], (long)n);
	assert_int_equal(store_release(st, "'; DROP TABLE suppressions; --", "o'hara; --", "'", T0),
	                 STORE_OK);
	assert_int_equal(store_get(st, "'; DROP TABLE suppressions; --", &s), STORE_OK);
	assert_string_equal(s.released_by, "o'hara; --");
	assert_string_equal(s.release_why, "'");
	suppression_free(&s);
	store_close(st);
}

static void test_an_overlong_diagnostic_is_bounded(void **state)
{
	struct store *st = open_rw();
	struct store_event ev = result("a@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	char *big = malloc(100001);
	struct suppression s;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 100000);
	big[100000] = 0;
	ev.diagnostic = big;
	assert_int_equal(record1(st, &ev), STORE_SUPPRESSED);
	assert_int_equal(store_lookup(st, "a@example.com", T0, &s), STORE_OK);
	assert_true(strlen(s.diagnostic) > 0 && strlen(s.diagnostic) < 100000);
	assert_memory_equal(s.diagnostic, big, strlen(s.diagnostic));
	suppression_free(&s);
	free(big);
	store_close(st);
}

static void test_an_address_too_long_to_be_normalised_is_refused(void **state)
{
	struct store *st = open_rw();
	char addr[400];
	struct store_event ev;

	(void)state;
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = 0;
	addr[10] = '@';
	ev = result(addr, "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	assert_int_equal(store_record(st, &ev, 1, &pol, NULL), STORE_ERR);
	assert_non_null(strstr(store_error(st), "recipient longer than"));
	assert_int_equal(store_add(st, addr, "t", BT_CLASS_RECIPIENT_POLICY, NULL, "a", 0, T0),
	                 STORE_ERR);
	assert_false(is_active(st, addr, T0));
	store_close(st);
}

/* ---- opening ---- */

static void test_readonly_open_of_a_missing_file_fails_naming_it(void **state)
{
	char err[512];
	struct store *st = (struct store *)1;

	(void)state;
	assert_int_equal(store_open(dbpath, STORE_READONLY, &st, err, sizeof(err)), STORE_ERR);
	assert_null(st);
	assert_non_null(strstr(err, dbpath));
	assert_int_equal(access(dbpath, F_OK), -1); /* and did not create it */
}

static void test_readonly_handle_reads_but_refuses_writes(void **state)
{
	struct store *rw = open_rw(), *ro = NULL;
	struct store_event ev = result("a@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	char err[512];

	(void)state;
	record1(rw, &ev);
	assert_int_equal(store_open(dbpath, STORE_READONLY, &ro, err, sizeof(err)), STORE_OK);
	assert_true(is_active(ro, "a@example.com", T0));
	assert_int_equal(store_record(ro, &ev, 1, &pol, NULL), STORE_ERR);
	assert_int_equal(store_release(ro, "a@example.com", "x", "y", T0), STORE_ERR);
	assert_int_equal(
	    store_add(ro, "b@example.com", "t", BT_CLASS_RECIPIENT_POLICY, NULL, "x", 0, T0),
	    STORE_ERR);
	assert_true(is_active(rw, "a@example.com", T0));
	store_close(ro);
	store_close(rw);
}

static void test_readonly_open_of_an_empty_database_is_refused(void **state)
{
	char err[512];
	struct store *st = NULL;
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE other (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(store_open(dbpath, STORE_READONLY, &st, err, sizeof(err)), STORE_ERR);
	assert_non_null(strstr(err, dbpath));
	assert_non_null(strstr(err, "no bouncetag schema"));
}

static void test_a_file_that_is_not_a_database_is_refused_naming_it(void **state)
{
	char err[512];
	struct store *st = NULL;
	FILE *fp = fopen(dbpath, "wb");

	(void)state;
	assert_non_null(fp);
	for (int i = 0; i < 4096; i++)
		fputc("garbage\n"[i % 8], fp);
	fclose(fp);
	assert_int_equal(store_open(dbpath, 0, &st, err, sizeof(err)), STORE_ERR);
	assert_null(st);
	assert_non_null(strstr(err, dbpath));
	assert_non_null(strstr(err, "not a database"));
	assert_int_equal(store_open(dbpath, STORE_READONLY, &st, err, sizeof(err)), STORE_ERR);
	assert_non_null(strstr(err, dbpath));
}

static void test_a_schema_newer_than_the_code_is_refused(void **state)
{
	struct store *st = open_rw();
	char err[512];
	sqlite3 *db;

	(void)state;
	store_close(st);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = NULL;
	assert_int_equal(store_open(dbpath, 0, &st, err, sizeof(err)), STORE_ERR);
	assert_null(st);
	assert_non_null(strstr(err, dbpath));
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(store_open(dbpath, STORE_READONLY, &st, err, sizeof(err)), STORE_ERR);
	assert_non_null(strstr(err, "newer"));
}

static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void test_a_new_database_is_wal_with_schema_version_2(void **state)
{
	struct store *st = open_rw();
	sqlite3 *db;
	sqlite3_stmt *s;

	(void)state;
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	/* the window count is served by an index, not a table scan */
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "EXPLAIN QUERY PLAN SELECT count(*) FROM events"
	                                    " WHERE recipient = 'a' AND time > 1 AND time <= 2",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_non_null(strstr((const char *)sqlite3_column_text(s, 3), "events_recipient_time"));
	sqlite3_finalize(s);
	sqlite3_close(db);
	store_close(st);
}

static void test_sqlite_prefix_and_plain_path_open_the_same_file(void **state)
{
	char spec[PATH_MAX + 80], err[512];
	struct store *a = open_rw(), *b = NULL;

	(void)state;
	record_at(a, "a@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	snprintf(spec, sizeof(spec), "sqlite:%s", dbpath);
	assert_int_equal(store_open(spec, 0, &b, err, sizeof(err)), STORE_OK);
	assert_string_equal(store_name(b), spec);
	assert_true(is_active(b, "a@example.com", T0));
	store_close(b);
	store_close(a);
}

static void test_postgresql_specs_are_refused_without_showing_the_password(void **state)
{
	static const char *specs[] = {
	    "pgsql:host=db.example.com dbname=bt password=s3cret",
	    "pgsql:host=db password='s3cret with space' user=bt",
	    "postgresql://bt:s3cret@db.example.com/bt",
	    "postgres://bt@db/bt?password=s3cret&sslmode=require",
	};
	char err[512];
	struct store *st = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		assert_int_equal(store_open(specs[i], 0, &st, err, sizeof(err)), STORE_ERR);
		assert_null(st);
		assert_non_null(strstr(err, "PostgreSQL backend not built yet"));
		assert_null(strstr(err, "s3cret"));
		assert_non_null(strstr(err, "db"));
	}
}

static void test_unknown_scheme_and_empty_spec_are_refused(void **state)
{
	char err[512];
	struct store *st = NULL;

	(void)state;
	assert_int_equal(store_open("mysql:host=x", 0, &st, err, sizeof(err)), STORE_ERR);
	assert_non_null(strstr(err, "unknown database type"));
	assert_int_equal(store_open("", 0, &st, err, sizeof(err)), STORE_ERR);
	assert_int_equal(store_open("sqlite:", 0, &st, err, sizeof(err)), STORE_ERR);
	assert_null(st);
}

static void test_default_policy_has_the_documented_lifetimes(void **state)
{
	struct store_policy p;

	(void)state;
	memset(&p, 0x55, sizeof(p));
	store_policy_default(&p);
	assert_int_equal(p.lifetime[BT_CLASS_RECIPIENT_POLICY], 180 * DAY);
	assert_int_equal(p.lifetime[BT_CLASS_RECIPIENT_INVALID], 365 * DAY);
	assert_int_equal(p.lifetime[BT_CLASS_RECIPIENT_TRANSIENT], 30 * DAY);
	assert_int_equal(p.lifetime[BT_CLASS_SENDER_ISSUE], 0);
	assert_int_equal(p.lifetime[BT_CLASS_TRANSIENT], 0);
	assert_int_equal(p.lifetime[BT_CLASS_UNCLASSIFIED], 0);
	assert_int_equal(p.transient_threshold, 3);
	assert_int_equal(p.transient_window, 7 * DAY);
}

/* ---- the Postfix sqlite: lookup query documented in store_sqlite.c ---- */

/* The "query = " line of the comment, as an operator would paste it. */
static char *postfix_query_from_source(void)
{
	char path[PATH_MAX], *src, *line, *end, *q;
	const char *suffix = "/tests/fixtures";
	size_t root = strlen(FIXTURES) - strlen(suffix);
	FILE *fp;
	long n;

	assert_true(strlen(FIXTURES) > strlen(suffix));
	assert_string_equal(&FIXTURES[root], suffix);
	snprintf(path, sizeof(path), "%.*s/common/store_sqlite.c", (int)root, FIXTURES);
	assert_non_null(fp = fopen(path, "rb"));
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	src = calloc(1, (size_t)n + 1);
	assert_non_null(src);
	assert_int_equal(fread(src, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	assert_non_null(line = strstr(src, " *\tquery = "));
	assert_null(strstr(line + 1, " *\tquery = ")); /* exactly one */
	line += strlen(" *\tquery = ");
	end = strchr(line, '\n');
	assert_non_null(end);
	q = strndup(line, (size_t)(end - line));
	free(src);
	return q;
}

/* Postfix's expansion: '%s' is the quoted key (bound here), %% is %. */
static char *postfix_expand(const char *q)
{
	char *out = calloc(1, strlen(q) + 1), *o = out;

	assert_non_null(out);
	while (*q) {
		if (strncmp(q, "'%s'", 4) == 0) {
			*o++ = '?';
			q += 4;
		} else if (strncmp(q, "%%", 2) == 0) {
			*o++ = '%';
			q += 2;
		} else {
			assert_true(*q != '%'); /* no other expansion is used */
			*o++ = *q++;
		}
	}
	return out;
}

/* What Postfix would answer for addr: the result text, or NULL for no match. */
static char *postfix_lookup(const char *sql, const char *addr)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	char *res = NULL;
	int rc;

	assert_int_equal(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_bind_parameter_count(s), 1);
	assert_int_equal(sqlite3_bind_text(s, 1, addr, -1, SQLITE_STATIC), SQLITE_OK);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		res = strdup((const char *)sqlite3_column_text(s, 0));
		assert_int_equal(sqlite3_step(s), SQLITE_DONE); /* one row at most */
	} else {
		assert_int_equal(rc, SQLITE_DONE);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return res;
}

static void test_the_documented_postfix_sqlite_query_finds_only_active_rows(void **state)
{
	struct store *st = open_rw();
	char *q = postfix_query_from_source(), *sql = postfix_expand(q), *res;
	time_t now = time(NULL);

	(void)state;
	record_at(st, "kiji@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, now - 60);
	record_at(st, "old@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, now - 200 * DAY);
	record_at(st, "rel@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, now - 60);
	store_release(st, "rel@example.com", "alice", "whitelisted", now - 30);
	store_add(st, "o'neil@example.com", "manual", BT_CLASS_RECIPIENT_POLICY, NULL, "bob", 0,
	          now);
	res = postfix_lookup(sql, "kiji@example.com");
	assert_non_null(res);
	assert_true(strncmp(res, "550 5.7.1 ", 10) == 0);
	assert_non_null(strstr(res, "requires-whitelist"));
	free(res);
	res = postfix_lookup(sql, "o'neil@example.com");
	assert_non_null(res);
	assert_non_null(strstr(res, "(manual)"));
	free(res);
	assert_null(postfix_lookup(sql, "old@example.com"));
	assert_null(postfix_lookup(sql, "rel@example.com"));
	assert_null(postfix_lookup(sql, "unknown@example.com"));
	free(sql);
	free(q);
	store_close(st);
}

/* ---- list, stats, top domains ---- */

struct seen {
	int n;
	char rcpt[16][64];
};

static int seen_cb(void *ctx, const struct suppression *s)
{
	struct seen *sn = ctx;

	if (sn->n < 16)
		snprintf(sn->rcpt[sn->n], sizeof(sn->rcpt[0]), "%s", s->recipient);
	sn->n++;
	return 0;
}

static struct seen list_of(struct store *st, const struct store_filter *f)
{
	struct seen sn;

	memset(&sn, 0, sizeof(sn));
	assert_int_equal(store_list(st, f, seen_cb, &sn), STORE_OK);
	return sn;
}

/* a: policy at T0; b: invalid at T0+1d; c: policy other domain at T0+2d (released);
 * d: transient-suppressed at T0+3d (by hand, tag holiday, expires T0+4d). */
static void fill_for_list(struct store *st)
{
	record_at(st, "a@one.example", "failed", BT_CLASS_RECIPIENT_POLICY, T0);
	record_at(st, "b@one.example", "failed", BT_CLASS_RECIPIENT_INVALID, T0 + DAY);
	record_at(st, "c@two.example", "failed", BT_CLASS_RECIPIENT_POLICY, T0 + 2 * DAY);
	store_release(st, "c@two.example", "alice", "ok", T0 + 2 * DAY + 1);
	store_add(st, "d@two.example", "holiday", BT_CLASS_RECIPIENT_TRANSIENT, NULL, "bob",
	          T0 + 4 * DAY, T0 + 3 * DAY);
}

static void test_list_filters_by_tag_class_domain_since_and_activity(void **state)
{
	struct store *st = open_rw();
	struct store_filter f = {.cls = -1, .now = T0 + 3 * DAY};
	struct seen sn;

	(void)state;
	fill_for_list(st);
	sn = list_of(st, &f); /* active only, newest first */
	assert_int_equal(sn.n, 3);
	assert_string_equal(sn.rcpt[0], "d@two.example");
	assert_string_equal(sn.rcpt[1], "b@one.example");
	assert_string_equal(sn.rcpt[2], "a@one.example");
	f.include_inactive = 1;
	assert_int_equal(list_of(st, &f).n, 4);
	f.include_inactive = 0;
	f.now = T0 + 5 * DAY; /* d has expired */
	assert_int_equal(list_of(st, &f).n, 2);
	f.now = T0 + 3 * DAY;

	f.tag = "holiday";
	sn = list_of(st, &f);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.rcpt[0], "d@two.example");
	f.tag = NULL;

	f.cls = BT_CLASS_RECIPIENT_POLICY;
	sn = list_of(st, &f);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.rcpt[0], "a@one.example");
	f.include_inactive = 1;
	assert_int_equal(list_of(st, &f).n, 2);
	f.cls = -1;
	f.include_inactive = 0;

	f.domain = "two.example";
	sn = list_of(st, &f);
	assert_int_equal(sn.n, 1);
	assert_string_equal(sn.rcpt[0], "d@two.example");
	f.domain = NULL;

	f.since = T0 + DAY;
	sn = list_of(st, &f);
	assert_int_equal(sn.n, 2);
	assert_string_equal(sn.rcpt[1], "b@one.example");
	store_close(st);
}

static int stop_after_one(void *ctx, const struct suppression *s)
{
	(void)s;
	(*(int *)ctx)++;
	return 7;
}

static void test_a_list_callback_can_stop_the_scan_with_its_value(void **state)
{
	struct store *st = open_rw();
	struct store_filter f = {.cls = -1, .now = T0, .include_inactive = 1};
	int calls = 0;

	(void)state;
	fill_for_list(st);
	assert_int_equal(store_list(st, &f, stop_after_one, &calls), 7);
	assert_int_equal(calls, 1);
	/* the handle is usable afterwards */
	assert_int_equal(list_of(st, &f).n, 4);
	store_close(st);
}

static void test_stats_count_suppressions_by_state_and_events_by_class(void **state)
{
	struct store *st = open_rw();
	struct store_event ev = result("s@three.example", "failed", BT_CLASS_SENDER_ISSUE, T0);
	struct store_stats s;

	(void)state;
	fill_for_list(st); /* 3 policy/invalid failures, 1 released, 1 added */
	ev.trusted = 0;
	record1(st, &ev); /* an untrusted sender-issue result */
	ev.action = "withheld";
	ev.cls = BT_CLASS_RECIPIENT_POLICY;
	ev.trusted = 1;
	record1(st, &ev);
	record1(st, &ev);
	assert_int_equal(store_stats(st, T0 + 5 * DAY, &s), STORE_OK);
	assert_int_equal(s.active[BT_CLASS_RECIPIENT_POLICY], 1);
	assert_int_equal(s.active[BT_CLASS_RECIPIENT_INVALID], 1);
	assert_int_equal(s.active[BT_CLASS_RECIPIENT_TRANSIENT], 0);
	assert_int_equal(s.expired, 1); /* d, added with an expiry */
	assert_int_equal(s.released, 1);
	assert_int_equal(s.events[BT_CLASS_RECIPIENT_POLICY], 2); /* not release, add, withheld */
	assert_int_equal(s.events[BT_CLASS_RECIPIENT_INVALID], 1);
	assert_int_equal(s.events[BT_CLASS_SENDER_ISSUE], 1);
	assert_int_equal(s.events[BT_CLASS_RECIPIENT_TRANSIENT], 0);
	assert_int_equal(s.events_untrusted, 1);
	assert_int_equal(s.withheld, 2);
	store_close(st);
}

struct tops {
	int n;
	char domain[8][32];
	long count[8];
};

static int tops_cb(void *ctx, const char *key, long count)
{
	struct tops *t = ctx;

	if (t->n < 8) {
		snprintf(t->domain[t->n], sizeof(t->domain[0]), "%s", key);
		t->count[t->n] = count;
	}
	t->n++;
	return 0;
}

static void test_top_domains_rank_receiving_domains_by_results_of_a_class(void **state)
{
	static const struct {
		const char *rcpt;
		time_t when;
	} evs[] = {
	    {"1@a.example", T0 + 10}, {"2@a.example", T0 + 11}, {"3@a.example", T0 + 12},
	    {"1@c.example", T0 + 13}, {"2@c.example", T0 + 14}, {"1@b.example", T0 + 15},
	    {"2@b.example", T0 - 1}, /* before since */
	};
	struct store *st = open_rw();
	struct store_event ev;
	struct tops t;

	(void)state;
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		record_at(st, evs[i].rcpt, "failed", BT_CLASS_SENDER_ISSUE, evs[i].when);
	record_at(st, "9@b.example", "failed", BT_CLASS_TRANSIENT, T0 + 20); /* other class */
	ev = result("8@b.example", "withheld", BT_CLASS_SENDER_ISSUE, T0 + 20);
	record1(st, &ev); /* not a result */
	record1(st, &ev);
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_top_domains(st, BT_CLASS_SENDER_ISSUE, T0, 10, tops_cb, &t),
	                 STORE_OK);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.domain[0], "a.example");
	assert_int_equal(t.count[0], 3);
	assert_string_equal(t.domain[1], "c.example");
	assert_int_equal(t.count[1], 2);
	assert_string_equal(t.domain[2], "b.example");
	assert_int_equal(t.count[2], 1);
	memset(&t, 0, sizeof(t));
	assert_int_equal(store_top_domains(st, BT_CLASS_SENDER_ISSUE, T0, 1, tops_cb, &t),
	                 STORE_OK);
	assert_int_equal(t.n, 1);
	store_close(st);
}

/* ---- concurrency ---- */

struct interleave {
	struct store *other;
	int calls;
	int write_rc;
};

/* While this handle is in the middle of reading, the other one writes. */
static int write_during_read(void *ctx, const struct suppression *s)
{
	struct interleave *il = ctx;
	struct store_event ev = result("new@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0);

	(void)s;
	if (il->calls++ == 0)
		il->write_rc = store_record(il->other, &ev, 1, &pol, NULL);
	return 0;
}

static void test_two_handles_on_one_file_interleave_writes_and_reads(void **state)
{
	struct store *a = open_rw(), *b = open_rw();
	struct store_filter f = {.cls = -1, .now = T0, .include_inactive = 1};
	struct interleave il = {b, 0, 99};
	struct suppression s;

	(void)state;
	assert_int_equal(record_at(a, "x@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0),
	                 STORE_SUPPRESSED);
	assert_true(is_active(b, "x@example.com", T0)); /* b sees a's commit */
	assert_int_equal(record_at(b, "x@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0 + 1),
	                 STORE_RENEWED);
	assert_int_equal(store_lookup(a, "x@example.com", T0 + 1, &s), STORE_OK);
	assert_int_equal(s.hits, 2);
	suppression_free(&s);
	assert_int_equal(store_release(a, "x@example.com", "alice", "ok", T0 + 2), STORE_OK);
	assert_false(is_active(b, "x@example.com", T0 + 2));
	/* a reader in the middle of a scan does not block a writer (WAL) */
	assert_int_equal(store_list(a, &f, write_during_read, &il), STORE_OK);
	assert_int_equal(il.write_rc, STORE_OK);
	assert_int_equal(il.calls, 1); /* a's scan saw its snapshot */
	assert_true(is_active(a, "new@example.com", T0));
	store_close(a);
	store_close(b);
}

#define THREADS 4
#define PER_THREAD 200

struct worker {
	int id;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct store *st = NULL;
	char err[512], rcpt[64], key[64];
	struct store_event ev;

	if (store_open(dbpath, 0, &st, err, sizeof(err)) != STORE_OK) {
		w->failures = PER_THREAD;
		return NULL;
	}
	for (int i = 0; i < PER_THREAD; i++) {
		/* ten shared recipients: renewals contend on the same rows */
		snprintf(rcpt, sizeof(rcpt), "r%d@example.com", i % 10);
		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		ev = result(rcpt, "failed", BT_CLASS_RECIPIENT_POLICY, T0 + i);
		ev.dedup_key = key;
		if (store_record(st, &ev, 1, &pol, NULL) != STORE_OK)
			w->failures++;
	}
	store_close(st);
	return NULL;
}

static long sum_hits(struct store *st)
{
	struct suppression s;
	long total = 0;
	char rcpt[64];

	for (int i = 0; i < 10; i++) {
		snprintf(rcpt, sizeof(rcpt), "r%d@example.com", i);
		assert_int_equal(store_get(st, rcpt, &s), STORE_OK);
		total += s.hits;
		suppression_free(&s);
	}
	return total;
}

static void test_four_threads_with_their_own_handles_lose_no_event(void **state)
{
	pthread_t tid[THREADS];
	struct worker w[THREADS];
	struct store *st = open_rw();
	struct store_stats stats;

	(void)state;
	for (int i = 0; i < THREADS; i++) {
		w[i].id = i;
		w[i].failures = 0;
		assert_int_equal(pthread_create(&tid[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	assert_int_equal(store_stats(st, T0, &stats), STORE_OK);
	assert_int_equal(stats.events[BT_CLASS_RECIPIENT_POLICY], THREADS * PER_THREAD);
	assert_int_equal(stats.active[BT_CLASS_RECIPIENT_POLICY], 10);
	/* every read-modify-write of a row happened under the write lock */
	assert_int_equal(sum_hits(st), THREADS * PER_THREAD);
	store_close(st);
}

static int record_many(const char *prefix, int n)
{
	struct store *st = NULL;
	char err[512], key[64];
	struct store_event ev;
	int failures = 0;

	if (store_open(dbpath, 0, &st, err, sizeof(err)) != STORE_OK)
		return n;
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%s-%d", prefix, i);
		ev = result("r0@example.com", "failed", BT_CLASS_RECIPIENT_POLICY, T0 + i);
		ev.dedup_key = key;
		if (store_record(st, &ev, 1, &pol, NULL) != STORE_OK)
			failures++;
	}
	store_close(st);
	return failures;
}

static void test_two_processes_writing_the_same_row_lose_no_hit(void **state)
{
	struct store *st;
	struct suppression s;
	int status;
	pid_t pid;

	(void)state;
	store_close(open_rw()); /* create the schema before the race */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(record_many("child", 100) == 0 ? 0 : 1);
	assert_int_equal(record_many("parent", 100), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	st = open_rw();
	assert_int_equal(store_get(st, "r0@example.com", &s), STORE_OK);
	assert_int_equal(s.hits, 200);
	suppression_free(&s);
	assert_int_equal(history_of(st, "r0@example.com").n, 200);
	store_close(st);
}

#define T(name) cmocka_unit_test_setup(name, test_setup)

static void test_a_version_1_database_is_upgraded_keeping_its_rows(void **state)
{
	struct store *st = open_rw();
	struct suppression s;
	sqlite3 *db;

	(void)state;
	assert_int_equal(store_add(st, "kept@example.com", "manual", BT_CLASS_RECIPIENT_POLICY,
	                           "manual", "test", 0, 1000),
	                 STORE_OK);
	store_close(st);
	/* make it look like a database written by version 1 of the schema */
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TABLE sent; PRAGMA user_version = 1", NULL, NULL,
	                              NULL),
	                 SQLITE_OK);
	sqlite3_close(db);
	st = open_rw();
	assert_int_equal(store_lookup(st, "kept@example.com", 2000, &s), STORE_OK);
	suppression_free(&s);
	assert_int_equal(store_sent_match(st, "<x@y>", "kept@example.com", 0), STORE_NOTFOUND);
	store_close(st);
	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(pragma_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
}

static void test_sent_mail_matches_by_message_id_recipient_and_window(void **state)
{
	struct store *st = open_rw();
	struct store_sent sent[2] = {
	    {1000, " <m1@sender.example> ", "sales@sender.example", "a@example.com", "Q1",
	     "submission"},
	    {1000, "m1@sender.example", "sales@sender.example", "b@example.com", "Q1", "submission"},
	};

	(void)state;
	assert_int_equal(store_sent_record(st, sent, 2), STORE_OK);
	/* the same id, written with or without brackets and spaces */
	assert_int_equal(store_sent_match(st, "<m1@sender.example>", "a@example.com", 900),
	                 STORE_OK);
	assert_int_equal(store_sent_match(st, "m1@sender.example", "b@example.com", 900), STORE_OK);
	/* a recipient we did not send that message to */
	assert_int_equal(store_sent_match(st, "<m1@sender.example>", "c@example.com", 900),
	                 STORE_NOTFOUND);
	/* a message we never sent */
	assert_int_equal(store_sent_match(st, "<forged@sender.example>", "a@example.com", 900),
	                 STORE_NOTFOUND);
	/* sent before the window: a replayed old bounce does not match */
	assert_int_equal(store_sent_match(st, "<m1@sender.example>", "a@example.com", 1001),
	                 STORE_NOTFOUND);
	/* no id at all never matches */
	assert_int_equal(store_sent_match(st, "  ", "a@example.com", 0), STORE_NOTFOUND);
	assert_int_equal(store_sent_match(st, NULL, "a@example.com", 0), STORE_NOTFOUND);
	store_close(st);
}

static void test_old_sent_rows_are_pruned_in_bounded_steps(void **state)
{
	struct store *st = open_rw();
	struct store_sent sent[5];
	char ids[5][32];
	long removed = 0;

	(void)state;
	for (int i = 0; i < 5; i++) {
		snprintf(ids[i], sizeof(ids[i]), "<m%d@sender.example>", i);
		sent[i] = (struct store_sent){100 + i * 100, ids[i], NULL, "a@example.com", NULL,
		                              "local"};
	}
	assert_int_equal(store_sent_record(st, sent, 5), STORE_OK);
	assert_int_equal(store_sent_prune(st, 450, 2, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(store_sent_prune(st, 450, 2, &removed), STORE_OK);
	assert_int_equal(removed, 2);
	assert_int_equal(store_sent_prune(st, 450, 2, &removed), STORE_OK);
	assert_int_equal(removed, 0);
	assert_int_equal(store_sent_match(st, ids[3], "a@example.com", 0), STORE_NOTFOUND);
	assert_int_equal(store_sent_match(st, ids[4], "a@example.com", 0), STORE_OK);
	store_close(st);
}

static void test_a_handle_knows_when_its_file_was_deleted_or_replaced(void **state)
{
	struct store *st = open_rw();
	char moved[sizeof(dbpath) + 8];

	(void)state;
	assert_int_equal(store_moved(st), 0);
	assert_int_equal(unlink(dbpath), 0);
	assert_int_equal(store_moved(st), 1);
	store_close(st);
	st = open_rw(); /* a new file at the same path */
	assert_int_equal(store_moved(st), 0);
	snprintf(moved, sizeof(moved), "%s.old", dbpath);
	assert_int_equal(rename(dbpath, moved), 0);
	assert_int_equal(store_moved(st), 1);
	store_close(st);
	unlink(moved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_trusted_failed_recipient_policy_suppresses_at_once),
	    T(test_trusted_failed_recipient_invalid_suppresses_for_a_year),
	    T(test_untrusted_failure_is_recorded_but_never_suppresses),
	    T(test_other_classes_are_events_only_however_often_they_repeat),
	    T(test_delivered_and_withheld_events_never_suppress),
	    T(test_a_result_without_a_recipient_is_an_event_only),
	    T(test_another_hit_renews_an_active_suppression_with_the_latest_details),
	    T(test_postmaster_copy_with_the_same_dedup_key_is_a_duplicate),
	    T(test_duplicate_transient_results_do_not_reach_the_threshold),
	    T(test_events_without_dedup_key_are_never_duplicates),
	    T(test_recipient_transient_suppresses_at_the_threshold_within_the_window),
	    T(test_transient_results_older_than_the_window_do_not_count),
	    T(test_threshold_and_window_come_from_the_policy),
	    T(test_untrusted_transient_results_do_not_count_toward_the_threshold),
	    T(test_delayed_recipient_policy_counts_and_suppresses_with_its_own_class),
	    T(test_delayed_recipient_invalid_alone_does_not_suppress_at_once),
	    T(test_a_release_starts_the_transient_count_afresh),
	    T(test_a_hard_failure_does_not_count_toward_the_transient_threshold),
	    T(test_counting_is_per_recipient),
	    T(test_an_expired_suppression_is_missed_by_lookup_but_kept),
	    T(test_a_failure_after_expiry_starts_a_new_suppression),
	    T(test_a_class_with_lifetime_zero_never_expires),
	    T(test_release_records_who_why_and_when_and_lookup_misses),
	    T(test_release_of_an_address_without_active_suppression_is_notfound),
	    T(test_a_trusted_failure_after_release_suppresses_again),
	    T(test_an_untrusted_failure_after_release_does_not_suppress_again),
	    T(test_manual_add_suppresses_and_logs_an_added_event),
	    T(test_manual_add_with_an_expiry_expires),
	    T(test_a_learned_hit_keeps_the_operator_tag_of_a_manual_suppression),
	    T(test_record_writes_a_batch_all_or_nothing),
	    T(test_a_recorded_result_survives_closing_and_reopening),
	    T(test_history_is_oldest_first),
	    T(test_hostile_addresses_are_stored_and_found_exactly),
	    T(test_an_overlong_diagnostic_is_bounded),
	    T(test_an_address_too_long_to_be_normalised_is_refused),
	    T(test_readonly_open_of_a_missing_file_fails_naming_it),
	    T(test_readonly_handle_reads_but_refuses_writes),
	    T(test_readonly_open_of_an_empty_database_is_refused),
	    T(test_a_file_that_is_not_a_database_is_refused_naming_it),
	    T(test_a_schema_newer_than_the_code_is_refused),
	    T(test_a_new_database_is_wal_with_schema_version_2),
	    T(test_a_version_1_database_is_upgraded_keeping_its_rows),
	    T(test_sent_mail_matches_by_message_id_recipient_and_window),
	    T(test_old_sent_rows_are_pruned_in_bounded_steps),
	    T(test_a_handle_knows_when_its_file_was_deleted_or_replaced),
	    T(test_sqlite_prefix_and_plain_path_open_the_same_file),
	    T(test_postgresql_specs_are_refused_without_showing_the_password),
	    T(test_unknown_scheme_and_empty_spec_are_refused),
	    T(test_default_policy_has_the_documented_lifetimes),
	    T(test_the_documented_postfix_sqlite_query_finds_only_active_rows),
	    T(test_list_filters_by_tag_class_domain_since_and_activity),
	    T(test_a_list_callback_can_stop_the_scan_with_its_value),
	    T(test_stats_count_suppressions_by_state_and_events_by_class),
	    T(test_top_domains_rank_receiving_domains_by_results_of_a_class),
	    T(test_two_handles_on_one_file_interleave_writes_and_reads),
	    T(test_four_threads_with_their_own_handles_lose_no_event),
	    T(test_two_processes_writing_the_same_row_lose_no_hit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
