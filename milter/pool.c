/*
 * pool - store handles shared by the libmilter worker threads.
 *
 * libmilter runs a thread per connection, so there may be hundreds of
 * callbacks at once, but a SQLite handle must not be used by two threads
 * at once and each one costs memory and an open. The pool holds at most
 * POOL_MAX handles; a thread that finds none free waits for one (look-ups
 * take microseconds), rather than opening and closing its own.
 *
 * A handle that saw an error is closed rather than reused, so a database
 * that was replaced or repaired is reopened cleanly. A handle for another
 * database (the config was reloaded), or whose file was deleted or renamed
 * under it, is closed when met and a new one opened: results must never go
 * to a file nobody will read again. That check is a stat of the file; a
 * writer makes it every time, a reader (the RCPT look-up, where the system
 * call is a fifth of the work) at most once a second per handle: a look-up
 * may answer from a replaced file for up to a second, a write never goes
 * to it.
 *
 * Writes from this process go one at a time (pool_write_begin/_end):
 * SQLite serialises writers anyway, and letting it do so between our own
 * threads means its busy handler's sleeps (milliseconds each) instead of a
 * mutex hand-over.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "milter.h"

#define POOL_MAX 32

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_free = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t pool_writer = PTHREAD_MUTEX_INITIALIZER;
static struct pooled *pool_idle[POOL_MAX];
static size_t pool_nidle;
static size_t pool_open; /* handles that exist: idle + in use */

static void pool_close(struct pooled *h)
{
	store_close(h->st);
	free(h->database);
	free(h);
}

static struct pooled *pool_new(const char *database, char *err, size_t errlen)
{
	struct pooled *h = calloc(1, sizeof(*h));

	if (h == NULL || (h->database = strdup(database)) == NULL) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (store_open(database, 0, &h->st, err, errlen) < 0) {
		free(h->database);
		free(h);
		return NULL;
	}
	h->checked = time(NULL);
	return h;
}

/* Whether h may serve: the same database, and its file was not replaced. */
static int pool_usable(struct pooled *h, const char *database, enum pool_use use)
{
	time_t now = time(NULL);

	if (strcmp(h->database, database) != 0)
		return 0;
	if (use == POOL_READ && h->checked == now)
		return 1;
	if (store_moved(h->st))
		return 0;
	h->checked = now;
	return 1;
}

/*
 * An idle handle for database, or a new one. Whether the handle's file is
 * still the database (a stat) is checked outside the lock: every RCPT
 * passes here, and one thread's system call must not hold up the others.
 */
struct pooled *pool_acquire(const char *database, enum pool_use use, char *err, size_t errlen)
{
	struct pooled *h;

	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (pool_nidle == 0 && pool_open >= POOL_MAX)
			pthread_cond_wait(&pool_free, &pool_lock);
		if (pool_nidle == 0) {
			pool_open++; /* a place for the handle opened below */
			pthread_mutex_unlock(&pool_lock);
			break;
		}
		h = pool_idle[--pool_nidle];
		pthread_mutex_unlock(&pool_lock);
		if (pool_usable(h, database, use))
			return h;
		/* another database, or its file was replaced: close it, look again */
		pool_release(h, 0);
	}
	if ((h = pool_new(database, err, errlen)) == NULL) {
		pthread_mutex_lock(&pool_lock);
		pool_open--;
		pthread_cond_signal(&pool_free);
		pthread_mutex_unlock(&pool_lock);
	}
	return h;
}

void pool_release(struct pooled *h, int ok)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&pool_lock);
	if (ok) {
		pool_idle[pool_nidle++] = h;
		h = NULL;
	} else {
		pool_open--;
	}
	pthread_cond_signal(&pool_free);
	pthread_mutex_unlock(&pool_lock);
	if (h != NULL)
		pool_close(h);
}

void pool_write_begin(void)
{
	pthread_mutex_lock(&pool_writer);
}

void pool_write_end(void)
{
	pthread_mutex_unlock(&pool_writer);
}

void pool_shutdown(void)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_nidle > 0) {
		pool_close(pool_idle[--pool_nidle]);
		pool_open--;
	}
	pthread_mutex_unlock(&pool_lock);
}
