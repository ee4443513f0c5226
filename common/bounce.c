/*
 * bounce - raw message to classified results per recipient. See bounce.h.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bounce.h"
#include "dsn.h"
#include "notice.h"
#include "scan.h"

/* Digits at s, at most max of them; returns how many (0 when none). */
static size_t bounce_digits(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && isdigit((unsigned char)s[n]))
		n++;
	return isdigit((unsigned char)s[n]) ? 0 : n;
}

/* A DSN Status field is used only when it has the X.Y.Z shape (RFC 3463). */
static int bounce_status_ok(const char *s)
{
	size_t n;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
		return 0;
	s += 2;
	if ((n = bounce_digits(s, 3)) == 0 || s[n] != '.')
		return 0;
	s += n + 1;
	return (n = bounce_digits(s, 3)) > 0 && s[n] == 0;
}

/* Classify one reply; fills status, reply_code and verdict of r. */
static int bounce_classify_reply(const struct rules *rs, const char *diag, const char *dsn_status,
                                 const char *remote_mta, struct bounce_result *r)
{
	struct reply rp;
	struct classify_input in;

	if (reply_parse(diag ? diag : "", &rp) < 0)
		return -1;
	/* both are X.Y.Z codes of at most 9 bytes: they fit */
	if (rp.status[0] == 0 && bounce_status_ok(dsn_status))
		memcpy(rp.status, dsn_status, strlen(dsn_status) + 1);
	memcpy(r->status, rp.status, strlen(rp.status) + 1);
	r->reply_code = rp.code;
	in.reply_code = rp.code;
	in.status = rp.status;
	in.text = rp.text;
	in.remote_mta = remote_mta;
	rules_classify(rs, &in, &r->verdict);
	reply_free(&rp);
	return 0;
}

/*
 * An enhanced status code for a reply that carries none, from what the
 * classifier decided (see bounce.h for the table). The class digit is the
 * reply code's, else 5 for a failure and 4 for a delay.
 */
static const struct {
	const char *reason; /* NULL: any reason of the class */
	enum bt_class cls;
	const char *subject_detail;
} bounce_derived[] = {
    {"domain-unknown", BT_CLASS_RECIPIENT_INVALID, "1.2"},
    {"mailbox-moved", BT_CLASS_RECIPIENT_INVALID, "1.6"},
    {"mailbox-disabled", BT_CLASS_RECIPIENT_INVALID, "2.1"},
    {NULL, BT_CLASS_RECIPIENT_INVALID, "1.1"},
    {"mailbox-full", BT_CLASS_RECIPIENT_TRANSIENT, "2.2"},
    {NULL, BT_CLASS_RECIPIENT_TRANSIENT, "2.1"},
    {"message-too-large", BT_CLASS_SENDER_ISSUE, "3.4"},
    {"protocol-error", BT_CLASS_SENDER_ISSUE, "5.2"},
    {"not-rfc-compliant", BT_CLASS_SENDER_ISSUE, "6.0"},
    {NULL, BT_CLASS_SENDER_ISSUE, "7.1"},
    {NULL, BT_CLASS_RECIPIENT_POLICY, "7.1"},
    {"connection-failed", BT_CLASS_TRANSIENT, "4.1"},
    {"dns-failure", BT_CLASS_TRANSIENT, "4.3"},
    {"routing-loop", BT_CLASS_TRANSIENT, "4.6"},
    {"retry-timeout", BT_CLASS_TRANSIENT, "4.7"},
    {"greylisted", BT_CLASS_TRANSIENT, "7.1"},
    {NULL, BT_CLASS_TRANSIENT, "0.0"},
};

static void bounce_derive_status(struct bounce_result *r)
{
	char c = r->reply_code >= 400 && r->reply_code < 600 ? (char)('0' + r->reply_code / 100)
	         : r->action && strcmp(r->action, "delayed") == 0 ? '4'
	         : r->action && strcmp(r->action, "failed") == 0  ? '5'
	                                                          : 0;
	const char *sd = "0.0";

	if (c == 0 || r->status[0] != 0)
		return;
	for (size_t i = 0; i < sizeof(bounce_derived) / sizeof(bounce_derived[0]); i++) {
		if (bounce_derived[i].cls != r->verdict.cls ||
		    (bounce_derived[i].reason &&
		     strcmp(bounce_derived[i].reason, r->verdict.reason) != 0))
			continue;
		sd = bounce_derived[i].subject_detail;
		break;
	}
	snprintf(r->status, sizeof(r->status), "%c.%s", c, sd);
}

/* Take *slot's string: the result now owns what the report held. */
static char *bounce_take(char **slot)
{
	char *s = *slot;

	*slot = NULL;
	return s;
}

/*
 * A result from one recipient of the report. Its strings are taken from
 * the report rather than copied: the report is freed right after.
 */
static int bounce_from_rcpt(const struct rules *rs, struct dsn_rcpt *d, struct bounce_result *r)
{
	char **raw = d->final_recipient ? &d->final_recipient : &d->original_recipient;
	char norm[ADDR_MAX];
	int is_addr = *raw && addr_normalise(*raw, norm, sizeof(norm)) == 0;

	memset(r, 0, sizeof(*r));
	/* a Final-Recipient that is no address ("|prog", a source route) */
	if (*raw && !is_addr && d->original_recipient &&
	    addr_normalise(d->original_recipient, norm, sizeof(norm)) == 0) {
		raw = &d->original_recipient;
		is_addr = 1;
	}
	r->raw_recipient = bounce_take(raw);
	if (is_addr)
		r->recipient = strdup(norm);
	r->diagnostic = d->diagnostic ? bounce_take(&d->diagnostic) : strdup("");
	r->remote_mta = bounce_take(&d->remote_mta);
	if (d->action)
		r->action = bounce_take(&d->action);
	else if (bounce_status_ok(d->status))
		r->action = strdup(d->status[0] == '5'   ? "failed"
		                   : d->status[0] == '4' ? "delayed"
		                                         : "delivered");
	if (r->diagnostic == NULL)
		return -1;
	return bounce_classify_reply(rs, r->diagnostic, d->status, r->remote_mta, r);
}

/* The report's identity goes to the bounce, taken as above. */
static void bounce_take_report(struct bounce *b, struct dsn_report *rep)
{
	b->is_report = 1;
	b->reporting_mta = bounce_take(&rep->reporting_mta);
	b->queue_id = bounce_take(&rep->queue_id);
	b->envelope_id = bounce_take(&rep->envelope_id);
	b->orig_message_id = bounce_take(&rep->orig_message_id);
	b->orig_from = bounce_take(&rep->orig_from);
	b->orig_subject = bounce_take(&rep->orig_subject);
}

/*
 * The report of a message: its delivery-status part, completed from the
 * text where a recipient lacks the reply; else, for a bounce without one,
 * what the text says (scan.h). Auto-replies and feedback reports give none.
 */
static int bounce_report(const struct mail *m, struct dsn_report *rep, int *scanned)
{
	int n = dsn_parse(m, rep);

	*scanned = 0;
	if (n > 0 && scan_fill(m, rep) < 0) {
		dsn_free(rep);
		return -1;
	}
	if (n == 0 && notice_kind(m) == NOTICE_BOUNCE) {
		*scanned = 1;
		n = scan_parse(m, rep);
	}
	return n;
}

int bounce_analyse(const char *data, size_t len, const struct rules *rs,
                   const struct mail_limits *lim, struct bounce *out, char *err, size_t errlen)
{
	struct mail *m;
	struct dsn_report rep;
	int n, scanned;

	memset(out, 0, sizeof(*out));
	/* bodies are read through mail_part_body() only: decode just those */
	if (mail_open(data, len, lim, &m, err, errlen) < 0)
		return -1;
	out->truncated = m->truncated;
	out->limited = m->limited;
	n = bounce_report(m, &rep, &scanned);
	mail_free(m);
	if (n <= 0) {
		if (n < 0)
			snprintf(err, errlen, "out of memory reading the delivery report");
		return n;
	}
	bounce_take_report(out, &rep);
	out->limited |= rep.limited;
	out->is_report = !scanned;
	out->scanned = scanned;
	out->results = calloc(rep.nrcpts, sizeof(*out->results));
	if (out->results == NULL) {
		dsn_free(&rep);
		bounce_free(out);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < rep.nrcpts; i++) {
		out->nresults++;
		if (bounce_from_rcpt(rs, &rep.rcpts[i], &out->results[i]) < 0) {
			dsn_free(&rep);
			bounce_free(out);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if (scanned)
			bounce_derive_status(&out->results[i]);
	}
	dsn_free(&rep);
	return (int)out->nresults;
}

int bounce_classify_line(const struct rules *rs, const char *line, struct bounce_result *out)
{
	memset(out, 0, sizeof(*out));
	if ((out->diagnostic = strdup(line)) == NULL)
		return -1;
	return bounce_classify_reply(rs, line, NULL, NULL, out);
}

void bounce_result_free(struct bounce_result *r)
{
	free(r->recipient);
	free(r->raw_recipient);
	free(r->action);
	free(r->diagnostic);
	free(r->remote_mta);
	memset(r, 0, sizeof(*r));
}

void bounce_free(struct bounce *b)
{
	for (size_t i = 0; b->results && i < b->nresults; i++)
		bounce_result_free(&b->results[i]);
	free(b->results);
	free(b->reporting_mta);
	free(b->queue_id);
	free(b->envelope_id);
	free(b->orig_message_id);
	free(b->orig_from);
	free(b->orig_subject);
	memset(b, 0, sizeof(*b));
}

/* FNV-1a, 64 bits, continued from h; two seeds give a 128-bit key. */
static uint64_t bounce_fnv(uint64_t h, const char *s)
{
	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	h ^= 0xff; /* field separator: "ab"+"c" differs from "a"+"bc" */
	h *= 0x100000001b3ULL;
	return h;
}

char *bounce_dedup_key(const struct bounce *b, const struct bounce_result *r)
{
	const char *id = b->queue_id      ? b->queue_id
	                 : b->envelope_id ? b->envelope_id
	                                  : b->orig_message_id;
	const char *fields[5];
	uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;
	char *key;

	if (id == NULL || r->recipient == NULL)
		return NULL;
	fields[0] = b->reporting_mta;
	fields[1] = id;
	fields[2] = r->recipient;
	fields[3] = r->action;
	fields[4] = r->status;
	for (size_t i = 0; i < 5; i++) {
		h1 = bounce_fnv(h1, fields[i]);
		h2 = bounce_fnv(h2 ^ (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL, fields[i]);
	}
	if (asprintf(&key, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2) < 0)
		return NULL;
	return key;
}
