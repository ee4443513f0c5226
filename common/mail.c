/*
 * mail - parse an RFC 5322 message into a MIME tree. See mail.h.
 *
 * How it works:
 *	The input (at most max_bytes of it) is copied once with its line ends
 *	rewritten to LF. Every part is then parsed from a slice of that copy:
 *	header section, then a body that is either split at its boundary
 *	delimiter lines (multipart), parsed as an enclosed message
 *	(message/rfc822, message/global), or kept as a leaf, decoded from
 *	base64 or quoted-printable when the part says so (for mail_open(),
 *	when mail_part_body() first asks). Decoding is done where the
 *	encoded bytes stand: the decoded text is never longer. Children are
 *	parsed from slices of their parent's (decoded) body, so every byte is
 *	looked at a bounded number of times: at most once per nesting level,
 *	and the nesting is bounded by max_depth.
 *
 *	Nothing is copied a second time: header names and values and leaf
 *	bodies are the bytes of the copy itself, NUL-terminated where they
 *	stand. A name ends at its colon (or the white space before it); a
 *	value is unfolded in place, which only ever moves bytes towards its
 *	start; a body ends at the LF that belongs to the next delimiter line,
 *	or at the end of its enclosing slice, which is such an LF or the NUL
 *	after the copy. Those bytes are never read again: a multipart is
 *	split line by line and a header section field by field, each always
 *	going on after the bytes the last child or field took. The one part
 *	whose bytes are read twice, a text/rfc822-headers body kept whole
 *	beside the child parsed from it, gives the child a copy.
 *
 * Default limits (mail_limits_default), chosen for bounce messages, which
 *	are small; anything past them is kept as an opaque leaf or dropped
 *	and flagged, never an error:
 *	max_bytes        16 MiB  larger than any MTA's default message_size_limit
 *	max_parts        1000    a DSN has 2-4 parts; digests rarely reach 100
 *	max_depth        20      bounces of bounces of forwards nest 3-5 deep
 *	max_headers      1000    per part; a mail with 1000 Received: lines is
 *	                         long dead by hop count (Postfix stops at 50)
 *	max_header_bytes 64 KiB  per unfolded field; 65 times RFC 5322's 998
 *
 * Flags:
 *	m->truncated: the input was longer than max_bytes.
 *	m->limited: max_parts or max_depth stopped the walk, or a header field
 *	or header count limit dropped data (the part is also marked damaged).
 *	part->damaged: bad base64 or quoted-printable, a multipart without any
 *	delimiter or without its close delimiter, or a header limit met.
 *
 * Memory: everything of one message comes from one arena (arena.h), sized
 *	from the input so that most messages need a single malloc(), and
 *	mail_free() frees it at once. It holds the line-end normalised copy
 *	(and in it the decoded bodies), the parts and their header and child arrays
 *	(arrays grow by doubling, so at most half of one is slack). Container
 *	parts (multipart, message/rfc822, message/global) have an empty body,
 *	because their content lives in their children. Total memory is thus
 *	linear in the input, plus a constant per part (at most max_parts).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "mail.h"
#include "text.h"

const struct mail_limits mail_limits_default = {
    .max_bytes = 16 * 1024 * 1024,
    .max_parts = 1000,
    .max_depth = 20,
    .max_headers = 1000,
    .max_header_bytes = 64 * 1024,
};

/* What mail_parse() hands out: the message, and the arena it lives in. */
struct mail_store {
	struct mail m; /* first: a struct mail * is a struct mail_store * */
	struct arena *arena;
};

/* State of one mail_parse() call. */
struct mail_ctx {
	const struct mail_limits *lim;
	struct mail *m;
	struct arena *arena;
	int oom;
	int lazy; /* mail_open(): leave leaf bodies encoded until asked for */
};

/* A transfer encoding mail.c decodes. */
enum mail_cte {
	CTE_NONE,
	CTE_BASE64,
	CTE_QP,
};

/*
 * A part as mail.c keeps it: what callers see, and for mail_open() a
 * leaf body still in its transfer encoding, decoded where it stands by
 * the first mail_part_body().
 */
struct part_store {
	struct mail_part p; /* first: a struct mail_part * is a struct part_store * */
	char *raw;          /* the encoded body, or NULL once decoded (or never encoded) */
	size_t raw_len;
	enum mail_cte cte;
};

enum part_kind {
	PART_BODY,    /* a MIME body part or a top-level message */
	PART_MESSAGE, /* an enclosed message: may start with an mbox "From " line */
	PART_HEADERS, /* text/rfc822-headers content: headers only */
};

static struct mail_part *part_parse(struct mail_ctx *ctx, char *s, size_t n, size_t depth,
                                    enum part_kind kind, int in_digest);

/* Arena allocation that remembers a failure instead of crashing. */

static void *ctx_alloc(struct mail_ctx *ctx, size_t n)
{
	void *p = arena_alloc(ctx->arena, n);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

static void *ctx_calloc(struct mail_ctx *ctx, size_t nmemb, size_t size)
{
	void *p = arena_calloc(ctx->arena, nmemb, size);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

static char *ctx_strndup(struct mail_ctx *ctx, const char *s, size_t n)
{
	char *p = arena_strndup(ctx->arena, s, n);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

/* Grow the arena array *arr (elements of size sz) to hold at least need. */
static int ctx_grow(struct mail_ctx *ctx, void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	if (ncap > ((size_t)-1) / sz ||
	    (p = arena_grow(ctx->arena, *arr, *cap * sz, ncap * sz)) == NULL) {
		ctx->oom = 1;
		return -1;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * Line ends: CRLF and lone CR become LF. The output is never longer than
 * the input, so one pass into a buffer of n + 1 bytes is enough; it is
 * NUL-terminated and its length returned.
 */
static size_t normalise_eol(const char *in, size_t n, char *out)
{
	size_t i = 0, j = 0;

	/* copy the runs between CRs whole: most input is LF-only or CRLF */
	while (i < n) {
		const char *cr = memchr(in + i, '\r', n - i);
		size_t run = cr ? (size_t)(cr - (in + i)) : n - i;

		memcpy(out + j, in + i, run);
		i += run;
		j += run;
		if (cr == NULL)
			break;
		out[j++] = '\n';
		i++;
		if (i < n && in[i] == '\n')
			i++;
	}
	out[j] = 0;
	return j;
}

/* Header section. */

static int is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Unfold a raw header value that spans folded lines where it stands: the
 * LF of each fold is dropped, keeping the white space that follows it;
 * leading and trailing white space goes. At most max bytes of the raw
 * value are kept. Bytes only move towards the start, and the NUL goes at
 * most to s[n], the LF (or NUL) after the value.
 */
static char *unfold_value(char *s, size_t n, size_t max, int *cut)
{
	size_t j;
	char *nl;

	while (n > 0 && (is_wsp(*s) || *s == '\n')) {
		s++;
		n--;
	}
	while (n > 0 && (is_wsp(s[n - 1]) || s[n - 1] == '\n'))
		n--;
	*cut = 0;
	if (n > max) {
		n = max;
		*cut = 1;
	}
	/* each line after the first moves back over the LFs dropped so far */
	j = (nl = memchr(s, '\n', n)) ? (size_t)(nl - s) : n;
	for (size_t i = j; i < n;) {
		const char *next;
		size_t run;

		i++; /* the LF at s[i] */
		next = i < n ? memchr(s + i, '\n', n - i) : NULL;
		run = (next ? (size_t)(next - s) : n) - i;
		memmove(s + j, s + i, run);
		j += run;
		i += run;
	}
	while (j > 0 && is_wsp(s[j - 1]))
		j--;
	s[j] = 0;
	return s;
}

/*
 * The value of a field that is not folded, [s, s+n) on one line: as
 * unfold_value() gives it, without looking for folds (most fields have
 * none, and this is their share of the parse).
 */
static inline char *trim_value(char *s, size_t n, size_t max, int *cut)
{
	while (n > 0 && is_wsp(*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_wsp(s[n - 1]))
		n--;
	*cut = n > max;
	if (*cut) {
		n = max;
		while (n > 0 && is_wsp(s[n - 1]))
			n--;
	}
	s[n] = 0;
	return s;
}

/* The value of a field: trimmed, and unfolded when folded says it has to be. */
static char *field_value(char *s, size_t n, int folded, size_t max, int *cut)
{
	if (!folded)
		return trim_value(s, n, max, cut);
	return unfold_value(s, n, max, cut);
}

/* Bytes of a field name: printable ASCII but the colon (RFC 5322 ftext). */
/* clang-format off */
static const unsigned char name_char[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* ' ' is not */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, /* ':' is not */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* DEL is not */
};
/* clang-format on */

/*
 * Is the line [s, s+n) a field name followed by a colon? Returns the
 * colon's offset or 0; *namelen receives the length of the name (without
 * the white space that may stand before the colon). lf_ends says that
 * s[n] is the LF that ends the line: no name byte, so it bounds the scan
 * of the name by itself (the name is the hottest loop of the parse).
 */
static inline size_t header_name_len(const char *s, size_t n, int lf_ends, size_t *namelen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, end;

	if (lf_ends)
		while (name_char[u[i]])
			i++;
	else
		while (i < n && name_char[u[i]])
			i++;
	*namelen = end = i;
	while (i < n && is_wsp(s[i])) /* RFC 5322 obs-optional: "Subject : x" */
		i++;
	if (end == 0 || i >= n || s[i] != ':')
		return 0;
	return i;
}

static void flag_limit(struct mail_ctx *ctx, struct mail_part *p)
{
	p->damaged = 1;
	ctx->m->limited = 1;
}

/*
 * Add the field whose name is [name, name+namelen) and raw value [val,
 * val+vallen): both are NUL-terminated where they stand, the name at its
 * colon (or the white space before it), the value after unfolding.
 */
static inline void header_add(struct mail_ctx *ctx, struct mail_part *p, size_t *cap, char *name,
                              size_t namelen, char *val, size_t vallen, int folded)
{
	struct mail_header *h;
	int cut;

	if (p->nheaders >= ctx->lim->max_headers) {
		flag_limit(ctx, p);
		return;
	}
	if (p->nheaders >= *cap &&
	    ctx_grow(ctx, (void **)&p->headers, cap, p->nheaders + 1, sizeof(*p->headers)) < 0)
		return;
	h = &p->headers[p->nheaders];
	name[namelen] = 0;
	h->name = name;
	h->value = field_value(val, vallen, folded, ctx->lim->max_header_bytes, &cut);
	if (cut)
		flag_limit(ctx, p);
	p->nheaders++;
}

/*
 * Parse the header section at the start of [s, s+n) into p. Returns the
 * offset where the body starts: after the empty line, or at the first line
 * that is neither a field nor a continuation (as Postfix's cleanup does).
 */
static size_t headers_parse(struct mail_ctx *ctx, struct mail_part *p, char *s, size_t n,
                            enum part_kind kind)
{
	size_t pos = 0, cap = 0;
	char *name = NULL, *val = NULL;
	size_t namelen = 0, valend = 0, nl_name;
	int folded = 0;

	/* An mbox separator may precede an enclosed or stored message. */
	if (kind != PART_BODY && n >= 5 && memcmp(s, "From ", 5) == 0) {
		const char *nl = memchr(s, '\n', n);

		pos = nl ? (size_t)(nl - s) + 1 : n;
	}
	while (pos < n) {
		char *line = s + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - line) : n - pos;
		size_t colon;

		if (len == 0) {
			pos++;
			break;
		}
		if (is_wsp(line[0]) && name != NULL) {
			valend = pos + len; /* continuation of the current field */
			folded = 1;
		} else if ((colon = header_name_len(line, len, nl != NULL, &nl_name)) > 0) {
			if (name != NULL)
				header_add(ctx, p, &cap, name, namelen, val,
				           (size_t)(s + valend - val), folded);
			name = line;
			namelen = nl_name;
			val = line + colon + 1;
			valend = pos + len;
			folded = 0;
		} else {
			break; /* not a header: the body starts here */
		}
		pos += len + (nl ? 1 : 0);
	}
	if (name != NULL)
		header_add(ctx, p, &cap, name, namelen, val, (size_t)(s + valend - val), folded);
	return pos;
}

/* Content-Type. */

/* Skip an RFC 822 comment, possibly nested, starting at its '('. */
static const char *skip_comment(const char *s)
{
	int depth = 0;

	do {
		if (*s == '\\' && s[1])
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')')
			depth--;
		s++;
	} while (*s && depth > 0);
	return s;
}

static const char *skip_cfws(const char *s)
{
	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (*s != '(')
			return s;
		s = skip_comment(s);
	}
}

/* RFC 2045 token bytes: printable ASCII but space and the tspecials ()<>@,;:\"/[]?= */
/* clang-format off */
static const unsigned char token_char[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
};
/* clang-format on */

static int is_token_char(int c)
{
	return token_char[(unsigned char)c];
}

/* ASCII lowercase, as tolower() in the C locale, without the call. */
static int mail_lower(unsigned char c)
{
	return (unsigned)(c - 'A') < 26u ? c | 0x20 : c;
}

/* "Type/Subtype; params" -> lowercased "type/subtype", or NULL when malformed. */
static char *ct_type(struct mail_ctx *ctx, const char *v)
{
	const char *s = skip_cfws(v), *t, *sub;
	size_t tl, sl;
	char *out;

	for (t = s; is_token_char((unsigned char)*s); s++)
		;
	tl = (size_t)(s - t);
	s = skip_cfws(s);
	if (tl == 0 || *s != '/')
		return NULL;
	s = skip_cfws(s + 1);
	for (sub = s; is_token_char((unsigned char)*s); s++)
		;
	sl = (size_t)(s - sub);
	if (sl == 0)
		return NULL;
	if ((out = ctx_alloc(ctx, tl + sl + 2)) == NULL)
		return NULL;
	for (size_t i = 0; i < tl; i++)
		out[i] = (char)mail_lower((unsigned char)t[i]);
	out[tl] = '/';
	for (size_t i = 0; i < sl; i++)
		out[tl + 1 + i] = (char)mail_lower((unsigned char)sub[i]);
	out[tl + 1 + sl] = 0;
	return out;
}

/*
 * Skip a quoted string starting at the opening quote; return the end.
 * The runs between quotes and backslashes are skipped by strcspn().
 */
static const char *skip_quoted(const char *s)
{
	for (s++;;) {
		s += strcspn(s, "\"\\");
		if (*s != '\\')
			break;
		s += s[1] ? 2 : 1; /* an escaped byte, or a backslash at the end */
	}
	return *s ? s + 1 : s;
}

/* Copy out a parameter value: a quoted string (unescaped) or a token. */
static char *param_value(const char *s)
{
	size_t n = 0;
	char *out;

	if (*s == '"') {
		const char *end = skip_quoted(s);

		if ((out = malloc((size_t)(end - s) + 1)) == NULL)
			return NULL;
		/* runs without quote or backslash end at the closing quote or end at the latest */
		for (s++; s < end && *s != '"';) {
			size_t run = strcspn(s, "\"\\");

			memcpy(out + n, s, run);
			n += run;
			s += run;
			if (*s == '\\') {
				if (s + 1 < end)
					s++;
				out[n++] = *s++;
			}
		}
		out[n] = 0;
		return out;
	}
	/* Unquoted: be lenient (boundaries like ----=_Part_1 are common). */
	while (s[n] && s[n] != ';' && !isspace((unsigned char)s[n]))
		n++;
	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(out, s, n);
	out[n] = 0;
	return out;
}

/* Find parameter name (case-insensitive) in a Content-Type value. */
static char *ct_param(const char *v, const char *name)
{
	size_t want = strlen(name);
	const char *s = v;

	for (;;) {
		/* to the next ';' outside quoted strings and comments */
		for (;;) {
			s += strcspn(s, ";\"(");
			if (*s == '"')
				s = skip_quoted(s);
			else if (*s == '(')
				s = skip_comment(s);
			else
				break;
		}
		if (*s == 0)
			return NULL;
		s = skip_cfws(s + 1);
		const char *pn = s;
		while (is_token_char((unsigned char)*s) || *s == '*')
			s++;
		size_t pl = (size_t)(s - pn);
		s = skip_cfws(s);
		if (*s != '=')
			continue;
		s = skip_cfws(s + 1);
		if (pl == want && strncasecmp(pn, name, want) == 0)
			return param_value(s);
		if (*s == '"')
			s = skip_quoted(s);
	}
}

/* Transfer decodings. */

/* The value of each base64 digit; B64_BAD for every other byte. */
#define B64_BAD 255
/* clang-format off */
static const unsigned char b64_values[256] = {
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255, 255, 255,  63,
	 52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
	255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
	 15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255, 255,
	255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
	 41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
	255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};
/* clang-format on */

/*
 * Base64: white space is skipped; padding ends a quantum (concatenated
 * encodings go on decoding); other bytes and a truncated last quantum
 * set *damaged, and everything decodable is kept. Whole quanta of four
 * digits, which is nearly all of any real body, are decoded four bytes
 * at a time; anything else one byte at a time.
 */
static size_t b64_decode(const char *s, size_t n, char *out, int *damaged)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long acc = 0;
	int bits = 0, nq = 0; /* bits is 0 whenever nq is */
	size_t j = 0, i = 0;

	while (i < n) {
		int c, v;

		/* whole quanta, a line of them at a time */
		while (nq == 0 && n - i >= 4) {
			unsigned long d0 = b64_values[u[i]], d1 = b64_values[u[i + 1]],
			              d2 = b64_values[u[i + 2]], d3 = b64_values[u[i + 3]], q;

			if ((d0 | d1 | d2 | d3) >= 64)
				break;
			q = d0 << 18 | d1 << 12 | d2 << 6 | d3;
			out[j] = (char)(q >> 16);
			out[j + 1] = (char)((q >> 8) & 0xff);
			out[j + 2] = (char)(q & 0xff);
			j += 3;
			i += 4;
		}
		if (i >= n)
			break;
		c = u[i++];
		if (isspace(c))
			continue;
		if (c == '=') {
			if (nq == 1)
				*damaged = 1;
			acc = 0;
			bits = nq = 0;
			continue;
		}
		if ((v = b64_values[c]) == B64_BAD) {
			*damaged = 1;
			continue;
		}
		acc = (acc << 6) | (unsigned long)v;
		bits += 6;
		nq = (nq + 1) % 4;
		if (bits >= 8) {
			bits -= 8;
			out[j++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (nq != 0)
		*damaged = 1; /* missing padding or a cut-off quantum */
	out[j] = 0;
	return j;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Quoted-printable: "=XX" is a byte, "=" at the end of a line (trailing
 * white space allowed) is a soft line break, and trailing white space of
 * lines is dropped as RFC 2045 says. A lone "=" is kept and marks damage.
 * The runs between one '=' or LF and the next are copied whole.
 */
static size_t qp_decode(const char *s, size_t n, char *out, int *damaged)
{
	size_t j = 0, i = 0, keep = 0; /* out[0..keep) is not trailing literal space */
	const char *eq = memchr(s, '=', n), *nl = memchr(s, '\n', n);

	while (i < n) {
		size_t k = n, t;
		char c;
		int hi, lo;

		if (eq != NULL && eq < s + i)
			eq = memchr(s + i, '=', n - i);
		if (nl != NULL && nl < s + i)
			nl = memchr(s + i, '\n', n - i);
		if (eq != NULL)
			k = (size_t)(eq - s);
		if (nl != NULL && (size_t)(nl - s) < k)
			k = (size_t)(nl - s);
		if (k > i) {
			/* out may be s itself: look at the run before it moves */
			for (t = k; t > i && is_wsp(s[t - 1]); t--)
				;
			memmove(out + j, s + i, k - i);
			if (t > i)
				keep = j + (t - i);
			j += k - i;
			i = k;
			continue;
		}
		c = s[i];
		if (c == '=') {
			k = i + 1;
			while (k < n && is_wsp(s[k]))
				k++;
			if (k >= n || s[k] == '\n') { /* soft line break */
				i = k < n ? k + 1 : k;
				continue;
			}
			if (i + 2 < n && (hi = hex_value((unsigned char)s[i + 1])) >= 0 &&
			    (lo = hex_value((unsigned char)s[i + 2])) >= 0) {
				out[j++] = (char)(hi * 16 + lo);
				keep = j; /* an encoded space is meant */
				i += 3;
				continue;
			}
			*damaged = 1;
		} else {
			while (j > keep && is_wsp(out[j - 1]))
				j--;
		}
		out[j++] = c; /* an LF, or the lone '=' */
		keep = j;
		i++;
	}
	while (j > keep && is_wsp(out[j - 1]))
		j--;
	out[j] = 0;
	return j;
}

/* Parts. */

static struct mail_part *part_new(struct mail_ctx *ctx)
{
	struct part_store *ps = ctx_calloc(ctx, 1, sizeof(*ps));

	if (ps == NULL)
		return NULL;
	ctx->m->nparts++;
	return &ps->p;
}

static int add_child(struct mail_ctx *ctx, struct mail_part *p, size_t *cap, struct mail_part *c)
{
	size_t sz = sizeof(*p->children); /* NOLINT(bugprone-sizeof-expression): pointers meant */

	if (ctx_grow(ctx, (void **)&p->children, cap, p->nchildren + 1, sz) < 0)
		return -1;
	p->children[p->nchildren++] = c;
	return 0;
}

/* May one more part be made? If not, say so in the flags. */
static int room_for_part(struct mail_ctx *ctx, size_t depth)
{
	if (ctx->m->nparts >= ctx->lim->max_parts || depth > ctx->lim->max_depth) {
		ctx->m->limited = 1;
		return 0;
	}
	return 1;
}

/*
 * Is the line [l, l+len) a delimiter for boundary b? Returns 1 for a
 * delimiter, 2 for the close delimiter, 0 otherwise. Trailing white space
 * is allowed (RFC 2046 transport padding); anything else is not.
 */
static int delimiter(const char *l, size_t len, const char *b, size_t bl)
{
	size_t i;
	int kind = 1;

	if (len < bl + 2 || l[0] != '-' || l[1] != '-' || memcmp(l + 2, b, bl) != 0)
		return 0;
	i = bl + 2;
	if (i + 1 < len && l[i] == '-' && l[i + 1] == '-') {
		kind = 2;
		i += 2;
	}
	for (; i < len; i++)
		if (!is_wsp(l[i]))
			return 0;
	return kind;
}

/*
 * The search for "\n--" and the boundary in one multipart body. It is
 * Horspool's search on byte pairs (as glibc's memmem() does it), with
 * its table made once per multipart instead of once per delimiter: a
 * body is searched once per part it holds. The window's last two bytes
 * say, through shift[], how far it may move without passing over a
 * place where the needle could start (0: their pair ends the needle, so
 * compare there, then move by miss). Shifts are capped at 255, which
 * only ever moves less far than allowed.
 */
struct delim_search {
	const char *needle; /* "\n--" and the boundary */
	size_t len;         /* at least 4 */
	size_t miss;        /* move after a comparison that failed */
	unsigned char shift[256];
};

static unsigned pair_hash(const char *p)
{
	return ((unsigned)(unsigned char)p[0] << 3 ^ (unsigned char)p[1]) & 255u;
}

static void delim_search_init(struct delim_search *d, const char *needle, size_t len)
{
	size_t m1 = len - 1, last;

	d->needle = needle;
	d->len = len;
	memset(d->shift, (int)(m1 < 255 ? m1 : 255), sizeof(d->shift));
	/* the pair ending at offset k may move the window m1 - k */
	for (size_t k = 1; k < m1; k++)
		d->shift[pair_hash(needle + k - 1)] = (unsigned char)(m1 - k < 255 ? m1 - k : 255);
	last = pair_hash(needle + m1 - 1);
	d->miss = d->shift[last];
	d->shift[last] = 0;
}

/* The first place at or after s where the needle stands whole, or NULL. */
static const char *delim_search_find(const struct delim_search *d, const char *s, size_t n)
{
	size_t m1 = d->len - 1;

	/* j: offset of the window's last byte */
	for (size_t j = m1; j < n;) {
		size_t sh = d->shift[pair_hash(s + j - 1)];

		if (sh > 0) {
			j += sh;
			continue;
		}
		if (memcmp(s + j - m1, d->needle, d->len) == 0)
			return s + j - m1;
		j += d->miss;
	}
	return NULL;
}

/*
 * The first line at or after the line start pos that begins with "--"
 * and the boundary: its offset, or n. Only such lines can be delimiters,
 * and searching for them skips the lines between.
 */
static size_t candidate_line(const char *s, size_t n, size_t pos, const struct delim_search *d)
{
	const char *hit;

	if (pos == 0 && n >= d->len - 1 && memcmp(s, d->needle + 1, d->len - 1) == 0)
		return 0;
	if (pos == 0)
		pos = 1;
	/* the LF that ends the line before pos is s[pos - 1] */
	hit = delim_search_find(d, s + pos - 1, n - (pos - 1));
	return hit ? (size_t)(hit - s) + 1 : n;
}

/*
 * Split a multipart body at its delimiters and parse each body part as a
 * child. Returns the number of delimiters seen (0: none, the caller keeps
 * the part as a leaf).
 */
static size_t multipart_split(struct mail_ctx *ctx, struct mail_part *p, char *s, size_t n,
                              const char *b, size_t depth)
{
	size_t pos = 0, start = 0, ndelim = 0, cap = 0;
	int in_digest = strcmp(p->type, "multipart/digest") == 0, closed = 0;
	size_t bl = strlen(b);
	char *lfb = ctx_alloc(ctx, bl + 4);
	struct delim_search d;

	if (lfb == NULL)
		return 0;
	lfb[0] = '\n';
	lfb[1] = lfb[2] = '-';
	memcpy(lfb + 3, b, bl + 1);
	delim_search_init(&d, lfb, bl + 3);
	while (pos < n && !ctx->oom) {
		const char *nl;
		size_t len, next;
		int kind;

		if ((pos = candidate_line(s, n, pos, &d)) >= n)
			break;
		nl = memchr(s + pos, '\n', n - pos);
		len = nl ? (size_t)(nl - (s + pos)) : n - pos;
		next = pos + len + (nl ? 1 : 0);
		kind = delimiter(s + pos, len, b, bl);
		if (kind != 0) {
			if (ndelim > 0) {
				/* The LF before a delimiter belongs to the delimiter. */
				size_t end = pos > start ? pos - 1 : start;
				struct mail_part *c;

				if (!room_for_part(ctx, depth + 1))
					return ndelim;
				c = part_parse(ctx, s + start, end - start, depth + 1, PART_BODY,
				               in_digest);
				if (c == NULL || add_child(ctx, p, &cap, c) < 0)
					return ndelim;
			}
			ndelim++;
			start = next;
			if (kind == 2) {
				closed = 1;
				break; /* the rest is the epilogue */
			}
		}
		pos = next;
	}
	if (ndelim > 0 && !closed && !ctx->oom) {
		struct mail_part *c;

		p->damaged = 1; /* no close delimiter: the last part runs to the end */
		if (room_for_part(ctx, depth + 1)) {
			c = part_parse(ctx, s + start, n - start, depth + 1, PART_BODY, in_digest);
			if (c != NULL)
				add_child(ctx, p, &cap, c);
		}
	}
	return ndelim;
}

static int is_enclosed_message(const char *type)
{
	return strcmp(type, "message/rfc822") == 0 || strcmp(type, "message/global") == 0;
}

static int is_headers_only(const char *type)
{
	return strcmp(type, "text/rfc822-headers") == 0 ||
	       strcmp(type, "message/global-headers") == 0;
}

/*
 * The first Content-Type and Content-Transfer-Encoding of a part (NULL
 * when absent), as mail_part_header() finds them, in one look at its
 * fields instead of one per name.
 */
static void content_headers(const struct mail_part *p, const char **ct, const char **cte)
{
	*ct = *cte = NULL;
	for (size_t i = 0; i < p->nheaders && (*ct == NULL || *cte == NULL); i++) {
		const char *name = p->headers[i].name;

		if (mail_lower((unsigned char)name[0]) != 'c')
			continue;
		if (*ct == NULL && strcasecmp(name, "Content-Type") == 0)
			*ct = p->headers[i].value;
		else if (*cte == NULL && strcasecmp(name, "Content-Transfer-Encoding") == 0)
			*cte = p->headers[i].value;
	}
}

/* The transfer encoding a Content-Transfer-Encoding value (or NULL) names. */
static enum mail_cte cte_of(const char *cte)
{
	if (cte == NULL)
		return CTE_NONE;
	cte = skip_cfws(cte);
	if (strncasecmp(cte, "base64", 6) == 0)
		return CTE_BASE64;
	if (strncasecmp(cte, "quoted-printable", 16) == 0)
		return CTE_QP;
	return CTE_NONE;
}

/*
 * Decode the n encoded bytes at s where they stand: both decoders write
 * no faster than they read, so the output never overtakes the input.
 * The result is NUL-terminated at its length, at most s[n].
 */
static size_t body_decode(enum mail_cte cte, char *s, size_t n, int *damaged)
{
	return cte == CTE_BASE64 ? b64_decode(s, n, s, damaged) : qp_decode(s, n, s, damaged);
}

/* Types whose content is parsed into children, and so decoded at once. */
static int is_container(const char *type)
{
	return strncmp(type, "multipart/", 10) == 0 || is_enclosed_message(type) ||
	       is_headers_only(type);
}

/* Parse the content of a container part into children; 0 if it stays a leaf. */
static int part_children(struct mail_ctx *ctx, struct mail_part *p, const char *ct, char *s,
                         size_t n, size_t depth)
{
	size_t cap = 0;
	struct mail_part *c;

	if (strncmp(p->type, "multipart/", 10) == 0) {
		char *b = ct ? ct_param(ct, "boundary") : NULL;
		size_t nd = 0;

		if (b == NULL || *b == 0) {
			free(b);
			return 0; /* no boundary: an opaque leaf */
		}
		if (room_for_part(ctx, depth + 1))
			nd = multipart_split(ctx, p, s, n, b, depth);
		free(b);
		if (nd == 0 && p->nchildren == 0 && !ctx->m->limited)
			p->damaged = 1; /* a multipart with no delimiter at all */
		return p->nchildren > 0;
	}
	if (is_enclosed_message(p->type) || is_headers_only(p->type)) {
		enum part_kind kind = is_headers_only(p->type) ? PART_HEADERS : PART_MESSAGE;

		if (!room_for_part(ctx, depth + 1))
			return 0;
		/* headers-only parts keep their body too: the child parses a copy */
		if (kind == PART_HEADERS && (s = ctx_strndup(ctx, s, n)) == NULL)
			return 0;
		if ((c = part_parse(ctx, s, n, depth + 1, kind, 0)) == NULL)
			return 0;
		if (add_child(ctx, p, &cap, c) < 0)
			return 0;
		return kind == PART_MESSAGE;
	}
	return 0;
}

/*
 * Parse the part in [s, s+n). It may write into s[0..n], s[n] included
 * (see the top of this file for why that is safe).
 */
static struct mail_part *part_parse(struct mail_ctx *ctx, char *s, size_t n, size_t depth,
                                    enum part_kind kind, int in_digest)
{
	struct mail_part *p = part_new(ctx);
	const char *ct, *cte;
	enum mail_cte enc;
	char *body;
	size_t off, blen;

	if (p == NULL)
		return NULL;
	off = headers_parse(ctx, p, s, n, kind);
	content_headers(p, &ct, &cte);
	if (ct != NULL)
		p->type = ct_type(ctx, ct);
	if (p->type == NULL && !ctx->oom)
		p->type = ctx_strndup(ctx, in_digest ? "message/rfc822" : "text/plain",
		                      in_digest ? 14 : 10);
	if (p->type == NULL)
		return NULL;
	if (kind == PART_HEADERS)
		return (p->body = ctx_calloc(ctx, 1, 1)) != NULL ? p : NULL;
	body = s + off;
	blen = n - off;
	enc = cte_of(cte);
	if (enc != CTE_NONE && ctx->lazy && !is_container(p->type)) {
		struct part_store *ps = (struct part_store *)p;

		/* "" until mail_part_body() decodes it */
		ps->raw = body;
		ps->raw_len = blen;
		ps->cte = enc;
		return (p->body = ctx_calloc(ctx, 1, 1)) != NULL ? p : NULL;
	}
	if (enc != CTE_NONE)
		blen = body_decode(enc, body, blen, &p->damaged);
	/*
	 * A container's content is in its children. An empty body gets its
	 * own "": s[n] may be the next delimiter's first '-'.
	 */
	if (part_children(ctx, p, ct, body, blen, depth) || blen == 0) {
		p->body = ctx_calloc(ctx, 1, 1);
	} else {
		body[blen] = 0; /* at most s[n]: see above */
		p->body = body;
		p->body_len = blen;
	}
	return p->body != NULL ? p : NULL;
}

/* mail_parse(), or mail_open() when lazy. */
static int parse(const char *data, size_t len, const struct mail_limits *lim, int lazy,
                 struct mail **out, char *err, size_t errlen)
{
	struct mail_ctx ctx;
	struct mail_store *st = NULL;
	struct arena *a;
	char *text;
	size_t n;
	int truncated;

	*out = NULL;
	if (lim == NULL)
		lim = &mail_limits_default;
	if ((truncated = len > lim->max_bytes))
		len = lim->max_bytes;
	if (data == NULL)
		len = 0;
	/* the copy, and room for what is made from it: most messages need no more */
	if ((a = arena_new(len < ((size_t)-1) / 4 ? len + len / 2 + 2048 : len)) == NULL ||
	    (st = arena_calloc(a, 1, sizeof(*st))) == NULL ||
	    (text = arena_alloc(a, len + 1)) == NULL)
		goto oom;
	st->arena = a;
	st->m.truncated = truncated;
	n = normalise_eol(data ? data : "", len, text);
	ctx.lim = lim;
	ctx.m = &st->m;
	ctx.arena = a;
	ctx.oom = 0;
	ctx.lazy = lazy;
	st->m.root = part_parse(&ctx, text, n, 0, PART_MESSAGE, 0);
	if (ctx.oom || st->m.root == NULL)
		goto oom;
	*out = &st->m;
	return 0;

oom:
	arena_free(a);
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "mail_parse: out of memory");
	return -1;
}

int mail_parse(const char *data, size_t len, const struct mail_limits *lim, struct mail **out,
               char *err, size_t errlen)
{
	return parse(data, len, lim, 0, out, err, errlen);
}

int mail_open(const char *data, size_t len, const struct mail_limits *lim, struct mail **out,
              char *err, size_t errlen)
{
	return parse(data, len, lim, 1, out, err, errlen);
}

void mail_free(struct mail *m)
{
	if (m == NULL)
		return;
	arena_free(((struct mail_store *)m)->arena);
}

const char *mail_part_header(const struct mail_part *p, const char *name)
{
	int c0 = mail_lower((unsigned char)name[0]);

	if (p == NULL)
		return NULL;
	/* names differ at the first byte far more often than not */
	for (size_t i = 0; i < p->nheaders; i++)
		if (mail_lower((unsigned char)p->headers[i].name[0]) == c0 &&
		    strcasecmp(p->headers[i].name, name) == 0)
			return p->headers[i].value;
	return NULL;
}

char *mail_part_param(const struct mail_part *p, const char *param)
{
	const char *ct = mail_part_header(p, "Content-Type");

	return ct ? ct_param(ct, param) : NULL;
}

const char *mail_part_body(const struct mail_part *p, size_t *len)
{
	struct part_store *ps;

	if (p == NULL) {
		if (len)
			*len = 0;
		return NULL;
	}
	/*
	 * A body mail_open() left encoded is decoded now. The part was made
	 * writable by mail.c, const only to the caller: casting it back is
	 * how the first reader fills it in. An empty one stays "".
	 */
	ps = (struct part_store *)(void *)p;
	if (ps->raw != NULL) {
		if (ps->raw_len > 0) {
			ps->p.body_len = body_decode(ps->cte, ps->raw, ps->raw_len, &ps->p.damaged);
			ps->p.body = ps->raw;
		}
		ps->raw = NULL;
	}
	if (len)
		*len = p->body_len;
	return p->body;
}

const struct mail_part *mail_find_below(const struct mail_part *p, const char *type)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->nchildren; i++) {
		const struct mail_part *c = p->children[i], *f;

		if (strcmp(c->type, type) == 0)
			return c;
		if ((f = mail_find_below(c, type)) != NULL)
			return f;
	}
	return NULL;
}

const struct mail_part *mail_find(const struct mail *m, const char *type)
{
	if (m == NULL || m->root == NULL)
		return NULL;
	if (strcmp(m->root->type, type) == 0)
		return m->root;
	return mail_find_below(m->root, type);
}

/*
 * Header blocks (message/delivery-status bodies and the like). Limits:
 * at most max_parts blocks, max_headers fields per block, max_header_bytes
 * per unfolded field, max_bytes of text; the rest is ignored. The text is
 * copied once (line ends normalised) and each field is NUL-terminated and
 * unfolded in that copy, as header fields are above.
 */

static int blank_line(const char *l, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_wsp(l[i]))
			return 0;
	return 1;
}

/* State of one mail_walk_blocks() call. */
struct block_walk {
	const struct mail_limits *lim;
	mail_field_fn fn;
	void *arg;
	size_t nb;      /* blocks so far; the current one is nb - 1 */
	size_t nfields; /* fields given of the current block */
	/* the field being collected: it may continue on folded lines */
	char *name, *val, *end;
	size_t namelen;
	int folded; /* it has continuation lines */
};

/* Hand the field being collected to fn, if there is one and room for it. */
static int block_flush(struct block_walk *w)
{
	char *name = w->name, *value;
	int cut;

	w->name = NULL;
	if (name == NULL || w->nb == 0 || w->nfields >= w->lim->max_headers)
		return 0;
	w->nfields++;
	name[w->namelen] = 0;
	value = field_value(w->val, (size_t)(w->end - w->val), w->folded, w->lim->max_header_bytes,
	                    &cut);
	return w->fn(w->arg, w->nb - 1, name, value);
}

static int blocks_walk(struct block_walk *w, char *s, size_t n)
{
	size_t pos = 0, colon;
	int in_block = 0, r;

	while (pos < n) {
		char *line = s + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t ll = nl ? (size_t)(nl - line) : n - pos;

		pos += ll + (nl ? 1 : 0);
		if (blank_line(line, ll)) { /* empty or white space only: a separator */
			if ((r = block_flush(w)) != 0)
				return r;
			in_block = 0;
			continue;
		}
		if (is_wsp(line[0])) {
			if (w->name != NULL) {
				w->end = line + ll;
				w->folded = 1;
			}
			continue;
		}
		if ((r = block_flush(w)) != 0)
			return r;
		if ((colon = header_name_len(line, ll, nl != NULL, &w->namelen)) == 0)
			continue; /* a junk line ends the field, not the block */
		if (!in_block) {
			if (w->nb >= w->lim->max_parts)
				break;
			w->nb++;
			w->nfields = 0;
			in_block = 1;
		}
		w->name = line;
		w->val = line + colon + 1;
		w->end = line + ll;
		w->folded = 0;
	}
	return block_flush(w);
}

int mail_walk_blocks(const char *text, size_t len, const struct mail_limits *lim, mail_field_fn fn,
                     void *arg, size_t *nblocks)
{
	struct block_walk w = {0};
	char *s;
	size_t n;
	int r;

	*nblocks = 0;
	if (lim == NULL)
		lim = &mail_limits_default;
	if (text == NULL)
		len = 0;
	if (len > lim->max_bytes)
		len = lim->max_bytes;
	if (len == (size_t)-1 || (s = malloc(len + 1)) == NULL)
		return -1;
	n = normalise_eol(text ? text : "", len, s);
	w.lim = lim;
	w.fn = fn;
	w.arg = arg;
	r = blocks_walk(&w, s, n);
	free(s);
	*nblocks = w.nb;
	return r;
}

/* mail_parse_blocks() builds its array from the walk. */
struct blocks_build {
	struct mail_block *bl;
	size_t nb, bcap, fcap; /* fcap: of the last block's fields */
};

static int blocks_add_block(struct blocks_build *b)
{
	struct mail_block *p;

	if (b->nb == b->bcap) {
		size_t ncap = b->bcap ? b->bcap * 2 : 8;

		if (ncap > ((size_t)-1) / sizeof(*p) ||
		    (p = realloc(b->bl, ncap * sizeof(*p))) == NULL)
			return -1;
		b->bl = p;
		b->bcap = ncap;
	}
	b->bl[b->nb].fields = NULL;
	b->bl[b->nb].nfields = 0;
	b->nb++;
	b->fcap = 0;
	return 0;
}

static int blocks_add_field(void *arg, size_t block, const char *name, const char *value)
{
	struct blocks_build *b = arg;
	struct mail_block *cur;
	struct mail_header *h;

	while (b->nb <= block)
		if (blocks_add_block(b) < 0)
			return -1;
	cur = &b->bl[block];
	if (cur->nfields == b->fcap) {
		size_t ncap = b->fcap ? b->fcap * 2 : 8;

		if (ncap > ((size_t)-1) / sizeof(*h) ||
		    (h = realloc(cur->fields, ncap * sizeof(*h))) == NULL)
			return -1;
		cur->fields = h;
		b->fcap = ncap;
	}
	h = &cur->fields[cur->nfields];
	h->name = text_dup(name, strlen(name));
	h->value = text_dup(value, strlen(value));
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return -1;
	}
	cur->nfields++;
	return 0;
}

int mail_parse_blocks(const char *text, size_t len, const struct mail_limits *lim,
                      struct mail_block **blocks, size_t *nblocks)
{
	struct blocks_build b = {0};
	size_t nb;

	*blocks = NULL;
	*nblocks = 0;
	if (mail_walk_blocks(text, len, lim, blocks_add_field, &b, &nb) != 0)
		goto oom;
	while (b.nb < nb) /* blocks whose fields were all beyond max_headers */
		if (blocks_add_block(&b) < 0)
			goto oom;
	*blocks = b.bl;
	*nblocks = b.nb;
	return 0;

oom:
	mail_blocks_free(b.bl, b.nb);
	return -1;
}

const char *mail_block_get(const struct mail_block *b, const char *name)
{
	if (b == NULL)
		return NULL;
	for (size_t i = 0; i < b->nfields; i++)
		if (strcasecmp(b->fields[i].name, name) == 0)
			return b->fields[i].value;
	return NULL;
}

void mail_blocks_free(struct mail_block *blocks, size_t nblocks)
{
	for (size_t i = 0; i < nblocks; i++) {
		for (size_t j = 0; j < blocks[i].nfields; j++) {
			free(blocks[i].fields[j].name);
			free(blocks[i].fields[j].value);
		}
		free(blocks[i].fields);
	}
	free(blocks);
}
