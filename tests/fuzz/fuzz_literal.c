/*
 * fuzz_literal - the rule sieve's soundness: literal_extract() and
 * sieve_build()/sieve_scan() against PCRE2 itself, on arbitrary patterns
 * and texts.
 *
 * Input: patterns, one per line, up to the first NUL byte; the text is
 * everything after it (NULs included). Without a NUL the pattern lines are
 * their own text. At most PATTERNS_MAX patterns are looked at.
 *
 * Invariants checked (literal.h, sieve.h):
 *	- literal_extract() returns -1, 0 or 1; with 1, 1 to LITERAL_LIST_MAX
 *	  literals of 1 to LITERAL_LEN_MAX bytes, lower case, 0x01-0x7f;
 *	- soundness: when a pattern, compiled the way rules.c compiles it
 *	  (PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP), matches the
 *	  text and literal_extract() returned 1, the text with its capitals
 *	  folded contains one of the literals;
 *	- the sieve built from the patterns that compile (as rules.c builds
 *	  it) sets the bit of every pattern that matches the text, and of
 *	  every pattern without literals (then sieve_always()); it clears
 *	  every bit past the last pattern.
 *	A match that hits PCRE2's match or depth limit (the same limits as
 *	rules.c) proves nothing and is skipped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fuzz_util.h"
#include "literal.h"
#include "sieve.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATTERNS_MAX 16
#define MATCH_LIMIT 100000 /* as RULES_MATCH_LIMIT */
#define DEPTH_LIMIT 10000  /* as RULES_DEPTH_LIMIT */

static pcre2_match_context *mctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((mctx = pcre2_match_context_create(NULL)) == NULL)
		abort();
	pcre2_set_match_limit(mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(mctx, DEPTH_LIMIT);
	return 0;
}

struct pattern {
	char *src;
	pcre2_code *re; /* NULL: does not compile */
	int lit_rc;
	struct literal_list lits;
	int matches; /* 1 match, 0 no match, -1 a limit or error: unknown */
};

static void check_literals(const struct literal_list *l)
{
	FUZZ_ASSERT(l->n >= 1 && l->n <= LITERAL_LIST_MAX && l->lit != NULL);
	for (size_t i = 0; i < l->n; i++) {
		const struct literal *x = &l->lit[i];

		FUZZ_ASSERT(x->len >= 1 && x->len <= LITERAL_LEN_MAX);
		FUZZ_ASSERT(strlen(x->s) == x->len);
		for (size_t j = 0; j < x->len; j++) {
			unsigned char c = (unsigned char)x->s[j];

			FUZZ_ASSERT(c >= 0x01 && c <= 0x7f && !(c >= 'A' && c <= 'Z'));
		}
	}
}

static int contains_literal(const struct literal_list *l, const char *folded, size_t n)
{
	for (size_t i = 0; i < l->n; i++)
		if (memmem(folded, n, l->lit[i].s, l->lit[i].len) != NULL)
			return 1;
	return 0;
}

static int match(pcre2_code *re, const char *text, size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc;

	if (md == NULL)
		abort();
	rc = pcre2_match(re, (PCRE2_SPTR)text, n, 0, 0, md, mctx);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* Split the pattern block into NUL-terminated lines; returns how many. */
static size_t split(char *block, struct pattern *p)
{
	size_t n = 0;

	for (char *s = block; s != NULL && n < PATTERNS_MAX;) {
		char *nl = strchr(s, '\n');

		if (nl != NULL)
			*nl = 0;
		memset(&p[n], 0, sizeof(p[n]));
		p[n++].src = s;
		s = nl ? nl + 1 : NULL;
	}
	return n;
}

/* The sieve of the patterns that compile (as rules.c builds it) on the text. */
static void check_sieve(const struct pattern *p, size_t np, const char *text, size_t tlen)
{
	const char *good[PATTERNS_MAX];
	size_t idx[PATTERNS_MAX], ng = 0, words;
	struct sieve *sv;
	uint64_t *cand;
	char err[256];

	for (size_t i = 0; i < np; i++)
		if (p[i].re != NULL) {
			idx[ng] = i;
			good[ng++] = p[i].src;
		}
	FUZZ_ASSERT(sieve_build(good, ng, &sv, err, sizeof(err)) == 0);
	words = sieve_words(sv);
	FUZZ_ASSERT(words >= (ng + 63) / 64);
	if ((cand = malloc((words ? words : 1) * sizeof(*cand))) == NULL)
		abort();
	memset(cand, 0xff, (words ? words : 1) * sizeof(*cand)); /* the scan must clear */
	sieve_scan(sv, text, tlen, cand);
	for (size_t g = 0; g < words * 64; g++) {
		int bit = (int)(cand[g / 64] >> (g % 64) & 1);

		if (g >= ng) {
			FUZZ_ASSERT(!bit);
			continue;
		}
		if (p[idx[g]].lit_rc != 1)
			FUZZ_ASSERT(sieve_always(sv, g));
		if (sieve_always(sv, g) || p[idx[g]].matches == 1)
			FUZZ_ASSERT(bit);
	}
	free(cand);
	sieve_free(sv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t blen = nul ? (size_t)(nul - data) : size;
	size_t tlen = nul ? size - blen - 1 : blen, np;
	char *block = malloc(blen + 1), *text = malloc(tlen + 1), *folded = malloc(tlen + 1);
	struct pattern p[PATTERNS_MAX];

	if (block == NULL || text == NULL || folded == NULL)
		abort();
	memcpy(block, data, blen);
	block[blen] = 0;
	memcpy(text, nul ? (const char *)nul + 1 : (const char *)data, tlen);
	text[tlen] = 0;
	for (size_t i = 0; i < tlen; i++)
		folded[i] = (char)(text[i] >= 'A' && text[i] <= 'Z' ? text[i] + 32 : text[i]);

	np = split(block, p);
	for (size_t i = 0; i < np; i++) {
		int errcode;
		PCRE2_SIZE erroff;

		p[i].lit_rc = literal_extract(p[i].src, &p[i].lits);
		FUZZ_ASSERT(p[i].lit_rc >= -1 && p[i].lit_rc <= 1);
		if (p[i].lit_rc == 1)
			check_literals(&p[i].lits);
		p[i].re = pcre2_compile((PCRE2_SPTR)p[i].src, PCRE2_ZERO_TERMINATED,
		                        PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP,
		                        &errcode, &erroff, NULL);
		if (p[i].re == NULL)
			continue;
		p[i].matches = match(p[i].re, text, tlen);
		if (p[i].matches == 1 && p[i].lit_rc == 1)
			FUZZ_ASSERT(contains_literal(&p[i].lits, folded, tlen));
	}
	check_sieve(p, np, text, tlen);

	for (size_t i = 0; i < np; i++) {
		pcre2_code_free(p[i].re);
		literal_list_free(&p[i].lits);
	}
	free(folded);
	free(text);
	free(block);
	return 0;
}
