/*
 * notice - bounce, auto-reply, feedback report or other. See notice.h.
 *
 * The word lists are lowercase substrings. They come from the senders and
 * subjects of real bounces (the Sisimai corpus: Postfix, Sendmail, Exim,
 * qmail, Exchange, Domino, Gmail, Yahoo, Japanese carriers, ...) and of
 * real out-of-office replies (Exchange, Apple Mail, Gmail, vacation(1)).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "notice.h"
#include "text.h"

#define NOTICE_BODY_MAX 4096

/* Display names and local parts that mail systems send bounces from. */
static const char *const notice_daemons[] = {
    "mailer-daemon",
    "mailer_daemon",
    "mailerdaemon",
    "postmaster",
    "mail delivery",
    "mail.delivery",
    "maildelivery",
    "mail deliver",
    "system administrator",
    "mail administrator",
    "ndr administrator",
    "ndr@",
    "daemon@",
    "<>",
    NULL,
};

static const char *const notice_bounce_subjects[] = {
    "undeliver",
    "undelivered",
    "delivery status notification",
    "failure notice",
    "returned mail",
    "mail delivery failed",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "mail system error",
    "non-deliver",
    "nondeliver",
    "delivery notification",
    "could not be delivered",
    "couldn't be delivered",
    "delivery status",
    "delivery report",
    "mail failure",
    "returned to sender",
    "postmaster notify",
    "delivery problem",
    "error sending your mail",
    "not delivered",
    "delivery error",
    "delivery delayed",
    "delayed mail",
    "warning: could not send",
    "message you sent",
    "mail delivery system",
    "returned message",
    NULL,
};

static const char *const notice_autoreply_subjects[] = {
    "auto:",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "away from",
    "on vacation",
    "vacation",
    "abwesenheit",
    "absence",
    "réponse automatique",
    "respuesta automática",
    "autosvar",
    NULL,
};

/* Phrases of bounce bodies; a message with none of the above may still be one. */
static const char *const notice_bounce_phrases[] = {
    "could not be delivered",
    "couldn't be delivered",
    "undeliverable",
    "wasn't able to deliver",
    "was not able to deliver",
    "unable to deliver",
    "delivery has failed",
    "delivery failed",
    "delivery to the following recipient",
    "following address(es) failed",
    "permanent fatal error",
    "did not reach the following",
    "could not deliver",
    "error delivering your mail",
    "message was not delivered",
    "wasn't delivered",
    "returned to sender",
    "this is a permanent error",
    "has been delayed",
    NULL,
};

/* The lists as search sets, made once: each value is then read once. */
static struct text_set notice_daemon_set, notice_bounce_subject_set, notice_autoreply_subject_set,
    notice_bounce_phrase_set;
static pthread_once_t notice_sets_once = PTHREAD_ONCE_INIT;

static void notice_sets_init(void)
{
	text_set_init(&notice_daemon_set, notice_daemons);
	text_set_init(&notice_bounce_subject_set, notice_bounce_subjects);
	text_set_init(&notice_autoreply_subject_set, notice_autoreply_subjects);
	text_set_init(&notice_bounce_phrase_set, notice_bounce_phrases);
}

/* Does the header value contain a word of the set (case-blind)? */
static int notice_has(const char *value, const struct text_set *words)
{
	return value != NULL && text_set_find(words, value, strlen(value), NULL) >= 0;
}

static int notice_is_feedback(const struct mail_part *p, size_t depth)
{
	char *rt;
	int yes;

	if (strcmp(p->type, "message/feedback-report") == 0)
		return 1;
	if (strcmp(p->type, "multipart/report") == 0 && (rt = mail_part_param(p, "report-type"))) {
		yes = strcasecmp(rt, "feedback-report") == 0;
		free(rt);
		if (yes)
			return 1;
	}
	if (strncmp(p->type, "multipart/", 10) != 0 || depth > 2)
		return 0;
	for (size_t i = 0; i < p->nchildren; i++)
		if (notice_is_feedback(p->children[i], depth + 1))
			return 1;
	return 0;
}

static int notice_is_autoreply(const struct mail_part *root)
{
	const char *v = mail_part_header(root, "Auto-Submitted");

	if (v != NULL && strncasecmp(v, "no", 2) != 0)
		return 1;
	if (mail_part_header(root, "X-Autoreply") || mail_part_header(root, "X-Autorespond") ||
	    mail_part_header(root, "X-Autoresponse"))
		return 1;
	if ((v = mail_part_header(root, "Precedence")) && strcasestr(v, "auto_reply"))
		return 1;
	return notice_has(mail_part_header(root, "Subject"), &notice_autoreply_subject_set);
}

/* The first text/plain leaf, not looking into enclosed messages. */
static const struct mail_part *notice_text(const struct mail_part *p, size_t depth)
{
	const struct mail_part *t;

	if (strcmp(p->type, "text/plain") == 0)
		return p;
	if (strncmp(p->type, "multipart/", 10) != 0 || depth > 4)
		return NULL;
	for (size_t i = 0; i < p->nchildren; i++)
		if ((t = notice_text(p->children[i], depth + 1)) != NULL)
			return t;
	return NULL;
}

/*
 * Amazon SES notifications by SNS are JSON in a text/plain body:
 * "notificationType":"Bounce" (or "Complaint", "Delivery"), the quotes
 * escaped when the notification is itself wrapped in JSON.
 */
static enum notice_kind notice_ses(const char *s, size_t n)
{
	const char *p = memmem(s, n, "notificationType", 16);
	size_t at;

	if (p == NULL)
		return NOTICE_OTHER;
	at = (size_t)(p - s) + 16;
	for (size_t i = at; i < n && i < at + 8; i++) {
		if (isalpha((unsigned char)s[i]))
			return strncmp(s + i, "Bounce", 6) == 0      ? NOTICE_BOUNCE
			       : strncmp(s + i, "Complaint", 9) == 0 ? NOTICE_FEEDBACK
			                                             : NOTICE_OTHER;
	}
	return NOTICE_OTHER;
}

static enum notice_kind notice_body(const struct mail_part *root)
{
	const struct mail_part *t = notice_text(root, 0);
	const char *body;
	size_t n;

	if (t == NULL)
		return NOTICE_OTHER;
	body = mail_part_body(t, &n);
	if (n > NOTICE_BODY_MAX)
		n = NOTICE_BODY_MAX;
	if (text_set_find(&notice_bounce_phrase_set, body, n, NULL) >= 0)
		return NOTICE_BOUNCE;
	return notice_ses(body, n);
}

enum notice_kind notice_kind(const struct mail *m)
{
	const struct mail_part *root, *t;
	const char *body;
	size_t n;
	enum notice_kind k;

	if (m == NULL || (root = m->root) == NULL)
		return NOTICE_OTHER;
	pthread_once(&notice_sets_once, notice_sets_init);
	if (notice_is_feedback(root, 0))
		return NOTICE_FEEDBACK;
	if ((t = notice_text(root, 0)) != NULL) {
		body = mail_part_body(t, &n);
		if ((k = notice_ses(body, n < NOTICE_BODY_MAX ? n : NOTICE_BODY_MAX)) !=
		    NOTICE_OTHER)
			return k;
	}
	if (mail_find(m, "message/delivery-status") ||
	    mail_find(m, "message/global-delivery-status") ||
	    notice_has(mail_part_header(root, "From"), &notice_daemon_set) ||
	    notice_has(mail_part_header(root, "Subject"), &notice_bounce_subject_set))
		return NOTICE_BOUNCE;
	if (notice_is_autoreply(root))
		return NOTICE_AUTOREPLY;
	return notice_body(root);
}

const char *notice_name(enum notice_kind k)
{
	switch (k) {
	case NOTICE_BOUNCE:
		return "bounce";
	case NOTICE_AUTOREPLY:
		return "auto-reply";
	case NOTICE_FEEDBACK:
		return "feedback-report";
	default:
		return "other";
	}
}
