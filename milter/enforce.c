/*
 * enforce - the enforce path: is this recipient suppressed, and what do
 * we tell the client. Used at RCPT on submission services and at end of
 * message on the non-SMTP (pickup) path.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "milter.h"
#include "msg.h"

/*
 * Expand RejectText: %t tag, %d date (YYYY-MM-DD, UTC), %r reason, %% a
 * percent sign. The result is for smfi_setreply(), which drops a text that
 * has a lone '%' or a CR/LF: percent signs are doubled and anything that is
 * not printable ASCII becomes '?'.
 */
static void enforce_format(const char *tmpl, const struct suppression *s, char *out, size_t outlen)
{
	char date[16], buf[1024];
	size_t o = 0;
	struct tm tm;
	time_t since = s->first_seen;

	gmtime_r(&since, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	for (const char *p = tmpl; *p && o + 1 < sizeof(buf); p++) {
		const char *ins = NULL;

		if (*p == '%' && p[1]) {
			p++;
			ins = *p == 't'   ? s->tag
			      : *p == 'd' ? date
			      : *p == 'r' ? s->reason
			      : *p == '%' ? "%"
			                  : NULL;
			if (ins == NULL) /* unknown escape: keep it as written */
				ins = "";
		} else {
			buf[o++] = *p;
			continue;
		}
		for (; ins && *ins && o + 1 < sizeof(buf); ins++)
			buf[o++] = *ins;
	}
	buf[o] = 0;
	o = 0;
	for (const char *p = buf; *p && o + 2 < outlen; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '%') {
			out[o++] = '%';
			out[o++] = '%';
		} else {
			out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
		}
	}
	out[o] = 0;
}

enum enforce_verdict enforce_check(const struct config *cf, const char *rcpt, char *addr,
                                   size_t addrlen, char *text, size_t textlen)
{
	struct pooled *h;
	struct suppression s;
	char err[512];
	int rc;

	if (addr_normalise(rcpt, addr, addrlen) < 0)
		return ENFORCE_PASS; /* not an address we could ever have suppressed */
	if ((h = pool_acquire(cf->database, POOL_READ, err, sizeof(err))) == NULL) {
		msg_error("cannot open the store to check %s: %s", addr, err);
		return ENFORCE_STORE_FAILED;
	}
	rc = store_lookup(h->st, addr, time(NULL), &s);
	if (rc == STORE_ERR) {
		msg_error("cannot check %s: %s", addr, store_error(h->st));
		pool_release(h, 0);
		return ENFORCE_STORE_FAILED;
	}
	pool_release(h, 1);
	if (rc == STORE_NOTFOUND)
		return ENFORCE_PASS;
	enforce_format(cf->reject_text, &s, text, textlen);
	suppression_free(&s);
	return ENFORCE_SUPPRESSED;
}

/*
 * The withheld event carries the class and tag of the suppression that
 * withheld the recipient, so that its history reads like the refusal at
 * RCPT would: looked up again here (withholding is rare; the handle is
 * open). A suppression released in between leaves "unclassified".
 */
static void withheld_event(struct store *st, const char *addr, time_t now, struct suppression *s,
                           int *found, struct store_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	*found = store_lookup(st, addr, now, s) == STORE_OK;
	ev->when = now;
	ev->recipient = addr;
	ev->action = "withheld";
	ev->diagnostic = "withheld on the non-SMTP path: recipient is suppressed";
	ev->cls = *found ? s->cls : BT_CLASS_UNCLASSIFIED;
	ev->reason = *found ? s->tag : "suppressed";
	ev->source = "local";
	ev->trusted = 1;
}

void enforce_record_withheld(const struct config *cf, char **addrs, size_t n, const char *queue_id,
                             const char *message_id)
{
	struct store_event evs[64];
	struct suppression sups[64];
	int found[64];
	struct pooled *h;
	int rc;
	char err[512];
	time_t now = time(NULL);

	if ((h = pool_acquire(cf->database, POOL_WRITE, err, sizeof(err))) == NULL) {
		msg_error("%s: withheld %zu recipient(s) but cannot record it: %s",
		          queue_id ? queue_id : "-", n, err);
		return;
	}
	for (size_t done = 0; done < n;) {
		size_t k = 0;

		for (; k < 64 && done + k < n; k++) {
			withheld_event(h->st, addrs[done + k], now, &sups[k], &found[k], &evs[k]);
			evs[k].queue_id = queue_id;
			evs[k].message_id = message_id;
		}
		pool_write_begin();
		rc = store_record(h->st, evs, k, &cf->policy, NULL);
		pool_write_end();
		for (size_t i = 0; i < k; i++)
			if (found[i])
				suppression_free(&sups[i]);
		if (rc != STORE_OK) {
			msg_error("%s: cannot record withheld recipients: %s",
			          queue_id ? queue_id : "-", store_error(h->st));
			pool_release(h, 0);
			return;
		}
		done += k;
	}
	pool_release(h, 1);
}
