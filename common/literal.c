/*
 * literal - the literals one of which every match of a rules pattern must
 * contain. See literal.h for the contract.
 *
 * Method:
 *	A recursive-descent parser walks the subset of PCRE2 syntax it knows
 *	(and gives up on the rest) and learns two facts about every piece of
 *	the pattern:
 *	  exact  the strings the piece can match, when they are few and
 *	         known: "(e-?mail|mail)" -> {email, e-mail, mail};
 *	  req    strings one of which any match of the piece contains, or
 *	         "any" when nothing is known to be required.
 *	In a sequence, every window of consecutive exact pieces is a
 *	candidate: the product of their sets ("not on (the )?list" gives
 *	{not on the list, not on list}). The best candidate wins, the req of
 *	a piece that is not exact being a candidate too: sets whose shortest
 *	string is longer win, up to LIT_GOOD_LEN bytes; then fewer strings.
 *	Candidates are cut to their first LIT_KEEP_LEN bytes. Alternatives
 *	unite their sets. At the top level every alternative must have a req
 *	set, and the pattern's literals are their union, less any literal
 *	that contains another.
 *
 * Why it is sound:
 *	- a match of a sequence is the concatenation of matches of its
 *	  pieces, so consecutive exact pieces match one of the products;
 *	- a zero-width piece (^ $ \b \B \A \z \Z \G, lookarounds) adds no
 *	  bytes: its exact set is {""}, whatever it asserts;
 *	- X? is X or nothing; X{m,n} with m >= 1 contains a match of X, and
 *	  starts and ends with one (so runs extend into it from both sides);
 *	  X* and X{0,n} require nothing;
 *	- a class matches one byte of a set; caseless matching without UTF
 *	  with PCRE2's built-in tables folds A-Z/a-z only, so folding the
 *	  class and the text to lower case keeps every match;
 *	- a window that would outgrow the bounds is closed (its shorter
 *	  forms were candidates already), and a required string cut short
 *	  is still required. Nothing is ever guessed.
 *	Anything else (classes with negation, '.', \d, non-ASCII bytes) is a
 *	piece that matches something unknown: no exact set, nothing required.
 *	Syntax whose meaning the parser is not sure of stops it: the pattern
 *	gets no literals and is run on every text.
 */
#include <stdlib.h>
#include <string.h>

#include "literal.h"

/* From this length on a literal is rare enough: prefer fewer strings. */
#define LIT_GOOD_LEN 12
/* Literals are cut to this many bytes: longer ones filter no better. */
#define LIT_KEEP_LEN 16
/* Windows of a sequence open at once (more only means fewer candidates). */
#define LIT_OPEN_MAX 16
/* A class of more bytes than this gives no literal (it would multiply runs). */
#define LIT_CLASS_MAX 8
/* Digits of a {n,m} bound: PCRE2 allows at most 65535. */
#define LIT_BOUND_DIGITS 5

struct lit_set {
	int n;
	unsigned char len[LITERAL_SET_MAX];
	char s[LITERAL_SET_MAX][LITERAL_LEN_MAX];
};

/* What is known of one piece of a pattern. */
struct lit_info {
	int exact_known; /* exact holds every string the piece can match */
	struct lit_set exact;
	int req_any; /* nothing is known to be required */
	struct lit_set req;
};

struct lit_parse {
	const unsigned char *p;
	size_t pos;
	size_t len;
	int depth;
	int bail;  /* syntax the parser does not understand: no literals */
	int nomem; /* out of memory: no literals either */
};

/*
 * A sequence being read. Every window of consecutive exact pieces is a
 * candidate required set (its product); the windows that can still grow
 * are open. The best candidate so far is kept.
 */
struct lit_seq {
	struct lit_set whole; /* product of all pieces, while exact */
	int exact;            /* every piece so far was exact (and whole fits) */
	struct lit_set open[LIT_OPEN_MAX];
	int nopen;
	int in_word; /* the last piece was a letter or digit alone */
	struct lit_set best;
	int best_any;
	struct lit_set tmp;     /* seq_extend()'s product */
	struct lit_set piece;   /* what seq_add() appends */
	struct lit_set trimmed; /* seq_consider()'s candidate */
	struct lit_info item;
};

static void lit_alternatives(struct lit_parse *lp, struct lit_info *out);

/*
 * String sets.
 */

static void set_one(struct lit_set *s, const char *b, size_t n)
{
	s->n = 1;
	s->len[0] = (unsigned char)n;
	memcpy(s->s[0], b, n);
}

static void set_copy(struct lit_set *dst, const struct lit_set *src)
{
	dst->n = src->n;
	memcpy(dst->len, src->len, (size_t)src->n);
	for (int i = 0; i < src->n; i++)
		memcpy(dst->s[i], src->s[i], src->len[i]);
}

static int set_has(const struct lit_set *s, const char *b, size_t n)
{
	for (int i = 0; i < s->n; i++)
		if (s->len[i] == n && memcmp(s->s[i], b, n) == 0)
			return 1;
	return 0;
}

/* Add a string unless present; -1 when it does not fit. */
static int set_add(struct lit_set *s, const char *b, size_t n)
{
	if (n > LITERAL_LEN_MAX)
		return -1;
	if (set_has(s, b, n))
		return 0;
	if (s->n == LITERAL_SET_MAX)
		return -1;
	s->len[s->n] = (unsigned char)n;
	memcpy(s->s[s->n], b, n);
	s->n++;
	return 0;
}

static int set_union(struct lit_set *dst, const struct lit_set *src)
{
	for (int i = 0; i < src->n; i++)
		if (set_add(dst, src->s[i], src->len[i]) < 0)
			return -1;
	return 0;
}

/*
 * out = every string of a followed by every string of b, each cut to its
 * first max bytes (LITERAL_LEN_MAX: none may be cut, -1 instead, as an
 * exact set must not be; LIT_KEEP_LEN for a window, whose candidates are
 * cut there anyway). -1 when there are too many.
 */
static int set_cross(struct lit_set *out, const struct lit_set *a, const struct lit_set *b,
                     size_t max)
{
	char buf[2 * LITERAL_LEN_MAX];
	/* with one string on either side, and none cut, products are distinct */
	int distinct = (a->n == 1 || b->n == 1) && max == LITERAL_LEN_MAX;

	out->n = 0;
	if (a->n * b->n > LITERAL_SET_MAX && distinct)
		return -1;
	for (int i = 0; i < a->n; i++)
		for (int j = 0; j < b->n; j++) {
			size_t n = (size_t)a->len[i] + b->len[j];

			if (n > max && max == LITERAL_LEN_MAX)
				return -1;
			memcpy(buf, a->s[i], a->len[i]);
			memcpy(buf + a->len[i], b->s[j], b->len[j]);
			if (!distinct) {
				if (set_add(out, buf, n < max ? n : max) < 0)
					return -1;
				continue;
			}
			out->len[out->n] = (unsigned char)n;
			memcpy(out->s[out->n++], buf, n);
		}
	return 0;
}

/* The shortest string: 0 for an empty set or one holding "" (useless). */
static size_t set_minlen(const struct lit_set *s)
{
	size_t m = s->n > 0 ? LITERAL_LEN_MAX : 0;

	for (int i = 0; i < s->n; i++)
		if (s->len[i] < m)
			m = s->len[i];
	return m;
}

/*
 * Whether a is a better required set than b (b_any: b requires nothing).
 * A longer shortest string is rarer in a text, up to LIT_GOOD_LEN bytes;
 * beyond that (and between equals) fewer strings are better, then longer.
 */
static int set_better(const struct lit_set *a, const struct lit_set *b, int b_any)
{
	size_t la = set_minlen(a);
	size_t lb;
	size_t ga;
	size_t gb;

	if (la == 0)
		return 0;
	if (b_any)
		return 1;
	lb = set_minlen(b);
	ga = la < LIT_GOOD_LEN ? la : LIT_GOOD_LEN;
	gb = lb < LIT_GOOD_LEN ? lb : LIT_GOOD_LEN;
	if (ga != gb)
		return ga > gb;
	if (a->n != b->n)
		return a->n < b->n;
	return la > lb;
}

/*
 * Facts about single pieces.
 */

/* A piece that matches something unknown ('.', \d, a big class). */
static void info_unknown(struct lit_info *x)
{
	x->exact_known = 0;
	x->req_any = 1;
}

/* A zero-width piece: it matches the empty string only. */
static void info_empty(struct lit_info *x)
{
	x->exact_known = 1;
	set_one(&x->exact, "", 0);
	x->req_any = 1;
}

/* One byte. Non-ASCII bytes are left unknown (see literal.h). */
static void info_byte(struct lit_info *x, int c)
{
	char b;

	if (c <= 0 || c >= 0x80) {
		info_unknown(x);
		return;
	}
	b = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	x->exact_known = 1;
	set_one(&x->exact, &b, 1);
	x->req_any = 0;
	set_one(&x->req, &b, 1);
}

/*
 * Escapes.
 */

/* ASCII letters and digits: the escapes with a meaning of their own. */
static int is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* \xhh or \x{hh}, lp->pos at the 'x'; the byte, or -1 (bail). */
static int lit_hex(struct lit_parse *lp)
{
	const unsigned char *p = lp->p;
	size_t i = lp->pos + 1;
	unsigned v = 0; /* stops growing past 0xff: only bytes are literals */
	int digits = 0;

	if (i < lp->len && p[i] == '{') {
		for (i++; i < lp->len && hex_value(p[i]) >= 0 && digits < 8; i++, digits++)
			if (v <= 0xff)
				v = v * 16 + (unsigned)hex_value(p[i]);
		if (digits == 0 || i >= lp->len || p[i] != '}' || v > 0xff)
			return -1;
		lp->pos = i + 1;
		return (int)v;
	}
	for (; i < lp->len && hex_value(p[i]) >= 0 && digits < 2; i++, digits++)
		v = v * 16 + (unsigned)hex_value(p[i]);
	if (digits == 0)
		return -1;
	lp->pos = i;
	return (int)v;
}

/* The byte of a one-byte escape letter (\n, \t...), or -1. */
static int escape_byte(int e)
{
	switch (e) {
	case 'a':
		return 0x07;
	case 'e':
		return 0x1b;
	case 'f':
		return 0x0c;
	case 'n':
		return 0x0a;
	case 'r':
		return 0x0d;
	case 't':
		return 0x09;
	default:
		return -1;
	}
}

/*
 * An escape inside a class, lp->pos at the backslash. Returns 1 with
 * *byte for a single byte, 0 for a class escape (\d, \w...), -1 for
 * anything else (bail).
 */
static int lit_class_escape(struct lit_parse *lp, int *byte)
{
	int e;

	if (lp->pos + 1 >= lp->len)
		return -1;
	e = lp->p[lp->pos + 1];
	lp->pos += 2;
	if (!is_alnum(e)) {
		*byte = e;
		return 1;
	}
	if (strchr("dDwWsShHvV", e) != NULL)
		return 0;
	if (e == 'b') { /* backspace inside a class */
		*byte = 0x08;
		return 1;
	}
	if (e == 'x') {
		lp->pos--;
		*byte = lit_hex(lp);
		return *byte < 0 ? -1 : 1;
	}
	*byte = escape_byte(e);
	return *byte < 0 ? -1 : 1;
}

/* An escape outside a class, lp->pos at the backslash. */
static void lit_escape(struct lit_parse *lp, struct lit_info *x)
{
	int e;
	int v;

	if (lp->pos + 1 >= lp->len) {
		lp->bail = 1;
		return;
	}
	e = lp->p[lp->pos + 1];
	if (!is_alnum(e)) {
		lp->pos += 2;
		info_byte(x, e); /* escaped punctuation is itself */
		return;
	}
	if (e == 'x') {
		lp->pos++;
		if ((v = lit_hex(lp)) < 0)
			lp->bail = 1;
		else
			info_byte(x, v);
		return;
	}
	lp->pos += 2;
	if ((v = escape_byte(e)) >= 0)
		info_byte(x, v);
	else if (strchr("bBAzZG", e) != NULL)
		info_empty(x);
	else if (strchr("dDwWsShHvVRXC", e) != NULL ||
	         (e == 'N' && (lp->pos >= lp->len || lp->p[lp->pos] != '{')))
		info_unknown(x); /* \N is any byte but newline; \N{...} is a name */
	else
		lp->bail = 1; /* \1 \g \k \K \p \Q \E \c \o \0 \N{...} and the rest */
}

/*
 * Classes.
 */

/* "[:alpha:]" or "[:^alpha:]" inside a class, lp->pos at the '['; -1 if not that. */
static int lit_posix(struct lit_parse *lp)
{
	size_t i = lp->pos + 2;
	size_t start;

	if (i < lp->len && lp->p[i] == '^')
		i++;
	start = i;
	while (i < lp->len && lp->p[i] >= 'a' && lp->p[i] <= 'z' && i - start < 10)
		i++;
	if (i == start || i + 1 >= lp->len || lp->p[i] != ':' || lp->p[i + 1] != ']')
		return -1;
	lp->pos = i + 2;
	return 0;
}

/*
 * One element of a class: a byte, or a range, into bits[]. Returns 1 when
 * the element is something else (\d, [:alpha:], an odd range) that only
 * makes the class unknown, 0 when added, -1 to bail.
 */
static int lit_class_element(struct lit_parse *lp, unsigned char bits[256])
{
	const unsigned char *p = lp->p;
	int lo;
	int hi;
	int r;

	if (p[lp->pos] == '[') {
		if (lp->pos + 1 < lp->len && p[lp->pos + 1] == ':')
			return lit_posix(lp) < 0 ? -1 : 1;
		if (lp->pos + 1 < lp->len && (p[lp->pos + 1] == '.' || p[lp->pos + 1] == '='))
			return -1;
		lo = p[lp->pos++];
	} else if (p[lp->pos] == '\\') {
		if ((r = lit_class_escape(lp, &lo)) < 0)
			return -1;
		if (r == 0) /* "[\\d-z]" is ambiguous: bail; "[\\w-]" is fine */
			return lp->pos + 1 < lp->len && p[lp->pos] == '-' && p[lp->pos + 1] != ']'
			           ? -1
			           : 1;
	} else {
		lo = p[lp->pos++];
	}
	if (lp->pos + 1 >= lp->len || p[lp->pos] != '-' || p[lp->pos + 1] == ']') {
		bits[lo] = 1;
		return 0;
	}
	lp->pos++; /* a range */
	if (p[lp->pos] == '\\') {
		if (lit_class_escape(lp, &hi) <= 0)
			return -1;
	} else if (p[lp->pos] == '[') {
		return -1;
	} else {
		hi = p[lp->pos++];
	}
	if (hi < lo)
		return -1;
	if (lo == '-' || hi == '-')
		return 1; /* legal but odd: do not guess its bytes */
	for (int c = lo; c <= hi; c++)
		bits[c] = 1;
	return 0;
}

/*
 * A class, lp->pos at the '['. Its exact set is its bytes folded to lower
 * case when there are few, all ASCII and the class is not negated.
 */
static void lit_class(struct lit_parse *lp, struct lit_info *x)
{
	unsigned char bits[256] = {0};
	int negated = 0;
	int unknown = 0;
	int first = 1;
	struct lit_set set = {0};

	lp->pos++;
	if (lp->pos < lp->len && lp->p[lp->pos] == '^') {
		negated = 1;
		lp->pos++;
	}
	for (;;) {
		int r;

		if (lp->pos >= lp->len) {
			lp->bail = 1;
			return;
		}
		if (lp->p[lp->pos] == ']' && !first) { /* a leading ']' is a member */
			lp->pos++;
			break;
		}
		first = 0;
		if ((r = lit_class_element(lp, bits)) < 0) {
			lp->bail = 1;
			return;
		}
		unknown |= r;
	}
	for (int c = 0; c < 256 && !unknown && !negated; c++) {
		char b = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);

		if (!bits[c])
			continue;
		if (c == 0 || c >= 0x80 || set_add(&set, &b, 1) < 0 || set.n > LIT_CLASS_MAX)
			unknown = 1;
	}
	if (unknown || negated || set.n == 0) {
		info_unknown(x);
		return;
	}
	x->exact_known = 1;
	x->exact = set;
	x->req_any = 0;
	x->req = set;
}

/*
 * Groups.
 */

/* "(?<name>", "(?'name'", "(?P<name>": lp->pos at the name; past its end, or -1. */
static int lit_group_name(struct lit_parse *lp, int close)
{
	size_t i = lp->pos;
	const unsigned char *p = lp->p;

	if (i >= lp->len ||
	    !((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '_'))
		return -1;
	while (i < lp->len && i - lp->pos <= 32 &&
	       ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
	        (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
		i++;
	if (i >= lp->len || p[i] != close)
		return -1;
	lp->pos = i + 1;
	return 0;
}

/*
 * Past the opening of a group, lp->pos at the '('. Returns 1 for a group
 * that matches what its contents match (capturing, "(?:", named, atomic,
 * branch reset), 0 for a lookaround, -1 for anything else (bail).
 */
static int lit_group_open(struct lit_parse *lp)
{
	const unsigned char *p = lp->p;
	size_t i = lp->pos + 1;

	if (i < lp->len && p[i] == '*')
		return -1; /* (*VERB), (*pla:...) */
	if (i >= lp->len || p[i] != '?') {
		lp->pos = i;
		return 1;
	}
	if (i + 1 >= lp->len)
		return -1;
	switch (p[i + 1]) {
	case ':':
	case '>':
	case '|':
		lp->pos = i + 2;
		return 1;
	case '=':
	case '!':
		lp->pos = i + 2;
		return 0;
	case '<':
		if (i + 2 < lp->len && (p[i + 2] == '=' || p[i + 2] == '!')) {
			lp->pos = i + 3;
			return 0;
		}
		lp->pos = i + 2;
		return lit_group_name(lp, '>') < 0 ? -1 : 1;
	case '\'':
		lp->pos = i + 2;
		return lit_group_name(lp, '\'') < 0 ? -1 : 1;
	case 'P':
		if (i + 2 >= lp->len || p[i + 2] != '<')
			return -1; /* (?P=name) backreference, (?P>name) recursion */
		lp->pos = i + 3;
		return lit_group_name(lp, '>') < 0 ? -1 : 1;
	default:
		return -1; /* options, comments, conditionals, recursion, callouts */
	}
}

static void lit_group(struct lit_parse *lp, struct lit_info *x)
{
	int kind = lit_group_open(lp);

	if (kind < 0 || ++lp->depth > LITERAL_NEST_MAX) {
		lp->bail = 1;
		return;
	}
	lit_alternatives(lp, x);
	lp->depth--;
	if (lp->bail || lp->nomem)
		return;
	if (lp->pos >= lp->len || lp->p[lp->pos] != ')') {
		lp->bail = 1;
		return;
	}
	lp->pos++;
	if (kind == 0)
		info_empty(x); /* a lookaround consumes nothing, whatever it asserts */
}

/*
 * Atoms and quantifiers.
 */

static void lit_atom(struct lit_parse *lp, struct lit_info *x)
{
	int c = lp->p[lp->pos];

	switch (c) {
	case '(':
		lit_group(lp, x);
		break;
	case '[':
		lit_class(lp, x);
		break;
	case '\\':
		lit_escape(lp, x);
		break;
	case '.':
		lp->pos++;
		info_unknown(x);
		break;
	case '^':
	case '$':
		lp->pos++;
		info_empty(x);
		break;
	case '*':
	case '+':
	case '?':
	case '{':
		lp->bail = 1; /* a quantifier with nothing to repeat, or a literal '{' */
		break;
	default:
		lp->pos++;
		info_byte(x, c);
		break;
	}
}

/* Up to LIT_BOUND_DIGITS digits at lp->pos; -1 when there are none. */
static long lit_number(struct lit_parse *lp)
{
	long v = -1;
	int digits = 0;

	while (lp->pos < lp->len && lp->p[lp->pos] >= '0' && lp->p[lp->pos] <= '9' &&
	       digits < LIT_BOUND_DIGITS) {
		v = (v < 0 ? 0 : v * 10) + (lp->p[lp->pos++] - '0');
		digits++;
	}
	return v;
}

/* "{n}", "{n,}", "{n,m}", lp->pos at the '{'; -1 for anything else. */
static int lit_braces(struct lit_parse *lp, long *min, long *max)
{
	lp->pos++;
	if ((*min = lit_number(lp)) < 0)
		return -1;
	*max = *min;
	if (lp->pos < lp->len && lp->p[lp->pos] == ',') {
		lp->pos++;
		*max = lit_number(lp); /* -1: no upper bound */
	}
	if (lp->pos >= lp->len || lp->p[lp->pos] != '}' || (*max >= 0 && *max < *min))
		return -1;
	lp->pos++;
	return 0;
}

/* The quantifier after an atom, if any: min and max (-1 unbounded), 1 and 1 if none. */
static void lit_quantifier(struct lit_parse *lp, long *min, long *max)
{
	int c;

	*min = 1;
	*max = 1;
	if (lp->pos >= lp->len)
		return;
	c = lp->p[lp->pos];
	if (c == '?' || c == '*' || c == '+') {
		*min = c == '+';
		*max = c == '?' ? 1 : -1;
		lp->pos++;
	} else if (c == '{') {
		if (lit_braces(lp, min, max) < 0) {
			lp->bail = 1;
			return;
		}
	} else {
		return;
	}
	if (lp->pos < lp->len && (lp->p[lp->pos] == '?' || lp->p[lp->pos] == '+'))
		lp->pos++; /* lazy or possessive: matches no more than greedy */
	if (lp->pos < lp->len && strchr("?*+{", lp->p[lp->pos]) != NULL)
		lp->bail = 1;
}

/*
 * Sequences.
 */

/*
 * A candidate for the required set of the sequence, cut to its first
 * LIT_KEEP_LEN bytes (part of a required string is required too): long
 * literals filter no better and would only grow the automaton.
 */
static void seq_consider(struct lit_seq *q, const struct lit_set *cand)
{
	struct lit_set *t = &q->trimmed;
	size_t have = q->best_any ? 0 : set_minlen(&q->best);
	size_t got = set_minlen(cand);

	/* cut or not, a set whose shortest string is shorter cannot win */
	if (got < LIT_GOOD_LEN && got < have)
		return;
	t->n = 0;
	for (int i = 0; i < cand->n; i++) {
		size_t n = cand->len[i] < LIT_KEEP_LEN ? cand->len[i] : LIT_KEEP_LEN;
		(void)set_add(t, cand->s[i], n); /* never more strings than cand */
	}
	if (set_better(t, &q->best, q->best_any)) {
		set_copy(&q->best, t);
		q->best_any = 0;
	}
}

/*
 * Append an exact piece: the whole product grows, every open window
 * grows (and is a candidate), and a new window opens at the piece. A
 * window that outgrows the set bounds, or whose every string is already
 * LIT_KEEP_LEN long, is closed: it was a candidate at its last step.
 */
static void seq_extend(struct lit_seq *q, const struct lit_set *e)
{
	int k = 0;
	int in_word;

	if (q->exact) {
		if (set_cross(&q->tmp, &q->whole, e, LITERAL_LEN_MAX) == 0)
			set_copy(&q->whole, &q->tmp);
		else
			q->exact = 0;
	}
	while (k < q->nopen) {
		if (set_cross(&q->tmp, &q->open[k], e, LIT_KEEP_LEN) < 0) {
			set_copy(&q->open[k], &q->open[--q->nopen]);
			continue;
		}
		seq_consider(q, &q->tmp);
		if (set_minlen(&q->tmp) >= LIT_KEEP_LEN) {
			set_copy(&q->open[k], &q->open[--q->nopen]);
			continue;
		}
		set_copy(&q->open[k++], &q->tmp);
	}
	seq_consider(q, e);
	/*
	 * Windows start where a word can: not at a letter that follows a
	 * letter ("ailbox" is never better than "mailbox", and skipping them
	 * keeps the work small), not at a piece that may match nothing
	 * ("(the )?list" is never better than "list"). Past LIT_OPEN_MAX no
	 * window starts either: fewer candidates, never a wrong one.
	 */
	in_word = e->n == 1 && e->len[0] == 1 && is_alnum((unsigned char)e->s[0][0]);
	if (set_minlen(e) > 0 && !(in_word && q->in_word) && q->nopen < LIT_OPEN_MAX)
		set_copy(&q->open[q->nopen++], e);
	q->in_word = in_word;
}

/* A piece that is not exact: what came before and what follows are apart. */
static void seq_cut(struct lit_seq *q)
{
	q->nopen = 0;
	q->exact = 0;
	q->in_word = 0;
}

/* Append piece x repeated min to max (-1: unbounded) times. */
static void seq_add(struct lit_seq *q, const struct lit_info *x, long min, long max)
{
	if (max == 0) { /* X{0} matches the empty string */
		set_one(&q->piece, "", 0);
		seq_extend(q, &q->piece);
		return;
	}
	if (min == 0) { /* X? is X or nothing; X* and X{0,n} require nothing */
		if (max == 1 && x->exact_known && x->exact.n < LITERAL_SET_MAX) {
			set_copy(&q->piece, &x->exact);
			(void)set_add(&q->piece, "", 0);
			seq_extend(q, &q->piece);
			return;
		}
		seq_cut(q);
		return;
	}
	if (!x->exact_known) {
		seq_cut(q);
		if (!x->req_any)
			seq_consider(q, &x->req);
		return;
	}
	set_copy(&q->piece, &x->exact);
	seq_extend(q, &q->piece);
	if (max == 1)
		return;
	/* X{m,n}, 1 <= m, 1 < n: it starts with an X and ends with one. */
	seq_cut(q);
	set_copy(&q->open[q->nopen++], &q->piece);
}

/* One alternative: pieces up to '|', ')' or the end. */
static void lit_sequence(struct lit_parse *lp, struct lit_info *out)
{
	struct lit_seq *q = malloc(sizeof(*q));
	long min;
	long max;

	if (q == NULL) {
		lp->nomem = 1;
		return;
	}
	set_one(&q->whole, "", 0);
	q->exact = 1;
	q->nopen = 0;
	q->in_word = 0;
	q->best.n = 0;
	q->best_any = 1;
	while (lp->pos < lp->len && lp->p[lp->pos] != '|' && lp->p[lp->pos] != ')') {
		lit_atom(lp, &q->item);
		if (lp->bail || lp->nomem)
			break;
		lit_quantifier(lp, &min, &max);
		if (lp->bail)
			break;
		seq_add(q, &q->item, min, max);
	}
	out->exact_known = q->exact;
	if (q->exact)
		set_copy(&out->exact, &q->whole);
	out->req_any = q->best_any;
	if (!q->best_any)
		set_copy(&out->req, &q->best);
	free(q);
}

/* b joins a as another alternative. */
static void info_unite(struct lit_info *a, const struct lit_info *b)
{
	if (!a->exact_known || !b->exact_known || set_union(&a->exact, &b->exact) < 0)
		a->exact_known = 0;
	if (a->req_any || b->req_any || set_union(&a->req, &b->req) < 0)
		a->req_any = 1;
}

/* Alternatives inside a group, up to its ')'. */
static void lit_alternatives(struct lit_parse *lp, struct lit_info *out)
{
	struct lit_info *b = malloc(sizeof(*b));
	int first = 1;

	if (b == NULL) {
		lp->nomem = 1;
		return;
	}
	for (;;) {
		lit_sequence(lp, first ? out : b);
		if (lp->bail || lp->nomem)
			break;
		if (!first)
			info_unite(out, b);
		first = 0;
		if (lp->pos >= lp->len || lp->p[lp->pos] != '|')
			break;
		lp->pos++;
	}
	free(b);
}

/*
 * The list of a whole pattern.
 */

static int list_add(struct literal_list *list, const char *s, size_t n)
{
	struct literal *grown;

	for (size_t i = 0; i < list->n; i++)
		if (list->lit[i].len == n && memcmp(list->lit[i].s, s, n) == 0)
			return 0;
	if (list->n == LITERAL_LIST_MAX)
		return -1;
	if ((grown = realloc(list->lit, (list->n + 1) * sizeof(*grown))) == NULL)
		return -2;
	list->lit = grown;
	memcpy(list->lit[list->n].s, s, n);
	list->lit[list->n].s[n] = 0;
	list->lit[list->n].len = n;
	list->n++;
	return 0;
}

/* Drop literals that contain another: where they occur, so does the other. */
static void list_minimise(struct literal_list *list)
{
	size_t keep = 0;

	for (size_t i = 0; i < list->n; i++) {
		int redundant = 0;

		for (size_t j = 0; j < list->n && !redundant; j++)
			redundant = j != i && list->lit[j].len <= list->lit[i].len &&
			            (list->lit[j].len < list->lit[i].len || j < i) &&
			            memmem(list->lit[i].s, list->lit[i].len, list->lit[j].s,
			                   list->lit[j].len) != NULL;
		if (!redundant)
			list->lit[keep++] = list->lit[i];
	}
	list->n = keep;
}

void literal_list_free(struct literal_list *list)
{
	free(list->lit);
	list->lit = NULL;
	list->n = 0;
}

/* Each top-level alternative's required set joins the list; 0 if one has none. */
static int lit_top(struct lit_parse *lp, struct lit_info *x, struct literal_list *out)
{
	for (;;) {
		lit_sequence(lp, x);
		if (lp->nomem)
			return -1;
		if (lp->bail || x->req_any)
			return 0;
		for (int i = 0; i < x->req.n; i++) {
			int rc = list_add(out, x->req.s[i], x->req.len[i]);
			if (rc < 0)
				return rc == -1 ? 0 : -1;
		}
		if (lp->pos >= lp->len)
			return 1;
		if (lp->p[lp->pos] != '|')
			return 0; /* an unmatched ')': PCRE2 would not compile it */
		lp->pos++;
	}
}

int literal_extract(const char *pattern, struct literal_list *out)
{
	struct lit_parse lp = {.p = (const unsigned char *)pattern, .len = strlen(pattern)};
	struct lit_info *x = malloc(sizeof(*x));
	int rc;

	out->n = 0;
	out->lit = NULL;
	if (x == NULL)
		return -1;
	rc = lit_top(&lp, x, out);
	free(x);
	if (rc <= 0) {
		literal_list_free(out);
		return rc;
	}
	list_minimise(out);
	return 1;
}
