/*
 * literal - the literals one of which every match of a rules pattern must
 * contain: what lets the rule sieve (sieve.h) skip a rule
 * without running PCRE2.
 *
 * Synopsis:
 *	struct literal_list lits;
 *	int rc = literal_extract("not on (the )?approved sender list", &lits);
 *	rc == 1: lits.lit[0 .. lits.n) are "not on the approved sender list"
 *	         and "not on approved sender list"
 *	rc == 0: no sound set: the pattern must be run on every text
 *	rc < 0:  out of memory (treat as 0)
 *	literal_list_free(&lits);
 *
 * Contract (soundness): when literal_extract() returns 1, every text that
 *	the pattern matches, compiled the way rules.c compiles it (PCRE2,
 *	PCRE2_CASELESS, no UTF, no UCP, PCRE2's built-in character tables,
 *	so case folding is A-Z/a-z only), contains at least one of the
 *	literals once its ASCII capitals are folded to lower case. Literals
 *	are lower case, 1 to LITERAL_LEN_MAX bytes of 0x01-0x7f.
 *
 *	A literal is never a guess. Whatever the extractor does not fully
 *	understand makes it return 0: inline options "(?i)", "(?x:...)",
 *	backreferences, \Q...\E, \p{...}, \K, conditionals, recursion,
 *	callouts, comments, "(*VERB)"s, POSIX collating elements and a
 *	'{' that is not a plain {n}, {n,} or {n,m} quantifier (its meaning
 *	changed between PCRE2 versions). Classes, '.', \d \w \s and the like,
 *	non-ASCII bytes and optional or starred pieces are understood but
 *	give no literal, so a pattern made only of them returns 0 too, as
 *	does a top-level alternative with no required literal.
 *
 * Bounds: patterns are configuration, but the work is bounded anyway:
 *	LITERAL_NEST_MAX levels of groups, at most LITERAL_SET_MAX strings
 *	per group, LITERAL_LIST_MAX literals per pattern (beyond that: 0).
 */
#ifndef BT_LITERAL_H
#define BT_LITERAL_H

#include <stddef.h>

#define LITERAL_LEN_MAX 32   /* bytes in one literal */
#define LITERAL_SET_MAX 128  /* strings tracked for one piece of a pattern */
#define LITERAL_LIST_MAX 512 /* literals of one pattern */
#define LITERAL_NEST_MAX 32  /* nested groups */

struct literal {
	size_t len;
	char s[LITERAL_LEN_MAX + 1]; /* NUL-terminated for convenience */
};

struct literal_list {
	size_t n;
	struct literal *lit; /* malloc'd; NULL when n == 0 */
};

int literal_extract(const char *pattern, struct literal_list *out);
void literal_list_free(struct literal_list *list);

#endif
