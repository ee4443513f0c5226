/*
 * prefilter - prototype literal prefilter for the rules classifier. See
 * prefilter.h. Bench only: it exists to put numbers on the fix proposed
 * for common/rules.c, which runs every PCRE2 pattern in turn.
 *
 * Literal extraction (conservative: when unsure, a rule stays a
 * candidate for every reply):
 *	The pattern is split at its top-level '|'. In each alternative the
 *	longest run of consecutive mandatory literal characters is kept
 *	(escaped punctuation counts as literal; any group, class, '.',
 *	anchor, escape such as \d or \b, or a quantifier ends a run, and a
 *	character quantified with a minimum of 0 is dropped). A run shorter
 *	than PF_MIN_LITERAL makes the whole rule "always a candidate".
 *	Matching is caseless ASCII, as rules.c compiles it, so literals and
 *	the scanned reply are lowercased.
 *
 * The rules text is read only for "[id]" and "pattern =" lines; rules.c
 * remains the parser that matters (the bench compares verdicts).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prefilter.h"

#define PF_MIN_LITERAL 3
#define PF_LITERAL_MAX 128
#define PF_SET_MAX 64
#define PF_SUBJECT_MAX 16384 /* as RULES_SUBJECT_MAX */

struct pf_literal {
	size_t rule;
	char text[PF_LITERAL_MAX];
	size_t len;
};

struct prefilter {
	size_t nrules, nwords, with_literals;
	uint64_t *always; /* rules without literals */
	unsigned char cls[256];
	int nclasses;
	int nstates, capstates;
	int *next; /* nstates x nclasses: a DFA (failure links folded in) */
	int *fail;
	uint64_t *out; /* nstates x nwords: rules whose literal ends here */
};

/*
 * Pattern scanning.
 */

static size_t pf_skip_class(const char *p, size_t i, size_t n)
{
	i++; /* '[' */
	if (i < n && p[i] == '^')
		i++;
	if (i < n && p[i] == ']')
		i++;
	while (i < n && p[i] != ']') {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		else if (p[i] == '[' && i + 1 < n && p[i + 1] == ':') {
			const char *e = strstr(p + i, ":]");
			if (e != NULL && (size_t)(e - p) < n)
				i = (size_t)(e - p) + 1;
		}
		i++;
	}
	return i < n ? i + 1 : n;
}

static size_t pf_skip_group(const char *p, size_t i, size_t n)
{
	int depth = 0;

	while (i < n) {
		if (p[i] == '\\')
			i += 2;
		else if (p[i] == '[')
			i = pf_skip_class(p, i, n);
		else {
			if (p[i] == '(')
				depth++;
			else if (p[i] == ')' && --depth == 0)
				return i + 1;
			i++;
		}
	}
	return n;
}

/* A quantifier at i: its length (0 if none) and its minimum. */
static size_t pf_quantifier(const char *p, size_t i, size_t n, int *min)
{
	size_t j = i;

	*min = 1;
	if (i >= n)
		return 0;
	if (p[i] == '?' || p[i] == '*') {
		*min = 0;
		j++;
	} else if (p[i] == '+') {
		j++;
	} else if (p[i] == '{') {
		int lo = 0, digits = 0;

		for (j = i + 1; j < n && isdigit((unsigned char)p[j]); j++, digits++)
			lo = lo * 10 + (p[j] - '0');
		if (j < n && p[j] == ',')
			for (j++; j < n && isdigit((unsigned char)p[j]); j++)
				;
		if (digits == 0 || j >= n || p[j] != '}')
			return 0; /* a literal '{' */
		j++;
		*min = lo;
	} else {
		return 0;
	}
	if (j < n && (p[j] == '?' || p[j] == '+'))
		j++; /* lazy or possessive */
	return j - i;
}

/* Skip an escape at i ('\\'); *lit gets the character when it is a literal. */
static size_t pf_escape(const char *p, size_t i, size_t n, int *lit)
{
	unsigned char e = i + 1 < n ? (unsigned char)p[i + 1] : 0;
	size_t j = i + 2;

	*lit = -1;
	if (e == 0)
		return n;
	if (!isalnum(e)) {
		*lit = e;
		return j;
	}
	if ((e == 'x' || e == 'p' || e == 'P' || e == 'g' || e == 'k' || e == 'o') && j < n &&
	    (p[j] == '{' || p[j] == '<')) {
		const char *close = memchr(p + j, p[j] == '{' ? '}' : '>', n - j);
		return close ? (size_t)(close - p) + 1 : n;
	}
	if (e == 'x')
		while (j < n && j < i + 4 && isxdigit((unsigned char)p[j]))
			j++;
	if (e == 'Q') {
		const char *end = strstr(p + j, "\\E");
		return end && (size_t)(end - p) < n ? (size_t)(end - p) + 2 : n;
	}
	if (e == 'c')
		j++;
	return j;
}

/*
 * A set of alternative literals: a text matched by the pattern piece
 * contains at least one of them. score is the length of the shortest, the
 * worth of the set as a filter (0: the set is empty or useless).
 */
struct pf_set {
	size_t n;
	size_t len[PF_SET_MAX];
	char s[PF_SET_MAX][PF_LITERAL_MAX];
};

static size_t pf_score(const struct pf_set *a)
{
	size_t m = a->n ? PF_LITERAL_MAX : 0;

	for (size_t i = 0; i < a->n; i++)
		if (a->len[i] < m)
			m = a->len[i];
	return m;
}

static void pf_set_one(struct pf_set *a, const char *s, size_t n)
{
	a->n = 1;
	a->len[0] = n;
	memcpy(a->s[0], s, n);
}

/* run := run x alts (each run string followed by each alternative); -1 if too many. */
static int pf_cross(struct pf_set *run, const struct pf_set *alts)
{
	static _Thread_local struct pf_set out;

	if (run->n * alts->n > PF_SET_MAX)
		return -1;
	out.n = 0;
	for (size_t i = 0; i < run->n; i++)
		for (size_t j = 0; j < alts->n; j++) {
			if (run->len[i] + alts->len[j] >= PF_LITERAL_MAX)
				return -1;
			memcpy(out.s[out.n], run->s[i], run->len[i]);
			memcpy(out.s[out.n] + run->len[i], alts->s[j], alts->len[j]);
			out.len[out.n++] = run->len[i] + alts->len[j];
		}
	*run = out;
	return 0;
}

/* Keep the better of best and run, then start an empty run. */
static void pf_flush(struct pf_set *best, struct pf_set *run)
{
	if (pf_score(run) > pf_score(best))
		*best = *run;
	pf_set_one(run, "", 0);
}

/* A small class of literal bytes ([sz], [- ]) as a set; -1 for anything else. */
static int pf_class_set(const char *p, size_t n, struct pf_set *out)
{
	out->n = 0;
	if (n < 3 || p[1] == '^')
		return -1;
	for (size_t i = 1; i + 1 < n; i++) {
		char c = p[i];

		if (c == '\\' && i + 2 < n && !isalnum((unsigned char)p[i + 1]))
			c = p[++i];
		else if (c == '\\' || c == '[' || (c == '-' && i > 1 && i + 2 < n))
			return -1; /* escape class, POSIX class or range */
		if (out->n == 4)
			return -1;
		out->len[out->n] = 1;
		out->s[out->n][0] = (char)tolower((unsigned char)c);
		out->n++;
	}
	return out->n > 0 ? 0 : -1;
}

static int pf_alternatives(const char *p, size_t n, struct pf_set *out);

/*
 * What a group is: > 0 the length of its opening ("(", "(?:", "(?<name>")
 * for a plain consuming group; 0 zero-width (lookaround, "(?i)" options,
 * comment); -1 anything else that consumes text ("(?i:...)", verbs...).
 */
static int pf_group_open(const char *p, size_t n)
{
	size_t k = 2;

	if (n < 3 || p[1] != '?')
		return n >= 2 && p[1] == '*' ? -1 : 1;
	if (p[2] == ':')
		return 3;
	if (p[2] == '=' || p[2] == '!' || p[2] == '#')
		return 0;
	if (p[2] == '<' && n > 3 && (p[3] == '=' || p[3] == '!'))
		return 0;
	if (p[k] == 'P' && k + 1 < n && p[k + 1] == '<')
		k++;
	if ((p[k] == '<' || p[k] == '\'') && k + 1 < n &&
	    (isalpha((unsigned char)p[k + 1]) || p[k + 1] == '_')) {
		const char *close = memchr(p + k + 1, p[k] == '<' ? '>' : '\'', n - k - 1);
		return close ? (int)(close - p) + 1 : -1;
	}
	while (k < n && (isalpha((unsigned char)p[k]) || p[k] == '-'))
		k++;
	return k < n && p[k] == ')' ? 0 : -1; /* "(?i)" sets options; "(?i:" consumes */
}

/*
 * The best literal set of one alternative p[0..n): runs of literal
 * bytes, extended through small classes, optional bytes and groups of
 * plain alternatives by taking every combination; any other group offers
 * its own set. *exact is set when the set is exactly what the piece
 * matches (so that an enclosing run may be extended through it).
 */
static void pf_sequence(const char *p, size_t n, struct pf_set *best, int *exact)
{
	struct pf_set run, alts, inner;
	size_t i = 0;

	best->n = 0;
	*exact = 1;
	pf_set_one(&run, "", 0);
	while (i < n) {
		int lit = -1, min = 1, kind = -1, zero_width = 0;
		size_t end, q;

		if (p[i] == '\\') {
			end = pf_escape(p, i, n, &lit);
			zero_width = lit < 0 && strchr("bBAzZG", p[i + 1]) != NULL;
		} else if (p[i] == '[') {
			end = pf_skip_class(p, i, n);
			if (pf_class_set(p + i, end - i, &alts) == 0)
				kind = 1;
		} else if (p[i] == '(') {
			int open;

			end = pf_skip_group(p, i, n);
			open = pf_group_open(p + i, end - i);
			zero_width = open == 0;
			if (open > 0 && end - i >= (size_t)open + 1)
				kind = pf_alternatives(p + i + open, end - i - (size_t)open - 1,
				                       &inner);
			if (kind >= 0)
				alts = inner;
		} else if (p[i] == '^' || p[i] == '$') {
			end = i + 1;
			zero_width = 1;
		} else if (p[i] == '.' || pf_quantifier(p, i, n, &min) > 0) {
			end = i + 1;
		} else {
			lit = (unsigned char)p[i];
			end = i + 1;
		}
		q = pf_quantifier(p, end, n, &min);
		i = end + q;
		if (zero_width)
			continue;
		if (lit >= 0) {
			pf_set_one(&alts, "", 0);
			alts.len[0] = 1;
			alts.s[0][0] = (char)tolower(lit);
			kind = 1;
		}
		if (kind <= 0 || (min == 0 && p[end] != '?')) {
			/* '.', \d, a big class, X*, or a group that only contains its set */
			*exact = 0;
			pf_flush(best, &run);
			if (kind == 0 && min > 0 && pf_score(&alts) > pf_score(best))
				*best = alts;
			continue;
		}
		if (min == 0) { /* X? : with or without X */
			if (alts.n == PF_SET_MAX) {
				*exact = 0;
				pf_flush(best, &run);
				continue;
			}
			alts.len[alts.n++] = 0;
		}
		if (pf_cross(&run, &alts) < 0) {
			*exact = 0;
			pf_flush(best, &run);
			run = alts;
		}
		if (q > 0 && min > 0) { /* repeated: what follows is not adjacent to the run */
			*exact = 0;
			pf_flush(best, &run);
			run = alts;
		}
	}
	if (*exact) {
		*best = run;
		return;
	}
	pf_flush(best, &run);
}

/*
 * The union of the sets of every alternative: 1 when each is exact (the
 * union is what the group matches), 0 when the union is only contained in
 * any match, -1 when some alternative offers nothing useful.
 */
static int pf_alternatives(const char *p, size_t n, struct pf_set *out)
{
	struct pf_set *one = malloc(sizeof(*one));
	size_t start = 0, i = 0;
	int all_exact = 1, exact, useless = 0;

	if (one == NULL)
		return -1;
	out->n = 0;
	while (i <= n) {
		if (i == n || p[i] == '|') {
			pf_sequence(p + start, i - start, one, &exact);
			all_exact &= exact;
			useless |= pf_score(one) == 0;
			if (out->n + one->n > PF_SET_MAX) {
				free(one);
				return -1;
			}
			for (size_t k = 0; k < one->n; k++) {
				out->len[out->n] = one->len[k];
				memcpy(out->s[out->n], one->s[k], one->len[k]);
				out->n++;
			}
			start = ++i;
		} else if (p[i] == '\\')
			i += 2;
		else if (p[i] == '[')
			i = pf_skip_class(p, i, n);
		else if (p[i] == '(')
			i = pf_skip_group(p, i, n);
		else
			i++;
	}
	free(one);
	if (all_exact)
		return 1;
	return useless ? -1 : 0;
}

/*
 * The literals of one pattern, one set per top-level alternative,
 * appended to lits; 0 when some alternative has no useful set (the rule
 * is then always run).
 */
static int pf_pattern_literals(const char *p, size_t rule, struct pf_literal **lits, size_t *nlits)
{
	static _Thread_local struct pf_set set;
	size_t n = strlen(p), start = 0, i = 0, first = *nlits;
	int exact;

	while (i <= n) {
		if (i == n || p[i] == '|') {
			pf_sequence(p + start, i - start, &set, &exact);
			if (pf_score(&set) < PF_MIN_LITERAL) {
				*nlits = first; /* drop what this rule added */
				return 0;
			}
			*lits = realloc(*lits, (*nlits + set.n) * sizeof(**lits));
			if (*lits == NULL)
				return -1;
			for (size_t k = 0; k < set.n; k++) {
				struct pf_literal *l = &(*lits)[(*nlits)++];
				l->rule = rule;
				l->len = set.len[k];
				memcpy(l->text, set.s[k], set.len[k]);
			}
			start = ++i;
		} else if (p[i] == '\\')
			i += 2;
		else if (p[i] == '[')
			i = pf_skip_class(p, i, n);
		else if (p[i] == '(')
			i = pf_skip_group(p, i, n);
		else
			i++;
	}
	return 1;
}

/*
 * Aho-Corasick.
 */

static int pf_new_state(struct prefilter *pf)
{
	if (pf->nstates == pf->capstates) {
		int cap = pf->capstates ? pf->capstates * 2 : 1024;
		int *next = realloc(pf->next, (size_t)cap * (size_t)pf->nclasses * sizeof(int));
		int *fail = realloc(pf->fail, (size_t)cap * sizeof(int));
		uint64_t *out = realloc(pf->out, (size_t)cap * pf->nwords * sizeof(uint64_t));

		if (next)
			pf->next = next;
		if (fail)
			pf->fail = fail;
		if (out)
			pf->out = out;
		if (!next || !fail || !out)
			return -1;
		pf->capstates = cap;
	}
	memset(pf->next + (size_t)pf->nstates * (size_t)pf->nclasses, 0xff,
	       (size_t)pf->nclasses * sizeof(int));
	memset(pf->out + (size_t)pf->nstates * pf->nwords, 0, pf->nwords * sizeof(uint64_t));
	pf->fail[pf->nstates] = 0;
	return pf->nstates++;
}

static int *pf_edge(struct prefilter *pf, int s, int c)
{
	return &pf->next[(size_t)s * (size_t)pf->nclasses + (size_t)c];
}

static int pf_insert(struct prefilter *pf, const struct pf_literal *l)
{
	int s = 0;

	for (size_t i = 0; i < l->len; i++) {
		int c = pf->cls[(unsigned char)l->text[i]];
		int *e = pf_edge(pf, s, c);

		if (*e < 0) {
			int t = pf_new_state(pf);
			if (t < 0)
				return -1;
			e = pf_edge(pf, s, c); /* next may have moved */
			*e = t;
		}
		s = *e;
	}
	pf->out[(size_t)s * pf->nwords + l->rule / 64] |= 1ULL << (l->rule % 64);
	return 0;
}

/* Breadth first: failure links, outputs merged along them, missing edges filled. */
static int pf_link(struct prefilter *pf)
{
	int *queue = malloc((size_t)pf->nstates * sizeof(int)), head = 0, tail = 0;

	if (queue == NULL)
		return -1;
	for (int c = 0; c < pf->nclasses; c++) {
		int *e = pf_edge(pf, 0, c);
		if (*e < 0)
			*e = 0;
		else {
			pf->fail[*e] = 0;
			queue[tail++] = *e;
		}
	}
	while (head < tail) {
		int s = queue[head++];

		for (size_t w = 0; w < pf->nwords; w++)
			pf->out[(size_t)s * pf->nwords + w] |=
			    pf->out[(size_t)pf->fail[s] * pf->nwords + w];
		for (int c = 0; c < pf->nclasses; c++) {
			int *e = pf_edge(pf, s, c);
			int via = *pf_edge(pf, pf->fail[s], c);

			if (*e < 0)
				*e = via;
			else {
				pf->fail[*e] = via;
				queue[tail++] = *e;
			}
		}
	}
	free(queue);
	return 0;
}

/* The "pattern =" value of each rule, in file order. */
static char **pf_read_patterns(const char *text, size_t len, size_t *n)
{
	const char *p = text, *end = text + len;
	char **pats = NULL;

	*n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *q = p;

		while (q < p + l && (*q == ' ' || *q == '\t'))
			q++;
		if ((size_t)(p + l - q) > 7 && strncasecmp(q, "pattern", 7) == 0) {
			const char *v = q + 7;
			while (v < p + l && (*v == ' ' || *v == '\t'))
				v++;
			if (v < p + l && *v == '=') {
				const char *ve = p + l;
				v++;
				while (v < ve && (*v == ' ' || *v == '\t'))
					v++;
				while (ve > v &&
				       (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
					ve--;
				pats = realloc(pats, (*n + 1) * sizeof(*pats));
				pats[(*n)++] = strndup(v, (size_t)(ve - v));
			}
		}
		p = nl ? nl + 1 : end;
	}
	return pats;
}

struct prefilter *prefilter_build(const char *rules_text, size_t len)
{
	struct prefilter *pf = calloc(1, sizeof(*pf));
	struct pf_literal *lits = NULL;
	size_t nlits = 0, npat;
	char **pats = pf_read_patterns(rules_text, len, &npat);
	int ok = pf != NULL;

	if (!ok)
		return NULL;
	pf->nrules = npat;
	pf->nwords = (npat + 63) / 64 + 1;
	pf->always = calloc(pf->nwords, sizeof(uint64_t));
	for (size_t r = 0; ok && r < npat; r++) {
		int got = pf_pattern_literals(pats[r], r, &lits, &nlits);

		if (got < 0)
			ok = 0;
		else if (got == 0)
			pf->always[r / 64] |= 1ULL << (r % 64);
		else
			pf->with_literals++;
	}
	/* Byte classes: one per distinct literal byte, 0 for all others. */
	pf->nclasses = 1;
	for (size_t i = 0; i < nlits; i++)
		for (size_t j = 0; j < lits[i].len; j++) {
			unsigned char c = (unsigned char)lits[i].text[j];
			if (pf->cls[c] == 0)
				pf->cls[c] = (unsigned char)pf->nclasses++;
		}
	for (int c = 'A'; c <= 'Z'; c++)
		pf->cls[c] = pf->cls[tolower(c)];
	ok = ok && pf->always != NULL && pf_new_state(pf) == 0;
	for (size_t i = 0; ok && i < nlits; i++)
		ok = pf_insert(pf, &lits[i]) == 0;
	ok = ok && pf_link(pf) == 0;
	for (size_t i = 0; i < npat; i++)
		free(pats[i]);
	free(pats);
	free(lits);
	if (!ok) {
		prefilter_free(pf);
		return NULL;
	}
	return pf;
}

void prefilter_free(struct prefilter *pf)
{
	if (pf == NULL)
		return;
	free(pf->always);
	free(pf->next);
	free(pf->fail);
	free(pf->out);
	free(pf);
}

size_t prefilter_rules_with_literals(const struct prefilter *pf)
{
	return pf->with_literals;
}

/* One pass over the bytes; white space runs count as one space, as in the subject. */
static int pf_feed(const struct prefilter *pf, int s, const char *text, size_t *budget, int *space,
                   uint64_t *hit)
{
	for (const char *p = text; *p && *budget > 0; p++) {
		int sp = isspace((unsigned char)*p);
		unsigned char c = sp ? ' ' : (unsigned char)*p;

		if (sp && *space)
			continue;
		*space = sp;
		(*budget)--;
		s = pf->next[(size_t)s * (size_t)pf->nclasses + pf->cls[c]];
		for (size_t w = 0; w < pf->nwords; w++)
			hit[w] |= pf->out[(size_t)s * pf->nwords + w];
	}
	return s;
}

size_t prefilter_classify(const struct prefilter *pf, const struct rules *const *sets, size_t n,
                          const struct classify_input *in, struct verdict *out)
{
	uint64_t hit[8] = {0};
	size_t budget = PF_SUBJECT_MAX, ran = 0;
	int s = 0, space = 1;
	char code[16];

	if (pf->nwords > 8 || n != pf->nrules) {
		rules_fallback(in->reply_code, in->status, out);
		return 0;
	}
	/* The subject is "<code> <status> <text>": the separators are spaces. */
	if (in->reply_code > 0 && in->reply_code < 1000) {
		snprintf(code, sizeof(code), "%d ", in->reply_code);
		s = pf_feed(pf, s, code, &budget, &space, hit);
	}
	if (in->status && in->status[0]) {
		s = pf_feed(pf, s, in->status, &budget, &space, hit);
		s = pf_feed(pf, s, " ", &budget, &space, hit);
	}
	pf_feed(pf, s, in->text ? in->text : "", &budget, &space, hit);
	for (size_t w = 0; w < pf->nwords; w++)
		hit[w] |= pf->always[w];
	for (size_t r = 0; r < n; r++) {
		if (!(hit[r / 64] & (1ULL << (r % 64))))
			continue;
		ran++;
		rules_classify(sets[r], in, out);
		if (out->rule != NULL)
			return ran;
	}
	rules_fallback(in->reply_code, in->status, out);
	return ran;
}
