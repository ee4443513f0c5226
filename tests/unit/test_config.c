/*
 * test_config - bouncetag.conf: defaults, every value type, and errors
 * that name the file and line.
 */
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "testutil.h"

static char err[1024];

static struct config *load_ok(const char *name)
{
	char path[4096];
	struct config *cf = NULL;

	snprintf(path, sizeof(path), "%s/config/%s", FIXTURES, name);
	if (config_load(path, &cf, err, sizeof(err)) < 0)
		fail_msg("%s: %s", name, err);
	return cf;
}

static void load_fails(const char *name, const char *expect)
{
	char path[4096];
	struct config *cf = NULL;

	snprintf(path, sizeof(path), "%s/config/%s", FIXTURES, name);
	assert_int_equal(config_load(path, &cf, err, sizeof(err)), -1);
	assert_null(cf);
	if (strstr(err, expect) == NULL)
		fail_msg("%s: error '%s' does not contain '%s'", name, err, expect);
}

static void test_defaults_match_the_documented_values(void **state)
{
	struct config *cf = config_defaults();

	(void)state;
	assert_non_null(cf);
	assert_string_equal(cf->socket, "unix:/run/bouncetag/bouncetag.sock");
	assert_string_equal(cf->database, "/var/lib/bouncetag/bouncetag.db");
	assert_true(config_list_has(&cf->dsn_names, "bouncetag-dsn"));
	assert_true(config_list_has(&cf->submission_names, "submission"));
	assert_true(config_list_has(&cf->local_names, "bouncetag-local"));
	assert_int_equal(cf->policy.lifetime[BT_CLASS_RECIPIENT_POLICY], 180L * 86400);
	assert_int_equal(cf->policy.lifetime[BT_CLASS_RECIPIENT_INVALID], 365L * 86400);
	assert_int_equal(cf->policy.transient_threshold, 3);
	assert_int_equal(cf->store_fail_mode, CONFIG_FAIL_ACCEPT);
	assert_int_equal(cf->max_message_size, 4 * 1024 * 1024);
	assert_int_equal(cf->learn_inbound, 1);
	assert_int_equal(cf->record_sent, 1);
	assert_int_equal(cf->trust_window, 14L * 86400);
	assert_int_equal(cf->max_untrusted, 100);
	config_release(cf);
}

static void test_every_value_type_is_parsed(void **state)
{
	struct config *cf = load_ok("good.conf");

	(void)state;
	assert_string_equal(cf->socket, "inet:8899@127.0.0.1");
	assert_int_equal(cf->socket_mode, 0600);
	assert_int_equal(cf->dsn_names.n, 2);
	assert_true(config_list_has(&cf->dsn_names, "other-dsn"));
	assert_true(config_list_has(&cf->submission_names, "submissions"));
	assert_false(config_list_has(&cf->submission_names, "smtp"));
	assert_int_equal(cf->policy.lifetime[BT_CLASS_RECIPIENT_POLICY], 90L * 86400);
	assert_int_equal(cf->policy.lifetime[BT_CLASS_RECIPIENT_INVALID], 0);
	assert_int_equal(cf->policy.transient_threshold, 5);
	assert_int_equal(cf->policy.transient_window, 36L * 3600);
	assert_int_equal(cf->store_fail_mode, CONFIG_FAIL_TEMPFAIL);
	assert_int_equal(cf->max_message_size, 1024 * 1024);
	assert_int_equal(cf->learn_inbound, 0);
	assert_int_equal(cf->max_untrusted, 7);
	config_release(cf);
}

static void test_relative_database_is_relative_to_the_config_file(void **state)
{
	struct config *cf = load_ok("good.conf");
	char want[4096];

	(void)state;
	snprintf(want, sizeof(want), "%s/config/state/bt.db", FIXTURES);
	assert_string_equal(cf->database, want);
	assert_string_equal(cf->rules_file, "/etc/bouncetag/rules.conf");
	config_release(cf);
}

static void test_unknown_key_names_file_and_line(void **state)
{
	(void)state;
	load_fails("unknown-key.conf", "unknown-key.conf:4: unknown key 'Sockett'");
}

static void test_bad_duration_names_the_key_and_what_was_expected(void **state)
{
	(void)state;
	load_fails("bad-duration.conf", "bad-duration.conf:2: bad value '7 days' for TransientWindow");
}

static void test_a_key_given_twice_is_an_error(void **state)
{
	(void)state;
	load_fails("twice.conf", "twice.conf:2: key 'Socket' is set twice");
}

static void test_bad_enum_and_size_are_errors(void **state)
{
	(void)state;
	load_fails("bad-failmode.conf", ":1: bad value 'reject' for StoreFailMode: expected accept or tempfail");
	load_fails("small-size.conf", ":1: bad value '1K' for MaxMessageSize");
}

static void test_reject_text_must_name_bouncetag(void **state)
{
	(void)state;
	load_fails("reject-text-unmarked.conf", "RejectText must contain the word 'bouncetag'");
}

static void test_missing_file_is_an_error_naming_it(void **state)
{
	struct config *cf;

	(void)state;
	assert_int_equal(config_load("/nonexistent/bt.conf", &cf, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/bt.conf: cannot open"));
}

static void test_duration_size_and_bool_parsers(void **state)
{
	long d;
	size_t s;
	int b;

	(void)state;
	assert_int_equal(config_parse_duration("90", &d), 0);
	assert_int_equal(d, 90);
	assert_int_equal(config_parse_duration("2w", &d), 0);
	assert_int_equal(d, 14L * 86400);
	assert_int_equal(config_parse_duration("15m", &d), 0);
	assert_int_equal(d, 900);
	assert_int_equal(config_parse_duration("-1d", &d), -1);
	assert_int_equal(config_parse_duration("1dd", &d), -1);
	assert_int_equal(config_parse_duration("", &d), -1);
	assert_int_equal(config_parse_duration("99999999999999999999d", &d), -1);
	assert_int_equal(config_parse_size("512K", &s), 0);
	assert_int_equal(s, 512 * 1024);
	assert_int_equal(config_parse_size("2MB", &s), 0);
	assert_int_equal(s, 2 * 1024 * 1024);
	assert_int_equal(config_parse_size("2X", &s), -1);
	assert_int_equal(config_parse_bool("Yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(config_parse_bool("off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(config_parse_bool("maybe", &b), -1);
}

static void test_any_white_space_separates_list_items(void **state)
{
	char path[] = "/tmp/bt-config-test-XXXXXX";
	int fd = mkstemp(path);
	struct config *cf;
	static const char text[] = "SubmissionDaemonName a\fb,c\vd\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	if (config_load(path, &cf, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	unlink(path);
	assert_int_equal(cf->submission_names.n, 4);
	assert_string_equal(cf->submission_names.items[1], "b");
	assert_string_equal(cf->submission_names.items[3], "d");
	config_release(cf);
}

static void test_the_shipped_config_loads(void **state)
{
	char path[4096];
	struct config *cf;

	(void)state;
	snprintf(path, sizeof(path), "%s/../../conf/bouncetag.conf", FIXTURES);
	if (config_load(path, &cf, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_non_null(strstr(cf->rules_file, "conf/rules.conf"));
	config_release(cf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_match_the_documented_values),
		cmocka_unit_test(test_every_value_type_is_parsed),
		cmocka_unit_test(test_relative_database_is_relative_to_the_config_file),
		cmocka_unit_test(test_unknown_key_names_file_and_line),
		cmocka_unit_test(test_bad_duration_names_the_key_and_what_was_expected),
		cmocka_unit_test(test_a_key_given_twice_is_an_error),
		cmocka_unit_test(test_bad_enum_and_size_are_errors),
		cmocka_unit_test(test_reject_text_must_name_bouncetag),
		cmocka_unit_test(test_missing_file_is_an_error_naming_it),
		cmocka_unit_test(test_duration_size_and_bool_parsers),
		cmocka_unit_test(test_any_white_space_separates_list_items),
		cmocka_unit_test(test_the_shipped_config_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
