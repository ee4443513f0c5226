/*
 * test_addr - the one address normaliser.
 */
#include <string.h>

#include "addr.h"
#include "testutil.h"

static void test_brackets_type_prefix_space_and_case_are_removed(void **state)
{
	char a[ADDR_MAX];

	(void)state;
	assert_int_equal(addr_normalise(" <Kijitora@Example.COM> ", a, sizeof(a)), 0);
	assert_string_equal(a, "kijitora@example.com");
	assert_int_equal(addr_normalise("rfc822; CEO@Example.org", a, sizeof(a)), 0);
	assert_string_equal(a, "ceo@example.org");
	assert_string_equal(addr_domain(a), "example.org");
}

static void test_non_addresses_are_refused(void **state)
{
	char a[ADDR_MAX];
	char longaddr[400];

	(void)state;
	assert_int_equal(addr_normalise("", a, sizeof(a)), -1);
	assert_string_equal(a, "");
	assert_int_equal(addr_normalise("<>", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("postmaster", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("a@b@c", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("@example.com", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("user@", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("us er@example.com", a, sizeof(a)), -1);
	assert_int_equal(addr_normalise("a\tb@example.com", a, sizeof(a)), -1);
	memset(longaddr, 'x', sizeof(longaddr) - 1);
	longaddr[sizeof(longaddr) - 1] = 0;
	longaddr[10] = '@';
	assert_int_equal(addr_normalise(longaddr, a, sizeof(a)), -1);
}

static void test_quotes_and_semicolons_survive_as_data(void **state)
{
	char a[ADDR_MAX];

	(void)state;
	assert_int_equal(addr_normalise("o'brien;drop@example.com", a, sizeof(a)), 0);
	assert_string_equal(a, "o'brien;drop@example.com");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_brackets_type_prefix_space_and_case_are_removed),
		cmocka_unit_test(test_non_addresses_are_refused),
		cmocka_unit_test(test_quotes_and_semicolons_survive_as_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
