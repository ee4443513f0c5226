/*
 * mail - parse an RFC 5322 message into a MIME tree. See mail.h.
 *
 * How it works:
 *	The input (at most max_bytes of it) is copied once with its line ends
 *	rewritten to LF. Every part is then parsed from a slice of that copy:
 *	header section, then a body that is either split at its boundary
 *	delimiter lines (multipart), parsed as an enclosed message
 *	(message/rfc822, message/global), or kept as a leaf, decoded from
 *	base64 or quoted-printable when the part says so. Children are
 *	parsed from slices of their parent's (decoded) body, so every byte is
 *	looked at a bounded number of times: at most once per nesting level,
 *	and the nesting is bounded by max_depth.
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
 * Memory: the line-end normalised copy lives only during mail_parse().
 *	Leaf bodies and header fields are copies; container parts (multipart,
 *	message/rfc822, message/global) have an empty body, because their
 *	content lives in their children. Total memory is thus linear in the
 *	input, plus a constant per part (at most max_parts of them).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail.h"
#include "text.h"

const struct mail_limits mail_limits_default = {
    .max_bytes = 16 * 1024 * 1024,
    .max_parts = 1000,
    .max_depth = 20,
    .max_headers = 1000,
    .max_header_bytes = 64 * 1024,
};

/* State of one mail_parse() call. */
struct mail_ctx {
	const struct mail_limits *lim;
	struct mail *m;
	int oom;
};

enum part_kind {
	PART_BODY,    /* a MIME body part or a top-level message */
	PART_MESSAGE, /* an enclosed message: may start with an mbox "From " line */
	PART_HEADERS, /* text/rfc822-headers content: headers only */
};

static struct mail_part *part_parse(struct mail_ctx *ctx, const char *s, size_t n, size_t depth,
                                    enum part_kind kind, int in_digest);
static void part_free(struct mail_part *p);

/* Helpers for allocation that remember a failure instead of crashing. */

static void *ctx_calloc(struct mail_ctx *ctx, size_t nmemb, size_t size)
{
	void *p = calloc(nmemb, size);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

static char *ctx_strndup(struct mail_ctx *ctx, const char *s, size_t n)
{
	char *p = text_dup(s, n);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

/* Grow *arr (elements of size sz) so that it holds at least need elements. */
static int grow(void **arr, size_t *cap, size_t need, size_t sz)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*arr, ncap * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/*
 * Line ends: CRLF and lone CR become LF. The output is never longer than
 * the input, so one pass into a buffer of the input's size is enough.
 */
static char *normalise_eol(const char *in, size_t n, size_t *outlen)
{
	char *out = malloc(n + 1);
	size_t i = 0, j = 0;

	if (out == NULL)
		return NULL;
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
	*outlen = j;
	return out;
}

/* Header section. */

static int is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Copy a raw header value (which may span folded lines) into a new string:
 * the LF of each fold is dropped, keeping the white space that follows it;
 * leading and trailing white space goes. At most max bytes are kept.
 */
static char *unfold_value(struct mail_ctx *ctx, const char *s, size_t n, size_t max, int *cut)
{
	char *out;
	size_t j = 0;

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
	if ((out = malloc(n + 1)) == NULL) {
		ctx->oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\n')
			out[j++] = s[i];
	while (j > 0 && is_wsp(out[j - 1]))
		j--;
	out[j] = 0;
	return out;
}

/* Is [s, s+n) a field name followed by a colon? Returns the colon's offset or 0. */
static size_t header_name_len(const char *s, size_t n)
{
	size_t i = 0, end;

	while (i < n && (unsigned char)s[i] > ' ' && (unsigned char)s[i] < 127 && s[i] != ':')
		i++;
	end = i;
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

static void header_add(struct mail_ctx *ctx, struct mail_part *p, size_t *cap, const char *name,
                       size_t namelen, const char *val, size_t vallen)
{
	struct mail_header *h;
	int cut;

	if (p->nheaders >= ctx->lim->max_headers) {
		flag_limit(ctx, p);
		return;
	}
	if (grow((void **)&p->headers, cap, p->nheaders + 1, sizeof(*p->headers)) < 0) {
		ctx->oom = 1;
		return;
	}
	h = &p->headers[p->nheaders];
	h->name = ctx_strndup(ctx, name, namelen);
	h->value = unfold_value(ctx, val, vallen, ctx->lim->max_header_bytes, &cut);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		return;
	}
	if (cut)
		flag_limit(ctx, p);
	p->nheaders++;
}

/*
 * Parse the header section at the start of [s, s+n) into p. Returns the
 * offset where the body starts: after the empty line, or at the first line
 * that is neither a field nor a continuation (as Postfix's cleanup does).
 */
static size_t headers_parse(struct mail_ctx *ctx, struct mail_part *p, const char *s, size_t n,
                            enum part_kind kind)
{
	size_t pos = 0, cap = 0;
	const char *name = NULL, *val = NULL;
	size_t namelen = 0, valend = 0;

	/* An mbox separator may precede an enclosed or stored message. */
	if (kind != PART_BODY && n >= 5 && memcmp(s, "From ", 5) == 0) {
		const char *nl = memchr(s, '\n', n);

		pos = nl ? (size_t)(nl - s) + 1 : n;
	}
	while (pos < n) {
		const char *line = s + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - line) : n - pos;
		size_t colon;

		if (len == 0) {
			pos++;
			break;
		}
		if (is_wsp(line[0]) && name != NULL) {
			valend = pos + len; /* continuation of the current field */
		} else if ((colon = header_name_len(line, len)) > 0) {
			if (name != NULL)
				header_add(ctx, p, &cap, name, namelen, val,
				           (size_t)(s + valend - val));
			name = line;
			namelen = 0;
			while (namelen < colon && !is_wsp(line[namelen]))
				namelen++;
			val = line + colon + 1;
			valend = pos + len;
		} else {
			break; /* not a header: the body starts here */
		}
		pos += len + (nl ? 1 : 0);
	}
	if (name != NULL)
		header_add(ctx, p, &cap, name, namelen, val, (size_t)(s + valend - val));
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

static int is_tspecial(int c)
{
	return c != 0 && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

static int is_token_char(int c)
{
	return c > ' ' && c < 127 && !is_tspecial(c);
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
	if ((out = ctx_calloc(ctx, tl + sl + 2, 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < tl; i++)
		out[i] = (char)tolower((unsigned char)t[i]);
	out[tl] = '/';
	for (size_t i = 0; i < sl; i++)
		out[tl + 1 + i] = (char)tolower((unsigned char)sub[i]);
	return out;
}

/* Skip a quoted string starting at the opening quote; return the end. */
static const char *skip_quoted(const char *s)
{
	for (s++; *s && *s != '"'; s++)
		if (*s == '\\' && s[1])
			s++;
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
		for (s++; s < end && *s != '"'; s++) {
			if (*s == '\\' && s + 1 < end)
				s++;
			out[n++] = *s;
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
		while (*s && *s != ';') {
			if (*s == '"')
				s = skip_quoted(s);
			else if (*s == '(')
				s = skip_comment(s);
			else
				s++;
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

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64: white space is skipped; padding ends a quantum (concatenated
 * encodings go on decoding); other bytes and a truncated last quantum
 * set *damaged, and everything decodable is kept.
 */
static char *b64_decode(const char *s, size_t n, size_t *outlen, int *damaged)
{
	char *out = malloc(n / 4 * 3 + 4);
	unsigned long acc = 0;
	int bits = 0, nq = 0;
	size_t j = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i], v;

		if (isspace(c))
			continue;
		if (c == '=') {
			if (nq == 1)
				*damaged = 1;
			acc = 0;
			bits = nq = 0;
			continue;
		}
		if ((v = b64_value(c)) < 0) {
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
	*outlen = j;
	return out;
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
 */
static char *qp_decode(const char *s, size_t n, size_t *outlen, int *damaged)
{
	char *out = malloc(n + 1);
	size_t j = 0, i = 0, keep = 0; /* out[0..keep) is not trailing literal space */

	if (out == NULL)
		return NULL;
	while (i < n) {
		char c = s[i];
		int hi, lo;

		if (c == '=') {
			size_t k = i + 1;

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
		} else if (c == '\n') {
			while (j > keep && is_wsp(out[j - 1]))
				j--;
		}
		out[j++] = c;
		if (!is_wsp(c))
			keep = j;
		i++;
	}
	while (j > keep && is_wsp(out[j - 1]))
		j--;
	out[j] = 0;
	*outlen = j;
	return out;
}

/* Parts. */

static struct mail_part *part_new(struct mail_ctx *ctx)
{
	struct mail_part *p = ctx_calloc(ctx, 1, sizeof(*p));

	if (p != NULL)
		ctx->m->nparts++;
	return p;
}

static int add_child(struct mail_ctx *ctx, struct mail_part *p, size_t *cap, struct mail_part *c)
{
	/* the elements are pointers: sizeof(*p->children) is meant */
	if (grow((void **)&p->children, cap, p->nchildren + 1,
		 sizeof(*p->children)) < 0) { /* NOLINT(bugprone-sizeof-expression) */
		ctx->oom = 1;
		return -1;
	}
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
 * Split a multipart body at its delimiters and parse each body part as a
 * child. Returns the number of delimiters seen (0: none, the caller keeps
 * the part as a leaf).
 */
static size_t multipart_split(struct mail_ctx *ctx, struct mail_part *p, const char *s, size_t n,
                              const char *b, size_t depth)
{
	size_t pos = 0, start = 0, ndelim = 0, cap = 0;
	int in_digest = strcmp(p->type, "multipart/digest") == 0, closed = 0;
	size_t bl = strlen(b);

	while (pos < n && !ctx->oom) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (s + pos)) : n - pos;
		size_t next = pos + len + (nl ? 1 : 0);
		int kind = delimiter(s + pos, len, b, bl);

		if (kind != 0) {
			if (ndelim > 0) {
				/* The LF before a delimiter belongs to the delimiter. */
				size_t end = pos > start ? pos - 1 : start;
				struct mail_part *c;

				if (!room_for_part(ctx, depth + 1))
					return ndelim;
				c = part_parse(ctx, s + start, end - start, depth + 1, PART_BODY,
				               in_digest);
				if (c == NULL)
					return ndelim;
				if (add_child(ctx, p, &cap, c) < 0) {
					part_free(c);
					return ndelim;
				}
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
			if (c != NULL && add_child(ctx, p, &cap, c) < 0)
				part_free(c);
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

/* Decode the body per Content-Transfer-Encoding; *owned is set when a copy was made. */
static const char *body_decode(struct mail_ctx *ctx, struct mail_part *p, const char *s, size_t n,
                               size_t *outlen, char **owned)
{
	const char *cte = mail_part_header(p, "Content-Transfer-Encoding");
	char *d = NULL;

	*owned = NULL;
	*outlen = n;
	if (cte == NULL)
		return s;
	cte = skip_cfws(cte);
	if (strncasecmp(cte, "base64", 6) == 0)
		d = b64_decode(s, n, outlen, &p->damaged);
	else if (strncasecmp(cte, "quoted-printable", 16) == 0)
		d = qp_decode(s, n, outlen, &p->damaged);
	else
		return s;
	if (d == NULL) {
		ctx->oom = 1;
		*outlen = 0;
		return "";
	}
	*owned = d;
	return d;
}

/* Parse the content of a container part into children; 0 if it stays a leaf. */
static int part_children(struct mail_ctx *ctx, struct mail_part *p, const char *s, size_t n,
                         size_t depth)
{
	size_t cap = 0;
	struct mail_part *c;

	if (strncmp(p->type, "multipart/", 10) == 0) {
		char *b = mail_part_param(p, "boundary");
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
		if ((c = part_parse(ctx, s, n, depth + 1, kind, 0)) == NULL)
			return 0;
		if (add_child(ctx, p, &cap, c) < 0) {
			part_free(c);
			return 0;
		}
		return kind == PART_MESSAGE; /* headers-only parts keep their body too */
	}
	return 0;
}

static struct mail_part *part_parse(struct mail_ctx *ctx, const char *s, size_t n, size_t depth,
                                    enum part_kind kind, int in_digest)
{
	struct mail_part *p = part_new(ctx);
	const char *ct, *body;
	size_t off, blen;
	char *owned;

	if (p == NULL)
		return NULL;
	off = headers_parse(ctx, p, s, n, kind);
	ct = mail_part_header(p, "Content-Type");
	if (ct != NULL)
		p->type = ct_type(ctx, ct);
	if (p->type == NULL && !ctx->oom)
		p->type = ctx_strndup(ctx, in_digest ? "message/rfc822" : "text/plain",
		                      in_digest ? 14 : 10);
	if (p->type == NULL) {
		part_free(p);
		return NULL;
	}
	if (kind == PART_HEADERS) {
		if ((p->body = ctx_calloc(ctx, 1, 1)) == NULL) {
			part_free(p);
			return NULL;
		}
		return p;
	}
	body = body_decode(ctx, p, s + off, n - off, &blen, &owned);
	if (part_children(ctx, p, body, blen, depth)) {
		free(owned);
		p->body = ctx_calloc(ctx, 1, 1); /* a container: content is in the children */
	} else if (owned != NULL) {
		p->body = owned;
		p->body_len = blen;
	} else {
		p->body = ctx_strndup(ctx, body, blen);
		p->body_len = blen;
	}
	if (p->body == NULL) {
		p->body_len = 0;
		ctx->oom = 1;
	}
	return p;
}

static void part_free(struct mail_part *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nheaders; i++) {
		free(p->headers[i].name);
		free(p->headers[i].value);
	}
	free(p->headers);
	for (size_t i = 0; i < p->nchildren; i++)
		part_free(p->children[i]);
	free(p->children);
	free(p->type);
	free(p->body);
	free(p);
}

int mail_parse(const char *data, size_t len, const struct mail_limits *lim, struct mail **out,
               char *err, size_t errlen)
{
	struct mail_ctx ctx;
	struct mail *m;
	char *text;
	size_t n;

	*out = NULL;
	if (lim == NULL)
		lim = &mail_limits_default;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	if (len > lim->max_bytes) {
		len = lim->max_bytes;
		m->truncated = 1;
	}
	if ((text = normalise_eol(data ? data : "", data ? len : 0, &n)) == NULL) {
		free(m);
		goto oom;
	}
	ctx.lim = lim;
	ctx.m = m;
	ctx.oom = 0;
	m->root = part_parse(&ctx, text, n, 0, PART_MESSAGE, 0);
	free(text);
	if (ctx.oom || m->root == NULL) {
		mail_free(m);
		goto oom;
	}
	*out = m;
	return 0;

oom:
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "mail_parse: out of memory");
	return -1;
}

void mail_free(struct mail *m)
{
	if (m == NULL)
		return;
	part_free(m->root);
	free(m);
}

const char *mail_part_header(const struct mail_part *p, const char *name)
{
	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < p->nheaders; i++)
		if (strcasecmp(p->headers[i].name, name) == 0)
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
	if (p == NULL) {
		if (len)
			*len = 0;
		return NULL;
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
 * per unfolded field, max_bytes of text; the rest is ignored.
 */

static int block_add(struct mail_block *b, size_t *cap, const struct mail_limits *lim,
                     const char *name, size_t namelen, const char *val, size_t vallen)
{
	struct mail_ctx ctx = {.lim = lim, .m = NULL, .oom = 0};
	struct mail_header *h;
	int cut;

	if (b->nfields >= lim->max_headers)
		return 0;
	if (grow((void **)&b->fields, cap, b->nfields + 1, sizeof(*b->fields)) < 0)
		return -1;
	h = &b->fields[b->nfields];
	h->name = ctx_strndup(&ctx, name, namelen);
	h->value = unfold_value(&ctx, val, vallen, lim->max_header_bytes, &cut);
	if (ctx.oom) {
		free(h->name);
		free(h->value);
		return -1;
	}
	b->nfields++;
	return 0;
}

static int blank_line(const char *l, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!is_wsp(l[i]))
			return 0;
	return 1;
}

/* State while collecting one field that may continue on folded lines. */
struct block_field {
	const char *name, *val, *end;
	size_t namelen;
};

static int block_flush(struct mail_block *blocks, size_t nb, size_t *fcap,
                       const struct mail_limits *lim, struct block_field *f)
{
	int r = 0;

	if (f->name != NULL && nb > 0)
		r = block_add(&blocks[nb - 1], fcap, lim, f->name, f->namelen, f->val,
		              (size_t)(f->end - f->val));
	f->name = NULL;
	return r;
}

int mail_parse_blocks(const char *text, size_t len, const struct mail_limits *lim,
                      struct mail_block **blocks, size_t *nblocks)
{
	struct mail_block *bl = NULL;
	size_t nb = 0, bcap = 0, fcap = 0, pos = 0, n;
	int in_block = 0;
	struct block_field f = {0};
	char *s;

	*blocks = NULL;
	*nblocks = 0;
	if (lim == NULL)
		lim = &mail_limits_default;
	if (len > lim->max_bytes)
		len = lim->max_bytes;
	if ((s = normalise_eol(text ? text : "", text ? len : 0, &n)) == NULL)
		return -1;
	while (pos < n) {
		const char *line = s + pos;
		const char *nl = memchr(line, '\n', n - pos);
		size_t ll = nl ? (size_t)(nl - line) : n - pos;
		size_t colon;

		pos += ll + (nl ? 1 : 0);
		if (blank_line(line, ll)) { /* empty or white space only: a separator */
			if (block_flush(bl, nb, &fcap, lim, &f) < 0)
				goto oom;
			in_block = 0;
			continue;
		}
		if (is_wsp(line[0])) {
			if (f.name != NULL)
				f.end = line + ll;
			continue;
		}
		if ((colon = header_name_len(line, ll)) == 0) {
			/* junk line: ends the field, not the block */
			if (block_flush(bl, nb, &fcap, lim, &f) < 0)
				goto oom;
			continue;
		}
		if (block_flush(bl, nb, &fcap, lim, &f) < 0)
			goto oom;
		if (!in_block) {
			if (nb >= lim->max_parts)
				break;
			if (grow((void **)&bl, &bcap, nb + 1, sizeof(*bl)) < 0)
				goto oom;
			bl[nb].fields = NULL;
			bl[nb].nfields = 0;
			nb++;
			fcap = 0;
			in_block = 1;
		}
		f.name = line;
		f.namelen = 0;
		while (f.namelen < colon && !is_wsp(line[f.namelen]))
			f.namelen++;
		f.val = line + colon + 1;
		f.end = line + ll;
	}
	if (block_flush(bl, nb, &fcap, lim, &f) < 0)
		goto oom;
	free(s);
	*blocks = bl;
	*nblocks = nb;
	return 0;

oom:
	free(s);
	mail_blocks_free(bl, nb);
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
