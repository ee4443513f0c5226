/*
 * sieve - which rules could match a text, found in one pass over it,
 * so that the classifier runs PCRE2 only on those (rules.c).
 *
 * Synopsis:
 *	struct sieve *sv;
 *	if (sieve_build(patterns, n, &sv, err, sizeof(err)) < 0) ... err ...
 *	uint64_t cand[...];                      sieve_words(sv) words
 *	sieve_scan(sv, subject, len, cand);
 *	if (cand[i / 64] >> (i % 64) & 1) ...    rule i may match: run it
 *	sieve_free(sv);
 *
 * Description:
 *	sieve_build() takes the pattern of every rule, in rule order,
 *	asks literal_extract() (literal.h) for literals one of which any
 *	match must contain, and puts all of them into one Aho-Corasick
 *	automaton with ASCII capitals folded to lower case, the way rules
 *	are matched (PCRE2_CASELESS, no UTF). A rule without literals is
 *	"always run": its bit is set for every text.
 *
 *	sieve_scan() reads the text once and sets the bit of every rule
 *	that is always run or one of whose literals occurs in it; every
 *	other bit is cleared. A clear bit is a proof that the rule's pattern
 *	cannot match the text (literal.h states the contract), so running
 *	the candidates in rule order gives the same first match as running
 *	every rule.
 *
 * Bounds: the automaton is built once per rule set and never changes,
 *	so one sieve may be scanned by any number of threads. It has at most
 *	SIEVE_STATES_MAX states (about one per literal byte; the shipped
 *	rules need a quarter): when the literals of all rules would need
 *	more, the rules that come last get none and are always run (slower,
 *	never wrong). Scanning allocates nothing and takes time linear in
 *	the text.
 *
 * Diagnostics: sieve_build() fails only when memory runs out; it then
 *	returns -1 with a message in err.
 */
#ifndef BT_SIEVE_H
#define BT_SIEVE_H

#include <stddef.h>
#include <stdint.h>

#define SIEVE_STATES_MAX 32767 /* automaton states: transitions are 16 bits */

struct sieve;

struct sieve_stats {
	size_t rules;    /* rules given to sieve_build() */
	size_t always;   /* rules run on every text (no literal set) */
	size_t literals; /* literals in the automaton */
	size_t states;   /* automaton states */
	size_t bytes;    /* memory of the automaton */
};

int sieve_build(const char *const *patterns, size_t n, struct sieve **out, char *err,
                size_t errlen);
void sieve_free(struct sieve *sv);

/* Words of uint64_t in a candidate set: one bit per rule. */
size_t sieve_words(const struct sieve *sv);
void sieve_scan(const struct sieve *sv, const char *text, size_t len, uint64_t *cand);

/* Whether rule i is run on every text; and figures for reports and tests. */
int sieve_always(const struct sieve *sv, size_t i);
void sieve_stats(const struct sieve *sv, struct sieve_stats *st);

#endif
