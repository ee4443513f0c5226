/*
 * mail - read an RFC 5322 message and walk its MIME tree.
 *
 * Synopsis:
 *	struct mail *m;
 *	char err[256];
 *	if (mail_parse(buf, len, NULL, &m, err, sizeof(err)) < 0) ... err ...
 *	const struct mail_part *p = mail_find(m, "message/delivery-status");
 *	size_t n; const char *body = mail_part_body(p, &n);
 *	mail_free(m);
 *
 * Description:
 *	mail_parse() copies the input, so the caller's buffer can go away. Line
 *	ends are normalised first: LF, CRLF and CR-only input give the same
 *	tree, and every body and header value handed out uses LF only.
 *	Header values are unfolded (CRLF/LF followed by white space becomes the
 *	white space) and have leading and trailing white space removed; names
 *	keep their case but look-ups ignore it.
 *
 *	Parts: a multipart part has children, one per body part, nested to any
 *	depth up to the limits. A message/rfc822 or message/global part has one
 *	child, the enclosed message; a text/rfc822-headers part has one child
 *	holding only headers. Leaf bodies are decoded from base64 or
 *	quoted-printable when the part says so; broken encodings decode as far
 *	as they can and set the part's damaged flag rather than failing.
 *	A message without a Content-Type is text/plain. Bytes are never
 *	interpreted as a charset: NUL bytes and invalid UTF-8 pass through as
 *	bytes (bodies carry a length; values are NUL-terminated at the first NUL).
 *
 *	mail_open() is mail_parse() for a reader that takes bodies only from
 *	mail_part_body(): a leaf body in base64 or quoted-printable is decoded
 *	when mail_part_body() first asks for it, since most are never read
 *	(attachments, the parts of a returned message). Until then that
 *	part's body is "", its body_len 0 and its damaged flag unset; after
 *	it, the fields hold what mail_parse() would have put there. Headers,
 *	types and the tree are the same as mail_parse() gives.
 *
 *	Limits: input beyond max_bytes is ignored (and m->truncated set); parts
 *	beyond max_parts or nesting beyond max_depth are kept as opaque leaves
 *	(m->limited set). NULL limits means mail_limits_default.
 *
 * Diagnostics:
 *	mail_parse() and mail_open() return 0, or -1 with a message in err only when memory
 *	runs out: any byte sequence is some message.
 */
#ifndef BT_MAIL_H
#define BT_MAIL_H

#include <stddef.h>

struct mail_limits {
	size_t max_bytes;        /* input bytes looked at */
	size_t max_parts;        /* MIME parts in the whole tree */
	size_t max_depth;        /* nesting of multiparts and enclosed messages */
	size_t max_headers;      /* header fields per part */
	size_t max_header_bytes; /* bytes of one unfolded header field */
};

extern const struct mail_limits mail_limits_default;

struct mail_header {
	char *name;
	char *value;
};

struct mail_part {
	struct mail_header *headers;
	size_t nheaders;
	char *type;      /* lowercased "type/subtype", never NULL */
	char *body;      /* decoded, LF line ends, NUL-terminated; never NULL */
	size_t body_len; /* bytes in body without the terminating NUL */
	struct mail_part **children;
	size_t nchildren;
	int damaged; /* a decoding or structure problem was met */
};

struct mail {
	struct mail_part *root;
	size_t nparts;
	int truncated; /* input exceeded max_bytes */
	int limited;   /* a part or depth limit was reached */
};

int mail_parse(const char *data, size_t len, const struct mail_limits *lim, struct mail **out,
               char *err, size_t errlen);
int mail_open(const char *data, size_t len, const struct mail_limits *lim, struct mail **out,
              char *err, size_t errlen);
void mail_free(struct mail *m);

/* First header of that name (case-insensitive), or NULL. */
const char *mail_part_header(const struct mail_part *p, const char *name);
/* A Content-Type parameter (lowercased name; value unquoted), or NULL. Caller frees. */
char *mail_part_param(const struct mail_part *p, const char *param);
/*
 * The decoded body of a part and its length. For a mail_open() part the
 * first call may decode it (where it stands: the mail is not const
 * then, so one mail is read by one thread at a time).
 */
const char *mail_part_body(const struct mail_part *p, size_t *len);
/* Depth-first, document order: the first part of that lowercased type, or NULL. */
const struct mail_part *mail_find(const struct mail *m, const char *type);
/* Same search below (not including) a given part. */
const struct mail_part *mail_find_below(const struct mail_part *p, const char *type);

/*
 * Header blocks outside a message: parse "Name: value" lines (with folding)
 * from text into an array, as in a message/delivery-status body. Blocks
 * are separated by empty lines; *nblocks receives the count. Free with
 * mail_blocks_free().
 */
struct mail_block {
	struct mail_header *fields;
	size_t nfields;
};
int mail_parse_blocks(const char *text, size_t len, const struct mail_limits *lim,
                      struct mail_block **blocks, size_t *nblocks);
/*
 * The same fields without the array: fn is called for each field in
 * order with the index of its block, its name and its unfolded value,
 * both NUL-terminated and valid only during the call. A non-zero return
 * from fn ends the walk and is returned; -1 also means memory ran out.
 * *nblocks receives the number of blocks, counting those whose fields
 * were all beyond max_headers (which fn never sees).
 */
typedef int (*mail_field_fn)(void *arg, size_t block, const char *name, const char *value);
int mail_walk_blocks(const char *text, size_t len, const struct mail_limits *lim, mail_field_fn fn,
                     void *arg, size_t *nblocks);
const char *mail_block_get(const struct mail_block *b, const char *name);
void mail_blocks_free(struct mail_block *blocks, size_t nblocks);

#endif
