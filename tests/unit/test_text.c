/*
 * test_text - the byte-string helpers the parsers share.
 */
#include <ctype.h>
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

/* The character-by-character squeeze that text_squeeze() must agree with. */
static size_t naive_squeeze(const char *s, size_t n, size_t max, char *out)
{
	size_t cap = (max && max < n) ? max : n, j = 0;
	int space = 0;

	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]) || s[i] == 0) {
			space = 1;
			continue;
		}
		if (j + (space && j > 0) + 1 > cap)
			break;
		if (space && j > 0)
			out[j++] = ' ';
		space = 0;
		out[j++] = s[i];
	}
	out[j] = 0;
	return j;
}

/* text_squeeze() of text[0..n) with cap max gives what naive_squeeze() does. */
static void assert_squeeze_agrees(const char *text, size_t n, size_t max)
{
	char want[256];
	char *got;

	assert_true(n < sizeof(want));
	naive_squeeze(text, n, max, want);
	got = text_squeeze(text, n, max);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_squeeze_agrees_with_the_byte_by_byte_rule(void **state)
{
	static const char alpha[] = "ab \t\n\r\v\f\0x\xa0-";
	char text[64];
	unsigned seed = 99;

	(void)state;
	for (int round = 0; round < 5000; round++) {
		size_t n = (size_t)(round % 64), max = (size_t)(round / 64 % 20);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		assert_squeeze_agrees(text, n, max);
	}
}

/* Long runs between the breaks, cut anywhere: the squeeze still agrees, cap and all. */
static void test_squeeze_agrees_on_long_runs_and_any_cap(void **state)
{
	static const char common[] = "abcdefghijklmnopqrstuvwxyz0123456789.-@\xa0\xe9 ";
	static const char rare[] = "\t\n\r\v\f\x01\x1f  \x7f";
	char text[200];
	unsigned seed = 5;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 190), max = (size_t)(round / 190 % 70);

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 30 == 0)
				text[i] = rare[(seed >> 8) % (sizeof(rare) - 1)];
			else if ((seed >> 16) % 97 == 1)
				text[i] = 0;
			else
				text[i] = common[(seed >> 20) % (sizeof(common) - 1)];
		}
		assert_squeeze_agrees(text, n, max);
	}
}

/* text_squeezed() says yes exactly when squeezing would give the same bytes back. */
static void test_squeezed_says_when_squeeze_changes_nothing(void **state)
{
	static const char alpha[] = "ab \t\n\r\v\f\xa0-";
	char text[16];
	unsigned seed = 7;
	int yes = 0, no = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 12);
		char *sq;
		int same;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		text[n] = 0;
		sq = text_squeeze(text, n, 0);
		assert_non_null(sq);
		same = strlen(sq) == n && memcmp(sq, text, n) == 0;
		assert_int_equal(text_squeezed(text, n), same);
		same ? yes++ : no++;
		free(sq);
	}
	assert_true(yes > 100 && no > 100); /* both answers were exercised */
}

/* The same on texts long enough for text_squeezed()'s eight-byte steps, rarely unsqueezed. */
static void test_squeezed_agrees_on_long_mostly_squeezed_texts(void **state)
{
	static const char common[] = "abcdefghijklmnopqrstuvwxyz0123456789.-@\xa0\xe9  ";
	static const char rare[] = "\t\n\r\v\f\x01\x1f !~\x7f";
	char text[72];
	unsigned seed = 11;
	int yes = 0, no = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % 70);
		char *sq;
		int same;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 40 == 0)
				text[i] = rare[(seed >> 8) % (sizeof(rare) - 1)];
			else if ((seed >> 16) % 97 == 1)
				text[i] = 0; /* a NUL is white space to both */
			else
				text[i] = common[(seed >> 20) % (sizeof(common) - 1)];
		}
		text[n] = 0;
		sq = text_squeeze(text, n, 0);
		assert_non_null(sq);
		same = strlen(sq) == n && memcmp(sq, text, n) == 0;
		assert_int_equal(text_squeezed(text, n), same);
		same ? yes++ : no++;
		free(sq);
	}
	assert_true(yes > 1000 && no > 1000);
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

/* The obvious search the fast ones must agree with. */
static long naive_find_ci(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++) {
		size_t j = 0;

		while (j < k && tolower((unsigned char)s[i + j]) == tolower((unsigned char)w[j]))
			j++;
		if (j == k)
			return (long)i;
	}
	return -1;
}

static void test_find_ci_anchors_on_a_rare_byte_of_either_case(void **state)
{
	static const char hay[] = "notificationtype NotificationTYPE: x";

	(void)state;
	/* 'y' is the rarest byte of the word: found in lower and upper case */
	assert_int_equal(text_find_ci(hay, sizeof(hay) - 1, "notificationType:"), 17);
	assert_int_equal(text_find_ci(hay, sizeof(hay) - 1, "(delay)"), -1);
	assert_int_equal(text_find_ci("a (DELAY) b", 11, "(delay)"), 2);
	/* candidates at the very end of the text are checked too */
	assert_int_equal(text_find_ci("xxxYz", 5, "yz"), 3);
	assert_int_equal(text_find_ci("xxxYz", 4, "yz"), -1);
}

static const char *const set_words[] = {
    "has been delayed",
    "will be retried",
    "will retry",
    "(delay)",
    "delivery delayed",
    "ry d",
    NULL,
};

static void test_set_finds_the_earliest_word_of_any_length(void **state)
{
	struct text_set set;
	static const char text[] = "Delivery DELAYED: it WILL retry (delay) later";
	size_t which = 99;

	(void)state;
	text_set_init(&set, set_words);
	/* "delivery delayed" at 0; the short "ry d" at 6 comes later */
	assert_int_equal(text_set_find(&set, text, sizeof(text) - 1, &which), 0);
	assert_int_equal(which, 4);
	/* past it, the short word is the earliest */
	assert_int_equal(text_set_find(&set, text + 1, sizeof(text) - 2, &which), 5);
	assert_int_equal(which, 5);
	assert_int_equal(text_set_find(&set, text + 12, sizeof(text) - 13, &which), 9);
	assert_int_equal(which, 2);
	assert_int_equal(text_set_find(&set, "nothing here", 12, &which), -1);
	/* bounded by n: a word that would end past it is no match */
	assert_int_equal(text_set_find(&set, "it will retry", 12, NULL), -1);
}

static void test_set_breaks_ties_by_the_lower_index(void **state)
{
	static const char *const words[] = {"will retry later", "will retry", "will", NULL};
	struct text_set set;
	size_t which = 99;

	(void)state;
	text_set_init(&set, words);
	assert_int_equal(text_set_find(&set, "x will retry later", 18, &which), 2);
	assert_int_equal(which, 0);
	assert_int_equal(text_set_find(&set, "x will retry soon", 17, &which), 2);
	assert_int_equal(which, 1);
	assert_int_equal(text_set_find(&set, "x will not", 10, &which), 2);
	assert_int_equal(which, 2);
}

static void test_set_of_too_many_words_or_an_empty_one_still_finds_them(void **state)
{
	static const char *const empty[] = {"delivery delayed", "", NULL};
	static const char *many[TEXT_SET_MAX + 2];
	static char words[TEXT_SET_MAX + 1][16];
	struct text_set set;
	size_t which = 99;

	(void)state;
	text_set_init(&set, empty);
	assert_int_equal(text_set_find(&set, "no delivery delayed", 19, &which), 0);
	assert_int_equal(which, 1);
	for (size_t i = 0; i < TEXT_SET_MAX + 1; i++) {
		snprintf(words[i], sizeof(words[i]), "word number %zu.", i);
		many[i] = words[i];
	}
	many[TEXT_SET_MAX + 1] = NULL;
	text_set_init(&set, many);
	assert_int_equal(text_set_find(&set, "a Word Number 32.", 17, &which), 2);
	assert_int_equal(which, 32);
	assert_int_equal(text_set_find(&set, "a Word Number 7.", 16, &which), 2);
	assert_int_equal(which, 7);
	assert_int_equal(text_set_find(&set, "a word number", 13, &which), -1);
}

/*
 * Random texts over a small alphabet, with the words pasted in here and
 * there in mixed case (so that they occur often, whole and in part, next
 * to NUL and high bytes): both searches agree with the naive one.
 */
static void test_searches_agree_with_the_naive_search(void **state)
{
	static const char alpha[] = "aAbByYdD (-)\0\xe9 ";
	static const char *const words[] = {
	    "ab",       "bay",      "(d)",       "abyd",      "y-y",
	    "aabbyydd", "dd ab yy", "byebye by", "yyyyyyyyy", NULL,
	};
	struct text_set set;
	char text[300];
	unsigned seed = 12345;

	(void)state;
	text_set_init(&set, words);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t)(round % 300), which = 0, want_which = 0;
		long want = -1, got;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			if ((seed >> 8) % 16 == 0) { /* a word here, in mixed case */
				const char *w = words[(seed >> 20) % 9];

				for (size_t j = 0; w[j] && i < n; j++, i++)
					text[i] =
					    (char)((seed >> (j % 16)) & 1 ? toupper(w[j]) : w[j]);
			}
		}
		for (size_t w = 0; words[w]; w++) {
			long at = naive_find_ci(text, n, words[w]);

			assert_int_equal(text_find_ci(text, n, words[w]), at);
			if (at >= 0 && (want < 0 || at < want)) {
				want = at;
				want_which = w;
			}
		}
		got = text_set_find(&set, text, n, &which);
		assert_int_equal(got, want);
		if (want >= 0)
			assert_int_equal(which, want_which);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dup_keeps_embedded_nul_bytes),
	    cmocka_unit_test(test_squeeze_makes_runs_one_space_and_trims),
	    cmocka_unit_test(test_squeeze_never_writes_past_its_cap),
	    cmocka_unit_test(test_squeeze_agrees_with_the_byte_by_byte_rule),
	    cmocka_unit_test(test_squeeze_agrees_on_long_runs_and_any_cap),
	    cmocka_unit_test(test_squeezed_says_when_squeeze_changes_nothing),
	    cmocka_unit_test(test_squeezed_agrees_on_long_mostly_squeezed_texts),
	    cmocka_unit_test(test_find_ci_is_case_blind_and_bounded),
	    cmocka_unit_test(test_find_ci_anchors_on_a_rare_byte_of_either_case),
	    cmocka_unit_test(test_set_finds_the_earliest_word_of_any_length),
	    cmocka_unit_test(test_set_breaks_ties_by_the_lower_index),
	    cmocka_unit_test(test_set_of_too_many_words_or_an_empty_one_still_finds_them),
	    cmocka_unit_test(test_searches_agree_with_the_naive_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
