/*
 * test_sieve - the one-pass rule sieve: a rule is a candidate exactly when
 * it has no literals or one of its literals occurs in the text (capitals
 * folded), checked against a plain substring search on random rules and
 * texts; overlapping literals, more than 64 rules, bytes no literal has,
 * and the table budget that leaves the last rules always run.
 */
#include <string.h>

#include "testutil.h"

#include "literal.h"
#include "sieve.h"

static struct sieve *build(const char *const *patterns, size_t n)
{
	struct sieve *sv = NULL;
	char err[200];

	if (sieve_build(patterns, n, &sv, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_non_null(sv);
	return sv;
}

static int is_candidate(const uint64_t *cand, size_t i)
{
	return (cand[i / 64] >> (i % 64) & 1) != 0;
}

/* The candidates of text as a string of 0 and 1, one per rule. */
static void scan_bits(const struct sieve *sv, size_t n, const char *text, char *bits)
{
	uint64_t cand[64];

	assert_true(sieve_words(sv) <= 64);
	sieve_scan(sv, text, strlen(text), cand);
	for (size_t i = 0; i < n; i++)
		bits[i] = is_candidate(cand, i) ? '1' : '0';
	bits[n] = 0;
}

static void test_overlapping_literals_are_all_found(void **state)
{
	static const char *const p[] = {"hers", "she", "his", "he"};
	struct sieve *sv = build(p, 4);
	char bits[8];

	(void)state;
	scan_bits(sv, 4, "ushers", bits);
	assert_string_equal(bits, "1101");
	scan_bits(sv, 4, "this", bits);
	assert_string_equal(bits, "0010");
	scan_bits(sv, 4, "h e r s", bits);
	assert_string_equal(bits, "0000");
	scan_bits(sv, 4, "", bits);
	assert_string_equal(bits, "0000");
	sieve_free(sv);
}

static void test_capitals_in_the_text_are_folded(void **state)
{
	static const char *const p[] = {"Spam", "5\\.7\\.1"};
	struct sieve *sv = build(p, 2);
	char bits[4];

	(void)state;
	scan_bits(sv, 2, "550 5.7.1 SPAM detected", bits);
	assert_string_equal(bits, "11");
	scan_bits(sv, 2, "550 5.7.2 sPaM", bits);
	assert_string_equal(bits, "10");
	sieve_free(sv);
}

static void test_rule_without_literals_is_a_candidate_for_every_text(void **state)
{
	static const char *const p[] = {"spam", "\\d+", "(?i)virus", "virus"};
	struct sieve *sv = build(p, 4);
	struct sieve_stats st;
	char bits[8];

	(void)state;
	assert_false(sieve_always(sv, 0));
	assert_true(sieve_always(sv, 1));
	assert_true(sieve_always(sv, 2)); /* inline options: the extractor gives up */
	assert_false(sieve_always(sv, 3));
	assert_false(sieve_always(sv, 4)); /* out of range */
	scan_bits(sv, 4, "", bits);
	assert_string_equal(bits, "0110");
	scan_bits(sv, 4, "a VIRUS", bits);
	assert_string_equal(bits, "0111");
	sieve_stats(sv, &st);
	assert_int_equal(st.rules, 4);
	assert_int_equal(st.always, 2);
	assert_int_equal(st.literals, 2);
	sieve_free(sv);
}

static void test_bytes_no_literal_has_do_not_stop_the_scan(void **state)
{
	static const char *const p[] = {"abc"};
	struct sieve *sv = build(p, 1);
	char bits[2];

	(void)state;
	scan_bits(sv, 1,
	          "\xff\xfe\x80"
	          "ab\x01"
	          "abc\xe9",
	          bits);
	assert_string_equal(bits, "1");
	scan_bits(sv, 1,
	          "ab\xe9"
	          "c",
	          bits);
	assert_string_equal(bits, "0");
	sieve_free(sv);
}

static void test_shared_prefixes_share_states(void **state)
{
	static const char *const p[] = {"abc", "abd", "\\d"};
	struct sieve *sv = build(p, 3);
	struct sieve_stats st;

	(void)state;
	sieve_stats(sv, &st);
	assert_int_equal(st.states, 5); /* root, a, ab, abc, abd */
	assert_int_equal(st.literals, 2);
	assert_true(st.bytes > 0);
	sieve_free(sv);
}

static void test_more_than_64_rules_use_more_words(void **state)
{
	char names[130][16];
	const char *p[130];
	uint64_t cand[4];
	struct sieve *sv;

	(void)state;
	for (int i = 0; i < 130; i++) {
		snprintf(names[i], sizeof(names[i]), "rule%03dx", i);
		p[i] = names[i];
	}
	p[64] = "[0-9]+"; /* always run, in the second word */
	sv = build(p, 130);
	assert_int_equal(sieve_words(sv), 3);
	sieve_scan(sv, "RULE129X and rule000x", 21, cand);
	for (size_t i = 0; i < 130; i++)
		assert_int_equal(is_candidate(cand, i), i == 0 || i == 64 || i == 129);
	sieve_free(sv);
}

static void test_an_empty_rule_set_has_no_candidates(void **state)
{
	struct sieve *sv = build(NULL, 0);
	uint64_t cand[1] = {~(uint64_t)0};

	(void)state;
	assert_int_equal(sieve_words(sv), 1);
	sieve_scan(sv, "anything", 8, cand);
	assert_int_equal(cand[0], 0);
	sieve_free(sv);
}

/* ------------------------------------------------------------------ */
/* Against a plain search. */

static unsigned long long rng_state = 0x2545f4914f6cdd1dULL;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static int occurs(const char *lit, size_t n, const char *text, size_t len)
{
	for (size_t i = 0; i + n <= len; i++) {
		size_t j = 0;

		while (j < n && fold(text[i + j]) == lit[j])
			j++;
		if (j == n)
			return 1;
	}
	return 0;
}

/*
 * Random rules over a tiny alphabet (so literals overlap, share prefixes
 * and suffixes, and occur often), with alternatives, optional pieces and
 * rules without literals; the candidates of random texts must be exactly
 * the rules the plain search finds.
 */
static void test_candidates_equal_a_plain_search_on_random_rules_and_texts(void **state)
{
	static const char alpha[] = "abAB.c";
	enum { NRULES = 150, NTEXTS = 3000 };
	char pats[NRULES][64];
	const char *p[NRULES];
	struct literal_list lits[NRULES];
	struct sieve *sv;
	uint64_t cand[3];
	size_t hits = 0;

	(void)state;
	for (int i = 0; i < NRULES; i++) {
		size_t n = 0;
		int alts = 1 + (int)rnd(3);

		for (int a = 0; a < alts; a++) {
			int len = 1 + (int)rnd(5);

			if (a > 0)
				pats[i][n++] = '|';
			for (int k = 0; k < len; k++) {
				char c = alpha[rnd(sizeof(alpha) - 1)];

				if (c == '.') /* half literal dots, half any byte */
					pats[i][n++] = rnd(2) ? '\\' : '.';
				if (c == '.' && pats[i][n - 1] == '.')
					continue;
				pats[i][n++] = c;
				if (rnd(8) == 0)
					pats[i][n++] = '?';
			}
		}
		pats[i][n] = 0;
		p[i] = pats[i];
		assert_true(literal_extract(p[i], &lits[i]) >= 0);
	}
	sv = build(p, NRULES);
	for (int t = 0; t < NTEXTS; t++) {
		char text[40];
		size_t len = rnd(sizeof(text));

		for (size_t k = 0; k < len; k++)
			text[k] = "abcABC.x"[rnd(8)];
		sieve_scan(sv, text, len, cand);
		for (size_t i = 0; i < NRULES; i++) {
			int want = lits[i].n == 0;

			for (size_t k = 0; k < lits[i].n && !want; k++)
				want = occurs(lits[i].lit[k].s, lits[i].lit[k].len, text, len);
			if (is_candidate(cand, i) != want)
				fail_msg("rule %zu '%s' on '%.*s': sieve %d, plain search %d", i,
				         p[i], (int)len, text, is_candidate(cand, i), want);
			hits += want;
		}
	}
	for (int i = 0; i < NRULES; i++)
		literal_list_free(&lits[i]);
	sieve_free(sv);
	/* both answers occur often: the comparison is not vacuous */
	assert_true(hits > NTEXTS * NRULES / 10);
	assert_true(hits < NTEXTS * NRULES * 9 / 10);
}

/*
 * Thousands of rules with long distinct literals: the automaton would
 * outgrow SIEVE_STATES_MAX, so the last rules run always while the first
 * keep their literals, and the answers stay right.
 */
static void test_table_budget_leaves_the_last_rules_always_run(void **state)
{
	static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789 _,;:!@%&=~<>'\"/";
	enum { NRULES = 6000, LEN = 16 };
	char(*pats)[LEN + 1] = malloc(NRULES * sizeof(*pats));
	const char **p = malloc(NRULES * sizeof(*p));
	struct sieve *sv;
	struct sieve_stats st;
	uint64_t *cand;

	(void)state;
	assert_non_null(pats);
	assert_non_null(p);
	for (int i = 0; i < NRULES; i++) {
		for (int k = 0; k < LEN; k++)
			pats[i][k] = alpha[rnd(sizeof(alpha) - 1)];
		pats[i][LEN] = 0;
		p[i] = pats[i];
	}
	sv = build(p, NRULES);
	sieve_stats(sv, &st);
	assert_true(st.always > 0);
	assert_true(st.always < NRULES);
	assert_false(sieve_always(sv, 0));
	assert_true(sieve_always(sv, NRULES - 1));
	assert_true(st.states <= SIEVE_STATES_MAX);
	assert_true(st.states > SIEVE_STATES_MAX / 2);
	cand = calloc(sieve_words(sv), sizeof(*cand));
	assert_non_null(cand);
	sieve_scan(sv, pats[0], LEN, cand);
	assert_true(is_candidate(cand, 0));
	for (size_t i = 1; i < NRULES; i++)
		assert_int_equal(is_candidate(cand, i),
		                 sieve_always(sv, i) || strstr(pats[0], pats[i]) != NULL);
	free(cand);
	sieve_free(sv);
	free(p);
	free(pats);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_overlapping_literals_are_all_found),
	    cmocka_unit_test(test_capitals_in_the_text_are_folded),
	    cmocka_unit_test(test_rule_without_literals_is_a_candidate_for_every_text),
	    cmocka_unit_test(test_bytes_no_literal_has_do_not_stop_the_scan),
	    cmocka_unit_test(test_shared_prefixes_share_states),
	    cmocka_unit_test(test_more_than_64_rules_use_more_words),
	    cmocka_unit_test(test_an_empty_rule_set_has_no_candidates),
	    cmocka_unit_test(test_candidates_equal_a_plain_search_on_random_rules_and_texts),
	    cmocka_unit_test(test_table_budget_leaves_the_last_rules_always_run),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
