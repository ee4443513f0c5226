/*
 * test_addr - the one address normaliser.
 */
#include <string.h>
#include <strings.h>

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

/* The byte-by-byte rule that addr_normalise() must agree with, in any case. */
static int naive_normalise(const char *in, char *out)
{
	size_t b = 0, e = strlen(in), ats = 0;

	while (in[b] == ' ' || (in[b] >= '\t' && in[b] <= '\r'))
		b++;
	if (strncasecmp(in + b, "rfc822;", 7) == 0)
		for (b += 7; in[b] == ' ' || (in[b] >= '\t' && in[b] <= '\r');)
			b++;
	while (e > b && (in[e - 1] == ' ' || (in[e - 1] >= '\t' && in[e - 1] <= '\r')))
		e--;
	if (e - b >= 2 && in[b] == '<' && in[e - 1] == '>') {
		b++;
		e--;
	}
	out[0] = 0;
	if (e == b || e - b >= ADDR_MAX)
		return -1;
	for (size_t i = b; i < e; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '>') {
			out[0] = 0;
			return -1;
		}
		ats += c == '@';
		out[i - b] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[e - b] = 0;
	if (ats != 1 || in[b] == '@' || in[e - 1] == '@') {
		out[0] = 0;
		return -1;
	}
	return 0;
}

static void test_normalise_agrees_with_the_byte_by_byte_rule(void **state)
{
	static const char alpha[] = "abcXYZ09.-_+=?@@<>\x7f\x80\xe9 \t\x01`{[~";
	char in[80], got[ADDR_MAX], want[ADDR_MAX];
	unsigned seed = 3;
	int ok = 0;

	(void)state;
	for (int round = 0; round < 50000; round++) {
		size_t n = (size_t)(round % 60);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly letters, so that eight-byte words without a special are common */
			in[i] = (seed >> 16) % 4 ? "abcdXYZ.9"[(seed >> 8) % 9]
			                         : alpha[(seed >> 20) % (sizeof(alpha) - 1)];
		}
		in[n] = 0;
		assert_int_equal(addr_normalise(in, got, sizeof(got)), naive_normalise(in, want));
		assert_string_equal(got, want);
		ok += want[0] != 0;
	}
	assert_true(ok > 1000); /* addresses were among them, not only refusals */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_brackets_type_prefix_space_and_case_are_removed),
	    cmocka_unit_test(test_non_addresses_are_refused),
	    cmocka_unit_test(test_quotes_and_semicolons_survive_as_data),
	    cmocka_unit_test(test_normalise_agrees_with_the_byte_by_byte_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
