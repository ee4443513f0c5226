/*
 * test_literal - the literals a pattern's matches must contain: what they
 * are for tricky patterns, that syntax the extractor does not understand
 * gives none, and above all that they are sound: every text PCRE2
 * matches (compiled as rules.c compiles it) contains one of them. The
 * soundness checks use hand-picked texts, the shipped rules' examples, and
 * random patterns with texts sampled from them.
 */
#include <string.h>
#include <strings.h>

#include "testutil.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "literal.h"

/* ------------------------------------------------------------------ */
/* Helpers. */

static pcre2_code *compile(const char *pattern)
{
	int errcode;
	PCRE2_SIZE erroff;

	/* the flags of rules.c's set_pattern() */
	return pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                     PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP, &errcode, &erroff,
	                     NULL);
}

/* 1 match, 0 no match, -1 an error such as the match limit (random patterns) */
static int match_rc(pcre2_code *re, const char *text, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc;

	pcre2_match_context *mc = pcre2_match_context_create(NULL);

	assert_non_null(md);
	assert_non_null(mc);
	pcre2_set_match_limit(mc, 20000); /* random patterns can backtrack a lot */
	rc = pcre2_match(re, (PCRE2_SPTR)text, len, 0, 0, md, mc);
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

static int matches(pcre2_code *re, const char *text, size_t len)
{
	int rc = match_rc(re, text, len);

	assert_true(rc >= 0);
	return rc;
}

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether some literal occurs in text, ASCII capitals folded. */
static int contains_one(const struct literal_list *l, const char *text, size_t len)
{
	for (size_t k = 0; k < l->n; k++)
		for (size_t i = 0; i + l->lit[k].len <= len; i++) {
			size_t j = 0;

			while (j < l->lit[k].len && fold(text[i + j]) == l->lit[k].s[j])
				j++;
			if (j == l->lit[k].len)
				return 1;
		}
	return 0;
}

static int has_literal(const struct literal_list *l, const char *s)
{
	for (size_t k = 0; k < l->n; k++)
		if (strcmp(l->lit[k].s, s) == 0)
			return 1;
	return 0;
}

/* The pattern gives exactly the literals listed (NULL-terminated), in any order. */
static void assert_literals(const char *pattern, const char *const *want)
{
	struct literal_list l;
	size_t n = 0;

	assert_int_equal(literal_extract(pattern, &l), 1);
	for (; want[n] != NULL; n++)
		if (!has_literal(&l, want[n]))
			fail_msg("pattern '%s': literal '%s' missing", pattern, want[n]);
	if (l.n != n)
		fail_msg("pattern '%s': %zu literals, expected %zu", pattern, l.n, n);
	literal_list_free(&l);
}

static void assert_none(const char *pattern)
{
	struct literal_list l;

	if (literal_extract(pattern, &l) != 0)
		fail_msg("pattern '%s' has literals (first '%s'), expected none", pattern,
		         l.n > 0 ? l.lit[0].s : "");
	assert_int_equal(l.n, 0);
	assert_null(l.lit);
}

/*
 * Every text (NULL-terminated) must be matched by the pattern (so the
 * check is not vacuous) and, when the pattern has literals, contain one.
 */
static void assert_sound(const char *pattern, const char *const *texts)
{
	pcre2_code *re = compile(pattern);
	struct literal_list l;
	int rc = literal_extract(pattern, &l);

	if (re == NULL)
		fail_msg("pattern '%s' does not compile", pattern);
	assert_true(rc >= 0);
	for (size_t i = 0; texts[i] != NULL; i++) {
		size_t len = strlen(texts[i]);

		if (!matches(re, texts[i], len))
			fail_msg("test bug: '%s' does not match '%s'", pattern, texts[i]);
		if (rc == 1 && !contains_one(&l, texts[i], len))
			fail_msg("unsound: '%s' matches '%s', which has none of its %zu literals",
			         pattern, texts[i], l.n);
	}
	literal_list_free(&l);
	pcre2_code_free(re);
}

#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})

/* ------------------------------------------------------------------ */
/* What the literals are. */

static void test_plain_text_is_its_own_literal_in_lower_case(void **state)
{
	(void)state;
	assert_literals("Relay access denied", LIST("relay access den"));
	assert_literals("SPAM", LIST("spam"));
	assert_literals("5\\.7\\.1", LIST("5.7.1"));
}

static void test_long_literals_are_cut_to_a_prefix_of_at_most_the_maximum(void **state)
{
	struct literal_list l;

	(void)state;
	assert_int_equal(
	    literal_extract("the quick brown fox jumps over the lazy dog again and again", &l), 1);
	assert_int_equal(l.n, 1);
	assert_true(l.lit[0].len <= LITERAL_LEN_MAX);
	assert_non_null(
	    strstr("the quick brown fox jumps over the lazy dog again and again", l.lit[0].s));
	literal_list_free(&l);
}

static void test_top_level_alternatives_each_give_literals(void **state)
{
	(void)state;
	assert_literals("spamhaus|spamcop", LIST("spamhaus", "spamcop"));
	/* a literal contained in another makes the other redundant */
	assert_literals("user unknown|unknown", LIST("unknown"));
}

static void test_an_alternative_without_literal_leaves_the_pattern_without_any(void **state)
{
	(void)state;
	assert_none("spamhaus|\\d+");
	assert_none("spamhaus|");
	assert_none("(?:spamhaus|[a-z]+)");
	assert_none("spamhaus|(abc)?");
}

static void test_optional_pieces_multiply_out(void **state)
{
	(void)state;
	assert_literals("gr[ae]y", LIST("gray", "grey"));
	assert_literals("not on (the )?list", LIST("not on the list", "not on list"));
	assert_literals("e-?mail", LIST("e-mail", "email"));
	assert_literals("x(a|b)?y", LIST("xay", "xby", "xy"));
}

static void test_starred_and_zero_minimum_pieces_require_nothing(void **state)
{
	(void)state;
	assert_none("a*");
	assert_none("(abc)?");
	assert_none("(abc){0,3}");
}

static void test_required_repetition_keeps_its_literal(void **state)
{
	(void)state;
	assert_literals("(abc)+", LIST("abc"));
	assert_literals("(?:abc){2,}", LIST("abc"));
	assert_literals("x{1,3}yz", LIST("xyz"));
	assert_literals("abc{0}d", LIST("abd")); /* c{0} matches the empty string */
}

static void test_nested_groups_give_every_combination(void **state)
{
	(void)state;
	assert_literals("((a|b)c|d(e|f))g", LIST("acg", "bcg", "deg", "dfg"));
	assert_literals("(?:(?:(?:deep)))", LIST("deep"));
}

static void test_classes_expand_only_when_small_plain_and_not_negated(void **state)
{
	(void)state;
	assert_literals("[A-C]x", LIST("ax", "bx", "cx")); /* folded */
	assert_literals("[a-z]+ spam", LIST(" spam"));
	assert_literals("[^a]bc", LIST("bc"));
	assert_literals("[\\d.]abc", LIST("abc"));
	assert_literals("[]x]yz", LIST("]yz", "xyz")); /* a leading ']' is a member */
	assert_literals("[\\w-]+foo", LIST("foo"));
	assert_literals("[[:digit:]]foo", LIST("foo"));
}

static void test_escapes_are_literals_or_unknown(void **state)
{
	(void)state;
	assert_literals("\\d\\d\\d foo", LIST(" foo"));
	assert_literals("\\w+@example", LIST("@example"));
	assert_literals("\\x41BC", LIST("abc"));
	assert_literals("\\x{41}BC", LIST("abc"));
	assert_literals("a\\.b\\-c\\ d", LIST("a.b-c d"));
	assert_literals("\\s+spam\\S", LIST("spam"));
}

static void test_anchors_and_lookarounds_add_no_bytes(void **state)
{
	(void)state;
	assert_literals("^550 5\\.3\\.2$", LIST("550 5.3.2"));
	assert_literals("(?<![\\d.])5\\.7\\.12(?!\\.?\\d)", LIST("5.7.12"));
	assert_literals("\\bspam\\b", LIST("spam"));
	assert_literals("foo(?=bar)baz", LIST("foobaz"));
	assert_literals("(?<!mailbox )size exceeds", LIST("size exceeds"));
}

static void test_non_ascii_bytes_are_never_part_of_a_literal(void **state)
{
	struct literal_list l;

	(void)state;
	assert_int_equal(literal_extract("bloqu\xe9\x65 pour spam", &l), 1);
	for (size_t k = 0; k < l.n; k++)
		for (size_t i = 0; i < l.lit[k].len; i++)
			assert_true((unsigned char)l.lit[k].s[i] < 0x80);
	literal_list_free(&l);
	assert_none("\xe9\xe8");
	assert_none("\\xe9");
}

static void test_syntax_the_extractor_does_not_understand_gives_no_literals(void **state)
{
	static const char *const unsure[] = {
	    "(?i)spam",
	    "(?x) s p a m",
	    "(?-i:spam)",
	    "(?#note)spam",
	    "(a)\\1spam",
	    "(?<n>a)\\k<n>x",
	    "(?P<n>a)(?P=n)xx",
	    "(?P>n)",
	    "\\Qa.b\\E",
	    "\\Espam",
	    "\\p{L}spam",
	    "\\pLspam",
	    "spam\\Kham",
	    "\\12spam",
	    "\\0spam",
	    "\\o{101}bc",
	    "\\cAspam",
	    "\\g1spam",
	    "\\N{U+41}bc",
	    "(?(1)a|b)spam",
	    "(?R)spam",
	    "(?1)spam",
	    "(?C1)spam",
	    "(*UCP)spam",
	    "(*ACCEPT)spam",
	    "a{,3}spam",
	    "spam{",
	    "spam{x}",
	    "spam{2",
	    "[[.a.]]spam",
	    "[[=a=]]spam",
	    "[\\d-z]spam",
	    "spam\\",
	    "(spam",
	    "spam)",
	    "a**",
	    "*spam",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(unsure) / sizeof(unsure[0]); i++)
		assert_none(unsure[i]);
}

static void test_nesting_is_bounded(void **state)
{
	char deep[3 * LITERAL_NEST_MAX + 32];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < LITERAL_NEST_MAX; i++)
		deep[n++] = '(';
	memcpy(deep + n, "spam", 4);
	n += 4;
	for (int i = 0; i < LITERAL_NEST_MAX; i++)
		deep[n++] = ')';
	deep[n] = 0;
	assert_literals(deep, LIST("spam"));

	n = 0;
	for (int i = 0; i <= LITERAL_NEST_MAX; i++)
		deep[n++] = '(';
	memcpy(deep + n, "spam", 4);
	n += 4;
	for (int i = 0; i <= LITERAL_NEST_MAX; i++)
		deep[n++] = ')';
	deep[n] = 0;
	assert_none(deep);
}

static void test_too_many_combinations_still_give_a_sound_literal(void **state)
{
	static const char p[] = "(a|b|c|d)(a|b|c|d)(a|b|c|d)(a|b|c|d)xyz";
	struct literal_list l;

	(void)state;
	assert_int_equal(literal_extract(p, &l), 1);
	assert_true(l.n <= LITERAL_LIST_MAX);
	literal_list_free(&l);
	assert_sound(p, LIST("abcdxyz", "dddd xyz ddddxyz", "ABCDXYZ"));
}

/* ------------------------------------------------------------------ */
/* Soundness on hand-picked texts. */

static void test_tricky_patterns_are_sound_on_texts_they_match(void **state)
{
	(void)state;
	assert_sound("not on (the )?approved sender list",
	             LIST("550 Not On Approved Sender List", "not on the approved sender list"));
	assert_sound("sender (address )?verification (failed|is required)",
	             LIST("sender verification failed", "SENDER ADDRESS VERIFICATION IS REQUIRED"));
	assert_sound("(?<![\\d.])5\\.7\\.13[0-6](?!\\.?\\d)", LIST("550 5.7.133 x", "5.7.130"));
	assert_sound("too many (\\w+ ){0,2}(connections|sessions)",
	             LIST("too many connections", "too many open smtp sessions"));
	assert_sound("(ab|cd){2}ef", LIST("abcdef", "cdcdef", "xxababefyy"));
	assert_sound("a(b|)c", LIST("ac", "abc"));
	assert_sound("x(?:y?z)+w", LIST("xzw", "xyzyzw", "xzzzw"));
	assert_sound("\\bIPs? (address(es)? )?(\\[?[\\da-f.:]+\\]? )?(is |are )?(blocked|banned)",
	             LIST("IP 1.2.3.4 is blocked", "ips addresses banned", "IP [::1] blocked"));
	assert_sound("^5\\d\\d ([a-z0-9-]+\\.)+[a-z]{2,} does not exist",
	             LIST("550 mx.example.org does not exist"));
	assert_sound("(?:a|b)??c", LIST("c", "ac", "bc"));
	assert_sound("x{2}y", LIST("xxy", "XXY"));
	assert_sound("a{1,}+b", LIST("ab", "aaab"));
	assert_sound("[Ss][Pp][Aa][Mm]", LIST("spam", "SPAM", "sPaM"));
	assert_sound("\\x20spam\\t", LIST(" spam\t"));
	assert_sound("(?|(a)|(b))c", LIST("ac", "bc"));
	assert_sound("(?>abc|ab)d", LIST("abcd"));
}

/* ------------------------------------------------------------------ */
/* Soundness on the shipped rules: every example a rule matches. */

static char *read_whole(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = 0;
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/* The value of "key = value" when line is that field; NULL otherwise. */
static char *field(char *line, const char *key)
{
	size_t n = strlen(key);
	char *v;

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncasecmp(line, key, n) != 0)
		return NULL;
	v = line + n;
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v != '=')
		return NULL;
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	v[strcspn(v, "\r\n")] = 0;
	for (size_t e = strlen(v); e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t'); e--)
		v[e - 1] = 0;
	return v;
}

static void test_shipped_rules_are_sound_on_their_examples(void **state)
{
	size_t len;
	char *buf = read_whole(RULES_CONF, &len);
	struct literal_list l = {0};
	pcre2_code *re = NULL;
	int rc = 0;
	size_t rules = 0;
	size_t with_literals = 0;
	size_t checked = 0;

	(void)state;
	for (char *line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		char *v;

		if ((v = field(line, "pattern")) != NULL) {
			literal_list_free(&l);
			pcre2_code_free(re);
			re = compile(v);
			assert_non_null(re);
			rc = literal_extract(v, &l);
			assert_true(rc >= 0);
			rules++;
			with_literals += rc == 1;
		} else if ((v = field(line, "example")) != NULL && re != NULL) {
			if (!matches(re, v, strlen(v)))
				continue; /* matched only as a subject (code and status rebuilt) */
			checked++;
			if (rc == 1 && !contains_one(&l, v, strlen(v)))
				fail_msg("unsound: an example has none of its rule's literals: %s",
				         v);
		}
	}
	literal_list_free(&l);
	pcre2_code_free(re);
	free(buf);
	print_message("%zu rules, %zu with literals, %zu examples checked\n", rules, with_literals,
	              checked);
	assert_true(rules >= 100);
	assert_true(checked >= 250);
}

/* ------------------------------------------------------------------ */
/* Soundness on random patterns, with texts sampled from each. */

static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;

static unsigned rnd(unsigned n)
{
	/* xorshift64*: repeatable across runs and platforms */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

/* A pattern node: a leaf, or a group of alternative sequences. */
struct gnode {
	const char *pat;   /* leaf: its pattern text */
	const char *bytes; /* leaf: bytes it matches ("" = zero width) */
	int group;
	int nalt;
	int nseq[3];
	struct gnode *seq[3][4];
	int min, max; /* repetitions sampled */
	const char *quant;
};

struct leaf {
	const char *pat;
	const char *bytes;
};

static const struct leaf leaves[] = {
    {"a", "aA"},
    {"b", "bB"},
    {"c", "c"},
    {"X", "xX"},
    {"-", "-"},
    {" ", " "},
    {"\\.", "."},
    {"\\-", "-"},
    {"\\x41", "aA"},
    {"[ab]", "abAB"},
    {"[a-c]", "abcC"},
    {"[A-C]", "abcABC"},
    {"[-x]", "-x"},
    {"[x-]", "x-"},
    {"[\\d.]", "09."},
    {"[^a]", "bx -.9"},
    {"[\\w-]", "aZ_9-"},
    {".", "ab -.9X"},
    {"\\d", "0123456789"},
    {"\\w", "abX_5"},
    {"\\s", " "},
    {"\\S", "a.-9"},
    {"\\b", ""},
    {"\\B", ""},
    {"^", ""},
    {"$", ""},
    {"(?=a)", ""},
    {"(?!b)", ""},
    {"(?<=a)", ""},
    {"(?<![\\d.])", ""},
    {"(?!\\.?\\d)", ""},
};

static const struct {
	const char *text;
	int min, max; /* max -1: unbounded, sampled up to min + 2 */
} quants[] = {
    {"", 1, 1},      {"", 1, 1},   {"", 1, 1},      {"", 1, 1},       {"?", 0, 1},
    {"*", 0, -1},    {"+", 1, -1}, {"{0,2}", 0, 2}, {"{1,3}", 1, 3},  {"{2}", 2, 2},
    {"{2,}", 2, -1}, {"??", 0, 1}, {"+?", 1, -1},   {"{1,2}?", 1, 2}, {"{1}", 1, 1},
};

static const char *const openers[] = {"(", "(?:", "(?>", "(?|"};

static struct gnode *gen_node(int depth);

static struct gnode *gen_group(int depth, struct gnode *g)
{
	g->group = 1;
	g->nalt = 1 + (int)rnd(3);
	for (int a = 0; a < g->nalt; a++) {
		g->nseq[a] = 1 + (int)rnd(4);
		for (int k = 0; k < g->nseq[a]; k++)
			g->seq[a][k] = gen_node(depth + 1);
	}
	return g;
}

static struct gnode *gen_node(int depth)
{
	struct gnode *g = calloc(1, sizeof(*g));
	unsigned q = rnd(sizeof(quants) / sizeof(quants[0]));

	assert_non_null(g);
	g->quant = quants[q].text;
	g->min = quants[q].min;
	g->max = quants[q].max;
	if (depth < 3 && rnd(4) == 0)
		return gen_group(depth, g);
	g->pat = leaves[rnd(sizeof(leaves) / sizeof(leaves[0]))].pat;
	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++)
		if (leaves[i].pat == g->pat)
			g->bytes = leaves[i].bytes;
	if (g->bytes[0] == 0) { /* PCRE2 refuses most repeated assertions */
		g->quant = "";
		g->min = g->max = 1;
	}
	return g;
}

static void gen_free(struct gnode *g)
{
	for (int a = 0; g->group && a < g->nalt; a++)
		for (int k = 0; k < g->nseq[a]; k++)
			gen_free(g->seq[a][k]);
	free(g);
}

static void put(char *buf, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);

	assert_true(*n + l < cap);
	memcpy(buf + *n, s, l);
	*n += l;
	buf[*n] = 0;
}

static void gen_pattern(const struct gnode *g, int top, char *buf, size_t cap, size_t *n)
{
	if (!g->group) {
		put(buf, cap, n, g->pat);
	} else {
		if (!top)
			put(buf, cap, n, openers[((size_t)g->nalt * 7 + (size_t)g->nseq[0]) % 4]);
		for (int a = 0; a < g->nalt; a++) {
			if (a > 0)
				put(buf, cap, n, "|");
			for (int k = 0; k < g->nseq[a]; k++)
				gen_pattern(g->seq[a][k], 0, buf, cap, n);
		}
		if (!top)
			put(buf, cap, n, ")");
	}
	if (!top)
		put(buf, cap, n, g->quant);
}

/* A text the node matches, give or take assertions; appended to buf. */
static void gen_text(const struct gnode *g, int top, char *buf, size_t cap, size_t *n)
{
	int reps =
	    top ? 1
	        : g->min + (int)rnd((unsigned)((g->max < 0 ? g->min + 2 : g->max) - g->min + 1));

	for (int r = 0; r < reps; r++) {
		if (g->group) {
			int a = (int)rnd((unsigned)g->nalt);

			for (int k = 0; k < g->nseq[a]; k++)
				gen_text(g->seq[a][k], 0, buf, cap, n);
		} else if (g->bytes[0] != 0 && *n + 1 < cap) {
			buf[(*n)++] = g->bytes[rnd((unsigned)strlen(g->bytes))];
			buf[*n] = 0;
		}
	}
}

static void test_random_patterns_are_sound_on_texts_sampled_from_them(void **state)
{
	static const char noise[] = "abcxAB -.09_";
	size_t patterns = 0;
	size_t with_literals = 0;
	size_t matched = 0;
	size_t checked = 0;

	(void)state;
	for (int round = 0; round < 4000; round++) {
		struct gnode *g = calloc(1, sizeof(*g));
		char pat[2048];
		size_t pn = 0;
		struct literal_list l;
		pcre2_code *re;
		int rc;

		assert_non_null(g);
		gen_group(0, g);
		pat[0] = 0;
		gen_pattern(g, 1, pat, sizeof(pat), &pn);
		if ((re = compile(pat)) == NULL) { /* e.g. a repeated assertion */
			gen_free(g);
			continue;
		}
		patterns++;
		rc = literal_extract(pat, &l);
		assert_true(rc >= 0);
		with_literals += rc == 1;
		for (int t = 0; t < 40; t++) {
			char text[512];
			size_t tn = 0;

			text[0] = 0;
			for (unsigned k = rnd(3); k > 0; k--)
				text[tn++] = noise[rnd(sizeof(noise) - 1)];
			gen_text(g, 1, text, sizeof(text) - 4, &tn);
			for (unsigned k = rnd(3); k > 0; k--)
				text[tn++] = noise[rnd(sizeof(noise) - 1)];
			text[tn] = 0;
			if (match_rc(re, text, tn) <= 0)
				continue;
			matched++;
			checked += rc == 1;
			if (rc == 1 && !contains_one(&l, text, tn))
				fail_msg("unsound: '%s' matches '%s', which has none of its %zu "
				         "literals (first '%s')",
				         pat, text, l.n, l.n ? l.lit[0].s : "");
		}
		literal_list_free(&l);
		pcre2_code_free(re);
		gen_free(g);
	}
	print_message("%zu random patterns, %zu with literals; %zu texts matched, %zu of them "
	              "by a pattern with literals\n",
	              patterns, with_literals, matched, checked);
	/* the property was put to work, not passed vacuously */
	assert_true(patterns >= 3000);
	assert_true(with_literals >= 1000);
	assert_true(checked >= 20000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_text_is_its_own_literal_in_lower_case),
	    cmocka_unit_test(test_long_literals_are_cut_to_a_prefix_of_at_most_the_maximum),
	    cmocka_unit_test(test_top_level_alternatives_each_give_literals),
	    cmocka_unit_test(test_an_alternative_without_literal_leaves_the_pattern_without_any),
	    cmocka_unit_test(test_optional_pieces_multiply_out),
	    cmocka_unit_test(test_starred_and_zero_minimum_pieces_require_nothing),
	    cmocka_unit_test(test_required_repetition_keeps_its_literal),
	    cmocka_unit_test(test_nested_groups_give_every_combination),
	    cmocka_unit_test(test_classes_expand_only_when_small_plain_and_not_negated),
	    cmocka_unit_test(test_escapes_are_literals_or_unknown),
	    cmocka_unit_test(test_anchors_and_lookarounds_add_no_bytes),
	    cmocka_unit_test(test_non_ascii_bytes_are_never_part_of_a_literal),
	    cmocka_unit_test(test_syntax_the_extractor_does_not_understand_gives_no_literals),
	    cmocka_unit_test(test_nesting_is_bounded),
	    cmocka_unit_test(test_too_many_combinations_still_give_a_sound_literal),
	    cmocka_unit_test(test_tricky_patterns_are_sound_on_texts_they_match),
	    cmocka_unit_test(test_shipped_rules_are_sound_on_their_examples),
	    cmocka_unit_test(test_random_patterns_are_sound_on_texts_sampled_from_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
