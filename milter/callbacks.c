/*
 * callbacks - the libmilter callbacks. Each one reads macros and
 * arguments, calls learn.c or enforce.c, and turns the answer into a
 * milter reply. Nothing here may turn an internal failure into a
 * rejection: on trouble the mail goes on (SMFIS_CONTINUE/ACCEPT), except
 * that a trusted DSN whose results cannot be stored is tempfailed so that
 * Postfix keeps it and tries again.
 *
 * Which path a connection takes is decided once, at connect, from the
 * {daemon_name} macro:
 *	DsnDaemonName         learn, trusted (Postfix's bounce cleanup)
 *	SubmissionDaemonName  enforce at RCPT with 550 5.7.1
 *	LocalDaemonName       enforce at end of message by removing recipients
 *	anything else         inbound: never enforced; bounces (null sender or
 *	                      multipart/report) learned as untrusted events
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libmilter/mfapi.h>

#include "addr.h"
#include "callbacks.h"
#include "milter.h"
#include "msg.h"

enum conn_path { PATH_INBOUND, PATH_DSN, PATH_SUBMISSION, PATH_LOCAL };

static const char *const path_names[] = {"inbound", "dsn", "submission", "local"};

struct strlist {
	char **items;
	size_t n;
};

/* Append a copy of s; -1 when memory runs out (the list is unchanged). */
static int strlist_add(struct strlist *l, const char *s)
{
	char **grown = realloc(l->items, (l->n + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	l->items = grown;
	if ((l->items[l->n] = strdup(s)) == NULL)
		return -1;
	l->n++;
	return 0;
}

static void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

struct msgctx {
	char *buf; /* headers and body, when this message is read */
	size_t len, cap;
	int headers_only; /* inbound: keep headers until we know it is a bounce */
	int reading;      /* buffer the body */
	int overflow;     /* more than MaxMessageSize arrived */
	int null_sender;
	int store_failed;             /* an enforce look-up failed */
	struct strlist withheld;      /* local path: raw RCPT arguments to remove */
	struct strlist withheld_addr; /* the same, normalised, for the record */
	struct strlist sent;          /* outbound: recipients that were not refused */
	size_t nrcpt;                 /* local path: recipients seen */
	char *refusal;                /* local path: the reply text for the first withheld */
	char *sender;                 /* envelope sender as given */
	char *message_id;             /* outbound: the Message-ID header */
};

struct conn {
	struct snapshot *snap;
	enum conn_path path;
	int skip_ok;     /* the MTA accepts SMFIS_SKIP */
	/* what connect, MAIL and headers answer: SMFIS_NOREPLY when negotiated, else continue */
	sfsistat conn_rc, mail_rc, hdr_rc;
	struct msgctx *msg;
};

static void msgctx_free(struct msgctx *m)
{
	if (m == NULL)
		return;
	strlist_free(&m->withheld);
	strlist_free(&m->withheld_addr);
	strlist_free(&m->sent);
	free(m->sender);
	free(m->refusal);
	free(m->message_id);
	free(m->buf);
	free(m);
}

static struct conn *conn_get(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static const char *queue_id(SMFICTX *ctx)
{
	const char *q = smfi_getsymval(ctx, "i");

	return q ? q : "NOQUEUE";
}

/* Append to the message buffer, up to MaxMessageSize. */
static void msg_append(struct conn *c, const char *data, size_t n)
{
	struct msgctx *m = c->msg;
	size_t limit = c->snap->cf->max_message_size;

	if (m->overflow)
		return;
	if (m->len + n > limit) {
		n = limit - m->len;
		m->overflow = 1;
	}
	if (m->len + n > m->cap) {
		size_t cap = m->cap ? m->cap : 16384;
		char *grown;

		while (cap < m->len + n)
			cap *= 2;
		if (cap > limit)
			cap = limit;
		if ((grown = realloc(m->buf, cap)) == NULL) {
			m->overflow = 1;
			return;
		}
		m->buf = grown;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

/*
 * The protocol steps asked for, and how each is answered. Every round
 * trip is time the MTA's smtpd waits, and with libmilter's pool of workers
 * each one also wakes two of its threads, so:
 *  - HELO, DATA and unknown commands are not sent at all (no callback);
 *  - connect, MAIL and each header get no reply: connect and MAIL only set
 *    up the connection's path and the message context, and without the
 *    no-reply feature the MTA waits for a round trip per header line.
 *    (When LearnInbound is off, connect does answer: inbound connections
 *    are let go there, at once.)
 *  - RCPT answers (the point of the milter), and so does end of headers:
 *    there a message that needs no body (submission, inbound mail that is
 *    not a bounce) is accepted, which spares the body and the end of
 *    message; a DSN, an inbound bounce and non-SMTP mail go on to end of
 *    message, and the body answers skip where it is not read.
 * libmilter answers for us when the MTA lacks the no-reply feature.
 */
#define CB_PROTO_NOT_SENT (SMFIP_NOHELO | SMFIP_NODATA | SMFIP_NOUNKNOWN)

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
                             unsigned long f3, unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = calloc(1, sizeof(*c));
	unsigned long noreply = f1 & (SMFIP_NR_HDR | SMFIP_NR_MAIL);

	(void)f2;
	(void)f3;
	if (c == NULL)
		return SMFIS_ALL_OPTS;
	/* the configuration this connection keeps to its end, reloads or not */
	c->snap = snapshot_get();
	if (c->snap != NULL && c->snap->cf->learn_inbound)
		noreply |= f1 & SMFIP_NR_CONN;
	c->skip_ok = (f1 & SMFIP_SKIP) != 0;
	c->conn_rc = (noreply & SMFIP_NR_CONN) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	c->mail_rc = (noreply & SMFIP_NR_MAIL) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	c->hdr_rc = (noreply & SMFIP_NR_HDR) ? SMFIS_NOREPLY : SMFIS_CONTINUE;
	smfi_setpriv(ctx, c);
	*pf0 = f0 & SMFIF_DELRCPT;
	*pf1 = (f1 & (SMFIP_SKIP | CB_PROTO_NOT_SENT)) | noreply;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

/* The answer to a header: no reply when negotiated. */
static sfsistat hdr_answer(const struct conn *c)
{
	return c != NULL ? c->hdr_rc : SMFIS_CONTINUE;
}

/*
 * Connect: the path. With no configuration to work with, the connection
 * is let go (accepted, or when connect gets no reply, accepted message by
 * message at end of headers: every step sees no message context).
 */
static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = conn_get(ctx);
	const char *dn = smfi_getsymval(ctx, "{daemon_name}");
	const struct config *cf;

	(void)sa;
	if (c == NULL) { /* negotiate found no memory */
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return SMFIS_ACCEPT;
		smfi_setpriv(ctx, c);
	}
	if (c->snap == NULL && (c->snap = snapshot_get()) == NULL)
		return c->conn_rc == SMFIS_NOREPLY ? SMFIS_NOREPLY : SMFIS_ACCEPT;
	cf = c->snap->cf;
	if (config_list_has(&cf->dsn_names, dn))
		c->path = PATH_DSN;
	else if (config_list_has(&cf->submission_names, dn))
		c->path = PATH_SUBMISSION;
	else if (config_list_has(&cf->local_names, dn))
		c->path = PATH_LOCAL;
	else
		c->path = PATH_INBOUND;
	msg_debug("connect from %s daemon_name=%s path=%s", host ? host : "?", dn ? dn : "(none)",
	          path_names[c->path]);
	if (c->path == PATH_INBOUND && !cf->learn_inbound && c->conn_rc != SMFIS_NOREPLY)
		return SMFIS_ACCEPT;
	return c->conn_rc;
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	const char *from = argv && argv[0] ? argv[0] : "";

	if (c == NULL)
		return SMFIS_CONTINUE;
	msgctx_free(c->msg);
	c->msg = NULL;
	/* no configuration, an inbound connection with LearnInbound off, no memory: every later
	   step sees no message context and lets the message pass */
	if (c->snap == NULL || (c->path == PATH_INBOUND && !c->snap->cf->learn_inbound) ||
	    (c->msg = calloc(1, sizeof(*c->msg))) == NULL)
		return c->mail_rc;
	c->msg->null_sender = strcmp(from, "<>") == 0 || from[0] == 0;
	c->msg->sender = strdup(from);
	c->msg->reading = c->path == PATH_DSN;
	c->msg->headers_only = c->path == PATH_INBOUND;
	return c->mail_rc;
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = conn_get(ctx);
	const char *rcpt = argv && argv[0] ? argv[0] : "";
	char addr[ADDR_MAX], text[1024];
	enum enforce_verdict v;
	struct msgctx *m;

	if (c == NULL || c->msg == NULL || (c->path != PATH_SUBMISSION && c->path != PATH_LOCAL))
		return SMFIS_CONTINUE;
	m = c->msg;
	m->nrcpt++;
	v = enforce_check(c->snap->cf, rcpt, addr, sizeof(addr), text, sizeof(text));
	if (v == ENFORCE_STORE_FAILED) {
		if (c->snap->cf->store_fail_mode == CONFIG_FAIL_TEMPFAIL) {
			if (c->path == PATH_SUBMISSION) {
				smfi_setreply(ctx, "451", "4.3.0",
				              "suppression list unavailable, try again later");
				return SMFIS_TEMPFAIL;
			}
			m->store_failed = 1;
		}
		msg_warn("%s: %s not checked against the suppression list (store unavailable)",
		         queue_id(ctx), rcpt);
	}
	if (v != ENFORCE_SUPPRESSED) {
		if (addr[0])
			(void)strlist_add(&m->sent,
			                  addr); /* best effort: only trust depends on it */
		return SMFIS_CONTINUE;
	}
	if (c->path == PATH_SUBMISSION) {
		msg_info("%s: reject RCPT %s: %s", queue_id(ctx), addr, text);
		if (smfi_setreply(ctx, "550", "5.7.1", text) != MI_SUCCESS)
			msg_warn("smfi_setreply failed for text: %s", text);
		return SMFIS_REJECT;
	}
	/* Non-SMTP: Postfix cannot refuse one recipient here; remove it at end of message. */
	if (m->refusal == NULL)
		m->refusal = strdup(text);
	if (strlist_add(&m->withheld, rcpt) < 0)
		return SMFIS_CONTINUE;
	if (strlist_add(&m->withheld_addr, addr) < 0) {
		free(m->withheld.items[--m->withheld.n]);
		return SMFIS_CONTINUE;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);
	struct msgctx *m;

	if (c == NULL || (m = c->msg) == NULL)
		return hdr_answer(c);
	if ((c->path == PATH_SUBMISSION || c->path == PATH_LOCAL) && m->message_id == NULL &&
	    strcasecmp(name, "Message-ID") == 0)
		m->message_id = strdup(value);
	if (!(m->reading || m->headers_only))
		return hdr_answer(c);
	msg_append(c, name, strlen(name));
	msg_append(c, ": ", 2);
	msg_append(c, value, strlen(value));
	msg_append(c, "\r\n", 2);
	if (m->headers_only && strcasecmp(name, "Content-Type") == 0 &&
	    strcasestr(value, "multipart/report") != NULL)
		m->reading = 1;
	return hdr_answer(c);
}

/*
 * End of headers: the last step for a message whose body nobody reads. A
 * submission is recorded as sent here and accepted, which spares the MTA
 * the body and end of message (the record is thus made before the MTA has
 * the whole message: one refused later is remembered as sent, which only
 * means a bounce naming its Message-ID would be trusted). Inbound mail that
 * is not a bounce is accepted too. The rest goes on to end of message.
 */
static sfsistat cb_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msgctx *m;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_ACCEPT; /* nothing to do for this message */
	if (m->headers_only && m->null_sender)
		m->reading = 1;
	m->headers_only = 0;
	if (c->path == PATH_SUBMISSION) {
		sent_record(c->snap->cf, m->message_id, m->sender, m->sent.items, m->sent.n,
		            queue_id(ctx), path_names[c->path]);
		msgctx_free(m);
		c->msg = NULL;
		return SMFIS_ACCEPT;
	}
	if (c->path == PATH_INBOUND && !m->reading) {
		msgctx_free(m);
		c->msg = NULL;
		return SMFIS_ACCEPT;
	}
	if (!m->reading) {
		free(m->buf);
		m->buf = NULL;
		m->len = m->cap = 0;
		return SMFIS_CONTINUE;
	}
	msg_append(c, "\r\n", 2);
	return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_get(ctx);

	if (c == NULL || c->msg == NULL || !c->msg->reading || c->msg->overflow)
		return c && c->skip_ok ? SMFIS_SKIP : SMFIS_CONTINUE;
	msg_append(c, (const char *)chunk, len);
	return SMFIS_CONTINUE;
}

/* The recipients of the message that were not withheld, for sent_record(). */
static void eom_not_withheld(struct msgctx *m, const char *const *removed, size_t nremoved)
{
	size_t keep = 0;

	for (size_t i = 0; i < m->sent.n; i++) {
		int gone = 0;

		for (size_t k = 0; k < nremoved && !gone; k++)
			gone = strcmp(m->sent.items[i], removed[k]) == 0;
		if (gone)
			free(m->sent.items[i]);
		else
			m->sent.items[keep++] = m->sent.items[i];
	}
	m->sent.n = keep;
}

/*
 * Non-SMTP path. Suppressed recipients are removed and the removal is
 * recorded. When every recipient is suppressed, removing them all would
 * make Postfix drop the message without a word, so the message is refused
 * instead: pickup's cleanup turns that into a bounce to the sender with our
 * reply text. (learn.c does not learn from that bounce: it is our own.)
 */
static sfsistat eom_local(SMFICTX *ctx, struct conn *c)
{
	struct msgctx *m = c->msg;
	char **removed = calloc(m->withheld.n + 1, sizeof(*removed));
	size_t nremoved = 0;
	int refuse = m->withheld.n > 0 && m->withheld.n == m->nrcpt && m->refusal != NULL;

	for (size_t i = 0; i < m->withheld.n; i++) {
		if (!refuse && smfi_delrcpt(ctx, m->withheld.items[i]) != MI_SUCCESS) {
			msg_error("%s: could not remove suppressed recipient %s", queue_id(ctx),
			          m->withheld.items[i]);
			continue;
		}
		msg_info("%s: withheld %s: recipient is suppressed", queue_id(ctx),
		         m->withheld_addr.items[i]);
		if (removed)
			removed[nremoved++] = m->withheld_addr.items[i];
	}
	if (nremoved > 0)
		enforce_record_withheld(c->snap->cf, removed, nremoved, queue_id(ctx),
		                        m->message_id);
	eom_not_withheld(m, (const char *const *)removed, nremoved);
	free(removed);
	if (refuse) {
		msg_info("%s: every recipient is suppressed: message refused, the sender is told",
		         queue_id(ctx));
		smfi_setreply(ctx, "550", "5.7.1", m->refusal);
		return SMFIS_REJECT;
	}
	if (m->store_failed) {
		smfi_setreply(ctx, "451", "4.3.0", "suppression list unavailable, try again later");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

/* DSN or inbound bounce: learn. Never reject or discard it; tempfail keeps a DSN queued. */
static sfsistat eom_learn(SMFICTX *ctx, struct conn *c)
{
	struct msgctx *m = c->msg;
	int trusted = c->path == PATH_DSN;
	enum learn_outcome lo;

	if (!m->reading || m->len == 0)
		return SMFIS_CONTINUE;
	lo = learn_message(c->snap, m->buf, m->len, m->overflow, trusted, queue_id(ctx));
	if (lo == LEARN_STORE_FAILED && trusted) {
		msg_error("%s: DSN tempfailed so that Postfix retries it", queue_id(ctx));
		smfi_setreply(ctx, "451", "4.3.0", "bouncetag: result store unavailable");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	struct msgctx *m;
	sfsistat rc = SMFIS_CONTINUE;

	if (c == NULL || (m = c->msg) == NULL)
		return SMFIS_CONTINUE;
	switch (c->path) {
	case PATH_LOCAL:
		rc = eom_local(ctx, c);
		/* what is still addressed was sent: */
		__attribute__((fallthrough));
	case PATH_SUBMISSION: /* (recorded at end of headers, unless the MTA sent none) */
		if (rc == SMFIS_CONTINUE)
			sent_record(c->snap->cf, m->message_id, m->sender, m->sent.items, m->sent.n,
			            queue_id(ctx), path_names[c->path]);
		break;
	default:
		rc = eom_learn(ctx, c);
		break;
	}
	msgctx_free(m);
	c->msg = NULL;
	return rc;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	if (c) {
		msgctx_free(c->msg);
		c->msg = NULL;
	}
	return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);

	if (c) {
		msgctx_free(c->msg);
		snapshot_put(c->snap);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc = {
    .xxfi_name = "bouncetag",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_DELRCPT,
    .xxfi_connect = cb_connect,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_header = cb_header,
    .xxfi_eoh = cb_eoh,
    .xxfi_body = cb_body,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_negotiate = cb_negotiate,
};
