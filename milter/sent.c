/*
 * sent - remember mail we send (submission and non-SMTP paths): the
 * Message-ID, envelope sender and each recipient that was not refused or
 * withheld. learn.c trusts a bounce from the internet only when it names a
 * Message-ID we sent to that recipient within TrustWindow.
 *
 * Recording is off the mail path: sent_record() only queues the rows in
 * memory; a flusher thread writes what is queued every SENT_FLUSH_MS (or
 * sooner when SENT_BATCH rows wait) in one transaction, and prunes rows
 * older than TrustWindow now and then. learn.c calls sent_flush() before
 * it matches, so a bounce is always checked against everything sent
 * before it arrived. A crash loses at most the queued rows: their bounces
 * are then untrusted, never wrongly trusted. Recording never affects the
 * mail: a failure is logged and the message goes on.
 *
 * The flusher runs at a lower CPU priority (SENT_NICE) than the threads
 * that answer the MTA: a flush of a few hundred rows is milliseconds of
 * CPU (and SQLite's checkpoints run in it), and on a busy machine that
 * time showed up as the tail of RCPT latency. Its rows can wait; the
 * queue bound above still applies if the machine never lets it run.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "milter.h"
#include "msg.h"

#define SENT_FLUSH_MS 200        /* longest a row waits in memory */
#define SENT_BATCH 512           /* rows that wake the flusher early */
#define SENT_QUEUE_MAX 100000    /* rows kept when the store is down; more are dropped */
#define SENT_PRUNE_EVERY 300     /* flushes between prunes (about a minute) */
#define SENT_PRUNE_BATCH 10000   /* rows deleted per prune: keeps each one short */
#define SENT_NICE 10             /* added to the flusher's nice value */

struct sent_row {
	time_t when;
	char *message_id;
	char *sender;
	char *recipient;
	char *queue_id;
	const char *source; /* static */
};

static pthread_mutex_t sent_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sent_wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t sent_flush_lock = PTHREAD_MUTEX_INITIALIZER; /* one flush at a time */
static struct sent_row *sent_queue;
static size_t sent_len, sent_cap;
static unsigned long sent_dropped;
static int sent_running, sent_stopping;
static pthread_t sent_thread;

static void sent_row_free(struct sent_row *r)
{
	free(r->message_id);
	free(r->sender);
	free(r->recipient);
	free(r->queue_id);
}

static char *sent_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Append a row to the queue (sent_lock held); -1 when full or out of memory. */
static int sent_push(const struct sent_row *r)
{
	if (sent_len >= SENT_QUEUE_MAX) {
		if (sent_dropped++ % 10000 == 0)
			msg_warn("sent-mail queue full (store down, or slower than the mail): %lu "
			         "row(s) dropped so far",
			         sent_dropped);
		return -1;
	}
	if (sent_len == sent_cap) {
		size_t cap = sent_cap ? sent_cap * 2 : 1024;
		struct sent_row *q = realloc(sent_queue, cap * sizeof(*q));

		if (q == NULL)
			return -1;
		sent_queue = q;
		sent_cap = cap;
	}
	sent_queue[sent_len++] = *r;
	return 0;
}

void sent_record(const struct config *cf, const char *message_id, const char *sender,
		 char **rcpts, size_t n, const char *queue_id, const char *source)
{
	time_t now = time(NULL);
	size_t added = 0;

	if (!cf->record_sent || n == 0)
		return;
	if (message_id == NULL) {
		msg_debug("%s: no Message-ID: bounces of this message cannot be trusted", queue_id);
		return;
	}
	pthread_mutex_lock(&sent_lock);
	for (size_t i = 0; i < n; i++) {
		struct sent_row r = {now, strdup(message_id), sent_dup(sender), strdup(rcpts[i]),
				     sent_dup(queue_id), source};

		if (r.message_id == NULL || r.recipient == NULL || sent_push(&r) < 0) {
			sent_row_free(&r);
			continue;
		}
		added++;
	}
	if (added > 0 && (sent_len >= SENT_BATCH || !sent_running))
		pthread_cond_signal(&sent_wake);
	pthread_mutex_unlock(&sent_lock);
	if (!sent_running) /* no flusher (tests, or it failed to start): write now */
		sent_flush();
}

/* Write rows to the store; returns how many were written (0 or n). */
static size_t sent_write(const struct config *cf, struct sent_row *rows, size_t n,
			 int *prune_due)
{
	struct store_sent *items = calloc(n, sizeof(*items));
	struct pooled *h;
	char err[512];
	long removed = 0;
	int rc;

	if (items == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		items[i] = (struct store_sent){rows[i].when, rows[i].message_id, rows[i].sender,
					       rows[i].recipient, rows[i].queue_id, rows[i].source};
	if ((h = pool_acquire(cf->database, POOL_WRITE, err, sizeof(err))) == NULL) {
		msg_warn("cannot record %zu sent-mail rows: %s", n, err);
		free(items);
		return 0;
	}
	pool_write_begin();
	rc = store_sent_record(h->st, items, n);
	if (rc == STORE_OK && *prune_due && cf->trust_window > 0) {
		*prune_due = 0;
		if (store_sent_prune(h->st, time(NULL) - cf->trust_window, SENT_PRUNE_BATCH,
				     &removed) != STORE_OK)
			msg_warn("cannot prune sent mail: %s", store_error(h->st));
		else if (removed > 0)
			msg_debug("pruned %ld sent-mail rows older than TrustWindow", removed);
	}
	pool_write_end();
	if (rc != STORE_OK)
		msg_warn("cannot record %zu sent-mail rows: %s", n, store_error(h->st));
	pool_release(h, rc == STORE_OK);
	free(items);
	return rc == STORE_OK ? n : 0;
}

void sent_flush(void)
{
	static unsigned long flushes;
	static int prune_due;
	struct sent_row *rows;
	struct snapshot *snap;
	size_t n, done = 0;

	pthread_mutex_lock(&sent_flush_lock);
	pthread_mutex_lock(&sent_lock);
	rows = sent_queue;
	n = sent_len;
	sent_queue = NULL;
	sent_len = sent_cap = 0;
	pthread_mutex_unlock(&sent_lock);
	if (n > 0 && (snap = snapshot_get()) != NULL) {
		if (++flushes % SENT_PRUNE_EVERY == 0)
			prune_due = 1;
		done = sent_write(snap->cf, rows, n, &prune_due);
		snapshot_put(snap);
	}
	if (done < n) { /* keep them for the next flush, as far as the queue allows */
		pthread_mutex_lock(&sent_lock);
		for (size_t i = 0; i < n; i++)
			if (sent_push(&rows[i]) < 0)
				sent_row_free(&rows[i]);
		pthread_mutex_unlock(&sent_lock);
	} else {
		for (size_t i = 0; i < n; i++)
			sent_row_free(&rows[i]);
	}
	free(rows);
	pthread_mutex_unlock(&sent_flush_lock);
}

/*
 * Lower the calling thread's priority. On Linux each thread has its own
 * nice value (setpriority() on the thread id); elsewhere PRIO_PROCESS
 * would lower the whole milter, so nothing is done there.
 */
static void sent_lower_priority(void)
{
#ifdef __linux__
	pid_t tid = gettid();
	int now;

	errno = 0;
	now = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno == 0 && setpriority(PRIO_PROCESS, (id_t)tid, now + SENT_NICE) < 0)
		msg_debug("sent-mail writer keeps its priority: %s", strerror(errno));
#endif
}

static void *sent_main(void *arg)
{
	(void)arg;
	sent_lower_priority();
	pthread_mutex_lock(&sent_lock);
	while (!sent_stopping) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += SENT_FLUSH_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		while (!sent_stopping && sent_len < SENT_BATCH &&
		       pthread_cond_timedwait(&sent_wake, &sent_lock, &until) != ETIMEDOUT)
			;
		if (sent_len == 0)
			continue;
		pthread_mutex_unlock(&sent_lock);
		sent_flush();
		pthread_mutex_lock(&sent_lock);
	}
	pthread_mutex_unlock(&sent_lock);
	return NULL;
}

void sent_start(void)
{
	if (pthread_create(&sent_thread, NULL, sent_main, NULL) != 0) {
		msg_warn("cannot start the sent-mail writer: recording inline");
		return;
	}
	sent_running = 1;
}

void sent_stop(void)
{
	if (sent_running) {
		pthread_mutex_lock(&sent_lock);
		sent_stopping = 1;
		pthread_cond_signal(&sent_wake);
		pthread_mutex_unlock(&sent_lock);
		pthread_join(sent_thread, NULL);
		sent_running = 0;
	}
	sent_flush();
}
