/*
 * scan - delivery results from the human-readable text of a bounce.
 *
 * Synopsis:
 *	struct dsn_report rep;
 *	if (notice_kind(m) == NOTICE_BOUNCE && scan_parse(m, &rep) > 0) {
 *		... rep.rcpts[i], exactly as from dsn_parse() ...
 *		dsn_free(&rep);
 *	}
 *	n = dsn_parse(m, &rep); if (n > 0) scan_fill(m, &rep);
 *
 * Description:
 *	Many mail systems (qmail, Exim, Sendmail without DSN, Exchange 2003,
 *	Domino, Courier, Yahoo, Gmail, Japanese carriers, Amazon WorkMail, ...)
 *	return mail with only a text for people. scan_parse() finds the failed
 *	recipients and each one's remote reply in that text and gives them in
 *	the shape of dsn_parse(), so that callers treat both alike:
 *	final_recipient (as found), action ("failed", or "delayed" for a delay
 *	notice), status (an enhanced status code written in that recipient's
 *	text, as qmail's "(#5.1.1)", else NULL), diagnostic (the reply as
 *	found, white space runs made one space, at most SCAN_DIAG_MAX bytes)
 *	and diagnostic_type "x-scan". orig_message_id, orig_from and
 *	orig_subject come from the returned message when there is one.
 *
 *	How the text is read is described in scan.c; in short: the first
 *	text/plain part (else text/html, tags removed) up to where the
 *	returned message starts, addresses in it that are not the sender's,
 *	and for each the text that follows it up to the next recipient. A
 *	table of recognisers handles the formats that say more than that
 *	(an inline report, X-Failed-Recipients, Sendmail's transcript, ...).
 *
 *	scan_fill() completes a report from dsn_parse(): a recipient whose
 *	delivery-status block has no Diagnostic-Code gets the reply that the
 *	text gives for that recipient. Nothing else is changed.
 *
 *	The input is untrusted: the text looked at is at most SCAN_TEXT_MAX
 *	bytes and SCAN_LINES_MAX lines, at most SCAN_RCPTS_MAX recipients are
 *	kept, and every loop is bounded by these.
 *
 * Diagnostics: scan_parse() returns the number of recipients (> 0), 0 when
 *	none is found, -1 when memory runs out; the report is only to be freed
 *	when the return value is > 0. scan_fill() returns 0, or -1 when memory
 *	runs out.
 */
#ifndef BT_SCAN_H
#define BT_SCAN_H

#include "dsn.h"
#include "mail.h"

#define SCAN_TEXT_MAX 65536
#define SCAN_LINES_MAX 4096
#define SCAN_RCPTS_MAX 64
#define SCAN_DIAG_MAX 1024

int scan_parse(const struct mail *m, struct dsn_report *out);
int scan_fill(const struct mail *m, struct dsn_report *rep);

#endif
