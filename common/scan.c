/*
 * scan - delivery results from the text of a bounce. See scan.h.
 *
 * How it works:
 *	1. The text. The first text/plain part outside any returned message
 *	   (else the first text/html part with its tags removed), cut where
 *	   the returned message starts: a line such as "--- Below this line
 *	   is a copy of the message." (qmail), "------ This is a copy of the
 *	   message, including all the headers. ------" (Exim), "----- Original
 *	   message -----" (Gmail), or the first line that is a Received:,
 *	   Return-Path: or DKIM-Signature: header.
 *	2. The recipients. Every address in the text, in order, except the
 *	   sender's: the bounce's To: and From:, the returned message's
 *	   From:, Sender:, Reply-To: and Return-Path:, any address written
 *	   after "MAIL FROM:", "from", "Reply-To:" or "mailto:", and
 *	   MAILER-DAEMON. An X-Failed-Recipients header (Exim, Gmail), when
 *	   present, names the recipients instead.
 *	3. Each line belongs to the recipient it names, else to the one the
 *	   line before belonged to; a recipient's runs of lines hold its
 *	   reply. The reply is taken from the first run that has a reply code
 *	   (at a line start or after "said:", "(reason:", "<<<", ...) up to
 *	   the end of that paragraph; failing that, the first run that says
 *	   more than the address; failing that, for a lone recipient, the first
 *	   reply code anywhere in the text, or the whole text.
 *	The recognisers in scan_formats[] come first: each knows one way of
 *	writing that the steps above would misread, and either produces the
 *	report itself or adds what it knows (recipients, a reply) and lets
 *	the generic steps finish.
 */
#include <ctype.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "reply.h"
#include "scan.h"
#include "text.h"

#define SCAN_EXCL_MAX 32
#define SCAN_FOUND_MAX 16 /* addresses kept for scan_owners(); more: it finds them again */

/* Word lists searched in one pass each (made once: scan_sets_init()). */
static struct text_set scan_list_start_set, scan_delay_set;

struct scan_line {
	size_t off;
	size_t len;
	int has_at; /* an '@' stands in it: it may name an address */
};

struct scan_rcpt {
	char addr[ADDR_MAX]; /* normalised */
	char *diag;          /* chosen reply, or NULL */
};

/* An address of the text as scan_collect() found it, in text order. */
struct scan_found {
	size_t line;
	char addr[ADDR_MAX]; /* normalised */
};

struct scan_ctx {
	const struct mail *m;
	char *text;      /* NUL-terminated, LF line ends */
	size_t len;      /* up to where the returned message starts */
	size_t full_len; /* all of it */
	int depth;       /* bounces quoted in bounces (scan_embedded) */
	struct scan_line *lines;
	size_t nlines;
	size_t nexcl;
	size_t first_line;       /* where recipients start to be collected */
	struct scan_rcpt *rcpts; /* room for rcpt_cap, grown by scan_rcpt_add() */
	size_t nrcpts, rcpt_cap;
	int fixed;  /* the recipient set is known: take no more from the text */
	int *owner; /* per line: index into rcpts, or -1 */
	/*
	 * Every address of the lines from found_from on, when scan_collect()
	 * walked them and there were at most SCAN_FOUND_MAX (found_all):
	 * scan_owners() then reads them in found instead of finding them in
	 * the lines again.
	 */
	size_t nfound, found_from;
	int found_all;
	struct dsn_report *out;
	int oom;
	/* Last, and not cleared by scan_setup(): only the first nexcl are set. */
	int excl_weak[SCAN_EXCL_MAX]; /* from a header: a line naming the address alone wins */
	char excl[SCAN_EXCL_MAX][ADDR_MAX];
	struct scan_found found[SCAN_FOUND_MAX]; /* likewise: the first nfound */
};

/* --- small string helpers ------------------------------------------------ */

static char *scan_dup(struct scan_ctx *ctx, const char *s, size_t n)
{
	char *p = text_dup(s, n);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

/* Copy n bytes of s with white space runs made one space, trimmed, capped. */
static char *scan_squeeze(struct scan_ctx *ctx, const char *s, size_t n)
{
	char *p = text_squeeze(s, n, SCAN_DIAG_MAX - 1);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

/* ASCII lowercase, as tolower() in the C locale. */
static int scan_lower(int c)
{
	return (unsigned)(c - 'A') < 26u ? c | 0x20 : c;
}

/* Does s (n bytes) start with word, ignoring case? */
static inline int scan_starts(const char *s, size_t n, const char *word)
{
	size_t k;

	/* most calls fail at the first byte: spare them the rest */
	if (n == 0 || scan_lower((unsigned char)s[0]) != scan_lower((unsigned char)word[0]))
		return 0;
	k = strlen(word);
	return n >= k && strncasecmp(s, word, k) == 0;
}

/* Case-blind search for needle in n bytes of s; offset or -1. */
static long scan_find(const char *s, size_t n, const char *needle)
{
	return text_find_ci(s, n, needle);
}

/* --- 1. the text ----------------------------------------------------------- */

/* First leaf of this type, not looking into enclosed messages. */
static const struct mail_part *scan_leaf(const struct mail_part *p, const char *type, size_t depth)
{
	const struct mail_part *t;

	if (strcmp(p->type, type) == 0 && p->nchildren == 0)
		return p;
	if (strncmp(p->type, "multipart/", 10) != 0 || depth > 8)
		return NULL;
	for (size_t i = 0; i < p->nchildren; i++)
		if ((t = scan_leaf(p->children[i], type, depth + 1)) != NULL)
			return t;
	return NULL;
}

/* HTML to text: tags go, block ends become line ends, a few entities. */
static size_t scan_unhtml(const char *s, size_t n, char *out, size_t cap)
{
	static const struct {
		const char *ent;
		char c;
	} ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&nbsp;", ' '}, {"&quot;", '"'}};
	size_t j = 0, i = 0;

	while (i < n && j + 1 < cap) {
		if (s[i] == '<') {
			int brk =
			    scan_starts(s + i, n - i, "<br") || scan_starts(s + i, n - i, "</p") ||
			    scan_starts(s + i, n - i, "</div") ||
			    scan_starts(s + i, n - i, "</tr") || scan_starts(s + i, n - i, "<p") ||
			    scan_starts(s + i, n - i, "</li");

			while (i < n && s[i] != '>')
				i++;
			i++;
			if (brk)
				out[j++] = '\n';
			continue;
		}
		if (s[i] == '&') {
			size_t e;

			for (e = 0; e < sizeof(ents) / sizeof(ents[0]); e++)
				if (scan_starts(s + i, n - i, ents[e].ent))
					break;
			if (e < sizeof(ents) / sizeof(ents[0])) {
				out[j++] = ents[e].c;
				i += strlen(ents[e].ent);
				continue;
			}
		}
		out[j++] = s[i++];
	}
	out[j] = 0;
	return j;
}

/*
 * Lines at which the returned message starts. A line is compared with
 * its leading dashes, stars, equals signs and spaces removed.
 */
static const char *const scan_cut_lines[] = {
    "below this line is a copy of the message",
    "this is a copy of the message",
    "original message follows",
    "unsent message follows",
    "message headers follow",
    "below is a copy of the original message",
    "returned message",
    "original message",
    "included is a copy of the message header",
    "the original message headers",
    "original message headers",
    "copy of the original message",
    "headers of the original",
    "the header of the original message",
    "message header follows",
    NULL,
};

static const char *const scan_cut_headers[] = {
    "Received: ", "Return-Path: ", "DKIM-Signature: ", "X-Received: ", "ARC-Seal: ", NULL,
};

/*
 * Per first byte (either case), which of the words above start with it:
 * bit k for scan_cut_lines[k], bit SCAN_CUT_HDR + k for
 * scan_cut_headers[k]. Most lines start with none, and the others are
 * compared with the few that do.
 */
#define SCAN_CUT_HDR 16
static uint32_t scan_cut_first[256];
_Static_assert(sizeof(scan_cut_lines) / sizeof(scan_cut_lines[0]) - 1 <= SCAN_CUT_HDR &&
                   sizeof(scan_cut_headers) / sizeof(scan_cut_headers[0]) - 1 <= 32 - SCAN_CUT_HDR,
               "a bit for each word of scan_cut_lines and scan_cut_headers");

/* Does s start with one of the words (a NULL-ended list) that mask names? */
static int scan_starts_any(const char *s, size_t n, const char *const *words, uint32_t mask)
{
	for (size_t k = 0; mask != 0; k++, mask >>= 1)
		if ((mask & 1) && scan_starts(s, n, words[k]))
			return 1;
	return 0;
}

static int scan_is_cut(const char *s, size_t n)
{
	size_t i = 0;
	uint32_t m;

	if (n > 0 && scan_starts_any(s, n, scan_cut_headers,
	                             scan_cut_first[(unsigned char)s[0]] >> SCAN_CUT_HDR))
		return 1;
	while (i < n && (s[i] == '-' || s[i] == '*' || s[i] == '=' || s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i > 64 || i == n)
		return 0;
	m = scan_cut_first[(unsigned char)s[i]] & ((1u << SCAN_CUT_HDR) - 1);
	for (size_t k = 0; m != 0; k++, m >>= 1) {
		size_t w;

		if (!(m & 1) || !scan_starts(s + i, n - i, scan_cut_lines[k]))
			continue;
		/* the whole line, or the line up to a colon, dash or full stop */
		w = strlen(scan_cut_lines[k]);
		if ((i + w == n || strchr(" :.-=*", s[i + w]) != NULL) &&
		    (scan_cut_lines[k][0] != 'o' || i + w + 12 >= n))
			return 1;
	}
	return 0;
}

/* Mark the lines that hold an '@', with one memchr() per such line. */
static void scan_mark_at(struct scan_ctx *ctx)
{
	const struct scan_line *last = ctx->nlines ? &ctx->lines[ctx->nlines - 1] : NULL;
	size_t end = last ? last->off + last->len : 0, li = 0;
	const char *p = memchr(ctx->text, '@', end);

	while (p != NULL) {
		size_t at = (size_t)(p - ctx->text), next;

		while (li + 1 < ctx->nlines && ctx->lines[li + 1].off <= at)
			li++;
		ctx->lines[li].has_at = 1;
		next = ctx->lines[li].off + ctx->lines[li].len;
		p = next < end ? memchr(ctx->text + next, '@', end - next) : NULL;
	}
}

/* Split ctx->text into lines and cut it where the returned message starts. */
static int scan_lines(struct scan_ctx *ctx)
{
	size_t off = 0, cap = 64;

	ctx->lines = malloc(cap * sizeof(*ctx->lines));
	if (ctx->lines == NULL)
		return -1;
	while (off < ctx->len && ctx->nlines < SCAN_LINES_MAX) {
		const char *nl = memchr(ctx->text + off, '\n', ctx->len - off);
		size_t n = nl ? (size_t)(nl - (ctx->text + off)) : ctx->len - off;

		if (ctx->nlines > 0 && scan_is_cut(ctx->text + off, n)) {
			ctx->len = off;
			break;
		}
		if (ctx->nlines == cap) {
			struct scan_line *p = realloc(ctx->lines, cap * 2 * sizeof(*p));

			if (p == NULL)
				return -1;
			ctx->lines = p;
			cap *= 2;
		}
		ctx->lines[ctx->nlines].off = off;
		ctx->lines[ctx->nlines].len = n;
		ctx->lines[ctx->nlines].has_at = 0;
		ctx->nlines++;
		off += n + 1;
	}
	scan_mark_at(ctx);
	return 0;
}

static int scan_text(struct scan_ctx *ctx)
{
	const struct mail_part *p = scan_leaf(ctx->m->root, "text/plain", 0);
	const char *body;
	size_t n;

	if (p == NULL && strcmp(ctx->m->root->type, "text/plain") == 0)
		p = ctx->m->root;
	if (p != NULL) {
		body = mail_part_body(p, &n);
		if (n > SCAN_TEXT_MAX)
			n = SCAN_TEXT_MAX;
		if ((ctx->text = malloc(n + 1)) == NULL)
			return -1;
		memcpy(ctx->text, body, n);
		ctx->text[n] = 0;
		ctx->len = n;
	} else if ((p = scan_leaf(ctx->m->root, "text/html", 0)) != NULL) {
		if ((ctx->text = malloc(SCAN_TEXT_MAX + 1)) == NULL)
			return -1;
		body = mail_part_body(p, &n);
		ctx->len = scan_unhtml(body, n, ctx->text, SCAN_TEXT_MAX + 1);
	} else if (ctx->m->root->nchildren == 0 &&
	           (body = mail_part_body(ctx->m->root, &n)) != NULL && n > 0) {
		/* a multipart whose boundary never appears: its body is the text */
		if (n > SCAN_TEXT_MAX)
			n = SCAN_TEXT_MAX;
		if ((ctx->text = malloc(n + 1)) == NULL)
			return -1;
		memcpy(ctx->text, body, n);
		ctx->text[n] = 0;
		ctx->len = n;
	} else {
		return 0;
	}
	ctx->full_len = ctx->len;
	return scan_lines(ctx);
}

/* --- 2. addresses ---------------------------------------------------------- */

/*
 * Bytes of an address (C locale): SCAN_LOCAL in a local part (letters,
 * digits and the specials RFC 5322 allows in an atom), SCAN_DOMAIN in a
 * domain (letters, digits, '-', '.'), SCAN_ALPHA for letters.
 */
enum { SCAN_LOCAL = 1, SCAN_DOMAIN = 2, SCAN_ALPHA = 4 };
/* clang-format off */
static const unsigned char scan_addr_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 3, 3, 1,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 1, 0, 1,
	0, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 0, 0, 0, 1, 1,
	1, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 1, 1, 1, 1, 0,
};
/* clang-format on */

/* Offset of the next '@' in s[from..n), or n. */
static size_t scan_next_at(const char *s, size_t n, size_t from)
{
	const char *p = from < n ? memchr(s + from, '@', n - from) : NULL;

	return p ? (size_t)(p - s) : n;
}

/*
 * The address around the '@' at s[at] (s has n bytes): its start and end,
 * or 0 when it is not one (no dot in the domain, no letters in the last
 * label, nothing before the '@').
 */
static int scan_addr_at(const char *s, size_t n, size_t at, size_t *b, size_t *e)
{
	size_t i = at, j = at + 1, k;

	while (i > 0 && (scan_addr_class[(unsigned char)s[i - 1]] & SCAN_LOCAL) && at - i < 128)
		i--;
	while (i < at && (s[i] == '.' || s[i] == '\'' || s[i] == '`'))
		i++;
	while (j < n && (scan_addr_class[(unsigned char)s[j]] & SCAN_DOMAIN) && j - at < 256)
		j++;
	while (j > at + 1 && (s[j - 1] == '.' || s[j - 1] == '-'))
		j--;
	if (i == at || j == at + 1)
		return 0;
	/* the last label: letters only, back to a dot of the domain */
	for (k = j; k > at + 1 && (scan_addr_class[(unsigned char)s[k - 1]] & SCAN_ALPHA); k--)
		;
	if (k == at + 1 || s[k - 1] != '.' || j - k < 2 || j - k > 63)
		return 0;
	*b = i;
	*e = j;
	return 1;
}

/* A word with its length, for tables compared by length or last byte first. */
/* clang-format off */
#define SCAN_WORD(w) {(w), sizeof(w) - 1}
/* clang-format on */

/*
 * Words after which an address is not a recipient: the sender's, or the
 * bounce's own help address ("please contact <postmaster@...>").
 */
static const struct {
	const char *word;
	size_t len;
} scan_sender_words[] = {
    SCAN_WORD("mail from:"),    SCAN_WORD("from:"),       SCAN_WORD("from"),
    SCAN_WORD("from="),         SCAN_WORD("sender:"),     SCAN_WORD("reply-to:"),
    SCAN_WORD("return-path:"),  SCAN_WORD("message-id:"), SCAN_WORD("mailto:"),
    SCAN_WORD("envelope-from"), SCAN_WORD("sender"),      SCAN_WORD("contact"),
    SCAN_WORD("send mail to"),
};

static int scan_is_sender_context(const char *line, size_t b)
{
	size_t e = b, s;
	int last;

	while (e > 0 && (line[e - 1] == '<' || line[e - 1] == ' ' || line[e - 1] == '"' ||
	                 line[e - 1] == '\t' || line[e - 1] == '('))
		e--;
	s = e > 16 ? e - 16 : 0;
	if (e == 0)
		return 0;
	last = scan_lower((unsigned char)line[e - 1]);
	for (size_t k = 0; k < sizeof(scan_sender_words) / sizeof(scan_sender_words[0]); k++) {
		size_t w = scan_sender_words[k].len;

		/* the word ends where the address starts: its last byte first */
		if (last != scan_sender_words[k].word[w - 1])
			continue;
		if (e - s >= w && strncasecmp(line + e - w, scan_sender_words[k].word, w) == 0 &&
		    (e - w == 0 || !isalnum((unsigned char)line[e - w - 1])))
			return 1;
	}
	return 0;
}

/* Copy an address into one of the fixed slots, cut as snprintf() would cut it. */
static void scan_addr_copy(char dst[ADDR_MAX], const char *a)
{
	size_t n = strlen(a);

	if (n >= ADDR_MAX)
		n = ADDR_MAX - 1;
	memcpy(dst, a, n);
	dst[n] = 0;
}

/* Is a excluded? A weak exclusion does not hold against a line naming a alone. */
static int scan_excluded(const struct scan_ctx *ctx, const char *a, int alone)
{
	if (strncmp(a, "mailer-daemon@", 14) == 0)
		return 1;
	for (size_t i = 0; i < ctx->nexcl; i++)
		if (strcmp(ctx->excl[i], a) == 0)
			return !(alone && ctx->excl_weak[i]);
	return 0;
}

static void scan_exclude(struct scan_ctx *ctx, const char *a, int weak)
{
	for (size_t i = 0; i < ctx->nexcl; i++)
		if (strcmp(ctx->excl[i], a) == 0) {
			ctx->excl_weak[i] &= weak;
			return;
		}
	if (ctx->nexcl < SCAN_EXCL_MAX) {
		ctx->excl_weak[ctx->nexcl] = weak;
		scan_addr_copy(ctx->excl[ctx->nexcl++], a);
	}
}

/* Exclude every address in a header value ("Name <a@b>, c@d"). */
static void scan_exclude_value(struct scan_ctx *ctx, const char *v)
{
	size_t n, b, e;
	char tok[ADDR_MAX], norm[ADDR_MAX];

	if (v == NULL)
		return;
	n = strlen(v);
	for (size_t at = 0; (at = scan_next_at(v, n, at)) < n; at++) {
		if (!scan_addr_at(v, n, at, &b, &e) || e - b >= ADDR_MAX)
			continue;
		memcpy(tok, v + b, e - b);
		tok[e - b] = 0;
		if (addr_normalise(tok, norm, sizeof(norm)) == 0)
			scan_exclude(ctx, norm, 1);
		at = e;
	}
}

/* The headers of the returned message, or NULL. */
static const struct mail_part *scan_returned(const struct mail *m)
{
	const struct mail_part *p = mail_find(m, "message/rfc822");

	if (p == NULL)
		p = mail_find(m, "text/rfc822-headers");
	if (p == NULL)
		p = mail_find(m, "message/global");
	return p && p->nchildren > 0 ? p->children[0] : NULL;
}

static void scan_senders(struct scan_ctx *ctx)
{
	static const char *const own[] = {"To", "From", "Reply-To", "Sender", NULL};
	static const char *const ret[] = {"From", "Sender", "Reply-To", "Return-Path", NULL};
	const struct mail_part *r = scan_returned(ctx->m);

	for (size_t i = 0; own[i]; i++)
		scan_exclude_value(ctx, mail_part_header(ctx->m->root, own[i]));
	for (size_t i = 0; r && ret[i]; i++)
		scan_exclude_value(ctx, mail_part_header(r, ret[i]));
}

static int scan_rcpt_index(const struct scan_ctx *ctx, const char *a)
{
	for (size_t i = 0; i < ctx->nrcpts; i++)
		if (strcmp(ctx->rcpts[i].addr, a) == 0)
			return (int)i;
	return -1;
}

static int scan_rcpt_add(struct scan_ctx *ctx, const char *a)
{
	int i = scan_rcpt_index(ctx, a);

	if (i >= 0 || ctx->nrcpts >= SCAN_RCPTS_MAX)
		return i;
	if (ctx->nrcpts == ctx->rcpt_cap) {
		/* most bounces name one or two: start small, at most SCAN_RCPTS_MAX */
		size_t ncap = ctx->rcpt_cap ? ctx->rcpt_cap * 2 : 2;
		struct scan_rcpt *p;

		if (ncap > SCAN_RCPTS_MAX)
			ncap = SCAN_RCPTS_MAX;
		if ((p = realloc(ctx->rcpts, ncap * sizeof(*p))) == NULL) {
			ctx->oom = 1;
			return -1;
		}
		ctx->rcpts = p;
		ctx->rcpt_cap = ncap;
	}
	scan_addr_copy(ctx->rcpts[ctx->nrcpts].addr, a);
	ctx->rcpts[ctx->nrcpts].diag = NULL;
	return (int)ctx->nrcpts++;
}

/*
 * Call fn for each address token of a line: its normalised form and
 * whether it stands in a sender's place. Stops early when fn returns
 * non-zero and returns that value.
 */
#define SCAN_SENDER 1 /* written where a sender's address goes */
#define SCAN_ALONE 2  /* the only thing on its line ("<a@b>:", "  a@b") */

static int scan_alone(const char *s, size_t n, size_t b, size_t e)
{
	while (b > 0 && (s[b - 1] == '<' || s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '*'))
		b--;
	while (e < n && strchr("<>:,.;) \t", s[e]) != NULL)
		e++;
	return b == 0 && e == n;
}

static int scan_line_addrs(struct scan_ctx *ctx, size_t li,
                           int (*fn)(struct scan_ctx *, const char *, int, void *), void *arg)
{
	const char *s = ctx->text + ctx->lines[li].off;
	size_t n = ctx->lines[li].len, b, e;
	char tok[ADDR_MAX], norm[ADDR_MAX];
	int r;

	if (!ctx->lines[li].has_at)
		return 0;
	for (size_t at = 0; (at = scan_next_at(s, n, at)) < n; at++) {
		if (!scan_addr_at(s, n, at, &b, &e))
			continue;
		at = e;
		if (e - b >= ADDR_MAX)
			continue;
		memcpy(tok, s + b, e - b);
		tok[e - b] = 0;
		if (addr_normalise(tok, norm, sizeof(norm)) < 0)
			continue;
		if ((r = fn(ctx, norm,
		            (scan_is_sender_context(s, b) ? SCAN_SENDER : 0) |
		                (scan_alone(s, n, b, e) ? SCAN_ALONE : 0),
		            arg)) != 0)
			return r;
	}
	return 0;
}

/* Keep a of line li for scan_owners(); when there is no room, it finds them again. */
static void scan_found_add(struct scan_ctx *ctx, size_t li, const char *a)
{
	if (!ctx->found_all)
		return;
	if (ctx->nfound == SCAN_FOUND_MAX) {
		ctx->found_all = 0;
		return;
	}
	ctx->found[ctx->nfound].line = li;
	scan_addr_copy(ctx->found[ctx->nfound++].addr, a);
}

static int scan_collect_one(struct scan_ctx *ctx, const char *a, int flags, void *arg)
{
	scan_found_add(ctx, *(const size_t *)arg, a);
	if (flags & SCAN_SENDER)
		scan_exclude(ctx, a, 0);
	else if (!scan_excluded(ctx, a, flags & SCAN_ALONE))
		scan_rcpt_add(ctx, a);
	return 0;
}

/*
 * Lines after which the recipients are listed, when the text first quotes
 * the headers of the returned message (Exchange 2003: "Your message To:
 * ... did not reach the following recipient(s):").
 */
static const char *const scan_list_starts[] = {
    "did not reach the following recipient",
    "cannot be delivered to the following recipient",
    NULL,
};

/*
 * The first line that holds one of the words, or nlines. The words hold
 * no line end, so the earliest match in the text the lines cover is in
 * that line.
 */
static size_t scan_first_line_with(const struct scan_ctx *ctx, const struct text_set *words)
{
	const struct scan_line *last;
	long at;
	size_t li = 0;

	if (ctx->nlines == 0)
		return 0;
	last = &ctx->lines[ctx->nlines - 1];
	if ((at = text_set_find(words, ctx->text, last->off + last->len, NULL)) < 0)
		return ctx->nlines;
	while (li + 1 < ctx->nlines && ctx->lines[li + 1].off <= (size_t)at)
		li++;
	return li;
}

/*
 * The recipients of the text, minus the senders. The exclusions are read
 * here and nowhere else, so they are made here: a report a recogniser
 * produced, or recipients an X-Failed-Recipients header fixed, never
 * needs them.
 */
static void scan_collect(struct scan_ctx *ctx)
{
	size_t li = scan_first_line_with(ctx, &scan_list_start_set);

	scan_senders(ctx);
	if (li < ctx->nlines && ctx->first_line == 0)
		ctx->first_line = li + 1;
	ctx->nfound = 0;
	ctx->found_from = ctx->first_line;
	ctx->found_all = 1;
	for (li = ctx->first_line; li < ctx->nlines; li++)
		scan_line_addrs(ctx, li, scan_collect_one, &li);
}

/*
 * The recipient the returned message was addressed to, when the text names
 * none: one To: address of the returned message, or of a "To:" line after
 * the cut (Sendmail V5, Verizon quote the message inline).
 */
static void scan_collect_returned_to(struct scan_ctx *ctx)
{
	const struct mail_part *h = scan_returned(ctx->m);
	const char *v = h ? mail_part_header(h, "To") : NULL;
	char line[ADDR_MAX + 8];
	size_t n, b, e, off = ctx->len;
	char norm[ADDR_MAX];

	for (size_t guard = 0; v == NULL && off < ctx->full_len && guard < SCAN_LINES_MAX;
	     guard++) {
		const char *nl = memchr(ctx->text + off, '\n', ctx->full_len - off);

		n = nl ? (size_t)(nl - (ctx->text + off)) : ctx->full_len - off;
		if (n == 0 && guard > 0)
			break;
		if (scan_starts(ctx->text + off, n, "To:") && n < sizeof(line)) {
			memcpy(line, ctx->text + off + 3, n - 3);
			line[n - 3] = 0;
			v = line;
		}
		off += n + 1;
	}
	if (v == NULL || strchr(v, ',') != NULL)
		return;
	n = strlen(v);
	for (size_t at = 0; (at = scan_next_at(v, n, at)) < n; at++) {
		char tok[ADDR_MAX];

		if (!scan_addr_at(v, n, at, &b, &e) || e - b >= ADDR_MAX)
			continue;
		memcpy(tok, v + b, e - b);
		tok[e - b] = 0;
		if (addr_normalise(tok, norm, sizeof(norm)) == 0)
			scan_rcpt_add(ctx, norm);
		return;
	}
}

/* --- 3. which lines belong to whom ---------------------------------------- */

struct scan_mention {
	int keep;  /* the current owner, if this line names it */
	int first; /* the first recipient the line names */
	int keeps;
};

static int scan_mention_one(struct scan_ctx *ctx, const char *a, int flags, void *arg)
{
	struct scan_mention *mn = arg;
	int i = scan_rcpt_index(ctx, a);

	(void)flags;
	if (i < 0)
		return 0;
	if (mn->first < 0)
		mn->first = i;
	if (i == mn->keep)
		mn->keeps = 1;
	return 0;
}

static int scan_owners(struct scan_ctx *ctx)
{
	int cur = -1;

	if ((ctx->owner = malloc((ctx->nlines + 1) * sizeof(int))) == NULL)
		return -1;
	for (size_t li = 0, k = 0; li < ctx->nlines; li++) {
		struct scan_mention mn = {cur, -1, 0};

		if (!ctx->found_all || li < ctx->found_from) {
			scan_line_addrs(ctx, li, scan_mention_one, &mn);
		} else {
			/* the addresses scan_collect() found in this line, in order */
			for (; k < ctx->nfound && ctx->found[k].line == li; k++)
				scan_mention_one(ctx, ctx->found[k].addr, 0, &mn);
		}
		if (mn.first >= 0 && !mn.keeps)
			cur = mn.first;
		ctx->owner[li] = cur;
	}
	return 0;
}

/*
 * A reply code at s[i] (of n bytes): 4xx or 5xx standing alone, at the
 * start or after a space, colon or bracket, followed by a space, hyphen,
 * colon or the end.
 */
static int scan_code_at(const char *s, size_t n, size_t i)
{
	if (i + 3 > n || (s[i] != '4' && s[i] != '5') || !isdigit((unsigned char)s[i + 1]) ||
	    !isdigit((unsigned char)s[i + 2]))
		return 0;
	if (i > 0 && strchr(" \t\n:([<\"'", s[i - 1]) == NULL)
		return 0;
	if (i > 1 && s[i - 1] == '(' && s[i - 2] == '#')
		return 0;
	return i + 3 == n || strchr(" -:]\n", s[i + 3]) != NULL;
}

/* Offset of the first reply code in s[0..n), or -1. */
static long scan_reply_start(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 <= n;) {
		/* a code at i, i + 1 or i + 2 has a digit at i + 2 */
		if ((unsigned)((unsigned char)s[i + 2] - '0') > 9u) {
			i += 3;
			continue;
		}
		if ((s[i] == '4' || s[i] == '5') && scan_code_at(s, n, i))
			return (long)i;
		i++;
	}
	return -1;
}

/*
 * End of the paragraph that contains s[from]: the next line that is blank
 * (quoting marks aside) or a separator ("-----", "=====", "*****").
 */
static size_t scan_paragraph_end(const char *s, size_t n, size_t from)
{
	const char *nl;

	for (size_t i = from; i < n && (nl = memchr(s + i, '\n', n - i)) != NULL;) {
		size_t j;

		i = (size_t)(nl - s);
		for (j = i + 1;
		     j < n && s[j] != '\n' && (isspace((unsigned char)s[j]) || s[j] == '>');)
			j++;
		if (j >= n || s[j] == '\n')
			return i;
		if (j + 3 <= n && strchr("-=*", s[j]) && s[j + 1] == s[j] && s[j + 2] == s[j])
			return i;
		i++;
	}
	return n;
}

/*
 * Letters in s other than those of the address a: is there a message?
 * Eight settle it, so the search for a looks only as far as an occurrence
 * that would stand before the eighth letter from where it starts.
 */
static int scan_says_more(const char *s, size_t n, const char *a)
{
	size_t letters = 0, alen = strlen(a), i = 0;

	while (i < n) {
		size_t e = i, left = 8 - letters, win;
		long k;

		for (; e < n && left > 0; e++)
			left -= isalpha((unsigned char)s[e]) != 0;
		/* an occurrence of a that starts before e ends before e - 1 + alen */
		win = n - i < e - i + alen - 1 ? n - i : e - i + alen - 1;
		if ((k = text_find_ci(s + i, win, a)) < 0)
			return left == 0;
		for (size_t end = i + (size_t)k; i < end; i++)
			letters += isalpha((unsigned char)s[i]) != 0;
		i += alen; /* the address itself says nothing */
	}
	return letters >= 8;
}

/* The reply of recipient r from its runs of lines; sets rcpts[r].diag. */
static void scan_diag_runs(struct scan_ctx *ctx, int r)
{
	size_t fb = 0, fe = 0;
	int have_fallback = 0;

	for (size_t li = 0; li < ctx->nlines; li++) {
		size_t lj = li, b, e;
		long k;

		if (ctx->owner[li] != r)
			continue;
		while (lj + 1 < ctx->nlines && ctx->owner[lj + 1] == r)
			lj++;
		b = ctx->lines[li].off;
		e = ctx->lines[lj].off + ctx->lines[lj].len;
		li = lj;
		if ((k = scan_reply_start(ctx->text + b, e - b)) >= 0) {
			size_t pe = scan_paragraph_end(ctx->text, e, b + (size_t)k);

			ctx->rcpts[r].diag =
			    scan_squeeze(ctx, ctx->text + b + k, pe - b - (size_t)k);
			return;
		}
		if (!have_fallback && scan_says_more(ctx->text + b, e - b, ctx->rcpts[r].addr)) {
			fb = b;
			fe = e;
			have_fallback = 1;
		}
	}
	if (have_fallback)
		ctx->rcpts[r].diag = scan_squeeze(ctx, ctx->text + fb, fe - fb);
}

static void scan_diags(struct scan_ctx *ctx)
{
	for (size_t r = 0; r < ctx->nrcpts && !ctx->oom; r++) {
		if (ctx->rcpts[r].diag == NULL)
			scan_diag_runs(ctx, (int)r);
		if (ctx->rcpts[r].diag == NULL && ctx->nrcpts == 1) {
			long k = scan_reply_start(ctx->text, ctx->len);

			if (k >= 0)
				ctx->rcpts[r].diag = scan_squeeze(
				    ctx, ctx->text + k,
				    scan_paragraph_end(ctx->text, ctx->len, (size_t)k) - (size_t)k);
			else
				ctx->rcpts[r].diag = scan_squeeze(ctx, ctx->text, ctx->len);
		}
	}
}

/* --- the report ------------------------------------------------------------ */

/* Words of a delay notice: the message is still queued. */
static const char *const scan_delay_words[] = {
    "has been delayed",       "will be retried",
    "warning message only",   "will retry",
    "still trying",           "technical details of temporary failure",
    "delivery delayed",       "(delay)",
    "not yet been delivered", NULL,
};

static int scan_is_delay(const struct scan_ctx *ctx)
{
	const char *subj = mail_part_header(ctx->m->root, "Subject");

	return (subj && text_set_find(&scan_delay_set, subj, strlen(subj), NULL) >= 0) ||
	       text_set_find(&scan_delay_set, ctx->text, ctx->len < 4096 ? ctx->len : 4096, NULL) >=
	           0;
}

/*
 * The returned message's identity from its headers quoted after the cut
 * (qmail, Sendmail V5): for each name, the first line of the quoted
 * header block that has it. One pass looks for all three.
 */
static void scan_quoted_headers(struct scan_ctx *ctx)
{
	static const char *const names[] = {"Message-ID", "From", "Subject"};
	static const size_t lens[] = {10, 4, 7};
	char **slots[] = {&ctx->out->orig_message_id, &ctx->out->orig_from,
	                  &ctx->out->orig_subject};
	int found[3] = {0, 0, 0};
	size_t off = ctx->len, seen = 0, left = 3;

	for (size_t guard = 0; left > 0 && off < ctx->full_len && guard < SCAN_LINES_MAX; guard++) {
		const char *s = ctx->text + off, *nl = memchr(s, '\n', ctx->full_len - off);
		size_t n = nl ? (size_t)(nl - s) : ctx->full_len - off;

		if (n == 0 && seen > 1)
			break;
		seen += n > 0 && memchr(s, ':', n) != NULL;
		for (size_t k = 0; k < 3; k++) {
			size_t kl = lens[k], vn;
			const char *v;

			if (found[k] || n <= kl || !scan_starts(s, n, names[k]) || s[kl] != ':')
				continue;
			v = s + kl + 1;
			vn = n - kl - 1;
			while (vn > 0 && isspace((unsigned char)*v)) {
				v++;
				vn--;
			}
			*slots[k] = scan_dup(ctx, v, vn);
			found[k] = 1;
			left--;
		}
		off += n + 1;
	}
}

static void scan_returned_take(struct scan_ctx *ctx)
{
	const struct mail_part *h = scan_returned(ctx->m);
	const char *v;

	if (h == NULL) {
		scan_quoted_headers(ctx);
		return;
	}
	if ((v = mail_part_header(h, "Message-ID")) != NULL)
		ctx->out->orig_message_id = scan_dup(ctx, v, strlen(v));
	if ((v = mail_part_header(h, "From")) != NULL)
		ctx->out->orig_from = scan_dup(ctx, v, strlen(v));
	if ((v = mail_part_header(h, "Subject")) != NULL)
		ctx->out->orig_subject = scan_dup(ctx, v, strlen(v));
}

static int scan_report(struct scan_ctx *ctx)
{
	struct dsn_report *out = ctx->out;
	const char *action = scan_is_delay(ctx) ? "delayed" : "failed";
	char st[REPLY_STATUS_MAX];

	if (ctx->nrcpts == 0)
		return 0;
	if ((out->rcpts = calloc(ctx->nrcpts, sizeof(*out->rcpts))) == NULL)
		return -1;
	for (size_t i = 0; i < ctx->nrcpts && !ctx->oom; i++) {
		struct dsn_rcpt *d = &out->rcpts[out->nrcpts++];
		const char *diag = ctx->rcpts[i].diag ? ctx->rcpts[i].diag : "";

		d->final_recipient = scan_dup(ctx, ctx->rcpts[i].addr, strlen(ctx->rcpts[i].addr));
		d->action = scan_dup(ctx, action, strlen(action));
		d->diagnostic_type = scan_dup(ctx, "x-scan", 6);
		d->diagnostic = scan_dup(ctx, diag, strlen(diag));
		reply_find_status(diag, st);
		if (st[0])
			d->status = scan_dup(ctx, st, strlen(st));
	}
	scan_returned_take(ctx);
	return ctx->oom ? -1 : (int)out->nrcpts;
}

/* --- recognisers ------------------------------------------------------------ */

/*
 * A report written inline in the text (Amazon WorkMail's "Technical
 * report:", some gateways): the RFC 3464 fields, read by dsn.c.
 */
static int scan_inline_report(struct scan_ctx *ctx)
{
	static const char *const starts[] = {
	    "Reporting-MTA:", "Final-Recipient:", "Original-Recipient:", "Action:", NULL};

	for (size_t li = 0; li < ctx->nlines; li++) {
		const char *s = ctx->text + ctx->lines[li].off;
		int c = scan_lower((unsigned char)s[0]); /* the LF or NUL after an empty line */

		/* the first bytes of the starts: most lines begin with none of them */
		if (c != 'r' && c != 'f' && c != 'o' && c != 'a')
			continue;
		for (size_t k = 0; starts[k]; k++) {
			if (!scan_starts(s, ctx->lines[li].len, starts[k]))
				continue;
			if (scan_find(s, ctx->len - ctx->lines[li].off, "\nFinal-Recipient:") < 0 &&
			    !scan_starts(s, ctx->lines[li].len, "Final-Recipient:"))
				return 0;
			return dsn_parse_text(s, ctx->len - ctx->lines[li].off, ctx->out);
		}
	}
	return 0;
}

/* Exim and Gmail name the failed recipients in X-Failed-Recipients. */
static int scan_failed_header(struct scan_ctx *ctx)
{
	const char *v = mail_part_header(ctx->m->root, "X-Failed-Recipients");
	size_t n, b, e;
	char tok[ADDR_MAX], norm[ADDR_MAX];

	if (v == NULL)
		return 0;
	n = strlen(v);
	for (size_t at = 0; (at = scan_next_at(v, n, at)) < n; at++) {
		if (!scan_addr_at(v, n, at, &b, &e) || e - b >= ADDR_MAX)
			continue;
		memcpy(tok, v + b, e - b);
		tok[e - b] = 0;
		if (addr_normalise(tok, norm, sizeof(norm)) == 0)
			scan_rcpt_add(ctx, norm);
		at = e;
	}
	ctx->fixed = ctx->nrcpts > 0;
	return 0;
}

/* A JSON string value of key within s[0..n): copied, or NULL. */
static char *scan_json_value(struct scan_ctx *ctx, const char *s, size_t n, const char *key)
{
	char pat[64];
	long at;
	size_t i, b;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	if ((at = scan_find(s, n, pat)) < 0)
		return NULL;
	i = (size_t)at + strlen(pat);
	while (i < n && (s[i] == ' ' || s[i] == ':' || s[i] == '\\'))
		i++;
	if (i >= n || s[i] != '"')
		return NULL;
	b = ++i;
	while (i < n && s[i] != '"' && s[i] != '\\')
		i++;
	return scan_dup(ctx, s + b, i - b);
}

/* JSON inside a JSON string: \" becomes ", in place. */
static void scan_unescape_quotes(struct scan_ctx *ctx)
{
	size_t j = 0;

	for (size_t i = 0; i < ctx->full_len; i++) {
		if (ctx->text[i] == '\\' && i + 1 < ctx->full_len && ctx->text[i + 1] == '"')
			continue;
		ctx->text[j++] = ctx->text[i];
	}
	ctx->text[j] = 0;
	ctx->full_len = j;
	if (ctx->len > j)
		ctx->len = j;
}

/*
 * Amazon SES notifications (SNS, JSON in the body): one recipient per
 * object of "bouncedRecipients". Complaint and Delivery notifications are
 * not failures and give nothing. Quotes may be escaped (JSON in JSON).
 */
static int scan_ses_json(struct scan_ctx *ctx)
{
	long at = scan_find(ctx->text, ctx->full_len, "notificationType");
	size_t i, n;
	const char *s = ctx->text;

	if (at < 0)
		return 0;
	scan_unescape_quotes(ctx);
	n = ctx->full_len;
	at = scan_find(s, n, "notificationType");
	for (i = (size_t)at + 16; i < n && !isalpha((unsigned char)s[i]); i++)
		;
	if (i >= n || strncmp(s + i, "Bounce", 6) != 0 ||
	    (at = scan_find(s + i, n - i, "bouncedRecipients")) < 0)
		return 1;
	i += (size_t)at;
	while (i < n && s[i] != '[')
		i++;
	while (i < n && s[i] != ']' && ctx->out->nrcpts < SCAN_RCPTS_MAX && !ctx->oom) {
		const char *e;
		struct dsn_rcpt *d, *grown;

		if (s[i++] != '{')
			continue;
		if ((e = memchr(s + i, '}', n - i)) == NULL)
			break;
		grown = realloc(ctx->out->rcpts, (ctx->out->nrcpts + 1) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		ctx->out->rcpts = grown;
		d = memset(&grown[ctx->out->nrcpts], 0, sizeof(*d));
		d->final_recipient =
		    scan_json_value(ctx, s + i, (size_t)(e - s) - i, "emailAddress");
		if (d->final_recipient == NULL) { /* an entry naming nobody is no result */
			i = (size_t)(e - s) + 1;
			continue;
		}
		ctx->out->nrcpts++;
		d->action = scan_json_value(ctx, s + i, (size_t)(e - s) - i, "action");
		d->status = scan_json_value(ctx, s + i, (size_t)(e - s) - i, "status");
		d->diagnostic = scan_json_value(ctx, s + i, (size_t)(e - s) - i, "diagnosticCode");
		if (d->action == NULL)
			d->action = scan_dup(ctx, "failed", 6);
		/* as dsn.c gives them: Action lowercased, Status its first word */
		for (char *p = d->action; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (d->status) { /* its first word, white space of any kind around it gone */
			char *w = d->status + strspn(d->status, " \t\n\v\f\r");

			memmove(d->status, w, strlen(w) + 1);
			d->status[strcspn(d->status, " \t\n\v\f\r(")] = 0;
		}
		i = (size_t)(e - s) + 1;
	}
	return ctx->oom ? -1 : 1;
}

static int scan_parse_depth(const struct mail *m, struct dsn_report *out, int depth);

/*
 * A bounce quoted whole in the text of another (an ISP's postmaster
 * forwarding what its relay returned): read the quoted one, once.
 */
static int scan_embedded(struct scan_ctx *ctx)
{
	struct mail *inner;
	char err[128];
	int n;

	if (ctx->depth > 0)
		return 0;
	for (size_t off = ctx->len, guard = 0; off < ctx->full_len && guard < SCAN_LINES_MAX;
	     guard++) {
		const char *s = ctx->text + off, *nl = memchr(s, '\n', ctx->full_len - off);
		size_t len = nl ? (size_t)(nl - s) : ctx->full_len - off;

		if (scan_starts(s, len, "From MAILER-DAEMON ") && nl != NULL) {
			s = nl + 1;
		} else if (!scan_starts(s, len, "Return-Path: <>")) {
			off += len + 1;
			continue;
		}
		if (mail_parse(s, ctx->full_len - (size_t)(s - ctx->text), NULL, &inner, err,
		               sizeof(err)) < 0)
			return -1;
		n = dsn_parse(inner, ctx->out);
		if (n == 0)
			n = scan_parse_depth(inner, ctx->out, ctx->depth + 1);
		mail_free(inner);
		return n;
	}
	return 0;
}

/*
 * Each recogniser returns 1 when it produced the report (which may then
 * hold no recipient: nothing failed), 0 to let the next one and then the
 * generic steps go on, -1 when memory runs out.
 */
static const struct scan_format {
	const char *name;
	int (*run)(struct scan_ctx *ctx);
} scan_formats[] = {
    {"ses-json", scan_ses_json},
    {"embedded-bounce", scan_embedded},
    {"inline-report", scan_inline_report},
    {"x-failed-recipients", scan_failed_header},
};

/* --- entry points ------------------------------------------------------------ */

static pthread_once_t scan_sets_once = PTHREAD_ONCE_INIT;

/* Both cases of the byte c start the word of bit. */
static void scan_cut_mark(char c, uint32_t bit)
{
	int lo = scan_lower((unsigned char)c);

	scan_cut_first[lo] |= bit;
	scan_cut_first[(unsigned)(lo - 'a') < 26u ? lo - 0x20 : lo] |= bit;
}

static void scan_sets_init(void)
{
	text_set_init(&scan_list_start_set, scan_list_starts);
	text_set_init(&scan_delay_set, scan_delay_words);
	for (size_t k = 0; scan_cut_headers[k]; k++)
		scan_cut_mark(scan_cut_headers[k][0], (uint32_t)1 << (SCAN_CUT_HDR + k));
	for (size_t k = 0; scan_cut_lines[k]; k++)
		scan_cut_mark(scan_cut_lines[k][0], (uint32_t)1 << k);
}

static int scan_setup(struct scan_ctx *ctx, const struct mail *m, struct dsn_report *out)
{
	pthread_once(&scan_sets_once, scan_sets_init);
	/* the exclusion list is 10 KiB that nothing reads before it is written */
	memset(ctx, 0, offsetof(struct scan_ctx, excl_weak));
	memset(out, 0, sizeof(*out));
	ctx->m = m;
	ctx->out = out;
	if (m == NULL || m->root == NULL)
		return 0;
	if (scan_text(ctx) < 0)
		return -1;
	return 0;
}

static void scan_cleanup(struct scan_ctx *ctx)
{
	for (size_t i = 0; ctx->rcpts && i < ctx->nrcpts; i++)
		free(ctx->rcpts[i].diag);
	free(ctx->rcpts);
	free(ctx->text);
	free(ctx->lines);
	free(ctx->owner);
}

static int scan_parse_depth(const struct mail *m, struct dsn_report *out, int depth)
{
	struct scan_ctx ctx;
	int n = 0;

	if (scan_setup(&ctx, m, out) < 0) {
		scan_cleanup(&ctx);
		return -1;
	}
	ctx.depth = depth;
	if (ctx.text == NULL) {
		scan_cleanup(&ctx);
		return 0;
	}
	for (size_t i = 0; i < sizeof(scan_formats) / sizeof(scan_formats[0]) && n == 0; i++)
		n = scan_formats[i].run(&ctx);
	if (n > 0) {
		/* what a recogniser read (a whole report, even) is capped like the rest */
		while (out->nrcpts > SCAN_RCPTS_MAX) {
			dsn_rcpt_free(&out->rcpts[--out->nrcpts]);
			out->limited = 1;
		}
		n = (int)out->nrcpts;
	} else if (n == 0) {
		if (!ctx.fixed)
			scan_collect(&ctx);
		if (ctx.nrcpts == 0)
			scan_collect_returned_to(&ctx);
		if (scan_owners(&ctx) < 0)
			ctx.oom = 1;
		else
			scan_diags(&ctx);
		n = ctx.oom ? -1 : scan_report(&ctx);
	}
	scan_cleanup(&ctx);
	if (n <= 0)
		dsn_free(out);
	return n;
}

int scan_parse(const struct mail *m, struct dsn_report *out)
{
	return scan_parse_depth(m, out, 0);
}

/* A report's recipient as an address, or NULL when it names none usable. */
static const char *scan_usable(const struct dsn_rcpt *d, char norm[ADDR_MAX])
{
	if (d->final_recipient && addr_normalise(d->final_recipient, norm, ADDR_MAX) == 0)
		return norm;
	if (d->original_recipient && addr_normalise(d->original_recipient, norm, ADDR_MAX) == 0)
		return norm;
	return NULL;
}

/*
 * Recipients of the report that are no address ("|/usr/bin/prog",
 * "@mx.example.org"): the text's recipients that the report lacks,
 * in order, become their Original-Recipient.
 */
static void scan_fill_unusable(struct scan_ctx *ctx, struct dsn_report *rep)
{
	char norm[ADDR_MAX];
	size_t next = 0;

	scan_collect(ctx);
	for (size_t i = 0; i < rep->nrcpts && !ctx->oom; i++) {
		struct dsn_rcpt *d = &rep->rcpts[i];
		int known = 1;

		if (scan_usable(d, norm) != NULL)
			continue;
		while (next < ctx->nrcpts && known) {
			known = 0;
			for (size_t j = 0; j < rep->nrcpts && !known; j++)
				known = scan_usable(&rep->rcpts[j], norm) != NULL &&
				        strcmp(norm, ctx->rcpts[next].addr) == 0;
			if (known)
				next++;
		}
		if (next >= ctx->nrcpts)
			return;
		free(d->original_recipient);
		d->original_recipient =
		    scan_dup(ctx, ctx->rcpts[next].addr, strlen(ctx->rcpts[next].addr));
		next++;
	}
}

int scan_fill(const struct mail *m, struct dsn_report *rep)
{
	struct scan_ctx ctx;
	struct dsn_report unused;
	char norm[ADDR_MAX];
	int missing = 0;

	for (size_t i = 0; i < rep->nrcpts; i++)
		missing |=
		    rep->rcpts[i].diagnostic == NULL || scan_usable(&rep->rcpts[i], norm) == NULL;
	if (!missing)
		return 0;
	if (scan_setup(&ctx, m, &unused) < 0) {
		scan_cleanup(&ctx);
		return -1;
	}
	if (ctx.text == NULL) {
		scan_cleanup(&ctx);
		return 0;
	}
	scan_failed_header(&ctx);
	scan_fill_unusable(&ctx, rep);
	ctx.nrcpts = 0;
	for (size_t i = 0; i < rep->nrcpts; i++)
		if (scan_usable(&rep->rcpts[i], norm) != NULL)
			scan_rcpt_add(&ctx, norm);
	if (scan_owners(&ctx) == 0)
		scan_diags(&ctx);
	for (size_t i = 0; i < rep->nrcpts && !ctx.oom; i++) {
		int r;

		if (rep->rcpts[i].diagnostic != NULL || scan_usable(&rep->rcpts[i], norm) == NULL ||
		    (r = scan_rcpt_index(&ctx, norm)) < 0 || ctx.rcpts[r].diag == NULL)
			continue;
		rep->rcpts[i].diagnostic = ctx.rcpts[r].diag;
		ctx.rcpts[r].diag = NULL;
	}
	scan_cleanup(&ctx);
	return ctx.oom ? -1 : 0;
}
