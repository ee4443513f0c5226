/*
 * fuzz_message - the milter's learn path on arbitrary bytes: mail_parse(),
 * dsn_parse(), scan_fill(), notice_kind(), scan_parse() and bounce_analyse()
 * with the shipped rules.
 *
 * Invariants checked (all stated in mail.h, dsn.h, bounce.h, addr.h):
 *	- mail_parse() never fails short of memory; the tree it gives has
 *	  m->nparts parts, at most max_parts of them (the root always
 *	  exists), nested at most max_depth deep, at most max_headers
 *	  header fields per part and max_header_bytes per field, every type
 *	  a lowercased "type/subtype", every body NUL-terminated at body_len;
 *	- header names are non-empty tokens; header values are unfolded, do
 *	  not start with white space (they may end with it when a NUL byte
 *	  cuts them short), and carry no line end at all unless a transfer
 *	  encoding above them produced it (see the note below);
 *	- the same input parsed with small limits respects those limits and
 *	  sets m->limited / m->truncated when it had to;
 *	- dsn_parse() returns nrcpts, and every recipient names a Final- or
 *	  Original-Recipient; Action is lowercased; Status is one word;
 *	- scan_fill() only adds: a Diagnostic-Code that was missing, an
 *	  Original-Recipient for a recipient that named no usable address;
 *	- notice_kind() is one of the four kinds, with a name;
 *	- scan_parse(), run on every message (not only on those notice_kind()
 *	  calls bounces: the text is untrusted either way), gives reports of
 *	  the same shape as dsn_parse(), at most SCAN_RCPTS_MAX recipients;
 *	  those it read from the text itself ("x-scan") name a normalised
 *	  address, are "failed" or "delayed", and have a diagnostic of at
 *	  most SCAN_DIAG_MAX bytes with white space runs made one space;
 *	- bounce_analyse() is that report (the delivery-status part completed
 *	  by scan_fill(), else for a bounce the scanned text): one result per
 *	  recipient, in order, with is_report / scanned telling which, the
 *	  raw recipient bounce.h names, the recipient's diagnostic (never
 *	  NULL), a status of the c.s.d shape (derived for a scanned failure
 *	  or delay that has none), a reply code of 0 or 200..599, a valid
 *	  verdict, and a normalised recipient that normalises to itself;
 *	- bounce_dedup_key() is 32 hex digits, present exactly when the
 *	  report has an identity and the result a recipient;
 *	- line ends do not matter: the same message with its line ends
 *	  rewritten to CRLF or to lone CR gives the same results, field by
 *	  field, and the same dedup keys (mail.h: line ends are normalised
 *	  first).
 *
 * Note: base64 and quoted-printable content decodes to whatever bytes it
 *	holds, CR included, and enclosed parts are parsed from those bytes, so
 *	the "LF only" checks stop at the first encoded ancestor.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "bounce.h"
#include "dsn.h"
#include "fuzz_util.h"
#include "mail.h"
#include "notice.h"
#include "scan.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct rules *shipped;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	shipped = fuzz_rules_shipped();
	return 0;
}

/* Limits small enough that every limit path is reached; chosen from the size. */
static struct mail_limits small_limits(size_t size)
{
	struct mail_limits lim;

	lim.max_bytes = size > 64 ? size - size % 61 : size + 1;
	lim.max_parts = 1 + size % 7;
	lim.max_depth = size % 5;
	lim.max_headers = 1 + size % 11;
	lim.max_header_bytes = 1 + size % 97;
	return lim;
}

static int has_line_end(const char *s, size_t n)
{
	return memchr(s, '\r', n) != NULL || memchr(s, '\n', n) != NULL;
}

static void check_header(const struct mail_header *h, const struct mail_limits *lim, int encoded)
{
	size_t vl;

	FUZZ_ASSERT(h->name != NULL && h->value != NULL);
	FUZZ_ASSERT(h->name[0] != 0);
	for (const char *c = h->name; *c; c++)
		FUZZ_ASSERT((unsigned char)*c > ' ' && (unsigned char)*c < 127 && *c != ':');
	vl = strlen(h->value);
	FUZZ_ASSERT(vl <= lim->max_header_bytes);
	/* only the start: a NUL byte may end the value just after a space */
	FUZZ_ASSERT(h->value[0] != ' ' && h->value[0] != '\t');
	if (!encoded)
		FUZZ_ASSERT(!has_line_end(h->value, vl));
}

/* Check one part and those below it; returns the number of parts. */
static size_t check_part(const struct mail_part *p, size_t depth, const struct mail_limits *lim,
                         int encoded)
{
	const char *cte = mail_part_header(p, "Content-Transfer-Encoding");
	size_t n = 1;
	char *b;

	FUZZ_ASSERT(depth <= lim->max_depth || depth == 0);
	FUZZ_ASSERT(p->nheaders <= lim->max_headers);
	for (size_t i = 0; i < p->nheaders; i++)
		check_header(&p->headers[i], lim, encoded);
	FUZZ_ASSERT(p->type != NULL && p->body != NULL);
	FUZZ_ASSERT(strchr(p->type, '/') != NULL && strchr(p->type, '/') == strrchr(p->type, '/'));
	FUZZ_ASSERT(p->type[0] != '/' && p->type[strlen(p->type) - 1] != '/');
	for (const char *c = p->type; *c; c++)
		FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z') && (unsigned char)*c > ' ');
	FUZZ_ASSERT(p->body[p->body_len] == 0);
	if (p->nchildren > 0)
		FUZZ_ASSERT(p->children != NULL);
	/* the accessors on every part: they must not read outside it */
	b = mail_part_param(p, "boundary");
	free(b);
	b = mail_part_param(p, "report-type");
	free(b);
	if (cte != NULL && (strcasestr(cte, "base64") || strcasestr(cte, "quoted-printable")))
		encoded = 1;
	if (!encoded && p->nchildren == 0)
		FUZZ_ASSERT(memchr(p->body, '\r', p->body_len) == NULL);
	for (size_t i = 0; i < p->nchildren; i++) {
		FUZZ_ASSERT(p->children[i] != NULL);
		n += check_part(p->children[i], depth + 1, lim, encoded);
	}
	if (p->nchildren > 0)
		FUZZ_ASSERT(mail_find_below(p, p->children[0]->type) == p->children[0]);
	return n;
}

static void check_tree(const struct mail *m, const struct mail_limits *lim)
{
	size_t n;

	FUZZ_ASSERT(m != NULL && m->root != NULL);
	n = check_part(m->root, 0, lim, 0);
	FUZZ_ASSERT(n == m->nparts);
	FUZZ_ASSERT(n <= lim->max_parts || n == 1);
	FUZZ_ASSERT(mail_find(m, m->root->type) == m->root);
}

static void check_recipient(const char *a);
static int same_str(const char *a, const char *b);

/* White space runs made one space, none at either end. */
static void check_squeezed(const char *s)
{
	size_t n = strlen(s);

	if (n > 0)
		FUZZ_ASSERT(s[0] != ' ' && s[n - 1] != ' ');
	for (size_t i = 0; i < n; i++) {
		FUZZ_ASSERT(s[i] == ' ' || !isspace((unsigned char)s[i]));
		FUZZ_ASSERT(!(s[i] == ' ' && s[i + 1] == ' '));
	}
}

/* strict: as dsn.h describes dsn_parse()'s recipients (scan.h: the same shape) */
static void check_report(const struct dsn_report *rep, int n, int strict)
{
	FUZZ_ASSERT(n >= 0);
	FUZZ_ASSERT((size_t)n == rep->nrcpts);
	for (size_t i = 0; i < rep->nrcpts && strict; i++) {
		const struct dsn_rcpt *r = &rep->rcpts[i];

		FUZZ_ASSERT(r->final_recipient != NULL || r->original_recipient != NULL);
		if (r->action != NULL)
			for (const char *c = r->action; *c; c++)
				FUZZ_ASSERT(!(*c >= 'A' && *c <= 'Z'));
		if (r->status != NULL)
			FUZZ_ASSERT(strpbrk(r->status, " \t\r\n") == NULL);
	}
}

/* A report from scan_parse(); the generic steps mark theirs "x-scan". */
static void check_scanned(const struct dsn_report *rep, int n)
{
	check_report(rep, n, 1);
	FUZZ_ASSERT(rep->nrcpts <= SCAN_RCPTS_MAX);
	for (size_t i = 0; i < rep->nrcpts; i++) {
		const struct dsn_rcpt *r = &rep->rcpts[i];

		if (r->diagnostic_type == NULL || strcmp(r->diagnostic_type, "x-scan") != 0)
			continue;
		FUZZ_ASSERT(r->final_recipient != NULL);
		check_recipient(r->final_recipient);
		FUZZ_ASSERT(r->action != NULL && (strcmp(r->action, "failed") == 0 ||
		                                  strcmp(r->action, "delayed") == 0));
		if (r->status != NULL)
			fuzz_check_status(r->status);
		FUZZ_ASSERT(r->diagnostic != NULL && strlen(r->diagnostic) <= SCAN_DIAG_MAX);
		check_squeezed(r->diagnostic);
	}
}

static int usable(const char *a)
{
	char norm[ADDR_MAX];

	return a != NULL && addr_normalise(a, norm, sizeof(norm)) == 0;
}

/* scan_fill() on a report from dsn_parse(): it only adds (see scan.h, scan.c). */
static void check_fill(const struct mail *m, struct dsn_report *rep)
{
	size_t n = rep->nrcpts;
	struct dsn_rcpt *before = malloc(n * sizeof(*before));
	char *was_usable = malloc(n);

	if (before == NULL || was_usable == NULL)
		abort();
	/* a shallow copy: compare pointers only, scan_fill() may free some */
	memcpy(before, rep->rcpts, n * sizeof(*before));
	for (size_t i = 0; i < n; i++)
		was_usable[i] =
		    usable(before[i].final_recipient) || usable(before[i].original_recipient);
	FUZZ_ASSERT(scan_fill(m, rep) == 0);
	FUZZ_ASSERT(rep->nrcpts == n);
	for (size_t i = 0; i < n; i++) {
		const struct dsn_rcpt *a = &before[i], *b = &rep->rcpts[i];

		FUZZ_ASSERT(b->final_recipient == a->final_recipient);
		FUZZ_ASSERT(b->action == a->action && b->status == a->status);
		FUZZ_ASSERT(b->remote_mta == a->remote_mta);
		if (a->diagnostic != NULL)
			FUZZ_ASSERT(b->diagnostic == a->diagnostic);
		if (was_usable[i])
			FUZZ_ASSERT(b->original_recipient == a->original_recipient);
		else if (b->original_recipient != a->original_recipient)
			check_recipient(b->original_recipient);
	}
	free(was_usable);
	free(before);
}

static void check_recipient(const char *a)
{
	char again[ADDR_MAX];
	const char *at;

	if (a == NULL)
		return;
	FUZZ_ASSERT(strlen(a) < ADDR_MAX);
	FUZZ_ASSERT((at = strchr(a, '@')) != NULL && at == strrchr(a, '@'));
	FUZZ_ASSERT(at > a && at[1] != 0);
	for (const char *c = a; *c; c++)
		FUZZ_ASSERT((unsigned char)*c > ' ' && *c != 127 && !(*c >= 'A' && *c <= 'Z'));
	FUZZ_ASSERT(addr_normalise(a, again, sizeof(again)) == 0 && strcmp(a, again) == 0);
}

static void check_key(const struct bounce *b, const struct bounce_result *r)
{
	char *key = bounce_dedup_key(b, r);
	int has_id = b->queue_id || b->envelope_id || b->orig_message_id;

	FUZZ_ASSERT((key != NULL) == (has_id && r->recipient != NULL));
	if (key != NULL) {
		FUZZ_ASSERT(strlen(key) == 32 && strspn(key, "0123456789abcdef") == 32);
		free(key);
	}
}

/* The raw recipient bounce.h names: Final-, else Original-Recipient; a
 * Final-Recipient that is no address gives way to a usable Original one. */
static const char *raw_recipient(const struct dsn_rcpt *d)
{
	const char *raw = d->final_recipient ? d->final_recipient : d->original_recipient;

	if (raw != NULL && !usable(raw) && usable(d->original_recipient))
		raw = d->original_recipient;
	return raw;
}

static void check_bounce(const struct bounce *b, int n, const struct dsn_report *rep, int scanned)
{
	FUZZ_ASSERT(n >= 0 && (size_t)n == rep->nrcpts);
	FUZZ_ASSERT((size_t)n == b->nresults);
	FUZZ_ASSERT(b->is_report == (n > 0 && !scanned));
	FUZZ_ASSERT(b->scanned == (n > 0 && scanned));
	for (size_t i = 0; i < b->nresults; i++) {
		const struct bounce_result *r = &b->results[i];
		const struct dsn_rcpt *d = &rep->rcpts[i];

		FUZZ_ASSERT(r->diagnostic != NULL);
		FUZZ_ASSERT(strcmp(r->diagnostic, d->diagnostic ? d->diagnostic : "") == 0);
		FUZZ_ASSERT(same_str(r->raw_recipient, raw_recipient(d)));
		fuzz_check_status(r->status);
		FUZZ_ASSERT(r->reply_code == 0 || (r->reply_code >= 200 && r->reply_code <= 599));
		fuzz_check_verdict(&r->verdict);
		check_recipient(r->recipient);
		check_key(b, r);
		if (scanned && ((r->reply_code >= 400 && r->reply_code < 600) ||
		                same_str(r->action, "failed") || same_str(r->action, "delayed")))
			FUZZ_ASSERT(r->status[0] != 0);
	}
}

static int same_str(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

/* The same report field by field; dedup keys included. */
static void check_same(const struct bounce *a, const struct bounce *b)
{
	FUZZ_ASSERT(a->nresults == b->nresults);
	FUZZ_ASSERT(a->is_report == b->is_report && a->scanned == b->scanned);
	FUZZ_ASSERT(same_str(a->reporting_mta, b->reporting_mta));
	FUZZ_ASSERT(same_str(a->queue_id, b->queue_id));
	FUZZ_ASSERT(same_str(a->orig_message_id, b->orig_message_id));
	FUZZ_ASSERT(same_str(a->orig_subject, b->orig_subject));
	for (size_t i = 0; i < a->nresults; i++) {
		const struct bounce_result *x = &a->results[i], *y = &b->results[i];
		char *kx = bounce_dedup_key(a, x), *ky = bounce_dedup_key(b, y);

		FUZZ_ASSERT(same_str(x->recipient, y->recipient));
		FUZZ_ASSERT(same_str(x->action, y->action));
		FUZZ_ASSERT(strcmp(x->status, y->status) == 0);
		FUZZ_ASSERT(x->reply_code == y->reply_code);
		FUZZ_ASSERT(strcmp(x->diagnostic, y->diagnostic) == 0);
		FUZZ_ASSERT(fuzz_same_verdict(&x->verdict, &y->verdict));
		FUZZ_ASSERT(same_str(kx, ky));
		free(kx);
		free(ky);
	}
}

/*
 * The input with every line end made CRLF (odd sizes) or a lone CR (even
 * sizes). CRLF, lone CR and lone LF all count as one line end, so the
 * result has the same lines as the input.
 */
static char *eol_variant(const uint8_t *data, size_t size, size_t *outlen)
{
	char *out = malloc(2 * size + 1);
	int crlf = size % 2 == 1;
	size_t j = 0;

	if (out == NULL)
		abort();
	for (size_t i = 0; i < size; i++) {
		int eol = data[i] == '\n' || data[i] == '\r';

		if (data[i] == '\r' && i + 1 < size && data[i + 1] == '\n')
			i++;
		if (!eol) {
			out[j++] = (char)data[i];
			continue;
		}
		out[j++] = '\r';
		if (crlf)
			out[j++] = '\n';
	}
	*outlen = j;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct mail_limits small = small_limits(size);
	struct mail *m;
	struct dsn_report rep, rep2, srep, *expect;
	struct bounce b, b2;
	enum notice_kind kind;
	char err[256], *var;
	size_t varlen;
	int nrep, nscan, n, n2, scanned;

	/* the learn path the way bounce.h describes it, with the default limits */
	FUZZ_ASSERT(mail_parse(buf, size, NULL, &m, err, sizeof(err)) == 0);
	check_tree(m, &mail_limits_default);
	FUZZ_ASSERT(!m->truncated);
	nrep = dsn_parse(m, &rep);
	check_report(&rep, nrep, 1);
	if (nrep > 0)
		check_fill(m, &rep);
	kind = notice_kind(m);
	FUZZ_ASSERT(kind == NOTICE_OTHER || kind == NOTICE_BOUNCE || kind == NOTICE_AUTOREPLY ||
	            kind == NOTICE_FEEDBACK);
	FUZZ_ASSERT(notice_name(kind) != NULL);
	nscan = scan_parse(m, &srep);
	check_scanned(&srep, nscan);
	mail_free(m);
	if (nrep == 0 && kind == NOTICE_BOUNCE) {
		expect = &srep;
		scanned = 1;
	} else {
		expect = &rep;
		scanned = 0;
	}

	/* the same bytes under small limits */
	FUZZ_ASSERT(mail_parse(buf, size, &small, &m, err, sizeof(err)) == 0);
	check_tree(m, &small);
	FUZZ_ASSERT(m->truncated == (size > small.max_bytes));
	n = dsn_parse(m, &rep2);
	check_report(&rep2, n, 1);
	if (n > 0)
		dsn_free(&rep2);
	mail_free(m);

	/* the pipeline, checked against the report it is built from */
	n = bounce_analyse(buf, size, shipped, NULL, &b, err, sizeof(err));
	check_bounce(&b, n, expect, scanned);

	/* line ends do not matter */
	var = eol_variant(data, size, &varlen);
	n2 = bounce_analyse(var, varlen, shipped, NULL, &b2, err, sizeof(err));
	FUZZ_ASSERT(n2 == n);
	check_same(&b, &b2);
	bounce_free(&b2);
	free(var);

	bounce_free(&b);
	if (nrep > 0)
		dsn_free(&rep);
	if (nscan > 0)
		dsn_free(&srep);
	return 0;
}
