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
 *	share: mail_parse(), then the RFC 3464 report (dsn.h), then for every
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
	int truncated; /* the input was larger than the limits allow */
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
