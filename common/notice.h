/*
 * notice - what kind of automatic message a message is.
 *
 * Synopsis:
 *	switch (notice_kind(mail)) {
 *	case NOTICE_BOUNCE: ... scan it for failed recipients (scan.h) ...
 *	case NOTICE_AUTOREPLY: case NOTICE_FEEDBACK: case NOTICE_OTHER: ...
 *	}
 *
 * Description:
 *	Bounces are not the only automatic mail that comes back to a sender:
 *	vacation and out-of-office replies (RFC 3834) and abuse feedback
 *	reports (ARF, RFC 5965) arrive the same way and are not delivery
 *	failures. notice_kind() tells them apart from the message's headers
 *	and MIME structure, in this order:
 *	- a message/feedback-report part, or a multipart/report whose
 *	  report-type is feedback-report: NOTICE_FEEDBACK;
 *	- a message/delivery-status part, a sender that is a mail system
 *	  (MAILER-DAEMON, postmaster, "Mail Delivery System", ...) or a
 *	  bounce subject ("Undeliverable", "Returned mail", "failure
 *	  notice", ...): NOTICE_BOUNCE;
 *	- Auto-Submitted (other than "no"), X-Autoreply, X-Autorespond,
 *	  Precedence: auto_reply, or an out-of-office subject ("Automatic
 *	  reply", "Out of Office", "Auto:"): NOTICE_AUTOREPLY. Exim and others
 *	  mark their bounces Auto-Submitted too, which is why the bounce test
 *	  comes first;
 *	- a body that says a delivery failed in the words MTAs use: NOTICE_BOUNCE;
 *	- anything else: NOTICE_OTHER.
 *	Only the headers of the top-level message and the first 4 KiB of its
 *	first text part are looked at.
 */
#ifndef BT_NOTICE_H
#define BT_NOTICE_H

#include "mail.h"

enum notice_kind {
	NOTICE_OTHER,
	NOTICE_BOUNCE,
	NOTICE_AUTOREPLY,
	NOTICE_FEEDBACK,
};

enum notice_kind notice_kind(const struct mail *m);
const char *notice_name(enum notice_kind k);

#endif
