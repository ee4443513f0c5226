/*
 * sieve - one pass over a text finds the rules that could match it.
 * See sieve.h; literal.h says which literals a rule gets and why a
 * rule skipped here could not have matched.
 *
 * The automaton:
 *	A trie of every literal of every rule, made into a complete DFA the
 *	Aho-Corasick way: failure links are followed once, at build time, to
 *	fill in every missing transition, so a scan costs one table look-up
 *	per byte and never backs up. Bytes are mapped to classes first (one
 *	per byte that occurs in some literal, capitals sharing the class of
 *	their lower-case letter, class 0 for all other bytes): the table has
 *	one row of nclasses transitions per state.
 *
 *	A state "has hits" when a literal ends there or at a state on its
 *	failure chain. Every transition into such a state carries SV_HIT, so
 *	the usual byte costs a load, a mask and a test; on a hit the rules
 *	of the state are marked, then those of the next state with literals
 *	on the failure chain (link[]), and so on.
 *
 * Memory: states are at most one per literal byte plus the root, and at
 *	most SIEVE_STATES_MAX (so a transition fits in 16 bits with SV_HIT):
 *	the table is states x classes x 2 bytes. Rules whose literals would
 *	not fit get none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "literal.h"
#include "sieve.h"

#define SV_HIT 0x8000u /* in a transition: the target state has hits */

struct sieve {
	size_t nrules;
	size_t nwords;
	uint64_t *always; /* rules without literals: candidates for every text */
	size_t nalways;
	size_t nliterals;
	unsigned char cls[256]; /* byte -> class */
	size_t nclasses;
	size_t nstates;
	uint16_t *delta; /* nstates rows of nclasses: target state | SV_HIT */
	uint32_t *first; /* nstates + 1: hits of state s are hit[first[s] .. first[s + 1]) */
	uint32_t *hit;   /* rule numbers */
	uint32_t *link;  /* next state on the failure chain with hits of its own, 0: none */
};

/* What the build needs besides the result; freed when the build ends. */
struct sv_build {
	struct literal_list *lists; /* per rule */
	uint32_t *end_state;        /* per literal, in rule order: where it ends */
	uint32_t *fail;
	uint32_t *queue;
};

static void sv_set(uint64_t *bits, size_t i)
{
	bits[i / 64] |= (uint64_t)1 << (i % 64);
}

/* Rule i gets no literals: it is a candidate for every text. */
static void sv_always(struct sieve *sv, struct sv_build *b, size_t i)
{
	sv_set(sv->always, i);
	sv->nalways++;
	literal_list_free(&b->lists[i]);
}

/* One class per byte used by a literal; capitals share their letter's. */
static void sv_classes(struct sieve *sv, const struct sv_build *b)
{
	sv->nclasses = 1;
	for (size_t i = 0; i < sv->nrules; i++)
		for (size_t k = 0; k < b->lists[i].n; k++) {
			const struct literal *l = &b->lists[i].lit[k];

			for (size_t j = 0; j < l->len; j++) {
				unsigned char c = (unsigned char)l->s[j];

				if (sv->cls[c] == 0)
					sv->cls[c] = (unsigned char)sv->nclasses++;
			}
		}
	for (int c = 'A'; c <= 'Z'; c++)
		sv->cls[c] = sv->cls[c - 'A' + 'a'];
}

/*
 * Keep to SIEVE_STATES_MAX states: count them (at most one per literal
 * byte) rule by rule, and from the first rule that does not fit on, leave
 * rules without literals. Returns the bound on states.
 */
static size_t sv_budget(struct sieve *sv, struct sv_build *b)
{
	size_t states = 1;
	int full = 0;

	for (size_t i = 0; i < sv->nrules; i++) {
		size_t bytes = 0;

		if (b->lists[i].n == 0)
			continue;
		for (size_t k = 0; k < b->lists[i].n; k++)
			bytes += b->lists[i].lit[k].len;
		if (full || states + bytes > SIEVE_STATES_MAX) {
			full = 1;
			sv_always(sv, b, i);
			continue;
		}
		states += bytes;
		sv->nliterals += b->lists[i].n;
	}
	return states;
}

/* Add one literal to the trie; returns the state where it ends. */
static uint32_t sv_insert(struct sieve *sv, const struct literal *l)
{
	uint32_t s = 0;

	for (size_t j = 0; j < l->len; j++) {
		uint16_t *e = &sv->delta[s * sv->nclasses + sv->cls[(unsigned char)l->s[j]]];

		if (*e == 0) /* no edge yet: the root is never a target in the trie */
			*e = (uint16_t)sv->nstates++;
		s = *e;
	}
	return s;
}

/* The trie: rows for every state, each literal's end state recorded. */
static int sv_trie(struct sieve *sv, struct sv_build *b, size_t max_states)
{
	size_t nlit = 0;

	sv->delta = calloc(max_states * sv->nclasses, sizeof(*sv->delta));
	b->end_state = malloc((sv->nliterals + 1) * sizeof(uint32_t));
	if (sv->delta == NULL || b->end_state == NULL)
		return -1;
	sv->nstates = 1;
	for (size_t i = 0; i < sv->nrules; i++)
		for (size_t k = 0; k < b->lists[i].n; k++)
			b->end_state[nlit++] = sv_insert(sv, &b->lists[i].lit[k]);
	return 0;
}

/* The rules of each state, grouped by state (a counting sort). */
static int sv_hits(struct sieve *sv, struct sv_build *b)
{
	uint32_t *cursor = b->fail; /* free until sv_link() */
	size_t nlit = 0;

	sv->first = calloc(sv->nstates + 1, sizeof(uint32_t));
	sv->hit = malloc((sv->nliterals + 1) * sizeof(uint32_t));
	if (sv->first == NULL || sv->hit == NULL)
		return -1;
	for (size_t k = 0; k < sv->nliterals; k++)
		sv->first[b->end_state[k] + 1]++;
	for (size_t s = 0; s < sv->nstates; s++)
		sv->first[s + 1] += sv->first[s];
	memcpy(cursor, sv->first, sv->nstates * sizeof(uint32_t));
	for (size_t i = 0; i < sv->nrules; i++)
		for (size_t k = 0; k < b->lists[i].n; k++)
			sv->hit[cursor[b->end_state[nlit++]]++] = (uint32_t)i;
	return 0;
}

static int sv_has_own(const struct sieve *sv, uint32_t s)
{
	return sv->first[s + 1] > sv->first[s];
}

/*
 * Breadth first, so that a state's failure target (shallower) is done
 * before it: failure links, link[], and every missing transition filled
 * with the failure target's.
 */
static void sv_link(struct sieve *sv, struct sv_build *b)
{
	size_t head = 0;
	size_t tail = 0;
	size_t nc = sv->nclasses;

	sv->link[0] = 0;
	for (size_t c = 0; c < nc; c++) {
		uint16_t t = sv->delta[c];

		if (t != 0) {
			b->fail[t] = 0;
			b->queue[tail++] = t;
		}
	}
	while (head < tail) {
		uint32_t s = b->queue[head++];
		uint32_t f = b->fail[s];
		uint16_t *row = &sv->delta[s * nc];
		const uint16_t *frow = &sv->delta[f * nc];

		sv->link[s] = sv_has_own(sv, f) ? f : sv->link[f];
		for (size_t c = 0; c < nc; c++) {
			if (row[c] == 0) {
				row[c] = frow[c];
			} else {
				b->fail[row[c]] = frow[c];
				b->queue[tail++] = row[c];
			}
		}
	}
}

/* Flag every transition into a state with hits. */
static void sv_flag(struct sieve *sv)
{
	size_t n = sv->nstates * sv->nclasses;

	for (size_t k = 0; k < n; k++) {
		uint16_t t = sv->delta[k];

		if (sv_has_own(sv, t) || sv->link[t] != 0)
			sv->delta[k] = (uint16_t)(t | SV_HIT);
	}
}

static int sv_automaton(struct sieve *sv, struct sv_build *b)
{
	size_t max_states;
	uint16_t *fewer;

	sv_classes(sv, b);
	max_states = sv_budget(sv, b);
	if (sv_trie(sv, b, max_states) < 0)
		return -1;
	/* literals share prefixes: give back the rows no state uses */
	fewer = realloc(sv->delta, sv->nstates * sv->nclasses * sizeof(*sv->delta));
	if (fewer != NULL)
		sv->delta = fewer;
	b->fail = malloc(sv->nstates * sizeof(uint32_t));
	b->queue = malloc(sv->nstates * sizeof(uint32_t));
	sv->link = malloc(sv->nstates * sizeof(uint32_t));
	if (b->fail == NULL || b->queue == NULL || sv->link == NULL || sv_hits(sv, b) < 0)
		return -1;
	sv_link(sv, b);
	sv_flag(sv);
	return 0;
}

void sieve_free(struct sieve *sv)
{
	if (sv == NULL)
		return;
	free(sv->always);
	free(sv->delta);
	free(sv->first);
	free(sv->hit);
	free(sv->link);
	free(sv);
}

static void sv_build_free(struct sv_build *b, size_t n)
{
	for (size_t i = 0; b->lists != NULL && i < n; i++)
		literal_list_free(&b->lists[i]);
	free(b->lists);
	free(b->end_state);
	free(b->fail);
	free(b->queue);
}

int sieve_build(const char *const *patterns, size_t n, struct sieve **out, char *err, size_t errlen)
{
	struct sieve *sv = calloc(1, sizeof(*sv));
	struct sv_build b = {0};
	int ok = sv != NULL;

	*out = NULL;
	if (ok) {
		sv->nrules = n;
		sv->nwords = n / 64 + 1;
		sv->always = calloc(sv->nwords, sizeof(uint64_t));
		b.lists = calloc(n + 1, sizeof(*b.lists));
		ok = sv->always != NULL && b.lists != NULL;
	}
	for (size_t i = 0; ok && i < n; i++) {
		int rc = literal_extract(patterns[i], &b.lists[i]);

		if (rc < 0)
			ok = 0;
		else if (rc == 0)
			sv_always(sv, &b, i);
	}
	ok = ok && sv_automaton(sv, &b) == 0;
	sv_build_free(&b, n);
	if (!ok) {
		sieve_free(sv);
		if (errlen > 0)
			snprintf(err, errlen, "out of memory building the rule sieve");
		return -1;
	}
	*out = sv;
	return 0;
}

size_t sieve_words(const struct sieve *sv)
{
	return sv->nwords;
}

int sieve_always(const struct sieve *sv, size_t i)
{
	return i < sv->nrules && (sv->always[i / 64] >> (i % 64) & 1) != 0;
}

void sieve_stats(const struct sieve *sv, struct sieve_stats *st)
{
	st->rules = sv->nrules;
	st->always = sv->nalways;
	st->literals = sv->nliterals;
	st->states = sv->nstates;
	st->bytes = sizeof(*sv) + sv->nwords * sizeof(uint64_t) +
	            sv->nstates * sv->nclasses * sizeof(*sv->delta) +
	            sv->nstates * 2 * sizeof(uint32_t) + (sv->nliterals + 2) * sizeof(uint32_t);
}

/* The rules whose literals end at state s, directly or on its failure chain. */
static void sv_mark(const struct sieve *sv, uint32_t s, uint64_t *cand)
{
	for (; s != 0; s = sv->link[s])
		for (uint32_t k = sv->first[s]; k < sv->first[s + 1]; k++)
			sv_set(cand, sv->hit[k]);
}

void sieve_scan(const struct sieve *sv, const char *text, size_t len, uint64_t *cand)
{
	const unsigned char *p = (const unsigned char *)text;
	const uint16_t *delta = sv->delta;
	const unsigned char *cls = sv->cls;
	size_t nc = sv->nclasses; /* locals: stores into cand could alias the fields */
	uint32_t s = 0;

	memcpy(cand, sv->always, sv->nwords * sizeof(uint64_t));
	for (size_t i = 0; i < len; i++) {
		uint32_t t = delta[s * nc + cls[p[i]]];

		s = t & (SV_HIT - 1);
		if (t & SV_HIT)
			sv_mark(sv, s, cand);
	}
}
