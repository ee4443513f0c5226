/*
 * sent - remember mail we send (submission and non-SMTP paths): the
 * Message-ID, envelope sender and each recipient that was not refused or
 * withheld. learn.c trusts a bounce from the internet only when it names a
 * Message-ID we sent to that recipient within TrustWindow. Recording never
 * affects the mail: a failure is logged and the message goes on.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "milter.h"
#include "msg.h"

#define SENT_PRUNE_EVERY 1000  /* prune after this many recorded messages */
#define SENT_PRUNE_BATCH 10000 /* rows deleted per prune: keeps each one short */

static unsigned long sent_count;

void sent_record(const struct config *cf, const char *message_id, const char *sender,
		 char **rcpts, size_t n, const char *queue_id, const char *source)
{
	struct store_sent *items;
	struct pooled *h;
	char err[512];
	time_t now = time(NULL);
	long removed = 0;

	if (!cf->record_sent || n == 0)
		return;
	if (message_id == NULL) {
		msg_debug("%s: no Message-ID: bounces of this message cannot be trusted", queue_id);
		return;
	}
	if ((items = calloc(n, sizeof(*items))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		items[i] = (struct store_sent){now, message_id, sender, rcpts[i], queue_id, source};
	if ((h = pool_acquire(cf->database, err, sizeof(err))) == NULL) {
		msg_warn("%s: cannot record sent mail: %s", queue_id, err);
		free(items);
		return;
	}
	if (store_sent_record(h->st, items, n) != STORE_OK) {
		msg_warn("%s: cannot record sent mail: %s", queue_id, store_error(h->st));
		pool_release(h, 0);
		free(items);
		return;
	}
	free(items);
	if (__atomic_add_fetch(&sent_count, 1, __ATOMIC_RELAXED) % SENT_PRUNE_EVERY == 0 &&
	    cf->trust_window > 0) {
		if (store_sent_prune(h->st, now - cf->trust_window, SENT_PRUNE_BATCH, &removed) !=
		    STORE_OK)
			msg_warn("cannot prune sent mail: %s", store_error(h->st));
		else if (removed > 0)
			msg_debug("pruned %ld sent-mail rows older than TrustWindow", removed);
	}
	pool_release(h, 1);
}
