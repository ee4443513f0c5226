/*
 * text - byte-string copies and case-blind searches for the parsers. See text.h.
 *
 * How the searches work:
 *	A single word is looked for by its rarest byte (by the letter
 *	frequencies of English text; punctuation rarer, the space commonest):
 *	memchr() finds each place where that byte, in either case, stands,
 *	and only there is the whole word compared. Bounce texts are mostly
 *	English and ASCII, so most bytes are skipped at memchr()'s speed.
 *
 *	A set of words is looked for in one pass (Wu and Manber's multi-word
 *	search): a window as long as the shortest word slides over the text,
 *	and the last three bytes under it say, through a table made once per
 *	set, how far it may move without passing over the start of any word;
 *	only where that is nowhere are the words compared. Words shorter than
 *	TEXT_SHORT would make the window, and so every move, short: they are
 *	looked for one by one as above instead, each only up to the best
 *	match found so far. The table hashes each byte with 0x20 set, which
 *	maps both cases of a letter to the same value, so a case-blind match
 *	always hashes alike.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* Words shorter than this are searched alone (see above). */
#define TEXT_SHORT 8
/* Bytes of a block; the window is at least TEXT_SHORT > TEXT_BLOCK bytes. */
#define TEXT_BLOCK 3
/* A longer window gains nothing for keyword lists; it keeps shifts in a byte. */
#define TEXT_WINDOW_MAX 200

char *text_dup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* White space as isspace() in the C locale, and NUL. */
static int text_is_space(unsigned char c)
{
	static const unsigned char space[256] = {
	    [0] = 1, ['\t'] = 1, ['\n'] = 1, ['\v'] = 1, ['\f'] = 1, ['\r'] = 1, [' '] = 1,
	};

	return space[c];
}

/*
 * Eight bytes at a time, for squeezed text is mostly letters: a word of
 * eight bytes is looked at byte by byte only when it holds a byte below
 * 0x20 (the white space other than ' ', NUL, and other controls) or two
 * spaces side by side. Words are taken seven bytes apart, so that every
 * pair of neighbours stands in one word; byte order does not matter.
 * The masks are exact per byte (no carry crosses a byte): bit 7 of a
 * byte of text_below() is set when that byte of w is below 0x20, of
 * text_spaces() when it is ' '.
 */
#define TEXT_ONES 0x0101010101010101ULL
#define TEXT_LOW7 (0x7f * TEXT_ONES)

static uint64_t text_below(uint64_t w)
{
	/* (b & 0x7f) + 0x60 reaches 0x80 unless b & 0x7f < 0x20; b itself must be < 0x80 */
	return ~(((w & TEXT_LOW7) + 0x60 * TEXT_ONES) | w) & ~TEXT_LOW7;
}

static uint64_t text_spaces(uint64_t w)
{
	uint64_t x = w ^ (0x20 * TEXT_ONES); /* a space is a zero byte of x */

	return ~(((x & TEXT_LOW7) + TEXT_LOW7) | x | TEXT_LOW7);
}

/*
 * Does a squeezed text end a run at s[i]? It does at white space other
 * than a lone ' ' with a byte that is no white space after it in s.
 */
static int text_breaks(const char *s, size_t i, size_t n)
{
	return text_is_space((unsigned char)s[i]) &&
	       (s[i] != ' ' || i + 1 == n || text_is_space((unsigned char)s[i + 1]));
}

/*
 * Where the run that starts at s[i] ends: the first break at or after i,
 * or n. A run is squeezed text as it stands (single spaces between
 * words), so both text_squeezed() and text_squeeze() take it whole.
 */
static size_t text_run_end(const char *s, size_t i, size_t n)
{
	/* a word with no mark holds no break at its first seven bytes (see above) */
	while (i + 8 <= n) {
		uint64_t w, sp;

		memcpy(&w, s + i, 8);
		sp = text_spaces(w);
		if ((text_below(w) | (sp & sp >> 8)) == 0) {
			i += 7;
			continue;
		}
		for (size_t end = i + 7; i < end; i++)
			if (text_breaks(s, i, n))
				return i;
	}
	for (; i < n; i++)
		if (text_breaks(s, i, n))
			return i;
	return n;
}

int text_squeezed(const char *s, size_t n)
{
	/* the ends first: a text squeezed by another hand is seldom off elsewhere */
	return n == 0 || (!text_is_space((unsigned char)s[0]) &&
	                  !text_is_space((unsigned char)s[n - 1]) && text_run_end(s, 0, n) == n);
}

/*
 * Run by run: a run is copied whole, with one space before it when
 * something came before; at the cap, as much of it as fits, but never a
 * space with nothing after it.
 */
char *text_squeeze(const char *s, size_t n, size_t max)
{
	size_t cap = (max && max < n) ? max : n, j = 0, i = 0;
	char *out = malloc(cap + 1);

	if (out == NULL)
		return NULL;
	while (i < n && text_is_space((unsigned char)s[i]))
		i++;
	while (i < n && j < cap) {
		size_t end = text_run_end(s, i, n), len = end - i;

		if (len >= cap - j) {
			len = cap - j;
			memcpy(out + j, s + i, len);
			j += len;
			if (out[j - 1] == ' ') /* a run's spaces are single, each before a word */
				j--;
			break;
		}
		memcpy(out + j, s + i, len);
		j += len;
		for (i = end; i < n && text_is_space((unsigned char)s[i]); i++)
			;
		/* the space before the next run, when there is room for a byte of it too */
		if (i < n) {
			if (j + 2 > cap)
				break;
			out[j++] = ' ';
		}
	}
	out[j] = 0;
	return out;
}

/* ASCII lowercase, as tolower() in the C locale. */
static unsigned char text_fold(unsigned char c)
{
	return (unsigned char)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
}

static int text_eq_ci(const char *s, const char *w, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (text_fold((unsigned char)s[i]) != text_fold((unsigned char)w[i]))
			return 0;
	return 1;
}

/* How rare a byte is in bounce text: higher is rarer. */
static int text_rarity(unsigned char c)
{
	/* a..z ranked by frequency in English, e (1) to z (26): "etaoinsrhldcumfpgwybvkxjqz" */
	static const unsigned char letters[26] = {3, 20, 12, 11, 1, 15, 17, 9,  5,  24, 22, 10, 14,
	                                          6, 4,  16, 25, 8, 7,  2,  13, 21, 18, 23, 19, 26};

	c = text_fold(c);
	if (c >= 'a' && c <= 'z')
		return letters[c - 'a'];
	if (c == ' ')
		return 0;
	if (c == '.' || c == ',' || c == '-')
		return 12;
	if (c >= '0' && c <= '9')
		return 18;
	if (c >= 0x80)
		return 10; /* common in the many non-English bounces */
	return 28;
}

/* Offset of the rarest byte of w (the first of equals). */
static size_t text_anchor(const char *w, size_t k)
{
	size_t best = 0;
	int rarest = text_rarity((unsigned char)w[0]);

	for (size_t i = 1; i < k; i++) {
		int r = text_rarity((unsigned char)w[i]);

		if (r > rarest) {
			best = i;
			rarest = r;
		}
	}
	return best;
}

/*
 * w (k > 0 bytes) in s (n bytes) by its byte at offset a: every place where
 * that byte stands in either case is a candidate, in order of position.
 */
static long text_find_at(const char *s, size_t n, const char *w, size_t k, size_t a)
{
	unsigned char lo = text_fold((unsigned char)w[a]);
	unsigned char up = (unsigned char)(lo >= 'a' && lo <= 'z' ? lo - 0x20 : lo);
	const char *from, *end, *p1, *p2;

	if (k > n)
		return -1;
	/* a match at i has its anchor at i + a, for i in [0, n - k] */
	from = s + a;
	end = from + (n - k + 1);
	p1 = memchr(from, lo, (size_t)(end - from));
	p2 = up != lo ? memchr(from, up, (size_t)(end - from)) : NULL;
	while (p1 != NULL || p2 != NULL) {
		const char *p = (p2 == NULL || (p1 != NULL && p1 < p2)) ? p1 : p2;

		if (text_eq_ci(p - a, w, k))
			return (long)(p - a - s);
		if (p == p1)
			p1 = memchr(p1 + 1, lo, (size_t)(end - (p1 + 1)));
		else
			p2 = memchr(p2 + 1, up, (size_t)(end - (p2 + 1)));
	}
	return -1;
}

long text_find_ci(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	if (k == 0)
		return 0;
	return text_find_at(s, n, needle, k, text_anchor(needle, k));
}

static unsigned text_block_hash(const unsigned char *p)
{
	return (((unsigned)(p[0] | 0x20) << 8) ^ ((unsigned)(p[1] | 0x20) << 4) ^
	        (unsigned)(p[2] | 0x20)) &
	       (TEXT_SET_HASH - 1);
}

void text_set_init(struct text_set *set, const char *const *words)
{
	size_t m = TEXT_WINDOW_MAX;

	memset(set, 0, sizeof(*set));
	set->words = words;
	for (set->nwords = 0; words[set->nwords] != NULL; set->nwords++) {
		size_t i = set->nwords, k = strlen(words[i]);

		if (i >= TEXT_SET_MAX || k == 0)
			set->plain = 1;
		if (set->plain)
			continue;
		set->len[i] = k;
		set->anchor[i] = text_anchor(words[i], k);
		set->last[i] = TEXT_SET_HASH;
		if (k >= TEXT_SHORT && k < m)
			m = k;
	}
	for (size_t i = 0; i < set->nwords && !set->plain; i++)
		if (set->len[i] >= TEXT_SHORT)
			set->window = m;
	if (set->window == 0)
		return;
	/* a block at offset j of a word's first m bytes: the window may move m - 3 - j */
	memset(set->shift, (int)(m - TEXT_BLOCK + 1), sizeof(set->shift));
	for (size_t i = 0; i < set->nwords; i++) {
		if (set->len[i] < TEXT_SHORT)
			continue;
		for (size_t j = 0; j + TEXT_BLOCK <= m; j++) {
			unsigned h = text_block_hash((const unsigned char *)words[i] + j);
			size_t sh = m - TEXT_BLOCK - j;

			if (sh < set->shift[h])
				set->shift[h] = (unsigned char)sh;
			if (sh == 0)
				set->last[i] = h;
		}
	}
}

/* The long words: earliest start, lowest index there. */
static long text_set_scan(const struct text_set *set, const char *s, size_t n, size_t *which)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t m = set->window, pos;

	if (n < m)
		return -1;
	for (pos = m - 1; pos < n;) {
		unsigned h = text_block_hash(u + pos - (TEXT_BLOCK - 1));
		size_t start;

		if (set->shift[h] > 0) {
			pos += set->shift[h];
			continue;
		}
		start = pos + 1 - m;
		for (size_t i = 0; i < set->nwords; i++)
			if (set->last[i] == h && set->len[i] <= n - start &&
			    text_eq_ci(s + start, set->words[i], set->len[i])) {
				*which = i;
				return (long)start;
			}
		pos++;
	}
	return -1;
}

/* A set the table cannot hold: each word alone, as text_find_ci() would. */
static long text_set_plain(const struct text_set *set, const char *s, size_t n, size_t *which)
{
	long best = -1;

	for (size_t i = 0; i < set->nwords; i++) {
		long at = text_find_ci(s, n, set->words[i]);

		if (at >= 0 && (best < 0 || at < best)) {
			best = at;
			*which = i;
		}
	}
	return best;
}

long text_set_find(const struct text_set *set, const char *s, size_t n, size_t *which)
{
	size_t w = 0;
	long best;

	if (set->plain) {
		best = text_set_plain(set, s, n, &w);
		if (best >= 0 && which != NULL)
			*which = w;
		return best;
	}
	best = set->window > 0 ? text_set_scan(set, s, n, &w) : -1;

	for (size_t i = 0; i < set->nwords; i++) {
		size_t lim = n;
		long at;

		if (set->len[i] >= TEXT_SHORT)
			continue;
		/* only a match that starts no later than the best one matters */
		if (best >= 0 && (size_t)best + set->len[i] < n)
			lim = (size_t)best + set->len[i];
		at = text_find_at(s, lim, set->words[i], set->len[i], set->anchor[i]);
		if (at >= 0 && (best < 0 || at < best || (at == best && i < w))) {
			best = at;
			w = i;
		}
	}
	if (best >= 0 && which != NULL)
		*which = w;
	return best;
}
