/*
 * test_text - the byte-string helpers the parsers share.
 */
#include <string.h>

#include "testutil.h"
#include "text.h"

static void test_dup_keeps_embedded_nul_bytes(void **state)
{
	char *p = text_dup("a\0b", 3);

	(void)state;
	assert_non_null(p);
	assert_memory_equal(p, "a\0b", 4);
	free(p);
}

static void test_squeeze_makes_runs_one_space_and_trims(void **state)
{
	char *p = text_squeeze("  550 \t5.7.1\r\n\n  not\0on  list  ", 31, 0);

	(void)state;
	assert_string_equal(p, "550 5.7.1 not on list");
	free(p);
	p = text_squeeze(" \t\n", 3, 0);
	assert_string_equal(p, "");
	free(p);
}

static void test_squeeze_never_writes_past_its_cap(void **state)
{
	char *p = text_squeeze("ab cd ef", 8, 5);

	(void)state;
	/* "ab cd" fits exactly; the space before "ef" would not */
	assert_string_equal(p, "ab cd");
	free(p);
	p = text_squeeze("abcdef", 6, 3);
	assert_string_equal(p, "abc");
	free(p);
}

static void test_find_ci_is_case_blind_and_bounded(void **state)
{
	static const char hay[] = "xx Final-RECIPIENT: a\0final-recipient:";

	(void)state;
	assert_int_equal(text_find_ci(hay, sizeof(hay) - 1, "final-recipient:"), 3);
	/* the match past the NUL is found too: the length bounds the search, not NUL */
	assert_int_equal(text_find_ci(hay + 10, sizeof(hay) - 11, "FINAL-recipient:"), 12);
	/* a match that would end past n is not found */
	assert_int_equal(text_find_ci(hay, 10, "final-recipient:"), -1);
	assert_int_equal(text_find_ci("abc", 3, "abcd"), -1);
	assert_int_equal(text_find_ci("abc", 3, ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dup_keeps_embedded_nul_bytes),
		cmocka_unit_test(test_squeeze_makes_runs_one_space_and_trims),
		cmocka_unit_test(test_squeeze_never_writes_past_its_cap),
		cmocka_unit_test(test_find_ci_is_case_blind_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
