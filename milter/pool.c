/*
 * pool - store handles shared by the libmilter worker threads. A SQLite
 * handle must not be used by two threads at once, and opening one per
 * message would cost a schema check each time: idle handles are kept on a
 * small stack. A handle that saw an error is closed rather than reused, so
 * a database that was replaced or repaired is reopened cleanly. A handle
 * for another database (the config was reloaded), or whose file was
 * deleted or renamed under it, is closed when met and a new one opened:
 * results must never go to a file nobody will read again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "milter.h"

#define POOL_MAX 64

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pooled *pool_idle[POOL_MAX];
static size_t pool_nidle;

static void pool_close(struct pooled *h)
{
	store_close(h->st);
	free(h->database);
	free(h);
}

struct pooled *pool_acquire(const char *database, char *err, size_t errlen)
{
	struct pooled *h = NULL, *stale[POOL_MAX];
	size_t nstale = 0;

	pthread_mutex_lock(&pool_lock);
	while (pool_nidle > 0 && h == NULL) {
		struct pooled *e = pool_idle[--pool_nidle];

		if (strcmp(e->database, database) == 0 && !store_moved(e->st))
			h = e;
		else
			stale[nstale++] = e; /* another database, or its file was replaced */
	}
	pthread_mutex_unlock(&pool_lock);
	while (nstale > 0)
		pool_close(stale[--nstale]);
	if (h)
		return h;
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->database = strdup(database)) == NULL) {
		free(h);
		return NULL;
	}
	if (store_open(database, 0, &h->st, err, errlen) < 0) {
		free(h->database);
		free(h);
		return NULL;
	}
	return h;
}

void pool_release(struct pooled *h, int ok)
{
	if (h == NULL)
		return;
	if (ok) {
		pthread_mutex_lock(&pool_lock);
		if (pool_nidle < POOL_MAX) {
			pool_idle[pool_nidle++] = h;
			h = NULL;
		}
		pthread_mutex_unlock(&pool_lock);
	}
	if (h)
		pool_close(h);
}

void pool_shutdown(void)
{
	pthread_mutex_lock(&pool_lock);
	while (pool_nidle > 0)
		pool_close(pool_idle[--pool_nidle]);
	pthread_mutex_unlock(&pool_lock);
}
