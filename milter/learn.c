/*
 * learn - the learn path: a buffered DSN (trusted, from Postfix's own
 * bounce cleanup) or an inbound bounce becomes one event per failed or
 * delayed recipient, written to the store in one transaction. An inbound
 * bounce is untrusted unless the Message-ID of its returned message was
 * sent to that recipient within TrustWindow (sent.c records what we send):
 * a forged bounce, a bounce naming another recipient, or a replay of an
 * old one stays an untrusted event and suppresses nothing.
 * The caller answers Postfix only after this returns, so LEARN_RECORDED
 * means the results are durable.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "milter.h"
#include "msg.h"

static const char *learn_outcome_name(enum store_outcome oc)
{
	switch (oc) {
	case STORE_DUPLICATE:
		return "duplicate, ignored";
	case STORE_SUPPRESSED:
		return "suppressed";
	case STORE_RENEWED:
		return "suppression renewed";
	default:
		return "recorded";
	}
}

static int learn_is_failure(const struct bounce_result *r)
{
	return r->action && (strcmp(r->action, "failed") == 0 || strcmp(r->action, "delayed") == 0);
}

/*
 * Our own refusal, reported back by Postfix (a sendmail(1) message whose
 * recipients were all suppressed bounces with RejectText, which always
 * names bouncetag). It has no Remote-MTA: no remote server said it, so a
 * remote cannot trigger this by quoting the word. Learning it would renew
 * the suppression with every refused message.
 */
static int learn_is_own_refusal(const struct bounce_result *r)
{
	return r->remote_mta == NULL && strstr(r->diagnostic, "bouncetag") != NULL;
}

/* Trust the inbound results that match mail we sent (see the top of this file). */
static void learn_correlate(const struct config *cf, struct store *st, struct store_event *evs,
                            size_t n, const char *queue_id)
{
	time_t since = time(NULL) - cf->trust_window;

	for (size_t i = 0; i < n && cf->trust_window > 0; i++) {
		int rc;

		if (evs[i].trusted || evs[i].message_id == NULL)
			continue;
		rc = store_sent_match(st, evs[i].message_id, evs[i].recipient, since);
		if (rc == STORE_OK) {
			evs[i].trusted = 1;
			msg_info("%s: bounce for %s matches mail we sent (%s): trusted", queue_id,
			         evs[i].recipient, evs[i].message_id);
		} else if (rc == STORE_ERR) {
			msg_warn("%s: cannot check %s against sent mail, left untrusted: %s",
			         queue_id, evs[i].recipient, store_error(st));
		}
	}
}

/*
 * Keep every trusted result and the first MaxUntrustedPerMessage untrusted
 * ones, in order; returns how many are kept. Anyone can send a bounce
 * naming thousands of recipients: recorded in full, each would be a row.
 */
static size_t learn_cap_untrusted(const struct config *cf, struct store_event *evs,
                                  const struct bounce_result **which, size_t n,
                                  const char *queue_id)
{
	size_t kept = 0, untrusted = 0;

	for (size_t i = 0; i < n; i++) {
		if (!evs[i].trusted && untrusted++ >= (size_t)cf->max_untrusted)
			continue;
		evs[kept] = evs[i];
		which[kept] = which[i];
		kept++;
	}
	if (kept < n)
		msg_warn("%s: %zu untrusted result(s) not recorded: at most %d per message "
		         "(MaxUntrustedPerMessage)",
		         queue_id, n - kept, cf->max_untrusted);
	return kept;
}

static enum learn_outcome learn_store(const struct snapshot *snap, struct store_event *evs,
                                      const struct bounce_result **which, size_t n,
                                      const char *queue_id)
{
	enum store_outcome *oc = calloc(n, sizeof(*oc));
	struct pooled *h;
	char err[512];
	int rc;

	if (oc == NULL) {
		msg_error("%s: out of memory recording %zu results", queue_id, n);
		return LEARN_STORE_FAILED;
	}
	/*
	 * Match inbound bounces against everything sent before them: write the
	 * queued sent-mail rows first (before taking a handle: the flush needs
	 * one of its own, and the pool is bounded).
	 */
	for (size_t i = 0; i < n; i++) {
		if (!evs[i].trusted && evs[i].message_id != NULL && snap->cf->trust_window > 0) {
			sent_flush();
			break;
		}
	}
	/*
	 * The database file can be deleted or replaced between taking a handle
	 * and committing (pool.c checks only when it hands one out): a commit
	 * into a file that is gone is no result at all. So look again after
	 * the commit, and record once more through a fresh handle (the dedup
	 * keys keep that exact); when even that fails, tempfail.
	 */
	for (int attempt = 0;; attempt++) {
		int moved;

		if ((h = pool_acquire(snap->cf->database, POOL_WRITE, err, sizeof(err))) == NULL) {
			msg_error("%s: cannot open the store: %s", queue_id, err);
			free(oc);
			return LEARN_STORE_FAILED;
		}
		learn_correlate(snap->cf, h->st, evs, n, queue_id);
		n = learn_cap_untrusted(snap->cf, evs, which, n, queue_id);
		pool_write_begin();
		rc = store_record(h->st, evs, n, &snap->cf->policy, oc);
		moved = rc == STORE_OK && store_moved(h->st);
		pool_write_end();
		if (rc != STORE_OK) {
			msg_error("%s: cannot record %zu results: %s", queue_id, n,
			          store_error(h->st));
			pool_release(h, 0);
			free(oc);
			return LEARN_STORE_FAILED;
		}
		if (!moved) {
			pool_release(h, 1);
			break;
		}
		pool_release(h, 0);
		if (attempt == 1) {
			msg_error("%s: the database file keeps being replaced: tempfail", queue_id);
			free(oc);
			return LEARN_STORE_FAILED;
		}
		msg_warn("%s: the database file was replaced while recording: recording again",
		         queue_id);
	}
	for (size_t i = 0; i < n; i++) {
		const struct bounce_result *r = which[i];

		msg_info("%s: %s %s status=%s class=%s reason=%s rule=%s%s: %s", queue_id,
		         evs[i].source, r->recipient, r->status[0] ? r->status : "-",
		         class_name(r->verdict.cls), r->verdict.reason,
		         r->verdict.rule ? r->verdict.rule : "-",
		         evs[i].trusted ? "" : " untrusted", learn_outcome_name(oc[i]));
	}
	free(oc);
	return LEARN_RECORDED;
}

enum learn_outcome learn_message(const struct snapshot *snap, const char *buf, size_t len, int cut,
                                 int trusted, const char *queue_id)
{
	struct mail_limits lim = mail_limits_default;
	struct bounce b;
	struct store_event *evs = NULL;
	const struct bounce_result **which = NULL;
	char **keys = NULL;
	char err[512];
	size_t n = 0;
	enum learn_outcome out = LEARN_NOTHING;
	time_t now = time(NULL);

	if (queue_id == NULL)
		queue_id = "NOQUEUE";
	lim.max_bytes = snap->cf->max_message_size;
	if (bounce_analyse(buf, len, snap->rs, &lim, &b, err, sizeof(err)) < 0) {
		msg_error("%s: cannot read the message: %s", queue_id, err);
		return trusted ? LEARN_STORE_FAILED : LEARN_NOTHING;
	}
	/* Say where hostile or huge input was cut: what fits is still learned. */
	if (cut || b.truncated)
		msg_warn("%s: message larger than MaxMessageSize (%zu bytes): read the first %zu "
		         "bytes only",
		         queue_id, snap->cf->max_message_size, len);
	if (b.limited)
		msg_warn("%s: message beyond the parser's limits (MIME parts, nesting or report "
		         "blocks): read what fits, %zu recipient(s)",
		         queue_id, b.nresults);
	if (b.nresults == 0)
		goto done;
	evs = calloc(b.nresults, sizeof(*evs));
	keys = calloc(b.nresults, sizeof(*keys));
	which = calloc(b.nresults, sizeof(*which)); /* NOLINT(bugprone-sizeof-expression) */
	if (evs == NULL || keys == NULL || which == NULL) {
		msg_error("%s: out of memory", queue_id);
		out = trusted ? LEARN_STORE_FAILED : LEARN_NOTHING;
		goto done;
	}
	for (size_t i = 0; i < b.nresults; i++) {
		const struct bounce_result *r = &b.results[i];
		struct store_event *e = &evs[n];

		if (!learn_is_failure(r))
			continue;
		if (learn_is_own_refusal(r)) {
			msg_info("%s: %s: our own refusal reported back, not learned", queue_id,
			         r->recipient ? r->recipient : "-");
			continue;
		}
		if (r->recipient == NULL) {
			msg_warn("%s: report names no usable recipient (%s); skipped", queue_id,
			         r->raw_recipient ? r->raw_recipient : "none");
			continue;
		}
		keys[n] = bounce_dedup_key(&b, r);
		e->when = now;
		e->recipient = r->recipient;
		e->action = r->action;
		e->status = r->status[0] ? r->status : NULL;
		e->reply_code = r->reply_code;
		e->diagnostic = r->diagnostic;
		e->remote_mta = r->remote_mta;
		e->cls = r->verdict.cls;
		e->reason = r->verdict.reason;
		e->rule = r->verdict.rule;
		e->source = trusted ? "dsn" : "inbound";
		e->trusted = trusted;
		e->queue_id = b.queue_id;
		e->message_id = b.orig_message_id;
		e->dedup_key = keys[n];
		which[n] = r;
		n++;
	}
	if (n > 0)
		out = learn_store(snap, evs, which, n, queue_id);
done:
	for (size_t i = 0; keys && i < n; i++)
		free(keys[i]);
	free(keys);
	free(which);
	free(evs);
	bounce_free(&b);
	return out;
}
