/*
 * dsn - read an RFC 3464 (and RFC 6533) delivery status report. See dsn.h.
 *
 * How it works:
 *	The first message/delivery-status or message/global-delivery-status
 *	part in document order is walked field by field, block by block
 *	(mail_walk_blocks).
 *	Fields are then read in order, block by block, rather than trusting
 *	the block layout, because real MTAs get it wrong in two ways:
 *	- the per-message block is left out, or runs into the first recipient
 *	  block without a blank line: per-message fields are taken from any
 *	  block, the first occurrence winning;
 *	- two recipient blocks run together: a naming field that the current
 *	  recipient already has, or one that comes after other fields of a
 *	  named recipient, starts a new recipient.
 *	A recipient that names neither Final- nor Original-Recipient is dropped.
 *
 *	Values: "type;" prefixes are removed (rfc822;, utf-8;, dns;, smtp;);
 *	the diagnostic type is kept lowercased in diagnostic_type. Addresses
 *	lose white space and one pair of surrounding angle brackets and keep
 *	their case. Status is its first word ("5.0.0 (permanent failure)" is
 *	"5.0.0"). Diagnostic-Code is unfolded and its white space runs become
 *	one space, so folded and unfolded reports read the same.
 *
 *	The returned message is the first message/rfc822, message/global,
 *	text/rfc822-headers or message/global-headers part after the report
 *	part; orig_message_id, orig_from and orig_subject are its header values
 *	as written (Message-ID with its angle brackets, no RFC 2047 decoding).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "text.h"

/* Per-message fields and where they go in struct dsn_report. */
enum dsn_field {
	F_NONE,
	F_REPORTING_MTA,
	F_ARRIVAL_DATE,
	F_ENVELOPE_ID,
	F_QUEUE_ID,
	F_SENDER,
	F_FINAL_RCPT,
	F_ORIG_RCPT,
	F_ACTION,
	F_STATUS,
	F_REMOTE_MTA,
	F_DIAGNOSTIC,
	F_LAST_ATTEMPT,
};

static const struct {
	const char *name;
	size_t len;
	enum dsn_field field;
} dsn_fields[] = {
    {"Reporting-MTA", 13, F_REPORTING_MTA},
    {"Arrival-Date", 12, F_ARRIVAL_DATE},
    {"Original-Envelope-Id", 20, F_ENVELOPE_ID},
    {"X-Postfix-Queue-ID", 18, F_QUEUE_ID},
    {"X-Postfix-Sender", 16, F_SENDER},
    {"Final-Recipient", 15, F_FINAL_RCPT},
    {"Original-Recipient", 18, F_ORIG_RCPT},
    {"Action", 6, F_ACTION},
    {"Status", 6, F_STATUS},
    {"Remote-MTA", 10, F_REMOTE_MTA},
    {"Diagnostic-Code", 15, F_DIAGNOSTIC},
    {"Last-Attempt-Date", 17, F_LAST_ATTEMPT},
};

static enum dsn_field field_of(const char *name)
{
	size_t n = strlen(name);

	/* most fields differ in length from most names: compare only those that do not */
	for (size_t i = 0; i < sizeof(dsn_fields) / sizeof(dsn_fields[0]); i++)
		if (n == dsn_fields[i].len && strcasecmp(name, dsn_fields[i].name) == 0)
			return dsn_fields[i].field;
	return F_NONE;
}

/* State while reading fields. */
struct dsn_ctx {
	struct dsn_report *rep;
	size_t block; /* of the fields being read */
	size_t cap;
	struct dsn_rcpt cur; /* the recipient being read */
	int cur_detailed;    /* cur got a non-naming field after it was named */
	int oom;
};

static char *dup_range(struct dsn_ctx *ctx, const char *s, size_t n)
{
	char *p = text_dup(s, n);

	if (p == NULL)
		ctx->oom = 1;
	return p;
}

/* Length of a leading "type;" atom, with the ';', or 0 when there is none. */
static size_t type_len(const char *s)
{
	size_t i = 0;

	while (isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.' || s[i] == '_')
		i++;
	return (i > 0 && s[i] == ';') ? i + 1 : 0;
}

static const char *skip_space(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* A value without its type prefix, trimmed; brackets removed if asked. */
static char *value_untyped(struct dsn_ctx *ctx, const char *v, int brackets)
{
	const char *s = skip_space(v + type_len(v));
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (brackets && n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s++;
		n -= 2;
		while (n > 0 && isspace((unsigned char)*s)) {
			s++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)s[n - 1]))
			n--;
	}
	return dup_range(ctx, s, n);
}

/* The first word, as for Status: "5.0.0 (permanent failure)". */
static char *value_word(struct dsn_ctx *ctx, const char *v)
{
	const char *s = skip_space(v);
	size_t n = 0;

	while (s[n] && !isspace((unsigned char)s[n]) && s[n] != '(')
		n++;
	return dup_range(ctx, s, n);
}

static char *value_lower(struct dsn_ctx *ctx, const char *v)
{
	char *s = value_word(ctx, v);

	for (char *p = s; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* Diagnostic-Code: split off the type, squeeze white space runs. */
static void diagnostic_set(struct dsn_ctx *ctx, struct dsn_rcpt *r, const char *v)
{
	size_t tl = type_len(skip_space(v));
	const char *s = skip_space(v);

	if (tl > 0) {
		r->diagnostic_type = dup_range(ctx, s, tl - 1);
		for (char *p = r->diagnostic_type; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		s = skip_space(s + tl);
	}
	if ((r->diagnostic = text_squeeze(s, strlen(s), 0)) == NULL)
		ctx->oom = 1;
}

void dsn_rcpt_free(struct dsn_rcpt *r)
{
	free(r->final_recipient);
	free(r->original_recipient);
	free(r->action);
	free(r->status);
	free(r->remote_mta);
	free(r->diagnostic_type);
	free(r->diagnostic);
	free(r->last_attempt);
	*r = (struct dsn_rcpt){0};
}

/* Finish the current recipient: keep it if it names one, else drop it. */
static void rcpt_close(struct dsn_ctx *ctx)
{
	struct dsn_report *rep = ctx->rep;
	struct dsn_rcpt *cur = &ctx->cur;

	ctx->cur_detailed = 0;
	if (cur->final_recipient == NULL && cur->original_recipient == NULL) {
		dsn_rcpt_free(cur);
		return;
	}
	if (rep->nrcpts == ctx->cap) {
		size_t ncap = ctx->cap ? ctx->cap * 2 : 4;
		struct dsn_rcpt *p = realloc(rep->rcpts, ncap * sizeof(*p));

		if (p == NULL) {
			ctx->oom = 1;
			dsn_rcpt_free(cur);
			return;
		}
		rep->rcpts = p;
		ctx->cap = ncap;
	}
	rep->rcpts[rep->nrcpts++] = *cur;
	memset(cur, 0, sizeof(*cur));
}

/* Set *slot from v unless an earlier field already did. */
static void set_once(struct dsn_ctx *ctx, char **slot,
                     char *(*conv)(struct dsn_ctx *, const char *), const char *v)
{
	if (*slot == NULL)
		*slot = conv(ctx, v);
}

static char *conv_plain(struct dsn_ctx *ctx, const char *v)
{
	return value_untyped(ctx, v, 0);
}

/* An address; "rfc822;" or "<>" alone names no one and gives NULL. */
static char *conv_addr(struct dsn_ctx *ctx, const char *v)
{
	char *a = value_untyped(ctx, v, 1);

	if (a != NULL && *a == 0) {
		free(a);
		return NULL;
	}
	return a;
}

static char *conv_trim(struct dsn_ctx *ctx, const char *v)
{
	const char *s = skip_space(v);
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return dup_range(ctx, s, n);
}

/*
 * A recipient-naming field starts a new recipient when the current one
 * already has that field, or was named and then got other fields (Action,
 * Status, ...): either way two blocks ran together. Fields may come in any
 * order before that (Postfix writes Final- before Original-Recipient,
 * Amazon SES starts with Action).
 */
static void rcpt_name(struct dsn_ctx *ctx, enum dsn_field f, const char *v)
{
	struct dsn_rcpt *cur = &ctx->cur;
	char **slot = f == F_FINAL_RCPT ? &cur->final_recipient : &cur->original_recipient;

	if (*slot != NULL || ctx->cur_detailed)
		rcpt_close(ctx);
	*slot = conv_addr(ctx, v);
}

static void field_take(struct dsn_ctx *ctx, const char *name, const char *value)
{
	struct dsn_report *rep = ctx->rep;
	struct dsn_rcpt *cur = &ctx->cur;
	enum dsn_field f = field_of(name);

	switch (f) {
	case F_REPORTING_MTA:
		set_once(ctx, &rep->reporting_mta, conv_plain, value);
		break;
	case F_ARRIVAL_DATE:
		set_once(ctx, &rep->arrival_date, conv_trim, value);
		break;
	case F_ENVELOPE_ID:
		set_once(ctx, &rep->envelope_id, conv_trim, value);
		break;
	case F_QUEUE_ID:
		set_once(ctx, &rep->queue_id, conv_trim, value);
		break;
	case F_SENDER:
		set_once(ctx, &rep->sender, conv_addr, value);
		break;
	case F_FINAL_RCPT:
	case F_ORIG_RCPT:
		rcpt_name(ctx, f, value);
		return;
	case F_ACTION:
		set_once(ctx, &cur->action, value_lower, value);
		break;
	case F_STATUS:
		set_once(ctx, &cur->status, value_word, value);
		break;
	case F_REMOTE_MTA:
		set_once(ctx, &cur->remote_mta, conv_plain, value);
		break;
	case F_DIAGNOSTIC:
		if (cur->diagnostic == NULL && cur->diagnostic_type == NULL)
			diagnostic_set(ctx, cur, value);
		break;
	case F_LAST_ATTEMPT:
		set_once(ctx, &cur->last_attempt, conv_trim, value);
		break;
	case F_NONE:
		return;
	default:
		break;
	}
	if (f >= F_ACTION && (cur->final_recipient != NULL || cur->original_recipient != NULL))
		ctx->cur_detailed = 1;
}

static int is_report_type(const char *t)
{
	return strcmp(t, "message/delivery-status") == 0 ||
	       strcmp(t, "message/global-delivery-status") == 0;
}

static int is_returned_type(const char *t)
{
	return strcmp(t, "message/rfc822") == 0 || strcmp(t, "message/global") == 0 ||
	       strcmp(t, "text/rfc822-headers") == 0 || strcmp(t, "message/global-headers") == 0;
}

/*
 * Depth-first, document order: find the report part, then the first
 * returned-message part after it. *report is set once found.
 */
static const struct mail_part *walk(const struct mail_part *p, const struct mail_part **report)
{
	const struct mail_part *f;

	if (*report == NULL && is_report_type(p->type))
		*report = p;
	else if (*report != NULL && is_returned_type(p->type))
		return p;
	for (size_t i = 0; i < p->nchildren; i++)
		if ((f = walk(p->children[i], report)) != NULL)
			return f;
	return NULL;
}

static void returned_take(struct dsn_ctx *ctx, const struct mail_part *ret)
{
	const struct mail_part *h;
	const char *v;

	if (ret == NULL || ret->nchildren == 0)
		return;
	h = ret->children[0];
	if ((v = mail_part_header(h, "Message-ID")) != NULL)
		ctx->rep->orig_message_id = conv_trim(ctx, v);
	if ((v = mail_part_header(h, "From")) != NULL)
		ctx->rep->orig_from = conv_trim(ctx, v);
	if ((v = mail_part_header(h, "Subject")) != NULL)
		ctx->rep->orig_subject = conv_trim(ctx, v);
}

/* One field of the walk: a new block first closes the recipient of the last. */
static int field_walked(void *arg, size_t block, const char *name, const char *value)
{
	struct dsn_ctx *ctx = arg;

	if (block != ctx->block) {
		rcpt_close(ctx);
		ctx->block = block;
	}
	field_take(ctx, name, value);
	return 0;
}

/* Read the fields of text into out; returns as dsn_parse() does. */
static int dsn_read_fields(const char *text, size_t len, const struct mail_part *ret,
                           struct dsn_report *out)
{
	struct dsn_ctx ctx;
	size_t nblocks;
	struct mail_limits lim = mail_limits_default;

	lim.max_parts = DSN_BLOCKS_MAX; /* here: blocks, one per recipient */
	memset(&ctx, 0, sizeof(ctx));
	ctx.rep = out;
	if (mail_walk_blocks(text, len, &lim, field_walked, &ctx, &nblocks) < 0) {
		rcpt_close(&ctx);
		dsn_free(out);
		return -1;
	}
	out->limited = nblocks >= DSN_BLOCKS_MAX;
	rcpt_close(&ctx);
	if (out->nrcpts > 0)
		returned_take(&ctx, ret);
	if (ctx.oom || out->nrcpts == 0) {
		dsn_free(out);
		return ctx.oom ? -1 : 0;
	}
	return (int)out->nrcpts;
}

int dsn_parse(const struct mail *m, struct dsn_report *out)
{
	const struct mail_part *report = NULL, *ret;
	const char *body;
	size_t len;

	memset(out, 0, sizeof(out[0]));
	if (m == NULL || m->root == NULL)
		return 0;
	ret = walk(m->root, &report);
	if (report == NULL)
		return 0;
	body = mail_part_body(report, &len);
	return dsn_read_fields(body, len, ret, out);
}

int dsn_parse_text(const char *text, size_t len, struct dsn_report *out)
{
	memset(out, 0, sizeof(out[0]));
	return dsn_read_fields(text, len, NULL, out);
}

void dsn_free(struct dsn_report *r)
{
	if (r == NULL)
		return;
	free(r->reporting_mta);
	free(r->arrival_date);
	free(r->envelope_id);
	free(r->queue_id);
	free(r->sender);
	free(r->orig_message_id);
	free(r->orig_from);
	free(r->orig_subject);
	for (size_t i = 0; i < r->nrcpts; i++)
		dsn_rcpt_free(&r->rcpts[i]);
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}
