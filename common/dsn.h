/*
 * dsn - RFC 3464 delivery status notifications.
 *
 * Synopsis:
 *	struct dsn_report rep;
 *	if (dsn_parse(mail, &rep) > 0) {
 *		for (size_t i = 0; i < rep.nrcpts; i++) ... rep.rcpts[i] ...
 *		dsn_free(&rep);
 *	}
 *
 * Description:
 *	Finds the first message/delivery-status or message/global-delivery-status
 *	part of a parsed message and reads its per-message block and every
 *	per-recipient block. Field values are unfolded; address-type and
 *	diagnostic-type prefixes ("rfc822;", "dns;", "smtp;") are removed and
 *	kept apart where it matters. Address values keep their case and lose
 *	surrounding angle brackets and white space; normalising is the caller's
 *	job (addr.h). Action is lowercased. A missing field is NULL.
 *
 *	The returned message (message/rfc822, message/global, text/rfc822-headers
 *	part of the report) gives orig_message_id, orig_from and orig_subject.
 *
 *	One dsn_rcpt per per-recipient block that names a recipient (Final- or
 *	Original-Recipient); blocks naming none are skipped.
 *
 * Diagnostics:
 *	dsn_parse() returns the number of recipients (> 0), 0 when the message
 *	has no delivery-status part or no recipient in it, -1 when memory runs out.
 *	The report is only to be freed when the return value is > 0.
 */
#ifndef BT_DSN_H
#define BT_DSN_H

#include <stddef.h>

#include "mail.h"

struct dsn_rcpt {
	char *final_recipient;
	char *original_recipient;
	char *action;          /* "failed", "delayed", "delivered", "relayed", "expanded" */
	char *status;          /* "5.7.1" */
	char *remote_mta;      /* host name without "dns;" */
	char *diagnostic_type; /* "smtp", "x-unix", ... */
	char *diagnostic;      /* the text after the type, unfolded */
	char *last_attempt;    /* Last-Attempt-Date */
};

struct dsn_report {
	char *reporting_mta;
	char *arrival_date;
	char *envelope_id; /* Original-Envelope-Id */
	char *queue_id;    /* X-Postfix-Queue-ID */
	char *sender;      /* X-Postfix-Sender, address only */
	char *orig_message_id;
	char *orig_from;
	char *orig_subject;
	struct dsn_rcpt *rcpts;
	size_t nrcpts;
	int limited; /* more than DSN_BLOCKS_MAX blocks: the rest was not read */
};

/* Blocks of one report read at most (a 10,000-recipient DSN is real). */
#define DSN_BLOCKS_MAX 20000

int dsn_parse(const struct mail *m, struct dsn_report *out);
/* Free the fields of one recipient (for callers that drop some). */
void dsn_rcpt_free(struct dsn_rcpt *r);
/*
 * The same fields from plain text, as some MTAs (Amazon WorkMail, some
 * gateways) write a report inline in a text/plain body: text starts at the
 * first field. Returns and frees like dsn_parse().
 */
int dsn_parse_text(const char *text, size_t len, struct dsn_report *out);
void dsn_free(struct dsn_report *r);

#endif
