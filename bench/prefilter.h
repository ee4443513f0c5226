/*
 * prefilter - a prototype literal prefilter for the rules classifier,
 * written to measure what one would save (bench only; not used by the
 * milter).
 *
 * Synopsis:
 *	struct prefilter *pf = prefilter_build(rules_text, len);
 *	prefilter_classify(pf, one_rule_sets, n, &input, &verdict);
 *	prefilter_free(pf);
 *
 * Description:
 *	prefilter_build() reads the pattern of every rule in a rules.conf
 *	text and derives, where it can, a set of lowercase literals one of
 *	which must occur in any text the pattern matches (one literal per
 *	top-level alternative). All literals go into one Aho-Corasick
 *	automaton, so one pass over a reply finds every rule that could
 *	match; rules without such literals are always candidates.
 *
 *	prefilter_classify() scans the reply once, then runs only the
 *	candidate rules, in file order, each through rules_classify() on its
 *	one-rule set (sets[i] is rule i alone), and falls back like
 *	rules_classify() when none matches. It returns the number of rules
 *	it ran through PCRE2. The verdict must equal rules_classify()'s on
 *	the whole set; the bench checks that and reports any difference.
 */
#ifndef BT_BENCH_PREFILTER_H
#define BT_BENCH_PREFILTER_H

#include <stddef.h>

#include "rules.h"

struct prefilter;

struct prefilter *prefilter_build(const char *rules_text, size_t len);
void prefilter_free(struct prefilter *pf);
size_t prefilter_rules_with_literals(const struct prefilter *pf);
size_t prefilter_classify(const struct prefilter *pf, const struct rules *const *sets, size_t n,
                          const struct classify_input *in, struct verdict *out);

#endif
