/*
 * reply - the one SMTP reply parser.
 *
 * Synopsis:
 *	struct reply r;
 *	reply_parse("550-5.7.1 first line 550 5.7.1 second line", &r);
 *	r.code == 550, r.status == "5.7.1", r.text == "first line second line"
 *	reply_free(&r);
 *
 * Description:
 *	Accepts one reply as it appears in a Diagnostic-Code, a log line or a
 *	bounce text: optionally prefixed by a diagnostic type ("smtp;"), with
 *	the continuation lines of a multi-line reply either on their own lines
 *	or already joined by spaces ("550-5.7.1 a 550-5.7.1 b 550 5.7.1 c").
 *	code is the basic reply code (200..599) or 0 when the text has none.
 *	status is the RFC 3463 enhanced status code that follows the reply
 *	code ("5.7.1"), or "" when absent. The repeated code/status prefixes
 *	of continuation lines are dropped from text; white space runs become
 *	one space; text is never NULL.
 *
 *	reply_find_status() looks for an enhanced status code anywhere in a
 *	text (as in qmail's "(#5.1.1)"), for callers that have none from the
 *	reply itself; it writes "" when none is found.
 */
#ifndef BT_REPLY_H
#define BT_REPLY_H

#include <stddef.h>

#define REPLY_STATUS_MAX 16

struct reply {
	int code;
	char status[REPLY_STATUS_MAX];
	char *text;
};

int reply_parse(const char *s, struct reply *out);
void reply_free(struct reply *r);
void reply_find_status(const char *text, char status[REPLY_STATUS_MAX]);

#endif
