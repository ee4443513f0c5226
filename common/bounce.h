/*
 * bounce - from raw message bytes to one classified result per recipient.
 *
 * Synopsis:
 *	struct bounce b;
 *	if (bounce_analyse(buf, len, rules, NULL, &b, err, sizeof(err)) < 0) ...
 *	for (size_t i = 0; i < b.nresults; i++) ... b.results[i].verdict.cls ...
 *	bounce_free(&b);
 *
 * Description:
 *	The one pipeline that the milter's learn path and "bouncetag classify"
 *	share: mail_open() (mail.h), then the RFC 3464 report (dsn.h), then for every
 *	recipient the reply parser (reply.h) on its Diagnostic-Code and the
 *	classifier (rules.h). A message that is not a bounce gives no results
 *	and is not an error.
 *
 *	status is the enhanced code of the remote reply when it carries one,
 *	else the DSN's Status field. reply_code is the reply's basic code or 0.
 *	diagnostic is the reply as received (unfolded); recipient is the
 *	normalised Final-Recipient (else Original-Recipient), or NULL when it
 *	is not an address.
 *
 *	A bounce without a delivery-status part (qmail, Exim, Sendmail
 *	without DSN, Exchange 2003, ...) is read from its text by scan.h and
 *	gives results with scanned set; auto-replies and feedback reports
 *	(notice.h) give none. A recipient whose delivery-status block lacks
 *	the Diagnostic-Code gets the reply from the text. A scanned reply that
 *	carries no enhanced status code gets one derived from the verdict:
 *	the reply code's class digit (else 5 failed, 4 delayed), then
 *	  recipient-invalid   domain-unknown 1.2, mailbox-moved 1.6,
 *	                      mailbox-disabled 2.1, otherwise 1.1
 *	  recipient-transient mailbox-full 2.2, otherwise 2.1
 *	  sender-issue        message-too-large 3.4, protocol-error 5.2,
 *	                      not-rfc-compliant 6.0, otherwise 7.1
 *	  recipient-policy    7.1
 *	  transient           connection-failed 4.1, dns-failure 4.3,
 *	                      routing-loop 4.6, retry-timeout 4.7,
 *	                      greylisted 7.1, otherwise 0.0
 *	  unclassified        0.0
 *	(RFC 3463's meanings: 5.1.1 bad mailbox, 5.2.2 mailbox full, ...).
 *
 *	bounce_dedup_key() gives a stable key for one result of one report,
 *	from the reporting MTA's queue id (or envelope id, or the returned
 *	Message-ID), the recipient, the action and the status: the same DSN
 *	delivered twice (Postfix's postmaster copy, a retry after a tempfail)
 *	yields the same keys. NULL when the report carries no identity.
 *
 * Diagnostics: bounce_analyse() returns the number of results, or -1 with a
 *	message in err when memory runs out.
 */
#ifndef BT_BOUNCE_H
#define BT_BOUNCE_H

#include <stddef.h>

#include "mail.h"
#include "reply.h"
#include "rules.h"

struct bounce_result {
	char *recipient;     /* normalised, or NULL */
	char *raw_recipient; /* as found, or NULL */
	char *action;        /* "failed", "delayed", ... or NULL */
	char status[REPLY_STATUS_MAX];
	int reply_code;
	char *diagnostic; /* never NULL */
	char *remote_mta;
	struct verdict verdict;
};

struct bounce {
	int is_report; /* a delivery-status part was found */
	int scanned;   /* no such part: results were read from the text (scan.h) */
	int truncated; /* the input was larger than the limits allow */
	int limited;   /* parts, nesting or report blocks beyond the limits were not read */
	char *reporting_mta;
	char *queue_id;
	char *envelope_id;
	char *orig_message_id;
	char *orig_from;
	char *orig_subject;
	struct bounce_result *results;
	size_t nresults;
};

int bounce_analyse(const char *data, size_t len, const struct rules *rs,
                   const struct mail_limits *lim, struct bounce *out, char *err, size_t errlen);
/* One reply line (bouncetag classify --line): a single result, no recipient. */
int bounce_classify_line(const struct rules *rs, const char *line, struct bounce_result *out);
void bounce_result_free(struct bounce_result *r);
void bounce_free(struct bounce *b);
/* malloc'd key, or NULL. */
char *bounce_dedup_key(const struct bounce *b, const struct bounce_result *r);

#endif
